/* quant.c - QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
 *
 * Granularity comes from the scale's shape: one element is per tensor, a 1-D
 * scale is per axis, and with block_size a scale of x's rank is blocked along
 * `axis`. The kernel is a loop nest outer x axis x inner around that axis, so the
 * scale and zero point are loaded once per row instead of per element.
 *
 * Rounding is the spec's: x / scale in the precision of the scale (or of the
 * `precision` attribute), each operand and the quotient rounded to that type,
 * then rint (round half to even) and saturation to the output range. NaN
 * saturates to the low end. 8- and 4-bit float outputs use rt_quant.h's encoders.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Kernel parameter of output k, NULL when absent (or past the node's count). */
static const char *arg_out(const Emit *e, int k)
{
	return k < e->n->noutputs ? e->out[k] : NULL;
}

typedef struct Gran {
	int mode;      /* 0: per tensor, 1: per axis, 2: blocked */
	int64_t outer; /* product of x's dims before axis */
	int64_t dim;   /* x's dim along axis */
	int64_t inner; /* product of x's dims after axis */
	int64_t sdim;  /* the scale's dim along axis (blocked) */
	int64_t block;
} Gran;

static bool is_small_float(DType t)
{
	return t == DT_FLOAT8E4M3FN || t == DT_FLOAT8E4M3FNUZ || t == DT_FLOAT8E5M2 ||
	       t == DT_FLOAT8E5M2FNUZ || t == DT_FLOAT4E2M1;
}

/* Saturation range of an integer quantized type; false for other types. */
static bool int_range(DType t, int32_t *lo, int32_t *hi)
{
	switch (t) {
	case DT_UINT8:
		*lo = 0, *hi = 255;
		return true;
	case DT_INT8:
		*lo = -128, *hi = 127;
		return true;
	case DT_UINT16:
		*lo = 0, *hi = 65535;
		return true;
	case DT_INT16:
		*lo = -32768, *hi = 32767;
		return true;
	case DT_UINT4:
		*lo = 0, *hi = 15;
		return true;
	case DT_INT4:
		*lo = -8, *hi = 7;
		return true;
	case DT_UINT2:
		*lo = 0, *hi = 3;
		return true;
	case DT_INT2:
		*lo = -2, *hi = 1;
		return true;
	default:
		return false;
	}
}

static const char *small_suffix(DType t)
{
	switch (t) {
	case DT_FLOAT8E4M3FN:
		return "e4m3fn";
	case DT_FLOAT8E4M3FNUZ:
		return "e4m3fnuz";
	case DT_FLOAT8E5M2:
		return "e5m2";
	case DT_FLOAT8E5M2FNUZ:
		return "e5m2fnuz";
	case DT_FLOAT4E2M1:
		return "e2m1";
	case DT_FLOAT8E8M0:
		return "e8m0";
	default:
		return NULL;
	}
}

/* expr of storage type t as float/double (small floats decoded, integers cast). */
static const char *load(DType t, const char *expr, const char *comp, char *buf, size_t n)
{
	const char *sfx = small_suffix(t);
	if (sfx)
		snprintf(buf, n, "rt_q_from_%s(%s)", sfx, expr);
	else if (t == DT_FLOAT16 || t == DT_BFLOAT16)
		cg_load(t, expr, buf, n);
	else
		snprintf(buf, n, "(%s)%s", comp, expr);
	return buf;
}

/* expr (float/double) rounded to the precision of float type p, as float/double. */
static const char *round_to(DType p, const char *expr, char *buf, size_t n)
{
	if (p == DT_FLOAT16)
		snprintf(buf, n, "rt_h2f(rt_f2h((float)(%s)))", expr);
	else if (p == DT_BFLOAT16)
		snprintf(buf, n, "rt_bf2f(rt_f2bf((float)(%s)))", expr);
	else
		snprintf(buf, n, "(%s)(%s)", p == DT_DOUBLE ? "double" : "float", expr);
	return buf;
}

/* Checks the scale/zero-point shapes against x and fills gr. */
static int granularity(const Graph *g, const Node *n, const Value *x, const Value *s,
                       const Value *z, Gran *gr, Diag *d)
{
	char s1[128], s2[128];
	int axis = 0;
	memset(gr, 0, sizeof *gr);
	gr->block = n->opset >= 21 ? ir_attr_int(n, "block_size", 0) : 0;
	if (gr->block < 0)
		return ir_node_error(d, g, n, "block_size is %lld, expected a positive value",
		                     (long long)gr->block);
	if (z && !shape_equal(&z->shape, &s->shape) && !(ir_numel(z) == 1 && ir_numel(s) == 1))
		return ir_node_error(d, g, n, "zero point shape %s differs from scale shape %s",
		                     shape_str(&z->shape, s1, sizeof s1),
		                     shape_str(&s->shape, s2, sizeof s2));
	if (ir_numel(s) == 1)
		return 0; /* per tensor */
	if (n->opset < 13)
		return ir_node_error(d, g, n,
		                     "scale has shape %s, expected a scalar before opset 13",
		                     shape_str(&s->shape, s1, sizeof s1));
	if (op_axis(g, n, ir_attr_int(n, "axis", 1), x->shape.rank, &axis, d) < 0)
		return -1;
	gr->outer = gr->inner = 1;
	for (int i = 0; i < axis; i++)
		gr->outer *= x->shape.dims[i];
	for (int i = axis + 1; i < x->shape.rank; i++)
		gr->inner *= x->shape.dims[i];
	gr->dim = x->shape.dims[axis];
	if (!gr->block) {
		if (s->shape.rank != 1 || s->shape.dims[0] != gr->dim)
			return ir_node_error(
			    d, g, n,
			    "scale has shape %s, expected a scalar or [%lld] for axis %d of x %s",
			    shape_str(&s->shape, s1, sizeof s1), (long long)gr->dim, axis,
			    shape_str(&x->shape, s2, sizeof s2));
		gr->mode = 1;
		return 0;
	}
	gr->mode = 2;
	gr->sdim = (gr->dim + gr->block - 1) / gr->block;
	bool ok = s->shape.rank == x->shape.rank;
	for (int i = 0; ok && i < x->shape.rank; i++)
		ok = s->shape.dims[i] == (i == axis ? gr->sdim : x->shape.dims[i]);
	if (!ok)
		return ir_node_error(
		    d, g, n,
		    "scale has shape %s, which does not block x %s along axis %d with block_size %lld",
		    shape_str(&s->shape, s1, sizeof s1), shape_str(&x->shape, s2, sizeof s2), axis,
		    (long long)gr->block);
	return 0;
}

/* ------------------------------------------------------------ shared loop nest */

/* Opens the loop nest of gr over x: inside, `i` is the element index and `p` the
   scale/zero-point index (absent per tensor). Returns the number of loops to close. */
static int open_loops(Out *o, const Gran *gr, int64_t total)
{
	if (gr->mode == 0) {
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)total);
		return 1;
	}
	out_line(o, "int64_t i = 0;");
	out_line(o, "for (int64_t o = 0; o < %lld; o++) {", (long long)gr->outer);
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", (long long)gr->dim);
	if (gr->mode == 1)
		out_line(o, "const int64_t p0 = a;");
	else
		out_line(o, "const int64_t p0 = (o * %lld + a / %lld) * %lld;", (long long)gr->sdim,
		         (long long)gr->block, (long long)gr->inner);
	out_line(o, "for (int64_t j = 0; j < %lld; j++, i++) {", (long long)gr->inner);
	if (gr->mode == 1)
		out_line(o, "const int64_t p = p0;");
	else
		out_line(o, "const int64_t p = p0 + j;");
	return 3;
}

/* ------------------------------------------------------------ QuantizeLinear */

static const DType q_x_types[] = {DT_FLOAT, DT_FLOAT16, DT_BFLOAT16, DT_INT32, DT_UNDEFINED};
static const DType q_s_types[] = {DT_FLOAT, DT_FLOAT16,    DT_BFLOAT16,
                                  DT_INT32, DT_FLOAT8E8M0, DT_UNDEFINED};

/* Output type of a QuantizeLinear node (zero point, output_dtype, or uint8). */
static int q_out_type(const Graph *g, const Node *n, DType *out, Diag *d)
{
	const Value *z = op_in(g, n, 2);
	int64_t od = n->opset >= 21 ? ir_attr_int(n, "output_dtype", 0) : 0;
	DType t = z ? z->dtype : od ? (DType)od : DT_UINT8;
	int32_t lo, hi;
	if (z && od && od != (int64_t)z->dtype)
		return ir_node_error(d, g, n,
		                     "output_dtype %lld differs from the zero point type %s",
		                     (long long)od, dtype_name(z->dtype));
	if (!int_range(t, &lo, &hi) && !is_small_float(t))
		return ir_node_error(d, g, n, "output type %s is not a quantized type",
		                     od > 0 && od < DT_COUNT ? dtype_name(t) : "(invalid)");
	*out = t;
	return 0;
}

/* Precision of the division x / scale. */
static int q_precision(const Graph *g, const Node *n, DType *out, Diag *d)
{
	int64_t p = n->opset >= 23 ? ir_attr_int(n, "precision", 0) : 0;
	DType st = op_in(g, n, 1)->dtype;
	if (p) {
		if (p != DT_FLOAT && p != DT_FLOAT16 && p != DT_BFLOAT16 && p != DT_DOUBLE)
			return ir_node_error(d, g, n, "precision %lld is not a float type",
			                     (long long)p);
		*out = (DType)p;
	} else {
		*out = st == DT_INT32 ? DT_DOUBLE : st == DT_FLOAT8E8M0 ? DT_FLOAT : st;
	}
	return 0;
}

static int q_infer(Graph *g, Node *n, Diag *d)
{
	DType ot, pt;
	Gran gr;
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, q_x_types, d) < 0 ||
	    op_check_dtype(g, n, 1, q_s_types, d) < 0 || q_out_type(g, n, &ot, d) < 0 ||
	    q_precision(g, n, &pt, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (granularity(g, n, x, op_in(g, n, 1), op_in(g, n, 2), &gr, d) < 0)
		return -1;
	op_set_out(g, n, 0, ot, &x->shape);
	return 0;
}

static double host_round(DType p, double v)
{
	if (p == DT_FLOAT16)
		return dtype_f16_to_f32(dtype_f32_to_f16((float)v));
	if (p == DT_BFLOAT16)
		return dtype_bf16_to_f32(dtype_f32_to_bf16((float)v));
	return p == DT_DOUBLE ? v : (double)(float)v;
}

static int64_t param_index(const Gran *gr, int64_t i)
{
	if (gr->mode == 0)
		return 0;
	int64_t j = i % gr->inner, a = (i / gr->inner) % gr->dim, o = i / (gr->inner * gr->dim);
	return gr->mode == 1 ? a : (o * gr->sdim + a / gr->block) * gr->inner + j;
}

/* Folds integer outputs (weights quantized at compile time); small floats run. */
static int q_fold(Graph *g, Node *n, Diag *d)
{
	DType ot, pt;
	Gran gr;
	int32_t lo, hi;
	const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1), *z = op_in(g, n, 2);
	if (q_out_type(g, n, &ot, d) < 0 || q_precision(g, n, &pt, d) < 0 ||
	    granularity(g, n, x, s, z, &gr, d) < 0)
		return -1;
	if (!int_range(ot, &lo, &hi) || s->dtype == DT_FLOAT8E8M0)
		return 0;
	void *y = op_alloc_const(g, n, 0);
	for (int64_t i = 0, cnt = ir_numel(x); i < cnt; i++) {
		int64_t p = param_index(&gr, i);
		double xv = host_round(pt, dtype_get_f64(x->dtype, x->data, i));
		double sv = host_round(pt, dtype_get_f64(s->dtype, s->data, p));
		double q = nearbyint(host_round(pt, xv / sv));
		q += z ? (double)dtype_get_i64(z->dtype, z->data, p) : 0;
		int64_t r = q >= lo ? (q <= hi ? (int64_t)q : hi) : lo;
		dtype_set_i64(ot, y, i, r);
	}
	return 0;
}

static int q_emit(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1), *z = op_in(g, n, 2);
	DType ot = op_outv(g, n, 0)->dtype, pt;
	Gran gr;
	int32_t lo = 0, hi = 0;
	char a[256], b[256], c[64], zp[320];
	Diag d;
	diag_init(&d, "");
	if (q_precision(g, n, &pt, &d) < 0 || granularity(g, n, x, s, z, &gr, &d) < 0)
		return -1;
	const char *comp = pt == DT_DOUBLE ? "double" : "float";
	bool is_int = int_range(ot, &lo, &hi);
	bool sat = n->opset < 19 || ir_attr_int(n, "saturate", 1) != 0;
	const char *pi = gr.mode == 0 ? "0" : "p";
	snprintf(c, sizeof c, "x1[%s]", pi);
	round_to(pt, load(s->dtype, c, comp, a, sizeof a), b, sizeof b);
	if (gr.mode == 0) /* per tensor: the scale is loop invariant */
		out_line(e->o, "const %s s = %s;", comp, b);
	int loops = open_loops(e->o, &gr, ir_numel(x));
	if (gr.mode != 0)
		out_line(e->o, "const %s s = %s;", comp, b);
	out_line(e->o, "const %s xv = %s;", comp,
	         round_to(pt, load(x->dtype, "x0[i]", comp, a, sizeof a), b, sizeof b));
	out_line(e->o, "const %s q = %s;", comp, round_to(pt, "xv / s", a, sizeof a));
	snprintf(c, sizeof c, "x2[%s]", pi);
	if (is_int) {
		snprintf(zp, sizeof zp, "(double)%s", z ? c : "0");
		out_line(e->o, "y0[i] = (%s)rt_q_sat(%s(q) + %s, %d, %d);", cg_ctype(ot),
		         pt == DT_DOUBLE ? "nearbyint" : "(double)nearbyintf", zp, (int)lo,
		         (int)hi);
	} else {
		snprintf(zp, sizeof zp, "%s", z ? load(z->dtype, c, "float", a, sizeof a) : "0.0f");
		out_line(e->o, "y0[i] = rt_q_to_%s((float)q + %s, %d);", small_suffix(ot), zp,
		         sat || ot == DT_FLOAT4E2M1);
	}
	cg_close(e->o, loops);
	return 0;
}

/* ------------------------------------------------------------ DequantizeLinear */

static const DType dq_x_types[] = {
    DT_INT8,           DT_UINT8,      DT_INT16,          DT_UINT16,     DT_INT32,
    DT_UINT4,          DT_INT4,       DT_UINT2,          DT_INT2,       DT_FLOAT8E4M3FN,
    DT_FLOAT8E4M3FNUZ, DT_FLOAT8E5M2, DT_FLOAT8E5M2FNUZ, DT_FLOAT4E2M1, DT_UNDEFINED};
static const DType dq_s_types[] = {DT_FLOAT, DT_FLOAT16, DT_BFLOAT16, DT_FLOAT8E8M0, DT_UNDEFINED};

static int dq_out_type(const Graph *g, const Node *n, DType *out, Diag *d)
{
	int64_t od = n->opset >= 23 ? ir_attr_int(n, "output_dtype", 0) : 0;
	DType st = op_in(g, n, 1)->dtype;
	DType t = od ? (DType)od : st == DT_FLOAT8E8M0 ? DT_FLOAT : st;
	if (t != DT_FLOAT && t != DT_FLOAT16 && t != DT_BFLOAT16)
		return ir_node_error(d, g, n, "output_dtype %lld is not float, float16 or bfloat16",
		                     (long long)od);
	*out = t;
	return 0;
}

static int dq_infer(Graph *g, Node *n, Diag *d)
{
	DType ot;
	Gran gr;
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, dq_x_types, d) < 0 ||
	    op_check_dtype(g, n, 1, dq_s_types, d) < 0 || dq_out_type(g, n, &ot, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *z = op_in(g, n, 2);
	if (z && z->dtype != x->dtype)
		return ir_node_error(d, g, n, "zero point is %s but x is %s", dtype_name(z->dtype),
		                     dtype_name(x->dtype));
	if (granularity(g, n, x, op_in(g, n, 1), z, &gr, d) < 0)
		return -1;
	op_set_out(g, n, 0, ot, &x->shape);
	return 0;
}

static int dq_fold(Graph *g, Node *n, Diag *d)
{
	DType ot;
	Gran gr;
	const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1), *z = op_in(g, n, 2);
	if (dq_out_type(g, n, &ot, d) < 0 || granularity(g, n, x, s, z, &gr, d) < 0)
		return -1;
	bool fl = dtype_info(x->dtype)->is_float;
	void *y = op_alloc_const(g, n, 0);
	for (int64_t i = 0, cnt = ir_numel(x); i < cnt; i++) {
		int64_t p = param_index(&gr, i);
		double v;
		if (fl)
			v = (double)(float)(dtype_get_f64(x->dtype, x->data, i) -
			                    (z ? dtype_get_f64(z->dtype, z->data, p) : 0));
		else
			v = (double)(dtype_get_i64(x->dtype, x->data, i) -
			             (z ? dtype_get_i64(z->dtype, z->data, p) : 0));
		dtype_set_f64(ot, y, i, (double)(float)(v * dtype_get_f64(s->dtype, s->data, p)));
	}
	return 0;
}

static int dq_emit(Emit *e)
{
	const Graph *g = e->g;
	const Node *n = e->n;
	const Value *x = op_in(g, n, 0), *s = op_in(g, n, 1), *z = op_in(g, n, 2);
	DType ot = op_outv(g, n, 0)->dtype;
	Gran gr;
	char a[256], b[256], c[64], st[600];
	Diag d;
	diag_init(&d, "");
	if (granularity(g, n, x, s, z, &gr, &d) < 0)
		return -1;
	/* int32 differences need double to stay exact; narrower ones are exact in float */
	bool wide = x->dtype == DT_INT32;
	const char *comp = wide ? "double" : "float";
	const char *pi = gr.mode == 0 ? "0" : "p";
	snprintf(c, sizeof c, "x1[%s]", pi);
	load(s->dtype, c, comp, a, sizeof a);
	if (gr.mode == 0) /* per tensor: the scale is loop invariant */
		out_line(e->o, "const %s s = %s;", comp, a);
	int loops = open_loops(e->o, &gr, ir_numel(x));
	if (gr.mode != 0)
		out_line(e->o, "const %s s = %s;", comp, a);
	snprintf(c, sizeof c, "x2[%s]", pi);
	if (dtype_info(x->dtype)->is_float)
		out_line(e->o, "const float v = %s - %s;",
		         load(x->dtype, "x0[i]", "float", a, sizeof a),
		         z ? load(z->dtype, c, "float", b, sizeof b) : "0.0f");
	else if (wide)
		out_line(e->o, "const double v = (double)((int64_t)x0[i] - %s%s);",
		         z ? "(int64_t)" : "", z ? c : "0");
	else
		out_line(e->o, "const float v = (float)((int32_t)x0[i] - %s%s);",
		         z ? "(int32_t)" : "", z ? c : "0");
	out_line(e->o, "y0[i] = %s;", cg_store(ot, "(float)(v * s)", st, sizeof st));
	cg_close(e->o, loops);
	return 0;
}

/* ------------------------------------------------------------ DynamicQuantizeLinear */

static int dyn_infer(Graph *g, Node *n, Diag *d)
{
	static const DType fl[] = {DT_FLOAT, DT_UNDEFINED};
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, fl, d) < 0)
		return -1;
	Shape scalar = {0, {0}};
	op_set_out(g, n, 0, DT_UINT8, &op_in(g, n, 0)->shape);
	op_set_out(g, n, 1, DT_FLOAT, &scalar);
	op_set_out(g, n, 2, DT_UINT8, &scalar);
	return 0;
}

static int dyn_emit(Emit *e)
{
	Out *o = e->o;
	long long cnt = (long long)ir_numel(op_in(e->g, e->n, 0));
	out_line(o, "float mn = 0.0f, mx = 0.0f;");
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", cnt);
	out_line(o, "mn = x0[i] < mn ? x0[i] : mn;");
	out_line(o, "mx = x0[i] > mx ? x0[i] : mx;");
	out_line(o, "}");
	/* the range always holds 0, so it is empty only when x is all zeros */
	out_line(o, "const float s = mx == mn ? 1.0f : (mx - mn) / 255.0f;");
	out_line(o, "float zf = 0.0f - mn / s;");
	out_line(o, "zf = zf < 0.0f ? 0.0f : zf > 255.0f ? 255.0f : zf;");
	out_line(o, "const float zp = nearbyintf(zf);");
	if (arg_out(e, 0)) {
		out_line(o, "for (int64_t i = 0; i < %lld; i++)", cnt);
		out_line(o, "\ty0[i] = (uint8_t)rt_q_satf(nearbyintf(x0[i] / s) + zp, 0, 255);");
	}
	if (arg_out(e, 1))
		out_line(o, "y1[0] = s;");
	if (arg_out(e, 2))
		out_line(o, "y2[0] = (uint8_t)zp;");
	return 0;
}

const OpDef opdef_QUANTIZELINEAR = {q_infer, q_fold, q_emit, NULL, 0};
const OpDef opdef_DEQUANTIZELINEAR = {dq_infer, dq_fold, dq_emit, NULL, 0};
const OpDef opdef_DYNAMICQUANTIZELINEAR = {dyn_infer, NULL, dyn_emit, NULL, 0};
