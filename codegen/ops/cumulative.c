/* cumulative.c - CumSum and CumProd along one axis (exclusive and reverse variants).
 *
 * The axis input must be a compile-time constant (it shapes the loop nest). Each
 * lane is scanned with a running accumulator in the arithmetic type (float for
 * float16/bfloat16, so half types do not round at every step); integers
 * accumulate in unsigned arithmetic, wrapping instead of overflowing. Folds when
 * the input is constant (position ids computed from constant masks).
 */
#include <stdio.h>

#include "indexing.h"

static const DType cum_types[] = {DT_FLOAT,  DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT32,
				  DT_INT64, DT_UINT32, DT_UINT64,  DT_UNDEFINED};

static int get_axis(const Graph *g, const Node *n, int *axis, Diag *d)
{
	int64_t v[1], cnt;
	if (ix_const_ints(g, n, 1, v, 1, &cnt, d) < 0)
		return -1;
	if (cnt != 1)
		return ir_node_error(d, g, n, "axis has %lld values, expected 1", (long long)cnt);
	return op_axis(g, n, v[0], op_in(g, n, 0)->shape.rank, axis, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, cum_types, d) < 0 ||
	    ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int axis;
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "input is a scalar, expected rank >= 1");
	if (get_axis(g, n, &axis, d) < 0)
		return -1;
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static void put(DType dt, void *y, int64_t o, bool fl, double fa, uint64_t ia)
{
	if (fl)
		dtype_set_f64(dt, y, o, fa);
	else
		dtype_set_i64(dt, y, o, (int64_t)ia);
}

static int fold(Graph *g, Node *n, Diag *d)
{
	int axis;
	if (get_axis(g, n, &axis, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	DType dt = x->dtype;
	bool prod = n->op == OP_CUMPROD, fl = dtype_info(dt)->is_float;
	bool excl = ir_attr_int(n, "exclusive", 0) != 0, rev = ir_attr_int(n, "reverse", 0) != 0;
	int64_t len = x->shape.dims[axis], pre = ix_prod(&x->shape, 0, axis);
	int64_t post = ix_prod(&x->shape, axis + 1, x->shape.rank);
	void *y = op_alloc_const(g, n, 0);
	for (int64_t p = 0; p < pre; p++)
		for (int64_t q = 0; q < post; q++) {
			double fa = prod;
			uint64_t ia = prod;
			for (int64_t s = 0; s < len; s++) {
				int64_t o = (p * len + (rev ? len - 1 - s : s)) * post + q;
				if (excl)
					put(dt, y, o, fl, fa, ia);
				double fv = fl ? dtype_get_f64(dt, x->data, o) : 0;
				uint64_t iv = fl ? 0 : (uint64_t)dtype_get_i64(dt, x->data, o);
				fa = prod ? fa * fv : fa + fv;
				ia = prod ? ia * iv : ia + iv;
				if (!excl)
					put(dt, y, o, fl, fa, ia);
			}
		}
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	int axis;
	Diag d;
	diag_init(&d, "");
	if (get_axis(e->g, e->n, &axis, &d) < 0)
		return -1;
	bool prod = e->n->op == OP_CUMPROD;
	bool excl = ir_attr_int(e->n, "exclusive", 0) != 0;
	bool rev = ir_attr_int(e->n, "reverse", 0) != 0;
	int64_t len = x->shape.dims[axis], pre = ix_prod(&x->shape, 0, axis);
	int64_t post = ix_prod(&x->shape, axis + 1, x->shape.rank);
	if (ir_numel(x) == 0)
		return 0;
	const DTypeInfo *di = dtype_info(dt);
	const char *acc_t = di->is_int ? (di->size == 8 ? "uint64_t" : "uint32_t") : cg_comp(dt);
	char ld[96], st[96];
	const char *op = prod ? "*" : "+";
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)pre);
	out_line(e->o, "for (int64_t q = 0; q < %lld; q++) {", (long long)post);
	out_line(e->o, "const int64_t base = p * %lld + q;", (long long)(len * post));
	out_line(e->o, "%s acc = %s;", acc_t, prod ? "1" : "0");
	if (rev)
		out_line(e->o, "for (int64_t i = %lld; i >= 0; i--) {", (long long)(len - 1));
	else
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)len);
	out_line(e->o, "const int64_t o = base + i * %lld;", (long long)post);
	out_line(e->o, "const %s v = (%s)%s;", acc_t, acc_t, cg_load(dt, "x0[o]", ld, sizeof ld));
	if (excl) {
		out_line(e->o, "y0[o] = %s;", cg_store(dt, "acc", st, sizeof st));
		out_line(e->o, "acc = (%s)(acc %s v);", acc_t, op);
	} else {
		out_line(e->o, "acc = (%s)(acc %s v);", acc_t, op);
		out_line(e->o, "y0[o] = %s;", cg_store(dt, "acc", st, sizeof st));
	}
	out_line(e->o, "}");
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_CUMSUM = {infer, fold, emit, NULL, 0};
const OpDef opdef_CUMPROD = {infer, fold, emit, NULL, 0};
