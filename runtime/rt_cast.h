/* rt_cast.h - element conversions of Cast: 8- and 4-bit floats, float -> integer.
 *
 * Float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ) and float4 E2M1 encoders round to
 * nearest even from a float, with the saturation rules of ONNX Cast; float8e8m0
 * has its own rounding modes. Wider sources reach them exactly: float16 and
 * bfloat16 widen to float without loss, and a double is first rounded to float
 * "to odd", which keeps the final round-to-nearest-even correct.
 * Float -> integer conversion truncates, maps NaN to 0 and saturates out of range
 * values to the 64-bit range before the (wrapping) narrowing, so no conversion is
 * undefined behaviour in C. cnnc's fold includes this file too, so compile-time
 * and run-time casts give the same bits.
 */
#ifndef CNNC_RT_CAST_H
#define CNNC_RT_CAST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define RT_FN static inline __attribute__((unused))
#else
#define RT_FN static inline
#endif
#endif

/* float8 formats, the `fmt` argument of rt_f2f8/rt_f82f */
enum { RT_E4M3FN = 0, RT_E4M3FNUZ = 1, RT_E5M2 = 2, RT_E5M2FNUZ = 3 };
/* rounding modes of float8e8m0 */
enum { RT_ROUND_UP = 0, RT_ROUND_DOWN = 1, RT_ROUND_NEAREST = 2 };

RT_FN float rt_bits2f(uint32_t x)
{
	float f;
	memcpy(&f, &x, 4);
	return f;
}

RT_FN uint32_t rt_f2bits(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	return x;
}

/* The encoding of out-of-range values without saturation. */
RT_FN uint8_t rt_f8_overflow(int fmt, uint32_t sign)
{
	if (fmt & 1)
		return 0x80u; /* FNUZ: the one NaN */
	return (uint8_t)(sign | (fmt == RT_E5M2 ? 0x7cu : 0x7fu)); /* inf, or NaN */
}

RT_FN uint8_t rt_f2f8(float f, int fmt, int saturate)
{
	const int uz = fmt & 1;
	const uint32_t mb = fmt >= RT_E5M2 ? 2u : 3u;
	const int32_t bias = (fmt >= RT_E5M2 ? 15 : 7) + uz;
	const uint32_t maxv = fmt == RT_E4M3FN ? 0x7eu : fmt == RT_E5M2 ? 0x7bu : 0x7fu;
	uint32_t x = rt_f2bits(f), sign = (x >> 24) & 0x80u, a = x & 0x7fffffffu;
	uint32_t r, rem, half, shift;
	int32_t e;
	if (a > 0x7f800000u)
		return uz ? 0x80u : (uint8_t)(sign | (fmt == RT_E5M2 ? 0x7eu : 0x7fu));
	if (a == 0x7f800000u)
		return saturate ? (uint8_t)(sign | maxv) : rt_f8_overflow(fmt, sign);
	if (a < 0x00800000u) /* zero or float subnormal: far below the smallest float8 */
		return uz ? 0u : (uint8_t)sign;
	e = (int32_t)(a >> 23) - 127 + bias;
	if (e >= 1) {
		shift = 23u - mb;
		r = ((uint32_t)e << mb) | ((a & 0x7fffffu) >> shift);
		rem = a & ((1u << shift) - 1u);
	} else {
		uint32_t man = (a & 0x7fffffu) | 0x800000u;
		shift = 23u - mb + (uint32_t)(1 - e);
		if (shift > 31u)
			return uz ? 0u : (uint8_t)sign;
		r = man >> shift;
		rem = man & ((1u << shift) - 1u);
	}
	half = 1u << (shift - 1u);
	if (rem > half || (rem == half && (r & 1u)))
		r++;
	if (r > maxv)
		return saturate ? (uint8_t)(sign | maxv) : rt_f8_overflow(fmt, sign);
	if (r == 0)
		return uz ? 0u : (uint8_t)sign;
	return (uint8_t)(sign | r);
}

RT_FN float rt_f82f(uint8_t v, int fmt)
{
	const int uz = fmt & 1;
	const uint32_t mb = fmt >= RT_E5M2 ? 2u : 3u;
	const int32_t bias = (fmt >= RT_E5M2 ? 15 : 7) + uz;
	uint32_t sign = (uint32_t)(v & 0x80u) << 24, e = (v & 0x7fu) >> mb, m = v & ((1u << mb) - 1u);
	if (uz && v == 0x80u)
		return rt_bits2f(0x7fc00000u);
	if (fmt == RT_E4M3FN && (v & 0x7fu) == 0x7fu)
		return rt_bits2f(sign | 0x7fc00000u);
	if (fmt == RT_E5M2 && e == 31u)
		return rt_bits2f(sign | (m ? 0x7fc00000u : 0x7f800000u));
	if (e == 0) { /* subnormal: m * 2^(1 - bias - mb), exact in float */
		float s = rt_bits2f((uint32_t)(127 + 1 - bias - (int32_t)mb) << 23);
		float r = (float)m * s;
		return sign ? -r : r;
	}
	return rt_bits2f(sign | ((uint32_t)((int32_t)e - bias + 127) << 23) | (m << (23u - mb)));
}

/* float4 E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; nearest even,
   saturating at 6. It has no NaN: NaN becomes the code ONNX's reference uses
   for it (0x8, the negative zero pattern, sign-flipped for a negative NaN). */
RT_FN uint8_t rt_f2f4(float f)
{
	uint32_t x = rt_f2bits(f), sign = (x >> 28) & 0x8u;
	float a = fabsf(f);
	uint8_t c;
	if (f != f)
		return (uint8_t)(sign ^ 0x8u);
	c = a <= 0.25f ? 0 : a < 0.75f ? 1 : a <= 1.25f ? 2 : a < 1.75f ? 3 : a <= 2.5f ? 4
	    : a < 3.5f ? 5 : a <= 5.0f ? 6 : 7;
	return (uint8_t)(sign | c);
}

RT_FN float rt_f42f(uint8_t v)
{
	static const float mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
	float r = mag[v & 7u];
	return (v & 8u) ? -r : r;
}

/* float8e8m0: an exponent only, 2^(v - 127), 0xff is NaN. Negative inputs are
   undefined in ONNX; their magnitude is used. */
RT_FN uint8_t rt_f2e8m0(float f, int saturate, int mode)
{
	uint32_t a = rt_f2bits(f) & 0x7fffffffu, e = a >> 23, m = a & 0x7fffffu;
	int32_t biased;
	if (a > 0x7f800000u)
		return 0xffu;
	if (a == 0x7f800000u)
		return saturate ? 0xfeu : 0xffu;
	if (e == 0) {
		int p = 22;
		if (m == 0)
			return saturate ? 0u : 0xffu;
		while (!(m >> p))
			p--;
		biased = p - 22; /* 2^(p - 149) */
		m = (m << (23 - p)) & 0x7fffffu;
	} else {
		biased = (int32_t)e;
	}
	if ((mode == RT_ROUND_UP && m) || (mode == RT_ROUND_NEAREST && m >= 0x400000u))
		biased++;
	if (biased > 254)
		return saturate ? 0xfeu : 0xffu;
	if (biased < 0)
		return saturate ? 0u : 0xffu;
	return (uint8_t)biased;
}

RT_FN float rt_e8m02f(uint8_t v)
{
	if (v == 0xffu)
		return rt_bits2f(0x7fc00000u);
	return rt_bits2f(v ? (uint32_t)v << 23 : 0x00400000u);
}

/* double -> float rounding to odd: inexact results get their last bit set, so a
   second rounding to a narrower format rounds as if done once from the double. */
RT_FN float rt_d2f_odd(double d)
{
	float f = (float)d;
	if ((double)f != d && d == d) {
		uint32_t x = rt_f2bits(f);
		if (fabs((double)f) > fabs(d))
			x--;
		f = rt_bits2f(x | 1u);
	}
	return f;
}

/* Truncation toward zero; NaN gives 0, out-of-range values saturate. */
RT_FN int64_t rt_f2i64(double x)
{
	if (x != x)
		return 0;
	if (x >= 9223372036854775808.0)
		return INT64_MAX;
	if (x < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)x;
}

RT_FN uint64_t rt_f2u64(double x)
{
	if (x >= 18446744073709551616.0)
		return UINT64_MAX;
	if (x >= 9223372036854775808.0)
		return (uint64_t)x;
	return (uint64_t)rt_f2i64(x); /* negative values wrap, as in C on integers */
}

/* Low `bits` bits of v as a signed (sign-extended) or unsigned small integer. */
RT_FN int8_t rt_wrap_s(int64_t v, int bits)
{
	uint32_t u = (uint32_t)((uint64_t)v & ((1u << bits) - 1u)), h = 1u << (bits - 1);
	return (int8_t)((int32_t)(u ^ h) - (int32_t)h);
}

RT_FN uint8_t rt_wrap_u(int64_t v, int bits)
{
	return (uint8_t)((uint64_t)v & ((1u << bits) - 1u));
}

/* A number from text (strtod syntax: decimal, exponent, INF, NaN in any case). */
RT_FN double rt_s2d(const char *s)
{
	return s ? strtod(s, NULL) : 0.0;
}

RT_FN int64_t rt_s2i64(const char *s)
{
	return s ? (int64_t)strtoll(s, NULL, 10) : 0;
}

RT_FN uint64_t rt_s2u64(const char *s)
{
	return s ? (uint64_t)strtoull(s, NULL, 10) : 0;
}

/* The shortest "%g" text of x that reads back as the same float (single) or
   double; "NaN", "INF" and "-INF" for the special values, as Cast parses them. */
RT_FN void rt_fmt_real(char *buf, size_t n, double x, int single)
{
	int p;
	if (x != x) {
		snprintf(buf, n, "NaN");
		return;
	}
	if (x == HUGE_VAL || x == -HUGE_VAL) {
		snprintf(buf, n, x < 0 ? "-INF" : "INF");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, x);
		if (single ? strtof(buf, NULL) == (float)x : strtod(buf, NULL) == x)
			return;
	}
}

#endif
