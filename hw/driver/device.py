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


# the block design's AXI GPIOs: frame_size drives the accelerator's frame_h (channel 1)
# and frame_w (channel 2), frame_status reads its status flags (channel 1)
FRAME_SIZE_IP = "frame_size"
FRAME_STATUS_IP = "frame_status"
FRAME_SIZE_BITS = 16  # of the accelerator's frame_h/frame_w ports
FRAME_SIZE_MASK = (1 << FRAME_SIZE_BITS) - 1
# video_frame_in.sv's sticky status flags in bit order, and what each says went wrong
STATUS_FLAGS = {
    "missing_sof": "words came outside a frame (without TUSER) and were dropped",
    "bad_tlast": "TLAST was missing at the end of a line or set inside one",
    "early_sof": "a frame ended early (TUSER inside it) and was filled with zeros",
    "bad_size": "the frame size was out of range (width 0 or above the maximum, or "
                "height 0) and the frame was dropped",
}


@dataclass
class RunStats:
    frames: int = 0
    seconds: float = 0.0  # device time: measured on the board, cycles / clock when simulated
    cycles: int | None = None
    extra: dict = field(default_factory=dict)


class PynqDevice:
    """The overlay on a PYNQ board. The frame size is written to the accelerator while
    it is idle (before a run's transfers start, after the previous run received all its
    frames). The input frames go out in one DMA transfer; the output is received frame
    by frame, as the overlay ends each frame with TLAST, which completes an S2MM
    transfer, and the accelerator's status flags are read after each frame.
    ``scale``: HR pixels per LR pixel along an axis."""

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
        self.frame_size = self._gpio(FRAME_SIZE_IP, "drives the accelerator's frame_h/frame_w")
        self.frame_status = self._gpio(FRAME_STATUS_IP, "reads the accelerator's status")
        self.allocate = allocate
        self.layout_out, self.scale = layout_out, scale
        self.stats = RunStats()

    def _gpio(self, name: str, purpose: str):
        gpio = getattr(self.overlay, name, None)
        if gpio is None:
            raise UserError(f"the overlay has no '{name}' AXI GPIO (it {purpose}): rebuild "
                            "it with python -m hw.bitstream")
        return gpio

    def _set_frame_size(self, height: int, width: int) -> None:
        """The accelerator's frame_h/frame_w; only while it is idle."""
        self.frame_size.channel1.write(height, FRAME_SIZE_MASK)
        self.frame_size.channel2.write(width, FRAME_SIZE_MASK)

    def check_status(self) -> None:
        """UserError naming the first status flag set: the flags are sticky, so a run
        after a bad frame is refused until the overlay is loaded again."""
        flags = self.frame_status.channel1.read()
        for bit, (name, meaning) in enumerate(STATUS_FLAGS.items()):
            if flags >> bit & 1:
                raise UserError(f"the accelerator flagged {name} (status bit {bit}): "
                                f"{meaning}; the flag stays set until the overlay is "
                                "loaded again")

    def stream(self, data: np.ndarray, frames: int, frame: tuple[int, int]) -> np.ndarray:
        height, width = frame
        self.check_status()
        self._set_frame_size(height, width)  # idle: the last run received all its frames
        out_bytes = self.layout_out.frame_bytes(height * self.scale, width * self.scale)
        src = self.allocate(shape=(data.size,), dtype=np.uint8)
        dst = [self.allocate(shape=(out_bytes,), dtype=np.uint8) for _ in range(frames)]
        try:
            src[:] = data
            begin = time.perf_counter()
            self.dma.sendchannel.transfer(src)
            for buffer in dst:
                self.dma.recvchannel.transfer(buffer)
                self.dma.recvchannel.wait()
                self.check_status()
            self.dma.sendchannel.wait()
            self.stats = RunStats(frames, time.perf_counter() - begin)
            return np.concatenate([np.array(buffer) for buffer in dst])
        finally:
            for buffer in [src, *dst]:
                buffer.freebuffer()
