/* data.c - test data files holding a SequenceProto or an OptionalProto.
 *
 * Debian's onnx.proto lacks onnx-data.proto, so protobuf-c has no code for these two
 * messages; they are small, and are decoded here straight from the wire format
 * (SequenceProto and OptionalProto share field numbers: 1 name, 2 elem_type, 3 tensor(s),
 * 4 sparse, 5 sequence, 6 map, 7 optional). Tensors inside go through protobuf-c's
 * TensorProto unpacker and fe_tensor_from_proto, so they get the same checks as any
 * tensor. Sequences of tensors and optionals of a tensor or such a sequence are
 * supported; sparse tensors, maps and deeper nesting are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_internal.h"

/* elem_type codes of SequenceProto/OptionalProto */
enum { ELEM_TENSOR = 1, ELEM_SEQUENCE = 3 };

typedef struct Field {
	unsigned num;
	unsigned wire;
	uint64_t v;           /* varint value */
	const uint8_t *p;     /* length-delimited payload */
	size_t len;
} Field;

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
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

/* Reads the next field of [*p, end); 1 when one was read, 0 at the end, -1 if malformed. */
static int next_field(const uint8_t **p, const uint8_t *end, Field *f)
{
	uint64_t key;
	if (*p >= end)
		return 0;
	if (varint(p, end, &key) < 0)
		return -1;
	f->num = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	switch (f->wire) {
	case 0:
		return varint(p, end, &f->v) < 0 ? -1 : 1;
	case 1:
		if (end - *p < 8)
			return -1;
		*p += 8;
		return 1;
	case 5:
		if (end - *p < 4)
			return -1;
		*p += 4;
		return 1;
	case 2:
		if (varint(p, end, &f->v) < 0 || f->v > (uint64_t)(end - *p))
			return -1;
		f->p = *p;
		f->len = (size_t)f->v;
		*p += f->len;
		return 1;
	default:
		return -1;
	}
}

static int tensor_of(const uint8_t *p, size_t len, const char *dir, Arena *a, Tensor *t,
		     const char *path, Diag *d)
{
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, p);
	if (!tp)
		return diag_error(d, "'%s' holds a tensor that is not a valid TensorProto", path);
	int rc = fe_tensor_from_proto(tp, a, dir, t, false, d);
	onnx__tensor_proto__free_unpacked(tp, NULL);
	return rc;
}

/* Joins the elements' data into one rank-1 tensor, the layout a sequence crosses the
   generated interface in. */
static int flatten(DataValue *dv, Arena *a, const char *path, Diag *d)
{
	int64_t total = 0;
	DType dt = dv->nelems ? dv->elems[0].dtype : DT_FLOAT;
	for (int i = 0; i < dv->nelems; i++) {
		if (dv->elems[i].dtype != dt)
			return diag_error(d, "'%s': sequence elements have different element types",
					  path);
		total += shape_numel(&dv->elems[i].shape);
	}
	int64_t bytes = dtype_bytes(dt, total);
	if (bytes < 0)
		return diag_error(d, "'%s': the sequence is too large", path);
	dv->t.dtype = dt;
	dv->t.shape = (Shape){1, {total}};
	dv->t.data = arena_alloc(a, (size_t)bytes + 1);
	if (!dv->t.data)
		return diag_error(d, "out of memory");
	char *q = dv->t.data;
	for (int i = 0; i < dv->nelems; i++) {
		int64_t b = dtype_bytes(dt, shape_numel(&dv->elems[i].shape));
		if (b > 0)
			memcpy(q, dv->elems[i].data, (size_t)b);
		q += b;
	}
	return 0;
}

static int parse_sequence(const uint8_t *p, const uint8_t *end, const char *dir, Arena *a,
			  DataValue *dv, const char *path, Diag *d)
{
	Field f;
	int rc, cap = 0;
	dv->kind = VT_SEQUENCE;
	while ((rc = next_field(&p, end, &f)) > 0) {
		if (f.num == 2 && f.wire == 0 && f.v != ELEM_TENSOR && f.v != 0)
			return diag_error(d, "'%s': sequences of element kind %llu are not supported",
					  path, (unsigned long long)f.v);
		if (f.num >= 4 && f.num <= 7)
			return diag_error(d, "'%s': sequences of sparse tensors, sequences, maps or "
					  "optionals are not supported", path);
		if (f.num != 3 || f.wire != 2)
			continue;
		if (dv->nelems == cap) {
			cap = cap ? 2 * cap : 8;
			Tensor *n = arena_alloc(a, (size_t)cap * sizeof *n);
			if (!n)
				return diag_error(d, "out of memory");
			if (dv->nelems)
				memcpy(n, dv->elems, (size_t)dv->nelems * sizeof *n);
			dv->elems = n;
		}
		if (tensor_of(f.p, f.len, dir, a, &dv->elems[dv->nelems], path, d) < 0)
			return -1;
		dv->nelems++;
	}
	if (rc < 0)
		return diag_error(d, "'%s' is not a valid SequenceProto", path);
	return flatten(dv, a, path, d);
}

static int parse_optional(const uint8_t *p, const uint8_t *end, const char *dir, Arena *a,
			  DataValue *dv, const char *path, Diag *d)
{
	Field f;
	int rc;
	dv->kind = VT_OPTIONAL;
	dv->none = true;
	while ((rc = next_field(&p, end, &f)) > 0) {
		if ((f.num == 4 || f.num == 6 || f.num == 7) && f.wire == 2)
			return diag_error(d, "'%s': optionals of sparse tensors, maps or optionals are "
					  "not supported", path);
		if (f.num == 3 && f.wire == 2) {
			dv->none = false;
			dv->inner = VT_TENSOR;
			if (tensor_of(f.p, f.len, dir, a, &dv->t, path, d) < 0)
				return -1;
		} else if (f.num == 5 && f.wire == 2) {
			DataValue s = {0};
			if (parse_sequence(f.p, f.p + f.len, dir, a, &s, path, d) < 0)
				return -1;
			dv->none = false;
			dv->inner = VT_SEQUENCE;
			dv->t = s.t;
			dv->nelems = s.nelems;
			dv->elems = s.elems;
		}
	}
	if (rc < 0)
		return diag_error(d, "'%s' is not a valid OptionalProto", path);
	if (dv->none) {
		dv->t.dtype = DT_FLOAT;
		dv->t.shape = (Shape){1, {0}};
		dv->t.data = arena_alloc(a, 1);
	}
	return 0;
}

int fe_load_data_file(const char *path, ValueType kind, Arena *a, DataValue *dv, Diag *d)
{
	memset(dv, 0, sizeof *dv);
	if (kind == VT_TENSOR) {
		dv->kind = VT_TENSOR;
		return fe_load_tensor_file(path, a, &dv->t, NULL, d);
	}
	unsigned char *buf;
	size_t len;
	if (fe_read_file(path, FE_MAX_FILE_BYTES, &buf, &len, d) < 0)
		return -1;
	char *dir = arena_strdup(a, path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	else
		dir = ".";
	int rc = kind == VT_SEQUENCE ? parse_sequence(buf, buf + len, dir, a, dv, path, d)
				     : parse_optional(buf, buf + len, dir, a, dv, path, d);
	fe_free_file(buf, len);
	return rc;
}
