/* out.c - the text buffer behind all C emission. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

void out_init(Out *o)
{
	memset(o, 0, sizeof *o);
}

void out_free(Out *o)
{
	free(o->buf);
	memset(o, 0, sizeof *o);
}

static bool reserve(Out *o, size_t extra)
{
	if (o->oom)
		return false;
	if (o->len + extra + 1 <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + extra + 1)
		cap *= 2;
	char *p = realloc(o->buf, cap);
	if (!p) {
		o->oom = true;
		return false;
	}
	o->buf = p;
	o->cap = cap;
	return true;
}

void out_spill(Out *o)
{
	if (!o->sink || o->len < ((size_t)4 << 20) || o->oom)
		return;
	if (fwrite(o->buf, 1, o->len, o->sink) != o->len)
		o->failed = true;
	o->len = 0;
	o->buf[0] = 0;
}

void out_reserve(Out *o, size_t extra)
{
	reserve(o, extra);
}

char *out_claim(Out *o, size_t n)
{
	return reserve(o, n) ? o->buf + o->len : NULL;
}

void out_commit(Out *o, size_t k)
{
	o->len += k;
	o->buf[o->len] = 0;
}

void out_write(Out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

void out_vprintf(Out *o, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !reserve(o, (size_t)n))
		return;
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	o->len += (size_t)n;
}

void out_printf(Out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_vprintf(o, fmt, ap);
	va_end(ap);
}

static void put_indent(Out *o)
{
	for (int i = 0; i < o->indent; i++)
		out_write(o, "\t", 1);
}

void out_line(Out *o, const char *fmt, ...)
{
	if (fmt[0] == '}' && o->indent > 0)
		o->indent--;
	if (fmt[0])
		put_indent(o);
	va_list ap;
	va_start(ap, fmt);
	size_t start = o->len;
	out_vprintf(o, fmt, ap);
	va_end(ap);
	if (!o->oom && o->len > start && o->buf[o->len - 1] == '{')
		o->indent++;
	out_write(o, "\n", 1);
}

void out_append(Out *o, const Out *src)
{
	if (!src->len)
		return;
	const char *p = src->buf, *end = src->buf + src->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (n > 1)
			put_indent(o);
		out_write(o, p, n);
		p += n;
	}
}

void out_safe_text(Out *o, const char *text)
{
	for (const char *p = text; *p; p++) {
		char c = *p;
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			c = '?';
		if (c == '/' && p > text && p[-1] == '*')
			c = '|'; /* no comment end */
		if (c == '*' && p > text && p[-1] == '/')
			c = '|'; /* no nested comment start */
		if (c == '?' && p[1] == '?')
			c = '_'; /* no trigraphs */
		if (c == '\\')
			c = '|'; /* no line splices */
		out_write(o, &c, 1);
	}
}

void out_comment(Out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put_indent(o);
	out_printf(o, "/* ");
	out_safe_text(o, buf);
	out_printf(o, " */\n");
}
