/* test_nn.c - shape rules and diagnostics of the convolution, pooling, resize and
 * sampling ops (their numerics are covered by the conformance suites). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "passes/passes.h"

/* Loads mb and runs shape inference; returns the graph (NULL on a load error) and
   the pass status in *rc, the diagnostic in d. */
static Graph *infer(ModelBuilder *mb, int *rc, Diag *d)
{
	Graph *g = mb_load(mb, NULL, d);
	if (!g)
		fail_msg("load failed: %s", d->msg);
	diag_init(d, "model.onnx");
	*rc = pass_infer_shapes(g, NULL, d);
	return g;
}

static void assert_out_shape(const Graph *g, int k, const int64_t *dims, int rank)
{
	const Value *y = ir_value(g, g->outputs[k]);
	assert_int_equal(y->shape.rank, rank);
	for (int i = 0; i < rank; i++)
		assert_int_equal(y->shape.dims[i], dims[i]);
}

static void test_conv_infers_kernel_from_weights(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "2x4x11x9");
	mb_input(mb, "w", DT_FLOAT, "6x2x3x2");
	mb_node(mb, "Conv", "conv", "x,w", "y");
	mb_attr_int(mb, "group", 2);
	mb_attr_ints(mb, "pads", (const int64_t[]){1, 0, 2, 1}, 4);
	mb_attr_ints(mb, "strides", (const int64_t[]){2, 3}, 2);
	mb_attr_ints(mb, "dilations", (const int64_t[]){2, 1}, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	/* (11 + 3 - 5) / 2 + 1 = 5, (9 + 1 - 2) / 3 + 1 = 3 */
	assert_out_shape(g, 0, (const int64_t[]){2, 6, 5, 3}, 4);
	graph_free(g);
	mb_free(mb);
}

static void test_conv_reports_group_mismatch(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x4x5x5");
	mb_input(mb, "w", DT_FLOAT, "6x4x3x3");
	mb_node(mb, "Conv", "conv", "x,w", "y");
	mb_attr_int(mb, "group", 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'conv' (Conv): weight W has 4 input channels "
			    "per group, expected 2");
	graph_free(g);
	mb_free(mb);
}

static void test_maxpool_ceil_drops_window_in_end_padding(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x1x2x2");
	mb_node(mb, "MaxPool", "pool", "x", "y,i");
	mb_attr_ints(mb, "kernel_shape", (const int64_t[]){1, 1}, 2);
	mb_attr_ints(mb, "strides", (const int64_t[]){2, 2}, 2);
	mb_attr_int(mb, "ceil_mode", 1);
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_output(mb, "i", DT_INT64, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out_shape(g, 0, (const int64_t[]){1, 1, 1, 1}, 4);
	assert_int_equal(ir_value(g, g->outputs[1])->dtype, DT_INT64);
	graph_free(g);
	mb_free(mb);
}

static void test_averagepool_reports_missing_kernel_shape(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x1x4x4");
	mb_node(mb, "AveragePool", "pool", "x", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'pool' (AveragePool): attribute 'kernel_shape' "
			    "is missing");
	graph_free(g);
	mb_free(mb);
}

static void test_pool_reports_kernel_larger_than_input(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x1x3x3");
	mb_node(mb, "MaxPool", "pool", "x", "y");
	mb_attr_ints(mb, "kernel_shape", (const int64_t[]){4, 1}, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'pool' (MaxPool): kernel extent 4 is larger "
			    "than the padded input extent 3 on spatial axis 0");
	graph_free(g);
	mb_free(mb);
}

static void test_convtranspose_output_padding_and_strides(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x3x7x6");
	mb_input(mb, "w", DT_FLOAT, "3x2x3x3");
	mb_node(mb, "ConvTranspose", "ct", "x,w", "y");
	mb_attr_ints(mb, "strides", (const int64_t[]){3, 2}, 2);
	mb_attr_ints(mb, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
	mb_attr_ints(mb, "output_padding", (const int64_t[]){1, 1}, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	/* 3 * 6 + 1 + 3 - 2 = 20, 2 * 5 + 1 + 3 - 2 = 12 */
	assert_out_shape(g, 0, (const int64_t[]){1, 2, 20, 12}, 4);
	graph_free(g);
	mb_free(mb);
}

static void test_convtranspose_reports_large_output_padding(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x1x3x3");
	mb_input(mb, "w", DT_FLOAT, "1x1x3x3");
	mb_node(mb, "ConvTranspose", "ct", "x,w", "y");
	mb_attr_ints(mb, "output_padding", (const int64_t[]){1, 0}, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'ct' (ConvTranspose): output_padding[0] is 1, "
			    "expected less than the stride or dilation");
	graph_free(g);
	mb_free(mb);
}

static void test_resize_needs_constant_scales(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "1x1x2x2");
	mb_input(mb, "s", DT_FLOAT, "4");
	mb_node(mb, "Resize", "rs", "x,,s", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.need_input, "s");
	graph_free(g);
	mb_free(mb);
}

static void test_resize_sizes_and_axes(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 19);
	mb_input(mb, "x", DT_FLOAT, "1x3x4x6");
	mb_init_i64(mb, "sz", (const int64_t[]){2}, 1, (const int64_t[]){5, 9});
	mb_node(mb, "Resize", "rs", "x,,,sz", "y");
	mb_attr_ints(mb, "axes", (const int64_t[]){3, -2}, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out_shape(g, 0, (const int64_t[]){1, 3, 9, 5}, 4);
	graph_free(g);
	mb_free(mb);
}

static void test_upsample7_scales_attribute(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 7);
	mb_input(mb, "x", DT_FLOAT, "1x2x3x4");
	mb_node(mb, "Upsample", "up", "x", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'up' (Upsample): scales or sizes has 0 values, "
			    "expected 4");
	graph_free(g);
	mb_free(mb);
}

static void test_nms_needs_constant_boxes(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 11);
	mb_input(mb, "b", DT_FLOAT, "1x6x4");
	mb_input(mb, "s", DT_FLOAT, "1x1x6");
	mb_node(mb, "NonMaxSuppression", "nms", "b,s", "y");
	mb_output(mb, "y", DT_INT64, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.need_input, "b");
	graph_free(g);
	mb_free(mb);
}

static void test_nms_folds_constant_inputs(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 11);
	float boxes[] = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11};
	float scores[] = {0.9f, 0.8f, 0.7f};
	mb_init_f32(mb, "b", (const int64_t[]){1, 3, 4}, 3, boxes);
	mb_init_f32(mb, "s", (const int64_t[]){1, 1, 3}, 3, scores);
	mb_init_i64(mb, "m", (const int64_t[]){1}, 1, (const int64_t[]){3});
	mb_init_f32(mb, "t", (const int64_t[]){1}, 1, (const float[]){0.5f});
	mb_node(mb, "NonMaxSuppression", "nms", "b,s,m,t", "y");
	mb_output(mb, "y", DT_INT64, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	const Value *y = ir_value(g, g->outputs[0]);
	assert_out_shape(g, 0, (const int64_t[]){2, 3}, 2);
	assert_non_null(y->data);
	const int64_t *v = y->data;
	assert_int_equal(v[2], 0);
	assert_int_equal(v[5], 2);
	graph_free(g);
	mb_free(mb);
}

static void test_col2im_reports_block_count(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 18);
	mb_input(mb, "x", DT_FLOAT, "1x5x6");
	mb_init_i64(mb, "img", (const int64_t[]){2}, 1, (const int64_t[]){5, 5});
	mb_init_i64(mb, "blk", (const int64_t[]){2}, 1, (const int64_t[]){1, 5});
	mb_node(mb, "Col2Im", "c2i", "x,img,blk", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, "model.onnx: node 'c2i' (Col2Im): input has shape [1, 5, 6], "
			    "expected [N, C * 5, 5]");
	graph_free(g);
	mb_free(mb);
}

static void test_maxunpool_infers_output(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 11);
	mb_input(mb, "x", DT_FLOAT, "1x2x3x4");
	mb_input(mb, "i", DT_INT64, "1x2x3x4");
	mb_node(mb, "MaxUnpool", "up", "x,i", "y");
	mb_attr_ints(mb, "kernel_shape", (const int64_t[]){2, 2}, 2);
	mb_attr_ints(mb, "strides", (const int64_t[]){2, 2}, 2);
	mb_attr_ints(mb, "pads", (const int64_t[]){0, 1, 0, 0}, 4);
	mb_output(mb, "y", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out_shape(g, 0, (const int64_t[]){1, 2, 6, 7}, 4);
	graph_free(g);
	mb_free(mb);
}

/* A com.microsoft QGemm of uint8 a (shape as) and int8 b (shape bs) with scalar
   parameters; c: C's shape (NULL: none), yz: whether y_scale/y_zero_point are given
   (1: both, 2: y_zero_point only). */
static ModelBuilder *qgemm_model(const char *as, const char *bs, const char *bss, const char *c,
				 int yz, int ta, int tb)
{
	ModelBuilder *mb = mb_new(8, 13);
	mb_opset(mb, "com.microsoft", 1);
	mb_input(mb, "a", DT_UINT8, as);
	mb_input(mb, "as", DT_FLOAT, "");
	mb_input(mb, "az", DT_UINT8, "");
	mb_input(mb, "b", DT_INT8, bs);
	mb_input(mb, "bs", DT_FLOAT, bss);
	mb_input(mb, "bz", DT_INT8, bss);
	if (c)
		mb_input(mb, "c", DT_INT32, c);
	if (yz) {
		mb_input(mb, "ys", DT_FLOAT, "");
		mb_input(mb, "yz", DT_UINT8, "");
	}
	char ins[64];
	snprintf(ins, sizeof ins, "a,as,az,b,bs,bz%s%s", c ? ",c" : yz ? "," : "",
		 yz == 1 ? ",ys,yz" : yz == 2 ? ",,yz" : "");
	mb_node(mb, "QGemm", "qg", ins, "y");
	mb_domain(mb, "com.microsoft");
	if (ta)
		mb_attr_int(mb, "transA", 1);
	if (tb)
		mb_attr_int(mb, "transB", 1);
	mb_output(mb, "y", DT_FLOAT, NULL);
	return mb;
}

static void test_qgemm_infers_output(void **state)
{
	(void)state;
	ModelBuilder *mb = qgemm_model("7x3", "5x7", "5", "1x5", 1, 1, 1);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out_shape(g, 0, (const int64_t[]){3, 5}, 2);
	assert_int_equal(ir_value(g, g->outputs[0])->dtype, DT_UINT8);
	graph_free(g);
	mb_free(mb);
	mb = qgemm_model("3x7", "7x5", "", NULL, 0, 0, 0);
	g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(ir_value(g, g->outputs[0])->dtype, DT_FLOAT);
	graph_free(g);
	mb_free(mb);
}

static void test_qgemm_reports_bad_inputs(void **state)
{
	(void)state;
	static const struct {
		const char *as, *bs, *bss, *c;
		int yz;
		const char *msg;
	} cases[] = {
		{"3x7", "7x5", "", "3x4", 1, "C has shape [3,4], expected one broadcastable to [3,5]"},
		{"3x7", "7x5", "", NULL, 2, "has y_zero_point but no y_scale, expected both or neither"},
		{"3x7", "7x5", "3", NULL, 1,
		 "input 'bs' has shape [3], expected a scalar or [N] (per column)"},
		{"3x7", "6x5", "", NULL, 1,
		 "A [3,7] and B [6,5] cannot be multiplied (transA 0, transB 0)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ModelBuilder *mb =
		    qgemm_model(cases[i].as, cases[i].bs, cases[i].bss, cases[i].c, cases[i].yz, 0, 0);
		Diag d;
		int rc;
		char want[256];
		Graph *g = infer(mb, &rc, &d);
		assert_int_equal(rc, -1);
		snprintf(want, sizeof want, "model.onnx: node 'qg' (QGemm): %s", cases[i].msg);
		assert_string_equal(d.msg, want);
		graph_free(g);
		mb_free(mb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_infers_kernel_from_weights),
		cmocka_unit_test(test_conv_reports_group_mismatch),
		cmocka_unit_test(test_maxpool_ceil_drops_window_in_end_padding),
		cmocka_unit_test(test_averagepool_reports_missing_kernel_shape),
		cmocka_unit_test(test_pool_reports_kernel_larger_than_input),
		cmocka_unit_test(test_convtranspose_output_padding_and_strides),
		cmocka_unit_test(test_convtranspose_reports_large_output_padding),
		cmocka_unit_test(test_resize_needs_constant_scales),
		cmocka_unit_test(test_resize_sizes_and_axes),
		cmocka_unit_test(test_upsample7_scales_attribute),
		cmocka_unit_test(test_nms_needs_constant_boxes),
		cmocka_unit_test(test_nms_folds_constant_inputs),
		cmocka_unit_test(test_col2im_reports_block_count),
		cmocka_unit_test(test_maxunpool_infers_output),
		cmocka_unit_test(test_qgemm_infers_output),
		cmocka_unit_test(test_qgemm_reports_bad_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
