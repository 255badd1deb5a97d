/* verify.c - `cnnc verify`: compile a model, build it with a C compiler, run it on
 * ONNX test data (test_data_set_N/input_K.pb) and compare with output_K.pb.
 *
 * It is the engine of the conformance runner, so its last line is machine
 * readable: "RESULT PASS" or "RESULT FAIL <category>: <detail>", with category
 * one of unsupported, cnnc-error, cc-error, run-error, wrong-result, bad-data.
 *
 * Input shapes are bound from the data. When the compiler reports that a graph
 * input determines a shape (Reshape's shape, Slice's starts fed as inputs in
 * ONNX's node tests), verify fixes that input to the data set's value with
 * --input-value and compiles again; the generated P_run still takes the input
 * and checks it. The harness poisons the workspace and guards the end of every
 * output buffer, so kernels that read uninitialised scratch or write past an
 * output are caught rather than passing by luck. With --weights=file the harness
 * loads model.bin (64-byte aligned), checks it with model_check_weights() and runs
 * model_run_with_weights().
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../frontend/frontend.h"
#include "driver.h"

#define MAX_IO 256

typedef struct Verify {
	Arena *a;
	Options base;       /* options from the command line */
	const char *model;
	const char *cc, *cflags;
	double rtol, atol;
	int timeout;        /* seconds the compiled program may run */
	const char *keep;   /* folder to keep the build in, or NULL */
	const char *runner; /* command that runs the program (an emulator), or NULL */
	bool one_unit;      /* build model.c and the harness as one translation unit */
	char dir[4096];     /* build folder */
	const char **names; /* caller-fed graph inputs */
	int ninputs;
	ValueType *in_kinds, *out_kinds; /* declared kinds: tensor, sequence, optional */
	int nouts;
	char *last_c;       /* model.c of the last build, to reuse the binary */
	char result[1536];  /* first failure, "category: detail" */
} Verify;

static const char harness[] =
	"#define _POSIX_C_SOURCE 200112L\n"
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"model.h\"\n"
	"#define GUARD 64\n"
	"static void *owned[4 * 256 + 8]; /* freed at the end: LeakSanitizer sees no leak */\n"
	"static int nowned;\n"
	"static void *keep(void *p) { if (p) owned[nowned++] = p; return p; }\n"
	"static void *load(const char *path, size_t n, int is_str)\n"
	"{\n"
	"\tFILE *f = fopen(path, \"rb\");\n"
	"\tunsigned char *p;\n"
	"\tlong len;\n"
	"\tif (!f) { fprintf(stderr, \"cannot open %s\\n\", path); exit(3); }\n"
	"\tfseek(f, 0, SEEK_END); len = ftell(f); fseek(f, 0, SEEK_SET);\n"
	"\tp = keep(malloc((size_t)len + n + 1));\n"
	"\tif (!p || fread(p, 1, (size_t)len, f) != (size_t)len) exit(3);\n"
	"\tfclose(f);\n"
	"\tif (is_str) {\n"
	"\t\t/* NUL-separated strings -> array of pointers after the text */\n"
	"\t\tconst char **s = keep(malloc(n + sizeof(char *))); size_t k = 0; long i = 0;\n"
	"\t\tif (!s) exit(3);\n"
	"\t\twhile (i < len && k < n / sizeof(char *)) { s[k++] = (const char *)p + i; i += (long)strlen((const char *)p + i) + 1; }\n"
	"\t\treturn s;\n"
	"\t}\n"
	"\tif ((size_t)len != n) { fprintf(stderr, \"%s has %ld bytes, expected %zu\\n\", path, len, n); exit(3); }\n"
	"\treturn p;\n"
	"}\n"
	"#ifdef model_WEIGHTS_SIZE\n"
	"#define NWEIGHTS 1\n"
	"static void *load_weights(const char *path)\n"
	"{\n"
	"\tvoid *p = NULL;\n"
	"\tFILE *f = fopen(path, \"rb\");\n"
	"\tif (!f || posix_memalign(&p, 64, model_WEIGHTS_SIZE) != 0) exit(3);\n"
	"\tkeep(p);\n"
	"\tif (fread(p, 1, model_WEIGHTS_SIZE, f) != model_WEIGHTS_SIZE || fgetc(f) != EOF) { fprintf(stderr, \"%s is not %d bytes\\n\", path, (int)model_WEIGHTS_SIZE); exit(3); }\n"
	"\tfclose(f);\n"
	"\treturn p;\n"
	"}\n"
	"#else\n"
	"#define NWEIGHTS 0\n"
	"#endif\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"\tconst void *in[model_NUM_INPUTS + 1];\n"
	"\tvoid *out[model_NUM_OUTPUTS + 1];\n"
	"\tvoid *ws = NULL;\n"
	"\tint i, rc;\n"
	"\tif (argc != 1 + model_NUM_INPUTS + model_NUM_OUTPUTS + NWEIGHTS) { fprintf(stderr, \"usage\\n\"); return 3; }\n"
	"\tfor (i = 0; i < model_NUM_INPUTS; i++) in[i] = load(argv[1 + i], model_input_bytes[i], model_input_types[i] == 8);\n"
	"\tfor (i = 0; i < model_NUM_OUTPUTS; i++) {\n"
	"\t\tunsigned char *p = keep(malloc(model_output_bytes[i] + GUARD));\n"
	"\t\tif (!p) return 3;\n"
	"\t\tmemset(p, 0xA5, model_output_bytes[i] + GUARD);\n"
	"\t\tout[i] = p;\n"
	"\t}\n"
	"\tif (posix_memalign(&ws, 64, model_WORKSPACE_SIZE + GUARD) != 0) return 3;\n"
	"\tkeep(ws);\n"
	"\tmemset(ws, 0xA5, model_WORKSPACE_SIZE + GUARD);\n"
	"#ifdef model_WEIGHTS_SIZE\n"
	"\t{\n"
	"\t\tvoid *w = load_weights(argv[1 + model_NUM_INPUTS + model_NUM_OUTPUTS]);\n"
	"\t\trc = model_check_weights(w, model_WEIGHTS_SIZE);\n"
	"\t\tif (rc != 0) { fprintf(stderr, \"model_check_weights returned %d\\n\", rc); return 4; }\n"
	"\t\trc = model_run_with_weights(w, model_WEIGHTS_SIZE, in, out, ws);\n"
	"\t}\n"
	"#else\n"
	"\trc = model_run(in, out, ws);\n"
	"#endif\n"
	"\tif (rc != 0) { fprintf(stderr, \"model_run returned %d\\n\", rc); return 4; }\n"
	"\tfor (i = 0; i < model_NUM_OUTPUTS; i++) {\n"
	"\t\tconst unsigned char *p = out[i]; size_t k;\n"
	"\t\tFILE *f;\n"
	"\t\tfor (k = 0; k < GUARD; k++) if (p[model_output_bytes[i] + k] != 0xA5) { fprintf(stderr, \"output %d written past its end\\n\", i); return 5; }\n"
	"\t\tf = fopen(argv[1 + model_NUM_INPUTS + i], \"wb\");\n"
	"\t\tif (!f) return 3;\n"
	"\t\tif (model_output_types[i] == 8) {\n"
	"\t\t\tconst char *const *s = out[i];\n"
	"\t\t\tfor (k = 0; k < model_output_bytes[i] / sizeof(char *); k++) fwrite(s[k], 1, strlen(s[k]) + 1, f);\n"
	"\t\t} else if (model_output_bytes[i] && fwrite(p, 1, model_output_bytes[i], f) != model_output_bytes[i]) return 3;\n"
	"\t\tfclose(f);\n"
	"\t}\n"
	"\tfor (i = 0; i < 64; i++) if (((unsigned char *)ws)[model_WORKSPACE_SIZE + i] != 0xA5) { fprintf(stderr, \"workspace written past its end\\n\"); return 5; }\n"
	"\twhile (nowned) free(owned[--nowned]);\n"
	"\treturn 0;\n"
	"}\n";

static void set_result(Verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_result(Verify *v, const char *fmt, ...)
{
	if (v->result[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->result, sizeof v->result, fmt, ap);
	va_end(ap);
	for (char *p = v->result; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Runs argv with stdout+stderr to `log`; returns the exit status, 128+signal, or -1. */
static int run(char *const argv[], const char *log, int timeout)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (f)
			dup2(fileno(stdout), 2);
		if (timeout > 0)
			alarm((unsigned)timeout);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void first_lines(const char *path, char *buf, size_t n, const char *want)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1024];
	size_t k = 0;
	while (fgets(line, sizeof line, f) && k + 1 < n) {
		if (want && !strstr(line, want))
			continue;
		line[strcspn(line, "\n")] = 0;
		k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? " | " : "", line);
		if (want)
			break;
	}
	fclose(f);
}

static int write_text(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	bool ok = fwrite(text, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Compiles the model with the data set's bindings and builds the program. */
static int build(Verify *v, Options *opt)
{
	Diag d;
	for (int attempt = 0;; attempt++) {
		diag_init(&d, v->model);
		Out c, h, bin;
		out_init(&c);
		out_init(&h);
		out_init(&bin);
		opt->prefix = "model";
		if (drv_compile(v->model, opt, "model.h", &c, &h, &bin, NULL, NULL, &d) == 0) {
			char path[4200];
			snprintf(path, sizeof path, "%s/model.bin", v->dir);
			if (opt->weights_file && write_text(path, bin.buf, bin.len) != 0) {
				set_result(v, "cnnc-error: cannot write to %s", v->dir);
				out_free(&c);
				out_free(&h);
				out_free(&bin);
				return -1;
			}
			out_free(&bin);
			if (v->last_c && c.buf && strcmp(v->last_c, c.buf) == 0) {
				out_free(&c);
				out_free(&h);
				return 0;
			}
			free(v->last_c);
			v->last_c = NULL;
			snprintf(path, sizeof path, "%s/model.c", v->dir);
			int rc = write_text(path, c.buf ? c.buf : "", c.len);
			snprintf(path, sizeof path, "%s/model.h", v->dir);
			rc |= write_text(path, h.buf ? h.buf : "", h.len);
			snprintf(path, sizeof path, "%s/harness.c", v->dir);
			rc |= write_text(path, harness, sizeof harness - 1);
			if (rc == 0)
				v->last_c = c.buf ? strdup(c.buf) : NULL;
			out_free(&c);
			out_free(&h);
			if (rc) {
				set_result(v, "cnnc-error: cannot write to %s", v->dir);
				return -1;
			}
			break;
		}
		out_free(&c);
		out_free(&h);
		out_free(&bin);
		if (!d.need_input[0] || attempt > MAX_IO) {
			if (strstr(d.msg, "unsupported operator"))
				set_result(v, "unsupported: %s", d.msg);
			else
				set_result(v, "cnnc-error: %s", d.msg);
			return -1;
		}
		/* bind the input from this data set and try again */
		int k = 0;
		while (k < v->ninputs && strcmp(v->names[k], d.need_input) != 0)
			k++;
		if (k == v->ninputs) {
			set_result(v, "cnnc-error: %s", d.msg);
			return -1;
		}
		opt->values = NULL; /* rebuilt below by the caller's loop */
		return 1 + k;
	}
	/* cc [flags] -o prog model.c harness.c -lm */
	char *argv[64];
	int ac = 0;
	char *ccdup = arena_strdup(v->a, v->cc), *fldup = arena_strdup(v->a, v->cflags);
	for (char *t = strtok(ccdup, " "); t && ac < 20; t = strtok(NULL, " "))
		argv[ac++] = t;
	for (char *t = strtok(fldup, " "); t && ac < 50; t = strtok(NULL, " "))
		argv[ac++] = t;
	char prog[4200], mc[4200], hc[4200], log[4200];
	snprintf(prog, sizeof prog, "%s/prog", v->dir);
	snprintf(mc, sizeof mc, "%s/model.c", v->dir);
	snprintf(hc, sizeof hc, "%s/harness.c", v->dir);
	snprintf(log, sizeof log, "%s/cc.log", v->dir);
	argv[ac++] = "-o";
	argv[ac++] = prog;
	if (v->one_unit) {
		/* unit.c includes model.c and harness.c: one compiler run instead of two
		   (a test suite of thousands of tiny models spends most time starting cc) */
		static const char unit[] = "#define _POSIX_C_SOURCE 200112L\n#include \"model.c\"\n"
					   "#include \"harness.c\"\n";
		snprintf(mc, sizeof mc, "%s/unit.c", v->dir);
		if (write_text(mc, unit, sizeof unit - 1) != 0) {
			set_result(v, "cnnc-error: cannot write to %s", v->dir);
			return -1;
		}
		argv[ac++] = mc;
	} else {
		argv[ac++] = mc;
		argv[ac++] = hc;
	}
	argv[ac++] = "-lm";
	argv[ac] = NULL;
	int rc = run(argv, log, 600);
	if (rc != 0) {
		char msg[1024];
		first_lines(log, msg, sizeof msg, "error");
		if (!msg[0])
			first_lines(log, msg, sizeof msg, NULL);
		set_result(v, "cc-error: %s (exit %d)", msg, rc);
		free(v->last_c);
		v->last_c = NULL;
		return -1;
	}
	return 0;
}

static bool close_enough(double got, double want, double rtol, double atol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= atol + rtol * fabs(want);
}

/* Compares the program's raw output file with the expected tensor. */
static int compare(Verify *v, const char *set, int k, const char *path, const Tensor *want)
{
	unsigned char *buf;
	size_t len;
	Diag d;
	diag_init(&d, path);
	if (fe_read_file(path, (int64_t)1 << 40, &buf, &len, &d) < 0) {
		set_result(v, "run-error: %s", d.msg);
		return -1;
	}
	int64_t n = shape_numel(&want->shape);
	int rc = 0;
	DType dt = want->dtype;
	if (dt == DT_STRING) {
		size_t off = 0;
		for (int64_t i = 0; i < n; i++) {
			const char *w = ((const char *const *)want->data)[i];
			if (off >= len || strcmp((const char *)buf + off, w) != 0) {
				set_result(v, "wrong-result: %s output %d: string %lld differs", set, k,
					   (long long)i);
				rc = -1;
				break;
			}
			off += strlen((const char *)buf + off) + 1;
		}
		fe_free_file(buf, len);
		printf("  %s: output %d: %s\n", set, k, rc ? "FAIL" : "ok");
		return rc;
	}
	if ((int64_t)len != dtype_bytes(dt, n)) {
		set_result(v, "wrong-result: %s output %d has %zu bytes, expected %lld", set, k, len,
			   (long long)dtype_bytes(dt, n));
		fe_free_file(buf, len);
		return -1;
	}
	bool fl = dtype_info(dt)->is_float;
	double maxerr = 0;
	int64_t bad = -1;
	for (int64_t i = 0; i < n; i++) {
		if (fl) {
			double g = dtype_get_f64(dt, buf, i), w = dtype_get_f64(dt, want->data, i);
			double err = isnan(g) != isnan(w) ? INFINITY : isnan(w) ? 0 : fabs(g - w);
			if (isinf(w) || isinf(g))
				err = g == w ? 0 : INFINITY;
			if (err > maxerr)
				maxerr = err;
			if (bad < 0 && !close_enough(g, w, v->rtol, v->atol))
				bad = i;
		} else {
			int64_t g = dtype_get_i64(dt, buf, i), w = dtype_get_i64(dt, want->data, i);
			double err = fabs((double)g - (double)w);
			if (err > maxerr)
				maxerr = err;
			if (bad < 0 && g != w)
				bad = i;
		}
	}
	char sh[256];
	printf("  %s: output %d %s%s: max abs err %g %s\n", set, k, dtype_name(dt),
	       shape_str(&want->shape, sh, sizeof sh), maxerr, bad < 0 ? "ok" : "FAIL");
	if (bad >= 0) {
		set_result(v, "wrong-result: %s output %d: max abs err %g; element %lld is %.9g, expected %.9g",
			   set, k, maxerr, (long long)bad, dtype_get_f64(dt, buf, bad),
			   dtype_get_f64(dt, want->data, bad));
		rc = -1;
	}
	fe_free_file(buf, len);
	return rc;
}

static int load_numbered(Verify *v, const char *set, const char *kind, DataValue *t, int max)
{
	bool in = strcmp(kind, "input") == 0;
	int n = 0;
	for (; n < max; n++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s_%d.pb", set, kind, n);
		if (!file_exists(path))
			break;
		Diag d;
		diag_init(&d, path);
		ValueType vk = VT_TENSOR;
		if (in && n < v->ninputs)
			vk = v->in_kinds[n];
		else if (!in && n < v->nouts)
			vk = v->out_kinds[n];
		if (fe_load_data_file(path, vk, v->a, &t[n], &d) < 0) {
			set_result(v, "bad-data: %s", d.msg);
			return -1;
		}
	}
	return n;
}

/* The shape binding of input `name` from its data: a shape, a sequence's element
   shapes, or an empty optional. */
static ShapeBinding bind_from(Verify *v, const char *name, const DataValue *dv)
{
	ShapeBinding b = {name, dv->t.shape, dv->none, false, 0, NULL};
	if (dv->kind == VT_SEQUENCE || (dv->kind == VT_OPTIONAL && dv->inner == VT_SEQUENCE)) {
		Shape *el = arena_alloc(v->a, ((size_t)dv->nelems + 1) * sizeof *el);
		for (int i = 0; i < dv->nelems; i++)
			el[i] = dv->elems[i].shape;
		b.is_seq = !dv->none;
		b.nelems = dv->nelems;
		b.elems = el;
	}
	return b;
}

static int write_raw(const char *path, const Tensor *t)
{
	int64_t n = shape_numel(&t->shape);
	if (t->dtype != DT_STRING)
		return write_text(path, t->data, (size_t)dtype_bytes(t->dtype, n));
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		const char *s = ((const char *const *)t->data)[i];
		fwrite(s, 1, strlen(s) + 1, f);
	}
	return fclose(f);
}

static int verify_set(Verify *v, const char *set)
{
	DataValue *din = arena_alloc(v->a, MAX_IO * sizeof(DataValue));
	DataValue *dwant = arena_alloc(v->a, MAX_IO * sizeof(DataValue));
	int nin = load_numbered(v, set, "input", din, MAX_IO);
	int nout = load_numbered(v, set, "output", dwant, MAX_IO);
	if (nin < 0 || nout < 0)
		return -1;
	/* sequences and optionals cross the interface flat: compare and feed that */
	Tensor *in = arena_alloc(v->a, MAX_IO * sizeof(Tensor));
	Tensor *want = arena_alloc(v->a, MAX_IO * sizeof(Tensor));
	for (int k = 0; k < nin; k++)
		in[k] = din[k].t;
	for (int k = 0; k < nout; k++)
		want[k] = dwant[k].t;
	if (nin != v->ninputs) {
		set_result(v, "bad-data: %s has %d inputs, the model takes %d", set, nin, v->ninputs);
		return -1;
	}
	/* bind every input's shape; bind values the compiler asks for */
	Options opt = v->base;
	opt.shapes = arena_alloc(v->a, (size_t)(nin + v->base.nshapes + 1) * sizeof(ShapeBinding));
	if (v->base.nshapes)
		memcpy(opt.shapes, v->base.shapes, (size_t)v->base.nshapes * sizeof(ShapeBinding));
	for (int k = 0; k < nin; k++)
		opt.shapes[opt.nshapes++] = bind_from(v, v->names[k], &din[k]);
	ValueBinding *vals = arena_alloc(v->a, (size_t)(nin + v->base.nvalues + 1) * sizeof(ValueBinding));
	if (v->base.nvalues)
		memcpy(vals, v->base.values, (size_t)v->base.nvalues * sizeof(ValueBinding));
	int nvals = v->base.nvalues;
	for (;;) {
		opt.values = vals;
		opt.nvalues = nvals;
		int rc = build(v, &opt);
		if (rc == 0)
			break;
		if (rc < 0 || nvals > nin + v->base.nvalues)
			return -1;
		int k = rc - 1;
		if (din[k].kind == VT_SEQUENCE) {
			set_result(v, "cnnc-error: sequence input '%s' would have to be fixed at compile "
				   "time", v->names[k]);
			return -1;
		}
		vals[nvals++] = (ValueBinding){v->names[k], in[k]};
		printf("  %s: input '%s' determines a shape; fixing it with --input-value\n", set,
		       v->names[k]);
	}
	char *argv[2 * MAX_IO + 24];
	char *paths = arena_alloc(v->a, (size_t)(nin + nout) * 4200);
	int ac = 0;
	char prog[4200];
	snprintf(prog, sizeof prog, "%s/prog", v->dir);
	if (v->runner) { /* e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu" */
		char *r = arena_strdup(v->a, v->runner);
		for (char *t = strtok(r, " "); t && ac < 20; t = strtok(NULL, " "))
			argv[ac++] = t;
	}
	argv[ac++] = prog;
	for (int k = 0; k < nin; k++) {
		char *p = paths + (size_t)k * 4200;
		snprintf(p, 4200, "%s/in_%d.bin", v->dir, k);
		if (write_raw(p, &in[k]) != 0) {
			set_result(v, "run-error: cannot write %s", p);
			return -1;
		}
		argv[ac++] = p;
	}
	for (int k = 0; k < nout; k++) {
		char *p = paths + (size_t)(nin + k) * 4200;
		snprintf(p, 4200, "%s/out_%d.bin", v->dir, k);
		unlink(p);
		argv[ac++] = p;
	}
	char wpath[4200];
	snprintf(wpath, sizeof wpath, "%s/model.bin", v->dir);
	if (opt.weights_file)
		argv[ac++] = wpath;
	argv[ac] = NULL;
	char log[4200];
	snprintf(log, sizeof log, "%s/run.log", v->dir);
	int rc = run(argv, log, v->timeout);
	if (rc != 0) {
		char msg[512];
		first_lines(log, msg, sizeof msg, NULL);
		if (rc == 128 + SIGALRM)
			set_result(v, "run-error: %s: timed out after %d s", set, v->timeout);
		else
			set_result(v, "run-error: %s: exit status %d %s", set, rc, msg);
		return -1;
	}
	int bad = 0;
	const char *shortset = strrchr(set, '/') ? strrchr(set, '/') + 1 : set;
	for (int k = 0; k < nout; k++)
		bad |= compare(v, shortset, k, paths + (size_t)(nin + k) * 4200, &want[k]) < 0;
	return bad ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The data set folders under one argument: itself if it holds input_0.pb or
   output_0.pb, else its test_data_set_* children in order. */
static int collect_sets(Verify *v, const char *arg, char ***sets, int *nsets)
{
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/output_0.pb", arg);
	char probe2[4200];
	snprintf(probe2, sizeof probe2, "%s/input_0.pb", arg);
	if (file_exists(probe) || file_exists(probe2)) {
		(*sets)[(*nsets)++] = arena_strdup(v->a, arg);
		return 0;
	}
	DIR *dir = opendir(arg);
	if (!dir)
		return -1;
	struct dirent *e;
	int start = *nsets;
	while ((e = readdir(dir)) && *nsets < 1000)
		if (strncmp(e->d_name, "test_data_set_", 14) == 0)
			(*sets)[(*nsets)++] = arena_printf(v->a, "%s/%s", arg, e->d_name);
	closedir(dir);
	qsort(*sets + start, (size_t)(*nsets - start), sizeof(char *), cmp_str);
	return *nsets > start ? 0 : -1;
}

static const char verify_usage[] =
	"usage: cnnc verify [options] MODEL.onnx|CASE_DIR [DATA_DIR...]\n"
	"\n"
	"Compiles MODEL, builds it with $CC (default cc), runs it on each data set and\n"
	"compares every output. A DATA_DIR holds input_K.pb/output_K.pb, or is a folder of\n"
	"test_data_set_N folders; without one, the folders beside MODEL are used. A\n"
	"CASE_DIR is a folder with model.onnx and its test_data_set_N folders.\n"
	"\n"
	"options (besides those of cnnc):\n"
	"  --rtol R, --atol A   float tolerance: |got - want| <= A + R * |want|\n"
	"                       (default 1e-3 and 1e-5)\n"
	"  --cflags \"...\"      compiler flags (default: $CNNC_CFLAGS, or\n"
	"                       -std=c99 -O1 -Wall -Wextra -Werror)\n"
	"  --keep DIR           build in DIR and keep it\n"
	"  --timeout S          seconds the compiled program may run (default 60)\n"
	"  --runner \"CMD\"       run the program through CMD, e.g. an emulator for a\n"
	"                       cross-compiled build: --runner qemu-aarch64\n"
	"  --one-unit           compile model.c and the harness as one translation\n"
	"                       unit (one compiler run: faster for many small models)\n"
	"\n"
	"With --weights=file the program loads model.bin, checks it with\n"
	"model_check_weights() and runs model_run_with_weights().\n"
	"\n"
	"The last line is RESULT PASS, or RESULT FAIL <category>: <detail>.\n";

int drv_verify(int argc, char **argv)
{
	Verify v = {0};
	v.a = arena_new();
	v.rtol = 1e-3;
	v.atol = 1e-5;
	v.timeout = 60;
	v.cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	v.cflags = getenv("CNNC_CFLAGS") && *getenv("CNNC_CFLAGS") ? getenv("CNNC_CFLAGS")
								   : "-std=c99 -O1 -Wall -Wextra -Werror";
	char **dirs = arena_alloc(v.a, (size_t)(argc + 1) * sizeof(char *));
	int ndirs = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(verify_usage, stdout);
			return 0;
		}
		if (strcmp(arg, "--one-unit") == 0) {
			v.one_unit = true;
			continue;
		}
		if ((strcmp(arg, "--rtol") == 0 || strcmp(arg, "--atol") == 0 ||
		     strcmp(arg, "--cflags") == 0 || strcmp(arg, "--keep") == 0 ||
		     strcmp(arg, "--timeout") == 0 || strcmp(arg, "--runner") == 0)) {
			if (!val) {
				fprintf(stderr, "cnnc: error: %s needs a value\n", arg);
				return 2;
			}
			if (strcmp(arg, "--rtol") == 0)
				v.rtol = atof(val);
			else if (strcmp(arg, "--atol") == 0)
				v.atol = atof(val);
			else if (strcmp(arg, "--cflags") == 0)
				v.cflags = val;
			else if (strcmp(arg, "--keep") == 0)
				v.keep = val;
			else if (strcmp(arg, "--runner") == 0)
				v.runner = val;
			else
				v.timeout = atoi(val);
			i++;
			continue;
		}
		int used = drv_parse_option(&v.base, v.a, argc, argv, i);
		if (used < 0)
			return 2;
		if (used > 0) {
			i += used - 1;
			continue;
		}
		if (arg[0] == '-') {
			fprintf(stderr, "cnnc: error: unknown option '%s' (see cnnc verify --help)\n", arg);
			return 2;
		}
		if (!v.model)
			v.model = arg;
		else
			dirs[ndirs++] = argv[i];
	}
	if (!v.model) {
		fputs(verify_usage, stderr);
		return 2;
	}
	struct stat st;
	if (stat(v.model, &st) == 0 && S_ISDIR(st.st_mode)) /* a test case folder */
		v.model = arena_printf(v.a, "%s/model.onnx", v.model);
	if (!ndirs) {
		char *d = arena_strdup(v.a, v.model);
		char *slash = strrchr(d, '/');
		dirs[ndirs++] = slash ? (*slash = 0, d) : ".";
	}
	printf("cnnc verify: %s\n", v.model);
	Diag d;
	diag_init(&d, v.model);
	int nkinds = 0;
	if (fe_model_inputs(v.model, v.a, &v.names, &v.ninputs, &d) < 0 ||
	    fe_model_io_kinds(v.model, v.a, &v.in_kinds, &nkinds, &v.out_kinds, &v.nouts, &d) < 0) {
		printf("RESULT FAIL cnnc-error: %s\n", d.msg);
		return 1;
	}
	if (v.keep) {
		mkdir(v.keep, 0755);
		snprintf(v.dir, sizeof v.dir, "%s", v.keep);
	} else {
		const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(v.dir, sizeof v.dir, "%s/cnnc-verify-XXXXXX", tmp);
		if (!mkdtemp(v.dir)) {
			printf("RESULT FAIL cnnc-error: cannot make a build folder in %s\n", tmp);
			return 1;
		}
	}
	char **sets = arena_alloc(v.a, 1024 * sizeof(char *));
	int nsets = 0;
	for (int i = 0; i < ndirs; i++)
		if (collect_sets(&v, dirs[i], &sets, &nsets) < 0)
			set_result(&v, "bad-data: no test data in '%s'", dirs[i]);
	for (int i = 0; i < nsets && !v.result[0]; i++) {
		const char *set = strrchr(sets[i], '/') ? strrchr(sets[i], '/') + 1 : sets[i];
		if (verify_set(&v, sets[i]) == 0)
			printf("  %s: PASS\n", set);
	}
	if (!v.keep) {
		static const char *const files[] = {"model.c", "model.h", "model.bin", "harness.c", "prog",
						    "cc.log", "run.log"};
		char p[4200];
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			snprintf(p, sizeof p, "%s/%s", v.dir, files[i]);
			unlink(p);
		}
		for (int k = 0; k < MAX_IO; k++) {
			snprintf(p, sizeof p, "%s/in_%d.bin", v.dir, k);
			unlink(p);
			snprintf(p, sizeof p, "%s/out_%d.bin", v.dir, k);
			unlink(p);
		}
		rmdir(v.dir);
	}
	free(v.last_c);
	int fail = v.result[0] != 0;
	if (fail)
		printf("RESULT FAIL %s\n", v.result);
	else
		printf("RESULT PASS\n");
	arena_free(v.a);
	return fail;
}
