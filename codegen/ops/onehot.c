/* onehot.c - OneHot: indices -> a tensor with one new axis of size `depth`.
 *
 * depth decides the output shape and must be a compile-time constant; indices
 * and values ([off, on]) are read at run time. The kernel fills the output with
 * `off`, then writes `on` once per index. Indices of any numeric type are
 * converted to integers by truncation; an index outside [-depth, depth-1] (outside
 * [0, depth-1] in opset 9; NaN and values too large for int64 included) leaves its
 * row all `off`, as the spec says.
 */
#include <stdio.h>

#include "indexing.h"

static int get_depth(const Graph *g, const Node *n, int64_t *depth, Diag *d)
{
	if (op_require_const(g, n, 1, d) < 0)
		return -1;
	const Value *v = op_in(g, n, 1);
	if (ir_numel(v) != 1)
		return ir_node_error(d, g, n, "depth has %lld values, expected 1",
				     (long long)ir_numel(v));
	double f = dtype_get_f64(v->dtype, v->data, 0);
	if (!(f >= 1 && f <= (double)CNNC_MAX_TENSOR_BYTES))
		return ir_node_error(d, g, n, "depth is %g, expected a positive count", f);
	*depth = dtype_info(v->dtype)->is_float ? (int64_t)f : dtype_get_i64(v->dtype, v->data, 0);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 ||
	    op_check_dtype(g, n, 0, op_numeric_types, d) < 0 ||
	    op_check_dtype(g, n, 1, op_numeric_types, d) < 0)
		return -1;
	const Value *ix = op_in(g, n, 0), *vals = op_in(g, n, 2);
	if (ir_numel(vals) != 2)
		return ir_node_error(d, g, n, "values has %lld elements, expected 2 (off, on)",
				     (long long)ir_numel(vals));
	int r = ix->shape.rank, axis;
	int64_t depth = 0;
	if (ix_check_rank(g, n, r + 1, d) < 0 ||
	    op_axis(g, n, ir_attr_int(n, "axis", -1), r + 1, &axis, d) < 0 ||
	    get_depth(g, n, &depth, d) < 0)
		return -1;
	Shape s = {r + 1, {0}};
	for (int k = 0, j = 0; k <= r; k++)
		s.dims[k] = k == axis ? depth : ix->shape.dims[j++];
	op_set_out(g, n, 0, vals->dtype, &s);
	return 0;
}

/* Emits `int64_t v = ...;`: index element i as an integer, `depth` when it has none. */
static void emit_index(Emit *e, DType dt, int64_t depth)
{
	const DTypeInfo *di = dtype_info(dt);
	char ld[64];
	if (di->is_float) {
		out_line(e->o, "%s f = %s;", cg_comp(dt), cg_load(dt, "x0[i]", ld, sizeof ld));
		out_line(e->o, "int64_t v = f > %lld.0 && f < %lld.0 ? (int64_t)f : %lld;",
			 (long long)(-depth - 1), (long long)depth, (long long)depth);
	} else if (!di->is_signed) {
		out_line(e->o,
			 "int64_t v = (uint64_t)x0[i] < UINT64_C(%lld) ? (int64_t)x0[i] : %lld;",
			 (long long)depth, (long long)depth);
	} else {
		out_line(e->o, "int64_t v = (int64_t)x0[i];");
	}
}

static int emit(Emit *e)
{
	const Value *ix = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	int r = ix->shape.rank;
	int axis = (int)ir_attr_int(e->n, "axis", -1);
	axis = axis < 0 ? axis + r + 1 : axis;
	int64_t depth = y->shape.dims[axis];
	int64_t pre = ix_prod(&ix->shape, 0, axis), post = ix_prod(&ix->shape, axis, r);
	if (ir_numel(y) == 0)
		return 0;
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)ir_numel(y));
	out_line(e->o, "\ty0[i] = x2[0];");
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)pre);
	out_line(e->o, "for (int64_t q = 0; q < %lld; q++) {", (long long)post);
	out_line(e->o, "const int64_t i = p * %lld + q;", (long long)post);
	emit_index(e, ix->dtype, depth);
	if (e->n->opset >= 11) /* opset 9 has no negative indices: they select nothing */
		out_line(e->o, "if (v < 0) v += %lld;", (long long)depth);
	out_line(e->o, "if (v >= 0 && v < %lld)", (long long)depth);
	out_line(e->o, "\ty0[(p * %lld + v) * %lld + q] = x2[1];", (long long)depth,
		 (long long)post);
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_ONEHOT = {infer, NULL, emit, NULL, 0};
