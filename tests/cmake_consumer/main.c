/* main.c - the CMake consumer: runs the model compiled by cnnc_add_model twice
 * (embedded constants, and the weights file SCALEF_BIN) on x = 1 2 3 4 and prints
 * both results, "y = ..." and "yf = ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scale.h"
#include "scalef.h"

/* the weights file's image, 64-byte aligned as its tensors are */
static struct {
	unsigned char b[scalef_WEIGHTS_SIZE];
} weights __attribute__((aligned(64)));
static unsigned char ws[scale_WORKSPACE_SIZE + scalef_WORKSPACE_SIZE + 64];

int main(void)
{
	float x[4] = {1, 2, 3, 4}, y[4], yf[4];
	const void *in[1] = {x};
	void *out[1] = {y}, *outf[1] = {yf};
	FILE *f = fopen(SCALEF_BIN, "rb");
	size_t n = f ? fread(weights.b, 1, sizeof weights.b, f) : 0;
	if (f)
		fclose(f);
	int rc = scalef_check_weights(weights.b, n);
	if (rc != 0) {
		printf("scalef_check_weights: %d\n", rc);
		return 1;
	}
	if (scale_run(in, out, ws) != 0 || scalef_run_with_weights(weights.b, n, in, outf, ws) != 0)
		return 1;
	printf("y =");
	for (int i = 0; i < 4; i++)
		printf(" %g", y[i]);
	printf("\nyf =");
	for (int i = 0; i < 4; i++)
		printf(" %g", yf[i]);
	printf("\n");
	return 0;
}
