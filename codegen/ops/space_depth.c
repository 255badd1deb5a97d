/* space_depth.c - DepthToSpace (DCR and CRD modes) and SpaceToDepth.
 *
 * Both are a reshape to rank 6, a transpose and a reshape back, i.e. one strided
 * Copy (indexing.h) from the NCHW input into the dense NCHW output: the output is
 * walked as its rank-6 view and each of the six dims gets the stride it has in the
 * input. The same Copy is emitted or folded.
 */
#include <string.h>

#include "indexing.h"

static int check_input(const Graph *g, const Node *n, int64_t *b, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank != 4)
		return ir_node_error(d, g, n, "input has rank %d, expected 4 (NCHW)",
				     x->shape.rank);
	if (!ir_attr(n, "blocksize"))
		return ir_node_error(d, g, n, "attribute 'blocksize' is required");
	*b = ir_attr_int(n, "blocksize", 1);
	if (*b < 1 || *b > 65536)
		return ir_node_error(d, g, n, "blocksize is %lld, expected a positive size",
				     (long long)*b);
	return 0;
}

/* Builds the Copy for node n (DepthToSpace or SpaceToDepth); *out gets the output shape. */
static int make_copy(const Graph *g, const Node *n, Copy *c, Shape *out, Diag *d)
{
	int64_t b = 0;
	if (check_input(g, n, &b, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2];
	int64_t W = x->shape.dims[3];
	memset(c, 0, sizeof *c);
	c->rank = 6;
	Shape view = {6, {0}};
	if (n->op == OP_DEPTHTOSPACE) {
		const char *mode = n->opset >= 11 ? ir_attr_str(n, "mode", "DCR") : "DCR";
		bool crd = !strcmp(mode, "CRD");
		if (!crd && strcmp(mode, "DCR"))
			return ir_node_error(d, g, n, "mode '%s' is not DCR or CRD", mode);
		if (C % (b * b))
			return ir_node_error(d, g, n,
					     "channels %lld are not a multiple of blocksize^2 %lld",
					     (long long)C, (long long)(b * b));
		int64_t Cp = C / (b * b), hw = H * W;
		*out = (Shape){4, {N, Cp, H * b, W * b}};
		view = (Shape){6, {N, Cp, H, b, W, b}};
		/* input strides of (n, c', h, b1, w, b2) */
		int64_t st[6] = {C * hw, crd ? b * b * hw : hw, W, crd ? b * hw : b * Cp * hw, 1,
				 crd ? hw : Cp * hw};
		memcpy(c->sst, st, sizeof st);
	} else {
		if (H % b || W % b)
			return ir_node_error(d, g, n,
					     "height %lld and width %lld are not multiples of blocksize %lld",
					     (long long)H, (long long)W, (long long)b);
		int64_t Hp = H / b, Wp = W / b;
		*out = (Shape){4, {N, C * b * b, Hp, Wp}};
		view = (Shape){6, {N, b, b, C, Hp, Wp}};
		/* input strides of (n, b1, b2, c, h', w') */
		int64_t st[6] = {C * H * W, W, 1, H * W, b * W, b};
		memcpy(c->sst, st, sizeof st);
	}
	for (int k = 0; k < 6; k++)
		c->dims[k] = view.dims[k];
	shape_strides(&view, c->dst);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	Copy c;
	Shape s;
	if (make_copy(g, n, &c, &s, d) < 0)
		return -1;
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	Copy c;
	Shape s;
	if (make_copy(g, n, &c, &s, d) < 0)
		return -1;
	ix_fold_copy(&c, op_in(g, n, 0)->dtype, op_alloc_const(g, n, 0), op_in(g, n, 0)->data);
	return 0;
}

static int emit(Emit *e)
{
	Copy c;
	Shape s;
	Diag d;
	diag_init(&d, "");
	if (make_copy(e->g, e->n, &c, &s, &d) < 0)
		return -1;
	ix_emit_copy(e->o, &c, "y0", "x0");
	return 0;
}

const OpDef opdef_DEPTHTOSPACE = {infer, fold, emit, NULL, 0};
const OpDef opdef_SPACETODEPTH = {infer, fold, emit, NULL, 0};
