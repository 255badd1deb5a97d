/* strided.h - strided element copies, the common core of the data-movement ops.
 *
 * Transpose, Expand, Tile, Concat and CenterCropPad all copy elements so that for
 * every index (i0, i1, ...) of a loop nest dst[dst_off + sum ik*dst[k]] =
 * src[src_off + sum ik*src[k]] (strides in elements; a source stride of 0
 * repeats). A Strided describes one such copy; op_strided_emit() writes it as C
 * and op_strided_copy() performs it on the host for folding, so both agree.
 */
#ifndef CNNC_STRIDED_H
#define CNNC_STRIDED_H

#include "ops.h"

#define STRIDED_MAX_RANK (2 * CNNC_MAX_RANK)

typedef struct Strided {
	int rank;
	int64_t dims[STRIDED_MAX_RANK];
	int64_t dst[STRIDED_MAX_RANK]; /* destination strides, in elements */
	int64_t src[STRIDED_MAX_RANK]; /* source strides, in elements (0: repeat) */
	int64_t dst_off, src_off;
} Strided;

/* A copy of a dense tensor of shape s into a dense destination with the same
   strides (identity mapping); callers then adjust strides and offsets. */
void op_strided_init(Strided *st, const Shape *s);
/* Drops size-1 loops and merges loops contiguous in both tensors. Returns false
   when the copy moves no element (some dim is 0). */
bool op_strided_simplify(Strided *st);
/* Writes the loop nest; dst and src are typed pointer expressions ("y0", "x1"). */
void op_strided_emit(Out *o, const Strided *st, const char *dst, const char *src);
/* The same copy on the host; esize is the bytes per element. */
void op_strided_copy(const Strided *st, void *dst, const void *src, size_t esize);
/* Bytes per element of dt in a buffer (pointer size for strings). */
size_t op_elem_size(DType dt);

/* fold and emit of ops whose output 0 is input 0's elements unchanged (views:
   Reshape, Squeeze, Identity, ...): a copy, skipped when the plan aliased them. */
int op_copy_fold(Graph *g, Node *n, Diag *d);
int op_copy_emit(Emit *e);

/* A C literal of element i of data in dt's storage type: the value for float,
   double, integers and bool, the bit pattern for the narrow float types. */
const char *op_elem_literal(DType dt, const void *data, int64_t i, char *buf, size_t n);
/* True if element i of data is all zero bytes (so memset can write it). */
bool op_elem_is_zero(DType dt, const void *data, int64_t i);

#endif
