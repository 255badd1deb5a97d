/* rotary.c - RotaryEmbedding (opset 23): rotary position embeddings.
 *
 * For every batch, position and head the first rotary_embedding_dim elements
 * of the head (all of it by default) are rotated pairwise by the angle whose
 * cosine and sine come from the caches, row position_ids[b][s] (or row [b][s]
 * of 3-D caches without position_ids); the rest is copied. Pairs are the two
 * halves (x[i], x[i + half]) or, with interleaved = 1, neighbours (x[2i],
 * x[2i + 1]). Input may be [batch, heads, seq, head_size] or, with num_heads,
 * [batch, seq, heads * head_size]; the kernel addresses both through strides.
 * Position ids outside the cache are clamped, so they never read out of bounds.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

typedef struct Rope {
	int64_t b, h, s, d, rot;
	bool in3d, interleaved, pos;
	int64_t ncache; /* rows of a 2-D cache */
} Rope;

static int view(const Graph *g, const Node *n, Rope *r, Diag *d)
{
	const Shape *x = &op_in(g, n, 0)->shape, *c = &op_in(g, n, 1)->shape;
	if (x->rank != 3 && x->rank != 4)
		return ir_node_error(d, g, n, "input has rank %d, expected 3 or 4", x->rank);
	r->in3d = x->rank == 3;
	r->b = x->dims[0];
	if (r->in3d) {
		r->h = ir_attr_int(n, "num_heads", 0);
		if (r->h <= 0 || x->dims[2] % r->h)
			return ir_node_error(d, g, n, "3-D input needs num_heads dividing its hidden size "
					     "%lld", (long long)x->dims[2]);
		r->s = x->dims[1];
		r->d = x->dims[2] / r->h;
	} else {
		r->h = x->dims[1];
		r->s = x->dims[2];
		r->d = x->dims[3];
	}
	r->rot = ir_attr_int(n, "rotary_embedding_dim", 0);
	if (r->rot == 0)
		r->rot = r->d;
	if (r->rot < 0 || r->rot > r->d || r->rot % 2)
		return ir_node_error(d, g, n, "rotary_embedding_dim %lld must be even and at most the "
				     "head size %lld", (long long)r->rot, (long long)r->d);
	r->interleaved = ir_attr_int(n, "interleaved", 0) != 0;
	r->pos = ir_has_in(n, 3);
	const Shape *sc = &op_in(g, n, 2)->shape;
	bool ok = shape_equal(c, sc) && c->dims[c->rank - 1] == r->rot / 2;
	if (r->pos) {
		const Shape *p = &op_in(g, n, 3)->shape;
		ok = ok && c->rank == 2 && p->rank == 2 && p->dims[0] == r->b && p->dims[1] == r->s;
		r->ncache = c->dims[0];
	} else {
		ok = ok && c->rank == 3 && c->dims[0] == r->b && c->dims[1] == r->s;
	}
	if (!ok)
		return ir_node_error(d, g, n, "cos_cache/sin_cache/position_ids shapes do not match the "
				     "input (expected caches [..., %lld])", (long long)(r->rot / 2));
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType pos_types[] = {DT_INT64, DT_UNDEFINED};
	if (op_check_arity(g, n, 3, 4, 3, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0 ||
	    op_check_dtype(g, n, 3, pos_types, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 1; k < 3; k++)
		if (op_in(g, n, k)->dtype != dt)
			return ir_node_error(d, g, n, "input '%s' is %s but X is %s", op_in(g, n, k)->name,
					     dtype_name(op_in(g, n, k)->dtype), dtype_name(dt));
	Rope r;
	if (view(g, n, &r, d) < 0)
		return -1;
	op_set_out(g, n, 0, dt, &op_in(g, n, 0)->shape);
	return 0;
}

static int emit(Emit *e)
{
	Rope r;
	Diag d;
	diag_init(&d, NULL);
	if (view(e->g, e->n, &r, &d) < 0)
		return -1;
	DType dt = op_in(e->g, e->n, 0)->dtype;
	const char *comp = cg_comp(dt);
	long long half = (long long)(r.rot / 2), hd = (long long)r.d;
	/* strides of batch, sequence and head in the input */
	long long sb = (long long)(r.h * r.s * r.d);
	long long ss = (long long)(r.in3d ? r.h * r.d : r.d), sh = (long long)(r.in3d ? r.d : r.s * r.d);
	char l1[96], l2[96], lc[96], ls[96], e1[200], e2[200], s1[260], s2[260];
	Out *o = e->o;
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)r.b);
	out_line(o, "for (int64_t s = 0; s < %lld; s++) {", (long long)r.s);
	if (r.pos) {
		out_line(o, "int64_t p = x3[b * %lld + s];", (long long)r.s);
		out_line(o, "p = p < 0 ? 0 : p >= %lld ? %lld : p;", (long long)r.ncache,
			 (long long)r.ncache - 1);
		out_line(o, "const %s *restrict cr = x1 + p * %lld, *restrict sr = x2 + p * %lld;",
			 cg_ctype(dt), half, half);
	} else {
		out_line(o, "const %s *restrict cr = x1 + (b * %lld + s) * %lld, *restrict sr = x2 + "
			 "(b * %lld + s) * %lld;", cg_ctype(dt), (long long)r.s, half, (long long)r.s, half);
	}
	out_line(o, "for (int64_t h = 0; h < %lld; h++) {", (long long)r.h);
	out_line(o, "const int64_t base = b * %lld + s * %lld + h * %lld;", sb, ss, sh);
	out_line(o, "const %s *restrict xr = x0 + base;", cg_ctype(dt));
	out_line(o, "%s *restrict yr = y0 + base;", cg_ctype(dt));
	const char *i1 = r.interleaved ? "2 * i" : "i";
	char i2[32];
	snprintf(i2, sizeof i2, r.interleaved ? "2 * i + 1" : "i + %lld", half);
	char ref[64];
	snprintf(ref, sizeof ref, "xr[%s]", i1);
	cg_load(dt, ref, l1, sizeof l1);
	snprintf(ref, sizeof ref, "xr[%s]", i2);
	cg_load(dt, ref, l2, sizeof l2);
	cg_load(dt, "cr[i]", lc, sizeof lc);
	cg_load(dt, "sr[i]", ls, sizeof ls);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) {", half);
	out_line(o, "const %s a = %s, c = %s, cs = %s, sn = %s;", comp, l1, l2, lc, ls);
	snprintf(e1, sizeof e1, "cs * a - sn * c");
	snprintf(e2, sizeof e2, "sn * a + cs * c");
	out_line(o, "yr[%s] = %s;", i1, cg_store(dt, e1, s1, sizeof s1));
	out_line(o, "yr[%s] = %s;", i2, cg_store(dt, e2, s2, sizeof s2));
	out_line(o, "}");
	if (r.rot < r.d)
		out_line(o, "for (int64_t i = %lld; i < %lld; i++) yr[i] = xr[i];", (long long)r.rot, hd);
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_ROTARYEMBEDDING = {infer, NULL, emit, NULL, 0};
