/* transpose.c - Transpose: dims permuted.
 *
 * One strided copy over the output in order (contiguous writes) reading the
 * input through permuted strides; dims that stay adjacent merge, so a
 * permutation that keeps the inner dims together copies whole rows.
 */
#include "strided.h"

/* perm, or reversed dims when the attribute is absent; -1 if it is not a permutation. */
static int read_perm(const Node *n, int r, int perm[CNNC_MAX_RANK])
{
	const int64_t *p;
	size_t cnt = ir_attr_ints(n, "perm", &p);
	bool seen[CNNC_MAX_RANK] = {false};
	if (!ir_attr(n, "perm")) {
		for (int i = 0; i < r; i++)
			perm[i] = r - 1 - i;
		return 0;
	}
	if ((int)cnt != r)
		return -1;
	for (int i = 0; i < r; i++) {
		int64_t v = p[i] < 0 ? p[i] + r : p[i];
		if (v < 0 || v >= r || seen[v])
			return -1;
		seen[v] = true;
		perm[i] = (int)v;
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int perm[CNNC_MAX_RANK];
	if (read_perm(n, x->shape.rank, perm) < 0)
		return ir_node_error(d, g, n, "perm is not a permutation of the %d input dims",
				     x->shape.rank);
	Shape s = {x->shape.rank, {0}};
	for (int i = 0; i < s.rank; i++)
		s.dims[i] = x->shape.dims[perm[i]];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static void plan(const Graph *g, const Node *n, Strided *st)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int perm[CNNC_MAX_RANK];
	int64_t xs[CNNC_MAX_RANK];
	read_perm(n, x->shape.rank, perm);
	shape_strides(&x->shape, xs);
	op_strided_init(st, &y->shape);
	for (int i = 0; i < y->shape.rank; i++)
		st->src[i] = xs[perm[i]];
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

const OpDef opdef_TRANSPOSE = {infer, fold, emit, NULL, 0};
