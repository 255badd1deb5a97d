/* arena.c - bump allocator that owns everything in a Graph, and big zeroed blocks.
 *
 * Memory is handed out from 1 MiB chunks; requests larger than a quarter chunk come
 * from 64 MiB regions of huge pages (or a region of their own). Nothing is freed
 * piecemeal: arena_free() releases all chunks at once.
 *
 * A big model moves hundreds of megabytes through fresh memory (the file, its
 * constants, folded and packed weights); with 4 KiB pages, faulting them in cost
 * about a third of compiling ResNet-50. mem_big_alloc() maps blocks of 2 MiB and
 * more as transparent huge pages where Linux offers them (512x fewer faults).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "ir.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* Header in front of a big block: where the mapping starts and how long it is. */
typedef struct BigHead {
	void *base;
	size_t len; /* 0: the block came from calloc */
} BigHead;
#define BIG_HEAD 64 /* header slot, keeps the block 64-byte aligned */

/* A zeroed block of size bytes, 64-byte aligned, backed by huge pages where the OS
   offers them; free with mem_big_free(). */
static void *mem_big_alloc(size_t size)
{
	if (size > SIZE_MAX - 2 * HUGE_PAGE)
		return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (size >= HUGE_PAGE) {
		/* over-map by one huge page so the block can start on a 2 MiB boundary */
		size_t len = size + BIG_HEAD + HUGE_PAGE;
		void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base != MAP_FAILED) {
			uintptr_t p = ((uintptr_t)base + BIG_HEAD + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
			madvise(base, len, MADV_HUGEPAGE); /* start must be page-aligned */
			BigHead *h = (BigHead *)(p - BIG_HEAD);
			h->base = base;
			h->len = len;
			return (void *)p;
		}
	}
#endif
	unsigned char *raw = calloc(1, size + BIG_HEAD);
	if (!raw)
		return NULL;
	BigHead *h = (BigHead *)raw;
	h->base = raw;
	h->len = 0;
	return raw + BIG_HEAD;
}

static void mem_big_free(void *p)
{
	if (!p)
		return;
	BigHead *h = (BigHead *)((unsigned char *)p - BIG_HEAD);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (h->len) {
		munmap(h->base, h->len);
		return;
	}
#endif
	free(h->base);
}

#define CHUNK_SIZE (1u << 20)
#define BIG_REGION ((size_t)64 << 20)
#define ALIGN 64

typedef struct Chunk {
	struct Chunk *next;
	size_t used, cap;
	unsigned char *mem;
	void *raw; /* what to free: the calloc block mem lies in, or NULL (a big block) */
} Chunk;

struct Arena {
	Chunk *head; /* current chunk for small allocations */
	Chunk *big;  /* dedicated chunks of large allocations */
};

/* A chunk of cap bytes, 64-byte aligned and zeroed. calloc and mmap give large
   blocks straight from fresh (zero) pages, so a big tensor is not cleared twice. */
static Chunk *chunk_new(size_t cap)
{
	Chunk *c = malloc(sizeof *c);
	if (!c)
		return NULL;
	cap = (cap + ALIGN - 1) / ALIGN * ALIGN;
	if (cap >= HUGE_PAGE) {
		c->raw = NULL;
		c->mem = mem_big_alloc(cap);
		if (!c->mem) {
			free(c);
			return NULL;
		}
	} else {
		c->raw = calloc(1, cap + ALIGN);
		if (!c->raw) {
			free(c);
			return NULL;
		}
		uintptr_t p = (uintptr_t)c->raw;
		c->mem = (unsigned char *)c->raw + (ALIGN - p % ALIGN) % ALIGN;
	}
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
		if (c->raw)
			free(c->raw);
		else
			mem_big_free(c->mem);
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

/* Keeps the newest chunk of c's chain, cleared up to what was used; frees the rest. */
static Chunk *keep_first(Chunk *c)
{
	if (!c)
		return NULL;
	free_chain(c->next);
	c->next = NULL;
	memset(c->mem, 0, c->used);
	c->used = 0;
	return c;
}

void arena_reset(Arena *a)
{
	a->head = keep_first(a->head);
	a->big = keep_first(a->big);
}

/* size bytes (at most CHUNK_SIZE / 4) at a multiple of align from the current chunk */
static void *small_alloc(Arena *a, size_t size, size_t align)
{
	size_t at = a->head ? (a->head->used + align - 1) / align * align : 0;
	if (!a->head || a->head->cap < at || a->head->cap - at < size) {
		Chunk *c = chunk_new(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
		at = 0;
	}
	a->head->used = at + size;
	return a->head->mem + at; /* chunks start zeroed; arena_reset clears what it reuses */
}

void *arena_alloc_small(Arena *a, size_t size)
{
	if (size > CHUNK_SIZE / 4)
		return arena_alloc(a, size);
	return small_alloc(a, size ? (size + 15) / 16 * 16 : 16, 16);
}

void *arena_alloc(Arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		return NULL;
	size = (size + ALIGN - 1) / ALIGN * ALIGN;
	if (size > CHUNK_SIZE / 4) {
		/* large blocks share regions of BIG_REGION bytes (huge pages), or get one of
		   their own; a region's untouched tail costs address space, not memory */
		if (!a->big || a->big->cap - a->big->used < size) {
			Chunk *c = chunk_new(size > BIG_REGION ? size : BIG_REGION);
			if (!c)
				return NULL;
			c->next = a->big;
			a->big = c;
		}
		void *p = a->big->mem + a->big->used;
		a->big->used += size;
		return p; /* zeroed by calloc or mmap */
	}
	return small_alloc(a, size, ALIGN);
}

static bool chain_owns(const Chunk *c, uintptr_t p)
{
	for (; c; c = c->next)
		if (p >= (uintptr_t)c->mem && p < (uintptr_t)c->mem + c->used)
			return true;
	return false;
}

bool arena_owns(const Arena *a, const void *p)
{
	return chain_owns(a->head, (uintptr_t)p) || chain_owns(a->big, (uintptr_t)p);
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
