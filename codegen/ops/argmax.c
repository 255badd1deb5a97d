/* argmax.c - ArgMax and ArgMin: int64 index of the extreme value along one axis.
 *
 * The input is viewed as [outer, axis, inner]; each output element scans its
 * axis keeping the best value and its index. Ties keep the first index, or the
 * last with select_last_index (opset 12+). A NaN wins over every number, and
 * the first NaN is kept, as numpy's argmax/argmin do.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct View {
	int64_t outer, len, inner;
	Shape out;
} View;

static int view(const Graph *g, const Node *n, View *v, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), s->rank, &axis, d) < 0)
		return -1;
	bool keep = ir_attr_int(n, "keepdims", 1) != 0;
	v->outer = v->len = v->inner = 1;
	v->out.rank = 0;
	for (int i = 0; i < s->rank; i++) {
		if (i < axis)
			v->outer *= s->dims[i];
		else if (i == axis)
			v->len = s->dims[i];
		else
			v->inner *= s->dims[i];
		if (i != axis)
			v->out.dims[v->out.rank++] = s->dims[i];
		else if (keep)
			v->out.dims[v->out.rank++] = 1;
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_numeric_types, d) < 0)
		return -1;
	View v;
	if (view(g, n, &v, d) < 0)
		return -1;
	if (v.len == 0 && v.outer * v.inner > 0)
		return ir_node_error(d, g, n, "cannot take the %s of an empty axis",
				     n->op == OP_ARGMAX ? "argmax" : "argmin");
	op_set_out(g, n, 0, DT_INT64, &v.out);
	return 0;
}

/* True if x should replace best (x at a later index than best). */
static bool better(bool max, bool last, double x, double best)
{
	if (isnan(best))
		return false;
	if (isnan(x))
		return true;
	return max ? (last ? x >= best : x > best) : (last ? x <= best : x < best);
}

static int fold(Graph *g, Node *n, Diag *d)
{
	View v;
	if (view(g, n, &v, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	bool max = n->op == OP_ARGMAX, last = ir_attr_int(n, "select_last_index", 0) != 0;
	bool fl = dtype_info(x->dtype)->is_float;
	int64_t *y = op_alloc_const(g, n, 0);
	for (int64_t o = 0; o < v.outer; o++)
		for (int64_t i = 0; i < v.inner; i++) {
			int64_t arg = 0, base = o * v.len * v.inner + i;
			for (int64_t a = 1; a < v.len; a++) {
				int64_t p = base + a * v.inner, q = base + arg * v.inner;
				bool b;
				if (fl)
					b = better(max, last, dtype_get_f64(x->dtype, x->data, p),
						   dtype_get_f64(x->dtype, x->data, q));
				else {
					int64_t xp = dtype_get_i64(x->dtype, x->data, p);
					int64_t xq = dtype_get_i64(x->dtype, x->data, q);
					if (x->dtype == DT_UINT64)
						b = max ? (last ? (uint64_t)xp >= (uint64_t)xq : (uint64_t)xp > (uint64_t)xq)
							: (last ? (uint64_t)xp <= (uint64_t)xq : (uint64_t)xp < (uint64_t)xq);
					else
						b = max ? (last ? xp >= xq : xp > xq) : (last ? xp <= xq : xp < xq);
				}
				if (b)
					arg = a;
			}
			y[o * v.inner + i] = arg;
		}
	return 0;
}

static int emit(Emit *e)
{
	View v;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, e->n, &v, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	bool max = e->n->op == OP_ARGMAX, last = ir_attr_int(e->n, "select_last_index", 0) != 0;
	const char *cmp = max ? (last ? ">=" : ">") : (last ? "<=" : "<");
	long long len = (long long)v.len, in = (long long)v.inner;
	char ref[64], ld[128];
	Out *o = e->o;
	if (v.outer * v.inner == 0 || len == 0)
		return 0;
	snprintf(ref, sizeof ref, "xr[a * %lld + i]", in);
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)v.outer);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), len * in);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", in);
	snprintf(ref, sizeof ref, "xr[i]");
	char l0[128];
	out_line(o, "%s best = %s;", cg_comp(dt), cg_load(dt, ref, l0, sizeof l0));
	out_line(o, "int64_t arg = 0;");
	out_line(o, "for (int64_t a = 1; a < %lld; a++) {", len);
	out_line(o, "const %s x = %s;", cg_comp(dt), ld);
	if (dtype_info(dt)->is_float)
		out_line(o, "if (best == best && (x != x || x %s best)) best = x, arg = a;", cmp);
	else
		out_line(o, "if (x %s best) best = x, arg = a;", cmp);
	out_line(o, "}");
	out_line(o, "y0[r * %lld + i] = arg;", in);
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_ARGMAX = {infer, fold, emit, NULL, 0};
const OpDef opdef_ARGMIN = {infer, fold, emit, NULL, 0};
