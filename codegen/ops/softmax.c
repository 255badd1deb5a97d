/* softmax.c - Softmax, LogSoftmax and Hardmax along one axis.
 *
 * The input is viewed as [outer, axis, inner]. Opset 13 normalises along the
 * `axis` dimension alone (default -1); earlier opsets coerce the input to 2-D at
 * `axis` (default 1) and normalise whole rows, which is the same view with the
 * trailing dimensions folded into the axis and inner = 1.
 *
 * Softmax subtracts the maximum before exponentiating, so large inputs do not
 * overflow, and LogSoftmax is x - max - log(sum(exp(x - max))). With inner = 1
 * each row is a contiguous vector with scalar max and sum; with inner > 1 the
 * kernel keeps inner-sized arrays of maxima and sums in scratch so every loop
 * runs contiguously over the inner dimension.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct View {
	int64_t outer, len, inner;
} View;

static int view(const Graph *g, const Node *n, View *v, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", n->opset >= 13 ? -1 : 1), s->rank, &axis, d) < 0)
		return -1;
	v->outer = v->len = v->inner = 1;
	for (int i = 0; i < s->rank; i++) {
		if (i < axis)
			v->outer *= s->dims[i];
		else if (i == axis || n->opset < 13)
			v->len *= s->dims[i];
		else
			v->inner *= s->dims[i];
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	View v;
	if (x->shape.rank == 0)
		return ir_node_error(d, g, n, "input must have rank 1 or more, got a scalar");
	if (view(g, n, &v, d) < 0)
		return -1;
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static bool narrow(DType dt)
{
	return strcmp(cg_ctype(dt), cg_comp(dt)) != 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	View v;
	Diag d;
	diag_init(&d, NULL);
	if (n->op == OP_HARDMAX || view(g, n, &v, &d) < 0)
		return 0;
	DType dt = op_in(g, n, 0)->dtype;
	int64_t elems = v.inner > 1 ? 2 * v.inner : 0;
	if (n->op == OP_SOFTMAX && narrow(dt))
		elems += v.len * v.inner;
	return elems * (strcmp(cg_comp(dt), "double") == 0 ? 8 : 4);
}

/* Row case: inner == 1, scalars m and s per row. */
static void emit_rows(Emit *e, const View *v, DType dt, bool logsm)
{
	Out *o = e->o;
	const char *comp = cg_comp(dt), *f = lin_fsuf(dt);
	bool tmp = !logsm && narrow(dt);
	long long len = (long long)v->len;
	char ld[64], st[128], ex[96];
	cg_load(dt, "xr[a]", ld, sizeof ld);
	if (tmp)
		out_line(o, "%s *restrict t = (%s *)scratch;", comp, comp);
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)v->outer);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), len);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(dt), len);
	out_line(o, "%s m = -INFINITY, s = 0;", comp);
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "const %s x = %s;", comp, ld);
	out_line(o, "m = (x != x || x > m) ? x : m;");
	out_line(o, "}");
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	if (logsm) {
		out_line(o, "s += exp%s(%s - m);", f, ld);
		out_line(o, "}");
		out_line(o, "const %s l = m + log%s(s);", comp, f);
		snprintf(ex, sizeof ex, "%s - l", ld);
		out_line(o, "for (int64_t a = 0; a < %lld; a++) yr[a] = %s;", len,
			 cg_store(dt, ex, st, sizeof st));
	} else {
		out_line(o, "const %s ex = exp%s(%s - m);", comp, f, ld);
		out_line(o, "%s[a] = %s;", tmp ? "t" : "yr", tmp ? "ex" : cg_store(dt, "ex", st, sizeof st));
		out_line(o, "s += ex;");
		out_line(o, "}");
		out_line(o, "const %s rs = 1 / s;", comp);
		out_line(o, "for (int64_t a = 0; a < %lld; a++) yr[a] = %s;", len,
			 cg_store(dt, tmp ? "t[a] * rs" : "yr[a] * rs", st, sizeof st));
	}
	out_line(o, "}");
}

/* General case: arrays of inner maxima (m) and sums (s) in scratch. */
static void emit_inner(Emit *e, const View *v, DType dt, bool logsm)
{
	Out *o = e->o;
	const char *comp = cg_comp(dt), *f = lin_fsuf(dt);
	bool tmp = !logsm && narrow(dt);
	long long len = (long long)v->len, in = (long long)v->inner;
	char ref[64], lx[96], st[256], ex[160];
	out_line(o, "%s *restrict m = (%s *)scratch, *restrict s = m + %lld;", comp, comp, in);
	if (tmp)
		out_line(o, "%s *restrict t = s + %lld;", comp, in);
	snprintf(ref, sizeof ref, "xr[a * %lld + i]", in);
	cg_load(dt, ref, lx, sizeof lx);
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)v->outer);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) m[i] = -INFINITY, s[i] = 0;", in);
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", in);
	out_line(o, "const %s x = %s;", comp, lx);
	out_line(o, "m[i] = (x != x || x > m[i]) ? x : m[i];");
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", in);
	out_line(o, "const %s ex = exp%s(%s - m[i]);", comp, f, lx);
	if (!logsm)
		out_line(o, "%s[a * %lld + i] = %s;", tmp ? "t" : "yr", in,
			 tmp ? "ex" : cg_store(dt, "ex", st, sizeof st));
	out_line(o, "s[i] += ex;");
	out_line(o, "}");
	out_line(o, "}");
	if (logsm) {
		out_line(o, "for (int64_t i = 0; i < %lld; i++) s[i] = m[i] + log%s(s[i]);", in, f);
		snprintf(ex, sizeof ex, "%s - s[i]", lx);
	} else {
		out_line(o, "for (int64_t i = 0; i < %lld; i++) s[i] = 1 / s[i];", in);
		snprintf(ex, sizeof ex, "%s[a * %lld + i] * s[i]", tmp ? "t" : "yr", in);
	}
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) yr[a * %lld + i] = %s;", in, in,
		 cg_store(dt, ex, st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
}

static void emit_hardmax(Emit *e, const View *v, DType dt)
{
	Out *o = e->o;
	const char *comp = cg_comp(dt);
	long long len = (long long)v->len, in = (long long)v->inner;
	char ld[128], ref[64], one[32], zero[32];
	snprintf(ref, sizeof ref, "xr[a * %lld + i]", in);
	cg_load(dt, ref, ld, sizeof ld);
	cg_store(dt, "1", one, sizeof one);
	cg_store(dt, "0", zero, sizeof zero);
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)v->outer);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", in);
	out_line(o, "%s best = -INFINITY;", comp);
	out_line(o, "int64_t arg = 0;");
	out_line(o, "for (int64_t a = 0; a < %lld; a++) {", len);
	out_line(o, "const %s x = %s;", comp, ld);
	out_line(o, "if (x > best || (x != x && best == best)) best = x, arg = a;");
	out_line(o, "}");
	out_line(o, "for (int64_t a = 0; a < %lld; a++) yr[a * %lld + i] = a == arg ? %s : %s;", len,
		 in, one, zero);
	out_line(o, "}");
	out_line(o, "}");
}

static int emit(Emit *e)
{
	View v;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, e->n, &v, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	if (v.outer * v.len * v.inner == 0)
		return 0;
	if (e->n->op == OP_HARDMAX)
		emit_hardmax(e, &v, dt);
	else if (v.inner == 1)
		emit_rows(e, &v, dt, e->n->op == OP_LOGSOFTMAX);
	else
		emit_inner(e, &v, dt, e->n->op == OP_LOGSOFTMAX);
	return 0;
}

const OpDef opdef_SOFTMAX = {infer, NULL, emit, scratch, 0};
const OpDef opdef_LOGSOFTMAX = {infer, NULL, emit, scratch, 0};
const OpDef opdef_HARDMAX = {infer, NULL, emit, NULL, 0};
