"""Convert ONNX DepthToSpace (mode CRD) nodes into DepthToSpace HW layers."""
import qonnx.core.data_layout as data_layout
from onnx import helper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.onnx import nchw_to_nhwc

from finn.util.logging import log

HW_DOMAIN = "export.custom_op.fpgadataflow"


class InferDepthToSpaceLayer(Transformation):
    """Replace each standard DepthToSpace with NCHW->NHWC Transpose, DepthToSpace HW
    layer, NHWC->NCHW Transpose, as FINN's InferPool / InferGlobalAccPoolLayer do.

    ONNX defines DepthToSpace on NCHW, so its input must be annotated NCHW or not at
    all; adjacent opposite Transposes (e.g. from lowered convolutions) then cancel
    with FINN's AbsorbConsecutiveTransposes. Non-integer inputs are left alone.
    Raises ValueError for mode DCR, other layouts or missing shapes.
    """

    def apply(self, model):
        """Convert all convertible nodes; returns (model, graph_modified)."""
        graph = model.graph
        graph_modified = False
        for node in list(graph.node):
            if node.op_type != "DepthToSpace" or node.domain not in ("", "ai.onnx"):
                continue
            block, in_shape = check_convertible(model, node)
            idt = model.get_tensor_datatype(node.input[0])
            if not idt.is_integer():
                log.warning(f"{node.name}: input {idt.name} is not integer, not converted")
                continue

            # new nodes go right after the old one, which is removed at the end
            node_ind = list(graph.node).index(node) + 1
            act_in = nchw_to_nhwc(node.input[0], model, node_ind)
            model.set_tensor_datatype(node.output[0], idt)
            act_out = nchw_to_nhwc(node.output[0], model, node_ind + 1, reverse=True)

            batch, channels, height, width = in_shape
            hw_node = helper.make_node(
                "DepthToSpace",
                [act_in],
                [act_out],
                domain=HW_DOMAIN,
                backend="fpgadataflow",
                ImgDim=[height, width],
                NumChannels=channels // (block * block),
                BlockSize=block,
                SIMD=1,
                inputDataType=idt.name,
                numInputVectors=batch,
                name="DepthToSpace_" + node.name,
            )
            # between the two Transposes
            graph.node.insert(node_ind + 1, hw_node)
            graph.node.remove(node)
            graph_modified = True

        if graph_modified:
            model = model.transform(InferShapes())
            model = model.transform(InferDataTypes())
        return (model, graph_modified)


def check_convertible(model, node):
    """Return (block size, NCHW input shape) or raise ValueError naming the node."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    # ONNX's default mode is DCR, a different channel order than PixelShuffle's CRD
    mode = attrs.get("mode", b"DCR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "CRD":
        raise ValueError(
            f"{node.name}: DepthToSpace mode {mode} is not supported, only CRD (PixelShuffle)"
        )
    block = attrs.get("blocksize")
    if block is None or block < 1:
        raise ValueError(f"{node.name}: DepthToSpace needs a blocksize >= 1, got {block}")

    in_shape = model.get_tensor_shape(node.input[0])
    out_shape = model.get_tensor_shape(node.output[0])
    if in_shape is None or out_shape is None:
        raise ValueError(f"{node.name}: tensor shapes unknown, run InferShapes first")
    if len(in_shape) != 4 or in_shape[1] % (block * block):
        raise ValueError(
            f"{node.name}: input shape {in_shape} is not NCHW with C divisible by {block}**2"
        )
    for tensor in (node.input[0], node.output[0]):
        layout = model.get_tensor_layout(tensor)
        if layout not in (None, data_layout.NCHW):
            raise ValueError(
                f"{node.name}: tensor {tensor} has layout {layout}; ONNX DepthToSpace "
                "works on NCHW, so only NCHW (or unannotated) tensors are supported"
            )
    return block, list(in_shape)
