/* where.c - Where: condition ? X : Y elementwise, with numpy broadcasting, any element type.
 *
 * Elements are copied in their storage type (no conversion), so every dtype,
 * strings included, works the same way. The kernel is a flat loop when every
 * operand is full-size or a scalar, otherwise a loop nest over the output with a
 * broadcast index per operand. Folds when all three inputs are constant (masks in
 * shape computations).
 */
#include <stdio.h>

#include "indexing.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType bool_only[] = {DT_BOOL, DT_UNDEFINED};
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || op_check_dtype(g, n, 0, bool_only, d) < 0)
		return -1;
	const Value *c = op_in(g, n, 0), *x = op_in(g, n, 1), *y = op_in(g, n, 2);
	if (x->dtype != y->dtype)
		return ir_node_error(d, g, n, "X is %s but Y is %s", dtype_name(x->dtype),
				     dtype_name(y->dtype));
	Shape s;
	char s1[128], s2[128], s3[128];
	if (shape_broadcast(&c->shape, &x->shape, &s) < 0 || shape_broadcast(&s, &y->shape, &s) < 0)
		return ir_node_error(d, g, n, "shapes %s, %s and %s do not broadcast",
				     shape_str(&c->shape, s1, sizeof s1),
				     shape_str(&x->shape, s2, sizeof s2),
				     shape_str(&y->shape, s3, sizeof s3));
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* Flat index in `in` (broadcast to `out`) of output element i. */
static int64_t bcast_offset(const Shape *in, const Shape *out, int64_t i)
{
	int64_t off = 0, st = 1;
	for (int d = out->rank - 1; d >= 0; d--) {
		int64_t idx = i % out->dims[d];
		i /= out->dims[d];
		int k = d - (out->rank - in->rank);
		if (k >= 0) {
			if (in->dims[k] != 1)
				off += idx * st;
			st *= in->dims[k];
		}
	}
	return off;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *c = op_in(g, n, 0), *x = op_in(g, n, 1), *y = op_in(g, n, 2);
	const Value *out = op_outv(g, n, 0);
	void *data = op_alloc_const(g, n, 0);
	int64_t total = ir_numel(out);
	const uint8_t *cd = c->data;
	for (int64_t i = 0; i < total; i++) {
		const Value *src = cd[bcast_offset(&c->shape, &out->shape, i)] ? x : y;
		ix_copy_elem(out->dtype, data, i, src->data,
			     bcast_offset(&src->shape, &out->shape, i));
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *out = op_outv(e->g, e->n, 0);
	int64_t total = ir_numel(out);
	if (total == 0)
		return 0;
	bool flat = true;
	for (int k = 0; k < 3; k++) {
		int64_t c = ir_numel(op_in(e->g, e->n, k));
		flat &= c == total || c == 1;
	}
	char idx[3][256];
	int loops = 0;
	if (flat) {
		for (int k = 0; k < 3; k++)
			snprintf(idx[k], sizeof idx[k], "%s",
				 ir_numel(op_in(e->g, e->n, k)) == 1 ? "0" : "i");
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)total);
		out_line(e->o, "\ty0[i] = x0[%s] ? x1[%s] : x2[%s];", idx[0], idx[1], idx[2]);
		return 0;
	}
	for (int k = 0; k < 3; k++)
		cg_bcast_index(&op_in(e->g, e->n, k)->shape, &out->shape, "i", idx[k],
			       sizeof idx[k]);
	out_line(e->o, "int64_t j = 0;");
	loops = cg_loops(e->o, &out->shape, "i");
	out_line(e->o, "y0[j++] = x0[%s] ? x1[%s] : x2[%s];", idx[0], idx[1], idx[2]);
	cg_close(e->o, loops);
	return 0;
}

const OpDef opdef_WHERE = {infer, fold, emit, NULL, 0};
