/* plan_memory.c - a static workspace plan: views, liveness, and offset assignment.
 *
 * Requires: shapes inferred, dead nodes removed, nodes in topological order.
 * 1. Views: the output of an OPF_VIEW node (Reshape, Flatten, Squeeze, ...) shares
 *    its input's storage unless it is a graph output; such nodes emit no code.
 * 2. Liveness: every buffer the workspace holds (a node's run-time output that is
 *    not a graph output, and each node's scratch) lives from its producer to its
 *    last reader, views of it included; OPF_SCRATCH_KEEP scratch lives to the end.
 * 3. Placement: buffers in decreasing size each take the lowest 64-byte aligned
 *    offset that overlaps no buffer live at the same time (greedy by size, the
 *    usual near-optimal heuristic). The liveness lower bound — the largest sum
 *    of sizes live at one step — is recorded for reports.
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

static int cmp_buf(const void *a, const void *b)
{
	const Buf *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_off(const void *a, const void *b)
{
	const Buf *x = *(Buf *const *)a, *y = *(Buf *const *)b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Greedy placement; returns the workspace size. */
static int64_t place(Buf *bufs, uint32_t nb)
{
	qsort(bufs, nb, sizeof *bufs, cmp_buf);
	Buf **placed = malloc((nb + 1) * sizeof *placed);
	Buf **overlap = malloc((nb + 1) * sizeof *overlap);
	int64_t total = 0;
	uint32_t np = 0;
	for (uint32_t i = 0; i < nb && placed && overlap; i++) {
		Buf *b = &bufs[i];
		uint32_t no = 0;
		for (uint32_t k = 0; k < np; k++)
			if (placed[k]->start <= b->end && b->start <= placed[k]->end)
				overlap[no++] = placed[k];
		qsort(overlap, no, sizeof *overlap, cmp_off);
		int64_t off = 0;
		for (uint32_t k = 0; k < no; k++) {
			if (overlap[k]->offset >= off + b->size)
				break;
			int64_t end = align_up(overlap[k]->offset + overlap[k]->size);
			if (end > off)
				off = end;
		}
		b->offset = off;
		if (off + b->size > total)
			total = off + b->size;
		placed[np++] = b;
	}
	free(placed);
	free(overlap);
	return align_up(total);
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
		if (!needs_storage(val))
			continue;
		int64_t size = ir_storage_bytes(val);
		if (size < 0) {
			free(last);
			free(bufs);
			return diag_error(d, "value '%s' is too large", val->name);
		}
		bufs[nb++] = (Buf){size ? size : 1, val->producer,
				   last[v] == IR_NONE || last[v] < val->producer ? val->producer : last[v],
				   v, IR_NONE, 0};
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
			bufs[nb++] = (Buf){n->scratch_bytes, i, end, IR_NONE, i, 0};
	}
	g->workspace_bound = lower_bound(bufs, nb, nn);
	g->workspace_size = place(bufs, nb);
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
