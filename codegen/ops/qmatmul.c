/* qmatmul.c - MatMulInteger and QLinearMatMul: numpy matmul of 8-bit integers.
 *
 * Both accumulate sum((a - a_zp) * (b - b_zp)) in uint32_t, so the int32 overflow
 * the spec allows wraps instead of being undefined. One output row at a time is
 * accumulated in scratch with the k loop outside the n loop, so the inner loop
 * walks b and the row contiguously. QLinearMatMul then requantizes each element:
 * multiplier a_scale * b_scale / y_scale in the scales' precision, the product
 * with the int32 sum in double, rint (half to even), plus y_zp, saturated.
 *
 * Zero points and scales are per tensor, per row of a ([M] for 2-D a, or a's rank
 * with last dim 1) or per column of b ([N], or b's rank with dim -2 equal to 1);
 * each is indexed by the output coordinates it broadcasts over.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Kernel parameter of input k, NULL when absent (or past the node's count). */
static const char *arg_in(const Emit *e, int k)
{
	return k < e->n->ninputs ? e->in[k] : NULL;
}

typedef struct MM {
	Shape a, b; /* operands, 1-D ones promoted to 2-D */
	Shape full; /* output with the promoted dims kept: [batch..., M, N] */
	int64_t M, K, N;
} MM;

static const DType q8_types[] = {DT_INT8, DT_UINT8, DT_UNDEFINED};

static int mm_shapes(const Graph *g, const Node *n, const Value *a, const Value *b, MM *mm,
                     Shape *out, Diag *d)
{
	char s1[128], s2[128];
	if (a->shape.rank < 1 || b->shape.rank < 1)
		return ir_node_error(d, g, n, "matmul operands must have rank 1 or more");
	mm->a = a->shape;
	mm->b = b->shape;
	if (mm->a.rank == 1)
		mm->a = (Shape){2, {1, a->shape.dims[0]}};
	if (mm->b.rank == 1)
		mm->b = (Shape){2, {b->shape.dims[0], 1}};
	mm->M = mm->a.dims[mm->a.rank - 2];
	mm->K = mm->a.dims[mm->a.rank - 1];
	mm->N = mm->b.dims[mm->b.rank - 1];
	if (mm->b.dims[mm->b.rank - 2] != mm->K)
		return ir_node_error(d, g, n, "shapes %s and %s cannot be multiplied",
		                     shape_str(&a->shape, s1, sizeof s1),
		                     shape_str(&b->shape, s2, sizeof s2));
	Shape ab = mm->a, bb = mm->b, batch;
	ab.rank -= 2;
	bb.rank -= 2;
	if (shape_broadcast(&ab, &bb, &batch) < 0 || batch.rank + 2 > CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "batch dims of %s and %s do not broadcast",
		                     shape_str(&a->shape, s1, sizeof s1),
		                     shape_str(&b->shape, s2, sizeof s2));
	mm->full = batch;
	mm->full.dims[mm->full.rank++] = mm->M;
	mm->full.dims[mm->full.rank++] = mm->N;
	*out = batch;
	if (a->shape.rank > 1)
		out->dims[out->rank++] = mm->M;
	if (b->shape.rank > 1)
		out->dims[out->rank++] = mm->N;
	return 0;
}

/* Normalised shape of a zero point/scale of side 'a' (per row), 'b' (per column)
   or 'y' (either), broadcastable to mm->full; -1 if it is none of those. */
static int param_shape(const MM *mm, const Value *p, char side, Shape *out)
{
	int64_t cnt = ir_numel(p);
	Shape s = p->shape;
	int r = mm->full.rank;
	if (cnt == 1) {
		*out = (Shape){0, {0}};
		return 0;
	}
	if (s.rank == 1) {
		if (side == 'a' && s.dims[0] == mm->M)
			s = (Shape){2, {mm->M, 1}};
		else if (side != 'a' && s.dims[0] == mm->N)
			s = (Shape){1, {mm->N}};
		else
			return -1;
	}
	Shape bc;
	if (s.rank > r || shape_broadcast(&s, &mm->full, &bc) < 0 || !shape_equal(&bc, &mm->full))
		return -1;
	if (side == 'a' && s.dims[s.rank - 1] != 1)
		return -1;
	if (side == 'b' && s.rank >= 2 && s.dims[s.rank - 2] != 1)
		return -1;
	*out = s;
	return 0;
}

static int check_param(const Graph *g, const Node *n, const MM *mm, int k, char side, Diag *d)
{
	const Value *p = op_in(g, n, k);
	Shape s;
	char s1[128];
	if (p && param_shape(mm, p, side, &s) < 0)
		return ir_node_error(
		    d, g, n, "input '%s' has shape %s, expected a scalar or a per-%s shape",
		    p->name, shape_str(&p->shape, s1, sizeof s1), side == 'a' ? "row" : "column");
	return 0;
}

/* Element index of parameter input k for the current output coordinates. */
static const char *param_index(const Emit *e, const MM *mm, int k, char side, char *buf, size_t n)
{
	Shape s;
	param_shape(mm, op_in(e->g, e->n, k), side, &s);
	return cg_bcast_index(&s, &mm->full, "i", buf, n);
}

/* Offset of the batch matrix of operand shape s at the current coordinates. */
static const char *batch_offset(const Shape *s, const MM *mm, char *buf, size_t n)
{
	Shape b = *s;
	char idx[256];
	b.dims[b.rank - 1] = b.dims[b.rank - 2] = 1;
	cg_bcast_index(&b, &mm->full, "i", idx, sizeof idx);
	snprintf(buf, n, "(%s) * %lld", idx,
	         (long long)(s->dims[s->rank - 1] * s->dims[s->rank - 2]));
	return buf;
}

/* ------------------------------------------------------------ the shared loop nest */

/* Writes the loops up to the accumulated row `acc` of N sums for output row i<r-2>;
   `azp`/`bzp` are the input numbers of the zero points (-1: none). The caller writes
   the n loop that stores the row, then closes with cg_close(o, returned count). */
static int emit_rows(Emit *e, const MM *mm, int ai, int bi, int azp, int bzp)
{
	Out *o = e->o;
	int r = mm->full.rank;
	char buf[300], idx[300];
	for (int i = 0; i < r - 1; i++)
		out_line(o, "for (int64_t i%d = 0; i%d < %lld; i%d++) {", i, i,
		         (long long)mm->full.dims[i], i);
	out_line(o, "const %s *ar = %s + %s + i%d * %lld;", cg_ctype(op_in(e->g, e->n, ai)->dtype),
	         arg_in(e, ai), batch_offset(&mm->a, mm, buf, sizeof buf), r - 2, (long long)mm->K);
	out_line(o, "const %s *bm = %s + %s;", cg_ctype(op_in(e->g, e->n, bi)->dtype),
	         arg_in(e, bi), batch_offset(&mm->b, mm, buf, sizeof buf));
	if (azp >= 0)
		out_line(o, "const int32_t az = (int32_t)%s[%s];", arg_in(e, azp),
		         param_index(e, mm, azp, 'a', idx, sizeof idx));
	else
		out_line(o, "const int32_t az = 0;");
	out_line(o, "uint32_t *acc = (uint32_t *)scratch;");
	out_line(o, "for (int64_t i%d = 0; i%d < %lld; i%d++)", r - 1, r - 1, (long long)mm->N,
	         r - 1);
	out_line(o, "\tacc[i%d] = 0;", r - 1);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)mm->K);
	out_line(o, "const int32_t av = (int32_t)ar[k] - az;");
	out_line(o, "const %s *br = bm + k * %lld;", cg_ctype(op_in(e->g, e->n, bi)->dtype),
	         (long long)mm->N);
	out_line(o, "for (int64_t i%d = 0; i%d < %lld; i%d++) {", r - 1, r - 1, (long long)mm->N,
	         r - 1);
	if (bzp >= 0)
		out_line(o, "const int32_t bz = (int32_t)%s[%s];", arg_in(e, bzp),
		         param_index(e, mm, bzp, 'b', idx, sizeof idx));
	out_line(o, "acc[i%d] += (uint32_t)(av * ((int32_t)br[i%d] - %s));", r - 1, r - 1,
	         bzp >= 0 ? "bz" : "0");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (int64_t i%d = 0; i%d < %lld; i%d++) {", r - 1, r - 1, (long long)mm->N,
	         r - 1);
	return r;
}

static int64_t mm_scratch(const Graph *g, const Node *n, int ai, int bi)
{
	MM mm;
	Shape out;
	Diag d;
	diag_init(&d, "");
	if (mm_shapes(g, n, op_in(g, n, ai), op_in(g, n, bi), &mm, &out, &d) < 0)
		return 0;
	return mm.N * (int64_t)sizeof(uint32_t);
}

/* ------------------------------------------------------------ MatMulInteger */

static int mmi_infer(Graph *g, Node *n, Diag *d)
{
	MM mm;
	Shape out;
	if (op_check_arity(g, n, 2, 4, 2, d) < 0 || op_check_dtype(g, n, 0, q8_types, d) < 0 ||
	    op_check_dtype(g, n, 1, q8_types, d) < 0)
		return -1;
	for (int k = 2; k < 4; k++) {
		const Value *z = op_in(g, n, k);
		if (z && z->dtype != op_in(g, n, k - 2)->dtype)
			return ir_node_error(d, g, n, "zero point '%s' is %s, expected %s", z->name,
			                     dtype_name(z->dtype),
			                     dtype_name(op_in(g, n, k - 2)->dtype));
	}
	if (mm_shapes(g, n, op_in(g, n, 0), op_in(g, n, 1), &mm, &out, d) < 0 ||
	    check_param(g, n, &mm, 2, 'a', d) < 0 || check_param(g, n, &mm, 3, 'b', d) < 0)
		return -1;
	op_set_out(g, n, 0, DT_INT32, &out);
	return 0;
}

static int mmi_emit(Emit *e)
{
	MM mm;
	Shape out;
	Diag d;
	diag_init(&d, "");
	if (mm_shapes(e->g, e->n, op_in(e->g, e->n, 0), op_in(e->g, e->n, 1), &mm, &out, &d) < 0)
		return -1;
	out_line(e->o, "int64_t yi = 0;");
	int loops = emit_rows(e, &mm, 0, 1, arg_in(e, 2) ? 2 : -1, arg_in(e, 3) ? 3 : -1);
	out_line(e->o, "y0[yi++] = rt_q_i32(acc[i%d]);", mm.full.rank - 1);
	cg_close(e->o, loops);
	return 0;
}

static int64_t mmi_scratch(const Graph *g, const Node *n)
{
	return mm_scratch(g, n, 0, 1);
}

/* ------------------------------------------------------------ QLinearMatMul */

static int qmm_infer(Graph *g, Node *n, Diag *d)
{
	static const DType s10[] = {DT_FLOAT, DT_UNDEFINED};
	static const DType s21[] = {DT_FLOAT, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};
	MM mm;
	Shape out;
	if (op_check_arity(g, n, 8, 8, 8, d) < 0)
		return -1;
	DType st = op_in(g, n, 1)->dtype;
	for (int k = 0; k < 8; k++) {
		const Value *v = op_in(g, n, k);
		bool scale = k == 1 || k == 4 || k == 6;
		if (op_check_dtype(g, n, k, scale ? (n->opset >= 21 ? s21 : s10) : q8_types, d) < 0)
			return -1;
		if (scale && v->dtype != st)
			return ir_node_error(d, g, n, "scale '%s' is %s, expected %s like a_scale",
			                     v->name, dtype_name(v->dtype), dtype_name(st));
		if ((k == 2 || k == 5) && v->dtype != op_in(g, n, k - 2)->dtype)
			return ir_node_error(d, g, n, "zero point '%s' is %s, expected %s", v->name,
			                     dtype_name(v->dtype),
			                     dtype_name(op_in(g, n, k - 2)->dtype));
	}
	if (mm_shapes(g, n, op_in(g, n, 0), op_in(g, n, 3), &mm, &out, d) < 0)
		return -1;
	if (check_param(g, n, &mm, 1, 'a', d) < 0 || check_param(g, n, &mm, 2, 'a', d) < 0 ||
	    check_param(g, n, &mm, 4, 'b', d) < 0 || check_param(g, n, &mm, 5, 'b', d) < 0 ||
	    check_param(g, n, &mm, 6, 'y', d) < 0 || check_param(g, n, &mm, 7, 'y', d) < 0)
		return -1;
	op_set_out(g, n, 0, op_in(g, n, 7)->dtype, &out);
	return 0;
}

/* expr rounded to the precision of scale type t. */
static const char *rnd(DType t, const char *expr, char *buf, size_t n)
{
	if (t == DT_FLOAT16)
		snprintf(buf, n, "rt_h2f(rt_f2h(%s))", expr);
	else if (t == DT_BFLOAT16)
		snprintf(buf, n, "rt_bf2f(rt_f2bf(%s))", expr);
	else
		snprintf(buf, n, "(float)(%s)", expr);
	return buf;
}

static int qmm_emit(Emit *e)
{
	MM mm;
	Shape out;
	Diag d;
	char idx[300], ref[320], ld[400], r1[100], r2[100];
	diag_init(&d, "");
	if (mm_shapes(e->g, e->n, op_in(e->g, e->n, 0), op_in(e->g, e->n, 3), &mm, &out, &d) < 0)
		return -1;
	DType st = op_in(e->g, e->n, 1)->dtype, yt = op_in(e->g, e->n, 7)->dtype;
	bool per_tensor = true;
	for (int k = 1; k < 8; k++)
		per_tensor &= k == 3 || ir_numel(op_in(e->g, e->n, k)) == 1;
	out_line(e->o, "int64_t yi = 0;");
	int loops = 0;
	if (!per_tensor) /* the multiplier depends on the output coordinates */
		loops = emit_rows(e, &mm, 0, 3, 2, 5);
	static const int sk[3] = {1, 4, 6};
	static const char sside[3] = {'a', 'b', 'y'};
	for (int j = 0; j < 3; j++) {
		snprintf(ref, sizeof ref, "x%d[%s]", sk[j],
		         param_index(e, &mm, sk[j], sside[j], idx, sizeof idx));
		out_line(e->o, "const float s%c = %s;", sside[j], cg_load(st, ref, ld, sizeof ld));
	}
	out_line(e->o, "const float sab = %s;", rnd(st, "sa * sb", r1, sizeof r1));
	out_line(e->o, "const double m = (double)%s;", rnd(st, "sab / sy", r2, sizeof r2));
	out_line(e->o, "const double yz = (double)x7[%s];",
	         param_index(e, &mm, 7, 'y', idx, sizeof idx));
	if (per_tensor)
		loops = emit_rows(e, &mm, 0, 3, 2, 5);
	out_line(e->o,
	         "y0[yi++] = (%s)rt_q_sat(nearbyint((double)rt_q_i32(acc[i%d]) * m) + yz, %d, %d);",
	         cg_ctype(yt), mm.full.rank - 1, yt == DT_INT8 ? -128 : 0,
	         yt == DT_INT8 ? 127 : 255);
	cg_close(e->o, loops);
	return 0;
}

static int64_t qmm_scratch(const Graph *g, const Node *n)
{
	return mm_scratch(g, n, 0, 3);
}

const OpDef opdef_MATMULINTEGER = {mmi_infer, NULL, mmi_emit, mmi_scratch, 0};
const OpDef opdef_QLINEARMATMUL = {qmm_infer, NULL, qmm_emit, qmm_scratch, 0};

/* ------------------------------------------------------------ QGemm (com.microsoft) */

/* ORT's QGemm: Y = alpha * a_scale * b_scale * (sum_k (A - a_zp)(B - b_zp) + C), A and B
   2-D (transA/transB), C int32 broadcastable to [M, N] (its scale a_scale * b_scale, its
   zero point 0). With y_zero_point Y is requantized to its type (multiplier alpha *
   a_scale * b_scale / y_scale in float, ORT's order); without, Y is float (divided by
   y_scale when there is one). b_scale/b_zero_point: per tensor or per column [N]. The
   fold_qdq pass turns the usual case (constant B, per-tensor or per-column parameters,
   C of [N] or one element, quantized Y, transA 0) into QConvGemm; this is the rest. */
typedef struct QG {
	int64_t M, K, N;
	bool ta, tb;
	int cmode; /* C: 0 absent, 1 one element, 2 per column, 3 per row, 4 [M, N] */
} QG;

static int qgemm_shapes(const Graph *g, const Node *n, QG *q, Diag *d)
{
	char s1[128], s2[128];
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 3), *c = op_in(g, n, 6);
	if (a->shape.rank != 2 || b->shape.rank != 2)
		return ir_node_error(d, g, n, "A %s and B %s must be 2-D",
				     shape_str(&a->shape, s1, sizeof s1), shape_str(&b->shape, s2, sizeof s2));
	q->ta = ir_attr_int(n, "transA", 0) != 0;
	q->tb = ir_attr_int(n, "transB", 0) != 0;
	q->M = a->shape.dims[q->ta ? 1 : 0];
	q->K = a->shape.dims[q->ta ? 0 : 1];
	q->N = b->shape.dims[q->tb ? 0 : 1];
	if (b->shape.dims[q->tb ? 1 : 0] != q->K)
		return ir_node_error(d, g, n, "A %s and B %s cannot be multiplied (transA %d, transB %d)",
				     shape_str(&a->shape, s1, sizeof s1), shape_str(&b->shape, s2, sizeof s2),
				     q->ta, q->tb);
	q->cmode = 0;
	if (c) {
		const Shape *s = &c->shape;
		int64_t r0 = s->rank == 2 ? s->dims[0] : 1, c1 = s->rank >= 1 ? s->dims[s->rank - 1] : 1;
		if (s->rank > 2 || (r0 != 1 && r0 != q->M) || (c1 != 1 && c1 != q->N))
			return ir_node_error(d, g, n, "C has shape %s, expected one broadcastable to [%lld,%lld]",
					     shape_str(s, s1, sizeof s1), (long long)q->M, (long long)q->N);
		q->cmode = ir_numel(c) == 1 ? 1 : r0 == 1 ? 2 : c1 == 1 ? 3 : 4;
	}
	return 0;
}

static int qgemm_infer(Graph *g, Node *n, Diag *d)
{
	static const DType f32[] = {DT_FLOAT, DT_UNDEFINED};
	static const DType i32[] = {DT_INT32, DT_UNDEFINED};
	char s1[128];
	QG q;
	if (op_check_arity(g, n, 6, 9, 6, d) < 0 || op_check_dtype(g, n, 0, q8_types, d) < 0 ||
	    op_check_dtype(g, n, 3, q8_types, d) < 0 || op_check_dtype(g, n, 1, f32, d) < 0 ||
	    op_check_dtype(g, n, 4, f32, d) < 0 || (op_in(g, n, 6) && op_check_dtype(g, n, 6, i32, d) < 0) ||
	    (op_in(g, n, 7) && op_check_dtype(g, n, 7, f32, d) < 0) ||
	    (op_in(g, n, 8) && op_check_dtype(g, n, 8, q8_types, d) < 0))
		return -1;
	for (int k = 2; k <= 5; k += 3) {
		const Value *z = op_in(g, n, k);
		if (z->dtype != op_in(g, n, k - 2)->dtype)
			return ir_node_error(d, g, n, "zero point '%s' is %s, expected %s", z->name,
					     dtype_name(z->dtype), dtype_name(op_in(g, n, k - 2)->dtype));
	}
	if (op_in(g, n, 8) && !op_in(g, n, 7))
		return ir_node_error(d, g, n, "has y_zero_point but no y_scale, expected both or neither");
	if (qgemm_shapes(g, n, &q, d) < 0)
		return -1;
	for (int k = 1; k <= 8; k++) {
		const Value *v = op_in(g, n, k);
		if (!v || k == 3 || k == 6)
			continue;
		bool col = k == 4 || k == 5;
		if (ir_numel(v) != 1 && !(col && v->shape.rank == 1 && v->shape.dims[0] == q.N))
			return ir_node_error(d, g, n, "input '%s' has shape %s, expected a scalar%s", v->name,
					     shape_str(&v->shape, s1, sizeof s1), col ? " or [N] (per column)" : "");
	}
	if (ir_numel(op_in(g, n, 4)) != ir_numel(op_in(g, n, 5)))
		return ir_node_error(d, g, n, "b_scale and b_zero_point differ in size (%lld and %lld)",
				     (long long)ir_numel(op_in(g, n, 4)), (long long)ir_numel(op_in(g, n, 5)));
	Shape out = {2, {q.M, q.N}};
	op_set_out(g, n, 0, op_in(g, n, 8) ? op_in(g, n, 8)->dtype : DT_FLOAT, &out);
	return 0;
}

static int qgemm_emit(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	Out *o = e->o;
	QG q;
	Diag d;
	char lit[64];
	diag_init(&d, "");
	if (qgemm_shapes(g, n, &q, &d) < 0)
		return -1;
	const char *bt = cg_ctype(op_in(g, n, 3)->dtype);
	bool percol = ir_numel(op_in(g, n, 4)) > 1, quant = arg_in(e, 8) != NULL;
	DType yt = quant ? op_in(g, n, 8)->dtype : DT_FLOAT;
	int64_t M = q.M, K = q.K, N = q.N;
	out_line(o, "const int32_t az = (int32_t)x2[0];");
	out_line(o, "const float alpha = %s;", cg_lit(DT_FLOAT, (float)ir_attr_float(n, "alpha", 1.0), lit, sizeof lit));
	out_line(o, "const float sa = alpha * x1[0];");
	if (quant) {
		out_line(o, "const int32_t yz = (int32_t)x8[0];");
		out_line(o, "const float lo = (float)(%d - yz), hi = (float)(%d - yz);",
			 yt == DT_INT8 ? -128 : 0, yt == DT_INT8 ? 127 : 255);
	}
	out_line(o, "uint32_t *acc = (uint32_t *)scratch;");
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)M);
	/* a[m][k] at ar[k * as] */
	out_line(o, "const %s *ar = x0 + m * %lld;", cg_ctype(op_in(g, n, 0)->dtype), q.ta ? 1LL : (long long)K);
	const char *as = q.ta ? lit : "1";
	if (q.ta)
		snprintf(lit, sizeof lit, "%lld", (long long)M);
	if (q.tb) { /* b[k][n] at x3[n * K + k]: one dot product per output */
		out_line(o, "for (int64_t n = 0; n < %lld; n++) {", (long long)N);
		out_line(o, "const %s *br = x3 + n * %lld;", bt, (long long)K);
		out_line(o, "const int32_t bz = (int32_t)x5[%s];", percol ? "n" : "0");
		out_line(o, "uint32_t s = 0;");
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", (long long)K);
		out_line(o, "\ts += (uint32_t)(((int32_t)ar[k * %s] - az) * ((int32_t)br[k] - bz));", as);
		out_line(o, "acc[n] = s;");
		out_line(o, "}");
	} else {
		out_line(o, "for (int64_t n = 0; n < %lld; n++)", (long long)N);
		out_line(o, "\tacc[n] = 0;");
		out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)K);
		out_line(o, "const int32_t av = (int32_t)ar[k * %s] - az;", as);
		out_line(o, "const %s *br = x3 + k * %lld;", bt, (long long)N);
		out_line(o, "for (int64_t n = 0; n < %lld; n++)", (long long)N);
		out_line(o, "\tacc[n] += (uint32_t)(av * ((int32_t)br[n] - (int32_t)x5[%s]));",
			 percol ? "n" : "0");
		out_line(o, "}");
	}
	out_line(o, "for (int64_t n = 0; n < %lld; n++) {", (long long)N);
	static const char *const cidx[5] = {NULL, "0", "n", "m", NULL};
	char ci[64];
	snprintf(ci, sizeof ci, "m * %lld + n", (long long)N);
	if (q.cmode)
		out_line(o, "const uint32_t v = acc[n] + (uint32_t)x6[%s];", q.cmode == 4 ? ci : cidx[q.cmode]);
	else
		out_line(o, "const uint32_t v = acc[n];");
	/* ORT: alpha * a_scale * b_scale[n], then / y_scale, each in float */
	out_line(o, "const float mult = sa * x4[%s]%s;", percol ? "n" : "0", arg_in(e, 7) ? " / x7[0]" : "");
	if (quant)
		out_line(o, "y0[m * %lld + n] = (%s)rt_q_requant(v, mult, yz, lo, hi);", (long long)N,
			 cg_ctype(yt));
	else
		out_line(o, "y0[m * %lld + n] = (float)rt_q_i32(v) * mult;", (long long)N);
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

static int64_t qgemm_scratch(const Graph *g, const Node *n)
{
	QG q;
	Diag d;
	diag_init(&d, "");
	if (qgemm_shapes(g, n, &q, &d) < 0)
		return 0;
	return q.N * (int64_t)sizeof(uint32_t);
}

const OpDef opdef_QGEMM = {qgemm_infer, NULL, qgemm_emit, qgemm_scratch, 0};
