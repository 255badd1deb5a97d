/* slice.c - Slice: a strided box of the input (opset 1 attributes, opset 10+ inputs).
 *
 * starts/ends/axes/steps decide the output shape, so they must be compile-time
 * constants (graph inputs are fixed by `cnnc verify`). Each axis becomes
 * (first index, step, count) after ONNX's rules: negative starts/ends count from
 * the end, then are clamped to [0, dim] (or [0, dim-1] and [-1, dim-1] when
 * stepping backwards). The kernel is one strided Copy (indexing.h), memcpy per
 * contiguous row; folding runs the same Copy on the host.
 */
#include <string.h>

#include "indexing.h"

typedef struct SliceAxis {
	int64_t start, step, count;
} SliceAxis;

/* Normalises one (start, end, step) for an axis of size dim. */
static SliceAxis slice_axis(int64_t s, int64_t e, int64_t st, int64_t dim)
{
	SliceAxis a = {0, st, 0};
	if (dim == 0)
		return a;
	if (s < 0)
		s += dim;
	if (e < 0)
		e += dim;
	if (st > 0) {
		s = s < 0 ? 0 : s > dim ? dim : s;
		e = e < 0 ? 0 : e > dim ? dim : e;
		a.count = e > s ? (e - s + st - 1) / st : 0;
	} else {
		s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
		e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
		/* -st may overflow for INT64_MIN: count is then 1 if s > e */
		int64_t neg = st == INT64_MIN ? INT64_MAX : -st;
		a.count = s > e ? (s - e + neg - 1) / neg : 0;
		if (st == INT64_MIN && s > e)
			a.count = 1;
	}
	a.start = s;
	return a;
}

#define MAXV (2 * CNNC_MAX_RANK)

typedef struct SliceArgs {
	const int64_t *starts, *ends, *axes, *steps;
	int64_t n, naxes, nsteps;
	int64_t buf[4][MAXV];
} SliceArgs;

static int slice_args(const Graph *g, const Node *n, SliceArgs *sa, Diag *d)
{
	memset(sa, 0, sizeof *sa);
	if (n->opset < 10) {
		int64_t ne = (int64_t)ir_attr_ints(n, "ends", &sa->ends);
		sa->n = (int64_t)ir_attr_ints(n, "starts", &sa->starts);
		sa->naxes = (int64_t)ir_attr_ints(n, "axes", &sa->axes);
		if (!ir_attr(n, "starts") || !ir_attr(n, "ends"))
			return ir_node_error(d, g, n,
					     "attributes 'starts' and 'ends' are required");
		if (ne != sa->n)
			return ir_node_error(d, g, n, "starts has %lld values and ends %lld",
					     (long long)sa->n, (long long)ne);
		sa->nsteps = -1;
		sa->naxes = ir_attr(n, "axes") ? sa->naxes : -1;
		return 0;
	}
	int64_t ne;
	sa->starts = sa->buf[0];
	sa->ends = sa->buf[1];
	sa->axes = sa->buf[2];
	sa->steps = sa->buf[3];
	if (ix_const_ints(g, n, 1, sa->buf[0], MAXV, &sa->n, d) < 0 ||
	    ix_const_ints(g, n, 2, sa->buf[1], MAXV, &ne, d) < 0)
		return -1;
	if (ne != sa->n)
		return ir_node_error(d, g, n, "starts has %lld values and ends %lld",
				     (long long)sa->n, (long long)ne);
	sa->naxes = sa->nsteps = -1;
	if (ir_has_in(n, 3) && ix_const_ints(g, n, 3, sa->buf[2], MAXV, &sa->naxes, d) < 0)
		return -1;
	if (ir_has_in(n, 4) && ix_const_ints(g, n, 4, sa->buf[3], MAXV, &sa->nsteps, d) < 0)
		return -1;
	return 0;
}

/* The Copy from input 0 into the dense output; -1 with a diagnostic on bad arguments. */
static int slice_copy(const Graph *g, const Node *n, Copy *c, Shape *out, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	SliceArgs sa;
	if (slice_args(g, n, &sa, d) < 0)
		return -1;
	if ((sa.naxes >= 0 && sa.naxes != sa.n) || (sa.nsteps >= 0 && sa.nsteps != sa.n))
		return ir_node_error(d, g, n,
				     "starts, ends, axes and steps have different lengths");
	if (sa.n > r)
		return ir_node_error(d, g, n, "%lld axes sliced in a tensor of rank %d",
				     (long long)sa.n, r);
	SliceAxis ax[CNNC_MAX_RANK];
	bool seen[CNNC_MAX_RANK] = {false};
	for (int k = 0; k < r; k++)
		ax[k] = (SliceAxis){0, 1, x->shape.dims[k]};
	for (int64_t i = 0; i < sa.n; i++) {
		int a;
		if (op_axis(g, n, sa.naxes >= 0 ? sa.axes[i] : i, r, &a, d) < 0)
			return -1;
		if (seen[a])
			return ir_node_error(d, g, n, "axis %d is sliced twice", a);
		seen[a] = true;
		int64_t st = sa.nsteps >= 0 ? sa.steps[i] : 1;
		if (st == 0)
			return ir_node_error(d, g, n, "step of axis %d is 0", a);
		ax[a] = slice_axis(sa.starts[i], sa.ends[i], st, x->shape.dims[a]);
	}
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	out->rank = r;
	for (int k = 0; k < r; k++)
		out->dims[k] = ax[k].count;
	ix_copy_init(c, out);
	for (int k = 0; k < r; k++) {
		c->soff += ax[k].start * xst[k];
		c->sst[k] = ax[k].step * xst[k];
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int hi = n->opset < 10 ? 1 : 5;
	if (op_check_arity(g, n, hi == 1 ? 1 : 3, hi, hi == 1 ? 1 : 3, d) < 0)
		return -1;
	Copy c;
	Shape s;
	if (slice_copy(g, n, &c, &s, d) < 0)
		return -1;
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	Copy c;
	Shape s;
	if (slice_copy(g, n, &c, &s, d) < 0)
		return -1;
	void *y = op_alloc_const(g, n, 0);
	ix_fold_copy(&c, op_in(g, n, 0)->dtype, y, op_in(g, n, 0)->data);
	return 0;
}

static int emit(Emit *e)
{
	Copy c;
	Shape s;
	Diag d;
	diag_init(&d, "");
	if (slice_copy(e->g, e->n, &c, &s, &d) < 0)
		return -1;
	ix_emit_copy(e->o, &c, "y0", "x0");
	return 0;
}

const OpDef opdef_SLICE = {infer, fold, emit, NULL, 0};
