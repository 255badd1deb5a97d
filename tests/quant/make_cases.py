#!/usr/bin/python3
"""make_cases.py - small single-op quantized models for checking cnnc against ONNX Runtime.

    /usr/bin/python3 tests/quant/make_cases.py OUT_DIR

Writes OUT_DIR/<case>/model.onnx. Every model takes float inputs, quantizes them with
QuantizeLinear (constant scale and zero point), runs one quantized op and returns its
int8/uint8 output, so comparing with ONNX Runtime is exact: any difference is a
rounding difference of the op. The QOperator ops (com.microsoft) and QLinearConv /
QLinearMatMul come in int8 and uint8; the QDQ cases (DequantizeLinear -> float op ->
QuantizeLinear) are what cnnc's fold_qdq pass turns into integer kernels. Weights
and parameters come from a seeded generator, so the files are the same every run.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"
rng = np.random.default_rng(7)


def qtype(t):
    return TensorProto.INT8 if t == "s8" else TensorProto.UINT8


def npq(t):
    return np.int8 if t == "s8" else np.uint8


class B:
    """A graph under construction: inputs, nodes, initializers."""

    def __init__(self, t):
        self.t, self.inputs, self.nodes, self.inits, self.n = t, [], [], [], 0

    def const(self, arr, name=None):
        self.n += 1
        name = name or f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, ins, domain="", **attrs):
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(helper.make_node(op, ins, [out], name=f"n{self.n}", domain=domain, **attrs))
        return out

    def qparams(self, scale, zp=None, t=None):
        t = t or self.t
        if zp is None:
            zp = int(rng.integers(-20, 20)) if t == "s8" else int(rng.integers(100, 150))
        return self.const(np.float32(scale)), self.const(np.array(zp, dtype=npq(t)))

    def qinput(self, name, shape, scale=0.03):
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        s, z = self.qparams(scale)
        return self.node("QuantizeLinear", [name, s, z]), s, z

    def model(self, out, out_type, path):
        g = helper.make_graph(self.nodes, "g", self.inputs,
                              [helper.make_tensor_value_info(out, out_type, None)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)])
        m.ir_version = 8
        os.makedirs(os.path.dirname(path), exist_ok=True)
        onnx.save(m, path)


def binary(op, t, bshape, path):
    b = B(t)
    xa, sa, za = b.qinput("A", [1, 8, 7, 9], 0.025)
    xb, sb, zb = b.qinput("B", bshape, 0.02)
    sc, zc = b.qparams(0.04 if op == "QLinearAdd" else 0.011)
    y = b.node(op, [xa, sa, za, xb, sb, zb, sc, zc], MS)
    b.model(y, qtype(t), path)


def unary(op, t, path, **attrs):
    b = B(t)
    x, s, z = b.qinput("X", [1, 8, 7, 9], 0.035)
    ys, yz = b.qparams(1.0 / 255 if op == "QLinearSigmoid" else 0.021)
    y = b.node(op, [x, s, z, ys, yz], MS, **attrs)
    b.model(y, qtype(t), path)


def concat(t, path):
    b = B(t)
    x1, s1, z1 = b.qinput("X1", [1, 3, 5, 6], 0.03)
    x2, s2, z2 = b.qinput("X2", [1, 5, 5, 6], 0.05)
    y = b.node("QLinearConcat", [s1, z1, x1, s1, z1, x2, s2, z2], MS, axis=1)
    b.model(y, qtype(t), path)


def qconv(t, per_channel, path):
    b = B(t)
    x, xs, xz = b.qinput("X", [1, 6, 11, 10], 0.04)
    w = rng.integers(-127, 128, size=(10, 6, 3, 3)).astype(np.int8)
    wscale = (rng.random(10) * 0.01 + 0.002).astype(np.float32) if per_channel else np.float32(0.006)
    ws = b.const(wscale)
    wz = b.const(np.zeros(10 if per_channel else (), np.int8))
    bias = b.const(rng.integers(-3000, 3000, size=10).astype(np.int32))
    ys, yz = b.qparams(0.09)
    y = b.node("QLinearConv", [x, xs, xz, b.const(w), ws, wz, ys, yz, bias], pads=[1, 1, 1, 1],
               strides=[2, 1])
    b.model(y, qtype(t), path)


def qconv_dw(t, path):
    """QLinearConv, depthwise 3x3 stride 2, per-channel scales; u8 weights (zero points
    near 128) with u8 data, s8 weights with a zero point per channel with s8 data."""
    b = B(t)
    c = 20
    x, xs, xz = b.qinput("X", [1, c, 13, 17], 0.04)
    if t == "u8":
        w = rng.integers(0, 256, size=(c, 1, 3, 3)).astype(np.uint8)
        wz = rng.integers(120, 136, size=c).astype(np.uint8)
    else:
        w = rng.integers(-127, 128, size=(c, 1, 3, 3)).astype(np.int8)
        wz = np.zeros(c, np.int8)
    ws = b.const((rng.random(c) * 0.01 + 0.002).astype(np.float32))
    bias = b.const(rng.integers(-3000, 3000, size=c).astype(np.int32))
    ys, yz = b.qparams(0.07)
    y = b.node("QLinearConv", [x, xs, xz, b.const(w), ws, b.const(wz), ys, yz, bias],
               pads=[1, 0, 1, 2], strides=[2, 2], group=c)
    b.model(y, qtype(t), path)


def qconv_pw(t, path):
    """QLinearConv 1x1 over 10 channels (not a multiple of 4) and 63 pixels, 20 outputs;
    u8: u8 weights with per-channel zero points (the row-sum term)."""
    b = B(t)
    x, xs, xz = b.qinput("X", [1, 10, 7, 9], 0.04)
    if t == "u8":
        w = rng.integers(0, 256, size=(20, 10, 1, 1)).astype(np.uint8)
        wz = rng.integers(110, 146, size=20).astype(np.uint8)
    else:
        w = rng.integers(-127, 128, size=(20, 10, 1, 1)).astype(np.int8)
        wz = np.zeros(20, np.int8)
    ws = b.const((rng.random(20) * 0.01 + 0.002).astype(np.float32))
    bias = b.const(rng.integers(-3000, 3000, size=20).astype(np.int32))
    ys, yz = b.qparams(0.08)
    y = b.node("QLinearConv", [x, xs, xz, b.const(w), ws, b.const(wz), ys, yz, bias])
    b.model(y, qtype(t), path)


def qmatmul(t, path):
    b = B(t)
    x, xs, xz = b.qinput("X", [3, 5, 40], 0.04)
    w = rng.integers(-127, 128, size=(40, 12)).astype(np.int8)
    ys, yz = b.qparams(0.3)
    y = b.node("QLinearMatMul", [x, xs, xz, b.const(w), b.const(np.float32(0.007)),
                                 b.const(np.int8(0)), ys, yz])
    b.model(y, qtype(t), path)


def dq(b, q, scale, zp, axis=None):
    attrs = {} if axis is None else {"axis": axis}
    return b.node("DequantizeLinear", [q, scale, zp], **attrs)


def qdq_conv(t, path, group=1, pads=(1, 1, 1, 1), act=None, strides=(1, 1), cin=8, cout=8, ks=3,
             hw=(9, 10)):
    """DQ(x), DQ(w) -> Conv(+DQ bias) -> [act] -> Q, per-channel int8 weights."""
    b = B(t)
    xq, xs, xz = b.qinput("X", [1, cin] + list(hw), 0.03)
    x = dq(b, xq, xs, xz)
    w = rng.integers(-127, 128, size=(cout, cin // group, ks, ks)).astype(np.int8)
    wscale = (rng.random(cout) * 0.01 + 0.004).astype(np.float32)
    wd = dq(b, b.const(w), b.const(wscale), b.const(np.zeros(cout, np.int8)), axis=0)
    bscale = (np.float32(0.03) * wscale).astype(np.float32)
    bd = dq(b, b.const(rng.integers(-2000, 2000, size=cout).astype(np.int32)), b.const(bscale),
            b.const(np.zeros(cout, np.int32)), axis=0)
    y = b.node("Conv", [x, wd, bd], group=group, pads=list(pads), strides=list(strides))
    if act == "relu":
        y = b.node("Relu", [y])
    elif act == "relu6":
        y = b.node("Clip", [y, b.const(np.float32(0)), b.const(np.float32(6))])
    ys, yz = b.qparams(0.05)
    b.model(b.node("QuantizeLinear", [y, ys, yz]), qtype(t), path)


def qdq_matmul(t, path, gemm=False):
    b = B(t)
    xq, xs, xz = b.qinput("X", [4, 30], 0.04)
    x = dq(b, xq, xs, xz)
    w = rng.integers(-127, 128, size=(12, 30) if gemm else (30, 12)).astype(np.int8)
    if gemm:
        wscale = (rng.random(12) * 0.01 + 0.004).astype(np.float32)
        wd = dq(b, b.const(w), b.const(wscale), b.const(np.zeros(12, np.int8)), axis=0)
        bd = dq(b, b.const(rng.integers(-900, 900, size=12).astype(np.int32)),
                b.const((np.float32(0.04) * wscale).astype(np.float32)), b.const(np.zeros(12, np.int32)), axis=0)
        y = b.node("Gemm", [x, wd, bd], transB=1)
    else:
        # ORT 1.30 leaves s8 x with an asymmetric s8 weight unfused (float path): wz 0 there
        wd = dq(b, b.const(w), b.const(np.float32(0.006)), b.const(np.int8(0 if t == "s8" else 3)))
        y = b.node("MatMul", [x, wd])
    ys, yz = b.qparams(0.12)
    b.model(b.node("QuantizeLinear", [y, ys, yz]), qtype(t), path)


def qdq_in(b, name, shape, scale, t=None):
    """float input -> Q -> DQ: the float tensor a QDQ graph carries."""
    t = t or b.t
    b.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    s, z = b.qparams(scale, t=t)
    return dq(b, b.node("QuantizeLinear", [name, s, z]), s, z)


def qdq_out(b, y, scale, path, zp=None, t=None):
    t = t or b.t
    ys, yz = b.qparams(scale, zp, t=t)
    b.model(b.node("QuantizeLinear", [y, ys, yz]), qtype(t), path)


def qdq_op(t, path, op, shapes, out_scale, out_zp=None, consts=(), out_t=None, pair=False, **attrs):
    """DQ(inputs) -> op -> Q; what fold_qdq turns into integer ops (no float left).
    pair: the Q is followed by DQ -> Relu -> Q, the context in which ORT (x86) runs
    int8 Add/Mul/pools as integer kernels (after its int8 -> uint8 pair rewrite)."""
    b = B(t)
    ins = [qdq_in(b, f"X{i}", shp, sc) for i, (shp, sc) in enumerate(shapes)]
    ins += [b.const(c) for c in consts]
    y = b.node(op, ins, **attrs)
    if pair:
        s, z = b.qparams(out_scale)
        y = b.node("Relu", [dq(b, b.node("QuantizeLinear", [y, s, z]), s, z)])
        out_scale, out_zp = out_scale * 0.6, -128 if t == "s8" else 0
    qdq_out(b, y, out_scale, path, out_zp, out_t)


def qdq_add_relu(t, path):
    """a residual block's tail: DQ -> Add -> Q -> DQ -> Relu -> Q"""
    b = B(t)
    y = b.node("Add", [qdq_in(b, "A", [1, 8, 7, 9], 0.03), qdq_in(b, "B", [1, 8, 7, 9], 0.02)])
    s, z = b.qparams(0.04)
    y = dq(b, b.node("QuantizeLinear", [y, s, z]), s, z)
    qdq_out(b, b.node("Relu", [y]), 0.025, path, -128 if t == "s8" else 0)


def qdq_cases(t, p):
    """the patterns fold_qdq makes integer beyond Conv/MatMul/Gemm (ORT --optimize
    references: its QDQ fusion runs QLinearAdd/Mul/AveragePool/GlobalAveragePool/Concat)"""
    sh = [1, 8, 7, 9]
    qdq_op(t, p("qdq_add"), "Add", [(sh, 0.025), (sh, 0.02)], 0.04)
    qdq_op(t, p("qdq_add_bcast_c"), "Add", [(sh, 0.025), ([1, 8, 1, 1], 0.02)], 0.04)
    qdq_op(t, p("qdq_mul"), "Mul", [(sh, 0.025), (sh, 0.02)], 0.011)
    qdq_add_relu(t, p("qdq_add_relu"))
    qdq_op(t, p("qdq_mul_pair"), "Mul", [(sh, 0.025), (sh, 0.02)], 0.011, pair=True)
    # int8 AveragePool alone runs in float in ORT (x86), whose rounding cnnc's float
    # AveragePool does not follow; cnnc folds it only in the pair context
    if t == "u8":
        qdq_op(t, p("qdq_avgpool"), "AveragePool", [(sh, 0.035)], 0.021, kernel_shape=[3, 3],
               strides=[2, 2], pads=[1, 1, 1, 1])
    qdq_op(t, p("qdq_avgpool_pair"), "AveragePool", [(sh, 0.035)], 0.021, kernel_shape=[3, 3],
           strides=[2, 2], pads=[1, 1, 1, 1], pair=True)
    qdq_op(t, p("qdq_gap"), "GlobalAveragePool", [(sh, 0.035)], 0.021)
    qdq_op(t, p("qdq_gap_pair"), "GlobalAveragePool", [([1, 16, 9, 11], 0.035)], 0.011, pair=True)
    qdq_op(t, p("qdq_concat"), "Concat", [([1, 3, 5, 6], 0.03), ([1, 5, 5, 6], 0.05)], 0.04, axis=1)
    qdq_op(t, p("qdq_maxpool_requant"), "MaxPool", [(sh, 0.035)], 0.05, kernel_shape=[3, 3],
           strides=[2, 2], pads=[1, 1, 1, 1])
    qdq_op(t, p("qdq_relu"), "Relu", [(sh, 0.035)], 0.02)
    qdq_op(t, p("qdq_clip"), "Clip", [(sh, 0.035)], 0.03,
           consts=(np.float32(-0.5), np.float32(2.0)))
    qdq_op(t, p("qdq_sigmoid"), "Sigmoid", [(sh, 0.035)], 1.0 / 256, -128 if t == "s8" else 0)
    qdq_op(t, p("qdq_leakyrelu"), "LeakyRelu", [(sh, 0.035)], 0.021, alpha=0.1)
    # equal scale and zero point in and out: the op runs on the 8-bit values, no table
    for name, op, attrs, consts in (("qdq_maxpool", "MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}, ()),
                                    ("qdq_reshape", "Reshape", {}, (np.array([1, 8, 63], np.int64),)),
                                    ("qdq_transpose", "Transpose", {"perm": [0, 2, 3, 1]}, ())):
        b = B(t)
        b.inputs.append(helper.make_tensor_value_info("X", TensorProto.FLOAT, sh))
        s, z = b.qparams(0.03)
        x = dq(b, b.node("QuantizeLinear", ["X", s, z]), s, z)
        y = b.node(op, [x] + [b.const(c) for c in consts], **attrs)
        b.model(b.node("QuantizeLinear", [y, s, z]), qtype(t), p(name))
    # DQ -> Q with other params (and type): a requantizing table
    b = B(t)
    qdq_out(b, qdq_in(b, "X", sh, 0.03), 0.045, p("qdq_requant"), t="s8" if t == "u8" else "u8")


def main():
    out = sys.argv[1]
    for t in ("s8", "u8"):
        p = lambda name: os.path.join(out, f"{name}_{t}", "model.onnx")
        for op in ("QLinearAdd", "QLinearMul"):
            short = op[7:].lower()
            binary(op, t, [1, 8, 7, 9], p(f"ql{short}"))
            binary(op, t, [1, 8, 1, 1], p(f"ql{short}_bcast_c"))
            binary(op, t, [9], p(f"ql{short}_bcast_w"))
            binary(op, t, [1], p(f"ql{short}_scalar"))
        unary("QLinearSigmoid", t, p("qlsigmoid"))
        unary("QLinearLeakyRelu", t, p("qlleakyrelu"), alpha=0.1)
        unary("QLinearGlobalAveragePool", t, p("qlgap"), channels_last=0)
        unary("QLinearAveragePool", t, p("qlavgpool"), kernel_shape=[3, 3], strides=[2, 2],
              pads=[1, 1, 1, 1])
        unary("QLinearAveragePool", t, p("qlavgpool_incpad"), kernel_shape=[3, 3], strides=[2, 2],
              pads=[1, 1, 1, 1], count_include_pad=1)
        unary("QLinearAveragePool", t, p("qlavgpool_ceil"), kernel_shape=[2, 2], strides=[2, 2],
              ceil_mode=1)
        concat(t, p("qlconcat"))
        qconv(t, False, p("qlinearconv"))
        qconv(t, True, p("qlinearconv_perchannel"))
        qmatmul(t, p("qlinearmatmul"))
        qdq_conv(t, p("qdq_conv"))
        qdq_conv(t, p("qdq_conv_relu_s2"), act="relu", strides=(2, 2))
        qdq_conv(t, p("qdq_dwconv_relu6"), group=8, act="relu6", pads=(0, 0, 1, 1), strides=(2, 2))
        qdq_conv(t, p("qdq_conv_1x1"), pads=(0, 0, 0, 0), cin=8, cout=20)
        qdq_matmul(t, p("qdq_matmul"))
        qdq_matmul(t, p("qdq_gemm"), gemm=True)
    # later blocks each start from the generator state after the cases above, so
    # every block keeps the seeded parameters it was written (and referenced) with
    after_first = rng.bit_generator.state
    for t in ("s8", "u8"):
        qdq_cases(t, lambda name: os.path.join(out, f"{name}_{t}", "model.onnx"))
    rng.bit_generator.state = after_first
    for t in ("s8", "u8"):
        p = lambda name: os.path.join(out, f"{name}_{t}", "model.onnx")
        qdq_conv(t, p("qdq_dwconv5x5"), group=24, cin=24, cout=24, ks=5, pads=(2, 2, 2, 2),
                 act="relu", hw=(14, 19))
        qconv_dw(t, p("qlinearconv_dw"))
    for t in ("s8", "u8"):
        p = lambda name: os.path.join(out, f"{name}_{t}", "model.onnx")
        qconv_pw(t, p("qlinearconv_1x1"))


if __name__ == "__main__":
    main()
