/* rt_qgemm.h - the int8 matrix product behind quantized Conv, MatMul and Gemm.
 *
 * y[m][n] = requant(sum_k a[m][k] * w[n][k] + c0[n] - wz[n] * rs[m]) for uint8 rows a
 * (Kp bytes each, Kp a multiple of 4) and int8 weights packed by cnnc as
 * [N/16 blocks][Kp/4][16 lanes][4 bytes], the layout of AVX-512 VNNI's vpdpbusd, which
 * multiplies 4 unsigned bytes of a by 4 signed bytes of w and adds them to one int32
 * lane. c0 already holds the bias and the zero-point terms that depend on n only; rs
 * (row sums of a) is needed only when the weights have a zero point (wz != NULL).
 * Requantization is ONNX Runtime's: float(acc) * mult[n], clamped to the output range
 * less the zero point, rounded half to even, plus yz.
 *
 * With AVX-512 VNNI (-march=native on Zen 4/5, Ice Lake and later) an 8x16 tile is 8
 * accumulators fed by one weight load and 8 byte broadcasts per 4 k; otherwise a plain
 * C loop over the same layout, which is also what target generic gets. Sums wrap in
 * uint32_t (vpdpbusd wraps too), so both paths give the same bits.
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

/* Requantizes the tile into y (element (m, n) at y[m * sm + n * sn]). */
RT_FN void rt_qgemm_store(uint32_t acc[RT_QGEMM_MR][16], int64_t m0, int64_t mm, int64_t n0,
			  int64_t nn, const int32_t *c0, const float *mult, const int32_t *wz,
			  const int32_t *rs, int32_t yz, int32_t lo, int32_t hi, int ysigned,
			  void *y, int64_t sm, int64_t sn)
{
	const float flo = (float)(lo - yz), fhi = (float)(hi - yz);
	for (int64_t r = 0; r < mm; r++)
		for (int64_t j = 0; j < nn; j++) {
			const int64_t n = n0 + j, m = m0 + r;
			uint32_t v = acc[r][j] + (uint32_t)c0[n];
			if (wz)
				v -= (uint32_t)wz[n] * (uint32_t)rs[m];
			const int32_t iv = v <= 0x7fffffffu ? (int32_t)v
							    : (int32_t)(v - 0x80000000u) - 0x7fffffff - 1;
			float f = (float)iv * mult[n];
			f = f < flo ? flo : f > fhi ? fhi : f;
			const int32_t q = (int32_t)nearbyintf(f) + yz;
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

#endif
