/* qgemm.c - QConvGemm: integer Conv (any group, 2-D) and MatMul over int8/uint8 with
 * int32 accumulation and ORT's requantization; see qgemm.h for the node.
 *
 * The compile-time side packs the weights into the layout rt_qgemm.h reads (u8 weights
 * become s8 by subtracting 128 from weights and zero point, which keeps w - wz) and
 * folds everything that depends on the output channel only into c0:
 *   sum_k (x - xz)(w - wz) = sum x*w - wz * sum x - xz * sum w + k * xz * wz
 * so the run-time inner loop is a plain u8 x s8 dot product.
 *
 * Convolution (x and y stay NCHW): the kernel copies each group of x once into a
 * channels-last plane in scratch ([H + pads][W + pads][channels rounded up to 4], the
 * padding memset to xz so it adds nothing, int8 flipped to uint8) and rt_qconv reads
 * every output pixel's window in place from it: a row of the product is kh segments of
 * kw * c4 adjacent bytes (or kh * kw segments of c4 with a dilated width), so the
 * weights are packed tap-major, channel innermost, to match. This replaced an im2col
 * copy of kh * kw bytes per output pixel and element (ResNet-8 QDQ: 0.44 -> 0.20 ms).
 * Pointwise convolutions (1x1, stride 1, unpadded, one group) go to rt_qpw instead,
 * which with AVX-512 VNNI needs no transpose at all (rt_qgemm.h). MatMul rows are
 * copied (flipped) and go to rt_qgemm.
 *
 * Depthwise convolution (attribute dw: one channel per group) has its own kernel,
 * emit_dw: channel by channel over an int16 plane of x - xz, 16 outputs of a row in
 * int32 lanes (the general path would pad each 1-channel group to 16 output lanes).
 *
 * Channels-last activations (LAYOUT_NHWC, chosen by select_layout between QConvGemm
 * convolutions): with x channels-last the conv plane copy reads each pixel's channels
 * contiguously, a uint8 pointwise conv with C % 4 == 0 reads x in place as the rows of
 * the product (no copy at all), and the depthwise conv runs across channels (emit_dw_rows
 * for stride 1 along w: 32 adjacent bytes of an output row per tap; emit_dw_nhwc
 * otherwise: per pixel, blocks of 32/16/8 channels), with no plane; with AVX-512 VNNI,
 * emit_dw_rows's convs whose weights fit int8 and whose C divides or is a multiple of 64
 * call rt_qdw_vnni instead (4 taps per vpdpbusd lane; tables packed here, emit_dw_vnni;
 * DS-CNN's depthwise convs 3x faster). With y
 * channels-last the tiles are stored along n (rows of N bytes) instead of into columns.
 * Depthwise weights are tap-major ([kh * kw][C]) for both depthwise kernels.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qgemm.h"

static int64_t attr_i(const Node *n, const char *name)
{
	return ir_attr_int(n, name, 0);
}

static void attr2(const Node *n, const char *name, int64_t *v, size_t cnt)
{
	const int64_t *a;
	size_t got = ir_attr_ints(n, name, &a);
	for (size_t i = 0; i < cnt; i++)
		v[i] = i < got ? a[i] : 0;
}

/* A conv node's window: kernel, strides, dilations and pads (absent: 0). */
typedef struct QWin {
	int64_t k[2], s[2], d[2], p[4];
} QWin;

static QWin win_of(const Node *n)
{
	QWin w;
	attr2(n, "kernel", w.k, 2);
	attr2(n, "strides", w.s, 2);
	attr2(n, "dilations", w.d, 2);
	attr2(n, "pads", w.p, 4);
	return w;
}

/* Output extent of one conv axis. */
static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1)
{
	return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	Shape s = x->shape;
	if (attr_i(n, "conv")) {
		const QWin win = win_of(n);
		const int64_t *k = win.k, *st = win.s, *dl = win.d, *p = win.p;
		if (s.rank != 4)
			return ir_node_error(d, g, n, "input has rank %d, expected 4", s.rank);
		s.dims[1] = attr_i(n, "n");
		s.dims[2] = conv_out(x->shape.dims[2], k[0], st[0], dl[0], p[0], p[2]);
		s.dims[3] = conv_out(x->shape.dims[3], k[1], st[1], dl[1], p[1], p[3]);
	} else {
		s.dims[s.rank - 1] = attr_i(n, "n");
	}
	op_set_out(g, n, 0, (DType)attr_i(n, "ytype"), &s);
	return 0;
}

/* Rows of the product and bytes of scratch for them and their sums. */
static int64_t rows(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	if (attr_i(n, "conv"))
		return y->shape.dims[2] * y->shape.dims[3];
	return ir_numel(y) / attr_i(n, "n");
}

/* Channels of one group in the channels-last plane: rounded up to 4 (vpdpbusd's k),
   unless a kernel row's taps are adjacent (dilation 1 along w) and hold a multiple of 4
   bytes, which the tile then reads as they are (DS-CNN's first conv, 1 channel, 10x4:
   a quarter of the products). */
static int64_t plane_c(int64_t cg, int64_t kw, int64_t dw)
{
	return dw == 1 && kw * cg % 4 == 0 ? cg : (cg + 3) / 4 * 4;
}

static int64_t cg4(const Graph *g, const Node *n)
{
	int64_t kk[2] = {1, 1}, dl[2] = {1, 1};
	if (attr_i(n, "conv")) {
		attr2(n, "kernel", kk, 2);
		attr2(n, "dilations", dl, 2);
	}
	return plane_c(op_in(g, n, 0)->shape.dims[1] / attr_i(n, "group"), kk[1], dl[1]);
}

/* Bytes of the rows: matmul, M rows of kp; conv, one group's padded plane. */
static int64_t row_bytes(const Graph *g, const Node *n)
{
	if (attr_i(n, "conv")) {
		const Value *x = op_in(g, n, 0);
		int64_t p[4];
		attr2(n, "pads", p, 4);
		return ((x->shape.dims[2] + p[0] + p[2]) * (x->shape.dims[3] + p[1] + p[3]) *
				cg4(g, n) + 63) / 64 * 64;
	}
	return (rows(g, n) * attr_i(n, "kp") + 63) / 64 * 64;
}

/* The depthwise plane: rows of rw int16 (padding, and columns past the right pad so
   that 16-wide output blocks read inside it), and whether it holds a row's even columns
   then its odd ones (stride 2: every tap then reads 16 adjacent values). */
typedef struct DwPlane {
	int64_t ph, rw, half; /* half: 0, or where the odd columns start */
} DwPlane;

/* Outputs per register block: 16 int32 (one zmm), 8 for rows of at most 8 (DS-CNN's
   5-wide rows: 0.011 -> 0.010 ms per layer) */
static int64_t dw_block(int64_t ow)
{
	return ow <= 8 ? 8 : 16;
}

static DwPlane dw_plane(const Graph *g, const Node *n)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	const QWin win = win_of(n);
	const int64_t *kk = win.k, *st = win.s, *dl = win.d, *p = win.p;
	int64_t blk = dw_block(y->shape.dims[3]);
	int64_t owb = (y->shape.dims[3] + blk - 1) / blk * blk;
	int64_t pw = x->shape.dims[3] + p[1] + p[3], need = (owb - 1) * st[1] + (kk[1] - 1) * dl[1] + 1;
	DwPlane d = {x->shape.dims[2] + p[0] + p[2], pw > need ? pw : need, 0};
	if (st[1] == 2 && dl[1] == 1) {
		d.half = (d.rw + 1) / 2;
		d.rw = 2 * d.half;
	}
	return d;
}

/* A pointwise conv (1x1, stride 1, no padding, one group): rt_qpw. */
static bool is_pw(const Node *n)
{
	int64_t kk[2], st[2], p[4];
	attr2(n, "kernel", kk, 2);
	attr2(n, "strides", st, 2);
	attr2(n, "pads", p, 4);
	return attr_i(n, "conv") && attr_i(n, "group") == 1 && kk[0] == 1 && kk[1] == 1 &&
	       st[0] == 1 && st[1] == 1 && !p[0] && !p[1] && !p[2] && !p[3];
}

static int64_t scratch(const Graph *g, const Node *n)
{
	if (is_pw(n)) { /* rt_qpw_scratch */
		int64_t mp = (rows(g, n) + 31) / 32 * 32;
		int64_t a = (mp * cg4(g, n) + 63) / 64 * 64 + mp * 4, b = row_bytes(g, n) + rows(g, n) * 4;
		return a > b ? a : b; /* rt_qpw, or the plane path with a channels-last x or y */
	}
	if (attr_i(n, "dw")) {
		if (op_in(g, n, 0)->layout == LAYOUT_NHWC)
			return 0;
		DwPlane d = dw_plane(g, n);
		return d.ph * d.rw * 2;
	}
	return row_bytes(g, n) + rows(g, n) * 4;
}

/* The body of the loop over k that stores one byte of row r: `v` is x's element or
   padding. */
static void emit_rowsum(Out *o, bool wz, int64_t k, int64_t kp)
{
	out_line(o, "for (int64_t k = %lld; k < %lld; k++)", (long long)k, (long long)kp);
	out_line(o, "\tr[k] = 0;");
	if (wz) {
		out_line(o, "int32_t sum = 0;");
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", (long long)k);
		out_line(o, "\tsum += r[k];");
		out_line(o, "rs[p] = sum;");
	}
}

/* One group of x into the channels-last plane pl[PH][PW][c4] (flipped to uint8; the
   padding, memset to xz once, is never written), and with weight zero points the sum
   of each output pixel's window over the real channels. */
static void emit_plane(Emit *e, const Value *x, int64_t cg, int64_t c4, const int64_t *kk,
		       const int64_t *st, const int64_t *dl, const int64_t *p, int64_t oh,
		       int64_t ow, bool wz, int flip)
{
	Out *o = e->o;
	long long H = x->shape.dims[2], W = x->shape.dims[3], PW = W + p[1] + p[3];
	if (x->layout == LAYOUT_NHWC) { /* xg: the group's first channel of pixel 0 */
		out_line(o, "for (int64_t h = 0; h < %lld; h++)", H);
		out_line(o, "for (int64_t w = 0; w < %lld; w++) {", W);
		out_line(o, "uint8_t *pr = pl + ((h + %lld) * %lld + w + %lld) * %lld;", (long long)p[0],
			 PW, (long long)p[1], (long long)c4);
		out_line(o, "const %s *xr = xg + (h * %lld + w) * %lld;", cg_ctype(x->dtype), W,
			 (long long)x->shape.dims[1]);
		out_line(o, "for (int64_t c = 0; c < %lld; c++)", (long long)cg);
		out_line(o, "\tpr[c] = (uint8_t)(xr[c] ^ %d);", flip);
		out_line(o, "}");
	} else if (c4 <= 8) {
		/* few channels (a first layer): pixel by pixel, every byte of the pixel's c4
		   written (the padding channels xz), which compilers vectorize as interleaved
		   stores; channel by channel would be c4-strided byte stores */
		out_line(o, "for (int64_t h = 0; h < %lld; h++) {", H);
		out_line(o, "uint8_t *pr = pl + ((h + %lld) * %lld + %lld) * %lld;", (long long)p[0], PW,
			 (long long)p[1], (long long)c4);
		out_line(o, "const %s *xr = xg + h * %lld;", cg_ctype(x->dtype), W);
		out_line(o, "for (int64_t w = 0; w < %lld; w++) {", W);
		for (int64_t c = 0; c < c4; c++) {
			if (c < cg)
				out_line(o, "pr[w * %lld + %lld] = (uint8_t)(xr[w + %lld] ^ %d);", (long long)c4,
					 (long long)c, (long long)(c * H * W), flip);
			else
				out_line(o, "pr[w * %lld + %lld] = %lld;", (long long)c4, (long long)c,
					 (long long)attr_i(e->n, "xz"));
		}
		out_line(o, "}");
		out_line(o, "}");
	} else {
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)cg);
	out_line(o, "for (int64_t h = 0; h < %lld; h++) {", H);
	out_line(o, "uint8_t *pr = pl + ((h + %lld) * %lld + %lld) * %lld + c;", (long long)p[0], PW,
		 (long long)p[1], (long long)c4);
	out_line(o, "const %s *xr = xg + (c * %lld + h) * %lld;", cg_ctype(x->dtype), H, W);
	out_line(o, "for (int64_t w = 0; w < %lld; w++)", W);
	out_line(o, "\tpr[w * %lld] = (uint8_t)(xr[w] ^ %d);", (long long)c4, flip);
	out_line(o, "}");
	out_line(o, "}");
	}
	if (!wz)
		return;
	out_line(o, "for (int64_t q = 0; q < %lld; q++) {", (long long)(oh * ow));
	out_line(o, "const uint8_t *pp = pl + (q / %lld * %lld * %lld + q %% %lld * %lld) * %lld;",
		 (long long)ow, (long long)st[0], PW, (long long)ow, (long long)st[1], (long long)c4);
	out_line(o, "int32_t sum = 0;");
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)kk[0]);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)kk[1]);
	out_line(o, "for (int64_t c = 0; c < %lld; c++)", (long long)cg);
	out_line(o, "\tsum += pp[(i * %lld * %lld + j * %lld) * %lld + c];", (long long)dl[0], PW,
		 (long long)dl[1], (long long)c4);
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "rs[q] = sum;");
	out_line(o, "}");
}

/* Depthwise conv (one input channel per group, one output per group), channel by
   channel: x - xz into a zero-padded int16 plane, then per block of 16 outputs of a row
   the taps are summed in 16 int32 lanes (int16 x int16 products, a loop of constant
   length the compiler keeps in one vector register) and requantized. wq holds w - wz
   as int16 [c][kh][kw] and c0 the bias, so the sums are the integers the general path
   forms. */
static int emit_dw(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	const QWin win = win_of(n);
	const int64_t *kk = win.k, *st = win.s, *dl = win.d, *p = win.p;
	DwPlane d = dw_plane(g, n);
	long long C = x->shape.dims[1], H = x->shape.dims[2], W = x->shape.dims[3];
	long long OH = y->shape.dims[2], OW = y->shape.dims[3], RW = d.rw, HALF = d.half;
	const int DW_BLOCK = (int)dw_block(OW);
	const char *yt = cg_ctype(y->dtype);
	out_line(o, "int16_t *pl = (int16_t *)scratch;");
	out_line(o, "const float flo = %lld.0f, fhi = %lld.0f;", (long long)(attr_i(n, "lo") - attr_i(n, "yz")),
		 (long long)(attr_i(n, "hi") - attr_i(n, "yz")));
	out_line(o, "memset(pl, 0, %lld);", (long long)(d.ph * RW * 2));
	out_line(o, "for (int64_t bc = 0; bc < %lld; bc++) {", (long long)x->shape.dims[0] * C);
	out_line(o, "const int64_t c = bc %% %lld;", C);
	out_line(o, "for (int64_t ih = 0; ih < %lld; ih++) {", H);
	out_line(o, "int16_t *pr = pl + (ih + %lld) * %lld;", (long long)p[0], RW);
	out_line(o, "const %s *xr = x0 + (bc * %lld + ih) * %lld;", cg_ctype(x->dtype), H, W);
	out_line(o, "for (int64_t iw = 0; iw < %lld; iw++) {", W);
	if (HALF)
		out_line(o, "const int64_t col = iw + %lld, at = (col & 1) * %lld + (col >> 1);",
			 (long long)p[1], HALF);
	else
		out_line(o, "const int64_t at = iw + %lld;", (long long)p[1]);
	out_line(o, "pr[at] = (int16_t)((int16_t)(uint8_t)(xr[iw] ^ %d) - %lld);",
		 (int)attr_i(n, "flip"), (long long)attr_i(n, "xz"));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "const int16_t *wc = x1 + c;");
	out_line(o, "const float m = x3[c];");
	out_line(o, "const uint32_t bias = (uint32_t)x2[c];");
	out_line(o, "for (int64_t oh = 0; oh < %lld; oh++) {", OH);
	out_line(o, "%s *yr = y0 + (bc * %lld + oh) * %lld;", yt, OH, OW);
	out_line(o, "(void)yr;");
	out_line(o, "for (int64_t ow0 = 0; ow0 < %lld; ow0 += %d) {", OW, DW_BLOCK);
	out_line(o, "int32_t a[%d];", DW_BLOCK);
	out_line(o, "%s q[%d];", yt, DW_BLOCK);
	out_line(o, "for (int t = 0; t < %d; t++)", DW_BLOCK);
	out_line(o, "\ta[t] = 0;");
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)kk[0]);
	out_line(o, "const int16_t *prow = pl + (oh * %lld + i * %lld) * %lld;", (long long)st[0],
		 (long long)dl[0], RW);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)kk[1]);
	out_line(o, "const int32_t wv = wc[(i * %lld + j) * %lld];", (long long)kk[1], C);
	if (HALF) {
		out_line(o, "const int16_t *src = prow + (j & 1) * %lld + (j >> 1) + ow0;", HALF);
		out_line(o, "for (int t = 0; t < %d; t++)", DW_BLOCK);
		out_line(o, "\ta[t] += wv * src[t];");
	} else {
		out_line(o, "const int16_t *src = prow + j * %lld + ow0 * %lld;", (long long)dl[1],
			 (long long)st[1]);
		out_line(o, "for (int t = 0; t < %d; t++)", DW_BLOCK);
		out_line(o, "\ta[t] += wv * src[t * %lld];", (long long)st[1]);
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (int t = 0; t < %d; t++) {", DW_BLOCK);
	out_line(o, "const uint32_t v = (uint32_t)a[t] + bias;");
	out_line(o, "float f = (float)(v <= 0x7fffffffu ? (int32_t)v : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1) * m;");
	out_line(o, "f = f < flo ? flo : f > fhi ? fhi : f;");
	out_line(o, "q[t] = (%s)((int32_t)nearbyintf(f) + %lld);", yt, (long long)attr_i(n, "yz"));
	out_line(o, "}");
	if (y->layout == LAYOUT_NHWC) {
		out_line(o, "for (int64_t t = 0; t < %d && ow0 + t < %lld; t++)", DW_BLOCK, OW);
		out_line(o, "\ty0[(bc / %lld * %lld + oh * %lld + ow0 + t) * %lld + c] = q[t];", C,
			 OH * OW, OW, C);
	} else {
		out_line(o, "memcpy(yr + ow0, q, (size_t)(%lld - ow0 < %d ? %lld - ow0 : %d));", OW,
			 DW_BLOCK, OW, DW_BLOCK);
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

/* One block of nc channels (a constant, or "nc" for the tail) of output pixel (oh, ow)
   of the channels-last depthwise kernel: taps outside x are skipped (x - xz is 0 there),
   the products summed in int32 lanes across channels, requantized like emit_dw. */
static void emit_dw_nhwc_block(Emit *e, const char *nc)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	int64_t kk[2], dl[2];
	attr2(n, "kernel", kk, 2);
	attr2(n, "dilations", dl, 2);
	long long C = x->shape.dims[1], H = x->shape.dims[2], W = x->shape.dims[3];
	long long OH = y->shape.dims[2], OW = y->shape.dims[3];
	const char *yt = cg_ctype(y->dtype);
	out_line(o, "int32_t a[%s];", nc);
	out_line(o, "for (int t = 0; t < %s; t++)", nc);
	out_line(o, "\ta[t] = 0;");
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)kk[0]);
	out_line(o, "const int64_t ih = ih0 + i * %lld;", (long long)dl[0]);
	out_line(o, "if (ih < 0 || ih >= %lld)", H);
	out_line(o, "\tcontinue;");
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)kk[1]);
	out_line(o, "const int64_t iw = iw0 + j * %lld;", (long long)dl[1]);
	out_line(o, "if (iw < 0 || iw >= %lld)", W);
	out_line(o, "\tcontinue;");
	out_line(o, "const %s *xp = x0 + (ih * %lld + iw) * %lld + cb;", cg_ctype(x->dtype), W, C);
	out_line(o, "const int16_t *wp = x1 + (i * %lld + j) * %lld + cb;", (long long)kk[1], C);
	out_line(o, "for (int t = 0; t < %s; t++)", nc);
	out_line(o, "\ta[t] += (int32_t)wp[t] * ((int32_t)(uint8_t)(xp[t] ^ %d) - %lld);",
		 (int)attr_i(n, "flip"), (long long)attr_i(n, "xz"));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "%s q[%s];", yt, nc);
	out_line(o, "for (int t = 0; t < %s; t++) {", nc);
	out_line(o, "const uint32_t v = (uint32_t)a[t] + (uint32_t)x2[cb + t];");
	out_line(o, "float f = (float)(v <= 0x7fffffffu ? (int32_t)v : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1) * x3[cb + t];");
	out_line(o, "f = f < flo ? flo : f > fhi ? fhi : f;");
	out_line(o, "q[t] = (%s)((int32_t)nearbyintf(f) + %lld);", yt, (long long)attr_i(n, "yz"));
	out_line(o, "}");
	if (y->layout == LAYOUT_NHWC) {
		out_line(o, "memcpy(y0 + (oh * %lld + ow) * %lld + cb, q, (size_t)%s);", OW, C, nc);
	} else {
		out_line(o, "for (int t = 0; t < %s; t++)", nc);
		out_line(o, "\ty0[(cb + t) * %lld + oh * %lld + ow] = q[t];", OH * OW, OW);
	}
}

/* The lanes of one chunk of the row-wise channels-last depthwise kernel: 32 adjacent
   (pixel, channel) elements of an output row. */
#define DW_LANES 32

/* Whether emit_dw_rows applies: stride 1 along w (a tap then reads DW_LANES adjacent
   bytes of x), channels-last in and out, C a divisor or a multiple of DW_LANES (so a
   lane's channel is t % C, or f0 % C + t). */
static bool dw_rows_ok(const Graph *g, const Node *n)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int64_t st[2], C = x->shape.dims[1];
	attr2(n, "strides", st, 2);
	return st[1] == 1 && y->layout == LAYOUT_NHWC &&
	       (C % DW_LANES == 0 || DW_LANES % C == 0);
}

/* Whether rt_qdw_vnni can run a dw_rows_ok conv: weights w - wz within int8 (vpdpbusd's
   signed operand) and whole 64-byte chunks of one phase (C % 64 == 0 or 64 % C == 0). */
static bool dw_vnni_ok(const Graph *g, const Node *n)
{
	const Value *x = op_in(g, n, 0), *wq = op_in(g, n, 1), *c0 = op_in(g, n, 2), *m = op_in(g, n, 3);
	int64_t C = x->shape.dims[1];
	if (!wq->data || !c0->data || !m->data || wq->dtype != DT_INT16 || ir_has_in(n, 4) ||
	    (C % 64 && 64 % C))
		return false;
	const int16_t *w = wq->data;
	for (int64_t k = 0; k < ir_numel(wq); k++)
		if (w[k] < -128 || w[k] > 127)
			return false;
	return true;
}

/* A static const table of cnt values of C type ct, ten per line. */
static void emit_table(Out *o, const char *ct, const char *name, int64_t cnt, DType t,
		       const double *v)
{
	char lit[64];
	out_line(o, "static const %s %s[%lld] = {", ct, name, (long long)cnt);
	for (int64_t k = 0; k < cnt; k += 10) {
		char line[1024];
		size_t len = 0;
		for (int64_t i = k; i < cnt && i < k + 10; i++)
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s,", i > k ? " " : "",
						cg_lit(t, v[i], lit, sizeof lit));
		out_line(o, "%s", line);
	}
	out_line(o, "};");
}

/* The AVX-512 VNNI form of emit_dw_rows (rt_qdw_vnni): its tables packed here from wq,
   c0 and mult, as rt_qgemm.h describes, behind #ifdef RT_QGEMM_VNNI; the caller closes
   the #else branch. -1 when out of memory. */
static int emit_dw_vnni(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	const QWin win = win_of(n);
	const int64_t C = x->shape.dims[1], kh = win.k[0], kw = win.k[1], ng = (kw + 3) / 4;
	const int64_t nph = C >= 64 ? C / 64 : 1, nw = kh * ng * nph * 256, nb = nph * 64;
	const int16_t *wq = op_in(g, n, 1)->data;
	const int32_t *c0 = op_in(g, n, 2)->data;
	const float *mult = op_in(g, n, 3)->data;
	const int64_t xz = attr_i(n, "xz");
	double *tw = malloc((size_t)nw * sizeof *tw), *tb = malloc((size_t)nb * sizeof *tb);
	double *tm = malloc((size_t)nb * sizeof *tm);
	if (!tw || !tb || !tm) {
		free(tw);
		free(tb);
		free(tm);
		return -1;
	}
	for (int64_t ph = 0; ph < nph; ph++)
		for (int64_t k = 0; k < 4; k++)
			for (int64_t q = 0; q < 16; q++) {
				/* lane q = 4 L + m of vector k: byte 16 L + 4 k + m of the chunk */
				const int64_t b = q / 4 * 16 + k * 4 + q % 4, c = (ph * 64 + b) % C;
				const int64_t e8 = ph * 64 + k * 16 + q;
				uint32_t sum = 0;
				for (int64_t t = 0; t < kh * kw; t++)
					sum += (uint32_t)(int32_t)wq[t * C + c];
				/* c0 - xz * sum, wrapping as the kernel's int32 lanes do */
				const uint32_t v = (uint32_t)c0[c] - (uint32_t)xz * sum;
				tb[e8] = (double)(v <= 0x7fffffffu ? (int32_t)v : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1);
				tm[e8] = mult[c];
				for (int64_t i = 0; i < kh; i++)
					for (int64_t gg = 0; gg < ng; gg++)
						for (int64_t jj = 0; jj < 4; jj++) {
							const int64_t j = gg * 4 + jj;
							tw[(((i * ng + gg) * nph + ph) * 4 + k) * 64 + q * 4 + jj] =
								j < kw ? wq[(i * kw + j) * C + c] : 0;
						}
			}
	out_line(o, "#ifdef RT_QGEMM_VNNI");
	out_line(o, "(void)x1;");
	out_line(o, "(void)x2;");
	out_line(o, "(void)x3;");
	emit_table(o, "int8_t", "wv", nw, DT_INT8, tw);
	emit_table(o, "int32_t", "bv", nb, DT_INT32, tb);
	emit_table(o, "float", "mv", nb, DT_FLOAT, tm);
	free(tw);
	free(tb);
	free(tm);
	out_line(o, "const RtQDw dd = {%lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld};",
		 (long long)x->shape.dims[2], (long long)x->shape.dims[3], (long long)C,
		 (long long)y->shape.dims[2], (long long)y->shape.dims[3], (long long)kh, (long long)kw,
		 (long long)win.s[0], (long long)win.d[0], (long long)win.d[1], (long long)win.p[0],
		 (long long)win.p[1]);
	out_line(o, "rt_qdw_vnni((const uint8_t *)x0, %d, %lld, &dd, wv, bv, mv, %lld, %lld, %lld, %d, (uint8_t *)y0);",
		 (int)attr_i(n, "flip"), (long long)xz, (long long)attr_i(n, "yz"), (long long)attr_i(n, "lo"),
		 (long long)attr_i(n, "hi"), y->dtype == DT_INT8);
	out_line(o, "#else");
	return 0;
}

/* Depthwise conv, channels-last, stride 1 along w: an output row is OW * C adjacent
   bytes f = ow * C + c, and tap (i, j) adds w[i][j][c] * x[ih][ow + j * dw - pl][c],
   i.e. the input row's bytes at f + (j * dw - pl) * C. Chunks of DW_LANES elements
   whose pixels see no padding along w run one plain vector loop per tap; the others
   (the row's ends, its tail) the same loop with each lane's padding test. Rows of
   taps outside x are skipped (x - xz is 0 there). Weights with C < DW_LANES are
   repeated to DW_LANES lanes in a local table. */
static int emit_dw_rows(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	const QWin win = win_of(n);
	const int64_t *kk = win.k, *st = win.s, *dl = win.d, *p = win.p;
	long long C = x->shape.dims[1], H = x->shape.dims[2], W = x->shape.dims[3];
	long long OH = y->shape.dims[2], OW = y->shape.dims[3], L = DW_LANES;
	long long taps = kk[0] * kk[1], WL = C < L ? L : C;
	/* interior pixels: every tap inside the row */
	long long owlo = p[1], owhi = W - 1 + p[1] - (kk[1] - 1) * dl[1];
	int flip = (int)attr_i(n, "flip");
	long long xz = attr_i(n, "xz");
	const char *yt = cg_ctype(y->dtype), *xt = cg_ctype(x->dtype);
	const bool vnni = dw_vnni_ok(g, n);
	if (vnni && emit_dw_vnni(e) < 0)
		return -1;
	out_line(o, "const float flo = %lld.0f, fhi = %lld.0f;", (long long)(attr_i(n, "lo") - attr_i(n, "yz")),
		 (long long)(attr_i(n, "hi") - attr_i(n, "yz")));
	if (C < L) {
		out_line(o, "int16_t wr[%lld];", taps * L);
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", taps * L);
		out_line(o, "\twr[k] = x1[k / %lld * %lld + k %% %lld];", L, C, C);
		out_line(o, "int32_t br[%lld];", L);
		out_line(o, "float mr[%lld];", L);
		out_line(o, "for (int64_t k = 0; k < %lld; k++) {", L);
		out_line(o, "br[k] = x2[k %% %lld];", C);
		out_line(o, "mr[k] = x3[k %% %lld];", C);
		out_line(o, "}");
	} else {
		out_line(o, "const int16_t *wr = x1;");
		out_line(o, "const int32_t *br = x2;");
		out_line(o, "const float *mr = x3;");
	}
	out_line(o, "for (int64_t oh = 0; oh < %lld; oh++) {", OH);
	out_line(o, "%s *yr = y0 + oh * %lld;", yt, OW * C);
	out_line(o, "for (int64_t f0 = 0; f0 < %lld; f0 += %lld) {", OW * C, L);
	out_line(o, "const int64_t wo = f0 %% %lld;", WL);
	out_line(o, "int32_t a[%lld];", L);
	out_line(o, "for (int t = 0; t < %lld; t++)", L);
	out_line(o, "\ta[t] = 0;");
	out_line(o, "if (f0 / %lld >= %lld && (f0 + %lld) / %lld <= %lld && f0 + %lld <= %lld) {", C, owlo,
		 L - 1, C, owhi, L, OW * C);
	for (int masked = 0; masked < 2; masked++) {
		if (masked)
			out_line(o, "} else {");
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)kk[0]);
		out_line(o, "const int64_t ih = oh * %lld - %lld + i * %lld;", (long long)st[0], (long long)p[0],
			 (long long)dl[0]);
		out_line(o, "if (ih < 0 || ih >= %lld)", H);
		out_line(o, "\tcontinue;");
		out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)kk[1]);
		out_line(o, "const int64_t sh = (j * %lld - %lld) * %lld;", (long long)dl[1], (long long)p[1], C);
		if (masked) { /* pixel by pixel (CW lanes: C, or DW_LANES of one pixel) */
			long long CW = C < L ? C : L;
			out_line(o, "for (int64_t pp = 0; pp < %lld; pp++) {", L / CW);
			out_line(o, "const int64_t f = f0 + pp * %lld, iw = f / %lld + j * %lld - %lld;", CW, C,
				 (long long)dl[1], (long long)p[1]);
			out_line(o, "if (f >= %lld)", OW * C);
			out_line(o, "\tbreak;");
			out_line(o, "if (iw < 0 || iw >= %lld)", W);
			out_line(o, "\tcontinue;");
			out_line(o, "const %s *xp = x0 + ih * %lld + f + sh;", xt, W * C);
			out_line(o, "const int16_t *wp = wr + (i * %lld + j) * %lld + wo + pp * %lld;",
				 (long long)kk[1], WL, CW);
			out_line(o, "for (int t = 0; t < %lld; t++)", CW);
			out_line(o, "\ta[pp * %lld + t] += (int32_t)wp[t] * ((int32_t)(uint8_t)(xp[t] ^ %d) - %lld);",
				 CW, flip, xz);
			out_line(o, "}");
		} else {
			out_line(o, "const %s *xp = x0 + ih * %lld + f0 + sh;", xt, W * C);
			out_line(o, "const int16_t *wp = wr + (i * %lld + j) * %lld + wo;", (long long)kk[1], WL);
			out_line(o, "for (int t = 0; t < %lld; t++)", L);
			out_line(o, "\ta[t] += (int32_t)wp[t] * ((int32_t)(uint8_t)(xp[t] ^ %d) - %lld);", flip, xz);
		}
		out_line(o, "}");
		out_line(o, "}");
	}
	out_line(o, "}");
	out_line(o, "%s q[%lld];", yt, L);
	out_line(o, "for (int t = 0; t < %lld; t++) {", L);
	out_line(o, "const uint32_t v = (uint32_t)a[t] + (uint32_t)br[wo + t];");
	out_line(o, "float f = (float)(v <= 0x7fffffffu ? (int32_t)v : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1) * mr[wo + t];");
	out_line(o, "f = f < flo ? flo : f > fhi ? fhi : f;");
	out_line(o, "q[t] = (%s)((int32_t)nearbyintf(f) + %lld);", yt, (long long)attr_i(n, "yz"));
	out_line(o, "}");
	out_line(o, "memcpy(yr + f0, q, (size_t)(%lld - f0 < %lld ? %lld - f0 : %lld));", OW * C, L, OW * C, L);
	out_line(o, "}");
	out_line(o, "}");
	if (vnni)
		out_line(o, "#endif");
	return 0;
}

/* Depthwise conv on channels-last x (LAYOUT_NHWC, batch 1): per output pixel, blocks of
   32 (16, 8) adjacent channels in int32 lanes, the tap's weights one vector of the
   tap-major wq; no plane, no transpose. Same integers and rounding as emit_dw. */
static int emit_dw_nhwc(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	int64_t st[2], p[4];
	attr2(n, "strides", st, 2);
	attr2(n, "pads", p, 4);
	long long C = x->shape.dims[1], OH = y->shape.dims[2], OW = y->shape.dims[3];
	long long CB = C >= 32 ? 32 : C >= 16 ? 16 : 8, full = C / CB * CB;
	out_line(o, "const float flo = %lld.0f, fhi = %lld.0f;", (long long)(attr_i(n, "lo") - attr_i(n, "yz")),
		 (long long)(attr_i(n, "hi") - attr_i(n, "yz")));
	out_line(o, "for (int64_t oh = 0; oh < %lld; oh++)", OH);
	out_line(o, "for (int64_t ow = 0; ow < %lld; ow++) {", OW);
	out_line(o, "const int64_t ih0 = oh * %lld - %lld, iw0 = ow * %lld - %lld;", (long long)st[0],
		 (long long)p[0], (long long)st[1], (long long)p[1]);
	if (full) {
		char nc[32];
		snprintf(nc, sizeof nc, "%lld", CB);
		out_line(o, "for (int64_t cb = 0; cb < %lld; cb += %lld) {", full, CB);
		emit_dw_nhwc_block(e, nc);
		out_line(o, "}");
	}
	if (full < C) {
		out_line(o, "{");
		out_line(o, "const int64_t cb = %lld;", full);
		char nc[32];
		snprintf(nc, sizeof nc, "%lld", C - full);
		emit_dw_nhwc_block(e, nc);
		out_line(o, "}");
	}
	out_line(o, "}");
	return 0;
}

static int emit(Emit *e)
{
	if (attr_i(e->n, "dw"))
		return op_in(e->g, e->n, 0)->layout != LAYOUT_NHWC ? emit_dw(e)
		       : dw_rows_ok(e->g, e->n)                    ? emit_dw_rows(e)
								   : emit_dw_nhwc(e);
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Out *o = e->o;
	bool wz = ir_has_in(n, 4);
	int64_t N = attr_i(n, "n"), K = attr_i(n, "k"), kp = attr_i(n, "kp"), G = attr_i(n, "group");
	int64_t M = rows(g, n), ng = N / G, nblk = (ng + 15) / 16 * 16;
	int flip = (int)attr_i(n, "flip");
	const char *xt = cg_ctype(x->dtype);
	out_line(o, "uint8_t *col = (uint8_t *)scratch;");
	out_line(o, "int32_t *rs = (int32_t *)(col + %lld);", (long long)row_bytes(g, n));
	out_line(o, "(void)rs;");
	char tail[256];
	snprintf(tail, sizeof tail, "%lld, %lld, %lld, %d", (long long)attr_i(n, "yz"),
		 (long long)attr_i(n, "lo"), (long long)attr_i(n, "hi"), y->dtype == DT_INT8);
	if (!attr_i(n, "conv")) {
		out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)M);
		out_line(o, "uint8_t *r = col + p * %lld;", (long long)kp);
		out_line(o, "const %s *xr = x0 + p * %lld;", xt, (long long)K);
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", (long long)K);
		out_line(o, "\tr[k] = (uint8_t)(xr[k] ^ %d);", flip);
		emit_rowsum(o, wz, K, kp);
		out_line(o, "}");
		out_line(o, "rt_qgemm(col, %lld, %lld, x1, %lld, x2, x3, %s, rs, %s, y0, %lld, 1);",
			 (long long)M, (long long)kp, (long long)N, wz ? "x4" : "NULL", tail,
			 (long long)N);
		return 0;
	}
	const QWin win = win_of(n);
	const int64_t *kk = win.k, *st = win.s, *dl = win.d, *p = win.p;
	int64_t C = x->shape.dims[1], cg = C / G, HW = x->shape.dims[2] * x->shape.dims[3];
	int64_t c4 = cg4(g, n), PW = x->shape.dims[3] + p[1] + p[3];
	const bool xl = x->layout == LAYOUT_NHWC, yl = y->layout == LAYOUT_NHWC;
	/* y's tile strides: NCHW columns, or channels-last rows */
	const long long ysm = yl ? N : 1, ysn = yl ? 1 : M;
	if (is_pw(n) && xl && !flip && c4 == C) {
		/* channels-last uint8 x with C % 4 == 0 is already the rows of the product */
		out_line(o, "(void)col;");
		if (wz) {
			out_line(o, "for (int64_t p = 0; p < %lld; p++) {", (long long)M);
			out_line(o, "int32_t sum = 0;");
			out_line(o, "for (int64_t c = 0; c < %lld; c++)", (long long)C);
			out_line(o, "\tsum += x0[p * %lld + c];", (long long)C);
			out_line(o, "rs[p] = sum;");
			out_line(o, "}");
		}
		out_line(o, "const RtQSeg sg = {1, 1, 0, 0, %lld};", (long long)(C / 4));
		out_line(o, "rt_qconv((const uint8_t *)x0, 1, %lld, 0, %lld, &sg, x1, %lld, x2, x3, %s, rs, %s, y0, %lld, %lld);",
			 (long long)M, (long long)C, (long long)N, wz ? "x4" : "NULL", tail, ysm, ysn);
		return 0;
	}
	if (is_pw(n) && !xl && !yl) {
		out_line(o, "(void)col;");
		out_line(o, "for (int64_t b = 0; b < %lld; b++)", (long long)x->shape.dims[0]);
		out_line(o, "\trt_qpw((const uint8_t *)x0 + b * %lld, %d, %lld, %lld, %lld, x1, %lld, x2, x3, %s, %s, (%s *)y0 + b * %lld, scratch);",
			 (long long)(C * HW), flip, (long long)M, (long long)C, (long long)c4,
			 (long long)N, wz ? "x4" : "NULL", tail, cg_ctype(y->dtype), (long long)(N * M));
		return 0;
	}
	char wzs[64];
	snprintf(wzs, sizeof wzs, "x4 + grp * %lld", (long long)ng);
	/* kernel rows as segments; with dilation 1 along w a row's taps are adjacent */
	long long nj = dl[1] == 1 ? 1 : kk[1], seg4 = (dl[1] == 1 ? kk[1] : 1) * c4 / 4;
	out_line(o, "uint8_t *pl = col;");
	out_line(o, "const RtQSeg sg = {%lld, %lld, %lld, %lld, %lld};", (long long)kk[0], nj,
		 (long long)(dl[0] * PW * c4), (long long)(dl[1] * c4), seg4);
	if (p[0] || p[1] || p[2] || p[3] || c4 != cg)
		out_line(o, "memset(pl, %lld, %lld);", (long long)attr_i(n, "xz"), (long long)row_bytes(g, n));
	out_line(o, "for (int64_t b = 0; b < %lld; b++)", (long long)x->shape.dims[0]);
	out_line(o, "for (int64_t grp = 0; grp < %lld; grp++) {", (long long)G);
	if (xl)
		out_line(o, "const %s *xg = x0 + b * %lld + grp * %lld;", xt, (long long)(C * HW),
			 (long long)cg);
	else
		out_line(o, "const %s *xg = x0 + (b * %lld + grp * %lld) * %lld;", xt, (long long)C,
			 (long long)cg, (long long)HW);
	emit_plane(e, x, cg, c4, kk, st, dl, p, y->shape.dims[2], y->shape.dims[3], wz, flip);
	out_line(o, "rt_qconv(pl, %lld, %lld, %lld, %lld, &sg, x1 + grp * %lld, %lld, x2 + grp * %lld, x3 + grp * %lld, %s, rs, %s, (%s *)y0 + b * %lld + grp * %lld, %lld, %lld);",
		 (long long)y->shape.dims[2], (long long)y->shape.dims[3],
		 (long long)(st[0] * PW * c4), (long long)(st[1] * c4), (long long)(nblk * kp),
		 (long long)ng, (long long)ng, (long long)ng, wz ? wzs : "NULL", tail,
		 cg_ctype(y->dtype), (long long)(N * M), (long long)(ng * (yl ? 1 : M)), ysm, ysn);
	out_line(o, "}");
	return 0;
}

/* ------------------------------------------------------------ building the node */

/* Channels of one group rounded up to 4: a conv's k runs over channels innermost. */
static int64_t spec_c4(const QGemmSpec *s)
{
	return plane_c(s->k / (s->kernel[0] * s->kernel[1]), s->kernel[1], s->dilations[1]);
}

/* Where k (ONNX order: channel, kernel row, kernel column) goes in a packed row: conv
   rows are read from a channels-last plane, so tap-major with the channels padded to 4. */
static int64_t kpos(const QGemmSpec *s, int64_t k)
{
	if (!s->conv)
		return k;
	const int64_t taps = s->kernel[0] * s->kernel[1];
	return k % taps * spec_c4(s) + k / taps;
}

/* Packs group grp's weights (s8, zero point moved with them) and fills its c0 and wz. */
static void pack_group(const QGemmSpec *s, int64_t grp, int64_t kp, int8_t *wp, int32_t *c0,
		       int32_t *wz, bool *any_wz)
{
	int64_t ng = s->n / s->group;
	int32_t shift = s->wtype == DT_UINT8 ? 128 : 0;
	for (int64_t j = 0; j < ng; j++) {
		int64_t oc = grp * ng + j;
		int32_t z = (int32_t)s->wz[oc] - shift;
		uint32_t colsum = 0;
		for (int64_t k = 0; k < s->k; k++) {
			int64_t idx = oc * s->k + k;
			int32_t w = (s->wtype == DT_UINT8 ? (int32_t)((const uint8_t *)s->w)[idx]
							  : (int32_t)((const int8_t *)s->w)[idx]) - shift;
			const int64_t kq = kpos(s, k);
			wp[(j / 16) * 16 * kp + (kq / 4) * 64 + (j % 16) * 4 + kq % 4] = (int8_t)w;
			colsum += (uint32_t)w;
		}
		uint32_t xz = (uint32_t)(s->xz + (s->xtype == DT_INT8 ? 128 : 0));
		uint32_t v = (uint32_t)(s->bias ? s->bias[oc] : 0) - xz * colsum +
			     (uint32_t)s->k * xz * (uint32_t)z;
		memcpy(&c0[oc], &v, 4);
		wz[oc] = z;
		*any_wz |= z != 0;
	}
}

static uint32_t add_const(Graph *g, const char *hint, const char *base, DType t, int64_t n,
			  const void *data)
{
	char name[256];
	Shape s = {1, {n}};
	snprintf(name, sizeof name, "%s_%s", base, hint);
	return ir_add_const(g, name, t, &s, data);
}

/* Depthwise: one input and one output channel per group. */
static bool is_dw(const QGemmSpec *s)
{
	return s->conv && s->group > 1 && s->group == s->n && s->k == s->kernel[0] * s->kernel[1];
}

/* The depthwise constants: w - wz as int16 [kh * kw][n] (tap-major, so that the
   channels-last kernel loads a tap's weights for adjacent channels as one vector) and
   c0 = bias. */
static int pack_dw(Graph *g, const QGemmSpec *s, int16_t **wq, int32_t **c0)
{
	*wq = arena_alloc(g->arena, (size_t)(s->n * s->k) * 2);
	*c0 = arena_alloc(g->arena, (size_t)s->n * 4);
	if (!*wq || !*c0)
		return -1;
	for (int64_t oc = 0; oc < s->n; oc++) {
		for (int64_t k = 0; k < s->k; k++) {
			int64_t idx = oc * s->k + k;
			int32_t w = s->wtype == DT_UINT8 ? (int32_t)((const uint8_t *)s->w)[idx]
							 : (int32_t)((const int8_t *)s->w)[idx];
			(*wq)[k * s->n + oc] = (int16_t)(w - (int32_t)s->wz[oc]);
		}
		(*c0)[oc] = s->bias ? s->bias[oc] : 0;
	}
	return 0;
}

int qg_make_node(Graph *g, uint32_t id, uint32_t x, uint32_t y, const QGemmSpec *s, Diag *d)
{
	const bool dw = is_dw(s);
	int64_t ng = s->n / s->group, nblk = (ng + 15) / 16 * 16;
	int64_t kp = s->conv ? s->kernel[0] * s->kernel[1] * spec_c4(s) : (s->k + 3) / 4 * 4;
	int64_t nw = s->group * nblk * kp;
	int8_t *wp = dw ? NULL : arena_alloc(g->arena, (size_t)nw);
	int32_t *c0 = arena_alloc(g->arena, (size_t)s->n * 4), *wz = arena_alloc(g->arena, (size_t)s->n * 4);
	float *mult = arena_alloc(g->arena, (size_t)s->n * 4);
	bool any_wz = false;
	if ((!dw && !wp) || !c0 || !wz || !mult)
		return diag_error(d, "out of memory");
	int16_t *dwq = NULL;
	if (dw) {
		if (pack_dw(g, s, &dwq, &c0) < 0)
			return diag_error(d, "out of memory");
	} else {
		for (int64_t grp = 0; grp < s->group; grp++)
			pack_group(s, grp, kp, wp + grp * nblk * kp, c0, wz, &any_wz);
	}
	for (int64_t oc = 0; oc < s->n; oc++) {
		float m = s->xs * s->ws[oc];
		mult[oc] = m / s->ys;
	}
	const char *base = ir_node(g, id)->name;
	uint32_t ins[5] = {x, dw ? add_const(g, "wq", base, DT_INT16, s->n * s->k, dwq)
			      : add_const(g, "wq", base, DT_INT8, nw, wp),
			   add_const(g, "c0", base, DT_INT32, s->n, c0),
			   add_const(g, "mult", base, DT_FLOAT, s->n, mult),
			   any_wz ? add_const(g, "wz", base, DT_INT32, s->n, wz) : IR_NONE};
	Node *n = ir_node(g, id);
	n->op = OP_QCONVGEMM;
	n->op_type = op_name(OP_QCONVGEMM);
	n->domain = op_domain(OP_QCONVGEMM);
	n->ninputs = any_wz ? 5 : 4;
	n->inputs = arena_memdup(g->arena, ins, sizeof ins);
	n->noutputs = 1;
	n->outputs = arena_memdup(g->arena, &y, sizeof y);
	n->nattrs = 0;
	n->attrs = NULL;
	if (!n->inputs || !n->outputs)
		return diag_error(d, "out of memory");
	ir_value(g, y)->producer = id;
	int64_t flip = s->xtype == DT_INT8 ? 128 : 0;
	ir_set_attr_int(g, id, "conv", s->conv);
	ir_set_attr_int(g, id, "group", s->group);
	if (dw)
		ir_set_attr_int(g, id, "dw", 1);
	if (s->conv) {
		ir_set_attr_ints(g, id, "kernel", s->kernel, 2);
		ir_set_attr_ints(g, id, "strides", s->strides, 2);
		ir_set_attr_ints(g, id, "dilations", s->dilations, 2);
		ir_set_attr_ints(g, id, "pads", s->pads, 4);
	}
	ir_set_attr_int(g, id, "n", s->n);
	ir_set_attr_int(g, id, "k", s->k);
	ir_set_attr_int(g, id, "kp", kp);
	ir_set_attr_int(g, id, "xz", s->xz + flip);
	ir_set_attr_int(g, id, "flip", flip);
	ir_set_attr_int(g, id, "yz", s->yz);
	ir_set_attr_int(g, id, "lo", s->lo);
	ir_set_attr_int(g, id, "hi", s->hi);
	ir_set_attr_int(g, id, "ytype", s->ytype);
	return 0;
}

const OpDef opdef_QCONVGEMM = {infer, NULL, emit, scratch, 0};
