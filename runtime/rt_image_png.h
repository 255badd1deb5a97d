/* rt_image_png.h - ImageDecoder, part 2 (after rt_image.h): zlib inflate, which TIFF's
 * Deflate strips use too, and PNG. See rt_image.h.
 */
#ifndef CNNC_RT_IMAGE_PNG_H
#define CNNC_RT_IMAGE_PNG_H

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

#endif
