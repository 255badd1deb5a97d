/* emit.c - model.c and model.h for a planned graph.
 *
 * model.c is laid out as: provenance comment, the runtime support, constant
 * tensors, one static kernel function per node (its body written by the op's
 * emit()), the interface tables, and P_run(), which calls the kernels in order
 * with pointers into the caller's inputs, outputs, the workspace or the constants.
 * Output is deterministic: the same model and options give the same bytes.
 *
 * Constants are emitted as string literals inside a union with a typed array:
 * compilers read a long string far faster than millions of initializers, and
 * reading through the union's typed member is well defined in C99.
 *
 * With --weights=file they go to a separate byte image instead (P.bin): a 64-byte
 * header (magic, byte-order mark, checksum, size) and then every tensor at a 64-byte
 * aligned offset. model.c then defines P_run_with_weights() and P_check_weights()
 * rather than P_run(), and reads each constant at `weights + offset`. String
 * constants are arrays of pointers and stay in model.c.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "ops/ops.h"

/* Most distinct on-demand runtime texts (Emit.runtime) one model.c can need. */
#define CG_MAX_RUNTIMES 8

typedef struct Cg {
	const Graph *g;
	const Options *opt;
	const char *P;
	NameSet *names;
	const char **wname;   /* per value: C name of its constant, or NULL */
	int64_t *woff;        /* per value: offset of its constant in the weights file, or -1 */
	Out *c, *h;
	Out *bin;             /* the weights file (--weights=file), else NULL */
	char binname[256];    /* its file name for comments: the header's, ending in .bin */
	Diag *d;
	const char *runtimes[CG_MAX_RUNTIMES]; /* on-demand support texts written so far */
	int nruntimes;
} Cg;

/* The weights file header: magic, byte-order mark, FNV-1a checksum of everything
   after the header, total size; see DEVELOPERS.md. */
#define WEIGHTS_HEADER 64
#define WEIGHTS_ALIGN 64
static const char weights_magic[8] = {'C', 'N', 'N', 'C', 'W', 'T', 'S', '1'};

/* 32-bit FNV-1a of n bytes. */
static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* ------------------------------------------------------------ constants */

/* Writes n bytes as C string literal text, about 96 source bytes a line. Printable
   characters stand for themselves; '"' and '\\' get a backslash; a '?' after a '?'
   is escaped (no trigraph can form); the rest are octal escapes of 1 to 3 digits,
   the shortest one the next character does not extend. Each byte's spelling comes
   from a table indexed by the byte and its two neighbours' classes, without a
   branch: this loop writes most of a big model's text. */
static void emit_bytes(Out *o, const unsigned char *p, int64_t n)
{
	/* spell[q][d][c]: byte c after a '?' (q) and before a digit 0-7 (d) */
	char spell[2][2][256][4];
	unsigned char len[2][2][256];
	for (int q = 0; q < 2; q++)
		for (int d = 0; d < 2; d++)
			for (int c = 0; c < 256; c++) {
				char *s = spell[q][d][c];
				int k = 0;
				if (c == '"' || c == '\\' || (c == '?' && q)) {
					s[k++] = '\\';
					s[k++] = (char)c;
				} else if (c >= 0x20 && c < 0x7f) {
					s[k++] = (char)c;
				} else {
					s[k++] = '\\';
					if (d || c >= 64)
						s[k++] = (char)('0' + (c >> 6));
					if (d || c >= 8)
						s[k++] = (char)('0' + ((c >> 3) & 7));
					s[k++] = (char)('0' + (c & 7));
				}
				len[q][d][c] = (unsigned char)k;
			}
	/* blocks of lines written in place, each spilled to the file before the next,
	   so the buffer stays small while a 30 MB literal goes out */
	enum { LINES = 512, LINE_MAX = 96 + 8 };
	int64_t i = 0;
	do {
		char *line = out_claim(o, LINES * LINE_MAX);
		if (!line)
			return;
		size_t k = 0;
		for (int l = 0; l < LINES && (l == 0 || i < n); l++) {
			size_t end = k + 96;
			line[k++] = '\t';
			line[k++] = '"';
			for (; i < n && k < end; i++) {
				unsigned char c = p[i], next = i + 1 < n ? p[i + 1] : 0;
				int q = i > 0 && p[i - 1] == '?', d = next >= '0' && next <= '7';
				memcpy(line + k, spell[q][d][c], 4);
				k += len[q][d][c];
			}
			line[k++] = '"';
			if (i < n)
				line[k++] = '\n';
		}
		out_commit(o, k);
		out_spill(o);
	} while (i < n);
}

/* Writes the elements of constant v as a designated initialiser of the union's
   typed member (target generic: no long string literals, every compiler reads
   it). Floats are exact hexadecimal literals. */
static void emit_values(Out *o, const Value *v)
{
	int64_t n = ir_numel(v);
	DType dt = v->dtype;
	bool fl = dt == DT_FLOAT || dt == DT_DOUBLE;
	out_printf(o, "\t.v = {");
	for (int64_t i = 0; i < n; i++) {
		out_printf(o, "%s", i % 8 ? " " : "\n\t\t");
		if (fl) {
			double x = dtype_get_f64(dt, v->data, i);
			const char *suffix = dt == DT_FLOAT ? "f" : "";
			if (isnan(x))
				out_printf(o, "%sNAN,", dt == DT_FLOAT ? "" : "(double)");
			else if (isinf(x))
				out_printf(o, "%s%sINFINITY,", x < 0 ? "-" : "", dt == DT_FLOAT ? "" : "(double)");
			else
				out_printf(o, "%a%s,", x, suffix);
		} else if (dt == DT_UINT64) {
			out_printf(o, "UINT64_C(%llu),", (unsigned long long)((const uint64_t *)v->data)[i]);
		} else if (dt == DT_INT64) {
			int64_t x = ((const int64_t *)v->data)[i];
			if (x == INT64_MIN)
				out_printf(o, "INT64_MIN,");
			else
				out_printf(o, "INT64_C(%lld),", (long long)x);
		} else {
			/* every other type is stored as an integer (float16 as its bits) */
			int64_t x;
			switch (dtype_info(dt)->size) {
			case 1: x = dtype_info(dt)->is_signed && !dtype_info(dt)->is_float
					    ? ((const int8_t *)v->data)[i] : ((const uint8_t *)v->data)[i]; break;
			case 2: x = dtype_info(dt)->is_signed && !dtype_info(dt)->is_float
					    ? ((const int16_t *)v->data)[i] : ((const uint16_t *)v->data)[i]; break;
			default:
				if (dt == DT_UINT32)
					x = ((const uint32_t *)v->data)[i];
				else
					x = ((const int32_t *)v->data)[i];
				break;
			}
			if (x == INT32_MIN)
				out_printf(o, "INT32_MIN,");
			else
				out_printf(o, "%lld%s,", (long long)x, dt == DT_UINT32 ? "u" : "");
		}
	}
	out_printf(o, "\n\t}");
}

static void emit_const(Cg *cg, uint32_t id)
{
	const Value *v = ir_value(cg->g, id);
	Out *o = cg->c;
	int64_t n = ir_numel(v), bytes = ir_bytes(v);
	const char *name = names_make(cg->names, "w_", v->name);
	cg->wname[id] = name;
	char sh[256];
	out_comment(o, "%s %s%s", v->name, dtype_name(v->dtype), shape_str(&v->shape, sh, sizeof sh));
	if (v->dtype == DT_STRING) {
		out_printf(o, "static const char *const %s[%lld] = {", name, (long long)(n ? n : 1));
		for (int64_t i = 0; i < n; i++) {
			out_printf(o, "%s\"", i ? ", " : "");
			cg_cstring(o, ((const char *const *)v->data)[i]);
			out_printf(o, "\"");
		}
		out_printf(o, "%s};\n", n ? "" : "0");
		return;
	}
	if (cg->bin) {
		/* --weights=file: the bytes go to the file, 64-byte aligned */
		static const char zeros[WEIGHTS_ALIGN];
		out_write(cg->bin, zeros, (WEIGHTS_ALIGN - cg->bin->len % WEIGHTS_ALIGN) % WEIGHTS_ALIGN);
		cg->woff[id] = (int64_t)cg->bin->len;
		if (bytes > 0)
			out_write(cg->bin, (const char *)v->data, (size_t)bytes);
		out_comment(o, "  at weights + %lld, %lld bytes", (long long)cg->woff[id], (long long)bytes);
		return;
	}
	out_printf(o, "static const union {\n\tunsigned char b[%lld];\n\t%s v[%lld];\n} %s = {\n",
		   (long long)bytes + 1, cg_ctype(v->dtype), (long long)(n ? n : 1), name);
	if (cg->opt && cg->opt->target == TARGET_GENERIC)
		emit_values(o, v); /* typed initialisers: plain, portable C99 */
	else
		emit_bytes(o, v->data, bytes);
	out_printf(o, "\n};\n");
}

/* ------------------------------------------------------------ operand expressions */

static int graph_index(const uint32_t *list, int n, uint32_t v)
{
	for (int i = 0; i < n; i++)
		if (list[i] == v)
			return i;
	return -1;
}

/* The C expression of a pointer to value v's data inside P_run. */
static const char *operand(const Cg *cg, uint32_t v, char *buf, size_t n)
{
	const Graph *g = cg->g;
	const Value *val = ir_value(g, v);
	uint32_t r = ir_storage(g, v);
	const Value *root = ir_value(g, r);
	/* pointer types for reading and for writing (strings: arrays of const char *) */
	char ro[64], rw[64];
	if (val->dtype == DT_STRING) {
		snprintf(ro, sizeof ro, "const char *const *");
		snprintf(rw, sizeof rw, "const char **");
	} else {
		snprintf(ro, sizeof ro, "const %s *", cg_ctype(val->dtype));
		snprintf(rw, sizeof rw, "%s *", cg_ctype(val->dtype));
	}
	if (root->data && cg->woff[r] >= 0) {
		snprintf(buf, n, "(%s)(wb + %lld)", ro, (long long)cg->woff[r]);
	} else if (root->data && cg->wname[r]) {
		if (root->dtype == DT_STRING)
			snprintf(buf, n, "%s", cg->wname[r]);
		else
			snprintf(buf, n, "(%s)%s.v", ro, cg->wname[r]);
	} else if (root->is_input) {
		snprintf(buf, n, "(%s)inputs[%d]", ro, graph_index(g->inputs, g->ninputs, r));
	} else if (root->is_output) {
		snprintf(buf, n, "(%s)outputs[%d]", rw, graph_index(g->outputs, g->noutputs, r));
	} else {
		snprintf(buf, n, "(%s)(ws + %lld)", rw, (long long)root->offset);
	}
	return buf;
}

/* ------------------------------------------------------------ kernels */

static const char *kernel_name(Cg *cg, uint32_t i)
{
	const Node *n = ir_node(cg->g, i);
	char pre[32];
	snprintf(pre, sizeof pre, "k%u_", i);
	return names_make(cg->names, pre, n->name);
}

/* True if identifier `id` occurs as a whole token in text. */
static bool mentions(const char *text, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = text; p && (p = strstr(p, id)); p += n) {
		bool before = p == text || !(p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
					     ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'));
		char c = p[n];
		bool after = !(c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'));
		if (before && after)
			return true;
	}
	return false;
}

/* True when the node writes only empty tensors (a Slice to nothing and what follows):
   its kernel has nothing to do, and an op's own code for it could leave locals unused. */
static bool writes_nothing(const Graph *g, const Node *n)
{
	int present = 0;
	for (int k = 0; k < n->noutputs; k++) {
		if (ir_out(n, k) == IR_NONE)
			continue;
		const Value *v = ir_value(g, ir_out(n, k));
		if (v->vtype != VT_TENSOR || ir_numel(v) != 0)
			return false;
		present++;
	}
	return present > 0;
}

/* True if the support text (Emit.runtime) is in model.c already. */
static bool runtime_written(const Cg *cg, const char *text)
{
	for (int k = 0; k < cg->nruntimes; k++)
		if (cg->runtimes[k] == text)
			return true;
	assert(cg->nruntimes < CG_MAX_RUNTIMES); /* one per RT_ONDEMAND header at most */
	return false;
}

static int emit_kernel(Cg *cg, uint32_t i, const char *fn)
{
	const Graph *g = cg->g;
	const Node *n = ir_node(g, i);
	const OpDef *def = op_def(n->op);
	if (!def->emit)
		return ir_node_error(cg->d, g, n, "cannot generate code for this operator");
	const char **in = calloc((size_t)n->ninputs + 1, sizeof *in);
	const char **out = calloc((size_t)n->noutputs + 1, sizeof *out);
	char *pnames = calloc((size_t)(n->ninputs + n->noutputs) + 1, 16);
	Out body, decls, sig;
	out_init(&body);
	out_init(&decls);
	out_init(&sig);
	int rc = -1;
	if (!in || !out || !pnames) {
		diag_error(cg->d, "out of memory");
		goto done;
	}
	bool status = def->flags & OPF_STATUS;
	out_printf(&sig, "static %s %s(", status ? "int" : "void", fn);
	int np = 0;
	for (int k = 0; k < n->ninputs; k++) {
		const Value *v = op_in(g, n, k);
		if (!v)
			continue;
		char *p = pnames + 16 * (size_t)k;
		snprintf(p, 16, "x%d", k);
		in[k] = p;
		if (v->dtype == DT_STRING)
			out_printf(&sig, "%sconst char *const *restrict %s", np++ ? ", " : "", p);
		else
			out_printf(&sig, "%sconst %s *restrict %s", np++ ? ", " : "", cg_ctype(v->dtype), p);
	}
	for (int k = 0; k < n->noutputs; k++) {
		const Value *v = op_outv(g, n, k);
		if (!v || v->data) /* constant outputs (set by infer) are not written */
			continue;
		char *p = pnames + 16 * (size_t)(n->ninputs + k);
		snprintf(p, 16, "y%d", k);
		out[k] = p;
		if (v->dtype == DT_STRING)
			out_printf(&sig, "%sconst char **restrict %s", np++ ? ", " : "", p);
		else
			out_printf(&sig, "%s%s *restrict %s", np++ ? ", " : "", cg_ctype(v->dtype), p);
	}
	if (n->scratch_bytes > 0)
		out_printf(&sig, "%svoid *restrict scratch", np++ ? ", " : "");
	if (!np)
		out_printf(&sig, "void");
	out_printf(&sig, ")");
	Emit e = {&body, &decls, g, n, cg->opt, fn, in, out, n->scratch_bytes > 0 ? "scratch" : NULL,
		  NULL};
	body.indent = 1;
	if (writes_nothing(g, n) && status)
		out_line(&body, "return 0;");
	else if (!writes_nothing(g, n) && def->emit(&e) < 0) {
		if (!cg->d->nerrors)
			ir_node_error(cg->d, g, n, "code generation failed");
		goto done;
	}
	Out *c = cg->c;
	if (e.runtime && !runtime_written(cg, e.runtime)) {
		out_printf(c, "\n%s", e.runtime);
		cg->runtimes[cg->nruntimes++] = e.runtime;
	}
	out_printf(c, "\n");
	out_comment(c, "node '%s' (%s, opset %d)", n->name, n->op_type, n->opset);
	if (decls.len)
		out_write(c, decls.buf, decls.len);
	out_write(c, sig.buf, sig.len);
	out_printf(c, "\n{\n");
	/* parameters the op did not use (optional operands it ignores) */
	for (int k = 0; k < n->ninputs + n->noutputs; k++) {
		const char *p = k < n->ninputs ? in[k] : out[k - n->ninputs];
		if (p && !mentions(body.buf, p))
			out_printf(c, "\t(void)%s;\n", p);
	}
	if (n->scratch_bytes > 0 && !mentions(body.buf, "scratch"))
		out_printf(c, "\t(void)scratch;\n");
	if (body.len)
		out_write(c, body.buf, body.len);
	out_printf(c, "}\n");
	rc = 0;
done:
	free(in);
	free(out);
	free(pnames);
	out_free(&body);
	out_free(&decls);
	out_free(&sig);
	return rc;
}

static bool is_view(const Graph *g, const Node *n)
{
	return n->noutputs > 0 && ir_out(n, 0) != IR_NONE && ir_value(g, ir_out(n, 0))->alias != IR_NONE;
}

static void emit_call(Cg *cg, Out *o, uint32_t i, const char *fn)
{
	const Graph *g = cg->g;
	const Node *n = ir_node(g, i);
	char buf[512];
	bool status = op_def(n->op)->flags & OPF_STATUS;
	out_printf(o, status ? "\tif (%s(" : "\t%s(", fn);
	int np = 0;
	for (int k = 0; k < n->ninputs; k++)
		if (ir_has_in(n, k))
			out_printf(o, "%s%s", np++ ? ", " : "", operand(cg, n->inputs[k], buf, sizeof buf));
	for (int k = 0; k < n->noutputs; k++)
		if (ir_out(n, k) != IR_NONE && !ir_value(g, n->outputs[k])->data)
			out_printf(o, "%s%s", np++ ? ", " : "", operand(cg, n->outputs[k], buf, sizeof buf));
	if (n->scratch_bytes > 0)
		out_printf(o, "%sws + %lld", np++ ? ", " : "", (long long)n->scratch_offset);
	if (status)
		out_printf(o, "))\n\t\treturn %d;\n", CG_RUN_BAD_INPUT);
	else
		out_printf(o, ");\n");
}

/* ------------------------------------------------------------ interface */

static void emit_io_tables(Cg *cg, const char *kind, const uint32_t *ids, int n)
{
	const Graph *g = cg->g;
	Out *c = cg->c;
	const char *P = cg->P;
	for (int i = 0; i < n; i++) {
		const Value *v = ir_value(g, ids[i]);
		out_printf(c, "static const int64_t %s_%s_%d_shape[%d] = {", P, kind, i,
			   v->shape.rank ? v->shape.rank : 1);
		for (int k = 0; k < v->shape.rank; k++)
			out_printf(c, "%s%lld", k ? ", " : "", (long long)v->shape.dims[k]);
		out_printf(c, "%s};\n", v->shape.rank ? "" : "0");
	}
	out_printf(c, "const size_t %s_%s_bytes[%d] = {", P, kind, n ? n : 1);
	for (int i = 0; i < n; i++)
		out_printf(c, "%s%lld", i ? ", " : "", (long long)ir_bytes(ir_value(g, ids[i])));
	out_printf(c, "%s};\n", n ? "" : "0");
	out_printf(c, "const char *const %s_%s_names[%d] = {", P, kind, n ? n : 1);
	for (int i = 0; i < n; i++) {
		out_printf(c, "%s\"", i ? ", " : "");
		cg_cstring(c, ir_value(g, ids[i])->name);
		out_printf(c, "\"");
	}
	out_printf(c, "%s};\n", n ? "" : "0");
	out_printf(c, "const int %s_%s_types[%d] = {", P, kind, n ? n : 1);
	for (int i = 0; i < n; i++)
		out_printf(c, "%s%d", i ? ", " : "", (int)ir_value(g, ids[i])->dtype);
	out_printf(c, "%s};\n", n ? "" : "0");
	out_printf(c, "const int %s_%s_ranks[%d] = {", P, kind, n ? n : 1);
	for (int i = 0; i < n; i++)
		out_printf(c, "%s%d", i ? ", " : "", ir_value(g, ids[i])->shape.rank);
	out_printf(c, "%s};\n", n ? "" : "0");
	out_printf(c, "const int64_t *const %s_%s_shapes[%d] = {", P, kind, n ? n : 1);
	for (int i = 0; i < n; i++)
		out_printf(c, "%s%s_%s_%d_shape", i ? ", " : "", P, kind, i);
	out_printf(c, "%s};\n", n ? "" : "0");
}

/* The comment above an input's or output's macros. Sequences and optionals are
   described element by element: their buffer holds the elements one after another. */
static void describe_io(Out *h, const char *kind, int i, const Value *v)
{
	char sh[256];
	bool seq = v->vtype == VT_SEQUENCE || (v->vtype == VT_OPTIONAL && v->inner == VT_SEQUENCE);
	if (v->vtype == VT_OPTIONAL && v->none) {
		out_comment(h, "%s %d: '%s' optional %s, empty: 0 bytes", kind, i, v->name,
			    dtype_name(v->dtype));
		return;
	}
	if (!seq) {
		out_comment(h, "%s %d: '%s' %s%s%s", kind, i, v->name,
			    v->vtype == VT_OPTIONAL ? "optional, holding " : "", dtype_name(v->dtype),
			    shape_str(&v->shape, sh, sizeof sh));
		return;
	}
	out_comment(h, "%s %d: '%s' %ssequence of %d %s tensors, one after another:", kind, i,
		    v->name, v->vtype == VT_OPTIONAL ? "optional, holding a " : "", v->nelems,
		    dtype_name(v->dtype));
	for (int k = 0; k < v->nelems; k++)
		out_comment(h, "  element %d: %s", k, shape_str(&v->elems[k], sh, sizeof sh));
}

static void emit_header(Cg *cg, const char *guard)
{
	const Graph *g = cg->g;
	Out *h = cg->h;
	const char *P = cg->P;
	out_printf(h, "/* %s.h - generated by cnnc %s from '", P, CNNC_VERSION);
	out_safe_text(h, g->file);
	out_printf(h, "'. Do not edit.\n *\n"
		      " * Contract (see DEVELOPERS.md of cnnc): tensors are dense, row-major, in their\n"
		      " * ONNX element type (bool: one byte; float16/bfloat16: uint16_t bit patterns;\n"
		      " * 4- and 2-bit types: one element per byte). %s_run() reads inputs[i] and\n"
		      " * writes outputs[i]; it needs %s_WORKSPACE_SIZE bytes of scratch, 64-byte\n"
		      " * aligned, and keeps no state between calls: threads may run it at once, each\n"
		      " * with its own workspace. It returns 0 on success, 1 for a NULL argument,\n"
		      " * 2 when an input fixed at compile time (--input-value) differs, and 4 when\n"
		      " * an input's contents cannot be processed (a corrupt encoded image).\n"
		      " * A sequence is passed as one buffer holding its elements one after another\n"
		      " * (the length and every element's shape are fixed at compile time and listed\n"
		      " * below); an optional as its element's buffer, of 0 bytes when it is empty.\n"
		      " * String tensors are arrays of char pointers; output strings point into the\n"
		      " * inputs, the model's constants or the workspace.\n */\n",
		   P, P);
	if (cg->bin)
		out_printf(h, "/* Built with --weights=file: the constants are in %s (%s_WEIGHTS_SIZE\n"
			      " * bytes), which the caller loads or maps, 64-byte aligned, and passes to\n"
			      " * %s_run_with_weights(); there is no %s_run(). %s_check_weights() verifies\n"
			      " * the whole image against %s_WEIGHTS_CHECKSUM (32-bit FNV-1a of the bytes\n"
			      " * after the 64-byte header) once, after loading. Both return 3 when the\n"
			      " * weights do not belong to this model.c (size, header or checksum).\n */\n",
			   cg->binname, P, P, P, P, P);
	out_printf(h, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n#include <stdint.h>\n\n", guard,
		   guard);
	out_printf(h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	out_printf(h, "#define %s_NUM_INPUTS %d\n", P, g->ninputs);
	out_printf(h, "#define %s_NUM_OUTPUTS %d\n", P, g->noutputs);
	out_printf(h, "#define %s_WORKSPACE_SIZE %lld\n", P, (long long)g->workspace_size);
	if (cg->bin) {
		/* the checksum finish_weights() stored in the header (little-endian) */
		const unsigned char *hp = (const unsigned char *)cg->bin->buf + 12;
		uint32_t sum = 0;
		for (int i = 0; i < 4; i++)
			sum |= (uint32_t)hp[i] << 8 * i;
		out_printf(h, "#define %s_WEIGHTS_SIZE %lld /* bytes of %s */\n", P,
			   (long long)cg->bin->len, cg->binname);
		out_printf(h, "#define %s_WEIGHTS_CHECKSUM 0x%08lxu /* FNV-1a of its bytes after the "
			      "header */\n", P, (unsigned long)sum);
	}
	out_printf(h, "\n");
	for (int pass = 0; pass < 2; pass++) {
		const uint32_t *ids = pass ? g->outputs : g->inputs;
		int n = pass ? g->noutputs : g->ninputs;
		const char *KIND = pass ? "OUTPUT" : "INPUT";
		for (int i = 0; i < n; i++) {
			const Value *v = ir_value(g, ids[i]);
			describe_io(h, pass ? "output" : "input", i, v);
			out_printf(h, "#define %s_%s_%d_TYPE %d\n", P, KIND, i, (int)v->dtype);
			out_printf(h, "#define %s_%s_%d_RANK %d\n", P, KIND, i, v->shape.rank);
			out_printf(h, "#define %s_%s_%d_SIZE %lld /* elements */\n", P, KIND, i,
				   (long long)ir_numel(v));
			out_printf(h, "#define %s_%s_%d_BYTES %lld\n", P, KIND, i, (long long)ir_bytes(v));
		}
	}
	out_printf(h, "\n/* Per input/output: bytes, name, ONNX element type (TensorProto.DataType),\n"
		      "   rank and dims. Arrays have at least one entry. */\n");
	static const char *const kinds[2] = {"input", "output"};
	for (int k = 0; k < 2; k++) {
		out_printf(h, "extern const size_t %s_%s_bytes[];\n", P, kinds[k]);
		out_printf(h, "extern const char *const %s_%s_names[];\n", P, kinds[k]);
		out_printf(h, "extern const int %s_%s_types[];\n", P, kinds[k]);
		out_printf(h, "extern const int %s_%s_ranks[];\n", P, kinds[k]);
		out_printf(h, "extern const int64_t *const %s_%s_shapes[];\n", P, kinds[k]);
	}
	if (cg->bin)
		out_printf(h, "\nint %s_run_with_weights(const void *weights, size_t weights_size,\n"
			      "\tconst void *const inputs[], void *const outputs[], void *workspace);\n"
			      "int %s_check_weights(const void *weights, size_t weights_size);\n", P, P);
	else
		out_printf(h, "\nint %s_run(const void *const inputs[], void *const outputs[], void *workspace);\n",
			   P);
	out_printf(h, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* Copies every graph output whose value does not live in its own output buffer. */
static void emit_output_copies(Cg *cg, Out *o)
{
	const Graph *g = cg->g;
	char buf[512];
	for (int k = 0; k < g->noutputs; k++) {
		uint32_t v = g->outputs[k];
		uint32_t r = ir_storage(g, v);
		const Value *root = ir_value(g, r);
		bool own = !root->data && !root->is_input && root->is_output &&
			   graph_index(g->outputs, g->noutputs, r) == k;
		int64_t bytes = ir_bytes(ir_value(g, v));
		if (own || bytes <= 0)
			continue;
		out_printf(o, "\tmemcpy(outputs[%d], %s, %lld);\n", k, operand(cg, v, buf, sizeof buf),
			   (long long)bytes);
	}
}

/* Fills in the weights file's header once every constant is in it: magic,
   byte-order mark (0x01020304 in this machine's order), checksum and size
   (little-endian). */
static void finish_weights(Out *bin)
{
	unsigned char *p = (unsigned char *)bin->buf;
	uint32_t bom = 0x01020304u;
	uint32_t sum = fnv1a(p + WEIGHTS_HEADER, bin->len - WEIGHTS_HEADER);
	uint64_t size = bin->len;
	memset(p, 0, WEIGHTS_HEADER);
	memcpy(p, weights_magic, sizeof weights_magic);
	memcpy(p + 8, &bom, 4);
	for (int i = 0; i < 4; i++)
		p[12 + i] = (unsigned char)(sum >> 8 * i);
	for (int i = 0; i < 8; i++)
		p[16 + i] = (unsigned char)(size >> 8 * i);
}

/* The weights helpers of model.c: the expected header, the cheap check P_run_with_weights
   does on every call, and P_check_weights, which also checksums the whole image. */
static void emit_weights_check(Cg *cg)
{
	Out *c = cg->c;
	const char *P = cg->P;
	const unsigned char *p = (const unsigned char *)cg->bin->buf;
	out_printf(c, "\n/* the first bytes of %s: magic, byte-order mark, checksum, size */\n"
		      "static const unsigned char weights_header[24] = {", cg->binname);
	for (int i = 0; i < 24; i++)
		out_printf(c, "%s%u", i ? ", " : "", p[i]);
	out_printf(c, "};\n\n");
	out_printf(c, "/* The header is this model's and the data is in this machine's byte order. */\n"
		      "static int weights_match(const unsigned char *wb, size_t size)\n{\n"
		      "\tuint32_t order;\n"
		      "\tif (size != (size_t)%s_WEIGHTS_SIZE || memcmp(wb, weights_header, 24) != 0)\n"
		      "\t\treturn 0;\n"
		      "\tmemcpy(&order, wb + 8, 4);\n"
		      "\treturn order == 0x01020304u;\n}\n\n", P);
	out_printf(c, "int %s_check_weights(const void *weights, size_t weights_size)\n{\n"
		      "\tconst unsigned char *const wb = (const unsigned char *)weights;\n"
		      "\tuint32_t sum = 2166136261u; /* FNV-1a */\n"
		      "\tif (!weights)\n\t\treturn 1;\n"
		      "\tif (!weights_match(wb, weights_size))\n\t\treturn 3;\n"
		      "\tfor (size_t i = %d; i < weights_size; i++) {\n"
		      "\t\tsum ^= wb[i];\n\t\tsum *= 16777619u;\n\t}\n"
		      "\treturn sum == %s_WEIGHTS_CHECKSUM ? 0 : 3;\n}\n", P, WEIGHTS_HEADER, P);
}

int cg_emit(const Graph *g, const Options *opt, const char *header_name, Out *c, Out *h, Out *bin,
	    Diag *d)
{
	bool file = opt && opt->weights_file;
	Cg cg = {.g = g, .opt = opt, .P = opt && opt->prefix ? opt->prefix : "model",
		 .names = names_new(), .c = c, .h = h, .bin = file ? bin : NULL, .d = d};
	if (file && !bin)
		return diag_error(d, "--weights=file needs somewhere to write the weights");
	cg.wname = calloc(g->nvalues + 1, sizeof *cg.wname);
	cg.woff = malloc((g->nvalues + 1) * sizeof *cg.woff);
	char **fns = calloc(g->nnodes + 1, sizeof *fns);
	int rc = -1;
	Out run;
	out_init(&run);
	if (!cg.names || !cg.wname || !cg.woff || !fns) {
		diag_error(d, "out of memory");
		goto done;
	}
	char guard[128];
	snprintf(guard, sizeof guard, "%s_H_CNNC", cg.P);
	for (char *p = guard; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	for (uint32_t v = 0; v <= g->nvalues; v++)
		cg.woff[v] = -1;
	size_t hn = strlen(header_name);
	if (hn >= 2 && strcmp(header_name + hn - 2, ".h") == 0)
		hn -= 2;
	snprintf(cg.binname, sizeof cg.binname, "%.*s.bin", (int)(hn < 200 ? hn : 200), header_name);
	for (char *p = cg.binname; *p; p++) /* safe inside a comment */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '+'))
			*p = '_';
	if (cg.bin) {
		static const char header[WEIGHTS_HEADER];
		out_write(cg.bin, header, sizeof header); /* filled in by finish_weights() */
	}

	out_printf(c, "/* %s.c - generated by cnnc %s. Do not edit; the interface is in %s. */\n",
		   cg.P, CNNC_VERSION, header_name);
	out_printf(c, "#include \"");
	cg_cstring(c, header_name);
	out_printf(c, "\"\n\n");
	if (opt && opt->target == TARGET_GENERIC)
		out_printf(c, "#define RT_NO_SIMD /* target generic: plain C99 */\n");
	out_printf(c, "%s\n", cg_runtime_text);
	/* a hook after each kernel, empty unless the build defines it (bench/profile.h) */
	out_printf(c, "#ifndef CNNC_PROFILE_NODE\n#define CNNC_PROFILE_NODE(index, kernel) ((void)0)\n"
		      "#endif\n\n");

	/* constants read at run time: node inputs, graph outputs, frozen inputs */
	bool *need = calloc(g->nvalues + 1, sizeof *need);
	if (!need) {
		diag_error(d, "out of memory");
		goto done;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const Node *n = ir_node(g, i);
		if (is_view(g, n))
			continue;
		for (int k = 0; k < n->ninputs; k++)
			if (ir_has_in(n, k))
				need[ir_storage(g, n->inputs[k])] = true;
	}
	for (int k = 0; k < g->noutputs; k++)
		if (ir_bytes(ir_value(g, g->outputs[k])) > 0) /* empty ones are never copied */
			need[ir_storage(g, g->outputs[k])] = true;
	for (int k = 0; k < g->ninputs; k++)
		if (ir_bytes(ir_value(g, g->inputs[k])) > 0) /* compared at run time */
			need[g->inputs[k]] = true;
	/* constants are most of model.c: stream them to the file, or reserve for them
	   once (about 3 characters a byte) rather than copy the text at every doubling */
	size_t cbytes = 0;
	for (uint32_t v = 0; v < g->nvalues; v++)
		if (need[v] && ir_value(g, v)->data)
			cbytes += (size_t)ir_storage_bytes(ir_value(g, v)) + WEIGHTS_ALIGN;
	if (cg.bin)
		out_reserve(cg.bin, cbytes); /* the image, with its alignment gaps */
	else if (!c->sink)
		out_reserve(c, cbytes * 3 + cbytes / 8 + 4096);
	for (uint32_t v = 0; v < g->nvalues; v++)
		if (need[v] && ir_value(g, v)->data) {
			emit_const(&cg, v);
			out_spill(c); /* to the output file, when it streams there */
		}
	free(need);
	if (cg.bin) {
		if (cg.bin->oom) {
			diag_error(d, "out of memory while writing the weights");
			goto done;
		}
		finish_weights(cg.bin);
		emit_weights_check(&cg);
	}
	emit_header(&cg, guard);

	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (is_view(g, ir_node(g, i)))
			continue;
		const char *fn = kernel_name(&cg, i);
		fns[i] = (char *)fn;
		if (emit_kernel(&cg, i, fn) < 0)
			goto done;
	}

	out_printf(c, "\n");
	emit_io_tables(&cg, "input", g->inputs, g->ninputs);
	emit_io_tables(&cg, "output", g->outputs, g->noutputs);

	if (cg.bin)
		out_printf(c, "\nint %s_run_with_weights(const void *weights, size_t weights_size,\n"
			      "\tconst void *const inputs[], void *const outputs[], void *workspace)\n{\n"
			      "\tconst unsigned char *const wb = (const unsigned char *)weights;\n", cg.P);
	else
		out_printf(c, "\nint %s_run(const void *const inputs[], void *const outputs[], void *workspace)\n{\n",
			   cg.P);
	bool uses_ws = g->workspace_size > 0;
	if (uses_ws)
		out_printf(c, "\tunsigned char *const ws = (unsigned char *)workspace;\n");
	out_printf(c, "\tif ((%s_NUM_INPUTS && !inputs) || (%s_NUM_OUTPUTS && !outputs)%s%s)\n\t\treturn 1;\n",
		   cg.P, cg.P, uses_ws ? " || !workspace" : "", cg.bin ? " || !weights" : "");
	if (cg.bin)
		out_printf(c, "\tif (!weights_match(wb, weights_size))\n\t\treturn 3;\n");
	if (!uses_ws)
		out_printf(c, "\t(void)workspace;\n");
	if (!g->ninputs)
		out_printf(c, "\t(void)inputs;\n");
	for (int k = 0; k < g->ninputs; k++) {
		const Value *v = ir_value(g, g->inputs[k]);
		if (v->data && ir_bytes(v) > 0 && v->dtype == DT_STRING)
			out_printf(c, "\tfor (size_t i = 0; i < %lld; i++)\n\t\tif (strcmp(((const char "
				      "*const *)inputs[%d])[i], %s[i]) != 0)\n\t\t\treturn 2;\n",
				   (long long)ir_numel(v), k, cg.wname[g->inputs[k]]);
		else if (v->data && ir_bytes(v) > 0 && cg.woff[g->inputs[k]] >= 0)
			out_printf(c, "\tif (memcmp(inputs[%d], wb + %lld, %lld) != 0)\n\t\treturn 2;\n", k,
				   (long long)cg.woff[g->inputs[k]], (long long)ir_bytes(v));
		else if (v->data && ir_bytes(v) > 0)
			out_printf(c, "\tif (memcmp(inputs[%d], %s.b, %lld) != 0)\n\t\treturn 2;\n", k,
				   cg.wname[g->inputs[k]], (long long)ir_bytes(v));
	}
	out_printf(c, "\tCNNC_PROFILE_NODE(-1, \"start\");\n");
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (fns[i]) {
			emit_call(&cg, c, i, fns[i]);
			out_printf(c, "\tCNNC_PROFILE_NODE(%u, \"%s\");\n", i, fns[i]);
		}
	emit_output_copies(&cg, c);
	out_printf(c, "\treturn 0;\n}\n");
	if (c->oom || h->oom) {
		diag_error(d, "out of memory while generating code");
		goto done;
	}
	rc = 0;
done:
	out_free(&run);
	free(fns);
	free(cg.wname);
	free(cg.woff);
	names_free(cg.names);
	return rc;
}
