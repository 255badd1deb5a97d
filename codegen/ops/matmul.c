/* matmul.c - MatMul (numpy matmul: batched, broadcasting, 1-D operands) and the
 * matrix multiply loop nest every linear algebra op emits.
 *
 * The loop nest is i-p-j with the innermost loop over a contiguous row of B and
 * of C, which clang and gcc vectorise at -O3 without reassociating sums. B in
 * another layout is packed into scratch first (converted to the arithmetic type,
 * which also takes float16 conversions out of the inner loop), except for a
 * matrix-vector product or a few rows against a transposed B, where a dot
 * product per element reads each operand once. Integer products are computed
 * in unsigned arithmetic so overflow wraps as in ONNX Runtime.
 *
 * MatMul folds a batch of A against one shared B into the row count, so a
 * [batch, seq, hidden] x [hidden, out] product is one large matrix multiply.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

/* ------------------------------------------------------------ the loop nest */

enum { MM_IPJ, MM_IPJ_PACK, MM_DOT };

static bool narrow(DType dt)
{
	return strcmp(cg_ctype(dt), cg_comp(dt)) != 0;
}

static int comp_size(DType dt)
{
	return strcmp(cg_comp(dt), "double") == 0 ? 8 : narrow(dt) ? 4 : dtype_info(dt)->size;
}

static int strategy(const MatMul *mm)
{
	if (mm->n == 1)
		return MM_DOT;
	if (mm->b_cs == 1 && !narrow(mm->dt))
		return MM_IPJ;
	if (mm->b_rs == 1 && mm->m < 4)
		return MM_DOT;
	return MM_IPJ_PACK;
}

int64_t lin_matmul_tmp(const MatMul *mm)
{
	int s = strategy(mm);
	int64_t elems = 0;
	if (s == MM_IPJ_PACK)
		elems += mm->k * mm->n;
	if (s != MM_DOT && narrow(mm->dt))
		elems += mm->n;
	return elems * comp_size(mm->dt);
}

/* "v1 * s1 + v2 * s2" without zero terms and unit factors. */
static const char *idx2(char *buf, size_t n, const char *v1, int64_t s1, const char *v2, int64_t s2)
{
	size_t k = 0;
	buf[0] = 0;
	const char *v[2] = {v1, v2};
	int64_t s[2] = {s1, s2};
	for (int t = 0; t < 2; t++) {
		if (!v[t] || s[t] == 0)
			continue;
		if (s[t] == 1)
			k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? " + " : "", v[t]);
		else
			k += (size_t)snprintf(buf + k, n - k, "%s%s * %lld", k ? " + " : "", v[t],
					      (long long)s[t]);
		if (k >= n)
			k = n - 1;
	}
	if (!k)
		snprintf(buf, n, "0");
	return buf;
}

/* "acc += x * y" in the arithmetic of dt (wrapping for integers). */
static void mac(Out *o, DType dt, const char *acc, const char *x, const char *y)
{
	if (dtype_info(dt)->is_float)
		out_line(o, "%s += %s * %s;", acc, x, y);
	else
		out_line(o, "%s = (%s)((%s)%s + (%s)%s * (%s)%s);", acc, cg_ctype(dt), lin_utype(dt),
			 acc, lin_utype(dt), x, lin_utype(dt), y);
}

/* "alpha * x" for dt, or x when alpha is 1. */
static const char *scaled(DType dt, double alpha, const char *x, char *buf, size_t n)
{
	char lit[64];
	if (alpha == 1)
		snprintf(buf, n, "%s", x);
	else if (dtype_info(dt)->is_float)
		snprintf(buf, n, "%s * %s", cg_lit(dt, alpha, lit, sizeof lit), x);
	else
		snprintf(buf, n, "(%s)((%s)%s * (%s)%s)", cg_ctype(dt), lin_utype(dt),
			 cg_ilit(DT_INT64, (int64_t)alpha, lit, sizeof lit), lin_utype(dt), x);
	return buf;
}

static void emit_dot(Out *o, const MatMul *mm)
{
	DType dt = mm->dt;
	const char *comp = cg_comp(dt);
	bool fl = dtype_info(dt)->is_float;
	char ia[96], ib[96], ic[96], ref[256], la[300], lb[300], ex[400], st[480];
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)mm->m);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)mm->n);
	out_line(o, "%s acc = 0;", fl ? comp : lin_utype(dt));
	out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)mm->k);
	snprintf(ref, sizeof ref, "%s[%s]", mm->a, idx2(ia, sizeof ia, "i", mm->a_rs, "p", mm->a_cs));
	cg_load(dt, ref, la, sizeof la);
	snprintf(ref, sizeof ref, "%s[%s]", mm->b, idx2(ib, sizeof ib, "p", mm->b_rs, "j", mm->b_cs));
	cg_load(dt, ref, lb, sizeof lb);
	if (fl)
		out_line(o, "acc += %s * %s;", la, lb);
	else
		out_line(o, "acc += (%s)%s * (%s)%s;", lin_utype(dt), la, lin_utype(dt), lb);
	out_line(o, "}");
	idx2(ic, sizeof ic, "i", mm->c_rs, "j", 1);
	if (fl) {
		scaled(dt, mm->alpha, "acc", ex, sizeof ex);
		if (mm->accumulate) {
			snprintf(ref, sizeof ref, "%s[%s]", mm->c, ic);
			char cur[300], sum[720];
			snprintf(sum, sizeof sum, "%s + %s", cg_load(dt, ref, cur, sizeof cur), ex);
			out_line(o, "%s[%s] = %s;", mm->c, ic, cg_store(dt, sum, st, sizeof st));
		} else {
			out_line(o, "%s[%s] = %s;", mm->c, ic, cg_store(dt, ex, st, sizeof st));
		}
	} else {
		scaled(dt, mm->alpha, "acc", ex, sizeof ex);
		if (mm->accumulate)
			out_line(o, "%s[%s] = (%s)((%s)%s[%s] + (%s)%s);", mm->c, ic, cg_ctype(dt),
				 lin_utype(dt), mm->c, ic, lin_utype(dt), ex);
		else
			out_line(o, "%s[%s] = (%s)(%s);", mm->c, ic, cg_ctype(dt), ex);
	}
	out_line(o, "}");
	out_line(o, "}");
}

/* Packs B into pb[p * n + j] in the arithmetic type. */
static void emit_pack(Out *o, const MatMul *mm)
{
	char ib[96], ref[256], lb[300];
	out_line(o, "%s *restrict pb = (%s *)%s;", cg_comp(mm->dt), cg_comp(mm->dt), mm->tmp);
	out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)mm->k);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)mm->n);
	snprintf(ref, sizeof ref, "%s[%s]", mm->b, idx2(ib, sizeof ib, "p", mm->b_rs, "j", mm->b_cs));
	out_line(o, "pb[p * %lld + j] = %s;", (long long)mm->n, cg_load(mm->dt, ref, lb, sizeof lb));
	out_line(o, "}");
	out_line(o, "}");
}

static void emit_ipj(Out *o, const MatMul *mm, bool pack)
{
	DType dt = mm->dt;
	const char *comp = cg_comp(dt);
	bool nar = narrow(dt);
	long long n = (long long)mm->n;
	char ia[96], ref[256], la[300], ex[400], st[480];
	out_line(o, "{");
	if (pack)
		emit_pack(o, mm);
	if (nar)
		out_line(o, "%s *restrict row = (%s *)%s + %lld;", comp, comp, mm->tmp,
			 pack ? (long long)(mm->k * mm->n) : 0LL);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)mm->m);
	if (!nar)
		out_line(o, "%s *restrict row = %s + i * %lld;", comp, mm->c, (long long)mm->c_rs);
	if (nar && mm->accumulate) {
		snprintf(ref, sizeof ref, "%s[i * %lld + j]", mm->c, (long long)mm->c_rs);
		out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] = %s;", n,
			 cg_load(dt, ref, la, sizeof la));
	} else if (!mm->accumulate) {
		out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] = 0;", n);
	}
	out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)mm->k);
	snprintf(ref, sizeof ref, "%s[%s]", mm->a, idx2(ia, sizeof ia, "i", mm->a_rs, "p", mm->a_cs));
	cg_load(dt, ref, la, sizeof la);
	out_line(o, "const %s av = %s;", comp, scaled(dt, mm->alpha, la, ex, sizeof ex));
	if (pack)
		out_line(o, "const %s *restrict br = pb + p * %lld;", comp, n);
	else
		out_line(o, "const %s *restrict br = %s + p * %lld;", comp, mm->b, (long long)mm->b_rs);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", n);
	mac(o, dt, "row[j]", "av", "br[j]");
	out_line(o, "}");
	out_line(o, "}");
	if (nar)
		out_line(o, "for (int64_t j = 0; j < %lld; j++) %s[i * %lld + j] = %s;", n, mm->c,
			 (long long)mm->c_rs, cg_store(dt, "row[j]", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
}

void lin_emit_matmul(Out *o, const MatMul *mm)
{
	if (mm->m <= 0 || mm->n <= 0)
		return;
	if (mm->k <= 0 && mm->accumulate)
		return;
	switch (strategy(mm)) {
	case MM_DOT: emit_dot(o, mm); break;
	case MM_IPJ: emit_ipj(o, mm, false); break;
	default: emit_ipj(o, mm, true); break;
	}
}

/* ------------------------------------------------------------ MatMul */

static const DType mm_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT32,
				 DT_INT64, DT_UINT32, DT_UINT64, DT_UNDEFINED};

/* Operand shapes as matrices: a [..., m, k] and b [..., k, n] (1-D ones promoted),
   the broadcast batch shape, and the output shape. */
typedef struct Geometry {
	Shape abatch, bbatch, batch, out;
	int64_t m, n, k;
} Geometry;

static int geometry(const Graph *g, const Node *n, Geometry *gm, Diag *d)
{
	const Shape *a = &op_in(g, n, 0)->shape, *b = &op_in(g, n, 1)->shape;
	char s1[128], s2[128];
	if (a->rank < 1 || b->rank < 1)
		return ir_node_error(d, g, n, "matmul operands must have rank 1 or more, got %s and %s",
				     shape_str(a, s1, sizeof s1), shape_str(b, s2, sizeof s2));
	memset(gm, 0, sizeof *gm);
	gm->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
	gm->k = a->dims[a->rank - 1];
	gm->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
	int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
	if (kb != gm->k)
		return ir_node_error(d, g, n, "matmul shapes %s and %s do not match: %lld != %lld",
				     shape_str(a, s1, sizeof s1), shape_str(b, s2, sizeof s2),
				     (long long)gm->k, (long long)kb);
	gm->abatch.rank = a->rank > 2 ? a->rank - 2 : 0;
	gm->bbatch.rank = b->rank > 2 ? b->rank - 2 : 0;
	memcpy(gm->abatch.dims, a->dims, sizeof(int64_t) * (size_t)gm->abatch.rank);
	memcpy(gm->bbatch.dims, b->dims, sizeof(int64_t) * (size_t)gm->bbatch.rank);
	if (shape_broadcast(&gm->abatch, &gm->bbatch, &gm->batch) < 0)
		return ir_node_error(d, g, n, "matmul batch dimensions of %s and %s do not broadcast",
				     shape_str(a, s1, sizeof s1), shape_str(b, s2, sizeof s2));
	gm->out = gm->batch;
	if (a->rank > 1)
		gm->out.dims[gm->out.rank++] = gm->m;
	if (b->rank > 1)
		gm->out.dims[gm->out.rank++] = gm->n;
	return 0;
}

static int mm_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, mm_types, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	if (op_in(g, n, 1)->dtype != dt)
		return ir_node_error(d, g, n, "input B is %s but A is %s",
				     dtype_name(op_in(g, n, 1)->dtype), dtype_name(dt));
	Geometry gm;
	if (geometry(g, n, &gm, d) < 0)
		return -1;
	op_set_out(g, n, 0, dt, &gm.out);
	return 0;
}

/* Flat index into a batch of shape `in` for the element at flat index i of `full`. */
static int64_t bcast_flat(const Shape *in, const Shape *full, int64_t i)
{
	int64_t off = 0, st = 1;
	for (int d = full->rank - 1; d >= 0; d--) {
		int64_t idx = i % full->dims[d];
		i /= full->dims[d];
		int k = d - (full->rank - in->rank);
		if (k >= 0) {
			if (in->dims[k] != 1)
				off += idx * st;
			st *= in->dims[k];
		}
	}
	return off;
}

static int mm_fold(Graph *g, Node *n, Diag *d)
{
	Geometry gm;
	if (geometry(g, n, &gm, d) < 0)
		return -1;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	DType dt = a->dtype;
	bool fl = dtype_info(dt)->is_float;
	void *y = op_alloc_const(g, n, 0);
	int64_t nb = shape_numel(&gm.batch);
	for (int64_t t = 0; t < nb; t++) {
		int64_t ao = bcast_flat(&gm.abatch, &gm.batch, t) * gm.m * gm.k;
		int64_t bo = bcast_flat(&gm.bbatch, &gm.batch, t) * gm.k * gm.n;
		for (int64_t i = 0; i < gm.m; i++)
			for (int64_t j = 0; j < gm.n; j++) {
				double sf = 0;
				uint64_t si = 0;
				for (int64_t p = 0; p < gm.k; p++) {
					int64_t ia = ao + i * gm.k + p, ib = bo + p * gm.n + j;
					if (fl)
						sf += dtype_get_f64(dt, a->data, ia) * dtype_get_f64(dt, b->data, ib);
					else
						si += (uint64_t)dtype_get_i64(dt, a->data, ia) *
						      (uint64_t)dtype_get_i64(dt, b->data, ib);
				}
				int64_t yo = (t * gm.m + i) * gm.n + j;
				if (fl)
					dtype_set_f64(dt, y, yo, sf);
				else
					dtype_set_i64(dt, y, yo, (int64_t)si);
			}
	}
	return 0;
}

/* The matrix multiply of one batch element (or of all, when B is shared). */
static void describe(const Graph *g, const Node *n, const Geometry *gm, MatMul *mm)
{
	memset(mm, 0, sizeof *mm);
	mm->dt = op_in(g, n, 0)->dtype;
	mm->m = gm->m;
	mm->n = gm->n;
	mm->k = gm->k;
	mm->a_rs = gm->k;
	mm->a_cs = 1;
	mm->b_rs = gm->n;
	mm->b_cs = 1;
	mm->c_rs = gm->n;
	mm->alpha = 1;
	mm->a = "a";
	mm->b = "b";
	mm->c = "c";
	mm->tmp = "scratch";
	if (shape_numel(&gm->bbatch) == 1)
		mm->m *= shape_numel(&gm->abatch);
}

static int64_t mm_scratch(const Graph *g, const Node *n)
{
	Geometry gm;
	Diag d;
	diag_init(&d, NULL);
	if (geometry(g, n, &gm, &d) < 0)
		return 0;
	MatMul mm;
	describe(g, n, &gm, &mm);
	return lin_matmul_tmp(&mm);
}

static int mm_emit(Emit *e)
{
	Geometry gm;
	Diag d;
	diag_init(&d, NULL);
	if (geometry(e->g, e->n, &gm, &d) < 0)
		return -1;
	MatMul mm;
	describe(e->g, e->n, &gm, &mm);
	const char *ct = cg_ctype(mm.dt);
	Out *o = e->o;
	if (shape_numel(&gm.bbatch) == 1) {
		out_line(o, "const %s *restrict a = x0, *restrict b = x1;", ct);
		out_line(o, "%s *restrict c = y0;", ct);
		lin_emit_matmul(o, &mm);
		return 0;
	}
	char ia[256], ib[256];
	out_line(o, "int64_t t = 0;");
	int loops = cg_loops(o, &gm.batch, "t");
	out_line(o, "const %s *restrict a = x0 + (int64_t)(%s) * %lld;", ct,
		 cg_bcast_index(&gm.abatch, &gm.batch, "t", ia, sizeof ia), (long long)(gm.m * gm.k));
	out_line(o, "const %s *restrict b = x1 + (int64_t)(%s) * %lld;", ct,
		 cg_bcast_index(&gm.bbatch, &gm.batch, "t", ib, sizeof ib), (long long)(gm.k * gm.n));
	out_line(o, "%s *restrict c = y0 + t * %lld;", ct, (long long)(gm.m * gm.n));
	lin_emit_matmul(o, &mm);
	out_line(o, "t++;");
	cg_close(o, loops);
	return 0;
}

const OpDef opdef_MATMUL = {mm_infer, mm_fold, mm_emit, mm_scratch, 0};
