/* fe_internal.h - what the frontend's files share; includes the protobuf-c schema. */
#ifndef CNNC_FE_INTERNAL_H
#define CNNC_FE_INTERNAL_H

#include "frontend.h"
#include "onnx.pb-c.h"

/* Converts tp into t (data in a). dir is the model's folder for external data,
   NULL to refuse external data. borrow: tp was unpacked into a (fe_proto_allocator),
   so t may use its raw_data in place instead of a copy. 0 or -1 with a diagnostic. */
int fe_tensor_from_proto(const Onnx__TensorProto *tp, Arena *a, const char *dir, Tensor *t,
			 bool borrow, Diag *d);
/* A protobuf-c allocator that takes memory from arena a and never frees it: what it
   unpacks lives as long as a, and big bytes fields (raw_data) need no second copy. */
ProtobufCAllocator fe_proto_allocator(Arena *a);

/* -1 with a diagnostic when buf nests messages deeper than protobuf-c can safely unpack. */
int fe_check_nesting(const uint8_t *buf, size_t len, Diag *d);

#endif
