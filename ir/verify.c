/* verify.c - structural invariants of a graph, checked between passes. */
#include <stdlib.h>

#include "ir.h"

int ir_verify(Graph *g, Diag *d)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = &g->nodes[i];
		if (n->op >= OP_COUNT)
			return ir_node_error(d, g, n, "internal: bad op kind %d", (int)n->op);
		for (int j = 0; j < n->ninputs; j++)
			if (n->inputs[j] != IR_NONE && n->inputs[j] >= g->nvalues)
				return ir_node_error(d, g, n, "internal: input %d out of range", j);
		for (int j = 0; j < n->noutputs; j++) {
			uint32_t v = n->outputs[j];
			if (v == IR_NONE)
				continue;
			if (v >= g->nvalues)
				return ir_node_error(d, g, n, "internal: output %d out of range", j);
			if (g->values[v].producer != i)
				return ir_node_error(d, g, n, "output '%s' has another producer",
						     g->values[v].name);
		}
	}
	for (int j = 0; j < g->noutputs; j++)
		if (g->outputs[j] >= g->nvalues)
			return diag_error(d, "internal: graph output %d out of range", j);
	uint32_t *order = malloc((g->nnodes ? g->nnodes : 1) * sizeof *order);
	if (!order)
		return diag_error(d, "out of memory");
	int rc = ir_topo_order(g, order, d);
	free(order);
	return rc;
}
