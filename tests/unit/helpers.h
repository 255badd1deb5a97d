/* helpers.h - shared fixtures of the unit tests: building ONNX files in memory,
 * running the cnnc binary, temporary folders.
 */
#ifndef CNNC_TEST_HELPERS_H
#define CNNC_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ir.h"

/* A model under construction. All memory is released by mb_free(). */
typedef struct ModelBuilder ModelBuilder;

ModelBuilder *mb_new(int64_t ir_version, int64_t opset);
void mb_free(ModelBuilder *mb);
/* Imports another operator set (domain "ai.onnx.preview", ...); up to three. */
void mb_opset(ModelBuilder *mb, const char *domain, int64_t version);
/* A graph input; shape like "1x3x8x8", "" for a scalar, "Nx3" for a symbolic dim N. */
void mb_input(ModelBuilder *mb, const char *name, int dtype, const char *shape);
void mb_output(ModelBuilder *mb, const char *name, int dtype, const char *shape);
/* A value_info entry (the declared type of an intermediate tensor). */
void mb_value_info(ModelBuilder *mb, const char *name, int dtype, const char *shape);
/* A float initializer with the given dims and values (n = product of dims). */
void mb_init_f32(ModelBuilder *mb, const char *name, const int64_t *dims, int rank, const float *v);
void mb_init_i64(ModelBuilder *mb, const char *name, const int64_t *dims, int rank, const int64_t *v);
/* A float initializer stored in an external file `location` (relative to the model). */
void mb_init_external(ModelBuilder *mb, const char *name, const int64_t *dims, int rank,
		      const char *location);
/* A node: inputs and outputs are comma-separated names ("" parts are absent inputs). */
void mb_node(ModelBuilder *mb, const char *op, const char *name, const char *inputs,
	     const char *outputs);
/* Domain of the last node added. */
void mb_domain(ModelBuilder *mb, const char *domain);
/* Attributes of the last node added. */
void mb_attr_int(ModelBuilder *mb, const char *name, int64_t v);
void mb_attr_ints(ModelBuilder *mb, const char *name, const int64_t *v, int n);
void mb_attr_float(ModelBuilder *mb, const char *name, float v);
void mb_attr_str(ModelBuilder *mb, const char *name, const char *v);
/* A list of strings from comma-separated names ("a,b"). */
void mb_attr_strs(ModelBuilder *mb, const char *name, const char *list);
/* A graph attribute whose body is the one node op(inputs) -> outputs; its graph inputs
   and outputs are those names (float, shape unknown). */
void mb_attr_graph(ModelBuilder *mb, const char *name, const char *op, const char *inputs,
		   const char *outputs);
/* Serialises the model; caller frees *buf. */
void mb_pack(ModelBuilder *mb, uint8_t **buf, size_t *len);
/* Writes the model to path. */
void mb_write(ModelBuilder *mb, const char *path);
/* Loads the model through the frontend (NULL on error, with d filled). */
Graph *mb_load(ModelBuilder *mb, const Options *opt, Diag *d);

/* A new empty folder under $TMPDIR; caller frees the string (the folder stays). */
char *test_tmpdir(void);
/* Writes bytes to path. */
void test_write(const char *path, const void *data, size_t n);
/* Runs the cnnc binary with args (NULL-terminated); stdout+stderr into *out (caller frees).
   Returns its exit status. */
int test_run_cnnc(char **out, const char *arg, ...);
/* dir/name, malloc'd (caller frees). */
char *test_path(const char *dir, const char *name);
/* Removes the files dir/names[0..n-1] (those that exist), then the folder dir. */
void test_remove_all(const char *dir, const char *const *names, size_t n);
/* True if path exists. */
int test_exists(const char *path);

#endif
