/* nms.c - NonMaxSuppression (opsets 10, 11), evaluated at compile time.
 *
 * Decision: the number of selected boxes depends on the values of boxes and
 * scores, and cnnc's shapes are static. cnnc therefore requires every input of
 * NonMaxSuppression to be a compile-time constant (for a graph input, bound with
 * --input-value) and folds the node; with run-time boxes or scores it stops with
 * a diagnostic saying so. No padded "upper bound plus count" form is generated:
 * a [max, 3] output would silently change the ONNX contract for consumers.
 *
 * The algorithm is ONNX Runtime's greedy one: per batch and class, boxes scoring
 * strictly above score_threshold (when given) in descending score order (ties:
 * lower index first); a box is dropped when its IoU with an already selected
 * box is strictly greater than iou_threshold; at most max_output_boxes_per_class
 * per class. Geometry is computed in single precision, as ONNX Runtime does.
 * Output rows are (batch, class, box) ordered by batch, class, selection order.
 */
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct Cand {
	float score;
	int64_t index;
} Cand;

static int by_score(const void *a, const void *b)
{
	const Cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Corners (ymin, xmin, ymax, xmax) of box i. */
static void corners(const Value *bx, int64_t i, bool center, float *c)
{
	float v[4];
	for (int k = 0; k < 4; k++)
		v[k] = (float)dtype_get_f64(bx->dtype, bx->data, i * 4 + k);
	if (center) {
		c[1] = v[0] - v[2] / 2, c[3] = v[0] + v[2] / 2;
		c[0] = v[1] - v[3] / 2, c[2] = v[1] + v[3] / 2;
		return;
	}
	c[0] = v[0] < v[2] ? v[0] : v[2], c[2] = v[0] < v[2] ? v[2] : v[0];
	c[1] = v[1] < v[3] ? v[1] : v[3], c[3] = v[1] < v[3] ? v[3] : v[1];
}

static bool suppress(const float *a, const float *b, float thr)
{
	float ymin = a[0] > b[0] ? a[0] : b[0], xmin = a[1] > b[1] ? a[1] : b[1];
	float ymax = a[2] < b[2] ? a[2] : b[2], xmax = a[3] < b[3] ? a[3] : b[3];
	float inter = (ymax > ymin ? ymax - ymin : 0) * (xmax > xmin ? xmax - xmin : 0);
	if (inter <= 0)
		return false;
	float area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
	float uni = area_a + area_b - inter;
	if (area_a <= 0 || area_b <= 0 || uni <= 0)
		return false;
	return inter / uni > thr;
}

static double scalar(const Graph *g, const Node *n, int k, double dflt)
{
	const Value *v = op_in(g, n, k);
	if (!v || ir_numel(v) < 1)
		return dflt;
	return dtype_info(v->dtype)->is_float ? dtype_get_f64(v->dtype, v->data, 0)
					      : (double)dtype_get_i64(v->dtype, v->data, 0);
}

/* Runs NMS; rows (3 int64 each) go to out when not NULL. Returns the row count or
   -1 (diagnostic recorded). */
static int64_t run(Graph *g, const Node *n, int64_t *out, Diag *d)
{
	for (int k = 0; k < n->ninputs; k++)
		if (ir_has_in(n, k) && op_require_const(g, n, k, d) < 0)
			return -1;
	const Value *bx = op_in(g, n, 0), *sc = op_in(g, n, 1);
	if (bx->shape.rank != 3 || bx->shape.dims[2] != 4 || sc->shape.rank != 3 ||
	    sc->shape.dims[0] != bx->shape.dims[0] || sc->shape.dims[2] != bx->shape.dims[1])
		return ir_node_error(d, g, n, "boxes must be [B, N, 4] and scores [B, C, N]");
	int64_t B = bx->shape.dims[0], C = sc->shape.dims[1], N = bx->shape.dims[1];
	double maxo = scalar(g, n, 2, 0);
	float iou = (float)scalar(g, n, 3, 0);
	bool has_st = ir_has_in(n, 4) && ir_numel(op_in(g, n, 4)) > 0;
	float st = (float)scalar(g, n, 4, 0);
	bool center = ir_attr_int(n, "center_point_box", 0) == 1;
	int64_t cap = maxo < 0 ? 0 : maxo > (double)N ? N : (int64_t)maxo, rows = 0;
	Cand *cand = malloc(sizeof *cand * (size_t)(N ? N : 1));
	float *sel = malloc(sizeof *sel * 4 * (size_t)(N ? N : 1));
	if (!cand || !sel) {
		free(cand);
		free(sel);
		return ir_node_error(d, g, n, "out of memory");
	}
	for (int64_t b = 0; b < B; b++)
		for (int64_t c = 0; c < C; c++) {
			int64_t nc = 0, ns = 0;
			for (int64_t i = 0; i < N; i++) {
				float s = (float)dtype_get_f64(sc->dtype, sc->data, (b * C + c) * N + i);
				if (!has_st || s > st)
					cand[nc++] = (Cand){s, i};
			}
			qsort(cand, (size_t)nc, sizeof *cand, by_score);
			for (int64_t j = 0; j < nc && ns < cap; j++) {
				float box[4];
				corners(bx, b * N + cand[j].index, center, box);
				bool drop = false;
				for (int64_t k = 0; k < ns && !drop; k++)
					drop = suppress(sel + 4 * k, box, iou);
				if (drop)
					continue;
				memcpy(sel + 4 * ns++, box, sizeof box);
				if (out) {
					out[rows * 3] = b;
					out[rows * 3 + 1] = c;
					out[rows * 3 + 2] = cand[j].index;
				}
				rows++;
			}
		}
	free(cand);
	free(sel);
	return rows;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType f[] = {DT_FLOAT, DT_UNDEFINED};
	if (op_check_arity(g, n, 2, 5, 2, d) < 0 || op_check_dtype(g, n, 0, f, d) < 0 ||
	    op_check_dtype(g, n, 1, f, d) < 0)
		return -1;
	int64_t rows = run(g, n, NULL, d);
	if (rows < 0)
		return -1;
	Shape s = {2, {rows, 3}};
	op_set_out(g, n, 0, DT_INT64, &s);
	return 0;
}

static int fold(Graph *g, Node *n, Diag *d)
{
	int64_t *y = op_alloc_const(g, n, 0);
	return y && run(g, n, y, d) >= 0 ? 0 : -1;
}

const OpDef opdef_NONMAXSUPPRESSION = {infer, fold, NULL, NULL, 0};
