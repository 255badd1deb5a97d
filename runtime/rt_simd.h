/* Vector types for the fast kernels (cnnc targets host, x86-64-v3/v4, aarch64).
 *
 * GCC and Clang vector extensions: arithmetic on them compiles to the target's SIMD
 * instructions when the code is built for it (-march=native, -mavx2, ...). The
 * "u" types have element alignment, for loads and stores at any float address.
 * Code for target generic never uses them, so it stays plain C99.
 */
#if defined(__GNUC__) || defined(__clang__)
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
