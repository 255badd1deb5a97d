/* concat_blocked.c - ConcatBlocked: Concat along channels of channel-blocked
 * tensors whose channel counts are multiples of the block, so each input is a
 * whole number of blocks and the output is, per batch image, the inputs' bytes
 * one after another (SqueezeNet fire modules, DenseNet, Inception, U-Net skips).
 */
#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *y = op_outv(g, n, 0);
	if (!y || !y->typed)
		return ir_node_error(d, g, n, "internal: ConcatBlocked output is untyped");
	return 0;
}

static int emit(Emit *e)
{
	const Value *y = op_outv(e->g, e->n, 0);
	int64_t nb = y->shape.dims[0], per = ir_numel(y) / (nb ? nb : 1); /* floats per image */
	Out *o = e->o;
	out_line(o, "for (int64_t n = 0; n < %lld; n++) {", (long long)nb);
	int64_t off = 0;
	for (int k = 0; k < e->n->ninputs; k++) {
		int64_t len = ir_numel(op_in(e->g, e->n, k)) / (nb ? nb : 1);
		out_line(o, "memcpy(y0 + n * %lld + %lld, %s + n * %lld, %lld);", (long long)per,
			 (long long)off, e->in[k], (long long)len, (long long)(len * 4));
		off += len;
	}
	out_line(o, "}");
	return 0;
}

const OpDef opdef_CONCATBLOCKED = {infer, NULL, emit, NULL, 0};
