/* test_elementwise.c - elementwise ops: diagnostics, result types and exact integer folding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "passes/passes.h"

/* Loads mb and runs shape inference (with folding); returns its status, message in d. */
static int infer(ModelBuilder *mb, Graph **g, Diag *d)
{
	*g = mb_load(mb, NULL, d);
	if (!*g)
		fail_msg("load failed: %s", d->msg);
	diag_init(d, "model.onnx");
	return pass_infer_shapes(*g, NULL, d);
}

static void test_infer_rejects_clip_bound_that_is_not_scalar(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "4");
	mb_input(mb, "lo", DT_FLOAT, "2");
	mb_node(mb, "Clip", "clip", "x,lo", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'clip' (Clip): bound 'lo' has 2 elements, "
				   "expected a scalar");
	graph_free(g);
	mb_free(mb);
}

static void test_infer_rejects_bitshift_without_direction(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "a", DT_UINT8, "3");
	mb_input(mb, "b", DT_UINT8, "3");
	mb_node(mb, "BitShift", "shift", "a,b", "y");
	mb_output(mb, "y", DT_UINT8, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'shift' (BitShift): attribute direction is "
				   "'0', which this operator does not define");
	graph_free(g);
	mb_free(mb);
}

static void test_infer_rejects_bitwise_not_on_float(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 18);
	mb_input(mb, "x", DT_FLOAT, "3");
	mb_node(mb, "BitwiseNot", "bn", "x", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), -1);
	assert_string_equal(d.msg, "model.onnx: node 'bn' (BitwiseNot): input 'x' has element type "
				   "float, which this operator does not support");
	graph_free(g);
	mb_free(mb);
}

static void test_comparisons_and_predicates_yield_bool(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "a", DT_FLOAT, "2x3");
	mb_input(mb, "b", DT_FLOAT, "3");
	mb_node(mb, "Less", "lt", "a,b", "l");
	mb_node(mb, "IsNaN", "nan", "a", "n");
	mb_output(mb, "l", DT_BOOL, NULL);
	mb_output(mb, "n", DT_BOOL, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), 0);
	const Value *l = ir_value(g, ir_find_value(g, "l"));
	const Value *n = ir_value(g, ir_find_value(g, "n"));
	assert_int_equal(l->dtype, DT_BOOL);
	assert_int_equal(l->shape.rank, 2);
	assert_int_equal(n->dtype, DT_BOOL);
	graph_free(g);
	mb_free(mb);
}

static void test_fold_integer_mod_takes_the_divisor_sign(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	int64_t dims[1] = {4}, a[4] = {-7, 7, -7, INT64_MIN}, b[4] = {3, -3, -3, -1};
	mb_init_i64(mb, "a", dims, 1, a);
	mb_init_i64(mb, "b", dims, 1, b);
	mb_node(mb, "Mod", "mod", "a,b", "y");
	mb_output(mb, "y", DT_INT64, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), 0);
	const int64_t *y = ir_value(g, ir_find_value(g, "y"))->data;
	assert_non_null(y);
	assert_true(y[0] == 2 && y[1] == -2 && y[2] == -1 && y[3] == 0);
	graph_free(g);
	mb_free(mb);
}

static void test_fold_integer_pow_is_exact(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 15);
	int64_t dims[1] = {2}, a[2] = {3, -2}, b[2] = {39, 63};
	mb_init_i64(mb, "a", dims, 1, a);
	mb_init_i64(mb, "b", dims, 1, b);
	mb_node(mb, "Pow", "pow", "a,b", "y");
	mb_output(mb, "y", DT_INT64, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), 0);
	const int64_t *y = ir_value(g, ir_find_value(g, "y"))->data;
	assert_non_null(y);
	assert_true(y[0] == INT64_C(4052555153018976267)); /* above 2^53: not via double */
	assert_true(y[1] == INT64_MIN);
	graph_free(g);
	mb_free(mb);
}

static void test_dft_length_must_be_known_at_compile_time(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 17);
	mb_input(mb, "x", DT_FLOAT, "1x8x1");
	mb_input(mb, "len", DT_INT64, "");
	mb_node(mb, "DFT", "dft", "x,len", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g;
	Diag d;
	assert_int_equal(infer(mb, &g, &d), -1);
	assert_string_equal(d.need_input, "len");
	assert_non_null(strstr(d.msg, "--input-value len"));
	graph_free(g);
	mb_free(mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infer_rejects_clip_bound_that_is_not_scalar),
		cmocka_unit_test(test_infer_rejects_bitshift_without_direction),
		cmocka_unit_test(test_infer_rejects_bitwise_not_on_float),
		cmocka_unit_test(test_comparisons_and_predicates_yield_bool),
		cmocka_unit_test(test_fold_integer_mod_takes_the_divisor_sign),
		cmocka_unit_test(test_fold_integer_pow_is_exact),
		cmocka_unit_test(test_dft_length_must_be_known_at_compile_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
