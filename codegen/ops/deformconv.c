/* deformconv.c - DeformConv (opsets 19, 22), 2-D: convolution whose kernel taps
 * sample the input at learned fractional offsets, optionally scaled by a mask.
 *
 * Tap (kh, kw) of output (oh, ow) reads X at (oh * sh - ph + kh * dh + dy,
 * ow * sw - pw + kw * dw + dx) by bilinear interpolation, with zero outside the
 * input (as the reference's GridSample with align_corners=1 and zero padding).
 * The offsets belong to an offset group of input channels, so the kernel
 * computes each sample's corners and weights once per (position, offset group,
 * tap) and reuses them for every channel of the group; each sampled value then
 * feeds the output channels of its convolution group. The op is rare and
 * offset-bound, so this direct form is not tiled. Only 2-D data is supported
 * (the reference implements no other); other ranks are rejected.
 */
#include <stdio.h>
#include <string.h>

#include "window.h"

typedef struct DcPlan {
	DType dt;
	int64_t n, c, m, g, og;
	bool bias, mask;
	Window w;
} DcPlan;

static int dc_plan(Graph *g, const Node *n, DcPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *off = op_in(g, n, 2);
	const Value *b = op_in(g, n, 3), *mk = op_in(g, n, 4);
	memset(p, 0, sizeof *p);
	if (x->shape.rank != 4)
		return ir_node_error(d, g, n, "input X has rank %d, only 2-D data (rank 4) is "
				     "supported", x->shape.rank);
	if (w->shape.rank != 4 || off->shape.rank != 4)
		return ir_node_error(d, g, n, "W and offset must have rank 4");
	p->dt = x->dtype;
	p->n = x->shape.dims[0], p->c = x->shape.dims[1], p->m = w->shape.dims[0];
	p->g = ir_attr_int(n, "group", 1);
	p->og = ir_attr_int(n, "offset_group", 1);
	if (p->g < 1 || p->c % p->g || p->m % p->g || w->shape.dims[1] * p->g != p->c)
		return ir_node_error(d, g, n, "group %lld does not fit %lld input channels, W [%lld, "
				     "%lld, ...]", (long long)p->g, (long long)p->c,
				     (long long)w->shape.dims[0], (long long)w->shape.dims[1]);
	if (p->og < 1 || p->c % p->og)
		return ir_node_error(d, g, n, "offset_group %lld does not divide %lld channels",
				     (long long)p->og, (long long)p->c);
	if (win_read(g, n, 2, x->shape.dims + 2, w->shape.dims + 2, &p->w, d) < 0 ||
	    win_forward(g, n, &p->w, false, d) < 0)
		return -1;
	int64_t taps = p->w.k[0] * p->w.k[1];
	if (p->w.k[0] != w->shape.dims[2] || p->w.k[1] != w->shape.dims[3])
		return ir_node_error(d, g, n, "kernel_shape does not match W");
	if (off->shape.dims[0] != p->n || off->shape.dims[1] != p->og * taps * 2 ||
	    off->shape.dims[2] != p->w.out[0] || off->shape.dims[3] != p->w.out[1])
		return ir_node_error(d, g, n, "offset must have shape [%lld, %lld, %lld, %lld]",
				     (long long)p->n, (long long)(p->og * taps * 2),
				     (long long)p->w.out[0], (long long)p->w.out[1]);
	if (b && (b->shape.rank != 1 || b->shape.dims[0] != p->m))
		return ir_node_error(d, g, n, "bias B must have shape [%lld]", (long long)p->m);
	if (mk && (mk->shape.rank != 4 || mk->shape.dims[0] != p->n ||
		   mk->shape.dims[1] != p->og * taps || mk->shape.dims[2] != p->w.out[0] ||
		   mk->shape.dims[3] != p->w.out[1]))
		return ir_node_error(d, g, n, "mask must have shape [%lld, %lld, %lld, %lld]",
				     (long long)p->n, (long long)(p->og * taps),
				     (long long)p->w.out[0], (long long)p->w.out[1]);
	for (int k = 1; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && v->dtype != x->dtype)
			return ir_node_error(d, g, n, "inputs have different element types");
	}
	p->bias = b != NULL;
	p->mask = mk != NULL;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	DcPlan p;
	if (op_check_arity(g, n, 3, 5, 3, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0 ||
	    dc_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {4, {p.n, p.m, p.w.out[0], p.w.out[1]}};
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* Corners and weights of the sample of tap (kh, kw) at output (oh, ow). */
static void emit_corners(Out *o, const DcPlan *p, const char *at, const char *ct)
{
	const Window *w = &p->w;
	bool dbl = strcmp(at, "double") == 0;
	char ld[2][128];
	long long opl = w->out[0] * w->out[1], taps = w->k[0] * w->k[1];
	out_line(o, "const %s *op = x2 + (((ptrdiff_t)n * %lld + og) * %lld + k * 2) * %lld + pos;",
		 ct, (long long)p->og, taps * 2, opl);
	out_line(o, "const %s h = (%s)(oh * %lld - %lld + kh * %lld) + %s;", at, at,
		 (long long)w->s[0], (long long)w->pb[0], (long long)w->d[0],
		 cg_load(p->dt, "op[0]", ld[0], sizeof ld[0]));
	char ex[64];
	snprintf(ex, sizeof ex, "op[%lld]", opl);
	out_line(o, "const %s x = (%s)(ow * %lld - %lld + kw * %lld) + %s;", at, at,
		 (long long)w->s[1], (long long)w->pb[1], (long long)w->d[1],
		 cg_load(p->dt, ex, ld[1], sizeof ld[1]));
	if (p->mask) {
		snprintf(ex, sizeof ex, "x4[(((ptrdiff_t)n * %lld + og) * %lld + k) * %lld + pos]",
			 (long long)p->og, taps, opl);
		out_line(o, "const %s mk = %s;", at, cg_load(p->dt, ex, ld[0], sizeof ld[0]));
	} else {
		out_line(o, "const %s mk = 1;", at);
	}
	/* NaN or far-away samples read nothing */
	out_line(o, "const %s hc = (%s)rt_tame(h, -2.0, %lld.0), xc = (%s)rt_tame(x, -2.0, %lld.0);",
		 at, at, (long long)w->in[0] + 1, at, (long long)w->in[1] + 1);
	out_line(o, "const %s h0 = %s(hc), x0f = %s(xc);", at, dbl ? "floor" : "floorf",
		 dbl ? "floor" : "floorf");
	out_line(o, "const int hi = (int)h0, wi = (int)x0f;");
	out_line(o, "const %s lh = hc - h0, lw = xc - x0f;", at);
	out_line(o, "ptrdiff_t q[4];");
	out_line(o, "%s cw[4];", at);
	for (int t = 0; t < 4; t++) {
		int dy = t / 2, dx = t % 2;
		out_line(o, "{");
		out_line(o, "const int yy = hi + %d, xx = wi + %d;", dy, dx);
		out_line(o, "const int ok = h == h && x == x && yy >= 0 && yy < %lld && xx >= 0 && "
			 "xx < %lld;", (long long)w->in[0], (long long)w->in[1]);
		out_line(o, "q[%d] = ok ? (ptrdiff_t)yy * %lld + xx : 0;", t, (long long)w->in[1]);
		out_line(o, "cw[%d] = ok ? mk * %s * %s : 0;", t, dy ? "lh" : "(1 - lh)",
			 dx ? "lw" : "(1 - lw)");
		out_line(o, "}");
	}
}

static int emit(Emit *e)
{
	DcPlan p;
	Diag dg;
	diag_init(&dg, "");
	if (dc_plan((Graph *)e->g, e->n, &p, &dg) < 0)
		return -1;
	const Window *w = &p.w;
	Out *o = e->o;
	DType dt = p.dt;
	const char *at = cg_comp(dt), *ct = cg_ctype(dt);
	long long opl = w->out[0] * w->out[1], plane = w->in[0] * w->in[1];
	long long taps = w->k[0] * w->k[1], cg = p.c / p.g, mg = p.m / p.g, cog = p.c / p.og;
	char ld[4][128], st[256], ex[128];
	/* accumulate into scratch in the arithmetic type, then store */
	out_line(o, "%s *acc = (%s *)scratch;", at, at);
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p.n);
	out_line(o, "for (int m = 0; m < %lld; m++) {", (long long)p.m);
	if (p.bias)
		out_line(o, "const %s b = %s;", at, cg_load(dt, "x3[m]", ld[0], sizeof ld[0]));
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) acc[(ptrdiff_t)m * %lld + j] = %s;", opl,
		 opl, p.bias ? "b" : "0");
	out_line(o, "}");
	out_line(o, "for (int oh = 0; oh < %lld; oh++) {", (long long)w->out[0]);
	out_line(o, "for (int ow = 0; ow < %lld; ow++) {", (long long)w->out[1]);
	out_line(o, "const ptrdiff_t pos = (ptrdiff_t)oh * %lld + ow;", (long long)w->out[1]);
	out_line(o, "for (int og = 0; og < %lld; og++) {", (long long)p.og);
	out_line(o, "for (int kh = 0; kh < %lld; kh++) {", (long long)w->k[0]);
	out_line(o, "for (int kw = 0; kw < %lld; kw++) {", (long long)w->k[1]);
	out_line(o, "const int k = kh * %lld + kw;", (long long)w->k[1]);
	emit_corners(o, &p, at, ct);
	out_line(o, "for (int c = og * %lld; c < (og + 1) * %lld; c++) {", cog, cog);
	out_line(o, "const %s *xc = x0 + ((ptrdiff_t)n * %lld + c) * %lld;", ct, (long long)p.c,
		 plane);
	for (int t = 0; t < 4; t++) {
		snprintf(ex, sizeof ex, "xc[q[%d]]", t);
		cg_load(dt, ex, ld[t], sizeof ld[t]);
	}
	out_line(o, "const %s v = cw[0] * %s + cw[1] * %s + cw[2] * %s + cw[3] * %s;", at, ld[0],
		 ld[1], ld[2], ld[3]);
	out_line(o, "const int g = c / %lld;", cg);
	out_line(o, "const %s *wk = x1 + ((ptrdiff_t)(g * %lld) * %lld + (c - g * %lld)) * %lld + k;",
		 ct, mg, cg, cg, taps);
	out_line(o, "for (int mm = 0; mm < %lld; mm++)", mg);
	snprintf(ex, sizeof ex, "wk[(ptrdiff_t)mm * %lld]", cg * taps);
	out_line(o, "\tacc[(ptrdiff_t)(g * %lld + mm) * %lld + pos] += %s * v;", mg, opl,
		 cg_load(dt, ex, ld[0], sizeof ld[0]));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) y0[(ptrdiff_t)n * %lld + j] = %s;",
		 (long long)p.m * opl, (long long)p.m * opl, cg_store(dt, "acc[j]", st, sizeof st));
	out_line(o, "}");
	return 0;
}

/* One batch's output in the arithmetic type. */
static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	return y && y->shape.dims[0] ? ir_numel(y) / y->shape.dims[0] * 8 : 8;
}

const OpDef opdef_DEFORMCONV = {infer, NULL, emit, scratch, 0};
