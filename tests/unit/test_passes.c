/* test_passes.c - shape inference, constant folding, dead-node removal, memory planning,
 * convolution fusion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_infer_broadcasts_add(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	mb_input(mb, "a", DT_FLOAT, "2x1x4");
	mb_input(mb, "b", DT_FLOAT, "3x1");
	mb_node(mb, "Add", "add", "a,b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), 0);
	const Value *y = ir_value(g, g->outputs[0]);
	assert_int_equal(y->shape.rank, 3);
	assert_int_equal(y->shape.dims[0], 2);
	assert_int_equal(y->shape.dims[1], 3);
	assert_int_equal(y->shape.dims[2], 4);
	graph_free(g);
	mb_free(mb);
}

static void test_infer_reports_incompatible_shapes(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	mb_input(mb, "a", DT_FLOAT, "3");
	mb_input(mb, "b", DT_FLOAT, "4");
	mb_node(mb, "Mul", "mul", "a,b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'mul' (Mul): shapes [3] and [4] do not broadcast");
	graph_free(g);
	mb_free(mb);
}

static void test_infer_reports_type_mismatch(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	mb_input(mb, "a", DT_FLOAT, "3");
	mb_input(mb, "b", DT_INT64, "3");
	mb_node(mb, "Sub", "sub", "a,b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'sub' (Sub): input 'b' is int64 but input 0 is float");
	graph_free(g);
	mb_free(mb);
}

static void test_fold_constant_subgraph_and_drop_its_nodes(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	float c1[2] = {1, 2}, c2[2] = {10, 20};
	int64_t dims[1] = {2};
	mb_input(mb, "x", DT_FLOAT, "2");
	mb_init_f32(mb, "c1", dims, 1, c1);
	mb_init_f32(mb, "c2", dims, 1, c2);
	mb_node(mb, "Add", "const_add", "c1,c2", "c3"); /* foldable */
	mb_node(mb, "Neg", "const_neg", "c3", "c4");     /* foldable */
	mb_node(mb, "Mul", "live", "x,c4", "y");
	mb_node(mb, "Relu", "unused", "x", "dead");    /* feeds nothing */
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), 0);
	const Value *c4 = ir_value(g, ir_find_value(g, "c4"));
	assert_non_null(c4->data);
	assert_true(((float *)c4->data)[0] == -11.0f && ((float *)c4->data)[1] == -22.0f);
	assert_int_equal(pass_eliminate_dead(g, NULL, &d), 0);
	assert_int_equal(g->nnodes, 1);
	assert_string_equal(g->nodes[0].name, "live");
	assert_int_equal(ir_verify(g, &d), 0);
	graph_free(g);
	mb_free(mb);
}

static Graph *relu_chain(ModelBuilder *mb, int n, const char *shape)
{
	mb_input(mb, "x", DT_FLOAT, shape);
	char in[16] = "x", out[16];
	for (int i = 0; i < n; i++) {
		snprintf(out, sizeof out, i == n - 1 ? "y" : "t%d", i);
		mb_node(mb, i % 2 ? "Neg" : "Relu", out, in, out);
		strcpy(in, out);
	}
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	return g;
}

static void test_plan_reuses_dead_buffers(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	Graph *g = relu_chain(mb, 6, "1000"); /* 5 temporaries of 4000 bytes */
	/* at any step two temporaries are live (the input and output of a node), so
	   two 4032-byte slots suffice and the plan must find that */
	assert_int_equal(g->workspace_bound, 2 * 4032);
	assert_int_equal(g->workspace_size, 2 * 4032);
	for (uint32_t i = 0; i + 1 < g->nnodes; i++) {
		const Value *a = ir_value(g, g->nodes[i].outputs[0]);
		const Value *b = ir_value(g, g->nodes[i + 1].outputs[0]);
		if (!b->is_output)
			assert_true(a->offset != b->offset); /* live at the same time */
		assert_int_equal(a->offset % 64, 0);
	}
	graph_free(g);
	mb_free(mb);
}

static void test_plan_keeps_overlapping_buffers_apart(void **state)
{
	(void)state;
	/* x -> a, x -> b, a+b -> y: a and b are live together */
	ModelBuilder *mb = mb_new(8, 14);
	mb_input(mb, "x", DT_FLOAT, "16");
	mb_node(mb, "Relu", "ra", "x", "a");
	mb_node(mb, "Neg", "nb", "x", "b");
	mb_node(mb, "Add", "add", "a,b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	const Value *a = ir_value(g, ir_find_value(g, "a"));
	const Value *b = ir_value(g, ir_find_value(g, "b"));
	assert_true(a->offset >= 0 && b->offset >= 0);
	assert_true(a->offset + 64 <= b->offset || b->offset + 64 <= a->offset);
	assert_int_equal(g->workspace_size, 128);
	graph_free(g);
	mb_free(mb);
}

static void test_identity_is_a_view_without_storage(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 14);
	mb_input(mb, "x", DT_FLOAT, "8");
	mb_node(mb, "Relu", "r", "x", "a");
	mb_node(mb, "Identity", "id", "a", "b");
	mb_node(mb, "Neg", "n", "b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	const Value *b = ir_value(g, ir_find_value(g, "b"));
	assert_int_equal(b->alias, ir_find_value(g, "a"));
	assert_int_equal(b->offset, -1);
	assert_int_equal(g->workspace_size, 64);
	graph_free(g);
	mb_free(mb);
}

/* x -> [Relu] -> Pad(0, spatial 1) -> MaxPool 3x3: the pad folds into MaxPool only
   when the Relu guarantees every value >= the pad value */
static ModelBuilder *pad_pool_model(bool relu, const char *pool)
{
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "1x2x6x6");
	int64_t pd[1] = {8}, pads[8] = {0, 0, 1, 1, 0, 0, 1, 1}, k[2] = {3, 3};
	mb_init_i64(mb, "pads", pd, 1, pads);
	if (relu)
		mb_node(mb, "Relu", "relu", "x", "r");
	mb_node(mb, "Pad", "pad", relu ? "r,pads" : "x,pads", "p");
	mb_node(mb, pool, "pool", "p", "y");
	mb_attr_ints(mb, "kernel_shape", k, 2);
	if (strcmp(pool, "AveragePool") == 0)
		mb_attr_int(mb, "count_include_pad", 1);
	mb_output(mb, "y", DT_FLOAT, NULL);
	return mb;
}

static int pads_after(bool relu, const char *pool, int *npad)
{
	ModelBuilder *mb = pad_pool_model(relu, pool);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), 0);
	assert_int_equal(pass_eliminate_dead(g, NULL, &d), 0);
	assert_int_equal(pass_fold_pad(g, NULL, &d), 0);
	*npad = 0;
	int folded = -1;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (n->op == OP_PAD)
			(*npad)++;
		if (n->op == OP_MAXPOOL || n->op == OP_AVERAGEPOOL) {
			const int64_t *p;
			folded = ir_attr_ints(n, "pads", &p) == 4 ? (int)(p[0] + p[1] + p[2] + p[3]) : 0;
		}
	}
	graph_free(g);
	mb_free(mb);
	return folded;
}

static void test_fold_pad_only_where_exact(void **state)
{
	(void)state;
	int npad;
	assert_int_equal(pads_after(true, "MaxPool", &npad), 4); /* Relu >= 0: exact */
	assert_int_equal(npad, 0);
	assert_int_equal(pads_after(false, "MaxPool", &npad), 0); /* negatives: a 0 pad wins */
	assert_int_equal(npad, 1);
	assert_int_equal(pads_after(false, "AveragePool", &npad), 4); /* zeros counted */
	assert_int_equal(npad, 0);
}

/* x [1,3,6,6] -> Conv (weights all w, pads 1, group) -> ... ; returns the builder. */
static ModelBuilder *conv_model(int64_t cout, int64_t group)
{
	ModelBuilder *mb = mb_new(8, 14);
	static float w[32 * 3 * 9];
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		w[i] = 0.1f * (float)(i % 7) - 0.3f;
	const int64_t wd[4] = {cout, 3 / group, 3, 3}, pads[4] = {1, 1, 1, 1};
	mb_input(mb, "x", DT_FLOAT, "1x3x6x6");
	mb_init_f32(mb, "w", wd, 4, w);
	mb_node(mb, "Conv", "conv", "x,w", "c");
	mb_attr_ints(mb, "pads", pads, 4);
	mb_attr_int(mb, "group", group);
	return mb;
}

static void test_fold_batchnorm_gives_the_dead_conv_output_no_workspace(void **state)
{
	(void)state;
	/* found by the difference test (tests/difftest/cases/cnn_1471): the Conv's old
	   output kept its producer and got workspace nothing used */
	ModelBuilder *mb = conv_model(6, 3);
	const float one[6] = {1, 1, 1, 1, 1, 1}, zero[6] = {0};
	const int64_t six = 6;
	mb_init_f32(mb, "s", &six, 1, one);
	mb_init_f32(mb, "b", &six, 1, zero);
	mb_init_f32(mb, "m", &six, 1, zero);
	mb_init_f32(mb, "v", &six, 1, one);
	mb_node(mb, "BatchNormalization", "bn", "c,s,b,m,v", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	assert_int_equal(g->workspace_size, 0);
	graph_free(g);
	mb_free(mb);
}

static void test_select_layout_keeps_a_pooled_graph_output_plain(void **state)
{
	(void)state;
	/* found by the difference test (cases/cnn_37, cnn_87): a pool after a blocked
	   convolution wrote the graph output in blocked layout, past its end */
	ModelBuilder *mb = conv_model(3, 1);
	mb_node(mb, "GlobalAveragePool", "gap", "c", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	const Value *y = ir_value(g, ir_find_value(g, "y"));
	assert_int_equal(y->layout, 0);
	assert_int_equal(ir_storage_bytes(y), 12);
	graph_free(g);
	mb_free(mb);
}

/* conv_model(cout, group) -> Relu -> a; MaxPool(a) 3x3/2 pad 1 -> y (with
   dilations `dil` and, if indices, the Indices output); with `also` a Neg(a) -> z
   graph output too. Runs the passes up to fuse_conv_pool; returns how many pool
   nodes are left and sets *pooled to the pool kind of the FusedConv, if any. */
static int pools_after_fusion(int64_t group, int64_t dil, bool indices, bool also, int *pooled)
{
	ModelBuilder *mb = conv_model(group == 1 ? 8 : 3, group);
	const int64_t k[2] = {3, 3}, s[2] = {2, 2}, pads[4] = {1, 1, 1, 1}, d2[2] = {dil, dil};
	mb_node(mb, "Relu", "relu", "c", "a");
	mb_node(mb, "MaxPool", "pool", "a", indices ? "y,i" : "y");
	mb_attr_ints(mb, "kernel_shape", k, 2);
	mb_attr_ints(mb, "strides", s, 2);
	mb_attr_ints(mb, "pads", pads, 4);
	if (dil != 1)
		mb_attr_ints(mb, "dilations", d2, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	if (indices)
		mb_output(mb, "i", DT_INT64, NULL);
	if (also) {
		mb_node(mb, "Neg", "neg", "a", "z");
		mb_output(mb, "z", DT_FLOAT, NULL);
	}
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(pass_infer_shapes(g, NULL, &d), 0);
	assert_int_equal(pass_eliminate_dead(g, NULL, &d), 0);
	assert_int_equal(pass_fuse_conv(g, NULL, &d), 0);
	assert_int_equal(pass_fuse_conv_pool(g, NULL, &d), 0);
	assert_int_equal(ir_verify(g, &d), 0);
	int left = 0;
	*pooled = -1;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		const int64_t *pool;
		left += n->op == OP_MAXPOOL;
		if (n->op == OP_FUSEDCONV)
			*pooled = ir_attr_ints(n, "pool", &pool) == 12 ? (int)pool[0] : 0;
	}
	if (*pooled > 0) {
		assert_non_null(strstr(g->note, "1 pool computed inside the conv before it"));
		const Value *y = ir_value(g, ir_find_value(g, "y"));
		assert_int_not_equal(y->layout, 0);
		assert_int_equal(ir_node(g, y->producer)->op, OP_FUSEDCONV);
	}
	graph_free(g);
	mb_free(mb);
	return left;
}

static void test_fuse_conv_pool_absorbs_maxpool_after_conv_and_relu(void **state)
{
	(void)state;
	int pooled;
	assert_int_equal(pools_after_fusion(1, 1, false, false, &pooled), 0);
	assert_int_equal(pooled, 1); /* CP_MAX */
}

static void test_fuse_conv_pool_skips_what_it_cannot_do_exactly(void **state)
{
	(void)state;
	int pooled;
	/* the conv output is read by another node: it must exist */
	assert_int_equal(pools_after_fusion(1, 1, false, true, &pooled), 1);
	assert_int_equal(pooled, 0);
	/* dilated pool, Indices output, depthwise conv */
	assert_int_equal(pools_after_fusion(1, 2, false, false, &pooled), 1);
	assert_int_equal(pooled, 0);
	assert_int_equal(pools_after_fusion(1, 1, true, false, &pooled), 1);
	assert_int_equal(pooled, 0);
	assert_int_equal(pools_after_fusion(3, 1, false, false, &pooled), 1);
	assert_int_equal(pooled, 0);
}

/* The "winograd" attribute (output tile m, 0: direct) fuse_conv gives a 3x3 Conv
   from cin to 16 channels on an 8x8 image, for vector width vl and --winograd mode. */
static int64_t winograd_of(const char *xshape, int64_t cin, int64_t stride, int vl, int mode)
{
	ModelBuilder *mb = mb_new(8, 14);
	static float w[16 * 16 * 9];
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		w[i] = 0.01f * (float)(i % 5);
	const int64_t wd[4] = {16, cin, 3, 3}, pads[4] = {1, 1, 1, 1}, st[2] = {stride, stride};
	mb_input(mb, "x", DT_FLOAT, xshape);
	mb_init_f32(mb, "w", wd, 4, w);
	mb_node(mb, "Conv", "conv", "x,w", "y");
	mb_attr_ints(mb, "pads", pads, 4);
	mb_attr_ints(mb, "strides", st, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Options opt = {0};
	opt.vector_width = vl;
	opt.winograd = mode;
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, &opt, &d, NULL), 0);
	int64_t m = -1;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (ir_node(g, i)->op == OP_FUSEDCONV)
			m = ir_attr_int(ir_node(g, i), "winograd", 0);
	graph_free(g);
	mb_free(mb);
	return m;
}

static void test_fuse_conv_picks_winograd_for_3x3_stride_1_on_vectors(void **state)
{
	(void)state;
	assert_int_equal(winograd_of("1x16x8x8", 16, 1, 16, 0), 4);
	assert_int_equal(winograd_of("1x16x8x8", 16, 1, 8, 0), 4);
	assert_int_equal(winograd_of("1x16x8x8", 16, 1, 16, 1), 0); /* --winograd=off */
	assert_int_equal(winograd_of("1x16x8x8", 16, 2, 16, 2), 0); /* stride 2, even forced */
	assert_int_equal(winograd_of("1x16x8x8", 16, 1, 0, 2), 0);  /* target generic */
	assert_int_equal(winograd_of("1x8x8x8", 8, 1, 16, 0), 0);   /* too few channels */
	assert_int_equal(winograd_of("1x8x8x8", 8, 1, 16, 2), 4);   /* unless forced */
	assert_int_equal(winograd_of("1x3x8x8", 3, 1, 16, 2), 0);   /* plain NCHW input */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infer_broadcasts_add),
		cmocka_unit_test(test_infer_reports_incompatible_shapes),
		cmocka_unit_test(test_infer_reports_type_mismatch),
		cmocka_unit_test(test_fold_constant_subgraph_and_drop_its_nodes),
		cmocka_unit_test(test_plan_reuses_dead_buffers),
		cmocka_unit_test(test_plan_keeps_overlapping_buffers_apart),
		cmocka_unit_test(test_identity_is_a_view_without_storage),
		cmocka_unit_test(test_fold_pad_only_where_exact),
		cmocka_unit_test(test_fold_batchnorm_gives_the_dead_conv_output_no_workspace),
		cmocka_unit_test(test_select_layout_keeps_a_pooled_graph_output_plain),
		cmocka_unit_test(test_fuse_conv_pool_absorbs_maxpool_after_conv_and_relu),
		cmocka_unit_test(test_fuse_conv_pool_skips_what_it_cannot_do_exactly),
		cmocka_unit_test(test_fuse_conv_picks_winograd_for_3x3_stride_1_on_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
