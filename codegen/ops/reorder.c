/* reorder.c - Reorder: converts a tensor between dense NCHW and channel-blocked
 * NCHWc (Value.layout = b). select_layout puts one at each boundary between ops
 * that run blocked and ops that need the ONNX order. Lanes past the channel count
 * are written as zeros, so blocked kernels may read them.
 */
#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	if (!x || !x->typed || x->shape.rank < 3)
		return ir_node_error(d, g, n, "internal: Reorder of a tensor of rank < 3");
	op_set_out(g, n, 0, x->dtype, &x->shape);
	op_outv(g, n, 0)->layout = (int)ir_attr_int(n, "block", 0);
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	Out *o = e->o;
	int64_t nb = x->shape.dims[0], c = x->shape.dims[1], hw = ir_numel(x) / (nb * c > 0 ? nb * c : 1);
	bool to_blocked = y->layout > 0;
	int64_t b = to_blocked ? y->layout : x->layout;
	int64_t cb = (c + b - 1) / b;
	const char *t = cg_ctype(x->dtype);
	/* the blocked side is written (or read) contiguously, b lanes per pixel; the
	   plain side is b streams, one per channel, each sequential */
	out_line(o, "for (int64_t n = 0; n < %lld; n++)", (long long)nb);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)cb);
	int64_t full = c - (cb - 1) * b; /* channels in the last block */
	if (to_blocked) {
		out_line(o, "%s *restrict blk = y0 + (n * %lld + k) * %lld;", t, (long long)cb,
			 (long long)(hw * b));
		out_line(o, "const %s *src = x0 + (n * %lld + k * %lld) * %lld;", t, (long long)c,
			 (long long)b, (long long)hw);
		out_line(o, "const int64_t lanes = k < %lld ? %lld : %lld;", (long long)(cb - 1),
			 (long long)b, (long long)full);
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)hw);
		out_line(o, "for (int64_t l = 0; l < lanes; l++) blk[i * %lld + l] = src[l * %lld + i];",
			 (long long)b, (long long)hw);
		out_line(o, "for (int64_t l = lanes; l < %lld; l++) blk[i * %lld + l] = 0;", (long long)b,
			 (long long)b);
		out_line(o, "}");
	} else {
		out_line(o, "const %s *restrict blk = x0 + (n * %lld + k) * %lld;", t, (long long)cb,
			 (long long)(hw * b));
		out_line(o, "%s *dst = y0 + (n * %lld + k * %lld) * %lld;", t, (long long)c, (long long)b,
			 (long long)hw);
		out_line(o, "const int64_t lanes = k < %lld ? %lld : %lld;", (long long)(cb - 1),
			 (long long)b, (long long)full);
		out_line(o, "for (int64_t i = 0; i < %lld; i++)", (long long)hw);
		out_line(o, "\tfor (int64_t l = 0; l < lanes; l++) dst[l * %lld + i] = blk[i * %lld + l];",
			 (long long)hw, (long long)b);
	}
	out_line(o, "}");
	return 0;
}

const OpDef opdef_REORDER = {infer, NULL, emit, NULL, 0};
