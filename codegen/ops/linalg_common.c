/* linalg_common.c - small helpers shared by the linear algebra family (linalg.h). */
#include <stdio.h>
#include <string.h>

#include "linalg.h"

const char *lin_utype(DType dt)
{
	return dtype_info(dt)->size == 8 ? "uint64_t" : "uint32_t";
}

const char *lin_fsuf(DType dt)
{
	return strcmp(cg_comp(dt), "double") == 0 ? "" : "f";
}

/* Appends " + v * stride" (or the first term) to an index expression. */
static void add_term(char *buf, size_t n, const char *v, int64_t stride)
{
	size_t k = strlen(buf);
	if (k >= n - 1)
		return;
	if (stride == 1)
		snprintf(buf + k, n - k, "%s%s", k ? " + " : "", v);
	else
		snprintf(buf + k, n - k, "%s%s * %lld", k ? " + " : "", v, (long long)stride);
}

int lin_reduce_loops(Out *o, const Shape *s, const bool *reduced, char *in_idx, char *out_idx,
		     size_t n)
{
	int64_t size[CNNC_MAX_RANK];
	bool red[CNNC_MAX_RANK];
	int ng = 0;
	for (int i = 0; i < s->rank; i++) {
		if (s->dims[i] == 1)
			continue;
		if (ng && red[ng - 1] == reduced[i]) {
			size[ng - 1] *= s->dims[i];
			continue;
		}
		size[ng] = s->dims[i];
		red[ng++] = reduced[i];
	}
	int64_t is[CNNC_MAX_RANK], os[CNNC_MAX_RANK], ip = 1, op = 1;
	for (int i = ng - 1; i >= 0; i--) {
		is[i] = ip;
		os[i] = op;
		ip *= size[i];
		if (!red[i])
			op *= size[i];
	}
	in_idx[0] = out_idx[0] = 0;
	for (int i = 0; i < ng; i++) {
		char v[16];
		snprintf(v, sizeof v, "l%d", i);
		out_line(o, "for (int64_t %s = 0; %s < %lld; %s++) {", v, v, (long long)size[i], v);
		add_term(in_idx, n, v, is[i]);
		if (!red[i])
			add_term(out_idx, n, v, os[i]);
	}
	if (!in_idx[0])
		snprintf(in_idx, n, "0");
	if (!out_idx[0])
		snprintf(out_idx, n, "0");
	return ng;
}
