/* compile.c - model file in, C text out; and writing files safely. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../codegen/codegen.h"
#include "../frontend/frontend.h"
#include "../passes/passes.h"
#include "driver.h"

typedef struct DrvLog {
	int verbose;
	Out *keep; /* pass lines for --summary, or NULL */
} DrvLog;

/* Pass reports: printed with -v (and -d dumps always), kept for --summary. */
static void log_line(void *ctx, const char *line)
{
	DrvLog *lg = ctx;
	if (lg->verbose || strncmp(line, "pass ", 5) != 0)
		fprintf(stderr, "cnnc: %s\n", line);
	if (lg->keep && strncmp(line, "pass ", 5) == 0)
		out_printf(lg->keep, "  %s\n", line + 5);
}

/* SIMD width in floats for a target; for the host, what this machine's CPU has
   (the generated code is then to be built with -march=native). */
static int vector_width(Target t)
{
	switch (t) {
	case TARGET_GENERIC: return 0;
	case TARGET_X86_64_V3: return 8;
	case TARGET_X86_64_V4: return 16;
	case TARGET_AARCH64: return 4;
	case TARGET_HOST:
	default:
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx512f"))
			return 16;
		if (__builtin_cpu_supports("avx2"))
			return 8;
		return 4;
#elif defined(__aarch64__)
		return 4;
#else
		return 0;
#endif
	}
}

int drv_compile(const char *path, const Options *user, const char *header_name, Out *c, Out *h,
		Out *bin, Graph **g_out, Out *pass_report, Diag *d)
{
	Options local = user ? *user : (Options){0};
	const Options *opt = &local;
	local.vector_width = vector_width(local.target);
	Graph *g = fe_load_model(path, opt, d);
	if (!g)
		return -1;
	if (drv_apply_taps(g, opt, d) < 0) {
		graph_free(g);
		return -1;
	}
	DrvLog lg = {opt->verbose, pass_report};
	PassLog plog = {log_line, &lg};
	if (passes_run(g, opt, d, &plog) < 0 || cg_emit(g, opt, header_name, c, h, bin, d) < 0) {
		graph_free(g);
		return -1;
	}
	if (opt && opt->verbose) {
		char line[256];
		snprintf(line, sizeof line, "workspace %lld bytes, liveness lower bound %lld bytes",
			 (long long)g->workspace_size, (long long)g->workspace_bound);
		log_line(&lg, line);
	}
	if (g_out)
		*g_out = g;
	else
		graph_free(g);
	return 0;
}

int drv_open_temp(const char *path, TempFile *t, Diag *d)
{
	size_t n = strlen(path);
	t->path = path;
	t->f = NULL;
	t->tmp = malloc(n + 16);
	if (!t->tmp)
		return diag_error(d, "out of memory");
	snprintf(t->tmp, n + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(t->tmp);
	if (fd < 0) {
		int e = errno;
		free(t->tmp);
		t->tmp = NULL;
		return diag_error(d, "cannot write '%s': %s", path, strerror(e));
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	t->f = fdopen(fd, "wb");
	if (!t->f) {
		int e = errno;
		close(fd);
		drv_abort_temp(t);
		return diag_error(d, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

void drv_abort_temp(TempFile *t)
{
	if (t->f)
		fclose(t->f);
	if (t->tmp) {
		unlink(t->tmp);
		free(t->tmp);
	}
	t->f = NULL;
	t->tmp = NULL;
}

int drv_finish_temp(TempFile *t, const Out *o, Diag *d)
{
	bool ok = !o->failed && (o->len == 0 || fwrite(o->buf, 1, o->len, t->f) == o->len);
	ok &= fclose(t->f) == 0;
	t->f = NULL;
	if (!ok || rename(t->tmp, t->path) != 0) {
		int e = errno;
		drv_abort_temp(t);
		return diag_error(d, "cannot write '%s': %s", t->path, strerror(e ? e : EIO));
	}
	free(t->tmp);
	t->tmp = NULL;
	return 0;
}

int drv_write_file(const char *path, const Out *o, Diag *d)
{
	TempFile t;
	if (drv_open_temp(path, &t, d) < 0)
		return -1;
	return drv_finish_temp(&t, o, d);
}
