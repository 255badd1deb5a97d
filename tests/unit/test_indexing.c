/* test_indexing.c - indexing-family ops: folding, value-dependent shapes, diagnostics,
 * and the strided-copy helper they share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/ops/indexing.h"
#include "helpers.h"
#include "passes/passes.h"

static Graph *load(ModelBuilder *mb)
{
	Diag d;
	Graph *g = mb_load(mb, NULL, &d);
	if (!g)
		fail_msg("load failed: %s", d.msg);
	return g;
}

/* Runs shape inference; returns its status with the diagnostic in *d. */
static int infer(Graph *g, Diag *d)
{
	diag_init(d, "model.onnx");
	return pass_infer_shapes(g, NULL, d);
}

static const int64_t *i64_data(Graph *g, const char *name)
{
	const Value *v = ir_value(g, ir_find_value(g, name));
	assert_non_null(v->data);
	return v->data;
}

static void test_shape_gather_slice_chain_folds(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	int64_t sd[1] = {5}, sv[5] = {10, 20, 30, 40, 50}, one[1] = {1};
	int64_t idx[2] = {-1, 1}, st[1] = {-1}, en[1] = {-100}, stp[1] = {-2};
	mb_init_i64(mb, "s", sd, 1, sv);
	mb_init_i64(mb, "i", (int64_t[]){2}, 1, idx);
	mb_init_i64(mb, "st", one, 1, st);
	mb_init_i64(mb, "en", one, 1, en);
	mb_init_i64(mb, "stp", one, 1, stp);
	mb_node(mb, "Gather", "g", "s,i", "a");
	mb_node(mb, "Slice", "sl", "s,st,en,,stp", "b");
	mb_output(mb, "a", DT_INT64, NULL);
	mb_output(mb, "b", DT_INT64, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), 0);
	const int64_t *a = i64_data(g, "a"), *b = i64_data(g, "b");
	assert_true(a[0] == 50 && a[1] == 20);
	assert_int_equal(ir_value(g, ir_find_value(g, "b"))->shape.dims[0], 3);
	assert_true(b[0] == 50 && b[1] == 30 && b[2] == 10);
	graph_free(g);
	mb_free(mb);
}

static void test_split_num_outputs_makes_last_part_smaller(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 18);
	mb_input(mb, "x", DT_FLOAT, "7x2");
	mb_node(mb, "Split", "sp", "x", "a,b,c");
	mb_attr_int(mb, "num_outputs", 3);
	mb_output(mb, "a", DT_FLOAT, NULL);
	mb_output(mb, "b", DT_FLOAT, NULL);
	mb_output(mb, "c", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), 0);
	assert_int_equal(ir_value(g, ir_find_value(g, "a"))->shape.dims[0], 3);
	assert_int_equal(ir_value(g, ir_find_value(g, "c"))->shape.dims[0], 1);
	graph_free(g);
	mb_free(mb);
}

static void test_nonzero_asks_for_its_graph_input(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "4");
	mb_node(mb, "NonZero", "nz", "x", "y");
	mb_output(mb, "y", DT_INT64, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), -1);
	assert_string_equal(d.need_input, "x");
	assert_string_equal(d.msg, "model.onnx: node 'nz' (NonZero): input 'x' determines a shape "
				   "and must be known at compile time; pass --input-value x=FILE.pb");
	graph_free(g);
	mb_free(mb);
}

static void test_compress_traces_run_time_condition_to_graph_input(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "4");
	mb_input(mb, "c", DT_BOOL, "4");
	mb_node(mb, "Identity", "id", "c", "c2");
	mb_node(mb, "Compress", "cp", "x,c2", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), -1);
	assert_string_equal(d.need_input, "c");
	assert_string_equal(d.msg, "model.onnx: node 'cp' (Compress): input 'c2' determines a shape "
				   "but is computed at run time from graph input 'c'; pass "
				   "--input-value c=FILE.pb");
	graph_free(g);
	mb_free(mb);
}

static void test_unique_folds_all_outputs(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 11);
	int64_t xv[6] = {2, 1, 1, 3, 4, 3};
	mb_init_i64(mb, "x", (int64_t[]){6}, 1, xv);
	mb_node(mb, "Unique", "u", "x", "y,i,v,c");
	mb_attr_int(mb, "sorted", 0);
	mb_output(mb, "y", DT_INT64, NULL);
	mb_output(mb, "i", DT_INT64, NULL);
	mb_output(mb, "v", DT_INT64, NULL);
	mb_output(mb, "c", DT_INT64, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), 0);
	static const int64_t y[4] = {2, 1, 3, 4}, i[4] = {0, 1, 3, 4}, c[4] = {1, 2, 2, 1};
	static const int64_t v[6] = {0, 1, 1, 2, 3, 2};
	assert_memory_equal(i64_data(g, "y"), y, sizeof y);
	assert_memory_equal(i64_data(g, "i"), i, sizeof i);
	assert_memory_equal(i64_data(g, "v"), v, sizeof v);
	assert_memory_equal(i64_data(g, "c"), c, sizeof c);
	graph_free(g);
	mb_free(mb);
}

static void test_pad_rejects_unknown_mode(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	int64_t pv[2] = {1, 1};
	mb_input(mb, "x", DT_FLOAT, "4");
	mb_init_i64(mb, "p", (int64_t[]){2}, 1, pv);
	mb_node(mb, "Pad", "pd", "x,p", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	/* set the attribute directly: the builder has no string attributes */
	Node *n = ir_node(g, 0);
	Attr *a = arena_alloc(g->arena, sizeof *a);
	*a = (Attr){.name = "mode", .type = AT_STRING, .s = "wrap", .slen = 4};
	n->attrs = a;
	n->nattrs = 1;
	Diag d;
	assert_int_equal(infer(g, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'pd' (Pad): mode 'wrap' is not one of constant, "
				   "reflect, edge");
	graph_free(g);
	mb_free(mb);
}

static void test_gather_rejects_axis_out_of_range(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "4x3");
	mb_input(mb, "i", DT_INT64, "2");
	mb_node(mb, "Gather", "ga", "x,i", "y");
	mb_attr_int(mb, "axis", 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	assert_int_equal(infer(g, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'ga' (Gather): axis 2 is out of range for rank 2");
	graph_free(g);
	mb_free(mb);
}

static void test_copy_simplify_merges_contiguous_dims(void **state)
{
	(void)state;
	Shape s = {4, {2, 1, 3, 4}};
	Copy c;
	ix_copy_init(&c, &s);
	/* a source of shape [2, 5, 3, 4] read at [:, 1, :, :]: dims 2 and 3 are contiguous */
	int64_t sst[4] = {60, 12, 4, 1};
	memcpy(c.sst, sst, sizeof sst);
	c.soff = 12;
	ix_copy_simplify(&c);
	assert_int_equal(c.rank, 2);
	assert_int_equal(c.dims[0], 2);
	assert_int_equal(c.dims[1], 12);
	assert_int_equal(c.sst[0], 60);
	assert_int_equal(c.dst[0], 12);
	float src[120], dst[24];
	for (int i = 0; i < 120; i++)
		src[i] = (float)i;
	ix_fold_copy(&c, DT_FLOAT, dst, src);
	assert_true(dst[0] == 12 && dst[11] == 23 && dst[12] == 72 && dst[23] == 83);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_gather_slice_chain_folds),
		cmocka_unit_test(test_split_num_outputs_makes_last_part_smaller),
		cmocka_unit_test(test_nonzero_asks_for_its_graph_input),
		cmocka_unit_test(test_compress_traces_run_time_condition_to_graph_input),
		cmocka_unit_test(test_unique_folds_all_outputs),
		cmocka_unit_test(test_pad_rejects_unknown_mode),
		cmocka_unit_test(test_gather_rejects_axis_out_of_range),
		cmocka_unit_test(test_copy_simplify_merges_contiguous_dims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
