/* conv_winograd.h - Winograd F(m x m, 3x3) for 3x3 stride-1 FusedConv nodes.
 *
 * passes/fuse_conv.c asks cw_choose() whether a blocked convolution should run
 * this way and stores the answer in BlockedConv.winograd (the output tile size m,
 * 0 for the direct kernel); conv_blocked.c then hands the weight packing, the
 * scratch size and the emission of such nodes to the functions below.
 */
#ifndef CNNC_OPS_CONV_WINOGRAD_H
#define CNNC_OPS_CONV_WINOGRAD_H

#include "conv_blocked.h"

/* Values of Options.winograd (--winograd=MODE). */
enum { CW_AUTO = 0, CW_OFF = 1, CW_FORCE = 2 };

/* The output tile size m for p (4: F(4x4,3x3)), or 0 when p runs the direct kernel:
   not 3x3 / stride 1 / dilation 1 / group 1, a scalar target, plain input, or (in
   CW_AUTO) too few channels or pixels for the transforms to pay. */
int cw_choose(const BlockedConv *p, int mode);
/* U = G g G^T for every (ic, oc), packed [xi][oc tile][ic][tile width]; count in
   floats; allocated in a. */
float *cw_pack_weights(Arena *a, const BlockedConv *p, const float *w, int64_t *count);
/* Bytes of scratch: the zero-haloed input plus the transformed band of tiles before
   and after the channel GEMMs. */
int64_t cw_scratch(const BlockedConv *p);
void cw_emit(Emit *e, const BlockedConv *p);

#endif
