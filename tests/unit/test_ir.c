/* test_ir.c - the IR: shapes, dtypes, builders, order, verification, printing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static Shape shp(int rank, int64_t a, int64_t b, int64_t c, int64_t d)
{
	Shape s = {rank, {a, b, c, d}};
	return s;
}

static void test_shape_broadcast_follows_numpy_rules(void **state)
{
	(void)state;
	Shape a = shp(3, 2, 1, 4, 0), b = shp(2, 3, 1, 0, 0), out;
	assert_int_equal(shape_broadcast(&a, &b, &out), 0);
	assert_int_equal(out.rank, 3);
	assert_int_equal(out.dims[0], 2);
	assert_int_equal(out.dims[1], 3);
	assert_int_equal(out.dims[2], 4);
	Shape c = shp(1, 3, 0, 0, 0), d = shp(1, 4, 0, 0, 0);
	assert_int_equal(shape_broadcast(&c, &d, &out), -1);
	Shape scalar = {0, {0}};
	assert_int_equal(shape_broadcast(&scalar, &a, &out), 0);
	assert_true(shape_equal(&out, &a));
}

static void test_shape_numel_rejects_overflow_and_negative_dims(void **state)
{
	(void)state;
	Shape big = shp(4, (int64_t)1 << 20, (int64_t)1 << 20, (int64_t)1 << 20, 1);
	assert_int_equal(shape_numel(&big), -1);
	Shape neg = shp(2, 3, -1, 0, 0);
	assert_int_equal(shape_numel(&neg), -1);
	Shape zero = shp(3, 5, 0, 1 << 30, 0);
	assert_int_equal(shape_numel(&zero), 0);
	Shape ok = shp(3, 2, 3, 4, 0);
	assert_int_equal(shape_numel(&ok), 24);
	assert_int_equal(dtype_bytes(DT_FLOAT, 24), 96);
	assert_int_equal(dtype_bytes(DT_DOUBLE, CNNC_MAX_TENSOR_BYTES), -1);
}

static void test_f16_conversion_rounds_to_nearest_even(void **state)
{
	(void)state;
	assert_int_equal(dtype_f32_to_f16(1.0f), 0x3c00);
	assert_int_equal(dtype_f32_to_f16(-2.0f), 0xc000);
	assert_int_equal(dtype_f32_to_f16(65504.0f), 0x7bff);
	assert_int_equal(dtype_f32_to_f16(65520.0f), 0x7c00); /* rounds up to inf */
	assert_int_equal(dtype_f32_to_f16(5.9604644775390625e-8f), 0x0001); /* smallest subnormal */
	assert_int_equal(dtype_f32_to_f16(2.98023223876953125e-8f), 0x0000); /* tie -> even (0) */
	/* 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1 */
	assert_int_equal(dtype_f32_to_f16(1.00048828125f), 0x3c00);
	assert_int_equal(dtype_f32_to_f16(1.00146484375f), 0x3c02);
	for (uint32_t h = 0; h < 0x7c00; h++) /* every finite positive half survives a round trip */
		assert_int_equal(dtype_f32_to_f16(dtype_f16_to_f32((uint16_t)h)), h);
	assert_true(dtype_f16_to_f32(0x7e00) != dtype_f16_to_f32(0x7e00)); /* nan */
	assert_int_equal(dtype_f32_to_bf16(1.0f), 0x3f80);
	assert_int_equal(dtype_bf16_to_f32(0x4049) == 3.140625f, 1);
}

static Graph *chain(int n)
{
	Graph *g = graph_new("t.onnx");
	uint32_t prev = ir_add_value(g, "x");
	ir_value(g, prev)->is_input = true;
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "v%d", i);
		uint32_t out = ir_add_value(g, name);
		ir_add_node(g, OP_RELU, NULL, &prev, 1, &out, 1);
		prev = out;
	}
	return g;
}

static void test_topo_order_sorts_reversed_nodes(void **state)
{
	(void)state;
	Graph *g = chain(3);
	/* reverse the node array: order must still come out producer first */
	Node tmp = g->nodes[0];
	g->nodes[0] = g->nodes[2];
	g->nodes[2] = tmp;
	for (uint32_t i = 0; i < 3; i++)
		ir_value(g, g->nodes[i].outputs[0])->producer = i;
	Diag d;
	diag_init(&d, "t.onnx");
	assert_int_equal(ir_sort(g, &d), 0);
	assert_string_equal(ir_value(g, g->nodes[0].outputs[0])->name, "v0");
	assert_string_equal(ir_value(g, g->nodes[2].outputs[0])->name, "v2");
	assert_int_equal(ir_verify(g, &d), 0);
	graph_free(g);
}

static void test_topo_order_names_a_node_on_a_cycle(void **state)
{
	(void)state;
	Graph *g = graph_new("t.onnx");
	uint32_t a = ir_add_value(g, "a"), b = ir_add_value(g, "b");
	ir_add_node(g, OP_RELU, "first", &b, 1, &a, 1);
	ir_add_node(g, OP_NEG, "second", &a, 1, &b, 1);
	Diag d;
	diag_init(&d, "t.onnx");
	assert_int_equal(ir_sort(g, &d), -1);
	assert_string_equal(d.msg, "t.onnx: node 'first' (Relu): node is part of a cycle");
	graph_free(g);
}

static void test_verify_rejects_two_producers(void **state)
{
	(void)state;
	Graph *g = chain(2);
	/* make node 1 claim node 0's output */
	g->nodes[1].outputs[0] = g->nodes[0].outputs[0];
	Diag d;
	diag_init(&d, "t.onnx");
	assert_int_equal(ir_verify(g, &d), -1);
	assert_non_null(strstr(d.msg, "has another producer"));
	graph_free(g);
}

static void test_print_is_stable_text(void **state)
{
	(void)state;
	Graph *g = chain(1);
	ir_value(g, 0)->dtype = DT_FLOAT;
	ir_value(g, 0)->typed = true;
	ir_value(g, 0)->shape = shp(2, 2, 3, 0, 0);
	g->outputs = arena_alloc(g->arena, sizeof(uint32_t));
	g->outputs[0] = 1;
	g->noutputs = 1;
	ir_value(g, 1)->is_output = true;
	char *text = ir_print(g);
	assert_string_equal(text, "graph main (inputs, outputs %1)\n"
				  "%0 x: float[2,3] input\n"
				  "%1 v0: undefined[?] output\n"
				  "n0 Relu(%0) -> %1\n");
	free(text);
	graph_free(g);
}

static void test_arena_allocations_are_aligned_and_zeroed(void **state)
{
	(void)state;
	Arena *a = arena_new();
	for (int i = 1; i < 2000; i += 37) {
		unsigned char *p = arena_alloc(a, (size_t)i * 100);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 64, 0);
		for (int k = 0; k < i * 100; k += 97)
			assert_int_equal(p[k], 0);
	}
	assert_string_equal(arena_printf(a, "%s-%d", "x", 7), "x-7");
	arena_free(a);
}

/* arena_reset keeps the newest small and big blocks: the next allocations reuse their
   memory, zeroed again, and memory from before the reset is not "owned" twice. */
static void test_arena_reset_reuses_blocks_zeroed(void **state)
{
	(void)state;
	Arena *a = arena_new();
	unsigned char *big = arena_alloc(a, (size_t)8 << 20), *small = arena_alloc(a, 100);
	memset(big, 0xab, (size_t)8 << 20);
	memset(small, 0xcd, 100);
	arena_reset(a);
	unsigned char *big2 = arena_alloc(a, (size_t)4 << 20), *small2 = arena_alloc(a, 100);
	assert_ptr_equal(big2, big);
	assert_ptr_equal(small2, small);
	for (size_t i = 0; i < ((size_t)4 << 20); i += 4093)
		assert_int_equal(big2[i], 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(small2[i], 0);
	assert_true(arena_owns(a, big2));
	arena_free(a);
}

static void test_find_value_after_many_additions(void **state)
{
	(void)state;
	Graph *g = graph_new(NULL);
	for (int i = 0; i < 5000; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%d", i);
		assert_int_equal(ir_add_value(g, name), (uint32_t)i);
	}
	assert_int_equal(ir_find_value(g, "t4321"), 4321);
	assert_int_equal(ir_find_value(g, "nope"), IR_NONE);
	uint32_t t = ir_add_temp(g, "t1");
	assert_string_not_equal(ir_value(g, t)->name, "t1");
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_broadcast_follows_numpy_rules),
		cmocka_unit_test(test_shape_numel_rejects_overflow_and_negative_dims),
		cmocka_unit_test(test_f16_conversion_rounds_to_nearest_even),
		cmocka_unit_test(test_topo_order_sorts_reversed_nodes),
		cmocka_unit_test(test_topo_order_names_a_node_on_a_cycle),
		cmocka_unit_test(test_verify_rejects_two_producers),
		cmocka_unit_test(test_print_is_stable_text),
		cmocka_unit_test(test_arena_allocations_are_aligned_and_zeroed),
		cmocka_unit_test(test_arena_reset_reuses_blocks_zeroed),
		cmocka_unit_test(test_find_value_after_many_additions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
