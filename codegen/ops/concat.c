/* concat.c - Concat: inputs joined along one axis.
 *
 * Each input is one strided copy into its slice of the output; after merging
 * the dims outside and inside the axis it is a loop of row memcpys (or one
 * memcpy when the axis is the outermost non-trivial dim).
 */
#include "strided.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, -1, n->ninputs, d) < 0)
		return -1;
	const Value *x0 = op_in(g, n, 0);
	int r = x0->shape.rank, axis;
	const Attr *a = ir_attr(n, "axis");
	if (!a && n->opset >= 4)
		return ir_node_error(d, g, n, "attribute 'axis' is missing");
	if (op_axis(g, n, a ? a->i : 1, r, &axis, d) < 0)
		return -1;
	if (r == 0)
		return ir_node_error(d, g, n, "cannot concatenate scalars");
	Shape s = x0->shape;
	s.dims[axis] = 0;
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v->dtype != x0->dtype)
			return ir_node_error(d, g, n, "input '%s' is %s but input 0 is %s", v->name,
					     dtype_name(v->dtype), dtype_name(x0->dtype));
		if (v->shape.rank != r)
			return ir_node_error(d, g, n, "input '%s' has rank %d, expected %d", v->name,
					     v->shape.rank, r);
		for (int i = 0; i < r; i++)
			if (i != axis && v->shape.dims[i] != x0->shape.dims[i])
				return ir_node_error(d, g, n, "input '%s' has dim %d of %lld, expected "
						     "%lld", v->name, i, (long long)v->shape.dims[i],
						     (long long)x0->shape.dims[i]);
		s.dims[axis] += v->shape.dims[axis];
		if (s.dims[axis] > CNNC_MAX_TENSOR_BYTES)
			return ir_node_error(d, g, n, "output is too large");
	}
	op_set_out(g, n, 0, x0->dtype, &s);
	return 0;
}

static int axis_of(const Graph *g, const Node *n)
{
	const Attr *a = ir_attr(n, "axis");
	int r = op_in(g, n, 0)->shape.rank;
	int64_t ax = a ? a->i : 1;
	return (int)(ax < 0 ? ax + r : ax);
}

/* The copy of input k into its slice of the output. */
static void plan(const Graph *g, const Node *n, int k, int64_t at, Strided *st)
{
	const Value *v = op_in(g, n, k), *y = op_outv(g, n, 0);
	int64_t ys[CNNC_MAX_RANK];
	op_strided_init(st, &v->shape);
	shape_strides(&y->shape, ys);
	for (int i = 0; i < v->shape.rank; i++)
		st->dst[i] = ys[i];
	st->dst_off = at * ys[axis_of(g, n)];
}

static int fold(Graph *g, Node *n, Diag *d)
{
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int axis = axis_of(g, n);
	size_t es = op_elem_size(op_outv(g, n, 0)->dtype);
	int64_t at = 0;
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		Strided st;
		plan(g, n, k, at, &st);
		op_strided_copy(&st, y, v->data, es);
		at += v->shape.dims[axis];
	}
	return 0;
}

static int emit(Emit *e)
{
	int axis = axis_of(e->g, e->n);
	int64_t at = 0;
	for (int k = 0; k < e->n->ninputs; k++) {
		Strided st;
		plan(e->g, e->n, k, at, &st);
		op_strided_emit(e->o, &st, "y0", e->in[k]);
		at += op_in(e->g, e->n, k)->shape.dims[axis];
	}
	return 0;
}

const OpDef opdef_CONCAT = {infer, fold, emit, NULL, 0};
