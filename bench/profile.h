/* profile.h - per-kernel times of a cnnc-generated model (a benchmark aid).
 *
 *   cc -O3 -march=native -include bench/profile.h -c model.c
 *
 * model.c calls CNNC_PROFILE_NODE(index, "kernel") after each kernel; this
 * header times the gap since the previous call (CPU time) and, when the program
 * exits, prints per kernel its fastest time over all runs, slowest first
 * ("prof <ms> <share> <kernel>" on stderr). It keeps global counters, so it is for single-threaded benchmarks
 * only, never for product builds.
 */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CNNC_PROF_MAX 4096

static double cnnc_prof_ms[CNNC_PROF_MAX];  /* total */
static double cnnc_prof_min[CNNC_PROF_MAX]; /* fastest run: robust on a shared machine */
static const char *cnnc_prof_name[CNNC_PROF_MAX];
static double cnnc_prof_last;

static double cnnc_prof_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: a shared machine */
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cnnc_prof_cmp(const void *a, const void *b)
{
	double x = cnnc_prof_min[*(const int *)a], y = cnnc_prof_min[*(const int *)b];
	return (x < y) - (x > y);
}

__attribute__((destructor)) static void cnnc_prof_report(void)
{
	static int order[CNNC_PROF_MAX];
	double total = 0, mins = 0;
	int n = 0;
	for (int i = 0; i < CNNC_PROF_MAX; i++)
		if (cnnc_prof_name[i]) {
			order[n++] = i;
			total += cnnc_prof_ms[i];
			mins += cnnc_prof_min[i];
		}
	qsort(order, (size_t)n, sizeof order[0], cnnc_prof_cmp);
	for (int k = 0; k < n; k++)
		fprintf(stderr, "prof %9.3f ms %5.1f%% %s\n", cnnc_prof_min[order[k]],
			100.0 * cnnc_prof_min[order[k]] / (mins > 0 ? mins : 1), cnnc_prof_name[order[k]]);
	fprintf(stderr, "prof %9.3f ms sum of the fastest runs; %.3f ms in all runs\n", mins, total);
}

static void cnnc_prof_mark(int index, const char *kernel)
{
	double t = cnnc_prof_now();
	if (index >= 0 && index < CNNC_PROF_MAX) {
		double dt = t - cnnc_prof_last;
		cnnc_prof_ms[index] += dt;
		if (!cnnc_prof_name[index] || dt < cnnc_prof_min[index])
			cnnc_prof_min[index] = dt;
		cnnc_prof_name[index] = kernel;
	}
	cnnc_prof_last = t;
}

#define CNNC_PROFILE_NODE(index, kernel) cnnc_prof_mark((int)(index), kernel)
