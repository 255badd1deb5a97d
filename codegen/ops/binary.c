/* binary.c - elementwise operators of two or more inputs, with numpy broadcasting.
 *
 * One row per op: the C combining `a` and `b` for floats and for integers, and the
 * host versions for folding. Variadic ops (Sum, Mean, Max, Min) combine their
 * inputs left to right. Signed integer arithmetic is done in unsigned types so
 * overflow wraps instead of being undefined, and integer division by zero gives 0.
 *
 * The kernel is a flat loop when every input is either full-size or a scalar, and
 * otherwise a loop nest over the output with one index expression per input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef struct Binary {
	OpKind op;
	const char *fexpr; /* of a, b in the arithmetic type */
	const char *iexpr; /* @U: unsigned type of the same width or wider */
	bool variadic;
	double (*hf)(double a, double b);
	int64_t (*hi)(int64_t a, int64_t b);
} Binary;

static double f_add(double a, double b) { return a + b; }
static double f_sub(double a, double b) { return a - b; }
static double f_mul(double a, double b) { return a * b; }
static double f_div(double a, double b) { return a / b; }
static double f_pow(double a, double b) { return pow(a, b); }
static double f_prelu(double a, double b) { return a < 0 ? a * b : a; }
static double f_max(double a, double b) { return isnan(a) || a > b ? a : b; }
static double f_min(double a, double b) { return isnan(a) || a < b ? a : b; }
static int64_t i_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t i_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t i_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t i_div(int64_t a, int64_t b)
{
	return b == 0 ? 0 : b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
}
static int64_t i_pow(int64_t a, int64_t b) { return (int64_t)pow((double)a, (double)b); }
static int64_t i_prelu(int64_t a, int64_t b) { return a < 0 ? a * b : a; }
static int64_t i_max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t i_min(int64_t a, int64_t b) { return a < b ? a : b; }

static const Binary binaries[] = {
	{OP_ADD, "a + b", "(@U)a + (@U)b", false, f_add, i_add},
	{OP_SUB, "a - b", "(@U)a - (@U)b", false, f_sub, i_sub},
	{OP_MUL, "a * b", "(@U)a * (@U)b", false, f_mul, i_mul},
	{OP_DIV, "a / b", NULL, false, f_div, i_div},
	{OP_POW, "$pow(a, b)", "pow((double)a, (double)b)", false, f_pow, i_pow},
	{OP_PRELU, "a < 0 ? a * b : a", "a < 0 ? a * b : a", false, f_prelu, i_prelu},
	{OP_SUM, "a + b", "(@U)a + (@U)b", true, f_add, i_add},
	{OP_MEAN, "a + b", "(@U)a + (@U)b", true, f_add, i_add},
	{OP_MAX, "(a != a || a > b) ? a : b", "a > b ? a : b", true, f_max, i_max},
	{OP_MIN, "(a != a || a < b) ? a : b", "a < b ? a : b", true, f_min, i_min},
};

static const Binary *find(OpKind op)
{
	for (size_t i = 0; i < sizeof binaries / sizeof binaries[0]; i++)
		if (binaries[i].op == op)
			return &binaries[i];
	return NULL;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Binary *b = find(n->op);
	if (op_check_arity(g, n, b->variadic ? 1 : 2, b->variadic ? -1 : 2, n->ninputs, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	if (op_check_dtype(g, n, 0, op_numeric_types, d) < 0)
		return -1;
	Shape s = op_in(g, n, 0)->shape;
	for (int k = 1; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (n->op != OP_POW && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but input 0 is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
		if (n->op == OP_POW && op_check_dtype(g, n, k, op_numeric_types, d) < 0)
			return -1;
		if (shape_broadcast(&s, &v->shape, &s) < 0) {
			char s1[128], s2[128];
			return ir_node_error(d, g, n, "shapes %s and %s do not broadcast",
					     shape_str(&op_in(g, n, 0)->shape, s1, sizeof s1),
					     shape_str(&v->shape, s2, sizeof s2));
		}
	}
	if (n->op == OP_PRELU && !shape_equal(&s, &op_in(g, n, 0)->shape))
		return ir_node_error(d, g, n, "slope does not broadcast to the shape of X");
	op_set_out(g, n, 0, dt, &s);
	return 0;
}

/* Flat index of output element `i` in input v (numpy broadcasting). */
static int64_t bcast_offset(const Shape *in, const Shape *out, int64_t i)
{
	int64_t off = 0, st = 1;
	for (int d = out->rank - 1; d >= 0; d--) {
		int64_t idx = i % out->dims[d];
		i /= out->dims[d];
		int k = d - (out->rank - in->rank);
		if (k >= 0) {
			if (in->dims[k] != 1)
				off += idx * st;
			st *= in->dims[k];
		}
	}
	return off;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Binary *b = find(n->op);
	const Value *y = op_outv(g, n, 0);
	DType dt = y->dtype;
	bool fl = dtype_info(dt)->is_float;
	void *out = op_alloc_const(g, n, 0);
	int64_t cnt = ir_numel(y);
	for (int64_t i = 0; i < cnt; i++) {
		const Value *x0 = op_in(g, n, 0);
		int64_t o0 = bcast_offset(&x0->shape, &y->shape, i);
		double af = fl ? dtype_get_f64(dt, x0->data, o0) : 0;
		int64_t ai = fl ? 0 : dtype_get_i64(dt, x0->data, o0);
		for (int k = 1; k < n->ninputs; k++) {
			const Value *x = op_in(g, n, k);
			int64_t o = bcast_offset(&x->shape, &y->shape, i);
			if (fl)
				af = b->hf(af, dtype_get_f64(x->dtype, x->data, o));
			else if (dtype_info(x->dtype)->is_float)
				ai = (int64_t)b->hf((double)ai, dtype_get_f64(x->dtype, x->data, o));
			else
				ai = b->hi(ai, dtype_get_i64(x->dtype, x->data, o));
		}
		if (n->op == OP_MEAN) {
			af /= n->ninputs;
			ai /= n->ninputs;
		}
		if (fl)
			dtype_set_f64(dt, out, i, af);
		else
			dtype_set_i64(dt, out, i, ai);
	}
	return 0;
}

static void subst_u(const char *t, DType dt, char *buf, size_t n)
{
	const char *u = dtype_info(dt)->size == 8 ? "uint64_t" : "uint32_t";
	size_t k = 0;
	bool dbl = strcmp(cg_comp(dt), "double") == 0;
	while (*t && k + 16 < n) {
		if (t[0] == '@' && t[1] == 'U') {
			k += (size_t)snprintf(buf + k, n - k, "%s", u);
			t += 2;
		} else if (*t == '$') {
			t++;
			while (*t && *t != '(')
				buf[k++] = *t++;
			if (!dbl)
				buf[k++] = 'f';
		} else {
			buf[k++] = *t++;
		}
	}
	buf[k] = 0;
}

/* The integer division expression, guarded against /0 and INT_MIN / -1. */
static void int_div(DType dt, char *buf, size_t n)
{
	if (dtype_info(dt)->is_signed)
		snprintf(buf, n, "b == 0 ? 0 : b == -1 ? (%s)(0 - (%s)a) : a / b", cg_ctype(dt),
			 dtype_info(dt)->size == 8 ? "uint64_t" : "uint32_t");
	else
		snprintf(buf, n, "b == 0 ? 0 : a / b");
}

static int emit(Emit *e)
{
	const Binary *b = find(e->n->op);
	const Node *n = e->n;
	const Value *y = op_outv(e->g, n, 0);
	DType dt = y->dtype;
	bool fl = dtype_info(dt)->is_float;
	const char *comp = cg_comp(dt);
	char expr[256], idx[256], ld[320], st[320];
	if (fl)
		subst_u(b->fexpr, dt, expr, sizeof expr);
	else if (n->op == OP_DIV)
		int_div(dt, expr, sizeof expr);
	else
		subst_u(b->iexpr, dt, expr, sizeof expr);
	int64_t total = ir_numel(y);
	bool flat = true;
	for (int k = 0; k < n->ninputs; k++) {
		int64_t c = ir_numel(op_in(e->g, n, k));
		flat &= c == total || c == 1;
	}
	int loops = 0;
	if (flat) {
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)total);
	} else {
		out_line(e->o, "int64_t i = 0;");
		loops = cg_loops(e->o, &y->shape, "i");
	}
	for (int k = 0; k < n->ninputs; k++) {
		const Value *x = op_in(e->g, n, k);
		char ref[300];
		if (flat)
			snprintf(ref, sizeof ref, "%s[%s]", e->in[k], ir_numel(x) == 1 ? "0" : "i");
		else
			snprintf(ref, sizeof ref, "%s[%s]", e->in[k],
				 cg_bcast_index(&x->shape, &y->shape, "i", idx, sizeof idx));
		cg_load(x->dtype, ref, ld, sizeof ld);
		if (k == 0)
			out_line(e->o, "%s acc = %s;", comp, ld);
		else
			out_line(e->o, "{ const %s a = acc, b = (%s)%s; acc = (%s)(%s); }", comp, comp, ld,
				 comp, expr);
	}
	if (n->op == OP_MEAN)
		out_line(e->o, "acc = (%s)(acc / %d);", comp, n->ninputs);
	out_line(e->o, "y0[i] = %s;", cg_store(dt, "acc", st, sizeof st));
	if (!flat)
		out_line(e->o, "i++;");
	cg_close(e->o, loops);
	if (flat)
		out_line(e->o, "}");
	return 0;
}

#define BINARY(id, fl) const OpDef opdef_##id = {infer, fold, emit, NULL, fl}
BINARY(ADD, OPF_INPLACE);
BINARY(SUB, OPF_INPLACE);
BINARY(MUL, OPF_INPLACE);
BINARY(DIV, OPF_INPLACE);
BINARY(POW, OPF_INPLACE);
BINARY(PRELU, OPF_INPLACE);
BINARY(SUM, OPF_INPLACE);
BINARY(MEAN, OPF_INPLACE);
BINARY(MAX, OPF_INPLACE);
BINARY(MIN, OPF_INPLACE);
