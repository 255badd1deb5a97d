/* rt_nn.h - runtime support for the convolution, pooling, resize and sampling kernels.
 *
 * Limits of the floating types (pooling starts a max at the lowest finite value)
 * and small helpers the sampling kernels share. Plain C99, static inline, no state.
 */
#ifndef CNNC_RT_NN_H
#define CNNC_RT_NN_H

#include <float.h>
#include <math.h>
#include <stdint.h>

/* floor and ceiling of a / b for b > 0 and any sign of a */
RT_FN int64_t rt_fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

RT_FN int64_t rt_cdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a > 0) ? q + 1 : q;
}

#endif
