"""The PYNQ boards a bitstream can be built for: part, processing system, ports, clock.

Board names, parts and memory port widths are FINN's (``finn.util.basic.pynq_part_map``,
``pynq_native_port_width``), board parts those of FINN's Zynq shell
(``finn/transformation/fpgadataflow/templates.py``). IP versions are those of
Vivado 2022.2; the block design falls back to the installed version of an IP.
"""
from dataclasses import dataclass

from finn.util.basic import pynq_native_port_width, pynq_part_map

from train.cli import UserError


@dataclass(frozen=True)
class ProcessingSystem:
    """One Zynq family's PS IP and the ports the overlay uses."""

    type: str  # FINN's ZYNQ_TYPE
    ip: str
    ip_version: str
    automation: str  # apply_bd_automation -config: board preset, external DDR/MIO
    control_port: str  # PS master driving the DMA's AXI-Lite registers
    control_clock: str
    memory_port: str  # AXI HP slave the DMA reads and writes DDR through
    memory_clock: str
    pl_clock: str
    pl_reset: str
    clock_property: str  # PL clock frequency in MHz
    port_properties: tuple  # (property, value): enable the two ports, disable the rest
    memory_width_property: str
    control_base: int  # DMA register address: the PS master's PL aperture
    address_bits: int  # DMA address width: all of DDR must be reachable


ZYNQ_7000 = ProcessingSystem(
    type="zynq_7000", ip="processing_system7", ip_version="5.5",
    automation='make_external "FIXED_IO, DDR" apply_board_preset "1" '
               'Master "Disable" Slave "Disable"',
    control_port="M_AXI_GP0", control_clock="M_AXI_GP0_ACLK",
    memory_port="S_AXI_HP0", memory_clock="S_AXI_HP0_ACLK",
    pl_clock="FCLK_CLK0", pl_reset="FCLK_RESET0_N",
    clock_property="PCW_FPGA0_PERIPHERAL_FREQMHZ",
    port_properties=(("PCW_USE_M_AXI_GP0", 1), ("PCW_USE_S_AXI_HP0", 1)),
    memory_width_property="PCW_S_AXI_HP0_DATA_WIDTH",
    control_base=0x4040_0000,  # where PYNQ's base overlays put axi_dma_0
    address_bits=32,
)

ZYNQ_ULTRASCALE = ProcessingSystem(
    type="zynq_us+", ip="zynq_ultra_ps_e", ip_version="3.4",
    automation='apply_board_preset "1"',
    control_port="M_AXI_HPM0_FPD", control_clock="maxihpm0_fpd_aclk",
    memory_port="S_AXI_HP0_FPD", memory_clock="saxihp0_fpd_aclk",
    pl_clock="pl_clk0", pl_reset="pl_resetn0",
    clock_property="PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
    port_properties=(("PSU__USE__M_AXI_GP0", 1), ("PSU__USE__M_AXI_GP1", 0),
                     ("PSU__USE__M_AXI_GP2", 0), ("PSU__USE__S_AXI_GP2", 1),
                     ("PSU__OVERRIDE__BASIC_CLOCK", 0)),
    memory_width_property="PSU__SAXIGP2__DATA_WIDTH",
    control_base=0xA000_0000,
    address_bits=64,  # DDR above 4 GiB on boards with more memory
)


@dataclass(frozen=True)
class Board:
    name: str
    board_part: str
    ps: ProcessingSystem
    default_clock_mhz: float = 100.0  # FINN's default synth_clk_period_ns = 10

    @property
    def part(self) -> str:
        return pynq_part_map[self.name]

    @property
    def memory_bits(self) -> int:
        """Data width of the HP port, the DMA's memory-mapped side."""
        return pynq_native_port_width[self.name]


BOARDS = {board.name: board for board in (
    Board("Pynq-Z1", "www.digilentinc.com:pynq-z1:part0:1.0", ZYNQ_7000),
    Board("Pynq-Z2", "tul.com.tw:pynq-z2:part0:1.0", ZYNQ_7000),
    Board("Ultra96-V2", "avnet.com:ultra96v2:part0:1.2", ZYNQ_ULTRASCALE),
    Board("ZCU104", "xilinx.com:zcu104:part0:1.1", ZYNQ_ULTRASCALE),
    Board("KV260_SOM", "xilinx.com:kv260_som:part0:1.3", ZYNQ_ULTRASCALE),
)}


def board(name: str) -> Board:
    """The board called ``name``; UserError listing the known boards otherwise."""
    try:
        return BOARDS[name]
    except KeyError:
        raise UserError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None
