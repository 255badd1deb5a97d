/* norm.c - normalizations whose statistics cover contiguous runs of the input:
 * LayerNormalization, RMSNormalization, InstanceNormalization, GroupNormalization.
 *
 * Each is "rows" of `len` contiguous elements (everything from `axis` on, one
 * channel's spatial plane, or one group's channels), and every row gets its own
 * mean and 1/sqrt(var + epsilon) (RMSNormalization: 1/sqrt(mean(x*x) + epsilon)).
 * The statistics are computed in float (double for double inputs or
 * stash_type = double) in two passes, mean first and then the squared
 * deviations, which avoids the cancellation of E[x^2] - E[x]^2. The final pass
 * applies the statistics with the per-element or per-channel scale and bias.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

/* The accumulation type of a node's statistics. */
static const char *acc_type(const Node *n, DType dt)
{
	return dt == DT_DOUBLE || ir_attr_int(n, "stash_type", 1) == DT_DOUBLE ? "double" : "float";
}

static const char *acc_suffix(const char *acc)
{
	return strcmp(acc, "double") == 0 ? "" : "f";
}

/* Declares `mean` and `inv` for the row at xr (len elements of dt). */
static void emit_stats(Out *o, DType dt, const char *acc, int64_t len, double eps, bool rms)
{
	char ld[64], lit[64];
	cg_load(dt, "xr[j]", ld, sizeof ld);
	snprintf(lit, sizeof lit, "%.17g", eps);
	out_line(o, "%s mean = 0, var = 0;", acc);
	if (!rms) {
		out_line(o, "for (int64_t j = 0; j < %lld; j++) mean += (%s)%s;", (long long)len, acc, ld);
		out_line(o, "mean /= (%s)%lld;", acc, (long long)len);
	}
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", (long long)len);
	out_line(o, "const %s d = (%s)%s - mean;", acc, acc, ld);
	out_line(o, "var += d * d;");
	out_line(o, "}");
	out_line(o, "const %s inv = (%s)1 / sqrt%s(var / (%s)%lld + (%s)%s);", acc, acc,
		 acc_suffix(acc), acc, (long long)len, acc, lit);
}

static int check_float_inputs(const Graph *g, const Node *n, Diag *d)
{
	for (int k = 0; k < n->ninputs; k++)
		if (op_check_dtype(g, n, k, op_float_types, d) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ Layer / RMS */

/* Rows and row length of LayerNormalization/RMSNormalization; checks that Scale
   and B broadcast over the normalized axes only. */
static int layer_view(const Graph *g, const Node *n, int64_t *rows, int64_t *len, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	int axis;
	if (op_axis(g, n, ir_attr_int(n, "axis", -1), s->rank, &axis, d) < 0)
		return -1;
	*rows = *len = 1;
	for (int i = 0; i < s->rank; i++)
		*(i < axis ? rows : len) *= s->dims[i];
	Shape norm = {s->rank - axis, {0}};
	memcpy(norm.dims, s->dims + axis, sizeof(int64_t) * (size_t)norm.rank);
	for (int k = 1; k < 3; k++) {
		const Value *p = op_in(g, n, k);
		if (!p)
			continue;
		Shape r;
		Shape ps = p->shape;
		while (ps.rank > norm.rank && ps.dims[0] == 1) {
			memmove(ps.dims, ps.dims + 1, sizeof(int64_t) * (size_t)--ps.rank);
		}
		char s1[128];
		if (ps.rank > norm.rank || shape_broadcast(&ps, &norm, &r) < 0 || !shape_equal(&r, &norm))
			return ir_node_error(d, g, n, "input '%s' of shape %s does not broadcast to the "
					     "normalized axes", p->name, shape_str(&p->shape, s1, sizeof s1));
	}
	return 0;
}

static int layer_infer(Graph *g, Node *n, Diag *d)
{
	bool rms = n->op == OP_RMSNORMALIZATION;
	if (op_check_arity(g, n, 2, rms ? 2 : 3, 2, d) < 0 || check_float_inputs(g, n, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t rows, len;
	if (layer_view(g, n, &rows, &len, d) < 0)
		return -1;
	DType ydt = rms ? op_in(g, n, 1)->dtype : x->dtype;
	op_set_out(g, n, 0, ydt, &x->shape);
	if (rms)
		return 0;
	int axis;
	op_axis(g, n, ir_attr_int(n, "axis", -1), x->shape.rank, &axis, d);
	Shape st = x->shape;
	for (int i = axis; i < st.rank; i++)
		st.dims[i] = 1;
	int64_t stash = ir_attr_int(n, "stash_type", 1);
	DType sdt = stash == DT_BFLOAT16 || stash == DT_DOUBLE || stash == DT_FLOAT16 ? (DType)stash
										      : DT_FLOAT;
	op_set_out(g, n, 1, sdt, &st);
	op_set_out(g, n, 2, sdt, &st);
	return 0;
}

/* Index expression of parameter k (Scale or B) inside the normalized block at j. */
static const char *param_ref(Emit *e, int k, char *buf, size_t n)
{
	const Value *p = op_in(e->g, e->n, k);
	char ref[64];
	snprintf(ref, sizeof ref, "%s[%s]", e->in[k], ir_numel(p) == 1 ? "0" : "j");
	return cg_load(p->dtype, ref, buf, n);
}

/* Final pass over normalized blocks whose parameters are not full-size: a
   nested loop over the normalized shape with broadcast parameter indices. */
static void layer_bcast_pass(Emit *e, const Shape *norm, const char *acc)
{
	Out *o = e->o;
	const Value *y = op_outv(e->g, e->n, 0);
	char idx[256], ref[300], ls[320], lb[320] = "0", ld[64], ex[800], st[900];
	out_line(o, "int64_t j = 0;");
	int loops = cg_loops(o, norm, "q");
	for (int k = 1; k < 3; k++) {
		const Value *p = op_in(e->g, e->n, k);
		if (!p)
			continue;
		Shape ps = p->shape;
		while (ps.rank > norm->rank)
			memmove(ps.dims, ps.dims + 1, sizeof(int64_t) * (size_t)--ps.rank);
		snprintf(ref, sizeof ref, "%s[%s]", e->in[k], cg_bcast_index(&ps, norm, "q", idx, sizeof idx));
		cg_load(p->dtype, ref, k == 1 ? ls : lb, 320);
	}
	cg_load(op_in(e->g, e->n, 0)->dtype, "xr[j]", ld, sizeof ld);
	snprintf(ex, sizeof ex, "((%s)%s - mean) * inv * (%s)%s + (%s)%s", acc, ld, acc, ls, acc, lb);
	out_line(o, "yr[j] = %s;", cg_store(y->dtype, ex, st, sizeof st));
	out_line(o, "j++;");
	cg_close(o, loops);
}

static bool full_or_scalar(const Value *p, int64_t len)
{
	return !p || ir_numel(p) == len || ir_numel(p) == 1;
}

static int layer_emit(Emit *e)
{
	const Node *n = e->n;
	bool rms = n->op == OP_RMSNORMALIZATION;
	const Value *x = op_in(e->g, n, 0), *y = op_outv(e->g, n, 0);
	DType dt = x->dtype;
	int64_t rows, len;
	Diag d;
	diag_init(&d, NULL);
	if (layer_view(e->g, n, &rows, &len, &d) < 0)
		return -1;
	const char *acc = acc_type(n, dt);
	Out *o = e->o;
	if (len == 0)
		return 0;
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)rows);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), (long long)len);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(y->dtype), (long long)len);
	emit_stats(o, dt, acc, len, ir_attr_float(n, "epsilon", 1e-5), rms);
	char st[400], ex[800], ls[128], lb[128] = "0", ld[64];
	for (int k = 1; k < 3; k++) {
		const Value *s = op_outv(e->g, n, k);
		if (s)
			out_line(o, "y%d[r] = %s;", k, cg_store(s->dtype, k == 1 ? "mean" : "inv", st, sizeof st));
	}
	if (full_or_scalar(op_in(e->g, n, 1), len) && full_or_scalar(op_in(e->g, n, 2), len)) {
		param_ref(e, 1, ls, sizeof ls);
		if (op_in(e->g, n, 2))
			param_ref(e, 2, lb, sizeof lb);
		cg_load(dt, "xr[j]", ld, sizeof ld);
		snprintf(ex, sizeof ex, "((%s)%s - mean) * inv * (%s)%s + (%s)%s", acc, ld, acc, ls, acc, lb);
		out_line(o, "for (int64_t j = 0; j < %lld; j++) yr[j] = %s;", (long long)len,
			 cg_store(y->dtype, ex, st, sizeof st));
	} else {
		int axis;
		op_axis(e->g, n, ir_attr_int(n, "axis", -1), x->shape.rank, &axis, &d);
		Shape norm = {x->shape.rank - axis, {0}};
		memcpy(norm.dims, x->shape.dims + axis, sizeof(int64_t) * (size_t)norm.rank);
		out_line(o, "{");
		layer_bcast_pass(e, &norm, acc);
		out_line(o, "}");
	}
	out_line(o, "}");
	return 0;
}

/* ------------------------------------------------------------ Instance / Group */

/* [N, C, spatial...] with `groups` groups of channels (instance: groups = C). */
typedef struct Chan {
	int64_t n, c, spatial, groups;
	bool per_group; /* scale/bias indexed by group (GroupNormalization-18) */
} Chan;

static int chan_view(const Graph *g, const Node *n, Chan *ch, Diag *d)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	if (s->rank < 2)
		return ir_node_error(d, g, n, "input must have rank 2 or more (N x C x ...), got %d",
				     s->rank);
	ch->n = s->dims[0];
	ch->c = s->dims[1];
	ch->spatial = 1;
	for (int i = 2; i < s->rank; i++)
		ch->spatial *= s->dims[i];
	ch->per_group = false;
	ch->groups = ch->c;
	if (n->op == OP_GROUPNORMALIZATION) {
		const Attr *a = ir_attr(n, "num_groups");
		if (!a)
			return ir_node_error(d, g, n, "attribute num_groups is required");
		ch->groups = a->i;
		if (ch->groups <= 0 || ch->c % ch->groups)
			return ir_node_error(d, g, n, "num_groups %lld does not divide the %lld channels",
					     (long long)ch->groups, (long long)ch->c);
		ch->per_group = n->opset < 21;
	}
	int64_t want = ch->per_group ? ch->groups : ch->c;
	for (int k = 1; k < 3; k++)
		if (ir_numel(op_in(g, n, k)) != want)
			return ir_node_error(d, g, n, "input '%s' has %lld elements, expected %lld",
					     op_in(g, n, k)->name, (long long)ir_numel(op_in(g, n, k)),
					     (long long)want);
	return 0;
}

static int chan_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 3, 3, 3, d) < 0 || check_float_inputs(g, n, d) < 0)
		return -1;
	Chan ch;
	if (chan_view(g, n, &ch, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int chan_emit(Emit *e)
{
	const Node *n = e->n;
	const Value *x = op_in(e->g, n, 0);
	DType dt = x->dtype;
	Chan ch;
	Diag d;
	diag_init(&d, NULL);
	if (chan_view(e->g, n, &ch, &d) < 0)
		return -1;
	int64_t cpg = ch.c / ch.groups, len = cpg * ch.spatial;
	const char *acc = acc_type(n, dt);
	Out *o = e->o;
	if (len == 0)
		return 0;
	char ls[128], lb[128], ld[64], ex[300], st[400], ref[64];
	for (int k = 1; k < 3; k++) {
		if (ch.per_group)
			snprintf(ref, sizeof ref, "%s[g]", e->in[k]);
		else
			snprintf(ref, sizeof ref, "%s[g * %lld + cc]", e->in[k], (long long)cpg);
		cg_load(op_in(e->g, n, k)->dtype, ref, k == 1 ? ls : lb, sizeof ls);
	}
	out_line(o, "for (int64_t r = 0; r < %lld; r++) {", (long long)(ch.n * ch.groups));
	out_line(o, "const int64_t g = r %% %lld;", (long long)ch.groups);
	out_line(o, "const %s *restrict xr = x0 + r * %lld;", cg_ctype(dt), (long long)len);
	out_line(o, "%s *restrict yr = y0 + r * %lld;", cg_ctype(dt), (long long)len);
	emit_stats(o, dt, acc, len, ir_attr_float(n, "epsilon", 1e-5), false);
	out_line(o, "for (int64_t cc = 0; cc < %lld; cc++) {", (long long)cpg);
	out_line(o, "const %s a = inv * (%s)%s;", acc, acc, ls);
	out_line(o, "const %s b = (%s)%s - mean * a;", acc, acc, lb);
	snprintf(ref, sizeof ref, "xr[cc * %lld + j]", (long long)ch.spatial);
	cg_load(dt, ref, ld, sizeof ld);
	snprintf(ex, sizeof ex, "(%s)%s * a + b", acc, ld);
	out_line(o, "for (int64_t j = 0; j < %lld; j++) yr[cc * %lld + j] = %s;",
		 (long long)ch.spatial, (long long)ch.spatial, cg_store(dt, ex, st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

const OpDef opdef_LAYERNORMALIZATION = {layer_infer, NULL, layer_emit, NULL, 0};
const OpDef opdef_RMSNORMALIZATION = {layer_infer, NULL, layer_emit, NULL, 0};
const OpDef opdef_INSTANCENORMALIZATION = {chan_infer, NULL, chan_emit, NULL, 0};
const OpDef opdef_GROUPNORMALIZATION = {chan_infer, NULL, chan_emit, NULL, 0};
