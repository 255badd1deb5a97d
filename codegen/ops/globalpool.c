/* globalpool.c - GlobalAveragePool, GlobalMaxPool and GlobalLpPool.
 *
 * Each (batch, channel) plane is contiguous, so the kernel is one reduction
 * loop per plane with a scalar accumulator (the arithmetic type of the element:
 * float for float16/bfloat16). Max ignores NaN and starts at -inf, as ONNX
 * Runtime's `std::max` over the plane does for ordinary inputs.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank < 3)
		return ir_node_error(d, g, n, "input X has rank %d, expected at least 3",
				     x->shape.rank);
	Shape s = x->shape;
	for (int i = 2; i < s.rank; i++)
		s.dims[i] = 1;
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	const char *at = cg_comp(dt);
	bool dbl = strcmp(at, "double") == 0;
	long long nc = x->shape.dims[0] * x->shape.dims[1];
	long long plane = shape_numel(&x->shape) / (nc ? nc : 1);
	double p = 2;
	if (e->n->op == OP_GLOBALLPPOOL) {
		const Attr *a = ir_attr(e->n, "p");
		p = !a ? 2 : a->type == AT_FLOAT ? a->f : (double)a->i;
	}
	char ld[128], st[256], fin[160];
	Out *o = e->o;
	out_line(o, "for (int nc = 0; nc < %lld; nc++) {", nc);
	out_line(o, "const %s *xp = x0 + (ptrdiff_t)nc * %lld;", cg_ctype(dt), plane);
	out_line(o, "%s acc = %s;", at, e->n->op == OP_GLOBALMAXPOOL ? "-INFINITY" : "0");
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) {", plane);
	out_line(o, "const %s v = %s;", at, cg_load(dt, "xp[j]", ld, sizeof ld));
	switch (e->n->op) {
	case OP_GLOBALMAXPOOL:
		out_line(o, "acc = v > acc ? v : acc;");
		snprintf(fin, sizeof fin, "acc");
		break;
	case OP_GLOBALAVERAGEPOOL:
		out_line(o, "acc += v;");
		snprintf(fin, sizeof fin, "acc / (%s)%lld", at, plane);
		break;
	default:
		if (p == 2)
			out_line(o, "acc += v * v;");
		else if (p == 1)
			out_line(o, "acc += %s(v);", dbl ? "fabs" : "fabsf");
		else
			out_line(o, "acc += %s(%s(v), %.17g);", dbl ? "pow" : "powf",
				 dbl ? "fabs" : "fabsf", p);
		if (p == 2)
			snprintf(fin, sizeof fin, "%s(acc)", dbl ? "sqrt" : "sqrtf");
		else if (p == 1)
			snprintf(fin, sizeof fin, "acc");
		else
			snprintf(fin, sizeof fin, "%s(acc, %.17g)", dbl ? "pow" : "powf", 1.0 / p);
		break;
	}
	out_line(o, "}");
	out_line(o, "y0[nc] = %s;", cg_store(dt, fin, st, sizeof st));
	out_line(o, "}");
	return 0;
}

const OpDef opdef_GLOBALAVERAGEPOOL = {infer, NULL, emit, NULL, 0};
const OpDef opdef_GLOBALMAXPOOL = {infer, NULL, emit, NULL, 0};
const OpDef opdef_GLOBALLPPOOL = {infer, NULL, emit, NULL, 0};
