/* taps.c - --outputs and --cut: choosing which tensors the generated code returns.
 *
 * --outputs T1,T2 adds intermediate tensors as extra graph outputs after the
 * model's own (to look at feature maps); --cut T makes T the only output, and the
 * dead-node pass then drops everything T does not depend on (a feature extractor
 * from the first layers of a trained network). Both act on the imported graph,
 * before any pass, so fusion keeps the tapped tensors materialised. An unknown
 * name is an error that lists the closest names in the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* Levenshtein distance, capped at 99 (names are compared for hints only). */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 200 || lb > 200)
		return 99;
	int row[201];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb] > 99 ? 99 : row[lb];
}

/* Value named `name` that a node produces or the caller feeds; else a diagnostic
   naming the three closest tensor names. */
static uint32_t find_tensor(Graph *g, const char *opt, const char *name, Diag *d)
{
	uint32_t v = ir_find_value(g, name);
	if (v != IR_NONE && (ir_value(g, v)->producer != IR_NONE || ir_value(g, v)->is_input))
		return v;
	uint32_t best[3] = {IR_NONE, IR_NONE, IR_NONE};
	int bd[3] = {100, 100, 100};
	for (uint32_t i = 0; i < g->nvalues; i++) {
		const Value *val = ir_value(g, i);
		if (val->producer == IR_NONE && !val->is_input)
			continue;
		int dist = distance(name, val->name);
		for (int k = 0; k < 3; k++)
			if (dist < bd[k]) {
				for (int m = 2; m > k; m--) {
					bd[m] = bd[m - 1];
					best[m] = best[m - 1];
				}
				bd[k] = dist;
				best[k] = i;
				break;
			}
	}
	char hint[512] = "";
	size_t n = 0;
	for (int k = 0; k < 3 && best[k] != IR_NONE; k++)
		n += (size_t)snprintf(hint + n, sizeof hint - n, "%s'%.100s'", k ? ", " : "",
				      ir_value(g, best[k])->name);
	diag_error(d, "%s: no tensor named '%s' in the model%s%s", opt, name,
		   hint[0] ? "; did you mean " : "", hint);
	return IR_NONE;
}

int drv_apply_taps(Graph *g, const Options *opt, Diag *d)
{
	if (!opt || (!opt->ntaps && !opt->cut))
		return 0;
	int n = opt->cut ? 1 : g->noutputs + opt->ntaps;
	uint32_t *outs = arena_alloc(g->arena, (size_t)(n + 1) * sizeof *outs);
	if (!outs)
		return diag_error(d, "out of memory");
	int k = 0;
	if (opt->cut) {
		uint32_t v = find_tensor(g, "--cut", opt->cut, d);
		if (v == IR_NONE)
			return -1;
		for (int i = 0; i < g->noutputs; i++)
			ir_value(g, g->outputs[i])->is_output = false;
		outs[k++] = v;
	} else {
		for (int i = 0; i < g->noutputs; i++)
			outs[k++] = g->outputs[i];
	}
	for (int i = 0; i < opt->ntaps; i++) {
		uint32_t v = find_tensor(g, "--outputs", opt->taps[i], d);
		if (v == IR_NONE)
			return -1;
		bool dup = false;
		for (int j = 0; j < k; j++)
			dup |= outs[j] == v;
		if (!dup)
			outs[k++] = v;
	}
	for (int i = 0; i < k; i++)
		ir_value(g, outs[i])->is_output = true;
	g->outputs = outs;
	g->noutputs = k;
	return 0;
}
