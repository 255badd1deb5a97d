#!/usr/bin/python3
"""make_samples.py - sample images for the classify example, from the digits test
set (models/digits_test_x.f32: N images of 8x8 float32 in 0..1, ink bright;
models/digits_test_y.u8: their labels).

Writes samples/digitL.pgm for each label L (the first test image of that label),
as a 32x32 8-bit PGM (each pixel repeated 4x4, so it is big enough to look at and
classify's resampling gets the 8x8 image back), and samples/digitL.f32 (the raw
8x8 floats) for the first image only. Run from this folder."""
import numpy as np

x = np.fromfile("../../models/digits_test_x.f32", np.float32).reshape(-1, 8, 8)
y = np.fromfile("../../models/digits_test_y.u8", np.uint8)
for label in range(10):
    i = int(np.flatnonzero(y == label)[0])
    img = np.clip(np.rint(x[i] * 255), 0, 255).astype(np.uint8)
    big = np.kron(img, np.ones((4, 4), np.uint8))
    with open(f"samples/digit{label}.pgm", "wb") as f:
        f.write(b"P5\n# digits test image %d, label %d\n32 32\n255\n" % (i, label))
        f.write(big.tobytes())
    if label == 0:
        x[i].tofile(f"samples/digit{label}.f32")
