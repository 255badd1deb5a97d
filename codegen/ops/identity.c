/* identity.c - Identity: a copy, or nothing at all once the plan makes it a view. */
#include "strided.h"

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

const OpDef opdef_IDENTITY = {infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
