/* fold_batchnorm.c - folds inference BatchNormalization, and per-channel Mul/Add by
 * constants, into the weights and bias of the Conv before them.
 *
 * Requires: shapes inferred, constants folded. For y = Conv(x, W, B) read only by
 * BatchNormalization(y, scale, bias, mean, var) with constant parameters:
 *   s = scale / sqrt(var + eps);  W'[o] = W[o] * s[o];  B' = (B - mean) * s + bias.
 * Likewise Conv -> Mul(c) with c per output channel scales W and B, and Conv ->
 * Add(c) adds c to B. The Conv takes over the folded node's output, so its name
 * and every reader stay the same; the folded node becomes dead.
 *
 *   before: n0 Conv(%x, %w, %b) -> %y; n1 BatchNormalization(%y, %s, %t, %m, %v) -> %z
 *   after:  n0 Conv(%x, %w', %b') -> %z
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "passes.h"

static bool const_float(const Graph *g, uint32_t v)
{
	return v != IR_NONE && ir_value(g, v)->data && ir_value(g, v)->dtype == DT_FLOAT;
}

/* Per-channel values of constant v for m channels of a rank-r conv output:
   shapes [m], [m,1,..] or [1,m,1,..] (and a scalar). NULL if v is not one. */
static const float *per_channel(const Graph *g, uint32_t v, int64_t m, int rank, bool *scalar)
{
	const Value *c = ir_value(g, v);
	*scalar = ir_numel(c) == 1;
	if (*scalar)
		return c->data;
	if (ir_numel(c) != m || c->shape.rank > rank)
		return NULL;
	/* the channel axis is 1 of the output: right-aligned, that is index rank-1-... */
	int axis = c->shape.rank - (rank - 1);
	if (axis < 0 || c->shape.dims[axis] != m)
		return NULL;
	return c->data;
}

/* The Conv's single reader, when the Conv's output feeds nothing else. */
static uint32_t sole_reader(const Graph *g, uint32_t v)
{
	uint32_t c;
	if (ir_value(g, v)->is_output || ir_consumers(g, v, &c, 1) != 1 || ir_use_count(g, v) != 1)
		return IR_NONE;
	return c;
}

/* Replaces conv's weights/bias with scaled copies: W[o] *= s[o], B[o] = B[o]*s[o] + t[o]. */
static int rewrite(Graph *g, uint32_t conv, const float *s, const float *t, int64_t m, Diag *d)
{
	Node *n = ir_node(g, conv);
	const Value *w = ir_value(g, n->inputs[1]);
	int64_t per = ir_numel(w) / m;
	/* a weight only this Conv reads is scaled where it lies (a big model's weights
	   are not copied again); the folded value still gets its own name */
	bool inplace = g->nsubgraphs == 0 && ir_use_count(g, n->inputs[1]) == 1 &&
		       arena_owns(g->arena, w->data);
	float *nw = inplace ? w->data : arena_alloc(g->arena, (size_t)ir_numel(w) * sizeof(float));
	float *nb = arena_alloc(g->arena, (size_t)m * sizeof(float));
	if (!nw || !nb)
		return diag_error(d, "out of memory");
	const float *ow = w->data;
	const float *ob = ir_has_in(n, 2) ? ir_value(g, n->inputs[2])->data : NULL;
	for (int64_t o = 0; o < m; o++) {
		float so = s ? s[o] : 1.0f;
		for (int64_t k = 0; k < per; k++)
			nw[o * per + k] = ow[o * per + k] * so;
		nb[o] = (ob ? ob[o] : 0.0f) * so + (t ? t[o] : 0.0f);
	}
	char hint[256];
	snprintf(hint, sizeof hint, "%s_folded", w->name);
	uint32_t wid = ir_adopt_const(g, hint, DT_FLOAT, &w->shape, nw);
	Shape bs = {1, {m}};
	snprintf(hint, sizeof hint, "%s_bias_folded", ir_node(g, conv)->name);
	uint32_t bid = ir_adopt_const(g, hint, DT_FLOAT, &bs, nb);
	n = ir_node(g, conv);
	uint32_t ins[3] = {n->inputs[0], wid, bid};
	n->inputs = arena_memdup(g->arena, ins, sizeof ins);
	n->ninputs = 3;
	return n->inputs ? 0 : diag_error(d, "out of memory");
}

/* Makes the Conv write `out` (the folded node's output) and kills the folded node.
   The Conv's old output is left with no producer, so the planner gives it no room. */
static void take_output(Graph *g, uint32_t conv, uint32_t folded)
{
	uint32_t out = ir_node(g, folded)->outputs[0];
	ir_kill_node(g, folded);
	ir_value(g, ir_node(g, conv)->outputs[0])->producer = IR_NONE;
	ir_node(g, conv)->outputs[0] = out;
	ir_value(g, out)->producer = conv;
}

static int fold_one(Graph *g, uint32_t id, Diag *d)
{
	for (;;) {
		const Node *n = ir_node(g, id);
		const Value *y = ir_value(g, n->outputs[0]);
		int64_t m = y->shape.dims[1];
		if (!const_float(g, n->inputs[1]) || (ir_has_in(n, 2) && !const_float(g, n->inputs[2])))
			return 0;
		uint32_t r = sole_reader(g, n->outputs[0]);
		if (r == IR_NONE)
			return 0;
		const Node *f = ir_node(g, r);
		if (f->op == OP_BATCHNORMALIZATION && f->noutputs >= 1 &&
		    (f->noutputs == 1 || ir_out(f, 1) == IR_NONE) && f->inputs[0] == n->outputs[0] &&
		    ir_attr_int(f, "training_mode", 0) == 0) {
			for (int k = 1; k < 5; k++)
				if (!const_float(g, ir_in(f, k)) || ir_numel(ir_value(g, f->inputs[k])) != m)
					return 0;
			double eps = ir_attr_float(f, "epsilon", 1e-5);
			const float *sc = ir_value(g, f->inputs[1])->data, *bi = ir_value(g, f->inputs[2])->data;
			const float *mu = ir_value(g, f->inputs[3])->data, *va = ir_value(g, f->inputs[4])->data;
			float *s = malloc((size_t)m * 2 * sizeof(float));
			if (!s)
				return diag_error(d, "out of memory");
			float *t = s + m;
			for (int64_t o = 0; o < m; o++) {
				s[o] = (float)(sc[o] / sqrt((double)va[o] + eps));
				t[o] = bi[o] - mu[o] * s[o];
			}
			int rc = rewrite(g, id, s, t, m, d);
			free(s);
			if (rc < 0)
				return -1;
			take_output(g, id, r);
			continue;
		}
		if ((f->op == OP_MUL || f->op == OP_ADD) && f->ninputs == 2) {
			uint32_t other = f->inputs[0] == n->outputs[0] ? f->inputs[1] : f->inputs[0];
			bool scalar;
			const float *c = const_float(g, other)
						 ? per_channel(g, other, m, y->shape.rank, &scalar)
						 : NULL;
			if (!c || !shape_equal(&ir_value(g, f->outputs[0])->shape, &y->shape))
				return 0;
			float *v = malloc((size_t)m * sizeof(float));
			if (!v)
				return diag_error(d, "out of memory");
			for (int64_t o = 0; o < m; o++)
				v[o] = scalar ? c[0] : c[o];
			int rc = f->op == OP_MUL ? rewrite(g, id, v, NULL, m, d) : rewrite(g, id, NULL, v, m, d);
			free(v);
			if (rc < 0)
				return -1;
			take_output(g, id, r);
			continue;
		}
		return 0;
	}
}

int pass_fold_batchnorm(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (n->op != OP_CONV || n->noutputs != 1 || n->ninputs < 2)
			continue;
		const Value *y = ir_value(g, n->outputs[0]);
		if (y->dtype != DT_FLOAT || y->shape.rank < 3 || fold_one(g, i, d) < 0)
			if (d->nerrors)
				return -1;
	}
	ir_compact(g);
	return 0;
}
