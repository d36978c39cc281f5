"""Host side of the accelerator: image -> tiles -> stream bytes -> device -> SR image."""
import time
from dataclasses import dataclass

import numpy as np

from hw.driver.device import FrameLayout
from hw.driver.tiling import TilePlan
from train.cli import UserError


@dataclass
class Throughput:
    tiles: int
    lr_pixels: int
    device_seconds: float
    host_seconds: float  # tiling, packing, unpacking, stitching around the device

    @classmethod
    def total(cls, runs: list["Throughput"]) -> "Throughput":
        """The throughput of several runs taken together (e.g. the 8 of a self-ensemble)."""
        return cls(*(sum(getattr(run, field) for run in runs) for field in
                     ("tiles", "lr_pixels", "device_seconds", "host_seconds")))

    @property
    def device_lr_mpixel_per_s(self) -> float:
        return self.lr_pixels / self.device_seconds / 1e6

    def lines(self, scale: int) -> list[str]:
        total = self.device_seconds + self.host_seconds
        rate = lambda seconds: self.tiles / seconds  # noqa: E731
        return [f"{self.tiles} tiles, {self.lr_pixels} LR pixels",
                f"device: {rate(self.device_seconds):.1f} frames/s, "
                f"{self.device_lr_mpixel_per_s:.3f} LR / "
                f"{self.lr_pixels * scale ** 2 / self.device_seconds / 1e6:.3f} SR Mpixel/s, "
                f"{self.device_seconds / self.tiles * 1e3:.3f} ms per tile",
                f"with host tiling and packing: {rate(total):.1f} frames/s, "
                f"{self.lr_pixels / total / 1e6:.3f} LR Mpixel/s"]


@dataclass
class DriverConfig:
    """What the host needs to know of a built accelerator (stored with the build)."""

    input: FrameLayout
    output: FrameLayout
    halo: int
    scale: int
    clock_mhz: float
    model_sha256: str = ""  # of the dataflow.onnx the accelerator implements

    @property
    def frame(self) -> tuple[int, int]:
        return tuple(self.input.frame_shape[:2])


class Accelerator:
    def __init__(self, config: DriverConfig, device):
        self.config, self.device = config, device

    def upscale(self, lr: np.ndarray) -> tuple[np.ndarray, Throughput]:
        """uint8 LR image (H, W) or (H, W, C) -> uint8 SR image of the same layout."""
        cfg = self.config
        image = lr[..., None] if lr.ndim == 2 else lr
        if image.shape[-1] != cfg.input.frame_shape[-1]:
            raise UserError(f"the accelerator takes {cfg.input.frame_shape[-1]} channel(s), "
                             f"the image has {image.shape[-1]}")
        begin = time.perf_counter()
        plan = TilePlan.for_image(image.shape[0], image.shape[1], cfg.frame, cfg.halo)
        frames = plan.split(image)
        data = cfg.input.pack(frames)
        in_device = time.perf_counter()
        out = self.device.stream(data, len(frames))
        in_device = time.perf_counter() - in_device
        values = cfg.output.unpack(out)
        sr = plan.assemble(values.reshape(len(frames), *cfg.output.frame_shape), cfg.scale)
        # the simulated device's wall time is simulation, not host work
        host = time.perf_counter() - begin - in_device
        sr = sr.astype(np.uint8)
        return (sr[..., 0] if lr.ndim == 2 else sr), Throughput(
            len(frames), image.shape[0] * image.shape[1], self.device.stats.seconds, host)
