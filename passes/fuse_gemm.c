/* fuse_gemm.c - turns float Gemm and MatMul nodes with a constant right operand
 * into FusedGemm kernels, absorbing a bias Add and an activation.
 *
 * Requires: shapes inferred, constants folded. Matches
 *   Gemm(A, B, C) [transA = 0, B constant, C absent or constant per column],
 *   MatMul(A, B) [B a constant matrix, A any rank: its rows are the M rows],
 * then an Add of a constant per-column bias (how exporters write Linear layers),
 * then an activation the epilogue implements. alpha is folded into the packed B,
 * beta into the bias. The FusedGemm takes the slot of the last node it absorbs.
 *
 *   before: n4 MatMul(%x, %w) -> %5; n5 Add(%5, %b) -> %6; n6 Relu(%6) -> %7
 *   after:  n6 FusedGemm(%x, %wpacked, %bias) -> %7 {dims=[M,K,N], act=relu}
 */
#include <stdio.h>
#include <string.h>

#include "../codegen/ops/conv_blocked.h"
#include "../codegen/ops/gemm_packed.h"
#include "passes.h"

/* Per-column bias of N columns from constant v (shape [N], [1, N], ... or a scalar),
   times scale, added into bias. False if v is not of that form. */
static bool add_bias(const Graph *g, uint32_t v, int64_t n, double scale, float *bias)
{
	const Value *c = ir_value(g, v);
	if (!c->data || c->dtype != DT_FLOAT)
		return false;
	int64_t cnt = ir_numel(c);
	if (cnt == 1) {
		for (int64_t j = 0; j < n; j++)
			bias[j] += (float)(scale * ((const float *)c->data)[0]);
		return true;
	}
	if (cnt != n || c->shape.dims[c->shape.rank - 1] != n)
		return false;
	for (int64_t j = 0; j < n; j++)
		bias[j] += (float)(scale * ((const float *)c->data)[j]);
	return true;
}

static int fuse_one(Graph *g, uint32_t id, const Options *opt, Diag *d)
{
	const Node *n = ir_node(g, id);
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1), *y = op_outv(g, n, 0);
	if (!a || !b || !y || a->dtype != DT_FLOAT || b->dtype != DT_FLOAT || !b->data ||
	    b->shape.rank != 2 || a->shape.rank < 1 || a->layout)
		return 0;
	bool gemm = n->op == OP_GEMM, trans = false;
	double alpha = 1, beta = 1;
	if (gemm) {
		if (ir_attr_int(n, "transA", 0) || a->shape.rank != 2)
			return 0;
		trans = ir_attr_int(n, "transB", 0) != 0;
		alpha = ir_attr_float(n, "alpha", 1.0);
		beta = ir_attr_float(n, "beta", 1.0);
	}
	int64_t k = b->shape.dims[trans ? 1 : 0], cols = b->shape.dims[trans ? 0 : 1];
	if (a->shape.dims[a->shape.rank - 1] != k || k == 0 || cols == 0)
		return 0;
	int64_t m = ir_numel(a) / k;
	int64_t vl = opt ? opt->vector_width : 0;
	int64_t np = (cols + gp_panel(vl) - 1) / gp_panel(vl) * gp_panel(vl);
	float *bias = arena_alloc(g->arena, (size_t)np * sizeof(float));
	if (!bias)
		return diag_error(d, "out of memory");
	if (gemm && ir_has_in(n, 2) && !add_bias(g, n->inputs[2], cols, beta, bias))
		return 0;
	uint32_t last = id, end = n->outputs[0], dead[4];
	int ndead = 0;
	uint32_t c = cb_sole_consumer(g, end);
	if (c != IR_NONE && ir_node(g, c)->op == OP_ADD && ir_node(g, c)->ninputs == 2) {
		const Node *add = ir_node(g, c);
		uint32_t other = add->inputs[0] == end ? add->inputs[1] : add->inputs[0];
		const Value *ov = ir_value(g, other), *out = op_outv(g, add, 0);
		if (other != end && ov->data && ov->shape.rank <= y->shape.rank &&
		    shape_equal(&out->shape, &y->shape) && add_bias(g, other, cols, 1.0, bias)) {
			dead[ndead++] = last;
			last = c;
			end = add->outputs[0];
		}
	}
	int act = ACT_NONE;
	double aa = 0, ab = 0;
	uint32_t sig;
	c = cb_sole_consumer(g, end);
	if (c != IR_NONE && (act = cb_activation(g, ir_node(g, c), &aa, &ab)) >= 0) {
		dead[ndead++] = last;
		last = c;
		end = ir_node(g, c)->outputs[0];
	} else if ((c = cb_match_silu(g, end, &sig)) != IR_NONE) {
		act = ACT_SILU;
		dead[ndead++] = last;
		dead[ndead++] = sig;
		last = c;
		end = ir_node(g, c)->outputs[0];
	} else {
		act = ACT_NONE;
	}
	n = ir_node(g, id);
	b = op_in(g, n, 1);
	int64_t count;
	float *packed = gp_pack(g->arena, b->data, k, cols, trans, alpha, vl, &count);
	if (!packed)
		return diag_error(d, "out of memory");
	uint32_t x = n->inputs[0];
	const char *name = n->name;
	int opset = n->opset;
	char hint[256];
	snprintf(hint, sizeof hint, "%s_packed", b->name);
	Shape ps = {1, {count}}, bs = {1, {np}};
	uint32_t wp = ir_adopt_const(g, hint, DT_FLOAT, &ps, packed);
	snprintf(hint, sizeof hint, "%s_bias", name);
	uint32_t bp = ir_adopt_const(g, hint, DT_FLOAT, &bs, bias);
	for (int i = 0; i < ndead; i++)
		ir_kill_node(g, dead[i]);
	uint32_t ins[3] = {x, wp, bp};
	Node *f = ir_node(g, last);
	f->op = OP_FUSEDGEMM;
	f->op_type = op_name(OP_FUSEDGEMM);
	f->domain = op_domain(OP_FUSEDGEMM);
	f->name = name;
	f->opset = opset;
	f->inputs = arena_memdup(g->arena, ins, sizeof ins);
	f->ninputs = 3;
	f->outputs = arena_memdup(g->arena, &end, sizeof end);
	f->noutputs = 1;
	f->nattrs = 0;
	f->attrs = NULL;
	if (!f->inputs || !f->outputs)
		return diag_error(d, "out of memory");
	ir_value(g, end)->producer = last;
	int64_t dims[3] = {m, k, cols};
	ir_set_attr_ints(g, last, "dims", dims, 3);
	ir_set_attr_int(g, last, "vl", vl);
	ir_set_attr_int(g, last, "act", act);
	ir_set_attr_float(g, last, "alpha", aa);
	ir_set_attr_float(g, last, "beta", ab);
	return 0;
}

int pass_fuse_gemm(Graph *g, const Options *opt, Diag *d)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		OpKind op = ir_node(g, i)->op;
		if ((op == OP_GEMM || op == OP_MATMUL) && fuse_one(g, i, opt, d) < 0)
			return -1;
	}
	ir_compact(g);
	return 0;
}
