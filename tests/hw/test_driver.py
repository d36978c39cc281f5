"""Board driver host path: stream packing, strips with halo, and the whole path on the
simulated device (an image as one whole frame, or in strips when wider than the
hardware), bit-exact against the golden model on the whole real image."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qonnx.core.modelwrapper import ModelWrapper

from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from hw.driver.__main__ import main
from hw.driver.accelerator import Accelerator
from hw.driver.config import driver_config, save_config
from hw.driver.tiling import ImageTooSmallError, TilePlan, receptive_halo
from hw.stitch import stitch
from hw.stream import StreamFormat
from sim.device import SimulatedDevice, golden_image
from sim.tb.layer_run import layer_dir
from train.data.image_io import to_y_uint8, write_png

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from sr_models import trained_like  # noqa: E402

FRAME = 12
MAX_WIDTH = 16  # the widest LR frame the test hardware takes
# what the board driver must do without: a PYNQ image has numpy, PIL and pynq
NOT_ON_THE_BOARD = ("torch", "skimage", "onnx", "qonnx", "cocotb", "jinja2", "sim", "export",
                    "hw.stitch")


@settings(max_examples=60, deadline=None)
@given(elem_bits=st.integers(1, 12), per_word=st.integers(1, 6), signed=st.booleans(),
       words=st.integers(0, 5), pad_bytes=st.integers(0, 2), seed=st.integers(0, 99))
def test_packing_round_trips_as_bytes_and_as_words(elem_bits, per_word, signed, words,
                                                  pad_bytes, seed):
    lo, hi = (-(1 << (elem_bits - 1)), 1 << (elem_bits - 1)) if signed else (0, 1 << elem_bits)
    values = np.random.default_rng(seed).integers(lo, hi, words * per_word)
    stream = StreamFormat(elem_bits, per_word, signed,
                          -(-elem_bits * per_word // 8) * 8 + 8 * pad_bytes)
    data = stream.pack(values)
    assert data.dtype == np.uint8 and data.size == words * stream.tdata_bits // 8
    assert np.array_equal(stream.unpack(data), values)
    assert np.array_equal(stream.unpack_words(stream.pack_words(values)), values)
    assert all(0 <= word < 1 << stream.data_bits for word in stream.pack_words(values))


def test_packing_puts_element_0_at_the_lsbs_in_twos_complement_and_pads_with_zeros():
    stream = StreamFormat(4, 3, signed=True)  # 12 data bits in 16 TDATA bits
    assert stream.tdata_bits == 16
    assert stream.pack_words([1, -1, 5, -8, 0, 7]) == [0x5F1, 0x708]
    assert stream.pack([1, -1, 5]).tolist() == [0xF1, 0x05]
    with pytest.raises(ValueError, match="do not fit 4 bits"):
        stream.pack([16, 0, 0])
    with pytest.raises(ValueError, match="do not fill words of 3"):
        stream.pack([1, 2])


def test_board_driver_imports_without_torch_onnx_or_the_simulation():
    blocked = "".join(f"sys.modules[{name!r}] = None\n" for name in NOT_ON_THE_BOARD)
    code = f"import sys\n{blocked}import hw.driver.session, hw.driver.config, hw.driver.device\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr


@settings(max_examples=60, deadline=None)
@given(height=st.integers(9, 40), width=st.integers(9, 40), frame=st.integers(9, 16),
       halo=st.integers(0, 4), scale=st.integers(1, 3))
def test_tiles_cover_the_image_and_reassemble_a_pointwise_network(height, width, frame, halo,
                                                                  scale):
    image = np.arange(height * width).reshape(height, width, 1) % 251
    if min(height, width) < frame:
        with pytest.raises(ImageTooSmallError):
            TilePlan.for_image(height, width, (frame, frame), halo)
        return
    plan = TilePlan.for_image(height, width, (frame, frame), halo)
    frames = plan.split(image)
    upscale = lambda x: x.repeat(scale, axis=-3).repeat(scale, axis=-2)  # noqa: E731
    assert np.array_equal(plan.assemble(upscale(frames), scale), upscale(image))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    model = trained_like("BinarySRResNet", 2, 1, seed=6, channels=4, blocks=1)
    out = tmp_path_factory.mktemp("driver_export")
    export_model(model, ExportConfig(out, FRAME, FRAME, target_fps=1e8 / 3000,
                                     max_width=MAX_WIDTH), log=lambda *_: None)
    return out


def test_halo_is_the_receptive_radius(export):
    # head 3x3 + one block of two 3x3 + tail 3x3; the 5x5 bicubic skip is shorter
    assert receptive_halo(ModelWrapper(str(export / DATAFLOW_FILE))) == 4


def real_lr(height, width):
    from train.data.datasets import default_images

    return to_y_uint8(default_images()[1][1])[100:100 + height, 150:150 + width]


def test_golden_image_in_bands_equals_the_golden_model_on_the_whole_image(export):
    model = ModelWrapper(str(export / DATAFLOW_FILE))
    lr = real_lr(23, 17)
    whole = golden_image(model, lr, band_rows=len(lr))  # one band: the whole image at once
    for band_rows in (1, 5, 14):
        assert np.array_equal(golden_image(model, lr, band_rows=band_rows), whole)


def test_whole_image_through_the_simulated_device_is_bit_exact(export):
    model = ModelWrapper(str(export / DATAFLOW_FILE))
    device = SimulatedDevice(model, layer_dir("driver_sim"), 100.0, max_width=MAX_WIDTH)
    accelerator = Accelerator(driver_config(model, device.design, 100.0), device)
    lr = real_lr(21, MAX_WIDTH - 3)  # taller than wide, and taller than the graph's frame
    sr, throughput = accelerator.upscale(lr)
    assert throughput.frames == 1 and not throughput.split  # the whole image, one frame
    assert sr.shape == (42, 26) and np.array_equal(sr, golden_image(model, lr))


def test_image_wider_than_the_hardware_runs_in_strips_and_says_so(export):
    model = ModelWrapper(str(export / DATAFLOW_FILE))
    device = SimulatedDevice(model, layer_dir("driver_sim"), 100.0, max_width=MAX_WIDTH)
    accelerator = Accelerator(driver_config(model, device.design, 100.0), device)
    lr = real_lr(9, 30)  # strips of 16 every 8 pixels (halo 4), the last flush: 0, 8, 14
    sr, throughput = accelerator.upscale(lr)
    assert throughput.frames == 3
    assert throughput.split == ("split: the image is 30 pixels wide, the accelerator takes 16: "
                                "3 vertical strips of 16 overlapping by twice the 4-pixel halo")
    assert throughput.split in throughput.lines(2)
    assert np.array_equal(sr, golden_image(model, lr))


def test_cli_upscales_validates_and_reports_throughput(export, tmp_path, capsys):
    write_png(tmp_path / "lr.png", np.dstack([real_lr(16, 16)] * 3))
    argv = ["--export", str(export), "--input", str(tmp_path / "lr.png"),
            "--output", str(tmp_path / "sr.png"), "--build", str(layer_dir("driver_sim"))]
    assert main([*argv, "--validate"]) == 0
    out = capsys.readouterr().out
    assert "validate: PASS, bit-exact" in out and "frames/s" in out
    assert (tmp_path / "sr.png").is_file()


def test_bitstream_built_for_another_model_is_refused(export, tmp_path, capsys):
    model = ModelWrapper(str(export / DATAFLOW_FILE))
    config = driver_config(model, stitch(model, tmp_path / "rtl"), 100.0, "0" * 64)
    save_config(config, tmp_path / "driver_config.json")
    argv = ["--bitfile", str(tmp_path / "sr_overlay.bit"), "--config",
            str(tmp_path / "driver_config.json"), "--model", str(export / DATAFLOW_FILE),
            "--output", str(tmp_path / "sr.png")]
    assert main(argv) == 2
    assert "was built for the model with sha256 0000000000000000..." in capsys.readouterr().err
    assert not (tmp_path / "sr.png").exists()


def test_cli_self_ensemble_is_bit_exact_against_the_golden_ensemble(export, tmp_path, capsys):
    write_png(tmp_path / "lr.png", real_lr(12, 16))  # not square: rotations change the frame
    argv = ["--export", str(export), "--input", str(tmp_path / "lr.png"),
            "--output", str(tmp_path / "sr.png"), "--build", str(layer_dir("driver_sim"))]
    assert main([*argv, "--validate", "--ensemble"]) == 0
    out = capsys.readouterr().out
    # 8 runs of one whole frame each (16 wide upright, 12 wide rotated), counted together
    assert "validate: PASS, bit-exact" in out and out.startswith("8 frames, 1536 LR pixels")
