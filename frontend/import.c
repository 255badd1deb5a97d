/* import.c - ModelProto -> Graph, with the structural checks of the ONNX IR.
 *
 * The top graph's inputs that also have an initializer are constants (old
 * exporters list weights as inputs). Symbolic dims are bound from --dim, whole
 * input shapes from --input-shape; an input left with an unknown dim is an error
 * here, so every later stage sees concrete shapes. Inputs given a value with
 * --input-value stay in the interface but become constants for the compiler.
 *
 * Model-local functions (FunctionProto) are inlined where they are called:
 * formal names are renamed with a unique prefix and attribute references
 * (ref_attr_name) take the caller's attributes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_internal.h"

#define MAX_INLINE_DEPTH 32

typedef struct Importer {
	Graph *top;
	const Options *opt;
	Diag *d;
	const char *dir; /* model folder for external data */
	const Onnx__ModelProto *model;
	unsigned inline_seq; /* counter for unique names of inlined functions */
	bool borrow;         /* model was unpacked into top's arena: tensors use raw_data in place */
} Importer;

/* A scope of name renames, used while inlining a function body. */
typedef struct Rename {
	const char **from, **to;
	size_t n;
	const Onnx__NodeProto *caller; /* for ref_attr_name */
	const struct Rename *outer;
} Rename;

static int import_graph(Importer *im, Graph *g, const Onnx__GraphProto *gp, bool top);

static int opset_of(const Graph *g, const char *domain)
{
	if (!domain || strcmp(domain, "ai.onnx") == 0)
		domain = "";
	for (int i = 0; i < g->nopsets; i++)
		if (strcmp(g->opsets[i].domain, domain) == 0)
			return (int)g->opsets[i].version;
	return -1;
}

static const char *renamed(const Rename *r, const char *name)
{
	if (!r || !*name)
		return name;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->from[i], name) == 0)
			return r->to[i];
	return name;
}

/* Value id for a name used as a node input: local, else a reference to an
   enclosing graph's value (subgraphs), else a new undefined placeholder that
   check_defined() reports if nothing produces it. */
static uint32_t use_name(Graph *g, const char *name)
{
	if (!*name)
		return IR_NONE;
	uint32_t id = ir_find_value(g, name);
	if (id != IR_NONE)
		return id;
	for (Graph *p = g->parent; p; p = p->parent) {
		uint32_t pid = ir_find_value(p, name);
		if (pid != IR_NONE) {
			/* refer to the direct parent's value, creating the chain */
			uint32_t outer = use_name(g->parent, name);
			id = ir_add_value(g, name);
			ir_value(g, id)->outer = outer;
			return id;
		}
	}
	return ir_add_value(g, name);
}

/* Applies a --input-shape binding (or verify's binding from test data) to graph input v,
   whose kind is already set from its declared type. */
static int bind_shape(Importer *im, Graph *g, Value *v, const ShapeBinding *b)
{
	Diag *d = im->d;
	bool seq = v->vtype == VT_SEQUENCE || (v->vtype == VT_OPTIONAL && v->inner == VT_SEQUENCE);
	v->typed = v->dtype != DT_UNDEFINED;
	if (b->none) {
		if (v->vtype != VT_OPTIONAL)
			return diag_error(d, "graph input '%s' is not optional but is bound as empty",
					  v->name);
		v->none = true;
		v->shape = (Shape){1, {0}};
		return 0;
	}
	if (b->is_seq != seq)
		return diag_error(d, "graph input '%s' is %s, but its shape is given as %s", v->name,
				  seq ? "a sequence" : "a tensor", b->is_seq ? "a sequence" : "a tensor");
	if (!seq) {
		v->shape = b->shape;
		return 0;
	}
	int64_t total = 0;
	v->nelems = b->nelems;
	v->elems = arena_alloc(g->arena, ((size_t)b->nelems + 1) * sizeof(Shape));
	for (int i = 0; i < b->nelems; i++) {
		int64_t n = shape_numel(&b->elems[i]);
		if (n < 0 || (total += n) > CNNC_MAX_TENSOR_BYTES)
			return diag_error(d, "graph input '%s' is a sequence that is too large", v->name);
		v->elems[i] = b->elems[i];
	}
	v->shape = (Shape){1, {total}};
	if (dtype_bytes(v->dtype, total) < 0)
		return diag_error(d, "graph input '%s' is a sequence that is too large", v->name);
	return 0;
}

/* Sets v's kind (tensor, sequence, optional) and element type from tp. */
static int convert_kind(Importer *im, Value *v, const Onnx__TypeProto **tpp, const char *what)
{
	const Onnx__TypeProto *tp = *tpp;
	int depth = 0;
	while (tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
	       tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
		bool seq = tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
		ValueType k = seq ? VT_SEQUENCE : VT_OPTIONAL;
		if (depth == 0)
			v->vtype = k;
		else if (depth == 1 && v->vtype == VT_OPTIONAL && seq)
			v->inner = k;
		else
			return diag_error(im->d, "%s '%s' nests sequences and optionals in a way cnnc "
					  "does not support", what, v->name);
		depth++;
		const Onnx__TypeProto *e = seq ? tp->sequence_type->elem_type : tp->optional_type->elem_type;
		if (!e)
			return diag_error(im->d, "%s '%s' has an incomplete type", what, v->name);
		tp = e;
	}
	*tpp = tp;
	return 0;
}

static int convert_type(Importer *im, Graph *g, Value *v, const Onnx__TypeProto *tp, bool need_shape,
			const char *what)
{
	Diag *d = im->d;
	if (!tp)
		return need_shape ? diag_error(d, "%s '%s' has no type", what, v->name) : 0;
	if (convert_kind(im, v, &tp, what) < 0)
		return -1;
	if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return diag_error(d, "%s '%s' has a type cnnc does not support (maps, sparse tensors)",
				  what, v->name);
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	if (tt->has_elem_type && tt->elem_type) {
		if (!dtype_valid(tt->elem_type))
			return diag_error(d, "%s '%s' has unsupported element type %d", what, v->name,
					  (int)tt->elem_type);
		v->dtype = (DType)tt->elem_type;
	} else if (need_shape) {
		return diag_error(d, "%s '%s' has no element type", what, v->name);
	}
	/* a bound shape wins over the declared one */
	for (int i = 0; im->opt && i < im->opt->nshapes; i++)
		if (strcmp(im->opt->shapes[i].name, v->name) == 0 && !g->parent)
			return bind_shape(im, g, v, &im->opt->shapes[i]);
	bool seq = v->vtype == VT_SEQUENCE || (v->vtype == VT_OPTIONAL && v->inner == VT_SEQUENCE);
	if (seq && need_shape)
		return diag_error(d, "%s '%s' is a sequence; give its element shapes with "
				  "--input-shape %s=seq:D0xD1/D0xD1/..", what, v->name, v->name);
	if (!tt->shape) {
		if (need_shape)
			return diag_error(d, "%s '%s' has no shape; give one with --input-shape %s=D0x..",
					  what, v->name, v->name);
		return 0;
	}
	if (tt->shape->n_dim > CNNC_MAX_RANK)
		return diag_error(d, "%s '%s' has rank %zu, more than %d", what, v->name,
				  tt->shape->n_dim, CNNC_MAX_RANK);
	v->shape.rank = (int)tt->shape->n_dim;
	bool known = true;
	for (size_t i = 0; i < tt->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
		int64_t val = -1;
		if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			val = dim->dim_value;
			if (val < 0)
				return diag_error(d, "%s '%s' has negative dim %lld", what, v->name,
						  (long long)val);
		} else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
			for (int k = 0; im->opt && k < im->opt->ndims; k++)
				if (strcmp(im->opt->dims[k].name, dim->dim_param) == 0)
					val = im->opt->dims[k].value;
			if (val < 0 && need_shape)
				return diag_error(d, "%s '%s' has symbolic dim '%s'; pin it with --dim %s=N",
						  what, v->name, dim->dim_param, dim->dim_param);
		} else if (need_shape) {
			return diag_error(d, "%s '%s' has an unknown dim %zu; give its shape with "
					  "--input-shape", what, v->name, i);
		}
		if (val < 0)
			known = false;
		v->shape.dims[i] = val;
	}
	if (known && shape_numel(&v->shape) < 0)
		return diag_error(d, "%s '%s' has a shape that is too large", what, v->name);
	v->typed = known && v->dtype != DT_UNDEFINED && !seq;
	return 0;
}

/* Records tp's shape in v->declared (arena of g) when tp is a tensor type whose every
   dim is a number (or a symbolic dim bound with --dim); anything else declares nothing.
   The shape is a hint for ops whose output shape depends on input data, never a type. */
static void declare_shape(Importer *im, Graph *g, Value *v, const Onnx__TypeProto *tp)
{
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape ||
	    tp->tensor_type->shape->n_dim > CNNC_MAX_RANK)
		return;
	const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
	Shape s = {(int)sp->n_dim, {0}};
	for (size_t i = 0; i < sp->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *dim = sp->dim[i];
		int64_t val = -1;
		if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			val = dim->dim_value;
		else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
			for (int k = 0; im->opt && k < im->opt->ndims; k++)
				if (strcmp(im->opt->dims[k].name, dim->dim_param) == 0)
					val = im->opt->dims[k].value;
		if (val < 0)
			return;
		s.dims[i] = val;
	}
	Shape *copy = arena_alloc_small(g->arena, sizeof *copy);
	if (!copy)
		return; /* out of memory: as if undeclared */
	*copy = s; /* maybe too large: the op that reads it says so */
	v->declared = copy;
}

/* An AT_TYPE_PROTO attribute as its outer kind (s) and innermost element type (i). */
static void type_proto_attr(Arena *ar, Attr *a, const Onnx__TypeProto *tp)
{
	a->s = "";
	a->i = 0;
	if (!tp)
		return;
	switch (tp->value_case) {
	case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: a->s = "tensor"; break;
	case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: a->s = "sequence"; break;
	case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: a->s = "optional"; break;
	default: return;
	}
	a->slen = strlen(a->s);
	a->s = arena_strdup(ar, a->s);
	while (tp && tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		tp = tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? tp->sequence_type->elem_type
		   : tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? tp->optional_type->elem_type
		   : NULL;
	if (tp && tp->tensor_type->has_elem_type && dtype_valid(tp->tensor_type->elem_type))
		a->i = tp->tensor_type->elem_type;
}

static int convert_attr(Importer *im, Graph *g, Attr *a, const Onnx__AttributeProto *ap,
			const char *node)
{
	Arena *ar = g->arena;
	Diag *d = im->d;
	a->name = arena_strdup(ar, ap->name ? ap->name : "");
	a->type = ap->has_type ? (AttrType)ap->type : AT_UNDEFINED;
	a->i = ap->i;
	a->f = ap->f;
	if (a->type == AT_UNDEFINED) { /* IR < 0.0.2 left type unset: infer from the fields */
		if (ap->has_f)
			a->type = AT_FLOAT;
		else if (ap->has_i)
			a->type = AT_INT;
		else if (ap->has_s)
			a->type = AT_STRING;
		else if (ap->t)
			a->type = AT_TENSOR;
		else if (ap->g)
			a->type = AT_GRAPH;
		else if (ap->n_floats)
			a->type = AT_FLOATS;
		else if (ap->n_ints)
			a->type = AT_INTS;
		else if (ap->n_strings)
			a->type = AT_STRINGS;
	}
	switch (a->type) {
	case AT_STRING:
		a->s = arena_strndup(ar, (const char *)ap->s.data, ap->s.len);
		a->slen = ap->s.len;
		break;
	case AT_FLOATS:
		a->n = ap->n_floats;
		a->floats = arena_alloc(ar, (a->n + 1) * sizeof(double));
		for (size_t i = 0; i < a->n; i++)
			a->floats[i] = ap->floats[i];
		break;
	case AT_INTS:
		a->n = ap->n_ints;
		a->ints = arena_alloc(ar, (a->n + 1) * sizeof(int64_t));
		if (a->ints && a->n)
			memcpy(a->ints, ap->ints, a->n * sizeof(int64_t));
		break;
	case AT_STRINGS:
		a->n = ap->n_strings;
		a->strings = arena_alloc(ar, (a->n + 1) * sizeof(char *));
		for (size_t i = 0; i < a->n; i++)
			a->strings[i] = arena_strndup(ar, (const char *)ap->strings[i].data,
						      ap->strings[i].len);
		break;
	case AT_TENSOR:
		if (!ap->t)
			return diag_error(d, "node '%s': attribute '%s' has no tensor", node, a->name);
		a->tensor = arena_alloc(ar, sizeof(Tensor));
		if (fe_tensor_from_proto(ap->t, ar, im->dir, a->tensor, im->borrow, d) < 0)
			return -1;
		break;
	case AT_TENSORS:
		a->n = ap->n_tensors;
		a->tensors = arena_alloc(ar, (a->n + 1) * sizeof(Tensor));
		for (size_t i = 0; i < a->n; i++)
			if (fe_tensor_from_proto(ap->tensors[i], ar, im->dir, &a->tensors[i], im->borrow,
						 d) < 0)
				return -1;
		break;
	case AT_GRAPH:
		if (!ap->g)
			return diag_error(d, "node '%s': attribute '%s' has no graph", node, a->name);
		a->graph = graph_new_sub(g, a->name);
		if (import_graph(im, a->graph, ap->g, false) < 0)
			return -1;
		break;
	case AT_GRAPHS:
		a->n = ap->n_graphs;
		a->graphs = arena_alloc(ar, (a->n + 1) * sizeof(Graph *));
		for (size_t i = 0; i < a->n; i++) {
			a->graphs[i] = graph_new_sub(g, a->name);
			if (import_graph(im, a->graphs[i], ap->graphs[i], false) < 0)
				return -1;
		}
		break;
	case AT_TYPE_PROTO:
		type_proto_attr(ar, a, ap->tp);
		break;
	case AT_SPARSE_TENSOR:
	case AT_SPARSE_TENSORS:
	case AT_TYPE_PROTOS:
	default:
		break;
	}
	return 0;
}

static const Onnx__FunctionProto *find_function(const Importer *im, const char *domain,
						const char *name)
{
	for (size_t i = 0; i < im->model->n_functions; i++) {
		const Onnx__FunctionProto *f = im->model->functions[i];
		const char *fd = f->domain ? f->domain : "";
		if (f->name && strcmp(f->name, name) == 0 && strcmp(fd, domain) == 0)
			return f;
	}
	return NULL;
}

static int import_nodes(Importer *im, Graph *g, Onnx__NodeProto *const *nodes, size_t n,
			const Rename *rn, int depth);

/* Expands a call of model-local function f made by node np. */
static int inline_function(Importer *im, Graph *g, const Onnx__NodeProto *np,
			   const Onnx__FunctionProto *f, const Rename *rn, int depth)
{
	if (depth >= MAX_INLINE_DEPTH)
		return diag_error(im->d, "node '%s' (%s): functions nest more than %d deep",
				  np->name ? np->name : "", np->op_type, MAX_INLINE_DEPTH);
	Arena *a = g->arena;
	unsigned seq = im->inline_seq++;
	/* every name the body defines gets a unique prefix; formals map to actuals */
	size_t cap = f->n_input + f->n_output;
	for (size_t i = 0; i < f->n_node; i++)
		cap += f->node[i]->n_output;
	Rename r = {arena_alloc(a, (cap + 1) * sizeof(char *)),
		    arena_alloc(a, (cap + 1) * sizeof(char *)), 0, np, rn};
	for (size_t i = 0; i < f->n_input; i++) {
		r.from[r.n] = f->input[i];
		r.to[r.n++] = i < np->n_input ? renamed(rn, np->input[i]) : "";
	}
	for (size_t i = 0; i < f->n_output; i++) {
		r.from[r.n] = f->output[i];
		r.to[r.n++] = i < np->n_output ? renamed(rn, np->output[i]) : "";
	}
	for (size_t i = 0; i < f->n_node; i++)
		for (size_t j = 0; j < f->node[i]->n_output; j++) {
			const char *o = f->node[i]->output[j];
			bool formal = false;
			for (size_t k = 0; k < f->n_output; k++)
				formal |= strcmp(f->output[k], o) == 0;
			if (formal || !*o)
				continue;
			r.from[r.n] = o;
			r.to[r.n++] = arena_printf(a, "%s__f%u_%s", f->name, seq, o);
		}
	/* the body's opset imports apply to its nodes */
	OpsetImport *saved = g->opsets;
	int nsaved = g->nopsets;
	OpsetImport *ops = arena_alloc(a, (size_t)(g->nopsets + (int)f->n_opset_import + 1) *
					      sizeof *ops);
	int nops = g->nopsets;
	memcpy(ops, g->opsets, (size_t)nops * sizeof *ops);
	for (size_t i = 0; i < f->n_opset_import; i++) {
		const char *dom = f->opset_import[i]->domain ? f->opset_import[i]->domain : "";
		if (strcmp(dom, "ai.onnx") == 0)
			dom = "";
		int k = 0;
		while (k < nops && strcmp(ops[k].domain, dom) != 0)
			k++;
		ops[k].domain = arena_strdup(a, dom);
		ops[k].version = f->opset_import[i]->version;
		if (k == nops)
			nops++;
	}
	g->opsets = ops;
	g->nopsets = nops;
	int rc = import_nodes(im, g, f->node, f->n_node, &r, depth + 1);
	g->opsets = saved;
	g->nopsets = nsaved;
	return rc;
}

static const Onnx__AttributeProto *caller_attr(const Rename *rn, const char *name)
{
	for (; rn; rn = rn->outer) {
		if (!rn->caller)
			continue;
		for (size_t i = 0; i < rn->caller->n_attribute; i++)
			if (rn->caller->attribute[i]->name &&
			    strcmp(rn->caller->attribute[i]->name, name) == 0)
				return rn->caller->attribute[i];
		return NULL;
	}
	return NULL;
}

static int import_node(Importer *im, Graph *g, const Onnx__NodeProto *np, const Rename *rn, int depth)
{
	Diag *d = im->d;
	const char *domain = np->domain ? np->domain : "";
	const char *op_type = np->op_type ? np->op_type : "";
	char nbuf[64];
	snprintf(nbuf, sizeof nbuf, "n%u", g->nnodes);
	const char *name = np->name && *np->name ? np->name : nbuf;
	if (rn && rn->caller)
		name = arena_printf(g->arena, "%s/%s", rn->caller->name && *rn->caller->name ?
						   rn->caller->name : "fn", name);
	const Onnx__FunctionProto *f = find_function(im, domain, op_type);
	if (f)
		return inline_function(im, g, np, f, rn, depth);
	if (!*op_type)
		return diag_error(d, "node '%s': the node has no op_type", name);
	OpKind op = op_lookup(domain, op_type);
	if (op == OP_COUNT || strcmp(op_domain(op), "cnnc") == 0) {
		if (*domain && strcmp(domain, "ai.onnx") != 0)
			return diag_error(d, "node '%s' (%s): unsupported operator '%s' of domain '%s'",
					  name, op_type, op_type, domain);
		return diag_error(d, "node '%s' (%s): unsupported operator '%s'", name, op_type, op_type);
	}
	int opset = opset_of(g, domain);
	if (opset < 0)
		return diag_error(d, "node '%s' (%s): the model imports no opset for domain '%s'", name,
				  op_type, *domain ? domain : "ai.onnx");
	if (np->n_input > 4096 || np->n_output > 4096)
		return diag_error(d, "node '%s' (%s): too many inputs or outputs", name, op_type);
	uint32_t *ins = calloc(np->n_input + 1, sizeof *ins);
	uint32_t *outs = calloc(np->n_output + 1, sizeof *outs);
	if (!ins || !outs) {
		free(ins);
		free(outs);
		return diag_error(d, "out of memory");
	}
	for (size_t i = 0; i < np->n_input; i++)
		ins[i] = use_name(g, renamed(rn, np->input[i]));
	int rc = 0;
	for (size_t i = 0; i < np->n_output; i++) {
		const char *o = renamed(rn, np->output[i]);
		if (!*o) {
			outs[i] = IR_NONE;
			continue;
		}
		uint32_t id = ir_find_value(g, o);
		if (id != IR_NONE && (ir_value(g, id)->producer != IR_NONE || ir_value(g, id)->is_input ||
				      ir_value(g, id)->data || ir_value(g, id)->outer != IR_NONE)) {
			rc = diag_error(d, "node '%s' (%s): output '%s' is already defined", name,
					op_type, o);
			goto out;
		}
		outs[i] = id != IR_NONE ? id : ir_add_value(g, o);
	}
	uint32_t nid = ir_add_node(g, op, name, ins, (int)np->n_input, outs, (int)np->n_output);
	Node *n = ir_node(g, nid);
	n->op_type = arena_strdup(g->arena, op_type);
	n->domain = arena_strdup(g->arena, domain);
	n->opset = opset;
	n->attrs = arena_alloc(g->arena, (np->n_attribute + 1) * sizeof(Attr));
	for (size_t i = 0; i < np->n_attribute; i++) {
		const Onnx__AttributeProto *ap = np->attribute[i];
		if (ap->ref_attr_name && *ap->ref_attr_name) {
			const Onnx__AttributeProto *src = caller_attr(rn, ap->ref_attr_name);
			if (!src)
				continue; /* the function's default applies */
			Attr *a = &n->attrs[n->nattrs];
			if (convert_attr(im, g, a, src, name) < 0) {
				rc = -1;
				goto out;
			}
			a->name = arena_strdup(g->arena, ap->name ? ap->name : "");
			n = ir_node(g, nid);
			n->nattrs++;
			continue;
		}
		if (convert_attr(im, g, &n->attrs[n->nattrs], ap, name) < 0) {
			rc = -1;
			goto out;
		}
		n = ir_node(g, nid); /* subgraph import may grow nothing here, but stay safe */
		n->nattrs++;
	}
out:
	free(ins);
	free(outs);
	return rc;
}

static int import_nodes(Importer *im, Graph *g, Onnx__NodeProto *const *nodes, size_t n,
			const Rename *rn, int depth)
{
	for (size_t i = 0; i < n; i++)
		if (import_node(im, g, nodes[i], rn, depth) < 0)
			return -1;
	return 0;
}

static const ValueBinding *bound_value(const Importer *im, const char *name)
{
	for (int i = 0; im->opt && i < im->opt->nvalues; i++)
		if (strcmp(im->opt->values[i].name, name) == 0)
			return &im->opt->values[i];
	return NULL;
}

static int import_graph(Importer *im, Graph *g, const Onnx__GraphProto *gp, bool top)
{
	Diag *d = im->d;
	if (gp->name)
		g->name = arena_strdup(g->arena, gp->name);
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		if (!tp->name || !*tp->name)
			return diag_error(d, "initializer %zu has no name", i);
		if (ir_find_value(g, tp->name) != IR_NONE)
			return diag_error(d, "initializer '%s' is defined twice", tp->name);
		uint32_t id = ir_add_value(g, tp->name);
		Tensor t;
		if (fe_tensor_from_proto(tp, g->arena, im->dir, &t, im->borrow, d) < 0)
			return -1;
		Value *v = ir_value(g, id);
		v->dtype = t.dtype;
		v->shape = t.shape;
		v->data = t.data;
		v->typed = true;
	}
	for (size_t i = 0; i < gp->n_sparse_initializer; i++) {
		const Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
		if (!sp->values || !sp->values->name)
			return diag_error(d, "sparse initializer %zu has no name", i);
		return diag_error(d, "sparse initializer '%s': sparse tensors are not supported",
				  sp->values->name);
	}
	uint32_t *ins = arena_alloc(g->arena, (gp->n_input + 1) * sizeof(uint32_t));
	int nins = 0;
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		if (!vi->name || !*vi->name)
			return diag_error(d, "graph input %zu has no name", i);
		uint32_t id = ir_find_value(g, vi->name);
		if (id != IR_NONE && ir_value(g, id)->data && top)
			continue; /* initializer listed as input: a constant */
		if (id != IR_NONE)
			return diag_error(d, "graph input '%s' is listed twice", vi->name);
		id = ir_add_value(g, vi->name);
		Value *v = ir_value(g, id);
		v->is_input = true;
		const ValueBinding *b = top ? bound_value(im, vi->name) : NULL;
		if (b) {
			v->dtype = b->value.dtype;
			v->shape = b->value.shape;
			v->data = b->value.data;
			v->typed = true;
			const Onnx__TypeProto *tp = vi->type;
			if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
			    tp->tensor_type->has_elem_type && tp->tensor_type->elem_type != (int)v->dtype)
				return diag_error(d, "graph input '%s' is %s, but its --input-value is %s",
						  vi->name, dtype_name((DType)tp->tensor_type->elem_type),
						  dtype_name(v->dtype));
		} else if (convert_type(im, g, v, vi->type, top, "graph input") < 0) {
			return -1;
		}
		ins[nins++] = id;
	}
	g->inputs = ins;
	g->ninputs = nins;
	if (import_nodes(im, g, gp->node, gp->n_node, NULL, 0) < 0)
		return -1;
	g->outputs = arena_alloc(g->arena, (gp->n_output + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		if (!vi->name || !*vi->name)
			return diag_error(d, "graph output %zu has no name", i);
		uint32_t id = use_name(g, vi->name);
		Value *v = ir_value(g, id);
		v->is_output = true;
		if (!v->typed && v->dtype == DT_UNDEFINED && vi->type &&
		    vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
		    vi->type->tensor_type->has_elem_type && dtype_valid(vi->type->tensor_type->elem_type))
			v->dtype = (DType)vi->type->tensor_type->elem_type; /* a hint for empty graphs */
		g->outputs[g->noutputs++] = id;
		declare_shape(im, g, v, vi->type);
	}
	for (size_t i = 0; i < gp->n_value_info; i++) {
		const Onnx__ValueInfoProto *vi = gp->value_info[i];
		uint32_t id = vi->name && *vi->name ? ir_find_value(g, vi->name) : IR_NONE;
		if (id != IR_NONE)
			declare_shape(im, g, ir_value(g, id), vi->type);
	}
	/* every value read must come from somewhere */
	for (uint32_t i = 0; i < g->nvalues; i++) {
		const Value *v = ir_value(g, i);
		if (v->producer == IR_NONE && !v->is_input && !v->data && v->outer == IR_NONE)
			for (uint32_t k = 0; k < g->nnodes; k++) {
				const Node *n = ir_node(g, k);
				for (int j = 0; j < n->ninputs; j++)
					if (n->inputs[j] == i)
						return ir_node_error(d, g, n, "input '%s' is not defined",
								     v->name);
			}
		if (v->is_output && v->producer == IR_NONE && !v->is_input && !v->data &&
		    v->outer == IR_NONE)
			return diag_error(d, "graph output '%s' is not produced by any node", v->name);
	}
	return 0;
}

static int import_model(Importer *im, Graph *g, const Onnx__ModelProto *m)
{
	Diag *d = im->d;
	if (!m->has_ir_version)
		return diag_error(d, "the model has no ir_version");
	if (m->ir_version < 3 || m->ir_version > 13)
		return diag_error(d, "IR version %lld is not supported (3 to 13 are)",
				  (long long)m->ir_version);
	g->ir_version = m->ir_version;
	if (!m->graph)
		return diag_error(d, "the model has no graph");
	g->opsets = arena_alloc(g->arena, (m->n_opset_import + 1) * sizeof(OpsetImport));
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const char *dom = m->opset_import[i]->domain ? m->opset_import[i]->domain : "";
		if (strcmp(dom, "ai.onnx") == 0)
			dom = "";
		g->opsets[g->nopsets].domain = arena_strdup(g->arena, dom);
		g->opsets[g->nopsets].version = m->opset_import[i]->version;
		g->nopsets++;
	}
	if (opset_of(g, "") < 0 && m->ir_version >= 3) {
		/* IR 3 models without an explicit default import use opset 1 semantics */
		g->opsets[g->nopsets].domain = "";
		g->opsets[g->nopsets].version = 1;
		g->nopsets++;
	}
	for (int i = 0; im->opt && i < im->opt->nvalues; i++) {
		bool found = false;
		for (size_t k = 0; k < m->graph->n_input; k++)
			found |= m->graph->input[k]->name &&
				 strcmp(m->graph->input[k]->name, im->opt->values[i].name) == 0;
		if (!found)
			return diag_error(d, "--input-value names '%s', which is not a graph input",
					  im->opt->values[i].name);
	}
	return import_graph(im, g, m->graph, true);
}

Graph *fe_load_model(const char *path, const Options *opt, Diag *d)
{
	unsigned char *buf;
	size_t len;
	if (fe_read_file(path, FE_MAX_FILE_BYTES, &buf, &len, d) < 0)
		return NULL;
	if (fe_check_nesting(buf, len, d) < 0) {
		fe_free_file(buf, len);
		return NULL;
	}
	Graph *g = graph_new(path);
	if (!g) {
		fe_free_file(buf, len);
		diag_error(d, "out of memory");
		return NULL;
	}
	/* unpacked into the graph's arena: initializers keep their raw_data in place */
	ProtobufCAllocator al = fe_proto_allocator(g->arena);
	Onnx__ModelProto *m = onnx__model_proto__unpack(&al, len, buf);
	fe_free_file(buf, len);
	if (!m) {
		graph_free(g);
		diag_error(d, "not a valid ONNX model (the protobuf could not be parsed)");
		return NULL;
	}
	char *dir = arena_strdup(g->arena, path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		dir = ".";
	Importer im = {g, opt, d, dir, m, 0, true};
	int rc = import_model(&im, g, m); /* m is freed with the arena */
	if (rc < 0) {
		graph_free(g);
		return NULL;
	}
	return g;
}

int fe_model_inputs(const char *path, Arena *a, const char ***names, int *n, Diag *d)
{
	unsigned char *buf;
	size_t len;
	if (fe_read_file(path, FE_MAX_FILE_BYTES, &buf, &len, d) < 0)
		return -1;
	if (fe_check_nesting(buf, len, d) < 0) {
		fe_free_file(buf, len);
		return -1;
	}
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	fe_free_file(buf, len);
	if (!m || !m->graph) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return diag_error(d, "not a valid ONNX model (the protobuf could not be parsed)");
	}
	const Onnx__GraphProto *gp = m->graph;
	*names = arena_alloc(a, (gp->n_input + 1) * sizeof(char *));
	*n = 0;
	for (size_t i = 0; i < gp->n_input; i++) {
		const char *nm = gp->input[i]->name ? gp->input[i]->name : "";
		bool init = false;
		for (size_t k = 0; k < gp->n_initializer && !init; k++)
			init = gp->initializer[k]->name && strcmp(gp->initializer[k]->name, nm) == 0;
		if (!init)
			(*names)[(*n)++] = arena_strdup(a, nm);
	}
	onnx__model_proto__free_unpacked(m, NULL);
	return 0;
}

static ValueType kind_of(const Onnx__TypeProto *tp)
{
	if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE)
		return VT_SEQUENCE;
	if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)
		return VT_OPTIONAL;
	return VT_TENSOR;
}

int fe_model_io_kinds(const char *path, Arena *a, ValueType **in, int *nin, ValueType **out,
		      int *nout, Diag *d)
{
	unsigned char *buf;
	size_t len;
	if (fe_read_file(path, FE_MAX_FILE_BYTES, &buf, &len, d) < 0)
		return -1;
	if (fe_check_nesting(buf, len, d) < 0) {
		fe_free_file(buf, len);
		return -1;
	}
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	fe_free_file(buf, len);
	if (!m || !m->graph) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return diag_error(d, "not a valid ONNX model (the protobuf could not be parsed)");
	}
	const Onnx__GraphProto *gp = m->graph;
	*in = arena_alloc(a, (gp->n_input + 1) * sizeof(ValueType));
	*out = arena_alloc(a, (gp->n_output + 1) * sizeof(ValueType));
	*nin = 0;
	*nout = 0;
	for (size_t i = 0; i < gp->n_input; i++) {
		const char *nm = gp->input[i]->name ? gp->input[i]->name : "";
		bool init = false;
		for (size_t k = 0; k < gp->n_initializer && !init; k++)
			init = gp->initializer[k]->name && strcmp(gp->initializer[k]->name, nm) == 0;
		if (!init)
			(*in)[(*nin)++] = kind_of(gp->input[i]->type);
	}
	for (size_t i = 0; i < gp->n_output; i++)
		(*out)[(*nout)++] = kind_of(gp->output[i]->type);
	onnx__model_proto__free_unpacked(m, NULL);
	return 0;
}
