/* maxunpool.c - MaxUnpool: scatter pooled values back to the positions MaxPool took.
 *
 * The indices are flat row-major positions in the inferred shape ((in - 1) *
 * stride + kernel - pads per spatial axis). The output is zeroed, then
 * y[I[j]] = X[j]; when output_shape asks for another shape, the inferred block
 * sits at its origin (as in the ONNX reference), so each index is re-expressed
 * in the output's strides. Indices outside the block or the output are skipped
 * rather than written out of bounds.
 */
#include <stdio.h>
#include <string.h>

#include "window.h"

static const DType unpool_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_INT8,
				     DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16,
				     DT_UINT32, DT_UINT64, DT_UNDEFINED};

/* The shape the indices refer to. */
static int inferred(const Graph *g, const Node *n, Shape *s, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	Window w;
	*s = x->shape;
	if (win_read(g, n, s->rank - 2, x->shape.dims + 2, NULL, &w, d) < 0)
		return -1;
	for (int i = 0; i < w.nd; i++) {
		s->dims[2 + i] = (w.in[i] - 1) * w.s[i] + w.k[i] - w.pb[i] - w.pe[i];
		if (s->dims[2 + i] < 0)
			return ir_node_error(d, g, n, "output extent on spatial axis %d is negative",
					     i);
	}
	if (shape_numel(s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType idx_types[] = {DT_INT64, DT_UNDEFINED};
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, unpool_types, d) < 0 ||
	    op_check_dtype(g, n, 1, idx_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *ix = op_in(g, n, 1);
	if (x->shape.rank < 3)
		return ir_node_error(d, g, n, "input X has rank %d, expected at least 3",
				     x->shape.rank);
	if (!shape_equal(&x->shape, &ix->shape))
		return ir_node_error(d, g, n, "indices I must have the shape of X");
	Shape s;
	if (inferred(g, n, &s, d) < 0)
		return -1;
	if (ir_has_in(n, 2)) {
		const int64_t *v;
		int64_t cnt;
		if (op_const_ints(g, n, 2, &v, &cnt, d) < 0)
			return -1;
		if (cnt != s.rank)
			return ir_node_error(d, g, n, "output_shape has %lld values, expected %d",
					     (long long)cnt, s.rank);
		for (int i = 0; i < s.rank; i++) {
			if (v[i] < 0)
				return ir_node_error(d, g, n, "output_shape[%d] is negative", i);
			s.dims[i] = v[i];
		}
	}
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	long long nx = ir_numel(x), ny = ir_numel(y);
	Shape in;
	Diag d;
	diag_init(&d, "");
	if (inferred(e->g, e->n, &in, &d) < 0)
		return -1;
	Out *o = e->o;
	out_line(o, "memset(y0, 0, %lld);", (long long)ir_bytes(y));
	out_line(o, "for (ptrdiff_t j = 0; j < %lld; j++) {", nx);
	out_line(o, "const int64_t q = x1[j];");
	if (shape_equal(&in, &y->shape)) {
		out_line(o, "if (q >= 0 && q < %lld) y0[q] = x0[j];", ny);
		out_line(o, "}");
		return 0;
	}
	int64_t ostr[CNNC_MAX_RANK];
	shape_strides(&y->shape, ostr);
	out_line(o, "if (q < 0 || q >= %lld) continue;", (long long)shape_numel(&in));
	out_line(o, "int64_t r = q, t = 0, c;");
	for (int i = in.rank - 1; i >= 0; i--) {
		out_line(o, "c = r %% %lld;", (long long)in.dims[i]);
		out_line(o, "r /= %lld;", (long long)in.dims[i]);
		out_line(o, "if (c >= %lld) continue;", (long long)y->shape.dims[i]);
		out_line(o, "t += c * %lld;", (long long)ostr[i]);
	}
	out_line(o, "y0[t] = x0[j];");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_MAXUNPOOL = {infer, NULL, emit, NULL, 0};
