/* qgemm.h - the integer Conv/MatMul kernel (QConvGemm, domain cnnc) that fold_qdq
 * builds from QDQ patterns and QLinearConv/QLinearMatMul nodes.
 *
 * Node: QConvGemm(x, wpack, c0, mult [, wz]) -> y, with x uint8 or int8 (int8 is
 * flipped to uint8 by xor 0x80 on load, its zero point moved by 128), y int8 or uint8.
 * Attributes: conv (1: 2-D NCHW convolution, 0: matrix product over x's last axis),
 * group, kernel[2], strides[2], dilations[2], pads[4] (conv only), n (output channels),
 * k (reduction length per group), kp (k rounded up to 4), xz, flip, yz, lo, hi (output
 * clamp, activation included) and ytype.
 */
#ifndef CNNC_OPS_QGEMM_H
#define CNNC_OPS_QGEMM_H

#include "ops.h"

typedef struct QGemmSpec {
	bool conv;
	int64_t group, kernel[2], strides[2], dilations[2], pads[4];
	int64_t n, k;          /* output channels (all groups), reduction length per group */
	DType xtype, wtype, ytype;
	const void *w;         /* weights as [n][k] (conv: [n][c/g][kh][kw]), wtype */
	const int64_t *wz;     /* per output channel, in wtype's range */
	const float *ws;       /* per output channel */
	const int32_t *bias;   /* per output channel, or NULL */
	float xs, ys;
	int32_t xz, yz, lo, hi; /* lo/hi: output clamp in y's integers */
} QGemmSpec;

/* Turns node id (whose input 0 is x and output 0 is y, both typed) into a QConvGemm
   computing spec: adds the packed constants, rewrites inputs and attributes. -1 with a
   diagnostic when out of memory. */
int qg_make_node(Graph *g, uint32_t id, uint32_t x, uint32_t y, const QGemmSpec *s, Diag *d);

#endif
