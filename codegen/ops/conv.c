/* conv.c - Conv: N-dimensional grouped convolution in NCHW order (1D, 2D, 3D, ...).
 *
 * The kernel is a direct convolution organised around one output row (the last
 * spatial axis) at a time: for a block of up to CONV_MB output channels it keeps
 * an accumulator row per channel, and for every input channel and kernel tap adds
 * w * x[row] over the output positions where that tap lands inside the input.
 * Those positions are a contiguous range per tap, computed at compile time into
 * tables (win_range), so the innermost loop has no bounds tests and is a plain
 * `a[j] += w * x[j]` (stride-1) that clang and gcc vectorise; padding costs
 * nothing. Outer spatial axes test the tap's input row once per row. A 1x1 kernel
 * with unit strides and no padding is a 1D problem over the flattened image.
 *
 * conv_plan() derives everything from the node, conv_emit_direct() writes the
 * loop nest for a plan; a later layout/tiling pass can choose another emitter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define CONV_MB 8      /* output channels accumulated together */
#define CONV_TILE 512  /* longest accumulator row; longer rows are tiled */

typedef struct ConvPlan {
	DType dt;
	int64_t n, c, m, g; /* batch, input channels, output channels, groups */
	bool bias;
	Window w;
} ConvPlan;

static int conv_plan(Graph *g, const Node *n, ConvPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *b = op_in(g, n, 2);
	memset(p, 0, sizeof *p);
	p->dt = x->dtype;
	if (x->shape.rank < 3)
		return ir_node_error(d, g, n, "input X has rank %d, expected at least 3",
				     x->shape.rank);
	if (w->shape.rank != x->shape.rank)
		return ir_node_error(d, g, n, "weight W has rank %d, expected %d (the rank of X)",
				     w->shape.rank, x->shape.rank);
	if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
		return ir_node_error(d, g, n, "inputs have different element types");
	p->n = x->shape.dims[0];
	p->c = x->shape.dims[1];
	p->m = w->shape.dims[0];
	p->g = ir_attr_int(n, "group", 1);
	if (p->g < 1 || p->c % p->g != 0 || p->m % p->g != 0)
		return ir_node_error(d, g, n, "group %lld does not divide %lld input and %lld "
				     "output channels", (long long)p->g, (long long)p->c,
				     (long long)p->m);
	if (w->shape.dims[1] * p->g != p->c)
		return ir_node_error(d, g, n, "weight W has %lld input channels per group, expected "
				     "%lld", (long long)w->shape.dims[1], (long long)(p->c / p->g));
	int nd = x->shape.rank - 2;
	if (win_read(g, n, nd, x->shape.dims + 2, w->shape.dims + 2, &p->w, d) < 0)
		return -1;
	for (int i = 0; i < nd; i++)
		if (p->w.k[i] != w->shape.dims[2 + i])
			return ir_node_error(d, g, n, "kernel_shape[%d] is %lld but W has %lld", i,
					     (long long)p->w.k[i], (long long)w->shape.dims[2 + i]);
	if (b && (b->shape.rank != 1 || b->shape.dims[0] != p->m))
		return ir_node_error(d, g, n, "bias B must have shape [%lld]", (long long)p->m);
	p->bias = b != NULL;
	return win_forward(g, n, &p->w, false, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	ConvPlan p;
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	if (conv_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {p.w.nd + 2, {p.n, p.m}};
	for (int i = 0; i < p.w.nd; i++)
		s.dims[2 + i] = p.w.out[i];
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* A 1x1 kernel with unit strides and no padding maps the flattened image onto
   itself: make it one spatial axis so rows are as long as possible. */
static void flatten_pointwise(Window *w)
{
	int64_t len = 1;
	for (int i = 0; i < w->nd; i++) {
		if (w->k[i] != 1 || w->s[i] != 1 || w->pb[i] || w->pe[i])
			return;
		len *= w->in[i];
	}
	memset(w, 0, sizeof *w);
	w->nd = 1;
	w->in[0] = w->out[0] = len;
	w->k[0] = w->s[0] = w->d[0] = 1;
}

/* Emits the per-tap output ranges of the last axis as tables <fn>_lo, <fn>_hi. */
static int range_tables(Emit *e, const Window *w)
{
	int L = w->nd - 1;
	int64_t *lo = malloc(sizeof(int64_t) * (size_t)w->k[L] * 2);
	if (!lo)
		return -1;
	int64_t *hi = lo + w->k[L];
	for (int64_t t = 0; t < w->k[L]; t++)
		win_range(w, L, t, &lo[t], &hi[t]);
	win_table(e, "lo", lo, w->k[L]);
	win_table(e, "hi", hi, w->k[L]);
	free(lo);
	return 0;
}

/* Opens the loops over the outer spatial axes' taps for output row o0..: k<i> and
   the input row i<i>, skipping taps that fall in the padding. */
static void open_outer_taps(Out *o, const Window *w)
{
	for (int i = 0; i < w->nd - 1; i++) {
		out_line(o, "for (int k%d = 0; k%d < %lld; k%d++) {", i, i, (long long)w->k[i], i);
		out_line(o, "const int i%d = o%d * %lld + k%d * %lld - %lld;", i, i,
			 (long long)w->s[i], i, (long long)w->d[i], (long long)w->pb[i]);
		out_line(o, "if (i%d < 0 || i%d >= %lld) continue;", i, i, (long long)w->in[i]);
	}
}

/* "0 + (ptrdiff_t)<v>0 * s0 + ..." over the outer axes. */
static void outer_offset(char *buf, size_t n, const char *v, const Window *w, const int64_t *str)
{
	size_t k = (size_t)snprintf(buf, n, "0");
	for (int i = 0; i < w->nd - 1 && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, " + (ptrdiff_t)%s%d * %lld", v, i,
				      (long long)str[i]);
}

/* Writes the body of the direct convolution for plan p. */
static int conv_emit_direct(Emit *e, const ConvPlan *p)
{
	Out *o = e->o;
	Window w = p->w;
	flatten_pointwise(&w);
	int L = w.nd - 1;
	const char *at = cg_comp(p->dt);
	char ex[128], ld[160], st[160], ioff[512], ooff[512], koff[512];
	int64_t istr[CNNC_MAX_RANK], ostr[CNNC_MAX_RANK], kstr[CNNC_MAX_RANK];
	istr[L] = ostr[L] = kstr[L] = 1;
	for (int i = L - 1; i >= 0; i--) {
		istr[i] = istr[i + 1] * w.in[i + 1];
		ostr[i] = ostr[i + 1] * w.out[i + 1];
		kstr[i] = kstr[i + 1] * w.k[i + 1];
	}
	long long insp = istr[0] * w.in[0], outsp = ostr[0] * w.out[0], ksz = kstr[0] * w.k[0];
	long long cg = p->c / p->g, mg = p->m / p->g, sl = w.s[L];
	long long mb = mg < CONV_MB ? mg : CONV_MB;
	long long ol = w.out[L], tile = ol <= CONV_TILE ? ol : CONV_TILE / 2;
	if (range_tables(e, &w) < 0)
		return -1;
	outer_offset(ioff, sizeof ioff, "i", &w, istr);
	outer_offset(ooff, sizeof ooff, "o", &w, ostr);
	outer_offset(koff, sizeof koff, "k", &w, kstr);

	out_line(o, "%s acc[%lld][%lld];", at, mb, tile);
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p->n);
	out_line(o, "for (int g = 0; g < %lld; g++) {", (long long)p->g);
	for (int i = 0; i < L; i++)
		out_line(o, "for (int o%d = 0; o%d < %lld; o%d++) {", i, i, (long long)w.out[i], i);
	out_line(o, "for (int t0 = 0; t0 < %lld; t0 += %lld) {", ol, tile);
	if (tile < ol)
		out_line(o, "const int t1 = t0 + %lld < %lld ? t0 + %lld : %lld;", tile, ol, tile, ol);
	else
		out_line(o, "const int t1 = %lld;", ol);
	out_line(o, "for (int mb = 0; mb < %lld; mb += %lld) {", mg, mb);
	if (mg % mb)
		out_line(o, "const int mc = %lld - mb < %lld ? %lld - mb : %lld;", mg, mb, mg, mb);
	else
		out_line(o, "const int mc = %lld;", mb);
	/* accumulators start at the bias */
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	if (p->bias) {
		snprintf(ex, sizeof ex, "x2[g * %lld + mb + mm]", mg);
		out_line(o, "const %s b = %s;", at, cg_load(p->dt, ex, ld, sizeof ld));
	}
	out_line(o, "for (int j = 0; j < t1 - t0; j++) acc[mm][j] = %s;", p->bias ? "b" : "0");
	out_line(o, "}");
	/* accumulate over input channels and taps */
	out_line(o, "for (int c = 0; c < %lld; c++) {", cg);
	out_line(o, "const %s *xc = x0 + ((ptrdiff_t)n * %lld + g * %lld + c) * %lld;",
		 cg_ctype(p->dt), (long long)p->c, cg, insp);
	out_line(o, "const %s *wc = x1 + ((ptrdiff_t)(g * %lld + mb) * %lld + c) * %lld;",
		 cg_ctype(p->dt), mg, cg, ksz);
	open_outer_taps(o, &w);
	out_line(o, "const %s *xr = xc + %s;", cg_ctype(p->dt), ioff);
	out_line(o, "const %s *wr = wc + %s;", cg_ctype(p->dt), koff);
	out_line(o, "for (int kl = 0; kl < %lld; kl++) {", (long long)w.k[L]);
	out_line(o, "const int lo = %s_lo[kl] > t0 ? %s_lo[kl] : t0;", e->fn, e->fn);
	out_line(o, "const int hi = %s_hi[kl] < t1 ? %s_hi[kl] : t1;", e->fn, e->fn);
	out_line(o, "if (lo >= hi) continue;");
	out_line(o, "const %s *xp = xr + (ptrdiff_t)lo * %lld + kl * %lld - %lld;", cg_ctype(p->dt),
		 sl, (long long)w.d[L], (long long)w.pb[L]);
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	snprintf(ex, sizeof ex, "wr[(ptrdiff_t)mm * %lld + kl]", cg * ksz);
	out_line(o, "const %s wv = %s;", at, cg_load(p->dt, ex, ld, sizeof ld));
	out_line(o, "%s *a = acc[mm] + (lo - t0);", at);
	if (sl == 1)
		snprintf(ex, sizeof ex, "xp[j]");
	else
		snprintf(ex, sizeof ex, "xp[(ptrdiff_t)j * %lld]", sl);
	out_line(o, "for (int j = 0; j < hi - lo; j++) a[j] += wv * %s;",
		 cg_load(p->dt, ex, ld, sizeof ld));
	out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	/* store the finished rows */
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	out_line(o, "%s *yr = y0 + ((ptrdiff_t)n * %lld + g * %lld + mb + mm) * %lld + %s + t0;",
		 cg_ctype(p->dt), (long long)p->m, mg, outsp, ooff);
	out_line(o, "for (int j = 0; j < t1 - t0; j++) yr[j] = %s;",
		 cg_store(p->dt, "acc[mm][j]", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

static int emit(Emit *e)
{
	ConvPlan p;
	Diag d;
	diag_init(&d, "");
	if (conv_plan((Graph *)e->g, e->n, &p, &d) < 0)
		return -1;
	return conv_emit_direct(e, &p);
}

const OpDef opdef_CONV = {infer, NULL, emit, NULL, 0};
