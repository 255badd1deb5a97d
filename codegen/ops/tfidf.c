/* tfidf.c - TfIdfVectorizer: n-gram counts of integer or string sequences.
 *
 * The n-gram pool is an attribute, so it is sorted per n-gram length at compile time and
 * emitted as static tables with one binary-search function per length; the kernel walks
 * every start position and skip distance, counts matches per pool entry in the
 * workspace, then writes TF, IDF or TFIDF values to the output coordinates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

typedef struct Grams {
	int minn, maxn, mode; /* mode: 0 TF, 1 IDF, 2 TFIDF */
	int64_t skip, nent, width;
	bool str;
	const int64_t *pool_i;
	const char *const *pool_s;
	const int64_t *index; /* output coordinate per n-gram */
	const double *weights;
	int64_t lstart[64], lcount[64]; /* per length: first pool slot and n-gram count */
	int64_t lfirst[64];             /* per length: ordinal of its first n-gram */
} Grams;

static int grams_build(const Graph *g, const Node *n, Grams *t, Diag *d)
{
	memset(t, 0, sizeof *t);
	t->minn = (int)ir_attr_int(n, "min_gram_length", 0);
	t->maxn = (int)ir_attr_int(n, "max_gram_length", 0);
	t->skip = ir_attr_int(n, "max_skip_count", -1);
	const char *mode = ir_attr_str(n, "mode", "");
	t->mode = strcmp(mode, "TF") == 0 ? 0 : strcmp(mode, "IDF") == 0 ? 1 :
		  strcmp(mode, "TFIDF") == 0 ? 2 : -1;
	if (t->mode < 0)
		return ir_node_error(d, g, n, "mode '%s' is not TF, IDF or TFIDF", mode);
	if (t->minn < 1 || t->maxn < t->minn || t->maxn > 63 || t->skip < 0)
		return ir_node_error(d, g, n, "gram lengths %d..%d or skip count %lld are invalid",
				     t->minn, t->maxn, (long long)t->skip);
	const int64_t *counts;
	size_t nc = ir_attr_ints(n, "ngram_counts", &counts);
	size_t np = ir_attr_ints(n, "pool_int64s", &t->pool_i);
	const Attr *ps = ir_attr(n, "pool_strings");
	if (ps && ps->type == AT_STRINGS) {
		t->str = true;
		t->pool_s = ps->strings;
		np = ps->n;
	}
	size_t ni = ir_attr_ints(n, "ngram_indexes", &t->index);
	size_t nw = ir_attr_floats(n, "weights", &t->weights);
	int64_t ord = 0;
	for (int len = 1; len <= t->maxn; len++) {
		if ((size_t)len > nc)
			break;
		int64_t start = counts[len - 1], end = (size_t)len < nc ? counts[len] : (int64_t)np;
		if (start < 0 || end < start || end > (int64_t)np || (end - start) % len)
			return ir_node_error(d, g, n, "ngram_counts does not split the pool into n-grams");
		t->lstart[len] = start;
		t->lcount[len] = (end - start) / len;
		t->lfirst[len] = ord;
		ord += t->lcount[len];
	}
	t->nent = ord;
	if ((int64_t)ni < ord || (nw && (int64_t)nw < ord))
		return ir_node_error(d, g, n, "ngram_indexes (and weights) need %lld entries", (long long)ord);
	for (size_t i = 0; i < ni; i++) {
		if (t->index[i] < 0 || t->index[i] > (1 << 26))
			return ir_node_error(d, g, n, "ngram index %lld is invalid", (long long)t->index[i]);
		if (t->index[i] + 1 > t->width)
			t->width = t->index[i] + 1;
	}
	if (!nw)
		t->weights = NULL;
	return 0;
}

static const DType tfidf_types[] = {DT_INT32, DT_INT64, DT_STRING, DT_UNDEFINED};

static int tfidf_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, tfidf_types, d) < 0)
		return -1;
	Grams t;
	if (grams_build(g, n, &t, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if ((x->dtype == DT_STRING) != t.str)
		return ir_node_error(d, g, n, "input '%s' is %s, but the pool holds %s", x->name,
				     dtype_name(x->dtype), t.str ? "strings" : "integers");
	if (x->shape.rank != 1 && x->shape.rank != 2)
		return ir_node_error(d, g, n, "input '%s' must have shape [C] or [N, C]", x->name);
	Shape s = x->shape;
	s.dims[s.rank - 1] = t.width;
	op_set_out(g, n, 0, DT_FLOAT, &s);
	return 0;
}

static int64_t tfidf_scratch(const Graph *g, const Node *n)
{
	Grams t;
	Diag d;
	diag_init(&d, NULL);
	if (grams_build(g, n, &t, &d) < 0)
		return 0;
	return (t.nent + 1) * (int64_t)sizeof(int32_t);
}

static const Grams *sort_grams;
static int sort_len;

static int cmp_gram(const void *a, const void *b)
{
	const Grams *t = sort_grams;
	int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
	int64_t pi = t->lstart[sort_len] + i * sort_len, pj = t->lstart[sort_len] + j * sort_len;
	for (int k = 0; k < sort_len; k++) {
		int c = t->str ? strcmp(t->pool_s[pi + k], t->pool_s[pj + k])
			       : (t->pool_i[pi + k] < t->pool_i[pj + k] ? -1
				  : t->pool_i[pi + k] > t->pool_i[pj + k]);
		if (c)
			return c;
	}
	return i < j ? -1 : i > j;
}

/* The sorted table of the n-grams of length len and a search function over it. */
static void tfidf_level(Emit *e, const Grams *t, int len)
{
	Out *o = e->decls;
	int64_t cnt = t->lcount[len];
	int64_t *order = malloc(((size_t)cnt + 1) * sizeof *order);
	if (!order)
		return;
	for (int64_t i = 0; i < cnt; i++)
		order[i] = i;
	sort_grams = t;
	sort_len = len;
	qsort(order, (size_t)cnt, sizeof *order, cmp_gram);
	if (t->str)
		out_printf(o, "static const char *const %s_g%d[%lld] = {", e->fn, len, (long long)(cnt * len));
	else
		out_printf(o, "static const int64_t %s_g%d[%lld] = {", e->fn, len, (long long)(cnt * len));
	for (int64_t i = 0; i < cnt; i++)
		for (int k = 0; k < len; k++) {
			int64_t p = t->lstart[len] + order[i] * len + k;
			out_printf(o, "%s", i || k ? ", " : "");
			if (t->str)
				ctl_c_string(o, t->pool_s[p]);
			else
				out_printf(o, "INT64_C(%lld)", (long long)t->pool_i[p]);
		}
	out_printf(o, "};\nstatic const int32_t %s_o%d[%lld] = {", e->fn, len, (long long)cnt);
	for (int64_t i = 0; i < cnt; i++)
		out_printf(o, "%s%lld", i ? ", " : "", (long long)(t->lfirst[len] + order[i]));
	out_printf(o, "};\n");
	free(order);
	const char *xt = t->str ? "char *const" : cg_ctype(op_in(e->g, e->n, 0)->dtype);
	out_printf(o, "static int32_t %s_find%d(const %s *row, int64_t pos, int64_t step)\n{\n"
		      "\tint32_t lo = 0, hi = %lld;\n\twhile (lo < hi) {\n"
		      "\t\tint32_t mid = lo + (hi - lo) / 2, c = 0;\n"
		      "\t\tfor (int k = 0; k < %d && !c; k++) {\n",
		   e->fn, len, xt, (long long)cnt, len);
	if (t->str)
		out_printf(o, "\t\t\tc = strcmp(%s_g%d[mid * %d + k], row[pos + k * step]);\n", e->fn,
			   len, len);
	else
		out_printf(o, "\t\t\tint64_t a = %s_g%d[mid * %d + k], b = (int64_t)row[pos + k * step];\n"
			      "\t\t\tc = a < b ? -1 : a > b;\n", e->fn, len, len);
	out_printf(o, "\t\t}\n\t\tif (c < 0)\n\t\t\tlo = mid + 1;\n\t\telse\n\t\t\thi = mid;\n\t}\n"
		      "\tif (lo == %lld)\n\t\treturn -1;\n"
		      "\tfor (int k = 0; k < %d; k++)\n", (long long)cnt, len);
	if (t->str)
		out_printf(o, "\t\tif (strcmp(%s_g%d[lo * %d + k], row[pos + k * step]) != 0)\n", e->fn,
			   len, len);
	else
		out_printf(o, "\t\tif (%s_g%d[lo * %d + k] != (int64_t)row[pos + k * step])\n", e->fn,
			   len, len);
	out_printf(o, "\t\t\treturn -1;\n\treturn %s_o%d[lo];\n}\n", e->fn, len);
}

static int tfidf_emit(Emit *e)
{
	Grams t;
	Diag d;
	diag_init(&d, NULL);
	if (grams_build((Graph *)e->g, e->n, &t, &d) < 0)
		return -1;
	const Value *x = op_in(e->g, e->n, 0);
	int64_t c = x->shape.dims[x->shape.rank - 1];
	int64_t rows = x->shape.rank == 2 ? x->shape.dims[0] : 1;
	if (rows <= 0 || t.width <= 0)
		return 0;
	out_line(e->o, "memset(y0, 0, %lld * sizeof *y0);", (long long)(rows * t.width));
	if (!t.nent || c <= 0)
		return 0;
	/* output coordinate and weight of each n-gram */
	out_printf(e->decls, "static const int32_t %s_idx[%lld] = {", e->fn, (long long)t.nent);
	for (int64_t i = 0; i < t.nent; i++)
		out_printf(e->decls, "%s%lld", i ? ", " : "", (long long)t.index[i]);
	out_printf(e->decls, "};\n");
	if (t.mode) { /* TF ignores the weights */
		char lit[64];
		out_printf(e->decls, "static const float %s_w[%lld] = {", e->fn, (long long)t.nent);
		for (int64_t i = 0; i < t.nent; i++)
			out_printf(e->decls, "%s%s", i ? ", " : "",
				   cg_lit(DT_FLOAT, t.weights ? t.weights[i] : 1.0, lit, sizeof lit));
		out_printf(e->decls, "};\n");
	}
	for (int len = t.minn; len <= t.maxn; len++)
		if (t.lcount[len] > 0)
			tfidf_level(e, &t, len);
	out_line(e->o, "int32_t *cnt = (int32_t *)scratch;");
	out_line(e->o, "for (int64_t r = 0; r < %lld; r++) {", (long long)rows);
	out_line(e->o, "memset(cnt, 0, %lld * sizeof *cnt);", (long long)t.nent);
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)c);
	out_line(e->o, "for (int64_t step = 1; step <= %lld; step++) {", (long long)t.skip + 1);
	for (int len = t.minn; len <= t.maxn; len++) {
		if (t.lcount[len] <= 0)
			continue;
		/* a 1-gram is the same for every skip: count it once */
		if (len == 1)
			out_line(e->o, "if (step == 1) {");
		else
			out_line(e->o, "if (p + %d * step < %lld) {", len - 1, (long long)c);
		out_line(e->o, "int32_t k = %s_find%d(x0 + r * %lld, p, step);", e->fn, len, (long long)c);
		out_line(e->o, "if (k >= 0) cnt[k]++;");
		out_line(e->o, "}");
	}
	out_line(e->o, "}");
	out_line(e->o, "}");
	out_line(e->o, "for (int32_t k = 0; k < %lld; k++)", (long long)t.nent);
	static const char *const val[3] = {"(float)cnt[k]", "%s_w[k]", "(float)cnt[k] * %s_w[k]"};
	char v[128];
	snprintf(v, sizeof v, val[t.mode], e->fn);
	out_line(e->o, "\tif (cnt[k] > 0) y0[r * %lld + %s_idx[k]] = %s;", (long long)t.width, e->fn, v);
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_TFIDF_VECTORIZER = {tfidf_infer, NULL, tfidf_emit, tfidf_scratch, 0};
