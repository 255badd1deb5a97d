/* seq_kernels.c - the internal copy kernels that sequences, Scan and Loop lower to.
 *
 * SequenceElement reads one element out of a sequence stored flat (a graph input);
 * SliceAxis copies a slab of a tensor along one axis (SplitToSequence parts, Scan
 * iterations, Scan 8 batch entries), dropping the axis when asked; SeqConcat joins
 * tensors along an axis, or stacks them along a new one (ConcatFromSequence, scan
 * outputs). All three move whole contiguous runs with memcpy, so they serve every
 * element type, strings (arrays of pointers) included, and fold at compile time.
 */
#include <string.h>

#include "ctl.h"

/* SequenceElement(s) [index]: element `index` of a sequence stored flat. */
static int64_t element_offset(const Value *s, int64_t index)
{
	int64_t off = 0;
	for (int64_t i = 0; i < index; i++)
		off += shape_numel(&s->elems[i]);
	return off;
}

static int element_infer(Graph *g, Node *n, Diag *d)
{
	const Value *s = op_in(g, n, 0);
	int64_t index = ir_attr_int(n, "index", -1);
	if (!s || !s->typed || index < 0 || index >= s->nelems)
		return ir_node_error(d, g, n, "internal: bad sequence element");
	op_set_out(g, n, 0, s->dtype, &s->elems[index]);
	return 0;
}

static int element_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *s = op_in(g, n, 0);
	int64_t off = element_offset(s, ir_attr_int(n, "index", 0));
	char *y = op_alloc_const(g, n, 0);
	int64_t b = ir_bytes(op_outv(g, n, 0));
	if (b > 0)
		memcpy(y, (const char *)s->data + dtype_bytes(s->dtype, off), (size_t)b);
	return 0;
}

static int element_emit(Emit *e)
{
	const Value *s = op_in(e->g, e->n, 0);
	int64_t off = element_offset(s, ir_attr_int(e->n, "index", 0));
	int64_t b = ir_bytes(op_outv(e->g, e->n, 0));
	if (b > 0)
		out_line(e->o, "memcpy(y0, x0 + %lld, %lld);", (long long)off, (long long)b);
	return 0;
}

const OpDef opdef_SEQUENCE_ELEMENT = {element_infer, element_fold, element_emit, NULL, 0};

/* SliceAxis(x) [axis, start, end, keep]: x[..., start:end, ...] along axis, the axis
   dropped when keep is 0 (end - start must then be 1). */
static void slice_geom(const Value *x, int axis, int64_t *outer, int64_t *inner)
{
	*outer = 1;
	*inner = 1;
	for (int i = 0; i < axis; i++)
		*outer *= x->shape.dims[i];
	for (int i = axis + 1; i < x->shape.rank; i++)
		*inner *= x->shape.dims[i];
}

static int slice_infer(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int64_t axis = ir_attr_int(n, "axis", 0), start = ir_attr_int(n, "start", 0);
	int64_t end = ir_attr_int(n, "end", 0);
	bool keep = ir_attr_int(n, "keep", 1) != 0;
	if (!x || !x->typed || x->vtype != VT_TENSOR || axis < 0 || axis >= x->shape.rank ||
	    start < 0 || end < start || end > x->shape.dims[axis] || (!keep && end - start != 1))
		return ir_node_error(d, g, n, "internal: bad slice");
	Shape s = x->shape;
	s.dims[axis] = end - start;
	if (!keep) {
		for (int i = (int)axis; i + 1 < s.rank; i++)
			s.dims[i] = s.dims[i + 1];
		s.rank--;
	}
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int slice_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	int axis = (int)ir_attr_int(n, "axis", 0);
	int64_t start = ir_attr_int(n, "start", 0), len = ir_attr_int(n, "end", 0) - start;
	int64_t outer, inner;
	slice_geom(x, axis, &outer, &inner);
	int64_t es = dtype_bytes(x->dtype, 1), dim = x->shape.dims[axis];
	char *y = op_alloc_const(g, n, 0);
	for (int64_t o = 0; o < outer; o++)
		memcpy(y + o * len * inner * es, (const char *)x->data + (o * dim + start) * inner * es,
		       (size_t)(len * inner * es));
	return 0;
}

static int slice_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int axis = (int)ir_attr_int(e->n, "axis", 0);
	int64_t start = ir_attr_int(e->n, "start", 0), len = ir_attr_int(e->n, "end", 0) - start;
	int64_t outer, inner;
	slice_geom(x, axis, &outer, &inner);
	int64_t chunk = len * inner, dim = x->shape.dims[axis];
	if (chunk <= 0)
		return 0;
	if (outer == 1) {
		out_line(e->o, "memcpy(y0, x0 + %lld, %lld * sizeof *y0);", (long long)(start * inner),
			 (long long)chunk);
		return 0;
	}
	out_line(e->o, "for (int64_t o = 0; o < %lld; o++)", (long long)outer);
	out_line(e->o, "\tmemcpy(y0 + o * %lld, x0 + o * %lld + %lld, %lld * sizeof *y0);",
		 (long long)chunk, (long long)(dim * inner), (long long)(start * inner),
		 (long long)chunk);
	return 0;
}

const OpDef opdef_SLICE_AXIS = {slice_infer, slice_fold, slice_emit, NULL, 0};

/* SeqConcat(x_0..x_n-1) [axis, new_axis]: Concat along axis, or, with new_axis, the
   inputs stacked along a new axis at position axis. */
static int seqconcat_geom(const Graph *g, const Node *n, int *axis, Shape *out, Diag *d)
{
	const Value *x0 = op_in(g, n, 0);
	bool stack = ir_attr_int(n, "new_axis", 0) != 0;
	int r = x0->shape.rank;
	if (op_axis(g, n, ir_attr_int(n, "axis", 0), stack ? r + 1 : r, axis, d) < 0)
		return -1;
	if (!stack && r == 0)
		return ir_node_error(d, g, n, "cannot concatenate scalars without new_axis");
	*out = x0->shape;
	if (stack) {
		for (int i = r; i > *axis; i--)
			out->dims[i] = out->dims[i - 1];
		out->dims[*axis] = n->ninputs;
		out->rank = r + 1;
		if (out->rank > CNNC_MAX_RANK)
			return ir_node_error(d, g, n, "stacking gives rank %d, more than %d", out->rank,
					     CNNC_MAX_RANK);
	} else {
		out->dims[*axis] = 0;
	}
	for (int k = 0; k < n->ninputs; k++) {
		const Value *x = op_in(g, n, k);
		if (!x || !x->typed || x->vtype != VT_TENSOR || x->dtype != x0->dtype)
			return ir_node_error(d, g, n, "input %d must be a tensor of %s", k,
					     dtype_name(x0->dtype));
		bool ok = x->shape.rank == r;
		for (int i = 0; ok && i < r; i++)
			ok = x->shape.dims[i] == x0->shape.dims[i] || (!stack && i == *axis);
		if (!ok) {
			char a[128], b[128];
			return ir_node_error(d, g, n, "element shapes %s and %s cannot be %s",
					     shape_str(&x0->shape, a, sizeof a),
					     shape_str(&x->shape, b, sizeof b),
					     stack ? "stacked" : "concatenated");
		}
		if (!stack)
			out->dims[*axis] += x->shape.dims[*axis];
	}
	return 0;
}

static int seqconcat_infer(Graph *g, Node *n, Diag *d)
{
	if (n->ninputs < 1)
		return ir_node_error(d, g, n, "nothing to concatenate");
	int axis;
	Shape s;
	if (seqconcat_geom(g, n, &axis, &s, d) < 0)
		return -1;
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

/* Rows of the output before the axis; each input is one contiguous chunk per row. */
static int64_t seqconcat_rows(int axis, const Shape *out)
{
	int64_t rows = 1;
	for (int i = 0; i < axis; i++)
		rows *= out->dims[i];
	return rows;
}

static int64_t chunk_of(const Value *x, int64_t rows)
{
	return rows ? ir_numel(x) / rows : 0;
}

static int seqconcat_fold(Graph *g, Node *n, Diag *d)
{
	int axis;
	Shape s;
	if (seqconcat_geom(g, n, &axis, &s, d) < 0)
		return -1;
	int64_t rows = seqconcat_rows(axis, &s), es = dtype_bytes(op_in(g, n, 0)->dtype, 1);
	int64_t row = rows ? shape_numel(&s) / rows : 0, off = 0;
	char *y = op_alloc_const(g, n, 0);
	for (int k = 0; k < n->ninputs; k++) {
		const Value *x = op_in(g, n, k);
		int64_t c = chunk_of(x, rows);
		for (int64_t r = 0; r < rows; r++)
			memcpy(y + (r * row + off) * es, (const char *)x->data + r * c * es, (size_t)(c * es));
		off += c;
	}
	return 0;
}

static int seqconcat_emit(Emit *e)
{
	int axis;
	Shape s;
	Diag d;
	diag_init(&d, NULL);
	if (seqconcat_geom(e->g, e->n, &axis, &s, &d) < 0)
		return -1;
	int64_t rows = seqconcat_rows(axis, &s);
	int64_t row = rows ? shape_numel(&s) / rows : 0, off = 0;
	for (int k = 0; k < e->n->ninputs; k++) {
		int64_t c = chunk_of(op_in(e->g, e->n, k), rows);
		if (c > 0 && rows == 1)
			out_line(e->o, "memcpy(y0 + %lld, x%d, %lld * sizeof *y0);", (long long)off, k,
				 (long long)c);
		else if (c > 0)
			out_line(e->o, "for (int64_t r = 0; r < %lld; r++) memcpy(y0 + r * %lld + %lld, "
				 "x%d + r * %lld, %lld * sizeof *y0);", (long long)rows, (long long)row,
				 (long long)off, k, (long long)c, (long long)c);
		off += c;
	}
	return 0;
}

const OpDef opdef_SEQ_CONCAT = {seqconcat_infer, seqconcat_fold, seqconcat_emit, NULL, 0};
