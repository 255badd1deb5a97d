/* cnnc runtime: the support code generated kernels share.
 *
 * cnnc copies this file into every model.c it writes, so a generated model needs
 * nothing but libc headers and libm. Everything is `static inline`: two models in
 * one program each carry their own copy without clashing, and unused helpers cost
 * nothing. Plain C99, no allocation, no global state.
 */
#ifndef CNNC_RT_H
#define CNNC_RT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Helpers are static inline; clang would warn about the unused ones in a .c file. */
#if defined(__GNUC__) || defined(__clang__)
#define RT_FN static inline __attribute__((unused))
#else
#define RT_FN static inline
#endif

/* IEEE half <-> float, round to nearest even; inf and nan preserved. */
RT_FN float rt_h2f(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, x;
	float f;
	if (exp == 0x1fu) {
		x = sign | 0x7f800000u | (man << 13);
	} else if (exp != 0) {
		x = sign | ((exp + 112u) << 23) | (man << 13);
	} else {
		/* zero or subnormal: man * 2^-24 is exact in float */
		f = (float)man * 5.9604644775390625e-8f;
		return sign ? -f : f;
	}
	memcpy(&f, &x, 4);
	return f;
}

RT_FN uint16_t rt_f2h(float f)
{
	uint32_t x, sign, exp, man;
	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000u;
	exp = (x >> 23) & 0xffu;
	man = x & 0x7fffffu;
	if (exp == 0xffu)
		return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
	if (exp > 142u)
		return (uint16_t)(sign | 0x7c00u);
	if (exp < 113u) { /* subnormal half or zero */
		uint32_t shift, h, rem, half;
		if (exp < 102u)
			return (uint16_t)sign;
		man |= 0x800000u;
		shift = 126u - exp;
		h = man >> shift;
		rem = man & ((1u << shift) - 1u);
		half = 1u << (shift - 1u);
		if (rem > half || (rem == half && (h & 1u)))
			h++;
		return (uint16_t)(sign | h);
	} else {
		uint32_t h = ((exp - 112u) << 10) | (man >> 13), rem = man & 0x1fffu;
		if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
			h++;
		return (uint16_t)(sign | h);
	}
}

/* bfloat16 <-> float, round to nearest even. */
RT_FN float rt_bf2f(uint16_t h)
{
	uint32_t x = (uint32_t)h << 16;
	float f;
	memcpy(&f, &x, 4);
	return f;
}

RT_FN uint16_t rt_f2bf(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	if ((x & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((x >> 16) | 0x40u);
	x += 0x7fffu + ((x >> 16) & 1u);
	return (uint16_t)(x >> 16);
}

#endif
