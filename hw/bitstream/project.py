"""Vivado project of a PYNQ overlay: the stitched accelerator behind an AXI DMA.

``write_project`` writes, into one folder:
  rtl/                 the stitched RTL for the export's max_width, its $readmemh files,
                       and the IP top making the video sideband and the frame's TLAST
  package_ip.tcl       packages the RTL as an IP with AXI-Stream in0_V / out0_V
  block_design.tcl     PS + AXI DMA + AXI GPIOs frame_size (frame_h, frame_w) and
                       frame_status + interconnects + reset + the IP, address map
  build_bitstream.tcl  both of the above, synthesis, implementation, reports, .bit/.hwh
  build_info.json      board, part, clock, model hash, DMA widths, file list
  estimates.md         throughput and DMA bandwidth estimates
Every TCL path is relative to the script's folder. The $readmemh paths inside the RTL
are absolute: the folder is generated for where it will be built (see ``relocate``).
"""
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw.artifacts import DATAFLOW_FILE, read_export, staged_folder
from hw.bitstream.boards import Board
from hw.codegen import header
from hw.driver.config import driver_config, save_config
from hw.driver.device import (FRAME_SIZE_BITS, FRAME_SIZE_IP, FRAME_SIZE_MASK, FRAME_STATUS_IP,
                              STATUS_FLAGS)
from hw.stitch import Design, stitch

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
GENERATOR = "hw/bitstream/project.py write_project"
VIVADO_VERSION = "2022.2"  # FINN+ 1.6.1 names 2022.2 or 2024.2; IP versions are 2022.2's
BITSTREAM = "sr_overlay"
PROJECT = "sr_overlay"
ACCELERATOR_CELL = "accelerator_0"
DMA_CELL = "axi_dma_0"
CONTROL_RANGE = "64K"  # of each AXI-Lite slave's registers: the DMA's, the GPIOs'
CONTROL_STRIDE = 0x1_0000  # the GPIOs' registers follow the DMA's, 64K apart
DMA_STREAM_BITS = (8, 16, 32, 64, 128, 256, 512, 1024)  # widths the AXI DMA supports
DMA_LENGTH_BITS = 26  # transfer length register: up to 64 MiB per frame
BUILD_INFO = "build_info.json"
DRIVER_CONFIG = "driver_config.json"  # stream layouts, halo, scale: what the host driver needs
ESTIMATES = "estimates.md"
TCL_FILES = ("package_ip.tcl", "block_design.tcl", "build_bitstream.tcl")

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                                undefined=jinja2.StrictUndefined, trim_blocks=True,
                                lstrip_blocks=True, keep_trailing_newline=True)


@dataclass(frozen=True)
class IpCore:
    name: str
    top: str
    vendor: str = "sr.local"
    library: str = "user"
    version: str = "1.0"
    description: str = "Binary super-resolution dataflow accelerator"

    @property
    def vlnv(self) -> str:
        return f"{self.vendor}:{self.library}:{self.name}:{self.version}"


@dataclass(frozen=True)
class DmaStream:
    """One direction between the DMA and the accelerator, per frame."""

    channel: str  # "mm2s": memory to accelerator, "s2mm": accelerator to memory
    accelerator_bits: int
    frame_words: int  # accelerator words per frame of the graph's (verification) size
    channels: int = 1  # values per pixel (LR in, HR out)
    per_word: int = 1  # values per accelerator word (several HR pixels' after DepthToSpace)

    @property
    def pixel_bytes(self) -> float:
        """Bytes in DDR per pixel, for frames of any size."""
        return self.accelerator_bits // 8 * self.channels / self.per_word

    @property
    def dma_bits(self) -> int:
        return dma_stream_bits(self.accelerator_bits)

    @property
    def frame_bytes(self) -> int:
        """Bytes in DDR: the accelerator's words, back to back."""
        return self.frame_words * self.accelerator_bits // 8

    @property
    def converter(self) -> str | None:
        """Name of the byte-width converter the DMA needs, if any."""
        return None if self.dma_bits == self.accelerator_bits else f"{self.channel}_dwc"


def dma_stream_bits(tdata_bits: int) -> int:
    """Narrowest AXI DMA stream width holding ``tdata_bits`` (whole bytes)."""
    fitting = [bits for bits in DMA_STREAM_BITS if bits >= tdata_bits]
    if not fitting or tdata_bits % 8:
        raise ValueError(f"a {tdata_bits}-bit stream does not fit the AXI DMA "
                         f"(whole bytes up to {DMA_STREAM_BITS[-1]} bits)")
    return fitting[0]


def model_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _frame_words(model: ModelWrapper, tensor: str, per_word: int) -> int:
    return int(np.prod(model.get_tensor_shape(tensor))) // per_word


def _render(template: str, path: Path, **data) -> Path:
    path.write_text(_TEMPLATES.get_template(template).render(**data))
    return path


def relocate(folder: Path, old: Path, new: Path):
    """Rewrite the absolute paths ``old`` -> ``new`` in the generated RTL of ``folder``:
    the layers' $readmemh paths are absolute, and the folder is generated in a staging
    place before it is moved to where Vivado will read it."""
    for path in folder.rglob("*"):
        if path.suffix in (".sv", ".v", ".memh"):
            path.write_text(path.read_text().replace(str(old), str(new)))


def _copy_sources(design: Design, rtl: Path) -> list[Path]:
    """Every RTL source inside ``rtl``: hand-written cores are copied to rtl/core."""
    core = rtl / "core"
    core.mkdir(exist_ok=True)
    copied = []
    for source in design.sources:
        if source.parent != rtl:
            source = Path(shutil.copy2(source, core / source.name))
        copied.append(source)
    return copied


def _write_ip_top(design: Design, streams: dict, rtl: Path, ip: IpCore) -> Path:
    in_pixel_words = streams["mm2s"].channels // streams["mm2s"].per_word  # as video_frame_in
    parameters = {"core": design.name, "max_width": design.max_width}
    return _render("dma_top.v.j2", rtl / f"{ip.top}.v",
                   header=header(GENERATOR, ip.top, parameters), name=ip.top,
                   core=design.name, in_bits=design.in_port.stream.tdata_bits,
                   out_bits=design.out_port.stream.tdata_bits, max_width=design.max_width,
                   in_pixel_words=in_pixel_words, scale=design.scale,
                   line_word_bits=(FRAME_SIZE_MASK * in_pixel_words).bit_length(),
                   hr_line_bits=(FRAME_SIZE_MASK * design.scale).bit_length())


def _dma(board: Board, streams: dict) -> dict:
    memory_bits = max(board.memory_bits, *(s.dma_bits for s in streams.values()))
    mm2s, s2mm = streams["mm2s"], streams["s2mm"]
    return {"name": DMA_CELL, "control_address": f"0x{board.ps.control_base:08X}",
            "control_range": CONTROL_RANGE, "properties": [
                ("c_include_sg", 0), ("c_sg_length_width", DMA_LENGTH_BITS),
                ("c_addr_width", board.ps.address_bits),
                ("c_m_axi_mm2s_data_width", memory_bits), ("c_m_axi_s2mm_data_width", memory_bits),
                ("c_m_axis_mm2s_tdata_width", mm2s.dma_bits),
                ("c_s_axis_s2mm_tdata_width", s2mm.dma_bits),
                ("c_mm2s_burst_size", 16), ("c_s2mm_burst_size", 16)]}


def _control_slaves(board: Board) -> list[dict]:
    """The AXI-Lite slaves on the PS's control port, 64K apart from the DMA's address:
    the DMA, the frame size GPIO (two 16-bit output channels: frame_h, frame_w; written
    by the driver only while the accelerator is idle) and the status GPIO (one input
    channel: the accelerator's sticky status flags)."""
    gpio = "[ip_vlnv axi_gpio 2.0]"
    slaves = [
        {"cell": DMA_CELL, "port": "S_AXI_LITE", "vlnv": None},
        {"cell": FRAME_SIZE_IP, "port": "S_AXI", "vlnv": gpio, "properties": [
            ("C_IS_DUAL", 1), ("C_GPIO_WIDTH", FRAME_SIZE_BITS),
            ("C_GPIO2_WIDTH", FRAME_SIZE_BITS),
            ("C_ALL_OUTPUTS", 1), ("C_ALL_OUTPUTS_2", 1)]},
        {"cell": FRAME_STATUS_IP, "port": "S_AXI", "vlnv": gpio, "properties": [
            ("C_GPIO_WIDTH", len(STATUS_FLAGS)), ("C_ALL_INPUTS", 1)]},
    ]
    for index, slave in enumerate(slaves):
        slave["address"] = f"0x{board.ps.control_base + index * CONTROL_STRIDE:08X}"
    return slaves


# the accelerator's frame size and status pins on the GPIOs' pins
GPIO_NETS = ((f"{FRAME_SIZE_IP}/gpio_io_o", f"{ACCELERATOR_CELL}/frame_h"),
             (f"{FRAME_SIZE_IP}/gpio2_io_o", f"{ACCELERATOR_CELL}/frame_w"),
             (f"{ACCELERATOR_CELL}/status", f"{FRAME_STATUS_IP}/gpio_io_i"))


def _stream_links(streams: dict) -> list[tuple[str, str]]:
    """DMA MM2S -> [converter] -> in0_V, out0_V -> [converter] -> DMA S2MM."""
    ends = {"mm2s": (f"{DMA_CELL}/M_AXIS_MM2S", f"{ACCELERATOR_CELL}/in0_V"),
            "s2mm": (f"{ACCELERATOR_CELL}/out0_V", f"{DMA_CELL}/S_AXIS_S2MM")}
    links = []
    for channel, (source, sink) in ends.items():
        converter = streams[channel].converter
        if converter:
            links += [(source, f"{converter}/S_AXIS"), (f"{converter}/M_AXIS", sink)]
        else:
            links.append((source, sink))
    return links


def _converters(streams: dict) -> list[dict]:
    converters = []
    for stream in streams.values():
        if stream.converter:
            widths = (stream.dma_bits, stream.accelerator_bits)
            if stream.channel == "s2mm":
                widths = widths[::-1]
            converters.append({
                "name": stream.converter, "in_bytes": widths[0] // 8, "out_bytes": widths[1] // 8,
                "why": f"{stream.channel}: the DMA streams {stream.dma_bits} bits, the "
                       f"accelerator {stream.accelerator_bits}; bytes stay back to back"})
    return converters


def _block_design_data(board: Board, streams: dict, clock_mhz: float) -> dict:
    ps = board.ps
    converters = _converters(streams)
    ps_properties = [*ps.port_properties, (ps.memory_width_property, board.memory_bits),
                     (ps.clock_property, clock_mhz)]
    slaves = _control_slaves(board)
    masters = [f"M{index:02d}" for index in range(len(slaves))]
    gpios = [slave["cell"] for slave in slaves if slave["vlnv"]]
    clock_pins = [f"zynq_ps/{ps.control_clock}", f"zynq_ps/{ps.memory_clock}",
                  "proc_sys_reset_0/slowest_sync_clk", "axi_interconnect_0/ACLK",
                  "axi_interconnect_0/S00_ACLK",
                  *(f"axi_interconnect_0/{master}_ACLK" for master in masters),
                  "smartconnect_0/aclk", f"{DMA_CELL}/s_axi_lite_aclk",
                  f"{DMA_CELL}/m_axi_mm2s_aclk", f"{DMA_CELL}/m_axi_s2mm_aclk",
                  *(f"{gpio}/s_axi_aclk" for gpio in gpios),
                  f"{ACCELERATOR_CELL}/ap_clk", *(f"{c['name']}/aclk" for c in converters)]
    peripheral_reset_pins = ["axi_interconnect_0/S00_ARESETN",
                             *(f"axi_interconnect_0/{master}_ARESETN" for master in masters),
                             f"{DMA_CELL}/axi_resetn",
                             *(f"{gpio}/s_axi_aresetn" for gpio in gpios),
                             f"{ACCELERATOR_CELL}/ap_rst_n",
                             *(f"{c['name']}/aresetn" for c in converters)]
    return dict(board=board, ps=ps, pl_clock=ps.pl_clock, ps_properties=ps_properties,
                dma=_dma(board, streams), converters=converters, control_slaves=slaves,
                control_masters=masters, gpio_nets=GPIO_NETS,
                stream_links=_stream_links(streams), clock_pins=clock_pins,
                interconnect_reset_pins=["axi_interconnect_0/ARESETN", "smartconnect_0/aresetn"],
                peripheral_reset_pins=peripheral_reset_pins, accelerator=ACCELERATOR_CELL)


def _relative(paths, root: Path) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in paths]


def _write_tcl(out: Path, board: Board, clock_mhz: float, ip: IpCore, streams: dict,
               sources: list, model_hash: str):
    parameters = {"board": board.name, "part": board.part, "clock_mhz": clock_mhz,
                  "ip": ip.vlnv, "model_sha256": model_hash, "vivado": VIVADO_VERSION}
    common = dict(part=board.part, clock_mhz=clock_mhz, ip=ip, project=PROJECT,
                  bitstream=BITSTREAM, vivado_version=VIVADO_VERSION)
    mem_files = sorted((out / "rtl").glob("*.memh"))
    for name, data in (("package_ip.tcl", dict(sources=_relative(sources, out),
                                               mem_files=_relative(mem_files, out))),
                       ("block_design.tcl", _block_design_data(board, streams, clock_mhz)),
                       ("build_bitstream.tcl", {})):
        _render(f"{name}.j2", out / name, header=header(GENERATOR, name, parameters, "#"),
                **common, **data)


def _stream(model: ModelWrapper, channel: str, tensor: str, port) -> DmaStream:
    per_word = port.stream.per_word
    return DmaStream(channel, port.stream.tdata_bits, _frame_words(model, tensor, per_word),
                     model.get_tensor_shape(tensor)[-1], per_word)


def _streams(model: ModelWrapper, design: Design) -> dict:
    graph_in, graph_out = model.graph.input[0].name, model.graph.output[0].name
    return {"mm2s": _stream(model, "mm2s", graph_in, design.in_port),
            "s2mm": _stream(model, "s2mm", graph_out, design.out_port)}


def write_project(export_dir: Path, board: Board, clock_mhz: float, out: Path,
                  final: Path | None = None) -> dict:
    """Write the Vivado project of the export at ``export_dir`` (its dataflow model, for
    frames up to its max_width) into ``out``, for building at ``final`` (default
    ``out``). Returns the build info."""
    if clock_mhz <= 0:
        raise ValueError(f"clock must be positive, got {clock_mhz} MHz")
    out, final = Path(out).resolve(), Path(final or out).resolve()
    model_path = Path(export_dir) / DATAFLOW_FILE
    model, _, max_width = read_export(export_dir)
    rtl = out / "rtl"
    design = stitch(model, rtl, max_width=max_width)
    ip = IpCore(name=f"{design.name}_dma", top=f"{design.name}_dma")
    streams = _streams(model, design)
    sources = _copy_sources(design, rtl) + [_write_ip_top(design, streams, rtl, ip)]
    model_hash = model_sha256(model_path)
    _write_tcl(out, board, clock_mhz, ip, streams, sources, model_hash)
    relocate(rtl, out, final)
    _write_estimates(out / ESTIMATES, board, clock_mhz, design, streams)
    save_config(driver_config(model, design, clock_mhz, model_hash), out / DRIVER_CONFIG)
    info = _build_info(model_path, model_hash, board, clock_mhz, ip, streams, design, out)
    (out / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return info


def _build_info(model_path, model_hash, board, clock_mhz, ip, streams, design, out) -> dict:
    """What was generated, for what: the file list is every file written so far."""
    return {
        "generator": GENERATOR, "board": board.name, "part": board.part,
        "board_part": board.board_part, "ps": board.ps.type, "clock_mhz": clock_mhz,
        "vivado_version": VIVADO_VERSION, "model": str(Path(model_path).resolve()),
        "model_sha256": model_hash, "ip": ip.vlnv, "max_width": design.max_width,
        "control": {slave["cell"]: slave["address"] for slave in _control_slaves(board)},
        "dma": {"cell": DMA_CELL, "control_address": f"0x{board.ps.control_base:08X}",
                "memory_bits": board.memory_bits,
                **{channel: {"accelerator_bits": s.accelerator_bits, "dma_bits": s.dma_bits,
                             "frame_words": s.frame_words, "frame_bytes": s.frame_bytes,
                             "pixel_bytes": s.pixel_bytes,
                             "converter": s.converter} for channel, s in streams.items()}},
        "bitstream": f"{BITSTREAM}.bit", "hwh": f"{BITSTREAM}.hwh",
        "files": sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()),
    }


def _write_estimates(path: Path, board: Board, clock_mhz: float, design: Design, streams: dict):
    bottleneck = design.bottleneck
    fps = clock_mhz * 1e6 / bottleneck.exp_cycles
    port_bytes_per_s = board.memory_bits / 8 * clock_mhz * 1e6
    lines = [
        f"<!-- Generated by {GENERATOR}; board {board.name}, clock {clock_mhz} MHz -->",
        f"# Estimates: {board.name} ({board.part}) at {clock_mhz} MHz", "",
        "From the layers' cycle models, before synthesis; resources and timing come from",
        "Vivado's `reports/` after `build_bitstream.tcl`.", "",
        f"- bottleneck: {bottleneck.name}, {bottleneck.exp_cycles} cycles per frame",
        f"- throughput: {fps:,.1f} frames/s (steady state: one frame per bottleneck interval)",
        f"- memory port {board.ps.memory_port}: {board.memory_bits} bits, "
        f"{port_bytes_per_s / 1e6:,.0f} MB/s per direction", "",
        "| DMA channel | accelerator bits | DMA bits | words/frame | bytes/frame | MB/s needed |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {s.channel} | {s.accelerator_bits} | {s.dma_bits} | {s.frame_words} | "
              f"{s.frame_bytes} | {s.frame_bytes * fps / 1e6:,.2f} |" for s in streams.values()]
    lines += ["", "| layer | cycles per frame |", "|---|---|"]
    lines += [f"| {layer.name} | {layer.exp_cycles} |" for layer in design.layers]
    path.write_text("\n".join(lines) + "\n")


def write_through_staging(out: Path, write) -> Path:
    """Call ``write(staging, final)`` in a staging folder that replaces ``out`` once it
    succeeds (see ``hw.artifacts.staged_folder``); returns the final path."""
    final = Path(out).resolve()
    with staged_folder(final) as staging:
        write(staging, final)
    return final
