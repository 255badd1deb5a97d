/* fuse_conv_pool.c - absorbs a MaxPool or AveragePool into the FusedConv whose
 * output it alone reads, so the convolution's output is never materialised: the
 * kernel computes conv rows into a ring in scratch (the pool window's height) and
 * pools each pooled row from there while it is in cache (conv_blocked.c).
 *
 * Requires: fuse_conv done (the conv is a FusedConv with its activation fused).
 * Fuses only when it is exact and pays: a 2-D float pool with dilation 1, no
 * Indices output, the conv dense (not depthwise), without a residual; and only
 * where it pays (cb_can_pool): weights small enough that the kernel already runs
 * row by row, not a 1x1 conv that runs as one long row (measured slower row by row:
 * DenseNet's transitions, DS-CNN's last conv), and a pool window shorter than the
 * conv output (a ring of every row would save nothing). The pool
 * keeps every semantic of PoolBlocked (the same taps in the same order, padding
 * never read, ceil_mode windows clipped, count_include_pad divisors), so the
 * result is bit-identical to the unfused graph. The FusedConv takes the pool's
 * slot (after every input of both), its output becomes the pool's, blocked.
 *
 *   before: n4 FusedConv(%0, %w, %b) -> %5 {act=relu}; n5 MaxPool(%5) -> %6
 *   after:  n5 FusedConv(%0, %w, %b) -> %6 {act=relu, pool=[max 3x3/2 ...]}
 */
#include <stdio.h>
#include <string.h>

#include "../codegen/ops/conv_blocked.h"
#include "../codegen/ops/pool_blocked.h"
#include "passes.h"

typedef struct Tally {
	int fused, skipped;
	int64_t saved; /* bytes of conv output no longer materialised */
} Tally;

/* The pool's window over conv output y, in q; false when it cannot be fused. */
static int pool_window(const Graph *g, const Node *pool, const Value *y, ConvPool *q, Diag *d)
{
	int kind = pb_kind(g, pool);
	const Value *py = op_outv(g, pool, 0);
	if ((kind != PB_MAX && kind != PB_AVG) || ir_out(pool, 1) != IR_NONE || !py ||
	    py->shape.rank != 4)
		return 1;
	Window w;
	if (win_read(g, pool, 2, y->shape.dims + 2, NULL, &w, d) < 0 ||
	    win_forward(g, pool, &w, ir_attr_int(pool, "ceil_mode", 0) != 0, d) < 0)
		return -1;
	if (w.d[0] != 1 || w.d[1] != 1 || w.pb[0] < 0 || w.pb[1] < 0 || w.out[0] != py->shape.dims[2] ||
	    w.out[1] != py->shape.dims[3])
		return 1;
	memset(q, 0, sizeof *q);
	q->kind = kind == PB_MAX ? CP_MAX : CP_AVG;
	q->include_pad = kind == PB_AVG && ir_attr_int(pool, "count_include_pad", 0) != 0;
	q->kh = w.k[0], q->kw = w.k[1], q->sh = w.s[0], q->sw = w.s[1];
	q->pt = w.pb[0], q->pl = w.pb[1], q->pb = w.pe[0], q->pr = w.pe[1];
	q->oh = w.out[0], q->ow = w.out[1];
	return 0;
}

static int fuse_one(Graph *g, uint32_t id, Tally *t, Diag *d)
{
	BlockedConv p;
	cb_from_node(ir_node(g, id), &p);
	if (p.pool.kind != CP_NONE)
		return 0;
	uint32_t y = ir_node(g, id)->outputs[0];
	uint32_t pid = cb_sole_consumer(g, y);
	if (pid == IR_NONE || ir_node(g, pid)->inputs[0] != y)
		return 0;
	const Node *pool = ir_node(g, pid);
	int rc = pool_window(g, pool, ir_value(g, y), &p.pool, d);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!cb_can_pool(&p)) {
		t->skipped++;
		return 0;
	}
	uint32_t out = pool->outputs[0];
	int64_t b = ir_value(g, y)->layout;
	t->fused++;
	t->saved += ir_storage_bytes(ir_value(g, y));
	Node conv = *ir_node(g, id);
	ir_kill_node(g, id);
	Node *n = ir_node(g, pid);
	*n = conv;
	n->outputs = arena_memdup(g->arena, &out, sizeof out);
	if (!n->outputs)
		return diag_error(d, "out of memory");
	Value *ov = ir_value(g, out);
	ov->producer = pid;
	ov->layout = (int)b;
	cb_to_node(g, pid, &p);
	return 0;
}

int pass_fuse_conv_pool(Graph *g, const Options *opt, Diag *d)
{
	Tally t = {0, 0, 0};
	(void)opt;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (ir_node(g, i)->op == OP_FUSEDCONV && fuse_one(g, i, &t, d) < 0)
			return -1;
	if (!t.fused && !t.skipped)
		return 0;
	ir_compact(g);
	snprintf(g->note, sizeof g->note,
		 "%d pool%s computed inside the conv before %s (%lld bytes of conv output not "
		 "materialised); %d left apart where it would not pay",
		 t.fused, t.fused == 1 ? "" : "s", t.fused == 1 ? "it" : "them", (long long)t.saved,
		 t.skipped);
	return 0;
}
