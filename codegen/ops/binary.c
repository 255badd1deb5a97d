/* binary.c - elementwise operators of two or more inputs, with numpy broadcasting.
 *
 * One row per op (or per value of the attribute that changes its formula: Mod's
 * fmod, BitShift's direction): the C combining `a` and `b` for floats, signed
 * integers (and bool) and unsigned integers, the input kinds it accepts, whether
 * it yields bool, and host versions for folding. Variadic ops (Sum, Mean, Max,
 * Min) combine their inputs left to right. Signed integer arithmetic is done in
 * unsigned types so overflow wraps instead of being undefined; integer division
 * and modulo by zero give 0 and shifts past the width give 0.
 *
 * Pow is the one op whose inputs may differ in type: the exponent keeps its own
 * type, integer powers are exact and wrap (rt_ipow), and a float power of an
 * integer base is computed in double and converted with saturation to 64 bits
 * (then wraps into narrower types, like a C cast).
 *
 * The kernel is a flat loop when every input is either full-size or a scalar, and
 * otherwise a loop nest over the output with one index expression per input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

enum { K_FLOAT = 1, K_INT = 2, K_BOOL = 4, K_STRING = 8 };

typedef double (*HostF)(double a, double b);
typedef int64_t (*HostI)(int64_t a, int64_t b, bool uns);

typedef struct Binary {
	OpKind op;
	const char *vattr, *vval; /* row applies when attribute vattr reads vval */
	unsigned kinds;
	const char *fexpr; /* of a, b in the arithmetic type; @U: the unsigned type */
	const char *iexpr; /* signed integers and bool */
	const char *uexpr; /* unsigned integers; NULL: iexpr */
	bool variadic;
	bool pred; /* output is bool */
	HostF hf;
	HostI hi;
} Binary;

static double f_add(double a, double b) { return a + b; }
static double f_sub(double a, double b) { return a - b; }
static double f_mul(double a, double b) { return a * b; }
static double f_div(double a, double b) { return a / b; }
static double f_pow(double a, double b) { return pow(a, b); }
static double f_prelu(double a, double b) { return a < 0 ? a * b : a; }
static double f_max(double a, double b) { return isnan(a) || a > b ? a : b; }
static double f_min(double a, double b) { return isnan(a) || a < b ? a : b; }
static double f_fmod(double a, double b) { return fmod(a, b); }
static double f_pymod(double a, double b)
{
	double r = fmod(a, b);
	return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}
static double f_eq(double a, double b) { return a == b; }
static double f_gt(double a, double b) { return a > b; }
static double f_ge(double a, double b) { return a >= b; }
static double f_lt(double a, double b) { return a < b; }
static double f_le(double a, double b) { return a <= b; }

#define UNS (void)uns
static int64_t i_add(int64_t a, int64_t b, bool uns)
{
	UNS;
	return (int64_t)((uint64_t)a + (uint64_t)b);
}
static int64_t i_sub(int64_t a, int64_t b, bool uns)
{
	UNS;
	return (int64_t)((uint64_t)a - (uint64_t)b);
}
static int64_t i_mul(int64_t a, int64_t b, bool uns)
{
	UNS;
	return (int64_t)((uint64_t)a * (uint64_t)b);
}
static int64_t i_div(int64_t a, int64_t b, bool uns)
{
	if (b == 0)
		return 0;
	if (uns)
		return (int64_t)((uint64_t)a / (uint64_t)b);
	return b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
}
static int64_t i_pow(int64_t a, int64_t b, bool uns)
{
	uint64_t r = 1, x = (uint64_t)a;
	if (!uns && b < 0)
		return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
	for (uint64_t e = (uint64_t)b; e; e >>= 1) {
		if (e & 1)
			r *= x;
		x *= x;
	}
	return (int64_t)r;
}
static int64_t i_prelu(int64_t a, int64_t b, bool uns)
{
	return !uns && a < 0 ? i_mul(a, b, uns) : a;
}
static bool i_less(int64_t a, int64_t b, bool uns)
{
	return uns ? (uint64_t)a < (uint64_t)b : a < b;
}
static int64_t i_max(int64_t a, int64_t b, bool uns) { return i_less(a, b, uns) ? b : a; }
static int64_t i_min(int64_t a, int64_t b, bool uns) { return i_less(b, a, uns) ? b : a; }
static int64_t i_cmod(int64_t a, int64_t b, bool uns)
{
	if (b == 0)
		return 0;
	if (uns)
		return (int64_t)((uint64_t)a % (uint64_t)b);
	return b == -1 ? 0 : a % b;
}
static int64_t i_pymod(int64_t a, int64_t b, bool uns)
{
	int64_t r = i_cmod(a, b, uns);
	return !uns && r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}
static int64_t i_shl(int64_t a, int64_t b, bool uns)
{
	UNS;
	return (uint64_t)b >= 64 ? 0 : (int64_t)((uint64_t)a << b);
}
static int64_t i_shr(int64_t a, int64_t b, bool uns)
{
	UNS;
	return (uint64_t)b >= 64 ? 0 : (int64_t)((uint64_t)a >> b);
}
static int64_t i_and(int64_t a, int64_t b, bool uns) { UNS; return a & b; }
static int64_t i_or(int64_t a, int64_t b, bool uns) { UNS; return a | b; }
static int64_t i_xor(int64_t a, int64_t b, bool uns) { UNS; return a ^ b; }
static int64_t i_land(int64_t a, int64_t b, bool uns) { UNS; return a && b; }
static int64_t i_lor(int64_t a, int64_t b, bool uns) { UNS; return a || b; }
static int64_t i_lxor(int64_t a, int64_t b, bool uns) { UNS; return !a != !b; }
static int64_t i_eq(int64_t a, int64_t b, bool uns) { UNS; return a == b; }
static int64_t i_gt(int64_t a, int64_t b, bool uns) { return i_less(b, a, uns); }
static int64_t i_ge(int64_t a, int64_t b, bool uns) { return !i_less(a, b, uns); }
static int64_t i_lt(int64_t a, int64_t b, bool uns) { return i_less(a, b, uns); }
static int64_t i_le(int64_t a, int64_t b, bool uns) { return !i_less(b, a, uns); }

#define NUM (K_FLOAT | K_INT)
#define ALL (K_FLOAT | K_INT | K_BOOL)
static const Binary binaries[] = {
	{OP_ADD, 0, 0, NUM, "a + b", "(@U)a + (@U)b", 0, false, false, f_add, i_add},
	{OP_SUB, 0, 0, NUM, "a - b", "(@U)a - (@U)b", 0, false, false, f_sub, i_sub},
	{OP_MUL, 0, 0, NUM, "a * b", "(@U)a * (@U)b", 0, false, false, f_mul, i_mul},
	{OP_DIV, 0, 0, NUM, "a / b", "b == 0 ? 0 : b == -1 ? (@T)(0 - (@U)a) : a / b",
	 "b == 0 ? 0 : a / b", false, false, f_div, i_div},
	{OP_POW, 0, 0, NUM, NULL, NULL, NULL, false, false, f_pow, i_pow},
	{OP_PRELU, 0, 0, NUM, "a < 0 ? a * b : a", "a < 0 ? (@T)((@U)a * (@U)b) : a",
	 "((void)b, a)", false, false, f_prelu, i_prelu},
	{OP_SUM, 0, 0, NUM, "a + b", "(@U)a + (@U)b", 0, true, false, f_add, i_add},
	{OP_MEAN, 0, 0, NUM, "a + b", "(@U)a + (@U)b", 0, true, false, f_add, i_add},
	{OP_MAX, 0, 0, NUM, "(a != a || a > b) ? a : b", "a > b ? a : b", 0, true, false, f_max,
	 i_max},
	{OP_MIN, 0, 0, NUM, "(a != a || a < b) ? a : b", "a < b ? a : b", 0, true, false, f_min,
	 i_min},
	{OP_MOD, "fmod", "0", NUM, "rt_pymod$(a, b)", "rt_pymod(a, b)", "b == 0 ? 0 : a % b",
	 false, false, f_pymod, i_pymod},
	{OP_MOD, "fmod", "1", NUM, "$fmod(a, b)", "rt_cmod(a, b)", "b == 0 ? 0 : a % b", false,
	 false, f_fmod, i_cmod},
	{OP_BITSHIFT, "direction", "LEFT", K_INT, NULL, NULL, "b >= @W ? 0 : (@U)a << b", false,
	 false, NULL, i_shl},
	{OP_BITSHIFT, "direction", "RIGHT", K_INT, NULL, NULL, "b >= @W ? 0 : a >> b", false,
	 false, NULL, i_shr},
	{OP_AND, 0, 0, K_BOOL, NULL, "a && b", 0, false, true, NULL, i_land},
	{OP_OR, 0, 0, K_BOOL, NULL, "a || b", 0, false, true, NULL, i_lor},
	{OP_XOR, 0, 0, K_BOOL, NULL, "!a != !b", 0, false, true, NULL, i_lxor},
	{OP_BITWISEAND, 0, 0, K_INT, NULL, "a & b", 0, false, false, NULL, i_and},
	{OP_BITWISEOR, 0, 0, K_INT, NULL, "a | b", 0, false, false, NULL, i_or},
	{OP_BITWISEXOR, 0, 0, K_INT, NULL, "a ^ b", 0, false, false, NULL, i_xor},
	{OP_EQUAL, 0, 0, ALL | K_STRING, "a == b", "a == b", 0, false, true, f_eq, i_eq},
	{OP_GREATER, 0, 0, NUM, "a > b", "a > b", 0, false, true, f_gt, i_gt},
	{OP_GREATEROREQUAL, 0, 0, NUM, "a >= b", "a >= b", 0, false, true, f_ge, i_ge},
	{OP_LESS, 0, 0, NUM, "a < b", "a < b", 0, false, true, f_lt, i_lt},
	{OP_LESSOREQUAL, 0, 0, NUM, "a <= b", "a <= b", 0, false, true, f_le, i_le},
};
#undef NUM
#undef ALL

/* The attribute value a row is keyed on, as text. */
static const char *attr_text(const Node *n, const char *name, char *buf, size_t len)
{
	const Attr *a = ir_attr(n, name);
	if (a && a->type == AT_STRING)
		return a->s;
	snprintf(buf, len, "%lld", (long long)ir_attr_int(n, name, 0));
	return buf;
}

static const Binary *find(const Node *n)
{
	char buf[32];
	for (size_t i = 0; i < sizeof binaries / sizeof binaries[0]; i++) {
		const Binary *b = &binaries[i];
		if (b->op == n->op && (!b->vattr || strcmp(attr_text(n, b->vattr, buf, sizeof buf),
							   b->vval) == 0))
			return b;
	}
	return NULL;
}

static unsigned kind_of(DType dt)
{
	if (dt == DT_BOOL)
		return K_BOOL;
	if (dt == DT_STRING)
		return K_STRING;
	if (dtype_info(dt)->is_int)
		return K_INT;
	if (dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16 || dt == DT_BFLOAT16)
		return K_FLOAT;
	return 0;
}

static const char *pick_expr(const Binary *b, DType dt)
{
	unsigned kind = kind_of(dt);
	if (kind == K_FLOAT)
		return b->fexpr;
	if (kind == K_INT && !dtype_info(dt)->is_signed && b->uexpr)
		return b->uexpr;
	return b->iexpr;
}

static int check_type(const Graph *g, const Node *n, const Binary *b, int k, Diag *d)
{
	const Value *v = op_in(g, n, k);
	unsigned kind = kind_of(v->dtype);
	bool ok = (kind & b->kinds) != 0;
	if (n->op != OP_POW && kind != K_STRING && !pick_expr(b, v->dtype))
		ok = false;
	if (!ok)
		return ir_node_error(d, g, n, "input '%s' has element type %s, which this operator "
				     "does not support", v->name, dtype_name(v->dtype));
	return 0;
}

/* Input k's shape as broadcasting sees it. Before opset 7, B with broadcast=1 and
   an axis lines its dims up with A's from that axis on: trailing 1s are appended,
   which leaves its row-major layout unchanged. */
static Shape in_shape(const Graph *g, const Node *n, int k)
{
	Shape s = op_in(g, n, k)->shape;
	int ra = op_in(g, n, 0)->shape.rank;
	/* PRelu before opset 7: a slope of C values is per channel (dim 1), not numpy's */
	if (n->op == OP_PRELU && n->opset < 7 && k == 1 && s.rank == 1 && s.dims[0] != 1 &&
	    ra >= 2 && s.dims[0] == op_in(g, n, 0)->shape.dims[1]) {
		while (s.rank < ra - 1)
			s.dims[s.rank++] = 1;
		return s;
	}
	if (k != 1 || n->opset >= 7 || !ir_attr_int(n, "broadcast", 0) || !ir_attr(n, "axis"))
		return s;
	int64_t axis = ir_attr_int(n, "axis", 0);
	axis = axis < 0 ? axis + ra : axis;
	while (s.rank < ra - axis && s.rank < CNNC_MAX_RANK)
		s.dims[s.rank++] = 1;
	return s;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	const Binary *b = find(n);
	if (!b) {
		char buf[32];
		const char *key = n->op == OP_MOD ? "fmod" : "direction";
		return ir_node_error(d, g, n, "attribute %s is '%s', which this operator does not "
				     "define", key, attr_text(n, key, buf, sizeof buf));
	}
	if (op_check_arity(g, n, b->variadic ? 1 : 2, b->variadic ? -1 : 2, n->ninputs, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	Shape s = op_in(g, n, 0)->shape;
	if (n->ninputs == 2 && n->opset < 7 && ir_attr_int(n, "broadcast", 0) && ir_attr(n, "axis")) {
		int64_t axis = ir_attr_int(n, "axis", 0), rb = op_in(g, n, 1)->shape.rank;
		axis = axis < 0 ? axis + s.rank : axis;
		if (axis < 0 || axis + rb > s.rank)
			return ir_node_error(d, g, n, "axis %lld does not place B of rank %lld inside A "
					     "of rank %d", (long long)ir_attr_int(n, "axis", 0),
					     (long long)rb, s.rank);
	}
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (check_type(g, n, b, k, d) < 0)
			return -1;
		if (n->op != OP_POW && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but input 0 is %s", v->name,
					     dtype_name(v->dtype), dtype_name(dt));
		Shape vs = in_shape(g, n, k);
		if (shape_broadcast(&s, &vs, &s) < 0) {
			char s1[128], s2[128];
			return ir_node_error(d, g, n, "shapes %s and %s do not broadcast",
					     shape_str(&op_in(g, n, 0)->shape, s1, sizeof s1),
					     shape_str(&vs, s2, sizeof s2));
		}
	}
	if (n->op == OP_PRELU && !shape_equal(&s, &op_in(g, n, 0)->shape))
		return ir_node_error(d, g, n, "slope does not broadcast to the shape of X");
	op_set_out(g, n, 0, b->pred ? DT_BOOL : dt, &s);
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

/* Pow of an integer base: exact for an integer exponent, saturating for a float one. */
static int64_t fold_ipow(DType bt, int64_t a, const Value *e, int64_t o)
{
	bool uns = !dtype_info(bt)->is_signed;
	if (kind_of(e->dtype) == K_INT)
		return i_pow(a, dtype_get_i64(e->dtype, e->data, o), uns);
	double r = pow(uns ? (double)(uint64_t)a : (double)a, dtype_get_f64(e->dtype, e->data, o));
	return r != r ? 0 : r >= 9.2e18 ? INT64_MAX : r <= -9.2e18 ? INT64_MIN : (int64_t)r;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	const Binary *b = find(n);
	const Value *y = op_outv(g, n, 0), *x0 = op_in(g, n, 0);
	DType dt = x0->dtype, ot = y->dtype;
	unsigned kind = kind_of(dt);
	bool uns = !dtype_info(dt)->is_signed;
	void *out = op_alloc_const(g, n, 0);
	int64_t cnt = ir_numel(y);
	Shape *shapes = arena_alloc(g->arena, (size_t)n->ninputs * sizeof *shapes);
	if (!shapes)
		return ir_node_error(d, g, n, "out of memory");
	for (int k = 0; k < n->ninputs; k++)
		shapes[k] = in_shape(g, n, k);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o0 = bcast_offset(&shapes[0], &y->shape, i);
		if (kind == K_STRING) {
			const Value *x1 = op_in(g, n, 1);
			int64_t o1 = bcast_offset(&shapes[1], &y->shape, i);
			const char *s0 = ((const char *const *)x0->data)[o0];
			const char *s1 = ((const char *const *)x1->data)[o1];
			dtype_set_i64(ot, out, i, strcmp(s0, s1) == 0);
			continue;
		}
		double af = kind == K_FLOAT ? dtype_get_f64(dt, x0->data, o0) : 0;
		int64_t ai = kind == K_FLOAT ? 0 : dtype_get_i64(dt, x0->data, o0);
		for (int k = 1; k < n->ninputs; k++) {
			const Value *x = op_in(g, n, k);
			int64_t o = bcast_offset(&shapes[k], &y->shape, i);
			if (kind == K_FLOAT)
				af = b->hf(af, dtype_get_f64(x->dtype, x->data, o));
			else if (n->op == OP_POW)
				ai = fold_ipow(dt, ai, x, o);
			else
				ai = b->hi(ai, dtype_get_i64(x->dtype, x->data, o), uns);
		}
		if (n->op == OP_MEAN) {
			af /= n->ninputs;
			ai = uns ? (int64_t)((uint64_t)ai / (uint64_t)n->ninputs) : ai / n->ninputs;
		}
		if (kind == K_FLOAT)
			dtype_set_f64(ot, out, i, af);
		else
			dtype_set_i64(ot, out, i, ai);
	}
	return 0;
}

/* Expands a template for dtype dt: @U the unsigned type arithmetic wraps in, @T the
   storage type, @W the width in bits, `$fn(` fnf( or fn( and `rt_pymod$(`
   rt_pymodf( or rt_pymodd(. */
static void expand(const char *t, DType dt, char *buf, size_t n)
{
	int size = dtype_info(dt)->size;
	const char *u = size == 8 ? "uint64_t" : "uint32_t";
	size_t k = 0;
	bool dbl = strcmp(cg_comp(dt), "double") == 0;
	while (*t && k + 24 < n) {
		if (t[0] == '@') {
			if (t[1] == 'U')
				k += (size_t)snprintf(buf + k, n - k, "%s", u);
			else if (t[1] == 'T')
				k += (size_t)snprintf(buf + k, n - k, "%s", cg_ctype(dt));
			else /* @W */
				k += (size_t)snprintf(buf + k, n - k, "%d", 8 * size);
			t += 2;
		} else if (*t == '$') {
			t++;
			if (*t == '(')
				buf[k++] = dbl ? 'd' : 'f';
			while (*t && *t != '(')
				buf[k++] = *t++;
			if (!dbl && t[-1] != '$')
				buf[k++] = 'f';
		} else {
			buf[k++] = *t++;
		}
	}
	buf[k] = 0;
}

/* Pow: the C of a ** b for base type bt and exponent type et. */
static void pow_expr(DType bt, DType et, char *buf, size_t n)
{
	bool bint = kind_of(bt) == K_INT, eint = kind_of(et) == K_INT;
	bool dbl = strcmp(cg_comp(bt), "double") == 0;
	bool uns = !dtype_info(bt)->is_signed;
	if (!bint)
		snprintf(buf, n, "pow%s(a, (%s)b)", dbl ? "" : "f", cg_comp(bt));
	else if (eint && uns)
		snprintf(buf, n, "rt_upow((uint64_t)a, (uint64_t)b)");
	else if (eint)
		snprintf(buf, n, "rt_ipow((int64_t)a, (int64_t)b)");
	else
		snprintf(buf, n, "rt_sat_%s(pow((double)a, (double)b))", uns ? "u64" : "i64");
}

/* The C expression of input k's element at the current output position. */
static const char *operand(const Emit *e, int k, bool flat, char *buf, size_t n)
{
	const Value *x = op_in(e->g, e->n, k), *y = op_outv(e->g, e->n, 0);
	Shape xs = in_shape(e->g, e->n, k);
	char idx[256], ref[300];
	if (flat)
		snprintf(ref, sizeof ref, "%s[%s]", e->in[k], ir_numel(x) == 1 ? "0" : "i");
	else
		snprintf(ref, sizeof ref, "%s[%s]", e->in[k],
			 cg_bcast_index(&xs, &y->shape, "i", idx, sizeof idx));
	return cg_load(x->dtype, ref, buf, n);
}

static void emit_body(Emit *e, const Binary *b, bool flat)
{
	const Node *n = e->n;
	const Value *x0 = op_in(e->g, n, 0), *y = op_outv(e->g, n, 0);
	DType dt = x0->dtype;
	const char *comp = cg_comp(dt);
	char expr[512], ld[320], st[700];
	if (n->op == OP_POW)
		pow_expr(dt, op_in(e->g, n, 1)->dtype, expr, sizeof expr);
	else if (dt == DT_STRING)
		snprintf(expr, sizeof expr, "strcmp(a, b) == 0");
	else
		expand(pick_expr(b, dt), dt, expr, sizeof expr);
	if (!b->variadic) {
		DType bt = op_in(e->g, n, 1)->dtype;
		out_line(e->o, "%s a = %s;", comp, operand(e, 0, flat, ld, sizeof ld));
		out_line(e->o, "%s b = %s;", cg_comp(bt), operand(e, 1, flat, ld, sizeof ld));
		out_line(e->o, "y0[i] = %s;", cg_store(y->dtype, expr, st, sizeof st));
		return;
	}
	out_line(e->o, "%s acc = %s;", comp, operand(e, 0, flat, ld, sizeof ld));
	for (int k = 1; k < n->ninputs; k++)
		out_line(e->o, "{ const %s a = acc, b = %s; acc = (%s)(%s); }", comp,
			 operand(e, k, flat, ld, sizeof ld), comp, expr);
	if (n->op == OP_MEAN)
		out_line(e->o, "acc = (%s)(acc / %d);", comp, n->ninputs);
	out_line(e->o, "y0[i] = %s;", cg_store(y->dtype, "acc", st, sizeof st));
}

static int emit(Emit *e)
{
	const Binary *b = find(e->n);
	const Node *n = e->n;
	const Value *y = op_outv(e->g, n, 0);
	int64_t total = ir_numel(y);
	bool flat = true;
	for (int k = 0; k < n->ninputs; k++) {
		int64_t c = ir_numel(op_in(e->g, n, k));
		flat &= c == total || c == 1;
	}
	if (flat) {
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)total);
		emit_body(e, b, true);
		out_line(e->o, "}");
		return 0;
	}
	out_line(e->o, "int64_t i = 0;");
	int loops = cg_loops(e->o, &y->shape, "i");
	emit_body(e, b, false);
	out_line(e->o, "i++;");
	cg_close(e->o, loops);
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
BINARY(MOD, OPF_INPLACE);
BINARY(BITSHIFT, OPF_INPLACE);
BINARY(AND, OPF_INPLACE);
BINARY(OR, OPF_INPLACE);
BINARY(XOR, OPF_INPLACE);
BINARY(BITWISEAND, OPF_INPLACE);
BINARY(BITWISEOR, OPF_INPLACE);
BINARY(BITWISEXOR, OPF_INPLACE);
BINARY(EQUAL, 0);
BINARY(GREATER, 0);
BINARY(GREATEROREQUAL, 0);
BINARY(LESS, 0);
BINARY(LESSOREQUAL, 0);
