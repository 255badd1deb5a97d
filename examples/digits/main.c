/* main.c - classify the digits test set with the cnnc-compiled model and print the
 * accuracy: the C side of the demo (scripts/demo.sh).
 *
 *   digits IMAGES.f32 LABELS.u8
 *
 * IMAGES.f32 holds N images of 8x8 float32 pixels (scaled to 0..1), LABELS.u8 their
 * N labels; models/train_digits.py writes both. The model comes from
 * `cnnc models/digits.onnx -o digits.c`, which also writes digits.h: one function,
 * digits_run(inputs, outputs, workspace), with static shapes and no allocation.
 * The program allocates the workspace once and reuses it for every image.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "digits.h"

/* Reads a whole file; returns its size in *len, or NULL with a message. */
static unsigned char *read_file(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	if (!f) {
		fprintf(stderr, "digits: cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)*len + 1);
		if (buf && fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	if (!buf)
		fprintf(stderr, "digits: cannot read %s\n", path);
	return buf;
}

static int argmax(const float *p, int n)
{
	int best = 0;
	for (int k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

int main(int argc, char **argv)
{
	long xlen, ylen;
	if (argc != 3) {
		fprintf(stderr, "usage: %s IMAGES.f32 LABELS.u8\n", argv[0]);
		return 2;
	}
	unsigned char *images = read_file(argv[1], &xlen);
	unsigned char *labels = read_file(argv[2], &ylen);
	if (!images || !labels)
		return 1;
	const long n = ylen, per = digits_INPUT_0_BYTES;
	if (xlen != n * per) {
		fprintf(stderr, "digits: %s has %ld bytes, expected %ld images of %ld bytes\n", argv[1],
			xlen, n, per);
		return 1;
	}
	/* the workspace must be 64-byte aligned: over-allocate and round up */
	unsigned char *raw = malloc(digits_WORKSPACE_SIZE + 64);
	if (!raw)
		return 1;
	void *ws = raw + (64 - (uintptr_t)raw % 64) % 64;

	float probs[digits_OUTPUT_0_SIZE];
	long correct = 0;
	for (long i = 0; i < n; i++) {
		const void *in[1] = {images + i * per};
		void *out[1] = {probs};
		if (digits_run(in, out, ws) != 0) {
			fprintf(stderr, "digits: digits_run failed on image %ld\n", i);
			return 1;
		}
		correct += argmax(probs, digits_OUTPUT_0_SIZE) == labels[i];
	}
	printf("cnnc:        %ld/%ld correct, accuracy %.2f%%\n", correct, n, 100.0 * (double)correct / (double)n);
	free(raw);
	free(images);
	free(labels);
	return 0;
}
