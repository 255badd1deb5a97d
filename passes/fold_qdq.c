/* fold_qdq.c - turns quantized Conv/MatMul/Gemm into integer kernels (QConvGemm).
 *
 * Requires: shapes inferred; must run before eliminate_dead, because infer_shapes
 * folds DequantizeLinear of constant weights into float constants and leaves the DQ
 * node in place: that node still holds the int8 weights, scale and zero point. Kills
 * the nodes it absorbs; DQ nodes left without users go with eliminate_dead.
 *
 * Patterns (x, w int8 or uint8; scales per tensor, or per output channel for w;
 * zero points constant, any value):
 *   QDQ: DQ(xq) -> Conv|MatMul|Gemm(., DQ(wq) [, DQ(bias int32)]) [-> Relu|Clip] -> Q
 *   QOperator: QLinearConv (2-D, constant weights) and QLinearMatMul (constant 2-D b)
 * The result is what ORT computes when it fuses the same pattern: int32 sums, then
 * float(acc) * (xs * ws / ys), round half to even, plus yz; Relu and Clip become the
 * output clamp (exact: quantizing is monotonic). A DQ bias must have scale xs * ws
 * (what quantizers write) and zero point 0, else the node is left in float.
 *
 *   before: n1 DequantizeLinear(%xq,%s,%z) -> %x; n3 Conv(%x,%w) -> %c;
 *           n4 Relu(%c) -> %r; n5 QuantizeLinear(%r,%ys,%yz) -> %yq
 *   after:  n5 QConvGemm(%xq, %wpack, %c0, %mult) -> %yq {lo=yz, ...}
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

/* Follows out through an optional Relu/Clip to a QuantizeLinear; narrows the spec's
   clamp and returns the Q node (IR_NONE if the chain does not match). */
static uint32_t match_output(Graph *g, uint32_t out, QGemmSpec *s, uint32_t *act)
{
	uint32_t c = sole_user(g, out);
	float mn = -INFINITY, mx = INFINITY;
	*act = IR_NONE;
	if (c != IR_NONE && (ir_node(g, c)->op == OP_RELU || ir_node(g, c)->op == OP_CLIP)) {
		const Node *a = ir_node(g, c);
		if (a->op == OP_RELU) {
			mn = 0;
		} else if (a->opset < 11) {
			mn = (float)ir_attr_float(a, "min", -INFINITY);
			mx = (float)ir_attr_float(a, "max", INFINITY);
		} else {
			const Value *lo = op_in(g, a, 1), *hi = op_in(g, a, 2);
			if ((lo && (!lo->data || lo->dtype != DT_FLOAT)) ||
			    (hi && (!hi->data || hi->dtype != DT_FLOAT)))
				return IR_NONE;
			mn = lo ? ((const float *)lo->data)[0] : -INFINITY;
			mx = hi ? ((const float *)hi->data)[0] : INFINITY;
		}
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
	s.xtype = x->dtype;
	s.xs = xp.s[0];
	s.xz = zp_at(&xp, 0);
	s.wtype = w->dtype;
	s.ytype = y->dtype;
	s.ys = yp.s[0];
	s.yz = zp_at(&yp, 0);
	s.lo = y->dtype == DT_INT8 ? -128 : 0;
	s.hi = y->dtype == DT_INT8 ? 127 : 255;
	if (!s.w || !spread(g, &wp, s.n, &s))
		return diag_error(d, "out of memory");
	uint32_t xv = n->inputs[0];
	return rewrite(g, id, xv, &s, NULL, 0, count, d);
}

int pass_fold_qdq(Graph *g, const Options *opt, Diag *d)
{
	int qdq = 0, qop = 0;
	(void)opt;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		OpKind op = ir_node(g, i)->op;
		int rc = 0;
		if (op == OP_CONV || op == OP_MATMUL || op == OP_GEMM)
			rc = fold_qdq_node(g, i, &qdq, d);
		else if (op == OP_QLINEARCONV || op == OP_QLINEARMATMUL)
			rc = fold_qlinear(g, i, &qop, d);
		if (rc < 0)
			return -1;
	}
	if (qdq || qop) {
		ir_compact(g);
		snprintf(g->note, sizeof g->note,
			 "%d QDQ Conv/MatMul/Gemm and %d QLinearConv/QLinearMatMul -> QConvGemm", qdq,
			 qop);
	}
	return 0;
}
