/* load.c - reading files, and a guard against hostile protobuf nesting.
 *
 * protobuf-c unpacks recursively, so a file of a few megabytes that nests
 * GraphProto inside AttributeProto a hundred thousand times would overflow the
 * stack. fe_check_nesting() walks the wire format first with the generated
 * descriptors, iteratively bounded, and refuses nesting deeper than FE_MAX_DEPTH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__unix__)
#include <sys/mman.h>
#ifdef MAP_POPULATE
#define FE_MAP_FLAGS MAP_POPULATE /* map the cached pages now, not by a fault each */
#else
#define FE_MAP_FLAGS 0
#endif
#endif

#include "fe_internal.h"

#define FE_MAX_DEPTH 64

/* Files of at least this size are mapped, not read: their pages are the page cache's,
   so a 100 MB model costs no copy and no fresh memory. (A file truncated by another
   process while cnnc reads it would fault, as it would for any mapping reader.) */
#define FE_MAP_MIN ((size_t)1 << 20)

int fe_read_file(const char *path, int64_t max, unsigned char **data, size_t *len, Diag *d)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return diag_error(d, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_error(d, "cannot read '%s': not a regular file", path);
	if (st.st_size > max)
		return diag_error(d, "'%s' is %lld bytes, more than the limit of %lld", path,
				  (long long)st.st_size, (long long)max);
	FILE *f = fopen(path, "rb");
	if (!f)
		return diag_error(d, "cannot read '%s': %s", path, strerror(errno));
	size_t n = (size_t)st.st_size;
	unsigned char *p = NULL;
#if defined(__unix__)
	if (n >= FE_MAP_MIN) {
		void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE | FE_MAP_FLAGS, fileno(f), 0);
		if (m == MAP_FAILED) /* e.g. a file system without mmap: read into a mapping */
			m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		else
			n = 0; /* nothing to read */
		if (m == MAP_FAILED) {
			fclose(f);
			return diag_error(d, "out of memory reading '%s'", path);
		}
		p = m;
	}
#endif
	if (!p)
		p = malloc(n ? n : 1);
	if (!p) {
		fclose(f);
		return diag_error(d, "out of memory reading '%s'", path);
	}
	size_t got = n ? fread(p, 1, n, f) : 0;
	fclose(f);
	if (got != n) {
		fe_free_file(p, (size_t)st.st_size);
		return diag_error(d, "cannot read '%s': short read", path);
	}
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

void fe_free_file(unsigned char *data, size_t len)
{
#if defined(__unix__)
	if (len >= FE_MAP_MIN) {
		munmap(data, len);
		return;
	}
#endif
	free(data);
}

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Returns the depth of the deepest message in [p, end) of type desc, or -1 when
   the bytes are not well formed (unpack will then report them), capped at limit. */
static int depth_of(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end,
		    int limit)
{
	int deepest = 1;
	if (limit <= 0)
		return 1;
	while (p < end) {
		uint64_t key, len;
		if (read_varint(&p, end, &key) < 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (read_varint(&p, end, &len) < 0)
				return -1;
			break;
		case 1:
			if (end - p < 8)
				return -1;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return -1;
			p += 4;
			break;
		case 2: {
			if (read_varint(&p, end, &len) < 0 || len > (uint64_t)(end - p))
				return -1;
			const ProtobufCFieldDescriptor *f =
				protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				int sub = depth_of(f->descriptor, p, p + len, limit - 1);
				if (sub < 0)
					return -1;
				if (sub + 1 > deepest)
					deepest = sub + 1;
				if (deepest > limit)
					return deepest;
			}
			p += len;
			break;
		}
		default:
			return -1;
		}
	}
	return deepest;
}

int fe_check_nesting(const uint8_t *buf, size_t len, Diag *d)
{
	int depth = depth_of(&onnx__model_proto__descriptor, buf, buf + len, FE_MAX_DEPTH + 1);
	if (depth > FE_MAX_DEPTH)
		return diag_error(d, "messages nest more than %d deep; refusing the model", FE_MAX_DEPTH);
	return 0;
}
