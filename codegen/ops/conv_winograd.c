/* conv_winograd.c - 3x3 stride-1 convolutions by Winograd's minimal filtering,
 * F(m x m, 3x3), on channel-blocked tensors.
 *
 * Each m x m output tile comes from an (m+2) x (m+2) input tile d: V = B^T d B
 * (per input channel), M[xi] = sum over input channels of V[xi] * U[xi] for each
 * of the (m+2)^2 positions xi, with U = G g G^T computed at compile time, then
 * Y = A^T M A. For m = 4 that is 36 multiplications per tile and channel pair
 * instead of 144. The lanes of a vector are channels, as in conv_blocked.c, so
 * every transform is whole-vector arithmetic with constant coefficients.
 *
 * The image is processed in bands of T tiles (raster order) so the transformed
 * tiles stay in the L2 cache: the input transform writes V[xi][ic block][t][lane],
 * 36 GEMMs (T tiles x C_in) * (C_in x C_out) write M[xi][oc block][t][lane] with the
 * register-blocked micro-kernel of the direct convolution (broadcast one value of
 * V, multiply by V_VECS weight vectors of U[xi][ic][oc tile]), and the output
 * transform adds the bias and the residual and applies the activation before it
 * stores the (possibly clipped) tile. Padding uses the direct kernel's approach: a
 * copy of the input with a zero halo in scratch, large enough for whole tiles, so
 * the input transform has no bounds tests. A band's last tiles may lie past the
 * image (T need not divide the tile count): their V is zeroed and their output
 * dropped.
 */
#include <stdio.h>
#include <string.h>

#include "conv_winograd.h"

/* F(4x4, 3x3) with the points 0, 1, -1, 2, -2 and infinity (Lavin and Gray). */
static const double BT4[6][6] = {
	{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
	{0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const double G4[6][3] = {
	{1.0 / 4, 0, 0},
	{-1.0 / 6, -1.0 / 6, -1.0 / 6},
	{-1.0 / 6, 1.0 / 6, -1.0 / 6},
	{1.0 / 24, 1.0 / 12, 1.0 / 6},
	{1.0 / 24, -1.0 / 12, 1.0 / 6},
	{0, 0, 1},
};
static const double AT4[4][6] = {
	{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};
/* Bytes of transformed tiles (V and M) a band may use: most of a 1 MiB L2 (Zen 4/5),
   or as many as the transformed weights U up to CW_BAND_MAX, because every band
   streams all of U again (512 -> 512 channels at 14x14: 4 bands 4.5 ms, 1 band
   2.0 ms; the GEMMs only need one position's slices of V and U in L2 at a time). */
#define CW_BAND_BYTES (768 * 1024)
#define CW_BAND_MAX (4 * 1024 * 1024)

typedef struct Wino {
	int m, a;              /* output tile, input tile (m + 2) */
	const double *bt, *g, *at; /* a x a, a x 3, m x a, row-major */
	int64_t b;             /* lanes */
	int64_t icb, ocb;      /* channel blocks */
	int64_t th, tw, nt;    /* tiles down, across, in all */
	int64_t xh, xw;        /* the padded input copy */
	int64_t t, nb;         /* tiles per band, bands */
	int v, r;              /* GEMM register tile: weight vectors x tiles */
} Wino;

static int64_t rup(int64_t x, int64_t m)
{
	return (x + m - 1) / m * m;
}

static void setup(const BlockedConv *p, Wino *w)
{
	memset(w, 0, sizeof *w);
	w->m = 4;
	w->a = 6;
	/* the emitters take any m with its matrices; F(4x4) stays within tolerance
	   (ResNet-50 logits within 1.4e-5 of the direct kernel's), so it is the only one */
	w->bt = &BT4[0][0];
	w->g = &G4[0][0];
	w->at = &AT4[0][0];
	w->b = p->b;
	w->icb = rup(p->ic, p->b) / p->b;
	w->ocb = rup(p->oc, p->b) / p->b;
	w->th = (p->oh + w->m - 1) / w->m;
	w->tw = (p->ow + w->m - 1) / w->m;
	w->nt = w->th * w->tw;
	w->xh = w->th * w->m + 2;
	w->xw = w->tw * w->m + 2;
	switch (p->vl) {
	case 16: w->v = 2, w->r = 14; break; /* 28 of 32 registers, as the direct kernel */
	case 8: w->v = 2, w->r = 6; break;
	default: w->v = 2, w->r = 12; break;
	}
	int64_t per_tile = (int64_t)w->a * w->a * (w->icb + w->ocb) * w->b * 4;
	int64_t ubytes = (int64_t)w->a * w->a * w->icb * w->ocb * w->b * w->b * 4;
	int64_t budget = ubytes < CW_BAND_BYTES ? CW_BAND_BYTES : ubytes > CW_BAND_MAX ? CW_BAND_MAX : ubytes;
	int64_t tmax = budget / per_tile;
	if (tmax < 1)
		tmax = 1;
	w->nb = (w->nt + tmax - 1) / tmax;
	w->t = (w->nt + w->nb - 1) / w->nb;
	/* as many register tiles as r allows, evened out (16 tiles: 2 x 8, not 14 + 2) */
	int64_t groups = (w->t + w->r - 1) / w->r;
	w->r = (int)((w->t + groups - 1) / groups);
}

int cw_choose(const BlockedConv *p, int mode)
{
	if (mode == CW_OFF || p->vl == 0 || p->vl != p->b || p->group != 1 || p->plain_input ||
	    p->kh != 3 || p->kw != 3 || p->sh != 1 || p->sw != 1 || p->dh != 1 || p->dw != 1)
		return 0;
	if (mode == CW_FORCE)
		return 4;
	/* Measured per layer on a Zen 5 core against the direct kernel: F(4x4) wins from
	   16 channels up (16 -> 16 at 28x28: 0.60x the time, 64 -> 64 at 56x56: 0.42x,
	   256 -> 256 at 14x14: 0.40x with the weights in cache), but U is 4x the direct
	   weights, and in a big model they come from DRAM on every run: 512 -> 512 at 7x7
	   (4 tiles) ran 1.12x even with them in cache. So when U does not fit the L2-L3
	   budget, ask for at least 28x28 outputs to spread its reading over (and to earn
	   its size: ResNet-50's six 256 -> 256 convs at 14x14 would gain 0.5 ms each,
	   about 7% of the model, for 42 MB more weights, 150 MB more C text and a second
	   more of cnnc; --winograd=force takes them). */
	int64_t icp = (p->ic + p->b - 1) / p->b * p->b, ocp = (p->oc + p->b - 1) / p->b * p->b;
	if (p->ic < 16 || p->oc < 16)
		return 0;
	if (36 * icp * ocp * 4 > CW_BAND_MAX && p->oh * p->ow < 28 * 28)
		return 0;
	return 4;
}

float *cw_pack_weights(Arena *ar, const BlockedConv *p, const float *wt, int64_t *count)
{
	Wino w;
	setup(p, &w);
	int a = w.a;
	int64_t icp = w.icb * w.b, ocp = w.ocb * w.b;
	*count = (int64_t)a * a * icp * ocp;
	float *out = arena_alloc(ar, (size_t)*count * sizeof(float));
	if (!out)
		return NULL;
	memset(out, 0, (size_t)*count * sizeof(float));
	for (int64_t oc = 0; oc < p->oc; oc++) {
		/* the tile of oc: full tiles of w.v blocks, then one of the rest */
		int64_t ob = oc / w.b, full = w.ocb / w.v * w.v;
		int64_t oc0 = ob < full ? ob / w.v * w.v * w.b : full * w.b;
		int64_t width = (ob < full ? w.v : w.ocb - full) * w.b;
		for (int64_t ic = 0; ic < p->ic; ic++) {
			const float *g = wt + (oc * p->ic + ic) * 9;
			double gg[8][3]; /* G g */
			for (int i = 0; i < a; i++)
				for (int l = 0; l < 3; l++) {
					double s = 0;
					for (int k = 0; k < 3; k++)
						s += w.g[i * 3 + k] * g[k * 3 + l];
					gg[i][l] = s;
				}
			for (int i = 0; i < a; i++)
				for (int j = 0; j < a; j++) {
					double s = 0;
					for (int l = 0; l < 3; l++)
						s += gg[i][l] * w.g[j * 3 + l];
					int64_t at = (int64_t)(i * a + j) * icp * ocp + oc0 * icp + ic * width +
						     (oc - oc0);
					out[at] = (float)s;
				}
		}
	}
	return out;
}

/* Floats of each part of scratch: padded input, V, M. */
static void parts(const Wino *w, int64_t *xpad, int64_t *v, int64_t *m)
{
	*xpad = w->icb * w->xh * w->xw * w->b;
	*v = (int64_t)w->a * w->a * w->icb * w->t * w->b;
	*m = (int64_t)w->a * w->a * w->ocb * w->t * w->b;
}

int64_t cw_scratch(const BlockedConv *p)
{
	Wino w;
	setup(p, &w);
	int64_t x, v, m;
	parts(&w, &x, &v, &m);
	return (x + v + m) * 4;
}

/* ------------------------------------------------------------ emission */

/* Writes "<decl> = sum_k c[k * stride] * names[k]" with the nonzero coefficients. */
static void lincomb(Out *o, const char *decl, const double *c, int stride, int n, char names[][32])
{
	char buf[1024];
	int len = snprintf(buf, sizeof buf, "%s = ", decl);
	bool first = true;
	for (int k = 0; k < n; k++) {
		double x = c[k * stride];
		if (x == 0)
			continue;
		char lit[64];
		const char *sign = x < 0 ? (first ? "-" : " - ") : (first ? "" : " + ");
		double ax = x < 0 ? -x : x;
		if (ax == 1)
			len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s", sign, names[k]);
		else
			len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s * %s", sign,
					cg_lit(DT_FLOAT, ax, lit, sizeof lit), names[k]);
		first = false;
	}
	out_line(o, "%s;", buf);
}

static const char *vec_type(int64_t vl)
{
	return vl == 16 ? "rt_v16" : vl == 8 ? "rt_v8" : "rt_v4";
}

/* V = B^T d B for every tile of the band and input channel block. */
static void emit_input_transform(Out *o, const Wino *w, const char *vt)
{
	int a = w->a;
	int64_t b = w->b, xistride = w->icb * w->t * b;
	char names[8][32];
	out_line(o, "for (int cb = 0; cb < %lld; cb++)", (long long)w->icb);
	out_line(o, "for (int t = 0; t < %lld; t++) {", (long long)w->t);
	out_line(o, "float *vp = vs + ((int64_t)cb * %lld + t) * %lld;", (long long)w->t, (long long)b);
	out_line(o, "const int ti = band * %lld + t;", (long long)w->t);
	if (w->t * w->nb > w->nt) {
		out_line(o, "if (ti >= %lld) {", (long long)w->nt);
		out_line(o, "for (int xi = 0; xi < %d; xi++) *(%su *)(vp + (int64_t)xi * %lld) = (%s){0};",
			 a * a, vt, (long long)xistride, vt);
		out_line(o, "continue;");
		out_line(o, "}");
	}
	out_line(o, "const float *xp = xpad + (((int64_t)cb * %lld + ti / %lld * %d) * %lld + ti %% %lld * %d) * %lld;",
		 (long long)w->xh, (long long)w->tw, w->m, (long long)w->xw, (long long)w->tw, w->m,
		 (long long)b);
	/* rows: r_i_j = sum_k BT[j][k] d_i_k (d B), then columns: V_i_j = sum_k BT[i][k] r_k_j */
	for (int i = 0; i < a; i++) {
		for (int k = 0; k < a; k++) {
			out_line(o, "const %s d%d_%d = *(const %su *)(xp + %lld);", vt, i, k, vt,
				 (long long)((i * w->xw + k) * b));
			snprintf(names[k], sizeof names[k], "d%d_%d", i, k);
		}
		for (int j = 0; j < a; j++) {
			char decl[64];
			snprintf(decl, sizeof decl, "const %s r%d_%d", vt, i, j);
			lincomb(o, decl, w->bt + j * a, 1, a, names);
		}
	}
	for (int i = 0; i < a; i++)
		for (int j = 0; j < a; j++) {
			char decl[64];
			for (int k = 0; k < a; k++)
				snprintf(names[k], sizeof names[k], "r%d_%d", k, j);
			snprintf(decl, sizeof decl, "*(%su *)(vp + %lld)", vt, (long long)((i * a + j) * xistride));
			lincomb(o, decl, w->bt + i * a, 1, a, names);
		}
	out_line(o, "}");
}

/* One register tile of a GEMM: r tiles (from t0) x v weight vectors. */
static void micro(Out *o, const Wino *w, const char *vt, int v, int r)
{
	int64_t b = w->b, width = v * b;
	out_line(o, "{");
	for (int j = 0; j < r; j++) {
		out_printf(o, "%*s%s", o->indent * 8, "", vt);
		for (int k = 0; k < v; k++)
			out_printf(o, "%s a%d_%d = (%s){0}", k ? "," : "", j, k, vt);
		out_printf(o, ";\n");
	}
	out_line(o, "for (int cb = 0; cb < %lld; cb++) {", (long long)w->icb);
	out_line(o, "const float *vp = vx + ((int64_t)cb * %lld + t0) * %lld;", (long long)w->t, (long long)b);
	out_line(o, "const float *wp = wt + (int64_t)cb * %lld;", (long long)(b * width));
	out_line(o, "for (int l = 0; l < %lld; l++) {", (long long)b);
	for (int k = 0; k < v; k++)
		out_line(o, "const %s w%d = *(const %su *)(wp + l * %lld + %lld);", vt, k, vt, (long long)width,
			 (long long)(k * b));
	for (int j = 0; j < r; j++) {
		out_printf(o, "%*s{ const float s = vp[l + %lld];", o->indent * 8, "", (long long)(j * b));
		for (int k = 0; k < v; k++)
			out_printf(o, " a%d_%d += s * w%d;", j, k, k);
		out_printf(o, " }\n");
	}
	out_line(o, "}");
	out_line(o, "}");
	for (int k = 0; k < v; k++)
		for (int j = 0; j < r; j++)
			out_line(o, "*(%su *)(mt + (int64_t)t0 * %lld + %lld) = a%d_%d;", vt, (long long)b,
				 (long long)((k * w->t + j) * b), j, k);
	out_line(o, "}");
}

/* All tiles of the band against one oc tile of v vectors. */
static void tile_sweep(Out *o, const Wino *w, const char *vt, int v)
{
	int64_t full = w->t / w->r * w->r, tail = w->t - full;
	if (full) {
		out_line(o, "for (int t0 = 0; t0 < %lld; t0 += %d)", (long long)full, w->r);
		micro(o, w, vt, v, w->r);
	}
	if (tail) {
		out_line(o, "{ const int t0 = %lld;", (long long)full);
		micro(o, w, vt, v, (int)tail);
		out_line(o, "}");
	}
}

/* M[xi] = V[xi] U[xi] for the (m+2)^2 positions xi. */
static void emit_gemms(Out *o, const Wino *w, const char *vt)
{
	int64_t b = w->b, icp = w->icb * b, ocp = w->ocb * b;
	int64_t ntiles = w->ocb / w->v, last = w->ocb - ntiles * w->v;
	out_line(o, "for (int xi = 0; xi < %d; xi++) {", w->a * w->a);
	out_line(o, "const float *ux = x1 + (int64_t)xi * %lld;", (long long)(icp * ocp));
	out_line(o, "const float *vx = vs + (int64_t)xi * %lld;", (long long)(w->icb * w->t * b));
	out_line(o, "float *mx = ms + (int64_t)xi * %lld;", (long long)(w->ocb * w->t * b));
	if (ntiles) {
		out_line(o, "for (int ot = 0; ot < %lld; ot++) {", (long long)ntiles);
		out_line(o, "const float *wt = ux + (int64_t)ot * %lld;", (long long)(icp * w->v * b));
		out_line(o, "float *mt = mx + (int64_t)ot * %lld;", (long long)(w->v * w->t * b));
		tile_sweep(o, w, vt, w->v);
		out_line(o, "}");
	}
	if (last) {
		out_line(o, "{");
		out_line(o, "const float *wt = ux + %lld;", (long long)(icp * ntiles * w->v * b));
		out_line(o, "float *mt = mx + %lld;", (long long)(ntiles * w->v * w->t * b));
		tile_sweep(o, w, vt, (int)last);
		out_line(o, "}");
	}
	out_line(o, "}");
}

/* Y = A^T M A + bias (+ residual), activation, stored where the tile is inside. */
static void emit_output_transform(Out *o, const BlockedConv *p, const Wino *w, const char *vt)
{
	int a = w->a, m = w->m;
	int64_t b = w->b, xistride = w->ocb * w->t * b;
	char names[8][32];
	out_line(o, "for (int ob = 0; ob < %lld; ob++)", (long long)w->ocb);
	out_line(o, "for (int t = 0; t < %lld; t++) {", (long long)w->t);
	out_line(o, "const int ti = band * %lld + t;", (long long)w->t);
	if (w->t * w->nb > w->nt)
		out_line(o, "if (ti >= %lld) break;", (long long)w->nt);
	out_line(o, "const int ty = ti / %lld * %d, tx = ti %% %lld * %d;", (long long)w->tw, m,
		 (long long)w->tw, m);
	out_line(o, "const float *mp = ms + ((int64_t)ob * %lld + t) * %lld;", (long long)w->t, (long long)b);
	out_line(o, "const %s bias = *(const %su *)(x2 + (int64_t)ob * %lld);", vt, vt, (long long)b);
	out_line(o, "float *yp = y0 + ((((int64_t)n * %lld + ob) * %lld + ty) * %lld + tx) * %lld;",
		 (long long)w->ocb, (long long)p->oh, (long long)p->ow, (long long)b);
	if (p->residual)
		out_line(o, "const float *rp = x3 + (yp - y0);");
	/* rows: s_i_c = sum_j AT[c][j] M_i_j */
	for (int i = 0; i < a; i++) {
		for (int j = 0; j < a; j++) {
			out_line(o, "const %s m%d_%d = *(const %su *)(mp + %lld);", vt, i, j, vt,
				 (long long)((i * a + j) * xistride));
			snprintf(names[j], sizeof names[j], "m%d_%d", i, j);
		}
		for (int c = 0; c < m; c++) {
			char decl[64];
			snprintf(decl, sizeof decl, "const %s s%d_%d", vt, i, c);
			lincomb(o, decl, w->at + c * a, 1, a, names);
		}
	}
	bool hclip = p->oh % m != 0, wclip = p->ow % m != 0;
	if (hclip)
		out_line(o, "const int hr = %lld - ty;", (long long)p->oh);
	if (wclip)
		out_line(o, "const int wc = %lld - tx;", (long long)p->ow);
	for (int r = 0; r < m; r++) {
		if (hclip && r)
			out_line(o, "if (%d < hr) {", r);
		for (int c = 0; c < m; c++) {
			if (wclip && c)
				out_line(o, "if (%d < wc) {", c);
			for (int i = 0; i < a; i++)
				snprintf(names[i], sizeof names[i], "s%d_%d", i, c);
			char decl[64];
			snprintf(decl, sizeof decl, "%s y", vt);
			out_line(o, "{");
			lincomb(o, decl, w->at + r * a, 1, a, names);
			out_line(o, "y += bias;");
			int64_t off = ((int64_t)r * p->ow + c) * b;
			if (p->residual)
				out_line(o, "y += *(const %su *)(rp + %lld);", vt, (long long)off);
			cb_emit_vact(o, p->act, p->alpha, p->beta, vt, "y");
			out_line(o, "*(%su *)(yp + %lld) = y;", vt, (long long)off);
			out_line(o, "}");
			if (wclip && c)
				out_line(o, "}");
		}
		if (hclip && r)
			out_line(o, "}");
	}
	out_line(o, "}");
}

void cw_emit(Emit *e, const BlockedConv *p)
{
	Out *o = e->o;
	Wino w;
	setup(p, &w);
	const char *vt = vec_type(p->vl);
	int64_t nx, nv, nm;
	parts(&w, &nx, &nv, &nm);
	out_comment(o, "Winograd F(%dx%d, 3x3): %lldx%lld tiles in %lld band(s) of %lld", w.m, w.m,
		    (long long)w.th, (long long)w.tw, (long long)w.nb, (long long)w.t);
	out_line(o, "float *xpad = (float *)scratch, *vs = xpad + %lld, *ms = vs + %lld;", (long long)nx,
		 (long long)nv);
	out_line(o, "for (int n = 0; n < %lld; n++) {", (long long)p->n);
	cb_emit_halo_copy(o, p, w.b, w.icb, w.xh, w.xw);
	out_line(o, "for (int band = 0; band < %lld; band++) {", (long long)w.nb);
	emit_input_transform(o, &w, vt);
	emit_gemms(o, &w, vt);
	emit_output_transform(o, p, &w, vt);
	out_line(o, "}");
	out_line(o, "}");
}
