/* ml.c - the ai.onnx.ml operators in the ONNX tests (Binarizer, ArrayFeatureExtractor,
 * LabelEncoder, TreeEnsemble).
 *
 * Their models live in attributes, so everything that can be is decided at compile
 * time and baked into static tables next to the kernel: LabelEncoder's keys are sorted
 * (duplicates keep the last value) for a binary search, TreeEnsemble's trees are
 * checked (indices in range, no cycles) and flattened into node arrays. Kernels then
 * only search and walk those tables.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ------------------------------------------------------------ Binarizer */

static const DType ml_num_types[] = {DT_FLOAT, DT_DOUBLE, DT_INT64, DT_INT32, DT_UNDEFINED};

static int binarizer_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, ml_num_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

static int binarizer_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int64_t cnt = ir_numel(x);
	double t = ir_attr_float(e->n, "threshold", 0.0);
	char lit[64];
	if (cnt <= 0)
		return 0;
	bool fl = dtype_info(x->dtype)->is_float;
	if (fl)
		cg_lit(DT_DOUBLE, t, lit, sizeof lit);
	else
		snprintf(lit, sizeof lit, "%.17g", t);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++)", (long long)cnt);
	out_line(e->o, "\ty0[i] = (%s)((double)x0[i] > %s ? 1 : 0);", cg_ctype(x->dtype), lit);
	return 0;
}

const OpDef opdef_BINARIZER = {binarizer_infer, NULL, binarizer_emit, NULL, 0};

/* ------------------------------------------------------------ ArrayFeatureExtractor */

static const DType afe_types[] = {DT_FLOAT, DT_DOUBLE, DT_INT64, DT_INT32, DT_STRING,
				  DT_UNDEFINED};
static const DType i64_only[] = {DT_INT64, DT_UNDEFINED};

static int afe_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0 || op_check_dtype(g, n, 0, afe_types, d) < 0 ||
	    op_check_dtype(g, n, 1, i64_only, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *y = op_in(g, n, 1);
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "input '%s' is a scalar, expected rank >= 1", x->name);
	Shape s = x->shape;
	if (s.rank == 1) { /* a vector gives one row, as in ONNX Runtime */
		s.rank = 2;
		s.dims[0] = 1;
	}
	s.dims[s.rank - 1] = ir_numel(y);
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int afe_emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_in(e->g, e->n, 1);
	int64_t c = x->shape.dims[x->shape.rank - 1], k = ir_numel(y);
	int64_t rows = c ? ir_numel(x) / c : 0;
	if (rows <= 0 || k <= 0)
		return 0;
	/* an index outside [-C, C) selects nothing: the element is zero (or "") */
	out_line(e->o, "for (int64_t r = 0; r < %lld; r++) {", (long long)rows);
	out_line(e->o, "for (int64_t j = 0; j < %lld; j++) {", (long long)k);
	out_line(e->o, "int64_t i = x1[j] < 0 ? x1[j] + %lld : x1[j];", (long long)c);
	out_line(e->o, "y0[r * %lld + j] = i >= 0 && i < %lld ? x0[r * %lld + i] : %s;", (long long)k,
		 (long long)c, (long long)c, x->dtype == DT_STRING ? "\"\"" : "0");
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_ARRAY_FEATURE_EXTRACTOR = {afe_infer, NULL, afe_emit, NULL, 0};

/* ------------------------------------------------------------ LabelEncoder */

/* Keys or values from the attributes <prefix>_strings/_int64s/_floats/_tensor. */
static bool attr_list(Graph *g, const Node *n, const char *prefix, Tensor *t)
{
	static const char *const kinds[] = {"strings", "int64s", "floats", "tensor"};
	char name[64];
	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof name, "%s_%s", prefix, kinds[k]);
		const Attr *a = ir_attr(n, name);
		if (!a)
			continue;
		memset(t, 0, sizeof *t);
		t->shape.rank = 1;
		t->shape.dims[0] = (int64_t)a->n;
		if (a->type == AT_STRINGS) {
			t->dtype = DT_STRING;
			t->data = (void *)a->strings;
		} else if (a->type == AT_INTS) {
			t->dtype = DT_INT64;
			t->data = a->ints;
		} else if (a->type == AT_FLOATS) {
			t->dtype = DT_FLOAT;
			float *f = arena_alloc(g->arena, (a->n + 1) * sizeof *f);
			for (size_t i = 0; f && i < a->n; i++)
				f[i] = (float)a->floats[i];
			t->data = f;
		} else if (a->type == AT_TENSOR && a->tensor) {
			*t = *a->tensor;
			t->shape.rank = 1;
			t->shape.dims[0] = shape_numel(&a->tensor->shape);
		} else {
			continue;
		}
		return true;
	}
	return false;
}

typedef struct Encoder {
	Tensor keys, vals; /* keys sorted, duplicates removed (the last one kept) */
	Tensor dflt;       /* one element of the values' type */
	bool has_nan;      /* a NaN key (float keys), whose value is nan_index */
	int64_t nan_index;
} Encoder;

static const Tensor *sort_keys; /* qsort has no context argument */

static int cmp_key(const void *a, const void *b)
{
	int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
	const Tensor *k = sort_keys;
	int c;
	if (k->dtype == DT_STRING) {
		c = strcmp(((const char *const *)k->data)[i], ((const char *const *)k->data)[j]);
	} else if (dtype_info(k->dtype)->is_float) {
		/* NaN sorts after every number (and equals NaN) */
		double x = dtype_get_f64(k->dtype, k->data, i), y = dtype_get_f64(k->dtype, k->data, j);
		c = isnan(x) || isnan(y) ? isnan(x) - isnan(y) : x < y ? -1 : x > y;
	} else {
		int64_t x = dtype_get_i64(k->dtype, k->data, i), y = dtype_get_i64(k->dtype, k->data, j);
		c = x < y ? -1 : x > y;
	}
	return c ? c : (i < j ? -1 : i > j);
}

static bool key_eq(const Tensor *k, int64_t i, int64_t j)
{
	if (k->dtype == DT_STRING)
		return strcmp(((const char *const *)k->data)[i], ((const char *const *)k->data)[j]) == 0;
	if (dtype_info(k->dtype)->is_float)
		return dtype_get_f64(k->dtype, k->data, i) == dtype_get_f64(k->dtype, k->data, j);
	return dtype_get_i64(k->dtype, k->data, i) == dtype_get_i64(k->dtype, k->data, j);
}

static void set_default(Graph *g, const Node *n, Encoder *en)
{
	Tensor *t = &en->dflt;
	t->dtype = en->vals.dtype;
	t->shape = (Shape){0, {0}};
	t->data = arena_alloc(g->arena, 16);
	const Attr *dt = ir_attr(n, "default_tensor");
	if (dt && dt->type == AT_TENSOR && dt->tensor && dt->tensor->dtype == t->dtype &&
	    shape_numel(&dt->tensor->shape) >= 1) {
		memcpy(t->data, dt->tensor->data, (size_t)dtype_bytes(t->dtype, 1));
		return;
	}
	if (t->dtype == DT_STRING)
		*(const char **)t->data = ir_attr_str(n, "default_string", "_Unused");
	else if (dtype_info(t->dtype)->is_float)
		dtype_set_f64(t->dtype, t->data, 0, ir_attr_float(n, "default_float", -0.0));
	else
		dtype_set_i64(t->dtype, t->data, 0, ir_attr_int(n, "default_int64", -1));
}

/* Builds the sorted table of node n; -1 with a diagnostic. */
static int encoder_build(Graph *g, const Node *n, Encoder *en, Diag *d)
{
	memset(en, 0, sizeof *en);
	Tensor keys, vals;
	if (n->opset < 2) { /* classes_strings: string <-> its index */
		const Attr *c = ir_attr(n, "classes_strings");
		const Value *x = op_in(g, n, 0);
		size_t cnt = c && c->type == AT_STRINGS ? c->n : 0;
		int64_t *idx = arena_alloc(g->arena, (cnt + 1) * sizeof *idx);
		for (size_t i = 0; i < cnt; i++)
			idx[i] = (int64_t)i;
		Tensor s = {DT_STRING, {1, {(int64_t)cnt}}, c ? (void *)c->strings : NULL};
		Tensor v = {DT_INT64, {1, {(int64_t)cnt}}, idx};
		bool str_in = x->dtype == DT_STRING;
		keys = str_in ? s : v;
		vals = str_in ? v : s;
	} else if (!attr_list(g, n, "keys", &keys) || !attr_list(g, n, "values", &vals)) {
		return ir_node_error(d, g, n, "needs one keys_* and one values_* attribute");
	}
	int64_t cnt = keys.shape.dims[0];
	if (vals.shape.dims[0] != cnt)
		return ir_node_error(d, g, n, "has %lld keys but %lld values", (long long)cnt,
				     (long long)vals.shape.dims[0]);
	int64_t *order = malloc(((size_t)cnt + 1) * sizeof *order);
	if (!order)
		return ir_node_error(d, g, n, "out of memory");
	for (int64_t i = 0; i < cnt; i++)
		order[i] = i;
	sort_keys = &keys;
	qsort(order, (size_t)cnt, sizeof *order, cmp_key);
	en->keys = keys;
	en->vals = vals;
	int64_t ks = dtype_bytes(keys.dtype, 1), vs = dtype_bytes(vals.dtype, 1), m = 0;
	char *kd = arena_alloc(g->arena, (size_t)((cnt + 1) * ks)), *vd = arena_alloc(g->arena,
										   (size_t)((cnt + 1) * vs));
	bool fl = dtype_info(keys.dtype)->is_float;
	int64_t prev = -1;
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = order[i];
		if (fl && isnan(dtype_get_f64(keys.dtype, keys.data, o))) {
			en->has_nan = true;
			en->nan_index = o; /* the last NaN key wins: it sorts last among NaNs */
			continue;
		}
		/* equal keys are adjacent, in model order: the last one overwrites */
		bool same = m > 0 && key_eq(&keys, prev, o);
		prev = o;
		if (!same)
			m++;
		memcpy(kd + (m - 1) * ks, (const char *)keys.data + o * ks, (size_t)ks);
		memcpy(vd + (m - 1) * vs, (const char *)vals.data + o * vs, (size_t)vs);
	}
	free(order);
	if (en->has_nan) {
		/* keep the NaN key's value where the kernel can find it */
		char *nv = arena_alloc(g->arena, (size_t)vs);
		memcpy(nv, (const char *)vals.data + en->nan_index * vs, (size_t)vs);
		en->nan_index = m;
		memcpy(vd + m * vs, nv, (size_t)vs);
	}
	en->keys.data = kd;
	en->keys.shape.dims[0] = m;
	en->vals.data = vd;
	en->vals.shape.dims[0] = m + en->has_nan;
	set_default(g, n, en);
	return 0;
}

static const DType le_types[] = {DT_STRING, DT_INT64, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT16,
				 DT_UNDEFINED};

static int encoder_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, le_types, d) < 0)
		return -1;
	Encoder en;
	if (encoder_build(g, n, &en, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->dtype != en.keys.dtype)
		return ir_node_error(d, g, n, "input '%s' is %s, but the keys are %s", x->name,
				     dtype_name(x->dtype), dtype_name(en.keys.dtype));
	op_set_out(g, n, 0, en.vals.dtype, &x->shape);
	return 0;
}

/* One element of t as a C initializer. */
static void c_elem(Out *o, const Tensor *t, int64_t i)
{
	char lit[64];
	if (t->dtype == DT_STRING)
		ctl_c_string(o, ((const char *const *)t->data)[i]);
	else if (dtype_info(t->dtype)->is_float)
		out_printf(o, "%s", cg_lit(t->dtype, dtype_get_f64(t->dtype, t->data, i), lit, sizeof lit));
	else
		out_printf(o, "%s", cg_ilit(t->dtype, dtype_get_i64(t->dtype, t->data, i), lit, sizeof lit));
}

static void c_array(Out *o, const char *fn, const char *name, const Tensor *t)
{
	int64_t n = t->shape.dims[0];
	if (t->dtype == DT_STRING)
		out_printf(o, "static const char *const %s_%s[%lld] = {", fn, name, (long long)(n ? n : 1));
	else
		out_printf(o, "static const %s %s_%s[%lld] = {", cg_ctype(t->dtype), fn, name,
			   (long long)(n ? n : 1));
	for (int64_t i = 0; i < n; i++) {
		out_printf(o, "%s", i ? (i % 8 ? ", " : ",\n\t") : "\n\t");
		c_elem(o, t, i);
	}
	out_printf(o, "%s};\n", n ? "\n" : "0");
}

static int encoder_emit(Emit *e)
{
	Encoder en;
	Diag d;
	diag_init(&d, NULL);
	int64_t cnt = ir_numel(op_in(e->g, e->n, 0));
	if (cnt <= 0)
		return 0;
	if (encoder_build((Graph *)e->g, e->n, &en, &d) < 0)
		return -1;
	int64_t m = en.keys.shape.dims[0];
	bool str = en.keys.dtype == DT_STRING, fl = dtype_info(en.keys.dtype)->is_float;
	c_array(e->decls, e->fn, "keys", &en.keys);
	c_array(e->decls, e->fn, "vals", &en.vals);
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)cnt);
	out_line(e->o, "size_t lo = 0, hi = %lld;", (long long)m);
	if (fl && en.has_nan) {
		out_line(e->o, "if (x0[i] != x0[i]) {");
		out_line(e->o, "y0[i] = %s_vals[%lld];", e->fn, (long long)en.nan_index);
		out_line(e->o, "continue;");
		out_line(e->o, "}");
	}
	out_line(e->o, "while (lo < hi) {");
	out_line(e->o, "size_t mid = lo + (hi - lo) / 2;");
	if (str)
		out_line(e->o, "if (strcmp(%s_keys[mid], x0[i]) < 0)", e->fn);
	else
		out_line(e->o, "if (%s_keys[mid] < x0[i])", e->fn);
	out_line(e->o, "\tlo = mid + 1;");
	out_line(e->o, "else");
	out_line(e->o, "\thi = mid;");
	out_line(e->o, "}");
	Out dl;
	out_init(&dl);
	c_elem(&dl, &en.dflt, 0);
	if (str)
		out_line(e->o, "y0[i] = lo < %lld && strcmp(%s_keys[lo], x0[i]) == 0 ? %s_vals[lo] : %s;",
			 (long long)m, e->fn, e->fn, dl.buf ? dl.buf : "0");
	else
		out_line(e->o, "y0[i] = lo < %lld && %s_keys[lo] == x0[i] ? %s_vals[lo] : %s;", (long long)m,
			 e->fn, e->fn, dl.buf ? dl.buf : "0");
	out_free(&dl);
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_LABEL_ENCODER = {encoder_infer, NULL, encoder_emit, NULL, 0};

/* ------------------------------------------------------------ TreeEnsemble */

enum { TE_LEQ, TE_LT, TE_GTE, TE_GT, TE_EQ, TE_NEQ, TE_MEMBER };

typedef struct Trees {
	int64_t nn, nl, nt, ntargets, nfeat;
	const int64_t *feat, *tn, *fn, *tl, *fl, *ltarget, *roots, *missing;
	Tensor splits, weights, modes, members;
	int64_t *mset; /* per node: first index into members of its set (-1 if none) */
	int agg, post;
} Trees;

static size_t ints_of(const Node *n, const char *name, const int64_t **v)
{
	return ir_attr_ints(n, name, v);
}

static bool tensor_attr(const Node *n, const char *name, Tensor *t)
{
	const Attr *a = ir_attr(n, name);
	if (!a || a->type != AT_TENSOR || !a->tensor)
		return false;
	*t = *a->tensor;
	t->shape = (Shape){1, {shape_numel(&a->tensor->shape)}};
	return true;
}

/* Follows every path of tree `node` (interior), checking indices; depth bounds cycles. */
static int check_tree(const Graph *g, const Node *n, const Trees *t, int64_t node, int depth,
		      Diag *d)
{
	if (depth > 10000)
		return ir_node_error(d, g, n, "a tree is deeper than 10000 nodes or has a cycle");
	if (node < 0 || node >= t->nn)
		return ir_node_error(d, g, n, "a tree refers to node %lld of %lld", (long long)node,
				     (long long)t->nn);
	if (t->feat[node] < 0 || t->feat[node] >= t->nfeat)
		return ir_node_error(d, g, n, "node %lld reads feature %lld of %lld", (long long)node,
				     (long long)t->feat[node], (long long)t->nfeat);
	int64_t mode = dtype_get_i64(t->modes.dtype, t->modes.data, node);
	if (mode < TE_LEQ || mode > TE_MEMBER)
		return ir_node_error(d, g, n, "node %lld has mode %lld", (long long)node, (long long)mode);
	for (int side = 0; side < 2; side++) {
		int64_t next = side ? t->fn[node] : t->tn[node];
		bool leaf = (side ? t->fl[node] : t->tl[node]) != 0;
		if (leaf) {
			if (next < 0 || next >= t->nl)
				return ir_node_error(d, g, n, "a tree refers to leaf %lld of %lld",
						     (long long)next, (long long)t->nl);
			if (t->ltarget[next] < 0 || t->ltarget[next] >= t->ntargets)
				return ir_node_error(d, g, n, "leaf %lld has target %lld of %lld",
						     (long long)next, (long long)t->ltarget[next],
						     (long long)t->ntargets);
		} else if (check_tree(g, n, t, next, depth + 1, d) < 0) {
			return -1;
		}
	}
	return 0;
}

static int trees_build(Graph *g, const Node *n, Trees *t, Diag *d)
{
	memset(t, 0, sizeof *t);
	const Value *x = op_in(g, n, 0);
	t->nn = (int64_t)ints_of(n, "nodes_featureids", &t->feat);
	if ((int64_t)ints_of(n, "nodes_truenodeids", &t->tn) != t->nn ||
	    (int64_t)ints_of(n, "nodes_falsenodeids", &t->fn) != t->nn ||
	    (int64_t)ints_of(n, "nodes_trueleafs", &t->tl) != t->nn ||
	    (int64_t)ints_of(n, "nodes_falseleafs", &t->fl) != t->nn ||
	    !tensor_attr(n, "nodes_splits", &t->splits) || t->splits.shape.dims[0] != t->nn ||
	    !tensor_attr(n, "nodes_modes", &t->modes) || t->modes.shape.dims[0] != t->nn)
		return ir_node_error(d, g, n, "the nodes_* attributes must all be present with one "
				     "entry per node");
	if (ints_of(n, "nodes_missing_value_tracks_true", &t->missing) != (size_t)t->nn)
		t->missing = NULL;
	t->nl = (int64_t)ints_of(n, "leaf_targetids", &t->ltarget);
	if (!tensor_attr(n, "leaf_weights", &t->weights) || t->weights.shape.dims[0] != t->nl)
		return ir_node_error(d, g, n, "leaf_targetids and leaf_weights must have one entry "
				     "per leaf");
	if (!dtype_info(t->splits.dtype)->is_float || !dtype_info(t->weights.dtype)->is_float)
		return ir_node_error(d, g, n, "nodes_splits and leaf_weights must be floating point");
	int64_t nroots = (int64_t)ints_of(n, "tree_roots", &t->roots);
	t->nt = nroots;
	t->ntargets = ir_attr_int(n, "n_targets", -1);
	if (t->ntargets < 1 || t->ntargets > (1 << 24))
		return ir_node_error(d, g, n, "n_targets must be given and positive");
	t->agg = (int)ir_attr_int(n, "aggregate_function", 1);
	t->post = (int)ir_attr_int(n, "post_transform", 0);
	if (t->agg < 0 || t->agg > 3)
		return ir_node_error(d, g, n, "aggregate_function %d is not 0 to 3", t->agg);
	if (t->post < 0 || t->post > 3)
		return ir_node_error(d, g, n, "post_transform %d is not supported (NONE, SOFTMAX, "
				     "LOGISTIC, SOFTMAX_ZERO are)", t->post);
	t->nfeat = x->shape.rank == 2 ? x->shape.dims[1] : 0;
	/* membership sets: NaN-terminated runs, one per BRANCH_MEMBER node in node order */
	t->mset = arena_alloc(g->arena, ((size_t)t->nn + 1) * sizeof *t->mset);
	bool has_members = tensor_attr(n, "membership_values", &t->members);
	int64_t pos = 0;
	for (int64_t i = 0; i < t->nn; i++) {
		t->mset[i] = -1;
		if (dtype_get_i64(t->modes.dtype, t->modes.data, i) != TE_MEMBER)
			continue;
		if (!has_members || pos >= t->members.shape.dims[0])
			return ir_node_error(d, g, n, "membership_values has no set for node %lld",
					     (long long)i);
		t->mset[i] = pos;
		while (pos < t->members.shape.dims[0] &&
		       !isnan(dtype_get_f64(t->members.dtype, t->members.data, pos)))
			pos++;
		pos++;
	}
	for (int64_t r = 0; r < nroots; r++) {
		int64_t root = t->roots[r];
		if (root < 0 || root >= t->nn)
			return ir_node_error(d, g, n, "tree root %lld is not a node", (long long)root);
		if (t->tl[root] && t->fl[root] && t->tn[root] == t->fn[root])
			continue; /* the tree is a single leaf */
		if (check_tree(g, n, t, root, 0, d) < 0)
			return -1;
	}
	return 0;
}

static const DType te_types[] = {DT_FLOAT, DT_DOUBLE, DT_FLOAT16, DT_UNDEFINED};

static int trees_infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, te_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank != 2)
		return ir_node_error(d, g, n, "input '%s' must have shape [N, F]", x->name);
	Trees t;
	if (trees_build(g, n, &t, d) < 0)
		return -1;
	Shape s = {2, {x->shape.dims[0], t.ntargets}};
	op_set_out(g, n, 0, x->dtype, &s);
	return 0;
}

static int64_t trees_scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	return y && y->typed ? y->shape.dims[1] * (int64_t)(sizeof(double) + 1) : 0;
}

/* Emits the flattened trees: per node feature, mode, split, true/false child (an
   interior node index, or ~leaf), missing flag and membership set. */
static void trees_tables(Emit *e, const Trees *t)
{
	Out *o = e->decls;
	const char *fn = e->fn;
	int64_t nn = t->nn ? t->nn : 1;
	out_printf(o, "static const int32_t %s_node[%lld][6] = {\n", fn, (long long)nn);
	for (int64_t i = 0; i < t->nn; i++) {
		int64_t tc = t->tl[i] ? ~t->tn[i] : t->tn[i], fc = t->fl[i] ? ~t->fn[i] : t->fn[i];
		out_printf(o, "\t{%lld, %lld, %lld, %lld, %d, %lld},\n", (long long)t->feat[i],
			   (long long)dtype_get_i64(t->modes.dtype, t->modes.data, i), (long long)tc,
			   (long long)fc, t->missing ? t->missing[i] != 0 : 0, (long long)t->mset[i]);
	}
	if (!t->nn)
		out_printf(o, "\t{0, 0, 0, 0, 0, 0},\n");
	out_printf(o, "};\n");
	char lit[64];
	out_printf(o, "static const double %s_split[%lld] = {", fn, (long long)nn);
	for (int64_t i = 0; i < nn; i++)
		out_printf(o, "%s%s", i ? ", " : "",
			   i < t->nn ? cg_lit(DT_DOUBLE, dtype_get_f64(t->splits.dtype, t->splits.data, i),
					      lit, sizeof lit) : "0");
	out_printf(o, "};\n");
	int64_t nm = t->members.data ? t->members.shape.dims[0] : 0;
	out_printf(o, "static const double %s_member[%lld] = {", fn, (long long)(nm + 1));
	for (int64_t i = 0; i < nm; i++)
		out_printf(o, "%s, ", cg_lit(DT_DOUBLE, dtype_get_f64(t->members.dtype, t->members.data, i),
					      lit, sizeof lit));
	out_printf(o, "(double)NAN};\n");
	int64_t nl = t->nl ? t->nl : 1;
	out_printf(o, "static const double %s_weight[%lld] = {", fn, (long long)nl);
	for (int64_t i = 0; i < nl; i++)
		out_printf(o, "%s%s", i ? ", " : "",
			   i < t->nl ? cg_lit(DT_DOUBLE, dtype_get_f64(t->weights.dtype, t->weights.data, i),
					      lit, sizeof lit) : "0");
	out_printf(o, "};\nstatic const int32_t %s_target[%lld] = {", fn, (long long)nl);
	for (int64_t i = 0; i < nl; i++)
		out_printf(o, "%s%lld", i ? ", " : "", i < t->nl ? (long long)t->ltarget[i] : 0LL);
	out_printf(o, "};\nstatic const int32_t %s_root[%lld] = {", fn, (long long)(t->nt ? t->nt : 1));
	for (int64_t r = 0; r < t->nt; r++) {
		int64_t root = t->roots[r];
		bool leaf = t->tl[root] && t->fl[root] && t->tn[root] == t->fn[root];
		out_printf(o, "%s%lld", r ? ", " : "", leaf ? (long long)~t->tn[root] : (long long)root);
	}
	out_printf(o, "%s};\n", t->nt ? "" : "0");
	/* one comparison of a branch node */
	out_printf(o, "static int %s_go_true(const int32_t *nd, double v, double s)\n{\n"
		      "\tif (v != v && nd[4])\n\t\treturn 1;\n"
		      "\tswitch (nd[1]) {\n"
		      "\tcase 0: return v <= s;\n\tcase 1: return v < s;\n"
		      "\tcase 2: return v >= s;\n\tcase 3: return v > s;\n"
		      "\tcase 4: return v == s;\n\tcase 5: return v != s;\n"
		      "\tdefault:\n"
		      "\t\tfor (int32_t k = nd[5]; %s_member[k] == %s_member[k]; k++)\n"
		      "\t\t\tif (%s_member[k] == v)\n\t\t\t\treturn 1;\n"
		      "\t\treturn 0;\n\t}\n}\n", fn, fn, fn, fn);
}

static int trees_emit(Emit *e)
{
	Trees t;
	Diag d;
	diag_init(&d, NULL);
	if (trees_build((Graph *)e->g, e->n, &t, &d) < 0)
		return -1;
	const Value *x = op_in(e->g, e->n, 0);
	int64_t rows = x->shape.dims[0], nf = x->shape.dims[1], nt = t.ntargets;
	if (rows <= 0)
		return 0;
	trees_tables(e, &t);
	char ld[128], st[128];
	/* MIN and MAX start from the largest finite value of the element type */
	const char *big = x->dtype == DT_DOUBLE ? "1.7976931348623157e308"
			  : x->dtype == DT_FLOAT16 ? "65504.0" : "3.4028234663852886e38";
	out_line(e->o, "double *acc = (double *)scratch;");
	if (t.agg >= 2)
		out_line(e->o, "unsigned char *hit = (unsigned char *)scratch + %lld;",
			 (long long)(nt * (int64_t)sizeof(double)));
	out_line(e->o, "for (int64_t r = 0; r < %lld; r++) {", (long long)rows);
	out_line(e->o, "for (int64_t k = 0; k < %lld; k++)", (long long)nt);
	out_line(e->o, "\tacc[k] = %s%s;", t.agg == 3 ? "-" : "", t.agg >= 2 ? big : "0.0");
	if (t.agg >= 2)
		out_line(e->o, "memset(hit, 0, %lld);", (long long)nt);
	out_line(e->o, "for (int32_t tr = 0; tr < %lld; tr++) {", (long long)t.nt);
	out_line(e->o, "int32_t nd = %s_root[tr];", e->fn);
	out_line(e->o, "while (nd >= 0) {");
	out_line(e->o, "const int32_t *q = %s_node[nd];", e->fn);
	snprintf(st, sizeof st, "x0[r * %lld + q[0]]", (long long)nf);
	out_line(e->o, "nd = %s_go_true(q, (double)%s, %s_split[nd]) ? q[2] : q[3];", e->fn,
		 cg_load(x->dtype, st, ld, sizeof ld), e->fn);
	out_line(e->o, "}");
	out_line(e->o, "double w = %s_weight[~nd];", e->fn);
	out_line(e->o, "int32_t tg = %s_target[~nd];", e->fn);
	if (t.agg <= 1)
		out_line(e->o, "acc[tg] += w;");
	else
		out_line(e->o, "if (w %s acc[tg]) acc[tg] = w;\nhit[tg] = 1;", t.agg == 2 ? "<" : ">");
	out_line(e->o, "}");
	if (t.agg >= 2) /* a target no tree reached is 0, as in ONNX Runtime */
		out_line(e->o, "for (int64_t k = 0; k < %lld; k++) if (!hit[k]) acc[k] = 0.0;",
			 (long long)nt);
	if (t.agg == 0 && t.nt > 0)
		out_line(e->o, "for (int64_t k = 0; k < %lld; k++) acc[k] /= %lld.0;", (long long)nt,
			 (long long)t.nt);
	if (t.post == 2) {
		out_line(e->o, "for (int64_t k = 0; k < %lld; k++) acc[k] = 1.0 / (1.0 + exp(-acc[k]));",
			 (long long)nt);
	} else if (t.post == 1 || t.post == 3) {
		/* softmax over the targets; SOFTMAX_ZERO keeps zeros at zero */
		bool z = t.post == 3;
		out_line(e->o, "double mx = acc[0], sum = 0.0;");
		out_line(e->o, "for (int64_t k = 1; k < %lld; k++) if (acc[k] > mx) mx = acc[k];",
			 (long long)nt);
		out_line(e->o, "for (int64_t k = 0; k < %lld; k++) {", (long long)nt);
		out_line(e->o, "acc[k] = %sexp(acc[k] - mx);", z ? "acc[k] == 0.0 ? 0.0 : " : "");
		out_line(e->o, "sum += acc[k];");
		out_line(e->o, "}");
		out_line(e->o, "for (int64_t k = 0; k < %lld; k++) acc[k] = sum > 0.0 ? acc[k] / sum : 0.0;",
			 (long long)nt);
	}
	out_line(e->o, "for (int64_t k = 0; k < %lld; k++)", (long long)nt);
	char sv[128];
	out_line(e->o, "\ty0[r * %lld + k] = %s;", (long long)nt,
		 cg_store(x->dtype, x->dtype == DT_DOUBLE ? "acc[k]" : "(float)acc[k]", sv, sizeof sv));
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_TREE_ENSEMBLE = {trees_infer, NULL, trees_emit, trees_scratch, 0};
