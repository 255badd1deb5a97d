/* pad.c - Pad: constant, reflect, edge and wrap padding (negative pads crop).
 *
 * pads (attribute before opset 11, input after) and axes (input, opset 18+) decide
 * the output shape and must be compile-time constants; constant_value may be
 * computed at run time. Constant mode fills the padded border and copies the
 * input as one strided Copy (indexing.h). The other modes map each output
 * coordinate to an input coordinate per axis; the maps are computed at compile
 * time into small static tables, so the kernel does no division.
 */
#include <stdio.h>
#include <string.h>

#include "indexing.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct PadArgs {
	int mode;
	int rank;
	int64_t begin[CNNC_MAX_RANK], end[CNNC_MAX_RANK];
} PadArgs;

static int pad_mode(const Graph *g, const Node *n, int *mode, Diag *d)
{
	const char *m = ir_attr_str(n, "mode", "constant");
	if (!strcmp(m, "constant"))
		*mode = PAD_CONSTANT;
	else if (!strcmp(m, "reflect"))
		*mode = PAD_REFLECT;
	else if (!strcmp(m, "edge"))
		*mode = PAD_EDGE;
	else if (!strcmp(m, "wrap") && n->opset >= 19)
		*mode = PAD_WRAP;
	else
		return ir_node_error(d, g, n, "mode '%s' is not one of constant, reflect, edge%s",
				     m, n->opset >= 19 ? ", wrap" : "");
	return 0;
}

static int pad_args(const Graph *g, const Node *n, PadArgs *pa, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	int r = x->shape.rank;
	int64_t pads[2 * CNNC_MAX_RANK], npads, axes[CNNC_MAX_RANK], naxes = r;
	memset(pa, 0, sizeof *pa);
	pa->rank = r;
	if (pad_mode(g, n, &pa->mode, d) < 0)
		return -1;
	if (n->opset < 11) {
		const int64_t *v;
		const char *name = n->opset < 2 ? "paddings" : "pads";
		npads = (int64_t)ir_attr_ints(n, name, &v);
		if (!ir_attr(n, name))
			return ir_node_error(d, g, n, "attribute '%s' is required", name);
		if (npads > 2 * r)
			return ir_node_error(d, g, n, "%s has %lld values, expected %d", name,
					     (long long)npads, 2 * r);
		memcpy(pads, v, (size_t)npads * sizeof *pads);
	} else if (ix_const_ints(g, n, 1, pads, 2 * CNNC_MAX_RANK, &npads, d) < 0) {
		return -1;
	}
	if (n->opset >= 18 && ir_has_in(n, 3)) {
		if (ix_const_ints(g, n, 3, axes, CNNC_MAX_RANK, &naxes, d) < 0)
			return -1;
	} else {
		for (int k = 0; k < r; k++)
			axes[k] = k;
	}
	if (npads != 2 * naxes)
		return ir_node_error(d, g, n, "pads has %lld values, expected %lld",
				     (long long)npads, (long long)(2 * naxes));
	bool seen[CNNC_MAX_RANK] = {false};
	for (int64_t i = 0; i < naxes; i++) {
		int a;
		if (op_axis(g, n, axes[i], r, &a, d) < 0)
			return -1;
		if (seen[a])
			return ir_node_error(d, g, n, "axis %d is padded twice", a);
		seen[a] = true;
		pa->begin[a] = pads[i];
		pa->end[a] = pads[i + naxes];
	}
	return 0;
}

static int pad_shape(const Graph *g, const Node *n, const PadArgs *pa, Shape *s, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	s->rank = pa->rank;
	for (int k = 0; k < pa->rank; k++) {
		int64_t dim = x->shape.dims[k], b = pa->begin[k], e = pa->end[k];
		if (b > CNNC_MAX_TENSOR_BYTES || e > CNNC_MAX_TENSOR_BYTES || dim + b + e < 0 ||
		    b < -dim || e < -dim)
			return ir_node_error(d, g, n,
					     "pads %lld and %lld do not fit axis %d of size %lld",
					     (long long)b, (long long)e, k, (long long)dim);
		s->dims[k] = dim + b + e;
		if (pa->mode != PAD_CONSTANT && dim == 0 && s->dims[k] > 0)
			return ir_node_error(d, g, n, "cannot pad empty axis %d in this mode", k);
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	int hi = n->opset < 11 ? 1 : n->opset < 18 ? 3 : 4;
	if (op_check_arity(g, n, hi == 1 ? 1 : 2, hi, hi == 1 ? 1 : 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *cv = op_in(g, n, 2);
	if (cv && (cv->dtype != x->dtype || ir_numel(cv) != 1))
		return ir_node_error(d, g, n, "constant_value must be one %s, got %lld %s",
				     dtype_name(x->dtype), (long long)ir_numel(cv),
				     dtype_name(cv->dtype));
	PadArgs pa;
	Shape s;
	if (pad_args(g, n, &pa, d) < 0 || pad_shape(g, n, &pa, &s, d) < 0)
		return -1;
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

/* The Copy of the part of the input that lands in the output (constant mode). */
static void interior_copy(const Shape *xs, const Shape *ys, const PadArgs *pa, Copy *c)
{
	int64_t xst[CNNC_MAX_RANK], yst[CNNC_MAX_RANK];
	shape_strides(xs, xst);
	shape_strides(ys, yst);
	memset(c, 0, sizeof *c);
	c->rank = xs->rank;
	for (int k = 0; k < xs->rank; k++) {
		int64_t b = pa->begin[k], e = pa->end[k];
		c->dims[k] = xs->dims[k] + (b < 0 ? b : 0) + (e < 0 ? e : 0);
		c->soff += (b < 0 ? -b : 0) * xst[k];
		c->doff += (b > 0 ? b : 0) * yst[k];
		c->sst[k] = xst[k];
		c->dst[k] = yst[k];
	}
}

/* Input coordinate of output coordinate o along an axis (non-constant modes). */
static int64_t map_coord(int mode, int64_t o, int64_t begin, int64_t dim)
{
	int64_t c = o - begin;
	if (c >= 0 && c < dim)
		return c;
	switch (mode) {
	case PAD_EDGE: return c < 0 ? 0 : dim - 1;
	case PAD_WRAP: return ((c % dim) + dim) % dim;
	default: {
		if (dim == 1)
			return 0;
		int64_t p = 2 * (dim - 1);
		c = ((c % p) + p) % p;
		return c >= dim ? p - c : c;
	}
	}
}

static bool padded(const PadArgs *pa)
{
	for (int k = 0; k < pa->rank; k++)
		if (pa->begin[k] > 0 || pa->end[k] > 0)
			return true;
	return false;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	PadArgs pa;
	if (pad_args(g, n, &pa, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0), *cv = op_in(g, n, 2);
	void *out = op_alloc_const(g, n, 0);
	int64_t total = ir_numel(y);
	if (pa.mode == PAD_CONSTANT) {
		static const char *const empty = "";
		for (int64_t i = 0; i < total; i++) {
			if (cv)
				ix_copy_elem(x->dtype, out, i, cv->data, 0);
			else if (x->dtype == DT_STRING)
				ix_copy_elem(x->dtype, out, i, &empty, 0);
			else
				dtype_set_f64(x->dtype, out, i, ir_attr_float(n, "value", 0));
		}
		Copy c;
		interior_copy(&x->shape, &y->shape, &pa, &c);
		ix_fold_copy(&c, x->dtype, out, x->data);
		return 0;
	}
	int64_t xst[CNNC_MAX_RANK], idx[CNNC_MAX_RANK] = {0};
	shape_strides(&x->shape, xst);
	for (int64_t i = 0; i < total; i++) {
		int64_t off = 0;
		for (int k = 0; k < pa.rank; k++)
			off += map_coord(pa.mode, idx[k], pa.begin[k], x->shape.dims[k]) * xst[k];
		ix_copy_elem(x->dtype, out, i, x->data, off);
		for (int k = pa.rank - 1; k >= 0 && ++idx[k] == y->shape.dims[k]; k--)
			idx[k] = 0;
	}
	return 0;
}

static void emit_constant(Emit *e, const PadArgs *pa)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	int64_t total = ir_numel(y);
	if (padded(pa) && total > 0) {
		char lit[64], st[128];
		const char *v;
		if (e->n->ninputs > 2 && e->in[2])
			v = "x2[0]";
		else if (x->dtype == DT_STRING)
			v = "\"\"";
		else
			v = cg_store(x->dtype,
				     cg_lit(x->dtype, ir_attr_float(e->n, "value", 0), lit,
						      sizeof lit), st, sizeof st);
		out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)total);
		out_line(e->o, "\ty0[i] = %s;", v);
	}
	Copy c;
	interior_copy(&x->shape, &y->shape, pa, &c);
	ix_emit_copy(e->o, &c, "y0", "x0");
}

static void emit_mapped(Emit *e, const PadArgs *pa)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	if (ir_numel(y) == 0)
		return;
	int64_t xst[CNNC_MAX_RANK];
	shape_strides(&x->shape, xst);
	char idx[1024];
	size_t len = (size_t)snprintf(idx, sizeof idx, "0");
	for (int k = 0; k < pa->rank; k++) {
		int64_t dim = x->shape.dims[k], od = y->shape.dims[k];
		if (dim == 1)
			continue;
		if (pa->begin[k] == 0 && pa->end[k] == 0) {
			len += (size_t)snprintf(idx + len, sizeof idx - len, " + i%d * %lld", k,
						(long long)xst[k]);
			continue;
		}
		/* the table holds input offsets (coordinate * stride) */
		bool wide = dim * xst[k] > INT32_MAX;
		out_printf(e->decls, "static const %s %s_m%d[%lld] = {",
			   wide ? "int64_t" : "int32_t", e->fn, k, (long long)od);
		for (int64_t o = 0; o < od; o++)
			out_printf(e->decls, "%s%s%lld", o ? "," : "", o % 16 == 15 ? "\n\t" : "",
				   (long long)(map_coord(pa->mode, o, pa->begin[k], dim) * xst[k]));
		out_printf(e->decls, "};\n");
		len += (size_t)snprintf(idx + len, sizeof idx - len, " + %s_m%d[i%d]", e->fn, k, k);
	}
	out_line(e->o, "int64_t j = 0;");
	int loops = cg_loops(e->o, &y->shape, "i");
	out_line(e->o, "y0[j++] = x0[%s];", idx);
	cg_close(e->o, loops);
}

static int emit(Emit *e)
{
	PadArgs pa;
	Diag d;
	diag_init(&d, "");
	if (pad_args(e->g, e->n, &pa, &d) < 0)
		return -1;
	if (pa.mode == PAD_CONSTANT)
		emit_constant(e, &pa);
	else
		emit_mapped(e, &pa);
	return 0;
}

const OpDef opdef_PAD = {infer, fold, emit, NULL, 0};
