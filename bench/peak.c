/* peak.c - the machine's single-core FMA peak, in GFLOP/s.
 *
 * Runs chains of independent fused multiply-adds on the widest vectors the
 * compiler targets (build with -O2 -march=native): enough accumulators to hide
 * FMA latency on every current x86 and Arm core. Prints the best of several
 * trials, because a shared machine only ever slows a trial down.
 */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define VW 16
#elif defined(__AVX__)
#define VW 8
#else
#define VW 4
#endif
typedef float vf __attribute__((vector_size(VW * 4)));
#define NACC 12

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: a shared machine still shows the core's peak */
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
	vf acc[NACC], a, b;
	for (int i = 0; i < VW; i++) {
		a[i] = 0.999999f;
		b[i] = 1e-7f;
	}
	for (int k = 0; k < NACC; k++)
		acc[k] = a * (float)k;
	const long iters = 20000000;
	double best = 0;
	for (int trial = 0; trial < 7; trial++) {
		double t0 = now();
		for (long i = 0; i < iters; i++) {
			for (int k = 0; k < NACC; k++)
				acc[k] = acc[k] * a + b;
			__asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]));
		}
		double dt = now() - t0;
		double gflops = 2.0 * VW * NACC * (double)iters / dt / 1e9;
		if (gflops > best)
			best = gflops;
	}
	float sum = 0;
	for (int k = 0; k < NACC; k++)
		sum += acc[k][0];
	printf("%.2f\n", best + 0 * (double)sum);
	return 0;
}
