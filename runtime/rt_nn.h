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

#endif
