/* gemm_packed.h - FusedGemm (gemm_packed.c): matrix product with a constant,
 * compile-time packed right operand, bias and activation epilogue. */
#ifndef CNNC_OPS_GEMM_PACKED_H
#define CNNC_OPS_GEMM_PACKED_H

#include "ops.h"

/* Columns per packed panel for vector width vl. */
int64_t gp_panel(int64_t vl);
/* Packs B (K x N, or N x K when trans) times alpha into panels; count in floats. */
float *gp_pack(Arena *a, const float *b, int64_t k, int64_t n, bool trans, double alpha,
	       int64_t vl, int64_t *count);

#endif
