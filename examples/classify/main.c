/* main.c - classify images with a model compiled into the program by cnnc.
 *
 *   classify [-i] FILE...
 *
 * Each FILE is a PGM image (binary P5 or text P2, any size, 8 or 16 bits) or raw
 * float32 pixels of exactly the model's input size. A PGM is scaled to 0..1 and
 * resampled to the model's height x width by averaging the pixels that fall in
 * each cell; -i inverts it (dark ink on a light background, as scanned; the
 * digits model wants bright ink on black). Prints "FILE: class K score S" per
 * file, S being the model's output for class K (a probability for the digits
 * model, which ends in Softmax).
 *
 * The model is models/digits.onnx by default (see CMakeLists.txt and README.md):
 * `cnnc digits.onnx -o digits.c` gives digits.c and digits.h, whose digits_run()
 * this calls with static buffers and a static workspace, so nothing is allocated
 * per image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

#if digits_INPUT_0_TYPE != 1 || digits_INPUT_0_RANK != 4 || digits_OUTPUT_0_TYPE != 1
#error "classify expects one float NCHW image input and float scores"
#endif

static float image[digits_INPUT_0_SIZE], scores[digits_OUTPUT_0_SIZE];
static unsigned char workspace[digits_WORKSPACE_SIZE + 1] __attribute__((aligned(64)));

/* The next number of a PGM header or P2 body, skipping blanks and # comments. */
static long pgm_number(FILE *f)
{
	int c = fgetc(f);
	for (;;) {
		while (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			c = fgetc(f);
		if (c != '#')
			break;
		while (c != '\n' && c != EOF)
			c = fgetc(f);
	}
	long v = -1;
	while (c >= '0' && c <= '9' && v < 1000000) {
		v = (v < 0 ? 0 : v * 10) + (c - '0');
		c = fgetc(f);
	}
	return v;
}

/* Reads a PGM into image[] (channels x h x w, every channel the same), resampled
   and scaled to 0..1. 0, or -1 with a message. */
static int read_pgm(FILE *f, const char *path, int binary, int invert, long c, long h, long w)
{
	long iw = pgm_number(f), ih = pgm_number(f), maxval = pgm_number(f);
	if (iw <= 0 || ih <= 0 || iw > 16384 || ih > 16384 || maxval <= 0 || maxval > 65535) {
		fprintf(stderr, "classify: %s: not a PGM image\n", path);
		return -1;
	}
	double *sum = calloc((size_t)(h * w), sizeof *sum);
	long *count = calloc((size_t)(h * w), sizeof *count);
	if (!sum || !count) {
		free(sum);
		free(count);
		fprintf(stderr, "classify: out of memory\n");
		return -1;
	}
	int rc = 0;
	for (long y = 0; y < ih && !rc; y++)
		for (long x = 0; x < iw; x++) {
			long v;
			if (!binary) {
				v = pgm_number(f);
			} else if (maxval < 256) {
				v = fgetc(f);
			} else {
				int hi = fgetc(f), lo = fgetc(f);
				v = hi < 0 || lo < 0 ? -1 : hi << 8 | lo;
			}
			if (v < 0 || v > maxval) {
				fprintf(stderr, "classify: %s: truncated or bad pixel data\n", path);
				rc = -1;
				break;
			}
			long cell = y * h / ih * w + x * w / iw; /* the model pixel it falls in */
			sum[cell] += (double)v / (double)maxval;
			count[cell]++;
		}
	for (long k = 0; k < h * w && !rc; k++) {
		double p = count[k] ? sum[k] / (double)count[k] : 0; /* an image smaller than the model */
		for (long ch = 0; ch < c; ch++)
			image[ch * h * w + k] = (float)(invert ? 1 - p : p);
	}
	free(sum);
	free(count);
	return rc;
}

/* Reads FILE into image[]: a PGM, or raw floats of exactly the input's size. */
static int read_image(const char *path, int invert)
{
	const int64_t *shape = digits_input_shapes[0];
	long c = (long)shape[1], h = (long)shape[2], w = (long)shape[3];
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "classify: cannot open %s\n", path);
		return -1;
	}
	int rc;
	char magic[2] = {0, 0};
	if (fread(magic, 1, 2, f) == 2 && magic[0] == 'P' && (magic[1] == '5' || magic[1] == '2')) {
		rc = read_pgm(f, path, magic[1] == '5', invert, c, h, w);
	} else {
		rewind(f);
		size_t n = fread(image, 1, sizeof image, f);
		rc = n == sizeof image && fgetc(f) == EOF ? 0 : -1;
		if (rc)
			fprintf(stderr, "classify: %s is neither a PGM image nor %ld raw floats (1x%ldx%ldx%ld)\n",
				path, (long)digits_INPUT_0_SIZE, c, h, w);
	}
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	int invert = 0, status = 0, first = 1;
	if (argc > 1 && strcmp(argv[1], "-i") == 0) {
		invert = 1;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [-i] IMAGE.pgm|IMAGE.f32...\n", argv[0]);
		return 2;
	}
	for (int i = first; i < argc; i++) {
		if (read_image(argv[i], invert) < 0) {
			status = 1;
			continue;
		}
		const void *in[1] = {image};
		void *out[1] = {scores};
		int rc = digits_run(in, out, workspace);
		if (rc != 0) {
			fprintf(stderr, "classify: digits_run returned %d\n", rc);
			return 1;
		}
		int best = 0;
		for (int k = 1; k < digits_OUTPUT_0_SIZE; k++)
			if (scores[k] > scores[best])
				best = k;
		printf("%s: class %d score %.4f\n", argv[i], best, scores[best]);
	}
	return status;
}
