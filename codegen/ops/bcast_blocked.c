/* bcast_blocked.c - ChannelBinary: y = x <op> s on a channel-blocked x, with s one
 * value per channel (shape [N or 1, C, 1, 1] or [C, 1, 1]): the squeeze-excitation
 * scaling of EfficientNet/MobileNetV3 and per-channel affine layers, kept blocked.
 *
 * select_layout makes it from Add/Sub/Mul/Div when C is a multiple of the block;
 * then a blocked s and a plain s have the same bytes ([N][C]), so s may be either.
 * The inner loop runs over the b lanes of one pixel: one vector operation.
 */
#include "pool_blocked.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *y = op_outv(g, n, 0);
	if (!y || !y->typed)
		return ir_node_error(d, g, n, "internal: ChannelBinary output is untyped");
	return 0;
}

static int emit(Emit *e)
{
	static const char *const ops[] = {"+", "-", "*", "/"};
	const Value *x = op_in(e->g, e->n, 0), *s = op_in(e->g, e->n, 1);
	int op = (int)ir_attr_int(e->n, "op", CB_MUL);
	int64_t b = x->layout, n = x->shape.dims[0], c = x->shape.dims[1];
	int64_t hw = x->shape.dims[2] * x->shape.dims[3];
	bool per_batch = s->shape.rank == 4 && s->shape.dims[0] == n && n > 1;
	Out *o = e->o;
	out_line(o, "for (int64_t n = 0; n < %lld; n++)", (long long)n);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)(c / b));
	if (per_batch)
		out_line(o, "const float *sp = x1 + n * %lld + k * %lld;", (long long)c, (long long)b);
	else
		out_line(o, "const float *sp = x1 + k * %lld;", (long long)b);
	out_line(o, "const float *xp = x0 + (n * %lld + k) * %lld;", (long long)(c / b), (long long)(hw * b));
	out_line(o, "float *yp = y0 + (n * %lld + k) * %lld;", (long long)(c / b), (long long)(hw * b));
	out_line(o, "for (int64_t i = 0; i < %lld; i++)", (long long)hw);
	out_line(o, "\tfor (int l = 0; l < %lld; l++) yp[i * %lld + l] = xp[i * %lld + l] %s sp[l];",
		 (long long)b, (long long)b, (long long)b, ops[op]);
	out_line(o, "}");
	return 0;
}

const OpDef opdef_CHANNELBINARY = {infer, NULL, emit, NULL, 0};
