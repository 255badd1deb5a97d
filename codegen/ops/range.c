/* range.c - Range: start, start + delta, ... up to limit (exclusive).
 *
 * The element count is a shape, so start, limit and delta must be constants;
 * the result then always folds, and the kernel (for results too large to keep
 * in the C file) is a loop computing start + i * delta. Integers wrap (unsigned
 * arithmetic); float16/bfloat16 compute in float (stash_type 1, the default and
 * the only behaviour before Range-27) or round every step to their own type.
 */
#include <math.h>
#include <stdio.h>

#include "../../runtime/cnnc_rt.h"
#include "ops.h"

static const DType range_types[] = {DT_FLOAT, DT_DOUBLE, DT_INT16, DT_INT32, DT_INT64,
				    DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};

static bool is_int(DType t)
{
	return dtype_info(t)->is_int;
}

/* Narrow floats computed in their own precision (stash_type other than float). */
static bool native_half(const Node *n, DType t)
{
	return (t == DT_FLOAT16 || t == DT_BFLOAT16) && n->opset >= 27 &&
	       ir_attr_int(n, "stash_type", 1) != 1;
}

/* Element count, or -1 with a diagnostic. */
static int64_t count(const Graph *g, const Node *n, Diag *d)
{
	DType t = op_in(g, n, 0)->dtype;
	const void *ps = op_in(g, n, 0)->data, *pl = op_in(g, n, 1)->data, *pd = op_in(g, n, 2)->data;
	if (is_int(t)) {
		int64_t s = dtype_get_i64(t, ps, 0), l = dtype_get_i64(t, pl, 0);
		int64_t dl = dtype_get_i64(t, pd, 0);
		if (dl == 0)
			return ir_node_error(d, g, n, "delta is 0");
		if ((dl > 0 && l <= s) || (dl < 0 && l >= s))
			return 0;
		uint64_t span = dl > 0 ? (uint64_t)l - (uint64_t)s : (uint64_t)s - (uint64_t)l;
		uint64_t step = dl > 0 ? (uint64_t)dl : 0 - (uint64_t)dl;
		uint64_t c = span / step + (span % step != 0);
		return c > (uint64_t)CNNC_MAX_TENSOR_BYTES ? ir_node_error(d, g, n, "too many elements")
							    : (int64_t)c;
	}
	double s = dtype_get_f64(t, ps, 0), l = dtype_get_f64(t, pl, 0), dl = dtype_get_f64(t, pd, 0);
	if (t == DT_FLOAT || (t != DT_DOUBLE && !native_half(n, t))) {
		s = (float)s, l = (float)l, dl = (float)dl;
	}
	double c = ceil((l - s) / dl);
	if (dl == 0 || isnan(c))
		return ir_node_error(d, g, n, "delta is 0 or a value is not a number");
	if (c <= 0)
		return 0;
	if (c > (double)CNNC_MAX_TENSOR_BYTES)
		return ir_node_error(d, g, n, "too many elements");
	return (int64_t)c;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || op_check_dtype(g, n, 0, range_types, d) < 0)
		return -1;
	DType t = op_in(g, n, 0)->dtype;
	for (int k = 0; k < 3; k++) {
		const Value *v = op_in(g, n, k);
		if (v->dtype != t)
			return ir_node_error(d, g, n, "input '%s' is %s but start is %s", v->name,
					     dtype_name(v->dtype), dtype_name(t));
		if (ir_numel(v) != 1)
			return ir_node_error(d, g, n, "input '%s' has %lld elements, expected a scalar",
					     v->name, (long long)ir_numel(v));
		if (op_require_const(g, n, k, d) < 0)
			return -1;
	}
	int64_t c = count(g, n, d);
	if (c < 0)
		return -1;
	Shape s = {1, {c}};
	op_set_out(g, n, 0, t, &s);
	return 0;
}

/* Rounds x to float16/bfloat16 precision. */
static float round_to(DType t, float x)
{
	return t == DT_FLOAT16 ? rt_h2f(rt_f2h(x)) : rt_bf2f(rt_f2bf(x));
}

static int fold(Graph *g, Node *n, Diag *d)
{
	const Value *y = op_outv(g, n, 0), *vs = op_in(g, n, 0), *vd = op_in(g, n, 2);
	DType t = y->dtype;
	void *out = op_alloc_const(g, n, 0);
	if (!out)
		return ir_node_error(d, g, n, "out of memory");
	int64_t c = ir_numel(y);
	if (is_int(t)) {
		uint64_t s = (uint64_t)dtype_get_i64(t, vs->data, 0);
		uint64_t dl = (uint64_t)dtype_get_i64(t, vd->data, 0);
		for (int64_t i = 0; i < c; i++)
			dtype_set_i64(t, out, i, (int64_t)(s + (uint64_t)i * dl));
	} else if (t == DT_DOUBLE) {
		double s = dtype_get_f64(t, vs->data, 0), dl = dtype_get_f64(t, vd->data, 0);
		for (int64_t i = 0; i < c; i++)
			((double *)out)[i] = s + (double)i * dl;
	} else {
		float s = (float)dtype_get_f64(t, vs->data, 0), dl = (float)dtype_get_f64(t, vd->data, 0);
		bool native = native_half(n, t);
		for (int64_t i = 0; i < c; i++) {
			float v = native ? round_to(t, s + round_to(t, (float)i * dl)) : s + (float)i * dl;
			dtype_set_f64(t, out, i, v);
		}
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *y = op_outv(e->g, e->n, 0);
	DType t = y->dtype;
	char s[64], dl[64], st[256];
	const Value *vs = op_in(e->g, e->n, 0), *vd = op_in(e->g, e->n, 2);
	int64_t c = ir_numel(y);
	if (c == 0)
		return 0;
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)c);
	if (is_int(t)) {
		cg_ilit(DT_UINT64, dtype_get_i64(t, vs->data, 0), s, sizeof s);
		cg_ilit(DT_UINT64, dtype_get_i64(t, vd->data, 0), dl, sizeof dl);
		out_line(e->o, "y0[i] = (%s)(%s + (uint64_t)i * %s);", cg_ctype(t), s, dl);
	} else {
		DType ct = t == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
		const char *ty = cg_comp(ct);
		cg_lit(ct, dtype_get_f64(t, vs->data, 0), s, sizeof s);
		cg_lit(ct, dtype_get_f64(t, vd->data, 0), dl, sizeof dl);
		if (native_half(e->n, t)) {
			const char *ld = t == DT_FLOAT16 ? "rt_h2f" : "rt_bf2f";
			const char *sto = t == DT_FLOAT16 ? "rt_f2h" : "rt_f2bf";
			out_line(e->o, "const float v = %s(%s(%s * (float)i));", ld, sto, dl);
			out_line(e->o, "y0[i] = %s(%s + v);", sto, s);
		} else {
			char expr[192];
			snprintf(expr, sizeof expr, "%s + (%s)i * %s", s, ty, dl);
			out_line(e->o, "y0[i] = %s;", cg_store(t, expr, st, sizeof st));
		}
	}
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_RANGE = {infer, fold, emit, NULL, 0};
