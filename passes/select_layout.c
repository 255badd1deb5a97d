/* select_layout.c - decides which tensors live channel-blocked (NCHWc) and inserts
 * Reorder nodes where blocked and plain code meet.
 *
 * Requires: fuse_conv done (FusedConv outputs are already marked blocked). Walks
 * the nodes in order. FusedConv wants its input and residual blocked (or plain for
 * a first layer with few channels). Elementwise ops run blocked when their first
 * input is blocked, every other input has the same shape or is a scalar, and the
 * channel count is a multiple of the block (so the padded layout has no extra
 * lanes and the op's ordinary flat loop is correct). Every other op gets plain
 * inputs. Graph outputs are always plain. One Reorder per value and direction is
 * shared by all its readers. Graph outputs are made plain after the walk, which may
 * have made any of them blocked.
 *
 *   before: n0 FusedConv(%0,..) -> %1 [blocked]; n1 Relu(%1) -> %2; n2 Softmax(%2) -> %3
 *   after:  n0 FusedConv(%0,..) -> %1 [b16]; n1 Relu(%1) -> %2 [b16];
 *           n2 Reorder(%2) -> %4; n3 Softmax(%4) -> %3
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../codegen/ops/pool_blocked.h"
#include "passes.h"

typedef struct Cache {
	uint32_t *to_plain, *to_blocked; /* per value: its reordered twin, or IR_NONE */
	uint32_t cap;
} Cache;

static bool elementwise(OpKind op)
{
	switch (op) {
	case OP_RELU: case OP_NEG: case OP_ABS: case OP_SQRT: case OP_EXP: case OP_LOG:
	case OP_RECIPROCAL: case OP_SIGMOID: case OP_TANH: case OP_LEAKYRELU: case OP_ELU:
	case OP_HARDSIGMOID: case OP_HARDSWISH: case OP_IDENTITY: case OP_ADD: case OP_SUB:
	case OP_MUL: case OP_DIV: case OP_MAX: case OP_MIN: case OP_SUM: case OP_MEAN:
		return true;
	default:
		return false;
	}
}

/* Returns the id of v in layout `want` (0 plain, b blocked), adding a Reorder
   before node `before` the first time. New nodes are appended; the caller sorts. */
static uint32_t in_layout(Graph *g, Cache *c, uint32_t v, int want)
{
	const Value *val = ir_value(g, v);
	if (val->layout == want || val->data)
		return v;
	uint32_t *slot = want ? &c->to_blocked[v] : &c->to_plain[v];
	if (*slot != IR_NONE)
		return *slot;
	char hint[256];
	snprintf(hint, sizeof hint, "%s_%s", val->name, want ? "blocked" : "plain");
	uint32_t t = ir_add_temp(g, hint);
	val = ir_value(g, v);
	Value *tv = ir_value(g, t);
	tv->dtype = val->dtype;
	tv->shape = val->shape;
	tv->typed = true;
	tv->layout = want;
	uint32_t id = ir_add_node(g, OP_REORDER, hint, &v, 1, &t, 1);
	ir_set_attr_int(g, id, "block", want);
	*slot = t;
	return t;
}

static bool can_run_blocked(const Graph *g, const Node *n, int b)
{
	if (!elementwise(n->op) || n->ninputs < 1 || n->noutputs != 1)
		return false;
	const Value *x = op_in(g, n, 0);
	if (!x || x->layout != b || x->dtype != DT_FLOAT || x->shape.rank < 3 ||
	    x->shape.dims[1] % b != 0)
		return false;
	for (int k = 1; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (!v || (!shape_equal(&v->shape, &x->shape) && ir_numel(v) != 1))
			return false;
	}
	return shape_equal(&op_outv(g, n, 0)->shape, &x->shape);
}

/* Per-channel operand of x: [N or 1, C, 1, 1] or [C, 1, 1]. */
static bool per_channel(const Value *s, const Value *x)
{
	int r = s->shape.rank;
	if (s->dtype != DT_FLOAT || (r != 4 && r != 3))
		return false;
	if (r == 4 && s->shape.dims[0] != 1 && s->shape.dims[0] != x->shape.dims[0])
		return false;
	return s->shape.dims[r - 3] == x->shape.dims[1] && s->shape.dims[r - 2] == 1 &&
	       s->shape.dims[r - 1] == 1;
}

/* Rewrites n into a blocked-only op when it can run on blocked input 0 (or 1);
   returns true if it did. */
static bool rewrite_blocked(Graph *g, uint32_t id, int b)
{
	Node *n = ir_node(g, id);
	const Value *x = op_in(g, n, 0);
	int kind = pb_kind(g, n);
	if (kind >= 0 && x->layout == b) {
		n->op = OP_POOLBLOCKED;
		n->op_type = op_name(OP_POOLBLOCKED);
		n->domain = op_domain(OP_POOLBLOCKED);
		n->noutputs = 1;
		ir_set_attr_int(g, id, "kind", kind);
		return true;
	}
	if ((n->op == OP_ADD || n->op == OP_SUB || n->op == OP_MUL || n->op == OP_DIV) &&
	    n->ninputs == 2) {
		const Value *a = op_in(g, n, 0), *s = op_in(g, n, 1);
		bool commutes = n->op == OP_ADD || n->op == OP_MUL;
		if (commutes && s->layout == b && !(a->layout == b && a->shape.rank == 4)) {
			uint32_t t = n->inputs[0];
			n->inputs[0] = n->inputs[1];
			n->inputs[1] = t;
			a = op_in(g, n, 0);
			s = op_in(g, n, 1);
		}
		if (a->layout != b || a->dtype != DT_FLOAT || a->shape.rank != 4 ||
		    a->shape.dims[1] % b != 0 || !per_channel(s, a) ||
		    !shape_equal(&op_outv(g, n, 0)->shape, &a->shape))
			return false;
		int op = n->op == OP_ADD ? CB_ADD : n->op == OP_SUB ? CB_SUB : n->op == OP_MUL ? CB_MUL : CB_DIV;
		n->op = OP_CHANNELBINARY;
		n->op_type = op_name(OP_CHANNELBINARY);
		n->domain = op_domain(OP_CHANNELBINARY);
		ir_set_attr_int(g, id, "op", op);
		return true;
	}
	if (n->op == OP_CONCAT && ir_attr_int(n, "axis", 0) % 4 == 1 && x->shape.rank == 4 &&
	    x->dtype == DT_FLOAT) {
		for (int k = 0; k < n->ninputs; k++) {
			const Value *v = op_in(g, n, k);
			if (!v || v->layout != b || v->shape.dims[1] % b != 0)
				return false;
		}
		n->op = OP_CONCATBLOCKED;
		n->op_type = op_name(OP_CONCATBLOCKED);
		n->domain = op_domain(OP_CONCATBLOCKED);
		return true;
	}
	return false;
}

/* Makes graph outputs plain: the producer writes a blocked twin, a Reorder the output. */
static void plain_outputs(Graph *g)
{
	for (int k = 0; k < g->noutputs; k++) {
		uint32_t v = g->outputs[k];
		Value *val = ir_value(g, v);
		if (!val->layout || val->producer == IR_NONE)
			continue;
		uint32_t t = ir_add_temp(g, val->name);
		val = ir_value(g, v);
		Value *tv = ir_value(g, t);
		*tv = *val;
		tv->name = ir_value(g, t)->name;
		tv->is_output = false;
		Node *p = ir_node(g, val->producer);
		for (int j = 0; j < p->noutputs; j++)
			if (p->outputs[j] == v)
				p->outputs[j] = t;
		/* readers of v inside the graph read the blocked twin */
		for (uint32_t i = 0; i < g->nnodes; i++) {
			Node *n = ir_node(g, i);
			for (int j = 0; j < n->ninputs; j++)
				if (n->inputs[j] == v)
					n->inputs[j] = t;
		}
		val->layout = 0;
		uint32_t id = ir_add_node(g, OP_REORDER, val->name, &t, 1, &v, 1);
		ir_set_attr_int(g, id, "block", 0);
	}
}

/* Channels-last int8 activations between integer convolutions: a QConvGemm conv's
   output (4-D, batch 1, 8-bit, not a graph output) whose every reader is a QConvGemm
   conv or a whole-map quantized average pool reading it as x becomes LAYOUT_NHWC. The kernels transpose at the boundaries
   (an NCHW input into their channels-last plane, an NCHW output from their tiles), so
   no Reorder is needed. */
static bool qconv_node(const Node *n)
{
	return n->op == OP_QCONVGEMM && ir_attr_int(n, "conv", 0);
}

/* A QLinearAveragePool or QLinearGlobalAveragePool whose one window is the whole map of
   its 4-D input (DS-CNN's pool): its kernel sums each channel over the pixels in the
   same order in either layout, so it reads a channels-last x too. */
static bool global_qpool(const Graph *g, const Node *n)
{
	if (n->op == OP_QLINEARGLOBALAVERAGEPOOL)
		return !ir_attr_int(n, "channels_last", 0);
	if (n->op != OP_QLINEARAVERAGEPOOL || ir_attr_int(n, "channels_last", 0))
		return false;
	const Value *x = ir_value(g, n->inputs[0]), *y = ir_value(g, n->outputs[0]);
	const int64_t *k, *p;
	size_t nk = ir_attr_ints(n, "kernel_shape", &k), np = ir_attr_ints(n, "pads", &p);
	if (x->shape.rank != 4 || nk != 2 || y->shape.dims[2] != 1 || y->shape.dims[3] != 1 ||
	    k[0] != x->shape.dims[2] || k[1] != x->shape.dims[3])
		return false;
	for (size_t i = 0; i < np; i++)
		if (p[i])
			return false;
	return true;
}

static void select_nhwc(Graph *g)
{
	uint32_t cons[64];
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (!qconv_node(n) || n->noutputs != 1)
			continue;
		Value *y = ir_value(g, n->outputs[0]);
		if (y->is_output || y->shape.rank != 4 || y->shape.dims[0] != 1 || y->layout ||
		    (y->dtype != DT_INT8 && y->dtype != DT_UINT8))
			continue;
		int nc = ir_consumers(g, n->outputs[0], cons, 64);
		bool ok = nc > 0 && nc <= 64;
		for (int k = 0; ok && k < nc; k++) {
			const Node *r = ir_node(g, cons[k]);
			ok = (qconv_node(r) || global_qpool(g, r)) && r->inputs[0] == n->outputs[0];
			for (int j = 1; ok && j < r->ninputs; j++)
				ok = r->inputs[j] != n->outputs[0];
		}
		if (ok)
			y->layout = LAYOUT_NHWC;
	}
}

int pass_select_layout(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	Cache c;
	c.cap = g->nvalues * 3 + 16; /* reorders add values as we go */
	c.to_plain = malloc(c.cap * sizeof(uint32_t));
	c.to_blocked = malloc(c.cap * sizeof(uint32_t));
	if (!c.to_plain || !c.to_blocked) {
		free(c.to_plain);
		free(c.to_blocked);
		return diag_error(d, "out of memory");
	}
	memset(c.to_plain, 0xff, c.cap * sizeof(uint32_t));
	memset(c.to_blocked, 0xff, c.cap * sizeof(uint32_t));
	select_nhwc(g);
	uint32_t nn = g->nnodes;
	for (uint32_t i = 0; i < nn && g->nvalues + 4 < c.cap; i++) {
		Node *n = ir_node(g, i);
		if (n->op == OP_REORDER || n->op == OP_QCONVGEMM)
			continue; /* QConvGemm: 8-bit, plain or LAYOUT_NHWC, never blocked */
		if (global_qpool(g, n) && op_in(g, n, 0)->layout == LAYOUT_NHWC)
			continue; /* select_nhwc chose it; the pool's output stays plain */
		if (n->op == OP_FUSEDCONV) {
			int b = ir_value(g, n->outputs[0])->layout;
			bool plain = ir_attr_int(n, "plain_input", 0) != 0;
			uint32_t x = in_layout(g, &c, n->inputs[0], plain ? 0 : b);
			n = ir_node(g, i);
			n->inputs[0] = x;
			if (ir_has_in(n, 3)) {
				uint32_t r = in_layout(g, &c, n->inputs[3], b);
				ir_node(g, i)->inputs[3] = r;
			}
			continue;
		}
		const Value *x0 = op_in(g, n, 0);
		int b = x0 ? x0->layout : 0;
		if (!b && n->ninputs == 2 && ir_has_in(n, 1))
			b = ir_value(g, n->inputs[1])->layout; /* per-channel op written s * x */
		if (b && rewrite_blocked(g, i, b)) {
			ir_value(g, ir_node(g, i)->outputs[0])->layout = b;
			continue;
		}
		if (b && can_run_blocked(g, n, b)) {
			for (int k = 1; k < n->ninputs; k++) {
				uint32_t v = n->inputs[k];
				if (ir_numel(ir_value(g, v)) != 1) {
					uint32_t t = in_layout(g, &c, v, b);
					ir_node(g, i)->inputs[k] = t;
				}
			}
			ir_value(g, ir_node(g, i)->outputs[0])->layout = b;
			continue;
		}
		for (int k = 0; k < n->ninputs; k++) {
			uint32_t v = ir_node(g, i)->inputs[k];
			if (v == IR_NONE || !ir_value(g, v)->layout)
				continue;
			uint32_t t = in_layout(g, &c, v, 0);
			ir_node(g, i)->inputs[k] = t;
		}
	}
	int rc = g->nvalues + 4 < c.cap ? 0 : diag_error(d, "internal: layout cache overflow");
	/* after the walk: it may also have made a graph output blocked (a pool or an
	   elementwise op after a convolution) */
	plain_outputs(g);
	free(c.to_plain);
	free(c.to_blocked);
	return rc < 0 ? -1 : ir_sort(g, d);
}
