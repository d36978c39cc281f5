"""Checks that a streamlined graph computes on integers only, naming the torch module
of the first node that does not."""
import ast

from qonnx.transformation.base import Transformation

# ops that only move or copy elements: their output has their input's datatype
DATA_MOVEMENT = {"Transpose", "Reshape", "DepthToSpace", "Im2Col", "Pad", "Flatten"}

HINTS = {
    "Add": "quantize the residual: both operands of an add need one power-of-two grid "
           "(a QuantIdentity with the other operand's scale)",
    "Mul": "use power-of-two scales that streamlining can absorb into thresholds",
    "Conv": "quantize the input of this layer",
    "MatMul": "quantize the input of this layer",
}


class NonIntegerPathError(ValueError):
    """A node of the deployable path computes on floats."""


def torch_scope(node) -> str:
    """The torch module path the exporter recorded for ``node`` ('' when unknown)."""
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            scopes = [s for s in ast.literal_eval(prop.value)[:-1] if s]
            return scopes[-1] if scopes else "the top-level model"
    return ""


def describe(node) -> str:
    scope = torch_scope(node)
    return f"{node.op_type} {node.name}" + (f" (in {scope})" if scope else "")


def blocking_node(model, node):
    """The node where a float scale or bias got stuck.

    Streamlining pushes leftover scale/bias ops (Mul/Add with a constant) downstream until
    something stops them, so that node, not the scale itself, is what the user must fix.
    """
    while node.op_type in ("Mul", "Add") and model.get_initializer(node.input[1]) is not None:
        consumers = model.find_consumers(node.output[0])
        if len(consumers) != 1:
            break
        node = consumers[0]
    return node


class AnnotateDataMovement(Transformation):
    """Give the outputs of data-movement ops the datatype of their input."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            if node.op_type in DATA_MOVEMENT:
                dtype = model.get_tensor_datatype(node.input[0])
                if model.get_tensor_datatype(node.output[0]) != dtype:
                    model.set_tensor_datatype(node.output[0], dtype)
                    changed = True
        return model, changed


class CheckIntegerDataflow(Transformation):
    """Raise NonIntegerPathError at the first node whose output is not an integer
    datatype: the hardware has no float arithmetic."""

    def apply(self, model):
        model = model.transform(AnnotateDataMovement())
        for name in (t.name for t in model.graph.input):
            if not model.get_tensor_datatype(name).is_integer():
                raise NonIntegerPathError(f"graph input {name} is not annotated as integer")
        for node in model.graph.node:
            if all(model.get_tensor_datatype(out).is_integer() for out in node.output):
                continue
            blocker = blocking_node(model, node)
            hint = HINTS.get(blocker.op_type, "this op has no integer hardware layer")
            raise NonIntegerPathError(f"float {describe(blocker)}: {hint}")
        return model, False
