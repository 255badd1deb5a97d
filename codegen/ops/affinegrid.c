/* affinegrid.c - AffineGrid: the sampling grid of a batch of 2-D or 3-D affine maps.
 *
 * grid[n, (d,) h, w, :] = theta[n] @ (x_w, y_h, (z_d,) 1), where the base
 * coordinates span [-1, 1] over pixel centres (align_corners=0: -1 + (2i+1)/len)
 * or over the corner pixels (align_corners=1: -1 + 2i/(len-1), -1 when len is 1).
 * `size` must be constant. The base coordinates are compile-time tables; the
 * kernel is a small matrix-vector product per output position. Constant theta
 * folds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

static double base(int64_t i, int64_t len, bool align)
{
	if (align)
		return len > 1 ? -1 + 2.0 * (double)i / (double)(len - 1) : -1;
	return -1 + (2.0 * (double)i + 1) / (double)len;
}

/* Spatial extents (outermost first) from `size`; returns their count or -1. */
static int read_size(Graph *g, const Node *n, int64_t *sp, Diag *d)
{
	const int64_t *v;
	int64_t cnt;
	const Value *th = op_in(g, n, 0);
	if (op_const_ints(g, n, 1, &v, &cnt, d) < 0)
		return -1;
	if (cnt != 4 && cnt != 5)
		return ir_node_error(d, g, n, "size has %lld values, expected 4 or 5", (long long)cnt);
	int nd = (int)cnt - 2;
	if (th->shape.rank != 3 || th->shape.dims[0] != v[0] || th->shape.dims[1] != nd ||
	    th->shape.dims[2] != nd + 1)
		return ir_node_error(d, g, n, "theta must have shape [%lld, %d, %d]", (long long)v[0],
				     nd, nd + 1);
	for (int i = 0; i < nd; i++) {
		if (v[2 + i] < 1)
			return ir_node_error(d, g, n, "size[%d] is %lld, expected at least 1", 2 + i,
					     (long long)v[2 + i]);
		sp[i] = v[2 + i];
	}
	return nd;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int64_t sp[3];
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	int nd = read_size(g, n, sp, d);
	if (nd < 0)
		return -1;
	Shape s = {nd + 2, {op_in(g, n, 0)->shape.dims[0]}};
	for (int i = 0; i < nd; i++)
		s.dims[1 + i] = sp[i];
	s.dims[nd + 1] = nd;
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, op_in(g, n, 0)->dtype, &s);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	int64_t sp[3] = {1, 1, 1};
	int nd = read_size(g, n, sp, d);
	if (nd < 0)
		return -1;
	const Value *th = op_in(g, n, 0);
	bool align = ir_attr_int(n, "align_corners", 0) != 0;
	void *y = op_alloc_const(g, n, 0);
	int64_t N = th->shape.dims[0], pts = 1, k = 0;
	for (int i = 0; i < nd; i++)
		pts *= sp[i];
	for (int64_t b = 0; b < N; b++)
		for (int64_t p = 0; p < pts; p++) {
			double hv[4];
			int64_t r = p;
			/* hv = (x, y, (z,) 1): innermost axis first */
			for (int i = nd - 1; i >= 0; i--) {
				hv[nd - 1 - i] = base(r % sp[i], sp[i], align);
				r /= sp[i];
			}
			hv[nd] = 1;
			for (int row = 0; row < nd; row++) {
				double acc = 0;
				for (int j = 0; j <= nd; j++)
					acc += dtype_get_f64(th->dtype, th->data,
							     (b * nd + row) * (nd + 1) + j) * hv[j];
				dtype_set_f64(th->dtype, y, k++, acc);
			}
		}
	return 0;
}

static void axis_table(Emit *e, int i, int64_t len, bool align, const char *at)
{
	char lit[64];
	out_printf(e->decls, "static const %s %s_b%d[%lld] = {", at, e->fn, i, (long long)len);
	for (int64_t j = 0; j < len; j++)
		out_printf(e->decls, "%s%s", j ? "," : "",
			   cg_lit(strcmp(at, "double") ? DT_FLOAT : DT_DOUBLE, base(j, len, align), lit,
				  sizeof lit));
	out_printf(e->decls, "};\n");
}

static int emit(Emit *e)
{
	Diag dg;
	diag_init(&dg, "");
	int64_t sp[3];
	int nd = read_size((Graph *)e->g, e->n, sp, &dg);
	if (nd < 0)
		return -1;
	const Value *th = op_in(e->g, e->n, 0);
	DType dt = th->dtype;
	const char *at = cg_comp(dt);
	bool align = ir_attr_int(e->n, "align_corners", 0) != 0;
	for (int i = 0; i < nd; i++)
		axis_table(e, i, sp[i], align, at);
	Out *o = e->o;
	char ld[96], st[256], ex[128];
	out_line(o, "ptrdiff_t k = 0;");
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)th->shape.dims[0]);
	out_line(o, "const %s *t = x0 + (ptrdiff_t)n * %d;", cg_ctype(dt), nd * (nd + 1));
	for (int i = 0; i < nd; i++)
		out_line(o, "for (int i%d = 0; i%d < %lld; i%d++) {", i, i, (long long)sp[i], i);
	for (int row = 0; row < nd; row++) {
		size_t len = 0;
		char expr[512];
		expr[0] = 0;
		for (int j = 0; j <= nd; j++) {
			snprintf(ex, sizeof ex, "t[%d]", row * (nd + 1) + j);
			cg_load(dt, ex, ld, sizeof ld);
			if (j < nd)
				len += (size_t)snprintf(expr + len, sizeof expr - len, "%s * %s_b%d[i%d] + ",
							ld, e->fn, nd - 1 - j, nd - 1 - j);
			else
				len += (size_t)snprintf(expr + len, sizeof expr - len, "%s", ld);
		}
		out_line(o, "y0[k++] = %s;", cg_store(dt, expr, st, sizeof st));
	}
	for (int i = 0; i < nd; i++)
		out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_AFFINEGRID = {infer, fold, emit, NULL, 0};
