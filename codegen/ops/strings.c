/* strings.c - StringConcat, StringNormalizer, StringSplit, RegexFullMatch.
 *
 * String tensors are arrays of char pointers. An output that reuses input strings
 * (stop-word removal, no case change) copies pointers; strings made at run time go to
 * a pool in the op's scratch of CTL_STRING_BYTES per output element (rt_str_put), and
 * one that does not fit is cut short. With constant inputs everything is computed at
 * compile time. StringSplit's output shape depends on the data (the most substrings of
 * any element), as does StringNormalizer's once stop words remove elements, so their
 * input must be known at compile time. Case changes are ASCII, at compile and run time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const DType str_types[] = {DT_STRING, DT_UNDEFINED};

static const char *const *strs(const Value *v)
{
	return (const char *const *)v->data;
}

/* A copy of a (and b) in g's arena, with the rt_str_put case mode applied. */
static const char *str_make(Graph *g, const char *a, const char *b, int mode)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *s = arena_alloc(g->arena, la + lb + 1);
	if (!s)
		return "";
	memcpy(s, a, la);
	if (lb)
		memcpy(s + la, b, lb);
	for (size_t i = 0; i < la + lb; i++) {
		if (mode == 1 && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
		else if (mode == 2 && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 32);
	}
	return s;
}

static int64_t pool_bytes(const Graph *g, const Node *n)
{
	int64_t k = ir_numel(op_outv(g, n, 0));
	return k > 0 ? k * CTL_STRING_BYTES : 0;
}

/* ------------------------------------------------------------ StringConcat */

static int concat_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, str_types, d) < 0 ||
	    op_check_dtype(g, n, 1, str_types, d) < 0)
		return -1;
	Shape s;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	if (shape_broadcast(&a->shape, &b->shape, &s) < 0) {
		char x[128], y[128];
		return ir_node_error(d, g, n, "shapes %s and %s do not broadcast",
				     shape_str(&a->shape, x, sizeof x), shape_str(&b->shape, y, sizeof y));
	}
	op_set_out(g, n, 0, DT_STRING, &s);
	return 0;
}

/* Flat index into a of the element at flat output index i (numpy broadcasting). */
static int64_t bcast_at(const Shape *a, const Shape *full, int64_t i)
{
	int64_t idx = 0, mul = 1;
	for (int k = full->rank - 1; k >= 0; k--) {
		int64_t c = i % full->dims[k];
		i /= full->dims[k];
		int ak = k - (full->rank - a->rank);
		if (ak >= 0) {
			if (a->dims[ak] != 1)
				idx += c * mul;
			mul *= a->dims[ak];
		}
	}
	return idx;
}

static int concat_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *a = op_in(g, n, 0), *b = op_in(g, n, 1);
	const Value *y = op_outv(g, n, 0);
	const char **out = op_alloc_const(g, n, 0);
	for (int64_t i = 0; i < ir_numel(y); i++)
		out[i] = str_make(g, strs(a)[bcast_at(&a->shape, &y->shape, i)],
				  strs(b)[bcast_at(&b->shape, &y->shape, i)], 0);
	return 0;
}

static int concat_emit(Emit *e)
{
	const Value *a = op_in(e->g, e->n, 0), *b = op_in(e->g, e->n, 1);
	const Value *y = op_outv(e->g, e->n, 0);
	if (ir_numel(y) <= 0)
		return 0;
	char ia[256], ib[256];
	out_line(e->o, "char *pool = (char *)scratch;");
	out_line(e->o, "size_t used = 0;");
	out_line(e->o, "int64_t k = 0;");
	int nl = cg_loops(e->o, &y->shape, "i");
	out_line(e->o, "y0[k++] = rt_str_put(pool, %lld, &used, x0[%s], x1[%s], 0);",
		 (long long)pool_bytes(e->g, e->n), cg_bcast_index(&a->shape, &y->shape, "i", ia, sizeof ia),
		 cg_bcast_index(&b->shape, &y->shape, "i", ib, sizeof ib));
	cg_close(e->o, nl);
	return 0;
}

const OpDef opdef_STRING_CONCAT = {concat_infer, concat_fold, concat_emit, pool_bytes, 0};

/* ------------------------------------------------------------ StringNormalizer */

static int case_mode(const Node *n)
{
	const char *c = ir_attr_str(n, "case_change_action", "NONE");
	return strcmp(c, "LOWER") == 0 ? 1 : strcmp(c, "UPPER") == 0 ? 2 : 0;
}

static bool same_word(const char *a, const char *b, bool sensitive)
{
	if (sensitive)
		return strcmp(a, b) == 0;
	for (;; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

static bool is_stopword(const Node *n, const char *s)
{
	const Attr *sw = ir_attr(n, "stopwords");
	bool sens = ir_attr_int(n, "is_case_sensitive", 0) != 0;
	for (size_t i = 0; sw && sw->type == AT_STRINGS && i < sw->n; i++)
		if (same_word(s, sw->strings[i], sens))
			return true;
	return false;
}

static bool has_stopwords(const Node *n)
{
	const Attr *sw = ir_attr(n, "stopwords");
	return sw && sw->type == AT_STRINGS && sw->n > 0;
}

static int normalizer_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, str_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	const char *c = ir_attr_str(n, "case_change_action", "NONE");
	if (strcmp(c, "NONE") != 0 && strcmp(c, "LOWER") != 0 && strcmp(c, "UPPER") != 0)
		return ir_node_error(d, g, n, "case_change_action '%s' is not NONE, LOWER or UPPER", c);
	if (!(x->shape.rank == 1 || (x->shape.rank == 2 && x->shape.dims[0] == 1)))
		return ir_node_error(d, g, n, "input '%s' must have shape [C] or [1, C]", x->name);
	Shape s = x->shape;
	if (has_stopwords(n)) {
		/* the number of words kept decides the output shape */
		if (op_require_const(g, n, 0, d) < 0)
			return -1;
		int64_t kept = 0;
		for (int64_t i = 0; i < ir_numel(x); i++)
			kept += !is_stopword(n, strs(x)[i]);
		s.dims[s.rank - 1] = kept ? kept : 1;
	}
	op_set_out(g, n, 0, DT_STRING, &s);
	return 0;
}

static int normalizer_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	const char **out = op_alloc_const(g, n, 0);
	int mode = case_mode(n);
	int64_t k = 0;
	for (int64_t i = 0; i < ir_numel(x); i++)
		if (!is_stopword(n, strs(x)[i]))
			out[k++] = str_make(g, strs(x)[i], NULL, mode);
	if (!k && ir_numel(op_outv(g, n, 0)) == 1)
		out[0] = "";
	return 0;
}

static int64_t normalizer_scratch(const Graph *g, const Node *n)
{
	return case_mode(n) ? pool_bytes(g, n) : 0;
}

static int normalizer_emit(Emit *e)
{
	int64_t cnt = ir_numel(op_outv(e->g, e->n, 0));
	int mode = case_mode(e->n);
	if (cnt <= 0)
		return 0;
	if (!mode) {
		out_line(e->o, "memcpy(y0, x0, %lld * sizeof *y0);", (long long)cnt);
		return 0;
	}
	out_line(e->o, "char *pool = (char *)scratch;");
	out_line(e->o, "size_t used = 0;");
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)cnt);
	out_line(e->o, "\ty0[i] = rt_str_put(pool, %lld, &used, x0[i], NULL, %d);",
		 (long long)pool_bytes(e->g, e->n), mode);
	return 0;
}

const OpDef opdef_STRING_NORMALIZER = {normalizer_infer, normalizer_fold, normalizer_emit,
				       normalizer_scratch, 0};

/* ------------------------------------------------------------ StringSplit */

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Splits s like Python's str.split(delim, maxsplit); stores up to `max` pieces in out
   (arena copies, when out is not NULL) and returns the number of pieces. */
static int64_t split_one(Graph *g, const char *s, const char *delim, int64_t maxsplit,
			 const char **out, int64_t max)
{
	int64_t cnt = 0;
	size_t dl = strlen(delim);
	if (!dl) {
		const char *p = s;
		for (;;) {
			while (*p && is_space(*p))
				p++;
			if (!*p)
				break;
			const char *q = p;
			if (maxsplit >= 0 && cnt == maxsplit) {
				/* the rest, without its trailing whitespace */
				q = p + strlen(p);
				while (q > p && is_space(q[-1]))
					q--;
			} else {
				while (*q && !is_space(*q))
					q++;
			}
			if (out && cnt < max)
				out[cnt] = arena_strndup(g->arena, p, (size_t)(q - p));
			cnt++;
			p = q;
		}
		return cnt;
	}
	const char *p = s;
	for (;;) {
		const char *q = maxsplit >= 0 && cnt == maxsplit ? NULL : strstr(p, delim);
		size_t len = q ? (size_t)(q - p) : strlen(p);
		if (out && cnt < max)
			out[cnt] = arena_strndup(g->arena, p, len);
		cnt++;
		if (!q)
			return cnt;
		p = q + dl;
	}
}

static int split_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, str_types, d) < 0)
		return -1;
	/* the output's last dim is the most substrings of any element */
	if (op_require_const(g, n, 0, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank >= CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "input '%s' has rank %d; the output would exceed %d",
				     x->name, x->shape.rank, CNNC_MAX_RANK);
	const char *delim = ir_attr_str(n, "delimiter", "");
	int64_t maxsplit = ir_attr(n, "maxsplit") ? ir_attr_int(n, "maxsplit", -1) : -1;
	if (maxsplit < -1)
		maxsplit = -1;
	int64_t most = 0;
	for (int64_t i = 0; i < ir_numel(x); i++) {
		int64_t c = split_one(g, strs(x)[i], delim, maxsplit, NULL, 0);
		if (c > most)
			most = c;
	}
	Shape y = x->shape;
	y.dims[y.rank++] = most;
	op_set_out(g, n, 0, DT_STRING, &y);
	op_set_out(g, n, 1, DT_INT64, &x->shape);
	return 0;
}

static int split_fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0);
	const Value *yv = op_outv(g, n, 0);
	const char *delim = ir_attr_str(n, "delimiter", "");
	int64_t maxsplit = ir_attr(n, "maxsplit") ? ir_attr_int(n, "maxsplit", -1) : -1;
	if (maxsplit < -1)
		maxsplit = -1;
	int64_t most = yv ? yv->shape.dims[yv->shape.rank - 1] : 0;
	const char **y = op_alloc_const(g, n, 0);
	int64_t *z = op_alloc_const(g, n, 1);
	const char **tmp = arena_alloc(g->arena, ((size_t)most + 1) * sizeof *tmp);
	for (int64_t i = 0; i < ir_numel(x); i++) {
		int64_t c = split_one(g, strs(x)[i], delim, maxsplit, tmp, most);
		for (int64_t k = 0; y && k < most; k++)
			y[i * most + k] = k < c ? tmp[k] : "";
		if (z)
			z[i] = c;
	}
	return 0;
}

const OpDef opdef_STRING_SPLIT = {split_infer, split_fold, NULL, NULL, 0};

/* ------------------------------------------------------------ RegexFullMatch */

static int regex_compile(const Graph *g, const Node *n, RxProg *p, Diag *d)
{
	const Attr *a = ir_attr(n, "pattern");
	if (!a || a->type != AT_STRING)
		return ir_node_error(d, g, n, "attribute 'pattern' is missing");
	if (strlen(a->s) != a->slen)
		return ir_node_error(d, g, n, "the pattern contains a NUL byte");
	if (rx_compile(a->s, p) < 0) {
		ir_node_error(d, g, n, "pattern '%.200s': %s", a->s, p->err);
		rx_free(p);
		return -1;
	}
	return 0;
}

static int regex_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, str_types, d) < 0)
		return -1;
	RxProg p;
	if (regex_compile(g, n, &p, d) < 0)
		return -1;
	rx_free(&p);
	op_set_out(g, n, 0, DT_BOOL, &op_in(g, n, 0)->shape);
	return 0;
}

static int64_t regex_scratch(const Graph *g, const Node *n)
{
	RxProg p;
	Diag d;
	diag_init(&d, NULL);
	if (regex_compile(g, n, &p, &d) < 0)
		return 0;
	int64_t b = ((int64_t)p.n * 5 + 1) * (int64_t)sizeof(int32_t);
	rx_free(&p);
	return b;
}

static int regex_emit(Emit *e)
{
	RxProg p;
	Diag d;
	diag_init(&d, NULL);
	int64_t cnt = ir_numel(op_in(e->g, e->n, 0));
	if (cnt <= 0)
		return 0;
	if (regex_compile(e->g, e->n, &p, &d) < 0)
		return -1;
	out_printf(e->decls, "static const int32_t %s_prog[%d][4] = {\n", e->fn, p.n);
	for (int i = 0; i < p.n; i++)
		out_printf(e->decls, "\t{%d, %d, %d, %d},\n", p.inst[i].op, p.inst[i].x, p.inst[i].y,
			   p.inst[i].cls);
	out_printf(e->decls, "};\nstatic const uint8_t %s_cls[%d][32] = {\n", e->fn,
		   p.ncls ? p.ncls : 1);
	for (int c = 0; c < p.ncls; c++) {
		out_printf(e->decls, "\t{");
		for (int b = 0; b < 32; b++)
			out_printf(e->decls, "%s%u", b ? ", " : "", p.cls[c][b]);
		out_printf(e->decls, "},\n");
	}
	if (!p.ncls)
		out_printf(e->decls, "\t{0},\n");
	out_printf(e->decls, "};\n");
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)cnt);
	out_line(e->o, "\ty0[i] = (uint8_t)rt_rx_match(%s_prog, %d, %s_cls, x0[i], (int32_t *)scratch);",
		 e->fn, p.n, e->fn);
	rx_free(&p);
	return 0;
}

const OpDef opdef_REGEX_FULL_MATCH = {regex_infer, NULL, regex_emit, regex_scratch, 0};
