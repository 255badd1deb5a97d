/* gemm.c - Gemm: Y = alpha * A' * B' + beta * C, A' and B' optionally transposed.
 *
 * The transposes are strides handed to the shared matmul emitter (linalg.h),
 * which picks the loop order for them. Y is first filled with beta * C
 * broadcast to (M, N) and the product is then accumulated into it, so the bias
 * costs one pass and no scratch. Before opset 11 C was required and opsets 1-6
 * had a `broadcast` attribute; both are accepted as the later opsets define them.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

static const DType gemm_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT32,
				   DT_INT64, DT_UINT32, DT_UINT64, DT_UNDEFINED};

typedef struct Gemm {
	int64_t m, n, k;
	bool ta, tb;
	double alpha, beta;
	const Value *c; /* NULL when absent or multiplied by zero */
} Gemm;

static int describe(const Graph *g, const Node *n, Gemm *gm, Diag *d)
{
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1), *c = op_in(g, n, 2);
	char s1[128], s2[128];
	if (a->shape.rank != 2 || b->shape.rank != 2)
		return ir_node_error(d, g, n, "A and B must be matrices, got shapes %s and %s",
				     shape_str(&a->shape, s1, sizeof s1), shape_str(&b->shape, s2, sizeof s2));
	gm->ta = ir_attr_int(n, "transA", 0) != 0;
	gm->tb = ir_attr_int(n, "transB", 0) != 0;
	gm->alpha = ir_attr_float(n, "alpha", 1.0);
	gm->beta = ir_attr_float(n, "beta", 1.0);
	gm->m = a->shape.dims[gm->ta ? 1 : 0];
	gm->k = a->shape.dims[gm->ta ? 0 : 1];
	gm->n = b->shape.dims[gm->tb ? 0 : 1];
	int64_t kb = b->shape.dims[gm->tb ? 1 : 0];
	if (kb != gm->k)
		return ir_node_error(d, g, n, "inner dimensions differ: A' is %lldx%lld, B' is %lldx%lld",
				     (long long)gm->m, (long long)gm->k, (long long)kb, (long long)gm->n);
	gm->c = c && gm->beta != 0 ? c : NULL;
	if (c) {
		Shape mn = {2, {gm->m, gm->n}}, r;
		if (c->shape.rank > 2 || shape_broadcast(&c->shape, &mn, &r) < 0 || !shape_equal(&r, &mn))
			return ir_node_error(d, g, n, "C of shape %s does not broadcast to [%lld,%lld]",
					     shape_str(&c->shape, s1, sizeof s1), (long long)gm->m,
					     (long long)gm->n);
	}
	if (!dtype_info(a->dtype)->is_float &&
	    (gm->alpha != (double)(int64_t)gm->alpha || gm->beta != (double)(int64_t)gm->beta))
		return ir_node_error(d, g, n, "alpha %g and beta %g must be integers for %s inputs",
				     gm->alpha, gm->beta, dtype_name(a->dtype));
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, n->opset < 11 ? 3 : 2, 3, 2, d) < 0 ||
	    op_check_dtype(g, n, 0, gemm_types, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 1; k < 3; k++) {
		const Value *v = op_in(g, n, k);
		if (v && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but A is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
	}
	Gemm gm;
	if (describe(g, n, &gm, d) < 0)
		return -1;
	Shape y = {2, {gm.m, gm.n}};
	op_set_out(g, n, 0, dt, &y);
	return 0;
}

/* Index of C[i][j] in C's own layout (C broadcast to m x n). */
static int64_t c_index(const Value *c, int64_t i, int64_t j)
{
	const Shape *s = &c->shape;
	if (s->rank == 0)
		return 0;
	if (s->rank == 1)
		return s->dims[0] == 1 ? 0 : j;
	return (s->dims[0] == 1 ? 0 : i * s->dims[1]) + (s->dims[1] == 1 ? 0 : j);
}

static int fold(Graph *g, Node *n, Diag *d)
{
	Gemm gm;
	if (describe(g, n, &gm, d) < 0)
		return -1;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	DType dt = a->dtype;
	bool fl = dtype_info(dt)->is_float;
	void *y = op_alloc_const(g, n, 0);
	for (int64_t i = 0; i < gm.m; i++)
		for (int64_t j = 0; j < gm.n; j++) {
			double sf = 0;
			uint64_t si = 0;
			for (int64_t p = 0; p < gm.k; p++) {
				int64_t ia = gm.ta ? p * gm.m + i : i * gm.k + p;
				int64_t ib = gm.tb ? j * gm.k + p : p * gm.n + j;
				if (fl)
					sf += dtype_get_f64(dt, a->data, ia) * dtype_get_f64(dt, b->data, ib);
				else
					si += (uint64_t)dtype_get_i64(dt, a->data, ia) *
					      (uint64_t)dtype_get_i64(dt, b->data, ib);
			}
			int64_t ci = gm.c ? c_index(gm.c, i, j) : 0;
			if (fl)
				dtype_set_f64(dt, y, i * gm.n + j, gm.alpha * sf +
					      (gm.c ? gm.beta * dtype_get_f64(dt, gm.c->data, ci) : 0));
			else
				dtype_set_i64(dt, y, i * gm.n + j, (int64_t)(si * (uint64_t)(int64_t)gm.alpha +
					      (gm.c ? (uint64_t)dtype_get_i64(dt, gm.c->data, ci) *
						      (uint64_t)(int64_t)gm.beta : 0)));
		}
	return 0;
}

static void to_matmul(const Graph *g, const Node *n, const Gemm *gm, MatMul *mm)
{
	memset(mm, 0, sizeof *mm);
	mm->dt = op_in(g, n, 0)->dtype;
	mm->m = gm->m;
	mm->n = gm->n;
	mm->k = gm->k;
	mm->a_rs = gm->ta ? 1 : gm->k;
	mm->a_cs = gm->ta ? gm->m : 1;
	mm->b_rs = gm->tb ? 1 : gm->n;
	mm->b_cs = gm->tb ? gm->k : 1;
	mm->c_rs = gm->n;
	mm->alpha = gm->alpha;
	mm->accumulate = gm->c != NULL;
	mm->a = "x0";
	mm->b = "x1";
	mm->c = "y0";
	mm->tmp = "scratch";
}

static int64_t scratch(const Graph *g, const Node *n)
{
	Gemm gm;
	Diag d;
	diag_init(&d, NULL);
	if (describe(g, n, &gm, &d) < 0)
		return 0;
	MatMul mm;
	to_matmul(g, n, &gm, &mm);
	return lin_matmul_tmp(&mm);
}

/* y0 = beta * C, broadcast. */
static void emit_bias(Emit *e, const Gemm *gm, DType dt)
{
	Shape mn = {2, {gm->m, gm->n}};
	char idx[128], ref[160], ld[200], ex[300], st[400], lit[64];
	out_line(e->o, "for (int64_t i0 = 0; i0 < %lld; i0++) {", (long long)gm->m);
	out_line(e->o, "for (int64_t i1 = 0; i1 < %lld; i1++) {", (long long)gm->n);
	snprintf(ref, sizeof ref, "x2[%s]", cg_bcast_index(&gm->c->shape, &mn, "i", idx, sizeof idx));
	cg_load(dt, ref, ld, sizeof ld);
	if (gm->beta == 1)
		snprintf(ex, sizeof ex, "%s", ld);
	else if (dtype_info(dt)->is_float)
		snprintf(ex, sizeof ex, "%s * %s", cg_lit(dt, gm->beta, lit, sizeof lit), ld);
	else
		snprintf(ex, sizeof ex, "(%s)%s * (%s)%s", lin_utype(dt),
			 cg_ilit(DT_INT64, (int64_t)gm->beta, lit, sizeof lit), lin_utype(dt), ld);
	out_line(e->o, "y0[i0 * %lld + i1] = %s;", (long long)gm->n, cg_store(dt, ex, st, sizeof st));
	out_line(e->o, "}");
	out_line(e->o, "}");
}

static int emit(Emit *e)
{
	Gemm gm;
	Diag d;
	diag_init(&d, NULL);
	if (describe(e->g, e->n, &gm, &d) < 0)
		return -1;
	MatMul mm;
	to_matmul(e->g, e->n, &gm, &mm);
	if (gm.c)
		emit_bias(e, &gm, mm.dt);
	lin_emit_matmul(e->o, &mm);
	return 0;
}

const OpDef opdef_GEMM = {infer, fold, emit, scratch, 0};
