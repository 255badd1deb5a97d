/* shape.c - shape arithmetic with overflow checks. */
#include <stdio.h>
#include <string.h>

#include "ir.h"

int64_t shape_numel(const Shape *s)
{
	int64_t n = 1;
	bool zero = false;
	for (int i = 0; i < s->rank; i++) {
		int64_t d = s->dims[i];
		if (d < 0)
			return -1;
		if (d == 0) {
			zero = true;
			continue;
		}
		if (n > CNNC_MAX_TENSOR_BYTES / d)
			return -1;
		n *= d;
	}
	return zero ? 0 : n;
}

bool shape_equal(const Shape *a, const Shape *b)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

int shape_broadcast(const Shape *a, const Shape *b, Shape *out)
{
	Shape r;
	r.rank = a->rank > b->rank ? a->rank : b->rank;
	for (int i = 0; i < r.rank; i++) {
		int ia = i - (r.rank - a->rank), ib = i - (r.rank - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;
		if (da == db || db == 1)
			r.dims[i] = da;
		else if (da == 1)
			r.dims[i] = db;
		else
			return -1;
	}
	*out = r;
	return 0;
}

void shape_strides(const Shape *s, int64_t strides[CNNC_MAX_RANK])
{
	int64_t st = 1;
	for (int i = s->rank - 1; i >= 0; i--) {
		strides[i] = st;
		st *= s->dims[i] > 0 ? s->dims[i] : 1;
	}
}

const char *shape_str(const Shape *s, char *buf, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return buf;
	buf[0] = 0;
	k += (size_t)snprintf(buf + k, n - k, "[");
	for (int i = 0; i < s->rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s->dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}
