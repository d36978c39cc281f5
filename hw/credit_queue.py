"""The output queue of the layers whose pipeline never stalls (``hw/rtl/credit_queue.sv``)."""
from hw import stream_fifo
from hw.folding import RTL_DIR

SOURCES = (*stream_fifo.SOURCES, RTL_DIR / "credit_queue.sv")


def depth(latency: int) -> int:
    """Queue words (credits) that keep one word per cycle through a pipeline whose word
    issued in cycle c leaves in cycle c + ``latency``: the words of the ``latency``
    cycles before are still held."""
    return latency + 1
