/* helpers.c - unit-test fixtures: an ONNX model builder over protobuf-c, and process helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "helpers.h"
#include "onnx.pb-c.h"

#define MAX_ITEMS 64

struct ModelBuilder {
	Onnx__ModelProto model;
	Onnx__GraphProto graph;
	Onnx__OperatorSetIdProto opset, extra[3];
	Onnx__OperatorSetIdProto *opsets[4];
	Onnx__NodeProto *nodes[MAX_ITEMS];
	Onnx__ValueInfoProto *inputs[MAX_ITEMS], *outputs[MAX_ITEMS], *infos[MAX_ITEMS];
	Onnx__TensorProto *inits[MAX_ITEMS];
	void *owned[4096]; /* everything calloc'd, freed by mb_free */
	int nowned;
};

static void *own(ModelBuilder *mb, size_t n)
{
	void *p = calloc(1, n ? n : 1);
	assert_non_null(p);
	assert_true(mb->nowned < 4096);
	mb->owned[mb->nowned++] = p;
	return p;
}

static char *own_str(ModelBuilder *mb, const char *s)
{
	char *p = own(mb, strlen(s) + 1);
	strcpy(p, s);
	return p;
}

ModelBuilder *mb_new(int64_t ir_version, int64_t opset)
{
	ModelBuilder *mb = calloc(1, sizeof *mb);
	assert_non_null(mb);
	onnx__model_proto__init(&mb->model);
	onnx__graph_proto__init(&mb->graph);
	onnx__operator_set_id_proto__init(&mb->opset);
	mb->model.has_ir_version = 1;
	mb->model.ir_version = ir_version;
	mb->opset.has_version = 1;
	mb->opset.version = opset;
	mb->opset.domain = "";
	mb->opsets[0] = &mb->opset;
	mb->model.n_opset_import = 1;
	mb->model.opset_import = mb->opsets;
	mb->model.graph = &mb->graph;
	mb->graph.name = "test";
	mb->graph.node = mb->nodes;
	mb->graph.input = mb->inputs;
	mb->graph.output = mb->outputs;
	mb->graph.value_info = mb->infos;
	mb->graph.initializer = mb->inits;
	return mb;
}

void mb_opset(ModelBuilder *mb, const char *domain, int64_t version)
{
	size_t k = mb->model.n_opset_import;
	assert_true(k < 4);
	Onnx__OperatorSetIdProto *o = &mb->extra[k - 1];
	onnx__operator_set_id_proto__init(o);
	o->domain = own_str(mb, domain);
	o->has_version = 1;
	o->version = version;
	mb->opsets[k] = o;
	mb->model.n_opset_import = k + 1;
}

void mb_free(ModelBuilder *mb)
{
	for (int i = 0; i < mb->nowned; i++)
		free(mb->owned[i]);
	free(mb);
}

static Onnx__ValueInfoProto *value_info(ModelBuilder *mb, const char *name, int dtype,
					const char *shape)
{
	Onnx__ValueInfoProto *vi = own(mb, sizeof *vi);
	onnx__value_info_proto__init(vi);
	vi->name = own_str(mb, name);
	Onnx__TypeProto *tp = own(mb, sizeof *tp);
	onnx__type_proto__init(tp);
	Onnx__TypeProto__Tensor *tt = own(mb, sizeof *tt);
	onnx__type_proto__tensor__init(tt);
	tt->has_elem_type = 1;
	tt->elem_type = dtype;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->type = tp;
	if (!shape)
		return vi;
	Onnx__TensorShapeProto *sp = own(mb, sizeof *sp);
	onnx__tensor_shape_proto__init(sp);
	sp->dim = own(mb, 16 * sizeof *sp->dim);
	char *copy = own_str(mb, shape);
	for (char *t = strtok(copy, "x"); t; t = strtok(NULL, "x")) {
		Onnx__TensorShapeProto__Dimension *dim = own(mb, sizeof *dim);
		onnx__tensor_shape_proto__dimension__init(dim);
		if (t[0] >= '0' && t[0] <= '9') {
			dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dim->dim_value = atoll(t);
		} else {
			dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			dim->dim_param = own_str(mb, t);
		}
		sp->dim[sp->n_dim++] = dim;
	}
	tt->shape = sp;
	return vi;
}

void mb_input(ModelBuilder *mb, const char *name, int dtype, const char *shape)
{
	mb->inputs[mb->graph.n_input++] = value_info(mb, name, dtype, shape);
}

void mb_output(ModelBuilder *mb, const char *name, int dtype, const char *shape)
{
	mb->outputs[mb->graph.n_output++] = value_info(mb, name, dtype, shape);
}

void mb_value_info(ModelBuilder *mb, const char *name, int dtype, const char *shape)
{
	mb->infos[mb->graph.n_value_info++] = value_info(mb, name, dtype, shape);
}

static Onnx__TensorProto *tensor(ModelBuilder *mb, const char *name, int dtype,
				 const int64_t *dims, int rank, const void *data, size_t bytes)
{
	Onnx__TensorProto *t = own(mb, sizeof *t);
	onnx__tensor_proto__init(t);
	t->name = own_str(mb, name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->n_dims = (size_t)rank;
	t->dims = own(mb, (size_t)rank * sizeof(int64_t) + 1);
	if (rank)
		memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = own(mb, bytes);
	memcpy(t->raw_data.data, data, bytes);
	return t;
}

static size_t count(const int64_t *dims, int rank)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

void mb_init_f32(ModelBuilder *mb, const char *name, const int64_t *dims, int rank, const float *v)
{
	mb->inits[mb->graph.n_initializer++] =
		tensor(mb, name, DT_FLOAT, dims, rank, v, count(dims, rank) * sizeof(float));
}

void mb_init_i64(ModelBuilder *mb, const char *name, const int64_t *dims, int rank, const int64_t *v)
{
	mb->inits[mb->graph.n_initializer++] =
		tensor(mb, name, DT_INT64, dims, rank, v, count(dims, rank) * sizeof(int64_t));
}

void mb_init_external(ModelBuilder *mb, const char *name, const int64_t *dims, int rank,
		      const char *location)
{
	Onnx__TensorProto *t = own(mb, sizeof *t);
	onnx__tensor_proto__init(t);
	t->name = own_str(mb, name);
	t->has_data_type = 1;
	t->data_type = DT_FLOAT;
	t->n_dims = (size_t)rank;
	t->dims = own(mb, (size_t)rank * sizeof(int64_t) + 1);
	memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	Onnx__StringStringEntryProto *e = own(mb, sizeof *e);
	onnx__string_string_entry_proto__init(e);
	e->key = "location";
	e->value = own_str(mb, location);
	t->n_external_data = 1;
	t->external_data = own(mb, sizeof *t->external_data);
	t->external_data[0] = e;
	mb->inits[mb->graph.n_initializer++] = t;
}

static void split_names(ModelBuilder *mb, const char *list, char ***out, size_t *n)
{
	*out = own(mb, 32 * sizeof(char *));
	*n = 0;
	if (!list || !*list)
		return;
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *s = own(mb, len + 1);
		memcpy(s, p, len);
		(*out)[(*n)++] = s;
		if (!comma)
			break;
		p = comma + 1;
	}
}

void mb_node(ModelBuilder *mb, const char *op, const char *name, const char *inputs,
	     const char *outputs)
{
	Onnx__NodeProto *n = own(mb, sizeof *n);
	onnx__node_proto__init(n);
	n->op_type = own_str(mb, op);
	n->name = own_str(mb, name);
	split_names(mb, inputs, &n->input, &n->n_input);
	split_names(mb, outputs, &n->output, &n->n_output);
	n->attribute = own(mb, 16 * sizeof *n->attribute);
	mb->nodes[mb->graph.n_node++] = n;
}

void mb_domain(ModelBuilder *mb, const char *domain)
{
	mb->nodes[mb->graph.n_node - 1]->domain = own_str(mb, domain);
}

static Onnx__AttributeProto *new_attr(ModelBuilder *mb, const char *name, int type)
{
	Onnx__NodeProto *n = mb->nodes[mb->graph.n_node - 1];
	Onnx__AttributeProto *a = own(mb, sizeof *a);
	onnx__attribute_proto__init(a);
	a->name = own_str(mb, name);
	a->has_type = 1;
	a->type = (Onnx__AttributeProto__AttributeType)type;
	n->attribute[n->n_attribute++] = a;
	return a;
}

void mb_attr_int(ModelBuilder *mb, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_INT);
	a->has_i = 1;
	a->i = v;
}

void mb_attr_ints(ModelBuilder *mb, const char *name, const int64_t *v, int n)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_INTS);
	a->n_ints = (size_t)n;
	a->ints = own(mb, (size_t)n * sizeof(int64_t) + 1);
	memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

void mb_attr_float(ModelBuilder *mb, const char *name, float v)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_FLOAT);
	a->has_f = 1;
	a->f = v;
}

void mb_attr_str(ModelBuilder *mb, const char *name, const char *v)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_STRING);
	a->has_s = 1;
	a->s.data = (uint8_t *)own_str(mb, v);
	a->s.len = strlen(v);
}

void mb_attr_strs(ModelBuilder *mb, const char *name, const char *list)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_STRINGS);
	char **names;
	split_names(mb, list, &names, &a->n_strings);
	a->strings = own(mb, (a->n_strings + 1) * sizeof *a->strings);
	for (size_t i = 0; i < a->n_strings; i++) {
		a->strings[i].data = (uint8_t *)names[i];
		a->strings[i].len = strlen(names[i]);
	}
}

void mb_attr_graph(ModelBuilder *mb, const char *name, const char *op, const char *inputs,
		   const char *outputs)
{
	Onnx__AttributeProto *a = new_attr(mb, name, AT_GRAPH);
	Onnx__GraphProto *g = own(mb, sizeof *g);
	onnx__graph_proto__init(g);
	g->name = own_str(mb, name);
	Onnx__NodeProto *n = own(mb, sizeof *n);
	onnx__node_proto__init(n);
	n->op_type = own_str(mb, op);
	n->name = own_str(mb, op);
	split_names(mb, inputs, &n->input, &n->n_input);
	split_names(mb, outputs, &n->output, &n->n_output);
	g->node = own(mb, sizeof *g->node);
	g->node[0] = n;
	g->n_node = 1;
	g->input = own(mb, 32 * sizeof *g->input);
	g->output = own(mb, 32 * sizeof *g->output);
	for (size_t k = 0; k < n->n_input; k++)
		g->input[g->n_input++] = value_info(mb, n->input[k], DT_FLOAT, NULL);
	for (size_t k = 0; k < n->n_output; k++)
		g->output[g->n_output++] = value_info(mb, n->output[k], DT_FLOAT, NULL);
	a->g = g;
}

void mb_pack(ModelBuilder *mb, uint8_t **buf, size_t *len)
{
	*len = onnx__model_proto__get_packed_size(&mb->model);
	*buf = malloc(*len + 1);
	assert_non_null(*buf);
	onnx__model_proto__pack(&mb->model, *buf);
}

void mb_write(ModelBuilder *mb, const char *path)
{
	uint8_t *buf;
	size_t len;
	mb_pack(mb, &buf, &len);
	test_write(path, buf, len);
	free(buf);
}

Graph *mb_load(ModelBuilder *mb, const Options *opt, Diag *d)
{
	char *dir = test_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	mb_write(mb, path);
	diag_init(d, "model.onnx");
	Graph *g = fe_load_model(path, opt, d);
	d->file = "model.onnx";
	unlink(path);
	rmdir(dir);
	free(dir);
	return g;
}

char *test_tmpdir(void)
{
	const char *t = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = malloc(strlen(t) + 32);
	assert_non_null(p);
	sprintf(p, "%s/cnnc-test-XXXXXX", t);
	assert_non_null(mkdtemp(p));
	return p;
}

void test_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

int test_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int test_run_cnnc(char **out, const char *arg, ...)
{
	const char *bin = getenv("CNNC_BIN");
	assert_non_null(bin);
	const char *argv[32];
	int ac = 0;
	argv[ac++] = bin;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && ac < 31; a = va_arg(ap, const char *))
		argv[ac++] = a;
	va_end(ap);
	argv[ac] = NULL;
	char *dir = test_tmpdir();
	char log[512];
	snprintf(log, sizeof log, "%s/log", dir);
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(log, "w", stdout))
			_exit(126);
		dup2(fileno(stdout), 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	FILE *f = fopen(log, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	unlink(log);
	rmdir(dir);
	free(dir);
	*out = buf;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

char *test_path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

void test_remove_all(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = test_path(dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
