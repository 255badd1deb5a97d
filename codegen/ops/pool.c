/* pool.c - MaxPool (with the optional Indices output), AveragePool and LpPool.
 *
 * The kernel mirrors conv.c: for each (batch, channel) plane and output row it
 * keeps an accumulator row, and for every kernel tap combines the input over the
 * contiguous range of output positions where that tap is inside the input
 * (compile-time tables from win_range). Padding is never read, so MaxPool's
 * padding acts as -inf and the sums of AveragePool/LpPool as zeros.
 * AveragePool's divisor is separable: per axis, the number of taps that land in
 * the input (count_include_pad=0) or in the padded input (=1), tabulated at
 * compile time; windows that ceil_mode lets run past the end padding count only
 * up to it, as ONNX Runtime and PyTorch do.
 *
 * MaxPool keeps the first maximum in kernel scan order (strict >), NaN never
 * wins, and a window entirely in the padding gives the lowest finite value (as
 * ONNX Runtime). Indices are flat offsets in X, row-major or, with
 * storage_order=1, column-major over the spatial axes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define POOL_TILE 1024 /* longest accumulator row; longer rows are tiled */

enum { POOL_MAX, POOL_AVG, POOL_LP };

typedef struct PoolPlan {
	int kind;
	DType dt;
	int64_t nc;        /* batch * channels */
	bool include_pad;  /* AveragePool count_include_pad */
	double p;          /* LpPool exponent */
	bool indices;      /* MaxPool's second output is wanted */
	bool col_major;    /* storage_order = 1 */
	Window w;
} PoolPlan;

static int kind_of(OpKind op)
{
	return op == OP_MAXPOOL ? POOL_MAX : op == OP_AVERAGEPOOL ? POOL_AVG : POOL_LP;
}

static const DType max_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16,
				  DT_INT8,  DT_UINT8, DT_UNDEFINED};

static int pool_plan(Graph *g, const Node *n, PoolPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	memset(p, 0, sizeof *p);
	p->kind = kind_of(n->op);
	p->dt = x->dtype;
	if (x->shape.rank < 3)
		return ir_node_error(d, g, n, "input X has rank %d, expected at least 3",
				     x->shape.rank);
	p->nc = x->shape.dims[0] * x->shape.dims[1];
	if (win_read(g, n, x->shape.rank - 2, x->shape.dims + 2, NULL, &p->w, d) < 0)
		return -1;
	p->include_pad = ir_attr_int(n, "count_include_pad", 0) != 0;
	const Attr *pa = ir_attr(n, "p");
	p->p = !pa ? 2 : pa->type == AT_FLOAT ? pa->f : (double)pa->i;
	if (p->kind == POOL_LP && !(p->p > 0))
		return ir_node_error(d, g, n, "attribute 'p' is %g, expected a positive value", p->p);
	p->indices = p->kind == POOL_MAX && ir_out(n, 1) != IR_NONE;
	p->col_major = ir_attr_int(n, "storage_order", 0) == 1;
	return win_forward(g, n, &p->w, ir_attr_int(n, "ceil_mode", 0) != 0, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	PoolPlan p;
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 ||
	    op_check_dtype(g, n, 0, n->op == OP_MAXPOOL ? max_types : op_float_types, d) < 0)
		return -1;
	if (pool_plan(g, n, &p, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	Shape s = x->shape;
	for (int i = 0; i < p.w.nd; i++)
		s.dims[2 + i] = p.w.out[i];
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	op_set_out(g, n, 1, DT_INT64, &s);
	return 0;
}

/* Per output index of axis i: how many taps the divisor counts. */
static int count_table(Emit *e, const PoolPlan *p, int i)
{
	const Window *w = &p->w;
	int64_t *cnt = calloc((size_t)w->out[i], sizeof *cnt);
	if (!cnt)
		return -1;
	for (int64_t o = 0; o < w->out[i]; o++)
		for (int64_t t = 0; t < w->k[i]; t++) {
			int64_t pos = o * w->s[i] + t * w->d[i] - w->pb[i];
			int64_t lo = p->include_pad ? -w->pb[i] : 0;
			int64_t hi = p->include_pad ? w->in[i] + w->pe[i] : w->in[i];
			cnt[o] += pos >= lo && pos < hi;
		}
	char name[16];
	snprintf(name, sizeof name, "cnt%d", i);
	win_table(e, name, cnt, w->out[i]);
	free(cnt);
	return 0;
}

static int tap_tables(Emit *e, const Window *w)
{
	int L = w->nd - 1;
	int64_t *lo = malloc(sizeof(int64_t) * (size_t)w->k[L] * 2);
	if (!lo)
		return -1;
	int64_t *hi = lo + w->k[L];
	for (int64_t t = 0; t < w->k[L]; t++)
		win_range(w, L, t, &lo[t], &hi[t]);
	win_table(e, "lo", lo, w->k[L]);
	win_table(e, "hi", hi, w->k[L]);
	free(lo);
	return 0;
}

/* The initial accumulator: the lowest value of the type for max, else 0. */
static const char *init_value(const PoolPlan *p)
{
	if (p->kind != POOL_MAX)
		return "0";
	switch (p->dt) {
	case DT_INT8: return "INT8_MIN";
	case DT_UINT8: return "0";
	case DT_DOUBLE: return "-DBL_MAX";
	default: return "-FLT_MAX";
	}
}

/* The statement folding input element `v` (at flat index `ix`) into a[j]. */
static void accumulate(Out *o, const PoolPlan *p)
{
	bool dbl = strcmp(cg_comp(p->dt), "double") == 0;
	if (p->kind == POOL_MAX && p->indices)
		out_line(o, "if (v > a[j]) { a[j] = v; ai[j] = ix; }");
	else if (p->kind == POOL_MAX)
		out_line(o, "a[j] = v > a[j] ? v : a[j];");
	else if (p->kind == POOL_AVG)
		out_line(o, "a[j] += v;");
	else if (p->p == 1)
		out_line(o, "a[j] += %s(v);", dbl ? "fabs" : "fabsf");
	else if (p->p == 2)
		out_line(o, "a[j] += v * v;");
	else
		out_line(o, "a[j] += %s(%s(v), %.17g);", dbl ? "pow" : "powf", dbl ? "fabs" : "fabsf",
			 p->p);
}

/* The value stored for accumulator `acc[j]`; `div` is the outer axes' count. */
static void finish(Out *o, const PoolPlan *p, const char *fn, int L)
{
	bool dbl = strcmp(cg_comp(p->dt), "double") == 0;
	char st[256], ex[160];
	if (p->kind == POOL_MAX)
		snprintf(ex, sizeof ex, "acc[j]");
	else if (p->kind == POOL_AVG)
		snprintf(ex, sizeof ex, "acc[j] / (%s)(div * %s_cnt%d[t0 + j])", cg_comp(p->dt), fn, L);
	else if (p->p == 2)
		snprintf(ex, sizeof ex, "%s(acc[j])", dbl ? "sqrt" : "sqrtf");
	else if (p->p == 1)
		snprintf(ex, sizeof ex, "acc[j]");
	else
		snprintf(ex, sizeof ex, "%s(acc[j], %.17g)", dbl ? "pow" : "powf", 1.0 / p->p);
	out_line(o, "for (int j = 0; j < t1 - t0; j++) yr[j] = %s;", cg_store(p->dt, ex, st, sizeof st));
	if (p->indices)
		out_line(o, "for (int j = 0; j < t1 - t0; j++) ir[j] = acc_i[j];");
}

/* Flat-index expression of input element (i0.., last = position `pos`). */
static void index_expr(char *buf, size_t n, const PoolPlan *p, const char *pos)
{
	const Window *w = &p->w;
	int L = w->nd - 1;
	int64_t str[CNNC_MAX_RANK];
	int64_t acc = 1;
	if (p->col_major) {
		for (int i = 0; i < w->nd; i++) {
			str[i] = acc;
			acc *= w->in[i];
		}
	} else {
		for (int i = L; i >= 0; i--) {
			str[i] = acc;
			acc *= w->in[i];
		}
	}
	size_t k = (size_t)snprintf(buf, n, "(int64_t)nc * %lld + (int64_t)(%s) * %lld",
				    (long long)acc, pos, (long long)str[L]);
	for (int i = 0; i < L && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, " + (int64_t)i%d * %lld", i, (long long)str[i]);
}

static int emit(Emit *e)
{
	PoolPlan p;
	Diag dg;
	diag_init(&dg, "");
	if (pool_plan((Graph *)e->g, e->n, &p, &dg) < 0)
		return -1;
	const Window *w = &p.w;
	Out *o = e->o;
	int L = w->nd - 1;
	const char *at = cg_comp(p.dt), *ct = cg_ctype(p.dt);
	if (p.kind == POOL_MAX && !dtype_info(p.dt)->is_float)
		at = ct;
	int64_t istr[CNNC_MAX_RANK], ostr[CNNC_MAX_RANK];
	istr[L] = ostr[L] = 1;
	for (int i = L - 1; i >= 0; i--) {
		istr[i] = istr[i + 1] * w->in[i + 1];
		ostr[i] = ostr[i + 1] * w->out[i + 1];
	}
	long long insp = istr[0] * w->in[0], outsp = ostr[0] * w->out[0];
	long long ol = w->out[L], tile = ol <= POOL_TILE ? ol : POOL_TILE / 2, sl = w->s[L];
	if (tap_tables(e, w) < 0)
		return -1;
	if (p.kind == POOL_AVG)
		for (int i = 0; i < w->nd; i++)
			if (count_table(e, &p, i) < 0)
				return -1;
	char ld[160], ex[160], ix[512];

	out_line(o, "%s acc[%lld];", at, tile);
	if (p.indices)
		out_line(o, "int64_t acc_i[%lld];", tile);
	out_line(o, "for (int nc = 0; nc < %lld; nc++) {", (long long)p.nc);
	out_line(o, "const %s *xc = x0 + (ptrdiff_t)nc * %lld;", ct, insp);
	for (int i = 0; i < L; i++)
		out_line(o, "for (int o%d = 0; o%d < %lld; o%d++) {", i, i, (long long)w->out[i], i);
	out_line(o, "for (int t0 = 0; t0 < %lld; t0 += %lld) {", ol, tile);
	if (tile < ol)
		out_line(o, "const int t1 = t0 + %lld < %lld ? t0 + %lld : %lld;", tile, ol, tile, ol);
	else
		out_line(o, "const int t1 = %lld;", ol);
	out_line(o, "for (int j = 0; j < t1 - t0; j++) acc[j] = %s;", init_value(&p));
	if (p.indices)
		out_line(o, "for (int j = 0; j < t1 - t0; j++) acc_i[j] = -1;");
	if (p.kind == POOL_AVG)
		out_line(o, "int div = 1;");
	for (int i = 0; i < L && p.kind == POOL_AVG; i++)
		out_line(o, "div *= %s_cnt%d[o%d];", e->fn, i, i);
	for (int i = 0; i < L; i++) {
		out_line(o, "for (int k%d = 0; k%d < %lld; k%d++) {", i, i, (long long)w->k[i], i);
		out_line(o, "const int i%d = o%d * %lld + k%d * %lld - %lld;", i, i,
			 (long long)w->s[i], i, (long long)w->d[i], (long long)w->pb[i]);
		out_line(o, "if (i%d < 0 || i%d >= %lld) continue;", i, i, (long long)w->in[i]);
	}
	out_line(o, "const %s *xr = xc%s;", ct, L ? " + 0" : "");
	for (int i = 0; i < L; i++)
		out_line(o, "xr += (ptrdiff_t)i%d * %lld;", i, (long long)istr[i]);
	out_line(o, "for (int kl = 0; kl < %lld; kl++) {", (long long)w->k[L]);
	out_line(o, "const int lo = %s_lo[kl] > t0 ? %s_lo[kl] : t0;", e->fn, e->fn);
	out_line(o, "const int hi = %s_hi[kl] < t1 ? %s_hi[kl] : t1;", e->fn, e->fn);
	out_line(o, "if (lo >= hi) continue;");
	out_line(o, "const int pos0 = lo * %lld + kl * %lld - %lld;", sl, (long long)w->d[L],
		 (long long)w->pb[L]);
	out_line(o, "const %s *xp = xr + pos0;", ct);
	out_line(o, "%s *a = acc + (lo - t0);", at);
	if (p.indices)
		out_line(o, "int64_t *ai = acc_i + (lo - t0);");
	out_line(o, "for (int j = 0; j < hi - lo; j++) {");
	if (sl == 1)
		snprintf(ex, sizeof ex, "xp[j]");
	else
		snprintf(ex, sizeof ex, "xp[(ptrdiff_t)j * %lld]", sl);
	out_line(o, "const %s v = %s;", at,
		 p.kind == POOL_MAX && !dtype_info(p.dt)->is_float ? ex : cg_load(p.dt, ex, ld, sizeof ld));
	if (p.indices) {
		char pos[64];
		snprintf(pos, sizeof pos, "pos0 + j * %lld", sl);
		index_expr(ix, sizeof ix, &p, pos);
		out_line(o, "const int64_t ix = %s;", ix);
	}
	accumulate(o, &p);
	out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "%s *yr = y0 + (ptrdiff_t)nc * %lld + t0%s;", ct, outsp, L ? "" : "");
	for (int i = 0; i < L; i++)
		out_line(o, "yr += (ptrdiff_t)o%d * %lld;", i, (long long)ostr[i]);
	if (p.indices) {
		out_line(o, "int64_t *ir = y1 + (yr - y0);");
	}
	finish(o, &p, e->fn, L);
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_MAXPOOL = {infer, NULL, emit, NULL, 0};
const OpDef opdef_AVERAGEPOOL = {infer, NULL, emit, NULL, 0};
const OpDef opdef_LPPOOL = {infer, NULL, emit, NULL, 0};
