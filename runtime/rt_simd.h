/* Vector types for the fast kernels (cnnc targets host, x86-64-v3/v4, aarch64).
 *
 * GCC and Clang vector extensions: arithmetic on them compiles to the target's SIMD
 * instructions when the code is built for it (-march=native, -mavx2, ...). The
 * "u" types have element alignment, for loads and stores at any float address.
 * Code for target generic never uses them, so it stays plain C99.
 */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(RT_NO_SIMD)
typedef float rt_v16 __attribute__((vector_size(64)));
typedef float rt_v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t rt_v16i __attribute__((vector_size(64)));
typedef float rt_v8 __attribute__((vector_size(32)));
typedef float rt_v8u __attribute__((vector_size(32), aligned(4)));
typedef int32_t rt_v8i __attribute__((vector_size(32)));
typedef float rt_v4 __attribute__((vector_size(16)));
typedef float rt_v4u __attribute__((vector_size(16), aligned(4)));
typedef int32_t rt_v4i __attribute__((vector_size(16)));
#endif

#if (defined(__GNUC__) || defined(__clang__)) && !defined(RT_NO_SIMD)
/* Activations on whole vectors, for kernel epilogues: rt_V_act(&x) rewrites vector x
 * in place (by pointer: a vector passed by value would change the ABI of builds
 * without -mavx, and gcc warns about that). Each keeps the scalar form's NaN
 * behaviour: comparisons with NaN are false, so a NaN passes through. rt_V_exp: exp
 * with range reduction x = n ln2 + r, |r| <= ln2/2, and a degree-6 polynomial
 * (relative error about 3e-7), 0 below -86.6 (true values are under 3e-38) and
 * +inf above 88.72. */
#define RT_SEL(V, VI, m, a, b) ((V)((((VI)(a)) & (m)) | (((VI)(b)) & ~(m))))
#define RT_VACT(V, VI)                                                                   \
	__attribute__((unused)) static inline void V##_clip(V *x, float lo, float hi)                                  \
	{                                                                                      \
		const V l = (V){0} + lo, h = (V){0} + hi;                                      \
		V v = RT_SEL(V, VI, (VI)(*x < l), l, *x);                                      \
		*x = RT_SEL(V, VI, (VI)(v > h), h, v);                                         \
	}                                                                                      \
	__attribute__((unused)) static inline void V##_exp(V *x)                                                       \
	{                                                                                      \
		const V lo = (V){0} - 86.6f, hi = (V){0} + 88.72f;                             \
		const VI nan = (VI)(*x != *x), under = (VI)(*x < lo), over = (VI)(*x > hi);    \
		V c = *x;                                                                      \
		V##_clip(&c, -86.6f, 88.72f);                                                  \
		c = RT_SEL(V, VI, nan, (V){0}, c);                                             \
		const V t = c * 1.44269504088896341f + 0.5f;                                   \
		VI n = __builtin_convertvector(t, VI); /* n in [-125, 128] */                  \
		n += (VI)(__builtin_convertvector(n, V) > t); /* floor: true is -1 */          \
		const V fn = __builtin_convertvector(n, V);                                    \
		const V r = c - fn * 0.693359375f + fn * 2.12194440e-4f;                       \
		V p = r * (1.0f / 720) + (1.0f / 120);                                         \
		p = p * r + (1.0f / 24);                                                       \
		p = p * r + (1.0f / 6);                                                        \
		p = p * r + 0.5f;                                                              \
		p = p * r + 1.0f;                                                              \
		p = p * r + 1.0f;                                                              \
		const V s = (V)((n + 126) << 23); /* 2^(n-1): a normal float for every n */    \
		V e = p * s * 2.0f;                                                            \
		e = RT_SEL(V, VI, under, (V){0}, e);                                           \
		e = RT_SEL(V, VI, over, (V){0} + (float)INFINITY, e);                          \
		*x = RT_SEL(V, VI, nan, *x, e);                                                \
	}                                                                                      \
	__attribute__((unused)) static inline void V##_sigmoid(V *x)                                                   \
	{                                                                                      \
		V e = -*x;                                                                     \
		V##_exp(&e);                                                                   \
		*x = 1.0f / (1.0f + e);                                                        \
	}                                                                                      \
	__attribute__((unused)) static inline void V##_silu(V *x)                                                      \
	{                                                                                      \
		V e = -*x;                                                                     \
		V##_exp(&e);                                                                   \
		*x = *x / (1.0f + e);                                                          \
	}                                                                                      \
	__attribute__((unused)) static inline void V##_tanh(V *x)                                                      \
	{                                                                                      \
		/* 1 - 2 / (e^2x + 1), and near 0 (where that cancels) the odd series */     \
		const V v = *x, v2 = v * v;                                                    \
		const VI small = (VI)(v2 < 0.09f);                                             \
		V e = v + v;                                                                   \
		V##_exp(&e);                                                                   \
		const V big = 1.0f - 2.0f / (e + 1.0f);                                        \
		V q = v2 * (62.0f / 2835) - (17.0f / 315);                                     \
		q = q * v2 + (2.0f / 15);                                                      \
		q = q * v2 - (1.0f / 3);                                                       \
		q = v + v * v2 * q;                                                            \
		*x = RT_SEL(V, VI, small, q, big);                                             \
	}

RT_VACT(rt_v16, rt_v16i)
RT_VACT(rt_v8, rt_v8i)
RT_VACT(rt_v4, rt_v4i)
#endif
