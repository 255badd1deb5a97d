/* conv_blocked.c - FusedConv: 2D convolution on channel-blocked tensors, with the
 * bias, a residual addition and an activation fused into its epilogue.
 *
 * Layout: X and Y are [N][C/b][H][W][b] (b = the target's vector width in floats;
 * a first layer with few channels reads plain NCHW instead). Weights are packed at
 * compile time per output-channel tile as [ic block][kh][kw][ic lane][V*b], so the
 * kernel loads V weight vectors, broadcasts one input value, and updates V x R
 * accumulators that stay in registers: R output pixels of a row times V vectors of
 * output channels (AVX-512: 2 x 14 = 28 of the 32 registers). Measured on a Zen 5
 * core, this loop nest in GCC/Clang vector-extension C runs 3x3 convolutions at
 * over 90% of the FMA peak (prototype: 64->64 channels, 56x56, 211 of 220 GFLOP/s).
 *
 * Padding is handled by copying the input into scratch with a zero halo, so every
 * tile runs the same bounds-free code; 1x1 stride-1 convolutions treat the image as
 * one long row. Depthwise convolutions (group == channels) use the lanes for
 * channels instead and compute their borders with per-pixel tap ranges, because a
 * padded copy would double their memory traffic. With vl == 0 (target generic) the
 * same structure is written as plain C99 loops over arrays.
 */
#include <stdio.h>
#include <string.h>

#include "conv_blocked.h"
#include "pool_blocked.h"
#include "conv_winograd.h"
#include "window.h"

/* Bytes of weights that stay in cache while the pixels are swept (half of a 1 MiB L2,
   Zen 4/5; Intel cores have 1.25-2 MiB). */
#define CB_L2_HALF (512 * 1024)

/* ------------------------------------------------------------ parameters */

int cb_from_conv(const Graph *g, const Node *conv, int64_t b, int64_t vl, BlockedConv *p, Diag *d)
{
	const Value *x = op_in(g, conv, 0), *w = op_in(g, conv, 1), *bias = op_in(g, conv, 2);
	memset(p, 0, sizeof *p);
	if (!x || !w || x->dtype != DT_FLOAT || x->shape.rank != 4 || !w->data ||
	    w->dtype != DT_FLOAT || (bias && (!bias->data || bias->dtype != DT_FLOAT)))
		return 1;
	Window win;
	if (win_read(g, conv, 2, x->shape.dims + 2, w->shape.dims + 2, &win, d) < 0 ||
	    win_forward(g, conv, &win, false, d) < 0)
		return -1;
	p->n = x->shape.dims[0];
	p->ic = x->shape.dims[1];
	p->oc = w->shape.dims[0];
	p->group = ir_attr_int(conv, "group", 1);
	if (p->group != 1 && !(p->group == p->ic && p->oc == p->ic && w->shape.dims[1] == 1))
		return 1;
	p->ih = win.in[0];
	p->iw = win.in[1];
	p->oh = win.out[0];
	p->ow = win.out[1];
	p->kh = win.k[0];
	p->kw = win.k[1];
	p->sh = win.s[0];
	p->sw = win.s[1];
	p->dh = win.d[0];
	p->dw = win.d[1];
	p->pt = win.pb[0];
	p->pl = win.pb[1];
	if (p->pt < 0 || p->pl < 0 || win.pe[0] < 0 || win.pe[1] < 0)
		return 1;
	p->b = b;
	p->vl = vl;
	p->plain_input = p->group == 1 && p->ic < b / 2;
	return 0;
}

static int64_t rup(int64_t x, int64_t m)
{
	return (x + m - 1) / m * m;
}

typedef struct Tiling {
	int v, r;   /* vectors per output-channel tile, pixels per tile */
	int v1, r1; /* the last tile when the block count is odd (v1 == 0: none) */
} Tiling;

static Tiling tiling(const BlockedConv *p)
{
	int64_t blocks = rup(p->oc, p->b) / p->b;
	Tiling t = {1, 4, 0, 0};
	switch (p->vl) {
	case 16: t = (Tiling){2, 14, 1, 24}; break; /* 32 registers */
	case 8: t = (Tiling){2, 6, 1, 12}; break;   /* 16 registers */
	case 4: t = (Tiling){2, 12, 1, 24}; break;  /* NEON: 32 registers */
	default: t = (Tiling){1, 4, 1, 4}; break;
	}
	if (blocks % t.v == 0)
		t.v1 = 0;
	return t;
}

/* Input channels as the weights see them: padded to the block unless plain. */
static int64_t in_block(const BlockedConv *p)
{
	return p->plain_input ? 1 : p->b;
}

static int64_t icp(const BlockedConv *p)
{
	return p->plain_input ? p->ic : rup(p->ic, p->b);
}

float *cb_pack_weights(Arena *a, const BlockedConv *p, const float *w, int64_t *count)
{
	int64_t khw = p->kh * p->kw;
	if (p->winograd)
		return cw_pack_weights(a, p, w, count);
	if (p->group != 1) { /* depthwise: [c block][kh][kw][b] */
		int64_t cp = rup(p->ic, p->b);
		*count = cp * khw;
		float *out = arena_alloc(a, (size_t)*count * sizeof(float));
		if (!out)
			return NULL;
		for (int64_t c = 0; c < p->ic; c++)
			for (int64_t k = 0; k < khw; k++)
				out[((c / p->b) * khw + k) * p->b + c % p->b] = w[c * khw + k];
		return out;
	}
	Tiling t = tiling(p);
	int64_t ocp = rup(p->oc, p->b), nin = icp(p), bi = in_block(p);
	*count = ocp * nin * khw;
	float *out = arena_alloc(a, (size_t)*count * sizeof(float));
	if (!out)
		return NULL;
	int64_t base = 0;
	for (int64_t oc0 = 0; oc0 < ocp;) {
		int64_t vt = (ocp - oc0) / p->b >= t.v ? t.v : t.v1;
		int64_t width = vt * p->b;
		for (int64_t j = 0; j < width; j++) {
			int64_t oc = oc0 + j;
			if (oc >= p->oc)
				continue;
			for (int64_t ic = 0; ic < p->ic; ic++)
				for (int64_t kh = 0; kh < p->kh; kh++)
					for (int64_t kw = 0; kw < p->kw; kw++) {
						int64_t icb = ic / bi, l = ic % bi;
						int64_t at = (((icb * p->kh + kh) * p->kw + kw) * bi + l) * width + j;
						out[base + at] = w[((oc * p->ic + ic) * p->kh + kh) * p->kw + kw];
					}
		}
		base += nin * khw * width;
		oc0 += width;
	}
	return out;
}

float *cb_pack_bias(Arena *a, const BlockedConv *p, const float *bias, int64_t *count)
{
	*count = rup(p->oc, p->b);
	float *out = arena_alloc(a, (size_t)*count * sizeof(float));
	if (out && bias)
		memcpy(out, bias, (size_t)p->oc * sizeof(float));
	return out;
}

void cb_to_node(Graph *g, uint32_t id, const BlockedConv *p)
{
	int64_t dims[] = {p->n, p->ic, p->oc, p->ih, p->iw, p->oh, p->ow};
	int64_t win[] = {p->kh, p->kw, p->sh, p->sw, p->dh, p->dw, p->pt, p->pl};
	ir_set_attr_ints(g, id, "dims", dims, 7);
	ir_set_attr_ints(g, id, "window", win, 8);
	ir_set_attr_int(g, id, "group", p->group);
	ir_set_attr_int(g, id, "block", p->b);
	ir_set_attr_int(g, id, "vl", p->vl);
	ir_set_attr_int(g, id, "plain_input", p->plain_input);
	ir_set_attr_int(g, id, "residual", p->residual);
	ir_set_attr_int(g, id, "act", p->act);
	ir_set_attr_float(g, id, "alpha", p->alpha);
	ir_set_attr_float(g, id, "beta", p->beta);
	if (p->pool.kind != CP_NONE) {
		const ConvPool *q = &p->pool;
		int64_t pool[] = {q->kind, q->include_pad, q->kh, q->kw, q->sh, q->sw,
				  q->pt, q->pl, q->pb, q->pr, q->oh, q->ow};
		ir_set_attr_ints(g, id, "pool", pool, 12);
	}
	if (p->winograd)
		ir_set_attr_int(g, id, "winograd", p->winograd);
}

void cb_from_node(const Node *n, BlockedConv *p)
{
	const int64_t *dims, *win, *pool;
	memset(p, 0, sizeof *p);
	if (ir_attr_ints(n, "dims", &dims) == 7) {
		p->n = dims[0], p->ic = dims[1], p->oc = dims[2];
		p->ih = dims[3], p->iw = dims[4], p->oh = dims[5], p->ow = dims[6];
	}
	if (ir_attr_ints(n, "window", &win) == 8) {
		p->kh = win[0], p->kw = win[1], p->sh = win[2], p->sw = win[3];
		p->dh = win[4], p->dw = win[5], p->pt = win[6], p->pl = win[7];
	}
	p->group = ir_attr_int(n, "group", 1);
	p->b = ir_attr_int(n, "block", 8);
	p->vl = ir_attr_int(n, "vl", 0);
	p->plain_input = ir_attr_int(n, "plain_input", 0) != 0;
	p->residual = ir_attr_int(n, "residual", 0) != 0;
	p->act = (int)ir_attr_int(n, "act", ACT_NONE);
	p->alpha = ir_attr_float(n, "alpha", 0);
	p->beta = ir_attr_float(n, "beta", 0);
	if (ir_attr_ints(n, "pool", &pool) == 12) {
		ConvPool *q = &p->pool;
		q->kind = (int)pool[0], q->include_pad = pool[1] != 0;
		q->kh = pool[2], q->kw = pool[3], q->sh = pool[4], q->sw = pool[5];
		q->pt = pool[6], q->pl = pool[7], q->pb = pool[8], q->pr = pool[9];
		q->oh = pool[10], q->ow = pool[11];
	}
	p->winograd = (int)ir_attr_int(n, "winograd", 0);
}

/* ------------------------------------------------------------ epilogue matching */

uint32_t cb_sole_consumer(const Graph *g, uint32_t v)
{
	uint32_t c;
	if (ir_value(g, v)->is_output || ir_consumers(g, v, &c, 1) != 1 || ir_use_count(g, v) != 1)
		return IR_NONE;
	return c;
}

static bool const_scalar(const Graph *g, uint32_t v, double *out)
{
	const Value *val = ir_value(g, v);
	if (!val->data || ir_numel(val) != 1 || !dtype_info(val->dtype)->is_float)
		return false;
	*out = dtype_get_f64(val->dtype, val->data, 0);
	return true;
}

int cb_activation(const Graph *g, const Node *a, double *alpha, double *beta)
{
	*alpha = *beta = 0;
	switch (a->op) {
	case OP_RELU: return ACT_RELU;
	case OP_SIGMOID: return ACT_SIGMOID;
	case OP_TANH: return ACT_TANH;
	case OP_HARDSWISH: return ACT_HARDSWISH;
	case OP_LEAKYRELU: *alpha = ir_attr_float(a, "alpha", 0.01); return ACT_LEAKYRELU;
	case OP_HARDSIGMOID:
		*alpha = ir_attr_float(a, "alpha", 0.2);
		*beta = ir_attr_float(a, "beta", 0.5);
		return ACT_HARDSIGMOID;
	default: break;
	}
	if (a->op == OP_CLIP) {
		*alpha = -1e30;
		*beta = 1e30;
		if (a->opset < 11) {
			*alpha = ir_attr_float(a, "min", -3.4028234663852886e38);
			*beta = ir_attr_float(a, "max", 3.4028234663852886e38);
			return ACT_CLIP;
		}
		if ((ir_has_in(a, 1) && !const_scalar(g, a->inputs[1], alpha)) ||
		    (ir_has_in(a, 2) && !const_scalar(g, a->inputs[2], beta)))
			return -1;
		return ACT_CLIP;
	}
	return -1;
}

uint32_t cb_match_silu(const Graph *g, uint32_t v, uint32_t *sig)
{
	uint32_t c[3];
	if (ir_value(g, v)->is_output || ir_consumers(g, v, c, 3) != 2 || ir_use_count(g, v) != 2)
		return IR_NONE;
	for (int k = 0; k < 2; k++) {
		const Node *s = ir_node(g, c[k]), *m = ir_node(g, c[1 - k]);
		if (s->op != OP_SIGMOID || m->op != OP_MUL || m->ninputs != 2)
			continue;
		uint32_t so = s->outputs[0];
		if (cb_sole_consumer(g, so) != c[1 - k])
			continue;
		if ((m->inputs[0] == v && m->inputs[1] == so) || (m->inputs[1] == v && m->inputs[0] == so)) {
			*sig = c[k];
			return c[1 - k];
		}
	}
	return IR_NONE;
}

/* ------------------------------------------------------------ emission helpers */

void cb_emit_act(Out *o, int act, double alpha, double beta, const char *x)
{
	char a[64], b[64];
	cg_lit(DT_FLOAT, alpha, a, sizeof a);
	cg_lit(DT_FLOAT, beta, b, sizeof b);
	switch (act) {
	case ACT_RELU: out_line(o, "%s = %s > 0.0f ? %s : 0.0f;", x, x, x); break;
	case ACT_CLIP:
		out_line(o, "%s = %s < %s ? %s : %s > %s ? %s : %s;", x, x, a, a, x, b, b, x);
		break;
	case ACT_LEAKYRELU: out_line(o, "%s = %s < 0.0f ? %s * %s : %s;", x, x, a, x, x); break;
	case ACT_HARDSIGMOID:
		out_line(o, "{ const float h = %s * %s + %s; %s = h < 0.0f ? 0.0f : h > 1.0f ? 1.0f : h; }",
			 a, x, b, x);
		break;
	case ACT_HARDSWISH:
		out_line(o, "{ const float h = %s / 6.0f + 0.5f; %s *= h < 0.0f ? 0.0f : h > 1.0f ? 1.0f : h; }",
			 x, x);
		break;
	case ACT_SIGMOID: out_line(o, "%s = 1.0f / (1.0f + expf(-%s));", x, x); break;
	case ACT_SILU: out_line(o, "%s = %s / (1.0f + expf(-%s));", x, x, x); break;
	case ACT_TANH: out_line(o, "%s = tanhf(%s);", x, x); break;
	default: break;
	}
}

void cb_emit_vact(Out *o, int act, double alpha, double beta, const char *vt, const char *x)
{
	char a[64], b[64];
	cg_lit(DT_FLOAT, alpha, a, sizeof a);
	cg_lit(DT_FLOAT, beta, b, sizeof b);
	switch (act) {
	case ACT_RELU:
		out_line(o, "%s = (%s)((%si)%s & (%si)(%s > (%s){0}));", x, vt, vt, x, vt, x, vt);
		break;
	case ACT_CLIP: out_line(o, "%s_clip(&%s, %s, %s);", vt, x, a, b); break;
	case ACT_LEAKYRELU:
		out_line(o, "%s = RT_SEL(%s, %si, (%si)(%s < (%s){0}), %s * %s, %s);", x, vt, vt, vt, x,
			 vt, x, a, x);
		break;
	case ACT_HARDSIGMOID:
		out_line(o, "%s = %s * %s + %s;", x, a, x, b);
		out_line(o, "%s_clip(&%s, 0.0f, 1.0f);", vt, x);
		break;
	case ACT_HARDSWISH:
		out_line(o, "{ %s h = %s / 6.0f + 0.5f; %s_clip(&h, 0.0f, 1.0f); %s *= h; }", vt, x, vt, x);
		break;
	case ACT_SIGMOID: out_line(o, "%s_sigmoid(&%s);", vt, x); break;
	case ACT_SILU: out_line(o, "%s_silu(&%s);", vt, x); break;
	case ACT_TANH: out_line(o, "%s_tanh(&%s);", vt, x); break;
	default: break;
	}
}

typedef struct Ctx {
	Emit *e;
	const BlockedConv *p;
	int64_t bi;       /* input lanes per pixel (b, or 1 for plain input) */
	int64_t icb;      /* input channel blocks (or channels, plain) */
	int64_t xh, xw;   /* extents of the (padded) input the tiles read */
	int64_t sh, sw;   /* strides as the tiles see them */
	int64_t oh, ow;   /* output extents as the tiles see them */
	bool padded;      /* input copied into scratch with a halo */
	const char *vt;   /* vector type, e.g. "rt_v16" */
	/* where the tiles store: ybuf + (n * yimage + channel block) * yplane, row yrow
	   (y0 and the whole output, or a ring of conv rows when a pool is fused) */
	const char *ybuf, *yrow;
	int64_t yimage, yplane; /* channel blocks per image, floats per block */
} Ctx;

/* Accumulators a<r>_<v> for R pixels x V vectors: declare, update, store. */
static void micro(Ctx *c, int v, int r)
{
	Out *o = c->e->o;
	const BlockedConv *p = c->p;
	int64_t b = p->b, bi = c->bi, width = v * b;
	bool vec = p->vl > 0;
	out_line(o, "{");
	if (vec) {
		for (int j = 0; j < r; j++)
			for (int k = 0; k < v; k++)
				out_line(o, "%s a%d_%d = *(const %su *)(bt + %lld);", c->vt, j, k, c->vt,
					 (long long)(k * b));
	} else {
		out_line(o, "float a[%d][%lld];", r, (long long)width);
		out_line(o, "for (int j = 0; j < %d; j++)", r);
		out_line(o, "\tfor (int k = 0; k < %lld; k++) a[j][k] = bt[k];", (long long)width);
	}
	out_line(o, "for (int icb = 0; icb < %lld; icb++) {", (long long)c->icb);
	out_line(o, "const float *xb = xin + (int64_t)icb * %lld + ((int64_t)oh * %lld * %lld + ow * %lld) * %lld;",
		 (long long)(c->xh * c->xw * bi), (long long)c->sh, (long long)c->xw, (long long)c->sw,
		 (long long)bi);
	out_line(o, "const float *wb = wt + (int64_t)icb * %lld;",
		 (long long)(p->kh * p->kw * bi * width));
	out_line(o, "for (int kh = 0; kh < %lld; kh++) {", (long long)p->kh);
	out_line(o, "for (int kw = 0; kw < %lld; kw++) {", (long long)p->kw);
	out_line(o, "const float *xp = xb + ((int64_t)kh * %lld * %lld + kw * %lld) * %lld;",
		 (long long)p->dh, (long long)c->xw, (long long)p->dw, (long long)bi);
	out_line(o, "const float *wp = wb + (kh * %lld + kw) * %lld;", (long long)p->kw,
		 (long long)(bi * width));
	out_line(o, "for (int l = 0; l < %lld; l++) {", (long long)bi);
	if (vec) {
		for (int k = 0; k < v; k++)
			out_line(o, "const %s w%d = *(const %su *)(wp + l * %lld + %lld);", c->vt, k, c->vt,
				 (long long)width, (long long)(k * b));
		for (int j = 0; j < r; j++) {
			out_printf(o, "%*s{ const float s = xp[l + %lld];", o->indent * 8, "",
				   (long long)(j * c->sw * bi));
			for (int k = 0; k < v; k++)
				out_printf(o, " a%d_%d += s * w%d;", j, k, k);
			out_printf(o, " }\n");
		}
	} else {
		out_line(o, "const float *wl = wp + l * %lld;", (long long)width);
		for (int j = 0; j < r; j++) {
			out_line(o, "{ const float s = xp[l + %lld];", (long long)(j * c->sw * bi));
			out_line(o, "for (int k = 0; k < %lld; k++) a[%d][k] += s * wl[k]; }", (long long)width, j);
		}
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	/* epilogue: residual, store, activation */
	for (int k = 0; k < v; k++) {
		out_line(o, "{ float *yp = yt + (int64_t)%d * %lld + ((int64_t)%s * %lld + ow) * %lld;", k,
			 (long long)c->yplane, c->yrow, (long long)c->ow, (long long)b);
		if (p->residual)
			out_line(o, "const float *rp = x3 + (yp - y0);");
		if (vec) {
			for (int j = 0; j < r; j++) {
				if (p->residual)
					out_line(o, "a%d_%d += *(const %su *)(rp + %lld);", j, k, c->vt,
						 (long long)(j * b));
				char acc[32];
				snprintf(acc, sizeof acc, "a%d_%d", j, k);
				cb_emit_vact(o, p->act, p->alpha, p->beta, c->vt, acc);
				out_line(o, "*(%su *)(yp + %lld) = a%d_%d;", c->vt, (long long)(j * b), j, k);
			}
		} else {
			out_line(o, "for (int j = 0; j < %d; j++)", r);
			if (p->residual)
				out_line(o, "\tfor (int l = 0; l < %lld; l++) yp[j * %lld + l] = a[j][%lld + l] + "
					 "rp[j * %lld + l];", (long long)b, (long long)b, (long long)(k * b),
					 (long long)b);
			else
				out_line(o, "\tfor (int l = 0; l < %lld; l++) yp[j * %lld + l] = a[j][%lld + l];",
					 (long long)b, (long long)b, (long long)(k * b));
		}
		if (p->act != ACT_NONE && !vec) {
			out_line(o, "for (int q = 0; q < %lld; q++) {", (long long)(r * b));
			cb_emit_act(o, p->act, p->alpha, p->beta, "yp[q]");
			out_line(o, "}");
		}
		out_line(o, "}");
	}
	out_line(o, "}");
}

/* Pointers of one output-channel tile: its packed weights wt, bias bt and first
   output block yt; blk is the C expression of the tile's first channel block. */
static void tile_setup(Ctx *c, const char *blk, const char *woff)
{
	Out *o = c->e->o;
	const BlockedConv *p = c->p;
	out_line(o, "const float *wt = x1 + (int64_t)(%s);", woff);
	out_line(o, "const float *bt = x2 + (int64_t)(%s) * %lld;", blk, (long long)p->b);
	out_line(o, "float *yt = %s + ((int64_t)n * %lld + (%s)) * %lld;", c->ybuf,
		 (long long)c->yimage, blk, (long long)c->yplane);
}

/* Output row oh of one tile: full pixel tiles of r, then the rest. */
static void tile_rows(Ctx *c, int v, int r)
{
	Out *o = c->e->o;
	int64_t full = c->ow / r * r, tail = c->ow - full;
	out_line(o, "for (int oh = 0; oh < %lld; oh++) {", (long long)c->oh);
	if (full) {
		out_line(o, "for (int ow = 0; ow < %lld; ow += %d)", (long long)full, r);
		micro(c, v, r);
	}
	if (tail) {
		out_line(o, "{ const int ow = %lld;", (long long)full);
		micro(c, v, (int)tail);
		out_line(o, "}");
	}
	out_line(o, "}");
}

/* Every output-channel tile: the full tiles of t->v vectors in a loop, then the
   last one of t->v1 if the block count is odd, each set up and given to body with
   its vectors and r (full tiles) or r1 (the last one) pixels. */
static void each_tile(Ctx *c, const Tiling *t, int64_t ntiles, int64_t tile_w,
		      void (*body)(Ctx *, int, int), int r, int r1)
{
	Out *o = c->e->o;
	char blk[64], woff[64];
	if (ntiles) {
		out_line(o, "for (int t = 0; t < %lld; t++) {", (long long)ntiles);
		snprintf(blk, sizeof blk, "t * %d", t->v);
		snprintf(woff, sizeof woff, "t * %lld", (long long)tile_w);
		tile_setup(c, blk, woff);
		body(c, t->v, r);
		out_line(o, "}");
	}
	if (t->v1) {
		out_line(o, "{");
		snprintf(blk, sizeof blk, "%lld", (long long)(ntiles * t->v));
		snprintf(woff, sizeof woff, "%lld", (long long)(ntiles * tile_w));
		tile_setup(c, blk, woff);
		body(c, t->v1, r1);
		out_line(o, "}");
	}
}

void cb_emit_halo_copy(Out *o, const BlockedConv *p, int64_t bi, int64_t icb, int64_t xh,
		       int64_t xw)
{
	int64_t rowlen = p->iw * bi, xrow = xw * bi;
	int64_t right = (xw - p->pl - p->iw) * bi, below = xh - p->pt - p->ih;
	out_line(o, "for (int cb = 0; cb < %lld; cb++) {", (long long)icb);
	out_line(o, "float *plane = xpad + (int64_t)cb * %lld;", (long long)(xh * xrow));
	if (p->pt)
		out_line(o, "memset(plane, 0, %lld);", (long long)(p->pt * xrow * 4));
	if (below)
		out_line(o, "memset(plane + %lld, 0, %lld);", (long long)((p->pt + p->ih) * xrow),
			 (long long)(below * xrow * 4));
	out_line(o, "for (int h = 0; h < %lld; h++) {", (long long)p->ih);
	out_line(o, "float *row = plane + (int64_t)(h + %lld) * %lld;", (long long)p->pt, (long long)xrow);
	if (p->pl)
		out_line(o, "memset(row, 0, %lld);", (long long)(p->pl * bi * 4));
	out_line(o, "memcpy(row + %lld, x0 + (((int64_t)n * %lld + cb) * %lld + h) * %lld, %lld);",
		 (long long)(p->pl * bi), (long long)icb, (long long)p->ih, (long long)rowlen,
		 (long long)(rowlen * 4));
	if (right)
		out_line(o, "memset(row + %lld, 0, %lld);", (long long)(p->pl * bi + rowlen),
			 (long long)(right * 4));
	out_line(o, "}");
	out_line(o, "}");
}

/* Copies image n of x0 into scratch with a zero halo (only the halo is cleared);
   leaves `xin` pointing at it. */
static void emit_pad_copy(Ctx *c)
{
	Out *o = c->e->o;
	out_line(o, "float *xpad = (float *)scratch;");
	cb_emit_halo_copy(o, c->p, c->bi, c->icb, c->xh, c->xw);
	out_line(o, "const float *xin = xpad;");
}

static bool needs_pad(const BlockedConv *p)
{
	int64_t pb = (p->oh - 1) * p->sh + (p->kh - 1) * p->dh + 1 - p->ih - p->pt;
	int64_t pr = (p->ow - 1) * p->sw + (p->kw - 1) * p->dw + 1 - p->iw - p->pl;
	return p->pt > 0 || p->pl > 0 || pb > 0 || pr > 0;
}

static void pad_extent(const BlockedConv *p, int64_t *xh, int64_t *xw)
{
	int64_t pb = (p->oh - 1) * p->sh + (p->kh - 1) * p->dh + 1 - p->ih - p->pt;
	int64_t pr = (p->ow - 1) * p->sw + (p->kw - 1) * p->dw + 1 - p->iw - p->pl;
	*xh = p->ih + p->pt + (pb > 0 ? pb : 0);
	*xw = p->iw + p->pl + (pr > 0 ? pr : 0);
}

static const char *vec_type(int64_t vl)
{
	switch (vl) {
	case 16: return "rt_v16";
	case 8: return "rt_v8";
	case 4: return "rt_v4";
	default: return NULL;
	}
}

/* When all the weights fit in half the L2 cache, sweep the pixels once and apply
   every output tile to each pixel tile while its input is hot; otherwise keep one
   tile's weights hot and sweep the pixels per tile. (256->64 1x1 at 56x56 went
   from 97 to over 150 GFLOP/s with the pixel-outer order.) */
static bool pixel_outer(const BlockedConv *p)
{
	int64_t ocb = rup(p->oc, p->b) / p->b;
	return ocb * icp(p) * p->kh * p->kw * p->b * 4 <= CB_L2_HALF;
}

/* A 1x1 stride-1 convolution without padding runs as one long row of pixels. */
static bool long_row(const BlockedConv *p)
{
	return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && !needs_pad(p) &&
	       p->ih == p->oh && p->iw == p->ow;
}

bool cb_can_pool(const BlockedConv *p)
{
	/* A ring as tall as the output saves nothing. A 1x1 conv that runs as one long
	   row ran slower row by row even when its rows are whole pixel tiles: DenseNet's
	   transition 1x1 512->256 at 28x28 + AveragePool 2x2 took 1.25 ms fused against
	   1.14 unfused (fastest of 7x100 runs, Zen 5, AVX-512); 7x7 and 3x3 convs with
	   their pools ran as fast or faster fused. */
	return p->group == 1 && !p->residual && !p->winograd && pixel_outer(p) && !long_row(p) &&
	       p->pool.kh < p->oh; /* a Winograd conv computes whole tiles, not rows */
}

/* Conv rows kept for a fused pool: the pool window's height. */
static int64_t ring_rows(const BlockedConv *p)
{
	return p->pool.kh < p->oh ? p->pool.kh : p->oh;
}

/* Bytes of the padded input copy in scratch, rounded up to 64; the ring follows. */
static int64_t pad_bytes(const BlockedConv *p)
{
	if (!needs_pad(p))
		return 0;
	int64_t xh, xw;
	pad_extent(p, &xh, &xw);
	return rup(icp(p) * xh * xw * 4, 64);
}

/* Output row `oh` (a C variable in scope) of every tile, pixel tile by pixel tile. */
static void emit_row(Ctx *c, const Tiling *t, int64_t ntiles, int64_t tile_w)
{
	Out *o = c->e->o;
	int64_t full = c->ow / t->r * t->r, tail = c->ow - full;
	if (full) {
		out_line(o, "for (int ow = 0; ow < %lld; ow += %d) {", (long long)full, t->r);
		each_tile(c, t, ntiles, tile_w, micro, t->r, t->r);
		out_line(o, "}");
	}
	if (tail) {
		out_line(o, "{ const int ow = %lld;", (long long)full);
		each_tile(c, t, ntiles, tile_w, micro, (int)tail, (int)tail);
		out_line(o, "}");
	}
}

/* A fused pool: per pooled row, the conv rows its window needs that are not yet
   computed go into a ring of ring_rows() rows ([channel block][ring row][ow][b]),
   then the pooled row is read from the ring. Rows are computed once even when
   windows overlap (3x3 stride 2), and rows no window reads are skipped. */
static void emit_pooled(Ctx *c, const Tiling *t, int64_t ntiles, int64_t tile_w)
{
	Out *o = c->e->o;
	const BlockedConv *p = c->p;
	const ConvPool *q = &p->pool;
	int64_t rows = ring_rows(p), ocb = rup(p->oc, p->b) / p->b;
	Window w = {2, {p->oh, p->ow}, {q->kh, q->kw}, {q->sh, q->sw}, {1, 1}, {q->pt, q->pl},
		    {q->pb, q->pr}, {q->oh, q->ow}};
	out_line(o, "int done = 0;");
	out_line(o, "for (int ph = 0; ph < %lld; ph++) {", (long long)q->oh);
	out_line(o, "const int rs = ph * %lld - %lld, re = rs + %lld;", (long long)q->sh,
		 (long long)q->pt, (long long)q->kh);
	out_line(o, "const int r0 = rs > 0 ? rs : 0, r1 = re < %lld ? re : %lld;", (long long)p->oh,
		 (long long)p->oh);
	out_line(o, "if (done < r0) done = r0;");
	out_line(o, "for (; done < r1; done++) {");
	out_line(o, "const int oh = done, slot = oh %% %lld;", (long long)rows);
	emit_row(c, t, ntiles, tile_w);
	out_line(o, "}");
	pb_emit_ring_row(c->e, &w, q->kind == CP_MAX, p->b, ocb, rows, "ring");
	out_line(o, "}");
}

static int emit_dense(Emit *e, const BlockedConv *p)
{
	Out *o = e->o;
	bool pooled = p->pool.kind != CP_NONE;
	int64_t ocb = rup(p->oc, p->b) / p->b;
	Ctx c = {e, p, in_block(p), icp(p) / in_block(p), 0, 0, p->sh, p->sw, p->oh, p->ow, false,
		 vec_type(p->vl), "y0", "oh", ocb, p->oh * p->ow * p->b};
	c.padded = needs_pad(p);
	pad_extent(p, &c.xh, &c.xw);
	if (!c.padded) {
		c.xh = p->ih;
		c.xw = p->iw;
	}
	/* a 1x1, stride-1 convolution is one long row of pixels */
	if (long_row(p) && !pooled) {
		c.xw = c.ow = p->oh * p->ow;
		c.xh = c.oh = 1;
	}
	if (pooled) {
		c.ybuf = "ring";
		c.yrow = "slot";
		c.yimage = 0;
		c.yplane = ring_rows(p) * p->ow * p->b;
		if (p->pool.kind == CP_AVG) {
			const ConvPool *q = &p->pool;
			Window w = {2, {p->oh, p->ow}, {q->kh, q->kw}, {q->sh, q->sw}, {1, 1},
				    {q->pt, q->pl}, {q->pb, q->pr}, {q->oh, q->ow}};
			if (pb_emit_divisors(e, &w, q->include_pad) < 0)
				return -1;
		}
		out_line(o, "float *ring = (float *)((char *)scratch + %lld);", (long long)pad_bytes(p));
	}
	Tiling t = tiling(p);
	int64_t khw = p->kh * p->kw;
	int64_t tile_w = icp(p) * khw * t.v * p->b; /* packed floats per full tile */
	int64_t ntiles = ocb / t.v;
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p->n);
	if (c.padded)
		emit_pad_copy(&c);
	else
		out_line(o, "const float *xin = x0 + (int64_t)n * %lld;",
			 (long long)(c.icb * c.xh * c.xw * c.bi));
	if (pooled) {
		emit_pooled(&c, &t, ntiles, tile_w);
	} else if (pixel_outer(p)) {
		out_line(o, "for (int oh = 0; oh < %lld; oh++) {", (long long)c.oh);
		emit_row(&c, &t, ntiles, tile_w);
		out_line(o, "}");
	} else {
		each_tile(&c, &t, ntiles, tile_w, tile_rows, t.r, t.r1);
	}
	out_line(o, "}");
	return 0;
}

/* Depthwise, one border pixel at column `ow` (a C expression): the taps that land
   inside the input are computed per pixel. */
static void dw_pixel(Out *o, const BlockedConv *p)
{
	int64_t b = p->b;
	out_line(o, "const int iw0 = ow * %lld - %lld;", (long long)p->sw, (long long)p->pl);
	out_line(o, "const int kwlo = iw0 < 0 ? (-iw0 + %lld) / %lld : 0;", (long long)(p->dw - 1),
		 (long long)p->dw);
	out_line(o, "const int kwe = (%lld - iw0 + %lld) / %lld, kwhi = kwe < %lld ? kwe : %lld;",
		 (long long)p->iw, (long long)(p->dw - 1), (long long)p->dw, (long long)p->kw,
		 (long long)p->kw);
	out_line(o, "float acc[%lld];", (long long)b);
	out_line(o, "for (int l = 0; l < %lld; l++) acc[l] = x2[c * %lld + l];", (long long)b, (long long)b);
	out_line(o, "for (int kh = khlo; kh < khhi; kh++) {");
	out_line(o, "const float *xr = xc + (int64_t)(ih0 + kh * %lld) * %lld;", (long long)p->dh,
		 (long long)(p->iw * b));
	out_line(o, "for (int kw = kwlo; kw < kwhi; kw++) {");
	out_line(o, "const float *xp = xr + (int64_t)(iw0 + kw * %lld) * %lld;", (long long)p->dw,
		 (long long)b);
	out_line(o, "const float *wp = wc + (kh * %lld + kw) * %lld;", (long long)p->kw, (long long)b);
	out_line(o, "for (int l = 0; l < %lld; l++) acc[l] += xp[l] * wp[l];", (long long)b);
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "float *yp = yc + ((int64_t)oh * %lld + ow) * %lld;", (long long)p->ow, (long long)b);
	out_line(o, "for (int l = 0; l < %lld; l++) {", (long long)b);
	out_line(o, "float v = acc[l]%s;", p->residual ? " + rc[(yp - yc) + l]" : "");
	cb_emit_act(o, p->act, p->alpha, p->beta, "v");
	out_line(o, "yp[l] = v;");
	out_line(o, "}");
}

/* Depthwise, r interior pixels from column `ow`: every column tap is inside, so
   r accumulator vectors (one per pixel, lanes = channels) take the taps with no
   tests. */
static void dw_interior(Out *o, const BlockedConv *p, const char *vt, int r)
{
	int64_t b = p->b;
	bool vec = vt != NULL;
	if (vec)
		for (int j = 0; j < r; j++)
			out_line(o, "%s a%d = *(const %su *)(x2 + c * %lld);", vt, j, vt, (long long)b);
	else {
		out_line(o, "float a[%d][%lld];", r, (long long)b);
		out_line(o, "for (int j = 0; j < %d; j++)", r);
		out_line(o, "\tfor (int l = 0; l < %lld; l++) a[j][l] = x2[c * %lld + l];", (long long)b,
			 (long long)b);
	}
	out_line(o, "for (int kh = khlo; kh < khhi; kh++) {");
	out_line(o, "const float *xr = xc + ((int64_t)(ih0 + kh * %lld) * %lld + ow * %lld - %lld) * %lld;",
		 (long long)p->dh, (long long)p->iw, (long long)p->sw, (long long)p->pl, (long long)b);
	out_line(o, "for (int kw = 0; kw < %lld; kw++) {", (long long)p->kw);
	out_line(o, "const float *xp = xr + kw * %lld;", (long long)(p->dw * b));
	out_line(o, "const float *wp = wc + (kh * %lld + kw) * %lld;", (long long)p->kw, (long long)b);
	if (vec) {
		out_line(o, "const %s w = *(const %su *)wp;", vt, vt);
		for (int j = 0; j < r; j++)
			out_line(o, "a%d += *(const %su *)(xp + %lld) * w;", j, vt, (long long)(j * p->sw * b));
	} else {
		for (int j = 0; j < r; j++)
			out_line(o, "for (int l = 0; l < %lld; l++) a[%d][l] += xp[%lld + l] * wp[l];",
				 (long long)b, j, (long long)(j * p->sw * b));
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "float *yp = yc + ((int64_t)oh * %lld + ow) * %lld;", (long long)p->ow, (long long)b);
	if (vec) {
		for (int j = 0; j < r; j++) {
			char acc[32];
			snprintf(acc, sizeof acc, "a%d", j);
			if (p->residual)
				out_line(o, "a%d += *(const %su *)(rc + (yp - yc) + %lld);", j, vt,
					 (long long)(j * b));
			cb_emit_vact(o, p->act, p->alpha, p->beta, vt, acc);
			out_line(o, "*(%su *)(yp + %lld) = a%d;", vt, (long long)(j * b), j);
		}
		return;
	}
	out_line(o, "for (int j = 0; j < %d; j++) for (int l = 0; l < %lld; l++) yp[j * %lld + l] = a[j][l];",
		 r, (long long)b, (long long)b);
	if (p->residual || p->act != ACT_NONE) {
		out_line(o, "for (int q = 0; q < %lld; q++) {", (long long)(r * b));
		out_line(o, "float v = yp[q]%s;", p->residual ? " + rc[(yp - yc) + q]" : "");
		cb_emit_act(o, p->act, p->alpha, p->beta, "v");
		out_line(o, "yp[q] = v;");
		out_line(o, "}");
	}
}

/* Depthwise: lanes are channels. Per output row the valid kernel rows are computed
   once; the columns split into border pixels (per-pixel tap ranges) and an
   interior processed r pixels at a time. */
static void emit_depthwise(Emit *e, const BlockedConv *p)
{
	Out *o = e->o;
	int64_t b = p->b, cb = rup(p->ic, b) / b, khw = p->kh * p->kw;
	const char *vt = p->vl == b ? vec_type(p->vl) : NULL;
	int r = vt ? 8 : 4;
	/* columns whose every tap is inside: ow*sw - pl >= 0 and ow*sw - pl + (kw-1)*dw < iw */
	int64_t lo = (p->pl + p->sw - 1) / p->sw;
	int64_t hi = p->iw - 1 + p->pl - (p->kw - 1) * p->dw;
	hi = hi < 0 ? 0 : hi / p->sw + 1;
	if (hi > p->ow)
		hi = p->ow;
	if (lo > hi)
		lo = hi;
	int64_t full = lo + (hi - lo) / r * r;
	out_line(o, "for (int n = 0; n < %lld; n++)", (long long)p->n);
	out_line(o, "for (int c = 0; c < %lld; c++) {", (long long)cb);
	out_line(o, "const float *xc = x0 + ((int64_t)n * %lld + c) * %lld;", (long long)cb,
		 (long long)(p->ih * p->iw * b));
	out_line(o, "const float *wc = x1 + (int64_t)c * %lld;", (long long)(khw * b));
	out_line(o, "float *yc = y0 + ((int64_t)n * %lld + c) * %lld;", (long long)cb,
		 (long long)(p->oh * p->ow * b));
	if (p->residual)
		out_line(o, "const float *rc = x3 + (yc - y0);");
	out_line(o, "for (int oh = 0; oh < %lld; oh++) {", (long long)p->oh);
	out_line(o, "const int ih0 = oh * %lld - %lld;", (long long)p->sh, (long long)p->pt);
	out_line(o, "const int khlo = ih0 < 0 ? (-ih0 + %lld) / %lld : 0;", (long long)(p->dh - 1),
		 (long long)p->dh);
	out_line(o, "const int khe = (%lld - ih0 + %lld) / %lld, khhi = khe < %lld ? khe : %lld;",
		 (long long)p->ih, (long long)(p->dh - 1), (long long)p->dh, (long long)p->kh,
		 (long long)p->kh);
	if (lo > 0) {
		out_line(o, "for (int ow = 0; ow < %lld; ow++) {", (long long)lo);
		dw_pixel(o, p);
		out_line(o, "}");
	}
	if (full > lo) {
		out_line(o, "for (int ow = %lld; ow < %lld; ow += %d) {", (long long)lo, (long long)full, r);
		dw_interior(o, p, vt, r);
		out_line(o, "}");
	}
	if (hi > full) {
		out_line(o, "{ const int ow = %lld;", (long long)full);
		dw_interior(o, p, vt, (int)(hi - full));
		out_line(o, "}");
	}
	if (p->ow > hi) {
		out_line(o, "for (int ow = %lld; ow < %lld; ow++) {", (long long)hi, (long long)p->ow);
		dw_pixel(o, p);
		out_line(o, "}");
	}
	out_line(o, "}");
	out_line(o, "}");
}

/* ------------------------------------------------------------ the op */

static int infer(Graph *g, Node *n, Diag *d)
{
	/* made by fuse_conv after inference, with the output already typed */
	const Value *y = op_outv(g, n, 0);
	if (!y || !y->typed)
		return ir_node_error(d, g, n, "internal: FusedConv output is untyped");
	return 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	(void)g;
	BlockedConv p;
	cb_from_node(n, &p);
	if (p.winograd)
		return cw_scratch(&p);
	if (p.group != 1)
		return 0;
	if (p.pool.kind == CP_NONE && needs_pad(&p)) {
		int64_t xh, xw;
		pad_extent(&p, &xh, &xw);
		return icp(&p) * xh * xw * 4;
	}
	if (p.pool.kind == CP_NONE)
		return 0;
	return pad_bytes(&p) + rup(p.oc, p.b) * ring_rows(&p) * p.ow * 4;
}

static int emit(Emit *e)
{
	BlockedConv p;
	cb_from_node(e->n, &p);
	out_comment(e->o, "%lldx%lld conv, %lld -> %lld channels, %lldx%lld -> %lldx%lld, block %lld%s",
		    (long long)p.kh, (long long)p.kw, (long long)p.ic, (long long)p.oc, (long long)p.ih,
		    (long long)p.iw, (long long)p.oh, (long long)p.ow, (long long)p.b,
		    p.group != 1 ? ", depthwise" : "");
	if (p.pool.kind != CP_NONE)
		out_comment(e->o, "then %s %lldx%lld/%lldx%lld -> %lldx%lld, from a ring of %lld conv rows",
			    p.pool.kind == CP_MAX ? "MaxPool" : "AveragePool", (long long)p.pool.kh,
			    (long long)p.pool.kw, (long long)p.pool.sh, (long long)p.pool.sw,
			    (long long)p.pool.oh, (long long)p.pool.ow, (long long)ring_rows(&p));
	if (p.winograd) {
		cw_emit(e, &p);
		return 0;
	}
	if (p.group != 1) {
		emit_depthwise(e, &p);
		return 0;
	}
	return emit_dense(e, &p);
}

const OpDef opdef_FUSEDCONV = {infer, NULL, emit, scratch, 0};
