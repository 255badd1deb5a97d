/* main.c - the cnnc command: arguments, then frontend -> passes -> codegen, then files.
 * The only place that exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "codegen/ops/ops.h"
#include "driver/driver.h"

static const char usage[] =
	"usage: cnnc [options] MODEL.onnx -o MODEL.c\n"
	"       cnnc --summary[=json] [options] MODEL.onnx\n"
	"       cnnc verify [options] MODEL.onnx DATA_DIR...\n"
	"\n"
	"Compiles an ONNX model into standalone C: MODEL.c and MODEL.h beside it\n"
	"(and MODEL.bin with --weights=file).\n"
	"\n"
	"options:\n"
	"  -o FILE                 the C file to write (the header gets the same name, .h)\n"
	"  --name P                prefix of every external symbol (default: from -o)\n"
	"  --dim N=V               bind symbolic dimension N (batch, ...) to V\n"
	"  --input-shape X=AxBxC   give graph input X this shape (X=seq:AxB/C for a sequence\n"
	"                          of two tensors, X=none for an empty optional)\n"
	"  --input-value X=F.pb    fix graph input X to the tensor in F.pb at compile time\n"
	"                          (needed when X determines a shape); P_run returns 2 if\n"
	"                          it is called with another value\n"
	"  --outputs T1,T2         also return these intermediate tensors (feature maps)\n"
	"  --cut T                 compute only what tensor T needs and return T\n"
	"  --target T              host (default), generic, x86-64-v3, x86-64-v4, aarch64\n"
	"  --weights=MODE          embed (default): constants in MODEL.c; file: constants in\n"
	"                          MODEL.bin beside it, passed to P_run_with_weights()\n"
	"  --winograd=MODE         3x3 stride-1 convolutions by Winograd F(4x4,3x3): auto\n"
	"                          (default: where it pays for its 4x weights), off, force\n"
	"                          (every one the SIMD kernels can run that way)\n"
	"  -v                      report what each pass did\n"
	"  -d PASS                 dump the IR after PASS (or 'all')\n"
	"  --summary[=json]        print per node: op, output shape, parameters, MACs,\n"
	"                          receptive field and jump; totals, with flash (weights +\n"
	"                          code estimate) and RAM (workspace + I/O) (no files\n"
	"                          written unless -o is given too)\n"
	"  --dot FILE              write the optimised graph for Graphviz\n"
	"  --list-ops              print the operators cnnc supports (markdown table)\n"
	"  --help, --version\n"
	"\n"
	"cnnc verify compiles the model, builds it with $CC (default cc), runs it on every\n"
	"input_K.pb of each DATA_DIR and compares every output_K.pb; see cnnc verify --help.\n";

/* The op table as a markdown table, for the README (scripts/gen_op_table.sh). */
static void list_ops(void)
{
	printf("| operator | domain |\n|---|---|\n");
	for (int k = 0; k < OP_COUNT; k++) {
		if (strcmp(op_domain((OpKind)k), "cnnc") == 0 || !op_def((OpKind)k)->infer)
			continue;
		printf("| %s | %s |\n", op_name((OpKind)k), *op_domain((OpKind)k) ? op_domain((OpKind)k) : "ai.onnx");
	}
}

/* model.c while it is being written (a temporary file), removed on failure */
static TempFile model_c;

static void fail(const Diag *d)
{
	fprintf(stderr, "cnnc: error: %s\n", d->msg);
	drv_abort_temp(&model_c);
	exit(1);
}

/* the command's arena, freed at exit whichever path returns */
static Arena *main_arena;

static void free_main_arena(void)
{
	arena_free(main_arena);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return drv_verify(argc - 1, argv + 1);
	Arena *a = main_arena = arena_new();
	if (!a) {
		fputs("cnnc: error: out of memory\n", stderr);
		return 1;
	}
	atexit(free_main_arena);
	Options opt = {0};
	const char *model = NULL, *out = NULL;
	int summary = 0; /* 1 table, 2 json */
	const char *dot = NULL;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(arg, "--list-ops") == 0) {
			list_ops();
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("cnnc %s\n", CNNC_VERSION);
			return 0;
		}
		if (strcmp(arg, "--summary") == 0 || strcmp(arg, "--summary=json") == 0) {
			summary = arg[9] ? 2 : 1;
			continue;
		}
		if (strcmp(arg, "--dot") == 0) {
			if (i + 1 >= argc) {
				fputs("cnnc: error: --dot needs a file name\n", stderr);
				return 1;
			}
			dot = argv[++i];
			continue;
		}
		if (strcmp(arg, "-o") == 0) {
			if (i + 1 >= argc) {
				fputs("cnnc: error: -o needs a file name\n", stderr);
				return 1;
			}
			out = argv[++i];
			continue;
		}
		int used = drv_parse_option(&opt, a, argc, argv, i);
		if (used < 0)
			return 1;
		if (used > 0) {
			i += used - 1;
			continue;
		}
		if (arg[0] == '-' && arg[1]) {
			fprintf(stderr, "cnnc: error: unknown option '%s' (see cnnc --help)\n", arg);
			return 1;
		}
		if (model) {
			fprintf(stderr, "cnnc: error: more than one model given ('%s' and '%s')\n", model, arg);
			return 1;
		}
		model = arg;
	}
	if (!model || (!out && !summary && !dot)) {
		fputs(usage, stderr);
		return 1;
	}
	bool write = out != NULL;
	if (!out)
		out = "model.c"; /* names the symbols only: nothing is written without -o */
	size_t n = strlen(out);
	if (n < 3 || strcmp(out + n - 2, ".c") != 0) {
		fprintf(stderr, "cnnc: error: the output file '%s' must end in .c\n", out);
		return 1;
	}
	char *hpath = arena_strdup(a, out);
	hpath[n - 1] = 'h';
	char *binpath = arena_printf(a, "%.*s.bin", (int)(n - 2), out);
	const char *base = strrchr(hpath, '/') ? strrchr(hpath, '/') + 1 : hpath;
	char prefix[64];
	if (!opt.prefix) {
		char stem[256];
		snprintf(stem, sizeof stem, "%.*s", (int)strlen(base) - 2, base);
		cg_identifier(stem, prefix, sizeof prefix);
		opt.prefix = prefix;
	} else {
		cg_identifier(opt.prefix, prefix, sizeof prefix);
		if (strcmp(prefix, opt.prefix) != 0) {
			fprintf(stderr, "cnnc: error: --name '%s' is not a C identifier (try '%s')\n",
				opt.prefix, prefix);
			return 1;
		}
	}
	Diag d;
	diag_init(&d, model);
	Out c, h;
	out_init(&c);
	out_init(&h);
	Out bin;
	out_init(&bin);
	Graph *g = NULL;
	Out report;
	out_init(&report);
	bool want_graph = summary || dot;
	if (write) { /* the constants of a big model stream to the file as they are made */
		if (drv_open_temp(out, &model_c, &d) < 0)
			fail(&d);
		c.sink = model_c.f;
	}
	if (drv_compile(model, &opt, base, &c, &h, &bin, want_graph ? &g : NULL, summary ? &report : NULL,
			&d) < 0)
		fail(&d);
	if (summary)
		drv_summary(stdout, g, summary == 2, report.buf);
	if (dot) {
		FILE *f = fopen(dot, "w");
		if (!f || drv_dot(f, g) < 0 || fclose(f) != 0) {
			fprintf(stderr, "cnnc: error: cannot write '%s'\n", dot);
			drv_abort_temp(&model_c);
			return 1;
		}
	}
	if (g)
		graph_free(g);
	out_free(&report);
	diag_init(&d, out);
	if (write && opt.weights_file && drv_write_file(binpath, &bin, &d) < 0)
		fail(&d);
	if (write && (drv_write_file(hpath, &h, &d) < 0 || drv_finish_temp(&model_c, &c, &d) < 0))
		fail(&d);
	out_free(&c);
	out_free(&h);
	out_free(&bin);
	/* the arena is freed at exit */
	return 0;
}
