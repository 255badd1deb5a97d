/* plan_memory.c - a static workspace plan: views, liveness, and offset assignment.
 *
 * Requires: shapes inferred, dead nodes removed, nodes in topological order.
 * 1. Views: the output of an OPF_VIEW node (Reshape, Flatten, Squeeze, ...) shares
 *    its input's storage unless it is a graph output; such nodes emit no code.
 * 2. Liveness: every buffer the workspace holds (a node's run-time output that is
 *    not a graph output, and each node's scratch) lives from its producer to its
 *    last reader, views of it included; OPF_SCRATCH_KEEP scratch lives to the end.
 * 3. Placement: greedy, each buffer in turn takes the lowest (or the tightest)
 *    64-byte aligned offset that overlaps no buffer live at the same time. Taking
 *    them by decreasing size is the usual near-optimal order; the plan also tries
 *    size x lifetime, lifetime and start order and keeps the smallest workspace.
 *    The liveness lower bound — the largest sum of sizes live at one step — is
 *    recorded for reports.
 *
 *   after: %2 Conv out @0 (401408 B), %3 Relu out @401408, %4 Conv out @0 ...
 */
#include <stdlib.h>
#include <string.h>

#include "../codegen/ops/ops.h"
#include "passes.h"

#define ALIGN 64

typedef struct Buf {
	int64_t size;
	uint32_t start, end; /* node index range, inclusive */
	uint32_t value;      /* IR_NONE for a node's scratch */
	uint32_t node;       /* owner of the scratch */
	int64_t offset;
	uint64_t key; /* random order of a trial */
} Buf;

static int64_t align_up(int64_t x)
{
	return (x + ALIGN - 1) / ALIGN * ALIGN;
}

static bool needs_storage(const Value *v)
{
	/* sequences and optionals are stored flat, like tensors */
	return v->producer != IR_NONE && !v->is_output && !v->data && v->alias == IR_NONE;
}

/* True if node p (still) writes v: a value whose producer was folded away keeps a
   stale index, and must take no room. */
static bool produced_by(const Graph *g, uint32_t v, uint32_t p)
{
	if (p >= g->nnodes)
		return false;
	const Node *n = ir_node(g, p);
	for (int k = 0; k < n->noutputs; k++)
		if (n->outputs[k] == v)
			return true;
	return false;
}

static void make_views(Graph *g)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (!(op_def(n->op)->flags & OPF_VIEW) || !ir_has_in(n, 0) || ir_out(n, 0) == IR_NONE)
			continue;
		Value *y = ir_value(g, ir_out(n, 0));
		const Value *x = ir_value(g, ir_in(n, 0));
		if (y->is_output || y->data || y->vtype != VT_TENSOR || x->vtype != VT_TENSOR ||
		    ir_storage_bytes(x) != ir_storage_bytes(y) || x->layout != y->layout)
			continue;
		y->alias = ir_in(n, 0);
	}
}

/* Orders in which the greedy placement may take the buffers; the plan keeps the
   smallest workspace of them. Ties go to the earlier buffer, so plans are stable. */
static int cmp_start(const Buf *x, const Buf *y)
{
	return x->start < y->start ? -1 : x->start > y->start;
}

static int by_size(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return cmp_start(x, y);
}

static int by_area(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	double ax = (double)x->size * (x->end - x->start + 1), ay = (double)y->size * (y->end - y->start + 1);
	if (ax != ay)
		return ax > ay ? -1 : 1;
	return by_size(a, b);
}

static int by_life(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	uint32_t lx = x->end - x->start, ly = y->end - y->start;
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return by_size(a, b);
}

static int by_start(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	int c = cmp_start(x, y);
	return c ? c : by_size(a, b);
}

static int cmp_off(const void *a, const void *b)
{
	const Buf *x = *(Buf *const *)a, *y = *(Buf *const *)b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Greedy placement in the order of cmp: each buffer takes the lowest offset (or,
   with best_fit, the tightest gap) that overlaps no placed buffer live at the same
   time. Returns the workspace size, -1 when out of memory. */
static int64_t place(Buf *bufs, uint32_t nb, int (*cmp)(const void *, const void *), bool best_fit)
{
	qsort(bufs, nb, sizeof *bufs, cmp);
	Buf **placed = malloc((nb + 1) * sizeof *placed);
	Buf **overlap = malloc((nb + 1) * sizeof *overlap);
	if (!placed || !overlap) {
		free(placed);
		free(overlap);
		return -1;
	}
	int64_t total = 0;
	uint32_t np = 0;
	for (uint32_t i = 0; i < nb; i++) {
		Buf *b = &bufs[i];
		uint32_t no = 0;
		for (uint32_t k = 0; k < np; k++)
			if (placed[k]->start <= b->end && b->start <= placed[k]->end)
				overlap[no++] = placed[k];
		qsort(overlap, no, sizeof *overlap, cmp_off);
		int64_t off = 0, best = -1, best_gap = 0;
		for (uint32_t k = 0; k < no; k++) {
			if (overlap[k]->offset >= off + b->size) {
				int64_t gap = overlap[k]->offset - off;
				if (!best_fit)
					break;
				if (best < 0 || gap < best_gap) {
					best = off;
					best_gap = gap;
				}
			}
			int64_t end = align_up(overlap[k]->offset + overlap[k]->size);
			if (end > off)
				off = end;
		}
		b->offset = best >= 0 ? best : off;
		if (b->offset + b->size > total)
			total = b->offset + b->size;
		placed[np++] = b;
	}
	free(placed);
	free(overlap);
	return align_up(total);
}

/* Order the buffers are in already (for the random trials, which shuffle first). */
static int by_key(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The smallest of the greedy plans; leaves bufs placed by the winner. Four orders,
   each first-fit and best-fit, then random orders from a fixed seed until one
   reaches the bound or the trials run out (fewer for more buffers): liveness rarely
   lets a single order reach the bound when outputs alternate (SqueezeNet's fire
   modules), and a few hundred greedy passes over tens of buffers cost nothing.
   Very many buffers get the size order only: each pass is quadratic. */
static int64_t place_best(Buf *bufs, uint32_t nb, int64_t bound)
{
	static int (*const orders[])(const void *, const void *) = {by_size, by_area, by_life,
								       by_start};
	int norders = nb > 20000 ? 1 : (int)(sizeof orders / sizeof *orders);
	/* about 4e7 overlap tests in all: 400 trials up to 316 buffers, none past 6000 */
	double budget = 4e7 / ((double)nb * nb + 1);
	int ntrials = budget > 400 ? 400 : (int)budget;
	int64_t best = -1;
	Buf *keep = malloc((nb + 1) * sizeof *keep); /* the best plan so far */
	if (!keep)
		return -1;
	uint64_t rng = 0x9e3779b97f4a7c15u;
	for (int k = 0; k < 2 * norders + ntrials && best != bound; k++) {
		int64_t total;
		if (k < 2 * norders) {
			total = place(bufs, nb, orders[k / 2], k % 2);
			if (nb > 20000)
				k = 2 * norders + ntrials; /* one pass only */
		} else {
			qsort(bufs, nb, sizeof *bufs, by_size); /* each trial shuffles the same start */
			for (uint32_t i = 0; i < nb; i++) {
				rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
				bufs[i].key = rng;
			}
			total = place(bufs, nb, by_key, k % 2);
		}
		if (total >= 0 && (best < 0 || total < best)) {
			best = total;
			memcpy(keep, bufs, nb * sizeof *bufs);
		}
	}
	if (best >= 0)
		memcpy(bufs, keep, nb * sizeof *bufs);
	free(keep);
	return best;
}

static int64_t lower_bound(const Buf *bufs, uint32_t nb, uint32_t nsteps)
{
	int64_t best = 0;
	for (uint32_t s = 0; s < nsteps; s++) {
		int64_t live = 0;
		for (uint32_t i = 0; i < nb; i++)
			if (bufs[i].start <= s && s <= bufs[i].end)
				live += align_up(bufs[i].size);
		if (live > best)
			best = live;
	}
	return best;
}

int pass_plan_memory(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	make_views(g);
	uint32_t nv = g->nvalues, nn = g->nnodes;
	uint32_t *last = malloc((nv + 1) * sizeof *last);
	Buf *bufs = calloc((size_t)nv + nn + 1, sizeof *bufs);
	if (!last || !bufs) {
		free(last);
		free(bufs);
		return diag_error(d, "out of memory");
	}
	for (uint32_t v = 0; v < nv; v++) {
		last[v] = g->values[v].producer;
		g->values[v].offset = -1;
	}
	for (uint32_t i = 0; i < nn; i++) {
		const Node *n = ir_node(g, i);
		for (int k = 0; k < n->ninputs; k++)
			if (n->inputs[k] != IR_NONE) {
				uint32_t r = ir_storage(g, n->inputs[k]);
				last[r] = i;
			}
	}
	uint32_t nb = 0;
	for (uint32_t v = 0; v < nv; v++) {
		const Value *val = ir_value(g, v);
		if (!needs_storage(val) || !produced_by(g, v, val->producer))
			continue;
		int64_t size = ir_storage_bytes(val);
		if (size < 0) {
			free(last);
			free(bufs);
			return diag_error(d, "value '%s' is too large", val->name);
		}
		bufs[nb++] = (Buf){size ? size : 1, val->producer,
				   last[v] == IR_NONE || last[v] < val->producer ? val->producer : last[v],
				   v, IR_NONE, 0, 0};
	}
	for (uint32_t i = 0; i < nn; i++) {
		Node *n = ir_node(g, i);
		const OpDef *def = op_def(n->op);
		n->scratch_bytes = def->scratch ? def->scratch(g, n) : 0;
		n->scratch_offset = -1;
		if (n->scratch_bytes < 0) {
			free(last);
			free(bufs);
			return ir_node_error(d, g, n, "scratch buffer is too large");
		}
		uint32_t end = def->flags & OPF_SCRATCH_KEEP ? nn - 1 : i;
		if (n->scratch_bytes > 0)
			bufs[nb++] = (Buf){n->scratch_bytes, i, end, IR_NONE, i, 0, 0};
	}
	g->workspace_bound = lower_bound(bufs, nb, nn);
	g->workspace_size = place_best(bufs, nb, align_up(g->workspace_bound));
	if (g->workspace_size < 0) {
		free(last);
		free(bufs);
		return diag_error(d, "out of memory");
	}
	for (uint32_t i = 0; i < nb; i++) {
		if (bufs[i].value != IR_NONE)
			ir_value(g, bufs[i].value)->offset = bufs[i].offset;
		else
			ir_node(g, bufs[i].node)->scratch_offset = bufs[i].offset;
	}
	free(last);
	free(bufs);
	if (g->workspace_size > CNNC_MAX_TENSOR_BYTES)
		return diag_error(d, "the workspace would need %lld bytes, more than the limit",
				  (long long)g->workspace_size);
	return 0;
}
