/* fuzz_compile.c - libFuzzer harness for the whole compile pipeline in memory:
 * load -> passes -> codegen. Any input must compile or fail with a diagnostic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "driver/driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/cnnc-fuzz-compile-%d.onnx", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	Options opt = {0};
	opt.prefix = "m";
	Diag d;
	diag_init(&d, "fuzz.onnx");
	Out c, h;
	out_init(&c);
	out_init(&h);
	if (drv_compile(path, &opt, "m.h", &c, &h, NULL, NULL, NULL, &d) < 0 && !d.nerrors)
		abort();
	out_free(&c);
	out_free(&h);
	return 0;
}
