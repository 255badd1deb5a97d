#!/usr/bin/python3
"""convpool_cases.py - writes the Conv -> activation -> pool cases that check
passes/fuse_conv_pool.c into tests/difftest/cases/convpool_*/ (model.onnx and
info.txt; the reference data comes from ONNX Runtime with graph optimisations
disabled, through ref_batch.js):

    /usr/bin/python3 tests/difftest/convpool_cases.py
    CNNC_ORT_MODULE=... node tests/difftest/ref_batch.js LIST   (LIST: the printed folders)

Each case is a shape the fused kernel must get exactly right: padding that must act
as -inf under MaxPool (negative conv outputs), odd sizes where floor drops rows,
ceil_mode windows running past the end, overlapping 3x3/2 windows (the row ring),
stride above the kernel (rows no window reads), windows clipped at both ends,
asymmetric and SAME pads, count_include_pad both ways, batch 2, channel counts that
are not a multiple of the block, and the cases fusing would not pay (left apart:
weights too large, a pool as tall as the conv output, a 1x1 conv run as one long row). Some
run with --target generic (the portable scalar kernel) or x86-64-v3 (8 lanes).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def model(path, n=1, cin=3, cout=20, hw=(17, 19), k=3, s=1, pad=1, act="Relu", pool="MaxPool",
          pattrs=None, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((cout, cin, k, k)).astype(np.float32) / np.sqrt(cin * k * k)
    b = rng.standard_normal(cout).astype(np.float32) * 0.3
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k],
                              strides=[s, s], pads=[pad] * 4)]
    last = "c"
    if act == "LeakyRelu":
        nodes.append(helper.make_node(act, [last], ["a"], alpha=0.1))
        last = "a"
    elif act:
        nodes.append(helper.make_node(act, [last], ["a"]))
        last = "a"
    nodes.append(helper.make_node(pool, [last], ["y"], **(pattrs or {})))
    g = helper.make_graph(nodes, "convpool",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, cin, *hw])],
                          [helper.make_empty_tensor_value_info("y")], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.checker.check_model(m)
    onnx.save(m, path)


K33S2 = {"kernel_shape": [3, 3], "strides": [2, 2]}
CASES = {
    # name: (model kwargs, target, what it checks)
    "stem": (dict(cin=3, cout=20, hw=(23, 19), k=7, s=2, pad=3,
                  pattrs=dict(K33S2, pads=[1, 1, 1, 1])), None,
             "ResNet stem shape: 7x7/2 conv on plain input, MaxPool 3x3/2 pad 1, 20 channels"),
    "stem_generic": (dict(cin=3, cout=20, hw=(23, 19), k=7, s=2, pad=3,
                          pattrs=dict(K33S2, pads=[1, 1, 1, 1])), "generic",
                     "the stem case on the portable scalar kernel"),
    "nopad_neg": (dict(cin=16, cout=24, hw=(13, 11), act=None,
                       pattrs=dict(K33S2, pads=[1, 1, 1, 1])), None,
                  "no activation: negative conv outputs, so MaxPool padding must act as -inf"),
    "floor2x2": (dict(n=2, cin=16, cout=40, hw=(13, 11),
                      pattrs={"kernel_shape": [2, 2], "strides": [2, 2]}), "x86-64-v3",
                 "2x2/2, odd sizes (floor drops the last row and column), batch 2, 8 lanes"),
    "ceil": (dict(cin=8, cout=64, hw=(15, 14), k=3, s=1, pad=0,
                  pattrs=dict(K33S2, ceil_mode=1)), None,
             "SqueezeNet shape: MaxPool 3x3/2 ceil_mode, windows past the end"),
    "s1_leaky": (dict(cin=5, cout=33, hw=(9, 12), act="LeakyRelu",
                      pattrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}), None,
                 "MaxPool 3x3/1: every conv row read by three windows"),
    "skiprows": (dict(cin=4, cout=16, hw=(16, 17), act="Sigmoid",
                      pattrs={"kernel_shape": [2, 2], "strides": [3, 3]}), "generic",
                 "stride 3 over kernel 2: conv rows no window reads are skipped"),
    "tall": (dict(cin=6, cout=17, hw=(9, 9), k=3, s=2, pad=0,
                  pattrs={"kernel_shape": [3, 3], "pads": [1, 0, 1, 2], "strides": [1, 2]}),
             None, "pool 3 rows tall over 4 conv rows, windows clipped at both ends, "
             "asymmetric pads"),
    "astall": (dict(cin=6, cout=17, hw=(5, 9), k=3, s=2, pad=0,
                    pattrs={"kernel_shape": [3, 3], "pads": [1, 0, 1, 2], "strides": [1, 2]}),
               None, "pool taller than the conv output (2 rows): left apart"),
    "longrow": (dict(cin=16, cout=32, hw=(10, 6), k=1, s=1, pad=0, pool="AveragePool",
                     pattrs={"kernel_shape": [2, 2], "strides": [2, 2]}),
                None, "1x1 conv run as one long row: left apart"),
    "same": (dict(cin=7, cout=32, hw=(10, 13), act="Tanh",
                  pattrs={"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
             None, "MaxPool auto_pad SAME_UPPER, non-square kernel"),
    "avg_excl": (dict(cin=16, cout=48, hw=(14, 11), act=None, pool="AveragePool",
                      pattrs=dict(K33S2, pads=[1, 1, 1, 1])), None,
                 "AveragePool 3x3/2 pad 1, padding not counted"),
    "avg_incl_ceil": (dict(cin=3, cout=24, hw=(18, 15), pool="AveragePool",
                           pattrs=dict(K33S2, pads=[1, 1, 1, 1], count_include_pad=1,
                                       ceil_mode=1)), None,
                      "AveragePool count_include_pad=1 with ceil_mode"),
    "avg_generic": (dict(n=2, cin=16, cout=20, hw=(11, 12), pool="AveragePool",
                         pattrs=dict(K33S2, pads=[0, 1, 1, 0], ceil_mode=1)), "generic",
                    "AveragePool asymmetric pads, ceil_mode, batch 2, portable kernel"),
    "toolarge": (dict(cin=256, cout=256, hw=(6, 6), pattrs=dict(K33S2, pads=[1, 1, 1, 1])),
                 None, "conv weights (2.4 MB) too large to fuse: the pool stays apart"),
}

# 3x3 stride-1 convs with 16+ channels run Winograd by default, which computes whole
# tiles and is never pool-fused: these cases keep testing the fused pool with the
# direct kernel (convpool_*_wino, copies with Winograd on, check the pool stays apart)
WINOGRAD_OFF = {"avg_excl", "floor2x2", "nopad_neg"}


def main():
    for name, (kw, target, what) in CASES.items():
        d = os.path.join(HERE, "cases", "convpool_" + name)
        os.makedirs(d, exist_ok=True)
        model(os.path.join(d, "model.onnx"), **kw)
        with open(os.path.join(d, "info.txt"), "w") as f:
            f.write("graph: convpool_%s (tests/difftest/convpool_cases.py)\n" % name)
            f.write("checks: passes/fuse_conv_pool.c: %s\n" % what)
            if target:
                f.write("target: %s\n" % target)
            if name in WINOGRAD_OFF:
                f.write("options: --winograd=off\n")
        print(d)


if __name__ == "__main__":
    main()
