/* col2im.c - Col2Im: sum sliding blocks (columns) back into an N-D image.
 *
 * Input [N, C * prod(block), L] holds, for every block position l (row-major over
 * the block grid) and kernel tap k, the value that lands on image position
 * o * stride + k * dilation - pad_begin; overlapping taps add up and taps in the
 * padding are dropped. The kernel zeroes the image, then per (n, c, tap) walks
 * the block grid; the last axis uses compile-time ranges of block positions
 * whose tap lands inside the image (win_range), so the inner loop is
 * `y[j * stride] += x[j]` without bounds tests. image_shape and block_shape must
 * be constant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

typedef struct C2iPlan {
	int64_t n, c;
	Window w; /* in: image extents, k: block, out: block grid */
} C2iPlan;

static int c2i_plan(Graph *g, const Node *n, C2iPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	const int64_t *img, *blk;
	int64_t ni, nb;
	memset(p, 0, sizeof *p);
	if (op_const_ints(g, n, 1, &img, &ni, d) < 0 || op_const_ints(g, n, 2, &blk, &nb, d) < 0)
		return -1;
	if (ni != nb || ni < 1 || ni > CNNC_MAX_RANK - 2)
		return ir_node_error(d, g, n, "image_shape has %lld and block_shape %lld values, "
				     "expected the same number from 1 to %d", (long long)ni,
				     (long long)nb, CNNC_MAX_RANK - 2);
	if (x->shape.rank != 3)
		return ir_node_error(d, g, n, "input has rank %d, expected 3", x->shape.rank);
	int nd = (int)ni;
	if (win_read(g, n, nd, img, blk, &p->w, d) < 0)
		return -1;
	int64_t ksz = 1, L = 1;
	for (int i = 0; i < nd; i++) {
		if (img[i] < 1 || blk[i] < 1)
			return ir_node_error(d, g, n, "image and block extents must be positive");
		p->w.k[i] = blk[i];
		ksz *= blk[i];
	}
	if (win_forward(g, n, &p->w, false, d) < 0)
		return -1;
	for (int i = 0; i < nd; i++)
		L *= p->w.out[i];
	p->n = x->shape.dims[0];
	if (x->shape.dims[1] % ksz != 0 || x->shape.dims[2] != L)
		return ir_node_error(d, g, n, "input has shape [%lld, %lld, %lld], expected [N, C * "
				     "%lld, %lld]", (long long)x->shape.dims[0],
				     (long long)x->shape.dims[1], (long long)x->shape.dims[2],
				     (long long)ksz, (long long)L);
	p->c = x->shape.dims[1] / ksz;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	C2iPlan p;
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || op_check_dtype(g, n, 0, op_numeric_types, d) < 0)
		return -1;
	if (c2i_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {p.w.nd + 2, {p.n, p.c}};
	for (int i = 0; i < p.w.nd; i++)
		s.dims[2 + i] = p.w.in[i];
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

static int emit(Emit *e)
{
	C2iPlan p;
	Diag dg;
	diag_init(&dg, "");
	if (c2i_plan((Graph *)e->g, e->n, &p, &dg) < 0)
		return -1;
	const Window *w = &p.w;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	int L = w->nd - 1;
	int64_t istr[CNNC_MAX_RANK], bstr[CNNC_MAX_RANK], kstr[CNNC_MAX_RANK];
	istr[L] = bstr[L] = kstr[L] = 1;
	for (int i = L - 1; i >= 0; i--) {
		istr[i] = istr[i + 1] * w->in[i + 1];
		bstr[i] = bstr[i + 1] * w->out[i + 1];
		kstr[i] = kstr[i + 1] * w->k[i + 1];
	}
	long long img = istr[0] * w->in[0], nb = bstr[0] * w->out[0], ksz = kstr[0] * w->k[0];
	int64_t *lo = malloc(sizeof(int64_t) * (size_t)w->k[L] * 2);
	if (!lo)
		return -1;
	for (int64_t t = 0; t < w->k[L]; t++)
		win_range(w, L, t, &lo[t], &lo[w->k[L] + t]);
	win_table(e, "lo", lo, w->k[L]);
	win_table(e, "hi", lo + w->k[L], w->k[L]);
	free(lo);
	Out *o = e->o;
	char ld[128], st[256], ex[128];
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) y0[j] = 0;", (long long)(p.n * p.c * img));
	out_line(o, "for (int nc = 0; nc < %lld; nc++) {", (long long)(p.n * p.c));
	out_line(o, "%s *yc = y0 + (ptrdiff_t)nc * %lld;", cg_ctype(dt), img);
	for (int i = 0; i < L; i++)
		out_line(o, "for (int k%d = 0; k%d < %lld; k%d++) {", i, i, (long long)w->k[i], i);
	out_line(o, "for (int kl = 0; kl < %lld; kl++) {", (long long)w->k[L]);
	out_line(o, "const int lo = %s_lo[kl], hi = %s_hi[kl];", e->fn, e->fn);
	out_line(o, "if (lo >= hi) continue;");
	out_line(o, "ptrdiff_t kx = kl;");
	for (int i = 0; i < L; i++)
		out_line(o, "kx += (ptrdiff_t)k%d * %lld;", i, (long long)kstr[i]);
	out_line(o, "const %s *xk = x0 + ((ptrdiff_t)nc * %lld + kx) * %lld;", cg_ctype(dt), ksz, nb);
	for (int i = 0; i < L; i++) {
		out_line(o, "for (int o%d = 0; o%d < %lld; o%d++) {", i, i, (long long)w->out[i], i);
		out_line(o, "const int i%d = o%d * %lld + k%d * %lld - %lld;", i, i,
			 (long long)w->s[i], i, (long long)w->d[i], (long long)w->pb[i]);
		out_line(o, "if (i%d < 0 || i%d >= %lld) continue;", i, i, (long long)w->in[i]);
	}
	out_line(o, "ptrdiff_t xo = lo, yo = (ptrdiff_t)lo * %lld + kl * %lld - %lld;",
		 (long long)w->s[L], (long long)w->d[L], (long long)w->pb[L]);
	for (int i = 0; i < L; i++) {
		out_line(o, "xo += (ptrdiff_t)o%d * %lld;", i, (long long)bstr[i]);
		out_line(o, "yo += (ptrdiff_t)i%d * %lld;", i, (long long)istr[i]);
	}
	char sum[300], ld2[128];
	snprintf(ex, sizeof ex, "yc[yo + (ptrdiff_t)j * %lld]", (long long)w->s[L]);
	cg_load(dt, ex, ld, sizeof ld);
	cg_load(dt, "xk[xo + j]", ld2, sizeof ld2);
	snprintf(sum, sizeof sum, "%s + %s", ld, ld2);
	if (!dtype_info(dt)->is_float && dtype_info(dt)->is_signed)
		snprintf(sum, sizeof sum, "(%s)((uint64_t)yc[yo + (ptrdiff_t)j * %lld] + "
			 "(uint64_t)xk[xo + j])", cg_ctype(dt), (long long)w->s[L]);
	out_line(o, "for (int j = 0; j < hi - lo; j++) yc[yo + (ptrdiff_t)j * %lld] = %s;",
		 (long long)w->s[L], cg_store(dt, sum, st, sizeof st));
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_COL2IM = {infer, NULL, emit, NULL, 0};
