"""DepthToSpace (PixelShuffle, ONNX mode CRD) as an abstract FINN HW layer on NHWC streams."""
import numpy as np
from qonnx.core.datatype import DataType

from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.util.logging import log
from sim.golden.depth_to_space import depth_to_space_nhwc


class DepthToSpace(HWCustomOp):
    """NHWC (N, H, W, C*S*S) -> (N, H*S, W*S, C); input channel k = c*S*S + i*S + j
    lands on HR pixel (h*S + i, w*S + j), channel c. Both streams carry SIMD elements
    per word; SIMD must divide C."""

    def get_nodeattr_types(self):
        """Node attributes on top of HWCustomOp's."""
        my_attrs = {
            # LR spatial size [H, W] of the input feature map
            "ImgDim": ("ints", True, []),
            # channels C of the output (HR) feature map; the input has C*S*S
            "NumChannels": ("i", True, 0),
            # block size S (upscale factor)
            "BlockSize": ("i", True, 0),
            # elements per stream word, in and out
            "SIMD": ("i", False, 1),
            "inputDataType": ("s", True, ""),
            # number of images (batch) per execution
            "numInputVectors": ("i", False, 1),
            # storage of the kernel's ping-pong row buffer
            "ram_style": ("s", False, "block", {"block", "distributed"}),
        }
        my_attrs.update(super().get_nodeattr_types())
        return my_attrs

    def check_folding(self):
        """Raise ValueError unless SIMD divides NumChannels."""
        simd = self.get_nodeattr("SIMD")
        channels = self.get_nodeattr("NumChannels")
        if simd < 1 or channels % simd:
            raise ValueError(
                f"{self.onnx_node.name}: SIMD ({simd}) must divide NumChannels ({channels})"
            )

    def get_normal_input_shape(self, ind=0):
        """(N, H, W, C*S*S)."""
        height, width = self.get_nodeattr("ImgDim")
        block = self.get_nodeattr("BlockSize")
        channels = self.get_nodeattr("NumChannels") * block * block
        return (self.get_nodeattr("numInputVectors"), height, width, channels)

    def get_normal_output_shape(self, ind=0):
        """(N, H*S, W*S, C)."""
        height, width = self.get_nodeattr("ImgDim")
        block = self.get_nodeattr("BlockSize")
        channels = self.get_nodeattr("NumChannels")
        return (self.get_nodeattr("numInputVectors"), height * block, width * block, channels)

    def get_folded_input_shape(self, ind=0):
        """(N, H, W, C*S*S/SIMD, SIMD)."""
        return self._fold(self.get_normal_input_shape())

    def get_folded_output_shape(self, ind=0):
        """(N, H*S, W*S, C/SIMD, SIMD)."""
        return self._fold(self.get_normal_output_shape())

    def _fold(self, shape):
        """Split the channel axis of ``shape`` into (channels / SIMD, SIMD)."""
        self.check_folding()
        simd = self.get_nodeattr("SIMD")
        return tuple(shape[:-1]) + (shape[-1] // simd, simd)

    def get_input_datatype(self, ind=0):
        """FINN DataType of the input."""
        return DataType[self.get_nodeattr("inputDataType")]

    def get_output_datatype(self, ind=0):
        """Same as the input: elements are only moved."""
        return self.get_input_datatype()

    def get_instream_width(self, ind=0):
        """SIMD elements per input word."""
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("SIMD")

    def get_outstream_width(self, ind=0):
        """SIMD elements per output word."""
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("SIMD")

    def get_exp_cycles(self):
        """(N*H + 1) * W * S*S * C / SIMD.

        The kernel is one loop at II=1 over LR row phases with a ping-pong buffer:
        phase r reads LR row r (W*C*S*S/SIMD words) while writing the S HR rows of
        LR row r-1 (the same number of words). N*H rows need N*H + 1 phases; the
        extra phase is the one-row latency. Pipeline fill (a few cycles) is ignored.
        """
        self.check_folding()
        height, width = self.get_nodeattr("ImgDim")
        block = self.get_nodeattr("BlockSize")
        row_words = width * block * block * self.get_nodeattr("NumChannels")
        row_words //= self.get_nodeattr("SIMD")
        return (self.get_nodeattr("numInputVectors") * height + 1) * row_words

    def infer_node_datatype(self, model):
        """Take the input tensor's datatype and pass it to the output."""
        node = self.onnx_node
        idt = model.get_tensor_datatype(node.input[0])
        if idt != self.get_input_datatype():
            log.warning(
                f"inputDataType changing for {node.name}: {self.get_input_datatype()} -> {idt}"
            )
        self.set_nodeattr("inputDataType", idt.name)
        model.set_tensor_datatype(node.output[0], idt)

    def verify_node(self):
        """Messages on attribute validity (FINN style: a list of strings)."""
        info = []
        backend = self.get_nodeattr("backend")
        info.append(
            "Attribute backend is set correctly"
            if backend == "fpgadataflow"
            else f"Attribute backend should be fpgadataflow, is {backend}"
        )
        img_dim = self.get_nodeattr("ImgDim")
        positive = [self.get_nodeattr(a) for a in ("NumChannels", "BlockSize", "SIMD")]
        if len(img_dim) != 2 or min(list(img_dim) + positive) < 1:
            info.append("ImgDim must be [H, W]; ImgDim, NumChannels, BlockSize, SIMD >= 1")
        try:
            self.check_folding()
        except ValueError as err:
            info.append(str(err))
        if len(self.onnx_node.input) != 1 or len(self.onnx_node.output) != 1:
            info.append("DepthToSpace needs exactly one input and one output")
        return info

    def execute_node(self, context, graph):
        """Golden numpy semantics on the NHWC input."""
        node = self.onnx_node
        inp = context[node.input[0]].reshape(self.get_normal_input_shape())
        result = depth_to_space_nhwc(inp, self.get_nodeattr("BlockSize"))
        context[node.output[0]] = result.astype(np.float32)
