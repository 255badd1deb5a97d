/* nonzero.c - NonZero: the coordinates of the non-zero elements, as int64 [rank, count].
 *
 * Value-dependent shape, cnnc's answer: count depends on the values of X, so X
 * must be a compile-time constant (op_require_const; `cnnc verify` fixes a graph
 * input, and the generated P_run checks the caller passes that same value). The
 * node then folds. The kernel, used only when the result is too large to fold,
 * scans the constant X and never writes more than `count` coordinates.
 */
#include <string.h>

#include "indexing.h"

static bool nonzero(const Value *x, int64_t i)
{
	if (x->dtype == DT_STRING) {
		const char *s = ((const char *const *)x->data)[i];
		return s && s[0];
	}
	if (dtype_info(x->dtype)->is_float)
		return dtype_get_f64(x->dtype, x->data, i) != 0;
	return dtype_get_i64(x->dtype, x->data, i) != 0;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_require_const(g, n, 0, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	int64_t count = 0, total = ir_numel(x);
	for (int64_t i = 0; i < total; i++)
		count += nonzero(x, i);
	Shape s = {2, {x->shape.rank, count}};
	op_set_out(g, n, 0, DT_INT64, &s);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	(void)d;
	const Value *x = op_in(g, n, 0), *y = op_outv(g, n, 0);
	int64_t *out = op_alloc_const(g, n, 0);
	int64_t count = y->shape.dims[1], total = ir_numel(x), idx[CNNC_MAX_RANK] = {0}, j = 0;
	int r = x->shape.rank;
	for (int64_t i = 0; i < total; i++) {
		if (nonzero(x, i)) {
			for (int k = 0; k < r; k++)
				out[k * count + j] = idx[k];
			j++;
		}
		for (int k = r - 1; k >= 0 && ++idx[k] == x->shape.dims[k]; k--)
			idx[k] = 0;
	}
	return 0;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	int64_t count = y->shape.dims[1];
	if (count == 0 || x->shape.rank == 0)
		return 0;
	bool fl = dtype_info(x->dtype)->is_float;
	char ld[64];
	const char *test = x->dtype == DT_STRING ? "x0[j] && x0[j][0]"
			   : fl ? cg_load(x->dtype, "x0[j]", ld, sizeof ld) : "x0[j]";
	out_line(e->o, "int64_t j = 0, c = 0;");
	int loops = cg_loops(e->o, &x->shape, "i");
	out_line(e->o, "if ((%s%s) && c < %lld) {", test, fl ? " != 0" : "", (long long)count);
	for (int k = 0; k < x->shape.rank; k++)
		out_line(e->o, "y0[%lld + c] = i%d;", (long long)(k * count), k);
	out_line(e->o, "c++;");
	out_line(e->o, "}");
	out_line(e->o, "j++;");
	cg_close(e->o, loops);
	return 0;
}

const OpDef opdef_NONZERO = {infer, fold, emit, NULL, 0};
