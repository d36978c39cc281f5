"""Structure of the XNOR-popcount compressor tree (``hw/rtl/xnor_popcount.sv``): column
heights per level, levels, pipeline latency. The RTL computes the same heights at
elaboration; its layer test checks the latency modelled here."""
from hw.folding import RTL_DIR

MODULE = "xnor_popcount"
SOURCES = (RTL_DIR / "xnor_popcount.sv",)
# Counter levels between pipeline registers used by the binary MVAU: LUT levels per stage.
LEVELS_PER_REG = 2


def first_group(rom_bits: int | None) -> int:
    """Lanes per level-0 counter (the RTL's FIRST_GROUP, as ``mvau.sv`` sets it): 3 lanes
    of registered (x, w) fill a LUT6; a lane whose weight is read from a ROM of
    ``rom_bits`` address bits in the same cycle takes 1 input besides the shared address."""
    if rom_bits is None or rom_bits == 2:
        return 3
    return 6 - rom_bits


def rom_in_tree_bits(words: int) -> int | None:
    """Address bits of a binary MVAU's weight ROM of ``words`` words when ``mvau.sv`` reads it
    inside the popcount tree (at most 32 words), else None."""
    bits = (words - 1).bit_length()
    return bits if bits <= 5 else None


def _last_size(h: int, g: int) -> int:
    """Size of the partial counter of a column of h bits (0: none): 4 leftovers count as 3 + 1."""
    rest = h % g
    return 3 if rest == 4 else (rest if rest >= 3 else 0)


def _next_heights(heights: list[int], g: int) -> list[int]:
    """Column heights after one level: own bit 0s and passed bits, bit 1s of column j-1, bit 2s
    of column j-2 (bits above the count's width are always 0 and dropped)."""
    def counters(h):  # groups below 3 bits count nothing: their bits pass
        return 0 if g < 3 else h // g + (_last_size(h, g) > 0)

    def passed(h):
        return h if g < 3 else h % g - _last_size(h, g)

    def tops(h):
        return 0 if g < 4 else h // g + (_last_size(h, g) >= 4)

    col = [0, 0, *heights]  # col[j + 2] is column j
    return [counters(col[j + 2]) + passed(col[j + 2]) + counters(col[j + 1]) + tops(col[j])
            for j in range(len(heights))]


def tree_heights(n: int, group0: int = 3) -> list[list[int]]:
    """Column heights at the input of every level and after the last one (at most 2 each),
    ``group0`` lanes per level-0 counter."""
    heights = [[n] + [0] * (n.bit_length() - 1)]
    heights.append(_next_heights(heights[0], group0))
    while max(heights[-1]) > 2:
        heights.append(_next_heights(heights[-1], 6))
    return heights


def tree_levels(n: int, group0: int = 3) -> int:
    """Counter levels of an n-lane tree (level 0, the XNORs, included)."""
    return len(tree_heights(n, group0)) - 1


def latency(n: int, levels_per_reg: int = LEVELS_PER_REG, group0: int = 3) -> int:
    """Pipeline registers between the inputs and the count (0 with levels_per_reg 0)."""
    return tree_levels(n, group0) // levels_per_reg if levels_per_reg else 0
