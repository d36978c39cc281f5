"""Devices that run packed frames through the accelerator.

A device takes the input stream bytes of ``frames`` LR frames of one size (height,
width; set on the accelerator's frame_h/frame_w before they stream) and returns the
output stream bytes: the PYNQ overlay's AXI DMA on a board, or the Verilator simulation
of the same RTL here. The host path (splitting, packing, unpacking, assembling) is shared.
"""
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw.stream import StreamFormat
from train.cli import UserError


@dataclass(frozen=True)
class FrameLayout(StreamFormat):
    """How frames travel: the stream format and the ``channels`` of every pixel."""

    channels: int = field(kw_only=True)

    def frame_bytes(self, height: int, width: int) -> int:
        return self.words(height * width * self.channels) * self.word_bytes


# the block design's AXI GPIO driving frame_h (channel 1) and frame_w (channel 2)
FRAME_SIZE_IP = "frame_size"


@dataclass
class RunStats:
    frames: int = 0
    seconds: float = 0.0  # device time: measured on the board, cycles / clock when simulated
    cycles: int | None = None
    extra: dict = field(default_factory=dict)


class PynqDevice:
    """The overlay on a PYNQ board. The input frames go out in one DMA transfer; the
    output is received frame by frame, as the overlay ends each frame with TLAST,
    which completes an S2MM transfer. ``scale``: HR pixels per LR pixel along an axis."""

    def __init__(self, bitfile: str, layout_out: FrameLayout, scale: int,
                 dma_name: str = "axi_dma_0"):
        try:
            from pynq import Overlay, allocate  # only on the board
        except ImportError:
            raise UserError("--bitfile needs a PYNQ board (the pynq package); on this "
                            "machine use --export (the simulated device)") from None
        if not Path(bitfile).is_file():
            raise UserError(f"bitstream {bitfile} does not exist")
        self.overlay = Overlay(bitfile)
        self.dma = getattr(self.overlay, dma_name)
        self.allocate = allocate
        self.layout_out, self.scale = layout_out, scale
        self.stats = RunStats()

    def _set_frame_size(self, height: int, width: int) -> None:
        """The accelerator's frame_h/frame_w, written while it is idle (between runs)."""
        registers = getattr(self.overlay, FRAME_SIZE_IP, None)
        if registers is None:
            raise UserError(f"the overlay has no '{FRAME_SIZE_IP}' AXI GPIO for the "
                            "accelerator's frame_h/frame_w: rebuild it with a block design "
                            "that drives them (hw/bitstream does not yet)")
        registers.channel1.write(0, height)
        registers.channel2.write(0, width)

    def stream(self, data: np.ndarray, frames: int, frame: tuple[int, int]) -> np.ndarray:
        height, width = frame
        self._set_frame_size(height, width)
        out_bytes = self.layout_out.frame_bytes(height * self.scale, width * self.scale)
        src = self.allocate(shape=(data.size,), dtype=np.uint8)
        dst = [self.allocate(shape=(out_bytes,), dtype=np.uint8) for _ in range(frames)]
        src[:] = data
        begin = time.perf_counter()
        self.dma.sendchannel.transfer(src)
        for buffer in dst:
            self.dma.recvchannel.transfer(buffer)
            self.dma.recvchannel.wait()
        self.dma.sendchannel.wait()
        self.stats = RunStats(frames, time.perf_counter() - begin)
        out = np.concatenate([np.array(buffer) for buffer in dst])
        for buffer in [src, *dst]:
            buffer.freebuffer()
        return out
