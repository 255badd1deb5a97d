/* infer_shapes.c - element types and shapes of every value, folding constants on the way.
 *
 * Requires: an imported graph (inputs typed). Sorts the nodes topologically, then
 * visits each once: the op's infer() types its outputs, and when every input is a
 * compile-time constant the op's fold() computes them, so Shape -> Gather ->
 * Concat -> Reshape chains resolve before the Reshape needs its shape operand.
 * Leaves folded nodes in place for eliminate_dead.
 *
 * An op whose infer lowers its node into other nodes (If, Loop, sequences: see ops.h)
 * returns OP_LOWERED; the replacement nodes are appended, and the same sweep reaches
 * them. A node whose inputs are not typed yet (users of a lowered node come before its
 * replacements) waits: when a sweep has left some, the graph is compacted, re-sorted
 * and swept again, skipping what is done. A sweep that types nothing while nodes wait
 * reports the first of them. A loop unrolled one iteration per lowering thus costs one
 * sweep, not one per iteration.
 *
 *   before: n0 Shape(%0) -> %1; n1 Reshape(%0, %1) -> %2      (%1: ?)
 *   after:  %1: int64[4] const; %2: float[1,3,8,8]
 */
#include <stdio.h>

#include "../codegen/ops/ops.h"
#include "passes.h"

/* Largest constant cnnc computes at compile time, in bytes; bigger results are
   left to run time so compiling stays fast. */
#define FOLD_LIMIT ((int64_t)64 << 20)

static int check_outputs(Graph *g, const Node *n, Diag *d)
{
	for (int k = 0; k < n->noutputs; k++) {
		const Value *v = op_outv(g, n, k);
		if (!v)
			continue;
		if (!v->typed)
			return ir_node_error(d, g, n, "internal: output %d has no type after inference", k);
		if (v->vtype == VT_TENSOR && ir_bytes(v) < 0)
			return ir_node_error(d, g, n, "output '%s' is too large", v->name);
	}
	return 0;
}

/* True if n was visited before a lowering restarted the walk: its outputs are typed. */
static bool inferred(const Graph *g, const Node *n)
{
	int present = 0;
	for (int k = 0; k < n->noutputs; k++) {
		const Value *v = op_outv(g, n, k);
		if (v && !v->typed)
			return false;
		present += v != NULL;
	}
	return present > 0;
}

static int infer_node(Graph *g, uint32_t id, Diag *d)
{
	Node *n = ir_node(g, id);
	const OpDef *def = op_def(n->op);
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && !v->typed && v->vtype == VT_TENSOR)
			return ir_node_error(d, g, n, "input '%s' has no known type and shape", v->name);
	}
	if (!def->infer)
		return ir_node_error(d, g, n, "unsupported operator '%s'", n->op_type);
	int rc = def->infer(g, n, d);
	if (rc != 0)
		return rc;
	n = ir_node(g, id);
	if (check_outputs(g, n, d) < 0)
		return -1;
	bool all_done = true;
	int64_t bytes = 0;
	for (int k = 0; k < n->noutputs; k++) {
		const Value *v = op_outv(g, n, k);
		if (v) {
			all_done &= v->data != NULL;
			bytes += ir_bytes(v);
		}
	}
	if (all_done || !def->fold || !op_all_const(g, n) || bytes > FOLD_LIMIT)
		return 0;
	return def->fold(g, n, d);
}

/* True if every present input of n is typed. */
static bool ready(const Graph *g, const Node *n)
{
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && !v->typed)
			return false;
	}
	return true;
}

int pass_infer_shapes(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	if (ir_sort(g, d) < 0)
		return -1;
	bool lowered = false;
	for (;;) {
		uint32_t waiting = IR_NONE;
		bool progress = false;
		for (uint32_t i = 0; i < g->nnodes; i++) {
			const Node *n = ir_node(g, i);
			if (n->op == OP_NOP || inferred(g, n))
				continue;
			if (!ready(g, n)) {
				if (waiting == IR_NONE)
					waiting = i;
				continue;
			}
			int rc = infer_node(g, i, d);
			if (rc < 0)
				return -1;
			lowered |= rc == OP_LOWERED;
			progress = true;
		}
		if (waiting != IR_NONE && !progress)
			return infer_node(g, waiting, d) < 0 ? -1 : diag_error(d, "internal: inference stalled");
		if (lowered) {
			ir_compact(g);
			if (ir_sort(g, d) < 0)
				return -1;
		}
		if (waiting == IR_NONE)
			break;
	}
	for (int k = 0; k < g->noutputs; k++) {
		const Value *v = ir_value(g, g->outputs[k]);
		if (!v->typed)
			return diag_error(d, "graph output '%s' has no known type and shape", v->name);
	}
	return 0;
}
