"""HW layers of ONNX domain "export.custom_op.fpgadataflow" (looked up by qonnx's getCustomOp)."""
from export.custom_op.fpgadataflow.depth_to_space import DepthToSpace

custom_op = {"DepthToSpace": DepthToSpace}
