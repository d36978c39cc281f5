"""Execute a few nodes of a QONNX graph: QONNX's own node execution, or one compiled
onnxruntime session per run of standard nodes for repeated probing at any shape."""
import numpy as np
import onnxruntime as rt
from onnx import helper
from qonnx.core.onnx_exec import execute_node
from qonnx.custom_op.registry import is_custom_op
from qonnx.util.basic import get_preferred_qonnx_opset, qonnx_make_model


def _opset(model, node):
    return model.get_opset_imports().get(node.domain, get_preferred_qonnx_opset())


def run_nodes(model, nodes, feeds):
    """Run ``nodes`` in order on ``feeds`` (tensor name -> array); initializers are looked
    up in ``model``. Returns the context with every output."""
    context = dict(feeds)
    for node in nodes:
        for name in node.input:
            if name and name not in context:
                context[name] = model.get_initializer(name)
        for name in node.output:  # execute_node checks results against these shapes
            context[name] = np.zeros(model.get_tensor_shape(name), dtype=np.float32)
        execute_node(node, context, model.graph, _opset(model, node))
    return context


def _elem_type(model, name):
    graph = model.graph
    for info in [*graph.input, *graph.output, *graph.value_info]:
        if info.name == name:
            return info.type.tensor_type.elem_type
    raise KeyError(f"tensor {name} has no value_info; run InferShapes first")


class _OnnxSegment:
    """Consecutive standard ONNX nodes as one onnxruntime session with unspecified
    shapes, so it runs on any broadcast-compatible input shape."""

    def __init__(self, model, nodes):
        produced = {out for node in nodes for out in node.output}
        inputs = [name for node in nodes for name in node.input
                  if name and name not in produced and model.get_initializer(name) is None]
        initializers = {name for node in nodes for name in node.input
                        if name and model.get_initializer(name) is not None}
        self.inputs = list(dict.fromkeys(inputs))
        self.outputs = sorted(produced)
        graph = helper.make_graph(
            nodes, "segment",
            [helper.make_tensor_value_info(n, _elem_type(model, n), None) for n in self.inputs],
            [helper.make_tensor_value_info(n, _elem_type(model, n), None) for n in self.outputs],
            [_initializer_proto(model, name) for name in sorted(initializers)])
        onnx_model = qonnx_make_model(graph)
        onnx_model.opset_import[0].version = _opset(model, nodes[0])
        self.session = rt.InferenceSession(onnx_model.SerializeToString())

    def __call__(self, context):
        results = self.session.run(self.outputs, {n: context[n] for n in self.inputs})
        context.update(zip(self.outputs, results))


def _initializer_proto(model, name):
    return next(init for init in model.graph.initializer if init.name == name)


class _CustomNode:
    def __init__(self, model, node):
        self.model, self.node = model, node

    def __call__(self, context):
        for name in self.node.input:
            if name and name not in context:
                context[name] = self.model.get_initializer(name)
        execute_node(self.node, context, self.model.graph, _opset(self.model, self.node))


class CompiledNodes:
    """``nodes`` of ``model`` prepared for many runs on inputs of any shape: runs of
    standard nodes become one onnxruntime session each, custom ops (Quant) run with
    QONNX's numpy implementations, which broadcast freely."""

    def __init__(self, model, nodes):
        self.parts, standard = [], []
        for node in nodes:
            if is_custom_op(node.domain, node.op_type):
                if standard:
                    self.parts.append(_OnnxSegment(model, standard))
                    standard = []
                self.parts.append(_CustomNode(model, node))
            else:
                standard.append(node)
        if standard:
            self.parts.append(_OnnxSegment(model, standard))

    def __call__(self, feeds):
        context = dict(feeds)
        for part in self.parts:
            part(context)
        return context


def constant_output(model, node):
    """Output of a node whose inputs are all initializers, as float64."""
    return np.asarray(run_nodes(model, [node], {})[node.output[0]], dtype=np.float64)
