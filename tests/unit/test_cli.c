/* test_cli.c - the cnnc command: errors on bad input (one line, non-zero exit, no
 * partial files), and the generated-code contract (prefixes, two models in one
 * program, hostile names) checked by compiling and running the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

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
	char *model = test_path(dir, "m.onnx"), *c = test_path(dir, "out.c"), *h = test_path(dir, "out.h");
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
	char *ma = test_path(dir, "a.onnx"), *mbp = test_path(dir, "b.onnx");
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
	char *ca = test_path(dir, "first.c"), *cb = test_path(dir, "second.c");
	char *out;
	assert_int_equal(test_run_cnnc(&out, ma, "-o", ca, "--name", "alpha", NULL), 0);
	free(out);
	assert_int_equal(test_run_cnnc(&out, mbp, "-o", cb, NULL), 0); /* prefix "second" */
	free(out);
	char *main_c = test_path(dir, "main.c");
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
	char cmd[4096], *exe = test_path(dir, "prog");
	snprintf(cmd, sizeof cmd,
		 "%s -std=c99 -Wall -Wextra -Werror -o %s %s %s %s -lm && %s", cc, exe, main_c, ca, cb,
		 exe);
	assert_int_equal(system(cmd), 0);
	const char *const files[] = {"a.onnx", "b.onnx", "first.c", "first.h",
				     "second.c", "second.h", "main.c", "prog"};
	test_remove_all(dir, files, sizeof files / sizeof files[0]);
	free(ma);
	free(mbp);
	free(ca);
	free(cb);
	free(main_c);
	free(exe);
	free(dir);
}

/* --summary=json: receptive field and jump follow r_k = r_{k-1} + (f_k - 1) j_{k-1},
   j_k = j_{k-1} s_k with the dilated kernel extent f. */
static void test_summary_reports_receptive_field_and_macs(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *model = test_path(dir, "rf.onnx");
	ModelBuilder *mb = mb_new(8, 13);
	float w1[4 * 1 * 9], w2[4 * 4 * 9];
	for (int i = 0; i < 36; i++)
		w1[i] = 0.1f;
	for (int i = 0; i < 144; i++)
		w2[i] = 0.01f;
	int64_t d1[4] = {4, 1, 3, 3}, d2[4] = {4, 4, 3, 3};
	mb_input(mb, "x", DT_FLOAT, "1x1x16x16");
	mb_init_f32(mb, "w1", d1, 4, w1);
	mb_init_f32(mb, "w2", d2, 4, w2);
	mb_node(mb, "Conv", "c1", "x,w1", "a");
	int64_t pads[4] = {1, 1, 1, 1}, strides[2] = {2, 2}, dil[2] = {2, 2};
	mb_attr_ints(mb, "pads", pads, 4);
	mb_node(mb, "Conv", "c2", "a,w2", "y");
	mb_attr_ints(mb, "strides", strides, 2);
	mb_attr_ints(mb, "dilations", dil, 2);
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_write(mb, model);
	mb_free(mb);
	char *out;
	assert_int_equal(test_run_cnnc(&out, "--summary=json", model, NULL), 0);
	/* c1: 3x3 -> r 3, j 1; c2: 3x3 dilation 2 (extent 5), stride 2 -> r 7, j 2;
	   c2 output 6x6: MACs 4 * 6 * 6 * 4 * 9 */
	assert_non_null(strstr(out, "\"name\": \"c1\", \"op\": \"FusedConv\", \"output_shape\": "
				    "[1,4,16,16], \"params\": 40, \"macs\": 9216, \"receptive_field\": [3, 3], "
				    "\"jump\": [1, 1]"));
	assert_non_null(strstr(out, "\"name\": \"c2\", \"op\": \"FusedConv\", \"output_shape\": "
				    "[1,4,6,6], \"params\": 148, \"macs\": 5184, \"receptive_field\": [7, 7], "
				    "\"jump\": [2, 2]"));
	assert_non_null(strstr(out, "\"totals\": {\"params\": 188, \"macs\": 14400"));
	/* flash = weights + code estimate; RAM = workspace + I/O (1x1x16x16 + 1x4x6x6 floats) */
	long long wb, ws, nodes, kern, code, flash, io, ram;
	const char *t = strstr(out, "\"weight_bytes\": ");
	assert_non_null(t);
	assert_int_equal(sscanf(t, "\"weight_bytes\": %lld, \"workspace_bytes\": %lld, "
				"\"workspace_lower_bound\": %*d, \"nodes\": %lld, \"kernels\": %lld, "
				"\"code_bytes_estimate\": %lld, \"flash_bytes_estimate\": %lld, "
				"\"io_bytes\": %lld, \"ram_bytes\": %lld", &wb, &ws, &nodes, &kern, &code, &flash,
				&io, &ram), 8);
	assert_int_equal(kern, nodes); /* no views here: every node is a kernel */
	assert_true(wb >= 188 * 4 && code > 0);
	assert_int_equal(flash, wb + code);
	assert_int_equal(io, (256 + 144) * 4);
	assert_int_equal(ram, ws + io);
	free(out);
	assert_int_equal(test_run_cnnc(&out, "--summary", model, NULL), 0);
	char line[256];
	snprintf(line, sizeof line, "flash: ~%lld bytes (%lld weight bytes + ~%lld code", flash, wb, code);
	assert_non_null(strstr(out, line));
	snprintf(line, sizeof line, "RAM: %lld bytes (workspace %lld + inputs/outputs %lld) + stack", ram, ws,
		 io);
	assert_non_null(strstr(out, line));
	free(out);
	unlink(model);
	rmdir(dir);
	free(model);
	free(dir);
}

/* --outputs adds intermediate tensors as outputs; --cut keeps only what one needs;
   an unknown name lists the closest ones. */
static void test_outputs_and_cut_choose_the_returned_tensors(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *model = test_path(dir, "t.onnx"), *c = test_path(dir, "t.c"), *h = test_path(dir, "t.h");
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "8");
	mb_node(mb, "Relu", "r", "x", "feat_a");
	mb_node(mb, "Neg", "n", "feat_a", "feat_b");
	mb_node(mb, "Exp", "e", "feat_b", "y");
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_write(mb, model);
	mb_free(mb);
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", c, "--outputs", "feat_b,feat_a", NULL), 0);
	free(out);
	char *hdr = read_all(h);
	assert_non_null(strstr(hdr, "#define t_NUM_OUTPUTS 3"));
	assert_non_null(strstr(hdr, "output 1: 'feat_b'"));
	assert_non_null(strstr(hdr, "output 2: 'feat_a'"));
	free(hdr);
	assert_int_equal(test_run_cnnc(&out, model, "-o", c, "--cut", "feat_a", NULL), 0);
	free(out);
	hdr = read_all(h);
	assert_non_null(strstr(hdr, "#define t_NUM_OUTPUTS 1"));
	assert_non_null(strstr(hdr, "output 0: 'feat_a'"));
	free(hdr);
	char *src = read_all(c);
	assert_null(strstr(src, "(Exp")); /* the layers after the cut are gone */
	free(src);
	assert_int_equal(test_run_cnnc(&out, model, "-o", c, "--cut", "feat_c", NULL), 1);
	char want[1024];
	snprintf(want, sizeof want, "cnnc: error: %s: --cut: no tensor named 'feat_c' in the model; "
		 "did you mean 'feat_a', 'feat_b', 'x'\n", model);
	assert_string_equal(out, want);
	free(out);
	unlink(model);
	unlink(c);
	unlink(h);
	rmdir(dir);
	free(model);
	free(c);
	free(h);
	free(dir);
}

/* --weights=file: the same model compiled both ways computes the same outputs; the
   .bin has a 64-byte header and 64-byte aligned tensors; a wrong size, a corrupted
   header or corrupted data give 3; a failed compile leaves no .bin. */
static void test_weights_file_matches_embedded_and_detects_corruption(void **state)
{
	(void)state;
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *dir = test_tmpdir();
	char *model = test_path(dir, "m.onnx");
	ModelBuilder *mb = mb_new(8, 13);
	float w[5] = {0.5f, -2, 3, 0.25f, 7}, b[5] = {1, 2, -3, 4, -5};
	int64_t dims[1] = {5};
	mb_input(mb, "x", DT_FLOAT, "5");
	mb_init_f32(mb, "w", dims, 1, w);
	mb_init_f32(mb, "b", dims, 1, b);
	mb_node(mb, "Mul", "mul", "x,w", "t");
	mb_node(mb, "Add", "add", "t,b", "u");
	mb_node(mb, "Tanh", "tanh", "u", "y");
	mb_output(mb, "y", DT_FLOAT, "5");
	mb_write(mb, model);
	mb_free(mb);
	char *emb = test_path(dir, "emb.c"), *fil = test_path(dir, "fil.c"), *bin = test_path(dir, "fil.bin");
	char *embbin = test_path(dir, "emb.bin"), *filh = test_path(dir, "fil.h");
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", emb, NULL), 0);
	free(out);
	assert_int_equal(test_run_cnnc(&out, model, "-o", fil, "--weights=file", "--target", "generic", NULL), 0);
	free(out);
	assert_false(test_exists(embbin));
	assert_true(test_exists(bin));
	char *hdr = read_all(filh), *src = read_all(fil);
	assert_non_null(strstr(hdr, "#define fil_WEIGHTS_SIZE "));
	assert_non_null(strstr(hdr, "#define fil_WEIGHTS_CHECKSUM 0x"));
	assert_non_null(strstr(hdr, "int fil_run_with_weights(const void *weights, size_t weights_size,"));
	assert_null(strstr(hdr, "int fil_run(")); /* no P_run without its weights */
	int nconst = 0;
	for (const char *p = src; (p = strstr(p, "at weights + ")); p++, nconst++)
		assert_int_equal(atol(p + 13) % 64, 0);
	assert_int_equal(nconst, 2);
	free(hdr);
	free(src);
	char *bytes = read_all(bin);
	assert_memory_equal(bytes, "CNNCWTS1", 8);
	free(bytes);
	char *main_c = test_path(dir, "main.c");
	const char *prog =
		"#define _POSIX_C_SOURCE 200112L\n"
		"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
		"#include \"emb.h\"\n#include \"fil.h\"\n"
		"int main(int argc, char **argv) {\n"
		"  static unsigned char ws[emb_WORKSPACE_SIZE + fil_WORKSPACE_SIZE + 64];\n"
		"  float x[5] = {-1, 0.5f, 2, -3, 0.125f}, y0[5], y1[5];\n"
		"  const void *in[1] = {x}; void *o0[1] = {y0}, *o1[1] = {y1};\n"
		"  unsigned char *w = NULL; FILE *f = fopen(argv[1], \"rb\"); long n;\n"
		"  if (argc != 2 || !f || posix_memalign((void **)&w, 64, fil_WEIGHTS_SIZE + 1)) return 10;\n"
		"  n = (long)fread(w, 1, fil_WEIGHTS_SIZE + 1, f); fclose(f);\n"
		"  if (n != fil_WEIGHTS_SIZE) return 11;\n"
		"  if (fil_check_weights(w, (size_t)n) != 0) return 12;\n"
		"  if (emb_run(in, o0, ws) || fil_run_with_weights(w, (size_t)n, in, o1, ws)) return 13;\n"
		"  if (memcmp(y0, y1, sizeof y0) != 0) return 14;\n"
		"  if (fil_run_with_weights(NULL, (size_t)n, in, o1, ws) != 1) return 15;\n"
		"  if (fil_run_with_weights(w, (size_t)n - 1, in, o1, ws) != 3) return 16;\n"
		"  if (fil_check_weights(w, (size_t)n - 1) != 3) return 17;\n"
		"  w[n - 1] ^= 0x10; /* data: only the full check sees it */\n"
		"  if (fil_check_weights(w, (size_t)n) != 3) return 18;\n"
		"  w[n - 1] ^= 0x10;\n"
		"  w[12] ^= 1; /* the checksum in the header */\n"
		"  if (fil_run_with_weights(w, (size_t)n, in, o1, ws) != 3 || fil_check_weights(w, (size_t)n) != 3) return 19;\n"
		"  w[12] ^= 1;\n"
		"  if (fil_check_weights(w, (size_t)n) != 0) return 20;\n"
		"  free(w);\n"
		"  return 0;\n"
		"}\n";
	test_write(main_c, prog, strlen(prog));
	char cmd[4096], *exe = test_path(dir, "prog");
	snprintf(cmd, sizeof cmd, "%s -std=c99 -Wall -Wextra -Werror -o %s %s %s %s -lm", cc, exe, main_c,
		 emb, fil);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s %s", exe, bin);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* a truncated file: the program sees the wrong size */
	snprintf(cmd, sizeof cmd, "truncate -s -1 %s && %s %s", bin, exe, bin);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 11);

	/* bad mode; a failed compile leaves no weights file behind */
	assert_int_equal(test_run_cnnc(&out, model, "-o", fil, "--weights=disk", NULL), 1);
	assert_string_equal(out, "cnnc: error: unknown --weights mode 'disk' (embed or file)\n");
	free(out);
	assert_int_equal(test_run_cnnc(&out, model, "-o", fil, "--winograd=always", NULL), 1);
	assert_string_equal(out, "cnnc: error: unknown --winograd mode 'always' (auto, off or force)\n");
	free(out);
	unlink(bin);
	mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, "2");
	mb_node(mb, "FrobX", "frob", "x", "y");
	mb_output(mb, "y", DT_FLOAT, "2");
	mb_write(mb, model);
	mb_free(mb);
	assert_int_equal(test_run_cnnc(&out, model, "-o", fil, "--weights", "file", NULL), 1);
	free(out);
	assert_false(test_exists(bin));

	const char *const files[] = {"m.onnx", "emb.c", "emb.h", "fil.c", "fil.h", "main.c", "prog"};
	test_remove_all(dir, files, sizeof files / sizeof files[0]);
	free(model);
	free(emb);
	free(fil);
	free(bin);
	free(embbin);
	free(filh);
	free(main_c);
	free(exe);
	free(dir);
}

/* Embedded weights are string literals with the shortest escapes: every pair of bytes
   and every trigraph spelling must come back exactly. The same model with its
   weights in a .bin file must compute bit-identical outputs. */
static void test_embedded_weights_keep_every_byte_sequence(void **state)
{
	(void)state;
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	static const char tail[] = "?\?=?\?/?\?(?\?)?\?'?\?<?\?!?\?>?\?-?\"\\\"\\\\7\0" "0\1" "8\77" "7\100";
	enum { PAIRS = 256 * 256 * 2, N = (PAIRS + sizeof tail + 3) / 4 };
	static unsigned char bytes[N * 4];
	for (int i = 0; i < 256 * 256; i++) {
		bytes[2 * i] = (unsigned char)(i >> 8);
		bytes[2 * i + 1] = (unsigned char)i;
	}
	memcpy(bytes + PAIRS, tail, sizeof tail);
	float *w = malloc(sizeof bytes);
	memcpy(w, bytes, sizeof bytes);
	char *dir = test_tmpdir();
	char *model = test_path(dir, "m.onnx");
	char shape[32];
	snprintf(shape, sizeof shape, "%d", (int)N);
	int64_t dims[1] = {N};
	ModelBuilder *mb = mb_new(8, 13);
	mb_input(mb, "x", DT_FLOAT, shape);
	mb_init_f32(mb, "w", dims, 1, w);
	mb_node(mb, "Mul", "mul", "x,w", "y");
	mb_output(mb, "y", DT_FLOAT, shape);
	mb_write(mb, model);
	mb_free(mb);
	free(w);
	char *emb = test_path(dir, "emb.c"), *fil = test_path(dir, "fil.c"), *bin = test_path(dir, "fil.bin");
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", emb, NULL), 0);
	free(out);
	assert_int_equal(test_run_cnnc(&out, model, "-o", fil, "--weights=file", NULL), 0);
	free(out);
	char *main_c = test_path(dir, "main.c");
	const char *prog =
		"#define _POSIX_C_SOURCE 200112L\n"
		"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
		"#include \"emb.h\"\n#include \"fil.h\"\n"
		"int main(int argc, char **argv) {\n"
		"  static unsigned char ws[emb_WORKSPACE_SIZE + fil_WORKSPACE_SIZE + 64];\n"
		"  static float x[emb_INPUT_0_SIZE], y0[emb_INPUT_0_SIZE], y1[emb_INPUT_0_SIZE];\n"
		"  const void *in[1] = {x}; void *o0[1] = {y0}, *o1[1] = {y1};\n"
		"  unsigned char *w = NULL; FILE *f = fopen(argv[1], \"rb\"); long n, i;\n"
		"  if (argc != 2 || !f || posix_memalign((void **)&w, 64, fil_WEIGHTS_SIZE)) return 10;\n"
		"  n = (long)fread(w, 1, fil_WEIGHTS_SIZE, f); fclose(f);\n"
		"  for (i = 0; i < (long)emb_INPUT_0_SIZE; i++) x[i] = 1.0f;\n"
		"  if (emb_run(in, o0, ws) || fil_run_with_weights(w, (size_t)n, in, o1, ws)) return 13;\n"
		"  free(w);\n"
		"  return memcmp(y0, y1, sizeof y0) != 0 ? 14 : 0;\n"
		"}\n";
	test_write(main_c, prog, strlen(prog));
	char cmd[4096], *exe = test_path(dir, "prog");
	snprintf(cmd, sizeof cmd, "%s -std=c99 -Wall -Wextra -Werror -o %s %s %s %s -lm && %s %s", cc,
		 exe, main_c, emb, fil, exe, bin);
	assert_int_equal(system(cmd), 0);
	const char *const files[] = {"m.onnx", "emb.c", "emb.h", "fil.c",
				     "fil.h", "fil.bin", "main.c", "prog"};
	test_remove_all(dir, files, sizeof files / sizeof files[0]);
	free(model);
	free(emb);
	free(fil);
	free(bin);
	free(main_c);
	free(exe);
	free(dir);
}

/* Conv 3x3 -> Relu -> MaxPool 3x3/2: -v says the pool went into the conv (and a
   plain compile says nothing); --summary widens the receptive field by the pool. */
static void test_fused_conv_pool_is_reported(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *model = test_path(dir, "cp.onnx"), *c = test_path(dir, "cp.c"), *h = test_path(dir, "cp.h");
	ModelBuilder *mb = mb_new(8, 13);
	float w[4 * 9];
	for (int i = 0; i < 36; i++)
		w[i] = 0.1f * (float)(i % 5) - 0.2f;
	int64_t wd[4] = {4, 1, 3, 3}, pads[4] = {1, 1, 1, 1}, k[2] = {3, 3}, s2[2] = {2, 2};
	mb_input(mb, "x", DT_FLOAT, "1x1x16x16");
	mb_init_f32(mb, "w", wd, 4, w);
	mb_node(mb, "Conv", "c1", "x,w", "a");
	mb_attr_ints(mb, "pads", pads, 4);
	mb_node(mb, "Relu", "r", "a", "b");
	mb_node(mb, "MaxPool", "p", "b", "y");
	mb_attr_ints(mb, "kernel_shape", k, 2);
	mb_attr_ints(mb, "strides", s2, 2);
	mb_attr_ints(mb, "pads", pads, 4);
	mb_output(mb, "y", DT_FLOAT, NULL);
	mb_write(mb, model);
	mb_free(mb);
	char *out;
	assert_int_equal(test_run_cnnc(&out, "-v", model, "-o", c, NULL), 0);
	assert_non_null(strstr(out, "pass fuse_conv_pool   nodes 2 -> 1"));
	/* the bytes saved depend on the host's channel block */
	assert_non_null(strstr(out, "fuse_conv_pool: 1 pool computed inside the conv before it ("));
	free(out);
	assert_int_equal(test_run_cnnc(&out, model, "-o", c, NULL), 0);
	assert_null(strstr(out, "fuse_conv_pool"));
	free(out);
	/* conv 3x3 -> r 3, j 1; then the pool 3x3/2 -> r 5, j 2; MACs are the conv's */
	assert_int_equal(test_run_cnnc(&out, "--summary=json", model, NULL), 0);
	assert_non_null(strstr(out, "\"name\": \"c1\", \"op\": \"FusedConv\", \"output_shape\": "
				    "[1,4,8,8], \"params\": 40, \"macs\": 9216, \"receptive_field\": [5, 5], "
				    "\"jump\": [2, 2]"));
	free(out);
	unlink(c);
	unlink(h);
	unlink(model);
	rmdir(dir);
	free(c);
	free(h);
	free(model);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_unsupported_op_is_one_line_and_leaves_no_files),
		cmocka_unit_test(test_bad_arguments_are_explained),
		cmocka_unit_test(test_two_models_link_together_and_compute),
		cmocka_unit_test(test_summary_reports_receptive_field_and_macs),
		cmocka_unit_test(test_fused_conv_pool_is_reported),
		cmocka_unit_test(test_outputs_and_cut_choose_the_returned_tensors),
		cmocka_unit_test(test_weights_file_matches_embedded_and_detects_corruption),
		cmocka_unit_test(test_embedded_weights_keep_every_byte_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
