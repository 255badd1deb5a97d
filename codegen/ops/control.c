/* control.c - If, Loop and Scan, lowered into the enclosing graph at compile time.
 *
 * Shapes are static and generated code has no heap, so nothing here runs a body at run
 * time. If with a constant condition becomes its taken branch; with a run-time
 * condition both branches are inlined and an IfSelect kernel copies one branch's
 * results into the outputs, which therefore must have the same types and shapes (when
 * they differ, the condition determines a shape and must be fixed at compile time).
 * Loop is unrolled one iteration at a time: each step inlines the body and leaves a
 * LoopRest node for the remaining iterations, which is lowered once the step's
 * condition has been inferred (and folded), so the trip count and condition must be
 * compile-time constants — except that a run-time condition with a constant trip count
 * is masked (every iteration runs, results kept while the condition holds) when the
 * shapes allow it. Scan's iteration count is a static dim, so it is unrolled in one go.
 * Scan outputs are the per-iteration values stacked by a SeqConcat kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void *must(void *p)
{
	if (!p)
		abort();
	return p;
}

/* The graph of attribute name, or NULL with a diagnostic. */
static Graph *body_of(const Graph *g, const Node *n, const char *name, Diag *d)
{
	const Attr *a = ir_attr(n, name);
	if (!a || a->type != AT_GRAPH || !a->graph) {
		ir_node_error(d, g, n, "attribute '%s' (a graph) is missing", name);
		return NULL;
	}
	return a->graph;
}

/* Reads a boolean scalar constant input k (-1 with a diagnostic when not constant). */
static int const_bool(Graph *g, const Node *n, int k, bool *out, Diag *d)
{
	if (op_require_const(g, n, k, d) < 0)
		return -1;
	const Value *v = op_in(g, n, k);
	if (ir_numel(v) != 1 || v->vtype != VT_TENSOR)
		return ir_node_error(d, g, n, "condition '%s' must hold one element", v->name);
	*out = dtype_get_f64(v->dtype, v->data, 0) != 0;
	return 0;
}

/* ------------------------------------------------------------ Pass */

/* A copy of any kind of value. Tensors (and optionals read from graph inputs) are
   copied by the kernel, or not at all once planned as a view; sequences and optionals
   built in the graph are rebuilt from their parts, so later lowering sees them. */
static int pass_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	const Value *x = op_in(g, n, 0);
	if (!x || !x->typed || n->noutputs != 1)
		return ir_node_error(d, g, n, "internal: bad pass node");
	const Node *p = x->producer != IR_NONE ? ir_node(g, x->producer) : NULL;
	uint32_t src = n->inputs[0], out = n->outputs[0];
	if (x->vtype == VT_SEQUENCE && !x->data) {
		uint32_t *el;
		int cnt;
		DType dt = x->dtype;
		if (ctl_seq_elems(g, ni, src, &el, &cnt, d) < 0)
			return -1;
		ir_kill_node(g, ni);
		uint32_t id = ctl_node(g, OP_SEQUENCE_CONSTRUCT, ir_node(g, ni)->name, "seq", 0, el, cnt,
				       &out, 1);
		ctl_set_int(g, id, "dtype", dt);
		free(el);
		return OP_LOWERED;
	}
	if (x->vtype == VT_OPTIONAL && p && p->op == OP_OPTIONAL) {
		uint32_t in = ir_in(p, 0);
		const Attr *ty = ir_attr(p, "type");
		Attr copy = ty ? *ty : (Attr){0};
		ir_kill_node(g, ni);
		uint32_t id = ctl_node(g, OP_OPTIONAL, ir_node(g, ni)->name, "opt", 0, &in,
				       in == IR_NONE ? 0 : 1, &out, 1);
		if (ty)
			ctl_set_attr(g, id, &copy);
		return OP_LOWERED;
	}
	ctl_copy_type(op_outv(g, n, 0), x);
	return 0;
}

static int pass_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	int64_t b = ir_bytes(x);
	if (b > 0)
		memcpy(y, x->data, (size_t)b);
	return 0;
}

static int pass_emit(Emit *e)
{
	int64_t b = ir_bytes(op_in(e->g, e->n, 0));
	if (b > 0)
		out_line(e->o, "if ((const void *)y0 != (const void *)x0) memcpy(y0, x0, %lld);",
			 (long long)b);
	return 0;
}

const OpDef opdef_CTL_PASS = {pass_infer, pass_fold, pass_emit, NULL, OPF_VIEW};

/* ------------------------------------------------------------ If */

static int if_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	Graph *then_g = body_of(g, n, "then_branch", d);
	Graph *else_g = then_g ? body_of(g, n, "else_branch", d) : NULL;
	if (!else_g)
		return -1;
	int m = n->noutputs;
	if (then_g->noutputs != m || else_g->noutputs != m || then_g->ninputs || else_g->ninputs)
		return ir_node_error(d, g, n, "branches have %d and %d outputs, expected %d each",
				     then_g->noutputs, else_g->noutputs, m);
	const Value *c = op_in(g, n, 0);
	if (c->vtype != VT_TENSOR || ir_numel(c) != 1)
		return ir_node_error(d, g, n, "condition '%s' must be a tensor of one element", c->name);
	uint32_t *outs = must(calloc((size_t)m + 1, sizeof *outs));
	uint32_t *both = must(calloc(2 * (size_t)m + 2, sizeof *both));
	const char *name = ctl_name(g, ni);
	int rc = -1;
	if (c->data) {
		bool cond = dtype_get_f64(c->dtype, c->data, 0) != 0;
		if (ctl_inline(g, ni, cond ? then_g : else_g, NULL, outs,
			       arena_printf(g->arena, "%s/%s_", name, cond ? "then" : "else"), d) < 0)
			goto out;
		for (int k = 0; k < m; k++)
			if (ir_out(ir_node(g, ni), k) != IR_NONE)
				ctl_forward(g, ni, outs[k], ir_node(g, ni)->outputs[k]);
	} else {
		both[0] = ir_node(g, ni)->inputs[0];
		if (ctl_inline(g, ni, then_g, NULL, both + 1, arena_printf(g->arena, "%s/then_", name),
			       d) < 0 ||
		    ctl_inline(g, ni, else_g, NULL, both + 1 + m,
			       arena_printf(g->arena, "%s/else_", name), d) < 0)
			goto out;
		n = ir_node(g, ni);
		uint32_t *o = must(arena_memdup(g->arena, n->outputs, ((size_t)m + 1) * sizeof *o));
		for (int k = 0; k < m; k++)
			if (o[k] == IR_NONE)
				o[k] = ctl_temp(g, "unused");
		ctl_node(g, OP_IF_SELECT, name, "select", n->opset, both, 1 + 2 * m, o, m);
	}
	ir_kill_node(g, ni);
	rc = OP_LOWERED;
out:
	free(outs);
	free(both);
	return rc;
}

const OpDef opdef_IF = {if_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ IfSelect */

/* IfSelect(cond, then_0..then_m-1, else_0..else_m-1): output k is then_k or else_k.
   Pairs of sequences or optionals are split into one select per tensor. */
static int select_split(Graph *g, uint32_t ni, Diag *d)
{
	const Node *n = ir_node(g, ni);
	int m = n->noutputs;
	uint32_t cond = n->inputs[0];
	const char *name = ctl_name(g, ni);
	uint32_t *outs = must(arena_memdup(g->arena, n->outputs, ((size_t)m + 1) * sizeof *outs));
	uint32_t *ins = must(arena_memdup(g->arena, n->inputs, ((size_t)n->ninputs + 1) * sizeof *ins));
	int opset = n->opset;
	ir_kill_node(g, ni);
	for (int k = 0; k < m; k++) {
		uint32_t a = ins[1 + k], b = ins[1 + m + k];
		const Value *va = ir_value(g, a);
		if (va->vtype == VT_TENSOR) {
			uint32_t in3[3] = {cond, a, b};
			ctl_node(g, OP_IF_SELECT, name, "select", opset, in3, 3, &outs[k], 1);
			continue;
		}
		if (va->vtype == VT_OPTIONAL) {
			if (va->none) {
				uint32_t id = ctl_node(g, OP_OPTIONAL, name, "none", opset, NULL, 0, &outs[k], 1);
				ctl_set_int(g, id, "cnnc_dtype", va->dtype);
				continue;
			}
			/* select the elements, then wrap */
			uint32_t ea = ctl_temp(g, "then_elem"), eb = ctl_temp(g, "else_elem");
			uint32_t sel = ctl_temp(g, "sel");
			ctl_node(g, OP_OPTIONAL_GET_ELEMENT, name, "then_get", opset, &a, 1, &ea, 1);
			ctl_node(g, OP_OPTIONAL_GET_ELEMENT, name, "else_get", opset, &b, 1, &eb, 1);
			uint32_t in3[3] = {cond, ea, eb};
			ctl_node(g, OP_IF_SELECT, name, "select", opset, in3, 3, &sel, 1);
			ctl_node(g, OP_OPTIONAL, name, "wrap", opset, &sel, 1, &outs[k], 1);
			continue;
		}
		uint32_t *ea, *eb;
		int na, nb;
		if (ctl_seq_elems(g, ni, a, &ea, &na, d) < 0)
			return -1;
		if (ctl_seq_elems(g, ni, b, &eb, &nb, d) < 0) {
			free(ea);
			return -1;
		}
		DType dt = ir_value(g, a)->dtype;
		uint32_t *sel = must(calloc((size_t)na + 1, sizeof *sel));
		for (int i = 0; i < na; i++) {
			uint32_t in3[3] = {cond, ea[i], eb[i]};
			sel[i] = ctl_temp(g, "sel");
			ctl_node(g, OP_IF_SELECT, name, "select", opset, in3, 3, &sel[i], 1);
		}
		uint32_t id = ctl_node(g, OP_SEQUENCE_CONSTRUCT, name, "seq", opset, sel, na, &outs[k], 1);
		ctl_set_int(g, id, "dtype", dt);
		free(sel);
		free(ea);
		free(eb);
	}
	return OP_LOWERED;
}

static int select_infer(Graph *g, Node *n, Diag *d)
{
	int m = n->noutputs;
	if (n->ninputs != 1 + 2 * m)
		return ir_node_error(d, g, n, "internal: bad select node");
	bool split = false;
	for (int k = 0; k < m; k++) {
		const Value *a = op_in(g, n, 1 + k), *b = op_in(g, n, 1 + m + k);
		if (!a || !b || !a->typed || !b->typed)
			return ir_node_error(d, g, n, "branch output %d has no known type", k);
		if (!ctl_same_type(a, b)) {
			if (op_require_const(g, n, 0, d) < 0)
				return ir_node_error(d, g, n, "the branches give output %d different types "
						     "or shapes ('%s' and '%s'), so the condition must "
						     "be known at compile time", k, a->name, b->name);
			return ir_node_error(d, g, n, "internal: constant condition reached select");
		}
		split |= a->vtype != VT_TENSOR;
	}
	if (split)
		return select_split(g, ctl_id(g, n), d);
	for (int k = 0; k < m; k++)
		ctl_copy_type(op_outv(g, n, k), op_in(g, n, 1 + k));
	return 0;
}

static int select_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *c = op_in(g, n, 0);
	int m = n->noutputs;
	bool cond = dtype_get_f64(c->dtype, c->data, 0) != 0;
	for (int k = 0; k < m; k++) {
		const Value *x = op_in(g, n, cond ? 1 + k : 1 + m + k);
		void *y = op_alloc_const(g, n, k);
		int64_t b = ir_bytes(x);
		if (y && b > 0)
			memcpy(y, x->data, (size_t)b);
	}
	return 0;
}

static int select_emit(Emit *e)
{
	int m = e->n->noutputs;
	out_line(e->o, "if (x0[0]) {");
	for (int side = 0; side < 2; side++) {
		if (side)
			out_line(e->o, "} else {");
		for (int k = 0; k < m; k++) {
			int64_t b = ir_bytes(op_outv(e->g, e->n, k));
			if (b > 0 && e->out[k])
				out_line(e->o, "memcpy(y%d, x%d, %lld);", k, side ? 1 + m + k : 1 + k,
					 (long long)b);
		}
	}
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_IF_SELECT = {select_infer, select_fold, select_emit, NULL, 0};

/* ------------------------------------------------------------ Loop */

/* Loop(M, cond, v_0..v_N-1) and its continuation LoopRest(M, cond, v..., s_0..): the
   scan output values of the iterations done so far follow the loop-carried values, `iter`
   (the attribute: the number of the next iteration) of them per scan output, so the
   continuation's inputs grow by one per scan output and iteration and nothing else is
   kept. */
static int loop_finish(Graph *g, uint32_t ni, int nv, int nk, int64_t iter, Diag *d)
{
	const Node *n = ir_node(g, ni);
	uint32_t *ins = must(arena_memdup(g->arena, n->inputs, ((size_t)n->ninputs + 1) * sizeof *ins));
	uint32_t *outs = must(arena_memdup(g->arena, n->outputs, ((size_t)n->noutputs + 1) * sizeof *outs));
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	for (int k = 0; k < nk; k++)
		if (outs[nv + k] != IR_NONE && iter == 0)
			return ir_node_error(d, g, ir_node(g, ni), "the loop runs no iteration, so its "
					     "scan output '%s' has no known shape",
					     ir_value(g, outs[nv + k])->name);
	ir_kill_node(g, ni);
	for (int k = 0; k < nv; k++)
		if (outs[k] != IR_NONE)
			ctl_forward(g, ni, ins[2 + k], outs[k]);
	for (int k = 0; k < nk; k++) {
		if (outs[nv + k] == IR_NONE)
			continue;
		uint32_t id = ctl_node(g, OP_SEQ_CONCAT, name, "stack", opset,
				       ins + 2 + nv + (size_t)k * (size_t)iter, (int)iter, &outs[nv + k], 1);
		ctl_set_int(g, id, "axis", 0);
		ctl_set_int(g, id, "new_axis", 1);
	}
	return OP_LOWERED;
}

/* Inlines iteration `iter` of node ni and replaces ni by the continuation. */
static int loop_step(Graph *g, uint32_t ni, Graph *body, int nv, int nk, int64_t iter, Diag *d)
{
	const Node *n = ir_node(g, ni);
	const char *name = ctl_name(g, ni);
	bool rest = n->op == OP_LOOP_REST, has_m = ir_has_in(n, 0), has_c = ir_has_in(n, 1);
	size_t nnext = 2 + (size_t)nv + (size_t)nk * (size_t)(iter + 1);
	uint32_t *ins = must(calloc((size_t)body->ninputs + 1, sizeof *ins));
	uint32_t *outs = must(calloc((size_t)body->noutputs + 1, sizeof *outs));
	uint32_t *next = must(calloc(nnext + 1, sizeof *next));
	uint32_t *old = must(arena_memdup(g->arena, n->inputs, ((size_t)n->ninputs + 1) * sizeof *old));
	int rc = -1;
	ins[0] = ctl_const_i64(g, "iter", iter);
	if (has_c) {
		ins[1] = old[1];
	} else {
		uint8_t t = 1;
		Shape sc = {0, {0}};
		ins[1] = ir_add_const(g, "cond", DT_BOOL, &sc, &t);
	}
	for (int k = 0; k < nv; k++)
		ins[2 + k] = old[2 + k];
	if (ctl_inline(g, ni, body, ins, outs, arena_printf(g->arena, "%s/i%lld_", name,
							     (long long)iter), d) < 0)
		goto out;
	next[0] = has_m ? old[0] : IR_NONE;
	next[1] = has_c ? outs[0] : IR_NONE; /* without a cond input the body's is ignored */
	for (int k = 0; k < nv; k++)
		next[2 + k] = outs[1 + k];
	for (int k = 0; k < nk; k++) {
		uint32_t *dst = next + 2 + nv + (size_t)k * (size_t)(iter + 1);
		if (rest && iter)
			memcpy(dst, old + 2 + nv + (size_t)k * (size_t)iter, (size_t)iter * sizeof *dst);
		dst[iter] = outs[1 + nv + k];
	}
	n = ir_node(g, ni);
	uint32_t *o = must(arena_memdup(g->arena, n->outputs, ((size_t)n->noutputs + 1) * sizeof *o));
	int nout = n->noutputs, opset = n->opset;
	Attr battr = *ir_attr(n, "body");
	ir_kill_node(g, ni);
	/* the continuation keeps one name, however many iterations are peeled off */
	uint32_t id = rest ? ir_add_node(g, OP_LOOP_REST, name, next, (int)nnext, o, nout)
			   : ctl_node(g, OP_LOOP_REST, name, "rest", opset, next, (int)nnext, o, nout);
	ir_node(g, id)->opset = opset;
	ctl_set_attr(g, id, &battr);
	ctl_set_int(g, id, "iter", iter + 1);
	rc = OP_LOWERED;
out:
	free(ins);
	free(outs);
	free(next);
	return rc;
}

/* A loop with a constant trip count, a run-time condition, no scan outputs and tensor
   loop-carried values can run every iteration with the results of those after the
   condition turned false discarded: its shape does not depend on the condition. */
static bool masked_ok(const Graph *g, const Node *n, int nk)
{
	if (nk || !ir_has_in(n, 0))
		return false;
	for (int k = 2; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (!v || !v->typed || v->vtype != VT_TENSOR)
			return false;
	}
	return true;
}

/* Unrolls the remaining iterations at once; iteration i's results replace the
   loop-carried values only while `active` (the condition so far) holds:
   v' = IfSelect(active, body(v), v), active' = IfSelect(active, cond_out, active). Values
   whose shape changes from one iteration to the next make IfSelect ask for a constant
   condition. */
static int loop_masked(Graph *g, uint32_t ni, Graph *body, int nv, int64_t iter, Diag *d)
{
	const Node *n = ir_node(g, ni);
	int64_t m = dtype_get_i64(op_in(g, n, 0)->dtype, op_in(g, n, 0)->data, 0);
	if (m - iter > CTL_MAX_NODES)
		return ir_node_error(d, g, n, "the loop runs more than %d iterations; cnnc unrolls "
				     "loops at compile time", CTL_MAX_NODES);
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	uint32_t *cur = must(arena_memdup(g->arena, n->inputs, ((size_t)n->ninputs + 1) * sizeof *cur));
	uint32_t *outs = must(arena_memdup(g->arena, n->outputs, ((size_t)n->noutputs + 1) * sizeof *outs));
	uint32_t *ins = must(calloc((size_t)body->ninputs + 1, sizeof *ins));
	uint32_t *res = must(calloc((size_t)body->noutputs + 1, sizeof *res));
	int rc = -1;
	for (int64_t i = iter; i < m; i++) {
		ins[0] = ctl_const_i64(g, "iter", i);
		memcpy(ins + 1, cur + 1, (size_t)(1 + nv) * sizeof *ins);
		if (ctl_inline(g, ni, body, ins, res, arena_printf(g->arena, "%s/i%lld_", name,
								    (long long)i), d) < 0)
			goto out;
		uint32_t active = cur[1];
		for (int k = 0; k <= nv; k++) {
			/* k = 0 is the condition: it stays false once false */
			uint32_t sel[3] = {active, res[k], cur[1 + k]}, y = ctl_temp(g, "masked");
			ctl_node(g, OP_IF_SELECT, name, "mask", opset, sel, 3, &y, 1);
			cur[1 + k] = y;
		}
	}
	ir_kill_node(g, ni);
	for (int k = 0; k < nv; k++)
		if (outs[k] != IR_NONE)
			ctl_forward(g, ni, cur[2 + k], outs[k]);
	rc = OP_LOWERED;
out:
	free(ins);
	free(res);
	return rc;
}

static int loop_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	Graph *body = body_of(g, n, "body", d);
	if (!body)
		return -1;
	int nv = body->ninputs - 2, nk = body->noutputs - 1 - nv;
	int64_t iter = ir_attr_int(n, "iter", 0);
	if (iter < 0 || iter >= CTL_MAX_NODES)
		return ir_node_error(d, g, n, "the loop runs more than %d iterations; cnnc unrolls "
				     "loops at compile time", CTL_MAX_NODES);
	if (nv < 0 || nk < 0 || n->noutputs != nv + nk ||
	    n->ninputs != 2 + nv + (n->op == OP_LOOP_REST ? nk * (int)iter : 0))
		return ir_node_error(d, g, n, "has %d inputs and %d outputs, but its body takes %d "
				     "inputs and gives %d outputs", n->ninputs, n->noutputs,
				     body->ninputs, body->noutputs);
	if (ir_has_in(n, 0)) {
		const int64_t *m;
		int64_t cnt;
		if (op_const_ints(g, n, 0, &m, &cnt, d) < 0)
			return -1;
		if (cnt != 1)
			return ir_node_error(d, g, n, "trip count must hold one element, not %lld",
					     (long long)cnt);
		if (m[0] <= iter)
			return loop_finish(g, ni, nv, nk, iter, d);
	}
	if (ir_has_in(n, 1)) {
		if (!op_in(g, n, 1)->data && masked_ok(g, n, nk))
			return loop_masked(g, ni, body, nv, iter, d);
		bool c = false;
		if (const_bool(g, n, 1, &c, d) < 0)
			return -1;
		if (!c)
			return loop_finish(g, ni, nv, nk, iter, d);
	}
	return loop_step(g, ni, body, nv, nk, iter, d);
}

const OpDef opdef_LOOP = {loop_infer, NULL, NULL, NULL, 0};
const OpDef opdef_LOOP_REST = {loop_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ Scan */

typedef struct ScanSpec {
	int nstate, nscan, nout;      /* state variables, scan inputs, scan outputs */
	const uint32_t *states;       /* initial state values */
	const uint32_t *xs;           /* scan inputs */
	int in_axis[64], in_rev[64];  /* per scan input (axes normalised) */
	int64_t out_axis[64];
	int out_rev[64];
	int64_t steps;
} ScanSpec;

/* Unrolls the body over sp->steps iterations; final states go to fin[0..nstate-1] and the
   stacked scan outputs to fin[nstate..] (values of g, existing or IR_NONE to skip). */
static int scan_unroll(Graph *g, uint32_t ni, Graph *body, const ScanSpec *sp, const uint32_t *fin,
		       const char *tag, Diag *d)
{
	const char *name = ctl_name(g, ni);
	int opset = ir_node(g, ni)->opset;
	int ns = sp->nstate, nx = sp->nscan, no = sp->nout;
	uint32_t *ins = must(calloc((size_t)(ns + nx) + 1, sizeof *ins));
	uint32_t *outs = must(calloc((size_t)(ns + no) + 1, sizeof *outs));
	uint32_t *acc = must(calloc((size_t)no * (size_t)(sp->steps ? sp->steps : 1) + 1, sizeof *acc));
	int rc = -1;
	memcpy(ins, sp->states, (size_t)ns * sizeof *ins);
	for (int64_t t = 0; t < sp->steps; t++) {
		for (int j = 0; j < nx; j++) {
			int64_t at = sp->in_rev[j] ? sp->steps - 1 - t : t;
			uint32_t s = ctl_temp(g, "scan_in");
			uint32_t id = ctl_node(g, OP_SLICE_AXIS, name, "slice", opset, &sp->xs[j], 1, &s, 1);
			ctl_set_int(g, id, "axis", sp->in_axis[j]);
			ctl_set_int(g, id, "start", at);
			ctl_set_int(g, id, "end", at + 1);
			ctl_set_int(g, id, "keep", 0);
			ins[ns + j] = s;
		}
		if (ctl_inline(g, ni, body, ins, outs, arena_printf(g->arena, "%s/%st%lld_", name, tag,
								     (long long)t), d) < 0)
			goto out;
		memcpy(ins, outs, (size_t)ns * sizeof *ins);
		for (int k = 0; k < no; k++)
			acc[(size_t)k * (size_t)sp->steps + (size_t)t] = outs[ns + k];
	}
	for (int k = 0; k < ns; k++)
		if (fin[k] != IR_NONE)
			ctl_forward(g, ni, ins[k], fin[k]);
	for (int k = 0; k < no; k++) {
		if (fin[ns + k] == IR_NONE)
			continue;
		if (!sp->steps) {
			ir_node_error(d, g, ir_node(g, ni), "the scan runs no iteration, so its output '%s' "
				      "has no known shape", ir_value(g, fin[ns + k])->name);
			goto out;
		}
		uint32_t *el = acc + (size_t)k * (size_t)sp->steps;
		if (sp->out_rev[k])
			for (int64_t i = 0, j = sp->steps - 1; i < j; i++, j--) {
				uint32_t tmp = el[i];
				el[i] = el[j];
				el[j] = tmp;
			}
		uint32_t id = ctl_node(g, OP_SEQ_CONCAT, name, "stack", opset, el, (int)sp->steps,
				       &fin[ns + k], 1);
		ctl_set_int(g, id, "axis", sp->out_axis[k]);
		ctl_set_int(g, id, "new_axis", 1);
	}
	rc = 0;
out:
	free(ins);
	free(outs);
	free(acc);
	return rc;
}

/* Reads scan attributes (opset 9+) into sp; axes of scan inputs normalised. */
static int scan_attrs(Graph *g, const Node *n, const char *dirs_name, ScanSpec *sp, int batch,
		      Diag *d)
{
	const int64_t *ia, *id, *oa, *od;
	size_t nia = ir_attr_ints(n, "scan_input_axes", &ia);
	size_t nid = ir_attr_ints(n, dirs_name, &id);
	size_t noa = ir_attr_ints(n, "scan_output_axes", &oa);
	size_t nod = ir_attr_ints(n, "scan_output_directions", &od);
	if ((nia && nia != (size_t)sp->nscan) || (nid && nid != (size_t)sp->nscan) ||
	    (noa && noa != (size_t)sp->nout) || (nod && nod != (size_t)sp->nout))
		return ir_node_error(d, g, n, "scan axes and directions must have one entry per scan "
				     "input and output");
	if (sp->nscan > 64 || sp->nout > 64)
		return ir_node_error(d, g, n, "more than 64 scan inputs or outputs");
	sp->steps = -1;
	for (int j = 0; j < sp->nscan; j++) {
		const Value *x = ir_value(g, sp->xs[j]);
		if (!x->typed || x->vtype != VT_TENSOR)
			return ir_node_error(d, g, n, "scan input '%s' must be a typed tensor", x->name);
		int rank = x->shape.rank - batch;
		if (op_axis(g, n, nia ? ia[j] : 0, rank, &sp->in_axis[j], d) < 0)
			return -1;
		sp->in_axis[j] += batch;
		sp->in_rev[j] = nid ? id[j] != 0 : 0;
		int64_t len = x->shape.dims[sp->in_axis[j]];
		if (sp->steps >= 0 && len != sp->steps)
			return ir_node_error(d, g, n, "scan inputs have lengths %lld and %lld, expected "
					     "equal", (long long)sp->steps, (long long)len);
		sp->steps = len;
	}
	if (sp->steps < 0)
		sp->steps = 0;
	for (int k = 0; k < sp->nout; k++) {
		sp->out_axis[k] = noa ? oa[k] : 0;
		sp->out_rev[k] = nod ? od[k] != 0 : 0;
	}
	return 0;
}

/* Scan 8: per batch entry, slice every state and scan input, unroll, then stack the
   batch's results. */
static int scan8(Graph *g, uint32_t ni, Graph *body, ScanSpec *sp, Diag *d)
{
	const Node *n = ir_node(g, ni);
	int ns = sp->nstate, no = sp->nout;
	if (ir_has_in(n, 0)) {
		const int64_t *lens;
		int64_t cnt;
		if (op_const_ints(g, n, 0, &lens, &cnt, d) < 0)
			return -1;
		for (int64_t b = 0; b < cnt; b++)
			if (lens[b] != sp->steps)
				return ir_node_error(d, g, n, "sequence_lens shorter than the scan axis "
						     "are not supported");
	}
	int64_t batch = -1;
	for (int k = 0; k < ns + sp->nscan; k++) {
		const Value *v = ir_value(g, k < ns ? sp->states[k] : sp->xs[k - ns]);
		if (!v->typed || v->shape.rank < 1)
			return ir_node_error(d, g, n, "input '%s' must have a batch axis", v->name);
		if (batch >= 0 && v->shape.dims[0] != batch)
			return ir_node_error(d, g, n, "inputs have batch sizes %lld and %lld",
					     (long long)batch, (long long)v->shape.dims[0]);
		batch = v->shape.dims[0];
	}
	uint32_t *outs = must(arena_memdup(g->arena, n->outputs, ((size_t)n->noutputs + 1) * sizeof *outs));
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	size_t nres = (size_t)(ns + no);
	uint32_t *res = must(calloc(nres * (size_t)(batch ? batch : 1) + 1, sizeof *res));
	uint32_t *st = must(calloc((size_t)ns + 1, sizeof *st));
	uint32_t *xs = must(calloc((size_t)sp->nscan + 1, sizeof *xs));
	const uint32_t *s0 = sp->states, *x0 = sp->xs;
	int rc = -1;
	for (int64_t b = 0; b < batch; b++) {
		for (int k = 0; k < ns + sp->nscan; k++) {
			uint32_t src = k < ns ? s0[k] : x0[k - ns];
			uint32_t t = ctl_temp(g, "batch");
			uint32_t id = ctl_node(g, OP_SLICE_AXIS, name, "batch", opset, &src, 1, &t, 1);
			ctl_set_int(g, id, "axis", 0);
			ctl_set_int(g, id, "start", b);
			ctl_set_int(g, id, "end", b + 1);
			ctl_set_int(g, id, "keep", 0);
			if (k < ns)
				st[k] = t;
			else
				xs[k - ns] = t;
		}
		ScanSpec one = *sp;
		one.states = st;
		one.xs = xs;
		for (int j = 0; j < sp->nscan; j++)
			one.in_axis[j] = sp->in_axis[j] - 1;
		uint32_t *fin = res + (size_t)b * nres;
		for (size_t k = 0; k < nres; k++)
			fin[k] = outs[k] == IR_NONE ? IR_NONE : ctl_temp(g, "batch_out");
		if (scan_unroll(g, ni, body, &one, fin, arena_printf(g->arena, "b%lld", (long long)b),
				d) < 0)
			goto out;
	}
	for (size_t k = 0; k < nres; k++) {
		if (outs[k] == IR_NONE)
			continue;
		uint32_t *el = must(calloc((size_t)batch + 1, sizeof *el));
		for (int64_t b = 0; b < batch; b++)
			el[b] = res[(size_t)b * nres + k];
		uint32_t id = ctl_node(g, OP_SEQ_CONCAT, name, "batch_stack", opset, el, (int)batch,
				       &outs[k], 1);
		ctl_set_int(g, id, "axis", 0);
		ctl_set_int(g, id, "new_axis", 1);
		free(el);
	}
	ir_kill_node(g, ni);
	rc = OP_LOWERED;
out:
	free(res);
	free(st);
	free(xs);
	return rc;
}

static int scan_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	Graph *body = body_of(g, n, "body", d);
	if (!body)
		return -1;
	int64_t m = ir_attr_int(n, "num_scan_inputs", -1);
	bool v8 = n->opset < 9;
	int first = v8 ? 1 : 0; /* Scan 8 starts with sequence_lens */
	int nin = n->ninputs - first;
	if (m < 1 || m > nin)
		return ir_node_error(d, g, n, "num_scan_inputs is %lld, expected 1 to %d",
				     (long long)m, nin);
	ScanSpec sp;
	memset(&sp, 0, sizeof sp);
	sp.nstate = nin - (int)m;
	sp.nscan = (int)m;
	sp.nout = n->noutputs - sp.nstate;
	if (body->ninputs != nin || body->noutputs != n->noutputs || sp.nout < 0)
		return ir_node_error(d, g, n, "has %d inputs and %d outputs, but its body takes %d "
				     "inputs and gives %d outputs", nin, n->noutputs, body->ninputs,
				     body->noutputs);
	uint32_t *in = must(arena_memdup(g->arena, n->inputs + first, ((size_t)nin + 1) * sizeof *in));
	for (int k = 0; k < nin; k++)
		if (in[k] == IR_NONE)
			return ir_node_error(d, g, n, "input %d is missing", k + first);
	sp.states = in;
	sp.xs = in + sp.nstate;
	if (scan_attrs(g, n, v8 ? "directions" : "scan_input_directions", &sp, v8 ? 1 : 0, d) < 0)
		return -1;
	if (v8) {
		/* sequence lengths are the scan axis (axis 1 of each input) */
		return scan8(g, ni, body, &sp, d);
	}
	uint32_t *outs = must(arena_memdup(g->arena, n->outputs, ((size_t)n->noutputs + 1) * sizeof *outs));
	if (scan_unroll(g, ni, body, &sp, outs, "", d) < 0)
		return -1;
	ir_kill_node(g, ni);
	return OP_LOWERED;
}

const OpDef opdef_SCAN = {scan_infer, NULL, NULL, NULL, 0};
