/* trilu.c - Trilu: the upper or lower triangle of each matrix, the rest zeroed.
 *
 * The kernel works a row at a time: the kept columns of row i form one range
 * (j >= i + k for upper, j <= i + k for lower), copied with memcpy, and the
 * rest is zero-filled. k is read when the kernel runs, so it may be computed.
 * Zero is all-zero bytes for every numeric type; strings become "".
 */
#include <string.h>

#include "strided.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 2, 1, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0), *k = op_in(g, n, 1);
	if (x->shape.rank < 2)
		return ir_node_error(d, g, n, "input has rank %d, expected 2 or more", x->shape.rank);
	if (k && (k->dtype != DT_INT64 || ir_numel(k) != 1))
		return ir_node_error(d, g, n, "k must be an int64 scalar");
	op_set_out(g, n, 0, x->dtype, &x->shape);
	return 0;
}

/* k limited to where it still matters, so i + k cannot overflow. */
static int64_t clamp_k(int64_t k, int64_t rows, int64_t cols)
{
	return k < -rows - 1 ? -rows - 1 : k > cols + 1 ? cols + 1 : k;
}

/* The column that splits row i: upper keeps [b, cols), lower keeps [0, b). */
static int64_t split(bool upper, int64_t i, int64_t k, int64_t cols)
{
	int64_t b = upper ? i + k : i + k + 1;
	return b < 0 ? 0 : b > cols ? cols : b;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0), *kv = op_in(g, n, 1);
	unsigned char *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int r = x->shape.rank;
	int64_t rows = x->shape.dims[r - 2], cols = x->shape.dims[r - 1];
	int64_t mats = rows && cols ? ir_numel(x) / (rows * cols) : 0;
	int64_t k = clamp_k(kv ? ((const int64_t *)kv->data)[0] : 0, rows, cols);
	bool upper = ir_attr_int(n, "upper", 1) != 0;
	size_t es = op_elem_size(x->dtype);
	const unsigned char *src = x->data;
	for (int64_t m = 0; m < mats; m++)
		for (int64_t i = 0; i < rows; i++) {
			int64_t b = split(upper, i, k, cols), at = (m * rows + i) * cols;
			for (int64_t j = 0; j < cols; j++) {
				unsigned char *p = y + (size_t)(at + j) * es;
				if (upper ? j >= b : j < b)
					memcpy(p, src + (size_t)(at + j) * es, es);
				else if (x->dtype == DT_STRING)
					*(const char **)p = "";
			}
		}
	return 0;
}

static void emit_zero(Out *o, DType dt, const char *at, const char *cnt)
{
	if (dt == DT_STRING)
		out_line(o, "for (int64_t j = 0; j < %s; j++) y0[%s + j] = \"\";", cnt, at);
	else
		out_line(o, "memset(&y0[%s], 0, (size_t)(%s) * sizeof *y0);", at, cnt);
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0);
	int r = x->shape.rank;
	int64_t rows = x->shape.dims[r - 2], cols = x->shape.dims[r - 1];
	if (ir_numel(x) == 0)
		return 0;
	bool upper = ir_attr_int(e->n, "upper", 1) != 0;
	out_line(e->o, "const int64_t k0 = %s;", e->in[1] ? "x1[0]" : "0");
	out_line(e->o, "const int64_t k = k0 < %lld ? %lld : k0 > %lld ? %lld : k0;",
		 (long long)(-rows - 1), (long long)(-rows - 1), (long long)(cols + 1),
		 (long long)(cols + 1));
	out_line(e->o, "for (int64_t m = 0; m < %lld; m++) {",
		 (long long)(ir_numel(x) / (rows * cols)));
	out_line(e->o, "for (int64_t i = 0; i < %lld; i++) {", (long long)rows);
	out_line(e->o, "const int64_t at = (m * %lld + i) * %lld, b = i + k%s;", (long long)rows,
		 (long long)cols, upper ? "" : " + 1");
	out_line(e->o, "const int64_t c = b < 0 ? 0 : b > %lld ? %lld : b;", (long long)cols,
		 (long long)cols);
	out_line(e->o, "const int64_t rest = %lld - c;", (long long)cols);
	if (upper) {
		emit_zero(e->o, x->dtype, "at", "c");
		out_line(e->o, "memcpy(&y0[at + c], &x0[at + c], (size_t)rest * sizeof *y0);");
	} else {
		out_line(e->o, "memcpy(&y0[at], &x0[at], (size_t)c * sizeof *y0);");
		emit_zero(e->o, x->dtype, "at + c", "rest");
	}
	out_line(e->o, "}");
	out_line(e->o, "}");
	return 0;
}

const OpDef opdef_TRILU = {infer, fold, emit, NULL, 0};
