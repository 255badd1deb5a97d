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

/* GridSample's reflection of x into [lo, hi], folding as often as needed. */
RT_FN double rt_reflect(double x, double lo, double hi)
{
	double rng = hi - lo, dx, r;
	int64_t k;
	if (!(rng > 0))
		return lo;
	if (x < lo) {
		dx = lo - x;
		if (!(dx / rng < 1e18))
			return lo;
		k = (int64_t)(dx / rng);
		r = dx - (double)k * rng;
		return k % 2 == 0 ? lo + r : hi - r;
	}
	if (x > hi) {
		dx = x - hi;
		if (!(dx / rng < 1e18))
			return hi;
		k = (int64_t)(dx / rng);
		r = dx - (double)k * rng;
		return k % 2 == 0 ? hi - r : lo + r;
	}
	return x;
}

RT_FN float rt_reflectf(float x, float lo, float hi)
{
	float rng = hi - lo, dx, r;
	int64_t k;
	if (!(rng > 0))
		return lo;
	if (x < lo) {
		dx = lo - x;
		if (!(dx / rng < 1e18))
			return lo;
		k = (int64_t)(dx / rng);
		r = dx - (float)k * rng;
		return k % 2 == 0 ? lo + r : hi - r;
	}
	if (x > hi) {
		dx = x - hi;
		if (!(dx / rng < 1e18))
			return hi;
		k = (int64_t)(dx / rng);
		r = dx - (float)k * rng;
		return k % 2 == 0 ? hi - r : lo + r;
	}
	return x;
}

/* x limited to [lo, hi] with NaN mapped to lo: safe to floor and convert to int. */
RT_FN double rt_tame(double x, double lo, double hi)
{
	return x >= lo ? (x <= hi ? x : hi) : lo;
}

/* Keys cubic convolution weight of distance x (a = -0.75 in GridSample). */
RT_FN double rt_cubic_w(double x, double a)
{
	x = fabs(x);
	if (x <= 1)
		return ((a + 2) * x - (a + 3)) * x * x + 1;
	if (x < 2)
		return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
	return 0;
}

#endif
