/* gather.c - Gather, GatherElements and GatherND.
 *
 * Indices are read at run time (int32 or int64), negative ones count from the end
 * of their axis, and out-of-range ones are clamped into the axis (indexing.h), so
 * the kernel never reads outside `data`. Gather and GatherND copy whole slices
 * with memcpy; GatherElements copies one element per index. All three fold when
 * their inputs are constant (Shape -> Gather chains, gathered weights).
 */
#include <stdio.h>
#include <string.h>

#include "indexing.h"

static int check_axis_nonempty(const Graph *g, const Node *n, int64_t size, int64_t nidx, Diag *d)
{
	if (size == 0 && nidx > 0)
		return ir_node_error(d, g, n, "gathers %lld indices from an empty axis",
				     (long long)nidx);
	return 0;
}

/* ------------------------------------------------------------ Gather */

typedef struct GatherDims {
	int axis;
	int64_t pre, size, post, nidx; /* data = [pre, size, post], indices: nidx */
} GatherDims;

static void gather_dims(const Graph *g, const Node *n, int axis, GatherDims *gd)
{
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	gd->axis = axis;
	gd->pre = ix_prod(&x->shape, 0, axis);
	gd->size = x->shape.dims[axis];
	gd->post = ix_prod(&x->shape, axis + 1, x->shape.rank);
	gd->nidx = ir_numel(ix);
}

static int gather_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "data is a scalar, expected rank >= 1");
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, &axis, d) < 0)
		return -1;
	int rank = x->shape.rank - 1 + ix->shape.rank;
	if (ix_check_rank(g, n, rank, d) < 0)
		return -1;
	if (check_axis_nonempty(g, n, x->shape.dims[axis], ir_numel(ix), d) < 0)
		return -1;
	Shape s = {rank, {0}};
	int r = 0;
	for (int k = 0; k < axis; k++)
		s.dims[r++] = x->shape.dims[k];
	for (int k = 0; k < ix->shape.rank; k++)
		s.dims[r++] = ix->shape.dims[k];
	for (int k = axis + 1; k < x->shape.rank; k++)
		s.dims[r++] = x->shape.dims[k];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int gather_axis(const Graph *g, const Node *n)
{
	int64_t a = ir_attr_int(n, "axis", 0);
	int r = op_in(g, n, 0)->shape.rank;
	return (int)(a < 0 ? a + r : a);
}

static int gather_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	GatherDims gd;
	gather_dims(g, n, gather_axis(g, n), &gd);
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	void *y = op_alloc_const(g, n, 0);
	int64_t o = 0;
	for (int64_t p = 0; p < gd.pre; p++)
		for (int64_t j = 0; j < gd.nidx; j++) {
			int64_t k = ix_clamp_index(dtype_get_i64(ix->dtype, ix->data, j), gd.size);
			for (int64_t q = 0; q < gd.post; q++)
				ix_copy_elem(x->dtype, y, o++, x->data,
					     (p * gd.size + k) * gd.post + q);
		}
	return 0;
}

static int gather_emit(Emit *e)
{
	GatherDims gd;
	gather_dims(e->g, e->n, gather_axis(e->g, e->n), &gd);
	if (gd.pre * gd.nidx * gd.post == 0)
		return 0;
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)gd.pre);
	out_line(e->o, "for (int64_t j = 0; j < %lld; j++) {", (long long)gd.nidx);
	ix_emit_clamped(e->o, "k", "x1[j]", gd.size);
	if (gd.post == 1)
		out_line(e->o, "y0[p * %lld + j] = x0[p * %lld + k];", (long long)gd.nidx,
			 (long long)gd.size);
	else
		out_line(e->o, "memcpy(y0 + (p * %lld + j) * %lld, x0 + (p * %lld + k) * %lld, "
			       "%lld * sizeof *y0);",
			 (long long)gd.nidx, (long long)gd.post, (long long)gd.size,
			 (long long)gd.post, (long long)gd.post);
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_GATHER = {gather_infer, gather_fold, gather_emit, NULL, 0};

/* ------------------------------------------------------------ GatherElements */

static int elements_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	if (x->shape.rank < 1 || ix->shape.rank != x->shape.rank)
		return ir_node_error(d, g, n,
				     "indices have rank %d and data rank %d, expected equal ranks >= 1",
				     ix->shape.rank, x->shape.rank);
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, &axis, d) < 0)
		return -1;
	for (int k = 0; k < x->shape.rank; k++)
		if (k != axis && ix->shape.dims[k] > x->shape.dims[k])
			return ir_node_error(d, g, n,
					     "indices dim %d is %lld, larger than data's %lld",
					     k, (long long)ix->shape.dims[k],
					     (long long)x->shape.dims[k]);
	if (check_axis_nonempty(g, n, x->shape.dims[axis], ir_numel(ix), d) < 0)
		return -1;
	op_set_out(g, n, 0, x->dtype, &ix->shape);
	return 0;
}

static int elements_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	int axis = gather_axis(g, n), r = x->shape.rank;
	int64_t xst[CNNC_MAX_RANK], idx[CNNC_MAX_RANK] = {0};
	shape_strides(&x->shape, xst);
	void *y = op_alloc_const(g, n, 0);
	int64_t total = ir_numel(ix);
	for (int64_t i = 0; i < total; i++) {
		int64_t off = 0;
		for (int k = 0; k < r; k++)
			if (k != axis)
				off += idx[k] * xst[k];
		int64_t v = ix_clamp_index(dtype_get_i64(ix->dtype, ix->data, i),
					   x->shape.dims[axis]);
		ix_copy_elem(x->dtype, y, i, x->data, off + v * xst[axis]);
		for (int k = r - 1; k >= 0 && ++idx[k] == ix->shape.dims[k]; k--)
			idx[k] = 0;
	}
	return 0;
}

static int elements_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *ix = op_in(e->g, e->n, 1);
	int axis = gather_axis(e->g, e->n);
	if (ir_numel(ix) == 0)
		return 0;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	char base[512];
	size_t k = (size_t)snprintf(base, sizeof base, "0");
	for (int d = 0; d < x->shape.rank && k < sizeof base; d++)
		if (d != axis && ix->shape.dims[d] > 1)
			k += (size_t)snprintf(base + k, sizeof base - k, " + i%d * %lld", d,
					      (long long)xst[d]);
	out_line(e->o, "int64_t j = 0;");
	int loops = cg_loops(e->o, &ix->shape, "i");
	ix_emit_clamped(e->o, "v", "x1[j]", x->shape.dims[axis]);
	out_line(e->o, "y0[j] = x0[%s + v * %lld];", base, (long long)xst[axis]);
	out_line(e->o, "j++;");
	cg_close(e->o, loops);
	return 0;
}

const OpDef opdef_GATHERELEMENTS = {elements_infer, elements_fold, elements_emit, NULL, 0};

/* ------------------------------------------------------------ GatherND */

typedef struct NdDims {
	int b, k;           /* batch dims, index tuple length */
	int64_t nbatch;     /* product of the batch dims */
	int64_t ntuple;     /* index tuples per batch */
	int64_t slice;      /* elements copied per tuple */
	int64_t bstride;    /* data elements per batch */
	int64_t dims[CNNC_MAX_RANK], st[CNNC_MAX_RANK]; /* data dims/strides b..b+k-1 */
} NdDims;

static void nd_dims(const Graph *g, const Node *n, NdDims *nd)
{
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	int q = ix->shape.rank, r = x->shape.rank;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	nd->b = (int)ir_attr_int(n, "batch_dims", 0);
	nd->k = (int)ix->shape.dims[q - 1];
	nd->nbatch = ix_prod(&x->shape, 0, nd->b);
	nd->ntuple = ix_prod(&ix->shape, nd->b, q - 1);
	nd->slice = ix_prod(&x->shape, nd->b + nd->k, r);
	nd->bstride = ix_prod(&x->shape, nd->b, r);
	for (int j = 0; j < nd->k; j++) {
		nd->dims[j] = x->shape.dims[nd->b + j];
		nd->st[j] = xst[nd->b + j];
	}
}

static int nd_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || ix_check_index_type(g, n, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	int q = ix->shape.rank, r = x->shape.rank;
	int64_t b = ir_attr_int(n, "batch_dims", 0);
	if (r < 1 || q < 1)
		return ir_node_error(d, g, n,
				     "data has rank %d and indices rank %d, expected both >= 1",
				     r, q);
	if (b < 0 || b >= (q < r ? q : r))
		return ir_node_error(d, g, n, "batch_dims is %lld, expected 0 to %d", (long long)b,
				     (q < r ? q : r) - 1);
	for (int j = 0; j < b; j++)
		if (ix->shape.dims[j] != x->shape.dims[j])
			return ir_node_error(d, g, n,
					     "batch dim %d of indices is %lld but %lld in data",
					     j, (long long)ix->shape.dims[j],
					     (long long)x->shape.dims[j]);
	int64_t k = ix->shape.dims[q - 1];
	if (k < 1 || k > r - b)
		return ir_node_error(d, g, n, "index tuples have length %lld, expected 1 to %lld",
				     (long long)k, (long long)(r - b));
	Shape s = {0, {0}};
	for (int j = 0; j < q - 1; j++)
		s.dims[s.rank++] = ix->shape.dims[j];
	for (int j = (int)(b + k); j < r; j++)
		s.dims[s.rank++] = x->shape.dims[j];
	for (int j = (int)b; j < b + k; j++)
		if (check_axis_nonempty(g, n, x->shape.dims[j], ir_numel(ix) / k, d) < 0)
			return -1;
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int nd_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	NdDims nd;
	nd_dims(g, n, &nd);
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	void *y = op_alloc_const(g, n, 0);
	for (int64_t t = 0; t < nd.nbatch * nd.ntuple; t++) {
		int64_t off = t / (nd.ntuple ? nd.ntuple : 1) * nd.bstride;
		for (int j = 0; j < nd.k; j++) {
			int64_t v = dtype_get_i64(ix->dtype, ix->data, t * nd.k + j);
			off += ix_clamp_index(v, nd.dims[j]) * nd.st[j];
		}
		for (int64_t q = 0; q < nd.slice; q++)
			ix_copy_elem(x->dtype, y, t * nd.slice + q, x->data, off + q);
	}
	return 0;
}

static int nd_emit(Emit *e)
{
	NdDims nd;
	nd_dims(e->g, e->n, &nd);
	if (nd.nbatch * nd.ntuple * nd.slice == 0)
		return 0;
	out_line(e->o, "for (int64_t b = 0; b < %lld; b++) {", (long long)nd.nbatch);
	out_line(e->o, "for (int64_t t = b * %lld; t < (b + 1) * %lld; t++) {",
		 (long long)nd.ntuple, (long long)nd.ntuple);
	out_line(e->o, "int64_t off = b * %lld;", (long long)nd.bstride);
	for (int j = 0; j < nd.k; j++) {
		char var[16], expr[64];
		snprintf(var, sizeof var, "v%d", j);
		snprintf(expr, sizeof expr, "x1[t * %d + %d]", nd.k, j);
		ix_emit_clamped(e->o, var, expr, nd.dims[j]);
		out_line(e->o, "off += v%d * %lld;", j, (long long)nd.st[j]);
	}
	if (nd.slice == 1)
		out_line(e->o, "y0[t] = x0[off];");
	else
		out_line(e->o, "memcpy(y0 + t * %lld, x0 + off, %lld * sizeof *y0);",
			 (long long)nd.slice, (long long)nd.slice);
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_GATHERND = {nd_infer, nd_fold, nd_emit, NULL, 0};
