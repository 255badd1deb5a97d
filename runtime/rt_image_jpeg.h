/* rt_image_jpeg.h - ImageDecoder, part 3 (after rt_image.h): baseline JPEG. See
 * rt_image.h.
 */
#ifndef CNNC_RT_IMAGE_JPEG_H
#define CNNC_RT_IMAGE_JPEG_H

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

#endif
