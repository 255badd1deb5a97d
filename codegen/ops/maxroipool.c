/* maxroipool.c - MaxRoiPool: max over each bin of each region of interest.
 *
 * Follows ONNX Runtime (Caffe's ROI pooling): region corners are rounded after
 * scaling, a region is at least 1x1, bin b of an axis covers
 * [floor(b * size / pooled), ceil((b + 1) * size / pooled)) from the region
 * start, clipped to the map; an empty bin gives 0. Regions are data, so the bin
 * bounds are computed at run time, once per region and bin, shared by channels.
 * A batch index outside the input gives zeros.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *r = op_in(g, n, 1);
	const int64_t *ps;
	if (x->shape.rank != 4)
		return ir_node_error(d, g, n, "input X has rank %d, expected 4", x->shape.rank);
	if (r->shape.rank != 2 || r->shape.dims[1] != 5 || r->dtype != x->dtype)
		return ir_node_error(d, g, n, "rois must be [num_rois, 5] of the element type of X");
	if (ir_attr_ints(n, "pooled_shape", &ps) != 2 || ps[0] < 1 || ps[1] < 1)
		return ir_node_error(d, g, n, "attribute 'pooled_shape' must be two positive values");
	Shape s = {4, {r->shape.dims[0], x->shape.dims[1], ps[0], ps[1]}};
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* Emits the run-time bounds [<v>s, <v>e) of bin `b` along an axis of extent len. */
static void bin_bounds(Out *o, const char *v, const char *b, const char *start, const char *size,
		       long long pooled, long long len)
{
	/* single precision, as ONNX Runtime: the bin size is rounded before scaling */
	out_line(o, "const float %sb = (float)%s / %lld.0f;", v, size, pooled);
	out_line(o, "int %ss = (int)floorf((float)%s * %sb) + %s;", v, b, v, start);
	out_line(o, "int %se = (int)ceilf((float)(%s + 1) * %sb) + %s;", v, b, v, start);
	out_line(o, "%ss = %ss < 0 ? 0 : %ss > %lld ? %lld : %ss;", v, v, v, len, len, v);
	out_line(o, "%se = %se < 0 ? 0 : %se > %lld ? %lld : %se;", v, v, v, len, len, v);
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *r = op_in(e->g, e->n, 1);
	const int64_t *ps;
	ir_attr_ints(e->n, "pooled_shape", &ps);
	DType dt = x->dtype;
	const char *at = cg_comp(dt), *ct = cg_ctype(dt);
	long long N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2];
	long long W = x->shape.dims[3], R = r->shape.dims[0], PH = ps[0], PW = ps[1];
	double scale = ir_attr_float(e->n, "spatial_scale", 1.0);
	char ld[128], st[256], ex[96], lit[64];
	Out *o = e->o;
	cg_lit(DT_DOUBLE, scale, lit, sizeof lit);
	out_line(o, "for (int r = 0; r < %lld; r++) {", R);
	out_line(o, "%s *yr = y0 + (ptrdiff_t)r * %lld;", ct, C * PH * PW);
	for (int k = 0; k < 5; k++) {
		snprintf(ex, sizeof ex, "x1[(ptrdiff_t)r * 5 + %d]", k);
		out_line(o, "const double v%d = rt_tame((double)%s, -1e9, 1e9);", k,
			 cg_load(dt, ex, ld, sizeof ld));
	}
	out_line(o, "const int64_t b = (int64_t)v0;");
	out_line(o, "if (b < 0 || b >= %lld) {", N);
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) yr[j] = %s;", C * PH * PW,
		 cg_store(dt, "0", st, sizeof st));
	out_line(o, "continue;");
	out_line(o, "}");
	out_line(o, "const int x1s = (int)round(v1 * %s), y1s = (int)round(v2 * %s);", lit, lit);
	out_line(o, "const int x2s = (int)round(v3 * %s), y2s = (int)round(v4 * %s);", lit, lit);
	out_line(o, "const int rh = y2s - y1s + 1 > 1 ? y2s - y1s + 1 : 1;");
	out_line(o, "const int rw = x2s - x1s + 1 > 1 ? x2s - x1s + 1 : 1;");
	out_line(o, "for (int ph = 0; ph < %lld; ph++) {", PH);
	bin_bounds(o, "h", "ph", "y1s", "rh", PH, H);
	out_line(o, "for (int pw = 0; pw < %lld; pw++) {", PW);
	bin_bounds(o, "w", "pw", "x1s", "rw", PW, W);
	out_line(o, "for (int c = 0; c < %lld; c++) {", C);
	out_line(o, "const %s *xc = x0 + ((ptrdiff_t)b * %lld + c) * %lld;", ct, C, H * W);
	out_line(o, "%s m = hs < he && ws < we ? -INFINITY : 0;", at);
	out_line(o, "for (int h = hs; h < he; h++) {");
	out_line(o, "for (int w = ws; w < we; w++) {");
	snprintf(ex, sizeof ex, "xc[(ptrdiff_t)h * %lld + w]", W);
	out_line(o, "const %s v = %s;", at, cg_load(dt, ex, ld, sizeof ld));
	out_line(o, "if (v > m) m = v;");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "yr[((ptrdiff_t)c * %lld + ph) * %lld + pw] = %s;", PH, PW,
		 cg_store(dt, "m", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_MAXROIPOOL = {infer, NULL, emit, NULL, 0};
