/* arena.c - bump allocator that owns everything in a Graph.
 *
 * Memory is handed out from 1 MiB chunks; a request larger than a quarter chunk
 * gets a chunk of its own so big constant tensors waste nothing. Nothing is freed
 * piecemeal: arena_free() releases all chunks at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define CHUNK_SIZE (1u << 20)
#define ALIGN 64

typedef struct Chunk {
	struct Chunk *next;
	size_t used, cap;
	unsigned char *mem;
	void *raw; /* what to free: mem, or the calloc block mem lies in */
} Chunk;

struct Arena {
	Chunk *head; /* current chunk for small allocations */
	Chunk *big;  /* dedicated chunks of large allocations */
};

/* A chunk of cap bytes, 64-byte aligned and zeroed. calloc gives large blocks
   straight from fresh (zero) pages, so a big tensor is not cleared twice. */
static Chunk *chunk_new(size_t cap)
{
	Chunk *c = malloc(sizeof *c);
	if (!c)
		return NULL;
	cap = (cap + ALIGN - 1) / ALIGN * ALIGN;
	c->raw = calloc(1, cap + ALIGN);
	if (!c->raw) {
		free(c);
		return NULL;
	}
	uintptr_t p = (uintptr_t)c->raw;
	c->mem = (unsigned char *)c->raw + (ALIGN - p % ALIGN) % ALIGN;
	c->used = 0;
	c->cap = cap;
	c->next = NULL;
	return c;
}

Arena *arena_new(void)
{
	return calloc(1, sizeof(Arena));
}

static void free_chain(Chunk *c)
{
	while (c) {
		Chunk *next = c->next;
		free(c->raw);
		free(c);
		c = next;
	}
}

void arena_free(Arena *a)
{
	if (!a)
		return;
	free_chain(a->head);
	free_chain(a->big);
	free(a);
}

void *arena_alloc(Arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		return NULL;
	size = (size + ALIGN - 1) / ALIGN * ALIGN;
	if (size > CHUNK_SIZE / 4) {
		Chunk *c = chunk_new(size);
		if (!c)
			return NULL;
		c->next = a->big;
		a->big = c;
		return c->mem; /* zeroed by calloc */
	}
	if (!a->head || a->head->cap - a->head->used < size) {
		Chunk *c = chunk_new(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	void *p = a->head->mem + a->head->used;
	a->head->used += size;
	return p; /* chunks start zeroed and are never reused */
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		if (n) /* protobuf-c gives NULL for an empty string */
			memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *arena_strdup(Arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void *arena_memdup(Arena *a, const void *p, size_t size)
{
	void *q = arena_alloc(a, size);
	if (q && size)
		memcpy(q, p, size);
	return q;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
