"""Stream plumbing: duplication, elementwise add, and value-preserving buffers."""
import numpy as np


def duplicate_streams(x: np.ndarray, n_outputs: int) -> tuple[np.ndarray, ...]:
    """DuplicateStreams: ``n_outputs`` copies of ``x`` (shared; kernels never write inputs)."""
    return (x,) * n_outputs


def add_streams(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """AddStreams / ElementwiseAdd: exact int64 sum with numpy broadcasting.

    The sum is never wrapped; ``graph.run_graph`` checks it fits the node's output
    DataType, which FINN sizes one bit wider than the inputs.
    """
    return np.add(lhs, rhs, dtype=np.int64)


def pass_through(x: np.ndarray) -> np.ndarray:
    """StreamingFIFO and StreamingDataWidthConverter: values and shape unchanged.

    A DWC only regroups bits between words, so the row-major element order is kept.
    """
    return x
