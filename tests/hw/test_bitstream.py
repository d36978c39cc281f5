"""The PYNQ bitstream flow up to Vivado: board table, generated TCL (run in tclsh with
Vivado's commands stubbed and logged), the IP top with the stitched RTL on frames of two
run-time sizes (Icarus Verilog; bit-exact, TLAST at each frame's end), the CLI without
Vivado, deploy."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from hw.bitstream import deploy
from hw.bitstream.__main__ import EXIT_NO_VIVADO
from hw.bitstream.__main__ import main as bitstream_main
from hw.bitstream.boards import BOARDS, board
from hw.bitstream.project import (BITSTREAM, BUILD_INFO, DRIVER_CONFIG, TCL_FILES, DmaStream,
                                  _stream_links, dma_stream_bits, model_sha256, write_project)
from hw.driver.config import load_config
from sim.device import golden_image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "export"))
from sr_models import trained_like  # noqa: E402

MAX_WIDTH = 16  # the widest LR frame of the test hardware; its graph frame is 8x8
needs_tclsh = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")

# Sources a generated script with every Vivado command logged: unknown commands return
# "", get_* queries their last argument; the few answers the scripts branch on are set.
VIVADO_STUB = r"""
lassign $argv script logfile run_dir
set log [open $logfile w]
proc unknown {args} {
  puts $::log $args
  return [expr {[string match get_* [lindex $args 0]] ? [lindex $args end] : ""}]
}
namespace eval ipx {}
proc ipx::current_core {} { return core }
proc ipx::get_bus_interfaces {name args} {
  puts $::log [list ipx::get_bus_interfaces $name]
  return $name
}
proc version {args} { return 2022.2 }
proc get_files {args} { return [expr {[string match *hwh* $args] ? "$::run_dir/top.hwh" : $args}] }
proc get_property {name args} {
  puts $::log [list get_property $name {*}$args]
  return [dict get [list PROGRESS 100% STATS.WNS 0.25 DIRECTORY $::run_dir] $name]
}
foreach file [glob -directory [file dirname $script] *.tcl] {
  set channel [open $file]
  if {![info complete [read $channel]]} { error "$file is not complete TCL" }
  close $channel
}
source $script
close $log
"""


def run_stubbed(script: Path, tmp_path: Path) -> str:
    """Log of the Vivado commands ``script`` runs; fake implementation results in tmp_path."""
    for name in ("top_wrapper.bit", "top.hwh"):
        (tmp_path / name).write_text("fake")
    stub, log = tmp_path / "stub.tcl", tmp_path / "vivado.log"
    stub.write_text(VIVADO_STUB)
    subprocess.run(["tclsh", str(stub), str(script), str(log), str(tmp_path)], check=True,
                   capture_output=True, text=True)
    return log.read_text()


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    from export.build import ExportConfig, export_model
    out = tmp_path_factory.mktemp("export")
    model = trained_like("BinarySRResNet", 2, 1, seed=4, channels=4)
    export_model(model, ExportConfig(out, 8, 8, target_fps=1e8 / 2000, max_width=MAX_WIDTH),
                 log=lambda *_: None)
    return out


@pytest.fixture(scope="module", params=["Pynq-Z2", "ZCU104"])
def project(request, export_dir, tmp_path_factory):
    """(board, folder, build info) of a generated project at 125 MHz."""
    out = tmp_path_factory.mktemp(request.param)
    target = board(request.param)
    return target, out, write_project(export_dir, target, 125.0, out)


def test_board_table_has_finns_boards_parts_and_ps_types():
    assert {name: (b.part, b.ps.type, b.memory_bits) for name, b in BOARDS.items()} == {
        "Pynq-Z1": ("xc7z020clg400-1", "zynq_7000", 64),
        "Pynq-Z2": ("xc7z020clg400-1", "zynq_7000", 64),
        "Ultra96-V2": ("xczu3eg-sbva484-1-i", "zynq_us+", 128),
        "ZCU104": ("xczu7ev-ffvc1156-2-e", "zynq_us+", 128),
        "KV260_SOM": ("xck26-sfvc784-2LV-c", "zynq_us+", 128),
    }
    assert board("Pynq-Z1").ps.ip == "processing_system7"
    assert board("KV260_SOM").ps.memory_port == "S_AXI_HP0_FPD"


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown board 'Pynq-Z3'; known boards: Pynq-Z1, "
                                         "Pynq-Z2, Ultra96-V2, ZCU104, KV260_SOM"):
        board("Pynq-Z3")


def test_dma_streams_are_padded_to_dma_widths_through_a_converter():
    assert [dma_stream_bits(bits) for bits in (8, 16, 24, 48, 128)] == [8, 16, 32, 64, 128]
    with pytest.raises(ValueError, match="12-bit stream"):
        dma_stream_bits(12)
    rgb = {"mm2s": DmaStream("mm2s", 24, 64), "s2mm": DmaStream("s2mm", 8, 256)}
    assert _stream_links(rgb) == [
        ("axi_dma_0/M_AXIS_MM2S", "mm2s_dwc/S_AXIS"), ("mm2s_dwc/M_AXIS", "accelerator_0/in0_V"),
        ("accelerator_0/out0_V", "axi_dma_0/S_AXIS_S2MM")]


@needs_tclsh
def test_build_script_runs_every_step_with_the_boards_ps(project, tmp_path):
    target, out, info = project
    log = run_stubbed(out / "build_bitstream.tcl", tmp_path)
    ps = target.ps
    expected = [
        # IP packaging: interfaces inferred, on ap_clk, reset active low
        "ipx::package_project -root_dir", "ipx::get_bus_interfaces in0_V",
        "ipx::get_bus_interfaces out0_V",
        "ipx::associate_bus_interfaces -busif in0_V -clock ap_clk",
        "ipx::associate_bus_interfaces -busif out0_V -clock ap_clk",
        "ipx::associate_bus_interfaces -clock ap_clk -reset ap_rst_n",
        "set_property value ACTIVE_LOW",
        # block design
        f"set_property board_part {target.board_part}",
        f"create_bd_cell -type ip -vlnv xilinx.com:ip:{ps.ip}:{ps.ip_version} zynq_ps",
        f"CONFIG.{ps.clock_property} 125.0", "xilinx.com:ip:axi_dma:7.1 axi_dma_0",
        "CONFIG.c_m_axis_mm2s_tdata_width 8", "CONFIG.c_s_axis_s2mm_tdata_width 8",
        "create_bd_cell -type ip -vlnv sr.local:user:accelerator_dma:1.0 accelerator_0",
        "connect_bd_intf_net axi_dma_0/M_AXIS_MM2S accelerator_0/in0_V",
        "connect_bd_intf_net accelerator_0/out0_V axi_dma_0/S_AXIS_S2MM",
        f"connect_bd_intf_net smartconnect_0/M00_AXI zynq_ps/{ps.memory_port}",
        f"connect_bd_net zynq_ps/{ps.pl_clock}", "accelerator_0/ap_clk",
        "connect_bd_net proc_sys_reset_0/peripheral_aresetn", "accelerator_0/ap_rst_n",
        f"assign_bd_address -offset {info['dma']['control_address']} -range 64K "
        "-target_address_space zynq_ps/Data axi_dma_0/S_AXI_LITE/Reg",
        # the frame size GPIO (two 16-bit outputs) and the status GPIO (4 inputs)
        "set_property -dict {CONFIG.NUM_SI 1 CONFIG.NUM_MI 3} axi_interconnect_0",
        "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_gpio:2.0 frame_size",
        "CONFIG.C_IS_DUAL 1 CONFIG.C_GPIO_WIDTH 16 CONFIG.C_GPIO2_WIDTH 16 "
        "CONFIG.C_ALL_OUTPUTS 1 CONFIG.C_ALL_OUTPUTS_2 1",
        "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_gpio:2.0 frame_status",
        "CONFIG.C_GPIO_WIDTH 4 CONFIG.C_ALL_INPUTS 1",
        "connect_bd_intf_net axi_interconnect_0/M01_AXI frame_size/S_AXI",
        "connect_bd_intf_net axi_interconnect_0/M02_AXI frame_status/S_AXI",
        "connect_bd_net frame_size/gpio_io_o accelerator_0/frame_h",
        "connect_bd_net frame_size/gpio2_io_o accelerator_0/frame_w",
        "connect_bd_net accelerator_0/status frame_status/gpio_io_i",
        "frame_size/s_axi_aclk", "frame_status/s_axi_aresetn", "axi_interconnect_0/M02_ACLK",
        f"assign_bd_address -offset {info['control']['frame_size']} -range 64K "
        "-target_address_space zynq_ps/Data frame_size/S_AXI/Reg",
        f"assign_bd_address -offset {info['control']['frame_status']} -range 64K "
        "-target_address_space zynq_ps/Data frame_status/S_AXI/Reg",
        # synthesis, implementation, reports
        "launch_runs synth_1", "launch_runs impl_1 -to_step write_bitstream",
        "report_timing_summary -file", "report_utilization -file",
    ]
    assert [line for line in expected if line not in log] == []
    assert info["dma"]["control_address"] == f"0x{ps.control_base:08X}"
    assert info["control"] == {name: f"0x{ps.control_base + 0x10000 * index:08X}" for index, name
                               in enumerate(("axi_dma_0", "frame_size", "frame_status"))}
    assert (out / f"{BITSTREAM}.bit").read_text() == "fake"
    assert (out / f"{BITSTREAM}.hwh").read_text() == "fake"


def test_project_files_and_build_info(project, export_dir):
    target, out, info = project
    assert all((out / name).is_file() for name in (*TCL_FILES, "estimates.md", BUILD_INFO))
    assert json.loads((out / BUILD_INFO).read_text()) == info
    assert info["model_sha256"] == model_sha256(export_dir / "dataflow.onnx")
    assert (info["board"], info["part"], info["clock_mhz"]) == (target.name, target.part, 125.0)
    assert info["dma"]["memory_bits"] == target.memory_bits
    # built for the export's max_width, recorded for the driver
    assert info["max_width"] == MAX_WIDTH == load_config(out / DRIVER_CONFIG).max_width
    assert (info["dma"]["mm2s"]["pixel_bytes"], info["dma"]["s2mm"]["pixel_bytes"]) == (1, 1)
    assert f"MAX_W({MAX_WIDTH})" in (out / "rtl" / "accelerator.sv").read_text()
    assert {"rtl/accelerator.sv", "rtl/accelerator_dma.v", "rtl/core/mvau.sv"} <= set(info["files"])
    assert any(name.endswith(".memh") for name in info["files"])
    for name in TCL_FILES:
        assert (out / name).read_text().startswith(
            "# Generated by hw/bitstream/project.py write_project; do not edit.")
    assert "bottleneck: ConvolutionInputGenerator" in (out / "estimates.md").read_text()


# (LR height, LR width) of the frames the IP top streams: two of the widest frame, then,
# with the frame size rewritten while idle, one narrow and taller than the graph's
FRAMES = ((5, MAX_WIDTH), (5, MAX_WIDTH), (11, 5))
BENCH = """
module bench;
  reg clk = 0, rst_n = 0, out_ready = 0, in_valid = 0;
  reg [15:0] frame_w = 0, frame_h = 0;
  reg [{in_bits}:0] in_words [0:{in_count}];
  wire in_ready, out_valid, out_last;
  wire [{out_bits}:0] out_data;
  wire [3:0] status;
  integer taken = 0, received = 0, log, frame;
  always #1 clk = ~clk;
  accelerator_dma dut(.ap_clk(clk), .ap_rst_n(rst_n), .frame_w(frame_w), .frame_h(frame_h),
    .in0_V_TDATA(in_words[taken]), .in0_V_TVALID(in_valid), .in0_V_TREADY(in_ready),
    .out0_V_TDATA(out_data), .out0_V_TVALID(out_valid), .out0_V_TREADY(out_ready),
    .out0_V_TLAST(out_last), .status(status));
  always @(posedge clk) begin
    out_ready <= $random;  // backpressure
    if (out_valid && out_ready) begin
      $fdisplay(log, "%h %0d", out_data, out_last);
      received <= received + 1;
    end
    if (in_valid && in_ready) taken <= taken + 1;
  end
  // words of frame ``frame`` are offered (with gaps) from ``taken`` up to ``last``
  task stream(input [15:0] height, width, input integer last, outputs);
    begin
      frame_h = height;  // idle: every output word so far has been received
      frame_w = width;
      while (taken < last) begin
        @(negedge clk) in_valid = $random;
      end
      @(negedge clk) in_valid = 0;
      wait (received == outputs);
    end
  endtask
  initial begin
    log = $fopen("{log}", "w");
    $readmemh("{memh}", in_words);
    #10 rst_n = 1;
{segments}
    $fdisplay(log, "status %0d", status);
    $fclose(log);
    $finish;
  end
  initial begin #{timeout} $display("timeout"); $finish; end
endmodule
"""


def _simulate_ip_top(out: Path, sources: list, images: list, tmp_path: Path):
    """(output words, their TLAST, status) of the IP top streaming ``images``."""
    config = load_config(out / DRIVER_CONFIG)
    words = [config.input.pack_words(image) for image in images]
    (tmp_path / "in.memh").write_text("".join(f"{w:x}\n" for frame in words for w in frame))
    segments, taken, outputs = [], 0, 0
    for image, frame in zip(images, words):
        taken += len(frame)
        outputs += config.output.words(image.size * config.scale ** 2)
        segments.append(f"    stream({image.shape[0]}, {image.shape[1]}, {taken}, {outputs});")
    bench = tmp_path / "bench.sv"
    bench.write_text(BENCH.format(
        in_bits=config.input.tdata_bits - 1, out_bits=config.output.tdata_bits - 1,
        in_count=taken, log=tmp_path / "out.log", memh=tmp_path / "in.memh",
        segments="\n".join(segments), timeout=400 * outputs))
    subprocess.run(["iverilog", "-g2012", "-s", "bench", "-o", str(tmp_path / "bench"),
                    str(bench), *sources], check=True)
    run = subprocess.run(["vvp", "-n", str(tmp_path / "bench")], capture_output=True, text=True,
                         check=True, timeout=600)
    assert "timeout" not in run.stdout
    *lines, status = (tmp_path / "out.log").read_text().splitlines()
    data = [int(line.split()[0], 16) for line in lines]
    return config.output.unpack_words(data), [int(line.split()[1]) for line in lines], status


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")
def test_ip_top_streams_frames_of_run_time_size_bit_exact_with_tlast_at_each_end(
        export_dir, tmp_path):
    out = tmp_path / "project"
    info = write_project(export_dir, board("Pynq-Z2"), 100.0, out)  # the same RTL on any board
    sources = [str(out / name) for name in info["files"] if name.endswith((".sv", ".v"))]
    if shutil.which("verilator"):  # the IP top lints clean, widths included
        lint = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module",
                               "accelerator_dma", *sources], capture_output=True, text=True)
        assert "accelerator_dma.v" not in lint.stderr
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (height, width, 1), dtype=np.uint8) for height, width in FRAMES]
    values, lasts, status = _simulate_ip_top(out, sources, images, tmp_path)
    model = ModelWrapper(str(export_dir / "dataflow.onnx"))
    golden = [golden_image(model, image).reshape(-1) for image in images]
    assert np.array_equal(values, np.concatenate(golden))
    words_per_value = len(lasts) / len(values)
    frame_ends = np.cumsum([int(g.size * words_per_value) for g in golden]) - 1
    assert np.flatnonzero(lasts).tolist() == frame_ends.tolist()
    assert status == "status 0"


def _path_without_vivado() -> str:
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "vivado").exists()]
    return os.pathsep.join(dirs)


def test_cli_without_vivado_stops_with_code_3_and_names_the_tool(export_dir, tmp_path):
    out = tmp_path / "bitstream_Pynq-Z2"
    env = {**os.environ, "PATH": _path_without_vivado(),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "hw.bitstream", "--export", str(export_dir),
                          "--board", "Pynq-Z2", "--out", str(out), "--clock-mhz", "100"],
                         cwd=REPO, env=env, capture_output=True, text=True)
    assert run.returncode == EXIT_NO_VIVADO, run.stderr
    assert "vivado not found on PATH: AMD Vivado 2022.2" in run.stderr
    assert str(out) in run.stderr and "build_bitstream.tcl" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "block_design.tcl", "build_bitstream.tcl", "build_info.json", "driver_config.json",
        "estimates.md", "package_ip.tcl", "rtl"]
    assert not list(tmp_path.glob(".*"))  # no staging folder left
    # the $readmemh paths point into the output folder, not the staging folder
    assert f'"{out.resolve()}/rtl/MVAU_0_weights.memh"' in (out / "rtl" / "MVAU_0.sv").read_text()

    deployed = tmp_path / "deploy"
    assert deploy.main(["--build", str(out), "--out", str(deployed)]) == 0
    readme = (deployed / "README.md").read_text()
    assert "Missing: sr_overlay.bit, sr_overlay.hwh" in readme and "python3 -m hw.driver" in readme
    assert f"whole LR frames up to {MAX_WIDTH} pixels wide" in readme and "`frame_size` at" in readme
    assert (deployed / "dataflow.sha256").read_text().split()[0] == \
        model_sha256(export_dir / "dataflow.onnx")
    assert sorted(p.name for p in deployed.iterdir()) == [
        "README.md", "build_info.json", "dataflow.sha256", "driver_config.json"]


def test_deploy_ships_a_built_overlay(project, tmp_path):
    _, out, _ = project
    for suffix in (".bit", ".hwh"):  # as Vivado (or the stubbed build above) leaves them
        (out / f"{BITSTREAM}{suffix}").write_text("fake")
    assert deploy.package(out, tmp_path / "deploy") == []
    shipped = {p.name for p in (tmp_path / "deploy").iterdir()}
    assert {f"{BITSTREAM}.bit", f"{BITSTREAM}.hwh"} <= shipped


def test_unknown_board_is_an_error_and_writes_nothing(export_dir, tmp_path, capsys):
    out = tmp_path / "bitstream"
    assert bitstream_main(["--export", str(export_dir), "--board", "Pynq-Z3",
                           "--out", str(out)]) == 2
    assert "unknown board 'Pynq-Z3'; known boards: Pynq-Z1" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
