/* bitcast.c - BitCast: the same bits read as another type of the same width.
 *
 * A byte copy, except for the 4- and 2-bit types, which cnnc keeps one per byte
 * with signed ones sign-extended: their low bits carry over and are re-extended
 * (or masked) for the target.
 */
#include <string.h>

#include "ops.h"

static int bits_of(DType t)
{
	switch (t) {
	case DT_INT4: case DT_UINT4: case DT_FLOAT4E2M1: return 4;
	case DT_INT2: case DT_UINT2: return 2;
	default: return 8 * dtype_info(t)->size;
	}
}

static bool sign_extended(DType t)
{
	return t == DT_INT4 || t == DT_INT2;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t to = ir_attr_int(n, "to", 0);
	if (!dtype_valid((int)to) || to == DT_STRING)
		return ir_node_error(d, g, n, "attribute 'to' is %lld, not a non-string element type",
				     (long long)to);
	if (x->dtype == DT_STRING)
		return ir_node_error(d, g, n, "cannot bitcast strings");
	if (bits_of(x->dtype) != bits_of((DType)to))
		return ir_node_error(d, g, n, "cannot bitcast %s (%d bits) to %s (%d bits)",
				     dtype_name(x->dtype), bits_of(x->dtype), dtype_name((DType)to),
				     bits_of((DType)to));
	op_set_out(g, n, 0, (DType)to, &x->shape);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	unsigned char *out = op_alloc_const(g, n, 0);
	if (!out)
		return ir_node_error(d, g, n, "out of memory");
	int64_t cnt = ir_numel(x), bytes = ir_bytes(x);
	int bits = bits_of(y->dtype);
	if (bits >= 8) {
		if (bytes > 0)
			memcpy(out, x->data, (size_t)bytes);
		return 0;
	}
	for (int64_t i = 0; i < cnt; i++) {
		unsigned v = ((const unsigned char *)x->data)[i] & ((1u << bits) - 1u);
		if (sign_extended(y->dtype) && (v >> (bits - 1)))
			v |= ~((1u << bits) - 1u);
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	int64_t cnt = ir_numel(x);
	int bits = bits_of(y->dtype);
	if (cnt == 0)
		return 0;
	if (bits >= 8) {
		out_line(e->o, "memcpy(y0, x0, %lld);", (long long)ir_bytes(x));
		return 0;
	}
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)cnt);
	out_line(e->o, "const unsigned v = (unsigned)(uint8_t)x0[i] & %uu;", (1u << bits) - 1u);
	if (sign_extended(y->dtype))
		out_line(e->o, "y0[i] = (int8_t)((int)(v ^ %uu) - %d);", 1u << (bits - 1),
			 1 << (bits - 1));
	else
		out_line(e->o, "y0[i] = (uint8_t)v;");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_BITCAST = {infer, fold, emit, NULL, 0};
