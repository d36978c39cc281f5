"""The co-design search's pruned 16/24/32-channel points, costed again with resType (trial 6,
24 channels and 2 blocks at 150 MHz, is the recipe configs/pynq_z2_1080p60_x2.yaml).

    python -m benchmarks.codesign_res_type            (an export per point and setting)
    python -m benchmarks.codesign_res_type --render   (table from the committed JSON)

``benchmarks/results/codesign.md`` pruned every point of 16 or more channels for its
DSP48E1s: every integer MAC (head, tail, bicubic skip) took one. Here each such point's
hardware is evaluated as the search does, without training (``codesign.point.hardware``:
the untrained model exported at the target frame and folded for the target at the
point's clock, resources from ``hw.cost_model``), once with every integer product in a
DSP (no DSP budget, as before) and once with ``hw.res_type.SetResType`` for the device's
DSP budget (80% of the xc7z020's). Writes ``results/codesign_res_type.md/.json``.
"""
import argparse
import tempfile
from pathlib import Path

from benchmarks.common import add_render_flag, committed, machine_info, machine_line, publish
from codesign import point
from codesign.space import load_space

SPACE = Path("configs/codesign/pynq_z2_x2.yaml")
# pruned trials of benchmarks/results/codesign.md: (trial, channels, blocks,
# convs_per_block, weight_bits, clock_mhz)
POINTS = [(18, 16, 1, 1, 6, 200), (4, 16, 2, 1, 6, 100), (6, 24, 2, 1, 6, 150),
          (5, 24, 2, 1, 8, 200), (14, 32, 1, 2, 6, 200), (1, 32, 1, 1, 6, 100)]
SETTINGS = {"every product in a DSP": False, "SetResType for the DSP budget": True}


def measure() -> list[dict]:
    space = load_space(SPACE)
    rows = []
    for trial, channels, blocks, convs, weight_bits, clock in POINTS:
        params = {"channels": channels, "blocks": blocks, "convs_per_block": convs,
                  "weight_bits": weight_bits, "clock_mhz": clock}
        for setting, budget in SETTINGS.items():
            with tempfile.TemporaryDirectory(prefix="codesign_res_type_") as work:
                hw = point.hardware(point.untrained_model(space, params), space.target, clock,
                                    Path(work), dsp_budget=budget)
            styles = {layer["name"]: layer["kind"] for layer in hw["layers"]
                      if "integer MVAU" in layer["kind"]}
            rows.append({"trial": trial, **params, "setting": setting,
                         "resources": hw["resources"], "fps": hw["fps"],
                         "infeasible": point.infeasibility(hw, space.target),
                         "integer_mvaus": styles})
            print(rows[-1], flush=True)
    return rows


def markdown(rows, info) -> str:
    lines = [
        "# Co-design points of 16-32 channels with integer products in LUTs", "",
        f"Measured {machine_line(info)}; space `{SPACE}` (960x540 LR at 60 frames/s within "
        "80% of the xc7z020: LUT 42,560, FF 85,120, BRAM18 224, DSP48E1 176).", "",
        "Untrained models, as the search costs a point before training "
        "(`codesign.point.hardware`): resources are `hw/cost_model.py` estimates, not "
        "synthesis. Settings: every integer product in a DSP48E1 (the search before "
        "resType), and `hw.res_type.SetResType` for the DSP budget (DSPs where one saves "
        "the most LUTs, LUT shift-adds or constant signed digits for the rest).", "",
        "| trial | channels | blocks | convs | weight bits | MHz | setting | LUT | FF | BRAM18 "
        "| DSP | frames/s | integer MVAUs in LUTs | feasible |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        res = r["resources"]
        in_luts = ", ".join(f"{name} ({kind.split('(')[1][:-1]})"
                            for name, kind in r["integer_mvaus"].items() if "(" in kind) or "-"
        lines.append(
            f"| {r['trial']} | {r['channels']} | {r['blocks']} | {r['convs_per_block']} | "
            f"{r['weight_bits']} | {r['clock_mhz']} | {r['setting']} | {res['LUT']:,} | "
            f"{res['FF']:,} | {res['BRAM18']} | {res['DSP48E1']} | {r['fps']:.1f} | {in_luts} | "
            f"{'yes' if r['infeasible'] is None else 'no: ' + r['infeasible']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_render_flag(parser)
    args = parser.parse_args(argv)
    data = (committed("codesign_res_type") if args.render
            else {"machine": machine_info(), "rows": measure()})
    publish("codesign_res_type", data, lambda d: markdown(d["rows"], d["machine"]))


if __name__ == "__main__":
    main()
