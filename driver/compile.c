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

static void log_line(const char *line)
{
	fprintf(stderr, "cnnc: %s\n", line);
}

int drv_compile(const char *path, const Options *opt, const char *header_name, Out *c, Out *h,
		Graph **g_out, Diag *d)
{
	Graph *g = fe_load_model(path, opt, d);
	if (!g)
		return -1;
	if (passes_run(g, opt, d, log_line) < 0 || cg_emit(g, opt, header_name, c, h, d) < 0) {
		graph_free(g);
		return -1;
	}
	if (opt && opt->verbose) {
		char line[256];
		snprintf(line, sizeof line, "workspace %lld bytes, liveness lower bound %lld bytes",
			 (long long)g->workspace_size, (long long)g->workspace_bound);
		log_line(line);
	}
	if (g_out)
		*g_out = g;
	else
		graph_free(g);
	return 0;
}

int drv_write_file(const char *path, const Out *o, Diag *d)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return diag_error(d, "out of memory");
	snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return diag_error(d, "cannot write '%s': %s", path, strerror(e));
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	FILE *f = fdopen(fd, "wb");
	bool ok = f && (o->len == 0 || fwrite(o->buf, 1, o->len, f) == o->len);
	if (f)
		ok &= fclose(f) == 0;
	else
		close(fd);
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return diag_error(d, "cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}
