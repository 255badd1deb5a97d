/* ir.h - cnnc's intermediate representation: every IR type and every ir_ function.
 *
 * A Graph owns one Arena; names, dims, attributes and constant data all live in it
 * and are released together by graph_free(). Values (tensors) and nodes sit in
 * growable arrays and refer to each other by uint32_t ids, never by pointers into
 * those arrays, because the arrays move when they grow. IR_NONE marks an absent
 * optional input or output.
 *
 * Shapes are concrete: symbolic dims are bound at import (--dim) or rejected.
 */
#ifndef CNNC_IR_H
#define CNNC_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CNNC_VERSION "0.1.0"
#define CNNC_MAX_RANK 8
#define IR_NONE UINT32_MAX
/* Largest tensor cnnc accepts, in bytes (checked on every size derived from a model). */
#define CNNC_MAX_TENSOR_BYTES ((int64_t)1 << 36)

/* ---------------------------------------------------------------- arena.c */
typedef struct Arena Arena;
Arena *arena_new(void);
void arena_free(Arena *a);
/* Forgets every allocation but keeps (cleared) the newest blocks for the next ones:
   a scratch arena reused across many short-lived allocations. */
void arena_reset(Arena *a);
/* Returns zeroed memory aligned to 64 bytes, owned by the arena; NULL only when out of memory. */
void *arena_alloc(Arena *a, size_t size);
/* Zeroed memory aligned to 16 bytes, for many small pieces (parsed protobuf). */
void *arena_alloc_small(Arena *a, size_t size);
char *arena_strdup(Arena *a, const char *s);
/* True if p points into memory handed out by a (so the graph may write it). */
bool arena_owns(const Arena *a, const void *p);
char *arena_strndup(Arena *a, const char *s, size_t n);
void *arena_memdup(Arena *a, const void *p, size_t size);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- diag.c */
/* Diagnostics: library code never prints or exits; it records here and returns -1. */
typedef struct Diag {
	const char *file; /* model path, prefixed to every message */
	int nerrors;
	char msg[1024]; /* the first error, one line */
	/* set when compiling failed because graph input <need_input> must be known at
	   compile time (it determines a shape); `cnnc verify` binds it and retries */
	char need_input[256];
} Diag;
void diag_init(Diag *d, const char *file);
/* Record "<file>: <message>". Returns -1 so callers can `return diag_error(...)`. */
int diag_error(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_verror(Diag *d, const char *fmt, va_list ap);

/* ---------------------------------------------------------------- dtype.c */
/* ONNX TensorProto.DataType codes, so the enum value is the wire value. */
typedef enum DType {
	DT_UNDEFINED = 0,
	DT_FLOAT = 1,
	DT_UINT8 = 2,
	DT_INT8 = 3,
	DT_UINT16 = 4,
	DT_INT16 = 5,
	DT_INT32 = 6,
	DT_INT64 = 7,
	DT_STRING = 8,
	DT_BOOL = 9,
	DT_FLOAT16 = 10,
	DT_DOUBLE = 11,
	DT_UINT32 = 12,
	DT_UINT64 = 13,
	DT_COMPLEX64 = 14,
	DT_COMPLEX128 = 15,
	DT_BFLOAT16 = 16,
	DT_FLOAT8E4M3FN = 17,
	DT_FLOAT8E4M3FNUZ = 18,
	DT_FLOAT8E5M2 = 19,
	DT_FLOAT8E5M2FNUZ = 20,
	DT_UINT4 = 21,
	DT_INT4 = 22,
	DT_FLOAT4E2M1 = 23,
	DT_FLOAT8E8M0 = 24,
	DT_UINT2 = 25,
	DT_INT2 = 26,
	DT_COUNT
} DType;

typedef struct DTypeInfo {
	const char *name;  /* ONNX name: "float", "int64", ... */
	const char *ctype; /* C storage type in generated code */
	const char *comp;  /* C type arithmetic is done in (float for float16/bfloat16) */
	int size;          /* bytes per element in storage (0: unsupported) */
	bool is_float;     /* IEEE-like floating point, including 16/8-bit ones */
	bool is_signed;    /* signed integer or float */
	bool is_int;       /* integer (not bool) */
} DTypeInfo;
const DTypeInfo *dtype_info(DType t);
bool dtype_valid(int t); /* a code cnnc can hold in a tensor */
const char *dtype_name(DType t);
/* Bytes of n elements; -1 on overflow or past CNNC_MAX_TENSOR_BYTES. */
int64_t dtype_bytes(DType t, int64_t n);

/* Scalar conversion used by folding and tensor import: element i of a typed buffer. */
double dtype_get_f64(DType t, const void *data, int64_t i);
int64_t dtype_get_i64(DType t, const void *data, int64_t i);
void dtype_set_f64(DType t, void *data, int64_t i, double v);
void dtype_set_i64(DType t, void *data, int64_t i, int64_t v);
uint16_t dtype_f32_to_f16(float f);
float dtype_f16_to_f32(uint16_t h);
uint16_t dtype_f32_to_bf16(float f);
float dtype_bf16_to_f32(uint16_t h);

/* ---------------------------------------------------------------- shape.c */
typedef struct Shape {
	int rank;
	int64_t dims[CNNC_MAX_RANK];
} Shape;
/* Element count; -1 if a dim is negative or the product overflows CNNC_MAX_TENSOR_BYTES. */
int64_t shape_numel(const Shape *s);
bool shape_equal(const Shape *a, const Shape *b);
/* Multidirectional (numpy) broadcast of a and b into out; -1 if incompatible. */
int shape_broadcast(const Shape *a, const Shape *b, Shape *out);
/* Row-major strides of s, in elements. */
void shape_strides(const Shape *s, int64_t strides[CNNC_MAX_RANK]);
/* "[1,3,224,224]" into buf (always terminated). */
const char *shape_str(const Shape *s, char *buf, size_t n);

/* ---------------------------------------------------------------- ops.def */
typedef enum OpKind {
#define OP(id, name, domain) OP_##id,
#include "ops.def"
#undef OP
	OP_COUNT
} OpKind;
/* OP_COUNT when (domain, name) is not an op cnnc knows. "" and "ai.onnx" are the same domain. */
OpKind op_lookup(const char *domain, const char *name);
const char *op_name(OpKind k);
const char *op_domain(OpKind k);

/* ---------------------------------------------------------------- graph.c */
typedef struct Graph Graph;

typedef struct Tensor {
	DType dtype;
	Shape shape;
	void *data; /* dense row-major; for DT_STRING an array of char* */
} Tensor;

typedef enum AttrType {
	AT_UNDEFINED = 0,
	AT_FLOAT = 1,
	AT_INT = 2,
	AT_STRING = 3,
	AT_TENSOR = 4,
	AT_GRAPH = 5,
	AT_FLOATS = 6,
	AT_INTS = 7,
	AT_STRINGS = 8,
	AT_TENSORS = 9,
	AT_GRAPHS = 10,
	AT_SPARSE_TENSOR = 11,
	AT_SPARSE_TENSORS = 12,
	AT_TYPE_PROTO = 13,
	AT_TYPE_PROTOS = 14,
} AttrType;

typedef struct Attr {
	const char *name;
	AttrType type;
	int64_t i;
	double f;
	const char *s; /* AT_STRING: bytes, NUL-terminated, slen long */
	size_t slen;
	size_t n; /* element count of ints/floats/strings/tensors/graphs */
	int64_t *ints;
	double *floats;
	const char **strings;
	Tensor *tensor;   /* AT_TENSOR */
	Tensor *tensors;  /* AT_TENSORS */
	Graph *graph;     /* AT_GRAPH */
	Graph **graphs;   /* AT_GRAPHS */
	/* AT_TYPE_PROTO: i is the innermost element type, s the outer kind ("tensor",
	   "sequence", "optional", or "" for other types) */
} Attr;

typedef enum ValueType { VT_TENSOR = 0, VT_SEQUENCE, VT_OPTIONAL } ValueType;

/* Sequences and optionals have static structure: a sequence's length and each element's
   shape, and whether an optional holds an element, are known at compile time. Their
   storage is flat: `shape` is [total elements] for a sequence (its elements one after
   another) and an optional has its element's storage ([0] when empty). */
typedef struct Value {
	const char *name; /* ONNX name, unique in the graph */
	ValueType vtype;  /* tensor, or sequence/optional of tensors (elements in dtype/shape) */
	DType dtype;
	Shape shape;
	ValueType inner;  /* VT_OPTIONAL: kind of the element (VT_TENSOR or VT_SEQUENCE) */
	bool none;        /* VT_OPTIONAL: holds no element */
	int nelems;       /* sequence (or optional sequence): element count */
	Shape *elems;     /* its element shapes (arena) */
	bool typed;      /* dtype and shape are known */
	const Shape *declared; /* arena: the complete tensor shape the model declares for it
				  (graph output or value_info), NULL if none; ops whose output
				  shape depends on input data (ImageDecoder) take it from here */
	bool is_input;   /* graph input fed by the caller */
	bool is_output;  /* graph output */
	uint32_t producer; /* node id or IR_NONE */
	void *data;        /* constant contents (arena), NULL when computed at run time */
	uint32_t alias;    /* value whose storage this one shares (views), IR_NONE if own */
	uint32_t outer;    /* in a subgraph: the enclosing graph's value this name refers to */
	int64_t offset;    /* byte offset in the workspace, -1 until planned */
	int layout;        /* 0: dense row-major ONNX order; b > 0: channel-blocked "NCHWc":
			      rank >= 3, stored as [N][ceil(C/b)][spatial...][b], the lanes
			      past C zero or ignored (set by select_layout); LAYOUT_NHWC:
			      channels-last */
} Value;

/* Value.layout of a channels-last 8-bit activation: a 4-D int8/uint8 tensor of batch 1
   stored as [N][H][W][C] (same bytes as NCHW, no padding). select_layout gives it to a
   QConvGemm convolution's output when every reader is a QConvGemm convolution (which
   reads it without a transpose), so it never reaches a graph output or another op. */
#define LAYOUT_NHWC (-1)

typedef struct Node {
	OpKind op;
	const char *op_type; /* as written in the model (for messages) */
	const char *domain;
	const char *name;    /* ONNX node name, or a generated "n<id>" when empty */
	int opset;           /* opset version in force for the node's domain */
	uint32_t *inputs;    /* value ids, IR_NONE for an absent optional input */
	int ninputs;
	uint32_t *outputs;
	int noutputs;
	Attr *attrs;
	int nattrs;
	int64_t scratch_bytes;  /* workspace the kernel needs while it runs (set by planning) */
	int64_t scratch_offset; /* its byte offset in the workspace, -1 when none */
} Node;

typedef struct OpsetImport {
	const char *domain;
	int64_t version;
} OpsetImport;

struct Graph {
	Arena *arena;
	Graph *parent;    /* enclosing graph of a subgraph, NULL at top level */
	const char *file; /* model path, for diagnostics */
	const char *name;
	Value *values;
	uint32_t nvalues, capvalues;
	Node *nodes;
	uint32_t nnodes, capnodes;
	uint32_t *inputs; /* caller-fed graph inputs, in graph order */
	int ninputs;
	uint32_t *outputs;
	int noutputs;
	OpsetImport *opsets;
	int nopsets;
	int64_t ir_version;
	/* name -> value id index (open addressing) */
	uint32_t *index;
	uint32_t index_cap;
	struct Graph **subgraphs; /* every nested graph, owned by this arena */
	int nsubgraphs;
	int64_t workspace_size;  /* bytes, set by plan_memory */
	int64_t workspace_bound; /* liveness lower bound, for reports */
	char note[256]; /* what the last pass did, for -v: set by the pass, printed and
			   cleared by the pipeline */
};

/* Creates an empty graph with its own arena; NULL when out of memory. */
Graph *graph_new(const char *file);
/* A subgraph sharing the parent's arena. */
Graph *graph_new_sub(Graph *parent, const char *name);
void graph_free(Graph *g);

static inline Value *ir_value(const Graph *g, uint32_t id) { return &g->values[id]; }
static inline Node *ir_node(const Graph *g, uint32_t id) { return &g->nodes[id]; }

/* Value by name in g (not its parents), IR_NONE if absent. */
uint32_t ir_find_value(const Graph *g, const char *name);
/* Adds a value named `name` (must be new); returns its id. Name is copied. */
uint32_t ir_add_value(Graph *g, const char *name);
/* Adds an unnamed temporary with a fresh unique name built from hint. */
uint32_t ir_add_temp(Graph *g, const char *hint);
/* Adds a node; inputs/outputs are copied. Sets the outputs' producer. */
uint32_t ir_add_node(Graph *g, OpKind op, const char *name, const uint32_t *inputs, int ninputs,
		     const uint32_t *outputs, int noutputs);
/* Adds a constant value holding a copy of data. */
uint32_t ir_add_const(Graph *g, const char *hint, DType dt, const Shape *s, const void *data);
/* The same without a copy: data must come from g's arena (64-byte aligned, and at least
   the value's bytes); the constant takes it as it is. */
uint32_t ir_adopt_const(Graph *g, const char *hint, DType dt, const Shape *s, void *data);
/* Marks node id dead (OP_NOP, no outputs); ir_compact() drops it. */
void ir_kill_node(Graph *g, uint32_t id);
/* Removes OP_NOP nodes and unreferenced values are kept (ids of values stay valid). */
void ir_compact(Graph *g);
/* Replaces every use of value `from` (node inputs and graph outputs) with `to`. */
void ir_replace_uses(Graph *g, uint32_t from, uint32_t to);
/* Reorders g->nodes topologically (stable); -1 with a diagnostic on a cycle. */
int ir_sort(Graph *g, Diag *d);
/* Follows v's alias chain to the value that owns the storage. */
uint32_t ir_storage(const Graph *g, uint32_t v);
/* Ids of the nodes that read v (each node once), up to max; returns how many
   there are in all. */
int ir_consumers(const Graph *g, uint32_t v, uint32_t *nodes, int max);
/* Number of node inputs reading v, plus 1 if it is a graph output. */
int ir_use_count(const Graph *g, uint32_t v);
/* Fills order[] with node ids in a topological order; -1 (with diagnostic) on a cycle
   or a use of an undefined value. */
int ir_topo_order(Graph *g, uint32_t *order, Diag *d);

/* Attributes of a node. */
const Attr *ir_attr(const Node *n, const char *name);
int64_t ir_attr_int(const Node *n, const char *name, int64_t dflt);
double ir_attr_float(const Node *n, const char *name, double dflt);
const char *ir_attr_str(const Node *n, const char *name, const char *dflt);
/* Number of ints (0 when absent); *out points into the arena. */
size_t ir_attr_ints(const Node *n, const char *name, const int64_t **out);
size_t ir_attr_floats(const Node *n, const char *name, const double **out);

/* Sets (adds or replaces) an attribute of node id; data is copied into the arena. */
void ir_set_attr_int(Graph *g, uint32_t id, const char *name, int64_t v);
void ir_set_attr_float(Graph *g, uint32_t id, const char *name, double v);
void ir_set_attr_ints(Graph *g, uint32_t id, const char *name, const int64_t *v, size_t n);

/* Input k of n, or IR_NONE when k is out of range or the input is absent. */
static inline uint32_t ir_in(const Node *n, int k) { return k < n->ninputs ? n->inputs[k] : IR_NONE; }
static inline uint32_t ir_out(const Node *n, int k) { return k < n->noutputs ? n->outputs[k] : IR_NONE; }
static inline bool ir_has_in(const Node *n, int k) { return ir_in(n, k) != IR_NONE; }
/* Element count of a typed value. */
int64_t ir_numel(const Value *v);
int64_t ir_bytes(const Value *v);
/* Bytes the value occupies in memory in its layout (channel blocks padded); -1 on
   overflow. Equal to ir_bytes() for layout 0. */
int64_t ir_storage_bytes(const Value *v);

/* Records "<file>: node '<name>' (<Op>): <message>". Returns -1. */
int ir_node_error(Diag *d, const Graph *g, const Node *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------------- options */
/* What the user asked for on the command line; read by the frontend, passes and codegen. */
typedef enum Target { TARGET_HOST = 0, TARGET_GENERIC, TARGET_X86_64_V3, TARGET_X86_64_V4,
		      TARGET_AARCH64 } Target;

typedef struct DimBinding {
	const char *name; /* symbolic dim (dim_param) */
	int64_t value;
} DimBinding;

typedef struct ShapeBinding {
	const char *name; /* graph input */
	Shape shape;
	/* sequence and optional inputs: an empty optional, or a sequence's element shapes */
	bool none;
	bool is_seq;
	int nelems;
	const Shape *elems;
} ShapeBinding;

typedef struct ValueBinding {
	const char *name; /* graph input whose value is fixed at compile time */
	Tensor value;
} ValueBinding;

typedef struct Options {
	const char *prefix; /* P: prefix of every external symbol */
	DimBinding *dims;
	int ndims;
	ShapeBinding *shapes;
	int nshapes;
	ValueBinding *values;
	int nvalues;
	Target target;
	int vector_width; /* floats per SIMD vector the code may use (0: portable scalar C);
			     set by the driver from target */
	int verbose;
	const char *dump_after; /* pass name for -d, "all" for every pass */
	const char **taps;      /* --outputs: intermediate tensors to add as graph outputs */
	int ntaps;
	const char *cut;        /* --cut: the one tensor to compute; everything else is dropped */
	bool weights_file;      /* --weights=file: constants go to P.bin, read at run time */
	int winograd;           /* --winograd: 0 auto, 1 off, 2 force (CW_* in conv_winograd.h) */
} Options;

/* ---------------------------------------------------------------- verify.c */
/* Structural checks: ids in range, one producer per value, no cycles. -1 with diagnostic. */
int ir_verify(Graph *g, Diag *d);

/* ---------------------------------------------------------------- print.c */
/* Stable text form of the graph, for -d dumps and golden tests. Caller frees the result. */
char *ir_print(const Graph *g);

#endif
