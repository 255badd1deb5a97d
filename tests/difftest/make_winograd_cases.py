#!/usr/bin/env python3
"""make_winograd_cases.py - writes the Winograd regression cases into tests/difftest/cases/.

   /usr/bin/python3 tests/difftest/make_winograd_cases.py

Each case is one or two 3x3 stride-1 convolutions that codegen/ops/conv_winograd.c
runs (F(4x4,3x3)), with the reference computed here in float64 by direct
convolution, so a wrong transform, packing, band or clipping fails
tests/difftest/run_cases.sh (ctest difftest_cases). The cases cover odd output
sizes (clipped tiles), asymmetric and no padding, channel counts that are not a
multiple of the vector block, an odd number of output blocks, a batch of 2,
residual add + Relu, Clip, LeakyRelu, SiLU, and several bands with a band's last
tile past the image. Cases whose info.txt has an "options:" line are compiled with
those options (--winograd=force for channel counts below the automatic threshold).
"""
import os
import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))


def conv_ref(x, w, b, pads):
    n, c, ih, iw = x.shape
    pt, pl, pb, pr = pads
    xp = np.zeros((n, c, ih + pt + pb, iw + pl + pr))
    xp[:, :, pt:pt + ih, pl:pl + iw] = x
    oh, ow = xp.shape[2] - 2, xp.shape[3] - 2
    y = np.zeros((n, w.shape[0], oh, ow))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return y + b[None, :, None, None]


def case(name, story, n, c, co, hw, pads, act, residual=False, options=None, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, c) + hw).astype(np.float32)
    w = (r.standard_normal((co, c, 3, 3)) / (9 * c) ** 0.5).astype(np.float32)
    b = (r.standard_normal(co) * 0.1).astype(np.float32)
    y = conv_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), pads)
    inits = [nh.from_array(w, "w"), nh.from_array(b, "b")]
    nodes = [h.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[pads[0], pads[1], pads[2], pads[3]])]
    inputs = [h.make_tensor_value_info("x", T.FLOAT, list(x.shape))]
    feeds = [x]
    last = "c"
    if residual:
        res = r.standard_normal(y.shape).astype(np.float32)
        inputs.append(h.make_tensor_value_info("r", T.FLOAT, list(y.shape)))
        feeds.append(res)
        nodes.append(h.make_node("Add", ["r", last], ["s"]))
        y = y + res
        last = "s"
    if act == "relu":
        nodes.append(h.make_node("Relu", [last], ["y"]))
        y = np.maximum(y, 0)
    elif act == "clip":
        inits += [nh.from_array(np.array(0, np.float32), "lo"), nh.from_array(np.array(6, np.float32), "hi")]
        nodes.append(h.make_node("Clip", [last, "lo", "hi"], ["y"]))
        y = np.clip(y, 0, 6)
    elif act == "leaky":
        nodes.append(h.make_node("LeakyRelu", [last], ["y"], alpha=0.1))
        y = np.where(y < 0, 0.1 * y, y)
    elif act == "silu":
        nodes += [h.make_node("Sigmoid", [last], ["g"]), h.make_node("Mul", [last, "g"], ["y"])]
        y = y / (1 + np.exp(-y))
    g = h.make_graph(nodes, name, inputs, [h.make_tensor_value_info("y", T.FLOAT, list(y.shape))], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="make_winograd_cases.py")
    m.ir_version = 7
    onnx.checker.check_model(m)
    d = os.path.join(HERE, "cases", name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, f in enumerate(feeds):
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb") as fh:
            fh.write(nh.from_array(f).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as fh:
        fh.write(nh.from_array(y.astype(np.float32)).SerializeToString())
    with open(os.path.join(d, "info.txt"), "w") as fh:
        fh.write("graph: %s (tests/difftest/make_winograd_cases.py, reference: float64 direct convolution)\n" % name)
        fh.write("ops: %s\n" % " ".join(nd.op_type for nd in nodes))
        if options:
            fh.write("options: %s\n" % options)
        fh.write("checks: %s\n" % story)


case("wino_res_relu", "batch 2, odd output (13x11: clipped tiles), 40 output channels (an odd block count, "
     "a partial block), residual Add + Relu in the output transform", 2, 32, 40, (13, 11), (1, 1, 1, 1), "relu", residual=True)
case("wino_valid_clip", "no padding (12x11 -> 10x9), 24 input channels (a partial block), Clip(0, 6)",
     1, 24, 32, (12, 11), (0, 0, 0, 0), "clip", seed=1)
case("wino_asym_silu", "asymmetric pads (top 0, left 1, bottom 2, right 1), 48 output channels, SiLU",
     1, 32, 48, (17, 15), (0, 1, 2, 1), "silu", seed=2)
case("wino_bands", "two bands of 25 tiles for 49 tiles (the last tile of band 2 is past the image), "
     "register tiles of 13 + 12, one output block", 1, 128, 16, (28, 26), (1, 1, 1, 1), "leaky", seed=3)
case("wino_small", "8 -> 24 channels forced (both padded to 16-lane blocks), 9x10, LeakyRelu",
     1, 8, 24, (9, 10), (1, 1, 1, 1), "leaky", options="--winograd=force", seed=4)
