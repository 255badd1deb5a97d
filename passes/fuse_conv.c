/* fuse_conv.c - turns float 2D Conv nodes into blocked FusedConv kernels, absorbing
 * a following residual Add and activation into the kernel's epilogue.
 *
 * Requires: shapes inferred, constants folded (weights are constant), BatchNorm
 * already folded into the weights. Runs only when the target has SIMD vectors or
 * asks for the portable blocked path (every target does today). The FusedConv
 * takes the slot of the last node it absorbs, so the node order stays topological
 * (its inputs, including a residual computed after the Conv, come before it).
 * Its output is marked channel-blocked; select_layout inserts the reorders.
 *
 *   before: n3 Conv(%5, %w, %b) -> %6; n4 Add(%6, %2) -> %7; n5 Relu(%7) -> %8
 *   after:  n5 FusedConv(%5, %wpacked, %bpacked, %2) -> %8 {act=relu, residual=1}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/ops/conv_blocked.h"
#include "../codegen/ops/conv_winograd.h"
#include "passes.h"

/* w's weights packed for p: written over w's own bytes when only this Conv reads w
   (uses[w] == 1) and they fit, so a big model's weights are not copied once more
   (the packing goes through a scratch arena whose pages the next Conv reuses);
   otherwise into new memory of the graph. */
static float *pack_weights(Graph *g, Arena *tmp, const BlockedConv *p, uint32_t w,
			   const int *uses, int64_t *count)
{
	Value *wv = ir_value(g, w);
	arena_reset(tmp);
	float *pw = cb_pack_weights(tmp, p, wv->data, count);
	if (!pw)
		return NULL;
	size_t bytes = (size_t)*count * sizeof(float);
	bool reuse = uses && uses[w] == 1 && bytes <= (size_t)ir_bytes(wv) &&
		     arena_owns(g->arena, wv->data);
	float *out = reuse ? wv->data : arena_alloc(g->arena, bytes);
	if (out)
		memcpy(out, pw, bytes);
	return out;
}

static int fuse_one(Graph *g, uint32_t id, const Options *opt, const int *uses, Arena *tmp,
		    Diag *d)
{
	int64_t vl = opt ? opt->vector_width : 0;
	int64_t b = vl ? vl : 8;
	BlockedConv p;
	int rc = cb_from_conv(g, ir_node(g, id), b, vl, &p, d);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	const Node *conv = ir_node(g, id);
	uint32_t x = conv->inputs[0], w = conv->inputs[1], bias = ir_in(conv, 2);
	uint32_t end = conv->outputs[0], last = id, residual = IR_NONE;
	uint32_t dead[3];
	int ndead = 0;
	const Shape ys = ir_value(g, end)->shape;
	/* residual: Add(y, r) with r of the same shape */
	uint32_t c = cb_sole_consumer(g, end);
	if (c != IR_NONE && ir_node(g, c)->op == OP_ADD && ir_node(g, c)->ninputs == 2) {
		const Node *add = ir_node(g, c);
		uint32_t r = add->inputs[0] == end ? add->inputs[1] : add->inputs[0];
		const Value *rv = ir_value(g, r);
		if (r != end && rv->dtype == DT_FLOAT && shape_equal(&rv->shape, &ys) && !rv->data) {
			residual = r;
			dead[ndead++] = last;
			last = c;
			end = add->outputs[0];
		}
	}
	/* activation */
	c = cb_sole_consumer(g, end);
	uint32_t sig;
	if (c != IR_NONE) {
		double alpha, beta;
		int act = cb_activation(g, ir_node(g, c), &alpha, &beta);
		if (act >= 0) {
			p.act = act;
			p.alpha = alpha;
			p.beta = beta;
			dead[ndead++] = last;
			last = c;
			end = ir_node(g, c)->outputs[0];
		}
	} else if ((c = cb_match_silu(g, end, &sig)) != IR_NONE) {
		p.act = ACT_SILU;
		dead[ndead++] = last;
		dead[ndead++] = sig;
		last = c;
		end = ir_node(g, c)->outputs[0];
	}
	p.residual = residual != IR_NONE;
	p.winograd = cw_choose(&p, opt ? opt->winograd : CW_AUTO);
	const Value *bv = bias != IR_NONE ? ir_value(g, bias) : NULL;
	int64_t nw, nb;
	float *pw = pack_weights(g, tmp, &p, w, uses, &nw);
	float *pb = cb_pack_bias(g->arena, &p, bv ? bv->data : NULL, &nb);
	if (!pw || !pb)
		return diag_error(d, "out of memory");
	Shape sw = {1, {nw}}, sb = {1, {nb}};
	char hint[256];
	snprintf(hint, sizeof hint, "%s_packed", ir_value(g, w)->name);
	uint32_t wp = ir_adopt_const(g, hint, DT_FLOAT, &sw, pw);
	snprintf(hint, sizeof hint, "%s_bias", ir_node(g, id)->name);
	uint32_t bp = ir_adopt_const(g, hint, DT_FLOAT, &sb, pb);
	const char *name = ir_node(g, id)->name;
	int opset = ir_node(g, id)->opset;
	for (int k = 0; k < ndead; k++)
		ir_kill_node(g, dead[k]);
	uint32_t ins[4] = {x, wp, bp, residual};
	Node *n = ir_node(g, last);
	n->op = OP_FUSEDCONV;
	n->op_type = op_name(OP_FUSEDCONV);
	n->domain = op_domain(OP_FUSEDCONV);
	n->name = name;
	n->opset = opset;
	n->ninputs = p.residual ? 4 : 3;
	n->inputs = arena_memdup(g->arena, ins, sizeof ins);
	n->noutputs = 1;
	n->outputs = arena_memdup(g->arena, &end, sizeof end);
	n->nattrs = 0;
	n->attrs = NULL;
	if (!n->inputs || !n->outputs)
		return diag_error(d, "out of memory");
	ir_value(g, end)->producer = last;
	ir_value(g, end)->layout = (int)b;
	cb_to_node(g, last, &p);
	return 0;
}

int pass_fuse_conv(Graph *g, const Options *opt, Diag *d)
{
	/* readers of each value (graph outputs count); NULL: no weight is overwritten
	   (a subgraph may read the main graph's values, and it is not counted here) */
	int *uses = g->nsubgraphs ? NULL : calloc(g->nvalues + 1, sizeof *uses);
	if (uses) {
		for (uint32_t i = 0; i < g->nnodes; i++)
			for (int k = 0; k < g->nodes[i].ninputs; k++)
				if (g->nodes[i].inputs[k] != IR_NONE)
					uses[g->nodes[i].inputs[k]]++;
		for (int k = 0; k < g->noutputs; k++)
			uses[g->outputs[k]]++;
	}
	Arena *tmp = arena_new(); /* packing scratch, reused by every Conv */
	int rc = tmp ? 0 : diag_error(d, "out of memory");
	for (uint32_t i = 0; i < g->nnodes && rc == 0; i++)
		if (ir_node(g, i)->op == OP_CONV && fuse_one(g, i, opt, uses, tmp, d) < 0)
			rc = -1;
	arena_free(tmp);
	free(uses);
	if (rc == 0)
		ir_compact(g);
	return rc;
}
