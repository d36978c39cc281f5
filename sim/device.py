"""The accelerator simulated on this machine (the Verilator C++ harness of its stitched
RTL) as a device of the board driver, and the golden whole-image reference for
``--validate``."""
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw.driver.device import RunStats
from hw.driver.tiling import TilePlan, receptive_halo
from hw.stitch import Design, stitch
from sim.golden.graph import run_graph
from sim.harness import build_harness, run_frames, run_stream


class SimulatedDevice:
    """The stitched RTL of a dataflow model in the Verilator harness. Device time is
    the simulated cycles at ``clock_mhz``, what a board at that clock would take."""

    def __init__(self, model: ModelWrapper, build_dir: Path, clock_mhz: float = 100.0, *,
                 max_width: int | None = None, design: Design | None = None, **traffic):
        """``max_width``: the widest LR frame the stitched RTL takes (default: the graph's
        frame width)."""
        build_dir = Path(build_dir).resolve()
        self.model, self.clock_mhz, self.traffic = model, clock_mhz, traffic
        self.design = design or stitch(model, build_dir / "rtl", max_width=max_width)
        self.binary = build_harness(self.design, build_dir)
        self.stats = RunStats()

    def _record(self, frames: int, harness_stats: dict) -> None:
        cycles = harness_stats["cycles"]
        self.stats = RunStats(frames, cycles / (self.clock_mhz * 1e6), cycles, harness_stats)

    def stream(self, data: np.ndarray, frames: int, frame: tuple[int, int]) -> np.ndarray:
        """The input bytes of ``frames`` LR frames of ``frame`` (height, width)."""
        height, width = frame
        channels = self.model.get_tensor_shape(self.model.graph.output[0].name)[-1]
        words = self.design.out_port.stream.words(
            height * width * self.design.scale ** 2 * channels)
        out, harness_stats = run_stream(self.design, self.binary, data, frames, words,
                                        frame_hw=frame, **self.traffic)
        self._record(frames, harness_stats)
        return out

    def run(self, frames: np.ndarray) -> np.ndarray:
        """NHWC integer frames -> NHWC integer output frames."""
        outputs, harness_stats = run_frames(self.model, self.design, self.binary, frames,
                                            **self.traffic)
        self._record(len(frames), harness_stats)
        return outputs


# LR rows each golden pass keeps: a 960-wide band of 64 rows (+ the halo) needs a few
# hundred MB for the default model's widest tensors (int64 windows of 288 elements)
GOLDEN_BAND_ROWS = 64


def golden_image(model: ModelWrapper, lr: np.ndarray,
                 band_rows: int = GOLDEN_BAND_ROWS) -> np.ndarray:
    """The golden model of the dataflow graph on the whole LR image (H, W[, C]), uint8.

    Tall images run as horizontal bands of ``band_rows`` rows plus the receptive halo
    above and below, placed and kept as the driver's tiles are (``TilePlan``), so the
    result is the network on the whole image, bit for bit, in bounded memory."""
    image = lr[..., None] if lr.ndim == 2 else lr
    halo = receptive_halo(model)
    height, width = image.shape[:2]
    plan = TilePlan.for_image(height, width, (min(height, band_rows + 2 * halo), width), halo)
    name, out = model.graph.input[0].name, model.graph.output[0].name
    bands = np.stack([run_graph(model, {name: band[None]}, any_frame_size=True)[out][0]
                      .astype(np.uint8) for band in plan.split(image)])
    sr = plan.assemble(bands, bands.shape[1] // plan.frame[0])
    return sr[..., 0] if lr.ndim == 2 else sr
