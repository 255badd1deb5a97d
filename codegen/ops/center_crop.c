/* center_crop.c - CenterCropPad: each chosen axis cropped or zero-padded to a size, centred.
 *
 * Along an axis of input size a and target b, a crop starts at (a - b) / 2 and a
 * pad puts (b - a) / 2 zeros before (the odd one after). So the output is zeros
 * plus one strided copy of the overlapping box, from the crop start to the pad
 * start; both are fixed at compile time.
 */
#include "strided.h"

/* Output shape (into *s) and per-axis input start/output start of the copy. */
static int layout(Graph *g, const Node *n, Shape *s, int64_t src0[CNNC_MAX_RANK],
		  int64_t dst0[CNNC_MAX_RANK], Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	const int64_t *want, *axes;
	int64_t cnt;
	if (op_const_ints(g, n, 1, &want, &cnt, d) < 0)
		return -1;
	size_t naxes = ir_attr_ints(n, "axes", &axes);
	bool has_axes = ir_attr(n, "axes") != NULL;
	if ((has_axes && (int64_t)naxes != cnt) || (!has_axes && cnt != r))
		return ir_node_error(d, g, n, "shape has %lld values, expected %d", (long long)cnt,
				     has_axes ? (int)naxes : r);
	*s = x->shape;
	for (int64_t k = 0; k < cnt; k++) {
		int a = (int)k;
		if (has_axes && op_axis(g, n, axes[k], r, &a, d) < 0)
			return -1;
		if (want[k] < 0)
			return ir_node_error(d, g, n, "shape[%lld] is %lld, expected 0 or more",
					     (long long)k, (long long)want[k]);
		s->dims[a] = want[k];
	}
	for (int i = 0; i < r; i++) {
		int64_t in = x->shape.dims[i], out = s->dims[i];
		src0[i] = in > out ? (in - out) / 2 : 0;
		dst0[i] = out > in ? (out - in) / 2 : 0;
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0)
		return -1;
	Shape s;
	int64_t a[CNNC_MAX_RANK], b[CNNC_MAX_RANK];
	if (layout(g, n, &s, a, b, d) < 0)
		return -1;
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

/* The copy of the overlap; *padded when some output element is padding. */
static void plan(Graph *g, const Node *n, Strided *st, bool *padded)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	Shape s, box = x->shape;
	int64_t src0[CNNC_MAX_RANK], dst0[CNNC_MAX_RANK], xs[CNNC_MAX_RANK], ys[CNNC_MAX_RANK];
	Diag d;
	diag_init(&d, NULL);
	layout(g, n, &s, src0, dst0, &d);
	shape_strides(&x->shape, xs);
	shape_strides(&y->shape, ys);
	*padded = false;
	for (int i = 0; i < box.rank; i++) {
		if (y->shape.dims[i] < box.dims[i])
			box.dims[i] = y->shape.dims[i];
		*padded |= y->shape.dims[i] > x->shape.dims[i];
	}
	op_strided_init(st, &box);
	for (int i = 0; i < box.rank; i++) {
		st->src[i] = xs[i];
		st->dst[i] = ys[i];
		st->src_off += src0[i] * xs[i];
		st->dst_off += dst0[i] * ys[i];
	}
}

static int fold(Graph *g, Node *n, Diag *d)
{
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	const Value *x = op_in(g, n, 0), *yv = op_outv(g, n, 0);
	Strided st;
	bool padded;
	plan(g, n, &st, &padded);
	if (padded && x->dtype == DT_STRING)
		for (int64_t i = 0; i < ir_numel(yv); i++)
			((const char **)y)[i] = "";
	op_strided_copy(&st, y, x->data, op_elem_size(x->dtype));
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	Strided st;
	bool padded;
	plan((Graph *)e->g, e->n, &st, &padded);
	if (padded && ir_numel(y) > 0) {
		if (x->dtype == DT_STRING)
			out_line(e->o, "for (int64_t i = 0; i < %lld; i++) y0[i] = \"\";",
				 (long long)ir_numel(y));
		else
			out_line(e->o, "memset(y0, 0, %lld * sizeof *y0);", (long long)ir_numel(y));
	}
	op_strided_emit(e->o, &st, "y0", "x0");
	return 0;
}

const OpDef opdef_CENTERCROPPAD = {infer, fold, emit, NULL, 0};
