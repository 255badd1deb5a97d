#!/usr/bin/python3
"""make_models.py - the two tiny models of the CMake consumer test: y = x * k + 1
for a float[4] x, with k = 2 (scale2.onnx) and k = 3 (scale3.onnx). The test swaps
one for the other to check that cnnc_add_model regenerates the C when the model
changes. Run it from this folder; the .onnx files are committed."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

for k in (2, 3):
    w = numpy_helper.from_array(np.full(4, k, np.float32), "w")
    b = numpy_helper.from_array(np.ones(4, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["t"], name="mul"),
         helper.make_node("Add", ["t", "b"], ["y"], name="add")],
        f"scale{k}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, f"scale{k}.onnx")
