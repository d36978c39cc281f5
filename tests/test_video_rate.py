"""benchmarks/video_rate.py on a tiny model and a small "video" frame: the whole-frame
and the tiled design both run exact in the harness, and the table holds every column."""
import pytest

from benchmarks import video_rate
from train.config import REPO_ROOT


@pytest.fixture
def small_video(monkeypatch):
    """A 12x24 video frame, 12x12 verification frames and tiles, hardware 24 wide."""
    monkeypatch.setattr(video_rate, "VIDEO", (12, 24))
    monkeypatch.setattr(video_rate, "VERIFY_FRAME", 12)
    return video_rate.ModelSpec(REPO_ROOT / "configs" / "tiny_test.yaml", target_fps=2e4)


@pytest.mark.slow  # two Verilator builds: minutes on a shared 2-core machine
def test_whole_frame_and_tiled_designs_are_measured_side_by_side(small_video, tmp_path):
    rows, designs = video_rate.measure_model(small_video, tiles=2, work=tmp_path,
                                             log=lambda *_: None)
    assert [design.max_width for design in designs] == [24, 12]
    whole, tiles = rows
    assert whole["design"].startswith("whole frame") and tiles["design"].startswith("tiled")
    assert whole["how"] == "one whole frame in the harness"
    # tiles of 12 every 4 pixels (the tiny model's halo is 4) cover 12x24 in 1 x 4 tiles
    assert tiles["how"].endswith("x 4 tiles")
    assert whole["cycles"] < tiles["cycles"]  # no halo recomputed, no per-tile fill
    for row in rows:
        assert row["rates"]["200"]["fps"] == pytest.approx(2 * row["rates"]["100"]["fps"])
        assert row["rates"]["100"]["lr_mpixel_per_s"] == pytest.approx(
            row["rates"]["100"]["fps"] * 12 * 24 / 1e6)
    text = video_rate.markdown(rows, {"date": "d", "cpu": "c", "cores": 2, "torch_threads": 1,
                                      "load_average_1min": 0, "torch": "t", "brevitas": "b"},
                               ["configs/x.yaml is not in the repository"])
    assert ("| tiny_test (fold for 20000 fps at 100 MHz) | whole frame (max width 24) |"
            in text)
    assert "not synthesized (see the notes below)" in text and "- configs/x.yaml is not" in text


def test_models_selects_recipes_and_names_the_result_after_them():
    everything = [spec.name for spec in video_rate.MODELS]
    assert video_rate.selected_models(None) == (list(video_rate.MODELS), "video_rate")
    assert video_rate.selected_models(everything)[1] == "video_rate"
    specs, result = video_rate.selected_models(["pynq_z2_1080p60_x2"])
    assert [spec.name for spec in specs] == ["pynq_z2_1080p60_x2"]
    assert result == "video_rate_pynq_z2_1080p60_x2"
    assert specs[0].clock_mhz == 150.0  # folded at the clock its recipe was chosen for


def test_area_sums_layers_and_names_the_worst_path_synthesizing_each_netlist_once(
        monkeypatch, tmp_path):
    from types import SimpleNamespace

    from hw.area_report import RESOURCES
    from hw.stitch import Design
    source = tmp_path / "layer.sv"
    source.write_text("module layer; endmodule\n")
    levels = {"shallow": 3, "deep": 6}
    layers = [SimpleNamespace(name=f"{name}_{i}", kind="MVAU", module="layer", sources=[source],
                              parameters={"DEPTH": name}, exp_cycles=10)
              for i in range(2) for name in levels]
    design = Design("accelerator", source, [source], layers, None, None)
    calls = []

    def synthesized(sources, module, parameters):
        calls.append(parameters["DEPTH"])
        return {**{key: 1 for key in RESOURCES}, "lut_levels": levels[parameters["DEPTH"]],
                "worst_from": "a", "worst_to": "b", "max_enable_fanout": 1}

    monkeypatch.setattr(video_rate, "area_and_timing", synthesized)
    cache = {}
    area = video_rate.area_and_levels(design, cache)
    assert sorted(calls) == ["deep", "shallow"] and area["synthesized_netlists"] == 2
    assert area["LUT"] == 4 and (area["lut_levels"], area["lut_levels_layer"]) == (6, "deep_0")
    assert video_rate.area_and_levels(design, cache)["synthesized_netlists"] == 0
