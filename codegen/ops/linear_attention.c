/* linear_attention.c - LinearAttention (opset 27): the recurrent form of linear
 * attention, gated linear attention, DeltaNet and Gated DeltaNet in one kernel.
 *
 * Inputs are packed [B, T, heads * size]. For every batch and KV head the kernel keeps
 * the d_k x d_v state S in scratch (float, from past_state or zero) and runs the
 * recurrence token by token, exactly as the operator defines it:
 *   gated, gated_delta:  S = exp(g_t) * S   (g per key dimension, or one per head)
 *   linear, gated:       S += k_t (x) v_t
 *   delta, gated_delta:  S += k_t (x) beta_t * (v_t - S^T k_t)   (S already decayed)
 * and then, for each query head of the KV head's group (query head h uses KV head
 * h / (q_num_heads / kv_num_heads)), o_t = scale * q_t^T S. The chunk-parallel form
 * that chunk_size tunes on GPUs computes the same values, so the attribute is only
 * checked. float16 and bfloat16 are computed in float; present_state is stored in
 * past_state's type, or in the activations' type when there is no past_state.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

enum { RULE_LINEAR, RULE_GATED, RULE_DELTA, RULE_GATED_DELTA };

typedef struct Lin {
	int64_t b, t, hq, hkv, dk, dv;
	int rule;
	bool gate_per_key;  /* decay is [B, T, H_kv * d_k], else [B, T, H_kv] */
	bool beta_per_head; /* beta is [B, T, H_kv], else [B, T, 1] */
	double scale;
} Lin;

static bool gated(const Lin *a) { return a->rule == RULE_GATED || a->rule == RULE_GATED_DELTA; }
static bool delta(const Lin *a) { return a->rule == RULE_DELTA || a->rule == RULE_GATED_DELTA; }

static int rule_of(const Graph *g, const Node *n, Lin *a, Diag *d)
{
	static const char *const names[] = {"linear", "gated", "delta", "gated_delta"};
	const char *r = ir_attr_str(n, "update_rule", "gated_delta");
	for (int i = 0; i < 4; i++)
		if (strcmp(r, names[i]) == 0) {
			a->rule = i;
			return 0;
		}
	return ir_node_error(d, g, n, "update_rule is '%s', expected 'linear', 'gated', 'delta' or "
			     "'gated_delta'", r);
}

/* Heads and head sizes from the packed Q, K, V. */
static int heads(const Graph *g, const Node *n, Lin *a, Diag *d)
{
	const Shape *q = &op_in(g, n, 0)->shape, *k = &op_in(g, n, 1)->shape, *v = &op_in(g, n, 2)->shape;
	a->hq = ir_attr_int(n, "q_num_heads", 0);
	a->hkv = ir_attr_int(n, "kv_num_heads", 0);
	if (a->hq <= 0 || a->hkv <= 0)
		return ir_node_error(d, g, n, "q_num_heads and kv_num_heads must be given and positive");
	if (a->hq % a->hkv)
		return ir_node_error(d, g, n, "q_num_heads %lld is not a multiple of kv_num_heads %lld",
				     (long long)a->hq, (long long)a->hkv);
	if (q->rank != 3 || k->rank != 3 || v->rank != 3)
		return ir_node_error(d, g, n, "query, key and value must be 3-D [batch, seq, heads * "
				     "size], got ranks %d, %d, %d", q->rank, k->rank, v->rank);
	a->b = q->dims[0];
	a->t = q->dims[1];
	for (int i = 0; i < 2; i++)
		if (k->dims[i] != q->dims[i] || v->dims[i] != q->dims[i])
			return ir_node_error(d, g, n, "query, key and value differ in batch or sequence "
					     "length");
	if (q->dims[2] % a->hq || v->dims[2] % a->hkv)
		return ir_node_error(d, g, n, "query's last dim %lld is not a multiple of q_num_heads, or "
				     "value's %lld of kv_num_heads", (long long)q->dims[2],
				     (long long)v->dims[2]);
	a->dk = q->dims[2] / a->hq;
	a->dv = v->dims[2] / a->hkv;
	if (k->dims[2] != a->hkv * a->dk)
		return ir_node_error(d, g, n, "key's last dim is %lld, expected kv_num_heads * d_k = %lld",
				     (long long)k->dims[2], (long long)(a->hkv * a->dk));
	return 0;
}

/* True if v is [B, T, last]. */
static bool packed(const Lin *a, const Value *v, int64_t last)
{
	return v->shape.rank == 3 && v->shape.dims[0] == a->b && v->shape.dims[1] == a->t &&
	       v->shape.dims[2] == last;
}

static int gates(const Graph *g, const Node *n, Lin *a, Diag *d)
{
	const Value *past = op_in(g, n, 3), *decay = op_in(g, n, 4), *beta = op_in(g, n, 5);
	if (past && (past->shape.rank != 4 || past->shape.dims[0] != a->b ||
		     past->shape.dims[1] != a->hkv || past->shape.dims[2] != a->dk ||
		     past->shape.dims[3] != a->dv))
		return ir_node_error(d, g, n, "past_state must have shape [%lld, %lld, %lld, %lld]",
				     (long long)a->b, (long long)a->hkv, (long long)a->dk, (long long)a->dv);
	if (gated(a) && !decay)
		return ir_node_error(d, g, n, "update_rule '%s' needs the decay input",
				     a->rule == RULE_GATED ? "gated" : "gated_delta");
	if (delta(a) && !beta)
		return ir_node_error(d, g, n, "update_rule '%s' needs the beta input",
				     a->rule == RULE_DELTA ? "delta" : "gated_delta");
	a->gate_per_key = decay && packed(a, decay, a->hkv * a->dk);
	if (gated(a) && !a->gate_per_key && !packed(a, decay, a->hkv))
		return ir_node_error(d, g, n, "decay must be [%lld, %lld, %lld] or [%lld, %lld, %lld]",
				     (long long)a->b, (long long)a->t, (long long)(a->hkv * a->dk),
				     (long long)a->b, (long long)a->t, (long long)a->hkv);
	a->beta_per_head = beta && packed(a, beta, a->hkv);
	if (delta(a) && !a->beta_per_head && !packed(a, beta, 1))
		return ir_node_error(d, g, n, "beta must be [%lld, %lld, %lld] or [%lld, %lld, 1]",
				     (long long)a->b, (long long)a->t, (long long)a->hkv, (long long)a->b,
				     (long long)a->t);
	return 0;
}

static int plan(const Graph *g, const Node *n, Lin *a, Diag *d)
{
	memset(a, 0, sizeof *a);
	if (rule_of(g, n, a, d) < 0 || heads(g, n, a, d) < 0 || gates(g, n, a, d) < 0)
		return -1;
	if (ir_attr_int(n, "chunk_size", 64) <= 0)
		return ir_node_error(d, g, n, "chunk_size must be positive");
	a->scale = ir_attr_float(n, "scale", 0.0);
	if (a->scale == 0)
		a->scale = 1 / sqrt((double)(a->dk ? a->dk : 1));
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType types[] = {DT_FLOAT, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};
	if (op_check_arity(g, n, 3, 6, 3, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 0; k < 6; k++) {
		const Value *v = op_in(g, n, k);
		if (op_check_dtype(g, n, k, types, d) < 0)
			return -1;
		if (v && k != 3 && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but query is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
	}
	Lin a;
	if (plan(g, n, &a, d) < 0)
		return -1;
	const Value *past = op_in(g, n, 3);
	Shape y = {3, {a.b, a.t, a.hq * a.dv}}, s = {4, {a.b, a.hkv, a.dk, a.dv}};
	op_set_out(g, n, 0, dt, &y);
	op_set_out(g, n, 1, past ? past->dtype : dt, &s);
	return 0;
}

/* State, then the update row and the output row, in floats. */
static int64_t scratch(const Graph *g, const Node *n)
{
	Lin a;
	Diag d;
	diag_init(&d, NULL);
	if (plan(g, n, &a, &d) < 0)
		return 0;
	return (a.dk * a.dv + 2 * a.dv) * 4;
}

/* ------------------------------------------------------------ code */

static const char *in_name(const Emit *e, int k)
{
	return k < e->n->ninputs ? e->in[k] : NULL;
}

/* S = exp(g_t) * S, one factor per key row or one for the head. */
static void emit_decay(Emit *e, const Lin *a, DType dt)
{
	Out *o = e->o;
	char ref[128], ld[160];
	long long dk = (long long)a->dk, dv = (long long)a->dv;
	if (a->gate_per_key) {
		snprintf(ref, sizeof ref, "%s[row * %lld + h * %lld + i]", in_name(e, 4),
			 (long long)(a->hkv * a->dk), dk);
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {", dk);
		out_line(o, "const float gi = expf(%s);", cg_load(dt, ref, ld, sizeof ld));
		out_line(o, "for (int64_t j = 0; j < %lld; j++) st[i * %lld + j] *= gi;", dv, dv);
		out_line(o, "}");
	} else {
		snprintf(ref, sizeof ref, "%s[row * %lld + h]", in_name(e, 4), (long long)a->hkv);
		out_line(o, "const float gh = expf(%s);", cg_load(dt, ref, ld, sizeof ld));
		out_line(o, "for (int64_t i = 0; i < %lld; i++) st[i] *= gh;", dk * dv);
	}
}

/* upd = v_t, or beta_t * (v_t - S^T k_t); then S += k_t (x) upd. */
static void emit_update(Emit *e, const Lin *a, DType dt)
{
	Out *o = e->o;
	char ref[128], ld[160], lk[64];
	long long dk = (long long)a->dk, dv = (long long)a->dv;
	cg_load(dt, "kr[i]", lk, sizeof lk);
	if (delta(a)) {
		snprintf(ref, sizeof ref, "%s[row * %lld%s]", in_name(e, 5),
			 (long long)(a->beta_per_head ? a->hkv : 1), a->beta_per_head ? " + h" : "");
		out_line(o, "const float bt = %s;", cg_load(dt, ref, ld, sizeof ld));
		out_line(o, "for (int64_t j = 0; j < %lld; j++) upd[j] = 0;", dv);
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {", dk);
		out_line(o, "const float ki = %s;", lk);
		out_line(o, "for (int64_t j = 0; j < %lld; j++) upd[j] += st[i * %lld + j] * ki;", dv, dv);
		out_line(o, "}");
		out_line(o, "for (int64_t j = 0; j < %lld; j++) upd[j] = bt * (%s - upd[j]);", dv,
			 cg_load(dt, "vr[j]", ld, sizeof ld));
	} else {
		out_line(o, "for (int64_t j = 0; j < %lld; j++) upd[j] = %s;", dv,
			 cg_load(dt, "vr[j]", ld, sizeof ld));
	}
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", dk);
	out_line(o, "const float ki = %s;", lk);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) st[i * %lld + j] += ki * upd[j];", dv, dv);
	out_line(o, "}");
}

/* o_t = scale * q_t^T S for every query head of KV head h's group. */
static void emit_read(Emit *e, const Lin *a, DType dt)
{
	Out *o = e->o;
	char ld[160], st[160], sc[64];
	long long dk = (long long)a->dk, dv = (long long)a->dv, grp = (long long)(a->hq / a->hkv);
	cg_lit(DT_FLOAT, a->scale, sc, sizeof sc);
	out_line(o, "for (int64_t hq = h * %lld; hq < (h + 1) * %lld; hq++) {", grp, grp);
	out_line(o, "const %s *restrict qr = x0 + row * %lld + hq * %lld;", cg_ctype(dt),
		 (long long)(a->hq * a->dk), dk);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) ob[j] = 0;", dv);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", dk);
	out_line(o, "const float qi = %s;", cg_load(dt, "qr[i]", ld, sizeof ld));
	out_line(o, "for (int64_t j = 0; j < %lld; j++) ob[j] += qi * st[i * %lld + j];", dv, dv);
	out_line(o, "}");
	snprintf(ld, sizeof ld, "%s * ob[j]", sc);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) %s[row * %lld + hq * %lld + j] = %s;", dv,
		 e->out[0], (long long)(a->hq * a->dv), dv, cg_store(dt, ld, st, sizeof st));
	out_line(o, "}");
}

/* The state of (b, h): from past_state or zero, and into present_state at the end. */
static void emit_state(Emit *e, const Lin *a, bool load)
{
	const char *past = in_name(e, 3);
	const char *present = e->n->noutputs > 1 ? e->out[1] : NULL;
	long long sz = (long long)(a->dk * a->dv);
	char ref[128], buf[160];
	if (load && past) {
		DType pt = op_in(e->g, e->n, 3)->dtype;
		snprintf(ref, sizeof ref, "%s[(b * %lld + h) * %lld + i]", past, (long long)a->hkv, sz);
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) st[i] = %s;", sz,
			 cg_load(pt, ref, buf, sizeof buf));
	} else if (load) {
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) st[i] = 0;", sz);
	} else if (present) {
		DType pt = op_outv(e->g, e->n, 1)->dtype;
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) %s[(b * %lld + h) * %lld + i] = %s;",
			 sz, present, (long long)a->hkv, sz, cg_store(pt, "st[i]", buf, sizeof buf));
	}
}

static int emit(Emit *e)
{
	Lin a;
	Diag d;
	diag_init(&d, NULL);
	if (plan(e->g, e->n, &a, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *ct = cg_ctype(dt);
	Out *o = e->o;
	if (!a.b || !a.dv)
		return 0;
	out_line(o, "float *restrict st = (float *)scratch;");
	out_line(o, "float *restrict upd = st + %lld, *restrict ob = upd + %lld;",
		 (long long)(a.dk * a.dv), (long long)a.dv);
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)a.b);
	out_line(o, "for (int64_t h = 0; h < %lld; h++) {", (long long)a.hkv);
	emit_state(e, &a, true);
	out_line(o, "for (int64_t t = 0; t < %lld; t++) {", (long long)a.t);
	out_line(o, "const int64_t row = b * %lld + t;", (long long)a.t);
	out_line(o, "const %s *restrict kr = x1 + row * %lld + h * %lld;", ct,
		 (long long)(a.hkv * a.dk), (long long)a.dk);
	out_line(o, "const %s *restrict vr = x2 + row * %lld + h * %lld;", ct,
		 (long long)(a.hkv * a.dv), (long long)a.dv);
	if (gated(&a))
		emit_decay(e, &a, dt);
	emit_update(e, &a, dt);
	emit_read(e, &a, dt);
	out_line(o, "}");
	emit_state(e, &a, false);
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_LINEARATTENTION = {infer, NULL, emit, scratch, 0};
