/* gemm_packed.c - FusedGemm: Y[M,N] = act(A[M,K] * B + bias) with B constant and
 * packed at compile time, the fast path of fully connected layers and of the
 * weight MatMuls of transformers and keyword spotters.
 *
 * B is stored as column panels of NR = 2 vectors: [N/NR][K][NR] (the last panel
 * zero-padded), so the inner loop loads two weight vectors per k and broadcasts
 * one A value into MR rows of accumulators held in registers (AVX-512: 14 x 2).
 * A single row (batch-1 inference, a matrix-vector product that only streams B)
 * splits K four ways instead, so eight independent accumulator chains hide the
 * FMA latency. Columns past N are computed but never stored. With vl == 0
 * (target generic) the same structure is written with plain arrays.
 *
 * Attributes (set by passes/fuse_gemm.c): dims [M, K, N], vl, act, alpha, beta.
 * Inputs: A (dense [..., K] rows), packed B, bias [N padded].
 */
#include <stdio.h>

#include "conv_blocked.h"
#include "gemm_packed.h"

static int64_t rup(int64_t x, int64_t m)
{
	return (x + m - 1) / m * m;
}

int64_t gp_panel(int64_t vl)
{
	return vl ? 2 * vl : 8;
}

float *gp_pack(Arena *a, const float *b, int64_t k, int64_t n, bool trans, double alpha,
	       int64_t vl, int64_t *count)
{
	int64_t nr = gp_panel(vl), np = rup(n, nr);
	*count = np * k;
	float *out = arena_alloc(a, (size_t)*count * sizeof(float));
	if (!out)
		return NULL;
	for (int64_t j = 0; j < n; j++)
		for (int64_t i = 0; i < k; i++) {
			float v = trans ? b[j * k + i] : b[i * n + j];
			out[((j / nr) * k + i) * nr + j % nr] = (float)(v * alpha);
		}
	return out;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *y = op_outv(g, n, 0);
	if (!y || !y->typed)
		return ir_node_error(d, g, n, "internal: FusedGemm output is untyped");
	return 0;
}

typedef struct Gp {
	int64_t m, k, n, vl, nr;
	int act;
	double alpha, beta;
	const char *vt;
} Gp;

/* Stores the accumulators of `rows` rows x nr columns (a<r>_<v>, or arrays a[r][c])
   at row i, panel p, keeping columns < N, then applies the activation. */
static void store(Out *o, const Gp *g, int rows, bool vec, bool tail)
{
	for (int r = 0; r < rows; r++) {
		out_line(o, "{ float *yr = y0 + (int64_t)(i + %d) * %lld + p * %lld;", r, (long long)g->n,
			 (long long)g->nr);
		if (vec) /* the activation on the accumulators, in vector registers */
			for (int v = 0; v < 2; v++) {
				char acc[32];
				snprintf(acc, sizeof acc, "a%d_%d", r, v);
				cb_emit_vact(o, g->act, g->alpha, g->beta, g->vt, acc);
			}
		if (vec && !tail) {
			for (int v = 0; v < 2; v++)
				out_line(o, "*(%su *)(yr + %lld) = a%d_%d;", g->vt, (long long)(v * g->vl), r, v);
		} else if (vec) {
			out_line(o, "float t[%lld];", (long long)g->nr);
			for (int v = 0; v < 2; v++)
				out_line(o, "*(%su *)(t + %lld) = a%d_%d;", g->vt, (long long)(v * g->vl), r, v);
			out_line(o, "for (int c = 0; c < %lld; c++) yr[c] = t[c];", (long long)(g->n % g->nr));
		} else {
			out_line(o, "for (int c = 0; c < %lld; c++) yr[c] = a[%d][c];",
				 (long long)(tail ? g->n % g->nr : g->nr), r);
		}
		if (g->act != ACT_NONE && !vec) {
			out_line(o, "for (int c = 0; c < %lld; c++) {", (long long)(tail ? g->n % g->nr : g->nr));
			cb_emit_act(o, g->act, g->alpha, g->beta, "yr[c]");
			out_line(o, "}");
		}
		out_line(o, "}");
	}
}

/* MR rows at row i of panel p: accumulate over K, then store. */
static void rows_kernel(Out *o, const Gp *g, int rows, bool tail)
{
	bool vec = g->vl > 0;
	out_line(o, "{");
	out_line(o, "const float *bp = x1 + p * %lld;", (long long)(g->k * g->nr));
	if (vec) {
		for (int r = 0; r < rows; r++)
			for (int v = 0; v < 2; v++)
				out_line(o, "%s a%d_%d = *(const %su *)(x2 + p * %lld + %lld);", g->vt, r, v, g->vt,
					 (long long)g->nr, (long long)(v * g->vl));
	} else {
		out_line(o, "float a[%d][%lld];", rows, (long long)g->nr);
		out_line(o, "for (int r = 0; r < %d; r++)", rows);
		out_line(o, "\tfor (int c = 0; c < %lld; c++) a[r][c] = x2[p * %lld + c];", (long long)g->nr,
			 (long long)g->nr);
	}
	out_line(o, "const float *ar = x0 + (int64_t)i * %lld;", (long long)g->k);
	out_line(o, "for (int k = 0; k < %lld; k++) {", (long long)g->k);
	if (vec) {
		out_line(o, "const %s w0 = *(const %su *)(bp + k * %lld), w1 = *(const %su *)(bp + k * %lld + %lld);",
			 g->vt, g->vt, (long long)g->nr, g->vt, (long long)g->nr, (long long)g->vl);
		for (int r = 0; r < rows; r++)
			out_line(o, "{ const float s = ar[%lld + k]; a%d_0 += s * w0; a%d_1 += s * w1; }",
				 (long long)(r * g->k), r, r);
	} else {
		out_line(o, "const float *w = bp + k * %lld;", (long long)g->nr);
		for (int r = 0; r < rows; r++)
			out_line(o, "{ const float s = ar[%lld + k]; for (int c = 0; c < %lld; c++) a[%d][c] += s * w[c]; }",
				 (long long)(r * g->k), (long long)g->nr, r);
	}
	out_line(o, "}");
	store(o, g, rows, vec, tail);
	out_line(o, "}");
}

/* One row, K split four ways into independent chains (matrix-vector products). */
static void gemv_kernel(Out *o, const Gp *g, bool tail)
{
	int64_t k4 = g->k / 4 * 4;
	out_line(o, "{");
	out_line(o, "const float *bp = x1 + p * %lld;", (long long)(g->k * g->nr));
	out_line(o, "const float *ar = x0 + (int64_t)i * %lld;", (long long)g->k);
	if (g->vl) {
		for (int s = 0; s < 4; s++)
			out_line(o, "%s s%d_0 = {0}, s%d_1 = {0};", g->vt, s, s);
		out_line(o, "for (int k = 0; k < %lld; k += 4) {", (long long)k4);
		for (int s = 0; s < 4; s++)
			out_line(o, "{ const float x = ar[k + %d]; s%d_0 += x * *(const %su *)(bp + (k + %d) * %lld); "
				    "s%d_1 += x * *(const %su *)(bp + (k + %d) * %lld + %lld); }",
				 s, s, g->vt, s, (long long)g->nr, s, g->vt, s, (long long)g->nr, (long long)g->vl);
		out_line(o, "}");
		out_line(o, "for (int k = %lld; k < %lld; k++) {", (long long)k4, (long long)g->k);
		out_line(o, "const float x = ar[k]; s0_0 += x * *(const %su *)(bp + k * %lld); "
			    "s0_1 += x * *(const %su *)(bp + k * %lld + %lld);",
			 g->vt, (long long)g->nr, g->vt, (long long)g->nr, (long long)g->vl);
		out_line(o, "}");
		for (int v = 0; v < 2; v++)
			out_line(o, "%s a0_%d = s0_%d + s1_%d + s2_%d + s3_%d + *(const %su *)(x2 + p * %lld + %lld);",
				 g->vt, v, v, v, v, v, g->vt, (long long)g->nr, (long long)(v * g->vl));
	} else {
		out_line(o, "float a[1][%lld];", (long long)g->nr);
		out_line(o, "for (int c = 0; c < %lld; c++) a[0][c] = x2[p * %lld + c];", (long long)g->nr,
			 (long long)g->nr);
		out_line(o, "for (int k = 0; k < %lld; k++)", (long long)g->k);
		out_line(o, "\tfor (int c = 0; c < %lld; c++) a[0][c] += ar[k] * bp[k * %lld + c];",
			 (long long)g->nr, (long long)g->nr);
	}
	store(o, g, 1, g->vl > 0, tail);
	out_line(o, "}");
}

static const char *vtype(int64_t vl)
{
	return vl == 16 ? "rt_v16" : vl == 8 ? "rt_v8" : vl == 4 ? "rt_v4" : NULL;
}

static int emit(Emit *e)
{
	const int64_t *dims;
	if (ir_attr_ints(e->n, "dims", &dims) != 3)
		return -1;
	Gp g = {dims[0], dims[1], dims[2], ir_attr_int(e->n, "vl", 0), 0,
		(int)ir_attr_int(e->n, "act", ACT_NONE), ir_attr_float(e->n, "alpha", 0),
		ir_attr_float(e->n, "beta", 0), NULL};
	g.nr = gp_panel(g.vl);
	g.vt = vtype(g.vl);
	Out *o = e->o;
	int mr = g.vl == 16 ? 14 : g.vl == 8 ? 6 : g.vl == 4 ? 12 : 4;
	int64_t full = g.n / g.nr, mfull = g.m / mr * mr, mrest = g.m - mfull;
	bool gemv = g.m < 4;
	out_comment(o, "%lld x %lld x %lld matrix product, B packed in panels of %lld", (long long)g.m,
		    (long long)g.k, (long long)g.n, (long long)g.nr);
	for (int pass = 0; pass < 2; pass++) { /* full panels, then the tail panel */
		bool tail = pass == 1;
		if ((!tail && !full) || (tail && g.n % g.nr == 0))
			continue;
		if (tail)
			out_line(o, "{ const int64_t p = %lld;", (long long)full);
		else
			out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)full);
		if (gemv) {
			out_line(o, "for (int i = 0; i < %lld; i++)", (long long)g.m);
			gemv_kernel(o, &g, tail);
		} else {
			if (mfull) {
				out_line(o, "for (int i = 0; i < %lld; i += %d)", (long long)mfull, mr);
				rows_kernel(o, &g, mr, tail);
			}
			if (mrest) {
				out_line(o, "{ const int i = %lld;", (long long)mfull);
				rows_kernel(o, &g, (int)mrest, tail);
				out_line(o, "}");
			}
		}
		out_line(o, "}");
	}
	return 0;
}

const OpDef opdef_FUSEDGEMM = {infer, NULL, emit, NULL, 0};
