/* compress.c - Compress: the slices (or flattened elements) whose condition is true.
 *
 * Value-dependent shape, cnnc's answer: the output size is the number of true
 * conditions, so `condition` must be a compile-time constant (op_require_const;
 * `cnnc verify` fixes a graph input, and the generated P_run then checks that
 * the caller passes the same value, returning 2 otherwise). A condition computed
 * at run time is rejected with a diagnostic. `input` may be a run-time value: the
 * selected positions are baked into the kernel, as a few strided Copies for a
 * few runs of consecutive positions or as a table of positions otherwise.
 */
#include <stdio.h>

#include "indexing.h"

/* Runs of selected positions up to this many are emitted as Copies, not a table. */
#define MAX_RUNS 8

typedef struct Sel {
	int axis;              /* -1: flattened */
	int64_t pre, dim, post; /* input as [pre, dim, post] along the selection axis */
	int64_t count;         /* selected positions */
} Sel;

static int selection(const Graph *g, const Node *n, Sel *s, Diag *d)
{
	const Value *x = op_in(g, n, 0), *c = op_in(g, n, 1);
	if (op_require_const(g, n, 1, d) < 0)
		return -1;
	if (c->dtype != DT_BOOL || c->shape.rank != 1)
		return ir_node_error(d, g, n, "condition must be a 1-D bool tensor");
	s->axis = -1;
	s->pre = s->post = 1;
	s->dim = ir_numel(x);
	if (ir_attr(n, "axis")) {
		if (op_axis(g, n, ir_attr_int(n, "axis", 0), x->shape.rank, &s->axis, d) < 0)
			return -1;
		s->pre = ix_prod(&x->shape, 0, s->axis);
		s->dim = x->shape.dims[s->axis];
		s->post = ix_prod(&x->shape, s->axis + 1, x->shape.rank);
	}
	int64_t len = ir_numel(c);
	if (len > s->dim)
		return ir_node_error(d, g, n,
				     "condition has %lld values, more than the %lld positions",
				     (long long)len, (long long)s->dim);
	s->count = 0;
	for (int64_t i = 0; i < len; i++)
		s->count += ((const uint8_t *)c->data)[i] != 0;
	return 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 2, 2, 2, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	if (x->shape.rank < 1)
		return ir_node_error(d, g, n, "input is a scalar, expected rank >= 1");
	Sel s;
	if (selection(g, n, &s, d) < 0)
		return -1;
	Shape out = {1, {s.count}};
	if (s.axis >= 0) {
		out = x->shape;
		out.dims[s.axis] = s.count;
	}
	op_set_out(g, n, 0, x->dtype, &out);
	return 0;
}

/* The Copy of run [start, start + len) of selected positions to output position at. */
static void run_copy(const Sel *s, int64_t start, int64_t len, int64_t at, Copy *c)
{
	*c = (Copy){2, {s->pre, len * s->post}, {s->dim * s->post, 1}, {s->count * s->post, 1},
		    start * s->post, at * s->post};
}

static int fold(Graph *g, Node *n, Diag *d)
{
	Sel s;
	if (selection(g, n, &s, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *c = op_in(g, n, 1);
	const uint8_t *cd = c->data;
	void *y = op_alloc_const(g, n, 0);
	int64_t at = 0;
	for (int64_t i = 0; i < ir_numel(c); i++)
		if (cd[i]) {
			Copy cp;
			run_copy(&s, i, 1, at++, &cp);
			ix_fold_copy(&cp, x->dtype, y, x->data);
		}
	return 0;
}

static int emit(Emit *e)
{
	Sel s;
	Diag d;
	diag_init(&d, "");
	if (selection(e->g, e->n, &s, &d) < 0)
		return -1;
	const Value *c = op_in(e->g, e->n, 1);
	const uint8_t *cd = c->data;
	int64_t len = ir_numel(c), runs = 0;
	for (int64_t i = 0; i < len; i++)
		runs += cd[i] && (i == 0 || !cd[i - 1]);
	if (s.count * s.pre * s.post == 0)
		return 0;
	if (runs <= MAX_RUNS) {
		int64_t at = 0;
		for (int64_t i = 0; i < len;) {
			int64_t j = i;
			while (j < len && cd[j])
				j++;
			if (j > i) {
				Copy cp;
				run_copy(&s, i, j - i, at, &cp);
				ix_emit_copy(e->o, &cp, "y0", "x0");
				at += j - i;
			}
			i = j > i ? j : i + 1;
		}
		return 0;
	}
	out_printf(e->decls, "static const int64_t %s_sel[%lld] = {", e->fn, (long long)s.count);
	for (int64_t i = 0, k = 0; i < len; i++)
		if (cd[i]) {
			out_printf(e->decls, "%s%s%lld", k ? "," : "", k % 16 == 15 ? "\n\t" : "",
				   (long long)i);
			k++;
		}
	out_printf(e->decls, "};\n");
	out_line(e->o, "for (int64_t p = 0; p < %lld; p++) {", (long long)s.pre);
	out_line(e->o, "for (int64_t j = 0; j < %lld; j++) {", (long long)s.count);
	if (s.post == 1)
		out_line(e->o, "y0[p * %lld + j] = x0[p * %lld + %s_sel[j]];", (long long)s.count,
			 (long long)s.dim, e->fn);
	else
		out_line(e->o,
			 "memcpy(y0 + (p * %lld + j) * %lld, x0 + (p * %lld + %s_sel[j]) * %lld, "
			       "%lld * sizeof *y0);",
			 (long long)s.count, (long long)s.post, (long long)s.dim, e->fn,
			 (long long)s.post, (long long)s.post);
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_COMPRESS = {infer, fold, emit, NULL, 0};
