"""The project functions behind the notebooks: the shared short run and export, the VCD
reader of the accelerator's streams, the device choice and the design-space points."""
import importlib.util
import json

import onnx
import pytest
import yaml
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from benchmarks.design_space import quality_points, read_result, weight_bits
from export.quick_export import graph_edges, is_current, op_type_counts, plot_dataflow_graph
from hw.artifacts import CONFIG_FILE, DATAFLOW_FILE
from hw.driver import session as driver_session
from sim.waves import StreamTrace
from train import quick_run

TINY_CONFIG = quick_run.REPO_ROOT / "configs" / "tiny_test.yaml"


@pytest.fixture
def tiny_config(tmp_path):
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["out_root"] = str(tmp_path / "runs")
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_trained_makes_the_run_once_and_then_reuses_it(tiny_config):
    run = quick_run.trained(tiny_config)
    assert (run / "best.pth").is_file()
    stamp = (run / "last.pth").stat().st_mtime_ns
    assert quick_run.trained(tiny_config) == run
    assert (run / "last.pth").stat().st_mtime_ns == stamp
    log = quick_run.read_log(run / "train_log.csv")
    assert log["iter"][-1] == 6


def _export_folder(folder, frame=(16, 16), fps=20000.0, start_step=None):
    folder.mkdir()
    for name in (DATAFLOW_FILE, "verification.json"):
        (folder / name).write_text("x")
    (folder / CONFIG_FILE).write_text(json.dumps(
        {"frame_height": frame[0], "frame_width": frame[1], "target_fps": fps,
         "start_step": start_step}))
    return folder


def test_an_export_is_reused_only_when_complete_and_for_the_same_target(tmp_path):
    checkpoint = tmp_path / "best.pth"
    checkpoint.write_text("weights")
    out = _export_folder(tmp_path / "export")
    assert is_current(out, checkpoint, (16, 16), 20000.0)
    assert not is_current(out, checkpoint, (32, 32), 20000.0)
    assert not is_current(out, checkpoint, (16, 16), 1000.0)
    (out / "verification.json").unlink()
    assert not is_current(out, checkpoint, (16, 16), 20000.0)


def _diamond():
    """a -> (b, c) -> d"""
    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [1])  # noqa: E731
    nodes = [helper.make_node("Relu", ["x"], ["ya"], name="a"),
             helper.make_node("Relu", ["ya"], ["yb"], name="b"),
             helper.make_node("Neg", ["ya"], ["yc"], name="c"),
             helper.make_node("Add", ["yb", "yc"], ["y"], name="d")]
    graph = helper.make_graph(nodes, "diamond", [value("x")], [value("y")])
    return ModelWrapper(helper.make_model(graph))


def test_graph_edges_and_picture(tmp_path):
    model = _diamond()
    onnx.checker.check_model(model.model)
    assert sorted(graph_edges(model)) == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert op_type_counts(model) == {"Relu": 2, "Neg": 1, "Add": 1}
    assert plot_dataflow_graph(model, tmp_path / "g.png").stat().st_size > 0


def _vcd(path, cycles):
    """A VCD of top-level signals given per cycle ({name: [value per cycle]}), changes
    written between clock edges (edge k at 10 ns * k), and a nested module whose
    same-named signal must be ignored."""
    names = list(cycles)
    codes = {name: chr(ord("#") + i) for i, name in enumerate(names)}
    lines = ["$timescale 1ps $end", "$scope module top $end", '$var wire 1 ! ap_clk $end']
    lines += [f"$var wire {8 if n.endswith('TDATA') else 1} {codes[n]} {n} $end" for n in names]
    lines += ["$scope module inner $end", "$var wire 1 ~ s0_TVALID $end", "$upscope $end",
              "$upscope $end", "$enddefinitions $end"]
    for k in range(len(cycles[names[0]])):
        lines.append(f"#{10000 * k - 2000 if k else 0}")
        lines += [f"b{v:b} {codes[n]}" if n.endswith("TDATA") else f"{v}{codes[n]}"
                  for n, v in ((n, cycles[n][k]) for n in names)]
        lines.append(f"{1 - k % 2}~")
        lines += [f"#{10000 * k}", "1!", f"#{10000 * k + 5000}", "0!"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_vcd_streams_are_sampled_per_cycle(tmp_path):
    cycles = {"ap_rst_n": [0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
              "s0_TVALID": [0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0],
              "s0_TREADY": [1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1],
              "s0_TDATA": [0, 5, 6, 0, 7, 200, 0, 9, 9, 10, 0, 0, 0]}
    trace = StreamTrace.from_vcd(_vcd(tmp_path / "d.vcd", cycles), "top", list(cycles))
    assert list(trace.stream("s0", "TVALID")) == cycles["s0_TVALID"]
    assert list(trace.transfers("s0")) == [1, 4, 5, 7, 9]
    assert [trace.stream("s0", "TDATA")[k] for k in trace.transfers("s0")] == [5, 7, 200, 9, 10]
    # the last stretch between resets with words moving: cycles 7..9, reset at 10
    assert trace.stall_free_window("s0") == (7, 10)


def test_missing_vcd_signal_is_named(tmp_path):
    vcd = _vcd(tmp_path / "d.vcd", {"ap_rst_n": [1, 1]})
    with pytest.raises(ValueError, match="s9_TVALID"):
        StreamTrace.from_vcd(vcd, "top", ["ap_rst_n", "s9_TVALID"])


def test_weight_bits_match_the_export_summary_count():
    # notebook model: 4 binary 3x3 convs 8->8, int8 head 1->8, int8 tail 8->4,
    # fixed bicubic skip 5x5 1->4 with 13-bit weights (exports/notebook_x2/summary.md: 6484)
    expected = 4 * 8 * 8 * 9 + 8 * 9 * 8 + 4 * 8 * 9 * 8 + 4 * 25 * 13
    assert weight_bits({"type": "BinarySRResNet", "channels": 8, "blocks": 2}, 2) == expected


def test_quality_points_are_the_committed_set5_results():
    points = quality_points()
    cost = read_result("constraint_cost")["variants"]
    assert [p["psnr"] for p in points[1:]] == [v["model_psnr"] for v in cost.values()]
    assert points[0]["psnr"] == read_result("quality_bench_x2")["means"]["Set5"]["model_psnr"]


@pytest.mark.skipif(importlib.util.find_spec("pynq") is not None, reason="on a PYNQ board")
def test_without_a_board_the_driver_says_it_runs_the_simulated_device(tmp_path, monkeypatch):
    simulated = driver_session.Session(None, None, None, "simulated device: X")
    monkeypatch.setattr(driver_session, "simulated", lambda export, build: simulated)
    session = driver_session.open_device(tmp_path, tmp_path, tmp_path / "deploy")
    assert session is simulated
    assert session.description.startswith("no PYNQ board here (the pynq package and an overlay")
    assert session.description.endswith("against the simulated device: X")
