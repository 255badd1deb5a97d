/* options.c - the command-line options shared by `cnnc` and `cnnc verify`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/frontend.h"
#include "driver.h"

static void *grow(Arena *a, void *old, int n, size_t elem)
{
	void *p = arena_alloc(a, (size_t)(n + 1) * elem);
	if (p && old && n)
		memcpy(p, old, (size_t)n * elem);
	return p;
}

/* "N=V" -> name and the text after '='. */
static int split(Arena *a, const char *arg, const char *opt, char **name, const char **val)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, "cnnc: error: %s expects NAME=VALUE, got '%s'\n", opt, arg);
		return -1;
	}
	*name = arena_strndup(a, arg, (size_t)(eq - arg));
	*val = eq + 1;
	return 0;
}

static int parse_shape(const char *s, Shape *sh)
{
	sh->rank = 0;
	if (strcmp(s, "scalar") == 0)
		return 0;
	while (*s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (end == s || v < 0 || sh->rank >= CNNC_MAX_RANK)
			return -1;
		sh->dims[sh->rank++] = v;
		s = end;
		if (*s == 'x' || *s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return shape_numel(sh) < 0 ? -1 : 0;
}

/* A shape, "none" (an empty optional), or "seq:S0/S1/..." (a sequence's element shapes;
   "seq:" is an empty sequence). */
static int parse_binding(Arena *a, const char *s, ShapeBinding *b)
{
	if (strcmp(s, "none") == 0) {
		b->none = true;
		return 0;
	}
	if (strncmp(s, "seq:", 4) != 0)
		return parse_shape(s, &b->shape);
	s += 4;
	b->is_seq = true;
	int n = *s ? 1 : 0;
	for (const char *p = s; *p; p++)
		n += *p == '/';
	Shape *el = arena_alloc(a, ((size_t)n + 1) * sizeof *el);
	char *copy = arena_strdup(a, s);
	if (!el || !copy)
		return -1;
	for (int i = 0; i < n; i++) {
		char *slash = strchr(copy, '/');
		if (slash)
			*slash = 0;
		if (parse_shape(copy, &el[i]) < 0)
			return -1;
		copy = slash ? slash + 1 : copy;
	}
	b->nelems = n;
	b->elems = el;
	return 0;
}

static const struct {
	const char *name;
	Target t;
} targets[] = {
	{"host", TARGET_HOST},           {"generic", TARGET_GENERIC},
	{"x86-64-v3", TARGET_X86_64_V3}, {"x86-64-v4", TARGET_X86_64_V4},
	{"aarch64", TARGET_AARCH64},
};

int drv_parse_option(Options *opt, Arena *a, int argc, char **argv, int i)
{
	const char *arg = argv[i];
	const char *val = i + 1 < argc ? argv[i + 1] : NULL;
	char *name;
	const char *rest;
	if (strcmp(arg, "-v") == 0) {
		opt->verbose++;
		return 1;
	}
	if (strncmp(arg, "--weights=", 10) == 0 || strcmp(arg, "--weights") == 0) {
		const char *mode = arg[9] ? arg + 10 : val;
		if (!mode) {
			fprintf(stderr, "cnnc: error: --weights needs a value (embed or file)\n");
			return -1;
		}
		if (strcmp(mode, "embed") != 0 && strcmp(mode, "file") != 0) {
			fprintf(stderr, "cnnc: error: unknown --weights mode '%s' (embed or file)\n", mode);
			return -1;
		}
		opt->weights_file = strcmp(mode, "file") == 0;
		return arg[9] ? 1 : 2;
	}
	if (strncmp(arg, "--winograd=", 11) == 0) {
		static const char *const modes[] = {"auto", "off", "force"};
		int k = 0;
		while (k < 3 && strcmp(arg + 11, modes[k]) != 0)
			k++;
		if (k == 3) {
			fprintf(stderr, "cnnc: error: unknown --winograd mode '%s' (auto, off or force)\n", arg + 11);
			return -1;
		}
		opt->winograd = k;
		return 1;
	}
	if (strcmp(arg, "--dim") != 0 && strcmp(arg, "--input-shape") != 0 &&
	    strcmp(arg, "--input-value") != 0 && strcmp(arg, "--name") != 0 &&
	    strcmp(arg, "--target") != 0 && strcmp(arg, "-d") != 0 && strcmp(arg, "--outputs") != 0 &&
	    strcmp(arg, "--cut") != 0)
		return 0;
	if (!val) {
		fprintf(stderr, "cnnc: error: %s needs a value\n", arg);
		return -1;
	}
	if (strcmp(arg, "-d") == 0) {
		opt->dump_after = val;
	} else if (strcmp(arg, "--cut") == 0) {
		opt->cut = val;
	} else if (strcmp(arg, "--outputs") == 0) {
		char *list = arena_strdup(a, val);
		for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
			opt->taps = grow(a, opt->taps, opt->ntaps, sizeof *opt->taps);
			opt->taps[opt->ntaps++] = t;
		}
	} else if (strcmp(arg, "--name") == 0) {
		opt->prefix = val;
	} else if (strcmp(arg, "--target") == 0) {
		size_t k = 0;
		while (k < sizeof targets / sizeof targets[0] && strcmp(targets[k].name, val) != 0)
			k++;
		if (k == sizeof targets / sizeof targets[0]) {
			fprintf(stderr, "cnnc: error: unknown target '%s' (host, generic, x86-64-v3, "
					"x86-64-v4, aarch64)\n", val);
			return -1;
		}
		opt->target = targets[k].t;
	} else if (strcmp(arg, "--dim") == 0) {
		if (split(a, val, arg, &name, &rest) < 0)
			return -1;
		char *end;
		long long v = strtoll(rest, &end, 10);
		if (*end || v < 0 || v > ((long long)1 << 40)) {
			fprintf(stderr, "cnnc: error: --dim %s: '%s' is not a valid size\n", name, rest);
			return -1;
		}
		opt->dims = grow(a, opt->dims, opt->ndims, sizeof *opt->dims);
		opt->dims[opt->ndims++] = (DimBinding){name, v};
	} else if (strcmp(arg, "--input-shape") == 0) {
		if (split(a, val, arg, &name, &rest) < 0)
			return -1;
		ShapeBinding b = {name, {0, {0}}, false, false, 0, NULL};
		if (parse_binding(a, rest, &b) < 0) {
			fprintf(stderr, "cnnc: error: --input-shape %s: '%s' is not a shape like 1x3x224x224 "
				"(or seq:2x3/4 for a sequence, none for an empty optional)\n", name, rest);
			return -1;
		}
		opt->shapes = grow(a, opt->shapes, opt->nshapes, sizeof *opt->shapes);
		opt->shapes[opt->nshapes++] = b;
	} else {
		if (split(a, val, arg, &name, &rest) < 0)
			return -1;
		Diag d;
		diag_init(&d, rest);
		Tensor t;
		if (fe_load_tensor_file(rest, a, &t, NULL, &d) < 0) {
			fprintf(stderr, "cnnc: error: %s\n", d.msg);
			return -1;
		}
		opt->values = grow(a, opt->values, opt->nvalues, sizeof *opt->values);
		opt->values[opt->nvalues++] = (ValueBinding){name, t};
	}
	return 2;
}
