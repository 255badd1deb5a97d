/* split.c - Split: consecutive parts of the input along one axis.
 *
 * The part sizes come from the `split` attribute (opsets 1-11) or input (1, 13+),
 * from `num_outputs` (18+: ceil(dim / n) each, the last part smaller), or else
 * are equal parts, one per output. A split input must be a compile-time
 * constant. Each output is one strided Copy (indexing.h), emitted or folded.
 */
#include "indexing.h"

#define MAXOUT 4096

/* Sizes of the parts into sizes[0..noutputs); -1 with a diagnostic. */
static int split_sizes(const Graph *g, const Node *n, int axis, int64_t *sizes, Diag *d)
{
	int64_t dim = op_in(g, n, 0)->shape.dims[axis];
	int no = n->noutputs;
	int64_t cnt = 0;
	if (no > MAXOUT)
		return ir_node_error(d, g, n, "has %d outputs, at most %d supported", no, MAXOUT);
	if (ir_has_in(n, 1)) {
		if (ix_const_ints(g, n, 1, sizes, MAXOUT, &cnt, d) < 0)
			return -1;
	} else if (n->opset < 13 && ir_attr(n, "split")) {
		const int64_t *v;
		cnt = (int64_t)ir_attr_ints(n, "split", &v);
		for (int64_t i = 0; i < cnt && i < no; i++)
			sizes[i] = v[i];
	} else {
		int64_t parts = no;
		const Attr *a = n->opset >= 18 ? ir_attr(n, "num_outputs") : NULL;
		if (a) {
			parts = a->i;
			if (parts != no)
				return ir_node_error(d, g, n,
						     "num_outputs is %lld but the node has %d outputs",
						     (long long)parts, no);
		}
		if (no < 1)
			return ir_node_error(d, g, n, "has no outputs");
		int64_t each = a ? (dim + no - 1) / no : dim / no;
		if (!a && each * no != dim)
			return ir_node_error(d, g, n,
					     "axis of size %lld does not split into %d equal parts",
					     (long long)dim, no);
		for (int i = 0; i < no; i++)
			sizes[i] = i < no - 1 ? each : dim - each * (no - 1);
		if (sizes[no - 1] < 0)
			return ir_node_error(d, g, n,
					     "axis of size %lld cannot be split into %d parts of %lld",
					     (long long)dim, no, (long long)each);
		return 0;
	}
	if (cnt != no)
		return ir_node_error(d, g, n, "split has %lld values but the node has %d outputs",
				     (long long)cnt, no);
	int64_t sum = 0;
	for (int i = 0; i < no; i++) {
		if (sizes[i] < 0 || sizes[i] > dim)
			return ir_node_error(d, g, n, "split value %lld is out of range",
					     (long long)sizes[i]);
		sum += sizes[i];
	}
	if (sum != dim)
		return ir_node_error(d, g, n, "split values add up to %lld, expected %lld",
				     (long long)sum, (long long)dim);
	return 0;
}

static int split_axis(const Graph *g, const Node *n, int *axis, Diag *d)
{
	return op_axis(g, n, ir_attr_int(n, "axis", 0), op_in(g, n, 0)->shape.rank, axis, d);
}

/* The Copy producing part k (which starts at offset `at` along the axis). */
static void part_copy(const Value *x, int axis, int64_t at, int64_t size, Copy *c)
{
	Shape s = x->shape;
	s.dims[axis] = size;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	ix_copy_init(c, &s);
	for (int k = 0; k < s.rank; k++)
		c->sst[k] = xst[k];
	c->soff = at * xst[axis];
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 2, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "input is a scalar, expected rank >= 1");
	int axis;
	int64_t sizes[MAXOUT];
	if (split_axis(g, n, &axis, d) < 0 || split_sizes(g, n, axis, sizes, d) < 0)
		return -1;
	for (int k = 0; k < n->noutputs; k++) {
		Shape s = x->shape;
		s.dims[axis] = sizes[k];
		op_set_out(g, n, k, x->dtype, &s);
	}
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	int axis;
	int64_t sizes[MAXOUT], at = 0;
	if (split_axis(g, n, &axis, d) < 0 || split_sizes(g, n, axis, sizes, d) < 0)
		return -1;
	for (int k = 0; k < n->noutputs; k++) {
		const Value *x = op_in(g, n, 0);
		Copy c;
		part_copy(x, axis, at, sizes[k], &c);
		at += sizes[k];
		void *y = op_alloc_const(g, n, k);
		if (y)
			ix_fold_copy(&c, x->dtype, y, x->data);
	}
	return 0;
}

static int emit(Emit *e)
{
	Diag d;
	diag_init(&d, "");
	int axis;
	int64_t sizes[MAXOUT], at = 0;
	if (split_axis(e->g, e->n, &axis, &d) < 0 || split_sizes(e->g, e->n, axis, sizes, &d) < 0)
		return -1;
	for (int k = 0; k < e->n->noutputs; k++) {
		Copy c;
		part_copy(op_in(e->g, e->n, 0), axis, at, sizes[k], &c);
		at += sizes[k];
		if (e->out[k])
			ix_emit_copy(e->o, &c, e->out[k], "x0");
	}
	return 0;
}

const OpDef opdef_SPLIT = {infer, fold, emit, NULL, 0};
