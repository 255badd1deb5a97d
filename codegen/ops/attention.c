/* attention.c - Attention (opsets 23-24): scaled dot-product attention with
 * multi-head, grouped-query and multi-query heads, masks, causal masking,
 * softcap, a KV cache (past/present) and padded caches (nonpad_kv_seqlen).
 *
 * Per batch and query head the kernel computes S = scale * Q K^T with the
 * shared matmul emitter, then for every query row adds the bias (float mask,
 * or -inf where a boolean mask, the causal frontier or the padding excludes a
 * key), takes a max-subtracted softmax, and multiplies by V with the emitter
 * again. As in the operator's function body, softcap comes before the bias, a
 * row whose bias is -inf everywhere yields zero probabilities (so Y is 0, not
 * NaN), and the causal frontier is bottom-right aligned: key j is visible from
 * query i when j <= i + offset, offset being the past length, or
 * nonpad_kv_seqlen - q_sequence_length with an external cache.
 *
 * Keys and values are read in place when they are contiguous rows of the
 * arithmetic type; with a past cache (or float16 inputs) each KV head is first
 * gathered into scratch, once per group of query heads that share it. 3-D
 * inputs ([batch, seq, heads * head_size]) are addressed through row strides,
 * never transposed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct Att {
	int64_t b, hq, hkv, sq, skv, past, t, d, dv;
	bool in3d, narrow;
	double scale, softcap;
	int mode;        /* qk_matmul_output_mode */
	bool causal;
	const Value *mask;
	int64_t mlen;    /* mask length along keys (shorter ones are padded with -inf) */
	int64_t ms[4];   /* mask strides for batch, head, query, key (0: broadcast) */
	bool nonpad;
	DType cdt;       /* arithmetic element type: float or double */
	/* scratch layout, in elements of the arithmetic type */
	int64_t o_s, o_bias, o_k, o_v, o_q, o_y, o_mm, total;
	bool gather;     /* K and V are gathered per KV head */
} Att;

static const DType mask_types[] = {DT_BOOL, DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_BFLOAT16,
				   DT_UNDEFINED};

static int heads(const Graph *g, const Node *n, Att *a, Diag *d)
{
	const Shape *q = &op_in(g, n, 0)->shape, *k = &op_in(g, n, 1)->shape, *v = &op_in(g, n, 2)->shape;
	if ((q->rank != 3 && q->rank != 4) || k->rank != q->rank || v->rank != q->rank)
		return ir_node_error(d, g, n, "Q, K and V must all be 3-D or all 4-D, got ranks %d, %d, %d",
				     q->rank, k->rank, v->rank);
	a->in3d = q->rank == 3;
	a->b = q->dims[0];
	if (k->dims[0] != a->b || v->dims[0] != a->b)
		return ir_node_error(d, g, n, "Q, K and V have different batch sizes");
	if (a->in3d) {
		a->hq = ir_attr_int(n, "q_num_heads", 0);
		a->hkv = ir_attr_int(n, "kv_num_heads", 0);
		if (a->hq <= 0 || a->hkv <= 0 || q->dims[2] % a->hq || k->dims[2] % a->hkv ||
		    v->dims[2] % a->hkv)
			return ir_node_error(d, g, n, "3-D inputs need q_num_heads and kv_num_heads that "
					     "divide the hidden sizes");
		a->sq = q->dims[1];
		a->skv = k->dims[1];
		a->d = q->dims[2] / a->hq;
		a->dv = v->dims[2] / a->hkv;
		if (k->dims[2] / a->hkv != a->d || v->dims[1] != a->skv)
			return ir_node_error(d, g, n, "K does not match Q's head size or V's sequence length");
	} else {
		a->hq = q->dims[1];
		a->hkv = k->dims[1];
		a->sq = q->dims[2];
		a->skv = k->dims[2];
		a->d = q->dims[3];
		a->dv = v->dims[3];
		if (k->dims[3] != a->d || v->dims[1] != a->hkv || v->dims[2] != a->skv)
			return ir_node_error(d, g, n, "K and V do not match Q's head size or each other");
	}
	if (a->hkv <= 0 || a->hq % a->hkv)
		return ir_node_error(d, g, n, "%lld query heads are not a multiple of %lld kv heads",
				     (long long)a->hq, (long long)a->hkv);
	return 0;
}

static int cache(const Graph *g, const Node *n, Att *a, Diag *d)
{
	const Value *pk = op_in(g, n, 4), *pv = op_in(g, n, 5);
	a->past = 0;
	if (!pk != !pv)
		return ir_node_error(d, g, n, "past_key and past_value must be given together");
	if (pk) {
		const Shape *s = &pk->shape, *t = &pv->shape;
		if (s->rank != 4 || t->rank != 4 || s->dims[0] != a->b || s->dims[1] != a->hkv ||
		    s->dims[3] != a->d || t->dims[0] != a->b || t->dims[1] != a->hkv ||
		    t->dims[2] != s->dims[2] || t->dims[3] != a->dv)
			return ir_node_error(d, g, n, "past_key/past_value must be [batch, kv_heads, past, "
					     "head_size]");
		a->past = s->dims[2];
	}
	a->t = a->past + a->skv;
	const Value *np = op_in(g, n, 6);
	a->nonpad = np != NULL;
	if (np && (np->dtype != DT_INT64 || ir_numel(np) != a->b))
		return ir_node_error(d, g, n, "nonpad_kv_seqlen must be int64 of shape [%lld]",
				     (long long)a->b);
	return 0;
}

static int mask(const Graph *g, const Node *n, Att *a, Diag *d)
{
	const Value *m = op_in(g, n, 3);
	a->mask = m;
	if (!m)
		return 0;
	const Shape *s = &m->shape;
	int64_t full[4] = {a->b, a->hq, a->sq, a->t}, st = 1;
	if (s->rank < 1 || s->rank > 4)
		return ir_node_error(d, g, n, "attn_mask has rank %d, expected 1 to 4", s->rank);
	memset(a->ms, 0, sizeof a->ms);
	for (int i = s->rank - 1; i >= 0; i--) {
		int k = 4 - s->rank + i;
		int64_t dim = s->dims[i];
		if (k == 3) {
			if (dim > a->t)
				return ir_node_error(d, g, n, "attn_mask covers %lld keys, more than the %lld "
						     "keys", (long long)dim, (long long)a->t);
			a->mlen = dim;
			a->ms[3] = 1;
		} else if (dim != 1 && dim != full[k]) {
			return ir_node_error(d, g, n, "attn_mask dimension %d is %lld, expected 1 or %lld",
					     i, (long long)dim, (long long)full[k]);
		} else {
			a->ms[k] = dim == 1 ? 0 : st;
		}
		st *= dim;
	}
	return 0;
}

/* Scratch layout (elements of the arithmetic type). */
static void layout(Att *a)
{
	int64_t o = 0;
	a->o_s = o;
	o += a->sq * a->t;
	a->o_bias = o;
	o += a->t;
	a->gather = a->narrow || a->past > 0;
	a->o_k = o;
	o += a->gather ? a->t * a->d : 0;
	a->o_v = o;
	o += a->gather ? a->t * a->dv : 0;
	a->o_q = o;
	o += a->narrow ? a->sq * a->d : 0;
	a->o_y = o;
	o += a->narrow ? a->sq * a->dv : 0;
	a->o_mm = (o + 15) / 16 * 16;
	a->total = a->o_mm;
}

static void matmuls(const Att *a, MatMul *qk, MatMul *pv);

static int plan(const Graph *g, const Node *n, Att *a, Diag *d)
{
	memset(a, 0, sizeof *a);
	if (heads(g, n, a, d) < 0 || cache(g, n, a, d) < 0 || mask(g, n, a, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	a->narrow = dt == DT_FLOAT16 || dt == DT_BFLOAT16;
	a->cdt = dt == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
	a->scale = ir_attr_float(n, "scale", 1.0 / sqrt((double)(a->d ? a->d : 1)));
	a->softcap = ir_attr_float(n, "softcap", 0.0);
	a->mode = (int)ir_attr_int(n, "qk_matmul_output_mode", 0);
	a->causal = ir_attr_int(n, "is_causal", 0) != 0;
	if (a->mode < 0 || a->mode > 3)
		return ir_node_error(d, g, n, "qk_matmul_output_mode %d is not 0, 1, 2 or 3", a->mode);
	layout(a);
	MatMul qk, pv;
	matmuls(a, &qk, &pv);
	int64_t t1 = lin_matmul_tmp(&qk), t2 = lin_matmul_tmp(&pv);
	int64_t es = a->cdt == DT_DOUBLE ? 8 : 4;
	a->total = a->o_mm + ((t1 > t2 ? t1 : t2) + es - 1) / es;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 7, 3, d) < 0)
		return -1;
	for (int k = 0; k < 6; k++)
		if (op_check_dtype(g, n, k, k == 3 ? mask_types : op_float_types, d) < 0)
			return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 1; k < 6; k++) {
		const Value *v = op_in(g, n, k);
		if (v && v->dtype != dt && !(k == 3 && v->dtype == DT_BOOL))
			return ir_node_error(d, g, n, "input '%s' is %s but Q is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
	}
	Att a;
	if (plan(g, n, &a, d) < 0)
		return -1;
	Shape y = a.in3d ? (Shape){3, {a.b, a.sq, a.hq * a.dv}} : (Shape){4, {a.b, a.hq, a.sq, a.dv}};
	Shape pk = {4, {a.b, a.hkv, a.t, a.d}}, pv = {4, {a.b, a.hkv, a.t, a.dv}};
	Shape qk = {4, {a.b, a.hq, a.sq, a.t}};
	op_set_out(g, n, 0, dt, &y);
	op_set_out(g, n, 1, dt, &pk);
	op_set_out(g, n, 2, dt, &pv);
	op_set_out(g, n, 3, dt, &qk);
	return 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	Att a;
	Diag d;
	diag_init(&d, NULL);
	if (plan(g, n, &a, &d) < 0)
		return 0;
	return a.total * (a.cdt == DT_DOUBLE ? 8 : 4);
}

/* ------------------------------------------------------------ code */

/* Row strides of Q, K, V and Y in elements, and their per-head offsets. */
static int64_t q_rs(const Att *a) { return a->in3d ? a->hq * a->d : a->d; }
static int64_t k_rs(const Att *a) { return a->in3d ? a->hkv * a->d : a->d; }
static int64_t v_rs(const Att *a) { return a->in3d ? a->hkv * a->dv : a->dv; }
static int64_t y_rs(const Att *a) { return a->in3d ? a->hq * a->dv : a->dv; }

static void matmuls(const Att *a, MatMul *qk, MatMul *pv)
{
	memset(qk, 0, sizeof *qk);
	qk->dt = a->cdt;
	qk->m = a->sq;
	qk->n = a->t;
	qk->k = a->d;
	qk->a = "qs";
	qk->a_rs = a->narrow ? a->d : q_rs(a);
	qk->a_cs = 1;
	qk->b = "ks";
	qk->b_rs = 1;
	qk->b_cs = a->gather ? a->d : k_rs(a);
	qk->c = "s";
	qk->c_rs = a->t;
	qk->alpha = a->scale;
	qk->tmp = "mm";
	*pv = *qk;
	pv->m = a->sq;
	pv->n = a->dv;
	pv->k = a->t;
	pv->a = "s";
	pv->a_rs = a->t;
	pv->b = "vs";
	pv->b_rs = a->gather ? a->dv : v_rs(a);
	pv->b_cs = 1;
	pv->c = "ys";
	pv->c_rs = a->narrow ? a->dv : y_rs(a);
	pv->alpha = 1;
}

/* Element offset of row `row` of head `head` in batch `bb` of a 3-D/4-D operand. */
static void head_base(const Att *a, char *buf, size_t n, int64_t heads, int64_t seq, int64_t hs,
		      const char *h)
{
	if (a->in3d)
		snprintf(buf, n, "bb * %lld + %s * %lld", (long long)(seq * heads * hs), h, (long long)hs);
	else
		snprintf(buf, n, "(bb * %lld + %s) * %lld", (long long)heads, h, (long long)(seq * hs));
}

/* present_key/present_value = concat(past, new) along the sequence. */
static void emit_present(Emit *e, const Att *a, int k)
{
	const Value *out = op_outv(e->g, e->n, k);
	if (!out)
		return;
	int64_t hs = k == 1 ? a->d : a->dv, rs = k == 1 ? k_rs(a) : v_rs(a);
	const char *src = e->in[k], *past = e->in[k + 3];
	char base[128];
	head_base(a, base, sizeof base, a->hkv, a->skv, hs, "hh");
	Out *o = e->o;
	out_line(o, "for (int64_t bb = 0; bb < %lld; bb++) {", (long long)a->b);
	out_line(o, "for (int64_t hh = 0; hh < %lld; hh++) {", (long long)a->hkv);
	out_line(o, "%s *restrict dst = y%d + (bb * %lld + hh) * %lld;", cg_ctype(out->dtype), k,
		 (long long)a->hkv, (long long)(a->t * hs));
	if (past)
		out_line(o, "memcpy(dst, %s + (bb * %lld + hh) * %lld, %lld * sizeof *dst);", past,
			 (long long)a->hkv, (long long)(a->past * hs), (long long)(a->past * hs));
	out_line(o, "for (int64_t r = 0; r < %lld; r++)", (long long)a->skv);
	out_line(o, "\tmemcpy(dst + (%lld + r) * %lld, %s + %s + r * %lld, %lld * sizeof *dst);",
		 (long long)a->past, (long long)hs, src, base, (long long)rs, (long long)hs);
	out_line(o, "}");
	out_line(o, "}");
}

/* Gathers KV head hh of batch bb (past rows, then new rows) into buf, converted. */
static void emit_gather(Emit *e, const Att *a, int k, const char *buf)
{
	DType dt = op_in(e->g, e->n, 0)->dtype;
	int64_t hs = k == 1 ? a->d : a->dv, rs = k == 1 ? k_rs(a) : v_rs(a);
	char base[128], ref[256], ld[300];
	Out *o = e->o;
	if (a->past) {
		snprintf(ref, sizeof ref, "%s[(bb * %lld + hh) * %lld + i]", e->in[k + 3],
			 (long long)a->hkv, (long long)(a->past * hs));
		out_line(o, "for (int64_t i = 0; i < %lld; i++) %s[i] = %s;", (long long)(a->past * hs),
			 buf, cg_load(dt, ref, ld, sizeof ld));
	}
	head_base(a, base, sizeof base, a->hkv, a->skv, hs, "hh");
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)a->skv);
	snprintf(ref, sizeof ref, "%s[%s + r * %lld + c]", e->in[k], base, (long long)rs);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) %s[(%lld + r) * %lld + c] = %s;",
		 (long long)hs, buf, (long long)a->past, (long long)hs, cg_load(dt, ref, ld, sizeof ld));
	out_line(o, "}");
}

/* Bias of query row i for every key into bias[], and `any` = some key visible. */
static void emit_bias(Emit *e, const Att *a)
{
	Out *o = e->o;
	char ref[256], ld[300];
	out_line(o, "int any = 0;");
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)a->t);
	if (a->mask) {
		static const char *const var[4] = {"bb", "hq", "i", "j"};
		size_t k = (size_t)snprintf(ref, sizeof ref, "x3[");
		for (int v = 0; v < 4; v++)
			if (a->ms[v])
				k += (size_t)snprintf(ref + k, sizeof ref - k, "%s%s * %lld",
						      k > 3 ? " + " : "", var[v], (long long)a->ms[v]);
		snprintf(ref + k, sizeof ref - k, "%s]", k > 3 ? "" : "0");
		if (a->mask->dtype == DT_BOOL)
			snprintf(ld, sizeof ld, "(%s ? 0 : -INFINITY)", ref);
		else
			cg_load(a->mask->dtype, ref, ld, sizeof ld);
		if (a->mlen < a->t)
			out_line(o, "%s bv = j < %lld ? (%s)%s : -INFINITY;", cg_comp(a->cdt),
				 (long long)a->mlen, cg_comp(a->cdt), ld);
		else
			out_line(o, "%s bv = (%s)%s;", cg_comp(a->cdt), cg_comp(a->cdt), ld);
	} else {
		out_line(o, "%s bv = 0;", cg_comp(a->cdt));
	}
	if (a->causal)
		out_line(o, "if (j > i + off) bv += -INFINITY;");
	if (a->nonpad)
		out_line(o, "if (j >= nkv) bv += -INFINITY;");
	out_line(o, "bias[j] = bv;");
	out_line(o, "any |= bv != -INFINITY;");
	out_line(o, "}");
}

/* qk_matmul_output row i when the mode matches. */
static void emit_qk_out(Emit *e, const Att *a, int mode)
{
	const Value *v = op_outv(e->g, e->n, 3);
	char st[64];
	if (!v || a->mode != mode)
		return;
	out_line(e->o, "for (int64_t j = 0; j < %lld; j++) y3[((bb * %lld + hq) * %lld + i) * %lld + j] = %s;",
		 (long long)a->t, (long long)a->hq, (long long)a->sq, (long long)a->t,
		 cg_store(v->dtype, "row[j]", st, sizeof st));
}

static void emit_row(Emit *e, const Att *a)
{
	Out *o = e->o;
	const char *f = lin_fsuf(a->cdt), *comp = cg_comp(a->cdt);
	char c[64];
	long long t = (long long)a->t;
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", (long long)a->sq);
	out_line(o, "%s *restrict row = s + i * %lld;", comp, t);
	emit_bias(e, a);
	emit_qk_out(e, a, 0);
	if (a->softcap > 0) {
		cg_lit(a->cdt, a->softcap, c, sizeof c);
		out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] = %s * tanh%s(row[j] / %s);", t, c,
			 f, c);
	}
	emit_qk_out(e, a, 1);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] += bias[j];", t);
	emit_qk_out(e, a, 2);
	out_line(o, "if (any) {");
	out_line(o, "%s m = -INFINITY, sum = 0;", comp);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) m = (row[j] != row[j] || row[j] > m) ? row[j] : m;", t);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", t);
	out_line(o, "row[j] = exp%s(row[j] - m);", f);
	out_line(o, "sum += row[j];");
	out_line(o, "}");
	out_line(o, "const %s r = 1 / sum;", comp);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] *= r;", t);
	out_line(o, "} else {");
	out_line(o, "for (int64_t j = 0; j < %lld; j++) row[j] = 0;", t);
	out_line(o, "}");
	emit_qk_out(e, a, 3);
	out_line(o, "}");
}

/* One query head hq of batch bb against the gathered or in-place ks/vs. */
static void emit_head(Emit *e, const Att *a)
{
	Out *o = e->o;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *comp = cg_comp(a->cdt);
	char qb[128], yb[128], ref[256], ld[300], st[300];
	head_base(a, qb, sizeof qb, a->hq, a->sq, a->d, "hq");
	head_base(a, yb, sizeof yb, a->hq, a->sq, a->dv, "hq");
	if (a->narrow) {
		out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)a->sq);
		snprintf(ref, sizeof ref, "x0[%s + r * %lld + c]", qb, (long long)q_rs(a));
		out_line(o, "for (int64_t c = 0; c < %lld; c++) qbuf[r * %lld + c] = %s;", (long long)a->d,
			 (long long)a->d, cg_load(dt, ref, ld, sizeof ld));
		out_line(o, "}");
		out_line(o, "const %s *restrict qs = qbuf;", comp);
		out_line(o, "%s *restrict ys = ybuf;", comp);
	} else {
		out_line(o, "const %s *restrict qs = x0 + %s;", comp, qb);
		out_line(o, "%s *restrict ys = y0 + %s;", comp, yb);
	}
	MatMul qk, pv;
	matmuls(a, &qk, &pv);
	lin_emit_matmul(o, &qk);
	emit_row(e, a);
	lin_emit_matmul(o, &pv);
	if (a->narrow) {
		snprintf(ref, sizeof ref, "ybuf[r * %lld + c]", (long long)a->dv);
		out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)a->sq);
		out_line(o, "for (int64_t c = 0; c < %lld; c++) y0[%s + r * %lld + c] = %s;",
			 (long long)a->dv, yb, (long long)y_rs(a), cg_store(dt, ref, st, sizeof st));
		out_line(o, "}");
	}
}

static int emit(Emit *e)
{
	Att a;
	Diag d;
	diag_init(&d, NULL);
	if (plan(e->g, e->n, &a, &d) < 0)
		return -1;
	Out *o = e->o;
	const char *comp = cg_comp(a.cdt);
	char base[128];
	emit_present(e, &a, 1);
	emit_present(e, &a, 2);
	if (!a.b || !a.hq || !a.sq)
		return 0;
	out_line(o, "%s *restrict sc = (%s *)scratch;", comp, comp);
	out_line(o, "%s *restrict s = sc + %lld, *restrict bias = sc + %lld, *restrict mm = sc + %lld;",
		 comp, (long long)a.o_s, (long long)a.o_bias, (long long)a.o_mm);
	out_line(o, "(void)mm;");
	if (a.gather)
		out_line(o, "%s *restrict kbuf = sc + %lld, *restrict vbuf = sc + %lld;", comp,
			 (long long)a.o_k, (long long)a.o_v);
	if (a.narrow)
		out_line(o, "%s *restrict qbuf = sc + %lld, *restrict ybuf = sc + %lld;", comp,
			 (long long)a.o_q, (long long)a.o_y);
	out_line(o, "for (int64_t bb = 0; bb < %lld; bb++) {", (long long)a.b);
	if (a.nonpad)
		out_line(o, "const int64_t nkv = x6[bb];");
	if (a.causal && (a.past || !a.nonpad))
		out_line(o, "const int64_t off = %lld;", (long long)a.past);
	else if (a.causal)
		out_line(o, "const int64_t off = nkv - %lld;", (long long)a.sq);
	out_line(o, "for (int64_t hh = 0; hh < %lld; hh++) {", (long long)a.hkv);
	if (a.gather) {
		emit_gather(e, &a, 1, "kbuf");
		emit_gather(e, &a, 2, "vbuf");
		out_line(o, "const %s *restrict ks = kbuf, *restrict vs = vbuf;", comp);
	} else {
		head_base(&a, base, sizeof base, a.hkv, a.skv, a.d, "hh");
		out_line(o, "const %s *restrict ks = x1 + %s;", comp, base);
		head_base(&a, base, sizeof base, a.hkv, a.skv, a.dv, "hh");
		out_line(o, "const %s *restrict vs = x2 + %s;", comp, base);
	}
	out_line(o, "for (int64_t hq = hh * %lld; hq < (hh + 1) * %lld; hq++) {",
		 (long long)(a.hq / a.hkv), (long long)(a.hq / a.hkv));
	emit_head(e, &a);
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_ATTENTION = {infer, NULL, emit, scratch, 0};
