/* test_gradient.c - Gradient (ai.onnx.preview.training), lowered by passes/gradient.c.
 *
 * Each model is compiled with cnnc and run by a small program that compares every
 * gradient output with central finite differences of sum(y), y being the model's
 * output 0 computed by the same model.c: a wrong backward rule, a missed broadcast
 * sum or a lost contribution of a shared tensor shows as a mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TRAINING "ai.onnx.preview.training"

static ModelBuilder *model(void)
{
	ModelBuilder *mb = mb_new(8, 13);
	mb_opset(mb, TRAINING, 1);
	return mb;
}

static void gradient(ModelBuilder *mb, const char *name, const char *inputs, const char *outputs,
                     const char *xs, const char *zs, const char *y)
{
	mb_node(mb, "Gradient", name, inputs, outputs);
	mb_domain(mb, TRAINING);
	mb_attr_strs(mb, "xs", xs);
	if (zs)
		mb_attr_strs(mb, "zs", zs);
	mb_attr_str(mb, "y", y);
}

/* The program: pairs {output, input} say which output is d sum(output 0) / d input. */
static const char harness[] =
    "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include \"m.h\"\n"
    "static const int pairs[][2] = {%s};\n"
    "static float in[m_NUM_INPUTS][256], out[m_NUM_OUTPUTS][256], g[m_NUM_OUTPUTS][256];\n"
    "static unsigned char ws[m_WORKSPACE_SIZE + 64];\n"
    "static double run(void) {\n"
    "  const void *ip[m_NUM_INPUTS]; void *op[m_NUM_OUTPUTS]; double s = 0;\n"
    "  for (int i = 0; i < m_NUM_INPUTS; i++) ip[i] = in[i];\n"
    "  for (int i = 0; i < m_NUM_OUTPUTS; i++) op[i] = out[i];\n"
    "  if (m_run(ip, op, (void *)(((uintptr_t)ws + 63) & ~(uintptr_t)63))) return NAN;\n"
    "  for (size_t j = 0; j < m_output_bytes[0] / 4; j++) s += out[0][j];\n"
    "  return s;\n"
    "}\n"
    "int main(void) {\n"
    "  unsigned r = 12345; int bad = 0;\n"
    "  for (int i = 0; i < m_NUM_INPUTS; i++)\n"
    "    for (size_t j = 0; j < m_input_bytes[i] / 4; j++) {\n"
    "      r = r * 1103515245u + 12345u;\n"
    "      float v = 0.25f + 0.75f * (float)(r >> 16 & 0x7fff) / 32768.0f;\n"
    "      in[i][j] = %d && (r >> 9 & 1) ? -v : v;\n"
    "    }\n"
    "  run();\n"
    "  for (int i = 0; i < m_NUM_OUTPUTS; i++)\n"
    "    for (int j = 0; j < 256; j++) g[i][j] = out[i][j];\n"
    "  for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {\n"
    "    int o = pairs[p][0], x = pairs[p][1];\n"
    "    if (m_output_bytes[o] != m_input_bytes[x]) {\n"
    "      printf(\"output %%d has %%zu bytes, input %%d %%zu\\n\", o, m_output_bytes[o], x,\n"
    "             m_input_bytes[x]);\n"
    "      return 1;\n"
    "    }\n"
    "    for (size_t j = 0; j < m_input_bytes[x] / 4; j++) {\n"
    "      float v = in[x][j], vp = v + 1e-2f, vm = v - 1e-2f;\n"
    "      in[x][j] = vp; double sp = run();\n"
    "      in[x][j] = vm; double sm = run();\n"
    "      in[x][j] = v;\n"
    "      double fd = (sp - sm) / ((double)vp - vm), gv = g[o][j];\n"
    "      if (!(fabs(fd - gv) <= 1e-2 * (1 + fabs(gv)))) {\n"
    "        printf(\"output %%d [%%zu]: %%g, finite difference %%g\\n\", o, j, gv, fd);\n"
    "        bad = 1;\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  return bad;\n"
    "}\n";

/* Compiles mb (freed) with cnnc and checks the gradients of `pairs` against finite
   differences, with inputs in +-[0.25, 1] (only positive unless negative). */
static void check(ModelBuilder *mb, const char *pairs, int negative)
{
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *dir = test_tmpdir(), path[512], cpath[512], mpath[512], cmd[2048], *log;
	snprintf(path, sizeof path, "%s/m.onnx", dir);
	snprintf(cpath, sizeof cpath, "%s/m.c", dir);
	snprintf(mpath, sizeof mpath, "%s/main.c", dir);
	mb_write(mb, path);
	mb_free(mb);
	int st = test_run_cnnc(&log, path, "-o", cpath, NULL);
	if (st != 0)
		print_message("%s", log);
	free(log);
	assert_int_equal(st, 0);
	char prog[sizeof harness + 256];
	snprintf(prog, sizeof prog, harness, pairs, negative);
	test_write(mpath, prog, strlen(prog));
	snprintf(
	    cmd, sizeof cmd,
	    "cd '%s' && %s -std=c99 -O1 -Wall -Wextra -Werror -o prog main.c m.c -lm && ./prog",
	    dir, cc);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* y = (A*B + C - B) / D * float(shape(B)): B, C and D are broadcast (C a scalar, D
   one column), so their gradients are sums over the stretched axes; the integer
   path through Shape carries no gradient (and is no error). */
static void test_gradient_through_broadcasting_arithmetic(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	mb_input(mb, "A", DT_FLOAT, "2x3");
	mb_input(mb, "B", DT_FLOAT, "3");
	mb_input(mb, "C", DT_FLOAT, "");
	mb_input(mb, "D", DT_FLOAT, "2x1");
	mb_node(mb, "Mul", "mul", "A,B", "t1");
	mb_node(mb, "Add", "add", "t1,C", "t2");
	mb_node(mb, "Sub", "sub", "t2,B", "t3");
	mb_node(mb, "Div", "div", "t3,D", "t4");
	mb_node(mb, "Shape", "shape", "B", "sh");
	mb_node(mb, "Cast", "cast", "sh", "n");
	mb_attr_int(mb, "to", DT_FLOAT);
	mb_node(mb, "Mul", "scale", "t4,n", "Y");
	gradient(mb, "grad", "A,B,C,D", "dA,dB,dC,dD", "A,B,C,D", NULL, "Y");
	mb_output(mb, "Y", DT_FLOAT, "2x3");
	mb_output(mb, "dA", DT_FLOAT, "2x3");
	mb_output(mb, "dB", DT_FLOAT, "3");
	mb_output(mb, "dC", DT_FLOAT, "");
	mb_output(mb, "dD", DT_FLOAT, "2x1");
	check(mb, "{1, 0}, {2, 1}, {3, 2}, {4, 3}", 1);
}

/* y = Tanh(Relu(X W + b) W2) with a batch of X against one W: W's gradient sums
   the batch. */
static void test_gradient_through_matmul_relu_tanh(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	mb_input(mb, "X", DT_FLOAT, "2x2x3");
	mb_input(mb, "W", DT_FLOAT, "3x4");
	mb_input(mb, "b", DT_FLOAT, "4");
	mb_input(mb, "W2", DT_FLOAT, "4x2");
	mb_node(mb, "MatMul", "mm1", "X,W", "m");
	mb_node(mb, "Add", "bias", "m,b", "p");
	mb_node(mb, "Relu", "relu", "p", "h");
	mb_node(mb, "MatMul", "mm2", "h,W2", "q");
	mb_node(mb, "Tanh", "tanh", "q", "Y");
	gradient(mb, "grad", "X,W,b,W2", "dX,dW,db,dW2", "X,W,b,W2", NULL, "Y");
	mb_output(mb, "Y", DT_FLOAT, "2x2x2");
	mb_output(mb, "dX", DT_FLOAT, "2x2x3");
	mb_output(mb, "dW", DT_FLOAT, "3x4");
	mb_output(mb, "db", DT_FLOAT, "4");
	mb_output(mb, "dW2", DT_FLOAT, "4x2");
	check(mb, "{1, 0}, {2, 1}, {3, 2}, {4, 3}", 1);
}

/* S = A*B feeds several branches, A*A reads A twice, and A and B reach y by
   several paths: every contribution must be added. Positive inputs for Log/Sqrt. */
static void test_gradient_adds_up_shared_subexpressions(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	const float three = 3;
	mb_input(mb, "A", DT_FLOAT, "3");
	mb_input(mb, "B", DT_FLOAT, "3");
	mb_init_f32(mb, "E", NULL, 0, &three);
	mb_node(mb, "Mul", "s", "A,B", "S");
	mb_node(mb, "Sigmoid", "sig", "S", "U");
	mb_node(mb, "Mul", "v", "S,U", "V");
	mb_node(mb, "Log", "log", "S", "L");
	mb_node(mb, "Add", "sa", "S,A", "SA");
	mb_node(mb, "Sqrt", "sqrt", "SA", "Q");
	mb_node(mb, "Pow", "pow", "A,E", "P");
	mb_node(mb, "Exp", "exp", "B", "X");
	mb_node(mb, "Mul", "aa", "A,A", "AA");
	mb_node(mb, "Mul", "xaa", "X,AA", "XA");
	mb_node(mb, "Add", "y1", "V,L", "Y1");
	mb_node(mb, "Add", "y2", "Q,P", "Y2");
	mb_node(mb, "Add", "y3", "Y1,Y2", "Y3");
	mb_node(mb, "Neg", "neg", "XA", "N");
	mb_node(mb, "Add", "y", "Y3,N", "Y");
	gradient(mb, "grad", "A,B", "dA,dB", "A,B", NULL, "Y");
	mb_output(mb, "Y", DT_FLOAT, "3");
	mb_output(mb, "dA", DT_FLOAT, "3");
	mb_output(mb, "dB", DT_FLOAT, "3");
	check(mb, "{1, 0}, {2, 1}", 0);
}

/* Gemm (transposed operands, alpha, beta, broadcast C), Transpose, Reshape,
   ReduceMean (axes attribute), ReduceSum (axes input) and Flatten. */
static void test_gradient_through_gemm_and_shape_ops(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	const int64_t shape[3] = {2, 2, 2}, three = 3, axes = -1, mean_axis = 1;
	mb_input(mb, "A", DT_FLOAT, "2x3");
	mb_input(mb, "W", DT_FLOAT, "4x3");
	mb_input(mb, "C", DT_FLOAT, "4");
	mb_input(mb, "B", DT_FLOAT, "3x2");
	mb_init_i64(mb, "shape", &three, 1, shape);
	mb_init_i64(mb, "axes", (const int64_t[]){1}, 1, &axes);
	mb_node(mb, "Gemm", "gemm", "A,W,C", "G");
	mb_attr_int(mb, "transB", 1);
	mb_attr_float(mb, "alpha", 0.5f);
	mb_attr_float(mb, "beta", 2);
	mb_node(mb, "Transpose", "tr", "G", "T");
	mb_node(mb, "Reshape", "rs", "T,shape", "R");
	mb_node(mb, "ReduceMean", "mean", "R", "M");
	mb_attr_ints(mb, "axes", &mean_axis, 1);
	mb_attr_int(mb, "keepdims", 0);
	mb_node(mb, "ReduceSum", "sum", "M,axes", "Z");
	mb_node(mb, "Flatten", "flat", "Z", "F");
	mb_attr_int(mb, "axis", 0);
	mb_node(mb, "Gemm", "gemm2", "B,A", "H");
	mb_attr_int(mb, "transA", 1);
	mb_attr_int(mb, "transB", 1);
	mb_node(mb, "Mul", "y", "F,H", "Y");
	gradient(mb, "grad", "A,W,C,B", "dA,dW,dC,dB", "A,W,C,B", NULL, "Y");
	mb_output(mb, "Y", DT_FLOAT, "2x2");
	mb_output(mb, "dA", DT_FLOAT, "2x3");
	mb_output(mb, "dW", DT_FLOAT, "4x3");
	mb_output(mb, "dC", DT_FLOAT, "4");
	mb_output(mb, "dB", DT_FLOAT, "3x2");
	check(mb, "{1, 0}, {2, 1}, {3, 2}, {4, 3}", 1);
}

/* Inputs other than the named tensors: the forward path is evaluated again at them
   (y2 = Tanh(A2 * B2) computes the same for the finite differences). An x that y
   does not depend on (U) gets zeros, an output named "" is skipped, and two
   Gradient nodes share the forward path. */
static void test_gradient_at_other_values_and_of_unused_x(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	mb_input(mb, "A2", DT_FLOAT, "2x3");
	mb_input(mb, "B2", DT_FLOAT, "3");
	mb_input(mb, "U", DT_FLOAT, "3");
	mb_input(mb, "A", DT_FLOAT, "2x3");
	mb_input(mb, "B", DT_FLOAT, "3");
	mb_node(mb, "Mul", "mul", "A,B", "T");
	mb_node(mb, "Tanh", "tanh", "T", "Y");
	mb_node(mb, "Mul", "mul2", "A2,B2", "T2");
	mb_node(mb, "Tanh", "tanh2", "T2", "Y2");
	gradient(mb, "grad", "A2,U,B2", "dA,dU", "A,U", "B", "Y");
	gradient(mb, "grad_b", "A2,B2", ",dB", "A,B", NULL, "Y");
	mb_output(mb, "Y2", DT_FLOAT, "2x3");
	mb_output(mb, "dA", DT_FLOAT, "2x3");
	mb_output(mb, "dU", DT_FLOAT, "3");
	mb_output(mb, "dB", DT_FLOAT, "3");
	check(mb, "{1, 0}, {2, 2}, {3, 1}", 1);
}

/* A second derivative: the Gradient of the first Gradient's output comes first in
   the model and waits for it. y = A^3 * B + Relu(A) B: dA = 3 A^2 B + [A > 0] B,
   and output 1 is d sum(dA) / dA. */
static void test_gradient_of_a_gradient(void **state)
{
	(void)state;
	ModelBuilder *mb = model();
	mb_input(mb, "A", DT_FLOAT, "2x3");
	mb_input(mb, "B", DT_FLOAT, "3");
	mb_node(mb, "Mul", "aa", "A,A", "AA");
	mb_node(mb, "Mul", "aaa", "AA,A", "A3");
	mb_node(mb, "Mul", "a3b", "A3,B", "T");
	mb_node(mb, "Relu", "relu", "A", "R");
	mb_node(mb, "Mul", "rb", "R,B", "S");
	mb_node(mb, "Add", "y", "T,S", "Y");
	gradient(mb, "second", "A,B", "d2A,dAdB", "A,B", NULL, "dA");
	gradient(mb, "first", "A,B", "dA", "A,B", NULL, "Y");
	mb_output(mb, "dA", DT_FLOAT, "2x3");
	mb_output(mb, "d2A", DT_FLOAT, "2x3");
	mb_output(mb, "dAdB", DT_FLOAT, "3");
	check(mb, "{1, 0}, {2, 1}", 1);
}

/* Floor has no gradient rule: one error line naming the file, the Gradient node,
   the op and its node, and no output file. */
static void test_gradient_rejects_non_differentiable_op(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), path[512], cpath[512], *log;
	snprintf(path, sizeof path, "%s/m.onnx", dir);
	snprintf(cpath, sizeof cpath, "%s/m.c", dir);
	ModelBuilder *mb = model();
	mb_input(mb, "A", DT_FLOAT, "3");
	mb_node(mb, "Floor", "fl", "A", "F");
	mb_node(mb, "Mul", "mul", "F,A", "Y");
	gradient(mb, "g", "A", "dA", "A", NULL, "Y");
	mb_output(mb, "dA", DT_FLOAT, "3");
	mb_write(mb, path);
	mb_free(mb);
	assert_int_equal(test_run_cnnc(&log, path, "-o", cpath, NULL), 1);
	char want[1024];
	snprintf(want, sizeof want,
	         "%s: node 'g' (Gradient): cannot differentiate through 'Floor' node 'fl'\n", path);
	assert_non_null(strstr(log, want));
	assert_null(strchr(strchr(log, '\n') + 1, '\n'));
	assert_false(test_exists(cpath));
	free(log);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* Names in xs or y that are no tensor of the graph are errors, not crashes. */
static void test_gradient_rejects_unknown_names(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
	    {"A,Q", "Y", "node 'g' (Gradient): xs names 'Q', which is no tensor of the graph"},
	    {"A,B", "Z", "node 'g' (Gradient): y names 'Z', which is no tensor of the graph"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = test_tmpdir(), path[512], cpath[512], *log;
		snprintf(path, sizeof path, "%s/m.onnx", dir);
		snprintf(cpath, sizeof cpath, "%s/m.c", dir);
		ModelBuilder *mb = model();
		mb_input(mb, "A", DT_FLOAT, "3");
		mb_input(mb, "B", DT_FLOAT, "3");
		mb_node(mb, "Mul", "mul", "A,B", "Y");
		gradient(mb, "g", "A,B", "dA", cases[i][0], NULL, cases[i][1]);
		mb_output(mb, "dA", DT_FLOAT, "3");
		mb_write(mb, path);
		mb_free(mb);
		assert_int_equal(test_run_cnnc(&log, path, "-o", cpath, NULL), 1);
		if (!strstr(log, cases[i][2]))
			print_message("%s", log);
		assert_non_null(strstr(log, cases[i][2]));
		free(log);
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		free(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gradient_through_broadcasting_arithmetic),
	    cmocka_unit_test(test_gradient_through_matmul_relu_tanh),
	    cmocka_unit_test(test_gradient_adds_up_shared_subexpressions),
	    cmocka_unit_test(test_gradient_through_gemm_and_shape_ops),
	    cmocka_unit_test(test_gradient_at_other_values_and_of_unused_x),
	    cmocka_unit_test(test_gradient_of_a_gradient),
	    cmocka_unit_test(test_gradient_rejects_non_differentiable_op),
	    cmocka_unit_test(test_gradient_rejects_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
