/* image_decoder.c - ImageDecoder: an encoded image (BMP, PNM, PNG, TIFF, baseline JPEG)
 * into H x W x C uint8, C = 3 for pixel_format RGB/BGR and 1 for Grayscale.
 *
 * Value-dependent shape, cnnc's answer: the image's size is in its bytes, so the output
 * shape comes from the model's declaration of the output (a graph output or value_info
 * with every dim known, or bound with --dim), and the kernel fails at run time on an
 * image of another size. The decoders are runtime/rt_image.h, written into model.c
 * only when the op is used (Emit.runtime); the kernel returns their status (OPF_STATUS:
 * P_run returns 4 for a corrupt, truncated or unsupported image, the output zeroed).
 * Workspace: RT_IMG_WORK_BYTES there (PNG's compressed bytes and raw rows, or JPEG's
 * planes).
 */
#include <string.h>

#include "ops.h"

extern const char op_rt_image_text[];

/* Largest H and W cnnc takes (the decoders index rows and columns with 32 bits). */
#define MAX_SIDE ((int64_t)1 << 24)

/* RT_IMG_RGB, RT_IMG_BGR or RT_IMG_GRAY of rt_image.h (0, 1, 2), -1 if unknown. */
static int pixel_format(const Node *n)
{
	const char *f = ir_attr_str(n, "pixel_format", "RGB");
	return strcmp(f, "RGB") == 0 ? 0 : strcmp(f, "BGR") == 0 ? 1 : strcmp(f, "Grayscale") == 0 ? 2 : -1;
}

static int infer(Graph *g, Node *n, Diag *d)
{
	static const DType u8[] = {DT_UINT8, DT_UNDEFINED};
	if (op_check_arity(g, n, 1, 1, 1, d) < 0 || op_check_dtype(g, n, 0, u8, d) < 0)
		return -1;
	int fmt = pixel_format(n);
	if (fmt < 0)
		return ir_node_error(d, g, n, "pixel_format is '%s', expected RGB, BGR or Grayscale",
				     ir_attr_str(n, "pixel_format", ""));
	const Value *y = op_outv(g, n, 0);
	if (!y)
		return ir_node_error(d, g, n, "output 0 is missing");
	if (!y->declared)
		return ir_node_error(d, g, n, "ImageDecoder needs a declared output shape: give "
				     "output '%s' a complete [H, W, C] shape in the model (graph output "
				     "or value_info); the decoded size depends on the image", y->name);
	const Shape *s = y->declared;
	int64_t c = fmt == 2 ? 1 : 3;
	if (s->rank != 3 || s->dims[2] != c)
		return ir_node_error(d, g, n, "output '%s' is declared with rank %d, expected "
				     "[H, W, %lld] for pixel_format %s", y->name, s->rank, (long long)c,
				     ir_attr_str(n, "pixel_format", "RGB"));
	if (s->dims[0] > MAX_SIDE || s->dims[1] > MAX_SIDE)
		return ir_node_error(d, g, n, "output '%s' is declared %lld x %lld, more than %lld a side",
				     y->name, (long long)s->dims[0], (long long)s->dims[1],
				     (long long)MAX_SIDE);
	/* the workspace, RT_IMG_WORK_BYTES: no overflow with sides below 2^24 */
	if (ir_numel(op_in(g, n, 0)) + s->dims[0] * (1 + 8 * s->dims[1]) +
	    3 * (s->dims[0] + 16) * (s->dims[1] + 16) > CNNC_MAX_TENSOR_BYTES)
		return ir_node_error(d, g, n, "output '%s' is declared %lld x %lld, too large to "
				     "decode into", y->name, (long long)s->dims[0], (long long)s->dims[1]);
	op_set_out(g, n, 0, DT_UINT8, s);
	return 0;
}

/* RT_IMG_WORK_BYTES of rt_image.h. */
static int64_t scratch(const Graph *g, const Node *n)
{
	const Value *y = op_outv(g, n, 0);
	int64_t h = y->shape.dims[0], w = y->shape.dims[1];
	return ir_numel(op_in(g, n, 0)) + h * (1 + 8 * w) + 3 * (h + 16) * (w + 16);
}

static int emit(Emit *e)
{
	const Value *x = op_in(e->g, e->n, 0), *y = op_outv(e->g, e->n, 0);
	static const char *const fmts[3] = {"RT_IMG_RGB", "RT_IMG_BGR", "RT_IMG_GRAY"};
	out_line(e->o, "return rt_img_decode(x0, %lld, y0, %lld, %lld, %s, (uint8_t *)%s);",
		 (long long)ir_numel(x), (long long)y->shape.dims[0], (long long)y->shape.dims[1],
		 fmts[pixel_format(e->n)], e->scratch);
	e->runtime = op_rt_image_text;
	return 0;
}

const OpDef opdef_IMAGEDECODER = {infer, NULL, emit, scratch, OPF_STATUS};
