/* batchnorm.c - BatchNormalization, inference and training mode.
 *
 * Inference folds the four parameters into one multiply-add per channel,
 * a = scale / sqrt(var + epsilon) and b = B - mean * a, computed once per
 * channel and applied over its contiguous spatial plane. Training mode (opset
 * 14+) computes each channel's mean and population variance over batch and
 * space in two passes, normalizes with them, and returns the running statistics
 * input * momentum + current * (1 - momentum). The non-spatial form of opsets
 * 7-8 (spatial = 0: parameters of shape C x D1 x ... x Dn) normalizes every
 * element with its own parameters.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct Bn {
	int64_t n, c, spatial;
	bool per_element; /* parameters have C * spatial elements */
	bool training;
} Bn;

static int view(const Graph *g, const Node *n, Bn *b, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	if (s->rank < 1)
		return ir_node_error(d, g, n, "input must have rank 1 or more, got a scalar");
	b->n = s->dims[0];
	b->c = s->rank > 1 ? s->dims[1] : 1;
	b->spatial = 1;
	for (int i = 2; i < s->rank; i++)
		b->spatial *= s->dims[i];
	b->training = n->opset >= 14 && ir_attr_int(n, "training_mode", 0) != 0;
	int64_t p = ir_numel(op_in(g, n, 1));
	b->per_element = p != b->c && p == b->c * b->spatial && !b->training;
	int64_t want = b->per_element ? b->c * b->spatial : b->c;
	for (int k = 1; k < 5; k++)
		if (ir_numel(op_in(g, n, k)) != want)
			return ir_node_error(d, g, n, "input '%s' has %lld elements, expected %lld",
					     op_in(g, n, k)->name, (long long)ir_numel(op_in(g, n, k)),
					     (long long)want);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 5, 5, 5, d) < 0)
		return -1;
	for (int k = 0; k < 5; k++)
		if (op_check_dtype(g, n, k, op_float_types, d) < 0)
			return -1;
	Bn b;
	if (view(g, n, &b, d) < 0)
		return -1;
	for (int k = 1; k < n->noutputs; k++)
		if (ir_out(n, k) != IR_NONE && (!b.training || k > 2))
			return ir_node_error(d, g, n, "output %d is only defined in training mode, which "
					     "cnnc supports from opset 14 (training_mode = 1)", k);
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	op_set_out(g, n, 1, op_in(g, n, 3)->dtype, &op_in(g, n, 3)->shape);
	op_set_out(g, n, 2, op_in(g, n, 4)->dtype, &op_in(g, n, 4)->shape);
	return 0;
}

/* Loads of parameter k (1..4) at index expression idx, into buf. */
static const char *param(const Emit *e, int k, const char *idx, char *buf, size_t n)
{
	char ref[64];
	snprintf(ref, sizeof ref, "x%d[%s]", k, idx);
	return cg_load(op_in(e->g, e->n, k)->dtype, ref, buf, n);
}

static void emit_apply(Emit *e, const Bn *b, const char *acc)
{
	Out *o = e->o;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	char ld[64], ex[200], st[300], ref[64];
	snprintf(ref, sizeof ref, "xr[j]");
	cg_load(dt, ref, ld, sizeof ld);
	snprintf(ex, sizeof ex, "(%s)%s * a + b", acc, ld);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) yr[j] = %s;", (long long)b->spatial,
		 cg_store(dt, ex, st, sizeof st));
}

static void emit_inference(Emit *e, const Bn *b, const char *acc, double eps)
{
	Out *o = e->o;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *sf = strcmp(acc, "double") == 0 ? "" : "f";
	char p1[64], p2[64], p3[64], p4[64], ld[64], ex[400], st[500];
	const char *idx = b->per_element ? "i" : "c";
	param(e, 1, idx, p1, sizeof p1);
	param(e, 2, idx, p2, sizeof p2);
	param(e, 3, idx, p3, sizeof p3);
	param(e, 4, idx, p4, sizeof p4);
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)b->n);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)b->c);
	out_line(o, "const %s *restrict xr = x0 + (m * %lld + c) * %lld;", cg_ctype(dt),
		 (long long)b->c, (long long)b->spatial);
	out_line(o, "%s *restrict yr = y0 + (m * %lld + c) * %lld;", cg_ctype(dt), (long long)b->c,
		 (long long)b->spatial);
	if (b->per_element) {
		out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)b->spatial);
		out_line(o, "const int64_t i = c * %lld + j;", (long long)b->spatial);
	}
	out_line(o, "const %s a = (%s)%s / sqrt%s((%s)%s + (%s)%.17g);", acc, acc, p1, sf, acc, p4,
		 acc, eps);
	out_line(o, "const %s b = (%s)%s - (%s)%s * a;", acc, acc, p2, acc, p3);
	if (b->per_element) {
		cg_load(dt, "xr[j]", ld, sizeof ld);
		snprintf(ex, sizeof ex, "(%s)%s * a + b", acc, ld);
		out_line(o, "yr[j] = %s;", cg_store(dt, ex, st, sizeof st));
		out_line(o, "}");
	} else {
		emit_apply(e, b, acc);
	}
	out_line(o, "}");
	out_line(o, "}");
}

/* One channel's sum over batch and space: `<var> += <expr of v>`. */
static void channel_sum(Out *o, const Bn *b, DType dt, const char *acc, const char *expr)
{
	char ld[64], ref[64];
	snprintf(ref, sizeof ref, "xc[m * %lld + j]", (long long)(b->c * b->spatial));
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)b->n);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)b->spatial);
	out_line(o, "const %s v = (%s)%s;", acc, acc, ld);
	out_line(o, "%s;", expr);
	out_line(o, "}");
	out_line(o, "}");
}

static void emit_training(Emit *e, const Bn *b, const char *acc, double eps)
{
	Out *o = e->o;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *sf = strcmp(acc, "double") == 0 ? "" : "f";
	double mom = ir_attr_float(e->n, "momentum", 0.9);
	long long cnt = (long long)(b->n * b->spatial);
	char p1[64], p2[64], p3[64], p4[64], st[300], ex[200];
	param(e, 1, "c", p1, sizeof p1);
	param(e, 2, "c", p2, sizeof p2);
	param(e, 3, "c", p3, sizeof p3);
	param(e, 4, "c", p4, sizeof p4);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)b->c);
	out_line(o, "const %s *restrict xc = x0 + c * %lld;", cg_ctype(dt), (long long)b->spatial);
	out_line(o, "%s mean = 0, var = 0;", acc);
	channel_sum(o, b, dt, acc, "mean += v");
	out_line(o, "mean /= (%s)%lld;", acc, cnt ? cnt : 1);
	channel_sum(o, b, dt, acc, "var += (v - mean) * (v - mean)");
	out_line(o, "var /= (%s)%lld;", acc, cnt ? cnt : 1);
	out_line(o, "const %s a = (%s)%s / sqrt%s(var + (%s)%.17g);", acc, acc, p1, sf, acc, eps);
	out_line(o, "const %s b = (%s)%s - mean * a;", acc, acc, p2);
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)b->n);
	out_line(o, "const %s *restrict xr = xc + m * %lld;", cg_ctype(dt),
		 (long long)(b->c * b->spatial));
	out_line(o, "%s *restrict yr = y0 + c * %lld + m * %lld;", cg_ctype(dt), (long long)b->spatial,
		 (long long)(b->c * b->spatial));
	emit_apply(e, b, acc);
	out_line(o, "}");
	for (int k = 1; k < 3; k++) {
		const Value *v = op_outv(e->g, e->n, k);
		if (!v)
			continue;
		snprintf(ex, sizeof ex, "(%s)%s * (%s)%.17g + %s * (%s)%.17g", acc, k == 1 ? p3 : p4, acc,
			 mom, k == 1 ? "mean" : "var", acc, 1 - mom);
		out_line(o, "y%d[c] = %s;", k, cg_store(v->dtype, ex, st, sizeof st));
	}
	out_line(o, "}");
}

static int emit(Emit *e)
{
	Bn b;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, e->n, &b, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *acc = dt == DT_DOUBLE ? "double" : "float";
	double eps = ir_attr_float(e->n, "epsilon", 1e-5);
	if (b.training)
		emit_training(e, &b, acc, eps);
	else
		emit_inference(e, &b, acc, eps);
	return 0;
}

const OpDef opdef_BATCHNORMALIZATION = {infer, NULL, emit, NULL, 0};
