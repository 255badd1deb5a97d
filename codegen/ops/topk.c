/* topk.c - TopK: the k largest (or smallest) elements along an axis, and their indices.
 *
 * k decides the output shape, so it must be a compile-time constant (attribute
 * before opset 10, input after). Per lane the kernel keeps a heap of the k best
 * indices seen so far (worst at the root), then heap-sorts it: O(n log k), with k
 * indices of scratch. The order is total: by value, ties by the lower index first
 * (as the spec asks), and NaN counts as larger than every number. Results are
 * always sorted, which also satisfies sorted=0.
 */
#include <stdio.h>

#include "indexing.h"

static int get_k(const Graph *g, const Node *n, int64_t *k, Diag *d)
{
	if (n->opset < 10) {
		if (!ir_attr(n, "k"))
			return ir_node_error(d, g, n, "attribute 'k' is required");
		*k = ir_attr_int(n, "k", 0);
		return 0;
	}
	int64_t v[1], cnt;
	if (ix_const_ints(g, n, 1, v, 1, &cnt, d) < 0)
		return -1;
	if (cnt != 1)
		return ir_node_error(d, g, n, "K has %lld values, expected 1", (long long)cnt);
	*k = v[0];
	return 0;
}

static int get_axis(const Graph *g, const Node *n, int *axis, Diag *d)
{
	return op_axis(g, n, ir_attr_int(n, "axis", -1), op_in(g, n, 0)->shape.rank, axis, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int nin = n->opset < 10 ? 1 : 2;
	if (op_check_arity(g, n, nin, nin, nin, d) < 0 ||
	    op_check_dtype(g, n, 0, op_numeric_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int axis;
	int64_t k = 0;
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "input is a scalar, expected rank >= 1");
	if (get_axis(g, n, &axis, d) < 0 || get_k(g, n, &k, d) < 0)
		return -1;
	if (k < 0 || k > x->shape.dims[axis])
		return ir_node_error(d, g, n, "k is %lld, expected 0 to %lld", (long long)k,
				     (long long)x->shape.dims[axis]);
	int64_t largest = n->opset >= 11 ? ir_attr_int(n, "largest", 1) : 1;
	if (largest != 0 && largest != 1)
		return ir_node_error(d, g, n, "largest is %lld, expected 0 or 1",
				     (long long)largest);
	Shape s = x->shape;
	s.dims[axis] = k;
	op_set_out(g, n, 0, x->dtype, &s);
	op_set_out(g, n, 1, DT_INT64, &s);
	return 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	if (!y)
		y = op_outv(g, n, 1);
	int64_t a = ir_attr_int(n, "axis", -1);
	int r = y->shape.rank;
	return y->shape.dims[a < 0 ? a + r : a] * (int64_t)sizeof(int64_t);
}

/* File-scope helpers: better(x, a, b) and sift(h, m, i, x) over a lane x of stride post. */
static void emit_helpers(Emit *e, DType dt, int64_t post, bool largest)
{
	Out *o = e->decls;
	const char *fn = e->fn, *ct = cg_ctype(dt), *comp = cg_comp(dt);
	char la[96], lb[96], ia[32], ib[32];
	snprintf(ia, sizeof ia, "x[a * %lld]", (long long)post);
	snprintf(ib, sizeof ib, "x[b * %lld]", (long long)post);
	out_printf(o, "static int %s_better(const %s *x, int64_t a, int64_t b)\n{\n", fn, ct);
	out_printf(o, "\tconst %s va = %s, vb = %s;\n", comp, cg_load(dt, ia, la, sizeof la),
		   cg_load(dt, ib, lb, sizeof lb));
	if (dtype_info(dt)->is_float)
		out_printf(o, "\tif (va != va || vb != vb)\n\t\treturn (va != va) == (vb != vb) ? "
			      "a < b : %s;\n", largest ? "va != va" : "vb != vb");
	out_printf(o, "\tif (va != vb)\n\t\treturn va %s vb;\n\treturn a < b;\n}\n",
		   largest ? ">" : "<");
	out_printf(o, "static void %s_sift(int64_t *h, int64_t m, int64_t i, const %s *x)\n{\n", fn,
		   ct);
	out_printf(o, "\tfor (;;) {\n"
		      "\t\tint64_t w = i, l = 2 * i + 1, r = l + 1, t;\n"
		      "\t\tif (l < m && %s_better(x, h[w], h[l]))\n\t\t\tw = l;\n"
		      "\t\tif (r < m && %s_better(x, h[w], h[r]))\n\t\t\tw = r;\n"
		      "\t\tif (w == i)\n\t\t\treturn;\n"
		      "\t\tt = h[i];\n\t\th[i] = h[w];\n\t\th[w] = t;\n\t\ti = w;\n\t}\n}\n",
		   fn, fn);
}

static int emit(Emit *e)
{
	const Node *n = e->n;
	const Value *x = op_in(e->g, n, 0);
	int r = x->shape.rank;
	int axis = (int)ir_attr_int(n, "axis", -1);
	axis = axis < 0 ? axis + r : axis;
	const Value *y = op_outv(e->g, n, 0) ? op_outv(e->g, n, 0) : op_outv(e->g, n, 1);
	int64_t k = y->shape.dims[axis], len = x->shape.dims[axis];
	int64_t pre = ix_prod(&x->shape, 0, axis), post = ix_prod(&x->shape, axis + 1, r);
	bool largest = n->opset < 11 || ir_attr_int(n, "largest", 1);
	if (k * pre * post == 0)
		return 0;
	emit_helpers(e, x->dtype, post, largest);
	const char *fn = e->fn;
	out_line(e->o, "int64_t *h = (int64_t *)scratch;");
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)pre);
	out_line(e->o, "for (int64_t q = 0; q < %lld; q++) {", (long long)post);
	out_line(e->o, "const %s *x = x0 + p * %lld + q;", cg_ctype(x->dtype),
		 (long long)(len * post));
	out_line(e->o, "int64_t i, m;");
	out_line(e->o, "for (i = 0; i < %lld; i++)", (long long)k);
	out_line(e->o, "\th[i] = i;");
	out_line(e->o, "for (i = %lld; i-- > 0;)", (long long)(k / 2));
	out_line(e->o, "\t%s_sift(h, %lld, i, x);", fn, (long long)k);
	out_line(e->o, "for (i = %lld; i < %lld; i++) {", (long long)k, (long long)len);
	out_line(e->o, "if (%s_better(x, i, h[0])) {", fn);
	out_line(e->o, "h[0] = i;");
	out_line(e->o, "%s_sift(h, %lld, 0, x);", fn, (long long)k);
	out_line(e->o, "}");
	out_line(e->o, "}");
	out_line(e->o, "for (m = %lld; m > 1; m--) {", (long long)k);
	out_line(e->o, "const int64_t t = h[0];");
	out_line(e->o, "h[0] = h[m - 1];");
	out_line(e->o, "h[m - 1] = t;");
	out_line(e->o, "%s_sift(h, m - 1, 0, x);", fn);
	out_line(e->o, "}");
	out_line(e->o, "for (i = 0; i < %lld; i++) {", (long long)k);
	out_line(e->o, "const int64_t o = (p * %lld + i) * %lld + q;", (long long)k,
		 (long long)post);
	if (e->out[0])
		out_line(e->o, "y0[o] = x[h[i] * %lld];", (long long)post);
	if (e->out[1])
		out_line(e->o, "y1[o] = h[i];");
	out_line(e->o, "}");
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_TOPK = {infer, NULL, emit, scratch, 0};
