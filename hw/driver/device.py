"""Devices that run packed frames through the accelerator.

A device takes the input stream bytes of ``frames`` frames and returns the output
stream bytes: the PYNQ overlay's AXI DMA on a board, or the Verilator simulation of
the same RTL here. The host path (tiling, packing, unpacking, stitching) is shared.
"""
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw.stream import StreamFormat
from train.cli import UserError


@dataclass(frozen=True)
class FrameLayout(StreamFormat):
    """How one frame travels: its stream format and the (H, W, C) ``frame_shape``."""

    frame_shape: tuple = field(kw_only=True)

    @property
    def frame_bytes(self) -> int:
        return self.words(int(np.prod(self.frame_shape))) * self.word_bytes


@dataclass
class RunStats:
    frames: int = 0
    seconds: float = 0.0  # device time: measured on the board, cycles / clock when simulated
    cycles: int | None = None
    extra: dict = field(default_factory=dict)


class PynqDevice:
    """The overlay on a PYNQ board. The input frames go out in one DMA transfer; the
    output is received frame by frame, as the overlay ends each frame with TLAST,
    which completes an S2MM transfer."""

    def __init__(self, bitfile: str, layout_out: FrameLayout, dma_name: str = "axi_dma_0"):
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
        self.layout_out = layout_out
        self.stats = RunStats()

    def stream(self, data: np.ndarray, frames: int) -> np.ndarray:
        src = self.allocate(shape=(data.size,), dtype=np.uint8)
        dst = [self.allocate(shape=(self.layout_out.frame_bytes,), dtype=np.uint8)
               for _ in range(frames)]
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
