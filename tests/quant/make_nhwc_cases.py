#!/usr/bin/python3
"""make_nhwc_cases.py - tests/quant cases nhwc_chain_{u8,s8}: a QDQ chain of int8 convolutions
(depthwise with 10, 12, 16, 24, 32, 40 channels, stride 1 and 2, 3x3 and 5x5, grouped,
pointwise with C % 4 != 0, asymmetric pads) whose activations stay channels-last
(LAYOUT_NHWC) between the kernels; the int8 output is compared exactly with ORT.
Cases nhwc_dw_{u8,s8}: the stride-1 depthwise convolutions of AVX-512 VNNI's
rt_qdw_vnni (32, 64 and 128 channels, 5x5, 3x1, dilation 2, asymmetric pads, a row
that ends mid-chunk) and a global average pool reading channels-last input.

    tests/quant/make_nhwc_cases.py tests/quant/data
    node tools/ort/reference.js tests/quant/data/nhwc_chain_u8/model.onnx tests/quant/data/nhwc_chain_u8 --sets 2 --optimize
    (and the same for nhwc_chain_s8, nhwc_dw_u8, nhwc_dw_s8)
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'models'))
import make_models, make_quant_models, onnx
from make_models import Graph
def oddnet():
    g = Graph('oddnet', 7, opset=13, ir=7, calib_batch=4)
    x = g.input('input', [1, 3, 20, 20])
    x = g.conv_bn(x, 24, 3, 1, pads=[1, 1, 1, 1], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 24, 3, 1, pads=[1, 1, 1, 1], group=24, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 40, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 40, 3, 2, pads=[0, 0, 1, 1], group=40, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 12, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 12, 5, 1, pads=[2, 2, 2, 2], group=12, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 10, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 10, 3, 1, pads=[1, 1, 1, 1], group=10, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 16, 3, 1, pads=[1, 0, 1, 2], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 16, 3, 1, pads=[1, 1, 1, 1], group=16, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 32, 3, 1, pads=[1, 1, 1, 1], group=2, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 32, 3, 1, pads=[1, 1, 1, 1], group=32, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 8, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    g.output(x, 'output')
    return g
def dwnet():
    g = Graph('dwnet', 7, opset=13, ir=7, calib_batch=4)
    x = g.input('input', [1, 8, 11, 13])
    x = g.conv_bn(x, 64, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 64, 5, 1, pads=[2, 2, 2, 2], group=64, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 128, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 128, 3, 1, pads=[1, 0, 1, 2], group=128, act='relu6', eps=1e-3)
    x = g.conv_bn(x, 128, (3, 1), 1, pads=[1, 0, 1, 0], group=128, act='relu6', eps=1e-3)
    x = g.relu6(g.bn(g.conv(x, 128, 3, 1, pads=[2, 2, 2, 2], group=128, dil=2, bias=False), eps=1e-3))
    x = g.conv_bn(x, 32, 1, pads=[0, 0, 0, 0], act='relu6', eps=1e-3)
    x = g.conv_bn(x, 32, 3, 1, pads=[1, 1, 1, 1], group=32, act='relu6', eps=1e-3)
    x = g.gap(x)
    g.output(x, 'output')
    return g
make_models.oddnet = oddnet
make_models.dwnet = dwnet
for net, case in (('oddnet', 'nhwc_chain'), ('dwnet', 'nhwc_dw')):
    for t in ('u8', 's8'):
        m = make_quant_models.build(net, t == 's8', 'qdq')
        from onnx import helper, numpy_helper
        import numpy as np
        m.graph.output[0].name = 'output'
        for n in m.graph.node:
            for k, v in enumerate(n.output):
                if v == 'output':
                    n.output[k] = 'outf'
        zt = np.int8 if t == 's8' else np.uint8
        m.graph.initializer.extend([numpy_helper.from_array(np.array(6.0 / 255, np.float32), 'oscale'),
                                    numpy_helper.from_array(np.array(-128 if t == 's8' else 0, zt), 'ozp')])
        m.graph.node.append(helper.make_node('QuantizeLinear', ['outf', 'oscale', 'ozp'], ['output']))
        m.graph.output[0].type.tensor_type.elem_type = onnx.TensorProto.INT8 if t == 's8' else onnx.TensorProto.UINT8
        onnx.checker.check_model(m)
        os.makedirs(os.path.join(sys.argv[1], f'{case}_{t}'), exist_ok=True)
        onnx.save(m, os.path.join(sys.argv[1], f'{case}_{t}', 'model.onnx'))
