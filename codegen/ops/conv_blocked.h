/* conv_blocked.h - the fast 2D convolution on channel-blocked ("NCHWc") tensors.
 *
 * passes/fuse_conv.c turns eligible float Conv nodes into cnnc FusedConv nodes whose
 * weights are packed here at compile time in the order the kernel reads them, and
 * whose epilogue carries the bias, an optional residual addition and an activation.
 * The parameters travel as node attributes (cb_to_node / cb_from_node), so the
 * emitter and the packer can never disagree.
 */
#ifndef CNNC_OPS_CONV_BLOCKED_H
#define CNNC_OPS_CONV_BLOCKED_H

#include "ops.h"

/* Activations the epilogue of fused kernels applies (attribute "act"). */
typedef enum Act {
	ACT_NONE = 0,
	ACT_RELU,
	ACT_CLIP,        /* min(max(x, alpha), beta) */
	ACT_LEAKYRELU,   /* x < 0 ? alpha * x : x */
	ACT_HARDSIGMOID, /* max(0, min(1, alpha * x + beta)) */
	ACT_HARDSWISH,   /* x * max(0, min(1, x / 6 + 1/2)) */
	ACT_SIGMOID,
	ACT_SILU,        /* x * sigmoid(x) */
	ACT_TANH,
} Act;

/* A pooling window applied to the convolution's output inside the kernel
   (passes/fuse_conv_pool.c): the conv output is computed a few rows at a time into
   scratch and pooled from there, so it never exists whole. */
typedef struct ConvPool {
	int kind;            /* CP_NONE, CP_MAX or CP_AVG */
	bool include_pad;    /* AveragePool count_include_pad */
	int64_t kh, kw, sh, sw;
	int64_t pt, pl, pb, pr; /* pads top, left, bottom, right (ceil_mode resolved) */
	int64_t oh, ow;      /* pooled extents */
} ConvPool;

enum { CP_NONE = 0, CP_MAX, CP_AVG };

typedef struct BlockedConv {
	int64_t n, ic, oc;   /* batch, logical input and output channels */
	int64_t ih, iw, oh, ow;
	int64_t kh, kw, sh, sw, dh, dw, pt, pl; /* kernel, strides, dilations, pads top/left */
	int64_t group;       /* 1, or == ic == oc for depthwise */
	int64_t b;           /* channel block (lanes) of input and output */
	int64_t vl;          /* vector width in floats for the code, 0: portable scalar loops */
	bool plain_input;    /* X is dense NCHW (first layer with few channels) */
	bool residual;       /* input 3: a blocked tensor added before the activation */
	int act;
	double alpha, beta;
	ConvPool pool;       /* kind CP_NONE: Y is the conv output itself */
	int winograd;        /* output tile m of Winograd F(m x m, 3x3) (conv_winograd.c), 0: direct */
} BlockedConv;

/* Fills p from an ONNX Conv node for block b and vector width vl. Returns 0 when the
   node can run blocked (2D, float, group 1 or depthwise, constant weights), 1 when it
   cannot (not an error), -1 with a diagnostic on an invalid node. */
int cb_from_conv(const Graph *g, const Node *conv, int64_t b, int64_t vl, BlockedConv *p, Diag *d);
/* Packs the [oc][ic/group][kh][kw] weights and the bias (may be NULL) into the kernel's
   order; the arrays are allocated in a. Counts are in floats. */
/* Emits the copy of image n of x0 (bi-channel blocks, icb of them) into `xpad`, an
   xh x xw plane per block with p's pads as a zero halo (only the halo is cleared). */
void cb_emit_halo_copy(Out *o, const BlockedConv *p, int64_t bi, int64_t icb, int64_t xh,
		       int64_t xw);
float *cb_pack_weights(Arena *a, const BlockedConv *p, const float *w, int64_t *count);
float *cb_pack_bias(Arena *a, const BlockedConv *p, const float *bias, int64_t *count);
/* Whether the dense kernel can pool p's output (p->pool set) on the fly at no
   loss: group 1, no residual, weights small enough for the row-at-a-time
   (pixel-outer) order, not a 1x1 conv run as one long row (slower row by row),
   and a pool window
   shorter than the conv output (else the ring saves nothing). */
bool cb_can_pool(const BlockedConv *p);
/* Stores p in / reads p from the attributes of a FusedConv node. */
void cb_to_node(Graph *g, uint32_t id, const BlockedConv *p);
void cb_from_node(const Node *n, BlockedConv *p);

/* The activation node a applies to its input 0 (ACT_*), with its parameters, or -1
   when the fused epilogues do not implement it. */
int cb_activation(const Graph *g, const Node *a, double *alpha, double *beta);
/* Matches x * sigmoid(x) on value v (v read by exactly a Sigmoid and that Mul):
   returns the Mul's id and sets *sig to the Sigmoid's, or IR_NONE. */
uint32_t cb_match_silu(const Graph *g, uint32_t v, uint32_t *sig);
/* The single node reading v, or IR_NONE when it has several readers or none, or
   is a graph output. */
uint32_t cb_sole_consumer(const Graph *g, uint32_t v);

/* Writes the C of activation act on the float lvalue `x` (a statement). */
void cb_emit_act(Out *o, int act, double alpha, double beta, const char *x);
/* The same on a vector variable x of type vt (rt_v16, ...; runtime/rt_simd.h). */
void cb_emit_vact(Out *o, int act, double alpha, double beta, const char *vt, const char *x);

#endif
