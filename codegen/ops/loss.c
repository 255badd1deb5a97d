/* loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * The scores are viewed as [N, C, D] (D the product of the trailing dims) and
 * the labels as [N, D]. Each sample's loss is -logp[n][label][d] * weight[label]
 * (weight 1 when absent), and 0 for a label equal to ignore_index. SCE gets
 * logp from a log-softmax over C (max-subtracted) and may also return it as
 * log_prob; NLL takes its input as logp. Reduction "mean" divides the summed
 * loss by the summed weights of the samples that were not ignored, which is
 * what the reference outputs use, with or without `weights`. The sums are
 * accumulated in double. Labels outside [0, C) that are not ignore_index have
 * no defined result; they are clamped so they never read out of bounds.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef enum { RED_NONE, RED_SUM, RED_MEAN } Reduction;

typedef struct Loss {
	int64_t n, c, d;
	Reduction red;
	bool has_ignore;
	int64_t ignore;
} Loss;

static const DType label_types[] = {DT_INT32, DT_INT64, DT_UNDEFINED};

static int view(const Graph *g, const Node *n, Loss *l, Diag *d)
{
	const Shape *x = &op_in(g, n, 0)->shape, *t = &op_in(g, n, 1)->shape;
	if (x->rank < 2)
		return ir_node_error(d, g, n, "input must have rank 2 or more (N x C x ...), got %d",
				     x->rank);
	bool ok = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
	for (int i = 1; ok && i < t->rank; i++)
		ok = t->dims[i] == x->dims[i + 1];
	char s1[128], s2[128];
	if (!ok)
		return ir_node_error(d, g, n, "labels of shape %s do not match input of shape %s",
				     shape_str(t, s1, sizeof s1), shape_str(x, s2, sizeof s2));
	l->n = x->dims[0];
	l->c = x->dims[1];
	l->d = 1;
	for (int i = 2; i < x->rank; i++)
		l->d *= x->dims[i];
	const Value *w = op_in(g, n, 2);
	if (w && (w->shape.rank != 1 || w->shape.dims[0] != l->c))
		return ir_node_error(d, g, n, "weights must have shape [%lld], got %s", (long long)l->c,
				     shape_str(&w->shape, s1, sizeof s1));
	const char *r = ir_attr_str(n, "reduction", "mean");
	if (strcmp(r, "none") == 0)
		l->red = RED_NONE;
	else if (strcmp(r, "sum") == 0)
		l->red = RED_SUM;
	else if (strcmp(r, "mean") == 0)
		l->red = RED_MEAN;
	else
		return ir_node_error(d, g, n, "reduction '%s' is not one of none, sum, mean", r);
	l->has_ignore = ir_attr(n, "ignore_index") != NULL;
	l->ignore = ir_attr_int(n, "ignore_index", 0);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0 ||
	    op_check_dtype(g, n, 1, label_types, d) < 0 || op_check_dtype(g, n, 2, op_float_types, d) < 0)
		return -1;
	Loss l;
	if (view(g, n, &l, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	Shape scalar = {0, {0}};
	op_set_out(g, n, 0, x->dtype, l.red == RED_NONE ? &op_in(g, n, 1)->shape : &scalar);
	if (n->op == OP_SOFTMAXCROSSENTROPYLOSS)
		op_set_out(g, n, 1, x->dtype, &x->shape);
	else if (ir_out(n, 1) != IR_NONE)
		return ir_node_error(d, g, n, "has 2 outputs, expected 1");
	return 0;
}

/* Declares `lse` for sample (m, j): log-sum-exp of the scores over classes. */
static void emit_lse(Out *o, const Loss *l, DType dt, const char *acc, const char *f)
{
	char ref[80], ld[120];
	snprintf(ref, sizeof ref, "xs[k * %lld]", (long long)l->d);
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "%s mx = -INFINITY, se = 0;", acc);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)l->c);
	out_line(o, "const %s v = %s;", acc, ld);
	out_line(o, "mx = (v != v || v > mx) ? v : mx;");
	out_line(o, "}");
	out_line(o, "for (int64_t k = 0; k < %lld; k++) se += exp%s(%s - mx);", (long long)l->c, f, ld);
	out_line(o, "const %s lse = mx + log%s(se);", acc, f);
}

static int emit(Emit *e)
{
	const Node *n = e->n;
	Loss l;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, n, &l, &d) < 0)
		return -1;
	bool sce = n->op == OP_SOFTMAXCROSSENTROPYLOSS;
	DType dt = op_in(e->g, n, 0)->dtype;
	const char *acc = dt == DT_DOUBLE ? "double" : "float", *f = dt == DT_DOUBLE ? "" : "f";
	bool has_w = ir_has_in(n, 2), log_prob = sce && op_outv(e->g, n, 1);
	long long D = (long long)l.d, C = (long long)l.c;
	char ref[80], ld[120], st[200], lit[64];
	Out *o = e->o;
	if (l.red != RED_NONE)
		out_line(o, "double total = 0, wsum = 0;");
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)l.n);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", D);
	out_line(o, "const %s *restrict xs = x0 + m * %lld + j;", cg_ctype(dt), C * D);
	out_line(o, "const int64_t t = (int64_t)x1[m * %lld + j];", D);
	if (sce) {
		emit_lse(o, &l, dt, acc, f);
		if (log_prob) {
			snprintf(ref, sizeof ref, "xs[k * %lld]", D);
			cg_load(dt, ref, ld, sizeof ld);
			char ex[160];
			snprintf(ex, sizeof ex, "%s - lse", ld);
			out_line(o, "for (int64_t k = 0; k < %lld; k++) y1[m * %lld + j + k * %lld] = %s;", C,
				 C * D, D, cg_store(dt, ex, st, sizeof st));
		}
	}
	out_line(o, "const int64_t c = t < 0 ? 0 : t >= %lld ? %lld : t;", C, C - 1);
	if (has_w) {
		snprintf(ref, sizeof ref, "x2[c]");
		out_line(o, "%s w = %s;", acc, cg_load(dt, ref, ld, sizeof ld));
	} else {
		out_line(o, "%s w = 1;", acc);
	}
	if (l.has_ignore)
		out_line(o, "if (t == %s) w = 0;", cg_ilit(DT_INT64, l.ignore, lit, sizeof lit));
	snprintf(ref, sizeof ref, "xs[c * %lld]", D);
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "const %s loss = w == 0 ? 0 : -(%s%s) * w;", acc, ld, sce ? " - lse" : "");
	if (l.red == RED_NONE)
		out_line(o, "y0[m * %lld + j] = %s;", D, cg_store(dt, "loss", st, sizeof st));
	else
		out_line(o, "total += loss, wsum += w;");
	out_line(o, "}");
	out_line(o, "}");
	if (l.red == RED_SUM)
		out_line(o, "y0[0] = %s;", cg_store(dt, "total", st, sizeof st));
	else if (l.red == RED_MEAN)
		out_line(o, "y0[0] = %s;", cg_store(dt, "total / wsum", st, sizeof st));
	return 0;
}

const OpDef opdef_NEGATIVELOGLIKELIHOODLOSS = {infer, NULL, emit, NULL, 0};
const OpDef opdef_SOFTMAXCROSSENTROPYLOSS = {infer, NULL, emit, NULL, 0};
