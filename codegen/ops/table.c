/* table.c - the op table, generated from ir/ops.def.
 *
 * Each entry names `opdef_<ID>`, defined in one of this folder's files; an op
 * listed in ops.def without an implementation fails to link.
 */
#include "ops.h"

#define OP(id, name, domain) extern const OpDef opdef_##id;
#include "ops.def"
#undef OP

static const OpDef *const table[OP_COUNT] = {
#define OP(id, name, domain) [OP_##id] = &opdef_##id,
#include "ops.def"
#undef OP
};

const OpDef *op_def(OpKind k)
{
	static const OpDef none = {0};
	return k < OP_COUNT ? table[k] : &none;
}
