/* test_cli.c - the cnnc command: errors on bad input (one line, non-zero exit, no
 * partial files), and the generated-code contract (prefixes, two models in one
 * program, hostile names) checked by compiling and running the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_version_and_help(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(test_run_cnnc(&out, "--version", NULL), 0);
	assert_non_null(strstr(out, "cnnc " CNNC_VERSION));
	free(out);
	assert_int_equal(test_run_cnnc(&out, "--help", NULL), 0);
	assert_non_null(strstr(out, "usage: cnnc"));
	free(out);
	assert_int_equal(test_run_cnnc(&out, "--bogus", NULL), 1);
	assert_string_equal(out, "cnnc: error: unknown option '--bogus' (see cnnc --help)\n");
	free(out);
}

static void test_unsupported_op_is_one_line_and_leaves_no_files(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *model = path_in(dir, "m.onnx"), *c = path_in(dir, "out.c"), *h = path_in(dir, "out.h");
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "2");
	mb_node(mb, "FrobX", "frob", "x", "y");
	mb_output(mb, "y", DT_FLOAT, "2");
	mb_write(mb, model);
	test_write(c, "keep", 4); /* an existing file must survive a failed run */
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", c, NULL), 1);
	char want[1024];
	snprintf(want, sizeof want,
		 "cnnc: error: %s: node 'frob' (FrobX): unsupported operator 'FrobX'\n", model);
	assert_string_equal(out, want);
	char *kept = read_all(c);
	assert_string_equal(kept, "keep");
	assert_false(test_exists(h));
	free(kept);
	free(out);
	unlink(c);
	unlink(model);
	rmdir(dir);
	mb_free(mb);
	free(model);
	free(c);
	free(h);
	free(dir);
}

static void test_bad_arguments_are_explained(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(test_run_cnnc(&out, "/nonexistent.onnx", "-o", "/tmp/x.c", NULL), 1);
	assert_string_equal(out, "cnnc: error: /nonexistent.onnx: cannot read '/nonexistent.onnx': "
				 "No such file or directory\n");
	free(out);
	assert_int_equal(test_run_cnnc(&out, "m.onnx", "-o", "out.txt", NULL), 1);
	assert_string_equal(out, "cnnc: error: the output file 'out.txt' must end in .c\n");
	free(out);
	assert_int_equal(test_run_cnnc(&out, "m.onnx", "-o", "x.c", "--name", "9bad-name", NULL), 1);
	assert_string_equal(out, "cnnc: error: --name '9bad-name' is not a C identifier (try 'm9bad_name')\n");
	free(out);
	assert_int_equal(test_run_cnnc(&out, "m.onnx", "-o", "x.c", "--dim", "N", NULL), 1);
	assert_string_equal(out, "cnnc: error: --dim expects NAME=VALUE, got 'N'\n");
	free(out);
}

/* Two models with hostile names, compiled with different prefixes, linked into one
   program that checks their results. */
static void test_two_models_link_together_and_compute(void **state)
{
	(void)state;
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *dir = test_tmpdir();
	char *ma = path_in(dir, "a.onnx"), *mbp = path_in(dir, "b.onnx");
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "int", DT_FLOAT, "4");     /* a C keyword */
	mb_node(mb, "Relu", "*/ evil\nnode", "int", "x-y");
	mb_node(mb, "Neg", "n?\?=", "x-y", "x y"); /* collides with x-y after sanitising */
	mb_output(mb, "x y", DT_FLOAT, "4");
	mb_output(mb, "x-y", DT_FLOAT, "4");
	mb_write(mb, ma);
	mb_free(mb);
	mb = mb_new(3, 9);
	float w[4] = {1, 2, 3, 4};
	int64_t dims[1] = {4};
	mb_input(mb, "in\xc3\xa9", DT_FLOAT, "4"); /* non-ASCII */
	mb_input(mb, "w", DT_FLOAT, "4");
	mb_init_f32(mb, "w", dims, 1, w);
	mb_node(mb, "Mul", "", "in\xc3\xa9,w", "out\"q");
	mb_output(mb, "out\"q", DT_FLOAT, "4");
	mb_write(mb, mbp);
	mb_free(mb);
	char *ca = path_in(dir, "first.c"), *cb = path_in(dir, "second.c");
	char *out;
	assert_int_equal(test_run_cnnc(&out, ma, "-o", ca, "--name", "alpha", NULL), 0);
	free(out);
	assert_int_equal(test_run_cnnc(&out, mbp, "-o", cb, NULL), 0); /* prefix "second" */
	free(out);
	char *main_c = path_in(dir, "main.c");
	const char *prog =
		"#include <stdio.h>\n#include \"first.h\"\n#include \"second.h\"\n"
		"int main(void) {\n"
		"  float x[4] = {-1, 2, -3, 4}, y0[4], y1[4], z[4];\n"
		"  static unsigned char ws[alpha_WORKSPACE_SIZE + 64];\n"
		"  const void *in[1] = {x}; void *out[2] = {y0, y1}; void *out2[1] = {z};\n"
		"  if (alpha_run(in, out, ws) || second_run(in, out2, ws)) return 1;\n"
		"  if (alpha_NUM_OUTPUTS != 2 || second_NUM_INPUTS != 1) return 2;\n"
		"  for (int i = 0; i < 4; i++) {\n"
		"    float r = x[i] > 0 ? x[i] : 0;\n"
		"    if (y1[i] != r || y0[i] != -r || z[i] != x[i] * (float)(i + 1)) return 3;\n"
		"  }\n"
		"  return alpha_run(NULL, out, ws) == 1 ? 0 : 4;\n"
		"}\n";
	test_write(main_c, prog, strlen(prog));
	char cmd[4096], *exe = path_in(dir, "prog");
	snprintf(cmd, sizeof cmd,
		 "%s -std=c99 -Wall -Wextra -Werror -o %s %s %s %s -lm && %s", cc, exe, main_c, ca, cb,
		 exe);
	assert_int_equal(system(cmd), 0);
	const char *files[] = {"a.onnx", "b.onnx", "first.c", "first.h", "second.c", "second.h",
			       "main.c", "prog"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *p = path_in(dir, files[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(ma);
	free(mbp);
	free(ca);
	free(cb);
	free(main_c);
	free(exe);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_unsupported_op_is_one_line_and_leaves_no_files),
		cmocka_unit_test(test_bad_arguments_are_explained),
		cmocka_unit_test(test_two_models_link_together_and_compute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
