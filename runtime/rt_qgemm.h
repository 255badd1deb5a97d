/* rt_qgemm.h - the int8 matrix product behind quantized Conv, MatMul and Gemm.
 *
 * y[m][n] = requant(sum_k a[m][k] * w[n][k] + c0[n] - wz[n] * rs[m]) for uint8 rows a
 * (given by pointers, each row's k in segments: RtQSeg; a matrix row is one segment, a
 * convolution's row its window in a channels-last plane) and int8 weights packed by
 * cnnc as [N/16 blocks][Kp/4][16 lanes][4 bytes], the layout of vpdpbusd and of Arm's
 * sdot/usdot, which multiply 4 bytes of a by 4 bytes of w and add them to one int32
 * lane. c0 already holds the bias and the zero-point terms that depend on n only; rs
 * (row sums of a) is needed only when the weights have a zero point (wz != NULL).
 * Requantization is ONNX Runtime's: float(acc) * mult[n], clamped to the output range
 * less the zero point, rounded half to even, plus yz.
 *
 * The tile (8 rows x 16 outputs) has one kernel per instruction set, chosen by the
 * compiler's macros:
 * - AVX-512 VNNI (-march=native on Zen 4/5, Ice Lake and later): 8 zmm accumulators,
 *   one weight load and 8 byte broadcasts per 4 k; the requantizing store is AVX-512
 *   too (an 8x16 byte transpose for NCHW output columns).
 * - AVX-VNNI without AVX-512: the same with 256-bit vpdpbusd, 4 rows at a time.
 * - AVX2 (--target x86-64-v3 builds, -march=x86-64-v3): bytes widened to int16 and
 *   multiplied with vpmaddwd, exact (vpmaddubsw would saturate its int16 pair sums).
 *   With AVX2 or AVX-VNNI, tiles stored along n (channels-last output) are requantized
 *   8 lanes at a time (rt_qgemm_store256).
 * - aarch64 with i8mm: usdot (u8 x s8); with dotprod: sdot on a - 128 (a ^ 0x80) plus
 *   128 * the weight sums; plain NEON: vld4 splits the weights by k, widened vmlal_n.
 * - otherwise (and target generic, RT_NO_SIMD): plain C over the same layout.
 * Sums wrap in uint32_t (the vector adds wrap too), so every path gives the same bits;
 * tests/quant runs under the x86 ones, tests/embedded/aarch64.sh under the Arm ones.
 */
#ifndef CNNC_RT_QGEMM_H
#define CNNC_RT_QGEMM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define RT_FN static inline __attribute__((unused))
#else
#define RT_FN static inline
#endif
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512F__) && !defined(RT_NO_SIMD)
#include <immintrin.h>
#define RT_QGEMM_VNNI 1
#elif defined(__AVXVNNI__) && defined(__AVX2__) && !defined(RT_NO_SIMD)
#include <immintrin.h>
#define RT_QGEMM_AVXVNNI 1 /* 256-bit vpdpbusd (Alder Lake, Zen 5 without AVX-512) */
#elif defined(__AVX2__) && !defined(RT_NO_SIMD)
#include <immintrin.h>
#define RT_QGEMM_AVX2 1 /* x86-64-v3: bytes widened to int16, vpmaddwd */
#endif

#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(RT_NO_SIMD) && !defined(RT_QGEMM_VNNI)
#include <arm_neon.h>
#if defined(__ARM_FEATURE_MATMUL_INT8)
#define RT_QGEMM_USDOT 1 /* usdot: u8 x s8 directly */
#elif defined(__ARM_FEATURE_DOTPROD)
#define RT_QGEMM_SDOT 1 /* sdot on a - 128, plus 128 * the weight sums */
#else
#define RT_QGEMM_NEON 1 /* widening multiply-accumulate */
#endif
#endif

#define RT_QGEMM_MR 8

/* Where the k of one row lie: ni * nj segments of seg4 * 4 bytes each, segment (i, j) at
   i * offi + j * offj from the row's pointer (a matrix row: one segment; a convolution
   over a channels-last plane: one segment per kernel row or tap). */
typedef struct RtQSeg {
	int64_t ni, nj, offi, offj, seg4;
} RtQSeg;

/* acc[r][j] = sum over k of a_r[k] * w[j][k] for rows a_r = ar[r], r < mm (all
   RT_QGEMM_MR pointers valid: the caller repeats a row for a partial tile) */
RT_FN void rt_qgemm_tile(const uint8_t *const ar[RT_QGEMM_MR], int64_t mm, const RtQSeg *sg,
			 const int8_t *w, uint32_t acc[RT_QGEMM_MR][16])
{
#ifdef RT_QGEMM_VNNI
	__m512i c[RT_QGEMM_MR];
	(void)mm;
	for (int r = 0; r < RT_QGEMM_MR; r++)
		c[r] = _mm512_setzero_si512();
	for (int64_t i = 0; i < sg->ni; i++)
		for (int64_t j = 0; j < sg->nj; j++) {
			const int64_t off = i * sg->offi + j * sg->offj;
			for (int64_t k = 0; k < sg->seg4; k++, w += 64) {
				const __m512i wv = _mm512_loadu_si512((const void *)w);
				for (int r = 0; r < RT_QGEMM_MR; r++) {
					int32_t a4;
					memcpy(&a4, ar[r] + off + 4 * k, 4);
					c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32(a4), wv);
				}
			}
		}
	for (int r = 0; r < RT_QGEMM_MR; r++)
		_mm512_storeu_si512((void *)acc[r], c[r]);
#elif defined(RT_QGEMM_AVXVNNI)
	/* 4 rows at a time: 8 accumulators of 8 lanes, 2 weight vectors per k step */
	for (int64_t r0 = 0; r0 < mm; r0 += 4) {
		__m256i c[4][2];
		for (int r = 0; r < 4; r++)
			c[r][0] = c[r][1] = _mm256_setzero_si256();
		const int8_t *wk = w;
		for (int64_t i = 0; i < sg->ni; i++)
			for (int64_t j = 0; j < sg->nj; j++) {
				const int64_t off = i * sg->offi + j * sg->offj;
				for (int64_t k = 0; k < sg->seg4; k++, wk += 64) {
					const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)wk);
					const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(wk + 32));
					for (int r = 0; r < 4; r++) {
						int32_t a4;
						memcpy(&a4, ar[r0 + r] + off + 4 * k, 4);
						const __m256i av = _mm256_set1_epi32(a4);
						c[r][0] = _mm256_dpbusd_avx_epi32(c[r][0], av, w0);
						c[r][1] = _mm256_dpbusd_avx_epi32(c[r][1], av, w1);
					}
				}
			}
		for (int r = 0; r < 4 && r0 + r < mm; r++) {
			_mm256_storeu_si256((__m256i *)(void *)acc[r0 + r], c[r][0]);
			_mm256_storeu_si256((__m256i *)(void *)(acc[r0 + r] + 8), c[r][1]);
		}
	}
#elif defined(RT_QGEMM_AVX2)
	/* 2 rows at a time. The k step's weights widened to int16 (4 vectors of 4 lanes x 4
	   k) meet the row's 4 bytes, widened and repeated, in vpmaddwd: exact int32 pair sums
	   (vpmaddubsw would saturate), 2 per lane, added pairwise at the end. */
	for (int64_t r0 = 0; r0 < mm; r0 += 2) {
		__m256i c[2][4];
		for (int r = 0; r < 2; r++)
			for (int q = 0; q < 4; q++)
				c[r][q] = _mm256_setzero_si256();
		const int8_t *wk = w;
		for (int64_t i = 0; i < sg->ni; i++)
			for (int64_t j = 0; j < sg->nj; j++) {
				const int64_t off = i * sg->offi + j * sg->offj;
				for (int64_t k = 0; k < sg->seg4; k++, wk += 64) {
					__m256i wv[4];
					for (int q = 0; q < 4; q++)
						wv[q] = _mm256_cvtepi8_epi16(
							_mm_loadu_si128((const __m128i *)(const void *)(wk + 16 * q)));
					for (int r = 0; r < 2; r++) {
						int32_t a4;
						memcpy(&a4, ar[r0 + r] + off + 4 * k, 4);
						const __m256i av = _mm256_broadcastq_epi64(
							_mm_cvtepu8_epi16(_mm_cvtsi32_si128(a4)));
						for (int q = 0; q < 4; q++)
							c[r][q] = _mm256_add_epi32(c[r][q], _mm256_madd_epi16(av, wv[q]));
					}
				}
			}
		for (int r = 0; r < 2 && r0 + r < mm; r++) {
			/* hadd gives lanes [0 1 4 5 | 2 3 6 7]; the permute puts them in order */
			const __m256i lo = _mm256_permute4x64_epi64(_mm256_hadd_epi32(c[r][0], c[r][1]), 0xd8);
			const __m256i hi = _mm256_permute4x64_epi64(_mm256_hadd_epi32(c[r][2], c[r][3]), 0xd8);
			_mm256_storeu_si256((__m256i *)(void *)acc[r0 + r], lo);
			_mm256_storeu_si256((__m256i *)(void *)(acc[r0 + r] + 8), hi);
		}
	}
#elif defined(RT_QGEMM_USDOT) || defined(RT_QGEMM_SDOT)
	/* 4 rows at a time: 16 accumulators of 4 lanes, 4 weight vectors (lane-major, 4 k per
	   lane: the layout of sdot/usdot) */
	for (int64_t r0 = 0; r0 < mm; r0 += 4) {
		int32x4_t c[4][4];
#ifdef RT_QGEMM_SDOT
		int32x4_t ws[4];
		const int8x16_t ones = vdupq_n_s8(1);
		for (int q = 0; q < 4; q++)
			ws[q] = vdupq_n_s32(0);
#endif
		for (int r = 0; r < 4; r++)
			for (int q = 0; q < 4; q++)
				c[r][q] = vdupq_n_s32(0);
		const int8_t *wk = w;
		for (int64_t i = 0; i < sg->ni; i++)
			for (int64_t j = 0; j < sg->nj; j++) {
				const int64_t off = i * sg->offi + j * sg->offj;
				for (int64_t k = 0; k < sg->seg4; k++, wk += 64) {
					int8x16_t wv[4];
					for (int q = 0; q < 4; q++) {
						wv[q] = vld1q_s8(wk + 16 * q);
#ifdef RT_QGEMM_SDOT
						ws[q] = vdotq_s32(ws[q], ones, wv[q]);
#endif
					}
					for (int r = 0; r < 4; r++) {
						uint32_t a4;
						memcpy(&a4, ar[r0 + r] + off + 4 * k, 4);
#ifdef RT_QGEMM_USDOT
						const uint8x16_t av = vreinterpretq_u8_u32(vdupq_n_u32(a4));
						for (int q = 0; q < 4; q++)
							c[r][q] = vusdotq_s32(c[r][q], av, wv[q]);
#else
						const int8x16_t av = vreinterpretq_s8_u32(vdupq_n_u32(a4 ^ 0x80808080u));
						for (int q = 0; q < 4; q++)
							c[r][q] = vdotq_s32(c[r][q], av, wv[q]);
#endif
					}
				}
			}
		for (int r = 0; r < 4 && r0 + r < mm; r++)
			for (int q = 0; q < 4; q++) {
#ifdef RT_QGEMM_SDOT
				/* sum (a - 128) w + 128 sum w, wrapping like the other paths */
				c[r][q] = vreinterpretq_s32_u32(vaddq_u32(vreinterpretq_u32_s32(c[r][q]),
					vshlq_n_u32(vreinterpretq_u32_s32(ws[q]), 7)));
#endif
				vst1q_u32(acc[r0 + r] + 4 * q, vreinterpretq_u32_s32(c[r][q]));
			}
	}
#elif defined(RT_QGEMM_NEON)
	/* vld4 splits a k step's 64 bytes into the 16 lanes' weights at each of the 4 k; each
	   is widened to int16 and multiplied by the row's byte with vmlal_n (exact: 255 * 128
	   fits int16 x int16) */
	for (int64_t r0 = 0; r0 < mm; r0 += 4) {
		int32x4_t c[4][4];
		for (int r = 0; r < 4; r++)
			for (int q = 0; q < 4; q++)
				c[r][q] = vdupq_n_s32(0);
		const int8_t *wk = w;
		for (int64_t i = 0; i < sg->ni; i++)
			for (int64_t j = 0; j < sg->nj; j++) {
				const int64_t off = i * sg->offi + j * sg->offj;
				for (int64_t k = 0; k < sg->seg4; k++, wk += 64) {
					const int8x16x4_t wv = vld4q_s8(wk);
					int16x8_t wl[4], wh[4];
					for (int t = 0; t < 4; t++) {
						wl[t] = vmovl_s8(vget_low_s8(wv.val[t]));
						wh[t] = vmovl_s8(vget_high_s8(wv.val[t]));
					}
					for (int r = 0; r < 4; r++) {
						const uint8_t *a = ar[r0 + r] + off + 4 * k;
						for (int t = 0; t < 4; t++) {
							const int16_t at = (int16_t)a[t];
							c[r][0] = vmlal_n_s16(c[r][0], vget_low_s16(wl[t]), at);
							c[r][1] = vmlal_n_s16(c[r][1], vget_high_s16(wl[t]), at);
							c[r][2] = vmlal_n_s16(c[r][2], vget_low_s16(wh[t]), at);
							c[r][3] = vmlal_n_s16(c[r][3], vget_high_s16(wh[t]), at);
						}
					}
				}
			}
		for (int r = 0; r < 4 && r0 + r < mm; r++)
			for (int q = 0; q < 4; q++)
				vst1q_u32(acc[r0 + r] + 4 * q, vreinterpretq_u32_s32(c[r][q]));
	}
#else
	for (int64_t r = 0; r < mm; r++) {
		uint32_t sum[16] = {0};
		const int8_t *wk = w;
		for (int64_t i = 0; i < sg->ni; i++)
			for (int64_t j = 0; j < sg->nj; j++) {
				const uint8_t *a = ar[r] + i * sg->offi + j * sg->offj;
				for (int64_t k = 0; k < sg->seg4; k++, a += 4, wk += 64) {
					const int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
					for (int q = 0; q < 16; q++)
						sum[q] += (uint32_t)(a0 * wk[4 * q] + a1 * wk[4 * q + 1] +
								     a2 * wk[4 * q + 2] + a3 * wk[4 * q + 3]);
				}
			}
		memcpy(acc[r], sum, sizeof sum);
	}
#endif
}

#ifdef RT_QGEMM_VNNI
/* Row r of the tile requantized to 16 bytes (lanes past nn hold garbage): the same
   float steps as the scalar code, rounding by vrndscaleps half to even. */
RT_FN __m128i rt_qgemm_row512(const uint32_t *acc, int64_t m, int64_t n0, __mmask16 k,
			      const int32_t *c0, const float *mult, const int32_t *wz,
			      const int32_t *rs, int32_t yz, __m512 flo, __m512 fhi)
{
	__m512i v = _mm512_add_epi32(_mm512_loadu_si512((const void *)acc),
				     _mm512_maskz_loadu_epi32(k, c0 + n0));
	if (wz)
		v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(k, wz + n0),
							   _mm512_set1_epi32(rs[m])));
	__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_maskz_loadu_ps(k, mult + n0));
	f = _mm512_min_ps(_mm512_max_ps(f, flo), fhi);
	f = _mm512_roundscale_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	return _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(yz)));
}

/* Tile store with AVX-512: rows contiguous along n (sn == 1) are masked 16-byte stores;
   a full tile into columns (sm == 1, NCHW conv output) is transposed to 16 runs of 8
   bytes, a partial one copied byte by byte. Returns 0 when neither applies. */
RT_FN int rt_qgemm_store512(uint32_t acc[RT_QGEMM_MR][16], int64_t m0, int64_t mm, int64_t n0,
			    int64_t nn, const int32_t *c0, const float *mult, const int32_t *wz,
			    const int32_t *rs, int32_t yz, int32_t lo, int32_t hi, void *y,
			    int64_t sm, int64_t sn)
{
	const __mmask16 k = (__mmask16)((1u << nn) - 1u);
	const __m512 flo = _mm512_set1_ps((float)(lo - yz)), fhi = _mm512_set1_ps((float)(hi - yz));
	uint8_t *yb = (uint8_t *)y;
	if (sn == 1) {
		for (int64_t r = 0; r < mm; r++)
			_mm_mask_storeu_epi8(yb + (m0 + r) * sm + n0, k,
					     rt_qgemm_row512(acc[r], m0 + r, n0, k, c0, mult, wz, rs,
							     yz, flo, fhi));
		return 1;
	}
	if (sm != 1)
		return 0;
	__m128i q[8], a[8], b[8];
	if (mm != 8) { /* a partial tile: requantized rows, then byte copies into columns */
		uint8_t t[8][16];
		for (int64_t r = 0; r < mm; r++)
			_mm_storeu_si128((__m128i *)(void *)t[r],
					 rt_qgemm_row512(acc[r], m0 + r, n0, k, c0, mult, wz, rs, yz, flo, fhi));
		for (int64_t j = 0; j < nn; j++)
			for (int64_t r = 0; r < mm; r++)
				yb[m0 + r + (n0 + j) * sn] = t[r][j];
		return 1;
	}
	for (int r = 0; r < 8; r++)
		q[r] = rt_qgemm_row512(acc[r], m0 + r, n0, k, c0, mult, wz, rs, yz, flo, fhi);
	for (int r = 0; r < 4; r++) {
		a[2 * r] = _mm_unpacklo_epi8(q[2 * r], q[2 * r + 1]);     /* n 0-7, rows 2r, 2r+1 */
		a[2 * r + 1] = _mm_unpackhi_epi8(q[2 * r], q[2 * r + 1]); /* n 8-15 */
	}
	for (int h = 0; h < 2; h++) {
		b[h * 4 + 0] = _mm_unpacklo_epi16(a[h], a[2 + h]); /* rows 0-3, n 0-3 (+8h) */
		b[h * 4 + 1] = _mm_unpackhi_epi16(a[h], a[2 + h]); /* rows 0-3, n 4-7 */
		b[h * 4 + 2] = _mm_unpacklo_epi16(a[4 + h], a[6 + h]); /* rows 4-7, n 0-3 */
		b[h * 4 + 3] = _mm_unpackhi_epi16(a[4 + h], a[6 + h]);
	}
	for (int h = 0; h < 2; h++)
		for (int half = 0; half < 2; half++) {
			const __m128i lo4 = b[h * 4 + half], hi4 = b[h * 4 + 2 + half];
			const __m128i c01 = _mm_unpacklo_epi32(lo4, hi4), c23 = _mm_unpackhi_epi32(lo4, hi4);
			const int64_t nb = h * 8 + half * 4; /* columns nb .. nb+3 */
			const __m128i cols[2] = {c01, c23};
			for (int t = 0; t < 4; t++) {
				if (nb + t >= nn)
					return 1;
				uint8_t *dst = yb + m0 + (n0 + nb + t) * sn;
				const __m128i c = cols[t / 2];
				if (t % 2 == 0)
					_mm_storel_epi64((__m128i *)(void *)dst, c);
				else
					_mm_storel_epi64((__m128i *)(void *)dst, _mm_unpackhi_epi64(c, c));
			}
		}
	return 1;
}
#endif

#if defined(RT_QGEMM_AVX2) || defined(RT_QGEMM_AVXVNNI)
/* Tile store with AVX2 for rows contiguous along n (sn == 1: channels-last output):
   8 lanes at a time, the scalar code's float steps (vroundps rounds half to even), the
   values (already within [lo, hi]) packed to bytes. Returns how many of the nn lanes
   it stored (a multiple of 8); the caller does the rest. */
RT_FN int64_t rt_qgemm_store256(uint32_t acc[RT_QGEMM_MR][16], int64_t m0, int64_t mm, int64_t n0,
				int64_t nn, const int32_t *c0, const float *mult, const int32_t *wz,
				const int32_t *rs, int32_t yz, int32_t lo, int32_t hi, int ysigned,
				void *y, int64_t sm)
{
	const __m256 flo = _mm256_set1_ps((float)(lo - yz)), fhi = _mm256_set1_ps((float)(hi - yz));
	const __m256i yzv = _mm256_set1_epi32(yz);
	const int64_t nv = nn / 8 * 8;
	for (int64_t h = 0; h < nv; h += 8) {
		const __m256i cv = _mm256_loadu_si256((const __m256i *)(const void *)(c0 + n0 + h));
		const __m256 mv = _mm256_loadu_ps(mult + n0 + h);
		for (int64_t r = 0; r < mm; r++) {
			__m256i v = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(acc[r] + h)), cv);
			if (wz)
				v = _mm256_sub_epi32(v, _mm256_mullo_epi32(
					_mm256_loadu_si256((const __m256i *)(const void *)(wz + n0 + h)),
					_mm256_set1_epi32(rs[m0 + r])));
			__m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(v), mv);
			f = _mm256_min_ps(_mm256_max_ps(f, flo), fhi);
			f = _mm256_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
			const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), yzv);
			const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
			const __m128i b = ysigned ? _mm_packs_epi16(w16, w16) : _mm_packus_epi16(w16, w16);
			_mm_storel_epi64((__m128i *)(void *)((uint8_t *)y + (m0 + r) * sm + n0 + h), b);
		}
	}
	return nv;
}
#endif

/* ONNX Runtime's requantization of one int32 sum (two's complement bits v): float(v) *
   mult clamped to [flo, fhi] (the output range less the zero point), rounded half to
   even, plus yz. */
RT_FN int32_t rt_q_requant(uint32_t v, float mult, int32_t yz, float flo, float fhi)
{
	const int32_t iv = v <= 0x7fffffffu ? (int32_t)v : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1;
	float f = (float)iv * mult;
	f = f < flo ? flo : f > fhi ? fhi : f;
	return (int32_t)nearbyintf(f) + yz;
}

/* Requantizes the tile into y (element (m, n) at y[m * sm + n * sn]). */
RT_FN void rt_qgemm_store(uint32_t acc[RT_QGEMM_MR][16], int64_t m0, int64_t mm, int64_t n0,
			  int64_t nn, const int32_t *c0, const float *mult, const int32_t *wz,
			  const int32_t *rs, int32_t yz, int32_t lo, int32_t hi, int ysigned,
			  void *y, int64_t sm, int64_t sn)
{
#ifdef RT_QGEMM_VNNI
	if (rt_qgemm_store512(acc, m0, mm, n0, nn, c0, mult, wz, rs, yz, lo, hi, y, sm, sn))
		return;
#endif
	int64_t j0 = 0;
#if defined(RT_QGEMM_AVX2) || defined(RT_QGEMM_AVXVNNI)
	if (sn == 1)
		j0 = rt_qgemm_store256(acc, m0, mm, n0, nn, c0, mult, wz, rs, yz, lo, hi, ysigned, y, sm);
#endif
	const float flo = (float)(lo - yz), fhi = (float)(hi - yz);
	for (int64_t r = 0; r < mm; r++)
		for (int64_t j = j0; j < nn; j++) {
			const int64_t n = n0 + j, m = m0 + r;
			uint32_t v = acc[r][j] + (uint32_t)c0[n];
			if (wz)
				v -= (uint32_t)wz[n] * (uint32_t)rs[m];
			const int32_t q = rt_q_requant(v, mult[n], yz, flo, fhi);
			if (ysigned)
				((int8_t *)y)[m * sm + n * sn] = (int8_t)q;
			else
				((uint8_t *)y)[m * sm + n * sn] = (uint8_t)q;
		}
}

/* The whole product: M rows of a (stride Kp), N outputs. */
RT_FN void rt_qgemm(const uint8_t *a, int64_t M, int64_t Kp, const int8_t *w, int64_t N,
		    const int32_t *c0, const float *mult, const int32_t *wz, const int32_t *rs,
		    int32_t yz, int32_t lo, int32_t hi, int ysigned, void *y, int64_t sm,
		    int64_t sn)
{
	uint32_t acc[RT_QGEMM_MR][16];
	const RtQSeg sg = {1, 1, 0, 0, Kp / 4};
	for (int64_t nb = 0; nb < N; nb += 16) {
		const int64_t nn = N - nb < 16 ? N - nb : 16;
		for (int64_t m = 0; m < M; m += RT_QGEMM_MR) {
			const int64_t mm = M - m < RT_QGEMM_MR ? M - m : RT_QGEMM_MR;
			const uint8_t *ar[RT_QGEMM_MR];
			for (int r = 0; r < RT_QGEMM_MR; r++)
				ar[r] = a + (m + (r < mm ? r : 0)) * Kp;
			rt_qgemm_tile(ar, mm, &sg, w + nb * Kp, acc);
			rt_qgemm_store(acc, m, mm, nb, nn, c0, mult, wz, rs, yz, lo, hi, ysigned, y,
				       sm, sn);
		}
	}
}

/* A convolution read in place from a channels-last plane pl (padding already there):
   output pixel (oh, ow) is row pl + oh * rstep + ow * cstep, its k laid out as sg says;
   OH * OW rows, N outputs. */
RT_FN void rt_qconv(const uint8_t *pl, int64_t OH, int64_t OW, int64_t rstep, int64_t cstep,
		    const RtQSeg *sg, const int8_t *w, int64_t N, const int32_t *c0,
		    const float *mult, const int32_t *wz, const int32_t *rs, int32_t yz,
		    int32_t lo, int32_t hi, int ysigned, void *y, int64_t sm, int64_t sn)
{
	uint32_t acc[RT_QGEMM_MR][16];
	const int64_t M = OH * OW, Kp = sg->ni * sg->nj * sg->seg4 * 4;
	for (int64_t m = 0; m < M; m += RT_QGEMM_MR) {
		const int64_t mm = M - m < RT_QGEMM_MR ? M - m : RT_QGEMM_MR;
		const uint8_t *ar[RT_QGEMM_MR];
		for (int r = 0; r < RT_QGEMM_MR; r++) {
			const int64_t p = m + (r < mm ? r : 0);
			ar[r] = pl + p / OW * rstep + p % OW * cstep;
		}
		for (int64_t nb = 0; nb < N; nb += 16) {
			const int64_t nn = N - nb < 16 ? N - nb : 16;
			rt_qgemm_tile(ar, mm, sg, w + nb * Kp, acc);
			rt_qgemm_store(acc, m, mm, nb, nn, c0, mult, wz, rs, yz, lo, hi, ysigned, y,
				       sm, sn);
		}
	}
}

/* A pointwise convolution (1x1, stride 1, no padding, one group) straight from NCHW x
   (M pixels of C channels, int8 flipped by xor flip): y = NCHW too. With AVX-512 VNNI,
   x is repacked as [C/4][M][4 channels], so that a vector holds 16 pixels' 4 channels,
   and vpdpbusd takes the weights' 4 bytes of one output channel as the broadcast: an
   8-channel x 32-pixel tile, whose 16-pixel rows are requantized and stored as 16
   adjacent bytes of y. Without it, x is transposed to pixel rows for rt_qconv. scratch:
   rt_qpw_scratch(M, c4) bytes (c4: C rounded up to 4). */
#define RT_QPW_PIX 32
RT_FN int64_t rt_qpw_scratch(int64_t M, int64_t c4)
{
	const int64_t mp = (M + RT_QPW_PIX - 1) / RT_QPW_PIX * RT_QPW_PIX;
	return (mp * c4 + 63) / 64 * 64 + mp * 4;
}

RT_FN void rt_qpw(const uint8_t *x, int flip, int64_t M, int64_t C, int64_t c4, const int8_t *w,
		  int64_t N, const int32_t *c0, const float *mult, const int32_t *wz, int32_t yz,
		  int32_t lo, int32_t hi, int ysigned, void *y, void *scratch)
{
	const int64_t mp = (M + RT_QPW_PIX - 1) / RT_QPW_PIX * RT_QPW_PIX;
	uint8_t *xp = (uint8_t *)scratch;
	int32_t *rs = (int32_t *)(void *)(xp + (mp * c4 + 63) / 64 * 64);
#ifdef RT_QGEMM_VNNI
	const int64_t K4 = c4 / 4;
	const uint8_t fx = (uint8_t)flip;
	const __m128i fv = _mm_set1_epi8((char)fx);
	for (int64_t k = 0; k < K4; k++) {
		uint8_t *dst = xp + k * mp * 4;
		int64_t m = 0;
		for (; m + 16 <= M; m += 16) { /* 4 channel rows of 16 pixels interleaved */
			__m128i r[4];
			for (int t = 0; t < 4; t++)
				r[t] = 4 * k + t < C ? _mm_xor_si128(_mm_loadu_si128(
						(const __m128i *)(const void *)(x + (4 * k + t) * M + m)), fv)
						     : _mm_setzero_si128();
			const __m128i l01 = _mm_unpacklo_epi8(r[0], r[1]), h01 = _mm_unpackhi_epi8(r[0], r[1]);
			const __m128i l23 = _mm_unpacklo_epi8(r[2], r[3]), h23 = _mm_unpackhi_epi8(r[2], r[3]);
			_mm_storeu_si128((__m128i *)(void *)(dst + 4 * m), _mm_unpacklo_epi16(l01, l23));
			_mm_storeu_si128((__m128i *)(void *)(dst + 4 * m + 16), _mm_unpackhi_epi16(l01, l23));
			_mm_storeu_si128((__m128i *)(void *)(dst + 4 * m + 32), _mm_unpacklo_epi16(h01, h23));
			_mm_storeu_si128((__m128i *)(void *)(dst + 4 * m + 48), _mm_unpackhi_epi16(h01, h23));
		}
		for (int t = 0; t < 4; t++) {
			uint8_t v[16] = {0}; /* channels past C stay 0: the row sums add all 4 */
			if (4 * k + t < C) {
				memcpy(v, x + (4 * k + t) * M + m, (size_t)(M - m));
				for (int q = 0; q < 16; q++)
					v[q] ^= fx;
			}
			for (int64_t q = 0; q < M - m; q++)
				dst[4 * (m + q) + t] = v[q];
		}
		memset(dst + 4 * M, 0, (size_t)(4 * (mp - M)));
	}
	if (wz)
		for (int64_t m = 0; m < M; m++) {
			int32_t sum = 0;
			for (int64_t k = 0; k < K4; k++)
				sum += xp[(k * mp + m) * 4] + xp[(k * mp + m) * 4 + 1] +
				       xp[(k * mp + m) * 4 + 2] + xp[(k * mp + m) * 4 + 3];
			rs[m] = sum;
		}
	const __m512 flo = _mm512_set1_ps((float)(lo - yz)), fhi = _mm512_set1_ps((float)(hi - yz));
	uint8_t *yb = (uint8_t *)y;
	(void)ysigned;
	for (int64_t m0 = 0; m0 < M; m0 += RT_QPW_PIX)
		for (int64_t n0 = 0; n0 < N; n0 += 8) {
			__m512i c[8][2];
			const int8_t *wn[8];
			for (int j = 0; j < 8; j++) {
				const int64_t n = n0 + j < N ? n0 + j : n0;
				wn[j] = w + n / 16 * 16 * c4 + n % 16 * 4;
				c[j][0] = c[j][1] = _mm512_setzero_si512();
			}
			for (int64_t k = 0; k < K4; k++) {
				const uint8_t *a = xp + (k * mp + m0) * 4;
				const __m512i a0 = _mm512_loadu_si512((const void *)a);
				const __m512i a1 = _mm512_loadu_si512((const void *)(a + 64));
				for (int j = 0; j < 8; j++) {
					int32_t w4;
					memcpy(&w4, wn[j] + k * 64, 4);
					const __m512i wv = _mm512_set1_epi32(w4);
					c[j][0] = _mm512_dpbusd_epi32(c[j][0], a0, wv);
					c[j][1] = _mm512_dpbusd_epi32(c[j][1], a1, wv);
				}
			}
			for (int j = 0; j < 8 && n0 + j < N; j++) {
				const int64_t n = n0 + j;
				for (int h = 0; h < 2; h++) {
					const int64_t m = m0 + 16 * h;
					if (m >= M)
						break;
					const __mmask16 km = (__mmask16)(M - m >= 16 ? 0xffffu : (1u << (M - m)) - 1u);
					__m512i v = _mm512_add_epi32(c[j][h], _mm512_set1_epi32(c0[n]));
					if (wz)
						v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(wz[n]),
								_mm512_maskz_loadu_epi32(km, rs + m)));
					__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_set1_ps(mult[n]));
					f = _mm512_min_ps(_mm512_max_ps(f, flo), fhi);
					f = _mm512_roundscale_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
					_mm_mask_storeu_epi8(yb + n * M + m, km, _mm512_cvtepi32_epi8(_mm512_add_epi32(
						_mm512_cvtps_epi32(f), _mm512_set1_epi32(yz))));
				}
			}
		}
#else
	for (int64_t m = 0; m < M; m++) {
		for (int64_t c = 0; c < c4; c++)
			xp[m * c4 + c] = c < C ? (uint8_t)(x[c * M + m] ^ flip) : 0;
		if (wz) {
			int32_t sum = 0;
			for (int64_t c = 0; c < C; c++)
				sum += xp[m * c4 + c];
			rs[m] = sum;
		}
	}
	const RtQSeg sg = {1, 1, 0, 0, c4 / 4};
	rt_qconv(xp, 1, M, 0, c4, &sg, w, N, c0, mult, wz, rs, yz, lo, hi, ysigned, y, 1, M);
#endif
}

#ifdef RT_QGEMM_VNNI
/* The window of a channels-last depthwise conv with stride 1 along w (RtQDw), and
   rt_qdw_vnni's tables, packed by cnnc (codegen/ops/qgemm.c):
   - w: [kh][ng = (kw + 3) / 4][nph][4 vectors][16 lanes][4 taps] int8, tap j = 4 g + t
     of kernel row i for the channel of the lane (0 past kw);
   - c0, mult: [nph][4 vectors][16 lanes], the bias less xz * (sum of the channel's
     taps), and the requantizing multiplier.
   A chunk is 64 adjacent bytes f of an output row (f = ow * C + c); nph = C / 64
   phases (C % 64 == 0) or 1 (64 % C == 0). Vector k, lane 4 L + m holds byte
   16 L + 4 k + m of the chunk: the order vpunpck{l,h}bw then vpunpck{l,h}wd leave 4
   taps' bytes in, and vpackssdw then vpack{us,ss}wb undo. */
typedef struct RtQDw {
	int64_t H, W, C, OH, OW, kh, kw, sh, dh, dw, ph, pw;
} RtQDw;

/* Depthwise conv: per chunk and kernel row, each group of 4 taps is 4 loads of the
   input row (bytes outside x read as xz: masked loads), interleaved into one int32 lane
   per byte, and 4 vpdpbusd with that row's weights. Padding taps add xz * w, which c0
   has taken off, so the sums are those of (x - xz) * w, wrapping like the plain C. */
/* always inlined: the window's constants then unroll its loops */
static inline __attribute__((always_inline, unused)) void rt_qdw_vnni(const uint8_t *x, int flip, int xz, const RtQDw *d, const int8_t *w,
		       const int32_t *c0, const float *mult, int32_t yz, int32_t lo, int32_t hi,
		       int ysigned, uint8_t *y)
{
	const int64_t C = d->C, rowb = d->W * C, n = d->OW * C, ng = (d->kw + 3) / 4;
	const int64_t nph = C >= 64 ? C / 64 : 1;
	const __m512i xzv = _mm512_set1_epi8((char)(uint8_t)(xz ^ flip));
	const __m512i fl = _mm512_set1_epi8((char)(uint8_t)flip);
	const __m512 flo = _mm512_set1_ps((float)(lo - yz)), fhi = _mm512_set1_ps((float)(hi - yz));
	const __m512i yzv = _mm512_set1_epi32(yz);
	for (int64_t oh = 0; oh < d->OH; oh++) {
		uint8_t *yr = y + oh * n;
		int64_t ph = 0; /* f0 % C / 64 when C >= 64, else 0 */
		for (int64_t f0 = 0; f0 < n; f0 += 64, ph = ph + 1 == nph ? 0 : ph + 1) {
			__m512i acc[4];
			for (int k = 0; k < 4; k++)
				acc[k] = _mm512_loadu_si512((const void *)(c0 + ph * 64 + k * 16));
			for (int64_t i = 0; i < d->kh; i++) {
				const int64_t ih = oh * d->sh - d->ph + i * d->dh;
				const int in = ih >= 0 && ih < d->H;
				const uintptr_t xr = (uintptr_t)(x + (in ? ih : 0) * rowb);
				for (int64_t g = 0; g < ng; g++) {
					__m512i t[4];
					for (int jj = 0; jj < 4; jj++) {
						const int64_t j = g * 4 + jj;
						if (j >= d->kw) {
							t[jj] = _mm512_setzero_si512();
							continue;
						}
						if (!in) {
							t[jj] = _mm512_xor_si512(xzv, fl);
							continue;
						}
						const int64_t s0 = f0 + (j * d->dw - d->pw) * C;
						const int64_t lo8 = s0 < 0 ? -s0 : 0, hi8 = rowb - s0 < 64 ? rowb - s0 : 64;
						__m512i v;
						if (lo8 == 0 && hi8 == 64) {
							v = _mm512_loadu_si512((const void *)(xr + (uintptr_t)s0));
						} else if (lo8 >= hi8) {
							v = xzv;
						} else {
							const __mmask64 m = (hi8 == 64 ? ~(__mmask64)0 : ((__mmask64)1 << hi8) - 1) &
									    ~(((__mmask64)1 << lo8) - 1);
							v = _mm512_mask_loadu_epi8(xzv, m, (const void *)(xr + (uintptr_t)s0));
						}
						t[jj] = _mm512_xor_si512(v, fl);
					}
					const __m512i ab0 = _mm512_unpacklo_epi8(t[0], t[1]), ab1 = _mm512_unpackhi_epi8(t[0], t[1]);
					const __m512i cd0 = _mm512_unpacklo_epi8(t[2], t[3]), cd1 = _mm512_unpackhi_epi8(t[2], t[3]);
					const __m512i v4[4] = {_mm512_unpacklo_epi16(ab0, cd0), _mm512_unpackhi_epi16(ab0, cd0),
							       _mm512_unpacklo_epi16(ab1, cd1), _mm512_unpackhi_epi16(ab1, cd1)};
					const int8_t *wg = w + ((i * ng + g) * nph + ph) * 256;
					for (int k = 0; k < 4; k++)
						acc[k] = _mm512_dpbusd_epi32(acc[k], v4[k],
									     _mm512_loadu_si512((const void *)(wg + k * 64)));
				}
			}
			__m512i r[4];
			for (int k = 0; k < 4; k++) {
				__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[k]),
							 _mm512_loadu_ps(mult + ph * 64 + k * 16));
				f = _mm512_min_ps(_mm512_max_ps(f, flo), fhi);
				f = _mm512_roundscale_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
				r[k] = _mm512_add_epi32(_mm512_cvtps_epi32(f), yzv);
			}
			const __m512i p01 = _mm512_packs_epi32(r[0], r[1]), p23 = _mm512_packs_epi32(r[2], r[3]);
			const __m512i q = ysigned ? _mm512_packs_epi16(p01, p23) : _mm512_packus_epi16(p01, p23);
			const int64_t nb = n - f0 < 64 ? n - f0 : 64;
			_mm512_mask_storeu_epi8((void *)(yr + f0), nb == 64 ? ~(__mmask64)0 : ((__mmask64)1 << nb) - 1, q);
		}
	}
}
#endif

#endif
