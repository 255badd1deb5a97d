/* pool_blocked.c - PoolBlocked: MaxPool, AveragePool, GlobalMaxPool and
 * GlobalAveragePool on channel-blocked tensors, so a CNN's pooling layers do not
 * force its activations back to NCHW.
 *
 * select_layout rewrites an eligible float 2D pool node in place: the op becomes
 * PoolBlocked with attribute "kind", the ONNX attributes stay and are resolved
 * with window.h exactly as pool.c does, so both give the same numbers. The lanes
 * of a block are channels: every tap updates b accumulators with one contiguous,
 * vectorisable loop. Border windows get per-pixel tap ranges (padding is never
 * read). Semantics follow pool.c: MaxPool keeps the first maximum with a strict >
 * (NaN never wins) and a window entirely in the padding gives the lowest finite
 * float; AveragePool's divisor is the separable count of taps in the input (or in
 * the padded input with count_include_pad), tabulated at compile time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool_blocked.h"
#include "window.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *y = op_outv(g, n, 0);
	if (!y || !y->typed)
		return ir_node_error(d, g, n, "internal: PoolBlocked output is untyped");
	return 0;
}

/* Divisor of AveragePool per output index of axis i (see pool.c). */
static void counts(const Window *w, int i, bool include_pad, int64_t *cnt)
{
	for (int64_t o = 0; o < w->out[i]; o++) {
		cnt[o] = 0;
		for (int64_t t = 0; t < w->k[i]; t++) {
			int64_t pos = o * w->s[i] + t * w->d[i] - w->pb[i];
			int64_t lo = include_pad ? -w->pb[i] : 0;
			int64_t hi = include_pad ? w->in[i] + w->pe[i] : w->in[i];
			cnt[o] += pos >= lo && pos < hi;
		}
	}
}

static void emit_global(Emit *e, const Value *x, int64_t b, bool max)
{
	Out *o = e->o;
	int64_t cb = (x->shape.dims[1] + b - 1) / b, hw = x->shape.dims[2] * x->shape.dims[3];
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)(x->shape.dims[0] * cb));
	out_line(o, "const float *xc = x0 + k * %lld;", (long long)(hw * b));
	out_line(o, "float acc[%lld];", (long long)b);
	out_line(o, "for (int l = 0; l < %lld; l++) acc[l] = %s;", (long long)b, max ? "xc[l]" : "0.0f");
	out_line(o, "for (int64_t i = %d; i < %lld; i++)", max ? 1 : 0, (long long)hw);
	if (max)
		out_line(o, "\tfor (int l = 0; l < %lld; l++) acc[l] = xc[i * %lld + l] > acc[l] ? xc[i * %lld + l] : acc[l];",
			 (long long)b, (long long)b, (long long)b);
	else
		out_line(o, "\tfor (int l = 0; l < %lld; l++) acc[l] += xc[i * %lld + l];", (long long)b,
			 (long long)b);
	if (max)
		out_line(o, "for (int l = 0; l < %lld; l++) y0[k * %lld + l] = acc[l];", (long long)b,
			 (long long)b);
	else
		out_line(o, "for (int l = 0; l < %lld; l++) y0[k * %lld + l] = acc[l] / %lld.0f;",
			 (long long)b, (long long)b, (long long)hw);
	out_line(o, "}");
}

int pb_emit_divisors(Emit *e, const Window *w, bool include_pad)
{
	int64_t *ch = malloc(sizeof(int64_t) * (size_t)(w->out[0] + w->out[1]));
	if (!ch)
		return -1;
	counts(w, 0, include_pad, ch);
	counts(w, 1, include_pad, ch + w->out[0]);
	win_table(e, "ch", ch, w->out[0]);
	win_table(e, "cw", ch + w->out[0], w->out[1]);
	free(ch);
	return 0;
}

/* The b lanes of a window's accumulator, declared and set to the pool's identity. */
static void emit_acc_init(Out *o, bool max, int64_t b)
{
	out_line(o, "float acc[%lld];", (long long)b);
	out_line(o, "for (int l = 0; l < %lld; l++) acc[l] = %s;", (long long)b,
		 max ? "-3.40282347e+38f" : "0.0f");
}

/* One tap `xp` into the accumulator: max or sum. */
static void emit_acc_step(Out *o, bool max, int64_t b)
{
	if (max)
		out_line(o, "for (int l = 0; l < %lld; l++) acc[l] = xp[l] > acc[l] ? xp[l] : acc[l];",
			 (long long)b);
	else
		out_line(o, "for (int l = 0; l < %lld; l++) acc[l] += xp[l];", (long long)b);
}

static int emit_window(Emit *e, const Value *x, int64_t b, bool max)
{
	const Node *n = e->n;
	Window w;
	Diag d;
	diag_init(&d, "pool");
	if (win_read(e->g, n, 2, x->shape.dims + 2, NULL, &w, &d) < 0 ||
	    win_forward(e->g, n, &w, ir_attr_int(n, "ceil_mode", 0) != 0, &d) < 0)
		return ir_node_error(&d, e->g, n, "internal: window no longer resolves");
	Out *o = e->o;
	int64_t cb = (x->shape.dims[1] + b - 1) / b;
	if (!max && pb_emit_divisors(e, &w, ir_attr_int(n, "count_include_pad", 0) != 0) < 0)
		return -1;
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)(x->shape.dims[0] * cb));
	out_line(o, "const float *xc = x0 + k * %lld;", (long long)(w.in[0] * w.in[1] * b));
	out_line(o, "float *yc = y0 + k * %lld;", (long long)(w.out[0] * w.out[1] * b));
	out_line(o, "for (int oh = 0; oh < %lld; oh++) {", (long long)w.out[0]);
	out_line(o, "const int ih0 = oh * %lld - %lld;", (long long)w.s[0], (long long)w.pb[0]);
	out_line(o, "const int khlo = ih0 < 0 ? (-ih0 + %lld) / %lld : 0;", (long long)(w.d[0] - 1),
		 (long long)w.d[0]);
	out_line(o, "const int khe = (%lld - ih0 + %lld) / %lld, khhi = khe < %lld ? khe : %lld;",
		 (long long)w.in[0], (long long)(w.d[0] - 1), (long long)w.d[0], (long long)w.k[0],
		 (long long)w.k[0]);
	out_line(o, "for (int ow = 0; ow < %lld; ow++) {", (long long)w.out[1]);
	out_line(o, "const int iw0 = ow * %lld - %lld;", (long long)w.s[1], (long long)w.pb[1]);
	out_line(o, "const int kwlo = iw0 < 0 ? (-iw0 + %lld) / %lld : 0;", (long long)(w.d[1] - 1),
		 (long long)w.d[1]);
	out_line(o, "const int kwe = (%lld - iw0 + %lld) / %lld, kwhi = kwe < %lld ? kwe : %lld;",
		 (long long)w.in[1], (long long)(w.d[1] - 1), (long long)w.d[1], (long long)w.k[1],
		 (long long)w.k[1]);
	emit_acc_init(o, max, b);
	out_line(o, "for (int kh = khlo; kh < khhi; kh++)");
	out_line(o, "for (int kw = kwlo; kw < kwhi; kw++) {");
	out_line(o, "const float *xp = xc + ((int64_t)(ih0 + kh * %lld) * %lld + iw0 + kw * %lld) * %lld;",
		 (long long)w.d[0], (long long)w.in[1], (long long)w.d[1], (long long)b);
	emit_acc_step(o, max, b);
	out_line(o, "}");
	out_line(o, "float *yp = yc + ((int64_t)oh * %lld + ow) * %lld;", (long long)w.out[1], (long long)b);
	if (max)
		out_line(o, "for (int l = 0; l < %lld; l++) yp[l] = acc[l];", (long long)b);
	else {
		out_line(o, "const float inv = 1.0f / (float)(%s_ch[oh] * %s_cw[ow]);", e->fn, e->fn);
		out_line(o, "for (int l = 0; l < %lld; l++) yp[l] = acc[l] * inv;", (long long)b);
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

void pb_emit_ring_row(Emit *e, const Window *w, bool max, int64_t b, int64_t cb, int64_t rows,
		      const char *ring)
{
	Out *o = e->o;
	out_line(o, "for (int cb = 0; cb < %lld; cb++) {", (long long)cb);
	out_line(o, "const float *rc = %s + (int64_t)cb * %lld;", ring, (long long)(rows * w->in[1] * b));
	out_line(o, "float *yr = y0 + (((int64_t)n * %lld + cb) * %lld + ph) * %lld;", (long long)cb,
		 (long long)w->out[0], (long long)(w->out[1] * b));
	out_line(o, "for (int ow = 0; ow < %lld; ow++) {", (long long)w->out[1]);
	out_line(o, "const int iw0 = ow * %lld - %lld;", (long long)w->s[1], (long long)w->pb[1]);
	out_line(o, "const int kwlo = iw0 < 0 ? -iw0 : 0;");
	out_line(o, "const int kwe = %lld - iw0, kwhi = kwe < %lld ? kwe : %lld;", (long long)w->in[1],
		 (long long)w->k[1], (long long)w->k[1]);
	emit_acc_init(o, max, b);
	out_line(o, "for (int r = r0; r < r1; r++)");
	out_line(o, "for (int kw = kwlo; kw < kwhi; kw++) {");
	out_line(o, "const float *xp = rc + ((int64_t)(r %% %lld) * %lld + iw0 + kw) * %lld;",
		 (long long)rows, (long long)w->in[1], (long long)b);
	emit_acc_step(o, max, b);
	out_line(o, "}");
	if (max)
		out_line(o, "for (int l = 0; l < %lld; l++) yr[ow * %lld + l] = acc[l];", (long long)b,
			 (long long)b);
	else {
		out_line(o, "const float inv = 1.0f / (float)(%s_ch[ph] * %s_cw[ow]);", e->fn, e->fn);
		out_line(o, "for (int l = 0; l < %lld; l++) yr[ow * %lld + l] = acc[l] * inv;",
			 (long long)b, (long long)b);
	}
	out_line(o, "}");
	out_line(o, "}");
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int kind = (int)ir_attr_int(e->n, "kind", PB_MAX);
	int64_t b = x->layout;
	if (kind == PB_GLOBAL_MAX || kind == PB_GLOBAL_AVG) {
		emit_global(e, x, b, kind == PB_GLOBAL_MAX);
		return 0;
	}
	return emit_window(e, x, b, kind == PB_MAX);
}

const OpDef opdef_POOLBLOCKED = {infer, NULL, emit, NULL, 0};

int pb_kind(const Graph *g, const Node *n)
{
	const Value *x = op_in(g, n, 0);
	if (!x || x->dtype != DT_FLOAT || x->shape.rank != 4)
		return -1;
	switch (n->op) {
	case OP_MAXPOOL:
		return ir_out(n, 1) == IR_NONE && ir_attr_int(n, "storage_order", 0) == 0 ? PB_MAX : -1;
	case OP_AVERAGEPOOL: return PB_AVG;
	case OP_GLOBALMAXPOOL: return PB_GLOBAL_MAX;
	case OP_GLOBALAVERAGEPOOL: return PB_GLOBAL_AVG;
	default: return -1;
	}
}
