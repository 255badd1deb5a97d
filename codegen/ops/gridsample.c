/* gridsample.c - GridSample (opset 16: 2-D bilinear/nearest/bicubic; 20+: N-D
 * linear/nearest/cubic) with zeros, border and reflection padding.
 *
 * The grid is data, so sampling positions are computed at run time, once per
 * output position and shared by all channels: per spatial axis the kernel builds
 * the taps (1 nearest, 2 linear, 4 cubic) as element offsets and weights, then
 * every channel sums the tensor product of the taps. Semantics follow the ONNX
 * reference (and PyTorch): coordinates are denormalised in the grid's precision,
 * nearest rounds half to even (the conformance data does so in 3-D too), a
 * position outside the border range is clamped (border) or reflected
 * (reflection) before the taps are taken, and each tap outside the input reads
 * zero (zeros), the edge (border) or its reflection (reflection). A tap in the
 * zero padding carries a negative offset that poisons the sum of offsets, so the
 * kernel tests one sign per tap combination instead of one per axis.
 */
#include <stdio.h>
#include <string.h>

#include "sample.h"

enum { GS_NEAREST, GS_LINEAR, GS_CUBIC };
enum { PAD_ZEROS, PAD_BORDER, PAD_REFLECT };

typedef struct GsPlan {
	int mode, pad, nd;
	bool align;
	DType dt, gt;
	int64_t n, c;
	int64_t in[CNNC_MAX_RANK], out[CNNC_MAX_RANK];
} GsPlan;

static int gs_plan(const Graph *g, const Node *n, GsPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0), *grid = op_in(g, n, 1);
	memset(p, 0, sizeof *p);
	const char *m = ir_attr_str(n, "mode", n->opset < 20 ? "bilinear" : "linear");
	if (strcmp(m, "nearest") == 0)
		p->mode = GS_NEAREST;
	else if (strcmp(m, "linear") == 0 || strcmp(m, "bilinear") == 0)
		p->mode = GS_LINEAR;
	else if (strcmp(m, "cubic") == 0 || strcmp(m, "bicubic") == 0)
		p->mode = GS_CUBIC;
	else
		return ir_node_error(d, g, n, "mode is '%s', expected linear, nearest or cubic", m);
	const char *pm = ir_attr_str(n, "padding_mode", "zeros");
	if (strcmp(pm, "zeros") == 0)
		p->pad = PAD_ZEROS;
	else if (strcmp(pm, "border") == 0)
		p->pad = PAD_BORDER;
	else if (strcmp(pm, "reflection") == 0)
		p->pad = PAD_REFLECT;
	else
		return ir_node_error(d, g, n, "padding_mode is '%s', expected zeros, border or "
				     "reflection", pm);
	p->align = ir_attr_int(n, "align_corners", 0) != 0;
	p->dt = x->dtype;
	p->gt = grid->dtype;
	p->nd = x->shape.rank - 2;
	if (p->nd < 1 || grid->shape.rank != x->shape.rank)
		return ir_node_error(d, g, n, "X has rank %d and grid rank %d, expected equal ranks "
				     "of at least 3", x->shape.rank, grid->shape.rank);
	if (grid->shape.dims[0] != x->shape.dims[0] || grid->shape.dims[p->nd + 1] != p->nd)
		return ir_node_error(d, g, n, "grid must have shape [N, ..., %d] with N = %lld",
				     p->nd, (long long)x->shape.dims[0]);
	p->n = x->shape.dims[0];
	p->c = x->shape.dims[1];
	for (int i = 0; i < p->nd; i++) {
		p->in[i] = x->shape.dims[2 + i];
		p->out[i] = grid->shape.dims[1 + i];
	}
	return 0;
}

static const DType grid_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};

static int infer(Graph *g, Node *n, Diag *d)
{
	GsPlan p;
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, op_numeric_types, d) < 0 ||
	    op_check_dtype(g, n, 1, grid_types, d) < 0 || gs_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {p.nd + 2, {p.n, p.c}};
	for (int i = 0; i < p.nd; i++)
		s.dims[2 + i] = p.out[i];
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* Code computing coordinate c<i> (type ct) of spatial axis i from the grid. */
static void emit_coord(Out *o, const GsPlan *p, int i, const char *ct, bool dbl)
{
	char ld[96], ex[48];
	double len = (double)p->in[i];
	snprintf(ex, sizeof ex, "gp[%d]", p->nd - 1 - i);
	out_line(o, "const %s g%d = %s;", ct, i, cg_load(p->gt, ex, ld, sizeof ld));
	if (p->align)
		out_line(o, "%s c%d = (g%d + 1) / 2 * %.1f;", ct, i, i, len - 1);
	else
		out_line(o, "%s c%d = ((g%d + 1) * %.1f - 1) / 2;", ct, i, i, len);
	if (p->mode == GS_NEAREST)
		out_line(o, "c%d = %s(c%d);", i, dbl ? "nearbyint" : "nearbyintf", i);
	double lo = p->align ? 0 : -0.5, hi = p->align ? len - 1 : len - 0.5;
	if (p->pad == PAD_BORDER)
		out_line(o, "if (c%d < %.1f || c%d > %.1f) c%d = c%d < 0 ? 0 : c%d > %.1f ? %.1f : c%d;",
			 i, lo, i, hi, i, i, i, len - 1, len - 1, i);
	else if (p->pad == PAD_REFLECT)
		out_line(o, "c%d = %s(c%d, %.1f, %.1f);", i, dbl ? "rt_reflect" : "rt_reflectf", i, lo,
			 hi);
	/* far outside (or NaN) behaves like just outside: keeps floor() in int range */
	out_line(o, "c%d = (%s)rt_tame(c%d, -4.0, %.1f);", i, ct, i, len + 4);
}

/* Code mapping tap index expression `ix` of axis i to the element offset o<i>[t]. */
static void emit_tap(Out *o, const GsPlan *p, int i, const char *ix, int t, long long str,
		     long long plane)
{
	long long len = p->in[i];
	out_line(o, "{");
	out_line(o, "int64_t q = %s;", ix);
	if (p->pad == PAD_ZEROS) {
		out_line(o, "o%d[%d] = q >= 0 && q < %lld ? (ptrdiff_t)q * %lld : -%lld;", i, t, len,
			 str, plane);
	} else {
		if (p->pad == PAD_REFLECT)
			out_line(o, "if (q < 0 || q >= %lld) q = (int64_t)rt_reflect((double)q, %.1f, "
				 "%.1f);", len, p->align ? 0.0 : -0.5,
				 p->align ? (double)len - 1 : (double)len - 0.5);
		out_line(o, "q = q < 0 ? 0 : q >= %lld ? %lld : q;", len, len - 1);
		out_line(o, "o%d[%d] = (ptrdiff_t)q * %lld;", i, t, str);
	}
	out_line(o, "}");
}

static int emit(Emit *e)
{
	GsPlan p;
	Diag dg;
	diag_init(&dg, "");
	if (gs_plan(e->g, e->n, &p, &dg) < 0)
		return -1;
	Out *o = e->o;
	const char *ct = cg_comp(p.gt);
	bool dbl = strcmp(ct, "double") == 0;
	const char *at = p.dt == DT_DOUBLE || !dtype_info(p.dt)->is_float ? "double" : "float";
	int nd = p.nd, taps = p.mode == GS_NEAREST ? 1 : p.mode == GS_LINEAR ? 2 : 4;
	long long str[CNNC_MAX_RANK], plane = 1, outsz = 1;
	for (int i = nd - 1; i >= 0; i--) {
		str[i] = plane;
		plane *= p.in[i];
		outsz *= p.out[i];
	}
	char ld[96], st[512], ix[64];
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p.n);
	out_line(o, "for (ptrdiff_t op = 0; op < %lld; op++) {", outsz);
	out_line(o, "const %s *gp = x1 + ((ptrdiff_t)n * %lld + op) * %d;", cg_ctype(p.gt), outsz, nd);
	for (int i = 0; i < nd; i++) {
		out_line(o, "ptrdiff_t o%d[%d];", i, taps);
		out_line(o, "%s w%d[%d];", at, i, taps);
		emit_coord(o, &p, i, ct, dbl);
		if (p.mode == GS_NEAREST) {
			out_line(o, "w%d[0] = 1;", i);
			snprintf(ix, sizeof ix, "(int64_t)c%d", i);
			emit_tap(o, &p, i, ix, 0, str[i], plane);
			continue;
		}
		out_line(o, "const %s f%d = %s(c%d), r%d = c%d - f%d;", ct, i, dbl ? "floor" : "floorf",
			 i, i, i, i);
		if (p.mode == GS_LINEAR) {
			out_line(o, "w%d[0] = (%s)(1 - r%d);", i, at, i);
			out_line(o, "w%d[1] = (%s)r%d;", i, at, i);
		} else {
			for (int t = 0; t < 4; t++)
				out_line(o, "w%d[%d] = (%s)rt_cubic_w((double)r%d - %d, -0.75);", i, t, at, i,
					 t - 1);
		}
		for (int t = 0; t < taps; t++) {
			snprintf(ix, sizeof ix, "(int64_t)f%d + %d", i, t - (p.mode == GS_CUBIC));
			emit_tap(o, &p, i, ix, t, str[i], plane);
		}
	}
	out_line(o, "for (int c = 0; c < %lld; c++) {", (long long)p.c);
	out_line(o, "const %s *xc = x0 + ((ptrdiff_t)n * %lld + c) * %lld;", cg_ctype(p.dt),
		 (long long)p.c, plane);
	out_line(o, "%s acc = 0;", at);
	for (int i = 0; i < nd; i++) {
		out_line(o, "for (int t%d = 0; t%d < %d; t%d++) {", i, i, taps, i);
		if (i == 0)
			out_line(o, "const ptrdiff_t q0 = o0[t0];");
		else
			out_line(o, "const ptrdiff_t q%d = q%d + o%d[t%d];", i, i - 1, i, i);
		if (i == 0)
			out_line(o, "const %s v0 = w0[t0];", at);
		else
			out_line(o, "const %s v%d = v%d * w%d[t%d];", at, i, i - 1, i, i);
	}
	snprintf(ix, sizeof ix, "xc[q%d]", nd - 1);
	if (p.pad == PAD_ZEROS)
		out_line(o, "if (q%d >= 0) acc += v%d * (%s)%s;", nd - 1, nd - 1, at,
			 cg_load(p.dt, ix, ld, sizeof ld));
	else
		out_line(o, "acc += v%d * (%s)%s;", nd - 1, at, cg_load(p.dt, ix, ld, sizeof ld));
	for (int i = 0; i < nd; i++)
		out_line(o, "}");
	out_line(o, "y0[((ptrdiff_t)n * %lld + c) * %lld + op] = %s;", (long long)p.c, outsz,
		 nn_store_sat(p.dt, "acc", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_GRIDSAMPLE = {infer, NULL, emit, NULL, 0};
