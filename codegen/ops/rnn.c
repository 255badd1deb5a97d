/* rnn.c - RNN, GRU and LSTM: one recurrent layer, forward, reverse or bidirectional.
 *
 * The kernel runs each direction in turn (unrolled at compile time, since the
 * directions have their own weights and activations), steps through time, and for
 * each batch row computes the gate pre-activations gx = Wb + W.x and gh = Rb + R.h
 * as dot products over contiguous weight rows, then the cell update. State, gates
 * and temporaries live in scratch in the arithmetic type (float, or double), so
 * float16/bfloat16 models are computed in float and rounded once on output.
 *
 * sequence_lens: batch row b runs for len[b] steps (reverse directions start at
 * len[b] - 1), Y is zero past the end, and Y_h/Y_c hold the state after the last
 * step. Activation alpha/beta values are consumed, in order over the activation
 * list, only by the functions that take them; defaults are those of the ONNX
 * operators of the same name (LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1, ...).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Kernel parameter of input/output k, NULL when absent (or past the node's count). */
static const char *arg_in(const Emit *e, int k)
{
	return k < e->n->ninputs ? e->in[k] : NULL;
}

static const char *arg_out(const Emit *e, int k)
{
	return k < e->n->noutputs ? e->out[k] : NULL;
}

enum { K_RNN, K_GRU, K_LSTM };

typedef struct Act {
	const char *name;
	const char *expr; /* of x, a (alpha), b (beta); $ marks a libm function */
	bool alpha, beta;
	double da, db;
} Act;

static const Act acts[] = {
    {"relu", "x > 0 ? x : 0", false, false, 0, 0},
    {"tanh", "$tanh(x)", false, false, 0, 0},
    {"sigmoid", "1 / (1 + $exp(-x))", false, false, 0, 0},
    {"affine", "a * x + b", true, true, 1.0, 0.0},
    {"leakyrelu", "x >= 0 ? x : a * x", true, false, 0.01, 0},
    {"thresholdedrelu", "x >= a ? x : 0", true, false, 1.0, 0},
    {"scaledtanh", "a * $tanh(b * x)", true, true, 1.0, 1.0},
    {"hardsigmoid", "$fmin($fmax(a * x + b, 0), 1)", true, true, 0.2, 0.5},
    {"elu", "x >= 0 ? x : a * ($exp(x) - 1)", true, false, 1.0, 0},
    {"softsign", "x / (1 + $fabs(x))", false, false, 0, 0},
    {"softplus", "$fmax(x, 0) + $log1p($exp(-$fabs(x)))", false, false, 0, 0},
};

typedef struct Fn {
	const Act *act;
	double a, b;
} Fn;

typedef struct Rnn {
	int kind;
	int gates; /* gate blocks in W and R: 1, 3 or 4 */
	int nact;  /* activations per direction: 1, 2 or 3 */
	int ndir;
	bool reverse[2];
	int64_t S, B, I, H;
	int layout;
	bool has_clip, lbr, input_forget;
	double clip;
	Fn fn[6];
} Rnn;

static const char *const default_acts[3][3] = {
    {"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};

static int kind_of(const Node *n)
{
	return n->op == OP_RNN ? K_RNN : n->op == OP_GRU ? K_GRU : K_LSTM;
}

static const Act *find_act(const char *name)
{
	char low[32];
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++)
		if (!strcmp(acts[k].name, low))
			return &acts[k];
	return NULL;
}

/* Activations of every direction, with alpha/beta consumed in list order. */
static int parse_acts(const Graph *g, const Node *n, Rnn *r, Diag *d)
{
	const Attr *at = ir_attr(n, "activations");
	const double *al, *be;
	size_t nal = ir_attr_floats(n, "activation_alpha", &al);
	size_t nbe = ir_attr_floats(n, "activation_beta", &be);
	size_t cnt = at ? at->n : 0, ia = 0, ib = 0, want = (size_t)(r->nact * r->ndir);
	if (at && at->type != AT_STRINGS)
		return ir_node_error(d, g, n, "activations must be a list of strings");
	if (cnt && cnt != want && cnt != (size_t)r->nact)
		return ir_node_error(d, g, n, "activations has %zu names, expected %zu", cnt, want);
	for (size_t k = 0; k < want; k++) {
		const char *name = cnt ? at->strings[k % cnt] : default_acts[r->kind][k % r->nact];
		const Act *a = find_act(name);
		if (!a)
			return ir_node_error(
			    d, g, n,
			    "activation '%s' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus",
			    name);
		r->fn[k].act = a;
		r->fn[k].a = a->alpha ? (ia < nal ? al[ia++] : a->da) : 0;
		r->fn[k].b = a->beta ? (ib < nbe ? be[ib++] : a->db) : 0;
	}
	return 0;
}

static int expect_shape(const Graph *g, const Node *n, int k, int rank, const int64_t *dims,
                        Diag *d)
{
	const Value *v = op_in(g, n, k);
	Shape s = {rank, {0}};
	char s1[128], s2[128];
	memcpy(s.dims, dims, (size_t)rank * sizeof *dims);
	if (v && !shape_equal(&v->shape, &s))
		return ir_node_error(d, g, n, "input '%s' has shape %s, expected %s", v->name,
		                     shape_str(&v->shape, s1, sizeof s1),
		                     shape_str(&s, s2, sizeof s2));
	return 0;
}

static int parse(const Graph *g, const Node *n, Rnn *r, Diag *d)
{
	static const DType i32[] = {DT_INT32, DT_UNDEFINED};
	int maxin = n->op == OP_LSTM ? 8 : 6;
	memset(r, 0, sizeof *r);
	r->kind = kind_of(n);
	r->gates = r->kind == K_RNN ? 1 : r->kind == K_GRU ? 3 : 4;
	r->nact = r->kind + 1;
	if (op_check_arity(g, n, 3, maxin, 3, d) < 0 ||
	    op_check_dtype(g, n, 0, op_float_types, d) < 0 || op_check_dtype(g, n, 4, i32, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 1; k < maxin; k++) {
		const Value *v = op_in(g, n, k);
		if (k != 4 && v && v->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s, expected %s like X",
			                     v->name, dtype_name(v->dtype), dtype_name(dt));
	}
	const char *dir = ir_attr_str(n, "direction", "forward");
	if (!strcmp(dir, "forward") || !strcmp(dir, "reverse")) {
		r->ndir = 1;
		r->reverse[0] = !strcmp(dir, "reverse");
	} else if (!strcmp(dir, "bidirectional")) {
		r->ndir = 2;
		r->reverse[1] = true;
	} else {
		return ir_node_error(
		    d, g, n, "direction is '%s', expected forward, reverse or bidirectional", dir);
	}
	r->layout = n->opset >= 14 ? (int)ir_attr_int(n, "layout", 0) : 0;
	if (r->layout != 0 && r->layout != 1)
		return ir_node_error(d, g, n, "layout is %d, expected 0 or 1", r->layout);
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *rr = op_in(g, n, 2);
	if (x->shape.rank != 3 || w->shape.rank != 3 || rr->shape.rank != 3)
		return ir_node_error(d, g, n, "X, W and R must have rank 3");
	r->S = x->shape.dims[r->layout ? 1 : 0];
	r->B = x->shape.dims[r->layout ? 0 : 1];
	r->I = x->shape.dims[2];
	r->H = ir_attr_int(n, "hidden_size", rr->shape.dims[2]);
	if (r->H < 1)
		return ir_node_error(d, g, n, "hidden_size is %lld, expected a positive value",
		                     (long long)r->H);
	r->has_clip = ir_attr(n, "clip") != NULL;
	r->clip = ir_attr_float(n, "clip", 0);
	if (r->has_clip && !(r->clip >= 0))
		return ir_node_error(d, g, n, "clip is %g, expected a value of 0 or more", r->clip);
	r->lbr = r->kind == K_GRU && ir_attr_int(n, "linear_before_reset", 0) != 0;
	r->input_forget = r->kind == K_LSTM && ir_attr_int(n, "input_forget", 0) != 0;
	int64_t D = r->ndir, GH = r->gates * r->H;
	int64_t wd[3] = {D, GH, r->I}, rd[3] = {D, GH, r->H}, bd[2] = {D, 2 * GH}, sd[1] = {r->B};
	int64_t hd[3] = {D, r->B, r->H}, pd[2] = {D, 3 * r->H};
	if (r->layout)
		hd[0] = r->B, hd[1] = D;
	if (expect_shape(g, n, 1, 3, wd, d) < 0 || expect_shape(g, n, 2, 3, rd, d) < 0 ||
	    expect_shape(g, n, 3, 2, bd, d) < 0 || expect_shape(g, n, 4, 1, sd, d) < 0 ||
	    expect_shape(g, n, 5, 3, hd, d) < 0 ||
	    (r->kind == K_LSTM &&
	     (expect_shape(g, n, 6, 3, hd, d) < 0 || expect_shape(g, n, 7, 2, pd, d) < 0)))
		return -1;
	return parse_acts(g, n, r, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	Rnn r;
	if (parse(g, n, &r, d) < 0)
		return -1;
	if (n->noutputs > (r.kind == K_LSTM ? 3 : 2))
		return ir_node_error(d, g, n, "has %d outputs, expected at most %d", n->noutputs,
		                     r.kind == K_LSTM ? 3 : 2);
	DType dt = op_in(g, n, 0)->dtype;
	Shape y = {4, {r.S, r.ndir, r.B, r.H}}, h = {3, {r.ndir, r.B, r.H}};
	if (r.layout) {
		y = (Shape){4, {r.B, r.S, r.ndir, r.H}};
		h = (Shape){3, {r.B, r.ndir, r.H}};
	}
	op_set_out(g, n, 0, dt, &y);
	op_set_out(g, n, 1, dt, &h);
	op_set_out(g, n, 2, dt, &h);
	return 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	Rnn r;
	Diag d;
	diag_init(&d, "");
	if (parse(g, n, &r, &d) < 0)
		return 0;
	int64_t elems = 2 * r.B * r.H + 2 * r.gates * r.H + r.H + r.I;
	return elems * (int64_t)(strcmp(cg_comp(op_in(g, n, 0)->dtype), "double") ? 4 : 8);
}

/* ------------------------------------------------------------ emission */

/* Expands an activation template: $fn( gets the float suffix, a and b become literals. */
static void expand(const Fn *f, DType dt, char *buf, size_t n)
{
	bool dbl = strcmp(cg_comp(dt), "double") == 0;
	const char *t = f->act->expr;
	size_t k = 0;
	while (*t && k + 64 < n) {
		bool alone = (t == f->act->expr || !isalnum((unsigned char)t[-1])) &&
		             !isalnum((unsigned char)t[1]);
		if (*t == '$') {
			t++;
			while (isalnum((unsigned char)*t) && k + 2 < n)
				buf[k++] = *t++;
			if (!dbl)
				buf[k++] = 'f';
		} else if ((*t == 'a' || *t == 'b') && alone) {
			char lit[48];
			k += (size_t)snprintf(buf + k, n - k, "(%s)",
			                      cg_lit(dt, *t == 'a' ? f->a : f->b, lit, sizeof lit));
			t++;
		} else {
			buf[k++] = *t++;
		}
	}
	buf[k] = 0;
}

/* File-scope helpers: one function per activation slot, and the clip. */
static void emit_decls(Emit *e, const Rnn *r, DType dt)
{
	const char *comp = cg_comp(dt);
	char body[512], lit[48];
	for (int k = 0; k < r->nact * r->ndir; k++) {
		expand(&r->fn[k], dt, body, sizeof body);
		out_line(e->decls, "static inline %s %s_f%d(%s x)", comp, e->fn, k, comp);
		out_line(e->decls, "{");
		out_line(e->decls, "return (%s)(%s);", comp, body);
		out_line(e->decls, "}");
	}
	if (r->has_clip) {
		cg_lit(dt, r->clip, lit, sizeof lit);
		out_line(e->decls, "static inline %s %s_clip(%s x)", comp, e->fn, comp);
		out_line(e->decls, "{");
		out_line(e->decls, "return x < -%s ? -%s : x > %s ? %s : x;", lit, lit, lit, lit);
		out_line(e->decls, "}");
	}
}

/* "fn_f<k>(clip(expr))" for activation slot k. */
static const char *act(const Emit *e, const Rnn *r, int k, const char *expr, char *buf, size_t n)
{
	if (r->has_clip)
		snprintf(buf, n, "%s_f%d(%s_clip(%s))", e->fn, k, e->fn, expr);
	else
		snprintf(buf, n, "%s_f%d(%s)", e->fn, k, expr);
	return buf;
}

/* Offset of the state row (dir, b) in initial_h/Y_h-shaped tensors. */
static const char *state_row(const Rnn *r, int dir, char *buf, size_t n)
{
	if (r->layout)
		snprintf(buf, n, "(b * %d + %d) * %lld", r->ndir, dir, (long long)r->H);
	else
		snprintf(buf, n, "(%d * %lld + b) * %lld", dir, (long long)r->B, (long long)r->H);
	return buf;
}

/* gx = Wb + W.x for all gates, gh = Rb + R.v for gate rows [j0, j1) into gh + j0. */
static void emit_dots(Emit *e, const Rnn *r, DType dt, int dir, int64_t j0, int64_t j1,
                      const char *vec, bool input)
{
	Out *o = e->o;
	const char *ct = cg_ctype(dt), *comp = cg_comp(dt);
	int64_t GH = r->gates * r->H, len = input ? r->I : r->H;
	char ld[128], bias[128], ref[96];
	out_line(o, "for (int64_t j = %lld; j < %lld; j++) {", (long long)j0, (long long)j1);
	out_line(o, "const %s *wr = %s + (%lld + j) * %lld;", ct, input ? "x1" : "x2",
	         (long long)(dir * GH), (long long)len);
	snprintf(ref, sizeof ref, "x3[%lld + j]", (long long)(dir * 2 * GH + (input ? 0 : GH)));
	snprintf(bias, sizeof bias, "%s", arg_in(e, 3) ? cg_load(dt, ref, ld, sizeof ld) : "0");
	out_line(o, "%s acc = %s;", comp, bias);
	out_line(o, "for (int64_t k = 0; k < %lld; k++)", (long long)len);
	out_line(o, "\tacc += %s * %s[k];", cg_load(dt, "wr[k]", ld, sizeof ld), vec);
	out_line(o, "%s[j] = acc;", input ? "gx" : "gh");
	out_line(o, "}");
}

/* Peephole term "+ P[dir, g*H + k] * state" or "". */
static const char *peep(const Emit *e, DType dt, const Rnn *r, int dir, int g, const char *state,
                        char *buf, size_t n)
{
	char ref[96], ld[128];
	if (!arg_in(e, 7)) {
		buf[0] = 0;
		return buf;
	}
	snprintf(ref, sizeof ref, "x7[%lld + k]", (long long)(dir * 3 * r->H + g * r->H));
	snprintf(buf, n, " + %s * %s", cg_load(dt, ref, ld, sizeof ld), state);
	return buf;
}

static void emit_lstm_update(Emit *e, const Rnn *r, DType dt, int dir)
{
	Out *o = e->o;
	const char *comp = cg_comp(dt);
	long long H = (long long)r->H;
	int f = dir * 3, g = f + 1, h = f + 2;
	char a[512], x[256], p[256];
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", H);
	out_line(o, "const %s cprev = cp[k];", comp);
	snprintf(x, sizeof x, "gx[k] + gh[k]%s", peep(e, dt, r, dir, 0, "cprev", p, sizeof p));
	out_line(o, "const %s ig = %s;", comp, act(e, r, f, x, a, sizeof a));
	if (r->input_forget) {
		out_line(o, "const %s fg = 1 - ig;", comp);
	} else {
		snprintf(x, sizeof x, "gx[%lld + k] + gh[%lld + k]%s", 2 * H, 2 * H,
		         peep(e, dt, r, dir, 2, "cprev", p, sizeof p));
		out_line(o, "const %s fg = %s;", comp, act(e, r, f, x, a, sizeof a));
	}
	snprintf(x, sizeof x, "gx[%lld + k] + gh[%lld + k]", 3 * H, 3 * H);
	out_line(o, "const %s cg = %s;", comp, act(e, r, g, x, a, sizeof a));
	out_line(o, "const %s cn = fg * cprev + ig * cg;", comp);
	snprintf(x, sizeof x, "gx[%lld + k] + gh[%lld + k]%s", H, H,
	         peep(e, dt, r, dir, 1, "cn", p, sizeof p));
	out_line(o, "const %s og = %s;", comp, act(e, r, f, x, a, sizeof a));
	out_line(o, "cp[k] = cn;");
	out_line(o, "hp[k] = og * %s_f%d(cn);", e->fn, h);
	out_line(o, "}");
}

static void emit_gru_update(Emit *e, const Rnn *r, DType dt, int dir)
{
	Out *o = e->o;
	const char *comp = cg_comp(dt);
	long long H = (long long)r->H;
	int f = dir * 2, g = f + 1;
	char a[512], x[256];
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", H);
	out_line(o, "gx[k] = %s;", act(e, r, f, "gx[k] + gh[k]", a, sizeof a));
	snprintf(x, sizeof x, "gx[%lld + k] + gh[%lld + k]", H, H);
	out_line(o, "gx[%lld + k] = %s;", H, act(e, r, f, x, a, sizeof a));
	out_line(o, "}");
	if (!r->lbr) {
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", H);
		out_line(o, "\trh[k] = gx[%lld + k] * hp[k];", H);
		emit_dots(e, r, dt, dir, 2 * H, 3 * H, "rh", false);
		snprintf(x, sizeof x, "gx[%lld + k] + gh[%lld + k]", 2 * H, 2 * H);
	} else {
		snprintf(x, sizeof x, "gx[%lld + k] + gx[%lld + k] * gh[%lld + k]", 2 * H, H,
		         2 * H);
	}
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", H);
	out_line(o, "const %s hh = %s;", comp, act(e, r, g, x, a, sizeof a));
	out_line(o, "hp[k] = (1 - gx[k]) * hh + gx[k] * hp[k];");
	out_line(o, "}");
}

/* One time step of batch row b in direction dir. */
static void emit_step(Emit *e, const Rnn *r, DType dt, int dir)
{
	Out *o = e->o;
	long long S = (long long)r->S, B = (long long)r->B, H = (long long)r->H,
	          I = (long long)r->I;
	char a[512], ld[128], st[160];
	if (arg_in(e, 4)) {
		out_line(o, "const int64_t len = x4[b] < 0 ? 0 : x4[b] > %lld ? %lld : x4[b];", S,
		         S);
		out_line(o, "if (s >= len)");
		out_line(o, "\tcontinue;");
		out_line(o, "const int64_t t = %s;", r->reverse[dir] ? "len - 1 - s" : "s");
	} else {
		if (r->reverse[dir])
			out_line(o, "const int64_t t = %lld - s;", S - 1);
		else
			out_line(o, "const int64_t t = s;");
	}
	if (r->layout)
		out_line(o, "const %s *xr = x0 + (b * %lld + t) * %lld;", cg_ctype(dt), S, I);
	else
		out_line(o, "const %s *xr = x0 + (t * %lld + b) * %lld;", cg_ctype(dt), B, I);
	out_line(o, "for (int64_t k = 0; k < %lld; k++)", I);
	out_line(o, "\txv[k] = %s;", cg_load(dt, "xr[k]", ld, sizeof ld));
	out_line(o, "%s *hp = h + b * %lld;", cg_comp(dt), H);
	if (r->kind == K_LSTM)
		out_line(o, "%s *cp = c + b * %lld;", cg_comp(dt), H);
	emit_dots(e, r, dt, dir, 0, r->gates * r->H, "xv", true);
	emit_dots(e, r, dt, dir, 0, (r->kind == K_GRU && !r->lbr ? 2 : r->gates) * r->H, "hp",
	          false);
	if (r->kind == K_RNN) {
		out_line(o, "for (int64_t k = 0; k < %lld; k++)", H);
		out_line(o, "\thp[k] = %s;", act(e, r, dir, "gx[k] + gh[k]", a, sizeof a));
	} else if (r->kind == K_GRU) {
		emit_gru_update(e, r, dt, dir);
	} else {
		emit_lstm_update(e, r, dt, dir);
	}
	if (!arg_out(e, 0))
		return;
	if (r->layout)
		snprintf(a, sizeof a, "((b * %lld + t) * %d + %d) * %lld", S, r->ndir, dir, H);
	else
		snprintf(a, sizeof a, "((t * %d + %d) * %lld + b) * %lld", r->ndir, dir, B, H);
	out_line(o, "for (int64_t k = 0; k < %lld; k++)", H);
	out_line(o, "\ty0[%s + k] = %s;", a, cg_store(dt, "hp[k]", st, sizeof st));
}

/* Initial state (or zeros) into h/c, and after the steps, Y_h/Y_c from them. */
static void emit_state(Emit *e, const Rnn *r, DType dt, int dir, bool load)
{
	Out *o = e->o;
	char row[96], ref[160], ld[200], v[64];
	int nstate = r->kind == K_LSTM ? 2 : 1;
	if (!load && !arg_out(e, 1) && !(nstate == 2 && arg_out(e, 2)))
		return;
	state_row(r, dir, row, sizeof row);
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)r->B);
	out_line(o, "for (int64_t k = 0; k < %lld; k++) {", (long long)r->H);
	for (int s = 0; s < nstate; s++) {
		const char *p = load ? arg_in(e, s ? 6 : 5) : arg_out(e, s ? 2 : 1);
		snprintf(v, sizeof v, "%s[b * %lld + k]", s ? "c" : "h", (long long)r->H);
		snprintf(ref, sizeof ref, "%s[%s + k]", p ? p : "", row);
		if (load)
			out_line(o, "%s = %s;", v, p ? cg_load(dt, ref, ld, sizeof ld) : "0");
		else if (p)
			out_line(o, "%s = %s;", ref, cg_store(dt, v, ld, sizeof ld));
	}
	out_line(o, "}");
	out_line(o, "}");
}

static int emit(Emit *e)
{
	Rnn r;
	Diag d;
	diag_init(&d, "");
	if (parse(e->g, e->n, &r, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *comp = cg_comp(dt);
	long long BH = (long long)(r.B * r.H), GH = (long long)(r.gates * r.H);
	Out *o = e->o;
	char st[64];
	emit_decls(e, &r, dt);
	/* scratch: h[B*H], c[B*H], gx[G*H], gh[G*H], rh[H], xv[I] */
	out_line(o, "%s *const h = (%s *)scratch;", comp, comp);
	if (r.kind == K_LSTM)
		out_line(o, "%s *const c = h + %lld;", comp, BH);
	out_line(o, "%s *const gx = h + %lld, *const gh = gx + %lld;", comp, 2 * BH, GH);
	if (r.kind == K_GRU && !r.lbr)
		out_line(o, "%s *const rh = gh + %lld;", comp, GH);
	out_line(o, "%s *const xv = gh + %lld;", comp, GH + (long long)r.H);
	if (arg_out(e, 0) && arg_in(e, 4)) {
		out_line(o, "for (int64_t i = 0; i < %lld; i++)",
		         (long long)ir_numel(op_outv(e->g, e->n, 0)));
		out_line(o, "\ty0[i] = %s;", cg_store(dt, "0", st, sizeof st));
	}
	for (int dir = 0; dir < r.ndir; dir++) {
		out_comment(o, "direction %d (%s)", dir, r.reverse[dir] ? "reverse" : "forward");
		emit_state(e, &r, dt, dir, true);
		out_line(o, "for (int64_t s = 0; s < %lld; s++) {", (long long)r.S);
		out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)r.B);
		emit_step(e, &r, dt, dir);
		out_line(o, "}");
		out_line(o, "}");
		emit_state(e, &r, dt, dir, false);
	}
	return 0;
}

const OpDef opdef_RNN = {infer, NULL, emit, scratch, 0};
const OpDef opdef_GRU = {infer, NULL, emit, scratch, 0};
const OpDef opdef_LSTM = {infer, NULL, emit, scratch, 0};
