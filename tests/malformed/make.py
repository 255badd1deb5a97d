#!/usr/bin/python3
"""make.py - writes the malformed-model corpus of tests/malformed/.

    /usr/bin/python3 tests/malformed/make.py [OUT_DIR]     (default: beside this script)

Two kinds of files:
  bad/NAME.onnx  a model cnnc must refuse: exit status 1, one error line that contains
                 the substring listed for NAME in expected.txt, no output file.
  good/NAME/     a model with hostile names (C keywords, "*/", newlines, non-ASCII,
                 names that collide once made into identifiers) that cnnc must compile
                 and run correctly: model.onnx + test_data_set_0 computed with numpy.

run.sh checks both. The files are small and checked in; rerun this script after
changing it and commit what changed. Every model is built from scratch here (onnx
helper functions or hand-written protobuf bytes), so the corpus is reproducible.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def model(nodes, inputs, outputs, inits=(), opset=13, ir=8, name="g", domains=()):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops, producer_name="malformed")
    m.ir_version = ir
    return m


def relu_model():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [2, 3])],
                 [vi("y", [2, 3])])


def conv_model():
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    n = helper.make_node("Conv", ["x", "w"], ["y"], name="conv0", kernel_shape=[3, 3])
    return model([n], [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 6, 6])], [w])


def key(field, wire):
    return varint(field << 3 | wire)


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def ld(field, payload):
    """A length-delimited field."""
    return key(field, 2) + varint(len(payload)) + payload


def deep_nesting(depth):
    """ModelProto whose graph nests If-like subgraph attributes `depth` deep:
    GraphProto.node(1) -> NodeProto.attribute(5) -> AttributeProto.g(6) -> GraphProto."""
    g = b""
    for _ in range(depth):
        attr = ld(1, b"then_branch") + key(20, 0) + varint(5) + ld(6, g)
        node = ld(4, b"If") + ld(3, b"if") + ld(5, attr)
        g = ld(1, node)
    opset = ld(1, b"") + key(2, 0) + varint(13)
    return key(1, 0) + varint(8) + ld(8, opset) + ld(7, g)


def ext_model(location, length=None):
    w = TensorProto()
    w.name = "w"
    w.data_type = F
    w.dims.extend([2, 3])
    w.data_location = TensorProto.EXTERNAL
    e = w.external_data.add()
    e.key, e.value = "location", location
    if length is not None:
        e = w.external_data.add()
        e.key, e.value = "length", str(length)
    n = helper.make_node("Add", ["x", "w"], ["y"], name="add")
    return model([n], [vi("x", [2, 3])], [vi("y", [2, 3])], [w])


def bad_models():
    """(name, bytes or ModelProto, expected error substring)"""
    ok = relu_model().SerializeToString()
    out = []

    def add(name, m, want):
        out.append((name, m, want))

    add("empty", b"", "the model has no ir_version")
    add("truncated", conv_model().SerializeToString()[:150],
        "not a valid ONNX model (the protobuf could not be parsed)")
    add("garbage", bytes((i * 7919 + 13) % 251 for i in range(600)),
        "not a valid ONNX model (the protobuf could not be parsed)")
    add("text_not_protobuf", b"ir_version: 8\ngraph { node { op_type: \"Relu\" } }\n",
        "not a valid ONNX model (the protobuf could not be parsed)")
    # field 7 (graph) sent as a varint instead of a length-delimited message
    add("wrong_wire_type", key(1, 0) + varint(8) + key(7, 0) + varint(5),
        "not a valid ONNX model (the protobuf could not be parsed)")
    # the graph's length runs past the end of the file
    add("length_past_end", key(1, 0) + varint(8) + key(7, 2) + varint(1000) + b"\x0a\x00",
        "not a valid ONNX model (the protobuf could not be parsed)")
    add("varint_overlong", key(1, 0) + b"\xff" * 11 + b"\x01",
        "not a valid ONNX model (the protobuf could not be parsed)")
    add("deep_nesting", deep_nesting(300), "messages nest more than 64 deep")
    m = onnx.ModelProto()
    m.ParseFromString(ok)
    m.ClearField("graph")
    add("no_graph", m, "the model has no graph")
    m = relu_model()
    m.ir_version = 99
    add("ir_version_99", m, "IR version 99 is not supported")
    m = relu_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = -3
    add("negative_dim", m, "graph input 'x' has negative dim -3")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
              [vi("x", [1000000000000, 1000000000000])], [vi("y", None)])
    add("absurd_dims", m, "graph input 'x' has a shape that is too large")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
              [vi("x", [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1])], [vi("y", None)])
    add("rank_too_big", m, "graph input 'x' has rank 19")
    w = TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([1000000000000, 1000000000000])
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [2, 3])],
              [vi("y", [2, 3])], [w])
    add("absurd_initializer_dims", m, "tensor 'w': shape is too large")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", ["N", 3])],
              [vi("y", ["N", 3])])
    add("unbound_symbolic_dim", m, "graph input 'x' has symbolic dim 'N'; pin it with --dim N=")
    m = relu_model()
    m.graph.input[0].type.tensor_type.ClearField("shape")
    add("input_without_shape", m, "graph input 'x' has no shape; give one with --input-shape")
    m = model([helper.make_node("Add", ["x", "b"], ["a"], name="n_a"),
               helper.make_node("Relu", ["a"], ["b"], name="n_b")],
              [vi("x", [2, 3])], [vi("b", [2, 3])])
    add("cycle", m, "node 'n_a' (Add): node is part of a cycle")
    m = model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add0")],
              [vi("x", [2, 3])], [vi("y", [2, 3])])
    add("dangling_input", m, "node 'add0' (Add): input 'nowhere' is not defined")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r1"),
               helper.make_node("Neg", ["x"], ["y"], name="r2")],
              [vi("x", [2, 3])], [vi("y", [2, 3])])
    add("duplicate_output", m, "node 'r2' (Neg): output 'y' is already defined")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
              [vi("x", [2, 3]), vi("x", [2, 3])], [vi("y", [2, 3])])
    add("duplicate_input", m, "graph input 'x' is listed twice")
    w = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [2, 3])],
              [vi("y", [2, 3])], [w, w])
    add("duplicate_initializer", m, "initializer 'w' is defined twice")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [2, 3])],
              [vi("nothing", [2, 3])])
    add("output_not_produced", m, "graph output 'nothing' is not produced by any node")
    m = model([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")],
              [vi("x", [2, 3])], [vi("y", [2, 3])])
    add("unsupported_op", m, "node 'frob' (FrobnicateTensor): unsupported operator")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.example")],
              [vi("x", [2, 3])], [vi("y", [2, 3])], domains=["com.example"])
    add("unknown_domain", m, "node 'r' (Relu): unsupported operator 'Relu' of domain 'com.example'")
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.example")],
              [vi("x", [2, 3])], [vi("y", [2, 3])])
    add("domain_without_opset", m, "node 'r' (Relu): unsupported operator 'Relu' of domain 'com.example'")
    m = model([helper.make_node("Add", ["x", "i"], ["y"], name="add_mixed")],
              [vi("x", [2, 3]), vi("i", [2, 3], TensorProto.INT64)], [vi("y", [2, 3])])
    add("mismatched_input_types", m, "node 'add_mixed' (Add): input 'i' is int64 but input 0 is float")
    w = TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([2, 3])
    w.raw_data = b"\0" * 7
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [2, 3])],
              [vi("y", [2, 3])], [w])
    add("raw_data_wrong_length", m, "tensor 'w': raw_data has 7 bytes, expected 24")
    w = TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([2, 3])
    w.float_data.extend([1.0, 2.0])
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", [2, 3])],
              [vi("y", [2, 3])], [w])
    add("float_data_wrong_count", m, "tensor 'w': has 2 values, expected 6")
    add("external_data_outside", ext_model("../../../../etc/passwd"),
        "external data location '../../../../etc/passwd' leaves the model's folder")
    add("external_data_dev_zero", ext_model("/dev/zero"),
        "external data location '/dev/zero' leaves the model's folder")
    add("external_data_missing", ext_model("no_such_weights.bin"),
        "cannot open external data 'no_such_weights.bin'")
    add("external_data_symlink_dev_zero", ext_model("data/zero"),
        "external data location 'data/zero' leaves the model's folder")
    add("external_data_too_short", ext_model("data/short.bin"),
        "external data 'data/short.bin' is too short")
    add("external_data_directory", ext_model("data"), "external data 'data' is not a regular file")
    add("external_data_bad_length", ext_model("data/short.bin", 5),
        "external data has length 5, expected 24 bytes")
    m = conv_model()
    m.graph.initializer[0].CopyFrom(numpy_helper.from_array(np.ones((4, 3, 3), np.float32), "w"))
    add("conv_weight_rank", m, "node 'conv0' (Conv): weight W has rank 3, expected 4")
    m = model([helper.make_node("Add", ["x"], ["y"], name="add1")], [vi("x", [2, 3])],
              [vi("y", [2, 3])])
    add("too_few_inputs", m, "node 'add1' (Add): has 1 inputs, expected 2")
    m = model([helper.make_node("Add", ["x", "z"], ["y"], name="add_bc")],
              [vi("x", [2, 3]), vi("z", [4, 3])], [vi("y", [2, 3])])
    add("broadcast_mismatch", m, "node 'add_bc' (Add): shapes [2,3] and [4,3] do not broadcast")
    shp = numpy_helper.from_array(np.array([4, 4], np.int64), "shape")
    m = model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape0")],
              [vi("x", [2, 3])], [vi("y", [4, 4])], [shp])
    add("reshape_wrong_size", m, "node 'reshape0' (Reshape): cannot reshape [2,3] (6 elements) to [4,4]")
    m = model([helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=[0, 0])],
              [vi("x", [2, 3])], [vi("y", [2, 3])])
    add("transpose_bad_perm", m, "node 'tr' (Transpose): perm is not a permutation")
    m = model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=5)],
              [vi("x", [2, 3])], [vi("y", [4, 3])])
    add("concat_axis_out_of_range", m, "node 'cat' (Concat): axis 5 is out of range for rank 2")
    n = helper.make_node("Conv", ["x", "w"], ["y"], name="conv0")
    n.attribute.extend([helper.make_attribute("kernel_shape", [3.0, 3.0])])
    m = conv_model()
    m.graph.node[0].CopyFrom(n)
    add("attribute_wrong_type", m, "node 'conv0' (Conv): attribute 'kernel_shape' is not a list of ints")
    reps = numpy_helper.from_array(np.array([1000000, 1000000], np.int64), "reps")
    m = model([helper.make_node("Tile", ["x", "reps"], ["big"], name="tile_big"),
               helper.make_node("ReduceSum", ["big"], ["y"], name="sum", keepdims=0)],
              [vi("x", [2, 3])], [vi("y", [])], [reps])
    add("absurd_intermediate", m, "node 'tile_big' (Tile): output is too large")
    reps = numpy_helper.from_array(np.array([100000, 10000], np.int64), "reps")
    nodes = [helper.make_node("Tile", ["x", "reps"], ["b%d" % k], name="tile%d" % k)
             for k in range(8)]
    nodes += [helper.make_node("Sum", ["b%d" % k for k in range(8)], ["s"], name="sum8"),
              helper.make_node("ReduceSum", ["s"], ["y"], name="sum", keepdims=0)]
    m = model(nodes, [vi("x", [2, 3])], [vi("y", [])], [reps])
    add("absurd_workspace", m, "the workspace would need 216000000000 bytes, more than the limit")
    m = model([helper.make_node("", ["x"], ["y"], name="noop")], [vi("x", [2, 3])],
              [vi("y", [2, 3])])
    add("empty_op_type", m, "node 'noop': the node has no op_type")
    return out


def good_models():
    """(name, ModelProto, feeds) of models whose names are hostile to C."""
    out = []

    def names_model(tag, xa, xb, w, t, y1, y2, nodes=("n1", "n2", "n3"), gname="g"):
        wv = numpy_helper.from_array(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), w)
        m = model([helper.make_node("Add", [xa, xb], [t], name=nodes[0]),
                   helper.make_node("Mul", [t, w], [y1], name=nodes[1]),
                   helper.make_node("Relu", [t], [y2], name=nodes[2])],
                  [vi(xa, [2, 3]), vi(xb, [2, 3])], [vi(y1, [2, 3]), vi(y2, [2, 3])], [wv],
                  name=gname)
        m.doc_string = "doc with */ and /* and \\ and \n newline"
        m.graph.doc_string = "*/ int broken; /*"
        out.append((tag, m))

    names_model("c_keywords", "int", "return", "static", "void", "float", "struct",
                nodes=("for", "while", "if"), gname="main")
    names_model("comment_breakers", "a*/b", "/*c", "w*/ int x; /*", "t//u", "*/", "y\\",
                nodes=("*/ node", "/* node", "\\"), gname="*/ graph /*")
    names_model("newlines_quotes", "x\ny", "q\"uote", "back\\slash\n", "t\r\n",
                "tab\there", "y'\"", nodes=("n\n1", "n\"2", "n\\3"), gname="g\n2")
    names_model("non_ascii", "entrée", "входной", "权重", "τ", "出力", "ÿ\u00a0",
                nodes=("nœud", "узел", "节点"))
    names_model("collide_after_sanitising", "a-b", "a.b", "a_b", "a b", "a+b", "a/b",
                nodes=("n-1", "n.1", "n_1"))
    names_model("generated_names", "inputs", "outputs", "workspace", "x0", "y0", "scratch",
                nodes=("model_run", "ws", "i"), gname="model")
    names_model("trigraphs_and_digits", "??/", "0abc", "9", "??=w", "_", "__y",
                nodes=("??(", "??)", "1"))
    long = "n" * 3000
    names_model("very_long_names", long + "a", long + "b", long + "w", long + "t",
                long + "y1", long + "y2", nodes=(long, long + "2", long + "3"))
    return out


def write_good(dest, name, m):
    d = os.path.join(dest, name)
    ds = os.path.join(d, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "model.onnx"))
    rng = np.random.default_rng(len(name))
    feeds = {}
    for k, i in enumerate(m.graph.input):
        a = rng.standard_normal((2, 3)).astype(np.float32)
        feeds[i.name] = a
        t = numpy_helper.from_array(a, i.name)
        open(os.path.join(ds, "input_%d.pb" % k), "wb").write(t.SerializeToString())
    xa, xb = [feeds[i.name] for i in m.graph.input]
    w = numpy_helper.to_array(m.graph.initializer[0])
    t = xa + xb
    for k, (o, v) in enumerate(zip(m.graph.output, [t * w, np.maximum(t, 0)])):
        tp = numpy_helper.from_array(v.astype(np.float32), o.name)
        open(os.path.join(ds, "output_%d.pb" % k), "wb").write(tp.SerializeToString())


def main():
    dest = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(os.path.join(dest, "bad", "data"), exist_ok=True)
    # what external data may point at: a short file, and a link out to /dev/zero
    open(os.path.join(dest, "bad", "data", "short.bin"), "wb").write(b"\0" * 8)
    link = os.path.join(dest, "bad", "data", "zero")
    if not os.path.islink(link):
        os.symlink("/dev/zero", link)
    lines = ["# expected.txt - written by make.py: NAME<TAB>substring of cnnc's error line",
             "# for bad/NAME.onnx; good/NAME folders must compile and pass cnnc verify."]
    for name, m, want in bad_models():
        data = m if isinstance(m, bytes) else m.SerializeToString()
        open(os.path.join(dest, "bad", name + ".onnx"), "wb").write(data)
        lines.append("%s\t%s" % (name, want))
    for name, m in good_models():
        write_good(os.path.join(dest, "good"), name, m)
        lines.append("%s\tPASS" % name)
    open(os.path.join(dest, "expected.txt"), "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
