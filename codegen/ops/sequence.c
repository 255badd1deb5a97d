/* sequence.c - sequences and optionals, as compile-time structure.
 *
 * A sequence's length and element shapes are static, so a sequence value is the list
 * of tensor values its SequenceConstruct node takes (a sequence graph input is read
 * element by element with SequenceElement). Insert, Erase, At, Length, SplitToSequence,
 * ConcatFromSequence and SequenceMap rewrite into SequenceConstruct over other tensors,
 * SliceAxis (a slab of a tensor along one axis) and SeqConcat (concatenation or
 * stacking of tensors); only those, and the copies a sequence graph output needs, run.
 * Positions that pick elements must be compile-time constants.
 * An optional's presence is static too: Optional(x) or Optional() (empty), and
 * OptionalHasElement folds to a constant.
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

/* The element type of a sequence node from its "dtype" attribute or first element. */
static DType seq_dtype(const Graph *g, const Node *n)
{
	if (n->ninputs > 0 && op_in(g, n, 0))
		return op_in(g, n, 0)->dtype;
	return (DType)ir_attr_int(n, "dtype", DT_FLOAT);
}

/* Replaces node ni by SequenceConstruct(el[0..cnt-1]) producing its output 0. */
static int rebuild(Graph *g, uint32_t ni, const uint32_t *el, int cnt, DType dt)
{
	const Node *n = ir_node(g, ni);
	uint32_t out = n->outputs[0];
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	ir_kill_node(g, ni);
	uint32_t id = ctl_node(g, OP_SEQUENCE_CONSTRUCT, name, "seq", opset, el, cnt, &out, 1);
	ctl_set_int(g, id, "dtype", dt);
	return OP_LOWERED;
}

/* A constant position input k, defaulting to dflt when absent. */
static int position(Graph *g, const Node *n, int k, int64_t dflt, int64_t *pos, Diag *d)
{
	*pos = dflt;
	if (!ir_has_in(n, k))
		return 0;
	const int64_t *v;
	int64_t cnt;
	if (op_const_ints(g, n, k, &v, &cnt, d) < 0)
		return -1;
	if (cnt != 1)
		return ir_node_error(d, g, n, "position must hold one element, not %lld", (long long)cnt);
	*pos = v[0];
	return 0;
}

/* ------------------------------------------------------------ SequenceConstruct */

static int construct_infer(Graph *g, Node *n, Diag *d)
{
	DType dt = seq_dtype(g, n);
	Shape *el = must(calloc((size_t)n->ninputs + 1, sizeof *el));
	for (int k = 0; k < n->ninputs; k++) {
		const Value *x = op_in(g, n, k);
		if (!x || !x->typed || x->vtype != VT_TENSOR) {
			free(el);
			return ir_node_error(d, g, n, "input %d must be a typed tensor", k);
		}
		if (x->dtype != dt) {
			free(el);
			return ir_node_error(d, g, n, "input '%s' is %s, expected %s like the others",
					     x->name, dtype_name(x->dtype), dtype_name(dt));
		}
		el[k] = x->shape;
	}
	int rc = ctl_set_seq(g, n, 0, dt, el, n->ninputs, d);
	free(el);
	return rc;
}

static int construct_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	char *y = op_alloc_const(g, n, 0);
	for (int k = 0; k < n->ninputs; k++) {
		const Value *x = op_in(g, n, k);
		int64_t b = ir_bytes(x);
		if (b > 0)
			memcpy(y, x->data, (size_t)b);
		y += b;
	}
	return 0;
}

static int construct_emit(Emit *e)
{
	int64_t off = 0;
	for (int k = 0; k < e->n->ninputs; k++) {
		int64_t b = ir_bytes(op_in(e->g, e->n, k));
		if (b > 0)
			out_line(e->o, "memcpy((char *)y0 + %lld, x%d, %lld);", (long long)off, k,
				 (long long)b);
		off += b;
	}
	return 0;
}

const OpDef opdef_SEQUENCE_CONSTRUCT = {construct_infer, construct_fold, construct_emit, NULL, 0};

static int empty_infer(Graph *g, Node *n, Diag *d)
{
	int64_t dt = ir_attr_int(n, "dtype", DT_FLOAT);
	if (!dtype_valid((int)dt))
		return ir_node_error(d, g, n, "dtype %lld is not a supported element type",
				     (long long)dt);
	return rebuild(g, ctl_id(g, n), NULL, 0, (DType)dt);
}

const OpDef opdef_SEQUENCE_EMPTY = {empty_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ Insert, Erase, At, Length */

static int insert_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 2, 3, 2, d) < 0)
		return -1;
	const Value *s = op_in(g, n, 0), *t = op_in(g, n, 1);
	if (t->vtype != VT_TENSOR)
		return ir_node_error(d, g, n, "input '%s' must be a tensor", t->name);
	if (s->nelems > 0 && s->dtype != t->dtype)
		return ir_node_error(d, g, n, "tensor '%s' is %s, but the sequence holds %s", t->name,
				     dtype_name(t->dtype), dtype_name(s->dtype));
	int len = s->nelems;
	int64_t pos;
	if (position(g, n, 2, len, &pos, d) < 0)
		return -1;
	if (pos < -len || pos > len)
		return ir_node_error(d, g, n, "position %lld is out of range for a sequence of %d",
				     (long long)pos, len);
	if (pos < 0)
		pos += len;
	uint32_t tv = n->inputs[1];
	DType dt = t->dtype;
	uint32_t *el;
	int cnt;
	if (ctl_seq_elems(g, ni, ir_node(g, ni)->inputs[0], &el, &cnt, d) < 0)
		return -1;
	uint32_t *all = must(calloc((size_t)cnt + 2, sizeof *all));
	memcpy(all, el, (size_t)pos * sizeof *all);
	all[pos] = tv;
	memcpy(all + pos + 1, el + pos, (size_t)(cnt - pos) * sizeof *all);
	int rc = rebuild(g, ni, all, cnt + 1, dt);
	free(all);
	free(el);
	return rc;
}

const OpDef opdef_SEQUENCE_INSERT = {insert_infer, NULL, NULL, NULL, 0};

static int erase_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 1, 2, 1, d) < 0)
		return -1;
	const Value *s = op_in(g, n, 0);
	int len = s->nelems;
	int64_t pos;
	DType dt = s->dtype;
	if (position(g, n, 1, len - 1, &pos, d) < 0)
		return -1;
	if (pos < -len || pos >= len)
		return ir_node_error(d, g, n, "position %lld is out of range for a sequence of %d",
				     (long long)pos, len);
	if (pos < 0)
		pos += len;
	uint32_t *el;
	int cnt;
	if (ctl_seq_elems(g, ni, ir_node(g, ni)->inputs[0], &el, &cnt, d) < 0)
		return -1;
	memmove(el + pos, el + pos + 1, (size_t)(cnt - pos - 1) * sizeof *el);
	int rc = rebuild(g, ni, el, cnt - 1, dt);
	free(el);
	return rc;
}

const OpDef opdef_SEQUENCE_ERASE = {erase_infer, NULL, NULL, NULL, 0};

static int at_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 2, 2, 2, d) < 0)
		return -1;
	int len = op_in(g, n, 0)->nelems;
	int64_t pos;
	if (position(g, n, 1, 0, &pos, d) < 0)
		return -1;
	if (pos < -len || pos >= len)
		return ir_node_error(d, g, n, "position %lld is out of range for a sequence of %d",
				     (long long)pos, len);
	if (pos < 0)
		pos += len;
	uint32_t *el;
	int cnt;
	if (ctl_seq_elems(g, ni, ir_node(g, ni)->inputs[0], &el, &cnt, d) < 0)
		return -1;
	uint32_t src = el[pos];
	free(el);
	ir_kill_node(g, ni);
	ctl_forward(g, ni, src, ir_node(g, ni)->outputs[0]);
	return OP_LOWERED;
}

const OpDef opdef_SEQUENCE_AT = {at_infer, NULL, NULL, NULL, 0};

static int length_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *s = op_in(g, n, 0);
	if (s->vtype != VT_SEQUENCE)
		return ir_node_error(d, g, n, "input '%s' is not a sequence", s->name);
	Shape sc = {0, {0}};
	op_set_out(g, n, 0, DT_INT64, &sc);
	int64_t *y = op_alloc_const(g, n, 0);
	if (y)
		*y = s->nelems;
	return 0;
}

const OpDef opdef_SEQUENCE_LENGTH = {length_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ Split, Concat */

static int split_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 1, 2, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, &axis, d) < 0)
		return -1;
	if (x->shape.rank == 0)
		return ir_node_error(d, g, n, "input '%s' is a scalar, expected rank >= 1", x->name);
	int64_t dim = x->shape.dims[axis];
	bool keep = ir_attr_int(n, "keepdims", 1) != 0;
	int64_t *len = NULL, cnt = 0;
	if (ir_has_in(n, 1)) {
		const int64_t *sp;
		int64_t ns;
		if (op_const_ints(g, n, 1, &sp, &ns, d) < 0)
			return -1;
		keep = true;
		if (op_in(g, n, 1)->shape.rank == 0) {
			if (sp[0] <= 0)
				return ir_node_error(d, g, n, "split %lld must be positive", (long long)sp[0]);
			cnt = dim ? (dim + sp[0] - 1) / sp[0] : 0;
			len = must(calloc((size_t)cnt + 1, sizeof *len));
			for (int64_t i = 0; i < cnt; i++)
				len[i] = i + 1 < cnt ? sp[0] : dim - sp[0] * (cnt - 1);
		} else {
			int64_t sum = 0;
			cnt = ns;
			len = must(calloc((size_t)cnt + 1, sizeof *len));
			for (int64_t i = 0; i < cnt; i++) {
				if (sp[i] < 0)
					break;
				len[i] = sp[i];
				sum += sp[i];
			}
			if (sum != dim) {
				free(len);
				return ir_node_error(d, g, n, "split sizes add up to %lld, but the axis has "
						     "%lld", (long long)sum, (long long)dim);
			}
		}
	} else {
		cnt = dim;
		len = must(calloc((size_t)cnt + 1, sizeof *len));
		for (int64_t i = 0; i < cnt; i++)
			len[i] = 1;
	}
	if (cnt > CTL_MAX_NODES) {
		free(len);
		return ir_node_error(d, g, n, "splits into %lld parts, more than %d", (long long)cnt,
				     CTL_MAX_NODES);
	}
	uint32_t src = n->inputs[0];
	DType dt = x->dtype;
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	uint32_t *el = must(calloc((size_t)cnt + 1, sizeof *el));
	int64_t start = 0;
	for (int64_t i = 0; i < cnt; i++) {
		el[i] = ctl_temp(g, "split");
		uint32_t id = ctl_node(g, OP_SLICE_AXIS, name, "part", opset, &src, 1, &el[i], 1);
		ctl_set_int(g, id, "axis", axis);
		ctl_set_int(g, id, "start", start);
		ctl_set_int(g, id, "end", start + len[i]);
		ctl_set_int(g, id, "keep", keep);
		start += len[i];
	}
	int rc = rebuild(g, ni, el, (int)cnt, dt);
	free(el);
	free(len);
	return rc;
}

const OpDef opdef_SPLIT_TO_SEQUENCE = {split_infer, NULL, NULL, NULL, 0};

static int concat_seq_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	int64_t axis = ir_attr_int(n, "axis", 0), nax = ir_attr_int(n, "new_axis", 0);
	if (!ir_attr(n, "axis"))
		return ir_node_error(d, g, n, "attribute 'axis' is missing");
	uint32_t *el;
	int cnt;
	if (ctl_seq_elems(g, ni, ir_node(g, ni)->inputs[0], &el, &cnt, d) < 0)
		return -1;
	if (!cnt) {
		free(el);
		return ir_node_error(d, g, ir_node(g, ni), "the sequence is empty; there is nothing "
				     "to concatenate");
	}
	n = ir_node(g, ni);
	uint32_t out = n->outputs[0];
	const char *name = ctl_name(g, ni);
	int opset = n->opset;
	ir_kill_node(g, ni);
	uint32_t id = ctl_node(g, OP_SEQ_CONCAT, name, "concat", opset, el, cnt, &out, 1);
	ctl_set_int(g, id, "axis", axis);
	ctl_set_int(g, id, "new_axis", nax != 0);
	free(el);
	return OP_LOWERED;
}

const OpDef opdef_CONCAT_FROM_SEQUENCE = {concat_seq_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ SequenceMap */

static int map_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	const Attr *ba = ir_attr(n, "body");
	if (!ba || ba->type != AT_GRAPH || !ba->graph)
		return ir_node_error(d, g, n, "attribute 'body' (a graph) is missing");
	Graph *body = ba->graph;
	int nin = n->ninputs, nout = n->noutputs;
	if (nin < 1 || body->ninputs != nin || body->noutputs != nout)
		return ir_node_error(d, g, n, "has %d inputs and %d outputs, but its body takes %d "
				     "inputs and gives %d outputs", nin, nout, body->ninputs,
				     body->noutputs);
	for (int k = 0; k < nin; k++) {
		const Value *v = op_in(g, n, k);
		if (!v || !v->typed)
			return ir_node_error(d, g, n, "input %d has no known type", k);
	}
	int len = op_in(g, n, 0)->nelems;
	if (op_in(g, n, 0)->vtype != VT_SEQUENCE)
		return ir_node_error(d, g, n, "input 0 must be a sequence");
	uint32_t **el = must(calloc((size_t)nin + 1, sizeof *el));
	uint32_t *ins = must(calloc((size_t)nin + 1, sizeof *ins));
	uint32_t *outs = must(calloc((size_t)nout + 1, sizeof *outs));
	uint32_t *res = must(calloc((size_t)nout * (size_t)(len ? len : 1) + 1, sizeof *res));
	const char *name = ctl_name(g, ni);
	int rc = -1;
	for (int k = 0; k < nin; k++) {
		uint32_t v = ir_node(g, ni)->inputs[k];
		if (ir_value(g, v)->vtype != VT_SEQUENCE)
			continue;
		int cnt;
		if (ctl_seq_elems(g, ni, v, &el[k], &cnt, d) < 0)
			goto out;
		if (cnt != len) {
			ir_node_error(d, g, ir_node(g, ni), "input sequences have %d and %d elements",
				      len, cnt);
			goto out;
		}
	}
	for (int i = 0; i < len; i++) {
		for (int k = 0; k < nin; k++)
			ins[k] = el[k] ? el[k][i] : ir_node(g, ni)->inputs[k];
		if (ctl_inline(g, ni, body, ins, outs, arena_printf(g->arena, "%s/i%d_", name, i), d) < 0)
			goto out;
		for (int k = 0; k < nout; k++)
			res[(size_t)k * (size_t)len + (size_t)i] = outs[k];
	}
	n = ir_node(g, ni);
	uint32_t *o = must(arena_memdup(g->arena, n->outputs, ((size_t)nout + 1) * sizeof *o));
	int opset = n->opset;
	ir_kill_node(g, ni);
	for (int k = 0; k < nout; k++) {
		if (o[k] == IR_NONE)
			continue;
		uint32_t id = ctl_node(g, OP_SEQUENCE_CONSTRUCT, name, "seq", opset,
				       res + (size_t)k * (size_t)len, len, &o[k], 1);
		ctl_set_int(g, id, "dtype", DT_FLOAT);
	}
	rc = OP_LOWERED;
out:
	for (int k = 0; k < nin; k++)
		free(el[k]);
	free(el);
	free(ins);
	free(outs);
	free(res);
	return rc;
}

const OpDef opdef_SEQUENCE_MAP = {map_infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ Optional */

static int optional_infer(Graph *g, Node *n, Diag *d)
{
	if (n->ninputs > 1 || n->noutputs != 1)
		return ir_node_error(d, g, n, "has %d inputs and %d outputs, expected 0 or 1 and 1",
				     n->ninputs, n->noutputs);
	Value *y = op_outv(g, n, 0);
	const Value *x = op_in(g, n, 0);
	if (x) {
		if (!x->typed)
			return ir_node_error(d, g, n, "input '%s' has no known type", x->name);
		if (x->vtype == VT_OPTIONAL)
			return ir_node_error(d, g, n, "input '%s' is already optional", x->name);
		ctl_copy_type(y, x);
		y->vtype = VT_OPTIONAL;
		y->inner = x->vtype;
		y->none = false;
		return 0;
	}
	const Attr *ty = ir_attr(n, "type");
	DType dt = (DType)ir_attr_int(n, "cnnc_dtype", DT_FLOAT);
	ValueType inner = VT_TENSOR;
	if (ty && ty->type == AT_TYPE_PROTO) {
		if (ty->i)
			dt = (DType)ty->i;
		if (ty->s && strcmp(ty->s, "sequence") == 0)
			inner = VT_SEQUENCE;
		else if (ty->s && strcmp(ty->s, "tensor") != 0)
			return ir_node_error(d, g, n, "attribute 'type' must be a tensor or sequence type");
	} else if (!ir_attr(n, "cnnc_dtype")) {
		return ir_node_error(d, g, n, "without an input, attribute 'type' is required");
	}
	y->vtype = VT_OPTIONAL;
	y->inner = inner;
	y->none = true;
	y->dtype = dt;
	y->shape = (Shape){1, {0}};
	y->nelems = 0;
	y->elems = NULL;
	y->typed = true;
	return 0;
}

static int optional_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	int64_t b = x ? ir_bytes(x) : 0;
	if (b > 0)
		memcpy(y, x->data, (size_t)b);
	return 0;
}

static int optional_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int64_t b = x ? ir_bytes(x) : 0;
	if (b > 0)
		out_line(e->o, "memcpy(y0, x0, %lld);", (long long)b);
	return 0;
}

const OpDef opdef_OPTIONAL = {optional_infer, optional_fold, optional_emit, NULL, 0};

static int has_element_infer(Graph *g, Node *n, Diag *d)
{
	if (n->ninputs > 1 || n->noutputs != 1)
		return ir_node_error(d, g, n, "has %d inputs and %d outputs, expected 0 or 1 and 1",
				     n->ninputs, n->noutputs);
	const Value *x = op_in(g, n, 0);
	if (x && !x->typed)
		return ir_node_error(d, g, n, "input '%s' has no known type", x->name);
	bool has = x && !(x->vtype == VT_OPTIONAL && x->none);
	Shape sc = {0, {0}};
	op_set_out(g, n, 0, DT_BOOL, &sc);
	uint8_t *y = op_alloc_const(g, n, 0);
	if (y)
		*y = has;
	return 0;
}

const OpDef opdef_OPTIONAL_HAS_ELEMENT = {has_element_infer, NULL, NULL, NULL, 0};

static int get_element_infer(Graph *g, Node *n, Diag *d)
{
	uint32_t ni = ctl_id(g, n);
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->vtype != VT_OPTIONAL) {
		ir_kill_node(g, ni);
		ctl_forward(g, ni, ir_node(g, ni)->inputs[0], ir_node(g, ni)->outputs[0]);
		return OP_LOWERED;
	}
	if (x->none)
		return ir_node_error(d, g, n, "optional input '%s' is empty", x->name);
	const Node *p = x->producer != IR_NONE ? ir_node(g, x->producer) : NULL;
	if (p && p->op == OP_OPTIONAL && ir_has_in(p, 0)) {
		uint32_t src = p->inputs[0];
		ir_kill_node(g, ni);
		ctl_forward(g, ni, src, ir_node(g, ni)->outputs[0]);
		return OP_LOWERED;
	}
	if (x->inner == VT_SEQUENCE) {
		uint32_t *el;
		int cnt;
		DType dt = x->dtype;
		if (ctl_seq_elems(g, ni, n->inputs[0], &el, &cnt, d) < 0)
			return -1;
		int rc = rebuild(g, ni, el, cnt, dt);
		free(el);
		return rc;
	}
	/* an optional tensor read from a graph input: copy its buffer */
	Value *y = op_outv(g, n, 0);
	ctl_copy_type(y, x);
	y->vtype = VT_TENSOR;
	y->inner = VT_TENSOR;
	return 0;
}

const OpDef opdef_OPTIONAL_GET_ELEMENT = {get_element_infer, optional_fold, optional_emit, NULL, 0};
