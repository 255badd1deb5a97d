/* shape.c - Shape and Size: facts about a tensor's shape, known at compile time.
 *
 * Shapes are static in cnnc, so both outputs are constants whatever the input:
 * infer fills them in at once (the input may be computed at run time), which is
 * what lets exporters' Shape -> Gather -> Concat -> Reshape chains fold away.
 */
#include "ops.h"

/* [start, end) of Shape's slice of the dims, clamped to [0, rank] (Shape-15). */
static void shape_range(const Node *n, int rank, int64_t *start, int64_t *end)
{
	int64_t s = n->opset >= 15 ? ir_attr_int(n, "start", 0) : 0;
	int64_t e = n->opset >= 15 ? ir_attr_int(n, "end", rank) : rank;
	if (s < 0)
		s += rank;
	if (e < 0)
		e += rank;
	*start = s < 0 ? 0 : s > rank ? rank : s;
	*end = e < 0 ? 0 : e > rank ? rank : e;
	if (*end < *start)
		*end = *start;
}

static int shape_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t start, end;
	shape_range(n, x->shape.rank, &start, &end);
	Shape s = {1, {end - start}};
	op_set_out(g, n, 0, DT_INT64, &s);
	int64_t *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	for (int64_t i = start; i < end; i++)
		y[i - start] = x->shape.dims[i];
	return 0;
}

static int size_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	Shape s = {0, {0}};
	op_set_out(g, n, 0, DT_INT64, &s);
	int64_t *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	*y = ir_numel(op_in(g, n, 0));
	return 0;
}

/* The output is a constant, so the node never runs; this is for completeness. */
static int emit(Emit *e)
{
	const Value *y = op_outv(e->g, e->n, 0);
	const int64_t *v = y->data;
	for (int64_t i = 0; v && i < ir_numel(y); i++)
		out_line(e->o, "y0[%lld] = INT64_C(%lld);", (long long)i, (long long)v[i]);
	return 0;
}

const OpDef opdef_SHAPE = {shape_infer, NULL, emit, NULL, 0};
const OpDef opdef_SIZE = {size_infer, NULL, emit, NULL, 0};
