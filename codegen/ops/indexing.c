/* indexing.c - strided box copies (emitted and folded), index clamping, and checks
 * shared by the indexing family; see indexing.h for the index policy. */
#include <stdio.h>
#include <string.h>

#include "indexing.h"

size_t ix_esize(DType dt)
{
	return dt == DT_STRING ? sizeof(char *) : (size_t)dtype_info(dt)->size;
}

void ix_copy_elem(DType dt, void *dst, int64_t di, const void *src, int64_t si)
{
	size_t es = ix_esize(dt);
	memcpy((char *)dst + (size_t)di * es, (const char *)src + (size_t)si * es, es);
}

void ix_copy_init(Copy *c, const Shape *s)
{
	memset(c, 0, sizeof *c);
	c->rank = s->rank;
	shape_strides(s, c->dst);
	for (int k = 0; k < s->rank; k++)
		c->dims[k] = s->dims[k];
}

void ix_copy_simplify(Copy *c)
{
	int r = 0;
	for (int k = 0; k < c->rank; k++) {
		if (c->dims[k] == 0) {
			c->rank = 1;
			c->dims[0] = 0;
			return;
		}
		if (c->dims[k] == 1)
			continue;
		c->dims[r] = c->dims[k];
		c->sst[r] = c->sst[k];
		c->dst[r] = c->dst[k];
		r++;
	}
	c->rank = r;
	int m = 0;
	for (int k = 1; k < r; k++) {
		if (c->sst[m] == c->sst[k] * c->dims[k] && c->dst[m] == c->dst[k] * c->dims[k]) {
			c->dims[m] *= c->dims[k];
			c->sst[m] = c->sst[k];
			c->dst[m] = c->dst[k];
		} else {
			m++;
			c->dims[m] = c->dims[k];
			c->sst[m] = c->sst[k];
			c->dst[m] = c->dst[k];
		}
	}
	c->rank = r ? m + 1 : 0;
}

/* "off + i0 * st0 - i1 * 4 ..." for the first `loops` dims. */
static const char *index_expr(int64_t off, const int64_t *st, int loops, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%lld", (long long)off);
	for (int i = 0; i < loops && k < n; i++) {
		if (st[i] == 0)
			continue;
		long long a = st[i] < 0 ? -(long long)st[i] : (long long)st[i];
		const char *sign = st[i] < 0 ? "-" : "+";
		if (a == 1)
			k += (size_t)snprintf(buf + k, n - k, " %s c%d", sign, i);
		else
			k += (size_t)snprintf(buf + k, n - k, " %s c%d * %lld", sign, i, a);
	}
	return buf;
}

void ix_emit_copy(Out *o, const Copy *c0, const char *dst, const char *src)
{
	Copy c = *c0;
	ix_copy_simplify(&c);
	if (c.rank == 1 && c.dims[0] == 0)
		return;
	bool row = c.rank > 0 && c.sst[c.rank - 1] == 1 && c.dst[c.rank - 1] == 1;
	int loops = row ? c.rank - 1 : c.rank;
	for (int k = 0; k < loops; k++)
		out_line(o, "for (int64_t c%d = 0; c%d < %lld; c%d++) {", k, k,
			 (long long)c.dims[k], k);
	char di[512], si[512];
	index_expr(c.doff, c.dst, loops, di, sizeof di);
	index_expr(c.soff, c.sst, loops, si, sizeof si);
	if (row)
		out_line(o, "memcpy(%s + %s, %s + %s, %lld * sizeof *%s);", dst, di, src, si,
			 (long long)c.dims[c.rank - 1], dst);
	else
		out_line(o, "%s[%s] = %s[%s];", dst, di, src, si);
	cg_close(o, loops);
}

void ix_fold_copy(const Copy *c0, DType dt, void *dst, const void *src)
{
	Copy c = *c0;
	ix_copy_simplify(&c);
	if (c.rank == 1 && c.dims[0] == 0)
		return;
	int64_t idx[CNNC_MAX_RANK] = {0};
	int64_t so = c.soff, dof = c.doff;
	for (;;) {
		ix_copy_elem(dt, dst, dof, src, so);
		int k = c.rank - 1;
		for (; k >= 0; k--) {
			idx[k]++;
			so += c.sst[k];
			dof += c.dst[k];
			if (idx[k] < c.dims[k])
				break;
			so -= c.sst[k] * c.dims[k];
			dof -= c.dst[k] * c.dims[k];
			idx[k] = 0;
		}
		if (k < 0)
			return;
	}
}

int64_t ix_clamp_index(int64_t k, int64_t size)
{
	if (k < 0)
		k += size;
	return k < 0 ? 0 : k >= size ? size - 1 : k;
}

void ix_emit_clamped(Out *o, const char *var, const char *expr, int64_t size)
{
	out_line(o, "int64_t %s = (int64_t)(%s);", var, expr);
	out_line(o, "if (%s < 0) %s += %lld;", var, var, (long long)size);
	out_line(o, "%s = %s < 0 ? 0 : %s >= %lld ? %lld : %s;", var, var, var, (long long)size,
		 (long long)size - 1, var);
}

void ix_emit_checked(Out *o, const char *var, const char *expr, int64_t size, const char *skip)
{
	out_line(o, "int64_t %s = (int64_t)(%s);", var, expr);
	out_line(o, "if (%s < 0) %s += %lld;", var, var, (long long)size);
	out_line(o, "if (%s < 0 || %s >= %lld) %s;", var, var, (long long)size, skip);
}

int ix_const_ints(const Graph *g, const Node *n, int k, int64_t *vals, int max, int64_t *count,
		  Diag *d)
{
	if (op_require_const(g, n, k, d) < 0)
		return -1;
	const Value *v = op_in(g, n, k);
	if (!dtype_info(v->dtype)->is_int)
		return ir_node_error(d, g, n, "input '%s' must be an integer tensor, not %s",
				     v->name, dtype_name(v->dtype));
	int64_t c = ir_numel(v);
	if (c > max)
		return ir_node_error(d, g, n, "input '%s' has %lld values, expected at most %d",
				     v->name, (long long)c, max);
	for (int64_t i = 0; i < c; i++)
		vals[i] = dtype_get_i64(v->dtype, v->data, i);
	*count = c;
	return 0;
}

int ix_check_index_type(const Graph *g, const Node *n, int k, Diag *d)
{
	static const DType idx[] = {DT_INT32, DT_INT64, DT_UNDEFINED};
	return op_check_dtype(g, n, k, idx, d);
}

int ix_check_rank(const Graph *g, const Node *n, int rank, Diag *d)
{
	if (rank > CNNC_MAX_RANK)
		return ir_node_error(d, g, n, "output rank %d exceeds cnnc's maximum of %d", rank,
				     CNNC_MAX_RANK);
	return 0;
}

int64_t ix_prod(const Shape *s, int lo, int hi)
{
	int64_t p = 1;
	for (int k = lo; k < hi; k++)
		p *= s->dims[k];
	return p;
}
