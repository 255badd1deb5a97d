/* linalg.h - helpers shared by the linear algebra, normalization, reduction and
 * attention op files: the matrix multiply emitter and small spelling helpers.
 *
 * The matmul emitter is the one place that writes a GEMM loop nest, so a later
 * pass can replace it with packed, register-blocked kernels for every op that
 * multiplies matrices (MatMul, Gemm, Einsum, Attention) at once.
 */
#ifndef CNNC_LINALG_H
#define CNNC_LINALG_H

#include "ops.h"

/* C[i][j] = (C[i][j] if accumulate) + alpha * sum_p A[i][p] * B[p][j], with
   0 <= i < m, 0 <= j < n, 0 <= p < k. A, B and C are C expressions of pointers
   (to the storage type of dt) valid where the loop nest is emitted; element
   A[i][p] is a[i * a_rs + p * a_cs], B[p][j] is b[p * b_rs + j * b_cs] and
   C[i][j] is c[i * c_rs + j]. */
typedef struct MatMul {
	DType dt;
	int64_t m, n, k;
	const char *a, *b, *c;
	int64_t a_rs, a_cs, b_rs, b_cs, c_rs;
	double alpha;
	bool accumulate;
	const char *tmp; /* scratch of lin_matmul_tmp() bytes, 64-byte aligned */
} MatMul;

/* Bytes of scratch the loop nest for mm needs (0 when none). */
int64_t lin_matmul_tmp(const MatMul *mm);
/* Writes the loop nest for mm into o (in braces, so it may be emitted repeatedly). */
void lin_emit_matmul(Out *o, const MatMul *mm);

/* Unsigned C type as wide as integer type dt (at least 32 bits, so products of
   narrow types do not promote to int): arithmetic in it wraps instead of
   overflowing. */
const char *lin_utype(DType dt);
/* Suffix of <math.h> functions for dt's arithmetic type: "f" for float, "" for double. */
const char *lin_fsuf(DType dt);

/* Opens loops over shape s in memory order (size-1 axes skipped, neighbours of the
   same kind merged) and writes into in_idx the flat index of the current element
   and into out_idx its index among the elements left when the axes marked in
   `reduced` are removed. Returns the number of loops to close. */
int lin_reduce_loops(Out *o, const Shape *s, const bool *reduced, char *in_idx, char *out_idx,
		     size_t n);

#endif
