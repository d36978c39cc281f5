"""StreamingFIFO, hw/rtl/stream_fifo.sv: sizing rule, cycle model, RTL parameters, and the
graph passes that make FIFOs nodes of the dataflow graph (FINN's StreamingFIFO op)."""
from onnx import TensorProto
from onnx import helper as oh
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.general import SortGraph

from hw.folding import RTL_DIR, check_positive
from hw.graph import op_kind

LAYER = "StreamingFIFO"
MODULE = "stream_fifo"
SOURCES = (RTL_DIR / "stream_fifo.sv",)
# stream_fifo.sv's deepest FIFO in LUTs; deeper ones are block RAM with a registered read
LUTRAM_MAX_DEPTH = 64


def check_folding(depth: int, width: int) -> None:
    check_positive(LAYER, depth=depth, width=width)


def latency(depth: int) -> int:
    """Cycles from a word's push to the first cycle it can leave: 1 from LUTs, 2 from
    block RAM (registered read)."""
    return 1 if depth <= LUTRAM_MAX_DEPTH else 2


def expected_cycles(words: int, depth: int) -> int:
    """Cycles of ``words`` words, first input to last output, inclusive.

    A word leaves ``latency`` cycles after its push at the earliest. A full FIFO
    refuses a push even while it pops (the ready path stays cut), so depth 1 moves a
    word every other cycle; deeper FIFOs one per cycle.
    """
    return 2 * words if depth == 1 else words + latency(depth)


def rtl_parameters(depth: int, width: int) -> dict[str, int]:
    check_folding(depth, width)
    return {"DEPTH": depth, "WIDTH": width}


def is_fifo(node) -> bool:
    return op_kind(node) == LAYER


def stream_tensor(model: ModelWrapper, node) -> str:
    """The stream a FIFO node buffers, named as in the graph without FIFOs: its input, or
    its output where that is a graph output (whose name stays)."""
    outputs = {t.name for t in model.graph.output}
    return node.output[0] if node.output[0] in outputs else node.input[0]


def fifo_depths(model: ModelWrapper) -> dict[str, int]:
    """Stream tensor -> depth of every StreamingFIFO node of ``model``."""
    return {stream_tensor(model, node): getCustomOp(node).get_nodeattr("depth")
            for node in model.graph.node if is_fifo(node)}


def _streams(model: ModelWrapper):
    """Every stream of the dataflow graph: tensors that a node or the graph input feeds to
    a node or the graph output (weights and thresholds are initializers, not streams)."""
    initializers = {t.name for t in model.graph.initializer}
    produced = [t.name for t in model.graph.input] + \
        [t for node in model.graph.node for t in node.output]
    return [t for t in produced if t not in initializers]


class InsertStreamFIFOs(Transformation):
    """A StreamingFIFO node (FINN's op, attribute ``depth``) on every stream of a dataflow
    graph without FIFOs: between every two nodes, after the graph input and before the
    graph output. Graph input and output keep their names.

    FINN's own InsertFIFO (finn.transformation.fpgadataflow.insert_fifo) cannot run on
    this project's graphs: it needs specialized backends (the abstract
    ConvolutionInputGenerator lacks ``use_parallel_window_output``), equal folded shapes
    on both sides of every stream (width converters inserted before, where this flow's
    stitcher adds them after the FIFO), reads the depths from every node's
    in/outFIFODepths, and adds the graph input and output FIFOs only when it inserted no
    other. This pass makes the same nodes with the same attributes.

    depths: stream tensor -> depth (words), others ``default_depth``;
    elems_per_word: stream tensor -> elements per stream word of its producer (the
    ``folded_shape``'s last axis).
    """

    def __init__(self, depths: dict[str, int], elems_per_word: dict[str, int],
                 default_depth: int = 2):
        super().__init__()
        self.depths, self.elems_per_word = depths, elems_per_word
        self.default_depth = default_depth

    def apply(self, model: ModelWrapper):
        if any(is_fifo(node) for node in model.graph.node):
            return model, False
        outputs = {t.name for t in model.graph.output}
        for tensor in _streams(model):
            self._insert(model, tensor, tensor in outputs)
        return model.transform(SortGraph()), True

    def _insert(self, model, tensor, is_graph_output):
        shape, dtype = model.get_tensor_shape(tensor), model.get_tensor_datatype(tensor)
        per_word = self.elems_per_word[tensor]
        fresh = model.make_new_valueinfo_name()
        model.graph.value_info.append(oh.make_tensor_value_info(fresh, TensorProto.FLOAT, shape))
        model.set_tensor_datatype(fresh, dtype)
        if is_graph_output:  # the producer writes the fresh tensor, the FIFO the output
            producer = model.find_producer(tensor)
            producer.output[list(producer.output).index(tensor)] = fresh
            fifo_in, fifo_out = fresh, tensor
        else:
            for consumer in model.find_consumers(tensor):
                consumer.input[list(consumer.input).index(tensor)] = fresh
            fifo_in, fifo_out = tensor, fresh
        depth = self.depths.get(tensor, self.default_depth)
        check_folding(depth, per_word)
        model.graph.node.append(oh.make_node(
            LAYER, [fifo_in], [fifo_out], name=f"{LAYER}_{len(model.graph.node)}",
            domain="finn.custom_op.fpgadataflow", backend="fpgadataflow", depth=depth,
            folded_shape=[*shape[:-1], shape[-1] // per_word, per_word], normal_shape=shape,
            dataType=dtype.name))


class RemoveStreamFIFOs(Transformation):
    """Undo InsertStreamFIFOs: every StreamingFIFO node bypassed and removed."""

    def apply(self, model: ModelWrapper):
        fifos = [node for node in model.graph.node if is_fifo(node)]
        for node in fifos:
            kept = stream_tensor(model, node)
            gone = node.input[0] if kept == node.output[0] else node.output[0]
            for other in model.graph.node:
                other.input[:] = [kept if t == gone else t for t in other.input]
                other.output[:] = [kept if t == gone else t for t in other.output]
            model.graph.node.remove(node)
            model.graph.value_info.remove(model.get_tensor_valueinfo(gone))
        return model, bool(fifos)
