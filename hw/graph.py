"""Walks of a FINN dataflow graph and the kind of its nodes.

A node's kind is its FINN op type without the backend suffix: ``MVAU``, ``MVAU_hls``
and ``MVAU_rtl`` are all ``MVAU``. Every table that dispatches on nodes (the golden
kernels, the RTL layers, the folding rules, the summary) is keyed by ``op_kind``.
Imports nothing: the golden model runs graphs without FINN, and the board driver's
tiling without onnx.
"""
BACKEND_SUFFIXES = ("_hls", "_rtl")


def op_kind(node) -> str:
    """The FINN op type of ``node`` (an ONNX NodeProto) without its backend suffix."""
    for suffix in BACKEND_SUFFIXES:
        if node.op_type.endswith(suffix):
            return node.op_type.removesuffix(suffix)
    return node.op_type


def topological_nodes(graph) -> list:
    """The nodes of an ONNX GraphProto, each after the producers of its inputs (one pass
    if already sorted)."""
    available = {t.name for t in graph.input} | {t.name for t in graph.initializer}
    ordered, pending = [], list(graph.node)
    while pending:
        waiting = []
        for node in pending:
            if all(not name or name in available for name in node.input):
                ordered.append(node)
                available.update(node.output)
            else:
                waiting.append(node)
        if len(waiting) == len(pending):
            names = [node.name for node in waiting]
            raise ValueError(f"nodes {names} wait for tensors that no node produces")
        pending = waiting
    return ordered
