/* ctl_common.c - building blocks of the control-flow lowering: inlining a body graph
 * into its enclosing graph, the elements of a sequence, typed copies.
 *
 * Inlining copies nodes rather than moving them, because a Loop body is copied once per
 * iteration. Body values are renamed with a per-copy prefix; subgraphs of copied nodes
 * (an If inside a Loop body) are cloned with their outer-scope references rebound to
 * the copies, so each copy is independent and is lowered on its own later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void *must(void *p)
{
	if (!p) {
		fputs("cnnc: out of memory\n", stderr);
		abort();
	}
	return p;
}

const char *ctl_name(Graph *g, uint32_t ni)
{
	return arena_strdup(g->arena, ir_node(g, ni)->name);
}

uint32_t ctl_node(Graph *g, OpKind op, const char *base, const char *suffix, int opset,
		  const uint32_t *in, int nin, const uint32_t *out, int nout)
{
	char *name = arena_printf(g->arena, "%s/%s", base, suffix);
	uint32_t id = ir_add_node(g, op, name, in, nin, out, nout);
	ir_node(g, id)->opset = opset;
	return id;
}

static Attr *add_attr(Graph *g, uint32_t id, const char *name)
{
	Node *n = ir_node(g, id);
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	Attr *a = must(arena_alloc(g->arena, (size_t)(n->nattrs + 1) * sizeof *a));
	if (n->nattrs)
		memcpy(a, n->attrs, (size_t)n->nattrs * sizeof *a);
	n->attrs = a;
	Attr *at = &a[n->nattrs++];
	memset(at, 0, sizeof *at);
	at->name = arena_strdup(g->arena, name);
	return at;
}

void ctl_set_int(Graph *g, uint32_t id, const char *name, int64_t v)
{
	Attr *a = add_attr(g, id, name);
	const char *nm = a->name;
	memset(a, 0, sizeof *a);
	a->name = nm;
	a->type = AT_INT;
	a->i = v;
}

void ctl_set_attr(Graph *g, uint32_t id, const Attr *src)
{
	Attr *a = add_attr(g, id, src->name);
	const char *nm = a->name;
	*a = *src;
	a->name = nm;
}

uint32_t ctl_const_i64(Graph *g, const char *hint, int64_t v)
{
	Shape s = {0, {0}};
	return ir_add_const(g, hint, DT_INT64, &s, &v);
}

uint32_t ctl_temp(Graph *g, const char *hint)
{
	return ir_add_temp(g, hint);
}

void ctl_copy_type(Value *dst, const Value *src)
{
	dst->vtype = src->vtype;
	dst->dtype = src->dtype;
	dst->shape = src->shape;
	dst->inner = src->inner;
	dst->none = src->none;
	dst->nelems = src->nelems;
	dst->elems = src->elems;
	dst->typed = true;
}

bool ctl_same_type(const Value *a, const Value *b)
{
	if (a->vtype != b->vtype || a->dtype != b->dtype || a->none != b->none ||
	    a->inner != b->inner || !shape_equal(&a->shape, &b->shape) || a->nelems != b->nelems)
		return false;
	for (int i = 0; i < a->nelems; i++)
		if (!shape_equal(&a->elems[i], &b->elems[i]))
			return false;
	return true;
}

int ctl_set_seq(Graph *g, const Node *n, int k, DType dt, const Shape *elems, int count, Diag *d)
{
	Value *v = op_outv(g, n, k);
	if (!v)
		return 0;
	int64_t total = 0;
	Shape *copy = must(arena_alloc(g->arena, ((size_t)count + 1) * sizeof *copy));
	for (int i = 0; i < count; i++) {
		int64_t e = shape_numel(&elems[i]);
		if (e < 0 || (total += e) > CNNC_MAX_TENSOR_BYTES)
			return ir_node_error(d, g, n, "output '%s' is too large", v->name);
		copy[i] = elems[i];
	}
	v->vtype = VT_SEQUENCE;
	v->dtype = dt;
	v->shape = (Shape){1, {total}};
	v->nelems = count;
	v->elems = copy;
	v->inner = VT_TENSOR;
	v->none = false;
	v->typed = true;
	if (ir_bytes(v) < 0)
		return ir_node_error(d, g, n, "output '%s' is too large", v->name);
	return 0;
}

void ctl_forward(Graph *g, uint32_t ni, uint32_t src, uint32_t out)
{
	Node *n = ir_node(g, ni);
	ctl_node(g, OP_CTL_PASS, n->name, "out", n->opset, &src, 1, &out, 1);
}

/* ------------------------------------------------------------ cloning subgraphs */

static Graph *clone_graph(Graph *parent, const Graph *s, const uint32_t *outer_map);

static Attr *clone_attrs(Graph *owner, const Attr *attrs, int n, Graph *sub_parent)
{
	Attr *a = must(arena_alloc(owner->arena, ((size_t)n + 1) * sizeof *a));
	for (int i = 0; i < n; i++) {
		a[i] = attrs[i];
		if (a[i].type == AT_GRAPH && a[i].graph) {
			a[i].graph = clone_graph(sub_parent, attrs[i].graph, NULL);
		} else if (a[i].type == AT_GRAPHS) {
			a[i].graphs = must(arena_alloc(owner->arena, (a[i].n + 1) * sizeof(Graph *)));
			for (size_t k = 0; k < a[i].n; k++)
				a[i].graphs[k] = clone_graph(sub_parent, attrs[i].graphs[k], NULL);
		}
	}
	return a;
}

/* A copy of subgraph s whose parent is `parent`; s's outer references (ids in s->parent)
   are mapped through outer_map, or kept when it is NULL (the parent is a copy with the
   same ids). */
static Graph *clone_graph(Graph *parent, const Graph *s, const uint32_t *outer_map)
{
	Graph *c = graph_new_sub(parent, s->name);
	c->opsets = s->opsets;
	c->nopsets = s->nopsets;
	for (uint32_t v = 0; v < s->nvalues; v++) {
		uint32_t id = ir_add_value(c, s->values[v].name);
		Value *cv = ir_value(c, id);
		const char *nm = cv->name;
		*cv = s->values[v];
		cv->name = nm;
		if (cv->outer != IR_NONE && outer_map)
			cv->outer = outer_map[cv->outer];
	}
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const Node *sn = ir_node(s, i);
		uint32_t id = ir_add_node(c, sn->op, sn->name, sn->inputs, sn->ninputs, sn->outputs,
					  sn->noutputs);
		Node *cn = ir_node(c, id);
		cn->op_type = sn->op_type;
		cn->domain = sn->domain;
		cn->opset = sn->opset;
		cn->attrs = clone_attrs(c, sn->attrs, sn->nattrs, c);
		cn->nattrs = sn->nattrs;
	}
	c->inputs = must(arena_memdup(c->arena, s->inputs, ((size_t)s->ninputs + 1) * sizeof(uint32_t)));
	c->ninputs = s->ninputs;
	c->outputs = must(arena_memdup(c->arena, s->outputs, ((size_t)s->noutputs + 1) * sizeof(uint32_t)));
	c->noutputs = s->noutputs;
	return c;
}

/* ------------------------------------------------------------ inlining */

/* The g value a body value stands for, creating constants and fresh values on the way. */
static int map_values(Graph *g, Graph *body, uint32_t *map, const char *prefix)
{
	for (uint32_t v = 0; v < body->nvalues; v++) {
		Value *bv = ir_value(body, v);
		if (map[v] != IR_NONE)
			continue;
		if (bv->outer != IR_NONE) {
			map[v] = bv->outer;
		} else if (bv->data) {
			/* an initializer: one shared constant of g for every copy of the body */
			uint32_t c = ir_add_temp(g, bv->name);
			Value *cv = ir_value(g, c);
			ctl_copy_type(cv, bv);
			cv->vtype = VT_TENSOR;
			cv->data = bv->data;
			bv = ir_value(body, v);
			bv->outer = c;
			map[v] = c;
		} else {
			char *nm = arena_printf(g->arena, "%s%s", prefix, bv->name);
			map[v] = ir_add_temp(g, nm);
		}
	}
	return 0;
}

int ctl_inline(Graph *g, uint32_t ni, Graph *body, const uint32_t *ins, uint32_t *outs,
	       const char *prefix, Diag *d)
{
	if (body->parent != g)
		return ir_node_error(d, g, ir_node(g, ni), "internal: body is not a subgraph of this graph");
	if (g->nnodes + body->nnodes > CTL_MAX_NODES)
		return ir_node_error(d, g, ir_node(g, ni), "unrolling needs more than %d nodes; cnnc "
				     "unrolls loops and inlines branches at compile time",
				     CTL_MAX_NODES);
	uint32_t *map = must(malloc(((size_t)body->nvalues + 1) * sizeof *map));
	memset(map, 0xff, ((size_t)body->nvalues + 1) * sizeof *map);
	for (int k = 0; k < body->ninputs; k++)
		map[body->inputs[k]] = ins[k];
	map_values(g, body, map, prefix);
	const char *base = ctl_name(g, ni);
	uint32_t *in = must(malloc(sizeof *in * 4097));
	uint32_t *out = must(malloc(sizeof *out * 4097));
	for (uint32_t i = 0; i < body->nnodes; i++) {
		const Node *bn = ir_node(body, i);
		for (int k = 0; k < bn->ninputs; k++)
			in[k] = bn->inputs[k] == IR_NONE ? IR_NONE : map[bn->inputs[k]];
		for (int k = 0; k < bn->noutputs; k++)
			out[k] = bn->outputs[k] == IR_NONE ? IR_NONE : map[bn->outputs[k]];
		uint32_t id = ctl_node(g, bn->op, base, bn->name, bn->opset, in, bn->ninputs, out,
				       bn->noutputs);
		Node *cn = ir_node(g, id);
		cn->op_type = bn->op_type;
		cn->domain = bn->domain;
		cn->nattrs = bn->nattrs;
		cn->attrs = clone_attrs(g, bn->attrs, bn->nattrs, g);
		/* nested subgraphs refer to body values: rebind them to the copies */
		for (int a = 0; a < cn->nattrs; a++) {
			Attr *at = &cn->attrs[a];
			size_t cnt = at->type == AT_GRAPH ? 1 : at->type == AT_GRAPHS ? at->n : 0;
			for (size_t k = 0; k < cnt; k++) {
				Graph *sub = at->type == AT_GRAPH ? at->graph : at->graphs[k];
				for (uint32_t v = 0; v < sub->nvalues; v++)
					if (sub->values[v].outer != IR_NONE)
						sub->values[v].outer = map[sub->values[v].outer];
			}
		}
	}
	for (int k = 0; k < body->noutputs; k++)
		outs[k] = map[body->outputs[k]];
	free(in);
	free(out);
	free(map);
	return 0;
}

/* ------------------------------------------------------------ sequences */

int ctl_seq_elems(Graph *g, uint32_t ni, uint32_t s, uint32_t **ids, int *count, Diag *d)
{
	const Value *v = ir_value(g, s);
	*ids = NULL;
	*count = 0;
	if (!v->typed)
		return ir_node_error(d, g, ir_node(g, ni), "input '%s' has no known type", v->name);
	const Node *p = v->producer != IR_NONE ? ir_node(g, v->producer) : NULL;
	if (p && p->op == OP_SEQUENCE_CONSTRUCT) {
		*ids = must(malloc(((size_t)p->ninputs + 1) * sizeof **ids));
		memcpy(*ids, p->inputs, (size_t)p->ninputs * sizeof **ids);
		*count = p->ninputs;
		return 0;
	}
	if (p && p->op == OP_OPTIONAL && ir_has_in(p, 0))
		return ctl_seq_elems(g, ni, p->inputs[0], ids, count, d);
	bool seq = v->vtype == VT_SEQUENCE || (v->vtype == VT_OPTIONAL && v->inner == VT_SEQUENCE &&
					       !v->none);
	if (!seq || (p && !v->data))
		return ir_node_error(d, g, ir_node(g, ni), "input '%s' is not a sequence", v->name);
	/* a graph input (or a folded constant): read its elements out of the flat buffer */
	int n = v->nelems;
	const char *vname = v->name;
	const char *base = ctl_name(g, ni);
	*ids = must(malloc(((size_t)n + 1) * sizeof **ids));
	for (int i = 0; i < n; i++) {
		uint32_t e = ir_add_temp(g, arena_printf(g->arena, "%s_%d", vname, i));
		uint32_t id = ctl_node(g, OP_SEQUENCE_ELEMENT, base, arena_printf(g->arena, "elem%d", i),
				       ir_node(g, ni)->opset, &s, 1, &e, 1);
		ctl_set_int(g, id, "index", i);
		(*ids)[i] = e;
	}
	*count = n;
	return 0;
}

void ctl_c_string(Out *o, const char *s)
{
	out_printf(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '?')
			out_printf(o, "%c", *p);
		else
			out_printf(o, "\\%03o", *p);
	}
	out_printf(o, "\"");
}
