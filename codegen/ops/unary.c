/* unary.c - elementwise operators of one input.
 *
 * Each op is a row of `unaries`: a C expression of `x` for floating types (the
 * `$fn(` spelling becomes fnf( for float and fn( for double), one for integer
 * types where the op allows them, the attribute names that `@a`/`@b` stand for,
 * and a host function for constant folding. The kernel is one flat loop, which
 * gcc and clang vectorise.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef double (*HostFn)(double x, double a, double b);

typedef struct Unary {
	OpKind op;
	const char *fexpr; /* floating types */
	const char *iexpr; /* integer types; NULL: floats only */
	const char *attr_a, *attr_b;
	double def_a, def_b;
	HostFn host;
} Unary;

static double h_relu(double x, double a, double b) { (void)a, (void)b; return x > 0 ? x : 0; }
static double h_neg(double x, double a, double b) { (void)a, (void)b; return -x; }
static double h_abs(double x, double a, double b) { (void)a, (void)b; return fabs(x); }
static double h_sqrt(double x, double a, double b) { (void)a, (void)b; return sqrt(x); }
static double h_exp(double x, double a, double b) { (void)a, (void)b; return exp(x); }
static double h_log(double x, double a, double b) { (void)a, (void)b; return log(x); }
static double h_recip(double x, double a, double b) { (void)a, (void)b; return 1.0 / x; }
static double h_sigmoid(double x, double a, double b) { (void)a, (void)b; return 1.0 / (1.0 + exp(-x)); }
static double h_tanh(double x, double a, double b) { (void)a, (void)b; return tanh(x); }
static double h_leaky(double x, double a, double b) { (void)b; return x < 0 ? a * x : x; }
static double h_elu(double x, double a, double b) { (void)b; return x < 0 ? a * (exp(x) - 1) : x; }
static double h_hsig(double x, double a, double b) { return fmax(0, fmin(1, a * x + b)); }
static double h_hswish(double x, double a, double b)
{
	(void)a, (void)b;
	return x * fmax(0, fmin(1, x / 6 + 0.5));
}

static const Unary unaries[] = {
	{OP_RELU, "x > 0 ? x : 0", "x > 0 ? x : 0", NULL, NULL, 0, 0, h_relu},
	{OP_NEG, "-x", "-x", NULL, NULL, 0, 0, h_neg},
	{OP_ABS, "$fabs(x)", "x < 0 ? -x : x", NULL, NULL, 0, 0, h_abs},
	{OP_SQRT, "$sqrt(x)", NULL, NULL, NULL, 0, 0, h_sqrt},
	{OP_EXP, "$exp(x)", NULL, NULL, NULL, 0, 0, h_exp},
	{OP_LOG, "$log(x)", NULL, NULL, NULL, 0, 0, h_log},
	{OP_RECIPROCAL, "1 / x", NULL, NULL, NULL, 0, 0, h_recip},
	{OP_SIGMOID, "1 / (1 + $exp(-x))", NULL, NULL, NULL, 0, 0, h_sigmoid},
	{OP_TANH, "$tanh(x)", NULL, NULL, NULL, 0, 0, h_tanh},
	{OP_LEAKYRELU, "x < 0 ? @a * x : x", NULL, "alpha", NULL, 0.01, 0, h_leaky},
	{OP_ELU, "x < 0 ? @a * ($exp(x) - 1) : x", NULL, "alpha", NULL, 1.0, 0, h_elu},
	{OP_HARDSIGMOID, "$fmax(0, $fmin(1, @a * x + @b))", NULL, "alpha", "beta", 0.2, 0.5, h_hsig},
	{OP_HARDSWISH, "x * $fmax(0, $fmin(1, x / 6 + 0.5))", NULL, NULL, NULL, 0, 0, h_hswish},
};

static const Unary *find(OpKind op)
{
	for (size_t i = 0; i < sizeof unaries / sizeof unaries[0]; i++)
		if (unaries[i].op == op)
			return &unaries[i];
	return NULL;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Unary *u = find(n->op);
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	if (op_check_dtype(g, n, 0, u->iexpr ? op_numeric_types : op_float_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Unary *u = find(n->op);
	const Value *x = op_in(g, n, 0);
	double a = u->attr_a ? ir_attr_float(n, u->attr_a, u->def_a) : 0;
	double b = u->attr_b ? ir_attr_float(n, u->attr_b, u->def_b) : 0;
	void *y = op_alloc_const(g, n, 0);
	int64_t cnt = ir_numel(x);
	bool is_float = dtype_info(x->dtype)->is_float;
	for (int64_t i = 0; i < cnt; i++) {
		if (is_float)
			dtype_set_f64(x->dtype, y, i, u->host(dtype_get_f64(x->dtype, x->data, i), a, b));
		else
			dtype_set_i64(x->dtype, y, i,
				      (int64_t)u->host((double)dtype_get_i64(x->dtype, x->data, i), a, b));
	}
	return 0;
}

/* Expands `$fn(` and `@a`/`@b` of a template into C for dtype dt; decimal literals
   get an f suffix in float code so nothing is computed in double by accident. */
static void expand(const char *t, DType dt, const char *a, const char *b, char *buf, size_t n)
{
	bool dbl = strcmp(cg_comp(dt), "double") == 0;
	size_t k = 0;
	while (*t && k + 32 < n) {
		if (*t == '$') {
			t++;
			while (*t && *t != '(' && k + 1 < n)
				buf[k++] = *t++;
			if (!dbl)
				buf[k++] = 'f';
		} else if (*t == '@') {
			const char *s = t[1] == 'a' ? a : b;
			k += (size_t)snprintf(buf + k, n - k, "%s", s);
			t += 2;
		} else if (isdigit((unsigned char)*t) && (k == 0 || !isalnum((unsigned char)buf[k - 1]))) {
			bool point = false;
			while (isdigit((unsigned char)*t) || *t == '.') {
				point |= *t == '.';
				buf[k++] = *t++;
			}
			if (point && !dbl)
				buf[k++] = 'f';
		} else {
			buf[k++] = *t++;
		}
	}
	buf[k] = 0;
}

static int emit(Emit *e)
{
	const Unary *u = find(e->n->op);
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype;
	bool is_float = dtype_info(dt)->is_float;
	char a[64] = "", b[64] = "", expr[512], ld[128], st[640];
	if (u->attr_a)
		cg_lit(dt, ir_attr_float(e->n, u->attr_a, u->def_a), a, sizeof a);
	if (u->attr_b)
		cg_lit(dt, ir_attr_float(e->n, u->attr_b, u->def_b), b, sizeof b);
	expand(is_float ? u->fexpr : u->iexpr, dt, a, b, expr, sizeof expr);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)ir_numel(x));
	out_line(e->o, "const %s x = %s;", cg_comp(dt), cg_load(dt, "x0[i]", ld, sizeof ld));
	out_line(e->o, "y0[i] = %s;", cg_store(dt, expr, st, sizeof st));
	out_line(e->o, "}");
	return 0;
}

#define UNARY(id) const OpDef opdef_##id = {infer, fold, emit, NULL, OPF_INPLACE}
UNARY(RELU);
UNARY(NEG);
UNARY(ABS);
UNARY(SQRT);
UNARY(EXP);
UNARY(LOG);
UNARY(RECIPROCAL);
UNARY(SIGMOID);
UNARY(TANH);
UNARY(LEAKYRELU);
UNARY(ELU);
UNARY(HARDSIGMOID);
UNARY(HARDSWISH);
