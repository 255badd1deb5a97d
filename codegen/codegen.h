/* codegen.h - writing model.c and model.h from a planned graph. */
#ifndef CNNC_CODEGEN_H
#define CNNC_CODEGEN_H

#include "ir.h"
#include "out.h"

/* The runtime support text copied into every model.c (generated from runtime/). */
extern const char cg_runtime_text[];

/* Emits the C source into c and the header into h, for a graph that has been
   through the whole pipeline. header_name is what model.c #includes. With
   opt->weights_file the constants go to bin (the bytes of P.bin; bin may be NULL
   otherwise). Returns 0, or -1 with a diagnostic. */
int cg_emit(const Graph *g, const Options *opt, const char *header_name, Out *c, Out *h, Out *bin,
	    Diag *d);

/* ------------------------------------------------------------ names.c */
typedef struct NameSet NameSet;
NameSet *names_new(void);
void names_free(NameSet *s);
/* A valid C identifier made of prefix and raw, unique within s (a suffix is added
   on collision); the result is owned by s. */
const char *names_make(NameSet *s, const char *prefix, const char *raw);
/* Writes raw as the body of a C string literal (escaped, without quotes). */
void cg_cstring(Out *o, const char *raw);
/* Turns raw into a valid identifier in buf (for --name defaults). */
void cg_identifier(const char *raw, char *buf, size_t n);

#endif
