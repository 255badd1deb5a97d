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

/* A test data value: a tensor, a sequence of tensors, or an optional of either. */
typedef struct DataValue {
	ValueType kind;
	ValueType inner; /* VT_OPTIONAL: kind of the element */
	bool none;       /* VT_OPTIONAL: holds no element */
	Tensor t;        /* the tensor; for a sequence its elements' data one after another
			    (rank 1), the layout sequences cross the generated interface in */
	int nelems;      /* sequence: its elements */
	Tensor *elems;
} DataValue;

/* Parses a data file (input_K.pb / output_K.pb) holding a TensorProto, SequenceProto or
   OptionalProto, as `kind` says, into dv (data in a). 0 or -1 with a diagnostic. */
int fe_load_data_file(const char *path, ValueType kind, Arena *a, DataValue *dv, Diag *d);

/* Declared kinds (tensor, sequence, optional) of the model's caller-fed inputs, in the
   order of fe_model_inputs(), and of its outputs; arrays in a. 0 or -1. */
int fe_model_io_kinds(const char *path, Arena *a, ValueType **in, int *nin, ValueType **out,
		      int *nout, Diag *d);

/* Reads (or, when big, maps) a whole file; -1 with a diagnostic if it cannot or if it is
   larger than max bytes. The caller releases *data with fe_free_file(*data, *len). */
int fe_read_file(const char *path, int64_t max, unsigned char **data, size_t *len, Diag *d);
void fe_free_file(unsigned char *data, size_t len);

#endif
