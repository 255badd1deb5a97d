/* rt_movement.h - support for the data-movement ops: Dropout's random numbers.
 *
 * Training-mode Dropout needs a random keep/drop decision per element, but
 * generated code has no state: the number for element i is a hash of (seed, i)
 * (the splitmix64 finaliser), so a run is reproducible and threads cannot race.
 */
#ifndef CNNC_RT_MOVEMENT_H
#define CNNC_RT_MOVEMENT_H

#include <stdint.h>

#ifndef RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define RT_FN static inline __attribute__((unused))
#else
#define RT_FN static inline
#endif
#endif

/* A uniform float in [0, 1) for element i under seed. */
RT_FN float rt_uniform(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1u) * UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return (float)(z >> 40) * (1.0f / 16777216.0f);
}

#endif
