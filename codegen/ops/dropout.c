/* dropout.c - Dropout: the identity at inference, a random mask in training mode.
 *
 * cnnc compiles for inference: before opset 12 (where training was a property
 * of the runtime) and whenever training_mode is absent or a constant false,
 * the output is the input (a view, OPF_VIEW) and the optional mask is a
 * constant of ones set during infer. When training_mode is a constant true (with
 * a ratio that is not a constant 0) or only known at run time, infer turns the
 * node into the internal DropoutTrain, which is not a view: its kernel checks
 * training_mode and ratio at run time and drops elements with probability ratio,
 * scaling the rest by 1 / (1 - ratio). The random number of element i is a hash
 * of (seed, i) (runtime/rt_movement.h), so fold and kernel agree.
 */
#include <stdio.h>
#include <string.h>

#include "../../runtime/cnnc_rt.h"
#include "../../runtime/rt_movement.h"
#include "strided.h"

static const DType data_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16,
				   DT_FLOAT8E4M3FN, DT_FLOAT8E4M3FNUZ, DT_FLOAT8E5M2,
				   DT_FLOAT8E5M2FNUZ, DT_UNDEFINED};

/* Mask type: the data type before Dropout-10, bool from then on. */
static DType mask_type(const Node *n, DType data)
{
	return n->opset < 10 ? data : DT_BOOL;
}

/* 1 if the node certainly runs in inference mode, 0 if it may train. */
static bool inference_only(const Graph *g, const Node *n)
{
	if (n->opset < 12 || !ir_has_in(n, 2))
		return true;
	const Value *t = op_in(g, n, 2), *r = op_in(g, n, 1);
	if (t->data && dtype_get_i64(t->dtype, t->data, 0) == 0)
		return true;
	/* training with a constant ratio of 0 keeps everything too */
	return t->data && (!r || (r->data && dtype_get_f64(r->dtype, r->data, 0) == 0));
}

static int set_ones_mask(Graph *g, Node *n, Diag *d)
{
	const Value *m = op_outv(g, n, 1);
	if (!m)
		return 0;
	void *p = op_alloc_const(g, n, 1);
	if (!p)
		return ir_node_error(d, g, n, "out of memory");
	for (int64_t i = 0; i < ir_numel(m); i++)
		dtype_set_f64(m->dtype, p, i, 1.0);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, n->opset < 12 ? 1 : 3, 1, d) < 0 ||
	    op_check_dtype(g, n, 0, data_types, d) < 0 || op_check_dtype(g, n, 1, data_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *r = op_in(g, n, 1), *t = op_in(g, n, 2);
	if (r && ir_numel(r) != 1)
		return ir_node_error(d, g, n, "ratio has %lld elements, expected a scalar",
				     (long long)ir_numel(r));
	if (t && (t->dtype != DT_BOOL || ir_numel(t) != 1))
		return ir_node_error(d, g, n, "training_mode must be a bool scalar");
	DType dt = x->dtype;
	op_set_out(g, n, 0, dt, &x->shape);
	op_set_out(g, n, 1, mask_type(n, dt), &x->shape);
	if (inference_only(g, n)) {
		n->op = OP_DROPOUT;
		return set_ones_mask(g, n, d);
	}
	if (dt != DT_FLOAT && dt != DT_DOUBLE && dt != DT_FLOAT16 && dt != DT_BFLOAT16)
		return ir_node_error(d, g, n, "training-mode dropout of %s is not supported",
				     dtype_name(dt));
	n->op = OP_DROPOUT_TRAIN;
	return 0;
}

/* ------------------------------------------------------------ training mode */

static double ratio_of(const Graph *g, const Node *n)
{
	const Value *r = op_in(g, n, 1);
	return r ? dtype_get_f64(r->dtype, r->data, 0) : 0.5;
}

static uint64_t seed_of(const Node *n)
{
	return (uint64_t)ir_attr_int(n, "seed", 0);
}

static int train_fold(Graph *g, Node *n, Diag *d)
{
	if (inference_only(g, n)) {
		if (op_copy_fold(g, n, d) < 0)
			return -1;
		return set_ones_mask(g, n, d);
	}
	const Value *x = op_in(g, n, 0), *m = op_outv(g, n, 1);
	void *y = op_alloc_const(g, n, 0), *mk = m ? op_alloc_const(g, n, 1) : NULL;
	if (!y || (m && !mk))
		return ir_node_error(d, g, n, "out of memory");
	float ratio = (float)ratio_of(g, n), scale = 1.0f / (1.0f - ratio);
	bool dbl = x->dtype == DT_DOUBLE;
	for (int64_t i = 0; i < ir_numel(x); i++) {
		bool keep = rt_uniform(seed_of(n), (uint64_t)i) >= ratio;
		double v = dtype_get_f64(x->dtype, x->data, i);
		v = !keep ? 0 : dbl ? v * (double)scale : (double)((float)v * scale);
		dtype_set_f64(x->dtype, y, i, v);
		if (mk)
			((uint8_t *)mk)[i] = keep;
	}
	return 0;
}

static int train_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	const char *ct = cg_comp(dt);
	int64_t cnt = ir_numel(x);
	char r[64], ld[128], st[256];
	if (cnt == 0)
		return 0;
	if (e->in[1])
		snprintf(r, sizeof r, "%s", cg_load(op_in(e->g, e->n, 1)->dtype, "x1[0]", ld, sizeof ld));
	else
		snprintf(r, sizeof r, "0.5f");
	out_line(e->o, "const float ratio = (float)%s;", r);
	out_line(e->o, "if (!x2[0] || ratio == 0) {");
	out_line(e->o, "memcpy(y0, x0, %lld * sizeof *y0);", (long long)cnt);
	if (e->out[1])
		out_line(e->o, "memset(y1, 1, %lld);", (long long)cnt);
	out_line(e->o, "return;");
	out_line(e->o, "}");
	out_line(e->o, "const %s scale = (%s)(1.0f / (1.0f - ratio));", ct, ct);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)cnt);
	out_line(e->o, "const int keep = rt_uniform(UINT64_C(%llu), (uint64_t)i) >= ratio;",
		 (unsigned long long)seed_of(e->n));
	snprintf(ld, sizeof ld, "keep ? %s * scale : 0", cg_load(dt, "x0[i]", r, sizeof r));
	out_line(e->o, "y0[i] = %s;", cg_store(dt, ld, st, sizeof st));
	if (e->out[1])
		out_line(e->o, "y1[i] = (uint8_t)keep;");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_DROPOUT = {infer, op_copy_fold, op_copy_emit, NULL, OPF_VIEW};
const OpDef opdef_DROPOUT_TRAIN = {infer, train_fold, train_emit, NULL, 0};
