/* unique.c - Unique: distinct elements (or slices along an axis), with first-occurrence
 * indices, inverse indices and counts.
 *
 * Value-dependent shape, cnnc's answer: every output's size depends on the values
 * of X, so X must be a compile-time constant (op_require_const; `cnnc verify`
 * fixes a graph input, and the generated P_run checks the caller passes that same
 * value). All four outputs are then computed at compile time: infer runs the
 * computation for the shapes, fold runs it again for the data. Items are sorted
 * with a stable merge sort (so the first of a group of equal items is its first
 * occurrence); slices compare lexicographically in row-major order, as numpy.
 * A result larger than the fold limit is rejected rather than computed at run time.
 */
#include <stdlib.h>
#include <string.h>

#include "indexing.h"

typedef struct Items {
	const Value *x;
	int64_t n;          /* items: elements, or slices along the axis */
	int64_t pre, post;  /* item i is elements (p * n + i) * post + q */
} Items;

static int cmp_elem(const Value *x, int64_t a, int64_t b)
{
	const void *d = x->data;
	if (x->dtype == DT_STRING)
		return strcmp(((const char *const *)d)[a], ((const char *const *)d)[b]);
	if (dtype_info(x->dtype)->is_float) {
		double va = dtype_get_f64(x->dtype, d, a), vb = dtype_get_f64(x->dtype, d, b);
		return va < vb ? -1 : va > vb ? 1 : 0;
	}
	if (x->dtype == DT_UINT64) {
		uint64_t va = ((const uint64_t *)d)[a], vb = ((const uint64_t *)d)[b];
		return va < vb ? -1 : va > vb;
	}
	int64_t va = dtype_get_i64(x->dtype, d, a), vb = dtype_get_i64(x->dtype, d, b);
	return va < vb ? -1 : va > vb;
}

static int cmp_items(const Items *it, int64_t a, int64_t b)
{
	for (int64_t p = 0; p < it->pre; p++)
		for (int64_t q = 0; q < it->post; q++) {
			int c = cmp_elem(it->x, (p * it->n + a) * it->post + q,
					 (p * it->n + b) * it->post + q);
			if (c)
				return c;
		}
	return 0;
}

/* Stable merge sort of idx[0..n) by item value, using tmp of n entries. */
static void sort_items(const Items *it, int64_t *idx, int64_t *tmp, int64_t n)
{
	for (int64_t w = 1; w < n; w *= 2) {
		for (int64_t lo = 0; lo < n; lo += 2 * w) {
			int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			int64_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = cmp_items(it, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
			while (i < mid)
				tmp[k++] = idx[i++];
			while (j < hi)
				tmp[k++] = idx[j++];
		}
		memcpy(idx, tmp, (size_t)n * sizeof *idx);
	}
}

typedef struct UniqueResult {
	int64_t nuniq;
	int64_t *first;   /* [nuniq] first occurrence of each output item */
	int64_t *counts;  /* [nuniq] */
	int64_t *inverse; /* [n] output position of each input item */
} UniqueResult;

static int get_items(const Graph *g, const Node *n, Items *it, int *axis, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	it->x = x;
	it->pre = it->post = 1;
	it->n = ir_numel(x);
	*axis = -1;
	if (ir_attr(n, "axis")) {
		if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, axis, d) < 0)
			return -1;
		it->pre = ix_prod(&x->shape, 0, *axis);
		it->n = x->shape.dims[*axis];
		it->post = ix_prod(&x->shape, *axis + 1, x->shape.rank);
	}
	return 0;
}

/* Computes the result into arena memory of g; -1 with a diagnostic. */
static int compute(Graph *g, const Node *n, const Items *it, UniqueResult *r, Diag *d)
{
	int64_t cnt = it->n;
	size_t bytes = (size_t)(cnt + 1) * sizeof(int64_t);
	int64_t *idx = malloc(bytes), *tmp = malloc(bytes), *group = malloc(bytes);
	r->first = arena_alloc(g->arena, bytes);
	r->counts = arena_alloc(g->arena, bytes);
	r->inverse = arena_alloc(g->arena, bytes);
	if (!idx || !tmp || !group || !r->first || !r->counts || !r->inverse) {
		free(idx), free(tmp), free(group);
		return ir_node_error(d, g, n, "out of memory");
	}
	for (int64_t i = 0; i < cnt; i++)
		idx[i] = i;
	sort_items(it, idx, tmp, cnt);
	/* groups in sorted order: group[i] = group number of item i */
	int64_t ng = 0;
	for (int64_t i = 0; i < cnt; i++) {
		if (i == 0 || cmp_items(it, idx[i - 1], idx[i]) != 0)
			tmp[ng++] = idx[i]; /* first occurrence of group ng-1 */
		group[idx[i]] = ng - 1;
	}
	/* output position of each group: sorted order, or order of first occurrence */
	int64_t *pos = idx;
	bool sorted = ir_attr_int(n, "sorted", 1) != 0;
	int64_t next = 0;
	for (int64_t gi = 0; gi < ng; gi++)
		pos[gi] = sorted ? gi : -1;
	for (int64_t i = 0; i < cnt && !sorted; i++)
		if (pos[group[i]] < 0)
			pos[group[i]] = next++;
	for (int64_t gi = 0; gi < ng; gi++) {
		r->first[pos[gi]] = tmp[gi];
		r->counts[pos[gi]] = 0;
	}
	for (int64_t i = 0; i < cnt; i++) {
		r->inverse[i] = pos[group[i]];
		r->counts[pos[group[i]]]++;
	}
	r->nuniq = ng;
	free(idx), free(tmp), free(group);
	return 0;
}

static int run(Graph *g, Node *n, UniqueResult *r, int *axis, Items *it, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_require_const(g, n, 0, d) < 0)
		return -1;
	if (get_items(g, n, it, axis, d) < 0)
		return -1;
	return compute(g, n, it, r, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	UniqueResult r;
	Items it;
	int axis;
	if (run(g, n, &r, &axis, &it, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	Shape ys = {1, {r.nuniq}}, us = {1, {r.nuniq}}, is = {1, {it.n}};
	if (axis >= 0) {
		ys = x->shape;
		ys.dims[axis] = r.nuniq;
	}
	op_set_out(g, n, 0, x->dtype, &ys);
	op_set_out(g, n, 1, DT_INT64, &us);
	op_set_out(g, n, 2, DT_INT64, &is);
	op_set_out(g, n, 3, DT_INT64, &us);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	UniqueResult r;
	Items it;
	int axis;
	if (run(g, n, &r, &axis, &it, d) < 0)
		return -1;
	void *y = op_alloc_const(g, n, 0);
	if (y)
		for (int64_t u = 0; u < r.nuniq; u++) {
			Copy c = {2, {it.pre, it.post}, {it.n * it.post, 1}, {r.nuniq * it.post, 1},
				  r.first[u] * it.post, u * it.post};
			ix_fold_copy(&c, it.x->dtype, y, it.x->data);
		}
	const int64_t *src[3] = {r.first, r.inverse, r.counts};
	for (int k = 1; k < 4; k++) {
		int64_t *o = op_alloc_const(g, n, k);
		if (o)
			memcpy(o, src[k - 1], (size_t)ir_bytes(op_outv(g, n, k)));
	}
	return 0;
}

/* Reached only when the result was too large to fold: cnnc does not compute it at run time. */
static int emit(Emit *e)
{
	(void)e;
	return -1;
}

const OpDef opdef_UNIQUE = {infer, fold, emit, NULL, 0};
