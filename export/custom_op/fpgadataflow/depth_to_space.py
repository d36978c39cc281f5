"""DepthToSpace (PixelShuffle, ONNX mode CRD) as an abstract FINN HW layer on NHWC streams."""
import numpy as np
from qonnx.core.datatype import DataType

from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.util.logging import log
from sim.golden.depth_to_space import depth_to_space_nhwc


class DepthToSpace(HWCustomOp):
    """NHWC (N, H, W, C*S*S) -> (N, H*S, W*S, C); input channel k = c*S*S + i*S + j
    lands on HR pixel (h*S + i, w*S + j), channel c. An input word carries SIMD channels
    of one LR pixel (SIMD divides C*S*S); an output word OutSIMD elements of one HR row
    within one LR pixel, in NHWC order (OutSIMD divides C*S; OutSIMD = P*C is P whole HR
    pixels, sub-pixels j..j+P-1). FINN's own DepthToSpace has no output width of its
    own; OutSIMD is this op's attribute, 0 (the default) meaning SIMD."""

    def get_nodeattr_types(self):
        """Node attributes on top of HWCustomOp's."""
        my_attrs = {
            # LR spatial size [H, W] of the input feature map
            "ImgDim": ("ints", True, []),
            # channels C of the output (HR) feature map; the input has C*S*S
            "NumChannels": ("i", True, 0),
            # block size S (upscale factor)
            "BlockSize": ("i", True, 0),
            # elements per input word (and per output word when OutSIMD is 0)
            "SIMD": ("i", False, 1),
            # elements per output word: P*NumChannels for P HR pixels; 0: same as SIMD
            "OutSIMD": ("i", False, 0),
            "inputDataType": ("s", True, ""),
            # number of images (batch) per execution
            "numInputVectors": ("i", False, 1),
            # storage of the kernel's ping-pong row buffer
            "ram_style": ("s", False, "block", {"block", "distributed"}),
        }
        my_attrs.update(super().get_nodeattr_types())
        return my_attrs

    def get_out_simd(self):
        """Elements per output word: OutSIMD, or SIMD when OutSIMD is 0."""
        return self.get_nodeattr("OutSIMD") or self.get_nodeattr("SIMD")

    def check_folding(self):
        """Raise ValueError unless SIMD divides C*S*S and the output width divides C*S."""
        simd, out_simd = self.get_nodeattr("SIMD"), self.get_out_simd()
        channels, block = self.get_nodeattr("NumChannels"), self.get_nodeattr("BlockSize")
        name = self.onnx_node.name
        if simd < 1 or (channels * block * block) % simd:
            raise ValueError(f"{name}: SIMD ({simd}) must divide NumChannels * BlockSize**2 "
                             f"({channels * block * block})")
        if out_simd < 1 or (channels * block) % out_simd:
            raise ValueError(f"{name}: OutSIMD ({out_simd}) must divide NumChannels * "
                             f"BlockSize ({channels * block})")

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
        self.check_folding()
        shape, simd = self.get_normal_input_shape(), self.get_nodeattr("SIMD")
        return tuple(shape[:-1]) + (shape[-1] // simd, simd)

    def get_folded_output_shape(self, ind=0):
        """(N, H*S, W*S, C/OutSIMD, OutSIMD); (N, H*S, W*S*C/OutSIMD, OutSIMD) when a word
        holds more than one HR pixel."""
        self.check_folding()
        (batch, height, width, channels), out_simd = self.get_normal_output_shape(), \
            self.get_out_simd()
        if channels % out_simd == 0:
            return (batch, height, width, channels // out_simd, out_simd)
        return (batch, height, width * channels // out_simd, out_simd)

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
        """OutSIMD elements per output word."""
        return self.get_output_datatype().bitwidth() * self.get_out_simd()

    def get_exp_cycles(self):
        """I + (N*H - 1) * max(I, O) + O; (N*H + 1) * I when SIMD = OutSIMD.

        A ping-pong buffer at one word per cycle each way: LR row r is read in
        (I = W*C*S*S/SIMD words) while the S HR rows of LR row r-1 are written out
        (O = W*C*S*S/OutSIMD words); the first row comes in alone, the last goes out
        alone. Pipeline fill (a few cycles) is ignored.
        """
        self.check_folding()
        height, width = self.get_nodeattr("ImgDim")
        block = self.get_nodeattr("BlockSize")
        row_elems = width * block * block * self.get_nodeattr("NumChannels")
        row_in, row_out = row_elems // self.get_nodeattr("SIMD"), row_elems // self.get_out_simd()
        rows = self.get_nodeattr("numInputVectors") * height
        return row_in + (rows - 1) * max(row_in, row_out) + row_out

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
