/* rt_image.h - ImageDecoder: BMP, PNM, PNG, TIFF and baseline JPEG into an H x W x C
 * uint8 image.
 *
 * Written into a model.c only when it has an ImageDecoder node (OpDef.runtime), after
 * cnnc_rt.h. The output shape is fixed at compile time, so rt_img_decode() is told the
 * H and W to expect and fails on an image of any other size. Every read is bounds
 * checked: a truncated or corrupt stream, or a variant these decoders do not handle
 * (LZW or JPEG-compressed TIFF, RLE BMP, ASCII PNM, progressive
 * JPEG, WebP, JPEG 2000, ...), makes it return non-zero. No allocation: PNG, TIFF and
 * JPEG decode into the caller's `work` buffer of RT_IMG_WORK_BYTES (PNG's compressed
 * bytes and raw rows, TIFF's strips, JPEG's component planes), and the Huffman and
 * quantization tables and the PNG palette live on the stack (under 4 KB).
 *
 * Colour follows Pillow, which made the ONNX reference outputs: RGB as stored (BGR
 * reversed); Grayscale from RGB by ITU-R 601-2 luma in 16-bit fixed point,
 * L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (exact for grey input); grey sources
 * repeat their value in R, G and B; alpha is dropped; 16-bit samples keep their high
 * byte; 1/2/4-bit grey is scaled to 0..255.
 */
#ifndef CNNC_RT_IMAGE_H
#define CNNC_RT_IMAGE_H

enum { RT_IMG_RGB = 0, RT_IMG_BGR = 1, RT_IMG_GRAY = 2 };

/* Bytes of `work` rt_img_decode needs for an n-byte stream and an h x w image: PNG's
   compressed bytes and raw rows, or JPEG's three planes padded to whole MCUs. */
#define RT_IMG_WORK_BYTES(n, h, w) ((n) + (h) * (1 + 8 * (w)) + 3 * ((h) + 16) * ((w) + 16))

typedef struct RtImgOut {
	uint8_t *y;
	uint32_t h, w;
	int fmt;
} RtImgOut;

RT_FN void rt_img_put(const RtImgOut *o, uint32_t r, uint32_t c, unsigned R, unsigned G, unsigned B)
{
	size_t i = (size_t)r * o->w + c;
	if (o->fmt == RT_IMG_GRAY) {
		o->y[i] = (uint8_t)((R * 19595u + G * 38470u + B * 7471u + 32768u) >> 16);
		return;
	}
	if (o->fmt == RT_IMG_BGR) {
		unsigned t = R;
		R = B;
		B = t;
	}
	o->y[3 * i] = (uint8_t)R;
	o->y[3 * i + 1] = (uint8_t)G;
	o->y[3 * i + 2] = (uint8_t)B;
}

RT_FN uint32_t rt_img_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
RT_FN uint32_t rt_img_le32(const uint8_t *p) { return rt_img_le16(p) | rt_img_le16(p + 2) << 16; }
RT_FN uint32_t rt_img_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | (uint32_t)p[1]; }
RT_FN uint32_t rt_img_be32(const uint8_t *p) { return rt_img_be16(p) << 16 | rt_img_be16(p + 2); }

/* ------------------------------------------------------------------ BMP */
/* Windows bitmaps: BITMAPINFOHEADER or later (40+ byte header), uncompressed, 1/4/8-bit
   palette or 24/32-bit BGR(X), bottom-up or top-down rows. */
RT_FN int rt_img_bmp(const uint8_t *s, size_t n, const RtImgOut *o)
{
	uint32_t off, hs, bpp, comp, ncol, stride, rows, top, r, c;
	int32_t w, h;
	const uint8_t *pal;
	if (n < 54 || s[0] != 'B' || s[1] != 'M')
		return 1;
	off = rt_img_le32(s + 10);
	hs = rt_img_le32(s + 14);
	if (hs < 40 || hs > n - 14)
		return 1;
	w = (int32_t)rt_img_le32(s + 18);
	h = (int32_t)rt_img_le32(s + 22);
	bpp = rt_img_le16(s + 28);
	comp = rt_img_le32(s + 30);
	ncol = rt_img_le32(s + 46);
	if (rt_img_le16(s + 26) != 1 || comp != 0 || h == INT32_MIN)
		return 1;
	if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32)
		return 1;
	top = h < 0;
	rows = (uint32_t)(h < 0 ? -h : h);
	if (w <= 0 || (uint32_t)w != o->w || rows != o->h)
		return 1;
	pal = s + 14 + hs;
	if (bpp <= 8) {
		if (ncol == 0)
			ncol = 1u << bpp;
		if (ncol > 1u << bpp || (size_t)(pal - s) + 4 * (size_t)ncol > n)
			return 1;
	}
	stride = (uint32_t)(((uint64_t)o->w * bpp + 31) / 32 * 4);
	if (off > n || (uint64_t)stride * rows > n - off)
		return 1;
	for (r = 0; r < rows; r++) {
		const uint8_t *row = s + off + (size_t)stride * (top ? r : rows - 1 - r);
		for (c = 0; c < o->w; c++) {
			const uint8_t *p;
			if (bpp >= 24) {
				p = row + (size_t)c * (bpp / 8);
			} else {
				uint32_t bit = c * bpp, v = row[bit / 8];
				v = (v >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
				if (v >= ncol)
					return 1;
				p = pal + 4 * v;
			}
			rt_img_put(o, r, c, p[2], p[1], p[0]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ PNM */
/* Skips whitespace and # comments, then reads a decimal number into *v. */
RT_FN int rt_img_pnm_num(const uint8_t *s, size_t n, size_t *pos, uint32_t *v)
{
	size_t i = *pos;
	uint32_t x = 0;
	for (;;) {
		if (i >= n)
			return 1;
		if (s[i] == '#') {
			while (i < n && s[i] != '\n' && s[i] != '\r')
				i++;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
			   s[i] == '\v' || s[i] == '\f') {
			i++;
		} else {
			break;
		}
	}
	if (s[i] < '0' || s[i] > '9')
		return 1;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (x > 100000000u)
			return 1;
		x = x * 10 + (uint32_t)(s[i++] - '0');
	}
	*v = x;
	*pos = i;
	return 0;
}

/* Binary PGM (P5) and PPM (P6) with maxval 255. */
RT_FN int rt_img_pnm(const uint8_t *s, size_t n, const RtImgOut *o)
{
	size_t pos = 2, ch;
	uint32_t w, h, maxv, r, c;
	if (n < 3 || s[0] != 'P' || (s[1] != '5' && s[1] != '6'))
		return 1;
	ch = s[1] == '6' ? 3 : 1;
	if (rt_img_pnm_num(s, n, &pos, &w) || rt_img_pnm_num(s, n, &pos, &h) ||
	    rt_img_pnm_num(s, n, &pos, &maxv))
		return 1;
	if (w != o->w || h != o->h || maxv != 255 || pos >= n ||
	    !(s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
		return 1;
	pos++; /* the one whitespace character before the raster */
	if ((uint64_t)w * h * ch > n - pos)
		return 1;
	for (r = 0; r < h; r++)
		for (c = 0; c < w; c++) {
			const uint8_t *p = s + pos + ((size_t)r * w + c) * ch;
			if (ch == 3)
				rt_img_put(o, r, c, p[0], p[1], p[2]);
			else
				rt_img_put(o, r, c, p[0], p[0], p[0]);
		}
	return 0;
}

/* ------------------------------------------------------------------ inflate */
/* RFC 1950/1951 zlib decompression into a buffer of exactly the expected size. */
typedef struct RtInflate {
	const uint8_t *src;
	size_t n, pos;
	uint32_t bits; /* bit buffer, next bit lowest */
	int nbits;
	uint8_t *dst;
	size_t cap, len;
	int err;
} RtInflate;

/* A canonical Huffman code: codes per length and the symbols in code order. */
typedef struct RtHuff {
	uint16_t count[16];
	uint16_t sym[288];
} RtHuff;

RT_FN uint32_t rt_inf_bits(RtInflate *z, int need)
{
	uint32_t v;
	while (z->nbits < need) {
		if (z->pos >= z->n) {
			z->err = 1;
			return 0;
		}
		z->bits |= (uint32_t)z->src[z->pos++] << z->nbits;
		z->nbits += 8;
	}
	v = z->bits & ((1u << need) - 1);
	z->bits >>= need;
	z->nbits -= need;
	return v;
}

/* Builds h from n code lengths; non-zero for an over-subscribed set. */
RT_FN int rt_inf_build(RtHuff *h, const uint8_t *len, int n)
{
	uint16_t offs[16];
	int left = 1, i;
	memset(h->count, 0, sizeof h->count);
	for (i = 0; i < n; i++)
		h->count[len[i]]++;
	for (i = 1; i < 16; i++) {
		left = 2 * left - h->count[i];
		if (left < 0)
			return 1;
	}
	offs[1] = 0;
	for (i = 1; i < 15; i++)
		offs[i + 1] = (uint16_t)(offs[i] + h->count[i]);
	for (i = 0; i < n; i++)
		if (len[i])
			h->sym[offs[len[i]]++] = (uint16_t)i;
	return 0;
}

/* The next symbol of code h, or -1. Codes are read one bit at a time, most significant
   first; at each length the codes of that length are the next count[len] values. */
RT_FN int rt_inf_sym(RtInflate *z, const RtHuff *h)
{
	int code = 0, first = 0, index = 0, len;
	for (len = 1; len < 16; len++) {
		code |= (int)rt_inf_bits(z, 1);
		if (z->err)
			return -1;
		if (code - first < h->count[len])
			return h->sym[index + code - first];
		index += h->count[len];
		first = (first + h->count[len]) << 1;
		code <<= 1;
	}
	z->err = 1;
	return -1;
}

RT_FN int rt_inf_codes(RtInflate *z, const RtHuff *lit, const RtHuff *dist)
{
	static const uint16_t lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,
					   15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
					   67, 83, 99, 115, 131, 163, 195, 227, 258};
	static const uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
					 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
	static const uint16_t dbase[30] = {1,    2,    3,    4,    5,    7,     9,     13,
					   17,   25,   33,   49,   65,   97,    129,   193,
					   257,  385,  513,  769,  1025, 1537,  2049,  3073,
					   4097, 6145, 8193, 12289, 16385, 24577};
	static const uint8_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
					 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
	for (;;) {
		int s = rt_inf_sym(z, lit);
		size_t len, d;
		if (s < 0)
			return 1;
		if (s < 256) {
			if (z->len >= z->cap)
				return 1;
			z->dst[z->len++] = (uint8_t)s;
			continue;
		}
		if (s == 256)
			return 0;
		s -= 257;
		if (s >= 29)
			return 1;
		len = lbase[s] + rt_inf_bits(z, lext[s]);
		s = rt_inf_sym(z, dist);
		if (s < 0 || s >= 30)
			return 1;
		d = dbase[s] + rt_inf_bits(z, dext[s]);
		if (z->err || d > z->len || len > z->cap - z->len)
			return 1;
		for (; len; len--, z->len++)
			z->dst[z->len] = z->dst[z->len - d];
	}
}

RT_FN int rt_inf_dynamic(RtInflate *z)
{
	static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
					  11, 4,  12, 3, 13, 2, 14, 1, 15};
	uint8_t len[320];
	RtHuff lit, dist;
	int nlen = (int)rt_inf_bits(z, 5) + 257, ndist = (int)rt_inf_bits(z, 5) + 1;
	int ncode = (int)rt_inf_bits(z, 4) + 4, i;
	if (z->err || nlen > 286 || ndist > 30)
		return 1;
	memset(len, 0, sizeof len);
	for (i = 0; i < ncode; i++)
		len[order[i]] = (uint8_t)rt_inf_bits(z, 3);
	if (z->err || rt_inf_build(&lit, len, 19))
		return 1;
	for (i = 0; i < nlen + ndist;) {
		int s = rt_inf_sym(z, &lit), rep;
		uint8_t v = 0;
		if (s < 0)
			return 1;
		if (s < 16) {
			len[i++] = (uint8_t)s;
			continue;
		}
		if (s == 16) {
			if (i == 0)
				return 1;
			v = len[i - 1];
			rep = 3 + (int)rt_inf_bits(z, 2);
		} else if (s == 17) {
			rep = 3 + (int)rt_inf_bits(z, 3);
		} else {
			rep = 11 + (int)rt_inf_bits(z, 7);
		}
		if (z->err || i + rep > nlen + ndist)
			return 1;
		while (rep--)
			len[i++] = v;
	}
	if (len[256] == 0 || rt_inf_build(&lit, len, nlen) || rt_inf_build(&dist, len + nlen, ndist))
		return 1;
	return rt_inf_codes(z, &lit, &dist);
}

RT_FN int rt_inf_fixed(RtInflate *z)
{
	uint8_t len[320];
	RtHuff lit, dist;
	int i;
	for (i = 0; i < 288; i++)
		len[i] = (uint8_t)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
	for (i = 288; i < 318; i++)
		len[i] = 5;
	rt_inf_build(&lit, len, 288);
	rt_inf_build(&dist, len + 288, 30);
	return rt_inf_codes(z, &lit, &dist);
}

/* Inflates the zlib stream src[0..n) into dst, which it must fill exactly; checks the
   header and the Adler-32 of the result. 0 on success. */
RT_FN int rt_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
	RtInflate z;
	uint32_t a = 1, b = 0;
	size_t i;
	int last;
	if (n < 6 || (src[0] & 15) != 8 || (src[0] >> 4) > 7 || (src[0] * 256u + src[1]) % 31 ||
	    (src[1] & 32))
		return 1;
	memset(&z, 0, sizeof z);
	z.src = src;
	z.n = n - 4;
	z.pos = 2;
	z.dst = dst;
	z.cap = cap;
	do {
		uint32_t type;
		last = (int)rt_inf_bits(&z, 1);
		type = rt_inf_bits(&z, 2);
		if (z.err)
			return 1;
		if (type == 0) {
			uint32_t len;
			z.bits = 0;
			z.nbits = 0;
			if (z.n - z.pos < 4)
				return 1;
			len = rt_img_le16(z.src + z.pos);
			if ((len ^ 0xffffu) != rt_img_le16(z.src + z.pos + 2))
				return 1;
			z.pos += 4;
			if (len > z.n - z.pos || len > z.cap - z.len)
				return 1;
			memcpy(z.dst + z.len, z.src + z.pos, len);
			z.pos += len;
			z.len += len;
		} else if (type == 1) {
			if (rt_inf_fixed(&z))
				return 1;
		} else if (type == 2) {
			if (rt_inf_dynamic(&z))
				return 1;
		} else {
			return 1;
		}
	} while (!last);
	if (z.len != cap || z.pos != z.n)
		return 1;
	for (i = 0; i < cap; i++) {
		a = (a + dst[i]) % 65521u;
		b = (b + a) % 65521u;
	}
	return (b << 16 | a) != rt_img_be32(src + n - 4);
}

/* ------------------------------------------------------------------ PNG */
RT_FN uint32_t rt_img_crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;
	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

RT_FN unsigned rt_img_paeth(unsigned a, unsigned b, unsigned c)
{
	int p = (int)a + (int)b - (int)c;
	int pa = p > (int)a ? p - (int)a : (int)a - p;
	int pb = p > (int)b ? p - (int)b : (int)b - p;
	int pc = p > (int)c ? p - (int)c : (int)c - p;
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the five row filters in place: h rows of 1 filter byte + rb bytes, bpp bytes
   per complete pixel (at least 1). */
RT_FN int rt_img_unfilter(uint8_t *raw, uint32_t h, size_t rb, size_t bpp)
{
	uint32_t r;
	size_t i;
	for (r = 0; r < h; r++) {
		uint8_t *row = raw + (size_t)r * (rb + 1) + 1;
		const uint8_t *up = r ? row - (rb + 1) : NULL;
		unsigned f = row[-1];
		for (i = 0; i < rb; i++) {
			unsigned a = i >= bpp ? row[i - bpp] : 0, b = up ? up[i] : 0;
			unsigned c = up && i >= bpp ? up[i - bpp] : 0, p;
			switch (f) {
			case 0: p = 0; break;
			case 1: p = a; break;
			case 2: p = b; break;
			case 3: p = (a + b) / 2; break;
			case 4: p = rt_img_paeth(a, b, c); break;
			default: return 1;
			}
			row[i] = (uint8_t)(row[i] + p);
		}
	}
	return 0;
}

/* Sample k of a row of depth-bit samples, as stored (no scaling). */
RT_FN unsigned rt_img_sample(const uint8_t *row, size_t k, unsigned depth)
{
	size_t bit;
	if (depth == 8)
		return row[k];
	if (depth == 16)
		return row[2 * k]; /* the high byte */
	bit = k * depth;
	return (row[bit / 8] >> (8 - depth - bit % 8)) & ((1u << depth) - 1);
}

/* Pass k of a PNG image: 0 the whole image, 1-7 Adam7's passes; their origin, step and
   size (pw or ph 0 for an empty pass). */
RT_FN void rt_png_pass(int k, uint32_t w, uint32_t h, uint32_t *x0, uint32_t *y0, uint32_t *dx,
			 uint32_t *dy, uint32_t *pw, uint32_t *ph)
{
	static const uint8_t g[8][4] = {{0, 0, 1, 1}, {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8},
					{2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
	*x0 = g[k][0];
	*y0 = g[k][1];
	*dx = g[k][2];
	*dy = g[k][3];
	*pw = w > *x0 ? (w - *x0 + *dx - 1) / *dx : 0;
	*ph = h > *y0 ? (h - *y0 + *dy - 1) / *dy : 0;
}

/* PNG of any colour type, depths 1-16, plain or Adam7-interlaced; chunks CRC-checked,
   IDAT data gathered into work and inflated after it. */
RT_FN int rt_img_png(const uint8_t *s, size_t n, const RtImgOut *o, uint8_t *work)
{
	static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
	uint8_t pal[768];
	uint32_t npal = 0, w = 0, h = 0, depth = 0, type = 0, interlace = 0, r, c;
	uint32_t x0, y0, dx, dy, pw, ph;
	size_t pos = 8, zlen = 0, ch, bpp, total;
	int seen_ihdr = 0, seen_end = 0, k;
	uint8_t *raw;
	if (n < 8 || memcmp(s, sig, 8) != 0)
		return 1;
	while (!seen_end) {
		uint32_t len;
		const uint8_t *t, *d;
		if (n - pos < 12)
			return 1;
		len = rt_img_be32(s + pos);
		if (len > n - pos - 12)
			return 1;
		t = s + pos + 4;
		d = t + 4;
		if (rt_img_crc(t, (size_t)len + 4) != rt_img_be32(d + len))
			return 1;
		pos += (size_t)len + 12;
		if (!seen_ihdr && memcmp(t, "IHDR", 4) != 0)
			return 1;
		if (memcmp(t, "IHDR", 4) == 0) {
			if (seen_ihdr || len != 13)
				return 1;
			seen_ihdr = 1;
			w = rt_img_be32(d);
			h = rt_img_be32(d + 4);
			depth = d[8];
			type = d[9];
			interlace = d[12];
			if (d[10] || d[11] || interlace > 1) /* compression, filter, interlace */
				return 1;
			if (w != o->w || h != o->h)
				return 1;
			if (!((type == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 ||
					     depth == 16)) ||
			      (type == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
			      ((type == 2 || type == 4 || type == 6) && (depth == 8 || depth == 16))))
				return 1;
		} else if (memcmp(t, "PLTE", 4) == 0) {
			if (len % 3 || len == 0 || len > 768 || zlen)
				return 1;
			memcpy(pal, d, len);
			npal = len / 3;
		} else if (memcmp(t, "IDAT", 4) == 0) {
			memcpy(work + zlen, d, len); /* work holds at least n bytes */
			zlen += len;
		} else if (memcmp(t, "IEND", 4) == 0) {
			seen_end = 1;
		} else if (!(t[0] & 32)) {
			return 1; /* an unknown critical chunk */
		}
	}
	if (type == 3 && npal == 0)
		return 1;
	ch = type == 2 ? 3 : type == 4 ? 2 : type == 6 ? 4 : 1;
	bpp = ch * depth / 8 ? ch * depth / 8 : 1;
	/* the passes: the whole image, or Adam7's seven sub-images one after another */
	for (total = 0, k = interlace ? 1 : 0; k < (interlace ? 8 : 1); k++) {
		rt_png_pass(k, w, h, &x0, &y0, &dx, &dy, &pw, &ph);
		if (pw && ph)
			total += (size_t)ph * (1 + (size_t)(((uint64_t)pw * ch * depth + 7) / 8));
	}
	raw = work + zlen;
	if (total > RT_IMG_WORK_BYTES((size_t)n, (size_t)h, (size_t)w) - n || rt_inflate(work, zlen, raw, total))
		return 1;
	for (k = interlace ? 1 : 0; k < (interlace ? 8 : 1); k++) {
		size_t rb;
		rt_png_pass(k, w, h, &x0, &y0, &dx, &dy, &pw, &ph);
		if (!pw || !ph)
			continue;
		rb = (size_t)(((uint64_t)pw * ch * depth + 7) / 8);
		if (rt_img_unfilter(raw, ph, rb, bpp))
			return 1;
		for (r = 0; r < ph; r++) {
			const uint8_t *row = raw + (size_t)r * (rb + 1) + 1;
			for (c = 0; c < pw; c++) {
				size_t i = (size_t)c * ch;
				uint32_t yr = y0 + r * dy, xc = x0 + c * dx;
				unsigned v = rt_img_sample(row, i, depth);
				if (type == 3) {
					if (v >= npal)
						return 1;
					rt_img_put(o, yr, xc, pal[3 * v], pal[3 * v + 1], pal[3 * v + 2]);
				} else if (type == 2 || type == 6) {
					rt_img_put(o, yr, xc, v, rt_img_sample(row, i + 1, depth),
						   rt_img_sample(row, i + 2, depth));
				} else {
					if (depth < 8)
						v = v * 255u / ((1u << depth) - 1);
					rt_img_put(o, yr, xc, v, v, v);
				}
			}
		}
		raw += (size_t)ph * (rb + 1);
	}
	return 0;
}

/* ------------------------------------------------------------------ TIFF */
typedef struct RtTiff {
	const uint8_t *s;
	size_t n;
	int be; /* big-endian ("MM") */
} RtTiff;

RT_FN uint32_t rt_tiff16(const RtTiff *t, size_t at)
{
	return t->be ? rt_img_be16(t->s + at) : rt_img_le16(t->s + at);
}

RT_FN uint32_t rt_tiff32(const RtTiff *t, size_t at)
{
	return t->be ? rt_img_be32(t->s + at) : rt_img_le32(t->s + at);
}

/* Value k of the IFD entry at e (BYTE, SHORT or LONG), into *v; non-zero when the
   entry has another type or k is out of range or of the file. */
RT_FN int rt_tiff_val(const RtTiff *t, size_t e, uint32_t k, uint32_t *v)
{
	uint32_t type = rt_tiff16(t, e + 2), count = rt_tiff32(t, e + 4);
	uint32_t size = type == 1 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 0;
	size_t at = e + 8;
	if (!size || k >= count)
		return 1;
	if ((uint64_t)count * size > 4) {
		at = rt_tiff32(t, e + 8);
		if (at > t->n || (uint64_t)count * size > t->n - at)
			return 1;
	}
	at += (size_t)k * size;
	*v = size == 1 ? t->s[at] : size == 2 ? rt_tiff16(t, at) : rt_tiff32(t, at);
	return 0;
}

/* Baseline TIFF, first image: 8-bit grey (BlackIsZero/WhiteIsZero) or RGB(A), chunky,
   in strips, uncompressed, PackBits or Deflate, with or without the horizontal
   predictor. Strips decode into work. */
RT_FN int rt_img_tiff(const uint8_t *s, size_t n, const RtImgOut *o, uint8_t *work)
{
	RtTiff t;
	uint32_t ifd, ne, i, w = 0, h = 0, comp = 1, photo = 9, spp = 1, rps = 0xffffffffu, pred = 1;
	uint32_t nstrips = 0, r, c;
	size_t e_off = 0, e_cnt = 0, rb, total, k;
	t.s = s;
	t.n = n;
	if (n < 8 || !((s[0] == 'I' && s[1] == 'I') || (s[0] == 'M' && s[1] == 'M')))
		return 1;
	t.be = s[0] == 'M';
	ifd = rt_tiff32(&t, 4);
	if (rt_tiff16(&t, 2) != 42 || ifd < 8 || ifd > n - 2)
		return 1;
	ne = rt_tiff16(&t, ifd);
	if ((uint64_t)ne * 12 > n - ifd - 2)
		return 1;
	for (i = 0; i < ne; i++) {
		size_t e = ifd + 2 + (size_t)i * 12;
		uint32_t tag = rt_tiff16(&t, e), v = 0, cnt = rt_tiff32(&t, e + 4);
		switch (tag) {
		case 256: if (rt_tiff_val(&t, e, 0, &w)) return 1; break;
		case 257: if (rt_tiff_val(&t, e, 0, &h)) return 1; break;
		case 258: /* BitsPerSample: 8 for every sample */
			for (k = 0; k < cnt; k++)
				if (rt_tiff_val(&t, e, (uint32_t)k, &v) || v != 8)
					return 1;
			break;
		case 259: if (rt_tiff_val(&t, e, 0, &comp)) return 1; break;
		case 262: if (rt_tiff_val(&t, e, 0, &photo)) return 1; break;
		case 273: e_off = e; nstrips = cnt; break;
		case 277: if (rt_tiff_val(&t, e, 0, &spp)) return 1; break;
		case 278: if (rt_tiff_val(&t, e, 0, &rps)) return 1; break;
		case 279: e_cnt = e; break;
		case 284: if (rt_tiff_val(&t, e, 0, &v) || (v != 1 && spp > 1)) return 1; break;
		case 317: if (rt_tiff_val(&t, e, 0, &pred) || (pred != 1 && pred != 2)) return 1; break;
		default: break;
		}
	}
	if (w != o->w || h != o->h || h == 0 || !e_off || !e_cnt || rps == 0 ||
	    (comp != 1 && comp != 8 && comp != 32773 && comp != 32946))
		return 1;
	if (!((photo <= 1 && spp == 1) || (photo == 2 && (spp == 3 || spp == 4))))
		return 1;
	if (rt_tiff32(&t, e_cnt + 4) != nstrips || nstrips != (h + (rps > h ? h : rps) - 1) / (rps > h ? h : rps))
		return 1;
	rb = (size_t)w * spp;
	total = rb * h;
	for (i = 0, k = 0; i < nstrips; i++) {
		uint32_t off, cnt;
		size_t want = (size_t)(rps > h - i * rps ? h - i * rps : rps) * rb, got = 0, p;
		if (rt_tiff_val(&t, e_off, i, &off) || rt_tiff_val(&t, e_cnt, i, &cnt) || off > n ||
		    cnt > n - off)
			return 1;
		if (comp == 1) {
			if (cnt < want)
				return 1;
			memcpy(work + k, s + off, want);
			k += want;
			continue;
		}
		if (comp == 8 || comp == 32946) { /* Deflate: a zlib stream per strip */
			if (rt_inflate(s + off, cnt, work + k, want))
				return 1;
			k += want;
			continue;
		}
		for (p = off; got < want;) { /* PackBits */
			int hdr;
			if (p >= (size_t)off + cnt)
				return 1;
			hdr = (int8_t)s[p++];
			if (hdr >= 0) {
				size_t len = (size_t)hdr + 1;
				if (len > (size_t)off + cnt - p || len > want - got)
					return 1;
				memcpy(work + k + got, s + p, len);
				p += len;
				got += len;
			} else if (hdr != -128) {
				size_t len = (size_t)(1 - hdr);
				if (p >= (size_t)off + cnt || len > want - got)
					return 1;
				memset(work + k + got, s[p++], len);
				got += len;
			}
		}
		k += want;
	}
	if (k != total)
		return 1;
	if (pred == 2) /* horizontal differencing: each sample is a delta from the pixel before */
		for (r = 0; r < h; r++)
			for (k = spp; k < rb; k++)
				work[(size_t)r * rb + k] = (uint8_t)(work[(size_t)r * rb + k] + work[(size_t)r * rb + k - spp]);
	for (r = 0; r < h; r++)
		for (c = 0; c < w; c++) {
			const uint8_t *p = work + (size_t)r * rb + (size_t)c * spp;
			if (spp >= 3) {
				rt_img_put(o, r, c, p[0], p[1], p[2]);
			} else {
				unsigned v = photo == 0 ? 255u - p[0] : p[0];
				rt_img_put(o, r, c, v, v, v);
			}
		}
	return 0;
}

/* ------------------------------------------------------------------ JPEG */
/* Baseline sequential JPEG (SOF0/SOF1, 8-bit, Huffman, one scan), grey or YCbCr with
   chroma 1x1 and luma 1x1, 2x1 or 2x2; restart intervals. Decoded the way libjpeg-turbo
   does by default, which Pillow uses and the spec describes: the accurate integer IDCT
   (the Loeffler-Ligtenberg-Moschytz butterflies with 13-bit constants, 2 extra bits
   between passes), "fancy" triangle chroma upsampling with alternating rounding, and
   16-bit fixed-point YCbCr -> RGB. Component planes, padded to whole MCUs, go to work. */
typedef struct RtJpgHuff {
	uint16_t count[17]; /* codes of each length 1..16 */
	uint8_t sym[256];
	int ok;
} RtJpgHuff;

typedef struct RtJpg {
	const uint8_t *s;
	size_t n, pos;
	uint32_t bits;
	int nbits, err;
	uint16_t q[4][64]; /* zigzag order, as stored */
	int qok[4];
	RtJpgHuff dc[4], ac[4];
	int ncomp, hmax, vmax;
	struct {
		int id, h, v, tq, td, ta, pred;
		uint8_t *plane;
		size_t stride, rows; /* padded plane */
		uint32_t w, hgt;     /* real samples */
	} c[3];
	uint32_t dri;
} RtJpg;

/* Arithmetic shift right (floor), which libjpeg's RIGHT_SHIFT is on every compiler
   it runs on; spelled out because >> of a negative value is implementation-defined. */
RT_FN int64_t rt_jpg_sra(int64_t v, int n) { return v >= 0 ? v >> n : ~(~v >> n); }

RT_FN unsigned rt_jpg_bit(RtJpg *j)
{
	if (j->nbits == 0) {
		uint32_t b;
		if (j->pos >= j->n) {
			j->err = 1;
			return 0;
		}
		b = j->s[j->pos];
		if (b == 0xff) { /* a stuffed 0xff 0x00, or a marker where data should be */
			if (j->pos + 1 >= j->n || j->s[j->pos + 1] != 0) {
				j->err = 1;
				return 0;
			}
			j->pos++;
		}
		j->pos++;
		j->bits = b;
		j->nbits = 8;
	}
	j->nbits--;
	return (j->bits >> j->nbits) & 1u;
}

RT_FN int rt_jpg_bits(RtJpg *j, int n)
{
	int v = 0;
	while (n--)
		v = v << 1 | (int)rt_jpg_bit(j);
	return v;
}

/* n bits as a signed magnitude value (the JPEG "EXTEND"). */
RT_FN int rt_jpg_signed(RtJpg *j, int n)
{
	int v;
	if (n == 0)
		return 0;
	v = rt_jpg_bits(j, n);
	return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

RT_FN int rt_jpg_sym(RtJpg *j, const RtJpgHuff *h)
{
	int code = 0, first = 0, index = 0, len;
	for (len = 1; len <= 16; len++) {
		code |= (int)rt_jpg_bit(j);
		if (j->err)
			return -1;
		if (code - first < h->count[len])
			return h->sym[index + code - first];
		index += h->count[len];
		first = (first + h->count[len]) << 1;
		code <<= 1;
	}
	j->err = 1;
	return -1;
}

/* One 8 x 8 IDCT of dequantized coefficients co (natural order) into out (stride). */
RT_FN void rt_jpg_idct(const int32_t *co, uint8_t *out, size_t stride)
{
	int64_t ws[64];
	int pass, i, k;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 8; i++) {
			/* pass 0: column i of co; pass 1: row i of ws */
			int64_t in[8], z1, z2, z3, z4, z5, t0, t1, t2, t3, t10, t11, t12, t13, o[8];
			int sh = pass ? 13 + 2 + 3 : 13 - 2;
			for (k = 0; k < 8; k++)
				in[k] = pass ? ws[i * 8 + k] : co[k * 8 + i];
			z2 = in[2];
			z3 = in[6];
			z1 = (z2 + z3) * 4433;
			t2 = z1 - z3 * 15137;
			t3 = z1 + z2 * 6270;
			t0 = (in[0] + in[4]) * 8192;
			t1 = (in[0] - in[4]) * 8192;
			t10 = t0 + t3;
			t13 = t0 - t3;
			t11 = t1 + t2;
			t12 = t1 - t2;
			t0 = in[7];
			t1 = in[5];
			t2 = in[3];
			t3 = in[1];
			z1 = t0 + t3;
			z2 = t1 + t2;
			z3 = t0 + t2;
			z4 = t1 + t3;
			z5 = (z3 + z4) * 9633;
			t0 *= 2446;
			t1 *= 16819;
			t2 *= 25172;
			t3 *= 12299;
			z1 *= -7373;
			z2 *= -20995;
			z3 = z3 * -16069 + z5;
			z4 = z4 * -3196 + z5;
			t0 += z1 + z3;
			t1 += z2 + z4;
			t2 += z2 + z3;
			t3 += z1 + z4;
			o[0] = t10 + t3;
			o[7] = t10 - t3;
			o[1] = t11 + t2;
			o[6] = t11 - t2;
			o[2] = t12 + t1;
			o[5] = t12 - t1;
			o[3] = t13 + t0;
			o[4] = t13 - t0;
			for (k = 0; k < 8; k++) {
				int64_t v = rt_jpg_sra(o[k] + ((int64_t)1 << (sh - 1)), sh);
				if (!pass) {
					ws[k * 8 + i] = v;
				} else { /* libjpeg's range limit: clamp, wrapping past +-512 */
					uint32_t u = (uint32_t)v & 1023u;
					out[(size_t)i * stride + (size_t)k] =
						(uint8_t)(u < 128 ? u + 128 : u < 512 ? 255 : u < 896 ? 0 : u - 896);
				}
			}
		}
}

/* Reads one block of component ci into its plane at block (bx, by). */
RT_FN int rt_jpg_block(RtJpg *j, int ci, uint32_t bx, uint32_t by)
{
	static const uint8_t zz[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18,
				       11, 4,  5,  12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
				       13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43,
				       36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45,
				       38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
	int32_t co[64];
	const uint16_t *q = j->q[j->c[ci].tq];
	int t = rt_jpg_sym(j, &j->dc[j->c[ci].td]), k;
	if (t < 0 || t > 11)
		return 1;
	memset(co, 0, sizeof co);
	/* the prediction wraps like libjpeg's 16-bit coefficient (and cannot overflow) */
	j->c[ci].pred = (int)((uint32_t)(j->c[ci].pred + rt_jpg_signed(j, t) + 32768) & 0xffffu) - 32768;
	co[0] = (int32_t)j->c[ci].pred * q[0];
	for (k = 1; k < 64;) {
		int rs = rt_jpg_sym(j, &j->ac[j->c[ci].ta]), r = rs >> 4, sz = rs & 15;
		if (rs < 0)
			return 1;
		if (sz == 0) {
			if (r != 15)
				break;
			k += 16;
			continue;
		}
		k += r;
		if (k > 63)
			return 1;
		co[zz[k]] = rt_jpg_signed(j, sz) * q[k];
		k++;
	}
	if (j->err)
		return 1;
	rt_jpg_idct(co, j->c[ci].plane + (size_t)by * 8 * j->c[ci].stride + (size_t)bx * 8,
		    j->c[ci].stride);
	return 0;
}

/* The entropy-coded data of the one scan, from j->pos. */
RT_FN int rt_jpg_scan(RtJpg *j)
{
	uint32_t mx = (j->c[0].w + 8u * (uint32_t)j->hmax - 1) / (8u * (uint32_t)j->hmax);
	uint32_t my = (j->c[0].hgt + 8u * (uint32_t)j->vmax - 1) / (8u * (uint32_t)j->vmax);
	uint32_t m, count, left, x, y;
	int ci, bx, by;
	if (j->ncomp == 1) { /* non-interleaved: the component's own blocks in raster order */
		mx = (j->c[0].w + 7) / 8;
		my = (j->c[0].hgt + 7) / 8;
	}
	count = mx * my;
	left = j->dri;
	for (m = 0; m < count; m++) {
		if (j->dri && left == 0) { /* a restart marker RSTn, then fresh predictions */
			j->nbits = 0;
			if (j->n - j->pos < 2 || j->s[j->pos] != 0xff || (j->s[j->pos + 1] & 0xf8) != 0xd0)
				return 1;
			j->pos += 2;
			for (ci = 0; ci < j->ncomp; ci++)
				j->c[ci].pred = 0;
			left = j->dri;
		}
		left--;
		x = m % mx;
		y = m / mx;
		if (j->ncomp == 1) {
			if (rt_jpg_block(j, 0, x, y))
				return 1;
			continue;
		}
		for (ci = 0; ci < j->ncomp; ci++)
			for (by = 0; by < j->c[ci].v; by++)
				for (bx = 0; bx < j->c[ci].h; bx++)
					if (rt_jpg_block(j, ci, x * (uint32_t)j->c[ci].h + (uint32_t)bx,
							 y * (uint32_t)j->c[ci].v + (uint32_t)by))
						return 1;
	}
	j->nbits = 0;
	return 0;
}

/* Chroma sample of plane ci for full-resolution row r, column x, upsampled like
   libjpeg-turbo's h2v1/h2v2 "fancy" upsamplers (plain replication when the plane is at
   most 2 samples wide, as there). */
RT_FN unsigned rt_jpg_chroma(const RtJpg *j, int ci, uint32_t r, uint32_t x)
{
	const uint8_t *p = j->c[ci].plane;
	size_t st = j->c[ci].stride;
	uint32_t cw = j->c[ci].w, chh = j->c[ci].hgt, c = x / (uint32_t)j->hmax, i, nb;
	int64_t cs, side;
	if (j->hmax == 1)
		return p[(size_t)r * st + x];
	if (cw <= 2)
		return p[(size_t)(r / (uint32_t)j->vmax) * st + c];
	if (j->vmax == 1) {
		const uint8_t *row = p + (size_t)r * st;
		if (x % 2 == 0)
			return c == 0 ? row[0] : (unsigned)((row[c] * 3 + row[c - 1] + 1) >> 2);
		return c == cw - 1 ? row[c] : (unsigned)((row[c] * 3 + row[c + 1] + 2) >> 2);
	}
	i = r / 2;
	nb = r % 2 == 0 ? (i == 0 ? 0 : i - 1) : (i + 1 >= chh ? i : i + 1);
	cs = 3 * p[(size_t)i * st + c] + p[(size_t)nb * st + c];
	if (x % 2 == 0) {
		if (c == 0)
			return (unsigned)((cs * 4 + 8) >> 4);
		side = 3 * p[(size_t)i * st + c - 1] + p[(size_t)nb * st + c - 1];
		return (unsigned)((cs * 3 + side + 8) >> 4);
	}
	if (c == cw - 1)
		return (unsigned)((cs * 4 + 7) >> 4);
	side = 3 * p[(size_t)i * st + c + 1] + p[(size_t)nb * st + c + 1];
	return (unsigned)((cs * 3 + side + 7) >> 4);
}

RT_FN unsigned rt_jpg_clamp(int64_t v) { return v < 0 ? 0u : v > 255 ? 255u : (unsigned)v; }

/* Reads the tables and frame header, decodes the scan, converts to RGB. */
RT_FN int rt_img_jpeg(const uint8_t *s, size_t n, const RtImgOut *o, uint8_t *work)
{
	RtJpg j;
	size_t pos = 2, used = 0;
	int frame = 0, scanned = 0, ci, k;
	uint32_t r, x;
	if (n < 4 || s[0] != 0xff || s[1] != 0xd8)
		return 1;
	memset(&j, 0, sizeof j);
	j.s = s;
	j.n = n;
	for (;;) {
		uint32_t m, len;
		const uint8_t *d;
		while (pos < n && s[pos] == 0xff && pos + 1 < n && s[pos + 1] == 0xff)
			pos++; /* fill bytes */
		if (n - pos < 2 || s[pos] != 0xff)
			return 1;
		m = s[pos + 1];
		pos += 2;
		if (m == 0xd9) /* EOI */
			break;
		if (n - pos < 2 || (len = rt_img_be16(s + pos)) < 2 || len > n - pos)
			return 1;
		d = s + pos + 2;
		len -= 2;
		pos += 2 + len;
		if (m == 0xdb) { /* DQT */
			uint32_t p = 0;
			while (p < len) {
				uint32_t pq = d[p] >> 4, tq = d[p] & 15, sz = pq ? 128 : 64;
				if (pq > 1 || tq > 3 || len - p - 1 < sz)
					return 1;
				for (k = 0; k < 64; k++)
					j.q[tq][k] = (uint16_t)(pq ? rt_img_be16(d + p + 1 + 2 * k) : d[p + 1 + k]);
				j.qok[tq] = 1;
				p += 1 + sz;
			}
		} else if (m == 0xc4) { /* DHT */
			uint32_t p = 0;
			while (p < len) {
				uint32_t tc = d[p] >> 4, th = d[p] & 15, total = 0;
				RtJpgHuff *h;
				int left = 1;
				if (tc > 1 || th > 3 || len - p < 17)
					return 1;
				h = tc ? &j.ac[th] : &j.dc[th];
				h->count[0] = 0;
				for (k = 1; k <= 16; k++) {
					h->count[k] = d[p + (uint32_t)k];
					total += h->count[k];
					left = 2 * left - h->count[k];
					if (left < 0)
						return 1;
				}
				if (total > 256 || len - p - 17 < total)
					return 1;
				memcpy(h->sym, d + p + 17, total);
				h->ok = 1;
				p += 17 + total;
			}
		} else if (m == 0xc0 || m == 0xc1) { /* SOF0/1: baseline / extended, Huffman */
			if (frame || len < 6 || d[0] != 8)
				return 1;
			frame = 1;
			j.ncomp = d[5];
			if (rt_img_be16(d + 1) != o->h || rt_img_be16(d + 3) != o->w ||
			    (j.ncomp != 1 && j.ncomp != 3) || len != 6u + 3u * (uint32_t)j.ncomp)
				return 1;
			for (ci = 0; ci < j.ncomp; ci++) {
				j.c[ci].id = d[6 + 3 * ci];
				j.c[ci].h = d[7 + 3 * ci] >> 4;
				j.c[ci].v = d[7 + 3 * ci] & 15;
				j.c[ci].tq = d[8 + 3 * ci];
				if (j.c[ci].tq > 3 || j.c[ci].h < 1 || j.c[ci].v < 1)
					return 1;
			}
			if (j.ncomp == 1) {
				j.c[0].h = j.c[0].v = 1;
			} else if (j.c[1].h != 1 || j.c[1].v != 1 || j.c[2].h != 1 || j.c[2].v != 1 ||
				   !((j.c[0].h == 1 && j.c[0].v == 1) || (j.c[0].h == 2 && j.c[0].v == 1) ||
				     (j.c[0].h == 2 && j.c[0].v == 2))) {
				return 1;
			}
			j.hmax = j.c[0].h;
			j.vmax = j.c[0].v;
			for (ci = 0; ci < j.ncomp; ci++) {
				uint32_t bw = (o->w + 8u * (uint32_t)j.hmax - 1) / (8u * (uint32_t)j.hmax);
				uint32_t bh = (o->h + 8u * (uint32_t)j.vmax - 1) / (8u * (uint32_t)j.vmax);
				j.c[ci].stride = (size_t)bw * (size_t)j.c[ci].h * 8;
				j.c[ci].rows = (size_t)bh * (size_t)j.c[ci].v * 8;
				j.c[ci].w = (o->w * (uint32_t)j.c[ci].h + (uint32_t)j.hmax - 1) / (uint32_t)j.hmax;
				j.c[ci].hgt = (o->h * (uint32_t)j.c[ci].v + (uint32_t)j.vmax - 1) / (uint32_t)j.vmax;
				j.c[ci].plane = work + used;
				used += j.c[ci].stride * j.c[ci].rows;
			}
		} else if (m == 0xdd) { /* DRI */
			if (len != 2)
				return 1;
			j.dri = rt_img_be16(d);
		} else if (m == 0xda) { /* SOS: one scan holding every component */
			if (!frame || scanned || len < 1 || d[0] != j.ncomp ||
			    len != 4u + 2u * (uint32_t)j.ncomp)
				return 1;
			for (ci = 0; ci < j.ncomp; ci++) {
				int td = d[2 + 2 * ci] >> 4, ta = d[2 + 2 * ci] & 15;
				if (d[1 + 2 * ci] != j.c[ci].id || td > 3 || ta > 3 || !j.dc[td].ok ||
				    !j.ac[ta].ok || !j.qok[j.c[ci].tq])
					return 1;
				j.c[ci].td = td;
				j.c[ci].ta = ta;
			}
			if (d[len - 3] != 0 || d[len - 2] != 63 || d[len - 1] != 0)
				return 1;
			j.pos = pos;
			if (rt_jpg_scan(&j))
				return 1;
			pos = j.pos;
			scanned = 1;
		} else if (m >= 0xc0 && m <= 0xcf) {
			return 1; /* progressive, lossless, arithmetic, ... */
		} else if (!((m >= 0xe0 && m <= 0xef) || m == 0xfe)) {
			return 1; /* only APPn and COM are skipped */
		}
	}
	if (!scanned)
		return 1;
	for (r = 0; r < o->h; r++)
		for (x = 0; x < o->w; x++) {
			int64_t y = j.c[0].plane[(size_t)r * j.c[0].stride + x], cb, cr;
			if (j.ncomp == 1) {
				rt_img_put(o, r, x, (unsigned)y, (unsigned)y, (unsigned)y);
				continue;
			}
			cb = (int64_t)rt_jpg_chroma(&j, 1, r, x) - 128;
			cr = (int64_t)rt_jpg_chroma(&j, 2, r, x) - 128;
			rt_img_put(o, r, x, rt_jpg_clamp(y + rt_jpg_sra(91881 * cr + 32768, 16)),
				   rt_jpg_clamp(y + rt_jpg_sra(-22554 * cb + 32768 - 46802 * cr, 16)),
				   rt_jpg_clamp(y + rt_jpg_sra(116130 * cb + 32768, 16)));
		}
	return 0;
}

/* ------------------------------------------------------------------ dispatch */
/* Decodes the n-byte stream s into y (h x w x 3 for RGB/BGR, h x w x 1 for Grayscale)
   by its signature, using work (RT_IMG_WORK_BYTES(n, h, w) bytes). 0 on success; on
   any failure non-zero, with y zeroed. */
RT_FN int rt_img_decode(const uint8_t *s, size_t n, uint8_t *y, uint32_t h, uint32_t w, int fmt,
			uint8_t *work)
{
	RtImgOut o;
	int rc = 1;
	o.y = y;
	o.h = h;
	o.w = w;
	o.fmt = fmt;
	if (n >= 2 && s[0] == 'B' && s[1] == 'M')
		rc = rt_img_bmp(s, n, &o);
	else if (n >= 2 && s[0] == 'P' && (s[1] == '5' || s[1] == '6'))
		rc = rt_img_pnm(s, n, &o);
	else if (n >= 8 && s[0] == 137 && s[1] == 'P')
		rc = rt_img_png(s, n, &o, work);
	else if (n >= 4 && ((s[0] == 'I' && s[1] == 'I') || (s[0] == 'M' && s[1] == 'M')))
		rc = rt_img_tiff(s, n, &o, work);
	else if (n >= 2 && s[0] == 0xff && s[1] == 0xd8)
		rc = rt_img_jpeg(s, n, &o, work);
	if (rc)
		memset(y, 0, (size_t)h * w * (fmt == RT_IMG_GRAY ? 1 : 3));
	return rc;
}

#endif
