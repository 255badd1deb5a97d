/* qconv.c - ConvInteger and QLinearConv: N-D grouped convolution of 8-bit integers.
 *
 * A direct, output-stationary loop nest: for each batch, output channel and output
 * position, sum (x - x_zp) * (w - w_zp) over the input channels of the group and
 * the kernel window. Padding is where the window leaves x; those taps are skipped,
 * which equals padding with x_zp. Bounds tests are emitted only on the sides where
 * the window can leave x for the given pads, strides and dilations. Sums wrap in
 * uint32_t, as the spec allows int32 accumulation to overflow.
 *
 * QLinearConv adds the int32 bias, then requantizes like QLinearMatMul: multiplier
 * x_scale * w_scale / y_scale in float (w_scale per tensor or per output channel),
 * the product in double, rint (half to even), plus y_zp, saturated.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Kernel parameter of input k, NULL when absent (or past the node's count). */
static const char *arg_in(const Emit *e, int k)
{
	return k < e->n->ninputs ? e->in[k] : NULL;
}

#define MAXSP (CNNC_MAX_RANK - 2)

typedef struct Geo {
	int nsp; /* spatial rank */
	int64_t N, C, M, G;
	int64_t in[MAXSP], k[MAXSP], out[MAXSP], stride[MAXSP], dil[MAXSP], pad[MAXSP];
} Geo;

static const DType q8_types[] = {DT_INT8, DT_UINT8, DT_UNDEFINED};

/* Reads ints attribute `name` of nsp values (default dflt) into v. */
static int spatial_attr(const Graph *g, const Node *n, const char *name, int nsp, int64_t dflt,
                        int64_t min, int64_t *v, Diag *d)
{
	const int64_t *a;
	size_t cnt = ir_attr_ints(n, name, &a);
	if (cnt && cnt != (size_t)nsp)
		return ir_node_error(d, g, n, "%s has %zu values, expected %d", name, cnt, nsp);
	for (int i = 0; i < nsp; i++) {
		v[i] = cnt ? a[i] : dflt;
		if (v[i] < min)
			return ir_node_error(d, g, n, "%s value %lld is below %lld", name,
			                     (long long)v[i], (long long)min);
	}
	return 0;
}

/* Output extent of one spatial axis and its begin padding, from auto_pad or pads. */
static int axis_geometry(const Graph *g, const Node *n, Geo *geo, int i, const char *ap,
                         const int64_t *pads, Diag *d)
{
	int64_t span = (geo->k[i] - 1) * geo->dil[i] + 1, in = geo->in[i], s = geo->stride[i];
	if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
		int64_t out = (in + s - 1) / s;
		int64_t total = (out - 1) * s + span - in;
		total = total > 0 ? total : 0;
		geo->pad[i] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
		geo->out[i] = out;
		return 0;
	}
	if (!strcmp(ap, "VALID")) {
		geo->pad[i] = 0;
		geo->out[i] = in >= span ? (in - span) / s + 1 : 0;
	} else if (!strcmp(ap, "NOTSET")) {
		geo->pad[i] = pads[i];
		int64_t total = in + pads[i] + pads[i + geo->nsp];
		geo->out[i] = total >= span ? (total - span) / s + 1 : 0;
	} else {
		return ir_node_error(
		    d, g, n, "auto_pad is '%s', expected NOTSET, SAME_UPPER, SAME_LOWER or VALID",
		    ap);
	}
	if (geo->out[i] < 1)
		return ir_node_error(
		    d, g, n, "kernel extent %lld does not fit input extent %lld on spatial axis %d",
		    (long long)span, (long long)in, i);
	return 0;
}

/* Checks x (input xi) and w (input wi) against the attributes; fills geo and out. */
static int geometry(const Graph *g, const Node *n, int xi, int wi, Geo *geo, Shape *out, Diag *d)
{
	const Value *x = op_in(g, n, xi), *w = op_in(g, n, wi);
	char s1[128], s2[128];
	int64_t pads[2 * MAXSP];
	memset(geo, 0, sizeof *geo);
	if (x->shape.rank < 3 || w->shape.rank != x->shape.rank)
		return ir_node_error(d, g, n, "x %s and w %s must have the same rank, 3 or more",
		                     shape_str(&x->shape, s1, sizeof s1),
		                     shape_str(&w->shape, s2, sizeof s2));
	geo->nsp = x->shape.rank - 2;
	geo->N = x->shape.dims[0];
	geo->C = x->shape.dims[1];
	geo->M = w->shape.dims[0];
	geo->G = ir_attr_int(n, "group", 1);
	if (geo->G < 1 || geo->M % geo->G || w->shape.dims[1] * geo->G != geo->C)
		return ir_node_error(d, g, n, "x %s and w %s do not match group %lld",
		                     shape_str(&x->shape, s1, sizeof s1),
		                     shape_str(&w->shape, s2, sizeof s2), (long long)geo->G);
	for (int i = 0; i < geo->nsp; i++) {
		geo->in[i] = x->shape.dims[i + 2];
		geo->k[i] = w->shape.dims[i + 2];
	}
	int64_t ks[MAXSP];
	if (spatial_attr(g, n, "kernel_shape", geo->nsp, 1, 1, ks, d) < 0)
		return -1;
	for (int i = 0; ir_attr(n, "kernel_shape") && i < geo->nsp; i++)
		if (ks[i] != geo->k[i])
			return ir_node_error(d, g, n, "kernel_shape does not match w %s",
			                     shape_str(&w->shape, s1, sizeof s1));
	if (spatial_attr(g, n, "strides", geo->nsp, 1, 1, geo->stride, d) < 0 ||
	    spatial_attr(g, n, "dilations", geo->nsp, 1, 1, geo->dil, d) < 0 ||
	    spatial_attr(g, n, "pads", 2 * geo->nsp, 0, 0, pads, d) < 0)
		return -1;
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	*out = (Shape){x->shape.rank, {geo->N, geo->M}};
	for (int i = 0; i < geo->nsp; i++) {
		if (axis_geometry(g, n, geo, i, ap, pads, d) < 0)
			return -1;
		out->dims[i + 2] = geo->out[i];
	}
	return 0;
}

/* Checks a zero point or scale: a scalar, or (per_channel) [M] too. */
static int check_param(const Graph *g, const Node *n, int k, bool per_channel, int64_t M, Diag *d)
{
	const Value *v = op_in(g, n, k);
	char s1[128];
	if (!v || ir_numel(v) == 1)
		return 0;
	if (per_channel && v->shape.rank == 1 && v->shape.dims[0] == M)
		return 0;
	return ir_node_error(d, g, n, "input '%s' has shape %s, expected a scalar%s", v->name,
	                     shape_str(&v->shape, s1, sizeof s1), per_channel ? " or [M]" : "");
}

static int check_zp(const Graph *g, const Node *n, int zk, int qk, Diag *d)
{
	const Value *z = op_in(g, n, zk), *q = op_in(g, n, qk);
	if (z && z->dtype != q->dtype)
		return ir_node_error(d, g, n, "zero point '%s' is %s, expected %s", z->name,
		                     dtype_name(z->dtype), dtype_name(q->dtype));
	return 0;
}

/* ------------------------------------------------------------ the loop nest */

/* Index of a scalar or per-channel parameter for output channel `oc`. */
static const char *per_oc(const Value *v)
{
	return ir_numel(v) == 1 ? "0" : "oc";
}

/* Emits loops down to the sum `acc` of one output element; xi/wi/xz/wz are input
   numbers (-1: absent zero point); per_channel, if any, writes the lines that
   depend only on the output channel `oc`. Returns the number of loops to close after the
   caller stores y0[yi++]. */
static int emit_nest(Emit *e, const Geo *geo, int xi, int wi, int xz, int wz,
                     void (*per_channel)(Emit *e))
{
	Out *o = e->o;
	const Graph *g = e->g;
	int64_t insz = 1, ksz = 1, xs[MAXSP], kst[MAXSP];
	for (int i = geo->nsp - 1; i >= 0; i--) {
		xs[i] = insz;
		kst[i] = ksz;
		insz *= geo->in[i];
		ksz *= geo->k[i];
	}
	int64_t cg = geo->C / geo->G, mg = geo->M / geo->G;
	const char *xt = cg_ctype(op_in(g, e->n, xi)->dtype),
	           *wt = cg_ctype(op_in(g, e->n, wi)->dtype);
	out_line(o, "int64_t yi = 0;");
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)geo->N);
	out_line(o, "for (int64_t oc = 0; oc < %lld; oc++) {", (long long)geo->M);
	out_line(o, "const %s *xg = %s + (b * %lld + oc / %lld * %lld) * %lld;", xt, arg_in(e, xi),
	         (long long)geo->C, (long long)mg, (long long)cg, (long long)insz);
	out_line(o, "const %s *wo = %s + oc * %lld;", wt, arg_in(e, wi), (long long)(cg * ksz));
	out_line(o, "const int32_t xz = %s%s%s;", xz >= 0 ? "(int32_t)" : "0",
	         xz >= 0 ? arg_in(e, xz) : "", xz >= 0 ? "[0]" : "");
	if (wz >= 0)
		out_line(o, "const int32_t wz = (int32_t)%s[%s];", arg_in(e, wz),
		         per_oc(op_in(g, e->n, wz)));
	else
		out_line(o, "const int32_t wz = 0;");
	if (per_channel)
		per_channel(e);
	for (int i = 0; i < geo->nsp; i++)
		out_line(o, "for (int64_t o%d = 0; o%d < %lld; o%d++) {", i, i,
		         (long long)geo->out[i], i);
	out_line(o, "uint32_t acc = 0;");
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)cg);
	out_line(o, "const %s *xc = xg + c * %lld;", xt, (long long)insz);
	out_line(o, "const %s *wc = wo + c * %lld;", wt, (long long)ksz);
	char xo[512] = "", wo[512] = "";
	size_t xl = 0, wl = 0;
	for (int i = 0; i < geo->nsp; i++) {
		out_line(o, "for (int64_t k%d = 0; k%d < %lld; k%d++) {", i, i,
		         (long long)geo->k[i], i);
		out_line(o, "const int64_t p%d = o%d * %lld + k%d * %lld - %lld;", i, i,
		         (long long)geo->stride[i], i, (long long)geo->dil[i],
		         (long long)geo->pad[i]);
		bool low = geo->pad[i] > 0;
		bool high = (geo->out[i] - 1) * geo->stride[i] + (geo->k[i] - 1) * geo->dil[i] -
		                geo->pad[i] >=
		            geo->in[i];
		if (low && high)
			out_line(o, "if (p%d < 0 || p%d >= %lld) continue;", i, i,
			         (long long)geo->in[i]);
		else if (low)
			out_line(o, "if (p%d < 0) continue;", i);
		else if (high)
			out_line(o, "if (p%d >= %lld) continue;", i, (long long)geo->in[i]);
		xl += (size_t)snprintf(xo + xl, sizeof xo - xl, "%sp%d * %lld", i ? " + " : "", i,
		                       (long long)xs[i]);
		wl += (size_t)snprintf(wo + wl, sizeof wo - wl, "%sk%d * %lld", i ? " + " : "", i,
		                       (long long)kst[i]);
	}
	out_line(o, "acc += (uint32_t)(((int32_t)xc[%s] - xz) * ((int32_t)wc[%s] - wz));", xo, wo);
	cg_close(o, geo->nsp + 1);
	return geo->nsp + 2;
}

/* ------------------------------------------------------------ ConvInteger */

static int ci_infer(Graph *g, Node *n, Diag *d)
{
	Geo geo;
	Shape out;
	if (op_check_arity(g, n, 2, 4, 2, d) < 0 || op_check_dtype(g, n, 0, q8_types, d) < 0 ||
	    op_check_dtype(g, n, 1, q8_types, d) < 0 || check_zp(g, n, 2, 0, d) < 0 ||
	    check_zp(g, n, 3, 1, d) < 0 || geometry(g, n, 0, 1, &geo, &out, d) < 0 ||
	    check_param(g, n, 2, false, geo.M, d) < 0 || check_param(g, n, 3, true, geo.M, d) < 0)
		return -1;
	op_set_out(g, n, 0, DT_INT32, &out);
	return 0;
}

static int ci_emit(Emit *e)
{
	Geo geo;
	Shape out;
	Diag d;
	diag_init(&d, "");
	if (geometry(e->g, e->n, 0, 1, &geo, &out, &d) < 0)
		return -1;
	int loops = emit_nest(e, &geo, 0, 1, arg_in(e, 2) ? 2 : -1, arg_in(e, 3) ? 3 : -1, NULL);
	out_line(e->o, "y0[yi++] = rt_q_i32(acc);");
	cg_close(e->o, loops);
	return 0;
}

/* ------------------------------------------------------------ QLinearConv */

static int qc_infer(Graph *g, Node *n, Diag *d)
{
	static const DType fl[] = {DT_FLOAT, DT_UNDEFINED}, i32[] = {DT_INT32, DT_UNDEFINED};
	Geo geo;
	Shape out;
	char s1[128];
	if (op_check_arity(g, n, 8, 9, 8, d) < 0)
		return -1;
	for (int k = 0; k < 8; k++) {
		bool scale = k == 1 || k == 4 || k == 6;
		if (op_check_dtype(g, n, k, scale ? fl : q8_types, d) < 0)
			return -1;
	}
	if (op_check_dtype(g, n, 8, i32, d) < 0 || check_zp(g, n, 2, 0, d) < 0 ||
	    check_zp(g, n, 5, 3, d) < 0 || geometry(g, n, 0, 3, &geo, &out, d) < 0)
		return -1;
	for (int k = 1; k < 8; k++)
		if (k != 3 && check_param(g, n, k, k == 4 || k == 5, geo.M, d) < 0)
			return -1;
	const Value *b = op_in(g, n, 8);
	if (b && (b->shape.rank != 1 || b->shape.dims[0] != geo.M))
		return ir_node_error(d, g, n, "bias has shape %s, expected [%lld]",
		                     shape_str(&b->shape, s1, sizeof s1), (long long)geo.M);
	op_set_out(g, n, 0, op_in(g, n, 7)->dtype, &out);
	return 0;
}

/* The requantization multiplier of output channel oc. */
static void qc_channel(Emit *e)
{
	out_line(e->o, "const float sxw = (float)(x1[0] * x4[%s]);", per_oc(op_in(e->g, e->n, 4)));
	out_line(e->o, "const double m = (double)(float)(sxw / x6[0]);");
	out_line(e->o, "const uint32_t bias = %s;", arg_in(e, 8) ? "(uint32_t)x8[oc]" : "0");
}

static int qc_emit(Emit *e)
{
	Geo geo;
	Shape out;
	Diag d;
	diag_init(&d, "");
	if (geometry(e->g, e->n, 0, 3, &geo, &out, &d) < 0)
		return -1;
	DType yt = op_in(e->g, e->n, 7)->dtype;
	int loops = emit_nest(e, &geo, 0, 3, 2, 5, qc_channel);
	out_line(
	    e->o,
	    "y0[yi++] = (%s)rt_q_sat(nearbyint((double)rt_q_i32(acc + bias) * m) + (double)x7[0], %d, %d);",
	    cg_ctype(yt), yt == DT_INT8 ? -128 : 0, yt == DT_INT8 ? 127 : 255);
	cg_close(e->o, loops);
	return 0;
}

const OpDef opdef_CONVINTEGER = {ci_infer, NULL, ci_emit, NULL, 0};
const OpDef opdef_QLINEARCONV = {qc_infer, NULL, qc_emit, NULL, 0};
