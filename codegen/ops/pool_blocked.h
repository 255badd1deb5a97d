/* pool_blocked.h - pooling and per-channel broadcasting on channel-blocked tensors
 * (the ops select_layout rewrites ONNX nodes into). */
#ifndef CNNC_OPS_POOL_BLOCKED_H
#define CNNC_OPS_POOL_BLOCKED_H

#include "ops.h"

/* PoolBlocked attribute "kind". */
enum { PB_MAX = 0, PB_AVG, PB_GLOBAL_MAX, PB_GLOBAL_AVG };

/* PoolBlocked's kind for ONNX pool node n when it can run blocked (float, 2D,
   MaxPool without Indices), or -1. */
int pb_kind(const Graph *g, const Node *n);

/* ChannelBinary attribute "op": y = x <op> s with s per (batch,) channel. */
enum { CB_ADD = 0, CB_SUB, CB_MUL, CB_DIV };

#endif
