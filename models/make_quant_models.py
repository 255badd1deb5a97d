#!/usr/bin/python3
"""make_quant_models.py - int8 versions of make_models.py's small CNNs, in QDQ or QOperator form.

    make_quant_models.py --out DIR [--type s8|u8] [--form qdq|qop] [NAME...]
        write DIR/NAME_<form>_<type>.onnx (default: resnet8, mobilenetv1_025, dscnn)

Builds the float model with make_models.py (which evaluates every tensor on its
seeded calibration batch), folds BatchNormalization into the convolutions, and
quantizes it the way ONNX Runtime's static quantizer writes QDQ models:
  - every float activation gets QuantizeLinear -> DequantizeLinear, with scale and
    zero point from the calibration min/max (range widened to hold 0); activations
    are uint8 or int8 (--type), asymmetric;
  - a Relu/Clip right after a Conv/Gemm is quantized at its output only (the
    calibration range of the activation's output, as ORT does);
  - Conv/Gemm/MatMul weights are int8, symmetric, per output channel (Conv, Gemm) or
    per tensor (MatMul); biases int32 with scale x_scale * w_scale and zero point 0;
  - the graph output stays float (DequantizeLinear, then Softmax where the float
    model has it).
--form qop writes the same quantization (same scales) in QOperator form: see the
QOperator class. No onnxruntime python package is needed: calibration is make_models.py's numpy
evaluation. The bytes are deterministic (seeded, no timestamps).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402

MODELS = ("resnet8", "mobilenetv1_025", "dscnn")
MS = "com.microsoft"  # rewritable at opset 13 (lenet: opset 8 Unsqueeze; vgg_small: Dropout ratio)
FUSE_ACT = ("Relu", "Clip")


def qparams(lo, hi, signed):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    qmin, qmax = (-128, 127) if signed else (0, 255)
    scale = np.float32((hi - lo) / (qmax - qmin) if hi > lo else 1.0)
    zp = int(np.clip(round(qmin - lo / float(scale)), qmin, qmax))
    return scale, zp


def fold_bn(nodes, params):
    """Conv -> BatchNormalization pairs into one Conv with adjusted weights and bias."""
    out, by_out = [], {}
    for n in nodes:
        if n.op_type == "BatchNormalization" and n.input[0] in by_out:
            conv = by_out[n.input[0]]
            s, b, m, v = (params[i].astype(np.float64) for i in n.input[1:5])
            eps = next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
            k = s / np.sqrt(v + eps)
            w = params[conv.input[1]].astype(np.float64) * k[:, None, None, None]
            bias = params[conv.input[2]].astype(np.float64) if len(conv.input) > 2 else 0.0
            params[conv.input[1]] = w.astype(np.float32)
            bname = conv.input[1] + "_bias"
            params[bname] = ((bias - m) * k + b).astype(np.float32)
            del conv.input[2:]
            conv.input.append(bname)
            conv.output[0] = n.output[0]
            continue
        if n.op_type == "Conv":
            by_out[n.output[0]] = n
        out.append(n)
    return out


def readers(nodes):
    """tensor name -> the nodes that read it"""
    users = {}
    for n in nodes:
        for i in n.input:
            users.setdefault(i, []).append(n)
    return users


class Quantizer:
    def __init__(self, g, signed):
        self.g, self.signed = g, signed
        self.qt = TensorProto.INT8 if signed else TensorProto.UINT8
        self.nodes, self.inits, self.dq = [], {}, {}

    def init(self, name, arr):
        self.inits[name] = numpy_helper.from_array(np.asarray(arr), name)
        return name

    def act_params(self, t):
        v = self.g.env[t]
        return qparams(v.min(), v.max(), self.signed)

    def qdq(self, t):
        """Q -> DQ after float tensor t; returns the DQ output (memoized)."""
        if t in self.dq:
            return self.dq[t]
        s, z = self.act_params(t)
        self.init(t + "_scale", np.float32(s))
        self.init(t + "_zp", np.array(z, np.int8 if self.signed else np.uint8))
        q, d = t + "_q", t + "_dq"
        self.nodes.append(helper.make_node("QuantizeLinear", [t, t + "_scale", t + "_zp"], [q], name=q))
        self.nodes.append(helper.make_node("DequantizeLinear", [q, t + "_scale", t + "_zp"], [d], name=d))
        self.dq[t] = d
        return d

    def weights(self, node, w, per_channel, axis):
        wq_name = w + "_wq"
        if per_channel:
            red = tuple(i for i in range(self.params[w].ndim) if i != axis)
            amax = np.abs(self.params[w]).max(axis=red)
        else:
            amax = np.abs(self.params[w]).max()
        scale = np.maximum(amax / 127.0, 1e-8).astype(np.float32)
        shape = [1] * self.params[w].ndim
        if per_channel:
            shape[axis] = -1
        q = np.clip(np.rint(self.params[w] / scale.reshape(shape)), -127, 127).astype(np.int8)
        self.init(wq_name, q)
        self.init(w + "_wscale", scale)
        self.init(w + "_wzp", np.zeros(scale.shape, np.int8))
        attrs = {"axis": axis} if per_channel else {}
        d = w + "_wdq"
        self.nodes.append(helper.make_node("DequantizeLinear", [wq_name, w + "_wscale", w + "_wzp"], [d],
                                           name=d, **attrs))
        return d, scale

    def bias(self, b, xs, ws):
        bs = (np.float32(xs) * ws).astype(np.float32)
        q = np.rint(self.params[b] / bs).astype(np.int32)
        self.init(b + "_bq", q)
        self.init(b + "_bscale", bs)
        self.init(b + "_bzp", np.zeros(bs.shape, np.int32))
        d = b + "_bdq"
        self.nodes.append(helper.make_node("DequantizeLinear", [b + "_bq", b + "_bscale", b + "_bzp"], [d],
                                           name=d, axis=0))
        return d

    def run(self, nodes, params):
        self.params = params
        users = readers(nodes)
        float_t = lambda t: t in self.g.env and np.asarray(self.g.env[t]).dtype.kind == "f"
        quantized = set()
        for n in nodes:
            ins = list(n.input)
            if n.op_type in ("Conv", "Gemm", "MatMul") and ins[1] in params:
                x = self.qdq(ins[0])
                xs = self.act_params(ins[0])[0]
                trans = n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute)
                per_ch = n.op_type != "MatMul"
                axis = 0 if n.op_type == "Conv" or trans else 1
                w, ws = self.weights(n, ins[1], per_ch, axis)
                ins[0], ins[1] = x, w
                if len(ins) > 2 and ins[2] in params:
                    ins[2] = self.bias(ins[2], xs, ws if per_ch else np.full(params[ins[2]].shape, ws))
            elif n.op_type not in ("Shape", "Gather", "Unsqueeze", "Concat", "Constant") or \
                    (n.op_type == "Concat" and all(float_t(i) for i in ins)):
                ins = [self.qdq(i) if float_t(i) and i not in params and i in quantized else i for i in ins]
            node = helper.make_node(n.op_type, ins, list(n.output), name=n.name, domain=n.domain)
            node.attribute.extend(n.attribute)
            self.nodes.append(node)
            for o in n.output:
                if not float_t(o) or o in self.g.outputs or n.op_type == "Constant":
                    continue
                u = users.get(o, [])
                fused = n.op_type in ("Conv", "Gemm", "MatMul") and len(u) == 1 and u[0].op_type in FUSE_ACT
                if not fused and not all(x.op_type in ("Shape",) for x in u):
                    quantized.add(o)
                    self.qdq(o)
        return self.nodes


class QOperator(Quantizer):
    """The same quantization written in QOperator form, as ORT's quantizer does with
    QuantFormat.QOperator: QLinearConv (Relu/Clip fused: the output's calibration
    range is the activation's), com.microsoft QLinearAdd (a following Relu fused the
    same way), QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat, MaxPool
    and Reshape/Flatten on the 8-bit tensor, a classifier Gemm/MatMul as
    QLinearMatMul whose float bias is added after the DequantizeLinear; QuantizeLinear
    at the input, DequantizeLinear where float is needed (graph outputs, Softmax)."""

    def qparam_inits(self, t, lo_hi=None):
        """scale and zero point initializers for float tensor t (its calibration range)"""
        s, z = qparams(*lo_hi, self.signed) if lo_hi else self.act_params(t)
        self.init(t + "_scale", np.float32(s))
        self.init(t + "_zp", np.array(z, np.int8 if self.signed else np.uint8))
        return t + "_scale", t + "_zp"

    def qweights(self, w, arr, axis=None):
        """int8 symmetric weights: per channel along axis, or per tensor (axis None)"""
        red = tuple(i for i in range(arr.ndim) if i != axis)
        scale = np.maximum(np.abs(arr).max(axis=red) / 127.0, 1e-8).astype(np.float32)
        shape = [1] * arr.ndim
        if axis is not None:
            shape[axis] = -1
        q = np.clip(np.rint(arr / scale.reshape(shape)), -127, 127).astype(np.int8)
        return self.init(w + "_wq", q), self.init(w + "_wscale", scale), \
            self.init(w + "_wzp", np.zeros(scale.shape, np.int8)), scale

    def run(self, nodes, params):
        self.params = params
        users = readers(nodes)
        q = {}  # float tensor -> (quantized tensor, scale, zero point)
        skip = set()
        out = self.nodes
        node = lambda op, ins, outs, dom="", **a: out.append(helper.make_node(op, ins, outs, name=outs[0], domain=dom, **a))

        def quant(t):
            if t not in q:
                s, z = self.qparam_inits(t)
                node("QuantizeLinear", [t, s, z], [t + "_q"])
                q[t] = (t + "_q", s, z)
            return q[t]

        def fused_act(t):
            u = users.get(t, [])
            return u[0] if len(u) == 1 and u[0].op_type in ("Relu", "Clip") and t not in self.g.outputs else None

        def floated(t):
            if t in q and t + "_f" not in self.dq:
                qt, s, z = q[t]
                node("DequantizeLinear", [qt, s, z], [t + "_f"])
                self.dq[t + "_f"] = t
            return t + "_f" if t in q else t

        for n in nodes:
            if n.name in skip:
                continue
            ins, op = list(n.input), n.op_type
            if op == "Conv" and ins[1] in params:
                xq, xs, xz = quant(ins[0])
                act = fused_act(n.output[0])
                y = act.output[0] if act else n.output[0]
                wq, ws, wz, wscale = self.qweights(ins[1], params[ins[1]], 0)
                ys, yz = self.qparam_inits(y)
                b = []
                if len(ins) > 2:
                    bs = (np.float32(self.act_params(ins[0])[0]) * wscale).astype(np.float32)
                    b = [self.init(ins[2] + "_bq", np.rint(params[ins[2]] / bs).astype(np.int32))]
                node("QLinearConv", [xq, xs, xz, wq, ws, wz, ys, yz] + b, [y + "_q"])
                for a in n.attribute:
                    out[-1].attribute.append(a)
                q[y] = (y + "_q", ys, yz)
                if act:
                    skip.add(act.name)
            elif op in ("Gemm", "MatMul") and ins[1] in params:
                xq, xs, xz = quant(ins[0])
                trans = op == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute)
                wq, ws, wz, _ = self.qweights(ins[1], params[ins[1]].T if trans else params[ins[1]])
                bias = ins[2] if op == "Gemm" and len(ins) > 2 else None
                mm = n.output[0] + "_mm"
                v = self.g.env[n.output[0]] - (params[bias] if bias else 0)
                ys, yz = self.qparam_inits(mm, (v.min(), v.max()))
                node("QLinearMatMul", [xq, xs, xz, wq, ws, wz, ys, yz], [mm + "_q"])
                node("DequantizeLinear", [mm + "_q", ys, yz], [mm if bias else n.output[0]])
                if bias:
                    node("Add", [mm, bias], [n.output[0]])
            elif op in ("Add", "Mul") and all(i in q or i in self.g.env and i not in params for i in ins) \
                    and all(i not in params for i in ins):
                act = fused_act(n.output[0]) if op == "Add" else None
                y = act.output[0] if act else n.output[0]
                a, b = quant(ins[0]), quant(ins[1])
                ys, yz = self.qparam_inits(y)
                node("QLinear" + op, list(a) + list(b) + [ys, yz], [y + "_q"], MS)
                q[y] = (y + "_q", ys, yz)
                if act:
                    skip.add(act.name)
            elif op in ("AveragePool", "GlobalAveragePool"):
                xq, xs, xz = quant(ins[0])
                ys, yz = self.qparam_inits(n.output[0])
                node("QLinear" + op, [xq, xs, xz, ys, yz], [n.output[0] + "_q"], MS)
                for a in n.attribute:
                    out[-1].attribute.append(a)
                q[n.output[0]] = (n.output[0] + "_q", ys, yz)
            elif op == "Concat" and all(i in q for i in ins):
                ys, yz = self.qparam_inits(n.output[0])
                node("QLinearConcat", [ys, yz] + [x for i in ins for x in q[i]], [n.output[0] + "_q"], MS,
                     axis=next(a.i for a in n.attribute if a.name == "axis"))
                q[n.output[0]] = (n.output[0] + "_q", ys, yz)
            elif op in ("MaxPool", "Reshape", "Flatten") and ins[0] in q:
                qt, s, z = q[ins[0]]
                node(op, [qt] + ins[1:], [n.output[0] + "_q"])
                for a in n.attribute:
                    out[-1].attribute.append(a)
                q[n.output[0]] = (n.output[0] + "_q", s, z)
            else:  # float, after DequantizeLinear
                node(op, [floated(i) for i in ins], list(n.output), n.domain)
                for a in n.attribute:
                    out[-1].attribute.append(a)
        for o in self.g.outputs:  # a quantized graph output goes back to float
            if o in q:
                qt, s, z = q[o]
                node("DequantizeLinear", [qt, s, z], [o])
        used = {i for n in out for i in n.input}
        return [n for n in out if n.op_type != "Constant" or n.output[0] in used]


def build(name, signed, form="qdq"):
    g = getattr(make_models, name)()
    m = g.model()
    params = {k: np.array(v) for k, v in g.params.items()}
    nodes = fold_bn(list(m.graph.node), params)
    qz = (QOperator if form == "qop" else Quantizer)(g, signed)
    qnodes = qz.run(nodes, params)
    for i, n in enumerate(qnodes):  # unique names (make_models repeats some)
        n.name = f"q{i}"
    used = {i for n in qnodes for i in n.input}
    inits = [numpy_helper.from_array(params[k].astype(params[k].dtype), k) for k in params if k in used]
    inits += [t for k, t in qz.inits.items() if k in used]
    graph = helper.make_graph(qnodes, f"{name}_{form}", [i for i in m.graph.input if i.name not in params],
                              list(m.graph.output), initializer=inits)
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid(MS, 1)] if form == "qop" else [])
    out = helper.make_model(graph, producer_name="cnnc-make_quant_models", producer_version="1",
                            opset_imports=opsets)
    out.ir_version = 7
    onnx.checker.check_model(out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", choices=("s8", "u8"), default="u8")
    ap.add_argument("--form", choices=("qdq", "qop"), default="qdq")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.names or MODELS:
        m = build(name, a.type == "s8", a.form)
        path = os.path.join(a.out, f"{name}_{a.form}_{a.type}.onnx")
        onnx.save(m, path)
        print(path)


if __name__ == "__main__":
    main()
