/* m4_main.c - runs a model compiled by cnnc (--name model --target generic) on
 * deterministic inputs and prints every output element, one per line. m4.sh builds
 * it for the host and for a Cortex-M4 (qemu-system-arm -M mps2-an386, newlib's
 * semihosting) and compares the two. On the M4 it also measures the stack
 * model_run used: it paints the free stack below SP, runs, and finds the lowest
 * word that changed.
 */
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#if model_NUM_INPUTS != 1 || model_NUM_OUTPUTS != 1 || model_INPUT_0_TYPE != 1 || model_OUTPUT_0_TYPE != 1
#error "m4_main.c runs models with one float input and one float output"
#endif

#define PAINT_WORDS (32 * 1024 / 4)
#define PAINT 0xDEADBEEFu

static unsigned char ws[model_WORKSPACE_SIZE + 1] __attribute__((aligned(64)));
static float x[model_INPUT_0_SIZE], y[model_OUTPUT_0_SIZE];

int main(void)
{
	uint32_t s = 12345;
	for (long i = 0; i < model_INPUT_0_SIZE; i++) { /* uniform in [-1, 1) */
		s = s * 1664525u + 1013904223u;
		x[i] = (float)((s >> 8) & 0xFFFF) / 32768.0f - 1.0f;
	}
	const void *in[1] = {x};
	void *out[1] = {y};
	long stack = -1;
#if defined(__arm__)
	volatile uint32_t *sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (long i = 1; i <= PAINT_WORDS; i++)
		sp[-i] = PAINT;
	int rc = model_run(in, out, ws);
	long w = PAINT_WORDS;
	while (w > 0 && sp[-w] == PAINT)
		w--;
	stack = w * 4;
#else
	int rc = model_run(in, out, ws);
#endif
	if (rc != 0) {
		printf("model_run returned %d\n", rc);
		return 1;
	}
	for (long i = 0; i < model_OUTPUT_0_SIZE; i++)
		printf("y %ld %.9g\n", i, (double)y[i]);
	printf("stack %ld\n", stack);
	return 0;
}
