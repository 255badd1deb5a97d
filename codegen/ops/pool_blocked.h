/* pool_blocked.h - pooling and per-channel broadcasting on channel-blocked tensors
 * (the ops select_layout rewrites ONNX nodes into). */
#ifndef CNNC_OPS_POOL_BLOCKED_H
#define CNNC_OPS_POOL_BLOCKED_H

#include "ops.h"
#include "window.h"

/* PoolBlocked attribute "kind". */
enum { PB_MAX = 0, PB_AVG, PB_GLOBAL_MAX, PB_GLOBAL_AVG };

/* PoolBlocked's kind for ONNX pool node n when it can run blocked (float, 2D,
   MaxPool without Indices), or -1. */
int pb_kind(const Graph *g, const Node *n);

/* For a pool fused into a convolution (conv_blocked.c), w being the pool's window
   over the conv output (dilation 1): pb_emit_divisors writes AveragePool's divisor
   tables (<fn>_ch, <fn>_cw; -1 when out of memory), pb_emit_ring_row the C that
   pools output row `ph` of image `n` into y0 (b-blocked, cb channel blocks) from
   conv rows [r0, r1) held in `ring`, [cb][rows][w->in[1]][b] with conv row r at
   ring row r % rows. Same taps, order and arithmetic as PoolBlocked, so a fused
   pool gives the same bits. */
int pb_emit_divisors(Emit *e, const Window *w, bool include_pad);
void pb_emit_ring_row(Emit *e, const Window *w, bool max, int64_t b, int64_t cb, int64_t rows,
		      const char *ring);

/* ChannelBinary attribute "op": y = x <op> s with s per (batch,) channel. */
enum { CB_ADD = 0, CB_SUB, CB_MUL, CB_DIV };

#endif
