#!/usr/bin/python3
"""make_qgemm_cases.py - com.microsoft QGemm cases (what ORT's quantizer writes for Gemm
in QOperator format) for tests/quant/run.sh.

    /usr/bin/python3 tests/quant/make_qgemm_cases.py OUT_DIR
    for c in OUT_DIR/qgemm_*; do
        node tools/ort/reference.js $c/model.onnx $c --optimize
    done

A comes from a float input through QuantizeLinear; B is a constant (the cases cnnc's
fold_qdq turns into QConvGemm) or, in the *_dynb cases, a second quantized input (the
generic kernel). Y is quantized (compared exactly) or float (no y_zero_point). Own
seeded generator, so make_cases.py's cases are unchanged.
"""
import os
import sys

import numpy as np
from onnx import TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_cases as mc  # noqa: E402

rng = np.random.default_rng(11)


def qgemm(path, ta, tb, M=5, K=40, N=12, bt=None, per_col=False, c=None, alpha=None,
          yq=True, yscale=True, dyn_b=False):
    """One QGemm: A ta-typed ([M,K] or [K,M] with transA), B bt-typed, C of shape c."""
    bt = bt or ta
    b = mc.B(ta)
    a, as_, az = b.qinput("A", [K, M] if alpha == "transA" else [M, K], 0.04)
    bshape = [N, K] if tb else [K, N]
    if dyn_b:
        b.t = bt
        bq, bs, bz = b.qinput("Bf", bshape, 0.03)
        b.t = ta
    else:
        if bt == "s8":
            w = rng.integers(-127, 128, size=bshape).astype(np.int8)
        else:
            w = rng.integers(0, 256, size=bshape).astype(np.uint8)
        bq = b.const(w)
        if per_col:
            bs = b.const((rng.random(N) * 0.01 + 0.002).astype(np.float32))
            zp = rng.integers(-10, 10, N) if bt == "s8" else rng.integers(110, 140, N)
            bz = b.const(zp.astype(mc.npq(bt)))
        else:
            bs = b.const(np.float32(0.007))
            bz = b.const(np.array(0 if bt == "s8" else 128, dtype=mc.npq(bt)))
    ins = [a, as_, az, bq, bs, bz]
    ins.append(b.const(rng.integers(-3000, 3000, size=c).astype(np.int32)) if c is not None else "")
    if yq:
        ys, yz = b.qparams(0.25)
        ins += [ys, yz]
    elif yscale:
        ins.append(b.const(np.float32(0.25)))
    while ins[-1] == "":
        ins.pop()
    attrs = {}
    if alpha == "transA":
        attrs["transA"] = 1
    elif alpha is not None:
        attrs["alpha"] = alpha
    if tb:
        attrs["transB"] = 1
    y = b.node("QGemm", ins, domain=mc.MS, **attrs)
    b.model(y, mc.qtype(ta) if yq else TensorProto.FLOAT, path)


def main():
    out = sys.argv[1]
    p = lambda name: os.path.join(out, f"qgemm_{name}", "model.onnx")
    qgemm(p("u8u8"), "u8", False, c=[12])
    qgemm(p("u8s8"), "u8", False, bt="s8", c=[12])
    qgemm(p("s8s8"), "s8", False, c=[12])
    qgemm(p("u8s8_transb_percol"), "u8", True, bt="s8", per_col=True, c=[12])
    qgemm(p("u8u8_transb_percol"), "u8", True, per_col=True, c=[])
    qgemm(p("s8s8_transa"), "s8", False, alpha="transA", c=[12])
    qgemm(p("u8s8_alpha_noc"), "u8", False, bt="s8", alpha=0.37)
    qgemm(p("s8s8_alpha_transb_scalarc"), "s8", True, alpha=1.75, c=[1])
    qgemm(p("u8s8_c_mn"), "u8", False, bt="s8", c=[5, 12])
    qgemm(p("u8u8_c_m1"), "u8", False, c=[5, 1])
    qgemm(p("u8u8_dynb"), "u8", False, dyn_b=True, c=[12])
    qgemm(p("s8s8_dynb_transb"), "s8", True, dyn_b=True, alpha=0.5)
    qgemm(p("u8s8_float"), "u8", False, bt="s8", c=[12], yq=False, yscale=False)
    qgemm(p("u8u8_float_percol_alpha"), "u8", True, per_col=True, c=[12], alpha=2.5, yq=False,
          yscale=False)
    qgemm(p("s8s8_float_yscale"), "s8", False, c=[], yq=False)


if __name__ == "__main__":
    main()
