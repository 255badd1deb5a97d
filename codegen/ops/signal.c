/* signal.c - DFT, STFT, the Hann/Hamming/Blackman windows and MelWeightMatrix.
 *
 * DFT and STFT gather one signal line at a time into scratch as interleaved
 * complex doubles (zero padding, truncation and, for the inverse real transform,
 * the Hermitian extension happen there) and transform it with rt_dft_line, a
 * direct O(n * bins) sum over a twiddle table built once per call. Lengths,
 * axes and steps decide shapes, so they must be compile-time constants.
 *
 * Windows depend only on their (constant) size and fold; MelWeightMatrix reads
 * its sample rate and band edges at run time and follows the ONNX reference
 * formula, band edges rounded down to whole DFT bins.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

#define PI 3.14159265358979323846

/* ------------------------------------------------------------ DFT */

typedef struct Plan {
	int axis;        /* signal axis of the input */
	int64_t n;       /* input length along axis */
	int64_t len;     /* transform length L */
	int64_t bins;    /* output length along axis */
	int64_t outer;   /* product of dims before axis */
	int64_t inner;   /* product of dims after axis, without the complex dim */
	int cin, cout;   /* last dim of input and output: 1 real, 2 complex */
	bool inverse, irfft;
} Plan;

/* A scalar integer constant input k, or dflt when absent. */
static int const_scalar(Graph *g, const Node *n, int k, int64_t dflt, int64_t *v, Diag *d)
{
	const int64_t *vals;
	int64_t cnt;
	*v = dflt;
	if (!op_in(g, n, k))
		return 0;
	if (op_const_ints(g, n, k, &vals, &cnt, d) < 0)
		return -1;
	if (cnt != 1)
		return ir_node_error(d, g, n, "input '%s' has %lld elements, expected a scalar",
				     op_in(g, n, k)->name, (long long)cnt);
	*v = vals[0];
	return 0;
}

static int dft_plan(Graph *g, const Node *n, Plan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	int64_t axis, len;
	if (r < 2 || (x->shape.dims[r - 1] != 1 && x->shape.dims[r - 1] != 2))
		return ir_node_error(d, g, n, "input has shape rank %d, expected rank >= 2 with a last "
				     "dim of 1 (real) or 2 (complex)", r);
	if (n->opset < 20)
		axis = ir_attr_int(n, "axis", 1);
	else if (const_scalar(g, n, 2, -2, &axis, d) < 0)
		return -1;
	if (axis < 0)
		axis += r;
	if (axis < 0 || axis > r - 2)
		return ir_node_error(d, g, n, "axis is out of range [-%d, -2] or [0, %d]", r, r - 2);
	memset(p, 0, sizeof *p);
	p->axis = (int)axis;
	p->n = x->shape.dims[axis];
	p->inverse = ir_attr_int(n, "inverse", 0) != 0;
	bool onesided = ir_attr_int(n, "onesided", 0) != 0;
	p->irfft = onesided && p->inverse;
	if (const_scalar(g, n, 1, p->irfft ? 2 * (p->n - 1) : p->n, &len, d) < 0)
		return -1;
	if (len < 1 || len > ((int64_t)1 << 28))
		return ir_node_error(d, g, n, "dft_length is %lld, expected 1 to 2^28", (long long)len);
	p->len = len;
	p->bins = onesided && !p->inverse ? len / 2 + 1 : len;
	p->cin = (int)x->shape.dims[r - 1];
	p->cout = p->irfft ? 1 : 2;
	p->outer = 1;
	p->inner = 1;
	for (int i = 0; i < axis; i++)
		p->outer *= x->shape.dims[i];
	for (int i = p->axis + 1; i < r - 1; i++)
		p->inner *= x->shape.dims[i];
	return 0;
}

static int dft_infer(Graph *g, Node *n, Diag *d)
{
	Plan p;
	if (op_check_arity(g, n, 1, n->opset < 20 ? 2 : 3, 1, d) < 0)
		return -1;
	if (op_check_dtype(g, n, 0, op_float_types, d) < 0 || dft_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = op_in(g, n, 0)->shape;
	s.dims[p.axis] = p.bins;
	s.dims[s.rank - 1] = p.cout;
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

/* Workspace of a transform of length len into bins outputs: twiddles, line, result. */
static int64_t transform_scratch(int64_t len, int64_t bins)
{
	return (4 * len + 2 * bins) * (int64_t)sizeof(double);
}

static int64_t dft_scratch(const Graph *g, const Node *n)
{
	Plan p;
	Diag d;
	diag_init(&d, "");
	if (dft_plan((Graph *)g, n, &p, &d) < 0)
		return -1;
	return transform_scratch(p.len, p.bins);
}

/* Declares cs/sn (twiddle table of length len), line and res in the scratch buffer. */
static void emit_twiddles(Out *o, int64_t len)
{
	out_line(o, "double *cs = (double *)scratch, *sn = cs + %lld;", (long long)len);
	out_line(o, "double *line = sn + %lld, *res = line + %lld;", (long long)len,
		 (long long)(2 * len));
	out_line(o, "for (int64_t t = 0; t < %lld; t++) {", (long long)len);
	out_line(o, "cs[t] = cos(%.17g * (double)t / %lld.0);", 2 * PI, (long long)len);
	out_line(o, "sn[t] = sin(%.17g * (double)t / %lld.0);", 2 * PI, (long long)len);
	out_line(o, "}");
}

static int dft_emit(Emit *e)
{
	Plan p;
	Diag d;
	diag_init(&d, "");
	if (dft_plan((Graph *)e->g, e->n, &p, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	int64_t used = p.irfft ? (p.n < p.len / 2 + 1 ? p.n : p.len / 2 + 1) : p.n < p.len ? p.n : p.len;
	char ld[128], st[160], ref[128];
	Out *o = e->o;
	emit_twiddles(o, p.len);
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)p.outer);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)p.inner);
	out_line(o, "const int64_t ib = m * %lld + j, ob = m * %lld + j;",
		 (long long)(p.n * p.inner), (long long)(p.bins * p.inner));
	out_line(o, "memset(line, 0, %lld);", (long long)(2 * p.len * (int64_t)sizeof(double)));
	out_line(o, "for (int64_t t = 0; t < %lld; t++) {", (long long)used);
	snprintf(ref, sizeof ref, "x0[(ib + t * %lld) * %d]", (long long)p.inner, p.cin);
	out_line(o, "line[2 * t] = %s;", cg_load(dt, ref, ld, sizeof ld));
	if (p.cin == 2) {
		snprintf(ref, sizeof ref, "x0[(ib + t * %lld) * 2 + 1]", (long long)p.inner);
		out_line(o, "line[2 * t + 1] = %s;", cg_load(dt, ref, ld, sizeof ld));
	}
	out_line(o, "}");
	if (p.irfft) {
		/* X[L - t] = conj(X[t]) fills the bins above L/2 */
		out_line(o, "for (int64_t t = 1; t < %lld && t < %lld; t++) {", (long long)used,
			 (long long)(p.len - p.len / 2));
		out_line(o, "line[2 * (%lld - t)] = line[2 * t];", (long long)p.len);
		out_line(o, "line[2 * (%lld - t) + 1] = -line[2 * t + 1];", (long long)p.len);
		out_line(o, "}");
	}
	out_line(o, "rt_dft_line(line, %lld, %lld, %lld, cs, sn, %s, res);",
		 (long long)(p.irfft ? p.len : used), (long long)p.len, (long long)p.bins,
		 p.inverse ? "1.0" : "-1.0");
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)p.bins);
	for (int c = 0; c < p.cout; c++) {
		char val[64];
		if (p.inverse)
			snprintf(val, sizeof val, "(%s)(res[2 * k + %d] / %lld.0)", cg_comp(dt), c,
				 (long long)p.len);
		else
			snprintf(val, sizeof val, "(%s)res[2 * k + %d]", cg_comp(dt), c);
		out_line(o, "y0[(ob + k * %lld) * %d + %d] = %s;", (long long)p.inner, p.cout, c,
			 cg_store(dt, val, st, sizeof st));
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_DFT = {dft_infer, NULL, dft_emit, dft_scratch, 0};

/* ------------------------------------------------------------ STFT */

typedef struct Frames {
	int64_t batch, length, cin, step, len, frames, bins;
	bool window;
} Frames;

static int stft_plan(Graph *g, const Node *n, Frames *f, Diag *d)
{
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 2);
	memset(f, 0, sizeof *f);
	if (x->shape.rank != 3 || (x->shape.dims[2] != 1 && x->shape.dims[2] != 2))
		return ir_node_error(d, g, n, "signal must have shape [batch][length][1 or 2]");
	f->batch = x->shape.dims[0];
	f->length = x->shape.dims[1];
	f->cin = x->shape.dims[2];
	if (const_scalar(g, n, 1, 0, &f->step, d) < 0)
		return -1;
	if (w && (w->shape.rank != 1 || w->dtype != x->dtype))
		return ir_node_error(d, g, n, "window must be a rank-1 tensor of the signal's type");
	f->window = w != NULL;
	if (const_scalar(g, n, 3, w ? w->shape.dims[0] : -1, &f->len, d) < 0)
		return -1;
	if (f->len < 0)
		return ir_node_error(d, g, n, "needs a window or a frame_length");
	if (w && w->shape.dims[0] != f->len)
		return ir_node_error(d, g, n, "window has %lld elements but frame_length is %lld",
				     (long long)w->shape.dims[0], (long long)f->len);
	if (f->step < 1 || f->len < 1 || f->len > f->length || f->len > ((int64_t)1 << 28))
		return ir_node_error(d, g, n, "frame_step %lld and frame_length %lld do not fit a signal "
				     "of length %lld", (long long)f->step, (long long)f->len,
				     (long long)f->length);
	f->frames = 1 + (f->length - f->len) / f->step;
	f->bins = ir_attr_int(n, "onesided", 1) ? f->len / 2 + 1 : f->len;
	return 0;
}

static int stft_infer(Graph *g, Node *n, Diag *d)
{
	Frames f;
	if (op_check_arity(g, n, 2, 4, 2, d) < 0)
		return -1;
	if (op_check_dtype(g, n, 0, op_float_types, d) < 0 || stft_plan(g, n, &f, d) < 0)
		return -1;
	Shape s = {4, {f.batch, f.frames, f.bins, 2}};
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

static int64_t stft_scratch(const Graph *g, const Node *n)
{
	Frames f;
	Diag d;
	diag_init(&d, "");
	if (stft_plan((Graph *)g, n, &f, &d) < 0)
		return -1;
	return transform_scratch(f.len, f.bins);
}

static int stft_emit(Emit *e)
{
	Frames f;
	Diag d;
	diag_init(&d, "");
	if (stft_plan((Graph *)e->g, e->n, &f, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	char ld[128], wl[128], st[160], ref[128];
	Out *o = e->o;
	emit_twiddles(o, f.len);
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)f.batch);
	out_line(o, "for (int64_t fr = 0; fr < %lld; fr++) {", (long long)f.frames);
	out_line(o, "const int64_t ib = b * %lld + fr * %lld, ob = (b * %lld + fr) * %lld;",
		 (long long)f.length, (long long)f.step, (long long)f.frames, (long long)f.bins);
	out_line(o, "for (int64_t t = 0; t < %lld; t++) {", (long long)f.len);
	out_line(o, "const double w = %s;", f.window ? cg_load(dt, "x2[t]", wl, sizeof wl) : "1.0");
	for (int c = 0; c < 2; c++) {
		snprintf(ref, sizeof ref, "x0[(ib + t) * %lld + %d]", (long long)f.cin, c);
		if (c < f.cin)
			out_line(o, "line[2 * t + %d] = w * %s;", c, cg_load(dt, ref, ld, sizeof ld));
		else
			out_line(o, "line[2 * t + %d] = 0;", c);
	}
	out_line(o, "}");
	out_line(o, "rt_dft_line(line, %lld, %lld, %lld, cs, sn, -1.0, res);", (long long)f.len,
		 (long long)f.len, (long long)f.bins);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)f.bins);
	for (int c = 0; c < 2; c++) {
		char val[64];
		snprintf(val, sizeof val, "(%s)res[2 * k + %d]", cg_comp(dt), c);
		out_line(o, "y0[(ob + k) * 2 + %d] = %s;", c, cg_store(dt, val, st, sizeof st));
	}
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_STFT = {stft_infer, NULL, stft_emit, stft_scratch, 0};

/* ------------------------------------------------------------ windows */

/* Cosine-sum window coefficients a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N). */
static void window_coefs(OpKind op, double c[3])
{
	c[2] = 0;
	if (op == OP_HANNWINDOW) {
		c[0] = 0.5;
		c[1] = 0.5;
	} else if (op == OP_HAMMINGWINDOW) {
		c[0] = 25.0 / 46.0;
		c[1] = 1 - c[0];
	} else {
		c[0] = 0.42;
		c[1] = 0.5;
		c[2] = 0.08;
	}
}

static int window_infer(Graph *g, Node *n, Diag *d)
{
	static const DType sizes[] = {DT_INT32, DT_INT64, DT_UNDEFINED};
	int64_t size;
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, sizes, d) < 0)
		return -1;
	if (const_scalar(g, n, 0, 0, &size, d) < 0)
		return -1;
	int64_t dt = ir_attr_int(n, "output_datatype", DT_FLOAT);
	bool ok = false;
	for (const DType *t = op_numeric_types; *t != DT_UNDEFINED; t++)
		ok |= *t == dt;
	if (!ok)
		return ir_node_error(d, g, n, "output_datatype %lld is not a numeric type", (long long)dt);
	Shape s = {1, {size}};
	if (size < 0 || shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "window size %lld is out of range", (long long)size);
	op_set_out(g, n, 0, (DType)dt, &s);
	return 0;
}

/* The denominator N of the window formula: size when periodic, size - 1 otherwise. */
static double window_period(const Node *n, int64_t size)
{
	int64_t p = ir_attr_int(n, "periodic", 1) ? size : size - 1;
	return p > 0 ? (double)p : 1.0;
}

static int window_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *y = op_outv(g, n, 0);
	int64_t size = y->shape.dims[0];
	double c[3], per = window_period(n, size);
	window_coefs(n->op, c);
	void *out = op_alloc_const(g, n, 0);
	for (int64_t i = 0; i < size; i++) {
		double a = 2 * PI * (double)i / per;
		dtype_set_f64(y->dtype, out, i, c[0] - c[1] * cos(a) + c[2] * cos(2 * a));
	}
	return 0;
}

static int window_emit(Emit *e)
{
	const Value *y = op_outv(e->g, e->n, 0);
	double c[3], per = window_period(e->n, y->shape.dims[0]);
	char st[256], val[200];
	window_coefs(e->n->op, c);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)y->shape.dims[0]);
	out_line(e->o, "const double a = %.17g * (double)i / %.17g;", 2 * PI, per);
	snprintf(val, sizeof val, "(%s)(%.17g - %.17g * cos(a) + %.17g * cos(2 * a))",
		 cg_comp(y->dtype), c[0], c[1], c[2]);
	out_line(e->o, "y0[i] = %s;", cg_store(y->dtype, val, st, sizeof st));
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_HANNWINDOW = {window_infer, window_fold, window_emit, NULL, 0};
const OpDef opdef_HAMMINGWINDOW = {window_infer, window_fold, window_emit, NULL, 0};
const OpDef opdef_BLACKMANWINDOW = {window_infer, window_fold, window_emit, NULL, 0};

/* ------------------------------------------------------------ MelWeightMatrix */

static int mel_infer(Graph *g, Node *n, Diag *d)
{
	static const DType ints[] = {DT_INT32, DT_INT64, DT_UNDEFINED};
	int64_t mels, len;
	if (op_check_arity(g, n, 5, 5, 5, d) < 0)
		return -1;
	for (int k = 0; k < 5; k++) {
		if (op_check_dtype(g, n, k, k < 3 ? ints : op_float_types, d) < 0)
			return -1;
		if (ir_numel(op_in(g, n, k)) != 1)
			return ir_node_error(d, g, n, "input '%s' must be a scalar", op_in(g, n, k)->name);
	}
	if (const_scalar(g, n, 0, 0, &mels, d) < 0 || const_scalar(g, n, 1, 0, &len, d) < 0)
		return -1;
	int64_t dt = ir_attr_int(n, "output_datatype", DT_FLOAT);
	bool ok = false;
	for (const DType *t = op_numeric_types; *t != DT_UNDEFINED; t++)
		ok |= *t == dt;
	if (!ok)
		return ir_node_error(d, g, n, "output_datatype %lld is not a numeric type", (long long)dt);
	Shape s = {2, {len / 2 + 1, mels}};
	if (mels < 1 || len < 1 || shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "num_mel_bins %lld and dft_length %lld are out of range",
				     (long long)mels, (long long)len);
	op_set_out(g, n, 0, (DType)dt, &s);
	return 0;
}

static int64_t mel_scratch(const Graph *g, const Node *n)
{
	return (op_outv(g, n, 0)->shape.dims[1] + 2) * (int64_t)sizeof(int64_t);
}

static int mel_emit(Emit *e)
{
	const Value *y = op_outv(e->g, e->n, 0);
	DType dt = y->dtype;
	int64_t rows = y->shape.dims[0], mels = y->shape.dims[1];
	int64_t len = dtype_get_i64(op_in(e->g, e->n, 1)->dtype, op_in(e->g, e->n, 1)->data, 0);
	char ld[2][128], st[128];
	Out *o = e->o;
	out_line(o, "int64_t *edge = (int64_t *)scratch;");
	out_line(o, "const double rate = (double)x2[0];");
	out_line(o, "const float lo = 2595.0f * log10f(1.0f + (float)%s / 700.0f);",
		 cg_load(op_in(e->g, e->n, 3)->dtype, "x3[0]", ld[0], sizeof ld[0]));
	out_line(o, "const float hi = 2595.0f * log10f(1.0f + (float)%s / 700.0f);",
		 cg_load(op_in(e->g, e->n, 4)->dtype, "x4[0]", ld[1], sizeof ld[1]));
	out_line(o, "const float step = (hi - lo) / %lld.0f;", (long long)(mels + 2));
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)(mels + 2));
	out_line(o, "double f = (double)i * step + lo;");
	out_line(o, "f = 700.0 * (pow(10.0, f / 2595.0) - 1.0);");
	out_line(o, "edge[i] = rt_sat_i64(floor(%lld.0 * f / rate));", (long long)(len + 1));
	out_line(o, "}");
	out_line(o, "for (int64_t i = 0; i < %lld; i++)", (long long)(rows * mels));
	out_line(o, "\ty0[i] = %s;", cg_store(dt, "0", st, sizeof st));
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)mels);
	out_line(o, "const int64_t l = edge[m], c = edge[m + 1], r = edge[m + 2];");
	out_line(o, "if (c == l && c >= 0 && c < %lld)", (long long)rows);
	out_line(o, "\ty0[c * %lld + m] = %s;", (long long)mels, cg_store(dt, "1", st, sizeof st));
	out_line(o, "for (int64_t j = l > 0 ? l : 0; c > l && j <= c && j < %lld; j++)",
		 (long long)rows);
	out_line(o, "\ty0[j * %lld + m] = %s;", (long long)mels,
		 cg_store(dt, "(double)(j - l) / (double)(c - l)", st, sizeof st));
	out_line(o, "for (int64_t j = c > 0 ? c : 0; j < r && j < %lld; j++)", (long long)rows);
	out_line(o, "\ty0[j * %lld + m] = %s;", (long long)mels,
		 cg_store(dt, "(double)(r - j) / (double)(r - c)", st, sizeof st));
	out_line(o, "}");
	return 0;
}

const OpDef opdef_MELWEIGHTMATRIX = {mel_infer, NULL, mel_emit, mel_scratch, 0};
