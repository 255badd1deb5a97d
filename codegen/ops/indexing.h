/* indexing.h - helpers shared by the indexing, scatter, sorting and value-dependent-shape ops.
 *
 * Data-movement ops (Slice, Split, Pad, DepthToSpace, ...) are all "copy a strided
 * box of the source into a strided box of the destination"; a Copy describes one
 * such box, and the same description is emitted as a loop nest or executed on the
 * host when folding, so the two can never disagree.
 *
 * Index policy of the whole family: indices read at run time are normalised
 * (negative ones count from the end) and then clamped into range by gathers, or
 * skipped by scatters, so no index value can make generated code read or write
 * out of bounds. ONNX calls such indices an error; cnnc gives a defined result.
 */
#ifndef CNNC_OPS_INDEXING_H
#define CNNC_OPS_INDEXING_H

#include "ops.h"

/* A copy of a box of `dims` elements: coordinates (i0..) read src[soff + sum ik*sst[k]]
   and write dst[doff + sum ik*dst[k]]. Strides are in elements and may be negative. */
typedef struct Copy {
	int rank;
	int64_t dims[CNNC_MAX_RANK];
	int64_t sst[CNNC_MAX_RANK];
	int64_t dst[CNNC_MAX_RANK];
	int64_t soff, doff;
} Copy;

/* Bytes per element of a host constant buffer of dt (a pointer for strings). */
size_t ix_esize(DType dt);
/* dst[di] = src[si] on host buffers of dt. */
void ix_copy_elem(DType dt, void *dst, int64_t di, const void *src, int64_t si);

/* A copy whose destination is the dense row-major tensor of shape `s`. */
void ix_copy_init(Copy *c, const Shape *s);
/* Drops unit dims and merges dims that are contiguous in both source and destination. */
void ix_copy_simplify(Copy *c);
/* Emits the copy as a loop nest (memcpy for contiguous rows); dst/src are C pointers. */
void ix_emit_copy(Out *o, const Copy *c, const char *dst, const char *src);
/* Performs the copy on host buffers of dt. */
void ix_fold_copy(const Copy *c, DType dt, void *dst, const void *src);

/* Normalises index k for an axis of `size` (> 0): negative counts from the end, then
   clamped into [0, size). */
int64_t ix_clamp_index(int64_t k, int64_t size);
/* Emits `int64_t var = (int64_t)(expr);` normalised and clamped like ix_clamp_index. */
void ix_emit_clamped(Out *o, const char *var, const char *expr, int64_t size);
/* Emits `int64_t var = (int64_t)(expr);` normalised, and `if (var is out of range) skip;`
   where skip is a statement such as "continue". */
void ix_emit_checked(Out *o, const char *var, const char *expr, int64_t size, const char *skip);

/* Reads constant integer input k (op_require_const) into vals[0..max); -1 with a
   diagnostic if it is not constant, not integer, or longer than max. */
int ix_const_ints(const Graph *g, const Node *n, int k, int64_t *vals, int max, int64_t *count,
		  Diag *d);
/* -1 with a diagnostic unless input k is int32 or int64 (the ONNX index types). */
int ix_check_index_type(const Graph *g, const Node *n, int k, Diag *d);
/* -1 with a diagnostic if rank exceeds CNNC_MAX_RANK. */
int ix_check_rank(const Graph *g, const Node *n, int rank, Diag *d);
/* Product of dims [lo, hi) of s. */
int64_t ix_prod(const Shape *s, int lo, int hi);

#endif
