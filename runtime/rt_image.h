/* rt_image.h - ImageDecoder: BMP, PNM, PNG, TIFF and baseline JPEG into an H x W x C
 * uint8 image. Part 1 of 3: shared helpers, BMP, PNM, TIFF and rt_img_decode();
 * rt_image_png.h (inflate, PNG) and rt_image_jpeg.h follow it.
 *
 * Written into a model.c only when it has an ImageDecoder node (Emit.runtime), after
 * cnnc_rt.h. The output shape is fixed at compile time, so rt_img_decode() is told the
 * H and W to expect and fails on an image of any other size. Every read is bounds
 * checked: a truncated or corrupt stream, or a variant these decoders do not handle
 * (LZW or JPEG-compressed TIFF, RLE BMP, ASCII PNM, progressive JPEG, WebP, JPEG 2000,
 * ...), makes it return non-zero. No allocation: PNG, TIFF and JPEG decode into the
 * caller's `work` buffer of RT_IMG_WORK_BYTES (PNG's compressed bytes and raw rows,
 * TIFF's strips, JPEG's component planes), and the Huffman and quantization tables and
 * the PNG palette live on the stack (under 4 KB).
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

/* Defined in rt_image_png.h and rt_image_jpeg.h, which follow this file in model.c. */
RT_FN int rt_inflate(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);
RT_FN int rt_img_png(const uint8_t *s, size_t n, const RtImgOut *o, uint8_t *work);
RT_FN int rt_img_jpeg(const uint8_t *s, size_t n, const RtImgOut *o, uint8_t *work);

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
