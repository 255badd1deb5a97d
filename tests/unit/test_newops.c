/* test_newops.c - shape rules, lowering and diagnostics of SwiGLU, CausalConvWithState,
 * LinearAttention and FlexAttention (their numerics are covered by the ONNX 1.23
 * conformance cases). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "passes/passes.h"

/* Loads mb and runs shape inference; the pass status in *rc, the diagnostic in d. */
static Graph *infer(ModelBuilder *mb, int *rc, Diag *d)
{
	Graph *g = mb_load(mb, NULL, d);
	if (!g)
		fail_msg("load failed: %s", d->msg);
	diag_init(d, "model.onnx");
	*rc = pass_infer_shapes(g, NULL, d);
	return g;
}

static void assert_out(const Graph *g, int k, DType dt, const int64_t *dims, int rank)
{
	const Value *y = ir_value(g, g->outputs[k]);
	assert_int_equal(y->dtype, dt);
	assert_int_equal(y->shape.rank, rank);
	for (int i = 0; i < rank; i++)
		assert_int_equal(y->shape.dims[i], dims[i]);
}

/* Live nodes of op k. */
static int count_op(const Graph *g, OpKind k)
{
	int c = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		c += ir_node(g, i)->op == k;
	return c;
}

/* Runs inference expecting failure with message msg. */
static void assert_error(ModelBuilder *mb, const char *msg)
{
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_string_equal(d.msg, msg);
	graph_free(g);
	mb_free(mb);
}

/* ------------------------------------------------------------ SwiGLU */

static void test_swiglu_keeps_shape_and_type(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 28);
	mb_input(mb, "a", DT_FLOAT16, "2x3x5");
	mb_input(mb, "b", DT_FLOAT16, "2x3x5");
	mb_node(mb, "SwiGLU", "glu", "a,b", "y");
	mb_attr_float(mb, "alpha", 1.702f);
	mb_output(mb, "y", DT_FLOAT16, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT16, (const int64_t[]){2, 3, 5}, 3);
	graph_free(g);
	mb_free(mb);
}

static void test_swiglu_rejects_broadcasting(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 28);
	mb_input(mb, "a", DT_FLOAT, "2x4");
	mb_input(mb, "b", DT_FLOAT, "1x4");
	mb_node(mb, "SwiGLU", "glu", "a,b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	assert_error(mb, "model.onnx: node 'glu' (SwiGLU): A has shape [2,4] but B has shape [1,4], "
		     "expected the same (no broadcasting)");
}

/* ------------------------------------------------------------ CausalConvWithState */

static void test_causal_conv_state_is_k_minus_one_long(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 27);
	mb_input(mb, "x", DT_FLOAT, "2x4x3");
	mb_input(mb, "w", DT_FLOAT, "4x1x5");
	mb_input(mb, "p", DT_FLOAT, "2x4x4");
	mb_node(mb, "CausalConvWithState", "cc", "x,w,,p", "y,s");
	mb_attr_str(mb, "activation", "silu");
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_output(mb, "s", DT_FLOAT, NULL);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT, (const int64_t[]){2, 4, 3}, 3);
	assert_out(g, 1, DT_FLOAT, (const int64_t[]){2, 4, 4}, 3);
	graph_free(g);
	mb_free(mb);
}

static void test_causal_conv_rejects_unknown_activation(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 27);
	mb_input(mb, "x", DT_FLOAT, "1x2x8");
	mb_input(mb, "w", DT_FLOAT, "2x1x3");
	mb_node(mb, "CausalConvWithState", "cc", "x,w", "y");
	mb_attr_str(mb, "activation", "gelu");
	mb_output(mb, "y", DT_FLOAT, NULL);
	assert_error(mb, "model.onnx: node 'cc' (CausalConvWithState): activation is 'gelu', "
		     "expected 'none', 'silu' or 'swish'");
}

static void test_causal_conv_rejects_past_state_of_wrong_length(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 27);
	mb_input(mb, "x", DT_FLOAT, "1x2x8");
	mb_input(mb, "w", DT_FLOAT, "2x1x3");
	mb_input(mb, "p", DT_FLOAT, "1x2x3");
	mb_node(mb, "CausalConvWithState", "cc", "x,w,,p", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	assert_error(mb, "model.onnx: node 'cc' (CausalConvWithState): past_state must have shape "
		     "[1, 2, 2] (batch, channels, k - 1)");
}

static void test_causal_conv_rejects_non_depthwise_weight(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(10, 27);
	mb_input(mb, "x", DT_FLOAT, "1x2x8");
	mb_input(mb, "w", DT_FLOAT, "2x2x3");
	mb_node(mb, "CausalConvWithState", "cc", "x,w", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	assert_error(mb, "model.onnx: node 'cc' (CausalConvWithState): weight must have shape "
		     "[2, 1, k] with k >= 1");
}

/* ------------------------------------------------------------ LinearAttention */

static ModelBuilder *linear_attention(const char *rule, const char *inputs, int64_t hq)
{
	ModelBuilder *mb = mb_new(10, 27);
	mb_input(mb, "q", DT_FLOAT, "2x3x32");
	mb_input(mb, "k", DT_FLOAT, "2x3x16");
	mb_input(mb, "v", DT_FLOAT, "2x3x12");
	mb_input(mb, "g", DT_FLOAT, "2x3x2");
	mb_input(mb, "b", DT_FLOAT, "2x3x1");
	mb_node(mb, "LinearAttention", "la", inputs, "y,s");
	if (rule)
		mb_attr_str(mb, "update_rule", rule);
	mb_attr_int(mb, "q_num_heads", hq);
	mb_attr_int(mb, "kv_num_heads", 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_output(mb, "s", DT_FLOAT, NULL);
	return mb;
}

static void test_linear_attention_gqa_shapes(void **state)
{
	(void)state;
	/* 4 query heads of d_k 8 share 2 KV heads with d_v 6; per-head decay, scalar beta */
	ModelBuilder *mb = linear_attention(NULL, "q,k,v,,g,b", 4);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT, (const int64_t[]){2, 3, 24}, 3);
	assert_out(g, 1, DT_FLOAT, (const int64_t[]){2, 2, 8, 6}, 4);
	graph_free(g);
	mb_free(mb);
}

static void test_linear_attention_gated_delta_needs_beta(void **state)
{
	(void)state;
	assert_error(linear_attention(NULL, "q,k,v,,g", 4),
		     "model.onnx: node 'la' (LinearAttention): update_rule 'gated_delta' needs the "
		     "beta input");
}

static void test_linear_attention_rejects_unknown_rule(void **state)
{
	(void)state;
	assert_error(linear_attention("mamba", "q,k,v", 4),
		     "model.onnx: node 'la' (LinearAttention): update_rule is 'mamba', expected "
		     "'linear', 'gated', 'delta' or 'gated_delta'");
}

static void test_linear_attention_rejects_ungrouped_heads(void **state)
{
	(void)state;
	assert_error(linear_attention("linear", "q,k,v", 3),
		     "model.onnx: node 'la' (LinearAttention): q_num_heads 3 is not a multiple of "
		     "kv_num_heads 2");
}

static void test_linear_attention_rejects_bad_decay(void **state)
{
	(void)state;
	/* decay [2,3,1] is neither per key dimension [2,3,16] nor per head [2,3,2] */
	ModelBuilder *mb = linear_attention("gated", "q,k,v,,b", 4);
	assert_error(mb, "model.onnx: node 'la' (LinearAttention): decay must be [2, 3, 16] or "
		     "[2, 3, 2]");
}

/* ------------------------------------------------------------ FlexAttention */

static ModelBuilder *flex(const char *kshape)
{
	ModelBuilder *mb = mb_new(10, 26);
	mb_opset(mb, "ai.onnx.preview", 1);
	mb_input(mb, "q", DT_FLOAT, "1x4x3x8");
	mb_input(mb, "k", DT_FLOAT, kshape);
	mb_input(mb, "v", DT_FLOAT, "1x2x5x6");
	mb_node(mb, "FlexAttention", "fa", "q,k,v", "y");
	mb_domain(mb, "ai.onnx.preview");
	mb_output(mb, "y", DT_FLOAT, NULL);
	return mb;
}

static void test_flexattention_without_mods_becomes_attention(void **state)
{
	(void)state;
	ModelBuilder *mb = flex("1x2x5x8");
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT, (const int64_t[]){1, 4, 3, 6}, 4);
	assert_int_equal(count_op(g, OP_ATTENTION), 1);
	assert_int_equal(count_op(g, OP_FLEXSCORES), 0);
	assert_int_equal(ir_verify(g, &d), 0);
	graph_free(g);
	mb_free(mb);
}

static void test_flexattention_score_mod_is_inlined(void **state)
{
	(void)state;
	ModelBuilder *mb = flex("1x2x5x8");
	mb_attr_graph(mb, "score_mod", "Neg", "s", "t");
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT, (const int64_t[]){1, 4, 3, 6}, 4);
	assert_int_equal(count_op(g, OP_ATTENTION), 0);
	assert_int_equal(count_op(g, OP_FLEXSCORES), 1);
	assert_int_equal(count_op(g, OP_NEG), 1);
	assert_int_equal(count_op(g, OP_SOFTMAX), 1);
	assert_int_equal(count_op(g, OP_FLEXAPPLY), 1);
	assert_int_equal(ir_verify(g, &d), 0);
	graph_free(g);
	mb_free(mb);
}

static void test_flexattention_double_softmax_keeps_float_output(void **state)
{
	(void)state;
	ModelBuilder *mb = flex("1x2x5x8");
	mb_attr_int(mb, "softmax_precision", DT_DOUBLE);
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, 0);
	assert_out(g, 0, DT_FLOAT, (const int64_t[]){1, 4, 3, 6}, 4);
	assert_int_equal(count_op(g, OP_FLEXSCORES), 1);
	assert_int_equal(count_op(g, OP_SOFTMAX), 1);
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (ir_node(g, i)->op == OP_SOFTMAX)
			assert_int_equal(ir_value(g, ir_node(g, i)->outputs[0])->dtype, DT_DOUBLE);
	graph_free(g);
	mb_free(mb);
}

static void test_flexattention_rejects_head_size_mismatch(void **state)
{
	(void)state;
	assert_error(flex("1x2x5x7"), "model.onnx: node 'fa' (FlexAttention): K has head size 7 "
		     "but Q has 8");
}

static void test_flexattention_rejects_two_input_score_mod(void **state)
{
	(void)state;
	ModelBuilder *mb = flex("1x2x5x8");
	mb_attr_graph(mb, "score_mod", "Add", "s,u", "t");
	assert_error(mb, "model.onnx: node 'fa' (FlexAttention): score_mod has 2 inputs and 1 "
		     "outputs, expected 1 and 1");
}

static void test_flexattention_rejects_score_mod_changing_shape(void **state)
{
	(void)state;
	ModelBuilder *mb = flex("1x2x5x8");
	mb_attr_graph(mb, "score_mod", "Transpose", "s", "t");
	Diag d;
	int rc;
	Graph *g = infer(mb, &rc, &d);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(d.msg, "(FlexApply): probabilities have shape [5,3,4,1]"));
	assert_non_null(strstr(d.msg, "score_mod and prob_mod must keep the shape"));
	graph_free(g);
	mb_free(mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swiglu_keeps_shape_and_type),
		cmocka_unit_test(test_swiglu_rejects_broadcasting),
		cmocka_unit_test(test_causal_conv_state_is_k_minus_one_long),
		cmocka_unit_test(test_causal_conv_rejects_unknown_activation),
		cmocka_unit_test(test_causal_conv_rejects_past_state_of_wrong_length),
		cmocka_unit_test(test_causal_conv_rejects_non_depthwise_weight),
		cmocka_unit_test(test_linear_attention_gqa_shapes),
		cmocka_unit_test(test_linear_attention_gated_delta_needs_beta),
		cmocka_unit_test(test_linear_attention_rejects_unknown_rule),
		cmocka_unit_test(test_linear_attention_rejects_ungrouped_heads),
		cmocka_unit_test(test_linear_attention_rejects_bad_decay),
		cmocka_unit_test(test_flexattention_without_mods_becomes_attention),
		cmocka_unit_test(test_flexattention_score_mod_is_inlined),
		cmocka_unit_test(test_flexattention_double_softmax_keeps_float_output),
		cmocka_unit_test(test_flexattention_rejects_head_size_mismatch),
		cmocka_unit_test(test_flexattention_rejects_two_input_score_mod),
		cmocka_unit_test(test_flexattention_rejects_score_mod_changing_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
