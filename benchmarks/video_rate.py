"""Video rate: one 960x540 LR frame through the whole-frame accelerator, side by side
with today's 32x32-tile design, per model, at 100/150/200 MHz.

    python -m benchmarks.video_rate [--no-area] [--tiles 4] [--models NAME ...]

Per model, one export (32x32 verification frame, folded for ``target_fps`` frames of
540x960 at the model's clock, 100 MHz unless its ``ModelSpec`` says otherwise) gives two
designs:

- whole frame: the RTL built for 960-pixel rows streams ONE real 960x540 LR frame (a
  bundled photo upscaled) in the Verilator harness, exact against the golden model;
  cycles are the frame's, first input word to last output word;
- tiled (today's): the same layers built for 32x32 frames; the driver's plan cuts the
  960x540 frame into 32x32 tiles overlapping by the receptive halo; ``--tiles`` of them
  run in the harness, exact against the golden model, and the frame's cycles are the
  measured cycles per tile (the interval between tiles) times the number of tiles.

Cycles do not depend on the clock; frames/s and LR Mpixel/s follow at 100, 150 and 200
MHz. Whether a design closes timing at 150 or 200 MHz needs Vivado (not here): the
LUT levels of the worst register-to-register path (yosys, per layer) are the proxy.
Area: yosys ``synth_xilinx`` per layer (``hw.area``), LUTs counting LUTRAM, % of the
xc7z020; with ``--no-area`` the synthesis is skipped and the result says so.

Models: the default architecture (configs/default_x2.yaml, weights drawn like a trained
model unless trained), and the co-designed 1080p60 model (configs/pynq_z2_1080p60_x2.yaml,
its committed checkpoint, folded at its 150 MHz) when that recipe is present (``MODELS``).
Writes ``results/video_rate.md/.json`` for all models; ``--models`` measures the named
recipes (stems) only and writes ``results/video_rate_<name>[_<name>...].md/.json``.
"""
import argparse
import hashlib
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from qonnx.core.modelwrapper import ModelWrapper

from benchmarks.common import machine_info, machine_line, write_result
from export.build import ExportConfig, export_model
from hw.area_report import XC7Z020, area_and_timing, area_table
from hw.artifacts import DATAFLOW_FILE
from hw.driver.tiling import TilePlan, receptive_halo
from hw.stitch import stitch
from sim.accelerator import golden_frames, run_whole_frame
from sim.device import SimulatedDevice, golden_image
from sim.runner import REPO_ROOT
from train.checkpoint import load_model
from train.data.datasets import photo_frame

sys.path.insert(0, str(REPO_ROOT / "tests" / "export"))
from sr_models import trained_like  # noqa: E402

VIDEO = (540, 960)  # LR frame, HxW: 1920x1080 at x2
VERIFY_FRAME = 32  # the graph's verification frame and today's tile
CLOCKS_MHZ = (100, 150, 200)


@dataclass(frozen=True)
class ModelSpec:
    config: Path  # the YAML recipe: model, scale, color, name
    target_fps: float  # 540x960 frames/s the folding aims for at clock_mhz
    clock_mhz: float = 100.0  # the clock the folding assumes (the recipe's hardware target)

    @property
    def name(self) -> str:
        return self.config.stem

    def recipe(self) -> dict:
        return yaml.safe_load(self.config.read_text())

    def network(self):
        """The recipe's trained weights - the run's best checkpoint, else the committed
        checkpoints/<name>.pth - if present, else the architecture with weights drawn like
        a trained model (the cycles and the area depend on the shape, not the values)."""
        recipe = self.recipe()
        for checkpoint in (REPO_ROOT / recipe.get("out_root", "runs") / recipe["name"] / "best.pth",
                           REPO_ROOT / "checkpoints" / f"{recipe['name']}.pth"):
            if checkpoint.is_file():
                return load_model(checkpoint), f"{checkpoint.relative_to(REPO_ROOT)}"
        model = dict(recipe["model"])
        net = trained_like(model.pop("type"), recipe["scale"], 1 if recipe["color"] == "y" else 3,
                           seed=0, **model)
        return net, "weights drawn like a trained model"


# the default model at the Makefile's folding (TARGET_FPS=2), and the co-designed model
# for 1080p60 at the 150 MHz its recipe was chosen for (configs/pynq_z2_1080p60_x2.yaml)
MODELS = (ModelSpec(REPO_ROOT / "configs" / "default_x2.yaml", 2.0),
          ModelSpec(REPO_ROOT / "configs" / "pynq_z2_1080p60_x2.yaml", 60.0, clock_mhz=150.0))


def export_for_video(spec: ModelSpec, net, out: Path) -> ModelWrapper:
    export_model(net, ExportConfig(out, VERIFY_FRAME, VERIFY_FRAME, target_fps=spec.target_fps,
                                   clock_mhz=spec.clock_mhz, max_width=VIDEO[1],
                                   video_height=VIDEO[0], video_width=VIDEO[1]),
                 log=lambda *_: None)
    return ModelWrapper(str(out / DATAFLOW_FILE))


def whole_frame(model, lr, golden, work: Path) -> dict:
    design = stitch(model, work / "rtl", max_width=VIDEO[1])
    start = time.perf_counter()
    run = run_whole_frame(model, lr, work, design=design, golden=golden)
    return {"design": design, "cycles": run.cycles, "model_cycles": run.model_cycles,
            "bottleneck": run.bottleneck, "how": "one whole frame in the harness",
            "sim_cycles_per_second": run.simulated_cycles_per_second,
            "sim_seconds": time.perf_counter() - start}


def tiled(model, lr, tiles: int, work: Path) -> dict:
    """Today's design: 32x32 frames; ``tiles`` of the frame's tiles measured."""
    design = stitch(model, work / "rtl")
    plan = TilePlan.for_image(*VIDEO, (VERIFY_FRAME, VERIFY_FRAME), receptive_halo(model))
    frames = plan.split(lr)[:tiles]
    device = SimulatedDevice(model, work, design=design)
    start = time.perf_counter()
    outputs = device.run(frames)
    differing = int(np.count_nonzero(outputs != golden_frames(model, frames)))
    assert not differing, f"tiled design: {differing} SR values differ from the golden model"
    per_tile = device.stats.extra["frame_interval_cycles"]
    return {"design": design, "cycles": round(per_tile * len(plan.tiles)),
            "model_cycles": design.bottleneck.exp_cycles * len(plan.tiles),
            "bottleneck": design.bottleneck.name,
            "how": f"{per_tile:,.0f} cycles per 32x32 tile (interval over {tiles} tiles in the "
                   f"harness) x {len(plan.tiles)} tiles",
            "sim_cycles_per_second": device.stats.extra["cycles_per_second"],
            "sim_seconds": time.perf_counter() - start}


def _synthesis_key(inst) -> tuple:
    """What a layer's netlist depends on: module, parameters and the sources' contents (the
    two designs of a model share every layer their frame width does not change)."""
    contents = hashlib.sha256(b"".join(Path(s).read_bytes() for s in inst.sources)).hexdigest()
    return inst.module, tuple(sorted(inst.parameters.items())), contents


def area_and_levels(design, synthesized: dict) -> dict:
    """yosys per layer instance (each netlist once, ``synthesized`` caching them across
    designs): totals, fraction of the xc7z020, and the worst LUT levels with their layer."""
    keys = {inst.name: _synthesis_key(inst) for inst in design.instances}
    todo = {keys[inst.name]: inst for inst in design.instances
            if keys[inst.name] not in synthesized}
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        synthesized.update(zip(todo, pool.map(
            lambda inst: area_and_timing(inst.sources, inst.module, inst.parameters),
            todo.values())))
    table = area_table(design, {name: synthesized[key] for name, key in keys.items()})
    worst = table["worst_path"]
    return {**table["totals"], "xc7z020_fraction": table["xc7z020_fraction"],
            "lut_levels": worst["lut_levels"], "lut_levels_layer": worst["name"],
            "synthesized_netlists": len(todo), "synthesis_seconds": time.perf_counter() - start}


def rates(cycles: int) -> dict:
    pixels = VIDEO[0] * VIDEO[1]
    return {f"{clock}": {"fps": clock * 1e6 / cycles, "lr_mpixel_per_s": clock * pixels / cycles}
            for clock in CLOCKS_MHZ}


def measure_model(spec: ModelSpec, tiles: int, work: Path, log=print) -> tuple[list, list]:
    """Rows (without area) of the whole-frame and the tiled design, and the two designs."""
    net, weights = spec.network()
    model = export_for_video(spec, net, work / "export")
    channels = model.get_tensor_shape(model.graph.input[0].name)[-1]
    lr = photo_frame(*VIDEO, channels)
    start = time.perf_counter()
    golden = golden_image(model, lr)
    log(f"{spec.name}: golden model on the {VIDEO[1]}x{VIDEO[0]} frame, "
        f"{time.perf_counter() - start:.0f} s")
    rows, designs = [], []
    for name, measure in ((f"whole frame (max width {VIDEO[1]})",
                           lambda: whole_frame(model, lr, golden, work / "whole")),
                          ("tiled 32x32 (today)", lambda: tiled(model, lr, tiles, work / "tiled"))):
        row = measure()
        designs.append(row.pop("design"))
        row.update(model=spec.name, weights=weights, target_fps=spec.target_fps,
                   fold_clock_mhz=spec.clock_mhz, design=name, rates=rates(row["cycles"]), area=None)
        log(f"  {name}: {row['cycles']:,} cycles per frame ({row['how']})")
        rows.append(row)
    return rows, designs


def _area_cells(area) -> str:
    if area is None:
        return "not synthesized (see the notes below) | | | | | "
    luts = area["LUT"] + area["LUTRAM"]
    fraction = area["xc7z020_fraction"]
    return (f"{luts:,} ({area['LUTRAM']:,} LUTRAM) | {area['FF']:,} | {area['BRAM18']} | "
            f"{area['DSP48E1']} | {fraction['LUT']:.1%} / {fraction['BRAM18']:.1%} / "
            f"{fraction['DSP48E1']:.1%} | {area['lut_levels']} ({area['lut_levels_layer']})")


def markdown(rows, info, skipped) -> str:
    clocks = " / ".join(str(c) for c in CLOCKS_MHZ)
    video = f"{VIDEO[1]}x{VIDEO[0]}"
    lines = [f"# Video rate: one {video} LR frame (WxH), whole-frame vs tiled", "",
             f"Measured {machine_line(info)}.", "",
             f"| model | design | cycles per {video} frame | cycle model | frames/s at "
             f"{clocks} MHz | LR Mpixel/s at {clocks} MHz | LUT incl. LUTRAM | FF | BRAM18 | DSP | "
             "% xc7z020 LUT / BRAM / DSP | LUT levels, worst path (layer) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fps = " / ".join(f"{r['rates'][str(c)]['fps']:.2f}" for c in CLOCKS_MHZ)
        mpix = " / ".join(f"{r['rates'][str(c)]['lr_mpixel_per_s']:.2f}" for c in CLOCKS_MHZ)
        lines.append(f"| {r['model']} (fold for {r['target_fps']:g} fps at "
                     f"{r['fold_clock_mhz']:g} MHz) | {r['design']} | "
                     f"{r['cycles']:,} | {r['model_cycles']:,} ({r['bottleneck']}) | {fps} | "
                     f"{mpix} | {_area_cells(r['area'])} |")
    lines += ["", "How each frame's cycles were measured (exact against the golden model in "
              "every case):", ""]
    lines += [f"- {r['model']}, {r['design']}: {r['how']}; simulation "
              f"{r['sim_cycles_per_second']:,.0f} cycles/s, {r['sim_seconds']:.0f} s; "
              f"weights: {r['weights']}" for r in rows]
    lines += ["", "Cycles do not depend on the clock. 150 and 200 MHz are not verified "
              "(no Vivado here); the LUT levels of the worst path are the timing proxy "
              "(target <= 5 for 150-200 MHz on a -1 Zynq-7000). Area: yosys synth_xilinx per "
              "layer, out of context; LUT counts logic + LUTRAM, of the xc7z020's "
              f"{XC7Z020['LUT']:,}.", ""]
    lines += [f"- {note}" for note in skipped]
    return "\n".join(lines) + "\n"


def write(rows, skipped, name="video_rate"):
    info = machine_info()
    text = markdown(rows, info, skipped)
    print(write_result(name, text, {"machine": info, "video": list(VIDEO),
                                            "rows": rows, "skipped": skipped}))
    return text


def selected_models(names=None) -> tuple[list, str]:
    """The ``MODELS`` named (all when ``names`` is empty) and the result file they go to:
    ``video_rate`` for all, ``video_rate_<name>[_<name>...]`` for a subset."""
    if not names or set(names) == {spec.name for spec in MODELS}:
        return list(MODELS), "video_rate"
    specs = [spec for spec in MODELS if spec.name in names]
    return specs, "_".join(["video_rate"] + [spec.name for spec in specs])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", type=int, default=4,
                        help="tiles of the tiled design measured in the harness (default 4)")
    parser.add_argument("--no-area", action="store_true", help="skip the yosys synthesis")
    parser.add_argument("--models", nargs="+", metavar="NAME", choices=[s.name for s in MODELS],
                        help="recipe stems to measure (default: all); written to "
                             "results/video_rate_<names>")
    args = parser.parse_args(argv)
    specs, result = selected_models(args.models)
    rows, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="video_rate_") as tmp:
        designs = []
        for spec in specs:
            if not spec.config.is_file():
                skipped.append(f"{spec.config.relative_to(REPO_ROOT)} is not in the repository: "
                               "that model is not measured")
                continue
            model_rows, model_designs = measure_model(spec, args.tiles, Path(tmp) / spec.name)
            rows += model_rows
            designs += model_designs
        # cycles first (written as soon as measured), then the slower synthesis
        write(rows, skipped + ([] if args.no_area else ["area: synthesis in progress"]), result)
        if not args.no_area:
            synthesized = {}
            for row, design in zip(rows, designs):
                row["area"] = area_and_levels(design, synthesized)
                print(f"  area of {row['model']}, {row['design']}: "
                      f"{row['area']['synthesis_seconds']:.0f} s")
            print(write(rows, skipped, result))


if __name__ == "__main__":
    main()
