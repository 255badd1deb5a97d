/* test_image.c - ImageDecoder: the decoders of runtime/rt_image.h on images built here
 * (BMP, PNM, TIFF plain and Deflate, PNG plain and Adam7, a DC-only JPEG; every pixel_format, and every truncation and single-byte corruption
 * of each, which must fail or decode without reading out of bounds), and the op end to
 * end: P_run returns 4 on a corrupt image, and a missing declared output shape is a
 * compile error naming the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "runtime/cnnc_rt.h"
#include "runtime/rt_image.h"
#include "runtime/rt_image_jpeg.h"
#include "runtime/rt_image_png.h"

/* The 2 x 3 RGB test picture, row-major. */
static const uint8_t pic[2][3][3] = {
	{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}},
	{{10, 20, 30}, {200, 100, 50}, {7, 7, 7}},
};

typedef struct Buf {
	uint8_t b[1024];
	size_t n;
} Buf;

static void put(Buf *b, const void *p, size_t n)
{
	if (n)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void put8(Buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void le16(Buf *b, unsigned v) { put8(b, v & 255); put8(b, v >> 8); }
static void le32(Buf *b, uint32_t v) { le16(b, v & 0xffff); le16(b, v >> 16); }
static void be32(Buf *b, uint32_t v) { put8(b, v >> 24); put8(b, (v >> 16) & 255); put8(b, (v >> 8) & 255); put8(b, v & 255); }

static void make_pnm(Buf *b)
{
	b->n = 0;
	put(b, "P6\n# comment\n3 2\n255\n", 21);
	put(b, pic, sizeof pic);
}

/* 24-bit, bottom-up, rows padded to 4 bytes (9 -> 12). */
static void make_bmp(Buf *b)
{
	b->n = 0;
	put(b, "BM", 2);
	le32(b, 54 + 24);
	le32(b, 0);
	le32(b, 54);
	le32(b, 40);
	le32(b, 3);
	le32(b, 2);
	le16(b, 1);
	le16(b, 24);
	for (int i = 0; i < 6; i++)
		le32(b, 0);
	for (int r = 1; r >= 0; r--) {
		for (int c = 0; c < 3; c++) {
			put8(b, pic[r][c][2]);
			put8(b, pic[r][c][1]);
			put8(b, pic[r][c][0]);
		}
		put(b, "\0\0\0", 3);
	}
}

/* raw as a zlib stream of one stored block, into z; returns its length. */
static size_t zlib_stored(uint8_t *z, const uint8_t *raw, size_t nraw)
{
	size_t zn = 0;
	uint32_t s1 = 1, s2 = 0;
	z[zn++] = 0x78;
	z[zn++] = 0x01;
	z[zn++] = 1; /* final stored block */
	z[zn++] = (uint8_t)nraw;
	z[zn++] = 0;
	z[zn++] = (uint8_t)~nraw;
	z[zn++] = 0xff;
	memcpy(z + zn, raw, nraw);
	zn += nraw;
	for (size_t i = 0; i < nraw; i++) {
		s1 = (s1 + raw[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	for (int k = 3; k >= 0; k--)
		z[zn++] = (uint8_t)((s2 << 16 | s1) >> (8 * k));
	return zn;
}

/* Little-endian, one strip: uncompressed, or (deflate) Deflate with the horizontal
   predictor. */
static void make_tiff_as(Buf *b, int deflate)
{
	uint16_t tags[][3] = {{256, 3, 3}, {257, 3, 2}, {258, 3, 8}, {259, 3, 1}, {262, 3, 2},
			      {273, 4, 0}, {277, 3, 3}, {278, 3, 2}, {279, 4, 18}, {317, 3, 2}};
	uint8_t data[64], delta[18];
	size_t nd = sizeof pic;
	int ntags = deflate ? 10 : 9;
	memcpy(data, pic, sizeof pic);
	if (deflate) {
		const uint8_t *px = &pic[0][0][0];
		for (int i = 0; i < 18; i++)
			delta[i] = (uint8_t)(px[i] - (i % 9 >= 3 ? px[i - 3] : 0));
		nd = zlib_stored(data, delta, sizeof delta);
		tags[3][2] = 8;
		tags[8][2] = (uint16_t)nd;
	}
	b->n = 0;
	put(b, "II*\0", 4);
	le32(b, 8);
	le16(b, (unsigned)ntags);
	for (int i = 0; i < ntags; i++) {
		le16(b, tags[i][0]);
		le16(b, tags[i][1]);
		le32(b, 1);
		if (tags[i][0] == 273)
			le32(b, 8 + 2 + (uint32_t)ntags * 12 + 4);
		else
			le32(b, tags[i][2]); /* a SHORT sits in the low half (little-endian) */
	}
	le32(b, 0);
	put(b, data, nd);
}

static void make_tiff(Buf *b) { make_tiff_as(b, 0); }
static void make_tiff_deflate(Buf *b) { make_tiff_as(b, 1); }

static void png_chunk(Buf *b, const char *type, const uint8_t *d, uint32_t n)
{
	be32(b, n);
	size_t at = b->n;
	put(b, type, 4);
	put(b, d, n);
	be32(b, rt_img_crc(b->b + at, n + 4));
}

static unsigned paeth(unsigned a, unsigned b, unsigned c)
{
	int p = (int)(a + b) - (int)c, pa = abs(p - (int)a), pb = abs(p - (int)b), pc = abs(p - (int)c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* The 3 x 2 RGB 8-bit PNG of the raw (filtered) rows: zlib with one stored block, in
   two IDAT chunks. */
static void png_of_raw(Buf *b, const uint8_t *raw, size_t nraw, int interlace)
{
	uint8_t z[64], ihdr[13] = {0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, (uint8_t)interlace};
	size_t zn = zlib_stored(z, raw, nraw);
	b->n = 0;
	put(b, "\x89PNG\r\n\x1a\n", 8);
	png_chunk(b, "IHDR", ihdr, 13);
	png_chunk(b, "IDAT", z, 10); /* split over two IDAT chunks */
	png_chunk(b, "IDAT", z + 10, (uint32_t)zn - 10);
	png_chunk(b, "IEND", NULL, 0);
}

/* Adam7: passes 1, 4, 6 hold pixels (0,0), (0,2), (0,1); pass 7 row 1; the rest are
   empty. Filter 0 everywhere. */
static void make_png_adam7(Buf *b)
{
	uint8_t raw[22];
	size_t n = 0;
	static const int at[3] = {0, 2, 1};
	for (int k = 0; k < 3; k++) {
		raw[n++] = 0;
		memcpy(raw + n, pic[0][at[k]], 3);
		n += 3;
	}
	raw[n++] = 0;
	memcpy(raw + n, pic[1], 9);
	n += 9;
	png_of_raw(b, raw, n, 1);
}

/* Row 0 filtered with `f0` (0-4), row 1 with Paeth. */
static void make_png(Buf *b, int f0)
{
	uint8_t raw[2 * 10];
	const uint8_t *px = &pic[0][0][0];
	for (int r = 0; r < 2; r++) {
		int f = r ? 4 : f0;
		raw[r * 10] = (uint8_t)f;
		for (int i = 0; i < 9; i++) {
			unsigned a = i >= 3 ? px[r * 9 + i - 3] : 0, up = r ? px[i] : 0;
			unsigned c = r && i >= 3 ? px[i - 3] : 0;
			unsigned pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? up : f == 3 ? (a + up) / 2
				      : paeth(a, up, c);
			raw[r * 10 + 1 + i] = (uint8_t)(px[r * 9 + i] - pred);
		}
	}
	png_of_raw(b, raw, sizeof raw, 0);
}

/* MSB-first bit writer for JPEG entropy data, with 0xff stuffing. */
typedef struct Bits {
	Buf *b;
	unsigned acc;
	int n;
} Bits;

static void bits(Bits *w, unsigned v, int n)
{
	while (n--) {
		w->acc = w->acc << 1 | ((v >> n) & 1);
		if (++w->n == 8) {
			put8(w->b, w->acc);
			if (w->acc == 0xff)
				put8(w->b, 0);
			w->acc = 0;
			w->n = 0;
		}
	}
}

static void flush_bits(Bits *w)
{
	while (w->n)
		bits(w, 1, 1);
}

static void be16(Buf *b, unsigned v) { put8(b, v >> 8); put8(b, v & 255); }

/* 32 x 16 baseline YCbCr 4:2:0, two MCUs with a restart marker between them. Every
   block is DC only (quantizer 8): luma blocks 143, 128 / 143, 143 in each MCU (diffs
   +15, -15, +15, 0), chroma 128, so the picture is grey. DC codes: '0' category 0,
   '10' category 4; AC: '0' end of block. */
static void make_jpeg(Buf *b)
{
	static const uint8_t sof[] = {8, 0, 16, 0, 32, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0};
	static const uint8_t sos[] = {3, 1, 0, 2, 0, 3, 0, 0, 63, 0};
	b->n = 0;
	put(b, "\xff\xd8\xff\xdb", 4);
	be16(b, 67);
	put8(b, 0);
	put8(b, 8);
	for (int i = 1; i < 64; i++)
		put8(b, 1);
	put(b, "\xff\xc4", 2);
	be16(b, 2 + 17 + 2 + 17 + 1);
	put8(b, 0x00);
	for (int i = 1; i <= 16; i++)
		put8(b, i <= 2);
	put(b, "\x00\x04", 2);
	put8(b, 0x10);
	for (int i = 1; i <= 16; i++)
		put8(b, i == 1);
	put8(b, 0);
	put(b, "\xff\xc0", 2);
	be16(b, 2 + sizeof sof);
	put(b, sof, sizeof sof);
	put(b, "\xff\xdd", 2);
	be16(b, 4);
	be16(b, 1);
	put(b, "\xff\xda", 2);
	be16(b, 2 + sizeof sos);
	put(b, sos, sizeof sos);
	for (int m = 0; m < 2; m++) {
		Bits w = {b, 0, 0};
		bits(&w, 0x2f, 6); /* '10' '1111': +15 */
		bits(&w, 0, 1);
		bits(&w, 0x20, 6); /* '10' '0000': -15 */
		bits(&w, 0, 1);
		bits(&w, 0x2f, 6);
		bits(&w, 0, 1);
		for (int k = 0; k < 3; k++) /* Y3, Cb, Cr: diff 0, end of block */
			bits(&w, 0, 2);
		flush_bits(&w);
		if (m == 0)
			put(b, "\xff\xd0", 2);
	}
	put(b, "\xff\xd9", 2);
}

static int decode(const Buf *b, uint8_t *y, uint32_t h, uint32_t w, int fmt)
{
	static uint8_t work[RT_IMG_WORK_BYTES(1024, 8, 8)];
	return rt_img_decode(b->b, b->n, y, h, w, fmt, work);
}

static void check_rgb(const uint8_t *y, int fmt)
{
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 3; c++) {
			const uint8_t *p = pic[r][c], *q = y + (r * 3 + c) * 3;
			if (fmt == RT_IMG_RGB)
				assert_memory_equal(q, p, 3);
			else
				assert_true(q[0] == p[2] && q[1] == p[1] && q[2] == p[0]);
		}
}

/* The hand-made JPEG decodes to its grey blocks in every pixel_format. */
static void test_jpeg_blocks_and_restart(void **state)
{
	(void)state;
	Buf b;
	uint8_t y[16 * 32 * 3];
	make_jpeg(&b);
	for (int fmt = 0; fmt < 3; fmt++) {
		int ch = fmt == RT_IMG_GRAY ? 1 : 3;
		assert_int_equal(decode(&b, y, 16, 32, fmt), 0);
		for (int r = 0; r < 16; r++)
			for (int c = 0; c < 32; c++)
				for (int k = 0; k < ch; k++) {
					int want = r < 8 && c % 16 >= 8 ? 128 : 143;
					if (y[(r * 32 + c) * ch + k] != want)
						fail_msg("fmt %d: pixel (%d, %d) is %d, expected %d", fmt, r, c,
							 y[(r * 32 + c) * ch + k], want);
				}
	}
	assert_int_not_equal(decode(&b, y, 16, 16, RT_IMG_RGB), 0);
}

static void test_png_crc_is_the_standard_one(void **state)
{
	(void)state;
	assert_int_equal(rt_img_crc((const uint8_t *)"IEND", 4), 0xae426082u);
}

/* Every format decodes to the picture in RGB and BGR, and to ITU-R 601-2 luma
   (Pillow's fixed point) in Grayscale. */
static void test_every_format_and_pixel_format(void **state)
{
	(void)state;
	void (*makers[])(Buf *) = {make_pnm, make_bmp, make_tiff, make_tiff_deflate, make_png_adam7};
	for (int k = 0; k < 5 + 5; k++) {
		Buf b;
		uint8_t y[18];
		if (k < 5)
			makers[k](&b);
		else
			make_png(&b, k - 5);
		assert_int_equal(decode(&b, y, 2, 3, RT_IMG_RGB), 0);
		check_rgb(y, RT_IMG_RGB);
		assert_int_equal(decode(&b, y, 2, 3, RT_IMG_BGR), 0);
		check_rgb(y, RT_IMG_BGR);
		assert_int_equal(decode(&b, y, 2, 3, RT_IMG_GRAY), 0);
		assert_int_equal(y[0], 76);  /* (255 * 19595 + 32768) >> 16 */
		assert_int_equal(y[1], 150);
		assert_int_equal(y[2], 29);
		assert_int_equal(y[5], 7); /* grey stays itself */
	}
}

/* A decoded size other than the declared one fails, and zeroes the output. */
static void test_size_mismatch_fails(void **state)
{
	(void)state;
	void (*makers[])(Buf *) = {make_pnm, make_bmp, make_tiff};
	for (int k = 0; k < 4; k++) {
		Buf b;
		uint8_t y[27];
		if (k < 3)
			makers[k](&b);
		else
			make_png(&b, 1);
		memset(y, 0xaa, sizeof y);
		assert_int_not_equal(decode(&b, y, 2, 4, RT_IMG_RGB), 0);
		for (int i = 0; i < 24; i++)
			assert_int_equal(y[i], 0);
		assert_int_not_equal(decode(&b, y, 3, 3, RT_IMG_RGB), 0);
	}
}

/* Each prefix of each image fails (nothing in these formats may be cut off), and no
   byte changed to any value makes a decoder read outside the image (ASan builds). */
static void test_truncated_and_corrupt_images(void **state)
{
	(void)state;
	void (*makers[])(Buf *) = {make_pnm,  make_bmp,       make_tiff,
				   make_jpeg, make_png_adam7, make_tiff_deflate};
	for (int k = 0; k < 7; k++) {
		Buf b, t;
		uint8_t y[16 * 32 * 3];
		uint32_t h = k == 3 ? 16 : 2, w = k == 3 ? 32 : 3;
		if (k < 6)
			makers[k](&b);
		else
			make_png(&b, 4);
		for (size_t n = 0; n < b.n; n++) {
			memcpy(t.b, b.b, n); /* exactly n bytes: the copy ends where the stream does */
			t.n = n;
			uint8_t *exact = malloc(n ? n : 1);
			memcpy(exact, b.b, n);
			static uint8_t work[RT_IMG_WORK_BYTES(1024, 16, 32)];
			int rc = rt_img_decode(exact, n, y, h, w, RT_IMG_RGB, work);
			free(exact);
			if (rc == 0)
				fail_msg("format %d: prefix of %zu of %zu bytes decoded", k, n, b.n);
		}
		for (size_t i = 0; i < b.n; i++)
			for (int v = 0; v < 256; v += 17) {
				t = b;
				t.b[i] = (uint8_t)v;
				uint8_t *exact = malloc(t.n);
				memcpy(exact, t.b, t.n);
				static uint8_t work[RT_IMG_WORK_BYTES(1024, 16, 32)];
				(void)rt_img_decode(exact, t.n, y, h, w, RT_IMG_RGB, work);
				free(exact);
			}
	}
	Buf b;
	make_png(&b, 1);
	b.b[8 + 25 + 12] ^= 1; /* an IDAT byte: the chunk's CRC no longer matches */
	uint8_t y[18];
	assert_int_not_equal(decode(&b, y, 2, 3, RT_IMG_RGB), 0);
}

/* ------------------------------------------------------------------ the op */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 21);
	size_t n = fread(buf, 1, (1 << 21) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int k = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		k++;
	return k;
}

/* A model decoding one PNG input two ways; a program runs it on a file and writes the
   outputs. P_run returns 0 on the good image and 4 on a truncated or corrupt one;
   the decoders are written into model.c once. */
static void test_run_returns_4_on_a_corrupt_image(void **state)
{
	(void)state;
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	Buf png;
	make_png(&png, 2);
	char *dir = test_tmpdir(), *model = test_path(dir, "m.onnx"), *mc = test_path(dir, "img.c");
	char shape[32];
	snprintf(shape, sizeof shape, "%zu", png.n);
	ModelBuilder *mb = mb_new(9, 20);
	mb_input(mb, "data", DT_UINT8, shape);
	mb_node(mb, "ImageDecoder", "dec_rgb", "data", "rgb");
	mb_node(mb, "ImageDecoder", "dec_gray", "data", "gray");
	mb_attr_str(mb, "pixel_format", "Grayscale");
	mb_output(mb, "rgb", DT_UINT8, "2x3x3");
	mb_output(mb, "gray", DT_UINT8, "2x3x1");
	mb_write(mb, model);
	mb_free(mb);
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", mc, NULL), 0);
	free(out);
	char *text = read_text(mc);
	assert_int_equal(count(text, "RT_FN int rt_img_decode("), 1);
	free(text);
	const char *prog =
		"#include <stdio.h>\n#include \"img.h\"\n"
		"int main(int argc, char **argv) {\n"
		"  static unsigned char in[img_INPUT_0_BYTES], y0[img_OUTPUT_0_BYTES],\n"
		"    y1[img_OUTPUT_1_BYTES], ws[img_WORKSPACE_SIZE + 1];\n"
		"  const void *ins[1] = {in}; void *outs[2] = {y0, y1};\n"
		"  FILE *f = fopen(argv[1], \"rb\");\n"
		"  if (argc != 3 || !f) return 100;\n"
		"  if (fread(in, 1, sizeof in, f)) {}\n"
		"  fclose(f);\n"
		"  int rc = img_run(ins, outs, ws);\n"
		"  f = fopen(argv[2], \"wb\");\n"
		"  fwrite(y0, 1, sizeof y0, f); fwrite(y1, 1, sizeof y1, f); fclose(f);\n"
		"  return rc;\n}\n";
	char *main_c = test_path(dir, "main.c"), *exe = test_path(dir, "prog");
	char *good = test_path(dir, "good.png"), *bad = test_path(dir, "bad.png"), *res = test_path(dir, "out");
	test_write(main_c, prog, strlen(prog));
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s -std=c99 -Wall -Wextra -Werror -o %s %s %s -lm", cc, exe, main_c, mc);
	assert_int_equal(system(cmd), 0);
	test_write(good, png.b, png.n);
	snprintf(cmd, sizeof cmd, "%s %s %s", exe, good, res);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	uint8_t y[24];
	FILE *f = fopen(res, "rb");
	assert_int_equal(fread(y, 1, 24, f), 24);
	fclose(f);
	check_rgb(y, RT_IMG_RGB);
	assert_int_equal(y[18], 76);
	assert_int_equal(y[23], 7);
	test_write(bad, png.b, png.n - 12); /* no IEND: the rest of the input is zeros */
	snprintf(cmd, sizeof cmd, "%s %s %s", exe, bad, res);
	assert_int_equal(WEXITSTATUS(system(cmd)), 4);
	png.b[png.n - 30] ^= 0x40; /* a byte of the zlib stream */
	test_write(bad, png.b, png.n);
	assert_int_equal(WEXITSTATUS(system(cmd)), 4);
	f = fopen(res, "rb");
	assert_int_equal(fread(y, 1, 24, f), 24);
	fclose(f);
	for (int i = 0; i < 24; i++)
		assert_int_equal(y[i], 0);
	const char *const files[] = {"m.onnx", "img.c", "img.h", "main.c", "prog", "good.png", "bad.png", "out"};
	test_remove_all(dir, files, sizeof files / sizeof files[0]);
	free(dir), free(model), free(mc), free(main_c), free(exe), free(good), free(bad), free(res);
}

/* Without a declared output shape, with one that does not fit pixel_format or is too
   large, or with an unknown pixel_format, the compile fails with one line naming the
   node. */
static void test_undeclared_output_shape_is_a_compile_error(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{NULL, "RGB", "ImageDecoder needs a declared output shape: give output 'img'"},
		{"4x4x1", "RGB", "declared with rank 3, expected [H, W, 3] for pixel_format RGB"},
		{"4x4", "Grayscale", "declared with rank 2, expected [H, W, 1] for pixel_format Grayscale"},
		{"4x4x3", "HSV", "pixel_format is 'HSV', expected RGB, BGR or Grayscale"},
		{"20000000x4x3", "BGR", "declared 20000000 x 4, more than 16777216 a side"},
		{"100000x100000x3", "RGB", "declared 100000 x 100000, too large to decode into"},
	};
	char *dir = test_tmpdir(), *model = test_path(dir, "m.onnx"), *mc = test_path(dir, "x.c");
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ModelBuilder *mb = mb_new(9, 20);
		mb_input(mb, "data", DT_UINT8, "100");
		mb_node(mb, "ImageDecoder", "decode_it", "data", "img");
		mb_attr_str(mb, "pixel_format", cases[k][1]);
		mb_output(mb, "img", DT_UINT8, cases[k][0]);
		mb_write(mb, model);
		mb_free(mb);
		char *out;
		assert_int_equal(test_run_cnnc(&out, model, "-o", mc, NULL), 1);
		assert_non_null(strstr(out, "node 'decode_it' (ImageDecoder): "));
		if (!strstr(out, cases[k][2]))
			fail_msg("case %zu: got %s", k, out);
		assert_int_equal(count(out, "\n"), 1);
		free(out);
		assert_false(test_exists(mc));
	}
	unlink(model);
	rmdir(dir);
	free(dir), free(model), free(mc);
}

/* An intermediate ImageDecoder output takes its shape from value_info (and --dim binds
   a symbolic dim there). */
static void test_value_info_declares_the_shape(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *model = test_path(dir, "m.onnx"), *mc = test_path(dir, "x.c");
	char *mh = test_path(dir, "x.h");
	ModelBuilder *mb = mb_new(9, 20);
	mb_input(mb, "data", DT_UINT8, "100");
	mb_node(mb, "ImageDecoder", "dec", "data", "img");
	mb_attr_str(mb, "pixel_format", "BGR");
	mb_node(mb, "Identity", "id", "img", "out");
	mb_value_info(mb, "img", DT_UINT8, "Hx7x3");
	mb_output(mb, "out", DT_UINT8, NULL);
	mb_write(mb, model);
	mb_free(mb);
	char *out;
	assert_int_equal(test_run_cnnc(&out, model, "-o", mc, "--dim", "H=5", NULL), 0);
	free(out);
	char *h = read_text(mh);
	assert_non_null(strstr(h, "#define x_OUTPUT_0_SIZE 105 "));
	free(h);
	assert_int_equal(test_run_cnnc(&out, model, "-o", mc, NULL), 1); /* H unbound */
	assert_non_null(strstr(out, "ImageDecoder needs a declared output shape"));
	free(out);
	unlink(mc);
	unlink(mh);
	unlink(model);
	rmdir(dir);
	free(dir), free(model), free(mc), free(mh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_crc_is_the_standard_one),
		cmocka_unit_test(test_jpeg_blocks_and_restart),
		cmocka_unit_test(test_every_format_and_pixel_format),
		cmocka_unit_test(test_size_mismatch_fails),
		cmocka_unit_test(test_truncated_and_corrupt_images),
		cmocka_unit_test(test_run_returns_4_on_a_corrupt_image),
		cmocka_unit_test(test_undeclared_output_shape_is_a_compile_error),
		cmocka_unit_test(test_value_info_declares_the_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
