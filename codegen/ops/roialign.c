/* roialign.c - RoiAlign (opsets 10, 16, 22): average or max of bilinear samples
 * over each bin of each region of interest.
 *
 * Regions are data, so the geometry is computed at run time, per region: the
 * bin size, the sampling grid (sampling_ratio, or ceil(bin size) when it is 0)
 * and, per sample, the four neighbours and weights, shared by every channel (the
 * channel loop is innermost). Semantics follow ONNX Runtime and the reference:
 * samples beyond one pixel outside the map contribute 0, coordinates are clamped
 * at the far edge, output_half_pixel (and opset 10) forces regions to at least
 * 1x1, and "max" takes the largest weighted corner of each sample, then the
 * largest sample. A batch index outside the input gives zeros.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef struct RaPlan {
	DType dt;
	int64_t n, c, h, w, rois, ph, pw, ratio;
	double scale;
	bool half_pixel, max;
} RaPlan;

static int ra_plan(const Graph *g, const Node *n, RaPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0), *r = op_in(g, n, 1), *b = op_in(g, n, 2);
	memset(p, 0, sizeof *p);
	if (x->shape.rank != 4)
		return ir_node_error(d, g, n, "input X has rank %d, expected 4", x->shape.rank);
	if (r->shape.rank != 2 || r->shape.dims[1] != 4 || r->dtype != x->dtype)
		return ir_node_error(d, g, n, "rois must be [num_rois, 4] of the element type of X");
	if (b->shape.rank != 1 || b->shape.dims[0] != r->shape.dims[0])
		return ir_node_error(d, g, n, "batch_indices must be [%lld]",
				     (long long)r->shape.dims[0]);
	p->dt = x->dtype;
	p->n = x->shape.dims[0], p->c = x->shape.dims[1];
	p->h = x->shape.dims[2], p->w = x->shape.dims[3];
	p->rois = r->shape.dims[0];
	p->ph = ir_attr_int(n, "output_height", 1);
	p->pw = ir_attr_int(n, "output_width", 1);
	p->ratio = ir_attr_int(n, "sampling_ratio", 0);
	p->scale = ir_attr_float(n, "spatial_scale", 1.0);
	if (p->ph < 1 || p->pw < 1 || p->ph > (1 << 20) || p->pw > (1 << 20) || p->ratio < 0 ||
	    p->ratio > 4096)
		return ir_node_error(d, g, n, "output_height, output_width or sampling_ratio is out "
				     "of range");
	const char *m = ir_attr_str(n, "mode", "avg");
	if (strcmp(m, "avg") != 0 && strcmp(m, "max") != 0)
		return ir_node_error(d, g, n, "mode is '%s', expected avg or max", m);
	p->max = strcmp(m, "max") == 0;
	const char *ct = ir_attr_str(n, "coordinate_transformation_mode",
				     n->opset < 16 ? "output_half_pixel" : "half_pixel");
	if (strcmp(ct, "half_pixel") != 0 && strcmp(ct, "output_half_pixel") != 0)
		return ir_node_error(d, g, n, "coordinate_transformation_mode is '%s', expected "
				     "half_pixel or output_half_pixel", ct);
	p->half_pixel = strcmp(ct, "half_pixel") == 0;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType idx[] = {DT_INT64, DT_UNDEFINED};
	RaPlan p;
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0 ||
	    op_check_dtype(g, n, 2, idx, d) < 0 || ra_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {4, {p.rois, p.c, p.ph, p.pw}};
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* Per sample: the four neighbour offsets p1..p4 and weights w1..w4. */
static void emit_sample(Out *o, const RaPlan *p, const char *at)
{
	out_line(o, "%s y = by + ((%s)iy + (%s)0.5) * bh / (%s)gh;", at, at, at, at);
	out_line(o, "%s x = bx + ((%s)ix + (%s)0.5) * bw / (%s)gw;", at, at, at, at);
	out_line(o, "ptrdiff_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;");
	out_line(o, "%s w1 = 0, w2 = 0, w3 = 0, w4 = 0;", at);
	out_line(o, "if (y >= -1 && y <= %lld && x >= -1 && x <= %lld) {", (long long)p->h,
		 (long long)p->w);
	out_line(o, "if (y < 0) y = 0;");
	out_line(o, "if (x < 0) x = 0;");
	out_line(o, "int yl = (int)y, xl = (int)x, yh, xh;");
	out_line(o, "if (yl >= %lld) { yh = yl = %lld; y = (%s)yl; } else yh = yl + 1;",
		 (long long)p->h - 1, (long long)p->h - 1, at);
	out_line(o, "if (xl >= %lld) { xh = xl = %lld; x = (%s)xl; } else xh = xl + 1;",
		 (long long)p->w - 1, (long long)p->w - 1, at);
	out_line(o, "const %s ly = y - (%s)yl, lx = x - (%s)xl, hy = 1 - ly, hx = 1 - lx;", at, at,
		 at);
	out_line(o, "w1 = hy * hx, w2 = hy * lx, w3 = ly * hx, w4 = ly * lx;");
	out_line(o, "p1 = (ptrdiff_t)yl * %lld + xl, p2 = (ptrdiff_t)yl * %lld + xh;",
		 (long long)p->w, (long long)p->w);
	out_line(o, "p3 = (ptrdiff_t)yh * %lld + xl, p4 = (ptrdiff_t)yh * %lld + xh;",
		 (long long)p->w, (long long)p->w);
	out_line(o, "}");
}

static int emit(Emit *e)
{
	RaPlan p;
	Diag dg;
	diag_init(&dg, "");
	if (ra_plan(e->g, e->n, &p, &dg) < 0)
		return -1;
	Out *o = e->o;
	DType dt = p.dt;
	const char *at = cg_comp(dt);
	bool dbl = strcmp(at, "double") == 0;
	long long plane = p.h * p.w, opl = p.ph * p.pw, C = p.c;
	char ld[4][128], st[256], lit[64];
	out_line(o, "for (int r = 0; r < %lld; r++) {", (long long)p.rois);
	out_line(o, "%s *yr = y0 + (ptrdiff_t)r * %lld;", cg_ctype(dt), C * opl);
	out_line(o, "const int64_t b = x2[r];");
	out_line(o, "if (b < 0 || b >= %lld) {", (long long)p.n);
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) yr[j] = %s;", C * opl,
		 cg_store(dt, "0", st, sizeof st));
	out_line(o, "continue;");
	out_line(o, "}");
	out_line(o, "const %s *xb = x0 + (ptrdiff_t)b * %lld;", cg_ctype(dt), C * plane);
	const char *off = p.half_pixel ? "0.5" : "0";
	const char *coord[4] = {"sx", "sy", "ex", "ey"};
	for (int k = 0; k < 4; k++) {
		char ex[64];
		snprintf(ex, sizeof ex, "x1[(ptrdiff_t)r * 4 + %d]", k);
		out_line(o, "const %s %s = %s * (%s)%s - (%s)%s;", at, coord[k],
			 cg_load(dt, ex, ld[k], sizeof ld[k]), at, cg_lit(DT_DOUBLE, p.scale, lit,
									 sizeof lit), at, off);
	}
	out_line(o, "%s rw = ex - sx, rh = ey - sy;", at);
	if (!p.half_pixel) {
		out_line(o, "if (rw < 1) rw = 1;");
		out_line(o, "if (rh < 1) rh = 1;");
	}
	out_line(o, "const %s bh = rh / (%s)%lld, bw = rw / (%s)%lld;", at, at, (long long)p.ph, at,
		 (long long)p.pw);
	if (p.ratio > 0) {
		out_line(o, "const int gh = %lld, gw = %lld;", (long long)p.ratio, (long long)p.ratio);
	} else {
		/* ceil of the bin size; absurd regions are limited to a huge grid */
		out_line(o, "const %s ch = %s(rh / (%s)%lld), cw = %s(rw / (%s)%lld);", at,
			 dbl ? "ceil" : "ceilf", at, (long long)p.ph, dbl ? "ceil" : "ceilf", at,
			 (long long)p.pw);
		out_line(o, "const int gh = ch > 0 ? (ch < 65536 ? (int)ch : 65536) : 0;");
		out_line(o, "const int gw = cw > 0 ? (cw < 65536 ? (int)cw : 65536) : 0;");
	}
	if (!p.max)
		out_line(o, "const %s cnt = (%s)(gh * gw > 1 ? gh * gw : 1);", at, at);
	out_line(o, "for (int ph = 0; ph < %lld; ph++) {", (long long)p.ph);
	out_line(o, "for (int pw = 0; pw < %lld; pw++) {", (long long)p.pw);
	out_line(o, "%s *acc = (%s *)scratch;", at, at);
	out_line(o, "for (int c = 0; c < %lld; c++) acc[c] = %s;", C, p.max ? "-INFINITY" : "0");
	out_line(o, "const %s by = sy + (%s)ph * bh, bx = sx + (%s)pw * bw;", at, at, at);
	out_line(o, "for (int iy = 0; iy < gh; iy++) {");
	out_line(o, "for (int ix = 0; ix < gw; ix++) {");
	emit_sample(o, &p, at);
	out_line(o, "for (int c = 0; c < %lld; c++) {", C);
	out_line(o, "const %s *xc = xb + (ptrdiff_t)c * %lld;", cg_ctype(dt), plane);
	const char *pn[4] = {"xc[p1]", "xc[p2]", "xc[p3]", "xc[p4]"};
	for (int k = 0; k < 4; k++)
		cg_load(dt, pn[k], ld[k], sizeof ld[k]);
	if (p.max) {
		out_line(o, "%s v = w1 * %s, t;", at, ld[0]);
		out_line(o, "t = w2 * %s; if (t > v) v = t;", ld[1]);
		out_line(o, "t = w3 * %s; if (t > v) v = t;", ld[2]);
		out_line(o, "t = w4 * %s; if (t > v) v = t;", ld[3]);
		out_line(o, "if (v > acc[c]) acc[c] = v;");
	} else {
		out_line(o, "acc[c] += w1 * %s + w2 * %s + w3 * %s + w4 * %s;", ld[0], ld[1], ld[2],
			 ld[3]);
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (int c = 0; c < %lld; c++) {", C);
	if (p.max)
		out_line(o, "const %s v = gh * gw > 0 ? acc[c] : 0;", at);
	else
		out_line(o, "const %s v = acc[c] / cnt;", at);
	out_line(o, "yr[(ptrdiff_t)c * %lld + ph * %lld + pw] = %s;", opl, (long long)p.pw,
		 cg_store(dt, "v", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

/* One accumulator per channel. */
static int64_t scratch(const Graph *g, const Node *n)
{
	return op_in(g, n, 0)->shape.dims[1] * 8;
}

const OpDef opdef_ROIALIGN = {infer, NULL, emit, scratch, 0};
