/* frontend.h - reading ONNX files into the IR. The only code that sees protobuf. */
#ifndef CNNC_FRONTEND_H
#define CNNC_FRONTEND_H

#include "ir.h"

/* Largest model file cnnc reads (external data files are checked separately). */
#define FE_MAX_FILE_BYTES ((int64_t)1 << 32)

/* Loads the model at path into a new Graph, binding symbolic dims, input shapes and
   input values from opt. Returns NULL with a diagnostic on any problem. The caller
   frees the graph with graph_free(). */
Graph *fe_load_model(const char *path, const Options *opt, Diag *d);

/* Names of the model's caller-fed graph inputs (graph inputs without an
   initializer), in graph order; strings and array in a. 0 or -1. */
int fe_model_inputs(const char *path, Arena *a, const char ***names, int *n, Diag *d);

/* Parses a serialized TensorProto (an input_K.pb / output_K.pb file) into t, with its
   data allocated in a. *name (may be NULL) receives the tensor's name or "". 0 or -1. */
int fe_load_tensor_file(const char *path, Arena *a, Tensor *t, const char **name, Diag *d);

/* Reads a whole file into malloc'd memory; -1 with a diagnostic if it cannot or if it is
   larger than max bytes. The caller frees *data. */
int fe_read_file(const char *path, int64_t max, unsigned char **data, size_t *len, Diag *d);

#endif
