/* reduce.c - ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare.
 *
 * Every reduction is one pass over the input in memory order that combines each
 * element into an accumulator per output element, then one pass over the
 * outputs that finishes them (mean, sqrt, log). After merging adjacent axes
 * that are both reduced or both kept, the innermost loop is either contiguous
 * over input and accumulators (a kept innermost axis: vectorisable) or a scalar
 * reduction into a register (a reduced innermost axis). Accumulators live in
 * the output unless its storage is narrower than the arithmetic (float16), and
 * LogSumExp keeps a running maximum beside the sum, so exp never overflows.
 *
 * Axes come from the `axes` attribute before opset 18 (13 for ReduceSum) and
 * from the optional second input after; an empty list reduces everything unless
 * noop_with_empty_axes is set, in which case only the elementwise part (|x|,
 * x*x, log) remains. An empty reduction gives the identity of the combining
 * operation (0, 1, -inf, +inf, or the type's limits for integers).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LSE, R_SUMSQ } RKind;

static RKind kind_of(OpKind op)
{
	switch (op) {
	case OP_REDUCEMEAN: return R_MEAN;
	case OP_REDUCEMAX: return R_MAX;
	case OP_REDUCEMIN: return R_MIN;
	case OP_REDUCEPROD: return R_PROD;
	case OP_REDUCEL1: return R_L1;
	case OP_REDUCEL2: return R_L2;
	case OP_REDUCELOGSUM: return R_LOGSUM;
	case OP_REDUCELOGSUMEXP: return R_LSE;
	case OP_REDUCESUMSQUARE: return R_SUMSQ;
	default: return R_SUM;
	}
}

static const DType minmax_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT8,
				     DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16,
				     DT_UINT32, DT_UINT64, DT_BOOL, DT_UNDEFINED};

/* The reduction of one node: which axes, and the output shape. */
typedef struct Reduce {
	bool axis[CNNC_MAX_RANK];
	int64_t count; /* elements combined into each output */
	Shape out;
} Reduce;

static int plan(Graph *g, const Node *n, Reduce *r, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int rank = x->shape.rank;
	int axes_input = n->op == OP_REDUCESUM ? 13 : 18;
	const int64_t *axes = NULL;
	int64_t naxes = 0;
	if (n->opset >= axes_input) {
		if (ir_has_in(n, 1) && op_const_ints(g, n, 1, &axes, &naxes, d) < 0)
			return -1;
	} else {
		naxes = (int64_t)ir_attr_ints(n, "axes", &axes);
	}
	memset(r, 0, sizeof *r);
	bool noop = ir_attr_int(n, "noop_with_empty_axes", 0) != 0;
	for (int64_t i = 0; i < naxes; i++) {
		int a;
		if (op_axis(g, n, axes[i], rank, &a, d) < 0)
			return -1;
		r->axis[a] = true;
	}
	if (naxes == 0 && !noop)
		for (int i = 0; i < rank; i++)
			r->axis[i] = true;
	bool keep = ir_attr_int(n, "keepdims", 1) != 0;
	r->count = 1;
	for (int i = 0; i < rank; i++) {
		if (r->axis[i])
			r->count *= x->shape.dims[i];
		if (!r->axis[i])
			r->out.dims[r->out.rank++] = x->shape.dims[i];
		else if (keep)
			r->out.dims[r->out.rank++] = 1;
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	RKind k = kind_of(n->op);
	if (op_check_arity(g, n, 1, 2, 1, d) < 0)
		return -1;
	const DType *types = k == R_MAX || k == R_MIN ? minmax_types :
			     k == R_LOGSUM || k == R_LSE ? op_float_types : op_numeric_types;
	if (op_check_dtype(g, n, 0, types, d) < 0)
		return -1;
	Reduce r;
	if (plan(g, n, &r, d) < 0)
		return -1;
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &r.out);
	return 0;
}

/* ------------------------------------------------------------ folding */

static double f_identity(RKind k)
{
	return k == R_PROD ? 1 : k == R_MAX || k == R_LSE ? -INFINITY : k == R_MIN ? INFINITY : 0;
}

static double f_combine(RKind k, double a, double x)
{
	switch (k) {
	case R_MAX: return isnan(a) || a >= x ? a : x;
	case R_MIN: return isnan(a) || a <= x ? a : x;
	case R_PROD: return a * x;
	case R_L1: return a + fabs(x);
	case R_L2:
	case R_SUMSQ: return a + x * x;
	default: return a + x;
	}
}

/* Output index of input element i. */
static int64_t out_index(const Shape *s, const Reduce *r, int64_t i)
{
	int64_t o = 0, st = 1;
	for (int d = s->rank - 1; d >= 0; d--) {
		int64_t idx = i % s->dims[d];
		i /= s->dims[d];
		if (!r->axis[d]) {
			o += idx * st;
			st *= s->dims[d];
		}
	}
	return o;
}

static int fold_int(Graph *g, Node *n, const Reduce *r, RKind k)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int64_t ny = ir_numel(y), nx = ir_numel(x);
	uint64_t *acc = arena_alloc(g->arena, (size_t)(ny + 1) * sizeof *acc);
	void *out = op_alloc_const(g, n, 0);
	if (!acc || !out)
		return -1;
	bool sgn = dtype_info(x->dtype)->is_signed;
	for (int64_t o = 0; o < ny; o++) {
		acc[o] = k == R_PROD ? 1 : 0;
		if (k == R_MAX || k == R_MIN) {
			int64_t lo = 0, hi = 1;
			if (x->dtype != DT_BOOL) {
				int bits = 8 * dtype_info(x->dtype)->size;
				lo = sgn ? (int64_t)(UINT64_MAX << (bits - 1)) : 0;
				hi = sgn ? (int64_t)(UINT64_MAX >> (65 - bits)) :
					   (int64_t)(UINT64_MAX >> (64 - bits));
			}
			acc[o] = (uint64_t)(k == R_MAX ? lo : hi);
		}
	}
	for (int64_t i = 0; i < nx; i++) {
		int64_t o = out_index(&x->shape, r, i), v = dtype_get_i64(x->dtype, x->data, i);
		int64_t a = (int64_t)acc[o];
		bool less = sgn ? v < a : (uint64_t)v < (uint64_t)a;
		switch (k) {
		case R_MAX: acc[o] = less ? acc[o] : (uint64_t)v; break;
		case R_MIN: acc[o] = less ? (uint64_t)v : acc[o]; break;
		case R_PROD: acc[o] *= (uint64_t)v; break;
		case R_L1: acc[o] += (uint64_t)(v < 0 && sgn ? -v : v); break;
		case R_L2:
		case R_SUMSQ: acc[o] += (uint64_t)v * (uint64_t)v; break;
		default: acc[o] += (uint64_t)v; break;
		}
	}
	for (int64_t o = 0; o < ny; o++) {
		int64_t v = (int64_t)acc[o];
		if (k == R_MEAN)
			v = r->count ? v / r->count : 0;
		else if (k == R_L2)
			v = (int64_t)sqrt((double)(uint64_t)v);
		dtype_set_i64(y->dtype, out, o, v);
	}
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	RKind k = kind_of(n->op);
	Reduce r;
	if (plan(g, n, &r, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	if (!dtype_info(x->dtype)->is_float)
		return fold_int(g, n, &r, k) < 0 ? ir_node_error(d, g, n, "out of memory") : 0;
	int64_t ny = ir_numel(y), nx = ir_numel(x);
	double *acc = arena_alloc(g->arena, (size_t)(2 * ny + 1) * sizeof *acc), *mx = acc + ny;
	if (!acc)
		return ir_node_error(d, g, n, "out of memory");
	for (int64_t o = 0; o < ny; o++)
		acc[o] = f_identity(k), mx[o] = -INFINITY;
	if (k == R_LSE)
		for (int64_t i = 0; i < nx; i++) {
			int64_t o = out_index(&x->shape, &r, i);
			mx[o] = fmax(mx[o], dtype_get_f64(x->dtype, x->data, i));
		}
	for (int64_t i = 0; i < nx; i++) {
		int64_t o = out_index(&x->shape, &r, i);
		double v = dtype_get_f64(x->dtype, x->data, i);
		if (k == R_LSE)
			acc[o] = (acc[o] == -INFINITY ? 0 : acc[o]) + exp(v - (isinf(mx[o]) ? 0 : mx[o]));
		else
			acc[o] = f_combine(k, acc[o], v);
	}
	void *out = op_alloc_const(g, n, 0);
	for (int64_t o = 0; o < ny; o++) {
		double v = acc[o];
		switch (k) {
		case R_MEAN: v /= (double)r.count; break;
		case R_L2: v = sqrt(v); break;
		case R_LOGSUM: v = log(v); break;
		case R_LSE: v = (isinf(mx[o]) ? 0 : mx[o]) + log(v == -INFINITY ? 0 : v); break;
		default: break;
		}
		dtype_set_f64(y->dtype, out, o, v);
	}
	return 0;
}

/* ------------------------------------------------------------ code */

static bool narrow(DType dt)
{
	return strcmp(cg_ctype(dt), cg_comp(dt)) != 0;
}

/* Input dims with size-1 axes dropped and neighbours of the same kind merged. */
typedef struct Groups {
	int n;
	int64_t size[CNNC_MAX_RANK];
	bool red[CNNC_MAX_RANK];
	int64_t ostride[CNNC_MAX_RANK], istride[CNNC_MAX_RANK];
} Groups;

static void group(const Shape *s, const Reduce *r, Groups *gr)
{
	gr->n = 0;
	for (int i = 0; i < s->rank; i++) {
		if (s->dims[i] == 1)
			continue;
		if (gr->n && gr->red[gr->n - 1] == r->axis[i]) {
			gr->size[gr->n - 1] *= s->dims[i];
			continue;
		}
		gr->size[gr->n] = s->dims[i];
		gr->red[gr->n++] = r->axis[i];
	}
	int64_t is = 1, os = 1;
	for (int i = gr->n - 1; i >= 0; i--) {
		gr->istride[i] = is;
		gr->ostride[i] = gr->red[i] ? 0 : os;
		is *= gr->size[i];
		if (!gr->red[i])
			os *= gr->size[i];
	}
}

static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	DType dt = y->dtype;
	int64_t arrays = (narrow(dt) ? 1 : 0) + (kind_of(n->op) == R_LSE ? 1 : 0);
	int64_t sz = strcmp(cg_comp(dt), "double") == 0 ? 8 : 4;
	return arrays * ir_numel(y) * sz;
}

/* The identity of the combining operation, as a C literal of dt's arithmetic type. */
static const char *identity(RKind k, DType dt, char *buf, size_t n)
{
	if (dtype_info(dt)->is_float)
		return cg_lit(dt, f_identity(k == R_LSE ? R_SUM : k), buf, n);
	if (dt == DT_BOOL)
		return snprintf(buf, n, "%d", k == R_MIN ? 1 : 0), buf;
	if (k == R_MAX || k == R_MIN) {
		static const struct { DType t; const char *lo, *hi; } lim[] = {
			{DT_INT8, "INT8_MIN", "INT8_MAX"}, {DT_INT16, "INT16_MIN", "INT16_MAX"},
			{DT_INT32, "INT32_MIN", "INT32_MAX"}, {DT_INT64, "INT64_MIN", "INT64_MAX"},
			{DT_UINT8, "0", "UINT8_MAX"}, {DT_UINT16, "0", "UINT16_MAX"},
			{DT_UINT32, "0", "UINT32_MAX"}, {DT_UINT64, "0", "UINT64_MAX"},
		};
		for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
			if (lim[i].t == dt)
				return snprintf(buf, n, "%s", k == R_MAX ? lim[i].lo : lim[i].hi), buf;
	}
	return snprintf(buf, n, "%d", k == R_PROD ? 1 : 0), buf;
}

/* "a = a (op) v" for accumulator expression a and element v (arithmetic type). */
static void combine(Out *o, RKind k, DType dt, const char *a)
{
	const char *u = lin_utype(dt), *ct = cg_ctype(dt), *f = lin_fsuf(dt);
	if (k == R_MAX || k == R_MIN) {
		const char *cmp = k == R_MAX ? ">" : "<";
		if (dtype_info(dt)->is_float)
			out_line(o, "%s = (v != v || v %s %s) ? v : %s;", a, cmp, a, a);
		else
			out_line(o, "%s = v %s %s ? v : %s;", a, cmp, a, a);
	} else if (dtype_info(dt)->is_float) {
		switch (k) {
		case R_PROD: out_line(o, "%s *= v;", a); break;
		case R_L1: out_line(o, "%s += fabs%s(v);", a, f); break;
		case R_L2:
		case R_SUMSQ: out_line(o, "%s += v * v;", a); break;
		default: out_line(o, "%s += v;", a); break;
		}
	} else if (k == R_PROD) {
		out_line(o, "%s = (%s)((%s)%s * (%s)v);", a, ct, u, a, u);
	} else if (k == R_L1 && dtype_info(dt)->is_signed) {
		out_line(o, "%s = (%s)((%s)%s + (v < 0 ? 0 - (%s)v : (%s)v));", a, ct, u, a, u, u);
	} else if (k == R_L2 || k == R_SUMSQ) {
		out_line(o, "%s = (%s)((%s)%s + (%s)v * (%s)v);", a, ct, u, a, u, u);
	} else {
		out_line(o, "%s = (%s)((%s)%s + (%s)v);", a, ct, u, a, u);
	}
}

/* One pass over the input: `body` combines element v into acc[<output index>]. */
static void input_pass(Emit *e, const Groups *gr, RKind k, DType dt, const char *acc,
		       const char *mx)
{
	Out *o = e->o;
	char ii[256] = "0", oi[256] = "0", ld[300], ref[300], tmp[256];
	int inner = gr->n - 1;
	bool hoist = gr->n > 0 && gr->red[inner];
	int open = hoist ? inner : gr->n;
	size_t ki = 0, ko = 0;
	out_line(o, "{");
	for (int i = 0; i < gr->n; i++) {
		if (i < open)
			out_line(o, "for (int64_t g%d = 0; g%d < %lld; g%d++) {", i, i,
				 (long long)gr->size[i], i);
		snprintf(tmp, sizeof tmp, "g%d * %lld", i, (long long)gr->istride[i]);
		if (gr->istride[i] == 1)
			snprintf(tmp, sizeof tmp, "g%d", i);
		ki += (size_t)snprintf(ii + ki, sizeof ii - ki, "%s%s", ki ? " + " : "", tmp);
		if (!gr->red[i]) {
			snprintf(tmp, sizeof tmp, "g%d * %lld", i, (long long)gr->ostride[i]);
			if (gr->ostride[i] == 1)
				snprintf(tmp, sizeof tmp, "g%d", i);
			ko += (size_t)snprintf(oi + ko, sizeof oi - ko, "%s%s", ko ? " + " : "", tmp);
		}
	}
	const char *comp = cg_comp(dt);
	char a[300];
	if (hoist) {
		out_line(o, "%s s = %s[%s];", comp, acc, oi);
		if (mx)
			out_line(o, "const %s m = %s[%s];", comp, mx, oi);
		out_line(o, "for (int64_t g%d = 0; g%d < %lld; g%d++) {", inner, inner,
			 (long long)gr->size[inner], inner);
		snprintf(a, sizeof a, "s");
	} else {
		if (mx)
			out_line(o, "const %s m = %s[%s];", comp, mx, oi);
		snprintf(a, sizeof a, "%s[%s]", acc, oi);
	}
	snprintf(ref, sizeof ref, "x0[%s]", ii);
	out_line(o, "const %s v = %s;", comp, cg_load(dt, ref, ld, sizeof ld));
	if (mx)
		out_line(o, "%s += exp%s(v - m);", a, lin_fsuf(dt));
	else
		combine(o, k, dt, a);
	if (hoist) {
		out_line(o, "}");
		out_line(o, "%s[%s] = s;", acc, oi);
	}
	cg_close(o, open);
	out_line(o, "}");
}

/* y0[o] = finish(acc[o]). */
static void finish(Emit *e, RKind k, DType dt, const char *acc, const char *mx, int64_t count,
		   int64_t ny, bool in_place)
{
	const char *f = lin_fsuf(dt), *comp = cg_comp(dt);
	bool fl = dtype_info(dt)->is_float;
	char ex[256], st[320], lit[64];
	switch (k) {
	case R_MEAN:
		if (!fl)
			snprintf(ex, sizeof ex, "%s[o] / %s", acc, count ? cg_ilit(dt, count, lit, sizeof lit) : "1");
		else if (count)
			snprintf(ex, sizeof ex, "%s[o] / (%s)%lld", acc, comp, (long long)count);
		else
			snprintf(ex, sizeof ex, "NAN");
		break;
	case R_L2:
		if (fl)
			snprintf(ex, sizeof ex, "sqrt%s(%s[o])", f, acc);
		else
			snprintf(ex, sizeof ex, "sqrt((double)(%s)%s[o])", lin_utype(dt), acc);
		break;
	case R_LOGSUM: snprintf(ex, sizeof ex, "log%s(%s[o])", f, acc); break;
	case R_LSE: snprintf(ex, sizeof ex, "%s[o] + log%s(%s[o])", mx, f, acc); break;
	default:
		if (in_place)
			return;
		snprintf(ex, sizeof ex, "%s[o]", acc);
		break;
	}
	out_line(e->o, "for (int64_t o = 0; o < %lld; o++) y0[o] = %s;", (long long)ny,
		 fl ? cg_store(dt, ex, st, sizeof st) : (snprintf(st, sizeof st, "(%s)(%s)", cg_ctype(dt), ex), st));
}

static int emit(Emit *e)
{
	RKind k = kind_of(e->n->op);
	Reduce r;
	Diag d;
	diag_init(&d, NULL);
	if (plan((Graph *)e->g, e->n, &r, &d) < 0)
		return -1;
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	DType dt = x->dtype;
	const char *comp = cg_comp(dt);
	int64_t ny = ir_numel(y);
	Groups gr;
	group(&x->shape, &r, &gr);
	Out *o = e->o;
	const char *acc = "y0", *mx = NULL;
	if (narrow(dt)) {
		out_line(o, "%s *restrict acc = (%s *)scratch;", comp, comp);
		acc = "acc";
	}
	if (k == R_LSE) {
		out_line(o, "%s *restrict mx = (%s *)scratch + %lld;", comp, comp,
			 narrow(dt) ? (long long)ny : 0LL);
		mx = "mx";
	}
	char id[64];
	identity(k, dt, id, sizeof id);
	out_line(o, "for (int64_t o = 0; o < %lld; o++) %s[o] = %s;", (long long)ny, acc, id);
	if (mx) {
		out_line(o, "for (int64_t o = 0; o < %lld; o++) mx[o] = -INFINITY;", (long long)ny);
		input_pass(e, &gr, R_MAX, dt, mx, NULL);
		out_line(o, "for (int64_t o = 0; o < %lld; o++) if (isinf(mx[o])) mx[o] = 0;",
			 (long long)ny);
	}
	input_pass(e, &gr, k, dt, acc, mx);
	finish(e, k, dt, acc, mx, r.count, ny, !narrow(dt));
	return 0;
}

#define REDUCE(id) const OpDef opdef_##id = {infer, fold, emit, scratch, 0}
REDUCE(REDUCESUM);
REDUCE(REDUCEMEAN);
REDUCE(REDUCEMAX);
REDUCE(REDUCEMIN);
REDUCE(REDUCEPROD);
REDUCE(REDUCEL1);
REDUCE(REDUCEL2);
REDUCE(REDUCELOGSUM);
REDUCE(REDUCELOGSUMEXP);
REDUCE(REDUCESUMSQUARE);
