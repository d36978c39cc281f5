"""Fuzz campaign: random single-layer configurations, golden == FINN == RTL, cycles == model.

    python -m benchmarks.fuzz --n 1000 --seed 1 [--simulator icarus] [--minutes 60]
    make fuzz N=1000 SEED=1

Configuration i draws its layer kind round-robin over ``KINDS`` and everything else
(channels, folds SIMD/PE, bit widths, signedness, thresholds and ActVal, frame sizes,
padding, kernel, block size, FIFO depth, converter widths) and its data from the
generator seeded (seed, i), so any configuration replays alone with
``--seed S --start i --n 1``. Each configuration goes through ``sim.layer_cases``, the
builders of the RTL tests: the golden model's output must equal FINN's execution of its
model of the HW op exactly, then the RTL in cocotb (random idles, backpressure and
resets from the configuration's stimulus seed) must equal it exactly, with no extra
word, and a stall-free frame must take the cycles of the layer's cycle model.

Compile cost dominates: Icarus builds a layer in well under a second, Verilator in
tens of seconds, so the default runs every ``--verilator-every``-th round over the
kinds in Verilator (the first round included) and the rest in Icarus; the report
counts both. Results:
``benchmarks/results/fuzz.{md,json}`` (counts per kind and simulator, seed, date, machine).
"""
import argparse
import shutil
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from benchmarks.common import machine_info, machine_line, write_result
from hw.folding import divisors
from sim.layer_cases import (LayerCase, depth_to_space_case, duplicate_streams_case,
                             elementwise_add_case, fifo_case, fmpadding_case, int_mvau_case,
                             sliding_window_case, sliding_window_parallel_case,
                             stream_width_converter_case, thresholding_case, xnor_mvau_case)
from sim.runner import REPO_ROOT

BUILD_ROOT = REPO_ROOT / "sim_build" / "fuzz"
DEFAULT_VERILATOR_EVERY = 10


def _folded(rng, lanes=(1, 2, 3, 4), max_fold: int = 4) -> tuple[int, int]:
    """(total, lanes): lanes (SIMD or PE) dividing total, total = lanes * fold."""
    per_word = int(rng.choice(lanes))
    return per_word * int(rng.integers(1, max_fold + 1)), per_word


def _bits(rng, lo: int, hi: int) -> tuple[int, bool]:
    """A bit width in [lo, hi] and a signedness (signed needs 2 bits)."""
    bits = int(rng.integers(lo, hi + 1))
    return bits, bool(bits >= 2 and rng.random() < 0.5)


def _activation(rng, max_log2: int) -> tuple[int | None, int]:
    """Thresholds per channel (None: no activation, or 2**k - 1, or any count) and ActVal."""
    choice = rng.integers(0, 3)
    if choice == 0:
        return None, 0
    steps = (2 ** int(rng.integers(1, max_log2 + 1)) - 1 if choice == 1
             else int(rng.integers(1, 2 ** max_log2)))
    return steps, int(rng.choice([0, -1, -(steps + 1) // 2]))


def draw_xnor_mvau(rng, out_dir, name) -> LayerCase:
    mw, simd = _folded(rng, (1, 2, 3, 4, 8), 6)
    mh, pe = _folded(rng)
    steps, act_val = _activation(rng, 5)
    return xnor_mvau_case(rng, out_dir, name, mw, mh, simd, pe, steps, act_val,
                          vectors=int(rng.integers(1, 6)))


def draw_int_mvau(rng, out_dir, name) -> LayerCase:
    mw, simd = _folded(rng, (1, 2, 3, 4), 4)
    mh, pe = _folded(rng)
    in_bits, in_signed = _bits(rng, 1, 8)
    steps, act_val = _activation(rng, 8)
    return int_mvau_case(rng, out_dir, name, mw, mh, simd, pe, in_bits, in_signed,
                         int(rng.integers(2, 9)), steps, act_val,
                         vectors=int(rng.integers(2, 6)))


def draw_thresholding(rng, out_dir, name) -> LayerCase:
    channels, pe = _folded(rng)
    in_bits, in_signed = _bits(rng, 1, 10)
    steps, act_val = _activation(rng, 8)
    return thresholding_case(rng, out_dir, name, channels, pe, in_bits, in_signed, steps or 1,
                             bool(rng.random() < 0.3), act_val,
                             pixels=int(rng.integers(1, 9)))


def _image(rng, lo: int = 1, hi: int = 6) -> tuple[int, int]:
    return int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))


def draw_fmpadding(rng, out_dir, name) -> LayerCase:
    channels, simd = _folded(rng, max_fold=3)
    padding = tuple(int(p) for p in rng.integers(0, 3, size=4))
    return fmpadding_case(rng, *_image(rng), channels, simd, int(rng.integers(1, 9)), padding)


def draw_sliding_window(rng, out_dir, name) -> LayerCase:
    kernel = int(rng.integers(1, 4))
    channels, simd = _folded(rng, max_fold=3)
    return sliding_window_case(rng, *_image(rng, kernel, 7), channels, simd,
                               int(rng.integers(1, 5)), kernel)


def draw_sliding_window_parallel(rng, out_dir, name) -> LayerCase:
    kernel = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))  # also 1x5, 5x1
    in_h, in_w = int(rng.integers(kernel[0], 8)), int(rng.integers(kernel[1], 8))
    return sliding_window_parallel_case(rng, in_h, in_w, int(rng.integers(1, 5)),
                                        int(rng.integers(1, 9)), kernel,
                                        max_w=in_w + int(rng.integers(0, 3)))


def draw_depth_to_space(rng, out_dir, name) -> LayerCase:
    """Any SIMD dividing the input channels, any output width dividing channels * block
    (P whole HR pixels or part of one), built wider than the run-time width or not."""
    channels, block = int(rng.integers(1, 5)), int(rng.integers(2, 5))
    simd = int(rng.choice(divisors(channels * block * block)))
    out_simd = int(rng.choice(divisors(channels * block)))
    in_h, in_w = _image(rng, 1, 4)
    return depth_to_space_case(rng, in_h, in_w, channels, block, simd, out_simd,
                               int(rng.integers(1, 9)), max_w=in_w + int(rng.integers(0, 3)))


def draw_duplicate_streams(rng, out_dir, name) -> LayerCase:
    channels, pe = _folded(rng, max_fold=3)
    in_h, in_w = _image(rng, 1, 4)
    return duplicate_streams_case(rng, out_dir, int(rng.integers(2, 4)), channels, pe,
                                  int(rng.integers(1, 9)), in_h, in_w)


def draw_elementwise_add(rng, out_dir, name) -> LayerCase:
    channels, pe = _folded(rng, max_fold=3)
    in_h, in_w = _image(rng, 1, 4)
    return elementwise_add_case(rng, channels, pe, *_bits(rng, 1, 8), *_bits(rng, 1, 8),
                                in_h, in_w)


def draw_stream_width_converter(rng, out_dir, name) -> LayerCase:
    narrow, ratio = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    in_elems, out_elems = ((narrow, narrow * ratio) if rng.random() < 0.5
                           else (narrow * ratio, narrow))
    frame_shape = (*_image(rng, 1, 3), narrow * ratio * int(rng.integers(1, 3)))
    return stream_width_converter_case(rng, in_elems, out_elems, int(rng.integers(1, 10)),
                                       frame_shape)


def draw_fifo(rng, out_dir, name) -> LayerCase:
    return fifo_case(rng, int(rng.integers(1, 9)), int(rng.integers(1, 71)),
                     words=int(rng.integers(8, 41)))


KINDS = {
    "xnor_mvau": draw_xnor_mvau, "int_mvau": draw_int_mvau, "thresholding": draw_thresholding,
    "fmpadding": draw_fmpadding, "sliding_window": draw_sliding_window,
    "sliding_window_parallel": draw_sliding_window_parallel,
    "depth_to_space": draw_depth_to_space, "duplicate_streams": draw_duplicate_streams,
    "elementwise_add": draw_elementwise_add,
    "stream_width_converter": draw_stream_width_converter, "fifo": draw_fifo,
}


@dataclass
class Campaign:
    seed: int
    ran: Counter = field(default_factory=Counter)  # (kind, simulator) -> configurations run
    passed: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # {index, kind, simulator, error}

    @property
    def total(self) -> int:
        return sum(self.ran.values())


def run_config(seed: int, index: int, simulator: str) -> tuple[str, str | None]:
    """Draw and check configuration ``index``; returns (kind, None or the failure)."""
    kind = list(KINDS)[index % len(KINDS)]
    name = f"fuzz_{kind}_{index}"
    build_dir = BUILD_ROOT / name
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    rng = np.random.default_rng([seed, index])
    try:
        case = KINDS[kind](rng, build_dir, name)
        mismatched = case.finn_mismatches()
        if mismatched:
            return kind, f"golden != FINN execution on {', '.join(mismatched)}"
        case.run_rtl(build_dir, simulator, seed=int(rng.integers(2**32)))
    except Exception as error:  # noqa: BLE001  (a campaign reports every failure and goes on)
        # results name no folder of the measuring machine: paths relative to the repo
        return kind, "".join(traceback.format_exception_only(error)).strip().replace(
            f"{REPO_ROOT}/", "")
    shutil.rmtree(build_dir, ignore_errors=True)
    return kind, None


def run_campaign(n: int, seed: int, *, start: int = 0, simulator: str | None = None,
                 verilator_every: int = DEFAULT_VERILATOR_EVERY, minutes: float | None = None,
                 log=print) -> Campaign:
    """Configurations start .. start+n-1 (fewer when ``minutes`` run out). ``simulator``
    None runs every ``verilator_every``-th round over the kinds in Verilator (round 0
    first), the others in Icarus."""
    campaign = Campaign(seed)
    deadline = None if minutes is None else time.monotonic() + 60 * minutes
    for index in range(start, start + n):
        if deadline is not None and time.monotonic() > deadline:
            log(f"time budget of {minutes:g} min used: stopping after {campaign.total} configs")
            break
        # whole rounds over the kinds, so that every kind gets its share of Verilator
        in_verilator = (index // len(KINDS)) % verilator_every == 0
        sim = simulator or ("verilator" if in_verilator else "icarus")
        kind, failure = run_config(seed, index, sim)
        campaign.ran[kind, sim] += 1
        if failure is None:
            campaign.passed[kind, sim] += 1
        else:
            campaign.failures.append(dict(index=index, kind=kind, simulator=sim, error=failure))
            log(f"FAIL config {index} ({kind}, {sim}): {failure}")
        log(f"config {index} {kind} {sim}: {'PASS' if failure is None else 'FAIL'}")
    return campaign


def report(campaign: Campaign, args, elapsed: float, info: dict) -> tuple[str, dict]:
    kinds = {kind: {sim: {"ran": campaign.ran[kind, sim], "passed": campaign.passed[kind, sim]}
                    for sim in ("verilator", "icarus")} for kind in KINDS}
    passed = sum(campaign.passed.values())
    rate = campaign.total / (elapsed / 60)
    data = {"seed": campaign.seed, "requested": args.n, "start": args.start,
            "configurations": campaign.total, "passed": passed, "failed": len(campaign.failures),
            "seconds": round(elapsed, 1), "configs_per_minute": round(rate, 2),
            "per_kind": kinds, "failures": campaign.failures, "machine": info}
    rows = "\n".join(
        f"| {kind} | {sum(v['ran'] for v in sims.values())} | "
        f"{sum(v['passed'] for v in sims.values())} | "
        f"{sims['verilator']['passed']}/{sims['verilator']['ran']} | "
        f"{sims['icarus']['passed']}/{sims['icarus']['ran']} |"
        for kind, sims in kinds.items())
    failures = "".join(f"- config {f['index']} ({f['kind']}, {f['simulator']}): {f['error']}\n"
                       for f in campaign.failures) or "none\n"
    md = f"""# Fuzz campaign: golden == FINN == RTL, cycles == model

`python -m benchmarks.fuzz --n {args.n} --seed {campaign.seed} --start {args.start}`
({'every configuration in ' + args.simulator if args.simulator else
  f'every {args.verilator_every}th round over the kinds in Verilator, the others in Icarus'}).

{machine_line(info)}

**{passed} of {campaign.total} configurations passed** ({len(campaign.failures)} failed) of
{args.n} requested, in {elapsed / 60:.1f} min ({rate:.1f} configurations/min). Each is one
random layer configuration with random data: golden model == FINN's Python execution of
the HW op, exactly; RTL in cocotb == golden, exactly, under random idles, backpressure and
resets, with no extra output word; stall-free frame cycles == the layer's cycle model.

| kind | configurations | passed | Verilator passed/ran | Icarus passed/ran |
|---|---|---|---|---|
{rows}

Failures (replay one with `--seed {campaign.seed} --start <config> --n 1`):
{failures}"""
    return md, data


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="configurations to draw")
    parser.add_argument("--seed", type=int, default=1, help="campaign seed")
    parser.add_argument("--start", type=int, default=0, help="index of the first configuration")
    parser.add_argument("--simulator", choices=("verilator", "icarus"), default=None,
                        help="one simulator for all (default: mixed, see --verilator-every)")
    parser.add_argument("--verilator-every", type=int, default=DEFAULT_VERILATOR_EVERY)
    parser.add_argument("--minutes", type=float, default=None,
                        help="stop drawing configurations after this time")
    parser.add_argument("--name", default="fuzz", help="result file name in benchmarks/results")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.n < 1 or args.verilator_every < 1:
        print("error: --n and --verilator-every must be >= 1", file=sys.stderr)
        return 2
    start = time.monotonic()
    campaign = run_campaign(args.n, args.seed, start=args.start, simulator=args.simulator,
                            verilator_every=args.verilator_every, minutes=args.minutes)
    md, data = report(campaign, args, time.monotonic() - start, machine_info())
    print(md)
    print(f"written: {write_result(args.name, md, data)}")
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(main())
