/* ops.c - name tables generated from ops.def. */
#include <string.h>

#include "ir.h"

static const char *const names[OP_COUNT] = {
#define OP(id, name, domain) [OP_##id] = name,
#include "ops.def"
#undef OP
};

static const char *const domains[OP_COUNT] = {
#define OP(id, name, domain) [OP_##id] = domain,
#include "ops.def"
#undef OP
};

const char *op_name(OpKind k)
{
	return k < OP_COUNT ? names[k] : "?";
}

const char *op_domain(OpKind k)
{
	return k < OP_COUNT ? domains[k] : "?";
}

OpKind op_lookup(const char *domain, const char *name)
{
	if (!domain || strcmp(domain, "ai.onnx") == 0)
		domain = "";
	for (int k = 0; k < OP_COUNT; k++)
		if (strcmp(names[k], name) == 0 && strcmp(domains[k], domain) == 0)
			return (OpKind)k;
	return OP_COUNT;
}
