/* flexattention.c - ai.onnx.preview.FlexAttention: scaled dot-product attention over
 * rank-4 Q, K, V with optional score_mod and prob_mod subgraphs, and the two cnnc
 * kernels it is lowered to.
 *
 * FlexAttention never reaches code generation; infer rewrites it. Without modifier
 * subgraphs, and with the default softmax precision, it becomes an Attention node
 * (same scale, heads and numerics: float, or double for double inputs), which keeps
 * one score row at a time instead of the whole score tensor. Otherwise it becomes
 *   FlexScores(Q, K) -> score_mod body -> Softmax(axis -1) -> prob_mod body
 *   -> FlexApply(probs, V) -> Y
 * with the bodies copied into the graph (ctl_inline), as If branches are, so any
 * operators cnnc supports may appear in them and their constant parts fold. The score
 * and probability tensors are [B, Hq, L, S] in the softmax precision. With grouped
 * heads, query head h reads K/V head h / (Hq / Hkv).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const DType prec_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16, DT_UNDEFINED};

/* Arithmetic type of a kernel reading a and b: double if either is. */
static DType comp_of(DType a, DType b)
{
	return a == DT_DOUBLE || b == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
}

/* Q, K and V: rank 4, one batch, one KV head count and sequence length, matching head
   sizes, and query heads a multiple of KV heads. */
static int check_qkv(const Graph *g, const Node *n, Diag *d)
{
	const Shape *q = &op_in(g, n, 0)->shape, *k = &op_in(g, n, 1)->shape, *v = &op_in(g, n, 2)->shape;
	if (q->rank != 4 || k->rank != 4 || v->rank != 4)
		return ir_node_error(d, g, n, "Q, K and V must be rank 4 (batch, heads, sequence, head "
				     "size), got ranks %d, %d, %d", q->rank, k->rank, v->rank);
	if (k->dims[0] != q->dims[0] || v->dims[0] != q->dims[0])
		return ir_node_error(d, g, n, "Q, K and V have different batch sizes");
	if (v->dims[1] != k->dims[1] || v->dims[2] != k->dims[2])
		return ir_node_error(d, g, n, "K and V differ in heads or sequence length");
	if (k->dims[3] != q->dims[3])
		return ir_node_error(d, g, n, "K has head size %lld but Q has %lld", (long long)k->dims[3],
				     (long long)q->dims[3]);
	if (k->dims[1] <= 0 || q->dims[1] % k->dims[1])
		return ir_node_error(d, g, n, "%lld query heads are not a multiple of %lld kv heads",
				     (long long)q->dims[1], (long long)k->dims[1]);
	return 0;
}

/* The graph attribute name (NULL if absent); -1 unless it has one input and one output. */
static int modifier(const Graph *g, const Node *n, const char *name, Graph **out, Diag *d)
{
	const Attr *a = ir_attr(n, name);
	*out = NULL;
	if (!a)
		return 0;
	if (a->type != AT_GRAPH || !a->graph)
		return ir_node_error(d, g, n, "attribute '%s' must be a graph", name);
	if (a->graph->ninputs != 1 || a->graph->noutputs != 1)
		return ir_node_error(d, g, n, "%s has %d inputs and %d outputs, expected 1 and 1", name,
				     a->graph->ninputs, a->graph->noutputs);
	*out = a->graph;
	return 0;
}

/* Lowers to one Attention node: same scale, no mask. */
static void lower_attention(Graph *g, uint32_t ni, double scale)
{
	const Node *n = ir_node(g, ni);
	uint32_t in[3] = {n->inputs[0], n->inputs[1], n->inputs[2]}, y = n->outputs[0];
	uint32_t id = ctl_node(g, OP_ATTENTION, ctl_name(g, ni), "attention", 23, in, 3, &y, 1);
	ir_set_attr_float(g, id, "scale", scale);
}

/* Inlines body (if any) reading x; returns the value holding its result. */
static int modify(Graph *g, uint32_t ni, Graph *body, const char *tag, uint32_t *x, Diag *d)
{
	if (!body)
		return 0;
	uint32_t out;
	const char *prefix = arena_printf(g->arena, "%s/%s_", ctl_name(g, ni), tag);
	if (ctl_inline(g, ni, body, x, &out, prefix, d) < 0)
		return -1;
	*x = out;
	return 0;
}

static int lower_modded(Graph *g, uint32_t ni, double scale, DType prec, Graph *smod, Graph *pmod,
			Diag *d)
{
	const Node *n = ir_node(g, ni);
	const char *name = ctl_name(g, ni);
	uint32_t q = n->inputs[0], k = n->inputs[1], v = n->inputs[2], y = n->outputs[0];
	uint32_t qk[2] = {q, k}, s = ctl_temp(g, "flex_scores");
	uint32_t id = ctl_node(g, OP_FLEXSCORES, name, "scores", 1, qk, 2, &s, 1);
	ir_set_attr_float(g, id, "scale", scale);
	ir_set_attr_int(g, id, "to", prec);
	if (modify(g, ni, smod, "score_mod", &s, d) < 0)
		return -1;
	uint32_t p = ctl_temp(g, "flex_probs");
	id = ctl_node(g, OP_SOFTMAX, name, "softmax", 13, &s, 1, &p, 1);
	ir_set_attr_int(g, id, "axis", -1);
	if (modify(g, ni, pmod, "prob_mod", &p, d) < 0)
		return -1;
	uint32_t pv[2] = {p, v};
	ctl_node(g, OP_FLEXAPPLY, name, "apply", 1, pv, 2, &y, 1);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 0; k < 3; k++) {
		const Value *v = op_in(g, n, k);
		if (op_check_dtype(g, n, k, op_float_types, d) < 0)
			return -1;
		if (v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but Q is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
	}
	if (check_qkv(g, n, d) < 0)
		return -1;
	DType def = dt == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
	DType prec = (DType)ir_attr_int(n, "softmax_precision", def);
	bool ok = false;
	for (int i = 0; prec_types[i] != DT_UNDEFINED; i++)
		ok |= prec_types[i] == prec;
	if (!ok)
		return ir_node_error(d, g, n, "softmax_precision %d is not a float type (1, 10, 11 or 16)",
				     (int)prec);
	Graph *smod, *pmod;
	if (modifier(g, n, "score_mod", &smod, d) < 0 || modifier(g, n, "prob_mod", &pmod, d) < 0)
		return -1;
	double scale = ir_attr_float(n, "scale", 1 / sqrt((double)(op_in(g, n, 0)->shape.dims[3] > 0
								 ? op_in(g, n, 0)->shape.dims[3] : 1)));
	uint32_t ni = ctl_id(g, n);
	if (!smod && !pmod && prec == def)
		lower_attention(g, ni, scale);
	else if (lower_modded(g, ni, scale, prec, smod, pmod, d) < 0)
		return -1;
	ir_kill_node(g, ni);
	return OP_LOWERED;
}

const OpDef opdef_FLEXATTENTION = {infer, NULL, NULL, NULL, 0};

/* ------------------------------------------------------------ FlexScores */

/* FlexScores(Q, K) {scale, to}: S[b, h, i, j] = scale * Q[b, h, i] . K[b, h / G, j],
   in element type `to`. */
static int scores_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0)
		return -1;
	const Shape *q = &op_in(g, n, 0)->shape, *k = &op_in(g, n, 1)->shape;
	if (q->rank != 4 || k->rank != 4 || k->dims[3] != q->dims[3] || k->dims[1] <= 0 ||
	    q->dims[1] % k->dims[1])
		return ir_node_error(d, g, n, "internal: bad FlexScores operands");
	Shape s = {4, {q->dims[0], q->dims[1], q->dims[2], k->dims[2]}};
	op_set_out(g, n, 0, (DType)ir_attr_int(n, "to", DT_FLOAT), &s);
	return 0;
}

static int scores_emit(Emit *e)
{
	const Value *qv = op_in(e->g, e->n, 0), *kv = op_in(e->g, e->n, 1), *sv = op_outv(e->g, e->n, 0);
	const Shape *q = &qv->shape, *k = &kv->shape;
	DType ct = comp_of(qv->dtype, sv->dtype);
	const char *comp = cg_comp(ct);
	long long hq = (long long)q->dims[1], l = (long long)q->dims[2], dk = (long long)q->dims[3];
	long long hkv = (long long)k->dims[1], s = (long long)k->dims[2];
	char lq[96], lk[96], st[160], ex[96], sc[64];
	if (!ir_numel(sv))
		return 0;
	cg_lit(ct, ir_attr_float(e->n, "scale", 1.0), sc, sizeof sc);
	Out *o = e->o;
	out_line(o, "for (int64_t bh = 0; bh < %lld; bh++) {", (long long)q->dims[0] * hq);
	out_line(o, "const int64_t kh = bh / %lld * %lld + bh %% %lld / %lld;", hq, hkv, hq, hq / hkv);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", l);
	out_line(o, "const %s *restrict qr = x0 + (bh * %lld + i) * %lld;", cg_ctype(qv->dtype), l, dk);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", s);
	out_line(o, "const %s *restrict kr = x1 + (kh * %lld + j) * %lld;", cg_ctype(kv->dtype), s, dk);
	out_line(o, "%s acc = 0;", comp);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) acc += (%s)%s * (%s)%s;", dk, comp,
		 cg_load(qv->dtype, "qr[c]", lq, sizeof lq), comp, cg_load(kv->dtype, "kr[c]", lk, sizeof lk));
	snprintf(ex, sizeof ex, "%s * acc", sc);
	out_line(o, "y0[(bh * %lld + i) * %lld + j] = %s;", l, s, cg_store(sv->dtype, ex, st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_FLEXSCORES = {scores_infer, NULL, scores_emit, NULL, 0};

/* ------------------------------------------------------------ FlexApply */

/* FlexApply(P, V): Y[b, h, i] = sum_j P[b, h, i, j] V[b, h / G, j], in V's type. */
static int apply_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, prec_types, d) < 0)
		return -1;
	const Value *p = op_in(g, n, 0), *v = op_in(g, n, 1);
	const Shape *ps = &p->shape, *vs = &v->shape;
	char s1[128];
	if (ps->rank != 4 || vs->rank != 4 || ps->dims[0] != vs->dims[0] || ps->dims[3] != vs->dims[2] ||
	    vs->dims[1] <= 0 || ps->dims[1] % vs->dims[1])
		return ir_node_error(d, g, n, "probabilities have shape %s, which V [%lld, %lld, %lld, "
				     "%lld] cannot follow: score_mod and prob_mod must keep the shape",
				     shape_str(ps, s1, sizeof s1), (long long)vs->dims[0],
				     (long long)vs->dims[1], (long long)vs->dims[2], (long long)vs->dims[3]);
	Shape y = {4, {ps->dims[0], ps->dims[1], ps->dims[2], vs->dims[3]}};
	op_set_out(g, n, 0, v->dtype, &y);
	return 0;
}

static int apply_emit(Emit *e)
{
	const Value *pv = op_in(e->g, e->n, 0), *vv = op_in(e->g, e->n, 1), *yv = op_outv(e->g, e->n, 0);
	const Shape *p = &pv->shape, *v = &vv->shape;
	DType ct = comp_of(pv->dtype, vv->dtype);
	const char *comp = cg_comp(ct);
	long long hq = (long long)p->dims[1], l = (long long)p->dims[2], s = (long long)p->dims[3];
	long long hkv = (long long)v->dims[1], dv = (long long)v->dims[3];
	char lp[96], lv[160], ref[128], st[96];
	if (!ir_numel(yv))
		return 0;
	Out *o = e->o;
	out_line(o, "for (int64_t bh = 0; bh < %lld; bh++) {", (long long)p->dims[0] * hq);
	out_line(o, "const int64_t kh = bh / %lld * %lld + bh %% %lld / %lld;", hq, hkv, hq, hq / hkv);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", l);
	out_line(o, "const %s *restrict pr = x0 + (bh * %lld + i) * %lld;", cg_ctype(pv->dtype), l, s);
	out_line(o, "%s *restrict yr = y0 + (bh * %lld + i) * %lld;", cg_ctype(yv->dtype), l, dv);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", dv);
	out_line(o, "%s acc = 0;", comp);
	snprintf(ref, sizeof ref, "x1[(kh * %lld + j) * %lld + c]", s, dv);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) acc += (%s)%s * (%s)%s;", s, comp,
		 cg_load(pv->dtype, "pr[j]", lp, sizeof lp), comp, cg_load(vv->dtype, ref, lv, sizeof lv));
	out_line(o, "yr[c] = %s;", cg_store(yv->dtype, "acc", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_FLEXAPPLY = {apply_infer, NULL, apply_emit, NULL, 0};
