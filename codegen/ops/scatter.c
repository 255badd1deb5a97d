/* scatter.c - Scatter, ScatterElements, ScatterND and TensorScatter.
 *
 * The output starts as a copy of `data`; updates are then applied in the order of
 * the indices (so with reduction none a duplicate index keeps the last update, as
 * ONNX's reference does). Indices are read at run time: negative ones count from
 * the end, and an update whose index is still out of range is skipped, so the
 * kernel never writes outside the output. Reductions add/mul/max/min are done in
 * the element's arithmetic type; integer add/mul wrap (unsigned arithmetic) rather
 * than overflow. Scatter, ScatterElements and ScatterND fold when all inputs are
 * constant (shape tensors edited by index in exported graphs).
 */
#include <stdio.h>
#include <string.h>

#include "indexing.h"

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static int reduction(const Graph *g, const Node *n, int *red, Diag *d)
{
	static const char *const names[] = {"none", "add", "mul", "max", "min"};
	const char *s = ir_attr_str(n, "reduction", "none");
	int allowed = n->op == OP_SCATTER || n->opset < 16 ? 1 : n->opset < 18 ? 3 : 5;
	for (int i = 0; i < allowed; i++)
		if (!strcmp(s, names[i])) {
			*red = i;
			if (i != RED_NONE && op_in(g, n, 0)->dtype == DT_STRING)
				return ir_node_error(d, g, n, "reduction '%s' on strings", s);
			return 0;
		}
	return ir_node_error(d, g, n, "reduction '%s' is not supported in opset %d", s, n->opset);
}

/* Emits `dst = f(dst, src)` for reduction red, dst and src being element lvalues. */
static void emit_update(Out *o, DType dt, int red, const char *dst, const char *src)
{
	char a[160], b[160], expr[800], st[900];
	if (red == RED_NONE) {
		out_line(o, "%s = %s;", dst, src);
		return;
	}
	cg_load(dt, dst, a, sizeof a);
	cg_load(dt, src, b, sizeof b);
	const DTypeInfo *di = dtype_info(dt);
	const char *u = di->size == 8 ? "uint64_t" : "uint32_t";
	switch (red) {
	case RED_ADD:
	case RED_MUL: {
		const char *op = red == RED_ADD ? "+" : "*";
		if (dt == DT_BOOL)
			snprintf(expr, sizeof expr, "%s %s %s", a, red == RED_ADD ? "||" : "&&", b);
		else if (di->is_int)
			snprintf(expr, sizeof expr, "(%s)%s %s (%s)%s", u, a, op, u, b);
		else
			snprintf(expr, sizeof expr, "%s %s %s", a, op, b);
		break;
	}
	default:
		snprintf(expr, sizeof expr, "%s %s %s ? %s : %s", b, red == RED_MAX ? ">" : "<",
			 a, b, a);
		break;
	}
	out_line(o, "%s = %s;", dst, cg_store(dt, expr, st, sizeof st));
}

static void emit_data_copy(Emit *e)
{
	int64_t b = ir_bytes(op_in(e->g, e->n, 0));
	if (b > 0)
		out_line(e->o, "memcpy(y0, x0, %lld);", (long long)b);
}

/* Host version of emit_update: out[o] = f(out[o], upd[u]) (folding). */
static void fold_update(DType dt, int red, void *out, int64_t o, const void *upd, int64_t u)
{
	if (red == RED_NONE) {
		ix_copy_elem(dt, out, o, upd, u);
		return;
	}
	if (dtype_info(dt)->is_float) {
		double a = dtype_get_f64(dt, out, o), b = dtype_get_f64(dt, upd, u);
		double r = red == RED_ADD   ? a + b
			   : red == RED_MUL ? a * b
			   : red == RED_MAX ? (b > a ? b : a)
					    : (b < a ? b : a);
		dtype_set_f64(dt, out, o, r);
		return;
	}
	int64_t a = dtype_get_i64(dt, out, o), b = dtype_get_i64(dt, upd, u), r;
	bool less = dt == DT_UINT64 ? (uint64_t)b < (uint64_t)a : b < a;
	if (dt == DT_BOOL && red == RED_ADD)
		r = a || b;
	else if (dt == DT_BOOL && red == RED_MUL)
		r = a && b;
	else if (red == RED_ADD)
		r = (int64_t)((uint64_t)a + (uint64_t)b);
	else if (red == RED_MUL)
		r = (int64_t)((uint64_t)a * (uint64_t)b);
	else
		r = (red == RED_MIN) == less ? b : a;
	dtype_set_i64(dt, out, o, r);
}

/* Allocates output 0 of a scatter as a copy of input 0 (folding). */
static void *fold_start(Graph *g, const Node *n)
{
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	int64_t b = ir_bytes(x);
	if (b > 0)
		memcpy(y, x->data, (size_t)b);
	return y;
}

/* ------------------------------------------------------------ Scatter / ScatterElements */

static int elements_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1), *u = op_in(g, n, 2);
	int red, axis;
	if (reduction(g, n, &red, d) < 0)
		return -1;
	if (u->dtype != x->dtype)
		return ir_node_error(d, g, n, "updates are %s but data is %s", dtype_name(u->dtype),
				     dtype_name(x->dtype));
	if (x->shape.rank < 1 || ix->shape.rank != x->shape.rank ||
	    !shape_equal(&ix->shape, &u->shape))
		return ir_node_error(d, g, n,
				     "indices and updates must have data's rank and one shape");
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, &axis, d) < 0)
		return -1;
	for (int k = 0; k < x->shape.rank; k++)
		if (k != axis && ix->shape.dims[k] > x->shape.dims[k])
			return ir_node_error(d, g, n,
					     "indices dim %d is %lld, larger than data's %lld",
					     k, (long long)ix->shape.dims[k],
					     (long long)x->shape.dims[k]);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int elements_fold(Graph *g, Node *n, Diag *d)
{
	int red;
	if (reduction(g, n, &red, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1), *u = op_in(g, n, 2);
	int r = x->shape.rank, axis = (int)ir_attr_int(n, "axis", 0);
	axis = axis < 0 ? axis + r : axis;
	int64_t xst[CNNC_MAX_RANK], idx[CNNC_MAX_RANK] = {0}, total = ir_numel(ix);
	shape_strides(&x->shape, xst);
	void *y = fold_start(g, n);
	for (int64_t j = 0; j < total; j++) {
		int64_t v = dtype_get_i64(ix->dtype, ix->data, j), dim = x->shape.dims[axis];
		v = v < 0 ? v + dim : v;
		if (v >= 0 && v < dim) {
			int64_t off = v * xst[axis];
			for (int k = 0; k < r; k++)
				off += k == axis ? 0 : idx[k] * xst[k];
			fold_update(x->dtype, red, y, off, u->data, j);
		}
		for (int k = r - 1; k >= 0 && ++idx[k] == ix->shape.dims[k]; k--)
			idx[k] = 0;
	}
	return 0;
}

static int elements_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *ix = op_in(e->g, e->n, 1);
	int r = x->shape.rank, red = RED_NONE;
	int axis = (int)ir_attr_int(e->n, "axis", 0);
	axis = axis < 0 ? axis + r : axis;
	Diag d;
	diag_init(&d, "");
	if (reduction(e->g, e->n, &red, &d) < 0)
		return -1;
	emit_data_copy(e);
	if (ir_numel(ix) == 0)
		return 0;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	char base[512], dst[600];
	size_t len = (size_t)snprintf(base, sizeof base, "0");
	for (int k = 0; k < r && len < sizeof base; k++)
		if (k != axis && ix->shape.dims[k] > 1)
			len += (size_t)snprintf(base + len, sizeof base - len, " + i%d * %lld", k,
						(long long)xst[k]);
	out_line(e->o, "int64_t jj = 0;");
	int loops = cg_loops(e->o, &ix->shape, "i");
	out_line(e->o, "const int64_t j = jj++;");
	ix_emit_checked(e->o, "v", "x1[j]", x->shape.dims[axis], "continue");
	snprintf(dst, sizeof dst, "y0[%s + v * %lld]", base, (long long)xst[axis]);
	emit_update(e->o, x->dtype, red, dst, "x2[j]");
	cg_close(e->o, loops);
	return 0;
}

const OpDef opdef_SCATTER = {elements_infer, elements_fold, elements_emit, NULL, 0};
const OpDef opdef_SCATTERELEMENTS = {elements_infer, elements_fold, elements_emit, NULL, 0};

/* ------------------------------------------------------------ ScatterND */

static int nd_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1), *u = op_in(g, n, 2);
	int red;
	if (reduction(g, n, &red, d) < 0)
		return -1;
	if (u->dtype != x->dtype)
		return ir_node_error(d, g, n, "updates are %s but data is %s", dtype_name(u->dtype),
				     dtype_name(x->dtype));
	int r = x->shape.rank, q = ix->shape.rank;
	if (r < 1 || q < 1)
		return ir_node_error(d, g, n,
				     "data has rank %d and indices rank %d, expected both >= 1",
				     r, q);
	int64_t k = ix->shape.dims[q - 1];
	if (k < 1 || k > r)
		return ir_node_error(d, g, n, "index tuples have length %lld, expected 1 to %d",
				     (long long)k, r);
	Shape us = {0, {0}};
	for (int j = 0; j < q - 1; j++)
		us.dims[us.rank++] = ix->shape.dims[j];
	for (int j = (int)k; j < r; j++)
		us.dims[us.rank++] = x->shape.dims[j];
	if (us.rank > CNNC_MAX_RANK || !shape_equal(&us, &u->shape)) {
		char s1[128];
		return ir_node_error(d, g, n,
				     "updates have shape %s, expected indices.shape[:-1] + data.shape[%lld:]",
				     shape_str(&u->shape, s1, sizeof s1), (long long)k);
	}
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int nd_fold(Graph *g, Node *n, Diag *d)
{
	int red;
	if (reduction(g, n, &red, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1), *u = op_in(g, n, 2);
	int q = ix->shape.rank, r = x->shape.rank, k = (int)ix->shape.dims[q - 1];
	int64_t ntuple = ix_prod(&ix->shape, 0, q - 1), slice = ix_prod(&x->shape, k, r);
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	void *y = fold_start(g, n);
	for (int64_t t = 0; t < ntuple; t++) {
		int64_t off = 0;
		bool ok = true;
		for (int j = 0; j < k; j++) {
			int64_t v = dtype_get_i64(ix->dtype, ix->data, t * k + j);
			int64_t dim = x->shape.dims[j];
			v = v < 0 ? v + dim : v;
			ok &= v >= 0 && v < dim;
			off += v * xst[j];
		}
		for (int64_t s = 0; ok && s < slice; s++)
			fold_update(x->dtype, red, y, off + s, u->data, t * slice + s);
	}
	return 0;
}

static int nd_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *ix = op_in(e->g, e->n, 1);
	int q = ix->shape.rank, r = x->shape.rank, red = RED_NONE;
	int k = (int)ix->shape.dims[q - 1];
	Diag d;
	diag_init(&d, "");
	if (reduction(e->g, e->n, &red, &d) < 0)
		return -1;
	emit_data_copy(e);
	int64_t ntuple = ix_prod(&ix->shape, 0, q - 1), slice = ix_prod(&x->shape, k, r);
	if (ntuple * slice == 0)
		return 0;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	out_line(e->o, "for (int64_t t = 0; t < %lld; t++) {", (long long)ntuple);
	out_line(e->o, "int64_t off = 0;");
	for (int j = 0; j < k; j++) {
		char var[16], expr[64];
		snprintf(var, sizeof var, "v%d", j);
		snprintf(expr, sizeof expr, "x1[t * %d + %d]", k, j);
		ix_emit_checked(e->o, var, expr, x->shape.dims[j], "continue");
		out_line(e->o, "off += v%d * %lld;", j, (long long)xst[j]);
	}
	if (red == RED_NONE && slice > 1) {
		out_line(e->o, "memcpy(y0 + off, x2 + t * %lld, %lld * sizeof *y0);",
			 (long long)slice, (long long)slice);
	} else {
		out_line(e->o, "for (int64_t s = 0; s < %lld; s++) {", (long long)slice);
		char dst[64], src[64];
		snprintf(src, sizeof src, "x2[t * %lld + s]", (long long)slice);
		snprintf(dst, sizeof dst, "y0[off + s]");
		emit_update(e->o, x->dtype, red, dst, src);
		out_line(e->o, "}");
	}
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_SCATTERND = {nd_infer, nd_fold, nd_emit, NULL, 0};

/* ------------------------------------------------------------ TensorScatter */

static int ts_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 3, 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *u = op_in(g, n, 1), *w = op_in(g, n, 2);
	int r = x->shape.rank, axis;
	const char *mode = ir_attr_str(n, "mode", "linear");
	if (strcmp(mode, "linear") && strcmp(mode, "circular"))
		return ir_node_error(d, g, n, "mode '%s' is not linear or circular", mode);
	if (r < 2)
		return ir_node_error(d, g, n, "past_cache has rank %d, expected >= 2", r);
	if (op_axis(g, n, ir_attr_int(n, "axis", -2), r, &axis, d) < 0)
		return -1;
	if (axis == 0)
		return ir_node_error(d, g, n, "axis is the batch axis 0");
	if (u->dtype != x->dtype || u->shape.rank != r)
		return ir_node_error(d, g, n,
				     "update must have past_cache's element type and rank");
	for (int k = 0; k < r; k++)
		if (k == axis ? u->shape.dims[k] > x->shape.dims[k]
			      : u->shape.dims[k] != x->shape.dims[k])
			return ir_node_error(d, g, n,
					     "update dim %d is %lld, does not match past_cache's %lld",
					     k, (long long)u->shape.dims[k],
					     (long long)x->shape.dims[k]);
	if (w) {
		static const DType i64[] = {DT_INT64, DT_INT32, DT_UNDEFINED};
		if (op_check_dtype(g, n, 2, i64, d) < 0)
			return -1;
		if (ir_numel(w) != x->shape.dims[0])
			return ir_node_error(d, g, n,
					     "write_indices has %lld values, expected %lld",
					     (long long)ir_numel(w), (long long)x->shape.dims[0]);
	}
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int ts_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *u = op_in(e->g, e->n, 1);
	int r = x->shape.rank;
	int axis = (int)ir_attr_int(e->n, "axis", -2);
	axis = axis < 0 ? axis + r : axis;
	bool circ = !strcmp(ir_attr_str(e->n, "mode", "linear"), "circular");
	int64_t batch = x->shape.dims[0], inner = ix_prod(&x->shape, 1, axis);
	int64_t m = x->shape.dims[axis], l = u->shape.dims[axis];
	int64_t post = ix_prod(&x->shape, axis + 1, r);
	emit_data_copy(e);
	if (batch * inner * l * post == 0)
		return 0;
	out_line(e->o, "for (int64_t b = 0; b < %lld; b++) {", (long long)batch);
	if (e->n->ninputs > 2 && e->in[2])
		out_line(e->o, "int64_t w = (int64_t)x2[b];");
	else
		out_line(e->o, "int64_t w = 0;");
	if (circ) {
		out_line(e->o, "w %%= %lld;", (long long)m);
		out_line(e->o, "if (w < 0) w += %lld;", (long long)m);
	} else {
		out_line(e->o, "w = w < %lld ? %lld : w > %lld ? %lld : w;", (long long)-m,
			 (long long)-m, (long long)m, (long long)m);
	}
	out_line(e->o, "for (int64_t p = b * %lld; p < (b + 1) * %lld; p++) {", (long long)inner,
		 (long long)inner);
	out_line(e->o, "for (int64_t s = 0; s < %lld; s++) {", (long long)l);
	out_line(e->o, "int64_t pos = w + s;");
	if (circ)
		out_line(e->o, "if (pos >= %lld) pos -= %lld;", (long long)m, (long long)m);
	else
		out_line(e->o, "if (pos < 0 || pos >= %lld) continue;", (long long)m);
	if (post == 1)
		out_line(e->o, "y0[p * %lld + pos] = x1[p * %lld + s];", (long long)m,
			 (long long)l);
	else
		out_line(e->o, "memcpy(y0 + (p * %lld + pos) * %lld, x1 + (p * %lld + s) * %lld, "
			       "%lld * sizeof *y0);",
			 (long long)m, (long long)post, (long long)l, (long long)post,
			 (long long)post);
	out_line(e->o, "}");
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_TENSORSCATTER = {ts_infer, NULL, ts_emit, NULL, 0};
