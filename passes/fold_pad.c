/* fold_pad.c - folds an explicit constant Pad into the Conv or pool that reads it.
 *
 * Exporters often write Pad -> Conv or Pad -> MaxPool instead of the consumer's
 * own pads. The separate Pad costs a full copy of the tensor and, worse, keeps the
 * tensor in plain layout between two blocked kernels. The fold is exact only where
 * the consumer's implicit padding gives the same result as the explicit one:
 *
 *   Conv:        pad value 0 (Conv pads with zeros);
 *   AveragePool: pad value 0 and count_include_pad=1 (the zeros count as elements);
 *   MaxPool:     pad value -inf, or pad value v with every input >= v known from the
 *                producer (Relu, Clip with min >= v, ...) and every window keeping at
 *                least one real element (MaxPool ignores padding, the Pad's v did not).
 *
 * Only spatial pads (dims 2 and up) that are >= 0, mode constant, auto_pad NOTSET,
 * and for pools ceil_mode 0 (so the output size is the same formula). ORT 1.30's
 * optimiser folds a zero Pad into MaxPool without the range condition and then
 * gets all-negative windows wrong; this pass is the careful version of that.
 *
 *   before: n1 Relu(%0) -> %1; n2 Pad(%1, pads) -> %2; n3 MaxPool(%2) {pads 0} -> %3
 *   after:  n1 Relu(%0) -> %1; n3 MaxPool(%1) {pads 0 + Pad's} -> %3
 */
#include <math.h>
#include <string.h>

#include "../codegen/ops/conv_blocked.h"
#include "passes.h"

typedef struct PadInfo {
	int rank;
	int64_t pads[2 * CNNC_MAX_RANK]; /* ONNX order: all begins, then all ends */
	double value;
} PadInfo;

/* Reads a constant-mode Pad with constant pads and value; false otherwise. */
static bool read_pad(const Graph *g, const Node *n, PadInfo *p)
{
	const Value *x = op_in(g, n, 0);
	if (strcmp(ir_attr_str(n, "mode", "constant"), "constant") != 0 || !x ||
	    x->shape.rank < 3)
		return false;
	p->rank = x->shape.rank;
	p->value = 0;
	if (n->opset < 11) {
		const int64_t *v;
		if (ir_attr_ints(n, "pads", &v) != (size_t)(2 * p->rank))
			return false;
		memcpy(p->pads, v, (size_t)(2 * p->rank) * sizeof(int64_t));
		p->value = ir_attr_float(n, "value", 0.0);
		return true;
	}
	if (ir_has_in(n, 3)) /* axes: not worth the bookkeeping */
		return false;
	const Value *pv = ir_has_in(n, 1) ? ir_value(g, n->inputs[1]) : NULL;
	if (!pv || !pv->data || ir_numel(pv) != 2 * p->rank)
		return false;
	for (int i = 0; i < 2 * p->rank; i++)
		p->pads[i] = dtype_get_i64(pv->dtype, pv->data, i);
	if (ir_has_in(n, 2)) {
		const Value *cv = ir_value(g, n->inputs[2]);
		if (!cv->data || ir_numel(cv) != 1)
			return false;
		p->value = dtype_get_f64(cv->dtype, cv->data, 0);
	}
	return true;
}

/* A lower bound of every element of v that its producer guarantees, or -inf. */
static double lower_bound(const Graph *g, uint32_t v)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (n->op == OP_NOP || n->noutputs < 1 || n->outputs[0] != v)
			continue;
		switch (n->op) {
		case OP_RELU:
		case OP_SIGMOID:
		case OP_ABS:
		case OP_SOFTMAX:
			return 0;
		case OP_CLIP: {
			if (n->opset < 11)
				return ir_attr_float(n, "min", -INFINITY);
			const Value *m = ir_has_in(n, 1) ? ir_value(g, n->inputs[1]) : NULL;
			return m && m->data && ir_numel(m) == 1 ? dtype_get_f64(m->dtype, m->data, 0)
								: -INFINITY;
		}
		default:
			return -INFINITY;
		}
	}
	return -INFINITY;
}

/* True if every output window of a pool along each spatial dim holds at least one
   element of the unpadded input (pads are the pool's new pads). */
static bool windows_touch_input(const Value *x, const Node *pool, const int64_t *pads, int sp)
{
	const int64_t *k, *s, *dl;
	size_t nk = ir_attr_ints(pool, "kernel_shape", &k);
	size_t ns = ir_attr_ints(pool, "strides", &s);
	size_t nd = ir_attr_ints(pool, "dilations", &dl);
	if ((int)nk != sp)
		return false;
	for (int i = 0; i < sp; i++) {
		int64_t h = x->shape.dims[2 + i], st = ns == (size_t)sp ? s[i] : 1;
		int64_t di = nd == (size_t)sp ? dl[i] : 1, pb = pads[i], pe = pads[sp + i];
		int64_t ext = (k[i] - 1) * di + 1, out = (h + pb + pe - ext) / st + 1;
		for (int64_t o = 0; o < out; o++) {
			int64_t start = o * st - pb;
			bool hit = false;
			for (int64_t j = 0; j < k[i] && !hit; j++)
				hit = start + j * di >= 0 && start + j * di < h;
			if (!hit)
				return false;
		}
	}
	return true;
}

/* Folds Pad node pid into its sole consumer if that is exact; true if it did. */
static bool fold_one(Graph *g, uint32_t pid)
{
	const Node *pad = ir_node(g, pid);
	PadInfo p;
	if (pad->noutputs != 1 || !read_pad(g, pad, &p))
		return false;
	int r = p.rank, sp = r - 2;
	for (int i = 0; i < 2 * r; i++)
		if (p.pads[i] < 0 || ((i % r) < 2 && p.pads[i] != 0))
			return false;
	uint32_t cid = cb_sole_consumer(g, pad->outputs[0]);
	if (cid == IR_NONE)
		return false;
	const Node *c = ir_node(g, cid);
	if (c->inputs[0] != pad->outputs[0] ||
	    strcmp(ir_attr_str(c, "auto_pad", "NOTSET"), "NOTSET") != 0)
		return false;
	uint32_t x = pad->inputs[0];
	const Value *xv = ir_value(g, x);
	switch (c->op) {
	case OP_CONV:
		if (p.value != 0)
			return false;
		break;
	case OP_AVERAGEPOOL:
		if (p.value != 0 || !ir_attr_int(c, "count_include_pad", 0) ||
		    ir_attr_int(c, "ceil_mode", 0))
			return false;
		break;
	case OP_MAXPOOL:
		if (c->noutputs > 1 && c->outputs[1] != IR_NONE) /* indices see the padding */
			return false;
		if (ir_attr_int(c, "ceil_mode", 0) || ir_attr_int(c, "storage_order", 0))
			return false;
		if (!(isinf(p.value) && p.value < 0) && lower_bound(g, x) < p.value)
			return false;
		break;
	default:
		return false;
	}
	int64_t pads[2 * CNNC_MAX_RANK] = {0};
	const int64_t *old;
	size_t nold = ir_attr_ints(c, "pads", &old);
	if (nold && nold != (size_t)(2 * sp))
		return false;
	for (int i = 0; i < sp; i++) {
		pads[i] = (nold ? old[i] : 0) + p.pads[2 + i];
		pads[sp + i] = (nold ? old[sp + i] : 0) + p.pads[r + 2 + i];
	}
	if (c->op == OP_MAXPOOL && !(isinf(p.value) && p.value < 0) &&
	    !windows_touch_input(xv, c, pads, sp))
		return false;
	ir_set_attr_ints(g, cid, "pads", pads, (size_t)(2 * sp));
	ir_node(g, cid)->inputs[0] = x;
	ir_kill_node(g, pid);
	return true;
}

int pass_fold_pad(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	(void)d;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (ir_node(g, i)->op == OP_PAD)
			fold_one(g, i);
	ir_compact(g);
	return 0;
}
