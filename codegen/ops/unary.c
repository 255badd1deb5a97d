/* unary.c - elementwise operators of one input: math, activations, predicates.
 *
 * Each op is a row of `unaries`: a C expression of `x` for floating types (the
 * `$fn(` spelling becomes fnf( for float and fn( for double), one for signed
 * integers (also used for bool) and one for unsigned integers where they differ,
 * the attribute names that `@a`/`@b` stand for, and host functions for constant
 * folding. A row may be chosen by a string attribute (Gelu's `approximate`).
 * The kernel is one flat loop, which gcc and clang vectorise.
 *
 * Template tokens: `@a`/`@b` the attributes as literals of the arithmetic type,
 * `@A`/`@B` as double literals, `@T` the storage type, `@U` the unsigned type
 * integer arithmetic wraps in (signed overflow is undefined in C).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef double (*HostF)(double x, double a, double b);
typedef int64_t (*HostI)(int64_t x, double a, double b, bool uns);

enum { K_FLOAT = 1, K_INT = 2, K_BOOL = 4 };

typedef struct Unary {
	OpKind op;
	const char *sattr, *sval; /* row applies when string attribute sattr is sval */
	unsigned kinds;           /* input kinds accepted */
	const char *fexpr;        /* floating types */
	const char *iexpr;        /* signed integers and bool */
	const char *uexpr;        /* unsigned integers; NULL: iexpr */
	const char *attr_a, *attr_b;
	double def_a, def_b;
	bool pred; /* output is bool */
	HostF hf;
	HostI hi;
} Unary;

#define UNUSED_AB (void)a, (void)b
static double h_relu(double x, double a, double b) { UNUSED_AB; return x > 0 ? x : 0; }
static double h_neg(double x, double a, double b) { UNUSED_AB; return -x; }
static double h_abs(double x, double a, double b) { UNUSED_AB; return fabs(x); }
static double h_sqrt(double x, double a, double b) { UNUSED_AB; return sqrt(x); }
static double h_exp(double x, double a, double b) { UNUSED_AB; return exp(x); }
static double h_log(double x, double a, double b) { UNUSED_AB; return log(x); }
static double h_recip(double x, double a, double b) { UNUSED_AB; return 1.0 / x; }
static double h_sigmoid(double x, double a, double b) { UNUSED_AB; return 1.0 / (1.0 + exp(-x)); }
static double h_tanh(double x, double a, double b) { UNUSED_AB; return tanh(x); }
static double h_leaky(double x, double a, double b) { (void)b; return x < 0 ? a * x : x; }
static double h_elu(double x, double a, double b) { (void)b; return x < 0 ? a * (exp(x) - 1) : x; }
static double h_hsig(double x, double a, double b) { return fmax(0, fmin(1, a * x + b)); }
static double h_hswish(double x, double a, double b)
{
	UNUSED_AB;
	return x * fmax(0, fmin(1, x / 6 + 0.5));
}
static double h_acos(double x, double a, double b) { UNUSED_AB; return acos(x); }
static double h_acosh(double x, double a, double b) { UNUSED_AB; return acosh(x); }
static double h_asin(double x, double a, double b) { UNUSED_AB; return asin(x); }
static double h_asinh(double x, double a, double b) { UNUSED_AB; return asinh(x); }
static double h_atan(double x, double a, double b) { UNUSED_AB; return atan(x); }
static double h_atanh(double x, double a, double b) { UNUSED_AB; return atanh(x); }
static double h_cos(double x, double a, double b) { UNUSED_AB; return cos(x); }
static double h_cosh(double x, double a, double b) { UNUSED_AB; return cosh(x); }
static double h_sin(double x, double a, double b) { UNUSED_AB; return sin(x); }
static double h_sinh(double x, double a, double b) { UNUSED_AB; return sinh(x); }
static double h_tan(double x, double a, double b) { UNUSED_AB; return tan(x); }
static double h_erf(double x, double a, double b) { UNUSED_AB; return erf(x); }
static double h_floor(double x, double a, double b) { UNUSED_AB; return floor(x); }
static double h_ceil(double x, double a, double b) { UNUSED_AB; return ceil(x); }
static double h_round(double x, double a, double b) { UNUSED_AB; return nearbyint(x); }
static double h_sign(double x, double a, double b) { UNUSED_AB; return x > 0 ? 1 : x < 0 ? -1 : x; }
static double h_isnan(double x, double a, double b) { UNUSED_AB; return isnan(x); }
static double h_isinf(double x, double a, double b)
{
	return (a != 0 && x == INFINITY) || (b != 0 && x == -INFINITY);
}
static double h_selu(double x, double a, double b) { return x <= 0 ? b * (a * exp(x) - a) : b * x; }
static double h_celu(double x, double a, double b)
{
	(void)b;
	return fmax(0, x) + fmin(0, a * (exp(x / a) - 1));
}
static double h_threlu(double x, double a, double b) { (void)b; return x > a ? x : 0; }
static double h_shrink(double x, double a, double b) { return x < -a ? x + b : x > a ? x - b : 0; }
static double h_softplus(double x, double a, double b)
{
	UNUSED_AB;
	return fmax(x, 0) + log1p(exp(-fabs(x)));
}
static double h_softsign(double x, double a, double b) { UNUSED_AB; return x / (1 + fabs(x)); }
static double h_mish(double x, double a, double b) { return x * tanh(h_softplus(x, a, b)); }
static double h_gelu(double x, double a, double b)
{
	UNUSED_AB;
	return 0.5 * x * (1 + erf(x * 0.70710678118654752440));
}
static double h_gelu_tanh(double x, double a, double b)
{
	UNUSED_AB;
	return 0.5 * x * (1 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
}
static double h_swish(double x, double a, double b) { (void)b; return x / (1 + exp(-a * x)); }

static int64_t i_relu(int64_t x, double a, double b, bool u) { UNUSED_AB; return u || x > 0 ? x : 0; }
static int64_t i_neg(int64_t x, double a, double b, bool u)
{
	UNUSED_AB, (void)u;
	return (int64_t)(0 - (uint64_t)x);
}
static int64_t i_abs(int64_t x, double a, double b, bool u) { return u || x >= 0 ? x : i_neg(x, a, b, u); }
static int64_t i_sign(int64_t x, double a, double b, bool u)
{
	UNUSED_AB;
	return u ? x != 0 : (x > 0) - (x < 0);
}
static int64_t i_not(int64_t x, double a, double b, bool u) { UNUSED_AB, (void)u; return !x; }
static int64_t i_bnot(int64_t x, double a, double b, bool u) { UNUSED_AB, (void)u; return ~x; }
static int64_t i_shrink(int64_t x, double a, double b, bool u)
{
	double v = u ? (double)(uint64_t)x : (double)x;
	int64_t bias = (int64_t)b;
	if (v < -a)
		return (int64_t)((uint64_t)x + (uint64_t)bias);
	if (v > a)
		return (int64_t)((uint64_t)x - (uint64_t)bias);
	return 0;
}

#define F K_FLOAT
#define FI (K_FLOAT | K_INT)
static const Unary unaries[] = {
	{OP_RELU, 0, 0, FI, "x > 0 ? x : 0", "x > 0 ? x : 0", 0, 0, 0, 0, 0, 0, h_relu, i_relu},
	{OP_NEG, 0, 0, FI, "-x", "(@T)(0 - (@U)x)", 0, 0, 0, 0, 0, 0, h_neg, i_neg},
	{OP_ABS, 0, 0, FI, "$fabs(x)", "x < 0 ? (@T)(0 - (@U)x) : x", "x", 0, 0, 0, 0, 0, h_abs,
	 i_abs},
	{OP_SQRT, 0, 0, F, "$sqrt(x)", 0, 0, 0, 0, 0, 0, 0, h_sqrt, 0},
	{OP_EXP, 0, 0, F, "$exp(x)", 0, 0, 0, 0, 0, 0, 0, h_exp, 0},
	{OP_LOG, 0, 0, F, "$log(x)", 0, 0, 0, 0, 0, 0, 0, h_log, 0},
	{OP_RECIPROCAL, 0, 0, F, "1 / x", 0, 0, 0, 0, 0, 0, 0, h_recip, 0},
	{OP_SIGMOID, 0, 0, F, "1 / (1 + $exp(-x))", 0, 0, 0, 0, 0, 0, 0, h_sigmoid, 0},
	{OP_TANH, 0, 0, F, "$tanh(x)", 0, 0, 0, 0, 0, 0, 0, h_tanh, 0},
	{OP_LEAKYRELU, 0, 0, F, "x < 0 ? @a * x : x", 0, 0, "alpha", 0, 0.01, 0, 0, h_leaky, 0},
	{OP_ELU, 0, 0, F, "x < 0 ? @a * ($exp(x) - 1) : x", 0, 0, "alpha", 0, 1.0, 0, 0, h_elu, 0},
	{OP_HARDSIGMOID, 0, 0, F, "$fmax(0, $fmin(1, @a * x + @b))", 0, 0, "alpha", "beta", 0.2,
	 0.5, 0, h_hsig, 0},
	{OP_HARDSWISH, 0, 0, F, "x * $fmax(0, $fmin(1, x / 6 + 0.5))", 0, 0, 0, 0, 0, 0, 0,
	 h_hswish, 0},
	{OP_ACOS, 0, 0, F, "$acos(x)", 0, 0, 0, 0, 0, 0, 0, h_acos, 0},
	{OP_ACOSH, 0, 0, F, "$acosh(x)", 0, 0, 0, 0, 0, 0, 0, h_acosh, 0},
	{OP_ASIN, 0, 0, F, "$asin(x)", 0, 0, 0, 0, 0, 0, 0, h_asin, 0},
	{OP_ASINH, 0, 0, F, "$asinh(x)", 0, 0, 0, 0, 0, 0, 0, h_asinh, 0},
	{OP_ATAN, 0, 0, F, "$atan(x)", 0, 0, 0, 0, 0, 0, 0, h_atan, 0},
	{OP_ATANH, 0, 0, F, "$atanh(x)", 0, 0, 0, 0, 0, 0, 0, h_atanh, 0},
	{OP_COS, 0, 0, F, "$cos(x)", 0, 0, 0, 0, 0, 0, 0, h_cos, 0},
	{OP_COSH, 0, 0, F, "$cosh(x)", 0, 0, 0, 0, 0, 0, 0, h_cosh, 0},
	{OP_SIN, 0, 0, F, "$sin(x)", 0, 0, 0, 0, 0, 0, 0, h_sin, 0},
	{OP_SINH, 0, 0, F, "$sinh(x)", 0, 0, 0, 0, 0, 0, 0, h_sinh, 0},
	{OP_TAN, 0, 0, F, "$tan(x)", 0, 0, 0, 0, 0, 0, 0, h_tan, 0},
	{OP_ERF, 0, 0, F, "$erf(x)", 0, 0, 0, 0, 0, 0, 0, h_erf, 0},
	{OP_FLOOR, 0, 0, F, "$floor(x)", 0, 0, 0, 0, 0, 0, 0, h_floor, 0},
	{OP_CEIL, 0, 0, F, "$ceil(x)", 0, 0, 0, 0, 0, 0, 0, h_ceil, 0},
	{OP_ROUND, 0, 0, F, "$nearbyint(x)", 0, 0, 0, 0, 0, 0, 0, h_round, 0},
	{OP_SIGN, 0, 0, FI, "x > 0 ? 1 : x < 0 ? -1 : x", "(x > 0) - (x < 0)", "x != 0", 0, 0, 0,
	 0, 0, h_sign, i_sign},
	{OP_ISNAN, 0, 0, F, "x != x", 0, 0, 0, 0, 0, 0, 1, h_isnan, 0},
	{OP_ISINF, 0, 0, F, "(@A != 0 && x == INFINITY) || (@B != 0 && x == -INFINITY)", 0, 0,
	 "detect_positive", "detect_negative", 1, 1, 1, h_isinf, 0},
	{OP_NOT, 0, 0, K_BOOL, 0, "!x", 0, 0, 0, 0, 0, 0, 0, i_not},
	{OP_BITWISENOT, 0, 0, K_INT, 0, "(@T)~x", 0, 0, 0, 0, 0, 0, 0, i_bnot},
	{OP_SELU, 0, 0, F, "x <= 0 ? @b * (@a * $exp(x) - @a) : @b * x", 0, 0, "alpha", "gamma",
	 1.67326319217681884765625, 1.05070102214813232421875, 0, h_selu, 0},
	{OP_CELU, 0, 0, F, "$fmax(0, x) + $fmin(0, @a * ($exp(x / @a) - 1))", 0, 0, "alpha", 0,
	 1.0, 0, 0, h_celu, 0},
	{OP_THRESHOLDEDRELU, 0, 0, F, "x > @a ? x : 0", 0, 0, "alpha", 0, 1.0, 0, 0, h_threlu, 0},
	{OP_SHRINK, 0, 0, FI, "x < -@a ? x + @b : x > @a ? x - @b : 0",
	 "(double)x < -@A ? (@T)((@U)x + (@U)@b) : (double)x > @A ? (@T)((@U)x - (@U)@b) : 0", 0,
	 "lambd", "bias", 0.5, 0, 0, h_shrink, i_shrink},
	{OP_SOFTPLUS, 0, 0, F, "$fmax(x, 0) + $log1p($exp(-$fabs(x)))", 0, 0, 0, 0, 0, 0, 0,
	 h_softplus, 0},
	{OP_SOFTSIGN, 0, 0, F, "x / (1 + $fabs(x))", 0, 0, 0, 0, 0, 0, 0, h_softsign, 0},
	{OP_MISH, 0, 0, F, "x * $tanh($fmax(x, 0) + $log1p($exp(-$fabs(x))))", 0, 0, 0, 0, 0, 0,
	 0, h_mish, 0},
	{OP_GELU, "approximate", "none", F, "0.5 * x * (1 + $erf(x * 0.70710678118654752440))", 0,
	 0, 0, 0, 0, 0, 0, h_gelu, 0},
	{OP_GELU, "approximate", "tanh", F,
	 "0.5 * x * (1 + $tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)))", 0, 0, 0, 0,
	 0, 0, 0, h_gelu_tanh, 0},
	{OP_SWISH, 0, 0, F, "x / (1 + $exp(-@a * x))", 0, 0, "alpha", 0, 1.0, 0, 0, h_swish, 0},
};
#undef F
#undef FI

/* The row of n's op (and string attribute); NULL if the attribute has no row. */
static const Unary *find(const Node *n)
{
	for (size_t i = 0; i < sizeof unaries / sizeof unaries[0]; i++) {
		const Unary *u = &unaries[i];
		if (u->op != n->op)
			continue;
		if (!u->sattr || strcmp(ir_attr_str(n, u->sattr, "none"), u->sval) == 0)
			return u;
	}
	return NULL;
}

static unsigned kind_of(DType dt)
{
	const DTypeInfo *t = dtype_info(dt);
	if (dt == DT_BOOL)
		return K_BOOL;
	if (t->is_int)
		return K_INT;
	if (dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16 || dt == DT_BFLOAT16)
		return K_FLOAT;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Unary *u = find(n);
	if (!u)
		return ir_node_error(d, g, n, "attribute approximate is '%s', expected 'none' or 'tanh'",
				     ir_attr_str(n, "approximate", ""));
	if (op_check_arity(g, n, 1, 1, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (!(kind_of(x->dtype) & u->kinds))
		return ir_node_error(d, g, n, "input '%s' has element type %s, which this operator "
				     "does not support", x->name, dtype_name(x->dtype));
	op_set_out(g, n, 0, u->pred ? DT_BOOL : x->dtype, &x->shape);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Unary *u = find(n);
	const Value *x = op_in(g, n, 0);
	DType dt = x->dtype, ot = op_outv(g, n, 0)->dtype;
	double a = u->attr_a ? ir_attr_float(n, u->attr_a, u->def_a) : 0;
	double b = u->attr_b ? ir_attr_float(n, u->attr_b, u->def_b) : 0;
	void *y = op_alloc_const(g, n, 0);
	int64_t cnt = ir_numel(x);
	bool is_float = kind_of(dt) == K_FLOAT, uns = !dtype_info(dt)->is_signed;
	for (int64_t i = 0; i < cnt; i++) {
		if (is_float)
			dtype_set_f64(ot, y, i, u->hf(dtype_get_f64(dt, x->data, i), a, b));
		else
			dtype_set_i64(ot, y, i, u->hi(dtype_get_i64(dt, x->data, i), a, b, uns));
	}
	return 0;
}

/* A literal for template substitution: parenthesised when negative. */
static void literal(char *buf, size_t n, const char *lit)
{
	snprintf(buf, n, lit[0] == '-' ? "(%s)" : "%s", lit);
}

/* Expands the tokens of template t (see the file comment) into C for dtype dt;
   decimal literals get an f suffix in float code so nothing is computed in double
   by accident. */
static void expand(const char *t, DType dt, const char *const sub[4], char *buf, size_t n)
{
	bool dbl = strcmp(cg_comp(dt), "double") == 0;
	const char *uw = dtype_info(dt)->size == 8 ? "uint64_t" : "uint32_t";
	size_t k = 0;
	while (*t && k + 64 < n) {
		if (*t == '$') {
			t++;
			while (*t && *t != '(' && k + 1 < n)
				buf[k++] = *t++;
			if (!dbl)
				buf[k++] = 'f';
		} else if (*t == '@') {
			const char *s = strchr("abAB", t[1]) ? sub[strchr("abAB", t[1]) - "abAB"]
				      : t[1] == 'T' ? cg_ctype(dt) : uw;
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

static const char *pick_expr(const Unary *u, DType dt)
{
	if (kind_of(dt) == K_FLOAT)
		return u->fexpr;
	if (!dtype_info(dt)->is_signed && u->uexpr)
		return u->uexpr;
	return u->iexpr;
}

static int emit(Emit *e)
{
	const Unary *u = find(e->n);
	const Value *x = op_in(e->g, e->n, 0);
	DType dt = x->dtype, ot = op_outv(e->g, e->n, 0)->dtype;
	char lit[4][64] = {"", "", "", ""}, tmp[64], expr[1024], ld[128], st[1200];
	const char *sub[4] = {lit[0], lit[1], lit[2], lit[3]};
	const char *names[2] = {u->attr_a, u->attr_b};
	const double defs[2] = {u->def_a, u->def_b};
	for (int k = 0; k < 2; k++) {
		if (!names[k])
			continue;
		double v = ir_attr_float(e->n, names[k], defs[k]);
		literal(lit[k], sizeof lit[k], cg_lit(dt, v, tmp, sizeof tmp));
		literal(lit[k + 2], sizeof lit[k + 2], cg_lit(DT_DOUBLE, v, tmp, sizeof tmp));
	}
	expand(pick_expr(u, dt), dt, sub, expr, sizeof expr);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)ir_numel(x));
	out_line(e->o, "const %s x = %s;", cg_comp(dt), cg_load(dt, "x0[i]", ld, sizeof ld));
	out_line(e->o, "y0[i] = %s;", cg_store(ot, expr, st, sizeof st));
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
UNARY(ACOS);
UNARY(ACOSH);
UNARY(ASIN);
UNARY(ASINH);
UNARY(ATAN);
UNARY(ATANH);
UNARY(COS);
UNARY(COSH);
UNARY(SIN);
UNARY(SINH);
UNARY(TAN);
UNARY(ERF);
UNARY(FLOOR);
UNARY(CEIL);
UNARY(ROUND);
UNARY(SIGN);
UNARY(ISNAN);
UNARY(ISINF);
UNARY(NOT);
UNARY(BITWISENOT);
UNARY(SELU);
UNARY(CELU);
UNARY(THRESHOLDEDRELU);
UNARY(SHRINK);
UNARY(SOFTPLUS);
UNARY(SOFTSIGN);
UNARY(MISH);
UNARY(GELU);
UNARY(SWISH);
