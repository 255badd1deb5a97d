/* ops.h - the op table: what every operator must provide, and helpers for writing one.
 *
 * An operator is one line in ir/ops.def plus `const OpDef opdef_<ID>` in a file of
 * this folder. Its functions:
 *   infer  (required) sets the dtype and shape of every present output, checking
 *          attributes and input types; may read constant inputs (shape operands).
 *   fold   (optional) fills the outputs' data when every input is constant, so
 *          shape chains and weight transforms vanish at compile time.
 *   emit   (required unless every use folds) writes the body of the node's kernel.
 *   scratch (optional) bytes of workspace the kernel needs while it runs.
 * Behaviour that changed across opsets is handled inside these, keyed on n->opset.
 *
 * Lowering: instead of typing its outputs, infer may replace its node with other nodes
 * (control flow, sequences): it kills the node, adds nodes that produce the node's
 * outputs (untyped), and returns OP_LOWERED. infer_shapes then re-sorts the graph and
 * goes on with the new nodes.
 */
#ifndef CNNC_OPS_H
#define CNNC_OPS_H

#include "../out.h"
#include "ir.h"

/* Where a kernel's operands live, as C expressions valid inside its body. */
typedef struct Emit {
	Out *o;            /* the kernel body */
	Out *decls;        /* file scope, before the kernel: helper functions, tables */
	const Graph *g;
	const Node *n;
	const Options *opt;
	const char *fn;    /* the kernel's C name; prefix helper names with it */
	const char *const *in;  /* pointer parameter of input k ("x0"), NULL if absent */
	const char *const *out; /* pointer parameter of output k ("y0"), NULL if absent */
	const char *scratch; /* "scratch" (void *, 64-byte aligned) when scratch() > 0 */
	/* set by emit: support code the kernel needs (a runtime/ header embedded on its
	   own, see RT_ONDEMAND in CMakeLists.txt), written at file scope once per model.c,
	   before the first kernel that asks. Big helpers few models need live there rather
	   than in the runtime every model.c gets. */
	const char *runtime;
} Emit;

enum {
	OPF_INPLACE = 1 << 0, /* output 0 may share input 0's buffer (same size, elementwise) */
	OPF_VIEW = 1 << 1,    /* output 0 is input 0's bytes under another shape */
	OPF_SCRATCH_KEEP = 1 << 2, /* scratch lives to the end of the run: outputs point
				      into it (strings made at run time) */
	OPF_STATUS = 1 << 3,  /* the kernel returns int: 0, or non-zero when the input
				 data cannot be processed (a corrupt encoded image); P_run
				 then stops and returns CG_RUN_BAD_INPUT. The body must end
				 every path with a return. */
};

/* What P_run returns when a kernel with OPF_STATUS reports bad input data. */
#define CG_RUN_BAD_INPUT 4

/* What infer returns after replacing its node by others (see the top of this file). */
#define OP_LOWERED 1

typedef struct OpDef {
	int (*infer)(Graph *g, Node *n, Diag *d);
	int (*fold)(Graph *g, Node *n, Diag *d);
	int (*emit)(Emit *e);
	int64_t (*scratch)(const Graph *g, const Node *n);
	unsigned flags;
} OpDef;

/* The table entry of op k (never NULL for k < OP_COUNT). */
const OpDef *op_def(OpKind k);

/* ------------------------------------------------------------ infer helpers (common.c) */
/* Value of input/output k; NULL if absent. */
Value *op_in(const Graph *g, const Node *n, int k);
Value *op_outv(const Graph *g, const Node *n, int k);
/* Sets output k's dtype and shape (no-op if the output is absent). */
void op_set_out(Graph *g, const Node *n, int k, DType dt, const Shape *s);
/* -1 with a diagnostic unless n has between lo and hi inputs (counting absent
   trailing ones) and input 0..need-1 are present and typed. */
int op_check_arity(const Graph *g, const Node *n, int lo, int hi, int need, Diag *d);
/* -1 with a diagnostic unless input k's dtype is one of the list (DT_UNDEFINED-ended). */
int op_check_dtype(const Graph *g, const Node *n, int k, const DType *allowed, Diag *d);
/* 0 if input k is a compile-time constant; otherwise a diagnostic saying why it
   must be, naming --input-value when it is a graph input. */
int op_require_const(const Graph *g, const Node *n, int k, Diag *d);
/* Reads constant integer input k into *vals (arena memory, *count elements). If the
   input is not constant: a diagnostic naming it and --input-value. */
int op_const_ints(Graph *g, const Node *n, int k, const int64_t **vals, int64_t *count, Diag *d);
/* Normalises axis a of a rank-r tensor into [0, r); -1 with diagnostic if out of range. */
int op_axis(const Graph *g, const Node *n, int64_t a, int rank, int *out, Diag *d);
/* True if every present input is constant. */
bool op_all_const(const Graph *g, const Node *n);
/* Allocates output k's constant data (arena) from its dtype/shape and returns it. */
void *op_alloc_const(Graph *g, const Node *n, int k);

/* Dtype lists for op_check_dtype. */
extern const DType op_float_types[];   /* float, double, float16, bfloat16 */
extern const DType op_numeric_types[]; /* floats and every integer type */
extern const DType op_int_types[];

/* ------------------------------------------------------------ emit helpers (common.c) */
/* C storage type and arithmetic type of d ("uint16_t" and "float" for float16). */
const char *cg_ctype(DType d);
const char *cg_comp(DType d);
/* Expression converting storage expr to the arithmetic type, and back. buf gets the text. */
const char *cg_load(DType d, const char *expr, char *buf, size_t n);
const char *cg_store(DType d, const char *expr, char *buf, size_t n);
/* A C literal of value v in the arithmetic type of d ("1.5f", "INFINITY", "INT64_C(-3)"). */
const char *cg_lit(DType d, double v, char *buf, size_t n);
const char *cg_ilit(DType d, int64_t v, char *buf, size_t n);
/* Opens `rank` nested loops over dims with index variables <var>0..; returns how many
   loops were opened (each closed by the caller with out_line(o, "}")). */
int cg_loops(Out *o, const Shape *s, const char *var);
void cg_close(Out *o, int nloops);
/* Index expression into a tensor of shape `in` broadcast to the loop nest of shape
   `full` with index variables <var>0.. ("0" for a scalar). */
const char *cg_bcast_index(const Shape *in, const Shape *full, const char *var, char *buf, size_t n);

#endif
