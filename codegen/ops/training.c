/* training.c - the optimizer steps of ai.onnx.preview.training: Adagrad, Adam, Momentum.
 *
 * Each is an elementwise formula over groups of same-shaped tensors (X, its
 * gradient G and one or two accumulators), parameterised by the scalar learning
 * rate R and update count T, which are read at run time. The kernel evaluates the
 * spec's pseudo code in double for every element and stores each new tensor in
 * its own type.
 *
 *   inputs  R, T, X[n], G[n], (H[n] | V[n] | V[n], H[n])
 *   outputs X_new[n], (H_new[n] | V_new[n] | V_new[n], H_new[n])
 *
 * Gradient has no kernel: infer only checks its attributes and gives output k the
 * type and shape of input k (the value of xs[k]); passes/gradient.c then replaces
 * the node by the backward nodes that compute it.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Tensors per optimized variable among the inputs after R, T (X, G and accumulators). */
static int group(OpKind op)
{
	return op == OP_ADAM ? 4 : 3;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType scal[] = {DT_FLOAT, DT_DOUBLE, DT_UNDEFINED};
	static const DType count[] = {DT_INT64, DT_UNDEFINED};
	int per = group(n->op), outs = per - 1;
	if (op_check_arity(g, n, 2 + per, -1, n->ninputs, d) < 0)
		return -1;
	int vars = (n->ninputs - 2) / per;
	if ((n->ninputs - 2) % per != 0)
		return ir_node_error(d, g, n, "has %d inputs, expected 2 + %d per optimized tensor",
				     n->ninputs, per);
	if (n->noutputs != outs * vars)
		return ir_node_error(d, g, n,
				     "has %d outputs, expected %d", n->noutputs, outs * vars);
	if (op_check_dtype(g, n, 0, scal, d) < 0 || op_check_dtype(g, n, 1, count, d) < 0)
		return -1;
	if (ir_numel(op_in(g, n, 0)) != 1 || ir_numel(op_in(g, n, 1)) != 1)
		return ir_node_error(d, g, n, "R and T must be scalars");
	if (n->op == OP_MOMENTUM) {
		const char *mode = ir_attr_str(n, "mode", "");
		if (strcmp(mode, "standard") != 0 && strcmp(mode, "nesterov") != 0)
			return ir_node_error(d, g, n,
					     "mode is '%s', expected 'standard' or 'nesterov'",
					     mode);
	}
	for (int v = 0; v < vars; v++) {
		const Value *x = op_in(g, n, 2 + v);
		for (int j = 0; j < per; j++) {
			const Value *t = op_in(g, n, 2 + j * vars + v);
			if (op_check_dtype(g, n, 2 + j * vars + v, scal, d) < 0)
				return -1;
			if (!shape_equal(&t->shape, &x->shape))
				return ir_node_error(d, g, n,
						     "input '%s' does not have the shape of '%s'",
						     t->name, x->name);
		}
		for (int j = 0; j < outs; j++) {
			const Value *a = op_in(g, n, 2 + (j ? j + 1 : 0) * vars + v);
			op_set_out(g, n, j * vars + v, a->dtype, &x->shape);
		}
	}
	return 0;
}

/* The per-element statements of one step, given x, g and accumulators a (and b). */
static void emit_step(Emit *e)
{
	const Node *n = e->n;
	Out *o = e->o;
	double norm = ir_attr_float(n, "norm_coefficient", 0), eps = ir_attr_float(n, "epsilon", 0);
	if (n->op == OP_ADAGRAD) {
		out_line(o, "const double gr = %.17g * x + g, hn = a + gr * gr;", norm);
		out_line(o, "xn = x - r * gr / (sqrt(hn) + %.17g);", eps);
		out_line(o, "an = hn;");
	} else if (n->op == OP_ADAM) {
		double al = ir_attr_float(n, "alpha", 0.9), be = ir_attr_float(n, "beta", 0.999);
		out_line(o, "const double gr = %.17g * x + g;", norm);
		out_line(o, "an = %.17g * a + %.17g * gr;", al, 1 - al);
		out_line(o, "bn = %.17g * b + %.17g * gr * gr;", be, 1 - be);
		out_line(o, "xn = %.17g * (x - r * an / (sqrt(bn) + %.17g));",
			 1 - ir_attr_float(n, "norm_coefficient_post", 0), eps);
	} else {
		bool nesterov = strcmp(ir_attr_str(n, "mode", ""), "nesterov") == 0;
		double al = ir_attr_float(n, "alpha", 0);
		out_line(o, "const double gr = %.17g * x + g;", norm);
		out_line(o, "an = %.17g * a + beta * gr;", al);
		if (nesterov)
			out_line(o, "xn = x - r * (gr + %.17g * an);", al);
		else
			out_line(o, "xn = x - r * an;");
	}
}

/* The scalar learning-rate factor r (and Momentum's beta) from R = x0[0], T = x1[0]. */
static void emit_rate(Emit *e)
{
	const Node *n = e->n;
	Out *o = e->o;
	out_line(o, "const int64_t t = x1[0];");
	if (n->op == OP_ADAGRAD) {
		out_line(o, "const double r = (double)x0[0] / (1 + (double)t * %.17g);",
			 ir_attr_float(n, "decay_factor", 0));
	} else if (n->op == OP_ADAM) {
		double al = ir_attr_float(n, "alpha", 0.9), be = ir_attr_float(n, "beta", 0.999);
		out_line(o, "const double r = t > 0 ? (double)x0[0] * "
			 "sqrt(1 - pow(%.17g, (double)t)) / (1 - pow(%.17g, (double)t)) : "
			 "(double)x0[0];", be, al);
	} else {
		out_line(o, "const double r = (double)x0[0];");
		double be = ir_attr_float(n, "beta", 0);
		out_line(o, "const double beta = t > 0 ? %.17g : 1.0;", be);
	}
}

static int emit(Emit *e)
{
	const Node *n = e->n;
	int per = group(n->op), vars = (n->ninputs - 2) / per;
	Out *o = e->o;
	emit_rate(e);
	for (int v = 0; v < vars; v++) {
		const char *in[4], *out[3];
		DType ot[3];
		char ld[4][96], st[96];
		for (int j = 0; j < per; j++) {
			in[j] = e->in[2 + j * vars + v];
		}
		for (int j = 0; j < per - 1; j++) {
			out[j] = e->out[j * vars + v];
			ot[j] = out[j] ? op_outv(e->g, n, j * vars + v)->dtype : DT_FLOAT;
		}
		out_line(o, "for (int64_t i = 0; i < %lld; i++) {",
			 (long long)ir_numel(op_in(e->g, n, 2 + v)));
		for (int j = 0; j < per; j++)
			snprintf(ld[j], sizeof ld[j], "(double)%s[i]", in[j]);
		out_line(o, "const double x = %s, g = %s, a = %s%s%s;", ld[0], ld[1], ld[2],
			 per == 4 ? ", b = " : "", per == 4 ? ld[3] : "");
		out_line(o, "double xn, an%s;", per == 4 ? ", bn" : "");
		emit_step(e);
		static const char *const names[3] = {"xn", "an", "bn"};
		for (int j = 0; j < per - 1; j++) {
			if (out[j])
				out_line(o, "%s[i] = %s;", out[j],
					 cg_store(ot[j], names[j], st, sizeof st));
			else
				out_line(o, "(void)%s;", names[j]);
		}
		out_line(o, "}");
	}
	return 0;
}

const OpDef opdef_ADAGRAD = {infer, NULL, emit, NULL, 0};
const OpDef opdef_ADAM = {infer, NULL, emit, NULL, 0};
const OpDef opdef_MOMENTUM = {infer, NULL, emit, NULL, 0};

static int infer_gradient(Graph *g, Node *n, Diag *d)
{
	const Attr *xs = ir_attr(n, "xs"), *zs = ir_attr(n, "zs");
	if (!xs || xs->type != AT_STRINGS || xs->n == 0 || !ir_attr_str(n, "y", NULL))
		return ir_node_error(d, g, n, "needs attributes xs (a list of names) and y (a name)");
	size_t nz = zs && zs->type == AT_STRINGS ? zs->n : 0;
	if (op_check_arity(g, n, 1, -1, n->ninputs, d) < 0)
		return -1;
	if ((size_t)n->ninputs != xs->n + nz)
		return ir_node_error(d, g, n, "has %d inputs, expected one per name in xs and zs (%zu)",
				     n->ninputs, xs->n + nz);
	if ((size_t)n->noutputs > xs->n)
		return ir_node_error(d, g, n, "has %d outputs, expected at most one per name in xs (%zu)",
				     n->noutputs, xs->n);
	for (int k = 0; k < n->noutputs; k++) {
		if (ir_out(n, k) == IR_NONE)
			continue;
		if (op_check_dtype(g, n, k, op_float_types, d) < 0)
			return -1;
		const Value *x = op_in(g, n, k);
		op_set_out(g, n, k, x->dtype, &x->shape);
	}
	return 0;
}

const OpDef opdef_GRADIENT = {infer_gradient, NULL, NULL, NULL, 0};
