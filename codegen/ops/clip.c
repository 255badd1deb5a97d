/* clip.c - Clip: y = min(max(x, lo), hi), so lo > hi gives hi everywhere.
 *
 * Before opset 11 the bounds are float attributes; from 11 on they are optional
 * scalar inputs of x's type, read at run time (a constant one is just a pointer
 * to the constant). An absent bound is no comparison at all rather than a
 * numeric_limits value, so NaN passes through and integer types need no limits.
 */
#include <math.h>
#include <stdio.h>

#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	int hi = n->opset < 11 ? 1 : 3;
	if (op_check_arity(g, n, 1, hi, 1, d) < 0)
		return -1;
	if (op_check_dtype(g, n, 0, n->opset < 12 ? op_float_types : op_numeric_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	for (int k = 1; k < n->ninputs; k++) {
		const Value *b = op_in(g, n, k);
		if (!b)
			continue;
		if (b->dtype != x->dtype)
			return ir_node_error(d, g, n, "bound '%s' is %s but the input is %s", b->name,
					     dtype_name(b->dtype), dtype_name(x->dtype));
		if (ir_numel(b) != 1)
			return ir_node_error(d, g, n, "bound '%s' has %lld elements, expected a scalar",
					     b->name, (long long)ir_numel(b));
	}
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

/* Bound k (1: min, 2: max) from the attribute of old opsets; false if absent. */
static bool attr_bound(const Node *n, int k, double *v)
{
	const char *name = k == 1 ? "min" : "max";
	if (n->opset >= 11 || !ir_attr(n, name))
		return false;
	*v = ir_attr_float(n, name, 0);
	return true;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	DType dt = x->dtype;
	bool fl = dtype_info(dt)->is_float, uns = !dtype_info(dt)->is_signed;
	bool has[3] = {false, false, false};
	double bf[3] = {0, 0, 0};
	int64_t bi[3] = {0, 0, 0};
	for (int k = 1; k <= 2; k++) {
		const Value *b = op_in(g, n, k);
		if (b) {
			has[k] = true;
			bf[k] = dtype_get_f64(dt, b->data, 0);
			bi[k] = dtype_get_i64(dt, b->data, 0);
		} else if (attr_bound(n, k, &bf[k])) {
			has[k] = true;
		}
	}
	void *y = op_alloc_const(g, n, 0);
	for (int64_t i = 0; i < ir_numel(x); i++) {
		if (fl) {
			double v = dtype_get_f64(dt, x->data, i);
			v = has[1] && v < bf[1] ? bf[1] : v;
			v = has[2] && v > bf[2] ? bf[2] : v;
			dtype_set_f64(dt, y, i, v);
			continue;
		}
		int64_t v = dtype_get_i64(dt, x->data, i);
		if (has[1] && (uns ? (uint64_t)v < (uint64_t)bi[1] : v < bi[1]))
			v = bi[1];
		if (has[2] && (uns ? (uint64_t)v > (uint64_t)bi[2] : v > bi[2]))
			v = bi[2];
		dtype_set_i64(dt, y, i, v);
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	const char *comp = cg_comp(dt);
	char ld[128], st[128], lit[64];
	bool has[3] = {false, false, false};
	for (int k = 1; k <= 2; k++) {
		const char *name = k == 1 ? "lo" : "hi";
		double v;
		if (op_in(e->g, e->n, k)) {
			char ref[16];
			snprintf(ref, sizeof ref, "x%d[0]", k);
			out_line(e->o, "const %s %s = %s;", comp, name, cg_load(dt, ref, ld, sizeof ld));
			has[k] = true;
		} else if (attr_bound(e->n, k, &v)) {
			out_line(e->o, "const %s %s = %s;", comp, name, cg_lit(dt, v, lit, sizeof lit));
			has[k] = true;
		}
	}
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)ir_numel(x));
	out_line(e->o, "%s v = %s;", comp, cg_load(dt, "x0[i]", ld, sizeof ld));
	if (has[1])
		out_line(e->o, "v = v < lo ? lo : v;");
	if (has[2])
		out_line(e->o, "v = v > hi ? hi : v;");
	out_line(e->o, "y0[i] = %s;", cg_store(dt, "v", st, sizeof st));
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_CLIP = {infer, fold, emit, NULL, OPF_INPLACE};
