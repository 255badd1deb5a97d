/* bench.c - times one cnnc-generated model.
 *
 *   bench INPUT.bin WARMUP RUNS     (build: cc -O3 -march=native bench.c model.c -lm)
 *
 * INPUT.bin holds the model's first input as raw bytes (other inputs are zero).
 * Prints per timed run its wall time ("t <ms>") and its CPU time ("c <ms>": on a
 * shared machine the time the core actually spent), and, at the end, the peak
 * resident set size of the process ("rss <KiB>"). The workspace and every buffer
 * are allocated once, as an embedded caller would.
 */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model.h"

static double now_ms(clockid_t clk)
{
	struct timespec t;
	clock_gettime(clk, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench INPUT.bin WARMUP RUNS\n");
		return 2;
	}
	int warmup = atoi(argv[2]), runs = atoi(argv[3]);
	const void *in[model_NUM_INPUTS + 1];
	void *out[model_NUM_OUTPUTS + 1];
	for (int i = 0; i < model_NUM_INPUTS; i++) {
		void *p = calloc(1, model_input_bytes[i] + 1);
		if (!p)
			return 3;
		if (i == 0) {
			FILE *f = fopen(argv[1], "rb");
			if (!f || fread(p, 1, model_input_bytes[0], f) != model_input_bytes[0]) {
				fprintf(stderr, "bench: cannot read %zu bytes from %s\n", model_input_bytes[0], argv[1]);
				return 3;
			}
			fclose(f);
		}
		in[i] = p;
	}
	for (int i = 0; i < model_NUM_OUTPUTS; i++)
		if (!(out[i] = malloc(model_output_bytes[i] + 1)))
			return 3;
	void *ws = NULL;
	if (posix_memalign(&ws, 64, model_WORKSPACE_SIZE + 64) != 0)
		return 3;
	memset(ws, 0, model_WORKSPACE_SIZE + 64);
	for (int i = 0; i < warmup; i++)
		if (model_run(in, out, ws) != 0)
			return 4;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		if (model_run(in, out, ws) != 0)
			return 4;
		double c1 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		printf("t %.4f\nc %.4f\n", now_ms(CLOCK_MONOTONIC) - t0, c1 - c0);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("rss %ld\n", ru.ru_maxrss);
	return 0;
}
