/* gradient.c - ai.onnx.preview.training.Gradient by reverse-mode differentiation at
 * compile time.
 *
 * Requires: shapes inferred (infer_shapes gave each Gradient output the type and
 * shape of the matching input). Each Gradient node, in topological order (but after
 * any Gradient node whose outputs its y is computed from: a second derivative
 * differentiates the first one's backward nodes), becomes:
 *  1. the forward path: the nodes between the tensors named in xs and zs (the
 *     leaves) and y, found by walking producers back from y, stopping at leaves;
 *  2. forward values: the path's own values when the node's inputs are the named
 *     tensors, otherwise a copy of the path fed with the node's inputs instead;
 *  3. the backward nodes: y's gradient is a tensor of ones (that of the sum of y's
 *     elements; 1 for a scalar y), pushed back through the path in reverse order by
 *     each op's rule, written with ordinary ops (Mul, MatMul, ReduceSum, ...). An
 *     operand that was broadcast gets its gradient summed over the broadcast axes;
 *     a tensor reached by several paths adds up its contributions;
 *  4. output k = Identity(gradient of xs[k]); zeros when y does not depend on it.
 * The new nodes are typed (and folded when their inputs are constant) as they are
 * made, so each rule sees its operands' shapes. An op without a rule on the way from
 * xs to y is an error naming the Gradient node, the op and its node.
 * Invalidates: node order (the graph is re-sorted).
 *
 *   before: n0 Add(a, b) -> c; n1 Mul(c, a) -> d; n2 Gradient[xs=a,b y=d](a, b) -> da, db
 *   after:  n0 Add(a, b) -> c; n1 Mul(c, a) -> d; ones -> Mul(ones, a) -> t1,
 *           Mul(ones, c) -> t2, Add(t2, t1) -> t3; Identity(t3) -> da; Identity(t1) -> db
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/ops/ops.h"
#include "passes.h"

/* Largest constant folded while building the backward nodes (as infer_shapes). */
#define FOLD_LIMIT ((int64_t)64 << 20)
/* Opset of the nodes the pass makes (ReduceSum takes its axes as an input). */
#define GRAD_OPSET 13

enum { ON_X = 1, ON_Z = 2 };

typedef struct Ctx {
	Graph *g;
	Diag *d;
	uint32_t gn;       /* the Gradient node */
	const char *gname; /* its name (arena) */
	uint32_t nv;       /* values when the node's turn began: the arrays' length */
	uint8_t *flag;     /* per value: ON_X / ON_Z when it depends on a leaf of xs / zs */
	bool *leaf;        /* per value: named in xs or zs */
	uint32_t *map;     /* per value: the value holding it at the Gradient's inputs */
	uint32_t *grad;    /* per value: its gradient so far, IR_NONE when none */
	unsigned made;     /* nodes made, for unique names */
} Ctx;

/* ------------------------------------------------------------ making nodes */

/* Adds node op(in) with one fresh output, untyped; returns the node id. */
static uint32_t add(Ctx *c, OpKind op, const uint32_t *in, int nin)
{
	Graph *g = c->g;
	const char *name = arena_printf(g->arena, "%s/%s%u", c->gname, op_name(op), c->made++);
	uint32_t out = ir_add_temp(g, name);
	uint32_t id = ir_add_node(g, op, name, in, nin, &out, 1);
	ir_node(g, id)->opset = GRAD_OPSET;
	return id;
}

/* Types node id and folds it when every input is constant; 0, or -1 with a diagnostic. */
static int settle(Ctx *c, uint32_t id)
{
	Graph *g = c->g;
	Node *n = ir_node(g, id);
	const OpDef *def = op_def(n->op);
	if (!def->infer)
		return ir_node_error(c->d, g, n, "unsupported operator '%s'", n->op_type);
	int rc = def->infer(g, n, c->d);
	if (rc < 0)
		return -1;
	n = ir_node(g, id);
	if (rc != 0)
		return ir_node_error(c->d, g, n, "cannot be copied to evaluate a gradient");
	bool done = true;
	int64_t bytes = 0;
	for (int k = 0; k < n->noutputs; k++) {
		const Value *v = op_outv(g, n, k);
		if (v) {
			done &= v->data != NULL;
			bytes += ir_bytes(v);
		}
	}
	if (done || !def->fold || !op_all_const(g, n) || bytes > FOLD_LIMIT)
		return 0;
	return def->fold(g, n, c->d) < 0 ? -1 : 0;
}

/* Output of node id once settled, IR_NONE on error. */
static uint32_t finish(Ctx *c, uint32_t id)
{
	return settle(c, id) < 0 ? IR_NONE : ir_node(c->g, id)->outputs[0];
}

/* op(a) and op(a, b); IR_NONE in gives IR_NONE out, so calls nest. */
static uint32_t op1(Ctx *c, OpKind op, uint32_t a)
{
	return a == IR_NONE ? IR_NONE : finish(c, add(c, op, &a, 1));
}

static uint32_t op2(Ctx *c, OpKind op, uint32_t a, uint32_t b)
{
	uint32_t in[2] = {a, b};
	return a == IR_NONE || b == IR_NONE ? IR_NONE : finish(c, add(c, op, in, 2));
}

static uint32_t filled(Ctx *c, DType dt, const Shape *s, double v)
{
	int64_t n = shape_numel(s), bytes = dtype_bytes(dt, n);
	void *data = arena_alloc(c->g->arena, bytes > 0 ? (size_t)bytes : 1);
	if (!data)
		return diag_error(c->d, "out of memory"), IR_NONE;
	for (int64_t i = 0; i < n; i++)
		dtype_set_f64(dt, data, i, v);
	return ir_adopt_const(c->g, v == 0 ? "grad_zeros" : "grad_ones", dt, s, data);
}

static uint32_t scalar(Ctx *c, DType dt, double v)
{
	Shape s = {0};
	uint64_t buf[2] = {0};
	dtype_set_f64(dt, buf, 0, v);
	return ir_add_const(c->g, "grad_k", dt, &s, buf);
}

static uint32_t ints(Ctx *c, const int64_t *v, int n)
{
	Shape s = {1, {n}};
	return ir_add_const(c->g, "grad_shape", DT_INT64, &s, v);
}

static Shape shape_of(const Ctx *c, uint32_t v)
{
	return ir_value(c->g, v)->shape;
}

static DType dtype_of(const Ctx *c, uint32_t v)
{
	return ir_value(c->g, v)->dtype;
}

/* True if v is a constant of ones (the seed, or what folding made of it). */
static bool ones(const Ctx *c, uint32_t v)
{
	const Value *x = ir_value(c->g, v);
	int64_t n = ir_numel(x);
	if (!x->data || x->vtype != VT_TENSOR || n > 4096)
		return false;
	for (int64_t i = 0; i < n; i++)
		if (dtype_get_f64(x->dtype, x->data, i) != 1)
			return false;
	return true;
}

/* a * b, or the other operand when one is ones and does not widen the product
   (y's seed times a factor is the factor). */
static uint32_t mul(Ctx *c, uint32_t a, uint32_t b)
{
	if (a == IR_NONE || b == IR_NONE)
		return IR_NONE;
	Shape sa = shape_of(c, a), sb = shape_of(c, b), s;
	if (shape_broadcast(&sa, &sb, &s) == 0) {
		if (ones(c, a) && shape_equal(&s, &sb))
			return b;
		if (ones(c, b) && shape_equal(&s, &sa))
			return a;
	}
	return op2(c, OP_MUL, a, b);
}

static uint32_t reshape_to(Ctx *c, uint32_t v, const Shape *s)
{
	if (v == IR_NONE)
		return IR_NONE;
	Shape vs = shape_of(c, v);
	if (shape_equal(&vs, s))
		return v;
	uint32_t in[2] = {v, ints(c, s->dims, s->rank)};
	uint32_t id = add(c, OP_RESHAPE, in, 2);
	ir_node(c->g, id)->opset = 14; /* allowzero: a 0 in s is a 0, not a copied dim */
	ir_set_attr_int(c->g, id, "allowzero", 1);
	return finish(c, id);
}

static uint32_t transpose(Ctx *c, uint32_t v, const int64_t *perm, int rank)
{
	if (v == IR_NONE)
		return IR_NONE;
	uint32_t id = add(c, OP_TRANSPOSE, &v, 1);
	ir_set_attr_ints(c->g, id, "perm", perm, (size_t)rank);
	return finish(c, id);
}

/* v with its last two axes swapped (a matrix transposed, batch dims kept). */
static uint32_t swap_last(Ctx *c, uint32_t v)
{
	if (v == IR_NONE)
		return IR_NONE;
	int r = shape_of(c, v).rank;
	int64_t perm[CNNC_MAX_RANK];
	for (int i = 0; i < r; i++)
		perm[i] = i;
	perm[r - 2] = r - 1;
	perm[r - 1] = r - 2;
	return transpose(c, v, perm, r);
}

static uint32_t cast(Ctx *c, uint32_t v, DType to)
{
	if (v == IR_NONE || dtype_of(c, v) == to)
		return v;
	uint32_t id = add(c, OP_CAST, &v, 1);
	ir_set_attr_int(c->g, id, "to", to);
	return finish(c, id);
}

/* Gradient gv of a broadcast result brought back to an operand of shape t: summed
   over the axes broadcasting added or stretched from 1, then given t's dims. */
static uint32_t unbroadcast(Ctx *c, uint32_t gv, const Shape *t)
{
	if (gv == IR_NONE)
		return IR_NONE;
	Shape s = shape_of(c, gv);
	if (shape_numel(&s) != shape_numel(t) && s.rank >= t->rank) {
		int64_t axes[CNNC_MAX_RANK];
		int n = 0, off = s.rank - t->rank;
		for (int i = 0; i < s.rank; i++)
			if (i < off || (t->dims[i - off] == 1 && s.dims[i] != 1))
				axes[n++] = i;
		if (n) {
			uint32_t in[2] = {gv, ints(c, axes, n)};
			gv = finish(c, add(c, OP_REDUCESUM, in, 2));
		}
	}
	return reshape_to(c, gv, t);
}

/* ------------------------------------------------------------ backward rules */

/* True if input k of n needs a gradient: it depends on xs and is floating-point
   (an integer tensor such as a shape carries none). */
static bool wants(const Ctx *c, const Node *n, int k)
{
	uint32_t v = ir_in(n, k);
	return v != IR_NONE && (c->flag[v] & ON_X) &&
	       dtype_info(ir_value(c->g, v)->dtype)->is_float;
}

/* The forward value of input k of n. */
static uint32_t fwd(const Ctx *c, const Node *n, int k)
{
	uint32_t v = ir_in(n, k);
	return v == IR_NONE ? IR_NONE : c->map[v];
}

/* Adds gv, the gradient reaching input k of n, to that input's total. */
static int give(Ctx *c, const Node *n, int k, uint32_t gv)
{
	if (!wants(c, n, k))
		return 0;
	uint32_t v = n->inputs[k];
	Shape t = shape_of(c, c->map[v]);
	gv = unbroadcast(c, gv, &t);
	if (gv != IR_NONE && c->grad[v] != IR_NONE)
		gv = op2(c, OP_ADD, c->grad[v], gv);
	c->grad[v] = gv;
	return gv == IR_NONE ? -1 : 0;
}

static int cannot(Ctx *c, const Node *n, const char *why)
{
	return ir_node_error(c->d, c->g, ir_node(c->g, c->gn),
	                     "cannot differentiate through '%s' node '%s'%s", n->op_type, n->name,
	                     why);
}

/* Gemm: y = alpha A' B' + beta C with A' = A or A^T (transA), B' likewise. */
static int back_gemm(Ctx *c, const Node *n, uint32_t gy)
{
	uint32_t a = fwd(c, n, 0), b = fwd(c, n, 1);
	bool ta = ir_attr_int(n, "transA", 0) != 0, tb = ir_attr_int(n, "transB", 0) != 0;
	double alpha = ir_attr_float(n, "alpha", 1), beta = ir_attr_float(n, "beta", 1);
	DType dt = dtype_of(c, gy);
	uint32_t ga = gy, gc = gy;
	if (alpha != 1)
		ga = mul(c, gy, scalar(c, dt, alpha));
	if (beta != 1)
		gc = mul(c, gy, scalar(c, dt, beta));
	if (wants(c, n, 0)) {
		uint32_t v = ta ? op2(c, OP_MATMUL, tb ? swap_last(c, b) : b, swap_last(c, ga))
		                : op2(c, OP_MATMUL, ga, tb ? b : swap_last(c, b));
		if (give(c, n, 0, v) < 0)
			return -1;
	}
	if (wants(c, n, 1)) {
		uint32_t v = tb ? op2(c, OP_MATMUL, swap_last(c, ga), ta ? swap_last(c, a) : a)
		                : op2(c, OP_MATMUL, ta ? a : swap_last(c, a), ga);
		if (give(c, n, 1, v) < 0)
			return -1;
	}
	return give(c, n, 2, gc);
}

/* ReduceSum / ReduceMean: gy brought back to the reduced axes and spread over them. */
static int back_reduce(Ctx *c, const Node *n, uint32_t gy)
{
	Shape sa = shape_of(c, fwd(c, n, 0));
	int axes_input = n->op == OP_REDUCESUM ? 13 : 18;
	int64_t naxes = 0;
	const int64_t *attr = NULL;
	const Value *av = NULL;
	if (n->opset >= axes_input) {
		if (ir_has_in(n, 1)) {
			av = ir_value(c->g, fwd(c, n, 1));
			if (!av->data)
				return cannot(c, n, " (its axes are not constant)");
			naxes = ir_numel(av);
		}
	} else {
		naxes = (int64_t)ir_attr_ints(n, "axes", &attr);
	}
	bool red[CNNC_MAX_RANK] = {false};
	for (int64_t i = 0; i < naxes; i++) {
		int64_t a = av ? dtype_get_i64(av->dtype, av->data, i) : attr[i];
		if (a < 0)
			a += sa.rank;
		if (a < 0 || a >= sa.rank)
			return cannot(c, n, " (an axis is out of range)");
		red[a] = true;
	}
	if (naxes == 0 && ir_attr_int(n, "noop_with_empty_axes", 0))
		return give(c, n, 0, gy);
	Shape keep = sa;
	int64_t count = 1;
	for (int i = 0; i < sa.rank; i++)
		if (red[i] || naxes == 0) {
			count *= sa.dims[i];
			keep.dims[i] = 1;
		}
	uint32_t v = reshape_to(c, gy, &keep);
	if (n->op == OP_REDUCEMEAN && count > 1)
		v = mul(c, v, scalar(c, dtype_of(c, gy), 1.0 / (double)count));
	return give(c, n, 0, op2(c, OP_EXPAND, v, ints(c, sa.dims, sa.rank)));
}

/* Pushes the gradient of node nid's output back to its inputs. */
static int backward(Ctx *c, uint32_t nid)
{
	Node node = *ir_node(c->g, nid), *n = &node;
	bool reached = false, need = false;
	for (int k = 0; k < n->noutputs; k++)
		reached |= n->outputs[k] != IR_NONE && c->grad[n->outputs[k]] != IR_NONE;
	for (int k = 0; k < n->ninputs; k++)
		need |= wants(c, n, k);
	if (!reached || !need)
		return 0;
	uint32_t out = ir_out(n, 0), gy = out == IR_NONE ? IR_NONE : c->grad[out];
	if (gy == IR_NONE || n->noutputs != 1)
		return cannot(c, n, "");
	uint32_t a = fwd(c, n, 0), b = fwd(c, n, 1), y = c->map[out];
	DType dt = dtype_of(c, y);
	switch (n->op) {
	case OP_ADD:
		return give(c, n, 0, gy) < 0 ? -1 : give(c, n, 1, gy);
	case OP_SUB:
		if (give(c, n, 0, gy) < 0)
			return -1;
		return wants(c, n, 1) ? give(c, n, 1, op1(c, OP_NEG, gy)) : 0;
	case OP_MUL:
		if (wants(c, n, 0) && give(c, n, 0, mul(c, gy, b)) < 0)
			return -1;
		return wants(c, n, 1) ? give(c, n, 1, mul(c, gy, a)) : 0;
	case OP_DIV: /* d(a/b)/db = -(a/b)/b */
		if (wants(c, n, 0) && give(c, n, 0, op2(c, OP_DIV, gy, b)) < 0)
			return -1;
		return wants(c, n, 1)
		           ? give(c, n, 1, op1(c, OP_NEG, mul(c, gy, op2(c, OP_DIV, y, b))))
		           : 0;
	case OP_NEG:
		return give(c, n, 0, op1(c, OP_NEG, gy));
	case OP_IDENTITY:
		return give(c, n, 0, gy);
	case OP_RELU: {
		uint32_t in[3] = {op2(c, OP_GREATER, a, scalar(c, dt, 0)), gy, scalar(c, dt, 0)};
		return in[0] == IR_NONE ? -1 : give(c, n, 0, finish(c, add(c, OP_WHERE, in, 3)));
	}
	case OP_SIGMOID: /* y (1 - y) */
		return give(c, n, 0, mul(c, gy, mul(c, y, op2(c, OP_SUB, scalar(c, dt, 1), y))));
	case OP_TANH: /* 1 - y^2 */
		return give(c, n, 0, mul(c, gy, op2(c, OP_SUB, scalar(c, dt, 1), mul(c, y, y))));
	case OP_EXP:
		return give(c, n, 0, mul(c, gy, y));
	case OP_LOG:
		return give(c, n, 0, op2(c, OP_DIV, gy, a));
	case OP_SQRT: /* 1 / (2 y) */
		return give(c, n, 0, op2(c, OP_DIV, gy, mul(c, y, scalar(c, dt, 2))));
	case OP_POW: { /* b a^(b-1), and y ln a for the exponent */
		if (wants(c, n, 0)) {
			uint32_t e = cast(c, b, dt);
			uint32_t da =
			    mul(c, e, op2(c, OP_POW, a, op2(c, OP_SUB, e, scalar(c, dt, 1))));
			if (give(c, n, 0, mul(c, gy, da)) < 0)
				return -1;
		}
		return wants(c, n, 1) ? give(c, n, 1, mul(c, gy, mul(c, y, op1(c, OP_LOG, a)))) : 0;
	}
	case OP_MATMUL:
		if (shape_of(c, a).rank < 2 || shape_of(c, b).rank < 2)
			return cannot(c, n, " (an operand of rank 1)");
		if (wants(c, n, 0) && give(c, n, 0, op2(c, OP_MATMUL, gy, swap_last(c, b))) < 0)
			return -1;
		return wants(c, n, 1) ? give(c, n, 1, op2(c, OP_MATMUL, swap_last(c, a), gy)) : 0;
	case OP_GEMM:
		return back_gemm(c, n, gy);
	case OP_RESHAPE:
	case OP_FLATTEN:
	case OP_SQUEEZE:
	case OP_UNSQUEEZE:
		return wants(c, n, 0) ? give(c, n, 0, gy) : 0; /* give reshapes it back */
	case OP_TRANSPOSE: {
		int r = shape_of(c, a).rank;
		const int64_t *perm;
		size_t np = ir_attr_ints(n, "perm", &perm);
		int64_t inv[CNNC_MAX_RANK];
		for (int i = 0; i < r; i++)
			inv[np ? perm[i] : r - 1 - i] = i;
		return give(c, n, 0, transpose(c, gy, inv, r));
	}
	case OP_REDUCESUM:
	case OP_REDUCEMEAN:
		return wants(c, n, 0) ? back_reduce(c, n, gy) : 0;
	case OP_EXPAND: /* a broadcast: give sums it back */
		return give(c, n, 0, gy);
	case OP_WHERE: {
		uint32_t z = scalar(c, dt, 0), cond = fwd(c, n, 0);
		uint32_t tx[3] = {cond, gy, z}, ty[3] = {cond, z, gy};
		if (wants(c, n, 1) && give(c, n, 1, finish(c, add(c, OP_WHERE, tx, 3))) < 0)
			return -1;
		return wants(c, n, 2) ? give(c, n, 2, finish(c, add(c, OP_WHERE, ty, 3))) : 0;
	}
	default:
		return cannot(c, n, "");
	}
}

/* ------------------------------------------------------------ one Gradient node */

/* The value id of each name of a list attribute into ids; -1 if one is missing. */
static int names(Ctx *c, const Attr *a, const char *what, uint32_t *ids)
{
	for (size_t i = 0; a && a->type == AT_STRINGS && i < a->n; i++) {
		ids[i] = ir_find_value(c->g, a->strings[i]);
		if (ids[i] == IR_NONE)
			return ir_node_error(c->d, c->g, ir_node(c->g, c->gn),
			                     "%s names '%s', which is no tensor of the graph", what,
			                     a->strings[i]);
	}
	return 0;
}

/* The path from the leaves to y in topological order; returns the count. */
static uint32_t find_path(Ctx *c, uint32_t y, uint32_t *path)
{
	Graph *g = c->g;
	bool *on = calloc(g->nnodes + 1, sizeof *on);
	uint32_t nin = 1;
	for (uint32_t i = 0; i < g->nnodes; i++)
		nin += (uint32_t)g->nodes[i].ninputs;
	uint32_t *stack = malloc(nin * sizeof *stack), top = 0;
	if (!on || !stack) {
		free(on);
		free(stack);
		return diag_error(c->d, "out of memory"), UINT32_MAX;
	}
	stack[top++] = y;
	while (top) {
		uint32_t v = stack[--top], p = ir_value(g, v)->producer;
		if (c->leaf[v] || !c->flag[v] || p == IR_NONE || on[p])
			continue;
		on[p] = true;
		const Node *n = ir_node(g, p);
		for (int k = 0; k < n->ninputs; k++)
			if (n->inputs[k] != IR_NONE && c->flag[n->inputs[k]])
				stack[top++] = n->inputs[k];
	}
	uint32_t np = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (on[i])
			path[np++] = i;
	free(on);
	free(stack);
	return np;
}

/* A copy of path node p reading the forward values of its inputs. */
static int copy_node(Ctx *c, uint32_t p)
{
	Graph *g = c->g;
	Node src = *ir_node(g, p);
	uint32_t *in = malloc(((size_t)src.ninputs + 1) * sizeof *in);
	uint32_t *out = malloc(((size_t)src.noutputs + 1) * sizeof *out);
	if (!in || !out) {
		free(in);
		free(out);
		return diag_error(c->d, "out of memory");
	}
	for (int k = 0; k < src.ninputs; k++)
		in[k] = src.inputs[k] == IR_NONE ? IR_NONE : c->map[src.inputs[k]];
	for (int k = 0; k < src.noutputs; k++)
		out[k] = src.outputs[k] == IR_NONE
		             ? IR_NONE
		             : ir_add_temp(g, ir_value(g, src.outputs[k])->name);
	const char *name = arena_printf(g->arena, "%s/%s", c->gname, src.name);
	uint32_t id = ir_add_node(g, src.op, name, in, src.ninputs, out, src.noutputs);
	Node *n = ir_node(g, id);
	n->op_type = src.op_type;
	n->domain = src.domain;
	n->opset = src.opset;
	n->nattrs = src.nattrs;
	n->attrs = src.nattrs ? arena_memdup(g->arena, src.attrs, (size_t)src.nattrs * sizeof(Attr))
	                      : NULL;
	for (int k = 0; k < src.noutputs; k++)
		if (src.outputs[k] != IR_NONE && !c->leaf[src.outputs[k]])
			c->map[src.outputs[k]] = out[k];
	free(in);
	free(out);
	return settle(c, id);
}

/* Replaces Gradient node gid by its backward nodes: 0, -1 with a diagnostic, or 1
   (nothing changed) when y is computed from another Gradient node's outputs, unless
   this is the last resort. */
static int lower(Graph *g, uint32_t gid, bool last, Diag *d)
{
	Node gn = *ir_node(g, gid);
	const Attr *xs = ir_attr(&gn, "xs"), *zs = ir_attr(&gn, "zs");
	size_t nx = xs->n, nz = zs && zs->type == AT_STRINGS ? zs->n : 0;
	const char *yname = ir_attr_str(&gn, "y", "");
	Ctx c = {g, d, gid, gn.name, g->nvalues, NULL, NULL, NULL, NULL, 0};
	int rc = -1;
	uint32_t *leaves = calloc(nx + nz + 1, sizeof *leaves);
	uint32_t *path = calloc(g->nnodes + 1, sizeof *path);
	c.flag = calloc(c.nv, sizeof *c.flag);
	c.leaf = calloc(c.nv, sizeof *c.leaf);
	c.map = malloc(c.nv * sizeof *c.map);
	c.grad = malloc(c.nv * sizeof *c.grad);
	if (!leaves || !path || !c.flag || !c.leaf || !c.map || !c.grad) {
		diag_error(d, "out of memory");
		goto out;
	}
	if (names(&c, xs, "xs", leaves) < 0 || names(&c, zs, "zs", leaves + nx) < 0)
		goto out;
	uint32_t y = ir_find_value(g, yname);
	if (y == IR_NONE) {
		ir_node_error(d, g, &gn, "y names '%s', which is no tensor of the graph", yname);
		goto out;
	}
	if (!ir_value(g, y)->typed || !dtype_info(ir_value(g, y)->dtype)->is_float) {
		ir_node_error(d, g, &gn, "y '%s' is not a floating-point tensor", yname);
		goto out;
	}
	for (uint32_t v = 0; v < c.nv; v++) {
		c.map[v] = v;
		c.grad[v] = IR_NONE;
	}
	for (size_t i = 0; i < nx + nz; i++) {
		c.leaf[leaves[i]] = true;
		c.flag[leaves[i]] |= i < nx ? ON_X : ON_Z;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		uint8_t f = 0;
		for (int k = 0; k < n->ninputs && i != gid; k++)
			f |= n->inputs[k] == IR_NONE ? 0 : c.flag[n->inputs[k]];
		for (int k = 0; f && k < n->noutputs; k++)
			if (n->outputs[k] != IR_NONE && !c.leaf[n->outputs[k]])
				c.flag[n->outputs[k]] |= f;
	}
	uint32_t np = find_path(&c, y, path);
	if (np == UINT32_MAX)
		goto out;
	for (uint32_t i = 0; i < np && !last; i++)
		if (ir_node(g, path[i])->op == OP_GRADIENT) {
			rc = 1; /* y needs another Gradient's outputs: lower that one first */
			goto out;
		}
	bool same = true;
	for (size_t i = 0; i < nx + nz; i++)
		same &= gn.inputs[i] == leaves[i];
	if (!same) {
		for (size_t i = 0; i < nx + nz; i++)
			c.map[leaves[i]] = gn.inputs[i];
		for (uint32_t i = 0; i < np; i++)
			if (copy_node(&c, path[i]) < 0)
				goto out;
	}
	Shape sy = shape_of(&c, c.map[y]);
	c.grad[y] = filled(&c, dtype_of(&c, c.map[y]), &sy, 1);
	for (uint32_t i = np; i-- > 0;)
		if (backward(&c, path[i]) < 0)
			goto out;
	ir_kill_node(g, gid);
	for (int k = 0; k < gn.noutputs; k++) {
		uint32_t o = gn.outputs[k];
		if (o == IR_NONE)
			continue;
		uint32_t gv = c.grad[leaves[k]];
		if (gv == IR_NONE) {
			Shape s = shape_of(&c, gn.inputs[k]);
			gv = filled(&c, dtype_of(&c, gn.inputs[k]), &s, 0);
		}
		if (gv == IR_NONE)
			goto out;
		const char *name = arena_printf(g->arena, "%s/out%d", gn.name, k);
		uint32_t id = ir_add_node(g, OP_IDENTITY, name, &gv, 1, &o, 1);
		ir_node(g, id)->opset = GRAD_OPSET;
		if (settle(&c, id) < 0)
			goto out;
	}
	rc = 0;
out:
	free(leaves);
	free(path);
	free(c.flag);
	free(c.leaf);
	free(c.map);
	free(c.grad);
	return rc;
}

int pass_gradient(Graph *g, const Options *opt, Diag *d)
{
	(void)opt;
	int count = 0;
	uint32_t before = g->nnodes;
	/* the first Gradient node whose y does not wait for another one's outputs (a
	   second derivative differentiates the first one's backward nodes) */
	for (;;) {
		uint32_t first = IR_NONE;
		int rc = 1;
		for (uint32_t i = 0; i < g->nnodes && rc == 1; i++) {
			if (ir_node(g, i)->op != OP_GRADIENT)
				continue;
			if (first == IR_NONE)
				first = i;
			rc = lower(g, i, false, d);
		}
		if (first == IR_NONE)
			break;
		if (rc == 1) /* they wait for each other: report the first */
			rc = lower(g, first, true, d);
		if (rc < 0 || ir_sort(g, d) < 0)
			return -1;
		count++;
	}
	if (!count)
		return 0;
	ir_compact(g);
	snprintf(g->note, sizeof g->note, "%d Gradient node%s -> %u nodes", count,
	         count == 1 ? "" : "s", g->nnodes + (uint32_t)count - before);
	return ir_sort(g, d);
}
