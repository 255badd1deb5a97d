/* tensor.c - TensorProto -> Tensor: typed fields, raw_data, external data files.
 *
 * Every size is checked before anything is copied: element counts against
 * CNNC_MAX_TENSOR_BYTES, raw_data against the exact byte length, typed fields
 * against the element count. External data must be a regular file inside the
 * model's folder (ExternalData.md), read at the given offset and length.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fe_internal.h"

/* Reads the external data of a tensor: `bytes` bytes into dst. */
static int read_external(const Onnx__TensorProto *tp, const char *dir, void *dst, int64_t bytes,
			 const char *what, Diag *d)
{
	const char *location = NULL;
	int64_t offset = 0, length = -1;
	for (size_t i = 0; i < tp->n_external_data; i++) {
		const Onnx__StringStringEntryProto *e = tp->external_data[i];
		if (!e->key || !e->value)
			continue;
		if (strcmp(e->key, "location") == 0)
			location = e->value;
		else if (strcmp(e->key, "offset") == 0)
			offset = strtoll(e->value, NULL, 10);
		else if (strcmp(e->key, "length") == 0)
			length = strtoll(e->value, NULL, 10);
	}
	if (!location || !*location)
		return diag_error(d, "%s: external data without a location", what);
	if (!dir)
		return diag_error(d, "%s: external data is not allowed here", what);
	if (location[0] == '/' || strstr(location, ".."))
		return diag_error(d, "%s: external data location '%s' leaves the model's folder",
				  what, location);
	if (offset < 0 || (length >= 0 && length != bytes))
		return diag_error(d, "%s: external data has length %lld, expected %lld bytes", what,
				  (long long)length, (long long)bytes);
	char path[PATH_MAX], real[PATH_MAX], realdir[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, location) >= (int)sizeof path)
		return diag_error(d, "%s: external data path too long", what);
	if (!realpath(dir, realdir) || !realpath(path, real))
		return diag_error(d, "%s: cannot open external data '%s': %s", what, location,
				  strerror(errno));
	size_t dl = strlen(realdir);
	if (strncmp(real, realdir, dl) != 0 || real[dl] != '/')
		return diag_error(d, "%s: external data location '%s' leaves the model's folder",
				  what, location);
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return diag_error(d, "%s: external data '%s' is not a regular file", what, location);
	if (offset > st.st_size || bytes > st.st_size - offset)
		return diag_error(d, "%s: external data '%s' is too short", what, location);
	FILE *f = fopen(real, "rb");
	if (!f)
		return diag_error(d, "%s: cannot open external data '%s'", what, location);
	int rc = 0;
	if (fseeko(f, (off_t)offset, SEEK_SET) != 0 ||
	    (bytes && fread(dst, 1, (size_t)bytes, f) != (size_t)bytes))
		rc = diag_error(d, "%s: cannot read external data '%s'", what, location);
	fclose(f);
	return rc;
}

/* 4- and 2-bit types are packed in ONNX storage; cnnc keeps one element per byte. */
static int sub_byte_bits(DType t)
{
	switch (t) {
	case DT_INT4: case DT_UINT4: case DT_FLOAT4E2M1: return 4;
	case DT_INT2: case DT_UINT2: return 2;
	default: return 0;
	}
}

static void unpack_bits(DType t, const uint8_t *src, uint8_t *dst, int64_t n)
{
	int bits = sub_byte_bits(t);
	int per = 8 / bits;
	uint8_t mask = (uint8_t)((1u << bits) - 1);
	bool sign = t == DT_INT4 || t == DT_INT2;
	for (int64_t i = 0; i < n; i++) {
		uint8_t v = (uint8_t)((src[i / per] >> ((i % per) * bits)) & mask);
		if (sign && (v >> (bits - 1)))
			v = (uint8_t)(v | (uint8_t)~mask);
		dst[i] = v;
	}
}

static void *arena_pb_alloc(void *data, size_t size)
{
	return size < 64 ? arena_alloc_small(data, size) : arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *p)
{
	(void)data;
	(void)p; /* the arena frees everything at once */
}

ProtobufCAllocator fe_proto_allocator(Arena *a)
{
	ProtobufCAllocator al = {arena_pb_alloc, arena_pb_free, a};
	return al;
}

int fe_tensor_from_proto(const Onnx__TensorProto *tp, Arena *a, const char *dir, Tensor *t,
			 bool borrow, Diag *d)
{
	const char *what = tp->name && *tp->name ? tp->name : "tensor";
	char buf[300];
	snprintf(buf, sizeof buf, "tensor '%.200s'", what);
	what = buf;
	memset(t, 0, sizeof *t);
	if (!tp->has_data_type || !dtype_valid(tp->data_type))
		return diag_error(d, "%s: unsupported element type %d", what, (int)tp->data_type);
	DType dt = (DType)tp->data_type;
	if (tp->n_dims > CNNC_MAX_RANK)
		return diag_error(d, "%s: rank %zu is more than %d", what, tp->n_dims, CNNC_MAX_RANK);
	t->dtype = dt;
	t->shape.rank = (int)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0)
			return diag_error(d, "%s: negative dim %lld", what, (long long)tp->dims[i]);
		t->shape.dims[i] = tp->dims[i];
	}
	int64_t n = shape_numel(&t->shape);
	int64_t bytes = n < 0 ? -1 : dtype_bytes(dt, n);
	if (bytes < 0)
		return diag_error(d, "%s: shape is too large", what);
	bool external = tp->has_data_location &&
			tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	/* raw_data is little-endian; arena blocks are 64-byte aligned, so a borrowed
	   buffer is as good as a copy (a 100 MB model need not be copied twice) */
	if (borrow && !external && tp->has_raw_data && dt != DT_STRING && !sub_byte_bits(dt) &&
	    (int64_t)tp->raw_data.len == bytes && bytes > 0 &&
	    (uintptr_t)tp->raw_data.data % 64 == 0) {
		t->data = tp->raw_data.data;
		return 0;
	}
	t->data = arena_alloc(a, (size_t)bytes);
	if (!t->data)
		return diag_error(d, "%s: out of memory", what);

	if (dt == DT_STRING) {
		if ((int64_t)tp->n_string_data != n)
			return diag_error(d, "%s: has %zu strings, expected %lld", what,
					  tp->n_string_data, (long long)n);
		const char **s = t->data;
		for (int64_t i = 0; i < n; i++)
			s[i] = arena_strndup(a, (const char *)tp->string_data[i].data,
					     tp->string_data[i].len);
		return 0;
	}
	int bits = sub_byte_bits(dt);
	int64_t stored = bits ? (n * bits + 7) / 8 : bytes; /* bytes on the wire */
	if (external || tp->has_raw_data) {
		uint8_t *src;
		if (external) {
			src = bits ? arena_alloc(a, (size_t)stored + 1) : t->data;
			if (!src || read_external(tp, dir, src, stored, what, d) < 0)
				return -1;
		} else {
			if ((int64_t)tp->raw_data.len != stored)
				return diag_error(d, "%s: raw_data has %zu bytes, expected %lld", what,
						  tp->raw_data.len, (long long)stored);
			src = tp->raw_data.data;
		}
		if (bits)
			unpack_bits(dt, src, t->data, n);
		else if (src != t->data && bytes)
			memcpy(t->data, src, (size_t)bytes);
		return 0;
	}
	/* typed fields */
	size_t have;
	switch (dt) {
	case DT_FLOAT: have = tp->n_float_data; break;
	case DT_DOUBLE: have = tp->n_double_data; break;
	case DT_INT64: have = tp->n_int64_data; break;
	case DT_UINT32: case DT_UINT64: have = tp->n_uint64_data; break;
	default: have = tp->n_int32_data; break;
	}
	int64_t want = bits ? (n * bits + 7) / 8 : n; /* packed: one byte per int32 */
	if ((int64_t)have != want)
		return diag_error(d, "%s: has %zu values, expected %lld", what, have, (long long)want);
	if (n == 0) /* empty: the typed field may be NULL */
		return 0;
	switch (dt) {
	case DT_FLOAT: memcpy(t->data, tp->float_data, (size_t)bytes); break;
	case DT_DOUBLE: memcpy(t->data, tp->double_data, (size_t)bytes); break;
	case DT_INT64: memcpy(t->data, tp->int64_data, (size_t)bytes); break;
	case DT_UINT32:
		for (int64_t i = 0; i < n; i++)
			((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
		break;
	case DT_UINT64: memcpy(t->data, tp->uint64_data, (size_t)bytes); break;
	default:
		if (bits) {
			uint8_t *packed = arena_alloc(a, (size_t)want + 1);
			if (!packed)
				return diag_error(d, "%s: out of memory", what);
			for (int64_t i = 0; i < want; i++)
				packed[i] = (uint8_t)tp->int32_data[i];
			unpack_bits(dt, packed, t->data, n);
		} else {
			/* int32_data carries int8..int32, bool, and the bit patterns of
			   float16/bfloat16/float8 */
			for (int64_t i = 0; i < n; i++) {
				int32_t v = tp->int32_data[i];
				switch (dtype_info(dt)->size) {
				case 1: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
				case 2: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
				default: ((int32_t *)t->data)[i] = v; break;
				}
			}
		}
		break;
	}
	return 0;
}

int fe_load_tensor_file(const char *path, Arena *a, Tensor *t, const char **name, Diag *d)
{
	unsigned char *buf;
	size_t len;
	if (fe_read_file(path, FE_MAX_FILE_BYTES, &buf, &len, d) < 0)
		return -1;
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	fe_free_file(buf, len);
	if (!tp)
		return diag_error(d, "'%s' is not a valid TensorProto", path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	int rc = fe_tensor_from_proto(tp, a, dir, t, false, d);
	if (rc == 0 && name)
		*name = arena_strdup(a, tp->name ? tp->name : "");
	onnx__tensor_proto__free_unpacked(tp, NULL);
	return rc;
}
