"""HLS variants of domain "export.custom_op.fpgadataflow.hls"."""
from export.custom_op.fpgadataflow.hls.depth_to_space_hls import DepthToSpace_hls

custom_op = {"DepthToSpace_hls": DepthToSpace_hls}
