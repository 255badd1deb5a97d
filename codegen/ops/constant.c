/* constant.c - Constant, ConstantOfShape, EyeLike: tensors made from attributes and shapes.
 *
 * Constant's output is its attribute, set during infer so that everything
 * downstream can fold. ConstantOfShape and EyeLike depend only on a shape, so
 * they fold whenever their input is constant; otherwise (or when the result is
 * too large to keep in the C file) their kernel fills the output, with memset
 * for zero bytes and a flat store loop for the rest.
 */
#include <string.h>

#include "strided.h"

/* ------------------------------------------------------------ Constant */

static const char *const value_attrs[] = {"value", "sparse_value", "value_float", "value_floats",
					  "value_int", "value_ints", "value_string", "value_strings"};

/* Sets output 0 to dtype/shape s with a copy of data (count elements). */
static int set_const(Graph *g, Node *n, DType dt, const Shape *s, const void *data, Diag *d)
{
	op_set_out(g, n, 0, dt, s);
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int64_t b = ir_bytes(op_outv(g, n, 0));
	if (b > 0)
		memcpy(y, data, (size_t)b);
	return 0;
}

static int constant_from_attr(Graph *g, Node *n, const Attr *a, Diag *d)
{
	Shape scalar = {0, {0}}, vec = {1, {(int64_t)a->n}};
	const char *name = a->name;
	if (strcmp(name, "value") == 0) {
		if (a->type != AT_TENSOR || !a->tensor)
			return ir_node_error(d, g, n, "attribute 'value' is not a tensor");
		return set_const(g, n, a->tensor->dtype, &a->tensor->shape, a->tensor->data, d);
	}
	if (strcmp(name, "sparse_value") == 0)
		return ir_node_error(d, g, n, "sparse constants are not supported");
	if (strcmp(name, "value_float") == 0) {
		float f = (float)a->f;
		return set_const(g, n, DT_FLOAT, &scalar, &f, d);
	}
	if (strcmp(name, "value_int") == 0)
		return set_const(g, n, DT_INT64, &scalar, &a->i, d);
	if (strcmp(name, "value_string") == 0)
		return set_const(g, n, DT_STRING, &scalar, &a->s, d);
	if (strcmp(name, "value_ints") == 0)
		return set_const(g, n, DT_INT64, &vec, a->ints, d);
	if (strcmp(name, "value_strings") == 0)
		return set_const(g, n, DT_STRING, &vec, a->strings, d);
	/* value_floats: stored as doubles in the IR */
	float *f = arena_alloc(g->arena, (a->n + 1) * sizeof(float));
	if (!f)
		return ir_node_error(d, g, n, "out of memory");
	for (size_t i = 0; i < a->n; i++)
		f[i] = (float)a->floats[i];
	return set_const(g, n, DT_FLOAT, &vec, f, d);
}

static int constant_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 0, 0, 0, d) < 0)
		return -1;
	const Attr *found = NULL;
	for (size_t k = 0; k < sizeof value_attrs / sizeof value_attrs[0]; k++) {
		const Attr *a = ir_attr(n, value_attrs[k]);
		if (!a)
			continue;
		if (found)
			return ir_node_error(d, g, n, "has both '%s' and '%s'; expected one value "
					     "attribute", found->name, a->name);
		found = a;
	}
	if (!found)
		return ir_node_error(d, g, n, "has no value attribute");
	return constant_from_attr(g, n, found, d);
}

/* Never runs: the output is a constant from infer on. */
static int constant_emit(Emit *e)
{
	(void)e;
	return 0;
}

/* ------------------------------------------------------------ fills */

/* Fills y0 (cnt elements of dt) with element 0 of val. */
static void emit_fill(Out *o, DType dt, const void *val, int64_t cnt)
{
	char lit[64];
	if (cnt <= 0)
		return;
	if (op_elem_is_zero(dt, val, 0)) {
		out_line(o, "memset(y0, 0, %lld * sizeof *y0);", (long long)cnt);
		return;
	}
	out_line(o, "for (int64_t i = 0; i < %lld; i++)", (long long)cnt);
	out_line(o, "\ty0[i] = %s;", op_elem_literal(dt, val, 0, lit, sizeof lit));
}

static void host_fill(void *y, DType dt, const void *val, int64_t cnt)
{
	size_t es = op_elem_size(dt);
	for (int64_t i = 0; i < cnt; i++)
		memcpy((unsigned char *)y + (size_t)i * es, val, es);
}

/* ------------------------------------------------------------ ConstantOfShape */

static const Tensor *cos_value(const Node *n)
{
	const Attr *a = ir_attr(n, "value");
	return a && a->type == AT_TENSOR ? a->tensor : NULL;
}

static int cos_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const int64_t *dims;
	int64_t cnt;
	if (op_const_ints(g, n, 0, &dims, &cnt, d) < 0)
		return -1;
	if (cnt > CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "output rank %lld is more than %d", (long long)cnt,
				     CNNC_MAX_RANK);
	Shape s = {(int)cnt, {0}};
	for (int i = 0; i < s.rank; i++) {
		if (dims[i] < 0)
			return ir_node_error(d, g, n, "shape[%d] is %lld, expected 0 or more", i,
					     (long long)dims[i]);
		s.dims[i] = dims[i];
	}
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output shape is too large");
	const Tensor *t = cos_value(n);
	if (ir_attr(n, "value") && !t)
		return ir_node_error(d, g, n, "attribute 'value' is not a tensor");
	if (t && (shape_numel(&t->shape) != 1 || t->dtype == DT_STRING))
		return ir_node_error(d, g, n, "attribute 'value' must be one number");
	op_set_out(g, n, 0, t ? t->dtype : DT_FLOAT, &s);
	return 0;
}

static int cos_fold(Graph *g, Node *n, Diag *d)
{
	const Tensor *t = cos_value(n);
	float zero = 0;
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	const Value *v = op_outv(g, n, 0);
	host_fill(y, v->dtype, t ? t->data : &zero, ir_numel(v));
	return 0;
}

static int cos_emit(Emit *e)
{
	const Tensor *t = cos_value(e->n);
	float zero = 0;
	const Value *v = op_outv(e->g, e->n, 0);
	emit_fill(e->o, v->dtype, t ? t->data : &zero, ir_numel(v));
	return 0;
}

/* ------------------------------------------------------------ EyeLike */

static const DType eyelike_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT8,
				      DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16,
				      DT_UINT32, DT_UINT64, DT_BOOL, DT_UNDEFINED};

static int eyelike_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, eyelike_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank != 2)
		return ir_node_error(d, g, n, "input has rank %d, expected 2", x->shape.rank);
	DType dt = (DType)ir_attr_int(n, "dtype", x->dtype);
	bool ok = false;
	for (const DType *t = eyelike_types; *t; t++)
		ok |= *t == dt;
	if (!ok)
		return ir_node_error(d, g, n, "dtype %d is not a supported output type", (int)dt);
	op_set_out(g, n, 0, dt, &x->shape);
	return 0;
}

/* Rows [*r0, *r1) have their one inside the matrix, at column row + k. */
static void eyelike_rows(const Node *n, const Shape *s, int64_t *r0, int64_t *r1, int64_t *k)
{
	*k = ir_attr_int(n, "k", 0);
	int64_t rows = s->dims[0], cols = s->dims[1];
	*r0 = *k < 0 ? -*k : 0;
	*r1 = cols - *k < rows ? cols - *k : rows;
	if (*r1 < *r0)
		*r1 = *r0;
}

static int eyelike_fold(Graph *g, Node *n, Diag *d)
{
	const Value *v = op_outv(g, n, 0);
	unsigned char *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int64_t r0, r1, k;
	eyelike_rows(n, &v->shape, &r0, &r1, &k);
	for (int64_t r = r0; r < r1; r++)
		dtype_set_f64(v->dtype, y, r * v->shape.dims[1] + r + k, 1.0);
	return 0;
}

static int eyelike_emit(Emit *e)
{
	const Value *v = op_outv(e->g, e->n, 0);
	int64_t r0, r1, k, cols = v->shape.dims[1];
	unsigned char one[8];
	char lit[64];
	eyelike_rows(e->n, &v->shape, &r0, &r1, &k);
	if (ir_numel(v) == 0)
		return 0;
	dtype_set_f64(v->dtype, one, 0, 1.0);
	out_line(e->o, "memset(y0, 0, %lld * sizeof *y0);", (long long)ir_numel(v));
	if (r1 > r0) {
		out_line(e->o, "for (int64_t r = %lld; r < %lld; r++)", (long long)r0, (long long)r1);
		out_line(e->o, "\ty0[r * %lld + r + %lld] = %s;", (long long)cols, (long long)k,
			 op_elem_literal(v->dtype, one, 0, lit, sizeof lit));
	}
	return 0;
}

const OpDef opdef_CONSTANT = {constant_infer, NULL, constant_emit, NULL, 0};
const OpDef opdef_CONSTANTOFSHAPE = {cos_infer, cos_fold, cos_emit, NULL, 0};
const OpDef opdef_EYELIKE = {eyelike_infer, eyelike_fold, eyelike_emit, NULL, 0};
