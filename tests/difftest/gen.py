#!/usr/bin/python3
"""gen.py - seeded generator of small random valid ONNX graphs for the difference test.

    /usr/bin/python3 tests/difftest/gen.py --seed S [--count N] [--kind cnn|dag|mix] --out DIR

Writes DIR/<kind>_<seed>/model.onnx for seeds S .. S+N-1. The same seed always gives the
same graph. Two kinds:

  cnn  a CNN-shaped stack: Conv (kernel, stride, pads, dilations, groups, depthwise,
       auto_pad), BatchNormalization, activations, Max/AveragePool (ceil_mode,
       count_include_pad; often right after a Conv and its activation), residual Add,
       branch Concat, then GlobalAveragePool or Flatten + Gemm, sometimes Softmax.
  dag  a random DAG over a pool of float tensors: broadcasting elementwise ops, MatMul,
       Gemm (transA/transB), Transpose, Reshape, Slice, Softmax, Reduce*, Concat, Split,
       Pad, Resize, Gather, Expand, Tile, Squeeze/Unsqueeze, Where, ...

Key decision: the generator tracks every shape itself and draws only attributes that
the ONNX spec allows for that shape, so every graph is valid by construction and a
failure of ONNX Runtime on one is a generator bug (reported apart, never counted as a
cnnc mismatch). Values are kept in a sane range (weights scaled by fan-in, Exp and
Log only on bounded operands) so that the tolerance of `cnnc verify` is meaningful.
"""
import argparse
import os
import random

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Builder:
    """A graph under construction: every value's shape is known."""

    def __init__(self, rnd, name):
        self.r = rnd
        self.name = name
        self.nodes = []
        self.inits = []
        self.inputs = []
        self.shape = {}
        self.n = 0
        self.wide = False
        self.np = np.random.default_rng(rnd.randrange(1 << 30))

    def fresh(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    def input(self, shape):
        nm = self.fresh("in")
        self.inputs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, list(shape)))
        self.shape[nm] = tuple(shape)
        return nm

    def const(self, arr, base="w"):
        nm = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        self.shape[nm] = tuple(np.asarray(arr).shape)
        return nm

    def ints(self, vals):
        return self.const(np.array(vals, dtype=np.int64), "k")

    def randn(self, shape, scale=1.0):
        return (self.np.standard_normal(shape) * scale).astype(np.float32)

    def node(self, op, ins, shapes, **attrs):
        """Adds op; shapes lists the output shapes (the generator computed them)."""
        outs = [self.fresh("t") for _ in shapes]
        self.nodes.append(helper.make_node(op, ins, outs, name=self.fresh(op.lower() + "_"),
                                           **attrs))
        for o, s in zip(outs, shapes):
            self.shape[o] = tuple(s)
        return outs[0] if len(outs) == 1 else outs

    def model(self, outputs):
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, list(self.shape[o]))
                for o in outputs]
        g = helper.make_graph(self.nodes, self.name, self.inputs, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="cnnc-difftest")
        m.ir_version = 7
        return m


# ---------------------------------------------------------------- CNN stacks

def pool_out(n, k, s, pb, pe, d, ceil):
    """Output size of a window op, as the ONNX spec computes it."""
    span = n + pb + pe - ((k - 1) * d + 1)
    if span < 0:
        return 0
    o = (-(-span // s) if ceil else span // s) + 1
    if ceil and (o - 1) * s >= n + pb:
        # The last window would start in the right padding: ONNX Runtime's kernels drop
        # it (as newer ONNX specs say) but its shape inference, from an older ONNX, keeps
        # it and then rejects the graph. Not drawn (the caller skips a size of 0).
        return 0
    return o


def conv(b, x, cout=None, stride=None, same=False):
    r = b.r
    n, c, h, w = b.shape[x]
    # "wide" graphs keep channel counts multiples of 8 and 16, so that blocked layouts
    # reach elementwise ops, per-channel ops, pools and Concat too
    cout = cout or r.choice([8, 16, 16, 32] if b.wide else [1, 2, 3, 4, 6, 8, 12, 16, 16, 32])
    groups = 1
    roll = r.random()
    if roll < 0.25:
        groups, cout = c, c * r.choice([1, 1, 2])  # depthwise (multiplier 1 or 2)
    elif roll < 0.4:
        divs = [g for g in range(2, c + 1) if c % g == 0]
        if divs:
            groups = r.choice(divs)
            cout = groups * r.choice([1, 2])
    ks = [r.choice([1, 1, 2, 3, 3, 5]) for _ in range(2)]
    dil = [r.choice([1, 1, 1, 2]) for _ in range(2)]
    st = [stride or r.choice([1, 1, 2, 3]) for _ in range(2)]
    if same:
        ks = [r.choice([1, 3, 3, 5])] * 2
        st = [1, 1]
        dil = [r.choice([1, 1, 2])] * 2
    eff = [(k - 1) * d + 1 for k, d in zip(ks, dil)]
    attrs = {"kernel_shape": ks, "strides": st, "dilations": dil}
    if groups > 1:
        attrs["group"] = groups
    if same:
        pads = [(e - 1) // 2 for e in eff] + [e - 1 - (e - 1) // 2 for e in eff]
        attrs["pads"] = pads
    elif r.random() < 0.2:
        ap = r.choice(["SAME_UPPER", "SAME_LOWER", "VALID"])
        attrs["auto_pad"] = ap
        if ap != "VALID":  # ORT has no dilated SAME_* convolutions
            dil = [1, 1]
            eff = list(ks)
            attrs["dilations"] = dil
        if ap == "VALID":
            pads = [0, 0, 0, 0]
        else:
            tot = [max(0, (-(-dim // s) - 1) * s + e - dim) for dim, s, e in zip((h, w), st, eff)]
            lo = [t // 2 if ap == "SAME_UPPER" else t - t // 2 for t in tot]
            pads = lo + [t - l for t, l in zip(tot, lo)]
    else:
        pads = [r.randint(0, e - 1) if e > 1 else 0 for e in eff for _ in (0,)]
        pads = pads + [r.randint(0, e - 1) if e > 1 else 0 for e in eff]
        if r.random() < 0.5:
            attrs["pads"] = pads
        else:
            pads = [0, 0, 0, 0]
    oh = pool_out(h, ks[0], st[0], pads[0], pads[2], dil[0], False)
    ow = pool_out(w, ks[1], st[1], pads[1], pads[3], dil[1], False)
    if oh < 1 or ow < 1:
        return x
    wt = b.const(b.randn((cout, c // groups, ks[0], ks[1]), (ks[0] * ks[1] * c / groups) ** -0.5))
    ins = [x, wt]
    if r.random() < 0.7:
        ins.append(b.const(b.randn((cout,), 0.1)))
    return b.node("Conv", ins, [(n, cout, oh, ow)], **attrs)


def conv3(b, x):
    """A 3x3 stride-1 Conv with 16 to 48 outputs and pads of 0 to 2 per side: two in a
    row (16+ channels in and out) make codegen/ops/conv_winograd.c's Winograd kernel."""
    r = b.r
    n, c, h, w = b.shape[x]
    cout = r.choice([16, 24, 32, 48])
    pads = [r.randint(0, 2) for _ in range(4)]
    oh, ow = h + pads[0] + pads[2] - 2, w + pads[1] + pads[3] - 2
    if oh < 1 or ow < 1:
        return x
    ins = [x, b.const(b.randn((cout, c, 3, 3), (9 * c) ** -0.5))]
    if r.random() < 0.7:
        ins.append(b.const(b.randn((cout,), 0.1)))
    return b.node("Conv", ins, [(n, cout, oh, ow)], kernel_shape=[3, 3], pads=pads)


def deconv(b, x):
    """ConvTranspose: strides, pads, output_padding, dilations, groups."""
    r = b.r
    n, c, h, w = b.shape[x]
    g = r.choice([g for g in (1, 1, c) if c % g == 0])
    cout = g * r.choice([1, 2, 4])
    ks = [r.choice([1, 2, 3, 4]) for _ in range(2)]
    st = [r.choice([1, 2, 2, 3]) for _ in range(2)]
    dil = [r.choice([1, 1, 2]) for _ in range(2)]
    eff = [(k - 1) * d + 1 for k, d in zip(ks, dil)]
    pads = [r.randint(0, e - 1) if r.random() < 0.5 else 0 for e in eff * 2]
    # ONNX allows output_padding < max(stride, dilation); ONNX Runtime wants < stride
    opad = [r.randint(0, s_ - 1) if r.random() < 0.3 else 0 for s_ in st]
    out = [s_ * (i - 1) + op + e - pb - pe for s_, i, op, e, pb, pe in
           zip(st, (h, w), opad, eff, pads[:2], pads[2:])]
    if min(out) < 1 or out[0] * out[1] > 1024:
        return x
    attrs = {"kernel_shape": ks, "strides": st, "dilations": dil}
    if any(pads):
        attrs["pads"] = pads
    if any(opad):
        attrs["output_padding"] = opad
    if g > 1:
        attrs["group"] = g
    wt = b.const(b.randn((c, cout // g, ks[0], ks[1]), (ks[0] * ks[1] * c / g) ** -0.5))
    ins = [x, wt]
    if r.random() < 0.5:
        ins.append(b.const(b.randn((cout,), 0.1)))
    return b.node("ConvTranspose", ins, [(n, cout, out[0], out[1])], **attrs)


def batchnorm(b, x):
    c = b.shape[x][1]
    sc = b.const(b.randn((c,), 0.3) + 1)
    bi = b.const(b.randn((c,), 0.2))
    mean = b.const(b.randn((c,), 0.2))
    var = b.const((np.abs(b.randn((c,))) + 0.5).astype(np.float32))
    return b.node("BatchNormalization", [x, sc, bi, mean, var], [b.shape[x]],
                  epsilon=b.r.choice([1e-5, 1e-3]))


def activation(b, x):
    r = b.r
    op = r.choice(["Relu", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid",
                   "Tanh", "Clip6"])
    s = [b.shape[x]]
    if op == "LeakyRelu":
        return b.node(op, [x], s, alpha=r.choice([0.01, 0.1, 0.3]))
    if op == "Clip6":
        return b.node("Clip", [x, b.const(np.float32(0)), b.const(np.float32(6))], s)
    if op == "Clip":
        lo = np.float32(r.uniform(-1, 0))
        if r.random() < 0.3:
            return b.node(op, [x, b.const(lo)], s)
        if r.random() < 0.3:
            return b.node(op, [x, "", b.const(np.float32(r.uniform(0, 1)))], s)
        return b.node(op, [x, b.const(lo), b.const(np.float32(r.uniform(0, 1)))], s)
    if op == "HardSigmoid":
        return b.node(op, [x], s, alpha=r.choice([0.2, 0.5]), beta=r.choice([0.5, 0.4]))
    return b.node(op, [x], s)


def pool(b, x):
    r = b.r
    n, c, h, w = b.shape[x]
    op = r.choice(["MaxPool", "AveragePool"])
    ks = [r.choice([1, 2, 2, 3, 3, 5]) for _ in range(2)]
    ks = [min(k, d) for k, d in zip(ks, (h, w))]
    st = [r.choice([1, 2, 2, 3]) for _ in range(2)]
    pads = [r.randint(0, k - 1) if k > 1 and r.random() < 0.5 else 0 for k in ks * 2]
    dil = [1, 1]
    attrs = {"kernel_shape": ks, "strides": st}
    if any(pads):
        attrs["pads"] = pads
    ceil = r.random() < 0.35
    if ceil:
        attrs["ceil_mode"] = 1
    if op == "AveragePool" and r.random() < 0.5:
        attrs["count_include_pad"] = 1
    if op == "MaxPool" and r.random() < 0.2:
        dil = [r.choice([1, 2]) for _ in range(2)]
        attrs["dilations"] = dil
        pads = [min(p, (k - 1) * d) for p, k, d in zip(pads, ks * 2, dil * 2)]
    oh = pool_out(h, ks[0], st[0], pads[0], pads[2], dil[0], ceil)
    ow = pool_out(w, ks[1], st[1], pads[1], pads[3], dil[1], ceil)
    if oh < 1 or ow < 1:
        return x
    return b.node(op, [x], [(n, c, oh, ow)], **attrs)


def channel_op(b, x):
    """x op constant, per channel or scalar, either side: BN-folding and blocked fodder."""
    r = b.r
    c = b.shape[x][1]
    op = r.choice(["Add", "Sub", "Mul", "Div"])
    shape = r.choice([(1, c, 1, 1), (c, 1, 1), (), (1,)])
    k = b.randn(shape, 0.5)
    if op == "Div":
        k = (np.abs(k) + 0.5).astype(np.float32)
    ins = [x, b.const(k)]
    if r.random() < 0.4 and op != "Div":
        ins.reverse()
    return b.node(op, ins, [b.shape[x]])


def swish(b, x):
    s = [b.shape[x]]
    return b.node("Mul", [x, b.node("Sigmoid", [x], s)] if b.r.random() < 0.5 else
                  [b.node("Sigmoid", [x], s), x], s)


def residual(b, x):
    c = b.shape[x][1]
    y = conv(b, x, cout=c, same=True)
    if b.shape[y] != b.shape[x]:
        return y
    if b.r.random() < 0.5:
        y = batchnorm(b, y)
    return b.node("Add", [x, y] if b.r.random() < 0.5 else [y, x], [b.shape[x]])


def branches(b, x):
    ys = [conv(b, x, same=True) for _ in range(b.r.choice([2, 2, 3]))]
    ys = [y for y in ys if b.shape[y][2:] == b.shape[x][2:]]
    if len(ys) < 2:
        return ys[0] if ys else x
    n, _, h, w = b.shape[x]
    return b.node("Concat", ys, [(n, sum(b.shape[y][1] for y in ys), h, w)], axis=1)


def head(b, x):
    r = b.r
    n, c, h, w = b.shape[x]
    if r.random() < 0.5:
        op = r.choice(["GlobalAveragePool", "GlobalAveragePool", "GlobalMaxPool"])
        x = b.node(op, [x], [(n, c, 1, 1)])
        h = w = 1
    if r.random() < 0.3:
        return x
    x = b.node("Flatten", [x], [(n, c * h * w)], axis=1)
    k = c * h * w
    m = r.choice([2, 5, 10])
    tb = r.random() < 0.5
    wt = b.const(b.randn((m, k) if tb else (k, m), k ** -0.5))
    ins = [x, wt]
    if r.random() < 0.8:
        ins.append(b.const(b.randn(r.choice([(m,), (1, m)]), 0.1)))
    attrs = {"transB": 1} if tb else {}
    y = b.node("Gemm", ins, [(n, m)], **attrs)
    if r.random() < 0.4:
        y = b.node("Softmax", [y], [(n, m)], axis=-1)
    return y


def gen_cnn(b):
    r = b.r
    b.wide = r.random() < 0.5
    x = b.input((r.choice([1, 1, 2]), r.choice([1, 2, 3, 4, 8, 16]), r.randint(5, 14),
                 r.randint(5, 14)))
    steps = [conv, batchnorm, activation, pool, residual, branches, deconv, channel_op,
             channel_op, swish, conv3]
    for _ in range(r.randint(2, 6)):
        if r.random() < 0.5:  # the usual Conv -> BN -> act triple, fusion fodder
            x = (conv3 if r.random() < 0.4 else conv)(b, x)
            if r.random() < 0.7:
                x = batchnorm(b, x)
            x = activation(b, x)
            if r.random() < 0.4:  # Conv -> act -> pool: fuse_conv_pool fodder
                x = pool(b, x)
        else:
            x = r.choice(steps)(b, x)
    return [head(b, x)]


# ---------------------------------------------------------------- random DAGs

def bcast_shape(r, s):
    """A shape that broadcasts against s: drop leading dims, set some to 1."""
    s = list(s)
    if s and r.random() < 0.4:
        s = s[r.randint(1, len(s)):]
    return tuple(1 if r.random() < 0.3 else d for d in s)


def numel(s):
    return int(np.prod(s, dtype=np.int64)) if s else 1


class Dag:
    def __init__(self, b):
        self.b = b
        self.r = b.r
        self.pool = []

    def pick(self, pred=lambda s: True):
        c = [v for v in self.pool if pred(self.b.shape[v])]
        return self.r.choice(c) if c else None

    def operand(self, shape):
        """A tensor of exactly this shape: a pool value, a new input or a constant."""
        b = self.b
        same = [v for v in self.pool if b.shape[v] == tuple(shape)]
        roll = self.r.random()
        if same and roll < 0.5:
            return self.r.choice(same)
        if roll < 0.75:
            v = b.input(shape)
            self.pool.append(v)
            return v
        return b.const(b.randn(shape))

    def add(self, v):
        self.pool.append(v)
        return v

    # each op returns the new value or None when it does not fit
    def unary(self):
        b, r = self.b, self.r
        x = self.pick()
        s = [b.shape[x]]
        op = r.choice(["Relu", "Neg", "Abs", "Tanh", "Sigmoid", "Floor", "Ceil", "Elu",
                       "Softsign", "Exp", "Log", "Sqrt", "Erf", "Sin", "LeakyRelu",
                       "HardSwish", "Selu", "Softplus", "Reciprocal"])
        if op == "Exp":
            x = b.node("Tanh", [x], s)
        if op in ("Log", "Sqrt", "Reciprocal"):  # keep the operand away from 0
            x = b.node("Add", [b.node("Abs", [x], s), b.const(np.float32(0.5))], s)
        if op == "LeakyRelu":
            return b.node(op, [x], s, alpha=0.2)
        return b.node(op, [x], s)

    def binary(self):
        b, r = self.b, self.r
        x = self.pick()
        sx = b.shape[x]
        sy = bcast_shape(r, sx)
        y = self.operand(sy)
        if r.random() < 0.3:  # x broadcasts against a bigger y instead
            x, y = y, x
        out = tuple(np.broadcast_shapes(b.shape[x], b.shape[y]))
        op = r.choice(["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "PRelu",
                       "Pow"])
        if op == "Div" or op == "Pow":
            s = b.shape[y]
            y = b.node("Add", [b.node("Abs", [y], [s]), b.const(np.float32(0.5))], [s])
            if op == "Pow":
                x = b.node("Abs", [x], [b.shape[x]])
        if op == "PRelu":  # the slope must broadcast to x (unidirectional)
            if out != b.shape[x]:
                op = "Add"
        if op in ("Sum", "Mean", "Max", "Min") and r.random() < 0.4:
            z = self.operand(bcast_shape(r, out))
            return b.node(op, [x, y, z], [out])
        return b.node(op, [x, y], [out])

    def matmul(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: 1 <= len(s) <= 4 and numel(s) <= 512)
        if x is None:
            return None
        sx = b.shape[x]
        k = sx[-1]
        n = r.randint(1, 7)
        if len(sx) >= 2 and r.random() < 0.4:
            sy = bcast_shape(r, sx[:-2]) + (k, n)
        else:
            sy = (k, n) if r.random() < 0.9 or len(sx) < 2 else (k,)
        y = self.operand(sy) if r.random() < 0.5 else b.const(b.randn(sy, k ** -0.5))
        if len(sy) == 1:
            out = sx[:-1]
        elif len(sx) == 1:
            out = sy[:-2] + (n,)
        else:
            out = tuple(np.broadcast_shapes(sx[:-2], sy[:-2])) + (sx[-2], n)
        return b.node("MatMul", [x, y], [out])

    def gemm(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) == 2)
        if x is None:
            return None
        m, k = b.shape[x]
        ta, tb = r.random() < 0.4, r.random() < 0.5
        if ta:  # stored as [k, m], read back as [m, k]
            x = b.node("Transpose", [x], [(k, m)])
        n = r.randint(1, 6)
        w = b.const(b.randn((n, k) if tb else (k, n), k ** -0.5))
        ins = [x, w]
        attrs = {}
        if ta:
            attrs["transA"] = 1
        if tb:
            attrs["transB"] = 1
        if r.random() < 0.3:
            attrs["alpha"] = r.choice([0.5, 2.0])
        if r.random() < 0.7:
            ins.append(self.operand(r.choice([(n,), (1, n), (m, 1), (m, n), ()])))
            if r.random() < 0.3:
                attrs["beta"] = r.choice([0.5, -1.0])
        return b.node("Gemm", ins, [(m, n)], **attrs)

    def transpose(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 2)
        if x is None:
            return None
        s = b.shape[x]
        perm = list(range(len(s)))
        r.shuffle(perm)
        return b.node("Transpose", [x], [tuple(s[p] for p in perm)], perm=perm)

    def reshape(self):
        b, r = self.b, self.r
        x = self.pick()
        s = b.shape[x]
        tot = numel(s)
        dims = []
        rest = tot
        for _ in range(r.randint(0, 3)):
            divs = [d for d in range(1, rest + 1) if rest % d == 0]
            d = r.choice(divs)
            dims.append(d)
            rest //= d
        dims.append(rest)
        r.shuffle(dims)
        spec = list(dims)
        if r.random() < 0.4:
            spec[r.randrange(len(spec))] = -1
        if r.random() < 0.3 and len(s) >= 1 and len(dims) >= 1 and dims[0] == s[0]:
            spec[0] = 0
        return b.node("Reshape", [x, b.ints(spec)], [tuple(dims)])

    def slice(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        s = list(b.shape[x])
        axes = r.sample(range(len(s)), r.randint(1, len(s)))
        starts, ends, steps, out = [], [], [], list(s)
        for a in axes:
            d = s[a]
            for _ in range(8):  # draw until the slice is not empty
                st = r.choice([1, 1, 1, 2, 3, -1, -2])
                lo, hi = r.randint(-d - 2, d + 2), r.randint(-d - 2, d + 2)
                if r.random() < 0.15:
                    hi = r.choice([2 ** 62, -(2 ** 62)])
                idx = range(d)[slice(lo, hi, st)]  # Python clamps as ONNX does
                if len(idx):
                    break
            if len(idx) == 0:
                return None
            starts.append(lo)
            ends.append(hi)
            steps.append(st)
            out[a] = len(idx)
        neg = r.random() < 0.3
        ax = [a - len(s) if neg else a for a in axes]
        return b.node("Slice", [x, b.ints(starts), b.ints(ends), b.ints(ax), b.ints(steps)],
                      [tuple(out)])

    def softmax(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        rank = len(b.shape[x])
        op = r.choice(["Softmax", "LogSoftmax", "Hardmax"])
        return b.node(op, [x], [b.shape[x]], axis=r.randint(-rank, rank - 1))

    def reduce(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        s = b.shape[x]
        op = r.choice(["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                       "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp",
                       "ArgMax", "ArgMin"])
        keep = r.random() < 0.5
        if op in ("ArgMax", "ArgMin"):
            a = r.randrange(len(s))
            out = tuple(1 if i == a else d for i, d in enumerate(s)) if keep else \
                tuple(d for i, d in enumerate(s) if i != a)
            y = b.node(op, [x], [out], axis=a, keepdims=int(keep))
            return b.node("Cast", [y], [out], to=TensorProto.FLOAT)
        axes = sorted(r.sample(range(len(s)), r.randint(1, len(s))))
        allax = r.random() < 0.15
        if allax:
            axes = list(range(len(s)))
        out = tuple(1 if i in axes else d for i, d in enumerate(s)) if keep else \
            tuple(d for i, d in enumerate(s) if i not in axes)
        if op == "ReduceProd" and numel(s) // max(1, numel(out)) > 8:
            op = "ReduceMax"
        spec = [a - len(s) if r.random() < 0.3 else a for a in axes]
        if op == "ReduceSum":
            ins = [x] if allax and r.random() < 0.5 else [x, b.ints(spec)]
            return b.node(op, ins, [out], keepdims=int(keep))
        attrs = {"keepdims": int(keep)}
        if not (allax and r.random() < 0.5):
            attrs["axes"] = spec
        return b.node(op, [x], [out], **attrs)

    def concat(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        s = b.shape[x]
        a = r.randrange(len(s))
        ins = [x]
        for _ in range(r.randint(1, 3)):
            t = list(s)
            t[a] = r.randint(1, 4)
            ins.append(self.operand(tuple(t)))
        r.shuffle(ins)
        out = list(s)
        out[a] = sum(b.shape[v][a] for v in ins)
        return b.node("Concat", ins, [tuple(out)], axis=a - len(s) if r.random() < 0.3 else a)

    def split(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: any(d >= 2 for d in s))
        if x is None:
            return None
        s = b.shape[x]
        a = r.choice([i for i, d in enumerate(s) if d >= 2])
        d = s[a]
        if r.random() < 0.5 and d % 2 == 0:
            parts = [d // 2, d // 2]
            ins = [x]
        else:
            cut = sorted(r.sample(range(1, d), r.randint(1, min(3, d - 1))))
            parts = [e - st for st, e in zip([0] + cut, cut + [d])]
            ins = [x, b.ints(parts)]
        outs = [tuple(p if i == a else dd for i, dd in enumerate(s)) for p in parts]
        ys = b.node("Split", ins, outs, axis=a)
        for y in ys[1:]:
            self.add(y)
        return ys[0]

    def pad(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: 1 <= len(s) <= 4)
        if x is None:
            return None
        s = b.shape[x]
        mode = r.choice(["constant", "constant", "reflect", "edge"])
        lo, hi = [], []
        for d in s:
            m = d - 1 if mode == "reflect" else 3
            lo.append(r.randint(0, m) if r.random() < 0.6 else 0)
            hi.append(r.randint(0, m) if r.random() < 0.6 else 0)
        if mode == "constant" and r.random() < 0.3:  # negative pads crop
            i = r.randrange(len(s))
            if s[i] >= 2:
                lo[i] = -r.randint(1, s[i] - 1)
        out = tuple(d + a + c for d, a, c in zip(s, lo, hi))
        ins = [x, b.ints(lo + hi)]
        if mode == "constant" and r.random() < 0.5:
            ins.append(b.const(np.float32(r.uniform(-2, 2))))
        return b.node("Pad", ins, [out], mode=mode)

    def resize(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) == 4 and numel(s) <= 256)
        if x is None:
            x = self.add(b.input((r.randint(1, 2), r.randint(1, 3), r.randint(1, 5),
                                  r.randint(1, 5))))
        s = b.shape[x]
        mode = r.choice(["nearest", "linear", "cubic"])
        ctm = r.choice(["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"])
        attrs = {"mode": mode, "coordinate_transformation_mode": ctm}
        if mode == "nearest":
            attrs["nearest_mode"] = r.choice(["round_prefer_floor", "round_prefer_ceil",
                                              "floor", "ceil"])
        if mode == "cubic" and r.random() < 0.5:
            attrs["cubic_coeff_a"] = -0.5
        if mode == "cubic" and r.random() < 0.3:
            attrs["exclude_outside"] = 1
        if r.random() < 0.5:
            sc = [1.0, 1.0] + [r.choice([0.5, 1.5, 2.0, 3.0, 0.75]) for _ in range(2)]
            out = tuple(int(np.floor(d * f)) for d, f in zip(s, sc))
            if min(out) < 1:
                return None
            # align_corners with a fractional output length (5 * 1.5): ONNX's reference,
            # which cnnc follows for the conformance data, divides by 7.5 - 1 and ONNX
            # Runtime by 7 - 1. A known disagreement of the references, not drawn.
            if ctm == "align_corners" and any(d * f != o for d, f, o in zip(s, sc, out)):
                return None
            scales = b.const(np.array(sc, dtype=np.float32))
            return b.node("Resize", [x, "", scales], [out], **attrs)
        out = tuple(s[:2]) + tuple(r.randint(1, 9) for _ in range(2))
        return b.node("Resize", [x, "", "", b.ints(list(out))], [out], **attrs)

    def gather(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        s = b.shape[x]
        a = r.randrange(len(s))
        ishape = r.choice([(), (r.randint(1, 4),), (2, r.randint(1, 3))])
        idx = self.b.np.integers(-s[a], s[a], size=ishape).astype(np.int64)
        out = s[:a] + ishape + s[a + 1:]
        return b.node("Gather", [x, b.const(idx, "i")], [out], axis=a)

    def expand(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) <= 4 and numel(s) <= 64)
        if x is None:
            return None
        s = b.shape[x]
        tgt = [r.choice([d, 1]) if d != 1 else r.randint(1, 3) for d in s]
        tgt = [r.randint(1, 3) for _ in range(r.randint(0, 1))] + tgt
        out = tuple(np.broadcast_shapes(s, tuple(tgt)))
        if r.random() < 0.5:
            return b.node("Expand", [x, b.ints(tgt)], [out])
        reps = [r.randint(1, 3) for _ in s]
        return b.node("Tile", [x, b.ints(reps)], [tuple(d * k for d, k in zip(s, reps))])

    def squeeze(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) <= 4)
        if x is None:
            return None
        s = b.shape[x]
        if 1 in s and r.random() < 0.5:
            ax = [i for i, d in enumerate(s) if d == 1]
            ax = r.sample(ax, r.randint(1, len(ax)))
            out = tuple(d for i, d in enumerate(s) if i not in ax)
            return b.node("Squeeze", [x, b.ints(ax)], [out])
        a = r.randint(0, len(s))
        out = s[:a] + (1,) + s[a:]
        return b.node("Unsqueeze", [x, b.ints([a])], [out])

    def where(self):
        b, r = self.b, self.r
        x = self.pick()
        s = b.shape[x]
        y = self.operand(bcast_shape(r, s))
        cond_src = self.operand(bcast_shape(r, s))
        cond = b.node(r.choice(["Greater", "Less"]), [cond_src, b.const(np.float32(0))],
                      [b.shape[cond_src]])
        out = tuple(np.broadcast_shapes(s, b.shape[y], b.shape[cond_src]))
        return b.node("Where", [cond, x, y], [out])

    def norm(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 2)
        if x is None:
            return None
        s = b.shape[x]
        if len(s) >= 3 and r.random() < 0.5:
            c = s[1]
            return b.node("InstanceNormalization",
                          [x, b.const(b.randn((c,), 0.3) + 1), b.const(b.randn((c,), 0.2))],
                          [s], epsilon=1e-3)
        if r.random() < 0.5:
            a = r.randint(-len(s), len(s) - 1)
            inner = s[a:]
            ins = [x, b.const(b.randn(inner, 0.3) + 1)]
            if r.random() < 0.7:
                ins.append(b.const(b.randn(inner, 0.2)))
            return b.node("LayerNormalization", ins, [s], axis=a,
                          epsilon=r.choice([1e-5, 1e-3]))
        return b.node("LpNormalization", [x], [s], axis=-1, p=r.choice([1, 2]))

    def einsum(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: 2 <= len(s) <= 3)
        if x is None:
            return None
        s = b.shape[x]
        if len(s) == 2:
            m, k = s
            n = r.randint(1, 4)
            eq, ys, out = r.choice([("ij,jk->ik", (k, n), (m, n)), ("ij,kj->ik", (n, k), (m, n)),
                                    ("ij,ij->i", (m, k), (m,)), ("ij->ji", None, (k, m))])
        else:
            bt, m, k = s
            n = r.randint(1, 4)
            eq, ys, out = r.choice([("bij,bjk->bik", (bt, k, n), (bt, m, n)),
                                    ("bij->bj", None, (bt, k)), ("bij,j->bi", (k,), (bt, m))])
        ins = [x] if ys is None else [x, self.operand(ys)]
        return b.node("Einsum", ins, [out], equation=eq)

    def cumsum(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) >= 1)
        if x is None:
            return None
        a = r.randrange(len(b.shape[x]))
        return b.node("CumSum", [x, b.const(np.array(a, dtype=np.int64), "k")],
                      [b.shape[x]], exclusive=int(r.random() < 0.3),
                      reverse=int(r.random() < 0.3))

    def window(self):
        """Conv or a pool over 1 to 3 spatial axes, on a new or an existing tensor."""
        b, r = self.b, self.r
        x = self.pick(lambda s: 3 <= len(s) <= 5 and numel(s) <= 1024 and min(s[2:]) >= 2)
        if x is None:
            nd = r.randint(1, 3)
            x = self.add(b.input((r.randint(1, 2), r.randint(1, 4)) +
                                 tuple(r.randint(2, 7) for _ in range(nd))))
        s = b.shape[x]
        n, c, sp = s[0], s[1], s[2:]
        nd = len(sp)
        op = r.choice(["Conv", "Conv", "MaxPool", "AveragePool", "LpPool"])
        ks = [r.randint(1, min(3, d)) for d in sp]
        st = [r.choice([1, 1, 2]) for _ in sp]
        dil = [1] * nd
        if op in ("Conv", "MaxPool") and r.random() < 0.3:
            dil = [r.choice([1, 2]) for _ in sp]
        pads = [r.randint(0, k - 1) if k > 1 else 0 for k in ks * 2]
        attrs = {"kernel_shape": ks, "strides": st}
        if any(pads):
            attrs["pads"] = pads
        if dil != [1] * nd:
            attrs["dilations"] = dil
        ceil = op in ("MaxPool", "AveragePool") and r.random() < 0.3
        if ceil:
            attrs["ceil_mode"] = 1
        out = [pool_out(d, k, t, pads[i], pads[i + nd], dl, ceil)
               for i, (d, k, t, dl) in enumerate(zip(sp, ks, st, dil))]
        if min(out) < 1:
            return None
        if op == "Conv":
            g = r.choice([g for g in (1, 1, c) if c % g == 0])
            cout = g * r.randint(1, 3)
            if g > 1:
                attrs["group"] = g
            fan = numel(ks) * c // g
            w = b.const(b.randn((cout, c // g) + tuple(ks), fan ** -0.5))
            return b.node("Conv", [x, w], [(n, cout) + tuple(out)], **attrs)
        if op == "LpPool":
            attrs.pop("ceil_mode", None)
            attrs["p"] = r.choice([1, 2])
        if op == "AveragePool" and r.random() < 0.5:
            attrs["count_include_pad"] = 1
        return b.node(op, [x], [(n, c) + tuple(out)], **attrs)

    def space(self):
        b, r = self.b, self.r
        x = self.pick(lambda s: len(s) == 4)
        if x is None:
            return None
        n, c, h, w = b.shape[x]
        bs = r.choice([2, 3])
        if h % bs == 0 and w % bs == 0 and r.random() < 0.5:
            return b.node("SpaceToDepth", [x], [(n, c * bs * bs, h // bs, w // bs)],
                          blocksize=bs)
        if c % (bs * bs) == 0:
            return b.node("DepthToSpace", [x], [(n, c // (bs * bs), h * bs, w * bs)],
                          blocksize=bs, mode=r.choice(["DCR", "CRD"]))
        return None


DAG_OPS = ["unary", "binary", "binary", "matmul", "gemm", "transpose", "reshape", "slice",
           "softmax", "reduce", "concat", "split", "pad", "resize", "gather", "expand",
           "squeeze", "where", "norm", "cumsum", "window", "window", "space", "einsum"]


def gen_dag(b):
    r = b.r
    d = Dag(b)
    for _ in range(r.randint(1, 2)):
        rank = r.randint(1, 4)
        d.add(b.input(tuple(r.randint(1, 5) for _ in range(rank))))
    for _ in range(r.randint(2, 10)):
        v = getattr(d, r.choice(DAG_OPS))()
        if v is not None and 0 < numel(b.shape[v]) <= 4096 and len(b.shape[v]) <= 6:
            d.add(v)
    used = {i for n in b.nodes for i in n.input}
    outs = [v for v in d.pool if v not in used and v not in [i.name for i in b.inputs]]
    if not outs:
        outs = [b.node("Relu", [d.pool[-1]], [b.shape[d.pool[-1]]])]
    return outs[:4]


def generate(kind, seed):
    r = random.Random(seed * 2654435761 % (1 << 32))
    if kind == "mix":
        kind = "cnn" if r.random() < 0.4 else "dag"
    name = "%s_%d" % (kind, seed)
    b = Builder(r, name)
    outs = gen_cnn(b) if kind == "cnn" else gen_dag(b)
    m = b.model(outs)
    # inputs that ended up unused are dropped (ORT and cnnc both accept them, but they
    # would only make the reproducers bigger)
    used = {i for n in m.graph.node for i in n.input} | {o.name for o in m.graph.output}
    keep = [i for i in m.graph.input if i.name in used]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    onnx.checker.check_model(m)
    return name, m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--kind", choices=["cnn", "dag", "mix"], default="mix")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    for s in range(a.seed, a.seed + a.count):
        name, m = generate(a.kind, s)
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "model.onnx"))
        print(d)


if __name__ == "__main__":
    main()
