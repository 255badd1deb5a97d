/* mvn.c - MeanVarianceNormalization and LpNormalization.
 *
 * MeanVarianceNormalization: y = (x - mean) / (sqrt(var) + 1e-9) with mean and
 * population variance over `axes` (default 0, 2, 3), as in the operator's
 * function body. The statistics sit in scratch arrays, one entry per kept
 * position, filled in memory order (lin_reduce_loops); the variance is the mean
 * of squared deviations, computed in a second pass, so it is never negative.
 *
 * LpNormalization: y = x / ||x||_p along `axis` (p = 1 or 2); a zero norm gives 0.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

static const char *acc_of(DType dt)
{
	return dt == DT_DOUBLE ? "double" : "float";
}

/* ------------------------------------------------------------ MVN */

static int mvn_axes(const Graph *g, const Node *n, bool *red, int64_t *kept, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	static const int64_t dflt[] = {0, 2, 3};
	const int64_t *axes = dflt;
	size_t na = ir_attr(n, "axes") ? ir_attr_ints(n, "axes", &axes) : 3;
	memset(red, 0, sizeof(bool) * CNNC_MAX_RANK);
	for (size_t i = 0; i < na; i++) {
		int a;
		if (op_axis(g, n, axes[i], s->rank, &a, d) < 0)
			return -1;
		red[a] = true;
	}
	*kept = 1;
	for (int i = 0; i < s->rank; i++)
		if (!red[i])
			*kept *= s->dims[i];
	return 0;
}

static int mvn_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	bool red[CNNC_MAX_RANK];
	int64_t kept;
	if (mvn_axes(g, n, red, &kept, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int64_t mvn_scratch(const Graph *g, const Node *n)
{
	bool red[CNNC_MAX_RANK];
	int64_t kept;
	Diag d;
	diag_init(&d, NULL);
	if (mvn_axes(g, n, red, &kept, &d) < 0)
		return 0;
	return 2 * kept * (op_in(g, n, 0)->dtype == DT_DOUBLE ? 8 : 4);
}

/* One pass over x: `stmt` with v = x element, o = index of its statistics. */
static void mvn_pass(Out *o, const Shape *s, const bool *red, DType dt, const char *acc,
		     const char *stmt)
{
	char ii[256], oi[256], ref[300], ld[320];
	out_line(o, "{");
	int loops = lin_reduce_loops(o, s, red, ii, oi, sizeof ii);
	out_line(o, "const int64_t i = %s, o = %s;", ii, oi);
	snprintf(ref, sizeof ref, "x0[i]");
	out_line(o, "const %s v = (%s)%s;", acc, acc, cg_load(dt, ref, ld, sizeof ld));
	out_line(o, "%s", stmt);
	cg_close(o, loops);
	out_line(o, "}");
}

static int mvn_emit(Emit *e)
{
	bool red[CNNC_MAX_RANK];
	int64_t kept;
	Diag d;
	diag_init(&d, NULL);
	if (mvn_axes(e->g, e->n, red, &kept, &d) < 0)
		return -1;
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	const char *acc = acc_of(dt), *f = dt == DT_DOUBLE ? "" : "f";
	int64_t total = ir_numel(x), count = kept ? total / kept : 0;
	char st[200], stmt[240];
	Out *o = e->o;
	if (!total)
		return 0;
	out_line(o, "%s *restrict mean = (%s *)scratch, *restrict var = mean + %lld;", acc, acc,
		 (long long)kept);
	out_line(o, "for (int64_t o = 0; o < %lld; o++) mean[o] = 0, var[o] = 0;", (long long)kept);
	mvn_pass(o, &x->shape, red, dt, acc, "mean[o] += v;");
	out_line(o, "for (int64_t o = 0; o < %lld; o++) mean[o] /= (%s)%lld;", (long long)kept, acc,
		 (long long)count);
	mvn_pass(o, &x->shape, red, dt, acc, "var[o] += (v - mean[o]) * (v - mean[o]);");
	out_line(o, "for (int64_t o = 0; o < %lld; o++) var[o] = 1 / (sqrt%s(var[o] / (%s)%lld) + "
		 "(%s)1e-9);", (long long)kept, f, acc, (long long)count, acc);
	snprintf(stmt, sizeof stmt, "y0[i] = %s;", cg_store(dt, "(v - mean[o]) * var[o]", st, sizeof st));
	mvn_pass(o, &x->shape, red, dt, acc, stmt);
	return 0;
}

/* ------------------------------------------------------------ LpNormalization */

typedef struct Lp {
	int64_t outer, len, inner, p;
} Lp;

static int lp_view(const Graph *g, const Node *n, Lp *l, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", -1), s->rank, &axis, d) < 0)
		return -1;
	l->p = ir_attr_int(n, "p", 2);
	if (l->p != 1 && l->p != 2)
		return ir_node_error(d, g, n, "p is %lld, expected 1 or 2", (long long)l->p);
	l->outer = l->len = l->inner = 1;
	for (int i = 0; i < s->rank; i++)
		*(i < axis ? &l->outer : i == axis ? &l->len : &l->inner) *= s->dims[i];
	return 0;
}

static int lp_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	Lp l;
	if (lp_view(g, n, &l, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int lp_emit(Emit *e)
{
	Lp l;
	Diag d;
	diag_init(&d, NULL);
	if (lp_view(e->g, e->n, &l, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *acc = acc_of(dt), *f = dt == DT_DOUBLE ? "" : "f";
	long long len = (long long)l.len, in = (long long)l.inner;
	char ref[64], ld[96], ex[200], st[300];
	Out *o = e->o;
	snprintf(ref, sizeof ref, "xr[a * %lld + i]", in);
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)l.outer);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", in);
	out_line(o, "%s s = 0;", acc);
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "const %s v = (%s)%s;", acc, acc, ld);
	out_line(o, l.p == 1 ? "s += fabs%s(v);" : "s += v * v;", f);
	out_line(o, "}");
	if (l.p == 2)
		out_line(o, "s = sqrt%s(s);", f);
	out_line(o, "const %s r = s == 0 ? 0 : 1 / s;", acc);
	snprintf(ex, sizeof ex, "(%s)%s * r", acc, ld);
	out_line(o, "for (int64_t a = 0; a < %lld; a++) yr[a * %lld + i] = %s;", len, in,
		 cg_store(dt, ex, st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_MEANVARIANCENORMALIZATION = {mvn_infer, NULL, mvn_emit, mvn_scratch, 0};
const OpDef opdef_LPNORMALIZATION = {lp_infer, NULL, lp_emit, NULL, 0};
