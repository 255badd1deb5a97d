/* resize.c - Resize (opsets 10-19+) and the deprecated Upsample (opsets 1-10).
 *
 * All Resize modes are separable: an output element is a sum over the tensor
 * product of per-axis taps, out = sum prod_a w_a[o_a][t_a] * x[idx_a[o_a][t_a]...].
 * Everything about an axis (coordinate transformation, nearest rounding, linear
 * and cubic coefficients, antialias filter widths, exclude_outside, edge
 * clamping, tf_crop_and_resize extrapolation) is therefore computed at compile
 * time, in double precision exactly as the ONNX reference does, into one table
 * of input indices and weights per resized axis. The kernel only walks the
 * output, gathering: axes whose table is the identity are plain copies, and
 * nearest mode needs no arithmetic at all (so it works for every element type).
 *
 * Where the spec and the reference implementation that produced the conformance
 * data differ, the reference wins: align_corners divides by the fractional
 * output length scale * in (not the integer one), and interpolated integers are
 * truncated toward zero (after saturating to the type's range), except that a
 * value within 1e-4 of an integer is that integer: weights carry rounding error,
 * and truncating 66.99999 to 66 would be an off-by-one against ONNX Runtime.
 * Resize-10 and Upsample use asymmetric coordinates with ONNX Runtime's "simple"
 * nearest rounding (floor when upsampling, ceil when downsampling).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } RMode;
typedef enum {
	CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_NN, CT_CROP
} CtMode;
typedef enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE } NMode;

typedef struct ResizePlan {
	int rank;
	DType dt;
	int64_t in[CNNC_MAX_RANK], out[CNNC_MAX_RANK];
	double scale[CNNC_MAX_RANK]; /* per axis, 1 for untouched axes */
	double roi_s[CNNC_MAX_RANK], roi_e[CNNC_MAX_RANK];
	RMode mode;
	CtMode ct;
	NMode nm;
	double cubic_a, extrap;
	bool exclude, antialias;
} ResizePlan;

/* One axis's sampling: taps input indices and weights per output index. */
typedef struct AxisTable {
	int taps;           /* 0 when the axis is the identity */
	int64_t *idx;       /* [out * taps], already clamped into [0, in) */
	double *wt;         /* [out * taps] */
	unsigned char *ext; /* [out]: 1 where the output is extrapolation_value; NULL if none */
} AxisTable;

/* ------------------------------------------------------------ attributes */

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int read_modes(const Graph *g, const Node *n, ResizePlan *p, Diag *d)
{
	static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear", "NEAREST",
					    "BILINEAR"};
	static const char *const cts[] = {"half_pixel", "half_pixel_symmetric",
					  "pytorch_half_pixel", "align_corners", "asymmetric",
					  "tf_half_pixel_for_nn", "tf_crop_and_resize"};
	static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
					  "ceil"};
	const char *m = ir_attr_str(n, "mode", "nearest");
	int k = lookup(m, modes, 6);
	bool legacy = n->op == OP_UPSAMPLE || n->opset < 11;
	if (k < 0 || (k == 2 && legacy))
		return ir_node_error(d, g, n, "mode is '%s', expected nearest, linear or cubic", m);
	p->mode = k == 0 || k == 4 ? RM_NEAREST : k == 2 ? RM_CUBIC : RM_LINEAR;
	if (legacy) {
		p->ct = CT_ASYM;
		p->nm = NM_SIMPLE;
		return 0;
	}
	const char *c = ir_attr_str(n, "coordinate_transformation_mode", "half_pixel");
	if ((k = lookup(c, cts, 7)) < 0)
		return ir_node_error(d, g, n, "coordinate_transformation_mode '%s' is not known", c);
	p->ct = (CtMode)k;
	const char *nm = ir_attr_str(n, "nearest_mode", "round_prefer_floor");
	if ((k = lookup(nm, nms, 4)) < 0)
		return ir_node_error(d, g, n, "nearest_mode '%s' is not known", nm);
	p->nm = (NMode)k;
	p->cubic_a = ir_attr_float(n, "cubic_coeff_a", -0.75);
	p->exclude = ir_attr_int(n, "exclude_outside", 0) != 0;
	p->extrap = ir_attr_float(n, "extrapolation_value", 0.0);
	p->antialias = ir_attr_int(n, "antialias", 0) != 0;
	return 0;
}

/* Reads constant input k as doubles; *cnt = -1 when the input is absent or empty. */
static int const_doubles(Graph *g, const Node *n, int k, double *v, int64_t *cnt, int max,
			 Diag *d)
{
	const Value *x = op_in(g, n, k);
	*cnt = -1;
	if (!x || ir_numel(x) == 0)
		return 0;
	if (op_require_const(g, n, k, d) < 0)
		return -1;
	int64_t c = ir_numel(x);
	if (c > max)
		return ir_node_error(d, g, n, "input '%s' has %lld values, expected at most %d",
				     x->name, (long long)c, max);
	bool fl = dtype_info(x->dtype)->is_float;
	for (int64_t i = 0; i < c; i++)
		v[i] = fl ? dtype_get_f64(x->dtype, x->data, i) : (double)dtype_get_i64(x->dtype, x->data, i);
	*cnt = c;
	return 0;
}

/* Scales and sizes as given, mapped to axes; fills p->scale, p->out, p->roi. */
static int read_targets(Graph *g, const Node *n, ResizePlan *p, Diag *d)
{
	int r = p->rank;
	int axes[CNNC_MAX_RANK], na = r;
	double sc[CNNC_MAX_RANK], sz[CNNC_MAX_RANK], roi[2 * CNNC_MAX_RANK];
	int64_t nsc = -1, nsz = -1, nroi = -1;
	for (int i = 0; i < r; i++)
		axes[i] = i;
	const int64_t *ax;
	size_t nax = ir_attr_ints(n, "axes", &ax);
	if (nax) {
		if (nax > (size_t)r)
			return ir_node_error(d, g, n, "attribute 'axes' has %zu values for rank %d", nax,
					     r);
		na = (int)nax;
		for (int i = 0; i < na; i++)
			if (op_axis(g, n, ax[i], r, &axes[i], d) < 0)
				return -1;
	}
	if (n->op == OP_UPSAMPLE && n->opset < 7) {
		if (r != 4)
			return ir_node_error(d, g, n, "input X has rank %d, expected 4", r);
		sc[0] = sc[1] = 1;
		sc[2] = ir_attr_float(n, "height_scale", 1);
		sc[3] = ir_attr_float(n, "width_scale", 1);
		nsc = 4;
	} else if (n->op == OP_UPSAMPLE && n->opset < 9) {
		const double *f;
		nsc = (int64_t)ir_attr_floats(n, "scales", &f);
		for (int64_t i = 0; i < nsc && i < r; i++)
			sc[i] = f[i];
	} else if (n->op == OP_UPSAMPLE || n->opset < 11) {
		if (const_doubles(g, n, 1, sc, &nsc, r, d) < 0)
			return -1;
	} else if (const_doubles(g, n, 1, roi, &nroi, 2 * r, d) < 0 ||
		   const_doubles(g, n, 2, sc, &nsc, r, d) < 0 ||
		   const_doubles(g, n, 3, sz, &nsz, r, d) < 0) {
		return -1;
	}
	if ((nsc < 0) == (nsz < 0))
		return ir_node_error(d, g, n, "exactly one of scales and sizes must be given");
	if ((nsc >= 0 && nsc != na) || (nsz >= 0 && nsz != na))
		return ir_node_error(d, g, n, "scales or sizes has %lld values, expected %d",
				     (long long)(nsc >= 0 ? nsc : nsz), na);
	for (int i = 0; i < r; i++) {
		p->scale[i] = 1;
		p->out[i] = p->in[i];
		p->roi_s[i] = 0;
		p->roi_e[i] = 1;
	}
	if (nroi >= 0 && p->ct == CT_CROP) {
		if (nroi != 2 * na)
			return ir_node_error(d, g, n, "roi has %lld values, expected %d",
					     (long long)nroi, 2 * na);
		for (int i = 0; i < na; i++) {
			p->roi_s[axes[i]] = roi[i];
			p->roi_e[axes[i]] = roi[na + i];
		}
	}
	if (nsc >= 0) {
		for (int i = 0; i < na; i++) {
			int a = axes[i];
			if (!(sc[i] > 0) || sc[i] > 1e9)
				return ir_node_error(d, g, n, "scale %g is not positive", sc[i]);
			p->scale[a] = sc[i];
			/* roi does not shrink the output (ONNX Runtime and the reference agree,
			   the spec's formula says otherwise) */
			p->out[a] = (int64_t)floor((double)p->in[a] * sc[i]);
		}
		return 0;
	}
	const char *pol = n->op == OP_RESIZE ? ir_attr_str(n, "keep_aspect_ratio_policy", "stretch")
					     : "stretch";
	bool larger = strcmp(pol, "not_larger") == 0, smaller = strcmp(pol, "not_smaller") == 0;
	if (!larger && !smaller && strcmp(pol, "stretch") != 0)
		return ir_node_error(d, g, n, "keep_aspect_ratio_policy '%s' is not known", pol);
	double keep = larger ? INFINITY : 0;
	for (int i = 0; i < na; i++) {
		int a = axes[i];
		if (sz[i] < 0 || sz[i] > 1e12)
			return ir_node_error(d, g, n, "size %g is out of range", sz[i]);
		if (p->in[a] == 0)
			return ir_node_error(d, g, n, "cannot resize an empty axis");
		p->out[a] = (int64_t)sz[i];
		p->scale[a] = sz[i] / (double)p->in[a];
		keep = larger ? fmin(keep, p->scale[a]) : fmax(keep, p->scale[a]);
	}
	if (larger || smaller)
		for (int i = 0; i < na; i++) {
			int a = axes[i];
			p->scale[a] = keep;
			p->out[a] = (int64_t)(keep * (double)p->in[a] + 0.5);
		}
	return 0;
}

static int resize_plan(Graph *g, const Node *n, ResizePlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	memset(p, 0, sizeof *p);
	p->rank = x->shape.rank;
	p->dt = x->dtype;
	for (int i = 0; i < p->rank; i++)
		p->in[i] = x->shape.dims[i];
	if (read_modes(g, n, p, d) < 0 || read_targets(g, n, p, d) < 0)
		return -1;
	if (p->mode != RM_NEAREST && !dtype_info(p->dt)->is_float && !dtype_info(p->dt)->is_int)
		return ir_node_error(d, g, n, "%s elements can only be resized in nearest mode",
				     dtype_name(p->dt));
	for (int i = 0; i < p->rank; i++)
		if (p->out[i] < 0)
			return ir_node_error(d, g, n, "output extent on axis %d is negative", i);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int hi = n->op == OP_UPSAMPLE ? (n->opset < 9 ? 1 : 2) : n->opset < 11 ? 2 : 4;
	ResizePlan p;
	if (op_check_arity(g, n, 1, hi, 1, d) < 0 || resize_plan(g, n, &p, d) < 0)
		return -1;
	if (dtype_info(p.dt)->size == 0)
		return ir_node_error(d, g, n, "element type %s is not supported", dtype_name(p.dt));
	Shape s = {p.rank, {0}};
	for (int i = 0; i < p.rank; i++)
		s.dims[i] = p.out[i];
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* ------------------------------------------------------------ per-axis tables */

/* Input coordinate of output index x on axis a; sets *ext when it extrapolates. */
static double coordinate(const ResizePlan *p, int a, int64_t x, bool *ext)
{
	double in = (double)p->in[a], s = p->scale[a], xr = (double)x;
	double outf = s * in; /* the reference's fractional output length */
	*ext = false;
	switch (p->ct) {
	case CT_HALF_PIXEL: return (xr + 0.5) / s - 0.5;
	case CT_HALF_PIXEL_SYM: {
		double adj = (double)p->out[a] / outf, center = in / 2;
		return center * (1 - adj) + (xr + 0.5) / s - 0.5;
	}
	case CT_PYTORCH: return p->out[a] > 1 ? (xr + 0.5) / s - 0.5 : 0;
	case CT_ALIGN: return outf == 1 ? 0 : xr * (in - 1) / (outf - 1);
	case CT_ASYM: return xr / s;
	case CT_TF_NN: return (xr + 0.5) / s;
	case CT_CROP: {
		double rs = p->roi_s[a], re = p->roi_e[a], o = (double)p->out[a], c;
		if (o == 1)
			c = (re - rs) * (in - 1) / 2;
		else
			c = xr * (re - rs) * (in - 1) / (o - 1);
		c += rs * (in - 1);
		*ext = c < 0 || c > in - 1;
		return c;
	}
	}
	return 0;
}

static double cubic_w(double x, double A)
{
	x = fabs(x);
	if (x <= 1)
		return ((A + 2) * x - (A + 3)) * x * x + 1;
	if (x < 2)
		return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
	return 0;
}

/* Coefficients for fractional position ratio in (0, 1]; returns their count and
   sets *start, the offset of the first tap from floor-ish base. */
static int coeffs(const ResizePlan *p, double ratio, double scale, double *c, int max, int *start)
{
	if (p->mode == RM_LINEAR && !p->antialias) {
		c[0] = 1 - ratio, c[1] = ratio, *start = 0;
		return 2;
	}
	if (p->mode == RM_CUBIC && !p->antialias) {
		for (int i = 0; i < 4; i++)
			c[i] = cubic_w((double)(i - 1) - ratio, p->cubic_a);
		*start = -1;
		return 4;
	}
	double sc = scale < 1 ? scale : 1, sum = 0;
	double support = p->mode == RM_LINEAR ? 1 : 2;
	int st = (int)floor(-support / sc) + 1, cnt = 2 - 2 * st;
	if (cnt > max)
		return -1;
	for (int i = 0; i < cnt; i++) {
		double arg = ((double)(st + i) - ratio) * sc;
		c[i] = p->mode == RM_LINEAR ? fmax(0, fmin(1, 1 - fabs(arg))) : cubic_w(arg, p->cubic_a);
		sum += c[i];
	}
	for (int i = 0; i < cnt; i++)
		c[i] /= sum;
	*start = st;
	return cnt;
}

static int64_t nearest_index(const ResizePlan *p, double x, int a)
{
	double fl = floor(x), r = x - fl;
	int64_t i;
	if (p->nm == NM_SIMPLE)
		i = p->scale[a] < 1 ? (int64_t)ceil(x) : (int64_t)fl;
	else if (r == 0)
		i = (int64_t)fl;
	else if (p->nm == NM_ROUND_FLOOR)
		i = (int64_t)fl + (r > 0.5);
	else if (p->nm == NM_ROUND_CEIL)
		i = (int64_t)fl + (r >= 0.5);
	else
		i = (int64_t)fl + (p->nm == NM_CEIL);
	return i < 0 ? 0 : i >= p->in[a] ? p->in[a] - 1 : i;
}

/* Fills t for axis a; -1 when out of memory or the filter is absurdly wide. */
static int axis_table(const ResizePlan *p, int a, AxisTable *t)
{
	enum { MAXTAPS = 4096 };
	double c[MAXTAPS];
	int64_t in = p->in[a], out = p->out[a];
	memset(t, 0, sizeof *t);
	int taps = 1, st;
	if (p->mode != RM_NEAREST && (taps = coeffs(p, 0.5, p->scale[a], c, MAXTAPS, &st)) < 0)
		return -1;
	t->taps = taps;
	t->idx = calloc((size_t)(out ? out : 1) * (size_t)taps, sizeof *t->idx);
	t->wt = calloc((size_t)(out ? out : 1) * (size_t)taps, sizeof *t->wt);
	t->ext = calloc((size_t)(out ? out : 1), 1);
	if (!t->idx || !t->wt || !t->ext)
		return -1;
	bool identity = in == out, any_ext = false;
	for (int64_t o = 0; o < out; o++) {
		bool ext;
		double x = coordinate(p, a, o, &ext);
		int64_t *ix = t->idx + o * taps;
		double *w = t->wt + o * taps;
		t->ext[o] = ext;
		any_ext |= ext;
		if (p->mode == RM_NEAREST) {
			ix[0] = nearest_index(p, x, a);
			w[0] = 1;
			identity &= ix[0] == o;
			continue;
		}
		double fl = floor(x), ratio = x == fl ? 1 : x - fl;
		int64_t base = x == fl ? (int64_t)x - 1 : (int64_t)fl;
		coeffs(p, ratio, p->scale[a], c, MAXTAPS, &st);
		/* the taps nearest to x inside the edge-padded axis */
		int64_t pad = (taps + 1) / 2, lo = base + st;
		if (lo < -pad)
			lo = -pad;
		if (lo + taps > in + pad)
			lo = in + pad - taps;
		double sum = 0;
		for (int k = 0; k < taps; k++) {
			int64_t i = lo + k;
			bool outside = i < 0 || i >= in;
			w[k] = p->exclude && outside ? 0 : c[k];
			ix[k] = i < 0 ? 0 : i >= in ? in - 1 : i;
			sum += w[k];
		}
		if (p->exclude && sum != 0)
			for (int k = 0; k < taps; k++)
				w[k] /= sum;
		double self = 0, other = 0;
		for (int k = 0; k < taps; k++)
			*(ix[k] == o ? &self : &other) += fabs(w[k]);
		identity &= self == 1 && other == 0;
	}
	if (!any_ext) {
		free(t->ext);
		t->ext = NULL;
	}
	if (identity && !any_ext)
		t->taps = 0;
	return 0;
}

static void free_table(AxisTable *t)
{
	free(t->idx);
	free(t->wt);
	free(t->ext);
}

/* ------------------------------------------------------------ kernel */

static void offset_table(Emit *e, const char *name, int a, const int64_t *v, int64_t n,
			 int64_t mul)
{
	out_printf(e->decls, "static const int64_t %s_%s%d[%lld] = {", e->fn, name, a,
		   (long long)(n ? n : 1));
	for (int64_t i = 0; i < n; i++)
		out_printf(e->decls, "%s%s%lld", i ? "," : "", i % 16 == 15 ? "\n\t" : "",
			   (long long)(v[i] * mul));
	out_printf(e->decls, "%s};\n", n ? "" : "0");
}

static void weight_table(Emit *e, int a, const double *v, int64_t n, bool dbl)
{
	out_printf(e->decls, "static const %s %s_w%d[%lld] = {", dbl ? "double" : "float", e->fn, a,
		   (long long)(n ? n : 1));
	char lit[64];
	for (int64_t i = 0; i < n; i++)
		out_printf(e->decls, "%s%s%s", i ? "," : "", i % 8 == 7 ? "\n\t" : "",
			   cg_lit(dbl ? DT_DOUBLE : DT_FLOAT, v[i], lit, sizeof lit));
	out_printf(e->decls, "%s};\n", n ? "" : "0");
}

static void ext_table(Emit *e, int a, const unsigned char *v, int64_t n)
{
	out_printf(e->decls, "static const unsigned char %s_e%d[%lld] = {", e->fn, a, (long long)n);
	for (int64_t i = 0; i < n; i++)
		out_printf(e->decls, "%s%s%d", i ? "," : "", i % 32 == 31 ? "\n\t" : "", v[i]);
	out_printf(e->decls, "};\n");
}

/* The innermost statement(s) for an interpolating mode. */
static void emit_interp(Emit *e, const ResizePlan *p, const AxisTable *t, const char *at)
{
	Out *o = e->o;
	int r = p->rank;
	char ld[128], st[512], lit[64];
	bool any_ext = false;
	for (int a = 0; a < r; a++)
		any_ext |= t[a].ext != NULL;
	if (any_ext) {
		char cond[1024];
		size_t k = 0;
		cond[0] = 0;
		for (int a = 0; a < r; a++)
			if (t[a].ext)
				k += (size_t)snprintf(cond + k, sizeof cond - k, "%s%s_e%d[o%d]",
						      k ? " || " : "", e->fn, a, a);
		out_line(o, "if (%s) {", cond);
		if (dtype_info(p->dt)->is_float)
			cg_lit(p->dt, p->extrap, lit, sizeof lit);
		else
			snprintf(lit, sizeof lit, "%.17g", p->extrap);
		out_line(o, "y0[yo++] = %s;", nn_store_sat(p->dt, lit, st, sizeof st));
		out_line(o, "continue;");
		out_line(o, "}");
	}
	out_line(o, "%s acc = 0;", at);
	char w[16] = "1", qn[CNNC_MAX_RANK][16];
	int open = 0;
	const char *prev = NULL;
	for (int a = 0; a < r; a++) {
		if (!t[a].taps)
			continue;
		out_line(o, "for (int t%d = 0; t%d < %d; t%d++) {", a, a, t[a].taps, a);
		out_line(o, "const ptrdiff_t q%d = %s + %s_i%d[o%d * %d + t%d];", a,
			 prev ? prev : "b", e->fn, a, a, t[a].taps, a);
		if (w[0] == '1')
			out_line(o, "const %s w%d = %s_w%d[o%d * %d + t%d];", at, a, e->fn, a, a,
				 t[a].taps, a);
		else
			out_line(o, "const %s w%d = %s * %s_w%d[o%d * %d + t%d];", at, a, w, e->fn, a,
				 a, t[a].taps, a);
		snprintf(w, sizeof w, "w%d", a);
		snprintf(qn[a], sizeof qn[a], "q%d", a);
		prev = qn[a];
		open++;
	}
	char xv[64];
	snprintf(xv, sizeof xv, "x0[%s]", prev ? prev : "b");
	out_line(o, "acc += %s * (%s)%s;", w, at, cg_load(p->dt, xv, ld, sizeof ld));
	for (int i = 0; i < open; i++)
		out_line(o, "}");
	if (dtype_info(p->dt)->is_int) {
		out_line(o, "{");
		out_line(o, "const double nr = nearbyint(acc);");
		out_line(o, "if (fabs(acc - nr) < 1e-4) acc = nr;");
		out_line(o, "}");
	}
	out_line(o, "y0[yo++] = %s;", nn_store_sat(p->dt, "acc", st, sizeof st));
}

static int emit(Emit *e)
{
	ResizePlan p;
	Diag dg;
	diag_init(&dg, "");
	if (resize_plan((Graph *)e->g, e->n, &p, &dg) < 0)
		return -1;
	int r = p.rank, rc = -1;
	AxisTable t[CNNC_MAX_RANK];
	memset(t, 0, sizeof t);
	int64_t str[CNNC_MAX_RANK], acc = 1;
	for (int a = r - 1; a >= 0; a--) {
		str[a] = acc;
		acc *= p.in[a];
	}
	bool interp = p.mode != RM_NEAREST;
	const char *at = dtype_info(p.dt)->is_float ? cg_comp(p.dt) : "double";
	bool dbl = strcmp(at, "double") == 0;
	for (int a = 0; a < r; a++) {
		if (axis_table(&p, a, &t[a]) < 0)
			goto done;
		if (!t[a].taps && !t[a].ext)
			continue;
		offset_table(e, "i", a, t[a].idx, p.out[a] * (t[a].taps ? t[a].taps : 1), str[a]);
		if (interp && t[a].taps)
			weight_table(e, a, t[a].wt, p.out[a] * t[a].taps, dbl);
		if (t[a].ext)
			ext_table(e, a, t[a].ext, p.out[a]);
	}
	Out *o = e->o;
	out_line(o, "ptrdiff_t yo = 0;");
	out_line(o, "const ptrdiff_t b%s = 0;", r ? "_" : "");
	for (int a = 0; a < r; a++) {
		out_line(o, "for (int o%d = 0; o%d < %lld; o%d++) {", a, a, (long long)p.out[a], a);
		char prev[8];
		snprintf(prev, sizeof prev, a ? "b%d" : "b_", a - 1);
		if (!t[a].taps)
			out_line(o, "const ptrdiff_t b%d = %s + (ptrdiff_t)o%d * %lld;", a, prev, a,
				 (long long)str[a]);
		else if (!interp)
			out_line(o, "const ptrdiff_t b%d = %s + %s_i%d[o%d];", a, prev, e->fn, a, a);
		else
			out_line(o, "const ptrdiff_t b%d = %s;", a, prev);
	}
	if (!interp) {
		out_line(o, "y0[yo++] = x0[b%d];", r - 1);
	} else {
		out_line(o, "const ptrdiff_t b = b%d;", r - 1);
		emit_interp(e, &p, t, at);
	}
	for (int a = 0; a < r; a++)
		out_line(o, "}");
	rc = 0;
done:
	for (int a = 0; a < r; a++)
		free_table(&t[a]);
	return rc;
}

const OpDef opdef_RESIZE = {infer, NULL, emit, NULL, 0};
const OpDef opdef_UPSAMPLE = {infer, NULL, emit, NULL, 0};
