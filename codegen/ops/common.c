/* common.c - helpers every op file uses: operand access, checks, C spelling, loops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

const DType op_float_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};
const DType op_int_types[] = {DT_INT8,  DT_INT16,  DT_INT32,  DT_INT64,    DT_UINT8,
			      DT_UINT16, DT_UINT32, DT_UINT64, DT_UNDEFINED};
const DType op_numeric_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT8,
				  DT_INT16, DT_INT32,  DT_INT64,   DT_UINT8,    DT_UINT16,
				  DT_UINT32, DT_UINT64, DT_UNDEFINED};

Value *op_in(const Graph *g, const Node *n, int k)
{
	uint32_t id = ir_in(n, k);
	return id == IR_NONE ? NULL : ir_value(g, id);
}

Value *op_outv(const Graph *g, const Node *n, int k)
{
	uint32_t id = ir_out(n, k);
	return id == IR_NONE ? NULL : ir_value(g, id);
}

void op_set_out(Graph *g, const Node *n, int k, DType dt, const Shape *s)
{
	Value *v = op_outv(g, n, k);
	if (!v)
		return;
	v->dtype = dt;
	v->shape = *s;
	v->typed = true;
}

int op_check_arity(const Graph *g, const Node *n, int lo, int hi, int need, Diag *d)
{
	if (n->ninputs < lo || (hi >= 0 && n->ninputs > hi)) {
		if (hi == lo)
			return ir_node_error(d, g, n, "has %d inputs, expected %d", n->ninputs, lo);
		if (hi < 0)
			return ir_node_error(d, g, n, "has %d inputs, expected at least %d", n->ninputs, lo);
		return ir_node_error(d, g, n, "has %d inputs, expected %d to %d", n->ninputs, lo, hi);
	}
	for (int k = 0; k < need; k++) {
		const Value *v = op_in(g, n, k);
		if (!v)
			return ir_node_error(d, g, n, "input %d is missing", k);
		if (!v->typed)
			return ir_node_error(d, g, n, "input '%s' has no known type and shape", v->name);
	}
	for (int k = need; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && !v->typed)
			return ir_node_error(d, g, n, "input '%s' has no known type and shape", v->name);
	}
	return 0;
}

int op_check_dtype(const Graph *g, const Node *n, int k, const DType *allowed, Diag *d)
{
	const Value *v = op_in(g, n, k);
	if (!v)
		return 0;
	for (const DType *a = allowed; *a != DT_UNDEFINED; a++)
		if (*a == v->dtype)
			return 0;
	return ir_node_error(d, g, n, "input '%s' has element type %s, which this operator does "
			     "not support", v->name, dtype_name(v->dtype));
}

/* A caller-fed graph input, not fixed at compile time, that value v is computed from
   (the first found walking back through producers), or IR_NONE. */
static uint32_t source_input(const Graph *g, uint32_t v)
{
	bool *seen = calloc(g->nvalues + 1, sizeof *seen);
	uint32_t *stack = malloc((g->nvalues + 1) * sizeof *stack);
	uint32_t found = IR_NONE, top = 0;
	if (!seen || !stack)
		goto out;
	stack[top++] = v;
	seen[v] = true;
	while (top && found == IR_NONE) {
		const Value *x = ir_value(g, stack[--top]);
		if (x->is_input && !x->data) {
			found = stack[top];
			break;
		}
		if (x->producer == IR_NONE)
			continue;
		const Node *p = ir_node(g, x->producer);
		for (int j = p->ninputs; j-- > 0;) {
			uint32_t u = p->inputs[j];
			if (u != IR_NONE && !seen[u] && !ir_value(g, u)->data) {
				seen[u] = true;
				stack[top++] = u;
			}
		}
	}
out:
	free(seen);
	free(stack);
	return found;
}

int op_require_const(const Graph *g, const Node *n, int k, Diag *d)
{
	const Value *v = op_in(g, n, k);
	if (!v)
		return ir_node_error(d, g, n, "input %d is missing", k);
	if (v->data)
		return 0;
	if (v->is_input && !g->parent && !d->nerrors)
		snprintf(d->need_input, sizeof d->need_input, "%s", v->name);
	if (v->is_input)
		return ir_node_error(d, g, n, "input '%s' determines a shape and must be known at "
				     "compile time; pass --input-value %s=FILE.pb", v->name, v->name);
	uint32_t src = g->parent ? IR_NONE : source_input(g, ir_in(n, k));
	if (src != IR_NONE) {
		const char *sn = ir_value(g, src)->name;
		if (!d->nerrors)
			snprintf(d->need_input, sizeof d->need_input, "%s", sn);
		return ir_node_error(d, g, n, "input '%s' determines a shape but is computed at run "
				     "time from graph input '%s'; pass --input-value %s=FILE.pb",
				     v->name, sn, sn);
	}
	return ir_node_error(d, g, n, "input '%s' determines a shape but is computed at run time; "
			     "cnnc needs static shapes", v->name);
}

int op_const_ints(Graph *g, const Node *n, int k, const int64_t **vals, int64_t *count, Diag *d)
{
	if (op_require_const(g, n, k, d) < 0)
		return -1;
	const Value *v = op_in(g, n, k);
	if (!dtype_info(v->dtype)->is_int)
		return ir_node_error(d, g, n, "input '%s' must be an integer tensor, not %s", v->name,
				     dtype_name(v->dtype));
	int64_t c = ir_numel(v);
	int64_t *out = arena_alloc(g->arena, (size_t)(c + 1) * sizeof(int64_t));
	if (!out)
		return ir_node_error(d, g, n, "out of memory");
	for (int64_t i = 0; i < c; i++)
		out[i] = dtype_get_i64(v->dtype, v->data, i);
	*vals = out;
	*count = c;
	return 0;
}

int op_axis(const Graph *g, const Node *n, int64_t a, int rank, int *out, Diag *d)
{
	if (a < -rank || a >= (rank ? rank : 1))
		return ir_node_error(d, g, n, "axis %lld is out of range for rank %d", (long long)a, rank);
	*out = (int)(a < 0 ? a + rank : a);
	return 0;
}

bool op_all_const(const Graph *g, const Node *n)
{
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && !v->data)
			return false;
	}
	return true;
}

void *op_alloc_const(Graph *g, const Node *n, int k)
{
	Value *v = op_outv(g, n, k);
	if (!v)
		return NULL;
	int64_t b = ir_bytes(v);
	v->data = arena_alloc(g->arena, b > 0 ? (size_t)b : 1);
	return v->data;
}

const char *cg_ctype(DType d)
{
	return dtype_info(d)->ctype;
}

const char *cg_comp(DType d)
{
	return dtype_info(d)->comp;
}

static const char *conv_fn(DType d, bool load)
{
	switch (d) {
	case DT_FLOAT16: return load ? "rt_h2f" : "rt_f2h";
	case DT_BFLOAT16: return load ? "rt_bf2f" : "rt_f2bf";
	default: return NULL;
	}
}

const char *cg_load(DType d, const char *expr, char *buf, size_t n)
{
	const char *f = conv_fn(d, true);
	if (f)
		snprintf(buf, n, "%s(%s)", f, expr);
	else
		snprintf(buf, n, "%s", expr);
	return buf;
}

const char *cg_store(DType d, const char *expr, char *buf, size_t n)
{
	const char *f = conv_fn(d, false);
	if (f)
		snprintf(buf, n, "%s(%s)", f, expr);
	else if (d == DT_BOOL)
		snprintf(buf, n, "(uint8_t)((%s) != 0)", expr);
	else
		snprintf(buf, n, "(%s)(%s)", cg_ctype(d), expr);
	return buf;
}

const char *cg_lit(DType d, double v, char *buf, size_t n)
{
	const char *comp = cg_comp(d);
	bool dbl = strcmp(comp, "double") == 0;
	if (!dtype_info(d)->is_float && d != DT_DOUBLE)
		return cg_ilit(d, (int64_t)v, buf, n);
	if (isnan(v))
		snprintf(buf, n, dbl ? "((double)NAN)" : "NAN");
	else if (isinf(v))
		snprintf(buf, n, dbl ? "((double)%sINFINITY)" : "%sINFINITY", v < 0 ? "-" : "");
	else {
		char tmp[64];
		snprintf(tmp, sizeof tmp, dbl ? "%.17g" : "%.9g", dbl ? v : (double)(float)v);
		bool has_point = strpbrk(tmp, ".e") != NULL;
		snprintf(buf, n, "%s%s%s", tmp, has_point ? "" : ".0", dbl ? "" : "f");
	}
	return buf;
}

const char *cg_ilit(DType d, int64_t v, char *buf, size_t n)
{
	switch (d) {
	case DT_UINT64: snprintf(buf, n, "UINT64_C(%llu)", (unsigned long long)v); break;
	case DT_INT64:
		if (v == INT64_MIN)
			snprintf(buf, n, "INT64_MIN");
		else
			snprintf(buf, n, "INT64_C(%lld)", (long long)v);
		break;
	case DT_UINT32: snprintf(buf, n, "%lluu", (unsigned long long)(uint32_t)v); break;
	default:
		if (v == INT32_MIN)
			snprintf(buf, n, "INT32_MIN");
		else if (v > INT32_MAX || v < INT32_MIN)
			snprintf(buf, n, "INT64_C(%lld)", (long long)v);
		else
			snprintf(buf, n, "%lld", (long long)v);
		break;
	}
	return buf;
}

int cg_loops(Out *o, const Shape *s, const char *var)
{
	int64_t total = shape_numel(s);
	const char *it = total > INT32_MAX ? "int64_t" : "int";
	for (int i = 0; i < s->rank; i++)
		out_line(o, "for (%s %s%d = 0; %s%d < %lld; %s%d++) {", it, var, i, var, i,
			 (long long)s->dims[i], var, i);
	return s->rank;
}

void cg_close(Out *o, int nloops)
{
	for (int i = 0; i < nloops; i++)
		out_line(o, "}");
}

const char *cg_bcast_index(const Shape *in, const Shape *full, const char *var, char *buf, size_t n)
{
	int64_t st[CNNC_MAX_RANK];
	shape_strides(in, st);
	size_t k = 0;
	buf[0] = 0;
	int off = full->rank - in->rank;
	for (int i = 0; i < in->rank; i++) {
		if (in->dims[i] == 1)
			continue;
		if (k >= n)
			break;
		if (st[i] == 1)
			k += (size_t)snprintf(buf + k, n - k, "%s%s%d", k ? " + " : "", var, i + off);
		else
			k += (size_t)snprintf(buf + k, n - k, "%s%s%d * %lld", k ? " + " : "", var,
					      i + off, (long long)st[i]);
	}
	if (!k)
		snprintf(buf, n, "0");
	return buf;
}

/* Nop: a deleted node; ir_compact() removes it before anything asks for its code. */
const OpDef opdef_NOP = {NULL, NULL, NULL, NULL, 0};
