/* einsum.c - Einsum: any equation numpy.einsum accepts.
 *
 * The equation is parsed into labels: letters, plus one label per ellipsis
 * dimension (right-aligned and broadcast across operands, as in numpy). The
 * implicit output is the ellipsis dimensions followed by the letters that occur
 * once, in ASCII order. A repeated label inside one operand (a diagonal) just
 * sums the strides of its dimensions, and a dimension of size 1 broadcasts.
 *
 * The kernel is one loop nest over every label, accumulating the product of
 * the operands into the output: output labels outermost except the output's
 * last one, which goes innermost so that the innermost loop runs over
 * contiguous output elements, with the summed labels in between. For a
 * (batched) matrix product this is the vectorisable i-k-j order.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

#define MAX_LABELS (52 + CNNC_MAX_RANK)
#define MAX_OPERANDS 16

typedef struct Einsum {
	int nin;
	int nlab[MAX_OPERANDS]; /* labels per operand (= its rank) */
	int lab[MAX_OPERANDS][CNNC_MAX_RANK];
	int nout;
	int out[CNNC_MAX_RANK];
	int64_t size[MAX_LABELS]; /* -1: label unused */
} Einsum;

static int letter_id(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c - 'a' + 26; /* ASCII order */
}

/* Parses one term (no commas/arrows) into labels; `ell` receives the position of
   the ellipsis or -1. Returns the letter count, -1 on a bad character. */
static int parse_term(const char *s, size_t len, int *ids, int *ell)
{
	int k = 0;
	*ell = -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
			if (*ell >= 0)
				return -1;
			*ell = k;
			i += 2;
			continue;
		}
		if (!isalpha((unsigned char)s[i]) || k >= CNNC_MAX_RANK)
			return -1;
		ids[k++] = letter_id(s[i]);
	}
	return k;
}

/* Replaces the ellipsis at position ell of a term with `ne` ellipsis labels of
   the `total` ellipsis dims (right-aligned). */
static int expand(int *ids, int nletters, int ell, int ne, int total)
{
	if (ell < 0)
		return nletters;
	if (nletters + ne > CNNC_MAX_RANK)
		return -1;
	memmove(ids + ell + ne, ids + ell, sizeof(int) * (size_t)(nletters - ell));
	for (int i = 0; i < ne; i++)
		ids[ell + i] = 52 + (total - ne) + i;
	return nletters + ne;
}

static int parse(const Graph *g, const Node *n, Einsum *es, Diag *d)
{
	const char *eq = ir_attr_str(n, "equation", NULL);
	if (!eq)
		return ir_node_error(d, g, n, "attribute equation is required");
	memset(es, 0, sizeof *es);
	es->nin = n->ninputs;
	if (es->nin > MAX_OPERANDS)
		return ir_node_error(d, g, n, "has %d operands, cnnc supports up to %d", es->nin,
				     MAX_OPERANDS);
	const char *arrow = strstr(eq, "->");
	size_t lhs = arrow ? (size_t)(arrow - eq) : strlen(eq);
	int ell[MAX_OPERANDS], nlet[MAX_OPERANDS], total = 0, t = 0;
	const char *p = eq, *end = eq + lhs;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		if (t >= es->nin)
			return ir_node_error(d, g, n, "equation '%s' has more terms than the %d operands",
					     eq, es->nin);
		nlet[t] = parse_term(p, (size_t)(stop - p), es->lab[t], &ell[t]);
		int rank = op_in(g, n, t)->shape.rank;
		if (nlet[t] < 0 || nlet[t] > rank || (ell[t] < 0 && nlet[t] != rank))
			return ir_node_error(d, g, n, "term %d of equation '%s' does not match operand "
					     "rank %d", t, eq, rank);
		if (rank - nlet[t] > total)
			total = rank - nlet[t];
		t++;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (t != es->nin)
		return ir_node_error(d, g, n, "equation '%s' has fewer terms than the %d operands", eq,
				     es->nin);
	for (t = 0; t < es->nin; t++) {
		int rank = op_in(g, n, t)->shape.rank;
		es->nlab[t] = expand(es->lab[t], nlet[t], ell[t], rank - nlet[t], total);
	}
	if (arrow) {
		int oell;
		int k = parse_term(arrow + 2, strlen(arrow + 2), es->out, &oell);
		if (k < 0)
			return ir_node_error(d, g, n, "output of equation '%s' is malformed", eq);
		es->nout = expand(es->out, k, oell, oell >= 0 ? total : 0, total);
		if (es->nout < 0)
			return ir_node_error(d, g, n, "output of equation '%s' has too many dims", eq);
	} else {
		int count[MAX_LABELS] = {0};
		for (t = 0; t < es->nin; t++)
			for (int i = 0; i < es->nlab[t]; i++)
				count[es->lab[t][i]]++;
		for (int i = 0; i < total; i++)
			es->out[es->nout++] = 52 + i;
		for (int l = 0; l < 52; l++)
			if (count[l] == 1 && es->nout < CNNC_MAX_RANK)
				es->out[es->nout++] = l;
	}
	return 0;
}

/* Label sizes from the operands (1 broadcasts); checks the output labels. */
static int sizes(const Graph *g, const Node *n, Einsum *es, Diag *d)
{
	for (int l = 0; l < MAX_LABELS; l++)
		es->size[l] = -1;
	for (int t = 0; t < es->nin; t++) {
		const Shape *s = &op_in(g, n, t)->shape;
		for (int i = 0; i < es->nlab[t]; i++) {
			int64_t *z = &es->size[es->lab[t][i]];
			if (*z < 0 || *z == 1)
				*z = s->dims[i];
			else if (s->dims[i] != 1 && s->dims[i] != *z)
				return ir_node_error(d, g, n, "operand %d dimension %d is %lld, but the same "
						     "label has size %lld elsewhere", t, i,
						     (long long)s->dims[i], (long long)*z);
		}
	}
	bool seen[MAX_LABELS] = {false};
	for (int i = 0; i < es->nout; i++) {
		int l = es->out[i];
		if (es->size[l] < 0 || seen[l])
			return ir_node_error(d, g, n, "output label %d of the equation is %s", i,
					     seen[l] ? "repeated" : "not in any operand");
		seen[l] = true;
	}
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, -1, n->ninputs, d) < 0 ||
	    op_check_dtype(g, n, 0, op_numeric_types, d) < 0)
		return -1;
	DType dt = op_in(g, n, 0)->dtype;
	for (int k = 1; k < n->ninputs; k++)
		if (op_in(g, n, k)->dtype != dt)
			return ir_node_error(d, g, n, "operand %d is %s but operand 0 is %s", k,
					     dtype_name(op_in(g, n, k)->dtype), dtype_name(dt));
	Einsum es;
	if (parse(g, n, &es, d) < 0 || sizes(g, n, &es, d) < 0)
		return -1;
	Shape y = {es.nout, {0}};
	for (int i = 0; i < es.nout; i++)
		y.dims[i] = es.size[es.out[i]];
	op_set_out(g, n, 0, dt, &y);
	return 0;
}

static bool narrow(DType dt)
{
	return strcmp(cg_ctype(dt), cg_comp(dt)) != 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	return narrow(y->dtype) ? ir_numel(y) * 4 : 0;
}

/* Index expression of operand t (or the output, t < 0) in loop variables e<label>. */
static void index_expr(const Graph *g, const Node *n, const Einsum *es, int t, char *buf, size_t sz)
{
	int nl = t < 0 ? es->nout : es->nlab[t];
	const int *lab = t < 0 ? es->out : es->lab[t];
	int64_t coef[MAX_LABELS] = {0}, st = 1;
	for (int i = nl - 1; i >= 0; i--) {
		int64_t dim = t < 0 ? es->size[lab[i]] : op_in(g, n, t)->shape.dims[i];
		if (dim != 1)
			coef[lab[i]] += st;
		st *= dim;
	}
	size_t k = 0;
	buf[0] = 0;
	for (int l = 0; l < MAX_LABELS && k + 32 < sz; l++) {
		if (!coef[l])
			continue;
		if (coef[l] == 1)
			k += (size_t)snprintf(buf + k, sz - k, "%se%d", k ? " + " : "", l);
		else
			k += (size_t)snprintf(buf + k, sz - k, "%se%d * %lld", k ? " + " : "", l,
					      (long long)coef[l]);
	}
	if (!k)
		snprintf(buf, sz, "0");
}

static void open_loop(Out *o, const Einsum *es, int l)
{
	out_line(o, "for (int64_t e%d = 0; e%d < %lld; e%d++) {", l, l, (long long)es->size[l], l);
}

static int emit(Emit *e)
{
	const Node *n = e->n;
	Einsum es;
	Diag d;
	diag_init(&d, NULL);
	if (parse(e->g, n, &es, &d) < 0 || sizes(e->g, n, &es, &d) < 0)
		return -1;
	const Value *y = op_outv(e->g, n, 0);
	DType dt = y->dtype;
	bool fl = dtype_info(dt)->is_float;
	const char *comp = cg_comp(dt), *u = lin_utype(dt);
	const char *acc = narrow(dt) ? "acc" : "y0";
	Out *o = e->o;
	if (narrow(dt))
		out_line(o, "%s *restrict acc = (%s *)scratch;", comp, comp);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) %s[i] = 0;", (long long)ir_numel(y), acc);
	bool is_out[MAX_LABELS] = {false};
	for (int i = 0; i < es.nout; i++)
		is_out[es.out[i]] = true;
	int loops = 0;
	for (int i = 0; i + 1 < es.nout; i++, loops++)
		open_loop(o, &es, es.out[i]);
	for (int l = 0; l < MAX_LABELS; l++)
		if (es.size[l] >= 0 && !is_out[l])
			open_loop(o, &es, l), loops++;
	if (es.nout)
		open_loop(o, &es, es.out[es.nout - 1]), loops++;
	char idx[512], ref[600], ld[640], prod[12000] = "", oi[512];
	size_t k = 0;
	for (int t = 0; t < es.nin; t++) {
		index_expr(e->g, n, &es, t, idx, sizeof idx);
		snprintf(ref, sizeof ref, "%s[%s]", e->in[t], idx);
		cg_load(dt, ref, ld, sizeof ld);
		if (fl)
			k += (size_t)snprintf(prod + k, sizeof prod - k, "%s%s", t ? " * " : "", ld);
		else
			k += (size_t)snprintf(prod + k, sizeof prod - k, "%s(%s)%s", t ? " * " : "", u, ld);
		if (k >= sizeof prod)
			return -1;
	}
	index_expr(e->g, n, &es, -1, oi, sizeof oi);
	if (fl)
		out_line(o, "%s[%s] += %s;", acc, oi, prod);
	else
		out_line(o, "%s[%s] = (%s)((%s)%s[%s] + %s);", acc, oi, cg_ctype(dt), u, acc, oi, prod);
	cg_close(o, loops);
	if (narrow(dt)) {
		char st[64];
		out_line(o, "for (int64_t i = 0; i < %lld; i++) y0[i] = %s;", (long long)ir_numel(y),
			 cg_store(dt, "acc[i]", st, sizeof st));
	}
	return 0;
}

const OpDef opdef_EINSUM = {infer, NULL, emit, scratch, 0};
