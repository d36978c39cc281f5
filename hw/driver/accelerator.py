"""Host side of the accelerator: image -> frames -> stream bytes -> device -> SR image.

An image no wider than the accelerator's maximum width is one frame, whatever its
height; a wider one is split into vertical strips of that width which overlap by the
receptive halo (``tiling.TilePlan``), and the throughput report says so."""
import time
from dataclasses import dataclass

import numpy as np

from hw.driver.device import FrameLayout
from hw.driver.tiling import TilePlan
from train.cli import UserError


@dataclass
class Throughput:
    frames: int
    lr_pixels: int
    device_seconds: float
    host_seconds: float  # splitting, packing, unpacking, assembling around the device
    split: str = ""  # why an image ran as several frames; empty: each image one frame

    @classmethod
    def total(cls, runs: list["Throughput"]) -> "Throughput":
        """The throughput of several runs taken together (e.g. the 8 of a self-ensemble)."""
        return cls(*(sum(getattr(run, field) for run in runs) for field in
                     ("frames", "lr_pixels", "device_seconds", "host_seconds")),
                   next((run.split for run in runs if run.split), ""))

    @property
    def device_lr_mpixel_per_s(self) -> float:
        return self.lr_pixels / self.device_seconds / 1e6

    def lines(self, scale: int) -> list[str]:
        total = self.device_seconds + self.host_seconds
        rate = lambda seconds: self.frames / seconds  # noqa: E731
        return [f"{self.frames} frame{'s' * (self.frames != 1)}, {self.lr_pixels} LR pixels",
                *([self.split] if self.split else []),
                f"device: {rate(self.device_seconds):.1f} frames/s, "
                f"{self.device_lr_mpixel_per_s:.3f} LR / "
                f"{self.lr_pixels * scale ** 2 / self.device_seconds / 1e6:.3f} SR Mpixel/s, "
                f"{self.device_seconds / self.frames * 1e3:.3f} ms per frame",
                f"with host splitting and packing: {rate(total):.1f} frames/s, "
                f"{self.lr_pixels / total / 1e6:.3f} LR Mpixel/s"]


@dataclass
class DriverConfig:
    """What the host needs to know of a built accelerator (stored with the build)."""

    input: FrameLayout
    output: FrameLayout
    halo: int
    scale: int
    clock_mhz: float
    max_width: int  # the widest LR frame the accelerator takes
    model_sha256: str = ""  # of the dataflow.onnx the accelerator implements


class Accelerator:
    def __init__(self, config: DriverConfig, device):
        self.config, self.device = config, device

    def plan(self, height: int, width: int) -> tuple[TilePlan, str]:
        """The frames of an image: itself if no wider than the accelerator, else
        vertical strips; and the line saying why it was split (empty if not)."""
        cfg = self.config
        plan = TilePlan.for_image(height, width, (height, min(width, cfg.max_width)), cfg.halo)
        if len(plan.tiles) == 1:
            return plan, ""
        return plan, (f"split: the image is {width} pixels wide, the accelerator takes "
                      f"{cfg.max_width}: {len(plan.tiles)} vertical strips of {cfg.max_width} "
                      f"overlapping by twice the {cfg.halo}-pixel halo")

    def upscale(self, lr: np.ndarray) -> tuple[np.ndarray, Throughput]:
        """uint8 LR image (H, W) or (H, W, C) -> uint8 SR image of the same layout."""
        cfg = self.config
        image = lr[..., None] if lr.ndim == 2 else lr
        if image.shape[-1] != cfg.input.channels:
            raise UserError(f"the accelerator takes {cfg.input.channels} channel(s), "
                             f"the image has {image.shape[-1]}")
        begin = time.perf_counter()
        plan, split = self.plan(*image.shape[:2])
        frames = plan.split(image)
        data = cfg.input.pack(frames)
        in_device = time.perf_counter()
        out = self.device.stream(data, len(frames), plan.frame)
        in_device = time.perf_counter() - in_device
        values = cfg.output.unpack(out)
        height, width = plan.frame
        sr = plan.assemble(values.reshape(len(frames), height * cfg.scale, width * cfg.scale,
                                          cfg.output.channels), cfg.scale)
        # the simulated device's wall time is simulation, not host work
        host = time.perf_counter() - begin - in_device
        sr = sr.astype(np.uint8)
        return (sr[..., 0] if lr.ndim == 2 else sr), Throughput(
            len(frames), image.shape[0] * image.shape[1], self.device.stats.seconds, host,
            split)
