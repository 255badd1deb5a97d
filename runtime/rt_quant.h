/* rt_quant.h - quantization support: small float formats and saturating rounding.
 *
 * The 8- and 4-bit float formats (float8e4m3fn, float8e4m3fnuz, float8e5m2,
 * float8e5m2fnuz, float4e2m1, float8e8m0) are stored one element per byte. One
 * generic encoder covers all of them: it rounds |x| to a multiple of the format's
 * quantum in x's binade with rintf (round half to even, the default mode), which
 * is exact because the scaling is by a power of two, then packs the fields. What
 * overflow, infinities and NaN become follows the tables of the ONNX Cast spec.
 * Names carry rt_q_ so they never clash with the Cast family's helpers.
 */
#ifndef CNNC_RT_QUANT_H
#define CNNC_RT_QUANT_H

#include <math.h>
#include <stdint.h>

/* Format descriptors: exponent bits, mantissa bits, bias, and kind flags. */
enum {
	RT_Q_FN = 1,   /* no infinities; the all-ones code of the top binade is NaN */
	RT_Q_UZ = 2,   /* no infinities, no -0; 0x80 is the only NaN */
	RT_Q_IEEE = 4, /* IEEE-like: all-ones exponent holds inf and NaN */
	RT_Q_NONAN = 8 /* no NaN and no infinity at all (float4e2m1) */
};

/* Largest finite value of a format. */
RT_FN float rt_q_fmax(int eb, int mb, int bias, int kind)
{
	int emax = (1 << eb) - 1 - bias; /* exponent of the top binade */
	float mant = 2.0f - ldexpf(1.0f, -mb);
	if (kind & RT_Q_FN)
		mant -= ldexpf(1.0f, -mb); /* the all-ones mantissa is NaN */
	if (kind & RT_Q_IEEE)
		emax--; /* the top exponent holds inf/NaN */
	return ldexpf(mant, emax);
}

RT_FN uint8_t rt_q_nan(int eb, int mb, int kind, uint32_t sign)
{
	if (kind & RT_Q_UZ)
		return 0x80u;
	if (kind & RT_Q_NONAN) /* no NaN: the largest magnitude */
		return (uint8_t)(sign | ((1u << (eb + mb)) - 1u));
	if (kind & RT_Q_IEEE) /* quiet NaN: top mantissa bit set */
		return (uint8_t)(sign | (((1u << eb) - 1u) << mb) | (1u << (mb - 1)));
	return (uint8_t)(sign | ((1u << (eb + mb)) - 1u));
}

/* float -> small float, round to nearest even. sat: out-of-range values (and
   infinities) become the largest finite value instead of inf/NaN. */
RT_FN uint8_t rt_q_f2small(float x, int eb, int mb, int bias, int kind, int sat)
{
	uint32_t sign = signbit(x) ? 1u << (eb + mb) : 0u;
	float a = fabsf(x), fmax = rt_q_fmax(eb, mb, bias, kind), r;
	int e, minexp = 1 - bias;
	if (isnan(x))
		return rt_q_nan(eb, mb, kind, sign);
	if (isinf(x) && !sat && !(kind & RT_Q_NONAN)) {
		if (kind & RT_Q_IEEE)
			return (uint8_t)(sign | (((1u << eb) - 1u) << mb));
		return rt_q_nan(eb, mb, kind, sign);
	}
	if (isinf(a)) {
		r = fmax;
	} else {
		(void)frexpf(a, &e);
		e--; /* a = 1.m * 2^e */
		if (e < minexp)
			e = minexp; /* subnormal: the quantum of the lowest binade */
		r = ldexpf(rintf(ldexpf(a, mb - e)), e - mb);
	}
	if (r > fmax) {
		if (sat || (kind & RT_Q_NONAN))
			r = fmax;
		else if (kind & RT_Q_IEEE)
			return (uint8_t)(sign | (((1u << eb) - 1u) << mb));
		else
			return rt_q_nan(eb, mb, kind, sign);
	}
	if (r == 0)
		return (uint8_t)((kind & RT_Q_UZ) ? 0u : sign);
	(void)frexpf(r, &e);
	e--;
	if (e < minexp) /* subnormal: mantissa counts quanta of 2^(minexp - mb) */
		return (uint8_t)(sign | (uint32_t)ldexpf(r, mb - minexp));
	uint32_t m = (uint32_t)ldexpf(r, mb - e) - (1u << mb);
	return (uint8_t)(sign | ((uint32_t)(e + bias) << mb) | m);
}

RT_FN float rt_q_small2f(uint8_t b, int eb, int mb, int bias, int kind)
{
	uint32_t signbit_ = 1u << (eb + mb), ex = (b >> mb) & ((1u << eb) - 1u);
	uint32_t m = b & ((1u << mb) - 1u);
	float v;
	if ((kind & RT_Q_UZ) && b == 0x80u)
		return NAN;
	if ((kind & RT_Q_FN) && (b & (signbit_ - 1u)) == signbit_ - 1u)
		return NAN;
	if ((kind & RT_Q_IEEE) && ex == (1u << eb) - 1u)
		v = m ? NAN : INFINITY;
	else if (ex == 0)
		v = ldexpf((float)m, 1 - bias - mb);
	else
		v = ldexpf((float)(m + (1u << mb)), (int)ex - bias - mb);
	return (b & signbit_) ? -v : v;
}

RT_FN uint8_t rt_q_to_e4m3fn(float x, int sat)
{
	return rt_q_f2small(x, 4, 3, 7, RT_Q_FN, sat);
}
RT_FN uint8_t rt_q_to_e4m3fnuz(float x, int sat)
{
	return rt_q_f2small(x, 4, 3, 8, RT_Q_UZ, sat);
}
RT_FN uint8_t rt_q_to_e5m2(float x, int sat)
{
	return rt_q_f2small(x, 5, 2, 15, RT_Q_IEEE, sat);
}
RT_FN uint8_t rt_q_to_e5m2fnuz(float x, int sat)
{
	return rt_q_f2small(x, 5, 2, 16, RT_Q_UZ, sat);
}
RT_FN uint8_t rt_q_to_e2m1(float x, int sat)
{
	return rt_q_f2small(x, 2, 1, 1, RT_Q_NONAN, sat);
}
RT_FN float rt_q_from_e4m3fn(uint8_t b)
{
	return rt_q_small2f(b, 4, 3, 7, RT_Q_FN);
}
RT_FN float rt_q_from_e4m3fnuz(uint8_t b)
{
	return rt_q_small2f(b, 4, 3, 8, RT_Q_UZ);
}
RT_FN float rt_q_from_e5m2(uint8_t b)
{
	return rt_q_small2f(b, 5, 2, 15, RT_Q_IEEE);
}
RT_FN float rt_q_from_e5m2fnuz(uint8_t b)
{
	return rt_q_small2f(b, 5, 2, 16, RT_Q_UZ);
}
RT_FN float rt_q_from_e2m1(uint8_t b)
{
	return rt_q_small2f((uint8_t)(b & 0x0fu), 2, 1, 1, RT_Q_NONAN);
}

/* float8e8m0: a bare biased exponent, 0xff is NaN. */
RT_FN float rt_q_from_e8m0(uint8_t b)
{
	return b == 0xffu ? NAN : ldexpf(1.0f, (int)b - 127);
}

/* Rounded value v (already rint-ed) plus zero point, saturated to [lo, hi]; NaN gives lo. */
RT_FN int32_t rt_q_sat(double v, int32_t lo, int32_t hi)
{
	return v >= (double)lo ? (v <= (double)hi ? (int32_t)v : hi) : lo;
}

RT_FN int32_t rt_q_satf(float v, int32_t lo, int32_t hi)
{
	return v >= (float)lo ? (v <= (float)hi ? (int32_t)v : hi) : lo;
}

/* The int32 whose two's complement bits are u (integer accumulators wrap in uint32_t,
   which keeps overflow defined), without an implementation-defined conversion. */
RT_FN int32_t rt_q_i32(uint32_t u)
{
	return u <= 0x7fffffffu ? (int32_t)u : (int32_t)(u - 0x80000000u) - 0x7fffffff - 1;
}

#endif
