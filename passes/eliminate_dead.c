/* eliminate_dead.c - removes nodes whose results nobody needs at run time.
 *
 * Requires: shapes inferred, nodes in topological order. A node is live when one
 * of its outputs is computed at run time (not folded) and is a graph output or
 * the input of a live node. Walks the nodes backwards once.
 *
 *   before: n0 Shape(%0) -> %1 (const); n1 Relu(%0) -> %2; n2 Neg(%0) -> %3 (unused)
 *   after:  n0 Relu(%0) -> %2
 */
#include <stdlib.h>

#include "passes.h"

/* Marks the values of g that the subgraphs of n read from the enclosing scope. */
static void mark_captures(const Graph *g, const Node *n, bool *live)
{
	for (int a = 0; a < n->nattrs; a++) {
		const Attr *at = &n->attrs[a];
		size_t cnt = at->type == AT_GRAPH ? 1 : at->type == AT_GRAPHS ? at->n : 0;
		for (size_t k = 0; k < cnt; k++) {
			const Graph *sub = at->type == AT_GRAPH ? at->graph : at->graphs[k];
			/* deeper captures chain through a value of sub, so one level suffices */
			for (uint32_t v = 0; v < sub->nvalues; v++)
				if (sub->values[v].outer != IR_NONE && sub->parent == g)
					live[sub->values[v].outer] = true;
		}
	}
}

int pass_eliminate_dead(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	bool *live = calloc(g->nvalues + 1, sizeof *live);
	if (!live)
		return diag_error(d, "out of memory");
	for (int k = 0; k < g->noutputs; k++)
		live[g->outputs[k]] = true;
	for (uint32_t i = g->nnodes; i-- > 0;) {
		Node *n = ir_node(g, i);
		bool needed = false;
		for (int k = 0; k < n->noutputs; k++) {
			uint32_t v = n->outputs[k];
			if (v != IR_NONE && live[v] && !ir_value(g, v)->data)
				needed = true;
		}
		if (!needed) {
			ir_kill_node(g, i);
			continue;
		}
		for (int k = 0; k < n->ninputs; k++)
			if (n->inputs[k] != IR_NONE)
				live[n->inputs[k]] = true;
		mark_captures(g, n, live);
	}
	free(live);
	ir_compact(g);
	return 0;
}
