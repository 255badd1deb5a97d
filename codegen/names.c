/* names.c - C identifiers from ONNX names, unique and never a keyword.
 *
 * ONNX names are arbitrary strings ("conv1/weight:0", "", "int", names that
 * differ only in punctuation). Every character outside [A-Za-z0-9_] becomes '_',
 * runs of '_' are kept short, names are capped at 48 characters, and a numeric
 * suffix resolves collisions. Prefixes (w_, k12_) keep results clear of C
 * keywords and of the user's P_ symbols.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

#define MAX_IDENT 48

struct NameSet {
	char **items;
	size_t n, cap; /* open addressing; cap is a power of two */
};

NameSet *names_new(void)
{
	NameSet *s = calloc(1, sizeof *s);
	if (s) {
		s->cap = 256;
		s->items = calloc(s->cap, sizeof *s->items);
		if (!s->items) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void names_free(NameSet *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->items[i]);
	free(s->items);
	free(s);
}

static size_t hash(const char *p)
{
	size_t h = 5381;
	for (; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h;
}

static bool contains(const NameSet *s, const char *name)
{
	for (size_t h = hash(name) & (s->cap - 1); s->items[h]; h = (h + 1) & (s->cap - 1))
		if (strcmp(s->items[h], name) == 0)
			return true;
	return false;
}

static const char *insert(NameSet *s, const char *name)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap * 2;
		char **items = calloc(ncap, sizeof *items);
		if (!items)
			return NULL;
		for (size_t i = 0; i < s->cap; i++)
			if (s->items[i]) {
				size_t h = hash(s->items[i]) & (ncap - 1);
				while (items[h])
					h = (h + 1) & (ncap - 1);
				items[h] = s->items[i];
			}
		free(s->items);
		s->items = items;
		s->cap = ncap;
	}
	size_t h = hash(name) & (s->cap - 1);
	while (s->items[h])
		h = (h + 1) & (s->cap - 1);
	s->items[h] = strdup(name);
	if (!s->items[h])
		return NULL;
	s->n++;
	return s->items[h];
}

void cg_identifier(const char *raw, char *buf, size_t n)
{
	size_t k = 0;
	for (const char *p = raw; *p && k + 1 < n && k < MAX_IDENT; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!ok)
			c = '_';
		if (c == '_' && k > 0 && buf[k - 1] == '_')
			continue;
		buf[k++] = c;
	}
	while (k > 0 && buf[k - 1] == '_')
		k--;
	buf[k] = 0;
	if (k == 0 && n > 2)
		snprintf(buf, n, "m");
	if (buf[0] >= '0' && buf[0] <= '9') {
		char tmp[MAX_IDENT + 8];
		snprintf(tmp, sizeof tmp, "m%s", buf);
		snprintf(buf, n, "%s", tmp);
	}
}

const char *names_make(NameSet *s, const char *prefix, const char *raw)
{
	char base[MAX_IDENT + 16], id[MAX_IDENT + 40];
	cg_identifier(raw, base, sizeof base);
	snprintf(id, sizeof id, "%s%s", prefix, base);
	for (unsigned k = 2; contains(s, id); k++)
		snprintf(id, sizeof id, "%s%s_%u", prefix, base, k);
	return insert(s, id);
}

void cg_cstring(Out *o, const char *raw)
{
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p == '"' || *p == '\\')
			out_printf(o, "\\%c", *p);
		else if (*p == '?')
			out_printf(o, "\\?"); /* no trigraphs */
		else if (*p < 0x20 || *p >= 0x7f)
			out_printf(o, "\\%03o", *p);
		else
			out_write(o, (const char *)p, 1);
	}
}
