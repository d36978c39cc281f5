"""Execute a few nodes of a QONNX graph with QONNX's own node execution."""
import numpy as np
from qonnx.core.onnx_exec import execute_node
from qonnx.util.basic import get_preferred_qonnx_opset


def run_nodes(model, nodes, feeds):
    """Run ``nodes`` in order on ``feeds`` (tensor name -> array); initializers are looked
    up in ``model``. Returns the context with every output."""
    context = dict(feeds)
    opsets = model.get_opset_imports()
    for node in nodes:
        for name in node.input:
            if name and name not in context:
                context[name] = model.get_initializer(name)
        for name in node.output:  # execute_node checks results against these shapes
            context[name] = np.zeros(model.get_tensor_shape(name), dtype=np.float32)
        execute_node(node, context, model.graph, opsets.get(node.domain,
                                                             get_preferred_qonnx_opset()))
    return context


def constant_output(model, node):
    """Output of a node whose inputs are all initializers, as float64."""
    return np.asarray(run_nodes(model, [node], {})[node.output[0]], dtype=np.float64)
