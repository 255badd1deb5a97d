/* print.c - the stable text form of a graph.
 *
 *   graph main (inputs %0, outputs %3)
 *   %0 x: float[1,3,8,8] input
 *   %1 w: float[4,3,3,3] const
 *   n0 Conv(%0, %1) -> %2 {strides=[1,1]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct Buf {
	char *p;
	size_t n, cap;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (b->n + (size_t)k + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)k + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return;
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

static void put_ref(Buf *b, uint32_t v)
{
	if (v == IR_NONE)
		put(b, "_");
	else
		put(b, "%%%u", v);
}

static void put_attr(Buf *b, const Attr *a)
{
	put(b, "%s=", a->name);
	switch (a->type) {
	case AT_INT: put(b, "%lld", (long long)a->i); break;
	case AT_FLOAT: put(b, "%g", a->f); break;
	case AT_STRING: put(b, "\"%s\"", a->s); break;
	case AT_INTS:
		put(b, "[");
		for (size_t i = 0; i < a->n; i++)
			put(b, "%s%lld", i ? "," : "", (long long)a->ints[i]);
		put(b, "]");
		break;
	case AT_FLOATS:
		put(b, "[");
		for (size_t i = 0; i < a->n; i++)
			put(b, "%s%g", i ? "," : "", a->floats[i]);
		put(b, "]");
		break;
	case AT_GRAPH: put(b, "<graph %s>", a->graph ? a->graph->name : "?"); break;
	default: put(b, "<%d>", (int)a->type); break;
	}
}

char *ir_print(const Graph *g)
{
	Buf b = {0};
	char sh[256];
	put(&b, "graph %s (inputs", g->name);
	for (int i = 0; i < g->ninputs; i++)
		put(&b, " %%%u", g->inputs[i]);
	put(&b, ", outputs");
	for (int i = 0; i < g->noutputs; i++)
		put(&b, " %%%u", g->outputs[i]);
	put(&b, ")\n");
	for (uint32_t i = 0; i < g->nvalues; i++) {
		const Value *v = &g->values[i];
		bool used = v->is_input || v->is_output || v->producer != IR_NONE;
		for (uint32_t k = 0; !used && k < g->nnodes; k++)
			for (int j = 0; j < g->nodes[k].ninputs; j++)
				used |= g->nodes[k].inputs[j] == i;
		if (!used)
			continue;
		put(&b, "%%%u %s: %s%s", i, v->name, dtype_name(v->dtype),
		    v->typed ? shape_str(&v->shape, sh, sizeof sh) : "[?]");
		if (v->is_input)
			put(&b, " input");
		if (v->is_output)
			put(&b, " output");
		if (v->data)
			put(&b, " const");
		put(&b, "\n");
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = &g->nodes[i];
		put(&b, "n%u %s(", i, n->op_type);
		for (int j = 0; j < n->ninputs; j++) {
			if (j)
				put(&b, ", ");
			put_ref(&b, n->inputs[j]);
		}
		put(&b, ") ->");
		for (int j = 0; j < n->noutputs; j++) {
			put(&b, " ");
			put_ref(&b, n->outputs[j]);
		}
		if (n->nattrs) {
			put(&b, " {");
			for (int j = 0; j < n->nattrs; j++) {
				if (j)
					put(&b, ", ");
				put_attr(&b, &n->attrs[j]);
			}
			put(&b, "}");
		}
		put(&b, "\n");
	}
	if (!b.p)
		b.p = calloc(1, 1);
	return b.p;
}
