"""FINN-style folding of a dataflow graph for a target of cycles per frame.

As FINN's SetFolding: every layer gets the least parallelism (PE, SIMD) that meets
the target, MVAUs raising SIMD before PE; a sliding window and its padding take the
SIMD of the MVAU they feed, so the window stream needs no width converter. When even
the window at SIMD = channels (KH*KW cycles per pixel) misses the target, or its kernel
is not square (the folded window RTL is), the window turns ``parallel_window`` on (one
whole window per cycle; it and its padding at SIMD = channels) and the MVAU takes its
SIMD among the divisors of MW: the stitcher's width converter splits the windows. Layers
that cannot meet the target end fully parallel and show up as the bottleneck.
"""
import numpy as np
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from hw import mvau, sliding_window
from hw.folding import divisors, smallest_fold
from hw.graph import op_kind


def _pixels(model, tensor):
    return int(np.prod(model.get_tensor_shape(tensor)[:-1]))


def _window_producer(model, node):
    """The ConvolutionInputGenerator feeding ``node``, or None."""
    producer = model.find_producer(node.input[0])
    if producer is not None and op_kind(producer) == "ConvolutionInputGenerator":
        return getCustomOp(producer)
    return None


def needs_parallel_window(window, target) -> bool:
    """FINN's rule: the folded window at its fastest (SIMD = channels) misses ``target``;
    a non-square kernel has the parallel window only."""
    kh, kw = window.get_nodeattr("ConvKernelDim")
    if kh != kw:
        return True
    (h, w), channels = window.get_nodeattr("IFMDim"), window.get_nodeattr("IFMChannels")
    return sliding_window.expected_cycles(h, w, channels, channels, kh) > target


def _fold_mvau(model, node, target):
    op = getCustomOp(node)
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    vectors = _pixels(model, node.input[0])
    window = _window_producer(model, node)
    parallel = window is not None and needs_parallel_window(window, target)
    # SIMD lanes come from the window's channels, unless it is parallel (or absent)
    lanes = window.get_nodeattr("IFMChannels") if window is not None and not parallel else mw
    simd = smallest_fold(vectors * mw * mh, divisors(lanes), target)
    pe = smallest_fold(vectors * (mw // simd) * mh, divisors(mh), target)
    if window is None or parallel:
        simd, pe = _paired_fold(model, node, simd, pe)
    op.set_nodeattr("SIMD", simd)
    op.set_nodeattr("PE", pe)
    if window is not None:
        window.set_nodeattr("parallel_window", int(parallel))
        _fold_window_producers(model, node, window.get_nodeattr("IFMChannels") if parallel
                               else simd)


def _paired_fold(model, node, simd, pe):
    """(SIMD/2, 2*PE) where that pairs the integer MVAU's products in DSP48E1s and (SIMD,
    PE) does not (an even PE pairs two lanes of one input in one DSP,
    ``hw.mvau.packs_pairs``), else (SIMD, PE). Same lanes, same cycles, half the DSPs; only
    where SIMD is not tied to a folded window's."""
    op = getCustomOp(node)
    if op.get_nodeattr("binaryXnorMode") or simd % 2 or op.get_nodeattr("MH") % (2 * pe):
        return simd, pe
    idt = op.get_input_datatype()
    weight_bits = mvau.int_weight_bits(model.get_initializer(node.input[1]).astype(np.int64))

    def pairs(p):
        return mvau.packs_pairs(p, idt.bitwidth(), idt.signed(), weight_bits)

    return (simd // 2, 2 * pe) if pairs(2 * pe) and not pairs(pe) else (simd, pe)


def _fold_window_producers(model, node, simd):
    """SWG (and the FMPadding before it) stream SIMD elements per word."""
    producer = model.find_producer(node.input[0])
    while producer is not None and op_kind(producer) in ("ConvolutionInputGenerator",
                                                         "FMPadding"):
        getCustomOp(producer).set_nodeattr("SIMD", simd)
        producer = model.find_producer(producer.input[0])


def _fold_channelwise(model, node, target, attr="PE"):
    channels = model.get_tensor_shape(node.input[0])[-1]
    work = _pixels(model, node.input[0]) * channels
    getCustomOp(node).set_nodeattr(attr, smallest_fold(work, divisors(channels), target))


def _fold_depth_to_space(model, node, target):
    """Input and output words each as narrow as the target allows: SIMD among the divisors
    of the input channels C*S*S, OutSIMD (P*C for P HR pixels per word) among those of
    C*S, an LR pixel's part of one HR row; at OutSIMD = C*S it still takes S cycles."""
    op = getCustomOp(node)
    channels, block = op.get_nodeattr("NumChannels"), op.get_nodeattr("BlockSize")
    work = _pixels(model, node.input[0]) * channels * block * block
    op.set_nodeattr("SIMD", smallest_fold(work, divisors(channels * block * block), target))
    op.set_nodeattr("OutSIMD", smallest_fold(work, divisors(channels * block), target))


FOLDERS = {
    "MVAU": _fold_mvau,
    "Thresholding": _fold_channelwise,
    "ElementwiseAdd": _fold_channelwise,
    "DuplicateStreams": _fold_channelwise,
    "DepthToSpace": _fold_depth_to_space,
}


class SetFolding(Transformation):
    """Set PE/SIMD of every layer for ``target_cycles`` per frame (see module doc)."""

    def __init__(self, target_cycles: int):
        super().__init__()
        if target_cycles < 1:
            raise ValueError(f"target cycles per frame must be >= 1, got {target_cycles}")
        self.target = target_cycles

    def apply(self, model):
        for node in model.graph.node:
            folder = FOLDERS.get(op_kind(node))
            if folder is not None:
                folder(model, node, self.target)
        return model, False
