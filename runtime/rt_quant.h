/* rt_quant.h - quantization support: saturating rounding and int32 wrap-around.
 *
 * The quantized kernels round with nearbyint (half to even in the default mode)
 * and saturate here, in double or float, so out-of-range values, infinities and
 * NaN never reach an undefined float -> int conversion. Integer accumulators wrap
 * in uint32_t (the spec lets int32 accumulation overflow) and rt_q_i32 reads the
 * result back as int32 without an implementation-defined conversion. 8- and 4-bit
 * float formats are converted with rt_cast.h. cnnc's constant folding includes
 * this file too, so compile-time and run-time results are the same bits.
 */
#ifndef CNNC_RT_QUANT_H
#define CNNC_RT_QUANT_H

#include <stdint.h>

#ifndef RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define RT_FN static inline __attribute__((unused))
#else
#define RT_FN static inline
#endif
#endif

/* v (already rounded, zero point added) saturated to [lo, hi]; NaN gives lo. */
RT_FN int32_t rt_q_sat(double v, int32_t lo, int32_t hi)
{
	return v >= (double)lo ? (v <= (double)hi ? (int32_t)v : hi) : lo;
}

RT_FN int32_t rt_q_satf(float v, int32_t lo, int32_t hi)
{
	return v >= (float)lo ? (v <= (float)hi ? (int32_t)v : hi) : lo;
}

/* The int32 whose two's complement bits are u. */
RT_FN int32_t rt_q_i32(uint32_t u)
{
	return u <= 0x7fffffffu ? (int32_t)u : (int32_t)(u - 0x80000000u) - 0x7fffffff - 1;
}

#endif
