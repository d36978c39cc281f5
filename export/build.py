"""Brevitas model -> QONNX -> FINN streaming dataflow graph, as ordered build steps.

Organised like FINN's ``build_dataflow``: each step is ``step_x(model, cfg) -> model``,
its result is saved as ``intermediate_models/<step>.onnx``, and ``start_step`` /
``stop_step`` rerun a slice from the previous step's saved model. The export folder is
written through a staging folder, so a failed export leaves nothing half-written.
"""
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.bipolar_to_xnor import ConvertBipolarMatMulToXnorPopcount
from qonnx.transformation.extract_conv_bias import ExtractBiasFromConv
from qonnx.transformation.general import GiveUniqueNodeNames, RemoveUnusedTensors
from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul

from hw.artifacts import (CONFIG_FILE, DATAFLOW_FILE, INTERMEDIATE_DIR, QONNX_FILE,
                              staged_folder)
from export.qonnx_export import export_qonnx_model
from export.transformation.bipolar_input import ConvertBipolarInputMatMulToBinary
from export.transformation.infer_depth_to_space import InferDepthToSpaceLayer
from export.transformation.integer_check import CheckIntegerDataflow, NonIntegerPathError
from export.transformation.lower_convs import (MakeChannelsLast, MakeChannelsLastIO,
                                               PadBinaryIm2ColWithBits)
from export.transformation.qonnx_cleanup import (AnnotateBipolarWeights,
                                                 AnnotateUnitScaleIntWeights, FoldQuantBias,
                                                 RemoveIdentityInputQuant, RemoveRedundantQuant)
from export.transformation.quant_to_multithreshold import (ChainError,
                                                           ConvertQuantChainsToMultiThreshold)
from export.transformation.streamline_scales import ApplyUntilFixpoint, StreamlineScalarScales
from finn.transformation.fpgadataflow.convert_to_hw.binary_matrix_vector_activation import \
    InferBinaryMatrixVectorActivation
from finn.transformation.fpgadataflow.convert_to_hw.conv_inp_gen import InferConvInpGen
from finn.transformation.fpgadataflow.convert_to_hw.duplicate_streams import \
    InferDuplicateStreamsLayer
from finn.transformation.fpgadataflow.convert_to_hw.elementwise_binary_operation import \
    InferElementwiseBinaryOperation
from finn.transformation.fpgadataflow.convert_to_hw.quantized_matrix_vector_activation import \
    InferQuantizedMatrixVectorActivation
from finn.transformation.fpgadataflow.convert_to_hw.thresholding import InferThresholdingLayer
from finn.transformation.fpgadataflow.minimize_accumulator_width import \
    MinimizeAccumulatorWidth
from finn.transformation.fpgadataflow.minimize_weight_bit_width import MinimizeWeightBitWidth
from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
from finn.transformation.qonnx.fold_quant_weights import FoldQuantWeights
from finn.transformation.streamline import Streamline
from finn.transformation.streamline.absorb import (AbsorbAddIntoMultiThreshold,
                                                   AbsorbMulIntoMultiThreshold)
from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds
from finn.util.fpgadataflow import is_fpgadataflow_node
from hw.res_type import SetResType
from hw.set_folding import SetFolding
from train.cli import UserError
from train.registry import ConfigError



class ExportError(UserError):
    """The model cannot become an integer dataflow graph; the message names the layer."""


# the hardware's frame-size registers are 16 bits wide (frame_contract: frame_w, frame_h)
MAX_FRAME_SIDE = 65535
DEFAULT_MAX_WIDTH = 960  # LR pixels: 960x540 -> 1920x1080 at x2 on a Pynq-Z2
DEFAULT_VIDEO_HEIGHT = 540


@dataclass
class ExportConfig:
    """What to export and how; the fields mirror FINN's DataflowBuildConfig where they meet.

    Two frames: the dataflow graph is built for the small *verification frame*
    (frame_height x frame_width), on which the equivalence chain runs fast; the hardware
    streams whole frames up to ``max_width`` wide (its line buffers hold rows that
    wide) and of any height. ``target_fps`` counts frames of the *video frame*
    (video_height x video_width; None: the verification frame), so the folding's
    target is a per-pixel rate: SetFolding's cycles per verification frame are the
    video frame's cycles per pixel times the verification frame's pixels.
    """

    output_dir: Path
    frame_height: int = 32
    frame_width: int = 32
    target_fps: float = 1000.0  # frames of the video frame per second
    clock_mhz: float = 100.0
    steps: list = field(default_factory=lambda: list(DEFAULT_STEPS))
    start_step: str | None = None
    stop_step: str | None = None
    max_width: int = DEFAULT_MAX_WIDTH
    video_height: int | None = None
    video_width: int | None = None
    dsp_budget: float | None = None  # DSP48E1s for integer MVAUs' products (None: no limit)

    def __post_init__(self):
        checks = ((self.frame_width <= self.max_width,
                   f"the verification frame's width {self.frame_width} exceeds max_width "
                   f"{self.max_width}"),
                  (self.video_frame[1] <= self.max_width,
                   f"the video frame {self.video_frame[0]}x{self.video_frame[1]} is wider "
                   f"than max_width {self.max_width}"),
                  (self.max_width <= MAX_FRAME_SIDE and self.video_frame[0] <= MAX_FRAME_SIDE,
                   f"frame sides are at most {MAX_FRAME_SIDE} pixels (16-bit frame size "
                   f"registers), got max_width {self.max_width}, video height "
                   f"{self.video_frame[0]}"))
        for passed, message in checks:
            if not passed:
                raise ConfigError(message)

    @property
    def video_frame(self) -> tuple[int, int]:
        """(height, width) of the frame ``target_fps`` counts."""
        return (self.video_height or self.frame_height, self.video_width or self.frame_width)

    @property
    def target_cycles_per_pixel(self) -> float:
        """Cycles per LR pixel of the video frame at ``target_fps`` and the clock."""
        height, width = self.video_frame
        return self.clock_mhz * 1e6 / self.target_fps / (height * width)

    @property
    def target_cycles_per_frame(self) -> int:
        """SetFolding's target: cycles per verification frame at the video's pixel rate."""
        height, width = self.video_frame
        ratio = self.frame_height * self.frame_width / (height * width)
        return max(1, int(self.clock_mhz * 1e6 / self.target_fps * ratio))


def _apply(model, *transformations):
    for transformation in transformations:
        model = model.transform(transformation)
    return model


def step_tidy_qonnx(model, cfg):
    """Drop redundant quantizers, fold constant quantizers into weights and biases."""
    return _apply(model, RemoveRedundantQuant(), RemoveIdentityInputQuant(), FoldQuantBias(),
                  AnnotateBipolarWeights(), AnnotateUnitScaleIntWeights(), ExtractBiasFromConv(),
                  FoldQuantWeights())


def step_quant_to_thresholds(model, cfg):
    """Every activation quantizer, with its elementwise chain, becomes a MultiThreshold."""
    return model.transform(ConvertQuantChainsToMultiThreshold())


def step_convert_to_finn(model, cfg):
    return model.transform(ConvertQONNXtoFINN())


def step_streamline(model, cfg):
    """FINN's Streamline, then the power-of-two scales through forks and adds; checks
    that only integer tensors are left."""
    model = _apply(model, Streamline(), StreamlineScalarScales(), GiveUniqueNodeNames())
    return model.transform(CheckIntegerDataflow())


def step_lower_convs(model, cfg):
    """Conv -> Im2Col + MatMul, Pad folded into Im2Col, the graph made channels-last."""
    return _apply(model, LowerConvsToMatMul(), MakeChannelsLast())


def step_convert_to_xnor(model, cfg):
    """Bipolar MatMuls -> XNOR-popcount on bits, integer-weight MatMuls on bipolar inputs
    (SRB) -> integer MatMuls on bits; the corrections (x2, -K or -colsum W) are absorbed
    into the thresholds, which are rounded up to integers (exact: every input is an
    integer)."""
    absorb = ApplyUntilFixpoint([AbsorbAddIntoMultiThreshold(), AbsorbMulIntoMultiThreshold()])
    return _apply(model, ConvertBipolarMatMulToXnorPopcount(),
                  ConvertBipolarInputMatMulToBinary(), PadBinaryIm2ColWithBits(), absorb,
                  RoundAndClipThresholds())


def step_convert_to_hw(model, cfg):
    """Every node becomes a FINN HW layer; the interface becomes NHWC."""
    model = _apply(model, InferBinaryMatrixVectorActivation(),
                   InferQuantizedMatrixVectorActivation(), InferThresholdingLayer(),
                   InferConvInpGen(), InferElementwiseBinaryOperation(), InferDepthToSpaceLayer(),
                   MakeChannelsLast(), MakeChannelsLastIO(), InferDuplicateStreamsLayer(),
                   MinimizeWeightBitWidth(), MinimizeAccumulatorWidth(), RemoveUnusedTensors(),
                   GiveUniqueNodeNames())
    return check_hw_layers(model)


def check_hw_layers(model):
    """``model``, refused (naming the nodes) unless every node is a HW layer."""
    leftover = [f"{n.op_type} {n.name}" for n in model.graph.node if not is_fpgadataflow_node(n)]
    if leftover:
        raise ExportError(f"no HW layer for: {', '.join(leftover)}")
    return model


def step_set_folding(model, cfg):
    """PE/SIMD of every layer for the target frame rate at the target clock (checked to
    be HW layers again: a run may start here from an edited model), then the resType
    of every integer MVAU left "auto" for the DSP budget (``hw.res_type``)."""
    return _apply(check_hw_layers(model), SetFolding(cfg.target_cycles_per_frame),
                  SetResType(cfg.dsp_budget))


DEFAULT_STEPS = [step_tidy_qonnx, step_quant_to_thresholds, step_convert_to_finn,
                 step_streamline, step_lower_convs, step_convert_to_xnor, step_convert_to_hw,
                 step_set_folding]
STEP_NAMES = [step.__name__ for step in DEFAULT_STEPS]


def _step_range(cfg):
    names = [step.__name__ for step in cfg.steps]
    for key in ("start_step", "stop_step"):
        value = getattr(cfg, key)
        if value is not None and value not in names:
            raise ConfigError(f"{key} {value!r} is not a step; the steps are {', '.join(names)}")
    start = names.index(cfg.start_step) if cfg.start_step else 0
    stop = names.index(cfg.stop_step) + 1 if cfg.stop_step else len(names)
    return start, stop


def _starting_model(torch_model, cfg, start, staging):
    """The QONNX export for a full run, else the saved model of the step before start."""
    if start == 0:
        model = export_qonnx_model(torch_model, cfg.frame_height, cfg.frame_width)
        model.save(str(staging / QONNX_FILE))
        return model
    previous = cfg.steps[start - 1].__name__
    saved = staging / INTERMEDIATE_DIR / f"{previous}.onnx"
    if not saved.is_file():
        missing = Path(cfg.output_dir) / INTERMEDIATE_DIR / saved.name
        raise ConfigError(f"start_step {cfg.start_step}: {missing} does not exist; "
                          f"run the steps up to {previous} first")
    return ModelWrapper(str(saved))


def run_steps(torch_model, cfg, staging, log=print):
    """Run the configured steps, saving each result into ``staging``; returns the model."""
    start, stop = _step_range(cfg)
    model = _starting_model(torch_model, cfg, start, staging)
    for index in range(start, stop):
        step = cfg.steps[index]
        begin = time.perf_counter()
        try:
            model = step(model, cfg)
        except (ChainError, NonIntegerPathError) as err:
            raise ExportError(f"{step.__name__}: {err}") from None
        model.save(str(staging / INTERMEDIATE_DIR / f"{step.__name__}.onnx"))
        log(f"[{index + 1}/{len(cfg.steps)}] {step.__name__}: "
            f"{len(model.graph.node)} nodes, {time.perf_counter() - begin:.1f} s")
    if stop == len(cfg.steps):
        model.save(str(staging / DATAFLOW_FILE))
    return model


def _seed_from_previous(cfg, start, staging):
    """A run that starts midway takes the previous export's QONNX model and the results
    of the steps before its start; later results, summary and verification are left
    behind, as they may be stale."""
    out = Path(cfg.output_dir)
    (staging / INTERMEDIATE_DIR).mkdir()
    kept = [QONNX_FILE] + [f"{INTERMEDIATE_DIR}/{s.__name__}.onnx" for s in cfg.steps[:start]]
    for name in kept if start else []:
        if (out / name).is_file():
            shutil.copy2(out / name, staging / name)


def export_model(torch_model, cfg, finish=None, log=print):
    """Run the export; ``finish(model, staging)`` may add files (summary, verification)
    before the folder is moved into place. Returns the final model."""
    start, _ = _step_range(cfg)
    with staged_folder(cfg.output_dir) as staging:
        _seed_from_previous(cfg, start, staging)
        model = run_steps(torch_model, cfg, staging, log)
        (staging / CONFIG_FILE).write_text(json.dumps(
            {"frame_height": cfg.frame_height, "frame_width": cfg.frame_width,
             "max_width": cfg.max_width, "video_height": cfg.video_frame[0],
             "video_width": cfg.video_frame[1], "target_fps": cfg.target_fps,
             "clock_mhz": cfg.clock_mhz, "target_cycles_per_pixel": cfg.target_cycles_per_pixel,
             "target_cycles_per_frame": cfg.target_cycles_per_frame,
             "steps": [s.__name__ for s in cfg.steps], "start_step": cfg.start_step,
             "stop_step": cfg.stop_step}, indent=2) + "\n")
        if finish is not None:
            finish(model, staging)
    return model
