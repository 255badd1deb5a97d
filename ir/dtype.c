/* dtype.c - element types: sizes, C spellings, and scalar conversions.
 *
 * The table is indexed by the ONNX DataType code. float16/bfloat16 are stored as
 * uint16_t bit patterns and computed in float; 8- and 4-bit floats are stored as
 * uint8_t and are converted only by the ops that define them (Cast, Q/DQ).
 */
#include <math.h>
#include <string.h>

#include "ir.h"

static const DTypeInfo table[DT_COUNT] = {
	[DT_UNDEFINED] = {"undefined", "void", "void", 0, false, false, false},
	[DT_FLOAT] = {"float", "float", "float", 4, true, true, false},
	[DT_UINT8] = {"uint8", "uint8_t", "uint8_t", 1, false, false, true},
	[DT_INT8] = {"int8", "int8_t", "int8_t", 1, false, true, true},
	[DT_UINT16] = {"uint16", "uint16_t", "uint16_t", 2, false, false, true},
	[DT_INT16] = {"int16", "int16_t", "int16_t", 2, false, true, true},
	[DT_INT32] = {"int32", "int32_t", "int32_t", 4, false, true, true},
	[DT_INT64] = {"int64", "int64_t", "int64_t", 8, false, true, true},
	[DT_STRING] = {"string", "const char *", "const char *", 0, false, false, false},
	[DT_BOOL] = {"bool", "uint8_t", "uint8_t", 1, false, false, false},
	[DT_FLOAT16] = {"float16", "uint16_t", "float", 2, true, true, false},
	[DT_DOUBLE] = {"double", "double", "double", 8, true, true, false},
	[DT_UINT32] = {"uint32", "uint32_t", "uint32_t", 4, false, false, true},
	[DT_UINT64] = {"uint64", "uint64_t", "uint64_t", 8, false, false, true},
	[DT_COMPLEX64] = {"complex64", "float", "float", 8, false, true, false},
	[DT_COMPLEX128] = {"complex128", "double", "double", 16, false, true, false},
	[DT_BFLOAT16] = {"bfloat16", "uint16_t", "float", 2, true, true, false},
	[DT_FLOAT8E4M3FN] = {"float8e4m3fn", "uint8_t", "float", 1, true, true, false},
	[DT_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", "uint8_t", "float", 1, true, true, false},
	[DT_FLOAT8E5M2] = {"float8e5m2", "uint8_t", "float", 1, true, true, false},
	[DT_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", "uint8_t", "float", 1, true, true, false},
	[DT_UINT4] = {"uint4", "uint8_t", "uint8_t", 1, false, false, true},
	[DT_INT4] = {"int4", "int8_t", "int8_t", 1, false, true, true},
	[DT_FLOAT4E2M1] = {"float4e2m1", "uint8_t", "float", 1, true, true, false},
	[DT_FLOAT8E8M0] = {"float8e8m0", "uint8_t", "float", 1, true, false, false},
	[DT_UINT2] = {"uint2", "uint8_t", "uint8_t", 1, false, false, true},
	[DT_INT2] = {"int2", "int8_t", "int8_t", 1, false, true, true},
};

bool dtype_valid(int t)
{
	return t > 0 && t < DT_COUNT && t != DT_COMPLEX64 && t != DT_COMPLEX128;
}

const DTypeInfo *dtype_info(DType t)
{
	if ((int)t < 0 || t >= DT_COUNT)
		return &table[DT_UNDEFINED];
	return &table[t];
}

const char *dtype_name(DType t)
{
	return dtype_info(t)->name;
}

int64_t dtype_bytes(DType t, int64_t n)
{
	int64_t sz = t == DT_STRING ? (int64_t)sizeof(char *) : dtype_info(t)->size;
	if (n < 0 || sz <= 0)
		return -1;
	if (n > CNNC_MAX_TENSOR_BYTES / sz)
		return -1;
	return n * sz;
}

uint16_t dtype_f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000u;
	uint32_t exp = (x >> 23) & 0xffu;
	uint32_t man = x & 0x7fffffu;
	if (exp == 0xff) /* inf or nan */
		return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));
	int e = (int)exp - 127 + 15;
	if (e >= 31)
		return (uint16_t)(sign | 0x7c00u);
	if (e <= 0) { /* subnormal half or zero */
		if (e < -10)
			return (uint16_t)sign;
		man |= 0x800000u;
		int shift = 14 - e;
		uint32_t h = man >> shift;
		uint32_t rem = man & ((1u << shift) - 1);
		uint32_t half = 1u << (shift - 1);
		if (rem > half || (rem == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = ((uint32_t)e << 10) | (man >> 13);
	uint32_t rem = man & 0x1fffu;
	if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
		h++; /* may carry into the exponent, which is the right result */
	return (uint16_t)(sign | h);
}

float dtype_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu;
	uint32_t man = h & 0x3ffu;
	uint32_t x;
	if (exp == 0) {
		if (man == 0) {
			x = sign;
		} else { /* subnormal: normalise */
			int e = -1;
			do {
				man <<= 1;
				e++;
			} while (!(man & 0x400u));
			x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
		}
	} else if (exp == 31) {
		x = sign | 0x7f800000u | (man << 13);
	} else {
		x = sign | ((exp - 15 + 127) << 23) | (man << 13);
	}
	float f;
	memcpy(&f, &x, 4);
	return f;
}

uint16_t dtype_f32_to_bf16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	if ((x & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((x >> 16) | 0x40u); /* quiet nan */
	x += 0x7fffu + ((x >> 16) & 1u);
	return (uint16_t)(x >> 16);
}

float dtype_bf16_to_f32(uint16_t h)
{
	uint32_t x = (uint32_t)h << 16;
	float f;
	memcpy(&f, &x, 4);
	return f;
}

/* Value of a byte-stored small float: eb exponent bits, mb mantissa bits, bias.
   fn: the all-ones code is NaN (e4m3fn); uz: 0x80 is NaN and there is no -0
   (the fnuz types); ieee: the top exponent holds inf and NaN (e5m2). */
static double small_float(uint8_t b, int eb, int mb, int bias, bool fn, bool uz, bool ieee)
{
	unsigned sign = 1u << (eb + mb), ex = (b >> mb) & ((1u << eb) - 1), m = b & ((1u << mb) - 1);
	double v;
	if ((uz && b == 0x80) || (fn && (b & (sign - 1)) == sign - 1))
		return NAN;
	if (ieee && ex == (1u << eb) - 1)
		v = m ? NAN : INFINITY;
	else if (ex == 0)
		v = ldexp(m, 1 - bias - mb);
	else
		v = ldexp(m + (1u << mb), (int)ex - bias - mb);
	return (b & sign) ? -v : v;
}

double dtype_get_f64(DType t, const void *data, int64_t i)
{
	uint8_t b = dtype_info(t)->size == 1 ? ((const uint8_t *)data)[i] : 0;
	switch (t) {
	case DT_FLOAT8E4M3FN: return small_float(b, 4, 3, 7, true, false, false);
	case DT_FLOAT8E4M3FNUZ: return small_float(b, 4, 3, 8, false, true, false);
	case DT_FLOAT8E5M2: return small_float(b, 5, 2, 15, false, false, true);
	case DT_FLOAT8E5M2FNUZ: return small_float(b, 5, 2, 16, false, true, false);
	case DT_FLOAT4E2M1: return small_float(b & 0x0f, 2, 1, 1, false, false, false);
	case DT_FLOAT8E8M0: return b == 0xff ? NAN : ldexp(1.0, (int)b - 127);
	case DT_FLOAT: return ((const float *)data)[i];
	case DT_DOUBLE: return ((const double *)data)[i];
	case DT_FLOAT16: return dtype_f16_to_f32(((const uint16_t *)data)[i]);
	case DT_BFLOAT16: return dtype_bf16_to_f32(((const uint16_t *)data)[i]);
	case DT_UINT64: return (double)((const uint64_t *)data)[i];
	default: return (double)dtype_get_i64(t, data, i);
	}
}

int64_t dtype_get_i64(DType t, const void *data, int64_t i)
{
	switch (t) {
	case DT_UINT8: case DT_BOOL: case DT_UINT4: case DT_UINT2: return ((const uint8_t *)data)[i];
	case DT_INT8: case DT_INT4: case DT_INT2: return ((const int8_t *)data)[i];
	case DT_UINT16: return ((const uint16_t *)data)[i];
	case DT_INT16: return ((const int16_t *)data)[i];
	case DT_INT32: return ((const int32_t *)data)[i];
	case DT_INT64: return ((const int64_t *)data)[i];
	case DT_UINT32: return ((const uint32_t *)data)[i];
	case DT_UINT64: return (int64_t)((const uint64_t *)data)[i];
	case DT_FLOAT: case DT_DOUBLE: case DT_FLOAT16: case DT_BFLOAT16: case DT_FLOAT8E4M3FN:
	case DT_FLOAT8E4M3FNUZ: case DT_FLOAT8E5M2: case DT_FLOAT8E5M2FNUZ: case DT_FLOAT4E2M1:
	case DT_FLOAT8E8M0: {
		double v = dtype_get_f64(t, data, i);
		if (isnan(v))
			return 0;
		if (v >= 9.2e18)
			return INT64_MAX;
		if (v <= -9.2e18)
			return INT64_MIN;
		return (int64_t)v;
	}
	default: return 0;
	}
}

void dtype_set_f64(DType t, void *data, int64_t i, double v)
{
	switch (t) {
	case DT_FLOAT: ((float *)data)[i] = (float)v; break;
	case DT_DOUBLE: ((double *)data)[i] = v; break;
	case DT_FLOAT16: ((uint16_t *)data)[i] = dtype_f32_to_f16((float)v); break;
	case DT_BFLOAT16: ((uint16_t *)data)[i] = dtype_f32_to_bf16((float)v); break;
	case DT_BOOL: ((uint8_t *)data)[i] = v != 0; break;
	default: {
		int64_t x = 0;
		if (!isnan(v))
			x = v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
		if (t == DT_UINT64 && v >= 9.2e18)
			((uint64_t *)data)[i] = v >= 1.8e19 ? UINT64_MAX : (uint64_t)v;
		else
			dtype_set_i64(t, data, i, x);
	}
	}
}

void dtype_set_i64(DType t, void *data, int64_t i, int64_t v)
{
	switch (t) {
	case DT_UINT8: case DT_UINT4: case DT_UINT2: ((uint8_t *)data)[i] = (uint8_t)v; break;
	case DT_BOOL: ((uint8_t *)data)[i] = v != 0; break;
	case DT_INT8: case DT_INT4: case DT_INT2: ((int8_t *)data)[i] = (int8_t)v; break;
	case DT_UINT16: ((uint16_t *)data)[i] = (uint16_t)v; break;
	case DT_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
	case DT_INT32: ((int32_t *)data)[i] = (int32_t)v; break;
	case DT_INT64: ((int64_t *)data)[i] = v; break;
	case DT_UINT32: ((uint32_t *)data)[i] = (uint32_t)v; break;
	case DT_UINT64: ((uint64_t *)data)[i] = (uint64_t)v; break;
	case DT_FLOAT: case DT_DOUBLE: case DT_FLOAT16: case DT_BFLOAT16:
		dtype_set_f64(t, data, i, (double)v);
		break;
	default: break;
	}
}
