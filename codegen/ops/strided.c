/* strided.c - strided element copies as C loop nests and as host code (see strided.h).
 *
 * After simplification the innermost loop is a memcpy of a row when it is
 * contiguous in both tensors, and an element loop otherwise; each outer loop
 * hoists its partial offsets so no index is multiplied out more than once.
 */
#include <stdio.h>
#include <string.h>

#include "strided.h"

size_t op_elem_size(DType dt)
{
	return dt == DT_STRING ? sizeof(char *) : (size_t)dtype_info(dt)->size;
}

void op_strided_init(Strided *st, const Shape *s)
{
	memset(st, 0, sizeof *st);
	st->rank = s->rank;
	shape_strides(s, st->dst);
	for (int i = 0; i < s->rank; i++) {
		st->dims[i] = s->dims[i];
		st->src[i] = st->dst[i];
	}
}

bool op_strided_simplify(Strided *st)
{
	int r = 0;
	for (int i = 0; i < st->rank; i++) {
		if (st->dims[i] == 0)
			return false;
		if (st->dims[i] == 1)
			continue;
		st->dims[r] = st->dims[i];
		st->dst[r] = st->dst[i];
		st->src[r] = st->src[i];
		r++;
	}
	/* merge loop k into loop k+1 when stepping k is stepping k+1 dims[k+1] times */
	int w = 0;
	for (int i = 0; i < r; i++) {
		if (w > 0 && st->dst[w - 1] == st->dst[i] * st->dims[i] &&
		    st->src[w - 1] == st->src[i] * st->dims[i]) {
			st->dims[w - 1] *= st->dims[i];
			st->dst[w - 1] = st->dst[i];
			st->src[w - 1] = st->src[i];
			continue;
		}
		st->dims[w] = st->dims[i];
		st->dst[w] = st->dst[i];
		st->src[w] = st->src[i];
		w++;
	}
	st->rank = w;
	return true;
}

/* "base + i<k> * stride", dropping zero terms; base is a variable name or a literal. */
static const char *offset(char *buf, size_t n, const char *base, int k, int64_t stride)
{
	bool zero = strcmp(base, "0") == 0;
	if (stride == 0)
		snprintf(buf, n, "%s", base);
	else if (zero && stride == 1)
		snprintf(buf, n, "i%d", k);
	else if (zero)
		snprintf(buf, n, "i%d * %lld", k, (long long)stride);
	else if (stride == 1)
		snprintf(buf, n, "%s + i%d", base, k);
	else
		snprintf(buf, n, "%s + i%d * %lld", base, k, (long long)stride);
	return buf;
}

void op_strided_emit(Out *o, const Strided *in, const char *dst, const char *src)
{
	Strided st = *in;
	if (!op_strided_simplify(&st))
		return;
	int r = st.rank;
	bool row = r > 0 && st.dst[r - 1] == 1 && st.src[r - 1] == 1;
	int loops = row ? r - 1 : r;
	char a[64], b[64], ea[160], eb[160];
	snprintf(a, sizeof a, "%lld", (long long)st.dst_off);
	snprintf(b, sizeof b, "%lld", (long long)st.src_off);
	for (int k = 0; k < loops; k++) {
		out_line(o, "for (int64_t i%d = 0; i%d < %lld; i%d++) {", k, k, (long long)st.dims[k], k);
		offset(ea, sizeof ea, a, k, st.dst[k]);
		offset(eb, sizeof eb, b, k, st.src[k]);
		if (k + 1 == loops && !row) {
			out_line(o, "%s[%s] = %s[%s];", dst, ea, src, eb);
			break;
		}
		/* hoist the partial offsets of this level */
		if (strcmp(ea, a) != 0) {
			out_line(o, "const int64_t a%d = %s;", k, ea);
			snprintf(a, sizeof a, "a%d", k);
		}
		if (strcmp(eb, b) != 0) {
			out_line(o, "const int64_t b%d = %s;", k, eb);
			snprintf(b, sizeof b, "b%d", k);
		}
	}
	if (row)
		out_line(o, "memcpy(&%s[%s], &%s[%s], %lld * sizeof *%s);", dst, a, src, b,
			 (long long)st.dims[r - 1], dst);
	else if (r == 0)
		out_line(o, "%s[%s] = %s[%s];", dst, a, src, b);
	cg_close(o, loops);
}

void op_strided_copy(const Strided *in, void *dst, const void *src, size_t esize)
{
	Strided st = *in;
	if (!op_strided_simplify(&st))
		return;
	int r = st.rank;
	bool row = r > 0 && st.dst[r - 1] == 1 && st.src[r - 1] == 1;
	int loops = row ? r - 1 : r;
	int64_t rowlen = row ? st.dims[r - 1] : 1;
	int64_t idx[STRIDED_MAX_RANK] = {0};
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (;;) {
		int64_t a = st.dst_off, b = st.src_off;
		for (int k = 0; k < loops; k++) {
			a += idx[k] * st.dst[k];
			b += idx[k] * st.src[k];
		}
		memcpy(d + (size_t)a * esize, s + (size_t)b * esize, (size_t)rowlen * esize);
		int k = loops - 1;
		while (k >= 0 && ++idx[k] == st.dims[k])
			idx[k--] = 0;
		if (k < 0)
			break;
	}
}

int op_copy_fold(Graph *g, Node *n, Diag *d)
{
	const Value *x = op_in(g, n, 0);
	void *y = op_alloc_const(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "out of memory");
	int64_t b = ir_bytes(x);
	if (b > 0)
		memcpy(y, x->data, (size_t)b);
	return 0;
}

int op_copy_emit(Emit *e)
{
	int64_t cnt = ir_numel(op_in(e->g, e->n, 0));
	if (cnt > 0)
		out_line(e->o, "memcpy(y0, x0, %lld * sizeof *y0);", (long long)cnt);
	return 0;
}

const char *op_elem_literal(DType dt, const void *data, int64_t i, char *buf, size_t n)
{
	switch (dt) {
	case DT_FLOAT: case DT_DOUBLE: return cg_lit(dt, dtype_get_f64(dt, data, i), buf, n);
	case DT_FLOAT16: case DT_BFLOAT16:
		snprintf(buf, n, "0x%04x", ((const uint16_t *)data)[i]);
		return buf;
	default:
		if (dtype_info(dt)->is_float) { /* 8- and 4-bit floats: the byte */
			snprintf(buf, n, "0x%02x", ((const uint8_t *)data)[i]);
			return buf;
		}
		return cg_ilit(dt, dtype_get_i64(dt, data, i), buf, n);
	}
}

bool op_elem_is_zero(DType dt, const void *data, int64_t i)
{
	size_t es = op_elem_size(dt);
	const unsigned char *p = (const unsigned char *)data + (size_t)i * es;
	if (dt == DT_STRING)
		return false;
	for (size_t k = 0; k < es; k++)
		if (p[k])
			return false;
	return true;
}
