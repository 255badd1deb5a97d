/* cast.c - Cast and CastLike: element type conversion between every ONNX type.
 *
 * A conversion goes through one of four intermediates chosen by the source:
 * float (float, and float16/bfloat16/float8/float4/e8m0 decoded exactly), double,
 * a 64-bit integer (integers and bool), or text (strings, parsed as numbers). The
 * target then takes it: C conversion for float/double and wrapped integers,
 * round-to-nearest-even encoders for the narrow floats (runtime/rt_cast.h), round
 * then wrap for 4- and 2-bit integers (kept one per byte, sign-extended), and
 * shortest round-trip text for strings. The kernel applies one C expression per
 * element; fold runs the same runtime functions on the host, so a cast gives the
 * same bits whether it is computed at compile time or at run time.
 *
 * Strings made at run time are written into the node's scratch, which the memory
 * plan keeps until the end of the run (OPF_SCRATCH_KEEP): the output's pointers
 * stay valid until the workspace is reused.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/cnnc_rt.h"
#include "../../runtime/rt_cast.h"
#include "ops.h"

/* Text of one number in a run-time string: enough for "%.17g" of any double. */
#define STR_SLOT 32

typedef enum Cls { C_F32, C_F64, C_SMALLF, C_SINT, C_UINT, C_STR } Cls;

static Cls cls_of(DType t)
{
	switch (t) {
	case DT_FLOAT: return C_F32;
	case DT_DOUBLE: return C_F64;
	case DT_STRING: return C_STR;
	case DT_BOOL: return C_UINT;
	default:
		if (dtype_info(t)->is_float)
			return C_SMALLF;
		return dtype_info(t)->is_signed ? C_SINT : C_UINT;
	}
}

static bool is_float_like(Cls c)
{
	return c == C_F32 || c == C_F64 || c == C_SMALLF;
}

/* Bits of the 4- and 2-bit integer types, 0 for the others. */
static int small_int_bits(DType t)
{
	switch (t) {
	case DT_INT4: case DT_UINT4: return 4;
	case DT_INT2: case DT_UINT2: return 2;
	default: return 0;
	}
}

static const char *f8_fmt(DType t)
{
	switch (t) {
	case DT_FLOAT8E4M3FN: return "RT_E4M3FN";
	case DT_FLOAT8E4M3FNUZ: return "RT_E4M3FNUZ";
	case DT_FLOAT8E5M2: return "RT_E5M2";
	case DT_FLOAT8E5M2FNUZ: return "RT_E5M2FNUZ";
	default: return NULL;
	}
}

static int f8_code(DType t)
{
	return t == DT_FLOAT8E4M3FN ? RT_E4M3FN : t == DT_FLOAT8E4M3FNUZ ? RT_E4M3FNUZ
	       : t == DT_FLOAT8E5M2 ? RT_E5M2 : RT_E5M2FNUZ;
}

typedef struct CastAttrs {
	DType to;
	int saturate;
	int mode; /* RT_ROUND_* */
} CastAttrs;

/* The `to` attribute: a DataType code, or (Cast-1) its name. */
static int read_to(const Graph *g, const Node *n, DType *to, Diag *d)
{
	const Attr *a = ir_attr(n, "to");
	if (!a)
		return ir_node_error(d, g, n, "attribute 'to' is missing");
	if (a->type == AT_STRING) {
		for (int t = 1; t < DT_COUNT; t++)
			if (dtype_valid(t) && strcasecmp(a->s, dtype_name((DType)t)) == 0) {
				*to = (DType)t;
				return 0;
			}
		return ir_node_error(d, g, n, "attribute 'to' names unknown type '%s'", a->s);
	}
	if (!dtype_valid((int)a->i))
		return ir_node_error(d, g, n, "attribute 'to' is %lld, not a supported element type",
				     (long long)a->i);
	*to = (DType)a->i;
	return 0;
}

static int read_attrs(const Graph *g, const Node *n, CastAttrs *ca, Diag *d)
{
	if (n->op == OP_CAST) {
		if (read_to(g, n, &ca->to, d) < 0)
			return -1;
	} else {
		ca->to = op_in(g, n, 1)->dtype;
	}
	ca->saturate = ir_attr_int(n, "saturate", 1) != 0;
	const char *m = ir_attr_str(n, "round_mode", "up");
	if (strcmp(m, "up") == 0)
		ca->mode = RT_ROUND_UP;
	else if (strcmp(m, "down") == 0)
		ca->mode = RT_ROUND_DOWN;
	else if (strcmp(m, "nearest") == 0)
		ca->mode = RT_ROUND_NEAREST;
	else
		return ir_node_error(d, g, n, "round_mode is '%s', expected up, down or nearest", m);
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int nin = n->op == OP_CAST ? 1 : 2;
	if (op_check_arity(g, n, nin, nin, nin, d) < 0)
		return -1;
	CastAttrs ca;
	if (read_attrs(g, n, &ca, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (!dtype_valid(x->dtype))
		return ir_node_error(d, g, n, "cannot cast from %s", dtype_name(x->dtype));
	op_set_out(g, n, 0, ca.to, &x->shape);
	return 0;
}

/* ------------------------------------------------------------ host conversion (fold) */

typedef struct Num {
	Cls cls;
	float f;
	double d;
	int64_t i;
	uint64_t u;
	const char *s;
} Num;

static float decode_small(DType t, const void *p, int64_t i)
{
	if (t == DT_FLOAT16)
		return rt_h2f(((const uint16_t *)p)[i]);
	if (t == DT_BFLOAT16)
		return rt_bf2f(((const uint16_t *)p)[i]);
	uint8_t v = ((const uint8_t *)p)[i];
	if (t == DT_FLOAT4E2M1)
		return rt_f42f(v);
	if (t == DT_FLOAT8E8M0)
		return rt_e8m02f(v);
	return rt_f82f(v, f8_code(t));
}

static Num read_num(DType t, const void *p, int64_t i)
{
	Num v = {cls_of(t), 0, 0, 0, 0, NULL};
	switch (v.cls) {
	case C_F32: v.f = ((const float *)p)[i]; break;
	case C_F64: v.d = ((const double *)p)[i]; break;
	case C_SMALLF: v.f = decode_small(t, p, i); break;
	case C_STR: v.s = ((const char *const *)p)[i]; break;
	case C_SINT: v.i = dtype_get_i64(t, p, i); break;
	case C_UINT:
		v.u = t == DT_UINT64 ? ((const uint64_t *)p)[i] : (uint64_t)dtype_get_i64(t, p, i);
		break;
	}
	return v;
}

/* The value as the arithmetic of a float-like source: float, or double. */
static double as_double(const Num *v)
{
	return v->cls == C_F64 ? v->d : (double)v->f;
}

/* The float a narrow-float encoder takes. */
static float encoder_input(const Num *v)
{
	switch (v->cls) {
	case C_F32: case C_SMALLF: return v->f;
	case C_F64: return rt_d2f_odd(v->d);
	case C_SINT: return (float)v->i;
	case C_UINT: return (float)v->u;
	default: return rt_d2f_odd(rt_s2d(v->s));
	}
}

static uint8_t encode_small8(DType t, float f, const CastAttrs *ca)
{
	if (t == DT_FLOAT4E2M1)
		return rt_f2f4(f);
	if (t == DT_FLOAT8E8M0)
		return rt_f2e8m0(f, ca->saturate, ca->mode);
	return rt_f2f8(f, f8_code(t), ca->saturate);
}

/* Integer value for integer targets (before wrapping to the target's width). */
static int64_t int_value(const Num *v, bool round_even)
{
	switch (v->cls) {
	case C_SINT: return v->i;
	case C_UINT: return (int64_t)v->u;
	case C_STR: return rt_s2i64(v->s);
	default: return rt_f2i64(round_even ? rint(as_double(v)) : as_double(v));
	}
}

static void format_num(char *buf, size_t n, const Num *v)
{
	switch (v->cls) {
	case C_SINT: snprintf(buf, n, "%lld", (long long)v->i); break;
	case C_UINT: snprintf(buf, n, "%llu", (unsigned long long)v->u); break;
	case C_STR: snprintf(buf, n, "%s", v->s ? v->s : ""); break;
	default: rt_fmt_real(buf, n, as_double(v), v->cls != C_F64); break;
	}
}

static void write_num(Graph *g, DType t, void *p, int64_t i, const Num *v, const CastAttrs *ca)
{
	Cls tc = cls_of(t);
	int bits = small_int_bits(t);
	if (tc == C_STR) {
		char buf[64];
		format_num(buf, sizeof buf, v);
		((const char **)p)[i] = arena_strdup(g->arena, buf);
	} else if (t == DT_FLOAT) { /* integers round once, straight to float, as in C */
		((float *)p)[i] = is_float_like(v->cls) ? (float)as_double(v) : v->cls == C_SINT
				  ? (float)v->i : v->cls == C_UINT ? (float)v->u : (float)rt_s2d(v->s);
	} else if (t == DT_DOUBLE) {
		((double *)p)[i] = is_float_like(v->cls) ? as_double(v) : v->cls == C_SINT
				   ? (double)v->i : v->cls == C_UINT ? (double)v->u : rt_s2d(v->s);
	} else if (t == DT_FLOAT16) {
		((uint16_t *)p)[i] = rt_f2h(encoder_input(v));
	} else if (t == DT_BFLOAT16) {
		((uint16_t *)p)[i] = rt_f2bf(encoder_input(v));
	} else if (tc == C_SMALLF) {
		((uint8_t *)p)[i] = encode_small8(t, encoder_input(v), ca);
	} else if (t == DT_BOOL) {
		bool nz = is_float_like(v->cls) ? as_double(v) != 0 : v->cls == C_STR ? rt_s2d(v->s) != 0
			  : v->cls == C_SINT ? v->i != 0 : v->u != 0;
		((uint8_t *)p)[i] = nz;
	} else if (bits) {
		int64_t x = int_value(v, true);
		if (tc == C_SINT)
			((int8_t *)p)[i] = rt_wrap_s(x, bits);
		else
			((uint8_t *)p)[i] = rt_wrap_u(x, bits);
	} else if (t == DT_UINT64) {
		((uint64_t *)p)[i] = is_float_like(v->cls) ? rt_f2u64(as_double(v))
				     : v->cls == C_STR ? rt_s2u64(v->s) : v->cls == C_UINT ? v->u
				     : (uint64_t)v->i;
	} else {
		int64_t x = v->cls == C_STR && tc == C_UINT ? (int64_t)rt_s2u64(v->s) : int_value(v, false);
		dtype_set_i64(t, p, i, x);
	}
}

static int fold(Graph *g, Node *n, Diag *d)
{
	CastAttrs ca;
	if (read_attrs(g, n, &ca, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int64_t cnt = ir_numel(x);
	for (int64_t i = 0; i < cnt; i++) {
		Num v = read_num(x->dtype, x->data, i);
		write_num(g, ca.to, y, i, &v, &ca);
	}
	return 0;
}

/* ------------------------------------------------------------ C expressions (emit) */

/* The source element in float (or double) arithmetic; float-like sources only. */
static const char *load_float(DType s, const char *x, char *buf, size_t n)
{
	switch (s) {
	case DT_FLOAT: case DT_DOUBLE: snprintf(buf, n, "%s", x); break;
	case DT_FLOAT16: snprintf(buf, n, "rt_h2f(%s)", x); break;
	case DT_BFLOAT16: snprintf(buf, n, "rt_bf2f(%s)", x); break;
	case DT_FLOAT4E2M1: snprintf(buf, n, "rt_f42f(%s)", x); break;
	case DT_FLOAT8E8M0: snprintf(buf, n, "rt_e8m02f(%s)", x); break;
	default: snprintf(buf, n, "rt_f82f(%s, %s)", x, f8_fmt(s)); break;
	}
	return buf;
}

/* The float a narrow-float encoder takes (mirrors encoder_input). */
static const char *enc_input(DType s, const char *x, char *buf, size_t n)
{
	switch (cls_of(s)) {
	case C_F32: case C_SMALLF: return load_float(s, x, buf, n);
	case C_F64: snprintf(buf, n, "rt_d2f_odd(%s)", x); break;
	case C_STR: snprintf(buf, n, "rt_d2f_odd(rt_s2d(%s))", x); break;
	default: snprintf(buf, n, "(float)%s", x); break;
	}
	return buf;
}

/* Expression for the int64 value of an integer target (mirrors int_value). */
static const char *int_expr(DType s, const char *x, bool round_even, char *buf, size_t n)
{
	char t[128];
	switch (cls_of(s)) {
	case C_SINT: case C_UINT: snprintf(buf, n, "(int64_t)%s", x); break;
	case C_STR: snprintf(buf, n, "rt_s2i64(%s)", x); break;
	default:
		load_float(s, x, t, sizeof t);
		if (round_even)
			snprintf(buf, n, "rt_f2i64(rint((double)%s))", t);
		else
			snprintf(buf, n, "rt_f2i64((double)%s)", t);
		break;
	}
	return buf;
}

/* The whole conversion of source element x to a value of type t (not string). */
static void cast_expr(DType s, DType t, const CastAttrs *ca, const char *x, char *buf, size_t n)
{
	Cls sc = cls_of(s), tc = cls_of(t);
	int bits = small_int_bits(t);
	char a[256];
	if (t == DT_FLOAT || t == DT_DOUBLE) {
		if (is_float_like(sc))
			snprintf(buf, n, "(%s)%s", cg_ctype(t), load_float(s, x, a, sizeof a));
		else if (sc == C_STR)
			snprintf(buf, n, "(%s)rt_s2d(%s)", cg_ctype(t), x);
		else
			snprintf(buf, n, "(%s)%s", cg_ctype(t), x);
	} else if (t == DT_FLOAT16 || t == DT_BFLOAT16) {
		snprintf(buf, n, "%s(%s)", t == DT_FLOAT16 ? "rt_f2h" : "rt_f2bf",
			 enc_input(s, x, a, sizeof a));
	} else if (t == DT_FLOAT4E2M1) {
		snprintf(buf, n, "rt_f2f4(%s)", enc_input(s, x, a, sizeof a));
	} else if (t == DT_FLOAT8E8M0) {
		static const char *const modes[] = {"RT_ROUND_UP", "RT_ROUND_DOWN", "RT_ROUND_NEAREST"};
		snprintf(buf, n, "rt_f2e8m0(%s, %d, %s)", enc_input(s, x, a, sizeof a), ca->saturate,
			 modes[ca->mode]);
	} else if (tc == C_SMALLF) {
		snprintf(buf, n, "rt_f2f8(%s, %s, %d)", enc_input(s, x, a, sizeof a), f8_fmt(t),
			 ca->saturate);
	} else if (t == DT_BOOL) {
		if (is_float_like(sc))
			snprintf(buf, n, "(uint8_t)(%s != 0)", load_float(s, x, a, sizeof a));
		else if (sc == C_STR)
			snprintf(buf, n, "(uint8_t)(rt_s2d(%s) != 0)", x);
		else
			snprintf(buf, n, "(uint8_t)(%s != 0)", x);
	} else if (bits) {
		snprintf(buf, n, "%s(%s, %d)", tc == C_SINT ? "rt_wrap_s" : "rt_wrap_u",
			 int_expr(s, x, true, a, sizeof a), bits);
	} else if (t == DT_UINT64) {
		if (is_float_like(sc))
			snprintf(buf, n, "rt_f2u64((double)%s)", load_float(s, x, a, sizeof a));
		else if (sc == C_STR)
			snprintf(buf, n, "rt_s2u64(%s)", x);
		else
			snprintf(buf, n, "(uint64_t)%s", x);
	} else if (sc == C_STR && tc == C_UINT) {
		snprintf(buf, n, "(%s)rt_s2u64(%s)", cg_ctype(t), x);
	} else if (sc == C_SINT || sc == C_UINT) {
		snprintf(buf, n, "(%s)%s", cg_ctype(t), x);
	} else {
		snprintf(buf, n, "(%s)%s", cg_ctype(t), int_expr(s, x, false, a, sizeof a));
	}
}

/* Numbers to text: each element is formatted into its slot of the scratch. */
static void emit_to_string(Emit *e, DType s, int64_t cnt)
{
	Cls sc = cls_of(s);
	char a[256];
	out_line(e->o, "char *text = (char *)%s;", e->scratch);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)cnt);
	out_line(e->o, "char *t = text + i * %d;", STR_SLOT);
	if (sc == C_SINT)
		out_line(e->o, "snprintf(t, %d, \"%%lld\", (long long)x0[i]);", STR_SLOT);
	else if (sc == C_UINT)
		out_line(e->o, "snprintf(t, %d, \"%%llu\", (unsigned long long)x0[i]);", STR_SLOT);
	else
		out_line(e->o, "rt_fmt_real(t, %d, (double)%s, %d);", STR_SLOT,
			 load_float(s, "x0[i]", a, sizeof a), sc != C_F64);
	out_line(e->o, "y0[i] = t;");
	out_line(e->o, "}");
}

static int emit(Emit *e)
{
	CastAttrs ca;
	Diag d;
	diag_init(&d, NULL);
	if (read_attrs(e->g, e->n, &ca, &d) < 0)
		return -1;
	const Value *x = op_in(e->g, e->n, 0);
	int64_t cnt = ir_numel(x);
	if (cnt == 0)
		return 0;
	if (x->dtype == ca.to) {
		out_line(e->o, "memcpy(y0, x0, %lld * sizeof *y0);", (long long)cnt);
		return 0;
	}
	if (ca.to == DT_STRING) {
		emit_to_string(e, x->dtype, cnt);
		return 0;
	}
	char expr[1024];
	cast_expr(x->dtype, ca.to, &ca, "x0[i]", expr, sizeof expr);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)cnt);
	out_line(e->o, "\ty0[i] = %s;", expr);
	return 0;
}

/* Text outputs need STR_SLOT bytes per element that outlive the kernel. */
static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0), *x = op_in(g, n, 0);
	if (!y || y->dtype != DT_STRING || x->dtype == DT_STRING)
		return 0;
	return dtype_bytes(DT_UINT8, ir_numel(y) * STR_SLOT);
}

const OpDef opdef_CAST = {infer, fold, emit, scratch, OPF_SCRATCH_KEEP};
const OpDef opdef_CASTLIKE = {infer, fold, emit, scratch, OPF_SCRATCH_KEEP};
