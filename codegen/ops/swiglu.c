/* swiglu.c - SwiGLU (opset 28): Y = Swish_alpha(A) * B, A the gate, B the value.
 *
 * Swish_alpha(a) = a * Sigmoid(alpha * a), exactly the Swish operator; A and B must
 * have the same shape (the operator does not broadcast). float16 and bfloat16 are
 * computed in float and rounded once, on the store. Folds when both inputs are
 * constant.
 */
#include <math.h>
#include <stdio.h>

#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	char s1[128], s2[128];
	if (b->dtype != a->dtype)
		return ir_node_error(d, g, n, "B is %s but A is %s", dtype_name(b->dtype),
				     dtype_name(a->dtype));
	if (!shape_equal(&a->shape, &b->shape))
		return ir_node_error(d, g, n, "A has shape %s but B has shape %s, expected the same "
				     "(no broadcasting)", shape_str(&a->shape, s1, sizeof s1),
				     shape_str(&b->shape, s2, sizeof s2));
	op_set_out(g, n, 0, a->dtype, &a->shape);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	double alpha = ir_attr_float(n, "alpha", 1.0);
	void *y = op_alloc_const(g, n, 0);
	for (int64_t i = 0; i < ir_numel(a); i++) {
		double x = dtype_get_f64(a->dtype, a->data, i);
		dtype_set_f64(a->dtype, y, i, x / (1 + exp(-alpha * x)) * dtype_get_f64(b->dtype, b->data, i));
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *a = op_in(e->g, e->n, 0);
	DType dt = a->dtype;
	int64_t total = ir_numel(a);
	char la[64], lb[64], ex[128], st[160], alpha[64];
	const char *f = cg_comp(dt)[0] == 'd' ? "" : "f";
	if (total == 0)
		return 0;
	cg_lit(dt, ir_attr_float(e->n, "alpha", 1.0), alpha, sizeof alpha);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)total);
	out_line(e->o, "const %s a = %s, b = %s;", cg_comp(dt), cg_load(dt, "x0[i]", la, sizeof la),
		 cg_load(dt, "x1[i]", lb, sizeof lb));
	snprintf(ex, sizeof ex, "a / (1 + exp%s(-(%s) * a)) * b", f, alpha);
	out_line(e->o, "y0[i] = %s;", cg_store(dt, ex, st, sizeof st));
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_SWIGLU = {infer, fold, emit, NULL, OPF_INPLACE};
