/* fold_qdq.c - turns a quantized graph into integer kernels: Conv/MatMul/Gemm into
 * QConvGemm, Add/Mul/pools/Concat/activations/views into QLinear ops, QLut or 8-bit ops.
 *
 * Requires: shapes inferred; must run before eliminate_dead, because infer_shapes
 * folds DequantizeLinear of constant weights into float constants and leaves the DQ
 * node in place: that node still holds the int8 weights, scale and zero point. Kills
 * the nodes it absorbs; DQ nodes left without users go with eliminate_dead.
 *
 * Patterns (x, w int8 or uint8; scales per tensor, or per output channel for w;
 * zero points constant, any value):
 *   QDQ: DQ(xq) -> Conv|MatMul|Gemm(., DQ(wq) [, DQ(bias int32)]) [-> Relu|Clip] -> Q
 *   QOperator: QLinearConv (2-D, constant weights), QLinearMatMul (constant 2-D b) and
 *   com.microsoft QGemm (constant b, quantized y, transA 0, alpha > 0: alpha joins xs)
 * The result is what ORT computes when it fuses the same pattern: int32 sums, then
 * float(acc) * (xs * ws / ys), round half to even, plus yz; Relu and Clip become the
 * output clamp (exact: quantizing is monotonic). A DQ bias must have scale xs * ws
 * (what quantizers write) and zero point 0, else the node is left in float.
 *
 *   before: n1 DequantizeLinear(%xq,%s,%z) -> %x; n3 Conv(%x,%w) -> %c;
 *           n4 Relu(%c) -> %r; n5 QuantizeLinear(%r,%ys,%yz) -> %yq
 *   after:  n5 QConvGemm(%xq, %wpack, %c0, %mult) -> %yq {lo=yz, ...}
 *
 * Then the rest of a QDQ graph, per-tensor scales and zero points only (x, y int8 or
 * uint8; the reference is ORT with all optimisations, its int8 execution):
 *   DQ -> Add|Mul -> Q            QLinearAdd|QLinearMul (what ORT's QDQ fusion makes)
 *   DQ -> AveragePool|GlobalAveragePool|Sigmoid|LeakyRelu -> Q   the QLinear op
 *   DQ... -> Concat -> Q          QLinearConcat
 *   DQ -> MaxPool|Reshape|Flatten|Transpose|Squeeze|Unsqueeze|Identity -> Q
 *                                 the op on the 8-bit tensor (it commutes with the
 *                                 monotonic DQ and Q), then a QLut when the params differ
 *   DQ -> [Relu|Clip] -> Q        QLut: a 256-entry table of what float computes for
 *                                 each input byte (exact by construction); nothing when
 *                                 it is the identity
 * ORT (x86) runs int8 Add/Mul/average pools in integer only after rewriting int8
 * Q -> DQ pairs to uint8, so int8 ones fold only in that context (int8_pairs), with
 * u8_shift reproducing the shifted rounding; Add/Mul with a constant operand stay
 * float (ORT's kernel rounds those differently). Elsewhere the float ops stay.
 *
 *   before: n6 Add(%a, %b) -> %s; n7 QuantizeLinear(%s, %ss, %sz) -> %sq;
 *           n8 DequantizeLinear(%sq, %ss, %sz) -> %d; n9 Relu(%d) -> %r;
 *           n10 QuantizeLinear(%r, %rs, %rz) -> %rq      (%a, %b from DQ of %aq, %bq)
 *   after:  n6 QLinearAdd(%aq, %as, %az, %bq, %bs, %bz, %ss, %sz, %qlut) -> %rq {lut=1}
 * (a QLut right after a QLinearAdd/QLinearMul goes into it).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../codegen/ops/ops.h"
#include "../codegen/ops/qgemm.h"
#include "passes.h"

typedef struct QParams {
	DType t;           /* quantized type */
	int64_t count;     /* 1 or per-channel count */
	const float *s;    /* count scales */
	const void *z;     /* count zero points of type t, or NULL (zero) */
} QParams;

static bool is_q8(DType t)
{
	return t == DT_INT8 || t == DT_UINT8;
}

/* Reads constant scale input ks and zero point input kz of n for quantized type t. */
static bool read_params(const Graph *g, const Node *n, int ks, int kz, DType t, QParams *p)
{
	const Value *s = op_in(g, n, ks), *z = op_in(g, n, kz);
	if (!s || !s->data || s->dtype != DT_FLOAT || (z && (!z->data || z->dtype != t)))
		return false;
	if (z && ir_numel(z) != ir_numel(s))
		return false;
	p->t = t;
	p->count = ir_numel(s);
	p->s = s->data;
	p->z = z ? z->data : NULL;
	for (int64_t i = 0; i < p->count; i++)
		if (!(p->s[i] > 0) || !isfinite(p->s[i]))
			return false;
	return true;
}

static int32_t zp_at(const QParams *p, int64_t i)
{
	if (!p->z)
		return 0;
	return p->t == DT_INT8 ? ((const int8_t *)p->z)[i] : ((const uint8_t *)p->z)[i];
}

static uint32_t producer_of(const Graph *g, uint32_t v, OpKind op)
{
	if (v == IR_NONE)
		return IR_NONE;
	uint32_t p = ir_value(g, v)->producer;
	return p != IR_NONE && ir_node(g, p)->op == op ? p : IR_NONE;
}

/* The one node reading v when v is read once and is no graph output. */
static uint32_t sole_user(const Graph *g, uint32_t v)
{
	uint32_t c;
	if (ir_use_count(g, v) != 1 || ir_value(g, v)->is_output || ir_consumers(g, v, &c, 1) != 1)
		return IR_NONE;
	return c;
}

/* A DequantizeLinear of a per-tensor activation: fills xq and its params. */
static bool dq_activation(const Graph *g, uint32_t v, uint32_t *xq, QParams *p)
{
	uint32_t dq = producer_of(g, v, OP_DEQUANTIZELINEAR);
	if (dq == IR_NONE)
		return false;
	const Node *n = ir_node(g, dq);
	const Value *q = op_in(g, n, 0);
	if (!is_q8(q->dtype) || !read_params(g, n, 1, 2, q->dtype, p) || p->count != 1)
		return false;
	*xq = n->inputs[0];
	return true;
}

/* A DequantizeLinear of constant weights, per tensor or per channel along `axis`. */
static bool dq_weights(const Graph *g, uint32_t v, int axis, const Value **wq, QParams *p)
{
	uint32_t dq = producer_of(g, v, OP_DEQUANTIZELINEAR);
	if (dq == IR_NONE)
		return false;
	const Node *n = ir_node(g, dq);
	const Value *q = op_in(g, n, 0);
	if (!is_q8(q->dtype) || !q->data || !read_params(g, n, 1, 2, q->dtype, p))
		return false;
	if (p->count > 1) {
		int64_t a = ir_attr_int(n, "axis", 1);
		if (a < 0)
			a += q->shape.rank;
		if (a != axis || p->count != q->shape.dims[axis])
			return false;
	}
	*wq = q;
	return true;
}

/* A DequantizeLinear of a constant int32 bias whose scale is xs * ws[oc]. */
static bool dq_bias(const Graph *g, uint32_t v, float xs, const QParams *w, int64_t n,
		    const int32_t **bias)
{
	uint32_t dq = producer_of(g, v, OP_DEQUANTIZELINEAR);
	if (dq == IR_NONE)
		return false;
	const Node *nd = ir_node(g, dq);
	const Value *b = op_in(g, nd, 0), *s = op_in(g, nd, 1), *z = op_in(g, nd, 2);
	if (b->dtype != DT_INT32 || !b->data || ir_numel(b) != n || !s->data ||
	    s->dtype != DT_FLOAT)
		return false;
	for (int64_t i = 0; z && i < ir_numel(z); i++)
		if (dtype_get_i64(z->dtype, z->data, i) != 0)
			return false;
	for (int64_t i = 0; i < n; i++) {
		float want = xs * w->s[w->count > 1 ? i : 0];
		float got = ((const float *)s->data)[ir_numel(s) > 1 ? i : 0];
		if (fabsf(got - want) > 1e-6f * want)
			return false;
	}
	*bias = b->data;
	return true;
}

/* Value of a QuantizeLinear of v with per-tensor params (the kernel's rounding). */
static int32_t quantize(float v, float s, int32_t z, int32_t lo, int32_t hi)
{
	float q = nearbyintf(v / s) + (float)z;
	return q < (float)lo ? lo : q > (float)hi ? hi : (int32_t)q;
}

/* The clamp [mn, mx] of a float Relu or Clip (constant bounds); false otherwise. */
static bool act_range(const Graph *g, const Node *a, float *mn, float *mx)
{
	*mn = -INFINITY;
	*mx = INFINITY;
	if (a->op == OP_RELU) {
		*mn = 0;
	} else if (a->opset < 11) {
		*mn = (float)ir_attr_float(a, "min", -INFINITY);
		*mx = (float)ir_attr_float(a, "max", INFINITY);
	} else {
		const Value *lo = op_in(g, a, 1), *hi = op_in(g, a, 2);
		if ((lo && (!lo->data || lo->dtype != DT_FLOAT || ir_numel(lo) != 1)) ||
		    (hi && (!hi->data || hi->dtype != DT_FLOAT || ir_numel(hi) != 1)))
			return false;
		*mn = lo ? ((const float *)lo->data)[0] : -INFINITY;
		*mx = hi ? ((const float *)hi->data)[0] : INFINITY;
	}
	return op_in(g, a, 0)->dtype == DT_FLOAT && !isnan(*mn) && !isnan(*mx);
}

/* Follows out through an optional Relu/Clip to a QuantizeLinear; narrows the spec's
   clamp and returns the Q node (IR_NONE if the chain does not match). */
static uint32_t match_output(Graph *g, uint32_t out, QGemmSpec *s, uint32_t *act)
{
	uint32_t c = sole_user(g, out);
	float mn = -INFINITY, mx = INFINITY;
	*act = IR_NONE;
	if (c != IR_NONE && (ir_node(g, c)->op == OP_RELU || ir_node(g, c)->op == OP_CLIP)) {
		const Node *a = ir_node(g, c);
		if (!act_range(g, a, &mn, &mx))
			return IR_NONE;
		*act = c;
		c = sole_user(g, a->outputs[0]);
	}
	if (c == IR_NONE || ir_node(g, c)->op != OP_QUANTIZELINEAR)
		return IR_NONE;
	const Node *q = ir_node(g, c);
	const Value *y = op_outv(g, q, 0);
	QParams yp;
	if (!is_q8(y->dtype) || !read_params(g, q, 1, 2, y->dtype, &yp) || yp.count != 1)
		return IR_NONE;
	s->ytype = y->dtype;
	s->ys = yp.s[0];
	s->yz = zp_at(&yp, 0);
	s->lo = y->dtype == DT_INT8 ? -128 : 0;
	s->hi = y->dtype == DT_INT8 ? 127 : 255;
	if (mn > -INFINITY)
		s->lo = quantize(mn, s->ys, s->yz, s->lo, s->hi);
	if (mx < INFINITY)
		s->hi = quantize(mx, s->ys, s->yz, s->lo, s->hi);
	return c;
}

/* Per-channel weight params spread to n entries (arena). */
static bool spread(Graph *g, const QParams *p, int64_t n, QGemmSpec *s)
{
	float *ws = arena_alloc(g->arena, (size_t)n * sizeof *ws);
	int64_t *wz = arena_alloc(g->arena, (size_t)n * sizeof *wz);
	if (!ws || !wz)
		return false;
	for (int64_t i = 0; i < n; i++) {
		ws[i] = p->s[p->count > 1 ? i : 0];
		wz[i] = zp_at(p, p->count > 1 ? i : 0);
	}
	s->ws = ws;
	s->wz = wz;
	return true;
}

/* Conv attributes into s; false for what QConvGemm does not do. */
static bool conv_attrs(const Graph *g, const Node *n, const Value *x, const Value *w,
		       QGemmSpec *s)
{
	const int64_t *a;
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	if (x->shape.rank != 4 || w->shape.rank != 4 || (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")))
		return false;
	s->conv = true;
	s->group = ir_attr_int(n, "group", 1);
	s->kernel[0] = w->shape.dims[2];
	s->kernel[1] = w->shape.dims[3];
	for (int i = 0; i < 2; i++) {
		s->strides[i] = ir_attr_ints(n, "strides", &a) == 2 ? a[i] : 1;
		s->dilations[i] = ir_attr_ints(n, "dilations", &a) == 2 ? a[i] : 1;
	}
	for (int i = 0; i < 4; i++)
		s->pads[i] = ir_attr_ints(n, "pads", &a) == 4 ? a[i] : 0;
	s->n = w->shape.dims[0];
	s->k = w->shape.dims[1] * s->kernel[0] * s->kernel[1];
	(void)g;
	return s->group >= 1 && x->shape.dims[1] == w->shape.dims[1] * s->group &&
	       s->n % s->group == 0;
}

/* Weights of a matrix product as [n][k] (arena): b is [k][n], or [n][k] when trans. */
static const void *weights_nk(Graph *g, const Value *b, bool trans)
{
	if (trans)
		return b->data;
	int64_t K = b->shape.dims[0], N = b->shape.dims[1];
	uint8_t *t = arena_alloc(g->arena, (size_t)(K * N));
	if (!t)
		return NULL;
	for (int64_t k = 0; k < K; k++)
		for (int64_t n = 0; n < N; n++)
			t[n * K + k] = ((const uint8_t *)b->data)[k * N + n];
	return t;
}

static int rewrite(Graph *g, uint32_t qn, uint32_t x, QGemmSpec *s, const uint32_t *dead,
		   int ndead, int *count, Diag *d)
{
	uint32_t y = ir_node(g, qn)->outputs[0];
	for (int i = 0; i < ndead; i++)
		if (dead[i] != IR_NONE)
			ir_kill_node(g, dead[i]);
	if (qg_make_node(g, qn, x, y, s, d) < 0)
		return -1;
	(*count)++;
	return 0;
}

/* DQ -> Conv/MatMul/Gemm -> [act] -> Q at node id. */
static int fold_qdq_node(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	QGemmSpec s;
	QParams xp, wp;
	uint32_t xq, act;
	const Value *wq;
	memset(&s, 0, sizeof s);
	if (n->ninputs < 2 || !dq_activation(g, n->inputs[0], &xq, &xp))
		return 0;
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1);
	bool trans = false;
	if (n->op == OP_CONV) {
		if (!conv_attrs(g, n, x, w, &s) || !dq_weights(g, n->inputs[1], 0, &wq, &wp))
			return 0;
	} else {
		if (n->op == OP_GEMM) {
			trans = ir_attr_int(n, "transB", 0) != 0;
			if (ir_attr_int(n, "transA", 0) || ir_attr_float(n, "alpha", 1) != 1 ||
			    ir_attr_float(n, "beta", 1) != 1)
				return 0;
		}
		if (w->shape.rank != 2 || x->shape.rank < 2 ||
		    !dq_weights(g, n->inputs[1], trans ? 0 : 1, &wq, &wp))
			return 0;
		s.group = 1;
		s.n = w->shape.dims[trans ? 0 : 1];
		s.k = w->shape.dims[trans ? 1 : 0];
	}
	s.xtype = xp.t;
	s.xs = xp.s[0];
	s.xz = zp_at(&xp, 0);
	s.wtype = wp.t;
	s.w = s.conv ? wq->data : weights_nk(g, wq, trans);
	if (!s.w || !spread(g, &wp, s.n, &s))
		return diag_error(d, "out of memory");
	if (ir_has_in(n, 2) && !dq_bias(g, n->inputs[2], s.xs, &wp, s.n, &s.bias))
		return 0;
	uint32_t q = match_output(g, n->outputs[0], &s, &act);
	if (q == IR_NONE)
		return 0;
	uint32_t dead[2] = {id, act};
	return rewrite(g, q, xq, &s, dead, 2, count, d);
}

/* s's element types and per-tensor x and y parameters of a QLinearConv/MatMul/QGemm
   (x's scale times xmul: QGemm's alpha) and y's saturation range. */
static void set_io(QGemmSpec *s, const Value *x, const QParams *xp, const Value *w,
		   const Value *y, const QParams *yp, float xmul)
{
	s->xtype = x->dtype;
	s->xs = xmul * xp->s[0];
	s->xz = zp_at(xp, 0);
	s->wtype = w->dtype;
	s->ytype = y->dtype;
	s->ys = yp->s[0];
	s->yz = zp_at(yp, 0);
	s->lo = y->dtype == DT_INT8 ? -128 : 0;
	s->hi = y->dtype == DT_INT8 ? 127 : 255;
}

/* QLinearConv (2-D, constant weights) or QLinearMatMul (constant 2-D b). */
static int fold_qlinear(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	bool conv = n->op == OP_QLINEARCONV;
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 3), *y = op_outv(g, n, 0);
	QParams xp, wp, yp;
	QGemmSpec s;
	memset(&s, 0, sizeof s);
	if (!w->data || !read_params(g, n, 1, 2, x->dtype, &xp) || xp.count != 1 ||
	    !read_params(g, n, 4, 5, w->dtype, &wp) || !read_params(g, n, 6, 7, y->dtype, &yp) ||
	    yp.count != 1)
		return 0;
	if (conv) {
		const Value *b = op_in(g, n, 8);
		if (!conv_attrs(g, n, x, w, &s) || (b && !b->data))
			return 0;
		s.w = w->data;
		s.bias = b ? b->data : NULL;
	} else {
		if (w->shape.rank != 2 || x->shape.rank < 2)
			return 0;
		s.group = 1;
		s.n = w->shape.dims[1];
		s.k = w->shape.dims[0];
		s.w = weights_nk(g, w, false);
	}
	if (wp.count > 1 && wp.count != s.n)
		return 0;
	set_io(&s, x, &xp, w, y, &yp, 1.0f);
	if (!s.w || !spread(g, &wp, s.n, &s))
		return diag_error(d, "out of memory");
	uint32_t xv = n->inputs[0];
	return rewrite(g, id, xv, &s, NULL, 0, count, d);
}

/* com.microsoft QGemm with constant B, per-tensor A and Y parameters, b per tensor or
   per column, C absent or constant per column (or one element), quantized Y, transA 0
   and alpha > 0: alpha goes into x's scale, so QConvGemm's multiplier is ORT's
   (alpha * a_scale * b_scale) / y_scale; C is the bias. */
static int fold_qgemm(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 3), *c = op_in(g, n, 6);
	const Value *y = op_outv(g, n, 0);
	double alpha = ir_attr_float(n, "alpha", 1.0);
	bool tb = ir_attr_int(n, "transB", 0) != 0;
	QParams xp, wp, yp;
	QGemmSpec s;
	memset(&s, 0, sizeof s);
	if (!w->data || w->shape.rank != 2 || x->shape.rank != 2 || ir_attr_int(n, "transA", 0) ||
	    !((float)alpha > 0) || !isfinite((float)alpha) || !op_in(g, n, 8) || !is_q8(y->dtype) ||
	    !read_params(g, n, 1, 2, x->dtype, &xp) || xp.count != 1 ||
	    !read_params(g, n, 4, 5, w->dtype, &wp) || !read_params(g, n, 7, 8, y->dtype, &yp) ||
	    yp.count != 1)
		return 0;
	s.group = 1;
	s.n = w->shape.dims[tb ? 0 : 1];
	s.k = w->shape.dims[tb ? 1 : 0];
	int64_t nc = c ? ir_numel(c) : 0;
	if ((wp.count > 1 && wp.count != s.n) || (c && (!c->data || (nc != 1 && nc != s.n) ||
						      (nc > 1 && c->shape.rank == 2 && c->shape.dims[0] != 1))))
		return 0;
	s.w = weights_nk(g, w, tb);
	int32_t *bias = c ? arena_alloc(g->arena, (size_t)s.n * sizeof *bias) : NULL;
	if (!s.w || (c && !bias) || !spread(g, &wp, s.n, &s))
		return diag_error(d, "out of memory");
	for (int64_t i = 0; c && i < s.n; i++)
		bias[i] = ((const int32_t *)c->data)[nc > 1 ? i : 0];
	s.bias = bias;
	set_io(&s, x, &xp, w, y, &yp, (float)alpha);
	return rewrite(g, id, n->inputs[0], &s, NULL, 0, count, d);
}

/* ------------------------------------------------ Add, Mul, pools, Concat, Relu/Clip, views */

/* One end of a pattern: an 8-bit tensor q with per-tensor scale s and zero point z
   (value ids; z may be IR_NONE). */
typedef struct QEnd {
	uint32_t q, s, z;
	QParams p;
} QEnd;

/* Per-tensor scale and zero point (inputs 1 and 2) of Q/DQ node n of 8-bit type t
   into e; false unless both are constant and the scale is one positive number. */
static bool end_params(const Graph *g, const Node *n, DType t, QEnd *e)
{
	if (!read_params(g, n, 1, 2, t, &e->p) || e->p.count != 1)
		return false;
	e->s = n->inputs[1];
	e->z = ir_has_in(n, 2) ? n->inputs[2] : IR_NONE;
	return true;
}

/* v = DequantizeLinear(q, s, z), per tensor, float out: fills e. */
static bool dq_end(const Graph *g, uint32_t v, QEnd *e)
{
	uint32_t dq = producer_of(g, v, OP_DEQUANTIZELINEAR);
	if (dq == IR_NONE)
		return false;
	const Node *n = ir_node(g, dq);
	const Value *q = op_in(g, n, 0);
	if (!is_q8(q->dtype) || op_outv(g, n, 0)->dtype != DT_FLOAT || !end_params(g, n, q->dtype, e))
		return false;
	e->q = n->inputs[0];
	return true;
}

/* The per-tensor QuantizeLinear reading float q (the node: its input, when v is
   IR_NONE) or the sole user of v; fills e with its output. IR_NONE if none. */
static uint32_t q_end(const Graph *g, uint32_t v, uint32_t qn, QEnd *e)
{
	uint32_t c = qn != IR_NONE ? qn : sole_user(g, v);
	if (c == IR_NONE || ir_node(g, c)->op != OP_QUANTIZELINEAR)
		return IR_NONE;
	const Node *n = ir_node(g, c);
	const Value *y = op_outv(g, n, 0);
	if (op_in(g, n, 0)->dtype != DT_FLOAT || !is_q8(y->dtype) || !end_params(g, n, y->dtype, e))
		return IR_NONE;
	e->q = n->outputs[0];
	return c;
}

static bool same_params(const QEnd *a, const QEnd *b)
{
	return a->p.t == b->p.t && a->p.s[0] == b->p.s[0] && zp_at(&a->p, 0) == zp_at(&b->p, 0);
}

/* Node id becomes op(ins) -> out in place (keeping its attributes). */
static int become(Graph *g, uint32_t id, OpKind op, const uint32_t *ins, int nin, uint32_t out,
		  Diag *d)
{
	uint32_t *in = arena_memdup(g->arena, ins, (size_t)nin * sizeof *ins);
	uint32_t *o = arena_memdup(g->arena, &out, sizeof out);
	if (!in || !o)
		return diag_error(d, "out of memory");
	Node *n = ir_node(g, id);
	n->op = op;
	n->op_type = op_name(op);
	n->domain = op_domain(op);
	n->inputs = in;
	n->ninputs = nin;
	n->outputs = o;
	n->noutputs = 1;
	ir_value(g, out)->producer = id;
	return 0;
}

/* The table of Q_y(clamp(DQ_x(b), mn, mx)) for every byte b of x: what float
   DequantizeLinear -> Relu/Clip/nothing -> QuantizeLinear computes, element by element.
   Sets *identity when it maps every value to itself. */
static uint32_t lut_const(Graph *g, const QEnd *x, const QEnd *y, float mn, float mx,
			  bool *identity)
{
	uint8_t tab[256];
	float xs = x->p.s[0], ys = y->p.s[0];
	int32_t xz = zp_at(&x->p, 0), yz = zp_at(&y->p, 0);
	int32_t lo = y->p.t == DT_INT8 ? -128 : 0;
	*identity = x->p.t == y->p.t;
	for (int b = 0; b < 256; b++) {
		int32_t q = x->p.t == DT_INT8 ? (int32_t)(int8_t)(uint8_t)b : b;
		float v = (float)(q - xz) * xs;
		if (v < mn)
			v = mn;
		if (v > mx)
			v = mx;
		int32_t r = quantize(v, ys, yz, lo, lo + 255);
		tab[b] = (uint8_t)r;
		*identity = *identity && r == q;
	}
	Shape sh = {1, {256}};
	return ir_add_const(g, "qlut", y->p.t, &sh, tab);
}

/* Q node qn becomes QLut(src) -> y.q, or goes when the table is the identity and
   y.q is no graph output (its users then read src). */
static int lut_or_alias(Graph *g, uint32_t qn, uint32_t src, const QEnd *x, const QEnd *y,
			float mn, float mx, Diag *d)
{
	bool identity;
	uint32_t tab = lut_const(g, x, y, mn, mx, &identity);
	if (identity && !ir_value(g, y->q)->is_output) {
		ir_kill_node(g, qn);
		ir_replace_uses(g, y->q, src);
		return 0;
	}
	uint32_t ins[2] = {src, tab};
	return become(g, qn, OP_QLUT, ins, 2, y->q, d);
}

/* ORT's x86 QDQ fusion runs int8 Add, Mul and the average pools as integer kernels
   only after rewriting int8 Q -> DQ pairs to uint8 (zero points + 128), so only
   where every input comes from such a pair (a node's output, not a graph input or a
   constant) and y goes only to DequantizeLinear nodes; elsewhere it runs them in
   float, and so does cnnc. */
static bool int8_pairs(const Graph *g, const QEnd *ins, int nin, const QEnd *y)
{
	uint32_t users[16];
	if (y->p.t != DT_INT8)
		return true;
	for (int i = 0; i < nin; i++) {
		const Value *q = ir_value(g, ins[i].q);
		if (q->data || q->producer == IR_NONE)
			return false;
	}
	int nu = ir_consumers(g, y->q, users, 16);
	if (nu < 1 || nu > 16 || ir_value(g, y->q)->is_output)
		return false;
	for (int i = 0; i < nu; i++)
		if (ir_node(g, users[i])->op != OP_DEQUANTIZELINEAR)
			return false;
	return true;
}

/* DQ -> Add|Mul -> Q into QLinearAdd|QLinearMul (ORT's QDQ fusion does the same).
   A constant input stays float: ORT's QLinearAdd with a constant operand rounds as
   the float graph does, not as its kernel on two tensors. */
static int fold_binary(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	QEnd a, b, y;
	if (n->ninputs != 2 || !dq_end(g, n->inputs[0], &a) || !dq_end(g, n->inputs[1], &b))
		return 0;
	uint32_t qn = q_end(g, n->outputs[0], IR_NONE, &y);
	QEnd ab[2] = {a, b};
	if (qn == IR_NONE || a.p.t != y.p.t || b.p.t != y.p.t || ir_value(g, a.q)->data ||
	    ir_value(g, b.q)->data || !int8_pairs(g, ab, 2, &y))
		return 0;
	OpKind op = n->op == OP_ADD ? OP_QLINEARADD : OP_QLINEARMUL;
	uint32_t ins[8] = {a.q, a.s, a.z, b.q, b.s, b.z, y.s, y.z};
	ir_kill_node(g, qn);
	(*count)++;
	if (become(g, id, op, ins, y.z == IR_NONE ? 7 : 8, y.q, d) < 0)
		return -1;
	if (y.p.t == DT_INT8)
		ir_set_attr_int(g, id, "u8_shift", 1);
	return 0;
}

/* DQ -> AveragePool|GlobalAveragePool|Sigmoid|LeakyRelu -> Q into the QLinear op. */
static int fold_unary(Graph *g, uint32_t id, OpKind op, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	const int64_t *a;
	QEnd x, y;
	if (!dq_end(g, n->inputs[0], &x) || n->noutputs != 1)
		return 0;
	uint32_t qn = q_end(g, n->outputs[0], IR_NONE, &y);
	if (qn == IR_NONE || x.p.t != y.p.t)
		return 0;
	const Value *xv = op_in(g, n, 0);
	bool pool = op == OP_QLINEARAVERAGEPOOL || op == OP_QLINEARGLOBALAVERAGEPOOL;
	if (pool && (xv->shape.rank < 3 || !int8_pairs(g, &x, 1, &y)))
		return 0;
	size_t nd = ir_attr_ints(n, "dilations", &a);
	for (size_t i = 0; i < nd; i++)
		if (a[i] != 1)
			return 0;
	uint32_t ins[5] = {x.q, x.s, x.z, y.s, y.z};
	ir_kill_node(g, qn);
	(*count)++;
	if (become(g, id, op, ins, y.z == IR_NONE ? 4 : 5, y.q, d) < 0)
		return -1;
	if (op == OP_QLINEARAVERAGEPOOL && y.p.t == DT_INT8)
		ir_set_attr_int(g, id, "u8_shift", 1);
	return 0;
}

/* DQ... -> Concat -> Q into QLinearConcat. */
static int fold_concat(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	QEnd x, y;
	uint32_t qn = q_end(g, n->outputs[0], IR_NONE, &y);
	if (qn == IR_NONE || n->ninputs < 1)
		return 0;
	int nin = 2 + 3 * n->ninputs;
	uint32_t *ins = arena_alloc(g->arena, (size_t)nin * sizeof *ins);
	if (!ins)
		return diag_error(d, "out of memory");
	ins[0] = y.s;
	ins[1] = y.z;
	for (int i = 0; i < n->ninputs; i++) {
		if (!dq_end(g, n->inputs[i], &x) || x.p.t != y.p.t)
			return 0;
		ins[2 + 3 * i] = x.q;
		ins[3 + 3 * i] = x.s;
		ins[4 + 3 * i] = x.z;
	}
	ir_kill_node(g, qn);
	(*count)++;
	return become(g, id, OP_QLINEARCONCAT, ins, nin, y.q, d);
}

/* DQ -> MaxPool or a data movement op -> Q: the op runs on the 8-bit values (it
   commutes with the monotonic DQ and Q), then a QLut requantizes when the scales or
   zero points differ. */
static int fold_movement(Graph *g, uint32_t id, int *count, Diag *d)
{
	Node *n = ir_node(g, id);
	QEnd x, y;
	if (!dq_end(g, n->inputs[0], &x) || (n->noutputs > 1 && n->outputs[1] != IR_NONE &&
					       ir_use_count(g, n->outputs[1]) > 0))
		return 0;
	uint32_t qn = q_end(g, n->outputs[0], IR_NONE, &y);
	if (qn == IR_NONE)
		return 0;
	n->inputs[0] = x.q;
	n->noutputs = 1;
	(*count)++;
	if (same_params(&x, &y)) {
		ir_kill_node(g, qn);
		n = ir_node(g, id);
		n->outputs[0] = y.q;
		ir_value(g, y.q)->producer = id;
		return 0;
	}
	uint32_t t = ir_add_temp(g, "q8");
	Value *tv = ir_value(g, t);
	tv->dtype = x.p.t;
	tv->shape = ir_value(g, y.q)->shape;
	tv->typed = true;
	n = ir_node(g, id);
	n->outputs[0] = t;
	tv->producer = id;
	return lut_or_alias(g, qn, t, &x, &y, -INFINITY, INFINITY, d);
}

/* DQ -> Relu|Clip -> Q, or DQ -> Q: one QLut (or nothing). */
static int fold_lut(Graph *g, uint32_t id, int *count, Diag *d)
{
	const Node *n = ir_node(g, id);
	QEnd x, y;
	float mn = -INFINITY, mx = INFINITY;
	uint32_t qn = id;
	if (n->op != OP_QUANTIZELINEAR) {
		if (!act_range(g, n, &mn, &mx))
			return 0;
		qn = q_end(g, n->outputs[0], IR_NONE, &y);
	} else {
		qn = q_end(g, IR_NONE, id, &y);
	}
	if (qn == IR_NONE || !dq_end(g, n->inputs[0], &x))
		return 0;
	if (qn != id)
		ir_kill_node(g, id);
	(*count)++;
	return lut_or_alias(g, qn, x.q, &x, &y, mn, mx, d);
}

/* A QLut whose input is only a QLinearAdd's or QLinearMul's output goes into that
   node (input 8, attribute lut): one pass over the tensor instead of two. */
static int fuse_lut(Graph *g, uint32_t id, Diag *d)
{
	const Node *n = ir_node(g, id);
	uint32_t x = n->inputs[0], p = ir_value(g, x)->producer, users[16];
	if (p == IR_NONE || ir_value(g, x)->is_output ||
	    (ir_node(g, p)->op != OP_QLINEARADD && ir_node(g, p)->op != OP_QLINEARMUL))
		return 0;
	/* other readers may only be DequantizeLinear nodes left without users by the folds
	   above: they go now, x goes with its producer's new output */
	int nu = ir_consumers(g, x, users, 16);
	if (nu < 1 || nu > 16)
		return 0;
	for (int i = 0; i < nu; i++) {
		const Node *u = ir_node(g, users[i]);
		if (users[i] != id && (u->op != OP_DEQUANTIZELINEAR || ir_value(g, u->outputs[0])->is_output ||
				       ir_use_count(g, u->outputs[0]) > 0))
			return 0;
	}
	const Node *pn = ir_node(g, p);
	uint32_t ins[9], y = n->outputs[0];
	for (int i = 0; i < 8; i++)
		ins[i] = i < pn->ninputs ? pn->inputs[i] : IR_NONE;
	ins[8] = n->inputs[1];
	for (int i = 0; i < nu; i++)
		ir_kill_node(g, users[i]);
	if (become(g, p, ir_node(g, p)->op, ins, 9, y, d) < 0)
		return -1;
	ir_set_attr_int(g, p, "lut", 1);
	return 0;
}

/* The patterns of this section at node id; counts folds in *count. */
static int fold_other(Graph *g, uint32_t id, int *count, Diag *d)
{
	switch (ir_node(g, id)->op) {
	case OP_ADD:
	case OP_MUL:
		return fold_binary(g, id, count, d);
	case OP_AVERAGEPOOL:
		return fold_unary(g, id, OP_QLINEARAVERAGEPOOL, count, d);
	case OP_GLOBALAVERAGEPOOL:
		return fold_unary(g, id, OP_QLINEARGLOBALAVERAGEPOOL, count, d);
	case OP_SIGMOID:
		return fold_unary(g, id, OP_QLINEARSIGMOID, count, d);
	case OP_LEAKYRELU:
		return fold_unary(g, id, OP_QLINEARLEAKYRELU, count, d);
	case OP_CONCAT:
		return fold_concat(g, id, count, d);
	case OP_MAXPOOL:
	case OP_RESHAPE:
	case OP_FLATTEN:
	case OP_TRANSPOSE:
	case OP_SQUEEZE:
	case OP_UNSQUEEZE:
	case OP_IDENTITY:
		return fold_movement(g, id, count, d);
	case OP_RELU:
	case OP_CLIP:
	case OP_QUANTIZELINEAR:
		return fold_lut(g, id, count, d);
	default:
		return 0;
	}
}

int pass_fold_qdq(Graph *g, const Options *opt, Diag *d)
{
	int qdq = 0, qop = 0, other = 0;
	(void)opt;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		OpKind op = ir_node(g, i)->op;
		int rc = 0;
		if (op == OP_CONV || op == OP_MATMUL || op == OP_GEMM)
			rc = fold_qdq_node(g, i, &qdq, d);
		else if (op == OP_QLINEARCONV || op == OP_QLINEARMATMUL)
			rc = fold_qlinear(g, i, &qop, d);
		else if (op == OP_QGEMM)
			rc = fold_qgemm(g, i, &qop, d);
		if (rc < 0)
			return -1;
	}
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (fold_other(g, i, &other, d) < 0)
			return -1;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (ir_node(g, i)->op == OP_QLUT && fuse_lut(g, i, d) < 0)
			return -1;
	if (qdq || qop || other) {
		ir_compact(g);
		snprintf(g->note, sizeof g->note,
			 "%d QDQ Conv/MatMul/Gemm and %d QLinearConv/QLinearMatMul/QGemm -> QConvGemm, "
			 "%d other QDQ patterns -> integer ops",
			 qdq, qop, other);
	}
	return 0;
}
