/* passes.h - the graph transformations, one per file, and the pipeline that orders them.
 *
 * Every pass has the same signature: it returns 0, or -1 once a diagnostic is
 * recorded in d. Passes never print, emit C or touch protobuf.
 */
#ifndef CNNC_PASSES_H
#define CNNC_PASSES_H

#include "ir.h"

typedef int (*PassFn)(Graph *g, const Options *opt, Diag *d);

int pass_infer_shapes(Graph *g, const Options *opt, Diag *d);
int pass_gradient(Graph *g, const Options *opt, Diag *d);
int pass_fold_qdq(Graph *g, const Options *opt, Diag *d);
int pass_eliminate_dead(Graph *g, const Options *opt, Diag *d);
int pass_fold_batchnorm(Graph *g, const Options *opt, Diag *d);
int pass_fold_pad(Graph *g, const Options *opt, Diag *d);
int pass_fuse_conv(Graph *g, const Options *opt, Diag *d);
int pass_fuse_conv_pool(Graph *g, const Options *opt, Diag *d);
int pass_fuse_gemm(Graph *g, const Options *opt, Diag *d);
int pass_select_layout(Graph *g, const Options *opt, Diag *d);
int pass_plan_memory(Graph *g, const Options *opt, Diag *d);

/* Where the pipeline reports: a line per pass ("pass NAME nodes A -> B") and the
   IR dumps that -d asks for. The callback decides what to print or keep. */
typedef struct PassLog {
	void (*line)(void *ctx, const char *text);
	void *ctx;
} PassLog;

/* Runs the whole pipeline on g, reporting to log (may be NULL). */
int passes_run(Graph *g, const Options *opt, Diag *d, const PassLog *log);

#endif
