/* ctl.h - what the control-flow, sequence and optional op files share.
 *
 * cnnc has static shapes and no heap, so control flow and sequences are lowered at
 * compile time (see docs/control_flow.md): If, Loop, Scan and SequenceMap copy their
 * bodies into the enclosing graph (ctl_inline), and a sequence value is the list of
 * tensor values its SequenceConstruct node takes (ctl_seq_elems). The lowering ops'
 * infer() rewrite their node and return OP_LOWERED.
 */
#ifndef CNNC_CTL_H
#define CNNC_CTL_H

#include "ops.h"

/* Most nodes cnnc creates while unrolling loops and inlining bodies into one graph. */
#define CTL_MAX_NODES 200000
/* Workspace bytes per output string that a string op builds at run time (a pool). */
#define CTL_STRING_BYTES 256

/* Adds a node of op to g producing out[0..nout-1] (existing values or IR_NONE), named
   "<base>/<suffix>", with the given opset. Returns its id. */
uint32_t ctl_node(Graph *g, OpKind op, const char *base, const char *suffix, int opset,
		  const uint32_t *in, int nin, const uint32_t *out, int nout);
/* Adds (or replaces) an integer attribute of node id. */
void ctl_set_int(Graph *g, uint32_t id, const char *name, int64_t v);
/* Adds an attribute copied from a (graphs are shared, not copied). */
void ctl_set_attr(Graph *g, uint32_t id, const Attr *a);
/* A new int64 scalar constant. */
uint32_t ctl_const_i64(Graph *g, const char *hint, int64_t v);
/* A new untyped value named after hint. */
uint32_t ctl_temp(Graph *g, const char *hint);

/* Copies the nodes of body into g, body input k reading g's value ins[k] and outer-scope
   references reading the g values they name (body->parent must be g). Every body value
   gets a fresh name prefixed with `prefix`; subgraphs of body nodes are cloned. Body
   initializers become constants of g, shared by later copies. outs[k] receives the g value
   of body output k. Returns 0, or -1 with a diagnostic naming node ni. */
int ctl_inline(Graph *g, uint32_t ni, Graph *body, const uint32_t *ins, uint32_t *outs,
	       const char *prefix, Diag *d);

/* The element values of sequence s (or of an optional holding a sequence), in a malloc'd
   array the caller frees: the inputs of its SequenceConstruct, or, for a graph input, new
   SequenceElement nodes reading its buffer. -1 with a diagnostic naming node ni. */
int ctl_seq_elems(Graph *g, uint32_t ni, uint32_t s, uint32_t **ids, int *count, Diag *d);

/* Makes out (a value of g) a copy of src, of any kind: a Pass node named after node ni. */
void ctl_forward(Graph *g, uint32_t ni, uint32_t src, uint32_t out);
/* Node pointer to id: the index of n in g's node array. */
static inline uint32_t ctl_id(const Graph *g, const Node *n) { return (uint32_t)(n - g->nodes); }

/* Copies the kind, element type, shape and structure of src to dst and marks it typed. */
void ctl_copy_type(Value *dst, const Value *src);
/* Sets output k to a sequence of the given element shapes; -1 if it is too large. */
int ctl_set_seq(Graph *g, const Node *n, int k, DType dt, const Shape *elems, int count, Diag *d);
/* True if a and b have the same kind, element type and shapes. */
bool ctl_same_type(const Value *a, const Value *b);
/* Writes s as a C string literal (bytes outside printable ASCII as octal escapes). */
void ctl_c_string(Out *o, const char *s);
/* Node id ni's name, copied (node pointers move when nodes are added). */
const char *ctl_name(Graph *g, uint32_t ni);

/* ------------------------------------------------------------ regex.c */
/* NFA instructions: CLASS consumes a byte in class cls and goes to x; SPLIT goes to x
   and y; JMP to x; ASSERT checks condition x (RX_BOL...) and goes to y; MATCH accepts. */
enum { RX_CLASS = 1, RX_SPLIT, RX_JMP, RX_ASSERT, RX_MATCH };
enum { RX_BOL = 1, RX_EOL, RX_WORDB, RX_NWORDB };

typedef struct RxInst {
	uint8_t op;
	int x, y, cls;
} RxInst;

typedef struct RxProg {
	const char *pattern;
	RxInst *inst; /* malloc'd; instruction 0 is the start */
	int n, cap;
	uint8_t (*cls)[32]; /* byte-set bitmaps, malloc'd */
	int ncls, capcls;
	char err[160];
} RxProg;

/* Compiles an RE2-syntax pattern for full matching; 0, or -1 with prog->err set.
   Release with rx_free() either way. */
int rx_compile(const char *pattern, RxProg *prog);
void rx_free(RxProg *prog);

#endif
