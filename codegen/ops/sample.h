/* sample.h - helpers shared by the resampling ops (Resize, GridSample, RoiAlign, ...).
 *
 * Interpolating ops compute in floating point whatever the element type; for
 * integer outputs the result is truncated toward zero after saturating to the
 * type's range (NaN gives 0), like the ONNX reference's `astype` without its
 * undefined cases.
 */
#ifndef CNNC_OPS_SAMPLE_H
#define CNNC_OPS_SAMPLE_H

#include "ops.h"

/* C expression storing arithmetic value `v` (a double or float expression without
   side effects, evaluated several times) as element type dt. buf gets the text. */
const char *nn_store_sat(DType dt, const char *v, char *buf, size_t n);

#endif
