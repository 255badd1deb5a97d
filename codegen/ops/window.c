/* window.c - sliding-window attributes and output sizes (see window.h). */
#include <stdio.h>
#include <string.h>

#include "window.h"

/* Reads an ints attribute of exactly want values into v, or fills dflt. */
static int read_ints(const Graph *g, const Node *n, const char *name, int want, int64_t dflt,
		     int64_t min, int64_t *v, Diag *d)
{
	const int64_t *a;
	size_t cnt = ir_attr_ints(n, name, &a);
	if (!ir_attr(n, name)) {
		for (int i = 0; i < want; i++)
			v[i] = dflt;
		return 0;
	}
	if (!a && cnt == 0 && ir_attr(n, name)->type != AT_INTS)
		return ir_node_error(d, g, n, "attribute '%s' is not a list of ints", name);
	if (cnt != (size_t)want)
		return ir_node_error(d, g, n, "attribute '%s' has %zu values, expected %d", name, cnt,
				     want);
	for (int i = 0; i < want; i++) {
		if (a[i] < min || a[i] > ((int64_t)1 << 32))
			return ir_node_error(d, g, n, "attribute '%s' has value %lld, expected %lld "
					     "to 2^32", name, (long long)a[i], (long long)min);
		v[i] = a[i];
	}
	return 0;
}

int win_read(const Graph *g, const Node *n, int nd, const int64_t *in, const int64_t *kdef,
	     Window *w, Diag *d)
{
	memset(w, 0, sizeof *w);
	w->nd = nd;
	if (nd < 1 || nd > CNNC_MAX_RANK - 2)
		return ir_node_error(d, g, n, "input has %d spatial axes, expected 1 to %d", nd,
				     CNNC_MAX_RANK - 2);
	for (int i = 0; i < nd; i++)
		w->in[i] = in[i];
	if (ir_attr(n, "kernel_shape")) {
		if (read_ints(g, n, "kernel_shape", nd, 1, 1, w->k, d) < 0)
			return -1;
	} else if (kdef) {
		for (int i = 0; i < nd; i++)
			w->k[i] = kdef[i];
	} else {
		return ir_node_error(d, g, n, "attribute 'kernel_shape' is missing");
	}
	int64_t pads[2 * CNNC_MAX_RANK];
	if (read_ints(g, n, "strides", nd, 1, 1, w->s, d) < 0 ||
	    read_ints(g, n, "dilations", nd, 1, 1, w->d, d) < 0 ||
	    read_ints(g, n, "pads", 2 * nd, 0, 0, pads, d) < 0)
		return -1;
	for (int i = 0; i < nd; i++) {
		w->pb[i] = pads[i];
		w->pe[i] = pads[nd + i];
	}
	return 0;
}

int64_t win_fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t win_cdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a > 0) ? q + 1 : q;
}

int win_forward(const Graph *g, const Node *n, Window *w, bool ceil_mode, Diag *d)
{
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	bool same = strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0;
	if (!same && strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0 && ap[0])
		return ir_node_error(d, g, n, "auto_pad is '%s', expected NOTSET, SAME_UPPER, "
				     "SAME_LOWER or VALID", ap);
	for (int i = 0; i < w->nd; i++) {
		int64_t ek = (w->k[i] - 1) * w->d[i] + 1;
		if (same) {
			w->out[i] = win_cdiv(w->in[i], w->s[i]);
			int64_t total = (w->out[i] - 1) * w->s[i] + ek - w->in[i];
			if (total < 0)
				total = 0;
			bool upper = strcmp(ap, "SAME_UPPER") == 0;
			w->pb[i] = upper ? total / 2 : total - total / 2;
			w->pe[i] = total - w->pb[i];
			continue;
		}
		if (strcmp(ap, "VALID") == 0)
			w->pb[i] = w->pe[i] = 0;
		int64_t span = w->in[i] + w->pb[i] + w->pe[i] - ek;
		if (span < 0)
			return ir_node_error(d, g, n, "kernel extent %lld is larger than the padded "
					     "input extent %lld on spatial axis %d", (long long)ek,
					     (long long)(w->in[i] + w->pb[i] + w->pe[i]), i);
		if (ceil_mode && strcmp(ap, "VALID") != 0) {
			w->out[i] = win_cdiv(span, w->s[i]) + 1;
			/* a last window starting in the end padding is dropped */
			if ((w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i])
				w->out[i]--;
		} else {
			w->out[i] = span / w->s[i] + 1;
		}
	}
	return 0;
}

void win_range(const Window *w, int i, int64_t tap, int64_t *lo, int64_t *hi)
{
	int64_t off = tap * w->d[i] - w->pb[i];
	int64_t a = win_cdiv(-off, w->s[i]);
	int64_t b = win_fdiv(w->in[i] - 1 - off, w->s[i]) + 1;
	if (a < 0)
		a = 0;
	if (b > w->out[i])
		b = w->out[i];
	*lo = a;
	*hi = b < a ? a : b;
}

void win_table(Emit *e, const char *name, const int64_t *v, int64_t n)
{
	out_printf(e->decls, "static const int %s_%s[%lld] = {", e->fn, name,
		   (long long)(n > 0 ? n : 1));
	for (int64_t i = 0; i < n; i++)
		out_printf(e->decls, "%s%s%lld", i ? "," : "", i % 16 == 15 ? "\n\t" : "",
			   (long long)v[i]);
	out_printf(e->decls, "%s};\n", n > 0 ? "" : "0");
}
