/* pipeline.c - the ordered list of passes, read top to bottom.
 *
 * After every pass the IR is verified (structure, one producer per value, no
 * cycles), so a pass that breaks the graph is caught where it did it. With -v each
 * pass reports what changed in node count, and what it did when it left a note
 * (g->note); with -d <pass> the IR is dumped after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static const struct {
	const char *name;
	PassFn fn;
} pipeline[] = {
	{"infer_shapes", pass_infer_shapes},   /* types and shapes; folds constants */
	{"gradient", pass_gradient},           /* Gradient -> backward nodes */
	{"fold_qdq", pass_fold_qdq},           /* quantized Conv/MatMul -> int8 kernels */
	{"eliminate_dead", pass_eliminate_dead}, /* drops folded and unused nodes */
	{"fold_batchnorm", pass_fold_batchnorm}, /* BN, per-channel Mul/Add into Conv weights */
	{"fold_pad", pass_fold_pad},           /* constant Pad into Conv/pool pads, when exact */
	{"fuse_conv", pass_fuse_conv},         /* Conv [+Add] [+act] -> blocked FusedConv */
	{"fuse_conv_pool", pass_fuse_conv_pool}, /* FusedConv -> pool: pooled in the kernel */
	{"fuse_gemm", pass_fuse_gemm},         /* Gemm/MatMul [+bias] [+act] -> FusedGemm */
	{"select_layout", pass_select_layout}, /* NCHWc where it pays; Reorders between */
	{"plan_memory", pass_plan_memory},     /* workspace offsets, views */
};

int passes_run(Graph *g, const Options *opt, Diag *d, const PassLog *log)
{
	char line[512];
	for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++) {
		uint32_t before = g->nnodes;
		if (pipeline[i].fn(g, opt, d) < 0)
			return -1;
		if (ir_verify(g, d) < 0)
			return -1;
		if (log) {
			snprintf(line, sizeof line, "pass %-16s nodes %u -> %u", pipeline[i].name, before,
				 g->nnodes);
			log->line(log->ctx, line);
			if (g->note[0] && opt && opt->verbose) {
				snprintf(line, sizeof line, "  %s: %s", pipeline[i].name, g->note);
				log->line(log->ctx, line);
			}
		}
		g->note[0] = 0;
		if (log && opt && opt->dump_after &&
		    (strcmp(opt->dump_after, "all") == 0 || strcmp(opt->dump_after, pipeline[i].name) == 0)) {
			char *text = ir_print(g);
			snprintf(line, sizeof line, "-- after %s", pipeline[i].name);
			log->line(log->ctx, line);
			log->line(log->ctx, text);
			free(text);
		}
	}
	return 0;
}
