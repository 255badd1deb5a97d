/* qlinear.c - the com.microsoft QOperator ops ONNX Runtime's quantizer emits:
 * QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool,
 * QLinearConcat, QLinearSigmoid and QLinearLeakyRelu, on int8 or uint8.
 *
 * Key decision: every result is rounded the way ONNX Runtime's x86 kernels round
 * it, so a QOperator model gives the same bytes here and there. That means float
 * (not double) arithmetic in ORT's order of operations, round half to even, then
 * saturation:
 *   Add:   t = (zc - (ra*za + rb*zb)) + a*ra + b*rb with ra = sa/sc, rb = sb/sc; when
 *          b is constant along the innermost output axis ORT folds b*rb into the
 *          constant first, which rounds differently, so we do too
 *   Mul:   rint(float((a-za)*(b-zb)) * (sa*sb/sc) + zc), the zero point added in float
 *   GlobalAveragePool: float(sum(x) - zx*n) * (sx / (sy*n)), plus zy
 *   AveragePool: dequantize each tap, sum and divide in float, then
 *          rint(v / sy + zy)
 *   Concat, Sigmoid, LeakyRelu: a 256-entry table made at compile time from
 *          dequantize -> f -> rint(v / sy) + zy (inputs whose scale and zero point
 *          equal the output's are copied)
 * fold_qdq sets two attributes on the Add/Mul/AveragePool it makes: u8_shift (int8
 * computed as ORT does after rewriting int8 to uint8) and lut (Add/Mul: the result
 * goes through the 256-entry table of input 8).
 * QLut (internal, made by fold_qdq): y = table[x] for an 8-bit x and a constant
 * 256-entry table of y's type indexed by x's byte, the exact form of any float
 * elementwise function between DequantizeLinear and QuantizeLinear.
 * Scales and zero points must be constant scalars (ORT requires it for most).
 * Statements are split so no compiler fuses a multiply and an add.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "window.h"

static const DType q8_types[] = {DT_INT8, DT_UINT8, DT_UNDEFINED};

typedef struct QParam {
	float s;   /* scale */
	int32_t z; /* zero point (0 when absent) */
} QParam;

static int32_t qlo(DType t) { return t == DT_INT8 ? -128 : 0; }
static int32_t qhi(DType t) { return t == DT_INT8 ? 127 : 255; }

/* Reads the constant scalar scale input ks and zero point input kz (may be absent). */
static int read_qparam(const Graph *g, const Node *n, int ks, int kz, DType qt, QParam *p,
		       Diag *d)
{
	const Value *s = op_in(g, n, ks), *z = op_in(g, n, kz);
	if (!s || s->dtype != DT_FLOAT || !s->data || ir_numel(s) != 1)
		return ir_node_error(d, g, n, "input %d (scale) must be a constant float scalar", ks);
	p->s = (float)dtype_get_f64(DT_FLOAT, s->data, 0);
	p->z = 0;
	if (!(p->s > 0) || !isfinite(p->s))
		return ir_node_error(d, g, n, "input %d (scale) is %g, expected a positive number",
				     ks, (double)p->s);
	if (!z)
		return 0;
	if (z->dtype != qt || !z->data || ir_numel(z) != 1)
		return ir_node_error(d, g, n,
				     "input %d (zero point) must be a constant %s scalar", kz,
				     dtype_name(qt));
	p->z = (int32_t)dtype_get_i64(z->dtype, z->data, 0);
	return 0;
}

/* float literal of v (exact: 9 significant digits round-trip a float) */
static const char *flit(float v, char *buf, size_t n)
{
	return cg_lit(DT_FLOAT, (double)v, buf, n);
}

/* y = saturated rint(expr) + z, as an assignment to dst */
static void store_q(Out *o, const char *dst, DType t, const char *expr, int32_t z)
{
	out_line(o, "%s = (%s)rt_q_satf(nearbyintf(%s) + %d.0f, %d, %d);", dst, cg_ctype(t), expr,
		 (int)z, (int)qlo(t), (int)qhi(t));
}

/* ------------------------------------------------------------ Add and Mul */

static float mul_ratio(QParam a, QParam b, QParam c)
{
	float r = a.s * b.s;
	return r / c.s;
}

/* Attribute u8_shift (set by fold_qdq on int8 nodes): compute as ORT does after its
   QDQ int8 -> uint8 rewrite on x86, values and zero points moved up by 128, the
   result moved back. Returns the shift (0 or 128) and moves the zero points. */
static int u8_shift(const Node *n, DType t, QParam *a, QParam *b, QParam *c)
{
	if (t != DT_INT8 || !ir_attr_int(n, "u8_shift", 0))
		return 0;
	a->z += 128;
	if (b)
		b->z += 128;
	c->z += 128;
	return 128;
}

/* Stores q (in A's type) to y0, through the table of input 8 when attribute lut is set:
   fold_qdq folds a following QLut (DQ -> Relu -> Q after the Add) in here. */
static void store_lut(Out *o, const Node *n, DType yt)
{
	if (ir_attr_int(n, "lut", 0))
		out_line(o, "y0[yi++] = x8[(uint8_t)q];");
	else
		out_line(o, "y0[yi++] = (%s)q;", cg_ctype(yt));
}

/* inputs A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp [, table (attribute lut)] */
static int bin_infer(Graph *g, Node *n, Diag *d)
{
	QParam pa, pb, pc;
	Shape out;
	char s1[128], s2[128];
	bool lut = ir_attr_int(n, "lut", 0) != 0;
	if (op_check_arity(g, n, 7, lut ? 9 : 8, lut ? 9 : 7, d) < 0 ||
	    op_check_dtype(g, n, 0, q8_types, d) < 0)
		return -1;
	if (lut && (op_check_dtype(g, n, 8, q8_types, d) < 0 || !op_in(g, n, 8)->data ||
		    ir_numel(op_in(g, n, 8)) != 256))
		return ir_node_error(d, g, n, "input 8 (table) must be a constant of 256 entries");
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 3);
	if (b->dtype != a->dtype)
		return ir_node_error(d, g, n, "B is %s but A is %s", dtype_name(b->dtype),
				     dtype_name(a->dtype));
	if (read_qparam(g, n, 1, 2, a->dtype, &pa, d) < 0 ||
	    read_qparam(g, n, 4, 5, a->dtype, &pb, d) < 0 ||
	    read_qparam(g, n, 6, 7, a->dtype, &pc, d) < 0)
		return -1;
	if (shape_broadcast(&a->shape, &b->shape, &out) < 0)
		return ir_node_error(d, g, n, "shapes %s and %s do not broadcast",
				     shape_str(&a->shape, s1, sizeof s1),
				     shape_str(&b->shape, s2, sizeof s2));
	op_set_out(g, n, 0, lut ? op_in(g, n, 8)->dtype : a->dtype, &out);
	return 0;
}

/* True when v does not vary along the innermost output axis longer than 1, the
   case ORT's broadcaster hands to its kernels as a scalar. */
static bool inner_scalar(const Shape *v, const Shape *full)
{
	int ax = full->rank - 1;
	while (ax >= 0 && full->dims[ax] == 1)
		ax--;
	if (ax < 0)
		return false;
	int vi = ax - (full->rank - v->rank);
	return vi < 0 || v->dims[vi] == 1;
}

static int bin_emit(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 3), *y = op_outv(g, n, 0);
	QParam pa, pb, pc;
	Diag d;
	char ia[512], ib[512], l1[64], l2[64], l3[64];
	diag_init(&d, "");
	if (read_qparam(g, n, 1, 2, a->dtype, &pa, &d) < 0 ||
	    read_qparam(g, n, 4, 5, a->dtype, &pb, &d) < 0 ||
	    read_qparam(g, n, 6, 7, a->dtype, &pc, &d) < 0)
		return -1;
	Out *o = e->o;
	int shift = u8_shift(n, a->dtype, &pa, &pb, &pc);
	int loops = cg_loops(o, &y->shape, "i");
	cg_bcast_index(&a->shape, &y->shape, "i", ia, sizeof ia);
	cg_bcast_index(&b->shape, &y->shape, "i", ib, sizeof ib);
	out_line(o, "const int32_t a = (int32_t)x0[%s] + %d, b = (int32_t)x3[%s] + %d;", ia, shift,
		 ib, shift);
	if (n->op == OP_QLINEARMUL) {
		out_line(o, "const float p = (float)((a - %d) * (b - %d));", (int)pa.z, (int)pb.z);
		out_line(o, "const float t = p * %s;", flit(mul_ratio(pa, pb, pc), l1, sizeof l1));
		out_line(o, "const float r = nearbyintf(t + %d.0f);", (int)pc.z);
		out_line(o, "const int32_t q = rt_q_satf(r, %d, %d) - %d;", (int)qlo(a->dtype) + shift,
			 (int)qhi(a->dtype) + shift, shift);
		store_lut(o, n, y->dtype);
	} else {
		float ra = pa.s / pc.s, rb = pb.s / pc.s;
		float za = ra * (float)pa.z, zb = rb * (float)pb.z;
		float fixed = (float)pc.z - (za + zb);
		out_line(o, "const float fa = (float)a * %s;", flit(ra, l1, sizeof l1));
		out_line(o, "const float fb = (float)b * %s;", flit(rb, l2, sizeof l2));
		if (inner_scalar(&b->shape, &y->shape) && !inner_scalar(&a->shape, &y->shape))
			out_line(o, "const float t0 = %s + fb;", flit(fixed, l3, sizeof l3));
		else
			out_line(o, "const float t0 = %s + fa;", flit(fixed, l3, sizeof l3));
		if (inner_scalar(&b->shape, &y->shape) && !inner_scalar(&a->shape, &y->shape))
			out_line(o, "const float t = t0 + fa;");
		else
			out_line(o, "const float t = t0 + fb;");
		out_line(o, "const int32_t q = rt_q_satf(nearbyintf(t), %d, %d) - %d;",
			 (int)qlo(a->dtype) + shift, (int)qhi(a->dtype) + shift, shift);
		store_lut(o, n, y->dtype);
	}
	cg_close(o, loops);
	return 0;
}

/* the loops above index the output through yi */
static int bin_emit_top(Emit *e)
{
	out_line(e->o, "int64_t yi = 0;");
	return bin_emit(e);
}

/* ------------------------------------------------------------ lookup-table ops */

enum { LUT_SIGMOID, LUT_LEAKYRELU, LUT_REQUANT };

/* Fills tab[256] (indexed by the byte of x) for x's params px to y's py. */
static void make_table(int kind, double alpha, DType t, QParam px, QParam py, int32_t *tab)
{
	for (int i = 0; i < 256; i++) {
		int32_t q = t == DT_INT8 ? (int32_t)(int8_t)(uint8_t)i : i;
		float v = (float)(q - px.z) * px.s;
		if (kind == LUT_SIGMOID)
			v = 1.0f / (1.0f + expf(-v));
		else if (kind == LUT_LEAKYRELU && v < 0)
			v = v * (float)alpha;
		float r = nearbyintf(v / py.s) + (float)py.z;
		tab[i] = r < (float)qlo(t) ? qlo(t) : r > (float)qhi(t) ? qhi(t) : (int32_t)r;
	}
}

/* Emits `static const <T> <fn>_<name>[256]` into decls. */
static void emit_table(Emit *e, const char *name, DType t, const int32_t *tab)
{
	out_line(e->decls, "static const %s %s_%s[256] = {", cg_ctype(t), e->fn, name);
	for (int i = 0; i < 256; i += 16) {
		char line[256];
		size_t k = 0;
		for (int j = i; j < i + 16; j++)
			k += (size_t)snprintf(line + k, sizeof line - k, "%d,%s", (int)tab[j],
					      j + 1 < i + 16 ? " " : "");
		out_line(e->decls, "\t%s", line);
	}
	out_line(e->decls, "};");
}

/* inputs X, X_scale, X_zp, Y_scale, Y_zp */
static int unary_infer(Graph *g, Node *n, Diag *d)
{
	QParam px, py;
	if (op_check_arity(g, n, 4, 5, 4, d) < 0 || op_check_dtype(g, n, 0, q8_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (read_qparam(g, n, 1, 2, x->dtype, &px, d) < 0 ||
	    read_qparam(g, n, 3, 4, x->dtype, &py, d) < 0)
		return -1;
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int lut_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	QParam px, py;
	int32_t tab[256];
	Diag d;
	diag_init(&d, "");
	if (read_qparam(e->g, e->n, 1, 2, x->dtype, &px, &d) < 0 ||
	    read_qparam(e->g, e->n, 3, 4, x->dtype, &py, &d) < 0)
		return -1;
	int kind = e->n->op == OP_QLINEARSIGMOID ? LUT_SIGMOID : LUT_LEAKYRELU;
	make_table(kind, ir_attr_float(e->n, "alpha", 0.01), x->dtype, px, py, tab);
	emit_table(e, "lut", x->dtype, tab);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)ir_numel(x));
	out_line(e->o, "\ty0[i] = %s_lut[(uint8_t)x0[i]];", e->fn);
	return 0;
}

/* ------------------------------------------------------------ GlobalAveragePool */

static int gap_infer(Graph *g, Node *n, Diag *d)
{
	if (unary_infer(g, n, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank < 3 || ir_attr_int(n, "channels_last", 0))
		return ir_node_error(d, g, n, "expected an NCHW input of rank 3 or more (channels_last 0)");
	Shape s = x->shape;
	for (int i = 2; i < s.rank; i++)
		s.dims[i] = 1;
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int gap_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType t = x->dtype;
	QParam px, py;
	Diag d;
	char l1[64];
	diag_init(&d, "");
	if (read_qparam(e->g, e->n, 1, 2, t, &px, &d) < 0 ||
	    read_qparam(e->g, e->n, 3, 4, t, &py, &d) < 0)
		return -1;
	int64_t nc = x->shape.dims[0] * x->shape.dims[1], hw = ir_numel(x) / (nc ? nc : 1);
	float scale = py.s * (float)hw;
	scale = px.s / scale;
	if (x->layout == LAYOUT_NHWC) {
		/* channels-last (select_layout, batch 1): the same integer sums, pixel by pixel */
		out_line(e->o, "int32_t acc[%lld];", (long long)nc);
		out_line(e->o, "for (int64_t c = 0; c < %lld; c++)", (long long)nc);
		out_line(e->o, "\tacc[c] = %lld;", -(long long)px.z * (long long)hw);
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)hw);
		out_line(e->o, "for (int64_t c = 0; c < %lld; c++)", (long long)nc);
		out_line(e->o, "\tacc[c] += x0[i * %lld + c];", (long long)nc);
		out_line(e->o, "for (int64_t c = 0; c < %lld; c++) {", (long long)nc);
		out_line(e->o, "const float t = (float)acc[c] * %s;", flit(scale, l1, sizeof l1));
		store_q(e->o, "y0[c]", t, "t", py.z);
		out_line(e->o, "}");
		return 0;
	}
	out_line(e->o, "for (int64_t c = 0; c < %lld; c++) {", (long long)nc);
	out_line(e->o, "const %s *xc = x0 + c * %lld;", cg_ctype(t), (long long)hw);
	out_line(e->o, "int32_t acc = %lld;", -(long long)px.z * (long long)hw);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)hw);
	out_line(e->o, "\tacc += xc[i];");
	out_line(e->o, "const float t = (float)acc * %s;", flit(scale, l1, sizeof l1));
	store_q(e->o, "y0[c]", t, "t", py.z);
	out_line(e->o, "}");
	return 0;
}

/* ------------------------------------------------------------ AveragePool */

static int avg_window(const Graph *g, const Node *n, Window *w, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank < 3 || ir_attr_int(n, "channels_last", 0))
		return ir_node_error(d, g, n, "expected an NCHW input of rank 3 or more (channels_last 0)");
	if (win_read(g, n, x->shape.rank - 2, x->shape.dims + 2, NULL, w, d) < 0)
		return -1;
	for (int i = 0; i < w->nd; i++)
		if (w->d[i] != 1)
			return ir_node_error(d, g, n, "dilations are not supported");
	return win_forward(g, n, w, ir_attr_int(n, "ceil_mode", 0) != 0, d);
}

static int avg_infer(Graph *g, Node *n, Diag *d)
{
	Window w;
	if (unary_infer(g, n, d) < 0 || avg_window(g, n, &w, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	Shape s = x->shape;
	for (int i = 0; i < w.nd; i++)
		s.dims[i + 2] = w.out[i];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* The loops over output positions o<i> with the clipped window [b<i>, e<i>). */
static void avg_open(Out *o, const Window *w)
{
	for (int i = 0; i < w->nd; i++) {
		out_line(o, "for (int64_t o%d = 0; o%d < %lld; o%d++) {", i, i, (long long)w->out[i], i);
		out_line(o, "int64_t b%d = o%d * %lld - %lld, e%d = b%d + %lld;", i, i,
			 (long long)w->s[i], (long long)w->pb[i], i, i, (long long)w->k[i]);
		out_line(o, "e%d = e%d < %lld ? e%d : %lld;", i, i, (long long)w->in[i], i,
			 (long long)w->in[i]);
		out_line(o, "b%d = b%d > 0 ? b%d : 0;", i, i, i);
	}
}

static int avg_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType t = x->dtype;
	QParam px, py;
	Window w;
	Diag d;
	char l1[64], idx[512] = "", cnt[512] = "";
	diag_init(&d, "");
	if (read_qparam(e->g, e->n, 1, 2, t, &px, &d) < 0 ||
	    read_qparam(e->g, e->n, 3, 4, t, &py, &d) < 0 || avg_window(e->g, e->n, &w, &d) < 0)
		return -1;
	Out *o = e->o;
	bool include_pad = ir_attr_int(e->n, "count_include_pad", 0) != 0;
	int64_t nc = x->shape.dims[0] * x->shape.dims[1], insz = 1, ksz = 1;
	for (int i = 0; i < w.nd; i++) {
		insz *= w.in[i];
		ksz *= w.k[i];
	}
	size_t il = 0, cl = 0;
	int64_t st = 1;
	for (int i = w.nd - 1; i >= 0; i--) {
		il += (size_t)snprintf(idx + il, sizeof idx - il, "%sp%d * %lld", il ? " + " : "", i,
				       (long long)st);
		cl += (size_t)snprintf(cnt + cl, sizeof cnt - cl, "%s(e%d - b%d)", cl ? " * " : "", i,
				       i);
		st *= w.in[i];
	}
	bool global = true;
	for (int i = 0; i < w.nd; i++)
		global = global && w.out[i] == 1 && w.pb[i] == 0 && w.k[i] == w.in[i];
	int64_t blk = nc % 16 == 0 ? 16 : nc % 8 == 0 ? 8 : 1;
	const bool nhwc = x->layout == LAYOUT_NHWC;
	if (nhwc && !global)
		return -1; /* select_layout makes only whole-map pools' inputs channels-last */
	if (nhwc)
		blk = nc; /* channels-last (select_layout, batch 1): all channels in lanes */
	if (global && blk > 1) {
		/* one window over the whole map (DS-CNN's pool): blk channels at a time, each
		   channel's sum in the same order as below, so the channels run in vector lanes
		   instead of one long chain of dependent float adds per channel */
		out_line(o, "for (int64_t c0 = 0; c0 < %lld; c0 += %lld) {", (long long)nc, (long long)blk);
		out_line(o, "float acc[%lld];", (long long)blk);
		out_line(o, "for (int t = 0; t < %lld; t++)", (long long)blk);
		out_line(o, "\tacc[t] = 0.0f;");
		out_line(o, "for (int64_t p = 0; p < %lld; p++)", (long long)insz);
		out_line(o, "for (int t = 0; t < %lld; t++) {", (long long)blk);
		if (nhwc)
			out_line(o, "const float v = %s * (float)((int32_t)x0[p * %lld + c0 + t] - %d);",
				 flit(px.s, l1, sizeof l1), (long long)nc, (int)px.z);
		else
			out_line(o, "const float v = %s * (float)((int32_t)x0[(c0 + t) * %lld + p] - %d);",
				 flit(px.s, l1, sizeof l1), (long long)insz, (int)px.z);
		out_line(o, "acc[t] += v;");
		out_line(o, "}");
		int shift = u8_shift(e->n, t, &px, NULL, &py); /* after x's zero point is used */
		out_line(o, "for (int t = 0; t < %lld; t++) {", (long long)blk);
		out_line(o, "const float avg = acc[t] / %lld.0f;", (long long)insz);
		out_line(o, "const float q = avg / %s;", flit(py.s, l1, sizeof l1));
		out_line(o, "const float r = nearbyintf(q + %d.0f);", (int)py.z);
		out_line(o, "y0[c0 + t] = (%s)(rt_q_satf(r, %d, %d) - %d);", cg_ctype(t),
			 (int)qlo(t) + shift, (int)qhi(t) + shift, shift);
		out_line(o, "}");
		out_line(o, "}");
		return 0;
	}
	out_line(o, "int64_t yi = 0;");
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)nc);
	out_line(o, "const %s *xc = x0 + c * %lld;", cg_ctype(t), (long long)insz);
	avg_open(o, &w);
	out_line(o, "float acc = 0.0f;");
	for (int i = 0; i < w.nd; i++)
		out_line(o, "for (int64_t p%d = b%d; p%d < e%d; p%d++) {", i, i, i, i, i);
	out_line(o, "const float v = %s * (float)((int32_t)xc[%s] - %d);", flit(px.s, l1, sizeof l1),
		 idx, (int)px.z);
	out_line(o, "acc += v;");
	cg_close(o, w.nd);
	if (include_pad)
		out_line(o, "const float avg = acc / %lld.0f;", (long long)ksz);
	else
		out_line(o, "const float avg = acc / (float)(%s);", cnt);
	int shift = u8_shift(e->n, t, &px, NULL, &py);
	out_line(o, "const float q = avg / %s;", flit(py.s, l1, sizeof l1));
	out_line(o, "const float r = nearbyintf(q + %d.0f);", (int)py.z);
	out_line(o, "y0[yi++] = (%s)(rt_q_satf(r, %d, %d) - %d);", cg_ctype(t), (int)qlo(t) + shift,
		 (int)qhi(t) + shift, shift);
	cg_close(o, w.nd + 1);
	return 0;
}

/* ------------------------------------------------------------ Concat */

/* inputs Y_scale, Y_zp, then (X, X_scale, X_zp) per operand */
static int cat_infer(Graph *g, Node *n, Diag *d)
{
	char s1[128], s2[128];
	int axis;
	QParam py, px;
	if (n->ninputs < 5 || (n->ninputs - 2) % 3)
		return ir_node_error(d, g, n, "expected 2 + 3k inputs, found %d", n->ninputs);
	if (op_check_arity(g, n, 5, n->ninputs, n->ninputs, d) < 0 ||
	    op_check_dtype(g, n, 2, q8_types, d) < 0)
		return -1;
	const Value *x0 = op_in(g, n, 2);
	if (read_qparam(g, n, 0, 1, x0->dtype, &py, d) < 0 ||
	    op_axis(g, n, ir_attr_int(n, "axis", 0), x0->shape.rank, &axis, d) < 0)
		return -1;
	Shape s = x0->shape;
	s.dims[axis] = 0;
	for (int k = 2; k < n->ninputs; k += 3) {
		const Value *x = op_in(g, n, k);
		bool ok = x->dtype == x0->dtype && x->shape.rank == s.rank;
		for (int i = 0; ok && i < s.rank; i++)
			ok = i == axis || x->shape.dims[i] == s.dims[i];
		if (!ok)
			return ir_node_error(d, g, n, "input %s %s does not concatenate with %s",
					     x->name, shape_str(&x->shape, s1, sizeof s1),
					     shape_str(&x0->shape, s2, sizeof s2));
		if (read_qparam(g, n, k + 1, k + 2, x->dtype, &px, d) < 0)
			return -1;
		s.dims[axis] += x->shape.dims[axis];
	}
	op_set_out(g, n, 0, x0->dtype, &s);
	return 0;
}

static int cat_emit(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *y = op_outv(g, n, 0);
	DType t = y->dtype;
	QParam py, px;
	Diag d;
	int axis;
	char name[32];
	diag_init(&d, "");
	if (read_qparam(g, n, 0, 1, t, &py, &d) < 0 ||
	    op_axis(g, n, ir_attr_int(n, "axis", 0), y->shape.rank, &axis, &d) < 0)
		return -1;
	int64_t outer = 1, inner = 1, off = 0;
	for (int i = 0; i < axis; i++)
		outer *= y->shape.dims[i];
	for (int i = axis + 1; i < y->shape.rank; i++)
		inner *= y->shape.dims[i];
	int64_t yrow = y->shape.dims[axis] * inner;
	for (int k = 2; k < n->ninputs; k += 3) {
		const Value *x = op_in(g, n, k);
		int64_t row = x->shape.dims[axis] * inner;
		if (read_qparam(g, n, k + 1, k + 2, t, &px, &d) < 0)
			return -1;
		bool same = px.s == py.s && px.z == py.z;
		if (!same) {
			int32_t tab[256];
			make_table(LUT_REQUANT, 0, t, px, py, tab);
			snprintf(name, sizeof name, "lut%d", k);
			emit_table(e, name, t, tab);
		}
		out_line(e->o, "for (int64_t o = 0; o < %lld; o++)", (long long)outer);
		out_line(e->o, "\tfor (int64_t i = 0; i < %lld; i++)", (long long)row);
		if (same)
			out_line(e->o, "\t\ty0[o * %lld + %lld + i] = %s[o * %lld + i];",
				 (long long)yrow, (long long)off, e->in[k], (long long)row);
		else
			out_line(e->o, "\t\ty0[o * %lld + %lld + i] = %s_%s[(uint8_t)%s[o * %lld + i]];",
				 (long long)yrow, (long long)off, e->fn, name, e->in[k],
				 (long long)row);
		off += row;
	}
	return 0;
}

/* ------------------------------------------------------------ QLut */

/* inputs X (int8/uint8), T (constant int8/uint8 [256]) */
static int lut_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, q8_types, d) < 0 ||
	    op_check_dtype(g, n, 1, q8_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *t = op_in(g, n, 1);
	if (!t->data || ir_numel(t) != 256)
		return ir_node_error(d, g, n, "the table must be a constant of 256 entries");
	op_set_out(g, n, 0, t->dtype, &x->shape);
	return 0;
}

static int qlut_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)ir_numel(x));
	out_line(e->o, "\ty0[i] = x1[(uint8_t)x0[i]];");
	return 0;
}

const OpDef opdef_QLINEARADD = {bin_infer, NULL, bin_emit_top, NULL, 0};
const OpDef opdef_QLINEARMUL = {bin_infer, NULL, bin_emit_top, NULL, 0};
const OpDef opdef_QLINEARSIGMOID = {unary_infer, NULL, lut_emit, NULL, 0};
const OpDef opdef_QLINEARLEAKYRELU = {unary_infer, NULL, lut_emit, NULL, 0};
const OpDef opdef_QLINEARGLOBALAVERAGEPOOL = {gap_infer, NULL, gap_emit, NULL, 0};
const OpDef opdef_QLINEARAVERAGEPOOL = {avg_infer, NULL, avg_emit, NULL, 0};
const OpDef opdef_QLINEARCONCAT = {cat_infer, NULL, cat_emit, NULL, 0};
const OpDef opdef_QLUT = {lut_infer, NULL, qlut_emit, NULL, OPF_INPLACE};
