#!/usr/bin/python3
"""train_digits.py - trains the demo's small CNN on the 8x8 handwritten digits.

    train_digits.py [--out DIR] [--epochs N]     (default: this folder, 30 epochs)

Data: sklearn.datasets.load_digits (1797 images of 8x8 pixels, 0..16; Debian's
python3-sklearn ships them, no download). A seeded split keeps 360 images for
testing. Training is numpy only (im2col convolutions, hand-written backward
pass, Adam), seeded, and takes a few seconds.

Writes:
  digits.onnx         input 'image' float[1,1,8,8] (pixels / 16), output 'probs'
                      float[1,10]: Conv-Relu-MaxPool x2, Flatten, Gemm, Softmax
  digits_test_x.f32   the test images: N x 64 float32, little-endian, pixels / 16
  digits_test_y.u8    their labels: N bytes, 0..9
"""

import argparse
import os

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper
from sklearn.datasets import load_digits


def im2col(x):
    """(B, C, H, W) -> (B, C*9, H*W): 3x3 windows with padding 1."""
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((b, c, 3, 3, h, w), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.reshape(b, c * 9, h * w)


def col2im(cols, shape):
    b, c, h, w = shape
    cols = cols.reshape(b, c, 3, 3, h, w)
    xp = np.zeros((b, c, h + 2, w + 2), dtype=cols.dtype)
    for i in range(3):
        for j in range(3):
            xp[:, :, i:i + h, j:j + w] += cols[:, :, i, j]
    return xp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, bias):
    cols = im2col(x)
    y = np.matmul(w.reshape(w.shape[0], -1), cols) + bias[None, :, None]
    return y.reshape(x.shape[0], w.shape[0], x.shape[2], x.shape[3]), cols


def conv_bwd(dy, x_shape, cols, w):
    b, m = dy.shape[:2]
    dy = dy.reshape(b, m, -1)
    dw = np.einsum('bmp,bkp->mk', dy, cols).reshape(w.shape)
    db = dy.sum(axis=(0, 2))
    dcols = np.matmul(w.reshape(m, -1).T, dy)
    return col2im(dcols, x_shape), dw, db


def pool_fwd(x):
    b, c, h, w = x.shape
    r = x.reshape(b, c, h // 2, 2, w // 2, 2)
    y = r.max(axis=(3, 5))
    mask = r == y[:, :, :, None, :, None]
    # one winner per window (first), as the gradient of max
    mask &= np.cumsum(np.cumsum(mask, axis=3), axis=5) == 1
    return y, mask


def pool_bwd(dy, mask):
    b, c, h, _, w, _ = mask.shape
    return (mask * dy[:, :, :, None, :, None]).reshape(b, c, h * 2, w * 2)


class Net:
    def __init__(self, rng):
        def he(*shape):
            fan_in = int(np.prod(shape[1:]))
            return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        self.p = {
            'conv1.weight': he(8, 1, 3, 3), 'conv1.bias': np.zeros(8),
            'conv2.weight': he(16, 8, 3, 3), 'conv2.bias': np.zeros(16),
            'fc.weight': he(10, 64), 'fc.bias': np.zeros(10),
        }

    def forward(self, x, grads=False):
        p = self.p
        a1, c1 = conv_fwd(x, p['conv1.weight'], p['conv1.bias'])
        r1 = np.maximum(a1, 0)
        m1, k1 = pool_fwd(r1)
        a2, c2 = conv_fwd(m1, p['conv2.weight'], p['conv2.bias'])
        r2 = np.maximum(a2, 0)
        m2, k2 = pool_fwd(r2)
        f = m2.reshape(x.shape[0], -1)
        logits = f @ p['fc.weight'].T + p['fc.bias']
        if not grads:
            return logits
        return logits, (x, a1, c1, k1, m1, a2, c2, k2, f)

    def backward(self, dlogits, cache):
        x, a1, c1, k1, m1, a2, c2, k2, f = cache
        p, g = self.p, {}
        g['fc.weight'] = dlogits.T @ f
        g['fc.bias'] = dlogits.sum(axis=0)
        df = (dlogits @ p['fc.weight']).reshape(m1.shape[0], 16, 2, 2)
        da2 = pool_bwd(df, k2) * (a2 > 0)
        dm1, g['conv2.weight'], g['conv2.bias'] = conv_bwd(da2, m1.shape, c2, p['conv2.weight'])
        da1 = pool_bwd(dm1, k1) * (a1 > 0)
        _, g['conv1.weight'], g['conv1.bias'] = conv_bwd(da1, x.shape, c1, p['conv1.weight'])
        return g


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def train(net, x, y, epochs, rng, lr=0.01, batch=32):
    m = {k: np.zeros_like(v) for k, v in net.p.items()}
    v = {k: np.zeros_like(w) for k, w in net.p.items()}
    t = 0
    for ep in range(epochs):
        order = rng.permutation(len(x))
        loss = 0.0
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            logits, cache = net.forward(x[idx], grads=True)
            prob = softmax(logits)
            loss += -np.log(prob[np.arange(len(idx)), y[idx]] + 1e-12).sum()
            d = prob
            d[np.arange(len(idx)), y[idx]] -= 1
            grads = net.backward(d / len(idx), cache)
            t += 1
            rate = lr * (0.5 if ep >= epochs * 2 // 3 else 1.0)
            for k, gk in grads.items():
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk * gk
                mh, vh = m[k] / (1 - 0.9 ** t), v[k] / (1 - 0.999 ** t)
                net.p[k] -= rate * mh / (np.sqrt(vh) + 1e-8)
        if ep % 5 == 4 or ep == epochs - 1:
            print('epoch %2d: loss %.4f' % (ep + 1, loss / len(x)))


def export(net, path):
    p = {k: v.astype(np.float32) for k, v in net.p.items()}
    inits = [onnx.numpy_helper.from_array(v, k) for k, v in p.items()]
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [
        helper.make_node('Conv', ['image', 'conv1.weight', 'conv1.bias'], ['c1'], 'conv1', **conv),
        helper.make_node('Relu', ['c1'], ['r1'], 'relu1'),
        helper.make_node('MaxPool', ['r1'], ['p1'], 'pool1', **pool),
        helper.make_node('Conv', ['p1', 'conv2.weight', 'conv2.bias'], ['c2'], 'conv2', **conv),
        helper.make_node('Relu', ['c2'], ['r2'], 'relu2'),
        helper.make_node('MaxPool', ['r2'], ['p2'], 'pool2', **pool),
        helper.make_node('Flatten', ['p2'], ['flat'], 'flatten', axis=1),
        helper.make_node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'], 'fc', transB=1),
        helper.make_node('Softmax', ['logits'], ['probs'], 'softmax', axis=1),
    ]
    graph = helper.make_graph(
        nodes, 'digits',
        [helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info('probs', TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, producer_name='cnnc-train_digits', producer_version='1',
                              opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    with open(path, 'wb') as f:
        f.write(model.SerializeToString())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument('--epochs', type=int, default=30)
    args = ap.parse_args()

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    y = digits.target.astype(np.int64)
    rng = np.random.RandomState(2024)
    order = rng.permutation(len(x))
    test, tr = order[:360], order[360:]
    net = Net(rng)
    train(net, x[tr].astype(np.float64), y[tr], args.epochs, rng)
    for name, idx in (('train', tr), ('test', test)):
        pred = net.forward(x[idx].astype(np.float64)).argmax(axis=1)
        print('%s accuracy (numpy, float64): %.2f%% of %d' % (name, 100 * (pred == y[idx]).mean(), len(idx)))

    os.makedirs(args.out, exist_ok=True)
    export(net, os.path.join(args.out, 'digits.onnx'))
    x[test].astype('<f4').tofile(os.path.join(args.out, 'digits_test_x.f32'))
    y[test].astype(np.uint8).tofile(os.path.join(args.out, 'digits_test_y.u8'))
    print('wrote digits.onnx, digits_test_x.f32, digits_test_y.u8 in', args.out)


if __name__ == '__main__':
    main()
