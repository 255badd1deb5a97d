/* det.c - Det: determinants of a batch of square matrices [..., M, M].
 *
 * Each matrix is copied into a double scratch copy and reduced by Gaussian
 * elimination with partial pivoting; the determinant is the signed product of
 * the pivots (0 as soon as a column has no non-zero pivot). Double precision
 * keeps float results exact to rounding for the sizes models use.
 */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

static int infer(Graph *g, Node *n, Diag *d)
{
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, op_float_types, d) < 0)
		return -1;
	const Value *x = op_in(g, n, 0);
	const Shape *s = &x->shape;
	char sh[128];
	if (s->rank < 2 || s->dims[s->rank - 1] != s->dims[s->rank - 2])
		return ir_node_error(d, g, n, "input of shape %s is not a batch of square matrices",
				     shape_str(s, sh, sizeof sh));
	Shape y = *s;
	y.rank -= 2;
	op_set_out(g, n, 0, x->dtype, &y);
	return 0;
}

static int64_t scratch(const Graph *g, const Node *n)
{
	const Shape *s = &op_in(g, n, 0)->shape;
	int64_t m = s->rank >= 2 ? s->dims[s->rank - 1] : 0;
	return m * m * 8;
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	DType dt = x->dtype;
	long long m = (long long)x->shape.dims[x->shape.rank - 1], mm = m * m;
	char ld[64], st[64];
	Out *o = e->o;
	if (m == 0) {
		out_line(o, "for (int64_t b = 0; b < %lld; b++) y0[b] = %s;", (long long)ir_numel(y),
			 cg_store(dt, "1", st, sizeof st));
		return 0;
	}
	out_line(o, "double *restrict a = (double *)scratch;");
	out_line(o, "for (int64_t b = 0; b < %lld; b++) {", (long long)ir_numel(y));
	char ref[64];
	snprintf(ref, sizeof ref, "x0[b * %lld + i]", mm);
	out_line(o, "for (int64_t i = 0; i < %lld; i++) a[i] = (double)%s;", mm,
		 cg_load(dt, ref, ld, sizeof ld));
	out_line(o, "double det = 1;");
	out_line(o, "for (int64_t k = 0; k < %lld && det != 0; k++) {", m);
	out_line(o, "int64_t p = k;");
	out_line(o, "for (int64_t i = k + 1; i < %lld; i++)", m);
	out_line(o, "\tif (fabs(a[i * %lld + k]) > fabs(a[p * %lld + k])) p = i;", m, m);
	out_line(o, "if (a[p * %lld + k] == 0) {", m);
	out_line(o, "det = 0;");
	out_line(o, "break;");
	out_line(o, "}");
	out_line(o, "if (p != k) {");
	out_line(o, "for (int64_t j = 0; j < %lld; j++) {", m);
	out_line(o, "const double t = a[k * %lld + j];", m);
	out_line(o, "a[k * %lld + j] = a[p * %lld + j];", m, m);
	out_line(o, "a[p * %lld + j] = t;", m);
	out_line(o, "}");
	out_line(o, "det = -det;");
	out_line(o, "}");
	out_line(o, "const double piv = a[k * %lld + k];", m);
	out_line(o, "det *= piv;");
	out_line(o, "for (int64_t i = k + 1; i < %lld; i++) {", m);
	out_line(o, "const double f = a[i * %lld + k] / piv;", m);
	out_line(o, "for (int64_t j = k + 1; j < %lld; j++) a[i * %lld + j] -= f * a[k * %lld + j];",
		 m, m, m);
	out_line(o, "}");
	out_line(o, "}");
	out_line(o, "y0[b] = %s;", cg_store(dt, "det", st, sizeof st));
	out_line(o, "}");
	return 0;
}

const OpDef opdef_DET = {infer, NULL, emit, scratch, 0};
