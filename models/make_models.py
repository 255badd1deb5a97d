#!/usr/bin/python3
"""make_models.py - writes the ONNX models of cnnc's end-to-end tests.

    make_models.py --out DIR [NAME...]    write DIR/NAME.onnx (default: every model)
    make_models.py --list                 print the models: name, set, input shape
    make_models.py --check DATA [NAME...] compare DATA/NAME/test_data_set_0/output_K.pb
                                          with this script's own float64 evaluation

The models are built "the way common exporters do": PyTorch-style shape chains
(Shape -> Gather -> Unsqueeze -> Concat -> Reshape) before classifiers, Constant
nodes, TF-style asymmetric padding, Clip as ReLU6, Sigmoid*Mul as SiLU, Erf-based
Gelu; some models are IR 3 with every initializer also listed as a graph input,
others IR 6-8 with opsets 7 to 17.

Key decision: every model is built eagerly. Each builder call emits an ONNX node
and also evaluates it with numpy in float64 on seeded calibration inputs (a
batch of 8 for the small models, 1 for the ImageNet-size ones), so weights can
be scaled from real activations: BatchNormalization gets running
statistics near the true ones (as after training) and convolutions without
BatchNorm are rescaled to unit output (LSUV-style). That keeps activations in a
sane range through 100+ layers. The same trace replays on any input (--check),
an independent reference for ONNX Runtime's outputs.

The bytes written are deterministic: weights come from numpy's legacy
RandomState (a frozen stream), and every number derived from activations is
rounded to 2-3 significant digits, so last-bit differences between BLAS builds
cannot change the model. tests/e2e/run.sh relies on this: it checks a sha256 of
the big models, which are regenerated rather than committed.
"""

import argparse
import math
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper

F32 = np.float32
I64 = np.int64


def q(x, digits=3):
    """Rounds to `digits` significant digits (decimal), elementwise."""
    a = np.asarray(x, dtype=np.float64)
    flat = [float('%.*g' % (digits, v)) for v in a.ravel()]
    return np.array(flat, dtype=np.float64).reshape(a.shape)


# ---------------------------------------------------------------- numpy semantics
# Float64 implementations of the ONNX ops the models use (only the attribute
# combinations the models use; each asserts what it does not handle).

def np_conv(x, w, b, strides, pads, dil, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group and m % group == 0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dil[0], j * dil[1]
            cols[:, :, i, j] = xp[:, :, r0:r0 + strides[0] * (oh - 1) + 1:strides[0],
                          c0:c0 + strides[1] * (ow - 1) + 1:strides[1]]
    cols = cols.reshape(n, group, cg * kh * kw, oh * ow)
    wg = w.reshape(group, m // group, cg * kh * kw)
    y = np.matmul(wg[None], cols).reshape(n, m, oh, ow)
    if b is not None:
        y += b.reshape(1, m, 1, 1)
    return y


def np_conv_transpose(x, w, b, strides, pads):
    n, c, h, wd = x.shape
    c2, m, kh, kw = w.shape
    assert c == c2
    full = np.zeros((n, m, (h - 1) * strides[0] + kh, (wd - 1) * strides[1] + kw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + strides[0] * (h - 1) + 1:strides[0],
                 j:j + strides[1] * (wd - 1) + 1:strides[1]] += np.einsum('nchw,cm->nmhw', x, w[:, :, i, j])
    y = full[:, :, pads[0]:full.shape[2] - pads[2], pads[1]:full.shape[3] - pads[3]]
    if b is not None:
        y = y + b.reshape(1, m, 1, 1)
    return y


def pool_out(n, k, s, pb, pe, ceil):
    num = n + pb + pe - k
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil:
        assert (out - 1) * s < n + pb, 'last ceil-mode window would start in the padding'
    return out


def np_pool(x, kind, k, s, pads, ceil=False):
    n, c, h, w = x.shape
    oh = pool_out(h, k[0], s[0], pads[0], pads[2], ceil)
    ow = pool_out(w, k[1], s[1], pads[1], pads[3], ceil)
    eh = max(0, (oh - 1) * s[0] + k[0] - (h + pads[0] + pads[2]))
    ew = max(0, (ow - 1) * s[1] + k[1] - (w + pads[1] + pads[3]))
    padw = ((0, 0), (0, 0), (pads[0], pads[2] + eh), (pads[1], pads[3] + ew))
    if kind == 'max':
        xp = np.pad(x, padw, constant_values=-np.inf)
    else:
        assert pads == [0, 0, 0, 0] and not ceil, 'average pooling without padding only'
        xp = x
    win = [xp[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]]
           for i in range(k[0]) for j in range(k[1])]
    return np.max(win, axis=0) if kind == 'max' else np.mean(win, axis=0)


def np_bn(x, scale, bias, mean, var, eps):
    sh = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * scale.reshape(sh) + bias.reshape(sh)


def np_lrn(x, size, alpha, beta, bias):
    c = x.shape[1]
    sq = x * x
    acc = np.zeros_like(x)
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    for ch in range(c):
        acc[:, ch] = sq[:, max(0, ch - lo):min(c, ch + hi + 1)].sum(axis=1)
    return x / (bias + alpha / size * acc) ** beta


def resize_axis(x, axis, scale, mode, ctm):
    n = x.shape[axis]
    m = int(math.floor(n * scale))
    o = np.arange(m, dtype=np.float64)
    if ctm == 'asymmetric':
        src = o / scale
    elif ctm == 'half_pixel':
        src = (o + 0.5) / scale - 0.5
    elif ctm == 'pytorch_half_pixel':
        src = (o + 0.5) / scale - 0.5 if m > 1 else np.zeros(m)
    elif ctm == 'align_corners':
        src = o * (n - 1) / (m - 1) if m > 1 else np.zeros(m)
    else:
        raise ValueError(ctm)
    if mode == 'nearest':  # nearest_mode 'floor'
        idx = np.clip(np.floor(src).astype(I64), 0, n - 1)
        return np.take(x, idx, axis=axis)
    src = np.clip(src, 0, n - 1)
    i0 = np.floor(src).astype(I64)
    i1 = np.minimum(i0 + 1, n - 1)
    f = src - i0
    sh = [1] * x.ndim
    sh[axis] = m
    f = f.reshape(sh)
    return np.take(x, i0, axis=axis) * (1 - f) + np.take(x, i1, axis=axis) * f


def np_resize(x, scales, mode, ctm):
    for ax, s in enumerate(scales):
        if s != 1:
            x = resize_axis(x, ax, float(s), mode, ctm)
    return x


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_lstm(x, w, r, b, hidden):
    t, bs, _ = x.shape
    hsz = hidden
    h = np.zeros((bs, hsz))
    c = np.zeros((bs, hsz))
    wb, rb = b[0, :4 * hsz], b[0, 4 * hsz:]
    ys = []
    for step in range(t):
        gates = x[step] @ w[0].T + h @ r[0].T + wb + rb
        i, o, f, g = (gates[:, k * hsz:(k + 1) * hsz] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        ys.append(h)
    y = np.stack(ys)[:, None]
    return y, h[None], c[None]


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_layernorm(x, g, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


np_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_gather(x, idx, axis):
    return np.take(x, np.where(idx < 0, idx + x.shape[axis], idx), axis=axis)


def np_slice(x, starts, ends, axes):
    sl = [slice(None)] * x.ndim
    for s, e, a in zip(starts, ends, axes):
        sl[a] = slice(int(s), int(min(e, 2**62)))
    return x[tuple(sl)]


# ------------------------------------------------------------------- the builder

class Graph:
    """One model under construction: ONNX nodes plus their eager float64 values."""

    def __init__(self, name, seed, opset, ir, init_inputs=False, const_nodes=True,
             names='num', batch=None, calib_batch=1):
        self.name, self.opset, self.ir = name, opset, ir
        self.init_inputs = init_inputs  # IR 3 style: initializers are graph inputs too
        self.const_nodes = const_nodes  # constants as Constant nodes, else initializers
        self.names = names              # 'num': "123"; 'path': "/Conv_3/output_0"
        self.batch = batch              # symbolic name of dim 0 of inputs/outputs
        self.calib_batch = calib_batch  # images in the calibration input (its dim 0)
        self.rng = np.random.RandomState(seed)
        self.calib = np.random.RandomState(seed + 7919)
        self.nodes, self.trace = [], []
        self.params = {}                # name -> np.ndarray (float32 or int64), in order
        self.env = {}                   # name -> float64 (or int64) value
        self.inputs, self.outputs = [], []
        self.count = {}
        self.k = 0

    # -- naming
    def _n(self, kind):
        self.count[kind] = self.count.get(kind, 0) + 1
        return self.count[kind]

    def _tmp(self, op):
        self.k += 1
        return str(self.k) if self.names == 'num' else '/%s_%d/output_0' % (op, self.k)

    # -- graph interface
    def input(self, name, shape):
        v = self.calib.standard_normal([self.calib_batch] + list(shape[1:]))
        v = v.astype(F32).astype(np.float64)
        self.inputs.append((name, list(shape)))
        self.env[name] = v
        return name

    def output(self, x, name=None):
        """Marks x as a graph output, renamed to `name` if given; returns its name."""
        if name:
            for node in self.nodes:
                for lst in (node.input, node.output):
                    for k, v in enumerate(lst):
                        if v == x:
                            lst[k] = name
            ren = lambda l: [name if v == x else v for v in l]
            self.trace = [(ren(i), ren(o), fn) for i, o, fn in self.trace]
            self.env[name] = self.env.pop(x)
            x = name
        self.outputs.append(x)
        return x

    def param(self, arr, name):
        if arr.dtype != I64:
            arr = np.asarray(arr, dtype=F32)
        assert name not in self.params and name not in self.env
        self.params[name] = arr
        self.env[name] = arr.astype(np.float64) if arr.dtype == F32 else arr
        return name

    def const(self, arr, dtype=I64):
        """A constant the way exporters write shapes and scalars."""
        arr = np.asarray(arr, dtype=dtype)
        if not self.const_nodes:
            return self.param(arr, 'const_%d' % self._n('const'))
        name = self._tmp('Constant')
        t = onnx.numpy_helper.from_array(arr)
        self.nodes.append(helper.make_node('Constant', [], [name], name='Constant_%d' % self.k, value=t))
        self.env[name] = arr.astype(np.float64) if arr.dtype == F32 else arr
        return name

    def op(self, op_type, inputs, fn, nout=1, out=None, **attrs):
        outs = [self._tmp(op_type) for _ in range(nout)] if out is None else [out]
        node_name = '%s_%d' % (op_type, self.k)
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=node_name, **attrs))
        self.trace.append((list(inputs), outs, fn))
        vals = fn(*[self.env[i] if i else None for i in inputs])
        if nout == 1:
            vals = (vals,)
        for o, v in zip(outs, vals):
            self.env[o] = v
        return outs[0] if nout == 1 else outs

    def val(self, x):
        return self.env[x]

    def replay(self, feeds):
        """Evaluates the finished graph on other inputs, in float64."""
        env = {k: (v.astype(np.float64) if v.dtype == F32 else v) for k, v in self.params.items()}
        for node in self.nodes:
            if node.op_type == 'Constant':
                a = onnx.numpy_helper.to_array(node.attribute[0].t)
                env[node.output[0]] = a.astype(np.float64) if a.dtype == F32 else a
        env.update(feeds)
        for ins, outs, fn in self.trace:
            vals = fn(*[env[i] if i else None for i in ins])
            if len(outs) == 1:
                vals = (vals,)
            for o, v in zip(outs, vals):
                env[o] = v
        return [env[o] for o in self.outputs]

    def model(self):
        def vi(name, shape, dt=TensorProto.FLOAT):
            dims = list(shape)  # dim 0 is the batch: 1 (the calibration input's may differ)
            dims[0] = self.batch or 1
            return helper.make_tensor_value_info(name, dt, dims)
        inits = [onnx.numpy_helper.from_array(a, n) for n, a in self.params.items()]
        ins = [vi(n, s) for n, s in self.inputs]
        if self.init_inputs:
            ins += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
        outs = [vi(o, self.env[o].shape) for o in self.outputs]
        graph = helper.make_graph(self.nodes, self.name, ins, outs, initializer=inits)
        m = helper.make_model(graph, producer_name='cnnc-make_models', producer_version='1',
                      opset_imports=[helper.make_opsetid('', self.opset)])
        m.ir_version = self.ir
        onnx.checker.check_model(m)
        return m

    # -------------------------------------------------------------- layers
    def conv(self, x, cout, k, s=1, pads=None, group=1, dil=1, bias=True, norm=None,
         name=None, init_gain=2.0):
        """Conv with He-initialised weights. norm=T rescales the weights so the output
        std on the calibration input is T (for convolutions without BatchNorm)."""
        xv = self.val(x)
        cin = xv.shape[1]
        k = (k, k) if isinstance(k, int) else tuple(k)
        s = (s, s) if isinstance(s, int) else tuple(s)
        d = (dil, dil)
        if pads is None:
            pads = [d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2] * 2
        fan_in = cin // group * k[0] * k[1]
        w = self.rng.standard_normal((cout, cin // group, k[0], k[1])) * math.sqrt(init_gain / fan_in)
        b = self.rng.standard_normal(cout) * 0.05 if bias else None
        w = w.astype(F32)
        b = b.astype(F32) if bias else None
        if norm:
            y = np_conv(xv, w.astype(np.float64), None if b is None else b.astype(np.float64),
                    s, pads, d, group)
            f = F32(q(norm / max(y.std(), 1e-6), 2))
            w *= f
            if bias:
                b *= f
        name = name or 'conv%d' % self._n('conv')
        ins = [x, self.param(w, name + '.weight')]
        if bias:
            ins.append(self.param(b, name + '.bias'))
        attrs = dict(kernel_shape=list(k), strides=list(s), pads=list(pads), group=group)
        if dil != 1:
            attrs['dilations'] = list(d)
        return self.op('Conv', ins,
                   lambda a, wt, bb=None: np_conv(a, wt, bb, s, pads, d, group), **attrs)

    def conv_transpose(self, x, cout, k, s, name=None):
        cin = self.val(x).shape[1]
        w = (self.rng.standard_normal((cin, cout, k, k)) * math.sqrt(2.0 / (cin * k * k / (s * s))))
        b = self.rng.standard_normal(cout) * 0.05
        name = name or 'up%d' % self._n('up')
        ins = [x, self.param(w, name + '.weight'), self.param(b, name + '.bias')]
        return self.op('ConvTranspose', ins,
                   lambda a, wt, bb: np_conv_transpose(a, wt, bb, (s, s), [0, 0, 0, 0]),
                   kernel_shape=[k, k], strides=[s, s])

    def bn(self, x, eps=1e-5, gamma=1.0, name=None):
        """BatchNormalization with running statistics near the true ones."""
        xv = self.val(x)
        c = xv.shape[1]
        axes = (0,) + tuple(range(2, xv.ndim))
        mu = q(xv.mean(axis=axes))
        var = q(np.maximum(xv.var(axis=axes), max(1e-3, 1e-2 * float(np.median(xv.var(axis=axes))))))
        rm = mu + 0.05 * np.sqrt(var) * self.rng.standard_normal(c)
        rv = var * np.exp(0.1 * self.rng.standard_normal(c))
        g = gamma * self.rng.uniform(0.8, 1.2, c)
        be = 0.1 * self.rng.standard_normal(c)
        name = name or 'bn%d' % self._n('bn')
        ins = [x, self.param(g, name + '.weight'), self.param(be, name + '.bias'),
               self.param(rm, name + '.running_mean'), self.param(rv, name + '.running_var')]
        return self.op('BatchNormalization', ins,
                   lambda a, sc, bb, m, v: np_bn(a, sc, bb, m, v, eps), epsilon=eps)

    def relu(self, x):
        return self.op('Relu', [x], lambda a: np.maximum(a, 0))

    def leaky(self, x, alpha=0.1):
        return self.op('LeakyRelu', [x], lambda a: np.where(a >= 0, a, a * F32(alpha)), alpha=alpha)

    def sigmoid(self, x):
        return self.op('Sigmoid', [x], sigmoid)

    def silu(self, x):
        return self.mul(x, self.sigmoid(x))

    def relu6(self, x):
        if self.opset < 11:
            return self.op('Clip', [x], lambda a: np.clip(a, 0, 6), min=0.0, max=6.0)
        lo, hi = self.const(0.0, F32), self.const(6.0, F32)
        return self.op('Clip', [x, lo, hi], lambda a, mn, mx: np.clip(a, mn, mx))

    def add(self, a, b):
        return self.op('Add', [a, b], np.add)

    def sub(self, a, b):
        return self.op('Sub', [a, b], np.subtract)

    def mul(self, a, b):
        return self.op('Mul', [a, b], np.multiply)

    def div(self, a, b):
        return self.op('Div', [a, b], np.divide)

    def maxpool(self, x, k, s, pads=(0, 0, 0, 0), ceil=False):
        pads = list(pads)
        attrs = dict(kernel_shape=[k, k], strides=[s, s], pads=pads)
        if ceil:
            assert self.opset >= 10
            attrs['ceil_mode'] = 1
        return self.op('MaxPool', [x], lambda a: np_pool(a, 'max', (k, k), (s, s), pads, ceil), **attrs)

    def avgpool(self, x, k, s=None):
        k = (k, k) if isinstance(k, int) else tuple(k)
        s = k if s is None else ((s, s) if isinstance(s, int) else tuple(s))
        return self.op('AveragePool', [x], lambda a: np_pool(a, 'avg', k, s, [0, 0, 0, 0]),
                   kernel_shape=list(k), strides=list(s))

    def gap(self, x):
        return self.op('GlobalAveragePool', [x], lambda a: a.mean(axis=(2, 3), keepdims=True))

    def reduce_mean(self, x, axes, keepdims):
        assert self.opset < 18
        return self.op('ReduceMean', [x], lambda a: a.mean(axis=tuple(axes), keepdims=bool(keepdims)),
                   axes=list(axes), keepdims=keepdims)

    def concat(self, xs, axis=1):
        return self.op('Concat', xs, lambda *a: np.concatenate(a, axis=axis), axis=axis)

    def flatten(self, x):
        return self.op('Flatten', [x], lambda a: a.reshape(a.shape[0], -1), axis=1)

    def reshape(self, x, shape):
        """Reshape to a constant shape (0 copies, -1 infers)."""
        def fn(a, s):
            s = [a.shape[i] if v == 0 else int(v) for i, v in enumerate(s)]
            return a.reshape(s)
        return self.op('Reshape', [x, shape if isinstance(shape, str) else self.const(shape)], fn)

    def transpose(self, x, perm):
        return self.op('Transpose', [x], lambda a: a.transpose(perm), perm=list(perm))

    def unsqueeze(self, x, axes):
        def fn(a, _=None):
            for ax in sorted(axes):
                a = np.expand_dims(a, ax)
            return a
        if self.opset < 13:
            return self.op('Unsqueeze', [x], fn, axes=list(axes))
        return self.op('Unsqueeze', [x, self.const(axes)], fn)

    def squeeze(self, x, axes):
        fn = lambda a, _=None: np.squeeze(a, axis=tuple(axes))
        if self.opset < 13:
            return self.op('Squeeze', [x], fn, axes=list(axes))
        return self.op('Squeeze', [x, self.const(axes)], fn)

    def split(self, x, sizes, axis):
        cuts = np.cumsum(sizes)[:-1]
        fn = lambda a, _=None: tuple(np.split(a, cuts, axis=axis))
        if self.opset < 13:
            return self.op('Split', [x], fn, nout=len(sizes), axis=axis, split=list(sizes))
        return self.op('Split', [x, self.const(sizes)], fn, nout=len(sizes), axis=axis)

    def slice(self, x, starts, ends, axes):
        fn = lambda a, *_: np_slice(a, starts, ends, axes)
        if self.opset < 10:
            return self.op('Slice', [x], fn, starts=list(starts), ends=list(ends), axes=list(axes))
        return self.op('Slice', [x, self.const(starts), self.const(ends), self.const(axes)], fn)

    def gather(self, x, idx, axis=0):
        return self.op('Gather', [x, idx], lambda a, i: np_gather(a, i, axis), axis=axis)

    def shape(self, x):
        return self.op('Shape', [x], lambda a: np.array(a.shape, dtype=I64))

    def softmax(self, x, axis=-1):
        if self.opset < 13:
            assert axis in (1, -1) and self.val(x).ndim == 2
            axis = 1
        return self.op('Softmax', [x], lambda a: np_softmax(a, axis), axis=axis)

    def dropout(self, x, ratio=0.5):
        if self.opset < 12:
            return self.op('Dropout', [x], lambda a: a, ratio=ratio)
        return self.op('Dropout', [x], lambda a: a)

    def lrn(self, x, size=5, alpha=1e-4, beta=0.75, bias=1.0):
        return self.op('LRN', [x], lambda a: np_lrn(a, size, alpha, beta, bias),
                   size=size, alpha=alpha, beta=beta, bias=bias)

    def resize(self, x, scale, mode, ctm):
        assert self.opset >= 11
        scales = [1.0, 1.0, float(scale), float(scale)]
        roi = self.const(np.zeros(0), F32)
        sc = self.const(scales, F32)
        attrs = dict(mode=mode, coordinate_transformation_mode=ctm)
        if mode == 'nearest':
            attrs['nearest_mode'] = 'floor'
        return self.op('Resize', [x, roi, sc], lambda a, r, s: np_resize(a, s, mode, ctm), **attrs)

    def gemm(self, x, nout, norm=None, name=None):
        nin = self.val(x).shape[1]
        w = (self.rng.standard_normal((nout, nin)) * math.sqrt(2.0 / nin)).astype(F32)
        b = (self.rng.standard_normal(nout) * 0.05).astype(F32)
        if norm:
            y = self.val(x) @ w.T.astype(np.float64)
            f = F32(q(norm / max(y.std(), 1e-6), 2))
            w *= f
            b *= f
        name = name or 'fc%d' % self._n('fc')
        ins = [x, self.param(w, name + '.weight'), self.param(b, name + '.bias')]
        return self.op('Gemm', ins, lambda a, wt, bb: a @ wt.T + bb, alpha=1.0, beta=1.0, transB=1)

    def linear(self, x, nout, norm=None, name=None, std=None):
        """PyTorch nn.Linear on a 3-D tensor: MatMul with W^T, then Add."""
        nin = self.val(x).shape[-1]
        w = self.rng.standard_normal((nin, nout)) * (std if std else math.sqrt(1.0 / nin))
        b = self.rng.standard_normal(nout) * 0.02
        if norm:
            f = q(norm / max((self.val(x) @ w).std(), 1e-6), 2)
            w, b = w * f, b * f
        name = name or 'linear%d' % self._n('linear')
        y = self.op('MatMul', [x, self.param(w, name + '.weight_t')], np.matmul)
        return self.add(y, self.param(b, name + '.bias'))

    def flatten_torch(self, x):
        """x.view(x.size(0), -1) as PyTorch exports it."""
        s = self.shape(x)
        n = self.gather(s, self.const(0), axis=0)
        n = self.unsqueeze(n, [0])
        return self.reshape(x, self.concat([n, self.const([-1])], axis=0))

    def conv_bn(self, x, cout, k, s=1, pads=None, group=1, act='relu', eps=1e-5, gamma=1.0):
        y = self.bn(self.conv(x, cout, k, s, pads, group, bias=False), eps=eps, gamma=gamma)
        if act == 'relu':
            return self.relu(y)
        if act == 'relu6':
            return self.relu6(y)
        if act == 'silu':
            return self.silu(y)
        if act == 'leaky':
            return self.leaky(y)
        return y


# -------------------------------------------------------------------- the models

def lenet():
    g = Graph('lenet', 101, opset=8, ir=3, init_inputs=True, const_nodes=False, calib_batch=8)
    x = g.input('input', [1, 1, 28, 28])
    x = g.maxpool(g.relu(g.conv(x, 6, 5, pads=[2, 2, 2, 2], norm=1.0)), 2, 2)
    x = g.maxpool(g.relu(g.conv(x, 16, 5, pads=[0, 0, 0, 0], norm=1.0)), 2, 2)
    x = g.flatten_torch(x)
    x = g.relu(g.gemm(x, 120, norm=1.0))
    x = g.relu(g.gemm(x, 84, norm=1.0))
    g.output(g.gemm(x, 10, norm=3.0), 'output')
    return g


def resnet8():
    """MLPerf Tiny's CIFAR-10 ResNet-8, with a dynamic batch."""
    g = Graph('resnet8', 102, opset=11, ir=6, batch='batch_size', calib_batch=8)
    x = g.conv_bn(g.input('input', [1, 3, 32, 32]), 16, 3)
    for cout, s in ((16, 1), (32, 2), (64, 2)):
        y = g.conv_bn(x, cout, 3, s)
        y = g.conv_bn(y, cout, 3, act=None, gamma=0.5)
        sc = x if s == 1 else g.conv(x, cout, 1, s, pads=[0, 0, 0, 0])
        x = g.relu(g.add(y, sc))
    x = g.flatten(g.avgpool(x, 8))
    g.output(g.softmax(g.gemm(x, 10, norm=3.0), 1), 'output')
    return g


def dscnn():
    """MLPerf Tiny's keyword-spotting DS-CNN as tf2onnx writes it (SAME pads, MatMul+Add)."""
    g = Graph('dscnn', 103, opset=13, ir=7, names='path', calib_batch=8)
    x = g.input('input', [1, 1, 49, 10])
    x = g.conv_bn(x, 64, (10, 4), 2, pads=[4, 1, 5, 2], eps=1e-3)
    for _ in range(4):
        x = g.conv_bn(x, 64, 3, 1, group=64, eps=1e-3)
        x = g.conv_bn(x, 64, 1, 1, pads=[0, 0, 0, 0], eps=1e-3)
    x = g.reshape(g.avgpool(x, (25, 5)), [-1, 64])
    w = (g.rng.standard_normal((64, 12)) * 0.25).astype(F32)
    x = g.op('MatMul', [x, g.param(w, 'dense/kernel')], np.matmul)
    x = g.add(x, g.param(g.rng.standard_normal(12) * 0.05, 'dense/bias'))
    g.output(g.softmax(x, -1), 'output')
    return g


def mobilenetv1_025():
    """MobileNetV1 alpha 0.25 for visual wake words (96x96, 2 classes), TF-style pads."""
    g = Graph('mobilenetv1_025', 104, opset=12, ir=7, calib_batch=8)
    x = g.input('input', [1, 3, 96, 96])
    x = g.conv_bn(x, 8, 3, 2, pads=[0, 0, 1, 1], act='relu6', eps=1e-3)
    cfg = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
    for cout, s in cfg:
        cin = g.val(x).shape[1]
        x = g.conv_bn(x, cin, 3, s, pads=[1, 1, 1, 1] if s == 1 else [0, 0, 1, 1], group=cin,
                  act='relu6', eps=1e-3)
        x = g.conv_bn(x, cout, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.reshape(g.gap(x), [-1, 256])
    g.output(g.softmax(g.gemm(x, 2, norm=2.0), -1), 'output')
    return g


def vgg_small():
    """A small VGG-style CNN for 32x32 images, without BatchNorm."""
    g = Graph('vgg_small', 105, opset=9, ir=4, calib_batch=8)
    x = g.input('input', [1, 3, 32, 32])
    for c in (16, 32, 64):
        x = g.relu(g.conv(x, c, 3, norm=1.0))
        x = g.relu(g.conv(x, c, 3, norm=1.0))
        x = g.maxpool(x, 2, 2)
    x = g.flatten(x)
    x = g.dropout(g.relu(g.gemm(x, 128, norm=1.0)))
    g.output(g.gemm(x, 10, norm=3.0), 'output')
    return g


def lstm_kws():
    """A two-layer LSTM keyword spotter on 49x10 MFCC frames (batch_first, as PyTorch exports)."""
    g = Graph('lstm_kws', 106, opset=14, ir=7, calib_batch=8)
    x = g.transpose(g.input('input', [1, 49, 10]), [1, 0, 2])
    hs = 64
    for layer in range(2):
        nin = g.val(x).shape[-1]
        k = 1 / math.sqrt(hs)
        w = g.param(g.rng.uniform(-k, k, (1, 4 * hs, nin)), 'lstm.weight_ih_l%d' % layer)
        r = g.param(g.rng.uniform(-k, k, (1, 4 * hs, hs)), 'lstm.weight_hh_l%d' % layer)
        b = g.param(g.rng.uniform(-k, k, (1, 8 * hs)), 'lstm.bias_l%d' % layer)
        y, _, _ = g.op('LSTM', [x, w, r, b], lambda a, ww, rr, bb: np_lstm(a, ww, rr, bb, hs),
                   nout=3, hidden_size=hs)
        x = g.squeeze(y, [1])
    x = g.transpose(x, [1, 0, 2])
    x = g.gather(x, g.const(-1), axis=1)
    g.output(g.gemm(x, 12, norm=3.0), 'output')
    return g


def transformer():
    """One post-norm transformer encoder layer (PyTorch's nn.TransformerEncoderLayer with
    Gelu) plus mean pooling and a classifier: two outputs."""
    g = Graph('transformer', 107, opset=17, ir=8, names='path', calib_batch=8)
    seq, dm, heads, dff = 32, 64, 4, 256
    dh = dm // heads
    x = g.input('input', [1, seq, dm])
    x = g.add(x, g.param(g.rng.standard_normal((1, seq, dm)) * 0.1, 'pos_embedding'))

    def heads_view(t):
        s = g.shape(t)
        b = g.unsqueeze(g.gather(s, g.const(0)), [0])
        n = g.unsqueeze(g.gather(s, g.const(1)), [0])
        return g.reshape(t, g.concat([b, n, g.const([heads, dh])], axis=0))

    q_ = g.transpose(heads_view(g.linear(x, dm, name='attn.q')), [0, 2, 1, 3])
    k_ = g.transpose(heads_view(g.linear(x, dm, name='attn.k')), [0, 2, 3, 1])
    v_ = g.transpose(heads_view(g.linear(x, dm, name='attn.v')), [0, 2, 1, 3])
    sc = g.div(g.op('MatMul', [q_, k_], np.matmul), g.const(math.sqrt(dh), F32))
    att = g.op('MatMul', [g.softmax(sc, -1), v_], np.matmul)
    att = g.reshape(g.transpose(att, [0, 2, 1, 3]), [-1, seq, dm])
    x = g.add(x, g.linear(att, dm, name='attn.out'))

    def layernorm(t, name):
        gm = g.param(g.rng.uniform(0.8, 1.2, dm), name + '.weight')
        bt = g.param(g.rng.standard_normal(dm) * 0.05, name + '.bias')
        return g.op('LayerNormalization', [t, gm, bt], lambda a, s, b: np_layernorm(a, s, b, 1e-5),
                axis=-1, epsilon=1e-5)

    x = layernorm(x, 'norm1')
    h = g.linear(x, dff, name='ff.linear1', std=math.sqrt(2.0 / dm))
    e = g.op('Erf', [g.div(h, g.const(math.sqrt(2.0), F32))], np_erf)
    h = g.mul(g.mul(h, g.add(e, g.const(1.0, F32))), g.const(0.5, F32))
    x = layernorm(g.add(x, g.linear(h, dm, name='ff.linear2')), 'norm2')
    x = g.output(x, 'hidden')
    pooled = g.reduce_mean(x, [1], 0)
    g.output(g.gemm(pooled, 10, norm=2.0), 'logits')
    return g


def yolo_head():
    """A tiny YOLOv5-style detector: strided conv backbone, nearest upsample + concat neck,
    two Detect heads decoded in the graph (sigmoid, grid, anchors) as YOLOv5 exports."""
    g = Graph('yolo_head', 108, opset=13, ir=7, names='path', calib_batch=8)
    na, nc = 3, 4
    no = 5 + nc
    x = g.input('images', [1, 3, 96, 96])
    x = g.conv_bn(x, 16, 3, 2, act='leaky')
    x = g.conv_bn(x, 32, 3, 2, act='leaky')
    p3 = g.conv_bn(x, 64, 3, 2, act='leaky')   # stride 8
    p4 = g.conv_bn(p3, 128, 3, 2, act='leaky')  # stride 16
    up = g.resize(g.conv_bn(p4, 64, 1, act='leaky'), 2, 'nearest', 'asymmetric')
    n3 = g.conv_bn(g.concat([up, p3]), 64, 3, act='leaky')
    anchors = {8: [(10, 13), (16, 30), (33, 23)], 16: [(30, 61), (62, 45), (59, 119)]}
    outs = []
    for feat, stride in ((n3, 8), (p4, 16)):
        hh, ww = g.val(feat).shape[2:]
        p = g.conv(feat, na * no, 1, pads=[0, 0, 0, 0], norm=1.5)
        p = g.transpose(g.reshape(p, [-1, na, no, hh, ww]), [0, 1, 3, 4, 2])
        p = g.sigmoid(p)
        xy, wh, conf = g.split(p, [2, 2, no - 4], axis=4)
        yv, xv = np.meshgrid(np.arange(hh), np.arange(ww), indexing='ij')
        grid = np.stack((xv, yv), 2).reshape(1, 1, hh, ww, 2) - 0.5
        agrid = np.array(anchors[stride], dtype=np.float64).reshape(1, na, 1, 1, 2) * np.ones((1, 1, hh, ww, 1))
        xy = g.mul(g.add(g.mul(xy, g.const(2.0, F32)), g.param(grid, 'grid%d' % stride)),
               g.const(float(stride), F32))
        wh = g.op('Pow', [g.mul(wh, g.const(2.0, F32)), g.const(2.0, F32)], np.power)
        wh = g.mul(wh, g.param(agrid, 'anchor_grid%d' % stride))
        y = g.concat([xy, wh, conf], axis=4)
        outs.append(g.reshape(y, [-1, na * hh * ww, no]))
    g.output(g.concat(outs, axis=1), 'output')
    return g


def unet():
    """A small U-Net (64x64, base 8 channels): ConvTranspose and bilinear Resize up paths."""
    g = Graph('unet', 109, opset=11, ir=6, calib_batch=8)
    x = g.input('input', [1, 3, 64, 64])

    def double(t, c):
        return g.conv_bn(g.conv_bn(t, c, 3), c, 3)

    e1 = double(x, 8)
    e2 = double(g.maxpool(e1, 2, 2), 16)
    e3 = double(g.maxpool(e2, 2, 2), 32)
    bott = double(g.maxpool(e3, 2, 2), 64)
    d3 = double(g.concat([g.conv_transpose(bott, 32, 2, 2), e3]), 32)
    u2 = g.conv(g.resize(d3, 2, 'linear', 'pytorch_half_pixel'), 16, 1, pads=[0, 0, 0, 0], norm=1.0)
    d2 = double(g.concat([u2, e2]), 16)
    d1 = double(g.concat([g.conv_transpose(d2, 8, 2, 2), e1]), 8)
    g.output(g.sigmoid(g.conv(d1, 2, 1, pads=[0, 0, 0, 0], norm=2.0)), 'output')
    return g


def mobilenetv2():
    g = Graph('mobilenetv2', 110, opset=13, ir=7, batch='batch_size')
    x = g.conv_bn(g.input('input', [1, 3, 224, 224]), 32, 3, 2, act='relu6')
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, n, s in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            cin = g.val(x).shape[1]
            y = x if t == 1 else g.conv_bn(x, cin * t, 1, act='relu6')
            y = g.conv_bn(y, cin * t, 3, stride, group=cin * t, act='relu6')
            y = g.conv_bn(y, c, 1, act=None, gamma=0.5 if stride == 1 and cin == c else 1.0)
            x = g.add(x, y) if stride == 1 and cin == c else y
    x = g.flatten(g.gap(g.conv_bn(x, 1280, 1, act='relu6')))
    g.output(g.gemm(x, 1000, norm=2.0), 'output')
    return g


def squeezenet1_1():
    g = Graph('squeezenet1_1', 111, opset=7, ir=3, init_inputs=True, const_nodes=False)
    x = g.input('data', [1, 3, 224, 224])
    x = g.maxpool(g.relu(g.conv(x, 64, 3, 2, pads=[0, 0, 0, 0], norm=1.0)), 3, 2)

    def fire(t, sq, ex):
        t = g.relu(g.conv(t, sq, 1, norm=1.0))
        return g.concat([g.relu(g.conv(t, ex, 1, norm=1.0)), g.relu(g.conv(t, ex, 3, norm=1.0))])

    x = fire(fire(x, 16, 64), 16, 64)
    x = g.maxpool(x, 3, 2)
    x = fire(fire(x, 32, 128), 32, 128)
    x = g.maxpool(x, 3, 2)
    for sq, ex in ((48, 192), (48, 192), (64, 256), (64, 256)):
        x = fire(x, sq, ex)
    x = g.dropout(x)
    x = g.relu(g.conv(x, 1000, 1, pads=[0, 0, 0, 0], norm=1.0))
    x = g.flatten_torch(g.gap(x))
    g.output(g.softmax(x, 1), 'output')
    return g


def resnet50():
    """ResNet-50 v1 (stride in the first 1x1 of a block) with a Keras-style stem:
    explicit zero Pad before the 7x7 conv and before the max pool."""
    g = Graph('resnet50', 112, opset=11, ir=6)
    x = g.input('input', [1, 3, 224, 224])

    def pad(t, p):
        pads = g.const([0, 0, p, p, 0, 0, p, p])
        return g.op('Pad', [t, pads], lambda a, _: np.pad(a, ((0, 0), (0, 0), (p, p), (p, p))),
                mode='constant')

    x = g.conv_bn(pad(x, 3), 64, 7, 2, pads=[0, 0, 0, 0])
    x = g.maxpool(pad(x, 1), 3, 2)
    for c, n, s in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(n):
            stride = s if i == 0 else 1
            y = g.conv_bn(x, c, 1, stride, pads=[0, 0, 0, 0])
            y = g.conv_bn(y, c, 3)
            y = g.conv_bn(y, 4 * c, 1, pads=[0, 0, 0, 0], act=None, gamma=0.3)
            sc = x if i else g.conv_bn(x, 4 * c, 1, stride, pads=[0, 0, 0, 0], act=None)
            x = g.relu(g.add(y, sc))
    x = g.flatten(g.gap(x))
    g.output(g.softmax(g.gemm(x, 1000, norm=2.0), 1), 'output')
    return g


def densenet121():
    g = Graph('densenet121', 113, opset=8, ir=3, init_inputs=True, const_nodes=False)
    x = g.input('data', [1, 3, 224, 224])
    x = g.relu(g.bn(g.conv(x, 64, 7, 2, bias=False)))
    x = g.maxpool(x, 3, 2, pads=[1, 1, 1, 1])
    for bi, n in enumerate((6, 12, 24, 16)):
        for _ in range(n):
            y = g.conv(g.relu(g.bn(x)), 128, 1, pads=[0, 0, 0, 0], bias=False)
            y = g.conv(g.relu(g.bn(y)), 32, 3, bias=False)
            x = g.concat([x, y])
        if bi < 3:
            c = g.val(x).shape[1] // 2
            x = g.avgpool(g.conv(g.relu(g.bn(x)), c, 1, pads=[0, 0, 0, 0], bias=False), 2)
    x = g.flatten_torch(g.gap(g.relu(g.bn(x))))
    g.output(g.gemm(x, 1000, norm=2.0), 'output')
    return g


def inception_v1():
    """GoogLeNet as in the original paper (5x5 branches, LRN), ceil-mode max pools."""
    g = Graph('inception_v1', 114, opset=10, ir=5)
    x = g.input('input', [1, 3, 224, 224])

    def cr(t, c, k, s=1):
        return g.relu(g.conv(t, c, k, s, norm=1.0))

    x = g.lrn(g.maxpool(cr(x, 64, 7, 2), 3, 2, ceil=True))
    x = g.maxpool(g.lrn(cr(cr(x, 64, 1), 192, 3)), 3, 2, ceil=True)

    def inception(t, c1, r3, c3, r5, c5, pp):
        b1 = cr(t, c1, 1)
        b2 = cr(cr(t, r3, 1), c3, 3)
        b3 = cr(cr(t, r5, 1), c5, 5)
        b4 = cr(g.maxpool(t, 3, 1, pads=[1, 1, 1, 1]), pp, 1)
        return g.concat([b1, b2, b3, b4])

    x = inception(x, 64, 96, 128, 16, 32, 32)
    x = inception(x, 128, 128, 192, 32, 96, 64)
    x = g.maxpool(x, 3, 2, ceil=True)
    for cfg in ((192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
            (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)):
        x = inception(x, *cfg)
    x = g.maxpool(x, 3, 2, ceil=True)
    x = inception(x, 256, 160, 320, 32, 128, 128)
    x = inception(x, 384, 192, 384, 48, 128, 128)
    x = g.dropout(g.avgpool(x, 7, 1), 0.4)
    x = g.flatten(x)
    g.output(g.softmax(g.gemm(x, 1000, norm=2.0), 1), 'prob')
    return g


def shufflenet_v2():
    g = Graph('shufflenet_v2', 115, opset=13, ir=7, names='path')
    x = g.conv_bn(g.input('input', [1, 3, 224, 224]), 24, 3, 2)
    x = g.maxpool(x, 3, 2, pads=[1, 1, 1, 1])

    def shuffle(t):
        _, c, h, w = g.val(t).shape
        t = g.transpose(g.reshape(t, [1, 2, c // 2, h, w]), [0, 2, 1, 3, 4])
        return g.reshape(t, [1, c, h, w])

    for cout, n in ((116, 4), (232, 8), (464, 4)):
        bc = cout // 2
        cin = g.val(x).shape[1]
        b1 = g.conv_bn(g.conv_bn(x, cin, 3, 2, group=cin, act=None), bc, 1)
        b2 = g.conv_bn(x, bc, 1)
        b2 = g.conv_bn(g.conv_bn(b2, bc, 3, 2, group=bc, act=None), bc, 1)
        x = shuffle(g.concat([b1, b2]))
        for _ in range(n - 1):
            a, b = g.split(x, [bc, bc], axis=1)
            b = g.conv_bn(b, bc, 1)
            b = g.conv_bn(g.conv_bn(b, bc, 3, group=bc, act=None), bc, 1)
            x = shuffle(g.concat([a, b]))
    x = g.reduce_mean(g.conv_bn(x, 1024, 1), [2, 3], 0)
    g.output(g.gemm(x, 1000, norm=2.0), 'output')
    return g


def efficientnet_b0():
    g = Graph('efficientnet_b0', 116, opset=15, ir=8, names='path')
    x = g.conv_bn(g.input('input', [1, 3, 224, 224]), 32, 3, 2, act='silu', eps=1e-3)
    cfg = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
           (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    for e, k, s, c, n in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            cin = g.val(x).shape[1]
            y = x if e == 1 else g.conv_bn(x, cin * e, 1, act='silu', eps=1e-3)
            y = g.conv_bn(y, cin * e, k, stride, group=cin * e, act='silu', eps=1e-3)
            se = g.silu(g.conv(g.gap(y), max(1, cin // 4), 1, norm=1.0))
            se = g.sigmoid(g.conv(se, cin * e, 1, norm=1.0))
            y = g.mul(y, se)
            res = stride == 1 and cin == c
            y = g.conv_bn(y, c, 1, act=None, eps=1e-3, gamma=0.5 if res else 1.0)
            x = g.add(y, x) if res else y
    x = g.flatten(g.gap(g.conv_bn(x, 1280, 1, act='silu', eps=1e-3)))
    g.output(g.gemm(x, 1000, norm=2.0), 'output')
    return g


# name -> (builder, set): 'small' models are committed, 'big' ones regenerated
MODELS = {
    'lenet': (lenet, 'small'),
    'resnet8': (resnet8, 'small'),
    'dscnn': (dscnn, 'small'),
    'mobilenetv1_025': (mobilenetv1_025, 'small'),
    'vgg_small': (vgg_small, 'small'),
    'lstm_kws': (lstm_kws, 'small'),
    'transformer': (transformer, 'small'),
    'yolo_head': (yolo_head, 'small'),
    'unet': (unet, 'small'),
    'mobilenetv2': (mobilenetv2, 'big'),
    'squeezenet1_1': (squeezenet1_1, 'big'),
    'resnet50': (resnet50, 'big'),
    'densenet121': (densenet121, 'big'),
    'inception_v1': (inception_v1, 'big'),
    'shufflenet_v2': (shufflenet_v2, 'big'),
    'efficientnet_b0': (efficientnet_b0, 'big'),
}


# other names the models are known by (bench/run.sh uses these)
ALIASES = {'lenet5': 'lenet', 'squeezenet11': 'squeezenet1_1'}


def describe(g):
    v = [g.env[o] for o in g.outputs]
    return ', '.join('%s%s std %.3g max %.3g' % (o, list(a.shape), a.std(), np.abs(a).max())
             for o, a in zip(g.outputs, v))


def check(g, case):
    """Compares ORT's reference outputs (every data set of `case`) with this
    script's float64 evaluation of the same inputs."""
    sets = sorted(d for d in os.listdir(case) if d.startswith('test_data_set_'))
    if not sets:
        return False, 'no test_data_set_* in ' + case
    worst = 0.0
    msgs = []
    for sd in sets:
        sdir = os.path.join(case, sd)
        feeds = {}
        for k, (name, _) in enumerate(g.inputs):
            t = onnx.load_tensor(os.path.join(sdir, 'input_%d.pb' % k))
            feeds[name] = onnx.numpy_helper.to_array(t).astype(np.float64)
        for k, got in enumerate(g.replay(feeds)):
            t = onnx.load_tensor(os.path.join(sdir, 'output_%d.pb' % k))
            ref = onnx.numpy_helper.to_array(t).astype(np.float64)
            if ref.shape != got.shape:
                return False, '%s output %d: shape %s, float64 evaluation has %s' % (
                    sd, k, ref.shape, got.shape)
            err = np.abs(ref - got)
            rel = float((err / (np.abs(got) + 1e-3 * np.abs(got).max() + 1e-30)).max())
            worst = max(worst, rel)
            msgs.append('set %s output %d: max abs err %.3g (|ref| max %.3g, std %.3g)'
                        % (sd[len('test_data_set_'):], k, err.max(), np.abs(got).max(), got.std()))
    return worst < 1e-2, '; '.join(msgs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', help='folder to write NAME.onnx into')
    ap.add_argument('--list', action='store_true', help='list the models')
    ap.add_argument('--check', metavar='DATA', help='compare DATA/NAME reference outputs')
    ap.add_argument('-v', action='store_true', help='print output statistics')
    ap.add_argument('names', nargs='*')
    args = ap.parse_args()
    names = args.names or list(MODELS)
    for n in names:
        if n not in MODELS and n not in ALIASES:
            sys.exit('make_models.py: unknown model %r (see --list)' % n)
    if args.list:
        for n in names:
            print(n, MODELS[ALIASES.get(n, n)][1])
        return
    if not args.out and not args.check:
        ap.error('give --out DIR, --check DATA or --list')
    bad = 0
    for n in names:
        g = MODELS[ALIASES.get(n, n)][0]()
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            data = g.model().SerializeToString()
            with open(os.path.join(args.out, n + '.onnx'), 'wb') as f:
                f.write(data)
            print('%-16s %9d bytes  %s' % (n, len(data), describe(g) if args.v else ''))
        if args.check:
            ok, msg = check(g, os.path.join(args.check, n))
            bad += not ok
            print('%-16s %s  %s' % (n, 'ok' if ok else 'MISMATCH', msg))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
