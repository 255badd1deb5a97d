/* fuzz_load.c - libFuzzer harness for the model loader.
 *
 * Every input is written to a file and loaded with fe_load_model(); the loader must
 * return a graph or a diagnostic, never crash, hang or leak. Built by
 * `cmake -DCNNC_FUZZ=ON` with clang's -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/cnnc-fuzz-load-%d.onnx", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	Diag d;
	diag_init(&d, "fuzz.onnx");
	Graph *g = fe_load_model(path, NULL, &d);
	if (g)
		graph_free(g);
	else if (!d.nerrors)
		abort(); /* a failure must always come with a diagnostic */
	return 0;
}
