#!/usr/bin/python3
"""flops.py - multiply-accumulates of a model's Conv, ConvTranspose, Gemm and MatMul nodes.

    flops.py MODEL.onnx      prints the MAC count (elementwise work is not counted)

Uses ONNX shape inference for the intermediate shapes. Used by bench/run.sh to
turn latencies into GFLOP/s (2 FLOP per MAC)."""
import sys

import numpy as np
import onnx
from onnx import shape_inference


def main():
    m = shape_inference.infer_shapes(onnx.load(sys.argv[1]))
    g = m.graph
    shapes = {}
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = [d.dim_value or 1 for d in t.shape.dim]  # symbolic (batch): 1
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    macs = 0
    for n in g.node:
        if n.op_type in ("Conv", "ConvTranspose"):
            w = shapes.get(n.input[1])
            x = shapes.get(n.input[0])
            y = shapes.get(n.output[0])
            if not w or not y or not x:
                continue
            group = next((a.i for a in n.attribute if a.name == "group"), 1)
            k = int(np.prod(w[2:]))
            if n.op_type == "Conv":
                macs += int(np.prod(y)) * (w[1]) * k
            else:
                macs += int(np.prod(x)) * (w[1]) * k
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes.get(n.input[0])
            y = shapes.get(n.output[0])
            if not a or not y:
                continue
            kdim = a[-1]
            if n.op_type == "Gemm" and any(at.name == "transA" and at.i for at in n.attribute):
                kdim = a[0]
            macs += int(np.prod(y)) * kdim
    print(macs)


if __name__ == "__main__":
    main()
