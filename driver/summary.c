/* summary.c - `cnnc --summary`: what the optimised network costs, node by node.
 *
 * For every node of the compiled graph: name, op, output shape, parameters (the
 * elements of its constant inputs), multiply-accumulates, and along the spatial
 * path of a CNN the receptive field r and jump j of its output:
 *   r_k = r_{k-1} + (f_k - 1) * j_{k-1},  j_k = j_{k-1} * s_k,
 * with f the dilated kernel extent d * (f - 1) + 1 (per axis; the table shows
 * height x width). A node with several inputs takes the largest r and j of its
 * inputs; ops without a window pass them on. Totals follow: parameters, MACs,
 * weight bytes, workspace bytes and its liveness lower bound, and what each pass
 * did to the node count. --summary=json writes the same as one JSON object.
 *
 * For a microcontroller the totals also give flash and RAM: flash = weight bytes
 * + code, RAM = workspace + input and output buffers (the caller's stack comes on
 * top: a few hundred bytes, tests/embedded/m4.sh measures it). Code is estimated
 * at CODE_PER_KERNEL bytes per generated kernel plus CODE_FIXED: for
 * --target generic on a Cortex-M4 at -O2, lenet, dscnn and resnet8 measured 210 to
 * 420 bytes per kernel (arm-none-eabi-size of model.o without its constants).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/ops/conv_blocked.h"
#include "../codegen/ops/window.h"
#include "driver.h"

#define CODE_PER_KERNEL 400
#define CODE_FIXED 256 /* P_run, the interface tables */

typedef struct Rf {
	int64_t r[2], j[2]; /* receptive field and jump, height and width */
	bool spatial;       /* on the spatial path (has a window upstream) */
} Rf;

typedef struct NodeInfo {
	int64_t params, macs;
	Rf rf;
} NodeInfo;

/* Kernel extent, stride and dilation of a windowed node per axis; false if none. */
static bool window_of(const Graph *g, const Node *n, int64_t k[2], int64_t s[2], int64_t dl[2])
{
	if (n->op == OP_FUSEDCONV) {
		BlockedConv p;
		cb_from_node(n, &p);
		k[0] = p.kh, k[1] = p.kw, s[0] = p.sh, s[1] = p.sw, dl[0] = p.dh, dl[1] = p.dw;
		return true;
	}
	const Value *x = op_in(g, n, 0);
	bool conv = n->op == OP_CONV || n->op == OP_CONVTRANSPOSE;
	bool pool = n->op == OP_MAXPOOL || n->op == OP_AVERAGEPOOL || n->op == OP_POOLBLOCKED ||
		    n->op == OP_LPPOOL;
	if (!x || x->shape.rank != 4 || !(conv || pool))
		return false;
	if (n->op == OP_POOLBLOCKED && ir_attr_int(n, "kind", 0) >= 2) { /* global */
		k[0] = x->shape.dims[2], k[1] = x->shape.dims[3];
		s[0] = s[1] = dl[0] = dl[1] = 1;
		return true;
	}
	const Value *w = conv ? op_in(g, n, 1) : NULL;
	Window win;
	Diag d;
	diag_init(&d, "summary");
	if (win_read(g, n, 2, x->shape.dims + 2, w ? w->shape.dims + 2 : NULL, &win, &d) < 0)
		return false;
	for (int i = 0; i < 2; i++)
		k[i] = win.k[i], s[i] = win.s[i], dl[i] = win.d[i];
	return true;
}

static int64_t node_macs(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0), *x = op_in(g, n, 0), *w = op_in(g, n, 1);
	if (!y || !x)
		return 0;
	switch (n->op) {
	case OP_FUSEDCONV: {
		BlockedConv p;
		cb_from_node(n, &p);
		return p.n * p.oc * p.oh * p.ow * (p.ic / p.group) * p.kh * p.kw;
	}
	case OP_FUSEDGEMM: {
		const int64_t *d;
		return ir_attr_ints(n, "dims", &d) == 3 ? d[0] * d[1] * d[2] : 0;
	}
	case OP_CONV:
		return w ? ir_numel(y) * (ir_numel(w) / w->shape.dims[0]) : 0;
	case OP_CONVTRANSPOSE:
		return w ? ir_numel(x) * (ir_numel(w) / w->shape.dims[0]) : 0;
	case OP_GEMM: {
		bool ta = ir_attr_int(n, "transA", 0) != 0;
		return x->shape.rank == 2 ? ir_numel(y) * x->shape.dims[ta ? 0 : 1] : 0;
	}
	case OP_MATMUL:
		return x->shape.rank ? ir_numel(y) * x->shape.dims[x->shape.rank - 1] : 0;
	default:
		return 0;
	}
}

/* Parameters of n as the model defines them (fused kernels hold padded, packed
   copies, so they are counted from their logical sizes). */
static int64_t node_params(const Graph *g, const Node *n)
{
	if (n->op == OP_FUSEDCONV) {
		BlockedConv p;
		cb_from_node(n, &p);
		return p.oc * (p.ic / p.group) * p.kh * p.kw + p.oc;
	}
	if (n->op == OP_FUSEDGEMM) {
		const int64_t *d;
		return ir_attr_ints(n, "dims", &d) == 3 ? d[1] * d[2] + d[2] : 0;
	}
	int64_t c = 0;
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (v && v->data && !v->is_input)
			c += ir_numel(v);
	}
	return c;
}

static void merge_rf(Rf *acc, const Rf *in)
{
	if (!in->spatial)
		return;
	if (!acc->spatial) {
		*acc = *in;
		return;
	}
	for (int a = 0; a < 2; a++) {
		if (in->r[a] > acc->r[a])
			acc->r[a] = in->r[a];
		if (in->j[a] > acc->j[a])
			acc->j[a] = in->j[a];
	}
}

static void info_of(const Graph *g, uint32_t i, NodeInfo *info, const Rf *rf_of_value)
{
	const Node *n = ir_node(g, i);
	NodeInfo *ni = &info[i];
	memset(ni, 0, sizeof *ni);
	ni->params = node_params(g, n);
	ni->macs = node_macs(g, n);
	int64_t kk[2], s[2], dl[2];
	if (window_of(g, n, kk, s, dl)) {
		/* the window applies to input 0; a fused residual joins after it */
		if (ir_has_in(n, 0))
			merge_rf(&ni->rf, &rf_of_value[ir_storage(g, n->inputs[0])]);
		if (!ni->rf.spatial)
			ni->rf = (Rf){{1, 1}, {1, 1}, true};
		for (int a = 0; a < 2; a++) {
			int64_t f = dl[a] * (kk[a] - 1) + 1;
			ni->rf.r[a] += (f - 1) * ni->rf.j[a];
			ni->rf.j[a] *= s[a];
		}
		BlockedConv p;
		if (n->op == OP_FUSEDCONV && (cb_from_node(n, &p), p.pool.kind != CP_NONE)) {
			/* a pool fused into the conv (fuse_conv_pool) windows its output */
			int64_t pk[2] = {p.pool.kh, p.pool.kw}, ps[2] = {p.pool.sh, p.pool.sw};
			for (int a = 0; a < 2; a++) {
				ni->rf.r[a] += (pk[a] - 1) * ni->rf.j[a];
				ni->rf.j[a] *= ps[a];
			}
		}
		if (n->op == OP_FUSEDCONV && ir_has_in(n, 3))
			merge_rf(&ni->rf, &rf_of_value[ir_storage(g, n->inputs[3])]);
		return;
	}
	for (int k = 0; k < n->ninputs; k++)
		if (ir_has_in(n, k))
			merge_rf(&ni->rf, &rf_of_value[ir_storage(g, n->inputs[k])]);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int drv_summary(FILE *f, const Graph *g, bool json, const char *pass_log)
{
	NodeInfo *info = calloc(g->nnodes + 1, sizeof *info);
	Rf *rf = calloc(g->nvalues + 1, sizeof *rf);
	if (!info || !rf) {
		free(info);
		free(rf);
		return -1;
	}
	int64_t params = 0, macs = 0, wbytes = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		info_of(g, i, info, rf);
		const Node *n = ir_node(g, i);
		for (int k = 0; k < n->noutputs; k++)
			if (n->outputs[k] != IR_NONE)
				rf[n->outputs[k]] = info[i].rf;
		macs += info[i].macs;
		params += info[i].params;
	}
	for (uint32_t v = 0; v < g->nvalues; v++) {
		const Value *val = ir_value(g, v);
		bool used = false;
		for (uint32_t i = 0; i < g->nnodes && !used; i++)
			for (int k = 0; k < ir_node(g, i)->ninputs; k++)
				used |= ir_node(g, i)->inputs[k] == v;
		if (val->data && !val->is_input && used)
			wbytes += ir_bytes(val); /* as stored: packed and padded */
	}
	/* flash and RAM for a microcontroller (see the top of the file) */
	int64_t kernels = 0, io = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		kernels += !(n->noutputs > 0 && ir_out(n, 0) != IR_NONE &&
			     ir_value(g, ir_out(n, 0))->alias != IR_NONE); /* views have none */
	}
	for (int k = 0; k < g->ninputs; k++)
		io += ir_bytes(ir_value(g, g->inputs[k]));
	for (int k = 0; k < g->noutputs; k++)
		io += ir_bytes(ir_value(g, g->outputs[k]));
	int64_t code = CODE_FIXED + CODE_PER_KERNEL * kernels;
	int64_t flash = wbytes + code, ram = g->workspace_size + io;
	char sh[128];
	if (json) {
		fprintf(f, "{\"nodes\": [");
		for (uint32_t i = 0; i < g->nnodes; i++) {
			const Node *n = ir_node(g, i);
			const Value *y = op_outv(g, n, 0);
			fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
			json_string(f, n->name);
			fprintf(f, ", \"op\": ");
			json_string(f, n->op_type);
			fprintf(f, ", \"output_shape\": %s, \"params\": %lld, \"macs\": %lld",
				y ? shape_str(&y->shape, sh, sizeof sh) : "[]", (long long)info[i].params,
				(long long)info[i].macs);
			if (info[i].rf.spatial)
				fprintf(f, ", \"receptive_field\": [%lld, %lld], \"jump\": [%lld, %lld]",
					(long long)info[i].rf.r[0], (long long)info[i].rf.r[1],
					(long long)info[i].rf.j[0], (long long)info[i].rf.j[1]);
			fprintf(f, "}");
		}
		fprintf(f, "\n], \"totals\": {\"params\": %lld, \"macs\": %lld, \"weight_bytes\": %lld, "
			   "\"workspace_bytes\": %lld, \"workspace_lower_bound\": %lld, \"nodes\": %u, "
			   "\"kernels\": %lld, \"code_bytes_estimate\": %lld, \"flash_bytes_estimate\": %lld, "
			   "\"io_bytes\": %lld, \"ram_bytes\": %lld},\n",
			(long long)params, (long long)macs, (long long)wbytes, (long long)g->workspace_size,
			(long long)g->workspace_bound, g->nnodes, (long long)kernels, (long long)code,
			(long long)flash, (long long)io, (long long)ram);
		fprintf(f, " \"passes\": ");
		json_string(f, pass_log ? pass_log : "");
		fprintf(f, "}\n");
	} else {
		fprintf(f, "%-32s %-18s %-22s %10s %14s %12s %8s\n", "node", "op", "output", "params",
			"MACs", "receptive", "jump");
		for (uint32_t i = 0; i < g->nnodes; i++) {
			const Node *n = ir_node(g, i);
			const Value *y = op_outv(g, n, 0);
			char rfs[32] = "-", js[32] = "-";
			if (info[i].rf.spatial) {
				snprintf(rfs, sizeof rfs, "%lldx%lld", (long long)info[i].rf.r[0],
					 (long long)info[i].rf.r[1]);
				snprintf(js, sizeof js, "%lldx%lld", (long long)info[i].rf.j[0],
					 (long long)info[i].rf.j[1]);
			}
			fprintf(f, "%-32.32s %-18.18s %-22.22s %10lld %14lld %12s %8s\n", n->name, n->op_type,
				y ? shape_str(&y->shape, sh, sizeof sh) : "-", (long long)info[i].params,
				(long long)info[i].macs, rfs, js);
		}
		fprintf(f, "\ntotal: %lld parameters, %lld MACs, %lld weight bytes, workspace %lld bytes "
			   "(liveness lower bound %lld), %u nodes\n",
			(long long)params, (long long)macs, (long long)wbytes, (long long)g->workspace_size,
			(long long)g->workspace_bound, g->nnodes);
		fprintf(f, "flash: ~%lld bytes (%lld weight bytes + ~%lld code: %lld kernels, estimate for a "
			   "32-bit MCU); RAM: %lld bytes (workspace %lld + inputs/outputs %lld) + stack\n",
			(long long)flash, (long long)wbytes, (long long)code, (long long)kernels, (long long)ram,
			(long long)g->workspace_size, (long long)io);
		if (pass_log)
			fprintf(f, "passes:\n%s", pass_log);
	}
	free(info);
	free(rf);
	return 0;
}

/* A Graphviz string: quotes and backslashes escaped, newlines as \n line breaks. */
static void dot_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p >= 0x20)
			fputc(*p, f);
	}
	fputc('"', f);
}

int drv_dot(FILE *f, const Graph *g)
{
	char sh[128];
	fprintf(f, "digraph cnnc {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
	for (int k = 0; k < g->ninputs; k++) {
		fprintf(f, "  v%u [shape=ellipse, label=", g->inputs[k]);
		dot_string(f, ir_value(g, g->inputs[k])->name);
		fprintf(f, "];\n");
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		const Value *y = op_outv(g, n, 0);
		char label[512];
		snprintf(label, sizeof label, "%s\n%s %s", n->name, n->op_type,
			 y ? shape_str(&y->shape, sh, sizeof sh) : "");
		fprintf(f, "  n%u [label=", i);
		dot_string(f, label);
		fprintf(f, "];\n");
		for (int k = 0; k < n->ninputs; k++) {
			uint32_t v = ir_in(n, k);
			if (v == IR_NONE || ir_value(g, v)->data)
				continue;
			uint32_t p = ir_value(g, v)->producer;
			if (p != IR_NONE)
				fprintf(f, "  n%u -> n%u;\n", p, i);
			else
				fprintf(f, "  v%u -> n%u;\n", v, i);
		}
	}
	for (int k = 0; k < g->noutputs; k++) {
		uint32_t v = g->outputs[k], p = ir_value(g, v)->producer;
		fprintf(f, "  o%d [shape=ellipse, label=", k);
		dot_string(f, ir_value(g, v)->name);
		fprintf(f, "];\n");
		if (p != IR_NONE)
			fprintf(f, "  n%u -> o%d;\n", p, k);
	}
	fprintf(f, "}\n");
	return 0;
}
