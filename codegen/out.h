/* out.h - an in-memory text buffer with indentation, for emitting C.
 *
 * out_line() is the workhorse: it writes one line at the current indent, and a
 * line ending in '{' indents what follows while one starting with '}' dedents
 * itself, so emitters write C the way it reads.
 */
#ifndef CNNC_OUT_H
#define CNNC_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct Out {
	char *buf;
	size_t len, cap;
	int indent;
	bool oom;    /* set when an allocation failed; the text is then incomplete */
	FILE *sink;  /* if set, out_spill() moves the text written so far there */
	bool failed; /* a write to sink failed */
} Out;

void out_init(Out *o);
void out_free(Out *o);
/* Appends formatted text, no indent, no newline. */
void out_printf(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_vprintf(Out *o, const char *fmt, va_list ap);
void out_write(Out *o, const char *s, size_t n);
/* Room for n more bytes written in place: where they go, or NULL when memory ran
   out; out_commit(o, k) then appends the k <= n bytes written there. */
char *out_claim(Out *o, size_t n);
void out_commit(Out *o, size_t k);
/* With a sink, writes the buffered text to it once it is large and empties the
   buffer (for the megabytes of constants of a big model); call only between lines. */
void out_spill(Out *o);
/* Makes room for extra more bytes at once (no copies while a large text grows). */
void out_reserve(Out *o, size_t extra);
/* One indented line; see above for '{' and '}'. */
void out_line(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends all of src (its lines re-indented by o's indent). */
void out_append(Out *o, const Out *src);
/* Writes text that is safe inside a C comment: no comment markers, newlines,
   trigraphs or backslashes (model names are arbitrary bytes). */
void out_safe_text(Out *o, const char *text);
/* Writes an indented one-line C comment of safe text. */
void out_comment(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
