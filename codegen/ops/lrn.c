/* lrn.c - LRN: local response normalization across channels.
 *
 * y = x / (bias + alpha / size * sum of x^2 over the channel window)^beta, the
 * window of channel c being [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped
 * to the channels. For each (n, c) the window's squares are summed into a
 * scratch plane one channel at a time, so every loop runs over contiguous
 * spatial elements.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct Lrn {
	int64_t n, c, spatial, size;
} Lrn;

static int view(const Graph *g, const Node *n, Lrn *l, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	if (s->rank < 2)
		return ir_node_error(d, g, n, "input must have rank 2 or more (N x C x ...), got %d",
				     s->rank);
	const Attr *a = ir_attr(n, "size");
	if (!a || a->i <= 0)
		return ir_node_error(d, g, n, "attribute size must be given and positive");
	l->size = a->i;
	l->n = s->dims[0];
	l->c = s->dims[1];
	l->spatial = 1;
	for (int i = 2; i < s->rank; i++)
		l->spatial *= s->dims[i];
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	Lrn l;
	if (view(g, n, &l, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static const char *acc_of(DType dt)
{
	return dt == DT_DOUBLE ? "double" : "float";
}

static int64_t scratch(const Graph *g, const Node *n)
{
	Lrn l;
	Diag d;
	diag_init(&d, NULL);
	if (view(g, n, &l, &d) < 0)
		return 0;
	return l.spatial * (op_in(g, n, 0)->dtype == DT_DOUBLE ? 8 : 4);
}

static int emit(Emit *e)
{
	Lrn l;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, e->n, &l, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *acc = acc_of(dt), *f = dt == DT_DOUBLE ? "" : "f";
	double alpha = ir_attr_float(e->n, "alpha", 1e-4), beta = ir_attr_float(e->n, "beta", 0.75);
	double bias = ir_attr_float(e->n, "bias", 1.0);
	int64_t lo = (l.size - 1) / 2, hi = l.size / 2; /* floor and ceil of (size-1)/2 */
	long long sp = (long long)l.spatial;
	char ld[64], ex[300], st[400];
	Out *o = e->o;
	if (!l.n || !l.c || !sp)
		return 0;
	out_line(o, "%s *restrict s = (%s *)scratch;", acc, acc);
	out_line(o, "for (int64_t m = 0; m < %lld; m++) {", (long long)l.n);
	out_line(o, "const %s *restrict xm = x0 + m * %lld;", cg_ctype(dt), (long long)l.c * sp);
	out_line(o, "for (int64_t c = 0; c < %lld; c++) {", (long long)l.c);
	out_line(o, "const int64_t c0 = c < %lld ? 0 : c - %lld;", (long long)lo, (long long)lo);
	out_line(o, "const int64_t c1 = c + %lld < %lld ? c + %lld : %lld;", (long long)hi,
		 (long long)l.c - 1, (long long)hi, (long long)l.c - 1);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) s[j] = 0;", sp);
	out_line(o, "for (int64_t i = c0; i <= c1; i++) {");
	char ref[64];
	snprintf(ref, sizeof ref, "xm[i * %lld + j]", sp);
	cg_load(dt, ref, ld, sizeof ld);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", sp);
	out_line(o, "const %s v = (%s)%s;", acc, acc, ld);
	out_line(o, "s[j] += v * v;");
	out_line(o, "}");
	out_line(o, "}");
	snprintf(ref, sizeof ref, "xm[c * %lld + j]", sp);
	cg_load(dt, ref, ld, sizeof ld);
	snprintf(ex, sizeof ex, "(%s)%s / pow%s((%s)%.17g + (%s)%.17g * s[j], (%s)%.17g)", acc, ld, f,
		 acc, bias, acc, alpha / (double)l.size, acc, beta);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) y0[(m * %lld + c) * %lld + j] = %s;", sp,
		 (long long)l.c, sp, cg_store(dt, ex, st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_LRN = {infer, NULL, emit, scratch, 0};
