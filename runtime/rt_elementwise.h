/* rt_elementwise.h - helpers of the elementwise kernels: integer power and modulo
 * without undefined behaviour, and saturating float -> integer conversion.
 *
 * Integer results wrap like numpy's (arithmetic is done in uint64_t); division
 * by zero gives 0 and INT64_MIN % -1 gives 0 instead of trapping.
 */
#ifndef CNNC_RT_ELEMENTWISE_H
#define CNNC_RT_ELEMENTWISE_H

/* a**b by squaring, wrapping modulo 2^64; a negative b gives trunc(1 / a**|b|). */
RT_FN int64_t rt_ipow(int64_t a, int64_t b)
{
	uint64_t r = 1u, x = (uint64_t)a, e;
	if (b < 0)
		return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
	for (e = (uint64_t)b; e; e >>= 1) {
		if (e & 1u)
			r *= x;
		x *= x;
	}
	return (int64_t)r;
}

RT_FN uint64_t rt_upow(uint64_t a, uint64_t b)
{
	uint64_t r = 1u;
	for (; b; b >>= 1) {
		if (b & 1u)
			r *= a;
		a *= a;
	}
	return r;
}

/* Python's a % b: the result takes the sign of the divisor. */
RT_FN int64_t rt_pymod(int64_t a, int64_t b)
{
	int64_t r;
	if (b == 0 || b == -1)
		return 0;
	r = a % b;
	return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

/* C's a % b (sign of the dividend), with the traps removed. */
RT_FN int64_t rt_cmod(int64_t a, int64_t b)
{
	return b == 0 || b == -1 ? 0 : a % b;
}

RT_FN double rt_pymodd(double a, double b)
{
	double r = fmod(a, b);
	return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

RT_FN float rt_pymodf(float a, float b)
{
	float r = fmodf(a, b);
	return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

/* double -> int64/uint64, saturating; NaN gives 0. */
RT_FN int64_t rt_sat_i64(double v)
{
	if (v != v)
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

RT_FN uint64_t rt_sat_u64(double v)
{
	if (v != v || v <= 0)
		return 0;
	if (v >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)v;
}

/* One DFT line: y[k] = sum_{t < n} x[t] e^(sign 2 pi i k t / len) for k < bins, with
   x and y interleaved (re, im) and cs/sn the len-entry table of cos/sin(2 pi t / len).
   The twiddle index k * t mod len advances by k without a division. */
RT_FN void rt_dft_line(const double *x, int64_t n, int64_t len, int64_t bins, const double *cs,
		       const double *sn, double sign, double *y)
{
	int64_t k, t;
	for (k = 0; k < bins; k++) {
		double re = 0, im = 0;
		int64_t w = 0, dk = k % len;
		for (t = 0; t < n; t++) {
			double c = cs[w], s = sign * sn[w];
			re += x[2 * t] * c - x[2 * t + 1] * s;
			im += x[2 * t] * s + x[2 * t + 1] * c;
			w += dk;
			if (w >= len)
				w -= len;
		}
		y[2 * k] = re;
		y[2 * k + 1] = im;
	}
}

#endif
