/* test_control.c - lowering of control flow and sequences, sequence/optional test data,
 * the regex compiler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/ops/ctl.h"
#include "frontend/frontend.h"
#include "helpers.h"
#include "onnx.pb-c.h"
#include "passes/passes.h"

static Graph *load(ModelBuilder *mb)
{
	Diag d;
	Graph *g = mb_load(mb, NULL, &d);
	if (!g)
		fail_msg("load failed: %s", d.msg);
	return g;
}

static int count_ops(const Graph *g, OpKind op)
{
	int c = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		c += ir_node(g, i)->op == op;
	return c;
}

static void test_sequence_ops_become_tensor_kernels(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "3x4");
	int64_t one = -1;
	mb_init_i64(mb, "pos", NULL, 0, &one);
	mb_node(mb, "SplitToSequence", "split", "x", "s");
	mb_attr_int(mb, "axis", 1);
	mb_node(mb, "SequenceAt", "at", "s,pos", "y");
	mb_node(mb, "ConcatFromSequence", "cat", "s", "z");
	mb_attr_int(mb, "axis", 1);
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_output(mb, "z", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	const Value *y = ir_value(g, g->outputs[0]), *z = ir_value(g, g->outputs[1]);
	assert_int_equal(y->shape.rank, 2);
	assert_int_equal(y->shape.dims[1], 1);
	assert_int_equal(z->shape.dims[1], 4);
	assert_int_equal(count_ops(g, OP_SPLIT_TO_SEQUENCE) + count_ops(g, OP_SEQUENCE_AT) +
				 count_ops(g, OP_CONCAT_FROM_SEQUENCE) + count_ops(g, OP_SEQUENCE_CONSTRUCT),
			 0);
	assert_int_equal(count_ops(g, OP_SLICE_AXIS), 4);
	graph_free(g);
	mb_free(mb);
}

static void test_sequence_position_from_input_must_be_fixed(void **state)
{
	(void)state;
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "3x4");
	mb_input(mb, "pos", DT_INT64, "");
	mb_node(mb, "SplitToSequence", "split", "x", "s");
	mb_node(mb, "SequenceAt", "at", "s,pos", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	Graph *g = load(mb);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), -1);
	assert_string_equal(d.need_input, "pos");
	assert_non_null(strstr(d.msg, "node 'at' (SequenceAt): input 'pos' determines a shape"));
	graph_free(g);
	mb_free(mb);
}

/* Graph: Loop(M, "", v) whose body doubles v and also emits it as a scan output. */
static Graph *loop_graph(bool const_trip)
{
	Graph *g = graph_new("model.onnx");
	g->opsets = arena_alloc(g->arena, sizeof(OpsetImport));
	g->opsets[0] = (OpsetImport){"", 16};
	g->nopsets = 1;
	Shape two = {1, {2}}, sc = {0, {0}};
	uint32_t v = ir_add_value(g, "v");
	ir_value(g, v)->is_input = true;
	ir_value(g, v)->dtype = DT_FLOAT;
	ir_value(g, v)->shape = two;
	ir_value(g, v)->typed = true;
	uint32_t m;
	if (const_trip) {
		int64_t three = 3;
		m = ir_add_const(g, "M", DT_INT64, &sc, &three);
	} else {
		m = ir_add_value(g, "M");
		ir_value(g, m)->is_input = true;
		ir_value(g, m)->dtype = DT_INT64;
		ir_value(g, m)->typed = true;
	}
	g->inputs = arena_alloc(g->arena, 2 * sizeof(uint32_t));
	g->inputs[g->ninputs++] = v;
	if (!const_trip)
		g->inputs[g->ninputs++] = m;

	Graph *b = graph_new_sub(g, "body");
	uint32_t bi = ir_add_value(b, "i"), bc = ir_add_value(b, "c"), bv = ir_add_value(b, "vin");
	uint32_t bco = ir_add_value(b, "cout"), bvo = ir_add_value(b, "vout");
	b->inputs = arena_alloc(b->arena, 3 * sizeof(uint32_t));
	b->inputs[0] = bi;
	b->inputs[1] = bc;
	b->inputs[2] = bv;
	b->ninputs = 3;
	uint32_t in2[2] = {bv, bv};
	ir_add_node(b, OP_IDENTITY, "id", &bc, 1, &bco, 1);
	ir_add_node(b, OP_ADD, "add", in2, 2, &bvo, 1);
	ir_node(b, 0)->opset = 16;
	ir_node(b, 1)->opset = 16;
	b->outputs = arena_alloc(b->arena, 3 * sizeof(uint32_t));
	b->outputs[0] = bco;
	b->outputs[1] = bvo;
	b->outputs[2] = bvo;
	b->noutputs = 3;

	uint32_t vf = ir_add_value(g, "vf"), scan = ir_add_value(g, "scan");
	uint32_t ins[3] = {m, IR_NONE, v}, outs[2] = {vf, scan};
	uint32_t id = ir_add_node(g, OP_LOOP, "loop", ins, 3, outs, 2);
	Node *n = ir_node(g, id);
	n->opset = 16;
	n->attrs = arena_alloc(g->arena, sizeof(Attr));
	n->attrs[0] = (Attr){.name = "body", .type = AT_GRAPH, .graph = b};
	n->nattrs = 1;
	g->outputs = arena_alloc(g->arena, 2 * sizeof(uint32_t));
	g->outputs[0] = vf;
	g->outputs[1] = scan;
	g->noutputs = 2;
	ir_value(g, vf)->is_output = true;
	ir_value(g, scan)->is_output = true;
	return g;
}

static void test_loop_with_constant_trip_count_is_unrolled(void **state)
{
	(void)state;
	Graph *g = loop_graph(true);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), 0);
	assert_int_equal(count_ops(g, OP_ADD), 3);
	assert_int_equal(count_ops(g, OP_LOOP) + count_ops(g, OP_LOOP_REST), 0);
	const Value *scan = ir_value(g, g->outputs[1]);
	assert_int_equal(scan->shape.rank, 2);
	assert_int_equal(scan->shape.dims[0], 3);
	assert_int_equal(scan->shape.dims[1], 2);
	graph_free(g);
}

static void test_loop_trip_count_from_input_must_be_fixed(void **state)
{
	(void)state;
	Graph *g = loop_graph(false);
	Diag d;
	diag_init(&d, "model.onnx");
	assert_int_equal(passes_run(g, NULL, &d, NULL), -1);
	assert_string_equal(d.need_input, "M");
	assert_string_equal(d.msg, "model.onnx: node 'loop' (Loop): input 'M' determines a shape and "
			    "must be known at compile time; pass --input-value M=FILE.pb");
	graph_free(g);
}

static void put_varint(uint8_t **p, uint64_t v)
{
	while (v >= 0x80) {
		*(*p)++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*(*p)++ = (uint8_t)v;
}

/* A serialized TensorProto of float[n] holding 0, 1, ... as field `field` of a message. */
static void put_tensor(uint8_t **p, int field, int n)
{
	Onnx__TensorProto t;
	onnx__tensor_proto__init(&t);
	int64_t dims[1] = {n};
	float vals[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	t.n_dims = 1;
	t.dims = dims;
	t.has_data_type = 1;
	t.data_type = DT_FLOAT;
	t.n_float_data = (size_t)n;
	t.float_data = vals;
	uint8_t buf[256];
	size_t len = onnx__tensor_proto__pack(&t, buf);
	put_varint(p, (uint64_t)field << 3 | 2);
	put_varint(p, len);
	memcpy(*p, buf, len);
	*p += len;
}

static void test_data_files_hold_sequences_and_optionals(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), path[512];
	uint8_t msg[1024], *p = msg;
	put_varint(&p, 2 << 3);
	put_varint(&p, 1); /* elem_type TENSOR */
	put_tensor(&p, 3, 2);
	put_tensor(&p, 3, 3);
	snprintf(path, sizeof path, "%s/seq.pb", dir);
	test_write(path, msg, (size_t)(p - msg));
	Arena *a = arena_new();
	DataValue dv;
	Diag d;
	diag_init(&d, path);
	assert_int_equal(fe_load_data_file(path, VT_SEQUENCE, a, &dv, &d), 0);
	assert_int_equal(dv.nelems, 2);
	assert_int_equal(dv.elems[1].shape.dims[0], 3);
	assert_int_equal(dv.t.shape.dims[0], 5);
	assert_true(((const float *)dv.t.data)[4] == 2.0f);
	unlink(path);
	/* an OptionalProto with only elem_type: empty */
	p = msg;
	put_varint(&p, 2 << 3);
	put_varint(&p, 1);
	snprintf(path, sizeof path, "%s/opt.pb", dir);
	test_write(path, msg, (size_t)(p - msg));
	assert_int_equal(fe_load_data_file(path, VT_OPTIONAL, a, &dv, &d), 0);
	assert_true(dv.none);
	assert_int_equal(dv.t.shape.dims[0], 0);
	unlink(path);
	arena_free(a);
	rmdir(dir);
	free(dir);
}

static void test_regex_compiler_rejects_unsupported_syntax(void **state)
{
	(void)state;
	RxProg p;
	assert_int_equal(rx_compile("a(b|c)*d{2,3}\\w+", &p), 0);
	rx_free(&p);
	assert_int_equal(rx_compile("(?i)abc", &p), -1);
	assert_string_equal(p.err, "group flags are not supported at offset 1");
	rx_free(&p);
	assert_int_equal(rx_compile("a{3,1}", &p), -1);
	rx_free(&p);
	assert_int_equal(rx_compile("[\\p{L}]", &p), -1);
	rx_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_ops_become_tensor_kernels),
		cmocka_unit_test(test_sequence_position_from_input_must_be_fixed),
		cmocka_unit_test(test_loop_with_constant_trip_count_is_unrolled),
		cmocka_unit_test(test_loop_trip_count_from_input_must_be_fixed),
		cmocka_unit_test(test_data_files_hold_sequences_and_optionals),
		cmocka_unit_test(test_regex_compiler_rejects_unsupported_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
