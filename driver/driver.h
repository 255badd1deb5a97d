/* driver.h - the command-line tool's parts: compiling a model to files, and verify. */
#ifndef CNNC_DRIVER_H
#define CNNC_DRIVER_H

#include <stdio.h>

#include "../codegen/out.h"
#include "ir.h"

/* Loads, optimises and emits the model at path. c and h receive model.c and model.h,
   bin the weights file with --weights=file (may be NULL otherwise);
   header_name is how model.c includes the header. *g_out (if not NULL) receives the
   compiled graph, which the caller frees; pass_report (if not NULL) what each pass
   did. 0 or -1 with a diagnostic. */
int drv_compile(const char *path, const Options *opt, const char *header_name, Out *c, Out *h,
		Out *bin, Graph **g_out, Out *pass_report, Diag *d);

/* Applies --outputs / --cut to an imported graph. 0 or -1 with a diagnostic. */
int drv_apply_taps(Graph *g, const Options *opt, Diag *d);

/* Writes the --summary table (or JSON) of a compiled graph to f. 0 or -1. */
int drv_summary(FILE *f, const Graph *g, bool json, const char *pass_log);
/* Writes the compiled graph in Graphviz dot form to f. */
int drv_dot(FILE *f, const Graph *g);

/* Writes o to path through a temporary file renamed into place, so a failure never
   leaves a partial file. 0 or -1 with a diagnostic. */
int drv_write_file(const char *path, const Out *o, Diag *d);
/* The same in steps, for text streamed while it is made (Out.sink = t->f): the file
   is written as PATH.tmpXXXXXX and renamed to PATH only when complete. */
typedef struct TempFile {
	const char *path;
	char *tmp;
	FILE *f;
} TempFile;
int drv_open_temp(const char *path, TempFile *t, Diag *d);
int drv_finish_temp(TempFile *t, const Out *o, Diag *d); /* writes o's rest, renames */
void drv_abort_temp(TempFile *t);                         /* closes and removes it */

/* `cnnc verify [options] model.onnx DIR...`; returns the process exit status. */
int drv_verify(int argc, char **argv);

/* Parses one of the options shared by compile and verify (--dim, --input-shape,
   --input-value, --name, --target, --weights, -v, -d). Returns how many argv entries it used
   (0: not such an option, -1: bad value, message printed). */
int drv_parse_option(Options *opt, Arena *a, int argc, char **argv, int i);

#endif
