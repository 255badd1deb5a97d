/* convtranspose.c - ConvTranspose: N-dimensional grouped transposed convolution.
 *
 * Output position o receives x[i] * w[tap] wherever o = i * s + tap * d - pb.
 * Like conv.c the kernel works one output row (last spatial axis) at a time for a
 * block of output channels: for an outer-axis tap, the input row it reads is
 * i = (o + pb - tap * d) / s when that divides exactly; along the last axis every
 * input element in a computed range scatters into the accumulator row with step
 * s, a loop without bounds tests (contiguous when s = 1). Rows longer than
 * CT_TILE are tiled, and the input range of each tap is derived per tile.
 *
 * Pads come from `pads`, from auto_pad (output = input * stride) or from
 * output_shape (pads then follow the spec's total_padding split, and may be
 * negative when output_shape asks for more than the full result).
 */
#include <stdio.h>
#include <string.h>

#include "window.h"

#define CT_MB 8
#define CT_TILE 512

typedef struct CtPlan {
	DType dt;
	int64_t n, c, m, g; /* batch, input channels, output channels, groups */
	bool bias;
	Window w;           /* in/out/k/s/d/pb/pe as for the forward direction */
} CtPlan;

static int read_opt_ints(const Graph *g, const Node *n, const char *name, int nd,
			 int64_t *v, bool *present, Diag *d)
{
	const int64_t *a;
	size_t cnt = ir_attr_ints(n, name, &a);
	*present = ir_attr(n, name) != NULL;
	for (int i = 0; i < nd; i++)
		v[i] = 0;
	if (!*present)
		return 0;
	/* output_shape written with the batch and channel dims too */
	if (cnt == (size_t)nd + 2 && strcmp(name, "output_shape") == 0)
		a += 2, cnt -= 2;
	if (cnt != (size_t)nd)
		return ir_node_error(d, g, n, "attribute '%s' has %zu values, expected %d", name, cnt,
				     nd);
	for (int i = 0; i < nd; i++)
		v[i] = a[i];
	return 0;
}

/* Pads and output size of each axis. */
static int resolve(const Graph *g, const Node *n, Window *w, Diag *d)
{
	int64_t op[CNNC_MAX_RANK], os[CNNC_MAX_RANK];
	bool has_op, has_os;
	if (read_opt_ints(g, n, "output_padding", w->nd, op, &has_op, d) < 0 ||
	    read_opt_ints(g, n, "output_shape", w->nd, os, &has_os, d) < 0)
		return -1;
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	bool upper = strcmp(ap, "SAME_UPPER") == 0, lower = strcmp(ap, "SAME_LOWER") == 0;
	bool valid = strcmp(ap, "VALID") == 0;
	if (!upper && !lower && !valid && strcmp(ap, "NOTSET") != 0 && ap[0])
		return ir_node_error(d, g, n, "auto_pad is '%s', expected NOTSET, SAME_UPPER, "
				     "SAME_LOWER or VALID", ap);
	for (int i = 0; i < w->nd; i++) {
		if (op[i] < 0 || (op[i] >= w->s[i] && op[i] >= w->d[i]))
			return ir_node_error(d, g, n, "output_padding[%d] is %lld, expected less than "
					     "the stride or dilation", i, (long long)op[i]);
		int64_t full = w->s[i] * (w->in[i] - 1) + op[i] + (w->k[i] - 1) * w->d[i] + 1;
		if (has_os || upper || lower) {
			w->out[i] = has_os ? os[i] : w->in[i] * w->s[i];
			int64_t total = full - w->out[i];
			/* floor halves, as the reference: a negative total extends the end */
			w->pb[i] = upper ? win_fdiv(total, 2) : total - win_fdiv(total, 2);
			w->pe[i] = total - w->pb[i];
		} else {
			if (valid)
				w->pb[i] = w->pe[i] = 0;
			w->out[i] = full - w->pb[i] - w->pe[i];
		}
		if (w->out[i] < 1)
			return ir_node_error(d, g, n, "output extent %lld on spatial axis %d is not "
					     "positive", (long long)w->out[i], i);
	}
	return 0;
}

static int ct_plan(Graph *g, const Node *n, CtPlan *p, Diag *d)
{
	const Value *x = op_in(g, n, 0), *w = op_in(g, n, 1), *b = op_in(g, n, 2);
	memset(p, 0, sizeof *p);
	p->dt = x->dtype;
	if (x->shape.rank < 3 || w->shape.rank != x->shape.rank)
		return ir_node_error(d, g, n, "X has rank %d and W rank %d, expected equal ranks of "
				     "at least 3", x->shape.rank, w->shape.rank);
	if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
		return ir_node_error(d, g, n, "inputs have different element types");
	p->n = x->shape.dims[0];
	p->c = x->shape.dims[1];
	p->g = ir_attr_int(n, "group", 1);
	if (p->g < 1 || p->c % p->g != 0)
		return ir_node_error(d, g, n, "group %lld does not divide %lld input channels",
				     (long long)p->g, (long long)p->c);
	if (w->shape.dims[0] != p->c)
		return ir_node_error(d, g, n, "weight W has %lld input channels, expected %lld",
				     (long long)w->shape.dims[0], (long long)p->c);
	p->m = w->shape.dims[1] * p->g;
	int nd = x->shape.rank - 2;
	if (win_read(g, n, nd, x->shape.dims + 2, w->shape.dims + 2, &p->w, d) < 0)
		return -1;
	for (int i = 0; i < nd; i++)
		if (p->w.k[i] != w->shape.dims[2 + i])
			return ir_node_error(d, g, n, "kernel_shape[%d] is %lld but W has %lld", i,
					     (long long)p->w.k[i], (long long)w->shape.dims[2 + i]);
	if (b && (b->shape.rank != 1 || b->shape.dims[0] != p->m))
		return ir_node_error(d, g, n, "bias B must have shape [%lld]", (long long)p->m);
	p->bias = b != NULL;
	return resolve(g, n, &p->w, d);
}

static int infer(Graph *g, Node *n, Diag *d)
{
	CtPlan p;
	if (op_check_arity(g, n, 2, 3, 2, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	if (ct_plan(g, n, &p, d) < 0)
		return -1;
	Shape s = {p.w.nd + 2, {p.n, p.m}};
	for (int i = 0; i < p.w.nd; i++)
		s.dims[2 + i] = p.w.out[i];
	if (shape_numel(&s) < 0)
		return ir_node_error(d, g, n, "output is too large");
	op_set_out(g, n, 0, p.dt, &s);
	return 0;
}

/* Loops over outer-axis taps that reach output row o0..: input row i<k>. */
static void open_outer_taps(Out *o, const Window *w)
{
	for (int i = 0; i < w->nd - 1; i++) {
		out_line(o, "for (int k%d = 0; k%d < %lld; k%d++) {", i, i, (long long)w->k[i], i);
		out_line(o, "const int q%d = o%d + %lld - k%d * %lld;", i, i, (long long)w->pb[i], i,
			 (long long)w->d[i]);
		if (w->s[i] > 1)
			out_line(o, "if (q%d < 0 || q%d %% %lld) continue;", i, i, (long long)w->s[i]);
		else
			out_line(o, "if (q%d < 0) continue;", i);
		out_line(o, "const int i%d = q%d / %lld;", i, i, (long long)w->s[i]);
		out_line(o, "if (i%d >= %lld) continue;", i, (long long)w->in[i]);
	}
}

static void offset(char *buf, size_t n, const char *v, const Window *w, const int64_t *str)
{
	size_t k = (size_t)snprintf(buf, n, "0");
	for (int i = 0; i < w->nd - 1 && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, " + (ptrdiff_t)%s%d * %lld", v, i,
				      (long long)str[i]);
}

static int ct_emit(Emit *e, const CtPlan *p)
{
	Out *o = e->o;
	const Window *w = &p->w;
	int L = w->nd - 1;
	const char *at = cg_comp(p->dt), *ct = cg_ctype(p->dt);
	char ex[128], ld[160], st[160], ioff[512], ooff[512], koff[512];
	int64_t istr[CNNC_MAX_RANK], ostr[CNNC_MAX_RANK], kstr[CNNC_MAX_RANK];
	istr[L] = ostr[L] = kstr[L] = 1;
	for (int i = L - 1; i >= 0; i--) {
		istr[i] = istr[i + 1] * w->in[i + 1];
		ostr[i] = ostr[i + 1] * w->out[i + 1];
		kstr[i] = kstr[i + 1] * w->k[i + 1];
	}
	long long insp = istr[0] * w->in[0], outsp = ostr[0] * w->out[0], ksz = kstr[0] * w->k[0];
	long long cg = p->c / p->g, mg = p->m / p->g, sl = w->s[L];
	long long mb = mg < CT_MB ? mg : CT_MB;
	long long ol = w->out[L], tile = ol <= CT_TILE ? ol : CT_TILE / 2;
	offset(ioff, sizeof ioff, "i", w, istr);
	offset(ooff, sizeof ooff, "o", w, ostr);
	offset(koff, sizeof koff, "k", w, kstr);

	out_line(o, "%s acc[%lld][%lld];", at, mb, tile);
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p->n);
	out_line(o, "for (int g = 0; g < %lld; g++) {", (long long)p->g);
	for (int i = 0; i < L; i++)
		out_line(o, "for (int o%d = 0; o%d < %lld; o%d++) {", i, i, (long long)w->out[i], i);
	out_line(o, "for (int t0 = 0; t0 < %lld; t0 += %lld) {", ol, tile);
	out_line(o, "const int t1 = t0 + %lld < %lld ? t0 + %lld : %lld;", tile, ol, tile, ol);
	out_line(o, "for (int mb = 0; mb < %lld; mb += %lld) {", mg, mb);
	out_line(o, "const int mc = %lld - mb < %lld ? %lld - mb : %lld;", mg, mb, mg, mb);
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	if (p->bias) {
		snprintf(ex, sizeof ex, "x2[g * %lld + mb + mm]", mg);
		out_line(o, "const %s b = %s;", at, cg_load(p->dt, ex, ld, sizeof ld));
	}
	out_line(o, "for (int j = 0; j < t1 - t0; j++) acc[mm][j] = %s;", p->bias ? "b" : "0");
	out_line(o, "}");
	out_line(o, "for (int c = 0; c < %lld; c++) {", cg);
	out_line(o, "const %s *xc = x0 + ((ptrdiff_t)n * %lld + g * %lld + c) * %lld;", ct,
		 (long long)p->c, cg, insp);
	out_line(o, "const %s *wc = x1 + ((ptrdiff_t)(g * %lld + c) * %lld + mb) * %lld;", ct, cg,
		 mg, ksz);
	open_outer_taps(o, w);
	out_line(o, "const %s *xr = xc + %s;", ct, ioff);
	out_line(o, "const %s *wr = wc + %s;", ct, koff);
	out_line(o, "for (int kl = 0; kl < %lld; kl++) {", (long long)w->k[L]);
	/* inputs i with t0 <= i * s + kl * d - pb < t1 */
	out_line(o, "const int64_t base = kl * %lld - %lld;", (long long)w->d[L], (long long)w->pb[L]);
	out_line(o, "int64_t lo = rt_cdiv(t0 - base, %lld), hi = rt_fdiv(t1 - 1 - base, %lld) + 1;",
		 sl, sl);
	out_line(o, "if (lo < 0) lo = 0;");
	out_line(o, "if (hi > %lld) hi = %lld;", (long long)w->in[L], (long long)w->in[L]);
	out_line(o, "if (lo >= hi) continue;");
	out_line(o, "const %s *xp = xr + lo;", ct);
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	snprintf(ex, sizeof ex, "wr[(ptrdiff_t)mm * %lld + kl]", ksz);
	out_line(o, "const %s wv = %s;", at, cg_load(p->dt, ex, ld, sizeof ld));
	out_line(o, "%s *a = acc[mm] + (lo * %lld + base - t0);", at, sl);
	out_line(o, "for (int j = 0; j < (int)(hi - lo); j++) a[%s] += wv * %s;",
		 sl == 1 ? "j" : (snprintf(st, sizeof st, "(ptrdiff_t)j * %lld", sl), st),
		 cg_load(p->dt, "xp[j]", ld, sizeof ld));
	out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	out_line(o, "for (int mm = 0; mm < mc; mm++) {");
	out_line(o, "%s *yr = y0 + ((ptrdiff_t)n * %lld + g * %lld + mb + mm) * %lld + %s + t0;", ct,
		 (long long)p->m, mg, outsp, ooff);
	out_line(o, "for (int j = 0; j < t1 - t0; j++) yr[j] = %s;",
		 cg_store(p->dt, "acc[mm][j]", st, sizeof st));
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	for (int i = 0; i < L; i++)
		out_line(o, "}");
	out_line(o, "}");
	out_line(o, "}");
	return 0;
}

static int emit(Emit *e)
{
	CtPlan p;
	Diag d;
	diag_init(&d, "");
	if (ct_plan((Graph *)e->g, e->n, &p, &d) < 0)
		return -1;
	return ct_emit(e, &p);
}

const OpDef opdef_CONVTRANSPOSE = {infer, NULL, emit, NULL, 0};
