/* identity.c - Identity: a copy (or, once planned as a view, nothing at all). */
#include <string.h>

#include "ops.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	const Value *in = op_in(g, n, 0);
	if (n->ninputs == 1 && in && in->vtype != VT_TENSOR) /* sequences, optionals: control.c */
		return op_def(OP_CTL_PASS)->infer(g, n, d);
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	int64_t b = ir_bytes(x);
	if (b > 0)
		memcpy(y, x->data, (size_t)b);
	return 0;
}

static int emit(Emit *e)
{
	int64_t b = ir_bytes(op_in(e->g, e->n, 0));
	if (b > 0)
		out_line(e->o, "if ((const void *)y0 != (const void *)x0) memcpy(y0, x0, %lld);",
			 (long long)b);
	return 0;
}

const OpDef opdef_IDENTITY = {infer, fold, emit, NULL, OPF_VIEW};
