/* m4_bare.c - the smallest firmware around a model, for m4.sh's flash and RAM
 * figures: a vector table and a reset handler that runs model_run once on static
 * buffers. Linked without start files or stdio, so the image holds the model, the
 * libm and mem* functions it calls, and nothing else.
 */
#include "model.h"

extern char __stack[];
void reset_handler(void);

static unsigned char ws[model_WORKSPACE_SIZE + 1] __attribute__((aligned(64)));
static float x[model_INPUT_0_SIZE], y[model_OUTPUT_0_SIZE];

void reset_handler(void)
{
	const void *in[1] = {x};
	void *out[1] = {y};
	*(volatile unsigned long *)0xE000ED88 |= 0xFUL << 20; /* FPU on */
	__asm__ volatile("dsb\n\tisb");
	(void)model_run(in, out, ws);
	for (;;)
		;
}

__attribute__((section(".vectors"), used)) static void (*const vectors[2])(void) = {
	(void (*)(void))__stack, reset_handler,
};
