/* graph.c - building and querying the graph: values, nodes, attributes, order.
 *
 * Values are found by name through an open-addressing index rebuilt as the value
 * array grows. Allocation failure inside the builders is treated as fatal (abort):
 * cnnc cannot report anything useful without memory, and every other path stays
 * free of NULL checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static void *must(void *p)
{
	if (!p) {
		fputs("cnnc: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void *grow(Arena *a, void *old, uint32_t n, uint32_t *cap, size_t elem)
{
	if (n < *cap)
		return old;
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *p = must(arena_alloc(a, (size_t)ncap * elem));
	if (old)
		memcpy(p, old, (size_t)*cap * elem);
	*cap = ncap;
	return p;
}

Graph *graph_new(const char *file)
{
	Arena *a = arena_new();
	if (!a)
		return NULL;
	Graph *g = arena_alloc(a, sizeof *g);
	if (!g) {
		arena_free(a);
		return NULL;
	}
	g->arena = a;
	g->file = file ? arena_strdup(a, file) : "<graph>";
	g->name = "main";
	return g;
}

Graph *graph_new_sub(Graph *parent, const char *name)
{
	Graph *g = must(arena_alloc(parent->arena, sizeof *g));
	g->arena = parent->arena;
	g->parent = parent;
	g->file = parent->file;
	g->name = arena_strdup(g->arena, name ? name : "subgraph");
	g->opsets = parent->opsets;
	g->nopsets = parent->nopsets;
	g->ir_version = parent->ir_version;
	Graph *top = parent;
	while (top->parent)
		top = top->parent;
	uint32_t n = (uint32_t)top->nsubgraphs, cap = n;
	/* keep a list on the top graph so passes can walk every subgraph */
	Graph **list = must(arena_alloc(g->arena, (size_t)(n + 1) * sizeof *list));
	if (n)
		memcpy(list, top->subgraphs, n * sizeof *list);
	(void)cap;
	list[n] = g;
	top->subgraphs = list;
	top->nsubgraphs++;
	return g;
}

void graph_free(Graph *g)
{
	if (g && !g->parent)
		arena_free(g->arena);
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void index_insert(Graph *g, uint32_t id)
{
	uint32_t mask = g->index_cap - 1;
	uint32_t h = hash_str(g->values[id].name) & mask;
	while (g->index[h] != IR_NONE)
		h = (h + 1) & mask;
	g->index[h] = id;
}

static void index_rebuild(Graph *g)
{
	uint32_t cap = 64;
	while (cap < g->nvalues * 2 + 2)
		cap *= 2;
	g->index = must(arena_alloc(g->arena, cap * sizeof(uint32_t)));
	g->index_cap = cap;
	memset(g->index, 0xff, cap * sizeof(uint32_t));
	for (uint32_t i = 0; i < g->nvalues; i++)
		index_insert(g, i);
}

uint32_t ir_find_value(const Graph *g, const char *name)
{
	if (!g->index_cap)
		return IR_NONE;
	uint32_t mask = g->index_cap - 1;
	for (uint32_t h = hash_str(name) & mask; g->index[h] != IR_NONE; h = (h + 1) & mask)
		if (strcmp(g->values[g->index[h]].name, name) == 0)
			return g->index[h];
	return IR_NONE;
}

uint32_t ir_add_value(Graph *g, const char *name)
{
	g->values = grow(g->arena, g->values, g->nvalues, &g->capvalues, sizeof(Value));
	uint32_t id = g->nvalues++;
	Value *v = &g->values[id];
	memset(v, 0, sizeof *v);
	v->name = must(arena_strdup(g->arena, name));
	v->producer = IR_NONE;
	v->alias = IR_NONE;
	v->outer = IR_NONE;
	v->offset = -1;
	if (g->nvalues * 2 + 2 > g->index_cap)
		index_rebuild(g);
	else
		index_insert(g, id);
	return id;
}

uint32_t ir_add_temp(Graph *g, const char *hint)
{
	char buf[256];
	for (unsigned k = g->nvalues;; k++) {
		snprintf(buf, sizeof buf, "%.200s__%u", hint ? hint : "t", k);
		if (ir_find_value(g, buf) == IR_NONE)
			return ir_add_value(g, buf);
	}
}

uint32_t ir_add_node(Graph *g, OpKind op, const char *name, const uint32_t *inputs, int ninputs,
		     const uint32_t *outputs, int noutputs)
{
	g->nodes = grow(g->arena, g->nodes, g->nnodes, &g->capnodes, sizeof(Node));
	uint32_t id = g->nnodes++;
	Node *n = &g->nodes[id];
	memset(n, 0, sizeof *n);
	n->op = op;
	n->op_type = op_name(op);
	n->domain = op_domain(op);
	n->name = must(name ? arena_strdup(g->arena, name) : arena_printf(g->arena, "n%u", id));
	n->inputs = must(arena_memdup(g->arena, inputs, (size_t)ninputs * sizeof(uint32_t)));
	n->ninputs = ninputs;
	n->outputs = must(arena_memdup(g->arena, outputs, (size_t)noutputs * sizeof(uint32_t)));
	n->noutputs = noutputs;
	n->scratch_offset = -1;
	for (int i = 0; i < noutputs; i++)
		if (outputs[i] != IR_NONE)
			g->values[outputs[i]].producer = id;
	return id;
}

uint32_t ir_add_const(Graph *g, const char *hint, DType dt, const Shape *s, const void *data)
{
	uint32_t id = ir_add_temp(g, hint);
	Value *v = ir_value(g, id);
	v->dtype = dt;
	v->shape = *s;
	v->typed = true;
	int64_t bytes = ir_bytes(v);
	v->data = must(arena_alloc(g->arena, bytes > 0 ? (size_t)bytes : 1));
	if (bytes > 0)
		memcpy(v->data, data, (size_t)bytes);
	return id;
}

uint32_t ir_adopt_const(Graph *g, const char *hint, DType dt, const Shape *s, void *data)
{
	uint32_t id = ir_add_temp(g, hint);
	Value *v = ir_value(g, id);
	v->dtype = dt;
	v->shape = *s;
	v->typed = true;
	v->data = data;
	return id;
}

void ir_kill_node(Graph *g, uint32_t id)
{
	Node *n = ir_node(g, id);
	for (int i = 0; i < n->noutputs; i++)
		if (n->outputs[i] != IR_NONE && g->values[n->outputs[i]].producer == id)
			g->values[n->outputs[i]].producer = IR_NONE;
	n->op = OP_NOP;
	n->ninputs = 0;
	n->noutputs = 0;
}

void ir_compact(Graph *g)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].op == OP_NOP)
			continue;
		g->nodes[k] = g->nodes[i];
		for (int j = 0; j < g->nodes[k].noutputs; j++)
			if (g->nodes[k].outputs[j] != IR_NONE)
				g->values[g->nodes[k].outputs[j]].producer = k;
		k++;
	}
	g->nnodes = k;
}

void ir_replace_uses(Graph *g, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		Node *n = &g->nodes[i];
		for (int j = 0; j < n->ninputs; j++)
			if (n->inputs[j] == from)
				n->inputs[j] = to;
	}
	for (int j = 0; j < g->noutputs; j++)
		if (g->outputs[j] == from)
			g->outputs[j] = to;
}

int ir_consumers(const Graph *g, uint32_t v, uint32_t *nodes, int max)
{
	int c = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = &g->nodes[i];
		for (int j = 0; j < n->ninputs; j++)
			if (n->inputs[j] == v) {
				if (c < max)
					nodes[c] = i;
				c++;
				break;
			}
	}
	return c;
}

int ir_use_count(const Graph *g, uint32_t v)
{
	int c = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = &g->nodes[i];
		for (int j = 0; j < n->ninputs; j++)
			c += n->inputs[j] == v;
	}
	for (int j = 0; j < g->noutputs; j++)
		c += g->outputs[j] == v;
	return c;
}

int ir_topo_order(Graph *g, uint32_t *order, Diag *d)
{
	/* Kahn's algorithm over producer edges, with consumers in CSR form. Nodes
	   whose inputs are ready go first in their original order, which keeps the
	   output deterministic. */
	uint32_t nn = g->nnodes, nv = g->nvalues, k = 0, qh = 0, qt = 0;
	uint32_t *pending = must(calloc(nn + 1, sizeof *pending));
	uint32_t *queue = must(calloc(nn + 1, sizeof *queue));
	uint32_t *start = must(calloc(nv + 2, sizeof *start));
	uint32_t nuse = 0;
	int rc = 0;
	for (uint32_t i = 0; i < nn; i++) {
		const Node *n = &g->nodes[i];
		for (int j = 0; j < n->ninputs; j++) {
			uint32_t v = n->inputs[j];
			if (v == IR_NONE)
				continue;
			if (v >= nv) {
				rc = ir_node_error(d, g, n, "input %d refers to no value", j);
				goto out;
			}
			start[v + 1]++;
			nuse++;
		}
	}
	for (uint32_t v = 0; v < nv; v++)
		start[v + 1] += start[v];
	uint32_t *users = must(calloc(nuse + 1, sizeof *users));
	uint32_t *fill = must(calloc(nv + 1, sizeof *fill));
	for (uint32_t i = 0; i < nn; i++) {
		const Node *n = &g->nodes[i];
		for (int j = 0; j < n->ninputs; j++) {
			uint32_t v = n->inputs[j];
			if (v == IR_NONE)
				continue;
			users[start[v] + fill[v]++] = i;
			if (g->values[v].producer != IR_NONE)
				pending[i]++;
		}
		if (!pending[i])
			queue[qt++] = i;
	}
	while (qh < qt) {
		uint32_t i = queue[qh++];
		order[k++] = i;
		const Node *n = &g->nodes[i];
		for (int o = 0; o < n->noutputs; o++) {
			uint32_t v = n->outputs[o];
			if (v == IR_NONE || v >= nv || g->values[v].producer != i)
				continue;
			for (uint32_t u = start[v]; u < start[v + 1]; u++)
				if (--pending[users[u]] == 0)
					queue[qt++] = users[u];
		}
	}
	free(users);
	free(fill);
	if (k != nn) {
		for (uint32_t i = 0; i < nn; i++)
			if (pending[i]) {
				rc = ir_node_error(d, g, &g->nodes[i], "node is part of a cycle");
				break;
			}
	}
out:
	free(pending);
	free(queue);
	free(start);
	return rc;
}

int ir_sort(Graph *g, Diag *d)
{
	uint32_t nn = g->nnodes;
	uint32_t *order = must(malloc((nn ? nn : 1) * sizeof *order));
	if (ir_topo_order(g, order, d) < 0) {
		free(order);
		return -1;
	}
	/* sort through a temporary copy so that repeated sorts (the lowering of control
	   flow re-sorts after each rewrite) do not grow the arena */
	Node *tmp = must(malloc((nn ? nn : 1) * sizeof *tmp));
	for (uint32_t i = 0; i < nn; i++)
		tmp[i] = g->nodes[order[i]];
	free(order);
	if (nn)
		memcpy(g->nodes, tmp, nn * sizeof *tmp);
	free(tmp);
	Node *sorted = g->nodes;
	for (uint32_t i = 0; i < nn; i++)
		for (int j = 0; j < sorted[i].noutputs; j++)
			if (sorted[i].outputs[j] != IR_NONE)
				g->values[sorted[i].outputs[j]].producer = i;
	return 0;
}

uint32_t ir_storage(const Graph *g, uint32_t v)
{
	while (g->values[v].alias != IR_NONE)
		v = g->values[v].alias;
	return v;
}

const Attr *ir_attr(const Node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	return NULL;
}

int64_t ir_attr_int(const Node *n, const char *name, int64_t dflt)
{
	const Attr *a = ir_attr(n, name);
	return a && a->type == AT_INT ? a->i : dflt;
}

double ir_attr_float(const Node *n, const char *name, double dflt)
{
	const Attr *a = ir_attr(n, name);
	if (a && a->type == AT_FLOAT)
		return a->f;
	if (a && a->type == AT_INT)
		return (double)a->i;
	return dflt;
}

const char *ir_attr_str(const Node *n, const char *name, const char *dflt)
{
	const Attr *a = ir_attr(n, name);
	return a && a->type == AT_STRING ? a->s : dflt;
}

size_t ir_attr_ints(const Node *n, const char *name, const int64_t **out)
{
	const Attr *a = ir_attr(n, name);
	if (!a || a->type != AT_INTS) {
		*out = NULL;
		return 0;
	}
	*out = a->ints;
	return a->n;
}

size_t ir_attr_floats(const Node *n, const char *name, const double **out)
{
	const Attr *a = ir_attr(n, name);
	if (!a || a->type != AT_FLOATS) {
		*out = NULL;
		return 0;
	}
	*out = a->floats;
	return a->n;
}

static Attr *set_attr(Graph *g, uint32_t id, const char *name, AttrType type)
{
	Node *n = ir_node(g, id);
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0) {
			memset(&n->attrs[i], 0, sizeof n->attrs[i]);
			n->attrs[i].name = must(arena_strdup(g->arena, name));
			n->attrs[i].type = type;
			return &n->attrs[i];
		}
	Attr *attrs = must(arena_alloc(g->arena, (size_t)(n->nattrs + 1) * sizeof *attrs));
	if (n->nattrs)
		memcpy(attrs, n->attrs, (size_t)n->nattrs * sizeof *attrs);
	n->attrs = attrs;
	Attr *a = &attrs[n->nattrs++];
	a->name = must(arena_strdup(g->arena, name));
	a->type = type;
	return a;
}

void ir_set_attr_int(Graph *g, uint32_t id, const char *name, int64_t v)
{
	set_attr(g, id, name, AT_INT)->i = v;
}

void ir_set_attr_float(Graph *g, uint32_t id, const char *name, double v)
{
	set_attr(g, id, name, AT_FLOAT)->f = v;
}

void ir_set_attr_ints(Graph *g, uint32_t id, const char *name, const int64_t *v, size_t n)
{
	Attr *a = set_attr(g, id, name, AT_INTS);
	a->ints = must(arena_alloc(g->arena, (n + 1) * sizeof *v));
	if (n)
		memcpy(a->ints, v, n * sizeof *v);
	a->n = n;
}

int64_t ir_numel(const Value *v)
{
	return shape_numel(&v->shape);
}

int64_t ir_bytes(const Value *v)
{
	int64_t n = ir_numel(v);
	return n < 0 ? -1 : dtype_bytes(v->dtype, n);
}

int64_t ir_storage_bytes(const Value *v)
{
	if (v->layout <= 0 || v->shape.rank < 3)
		return ir_bytes(v);
	Shape s = v->shape;
	int64_t b = v->layout;
	s.dims[1] = (s.dims[1] + b - 1) / b * b;
	int64_t n = shape_numel(&s);
	return n < 0 ? -1 : dtype_bytes(v->dtype, n);
}

int ir_node_error(Diag *d, const Graph *g, const Node *n, const char *fmt, ...)
{
	(void)g;
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return diag_error(d, "node '%.200s' (%.100s): %s", n->name, n->op_type, buf);
}
