/* reshape.c - Reshape, Flatten, Squeeze, Unsqueeze: new shapes for the same bytes.
 *
 * All four are views (OPF_VIEW): the memory plan lets the output share the
 * input's storage, so they cost nothing at run time; when it cannot (a graph
 * output), the kernel is a copy. The work is in infer, which turns the shape
 * operand (an attribute in old opsets, a constant input since Reshape-5 and
 * Squeeze/Unsqueeze-13) into the output shape and rejects anything inconsistent.
 */
#include <string.h>

#include "strided.h"

/* Axes of Squeeze/Unsqueeze: the attribute before opset 13, the input from 13.
   *present is false when neither is given. */
static int read_axes(Graph *g, const Node *n, const int64_t **axes, int64_t *count, bool *present,
		     Diag *d)
{
	*present = false;
	*count = 0;
	if (n->opset < 13) {
		const Attr *a = ir_attr(n, "axes");
		if (a) {
			*axes = a->ints;
			*count = (int64_t)a->n;
			*present = true;
		}
		return 0;
	}
	if (!ir_has_in(n, 1))
		return 0;
	*present = true;
	return op_const_ints(g, n, 1, axes, count, d);
}

static int check_rank(const Graph *g, const Node *n, int64_t rank, Diag *d)
{
	if (rank > CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "output rank %lld is more than %d", (long long)rank,
				     CNNC_MAX_RANK);
	return 0;
}

/* ------------------------------------------------------------ Reshape */

static int reshape_infer(Graph *g, Node *n, Diag *d)
{
	bool legacy = n->opset < 5;
	if (op_check_arity(g, n, legacy ? 1 : 2, legacy ? 1 : 2, legacy ? 1 : 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	const int64_t *want;
	int64_t cnt;
	if (legacy) {
		cnt = (int64_t)ir_attr_ints(n, "shape", &want);
	} else if (op_const_ints(g, n, 1, &want, &cnt, d) < 0) {
		return -1;
	}
	if (check_rank(g, n, cnt, d) < 0)
		return -1;
	bool allowzero = n->opset >= 14 && ir_attr_int(n, "allowzero", 0) != 0;
	Shape s = {(int)cnt, {0}};
	int infer_at = -1;
	int64_t known = 1;
	for (int i = 0; i < s.rank; i++) {
		int64_t v = want[i];
		if (v == 0 && !allowzero) {
			if (i >= x->shape.rank)
				return ir_node_error(d, g, n, "shape[%d] is 0 (copy) but the input has rank %d",
						     i, x->shape.rank);
			v = x->shape.dims[i];
		} else if (v == -1) {
			if (infer_at >= 0)
				return ir_node_error(d, g, n, "shape has more than one -1");
			infer_at = i;
			continue;
		} else if (v < 0) {
			return ir_node_error(d, g, n, "shape[%d] is %lld, expected -1 or more", i,
					     (long long)v);
		}
		s.dims[i] = v;
		if (v > CNNC_MAX_TENSOR_BYTES || (v && known > CNNC_MAX_TENSOR_BYTES / v))
			return ir_node_error(d, g, n, "shape is too large");
		known *= v;
	}
	int64_t total = ir_numel(x);
	if (infer_at >= 0) {
		if (known == 0 || total % known != 0)
			return ir_node_error(d, g, n, "cannot infer the -1 dim: %lld elements do not "
					     "divide into dims of product %lld", (long long)total,
					     (long long)known);
		s.dims[infer_at] = total / known;
	} else if (known != total) {
		char a[256], b[256];
		return ir_node_error(d, g, n, "cannot reshape %s (%lld elements) to %s",
				     shape_str(&x->shape, a, sizeof a), (long long)total,
				     shape_str(&s, b, sizeof b));
	}
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* ------------------------------------------------------------ Flatten */

static int flatten_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	int64_t axis = ir_attr_int(n, "axis", 1);
	if (axis < (n->opset < 11 ? 0 : -r) || axis > r)
		return ir_node_error(d, g, n, "axis %lld is out of range for rank %d", (long long)axis, r);
	if (axis < 0)
		axis += r;
	Shape s = {2, {1, 1}};
	for (int i = 0; i < r; i++)
		s.dims[i < axis ? 0 : 1] *= x->shape.dims[i];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* ------------------------------------------------------------ Squeeze */

static int squeeze_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, n->opset < 13 ? 1 : 2, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	const int64_t *axes = NULL;
	int64_t cnt;
	bool present;
	if (read_axes(g, n, &axes, &cnt, &present, d) < 0)
		return -1;
	bool drop[CNNC_MAX_RANK] = {false};
	if (!present) {
		for (int i = 0; i < r; i++)
			drop[i] = x->shape.dims[i] == 1;
	}
	for (int64_t k = 0; k < cnt; k++) {
		int a;
		if (op_axis(g, n, axes[k], r, &a, d) < 0)
			return -1;
		if (x->shape.dims[a] != 1)
			return ir_node_error(d, g, n, "cannot squeeze axis %d of size %lld", a,
					     (long long)x->shape.dims[a]);
		drop[a] = true;
	}
	Shape s = {0, {0}};
	for (int i = 0; i < r; i++)
		if (!drop[i])
			s.dims[s.rank++] = x->shape.dims[i];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* ------------------------------------------------------------ Unsqueeze */

static int unsqueeze_infer(Graph *g, Node *n, Diag *d)
{
	bool legacy = n->opset < 13;
	if (op_check_arity(g, n, legacy ? 1 : 2, legacy ? 1 : 2, legacy ? 1 : 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	const int64_t *axes = NULL;
	int64_t cnt;
	bool present;
	if (read_axes(g, n, &axes, &cnt, &present, d) < 0)
		return -1;
	if (!present)
		return ir_node_error(d, g, n, "attribute 'axes' is missing");
	int64_t out_rank = x->shape.rank + cnt;
	if (check_rank(g, n, out_rank, d) < 0)
		return -1;
	bool ins[CNNC_MAX_RANK] = {false};
	for (int64_t k = 0; k < cnt; k++) {
		int a;
		if (op_axis(g, n, axes[k], (int)out_rank, &a, d) < 0)
			return -1;
		if (ins[a])
			return ir_node_error(d, g, n, "axis %d appears twice in axes", a);
		ins[a] = true;
	}
	Shape s = {(int)out_rank, {0}};
	for (int i = 0, j = 0; i < s.rank; i++)
		s.dims[i] = ins[i] ? 1 : x->shape.dims[j++];
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

const OpDef opdef_RESHAPE = {reshape_infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
const OpDef opdef_FLATTEN = {flatten_infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
const OpDef opdef_SQUEEZE = {squeeze_infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
const OpDef opdef_UNSQUEEZE = {unsqueeze_infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
