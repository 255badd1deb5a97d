/* causal_conv.c - CausalConvWithState (opset 27): a stateful causal depthwise 1-D
 * convolution, the Concat + Conv + Slice of Mamba and Gated DeltaNet in one kernel.
 *
 * With k the kernel size, the padded sequence P is past_state (or k - 1 zeros)
 * followed by the input, and output[t] = bias + sum_j weight[j] * P[t + j] (a
 * cross-correlation, as Conv), then SiLU when activation is 'silu' or 'swish'.
 * present_state is the last k - 1 positions of P. The kernel never builds P: a tap
 * left of the input reads the past state (or zero) directly. float16 and bfloat16
 * are computed in float and rounded once; present_state is copied in the storage
 * type.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef struct Ccs {
	int64_t b, c, l, k;
	bool silu;
} Ccs;

static int check_state(const Graph *g, const Node *n, const Ccs *s, Diag *d)
{
	const Value *bias = op_in(g, n, 2), *past = op_in(g, n, 3);
	if (bias && (bias->shape.rank != 1 || bias->shape.dims[0] != s->c))
		return ir_node_error(d, g, n, "bias must have shape [%lld], got rank %d",
				     (long long)s->c, bias->shape.rank);
	if (past && (past->shape.rank != 3 || past->shape.dims[0] != s->b ||
		     past->shape.dims[1] != s->c || past->shape.dims[2] != s->k - 1))
		return ir_node_error(d, g, n, "past_state must have shape [%lld, %lld, %lld] (batch, "
				     "channels, k - 1)", (long long)s->b, (long long)s->c,
				     (long long)(s->k - 1));
	return 0;
}

static int plan(const Graph *g, const Node *n, Ccs *s, Diag *d)
{
	const Shape *x = &op_in(g, n, 0)->shape, *w = &op_in(g, n, 1)->shape;
	const char *act = ir_attr_str(n, "activation", "none");
	if (strcmp(act, "none") != 0 && strcmp(act, "silu") != 0 && strcmp(act, "swish") != 0)
		return ir_node_error(d, g, n, "activation is '%s', expected 'none', 'silu' or 'swish'",
				     act);
	s->silu = strcmp(act, "none") != 0;
	if (x->rank != 3)
		return ir_node_error(d, g, n, "input has rank %d, expected 3 (batch, channels, length)",
				     x->rank);
	s->b = x->dims[0];
	s->c = x->dims[1];
	s->l = x->dims[2];
	if (w->rank != 3 || w->dims[0] != s->c || w->dims[1] != 1 || w->dims[2] < 1)
		return ir_node_error(d, g, n, "weight must have shape [%lld, 1, k] with k >= 1",
				     (long long)s->c);
	s->k = w->dims[2];
	return check_state(g, n, s, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType types[] = {DT_FLOAT, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};
	if (op_check_arity(g, n, 2, 4, 2, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 0; k < 4; k++) {
		const Value *v = op_in(g, n, k);
		if (op_check_dtype(g, n, k, types, d) < 0)
			return -1;
		if (v && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but input is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
	}
	Ccs s;
	if (plan(g, n, &s, d) < 0)
		return -1;
	Shape st = {3, {s.b, s.c, s.k - 1}};
	op_set_out(g, n, 0, dt, &op_in(g, n, 0)->shape);
	op_set_out(g, n, 1, dt, &st);
	return 0;
}

/* Parameter name of input k, NULL when absent (trailing absent inputs have no slot). */
static const char *in_name(const Emit *e, int k)
{
	return k < e->n->ninputs ? e->in[k] : NULL;
}

/* Output row of channel c (row bc of x0/y0). */
static void emit_output(Emit *e, const Ccs *s, DType dt)
{
	Out *o = e->o;
	char ld[160], ref[96], st[96];
	long long k = (long long)s->k;
	out_line(o, "for (int64_t t = 0; t < %lld; t++) {", (long long)s->l);
	if (in_name(e, 2)) {
		snprintf(ref, sizeof ref, "%s[c]", in_name(e, 2));
		out_line(o, "float acc = %s;", cg_load(dt, ref, ld, sizeof ld));
	} else {
		out_line(o, "float acc = 0;");
	}
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", k);
	out_line(o, "const int64_t p = t + j - %lld;", k - 1);
	out_line(o, "float v = 0;");
	out_line(o, "if (p >= 0)");
	out_line(o, "\tv = %s;", cg_load(dt, "xr[p]", ld, sizeof ld));
	if (in_name(e, 3)) {
		out_line(o, "else");
		out_line(o, "\tv = %s;", cg_load(dt, "pr[p + kk]", ld, sizeof ld));
	}
	snprintf(ref, sizeof ref, "%s[c * %lld + j]", e->in[1], k);
	out_line(o, "acc += %s * v;", cg_load(dt, ref, ld, sizeof ld));
	out_line(o, "}");
	if (s->silu)
		out_line(o, "acc = acc / (1 + expf(-acc));");
	out_line(o, "yr[t] = %s;", cg_store(dt, "acc", st, sizeof st));
	out_line(o, "}");
}

/* present_state row: position L + i of the padded sequence, in the storage type. */
static void emit_present(Emit *e, const Ccs *s)
{
	Out *o = e->o;
	out_line(o, "for (int64_t i = 0; i < kk; i++) {");
	out_line(o, "const int64_t p = %lld + i - kk;", (long long)s->l);
	out_line(o, "%s[bc * kk + i] = p >= 0 ? xr[p] : %s;", e->out[1], in_name(e, 3) ? "pr[p + kk]" : "0");
	out_line(o, "}");
}

static int emit(Emit *e)
{
	Ccs s;
	Diag d;
	diag_init(&d, NULL);
	if (plan(e->g, e->n, &s, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	bool present = e->n->noutputs > 1 && e->out[1] && s.k > 1;
	Out *o = e->o;
	if (!s.b || !s.c || (!s.l && !present))
		return 0;
	out_line(o, "const int64_t kk = %lld;", (long long)(s.k - 1));
	out_line(o, "(void)kk;");
	out_line(o, "for (int64_t bc = 0; bc < %lld; bc++) {", (long long)(s.b * s.c));
	out_line(o, "const int64_t c = bc %% %lld;", (long long)s.c);
	out_line(o, "const %s *restrict xr = x0 + bc * %lld;", cg_ctype(dt), (long long)s.l);
	out_line(o, "%s *restrict yr = %s + bc * %lld;", cg_ctype(dt), e->out[0], (long long)s.l);
	if (in_name(e, 3))
		out_line(o, "const %s *restrict pr = %s + bc * kk;", cg_ctype(dt), in_name(e, 3));
	emit_output(e, &s, dt);
	if (present)
		emit_present(e, &s);
	out_line(o, "}");
	return 0;
}

const OpDef opdef_CAUSALCONVWITHSTATE = {infer, NULL, emit, NULL, 0};
