/* expand.c - Expand and Tile: an input repeated to fill a larger output.
 *
 * Expand broadcasts (numpy rules, both ways) to the shape operand: a strided
 * copy whose source stride is 0 along broadcast dims. Tile repeats the whole
 * input along each dim: dim k of the output splits into (repeat, input dim)
 * loops, the repeat loop with source stride 0, so it is a strided copy of up to
 * twice the rank; merged, tiling a row becomes one memcpy per repeat.
 */
#include <string.h>

#include "strided.h"

/* ------------------------------------------------------------ Expand */

static int expand_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	const int64_t *dims;
	int64_t cnt;
	if (op_const_ints(g, n, 1, &dims, &cnt, d) < 0)
		return -1;
	if (cnt > CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "shape has %lld dims, more than %d", (long long)cnt,
				     CNNC_MAX_RANK);
	Shape want = {(int)cnt, {0}}, s;
	for (int i = 0; i < want.rank; i++) {
		if (dims[i] < 0)
			return ir_node_error(d, g, n, "shape[%d] is %lld, expected 0 or more", i,
					     (long long)dims[i]);
		want.dims[i] = dims[i];
	}
	if (shape_broadcast(&x->shape, &want, &s) < 0) {
		char a[256], b[256];
		return ir_node_error(d, g, n, "cannot broadcast %s to %s",
				     shape_str(&x->shape, a, sizeof a), shape_str(&want, b, sizeof b));
	}
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static void expand_plan(const Graph *g, const Node *n, Strided *st)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int64_t xs[CNNC_MAX_RANK];
	shape_strides(&x->shape, xs);
	op_strided_init(st, &y->shape);
	int off = y->shape.rank - x->shape.rank;
	for (int i = 0; i < y->shape.rank; i++) {
		int k = i - off;
		st->src[i] = k < 0 || x->shape.dims[k] == 1 ? 0 : xs[k];
	}
}

/* ------------------------------------------------------------ Tile */

/* repeats per dim: the input since Tile-6; Tile-1 had (tiles, axis) scalars. */
static int tile_repeats(Graph *g, const Node *n, int64_t rep[CNNC_MAX_RANK], Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	const int64_t *v;
	int64_t cnt;
	for (int i = 0; i < r; i++)
		rep[i] = 1;
	if (n->opset < 6) {
		const int64_t *ax;
		int64_t nax;
		int a;
		if (op_const_ints(g, n, 1, &v, &cnt, d) < 0 || op_const_ints(g, n, 2, &ax, &nax, d) < 0)
			return -1;
		if (cnt != 1 || nax != 1)
			return ir_node_error(d, g, n, "tiles and axis must be scalars");
		if (op_axis(g, n, ax[0], r, &a, d) < 0)
			return -1;
		rep[a] = v[0];
	} else {
		if (op_const_ints(g, n, 1, &v, &cnt, d) < 0)
			return -1;
		if (cnt != r)
			return ir_node_error(d, g, n, "repeats has %lld values, expected %d (the rank)",
					     (long long)cnt, r);
		for (int i = 0; i < r; i++)
			rep[i] = v[i];
	}
	for (int i = 0; i < r; i++)
		if (rep[i] < 0)
			return ir_node_error(d, g, n, "repeats[%d] is %lld, expected 0 or more", i,
					     (long long)rep[i]);
	return 0;
}

static int tile_infer(Graph *g, Node *n, Diag *d)
{
	int nin = n->opset < 6 ? 3 : 2;
	if (op_check_arity(g, n, nin, nin, nin, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t rep[CNNC_MAX_RANK];
	if (tile_repeats(g, n, rep, d) < 0)
		return -1;
	Shape s = x->shape;
	for (int i = 0; i < s.rank; i++) {
		if (rep[i] && s.dims[i] > CNNC_MAX_TENSOR_BYTES / rep[i])
			return ir_node_error(d, g, n, "output is too large");
		s.dims[i] *= rep[i];
	}
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static void tile_plan(const Graph *g, const Node *n, Strided *st)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int64_t xs[CNNC_MAX_RANK], ys[CNNC_MAX_RANK];
	shape_strides(&x->shape, xs);
	shape_strides(&y->shape, ys);
	memset(st, 0, sizeof *st);
	st->rank = 2 * x->shape.rank;
	for (int i = 0; i < x->shape.rank; i++) {
		int64_t in = x->shape.dims[i];
		st->dims[2 * i] = in ? y->shape.dims[i] / in : 0;
		st->dst[2 * i] = in * ys[i];
		st->src[2 * i] = 0;
		st->dims[2 * i + 1] = in;
		st->dst[2 * i + 1] = ys[i];
		st->src[2 * i + 1] = xs[i];
	}
}

/* ------------------------------------------------------------ shared */

static void plan(const Graph *g, const Node *n, Strided *st)
{
	if (n->op == OP_EXPAND)
		expand_plan(g, n, st);
	else
		tile_plan(g, n, st);
}

static int fold(Graph *g, Node *n, Diag *d)
{
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	Strided st;
	plan(g, n, &st);
	op_strided_copy(&st, y, op_in(g, n, 0)->data, op_elem_size(op_outv(g, n, 0)->dtype));
	return 0;
}

static int emit(Emit *e)
{
	Strided st;
	plan(e->g, e->n, &st);
	op_strided_emit(e->o, &st, "y0", "x0");
	return 0;
}

const OpDef opdef_EXPAND = {expand_infer, fold, emit, NULL, 0};
const OpDef opdef_TILE = {tile_infer, fold, emit, NULL, 0};
