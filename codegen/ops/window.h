/* window.h - sliding-window geometry shared by the convolution and pooling ops.
 *
 * A Window describes, per spatial axis, how output positions map onto input
 * positions: input = out * s + tap * d - pb. It is filled from the usual ONNX
 * attributes (kernel_shape, strides, dilations, pads, auto_pad) and gives the
 * output size by the convolution rule or the pooling rule (ceil_mode). The emit
 * helpers turn it into compile-time tables of valid output ranges per kernel
 * tap, so generated loops never test bounds per element.
 */
#ifndef CNNC_OPS_WINDOW_H
#define CNNC_OPS_WINDOW_H

#include "ops.h"

typedef struct Window {
	int nd;                      /* number of spatial axes */
	int64_t in[CNNC_MAX_RANK];   /* input extent */
	int64_t k[CNNC_MAX_RANK];    /* kernel taps */
	int64_t s[CNNC_MAX_RANK];    /* stride */
	int64_t d[CNNC_MAX_RANK];    /* dilation */
	int64_t pb[CNNC_MAX_RANK];   /* padding before (may be negative for ConvTranspose) */
	int64_t pe[CNNC_MAX_RANK];   /* padding after */
	int64_t out[CNNC_MAX_RANK];  /* output extent */
} Window;

/* Reads kernel_shape (or kdef[] when the attribute is absent; an error when both
   are missing), strides, dilations and explicit pads of n for spatial extents
   in[0..nd). auto_pad is left to win_forward/the caller. -1 with a diagnostic. */
int win_read(const Graph *g, const Node *n, int nd, const int64_t *in, const int64_t *kdef,
	     Window *w, Diag *d);
/* Output extents of a forward window (Conv, pooling), resolving auto_pad into pads.
   ceil_mode: pooling's rounding up, where a window starting in the end padding is
   dropped. -1 with a diagnostic when an extent would be below 1. */
int win_forward(const Graph *g, const Node *n, Window *w, bool ceil_mode, Diag *d);

/* floor and ceiling of a / b for b > 0 and any sign of a. */
int64_t win_fdiv(int64_t a, int64_t b);
int64_t win_cdiv(int64_t a, int64_t b);
/* Output positions o in [*lo, *hi) of axis i whose input o*s + tap*d - pb lies in
   [0, in); *hi == *lo when there are none. */
void win_range(const Window *w, int i, int64_t tap, int64_t *lo, int64_t *hi);
/* Emits `static const int <fn>_<name>[n] = {...};` into e->decls. */
void win_table(Emit *e, const char *name, const int64_t *v, int64_t n);

#endif
