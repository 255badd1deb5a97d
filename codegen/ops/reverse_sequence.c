/* reverse_sequence.c - ReverseSequence: reverse the first sequence_lens[b] steps of each batch.
 *
 * sequence_lens is read at run time and clamped to [0, time steps], so no length
 * makes the kernel read or write out of bounds. Each (batch, step) moves one
 * contiguous block of the trailing dims with memcpy.
 */
#include <stdio.h>

#include "indexing.h"

static int axes(const Graph *g, const Node *n, int *ba, int *ta, Diag *d)
{
	int64_t b = ir_attr_int(n, "batch_axis", 1), t = ir_attr_int(n, "time_axis", 0);
	if (!((b == 0 && t == 1) || (b == 1 && t == 0)))
		return ir_node_error(d, g, n,
				     "batch_axis %lld and time_axis %lld, expected 0 and 1 in either order",
				     (long long)b, (long long)t);
	*ba = (int)b;
	*ta = (int)t;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType lens_types[] = {DT_INT64, DT_INT32, DT_UNDEFINED};
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 1, lens_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *l = op_in(g, n, 1);
	int ba, ta;
	if (axes(g, n, &ba, &ta, d) < 0)
		return -1;
	if (x->shape.rank < 2)
		return ir_node_error(d, g, n, "input has rank %d, expected >= 2", x->shape.rank);
	if (ir_numel(l) != x->shape.dims[ba])
		return ir_node_error(d, g, n, "sequence_lens has %lld values, expected %lld",
				     (long long)ir_numel(l), (long long)x->shape.dims[ba]);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int ba, ta;
	Diag d;
	diag_init(&d, "");
	if (axes(e->g, e->n, &ba, &ta, &d) < 0)
		return -1;
	int64_t st[CNNC_MAX_RANK];
	shape_strides(&x->shape, st);
	int64_t nb = x->shape.dims[ba], nt = x->shape.dims[ta];
	int64_t post = ix_prod(&x->shape, 2, x->shape.rank);
	if (ir_numel(x) == 0)
		return 0;
	out_line(e->o, "for (int64_t b = 0; b < %lld; b++) {", (long long)nb);
	out_line(e->o, "int64_t len = (int64_t)x1[b];");
	out_line(e->o, "len = len < 0 ? 0 : len > %lld ? %lld : len;", (long long)nt,
		 (long long)nt);
	out_line(e->o, "for (int64_t t = 0; t < %lld; t++) {", (long long)nt);
	out_line(e->o, "const int64_t s = t < len ? len - 1 - t : t;");
	char dst[96], src[96];
	snprintf(dst, sizeof dst, "b * %lld + t * %lld", (long long)st[ba], (long long)st[ta]);
	snprintf(src, sizeof src, "b * %lld + s * %lld", (long long)st[ba], (long long)st[ta]);
	if (post == 1)
		out_line(e->o, "y0[%s] = x0[%s];", dst, src);
	else
		out_line(e->o, "memcpy(y0 + %s, x0 + %s, %lld * sizeof *y0);", dst, src,
			 (long long)post);
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_REVERSESEQUENCE = {infer, NULL, emit, NULL, 0};
