"""Resource cost model of a stitched accelerator: LUT (LUTRAM included), FF, BRAM18, DSP
per layer instance, without synthesis. An estimate, not an exact path.

yosys on a fully unfolded layer can take longer than a design-space search can wait
(over 17 minutes for one MVAU), so each layer kind gets a linear model in the few
quantities its RTL pays for (lanes, accumulator and threshold bits, buffer bits,
stream width), fitted with non-negative least squares to yosys ``synth_xilinx``
results (``hw/area.py``) on real layer instances. The samples are committed in
``cost_model_calibration.json`` and the fit is made when the model is loaded, so the
coefficients always follow the samples; ``python -m codesign.calibrate`` measures them
again (tens of minutes of yosys) and ``python -m hw.cost_model`` prints each kind's error.
"""
import json
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from scipy.optimize import nnls

from hw import mvau, sliding_window
from hw.graph import topological_nodes
from hw.res_type import dsp_count, packs_pairs_of

CALIBRATION_FILE = Path(__file__).resolve().parent / "cost_model_calibration.json"
# what a point pays: LUT counts logic and LUTRAM (both occupy LUTs), as the area report
RESOURCES = ("LUT", "FF", "BRAM18", "DSP48E1")
PARALLEL_WINDOW = "ConvolutionInputGenerator (parallel window)"


def _thresholds(model, node, index):
    """Thresholds per channel of ``node`` (its input ``index``), 0 without."""
    init = model.get_initializer(node.input[index]) if len(node.input) > index else None
    return 0 if init is None else init.shape[1]


def _mvau_features(inst, node, model):
    """Binary MVAUs and integer ones with DSP or LUT shift-add products: per lane the
    product's bits (a DSP's LUT glue or the shift-add tree's adders)."""
    op = getCustomOp(node)
    simd, pe, mw, mh = (op.get_nodeattr(k) for k in ("SIMD", "PE", "MW", "MH"))
    binary = bool(op.get_nodeattr("binaryXnorMode"))
    in_bits = 1 if binary else op.get_input_datatype().bitwidth()
    w_bits = 1 if binary else DataType[op.get_nodeattr("weightDataType")].bitwidth()
    acc_bits = DataType[op.get_nodeattr("accDataType")].bitwidth()
    return {"lanes": simd * pe, "lane_bits": simd * pe * in_bits * w_bits,
            "pe_acc_bits": pe * acc_bits,
            "threshold_bits": mh * _thresholds(model, node, 2) * acc_bits,
            "weight_bits": mw * mh * w_bits}


def _dsp_mvau_features(inst, node, model):
    """Integer MVAUs with DSP products: ``multipliers``, the DSP48E1s as the RTL builds
    them (``dsp_count``: two products of one input per DSP where it packs
    pairs). A paired DSP's two products leave it apart, so the first adders after them,
    which yosys puts in a single product's DSP post-adder, are in LUTs: ``paired_bits``,
    the paired products' bits (benchmarks/results/dsp_pack.md)."""
    op = getCustomOp(node)
    products = op.get_nodeattr("SIMD") * op.get_nodeattr("PE")
    weights = model.get_initializer(node.input[1]).astype(np.int64)
    product_bits = op.get_input_datatype().bitwidth() + mvau.int_weight_bits(weights)
    return {**_mvau_features(inst, node, model), "multipliers": dsp_count(node, model),
            "paired_bits": products * product_bits if packs_pairs_of(node, model) else 0}


def _constant_mvau_features(inst, node, model):
    """Constant weights (``hw.mvau`` constant style): the lanes' adder trees over the
    weights' signed digits, each term an accumulator wide, and the thresholds."""
    op = getCustomOp(node)
    mh = op.get_nodeattr("MH")
    acc_bits = DataType[op.get_nodeattr("accDataType")].bitwidth()
    weights = model.get_initializer(node.input[1]).astype(np.int64)
    digits = sum(len(mvau.csd_digits(w)) for w in weights.flat)
    return {"digit_bits": digits * acc_bits, "pe_acc_bits": mh * acc_bits,
            "threshold_bits": mh * _thresholds(model, node, 2) * acc_bits}


def _thresholding_features(inst, node, model):
    op = getCustomOp(node)
    bits, pe = op.get_input_datatype().bitwidth(), op.get_nodeattr("PE")
    thresholds = _thresholds(model, node, 1)
    # binary search: one comparator of ``bits`` per stage and lane
    return {"lane_bits": pe * bits, "compare_bits": pe * bits * thresholds.bit_length(),
            "threshold_bits": op.get_nodeattr("NumChannels") * thresholds * bits}


def _window_features(inst, node, model):
    p = inst.parameters
    return {"lane_bits": p["SIMD"] * p["ELEM_BITS"],
            "buffer_bits": p["KERNEL"] * p["MAX_W"] * p["CHANNELS"] * p["ELEM_BITS"]}


def _parallel_window_features(inst, node, model):
    """One whole KH x KW window register per cycle, (KH-1) rows of MAX_W pixels buffered."""
    p = inst.parameters
    pixel_bits = p["CHANNELS"] * p["ELEM_BITS"]
    return {"lane_bits": p["KH"] * p["KW"] * pixel_bits,
            "buffer_bits": (p["KH"] - 1) * p["MAX_W"] * pixel_bits}


def _depth_to_space_features(inst, node, model):
    p = inst.parameters
    row_bits = p["MAX_W"] * p["CHANNELS"] * p["BLOCK"] ** 2 * p["ELEM_BITS"]
    return {"lane_bits": p["SIMD"] * p["ELEM_BITS"], "buffer_bits": 2 * row_bits}


def _stream_features(inst, node, model):
    """Layers whose cost is their stream width: padding, adds, duplicators."""
    return {"lane_bits": sum(port.stream.data_bits for port in inst.inputs + inst.outputs)}


def _fifo_features(inst, node, model):
    p = inst.parameters
    return {"width": p["WIDTH"], "buffer_bits": p["DEPTH"] * p["WIDTH"]}


def _dwc_features(inst, node, model):
    """A narrowing converter multiplexes its input word, a widening one only registers."""
    p = inst.parameters
    in_bits, out_bits = p["IN_ELEMS"] * p["ELEM_BITS"], p["OUT_ELEMS"] * p["ELEM_BITS"]
    return {"in_bits": in_bits, "out_bits": out_bits,
            "mux_bits": in_bits if in_bits > out_bits else 0}


FEATURES = {
    "binary MVAU": _mvau_features,
    mvau.INT_KINDS["dsp"]: _dsp_mvau_features,
    mvau.INT_KINDS["lut"]: _mvau_features,
    mvau.INT_KINDS["constant"]: _constant_mvau_features,
    "Thresholding": _thresholding_features,
    "ConvolutionInputGenerator": _window_features,
    PARALLEL_WINDOW: _parallel_window_features,
    "DepthToSpace": _depth_to_space_features,
    "FMPadding": _stream_features,
    "ElementwiseAdd": _stream_features,
    "DuplicateStreams": _stream_features,
    "FIFO": _fifo_features,
    "DWC": _dwc_features,
}


def int_mvau_estimate(node, model, res_type: str) -> dict:
    """Resources of integer MVAU ``node`` (folded) of ``model`` if its resType were
    ``res_type``."""
    op = getCustomOp(node)
    style = mvau.product_style(res_type, *(op.get_nodeattr(k) for k in ("SIMD", "PE", "MW", "MH")))
    kind = mvau.INT_KINDS[style]
    return load_models()[kind].estimate({"one": 1, **FEATURES[kind](None, node, model)})


def model_kind(inst) -> str:
    """The cost model's kind of an instance: its layer kind, the parallel window apart."""
    return PARALLEL_WINDOW if inst.module == sliding_window.PARALLEL_MODULE else inst.kind


def instance_features(inst, nodes: dict, model) -> dict:
    """The quantities ``inst`` pays for, with a constant term ``one``."""
    return {"one": 1, **FEATURES[model_kind(inst)](inst, nodes.get(inst.name), model)}


def _columns(samples):
    return sorted({key for s in samples for key in s["features"]})


@dataclass
class KindModel:
    """Non-negative linear model of one layer kind: resource -> {feature: coefficient}."""

    coefficients: dict
    samples: int

    def estimate(self, features: dict) -> dict:
        return {res: max(0, round(sum(c * features.get(f, 0) for f, c in coef.items())))
                for res, coef in self.coefficients.items()}


def fit_kind(samples) -> KindModel:
    names = _columns(samples)
    a = np.array([[s["features"].get(n, 0) for n in names] for s in samples], dtype=float)
    scale = np.maximum(a.max(axis=0), 1)  # nnls on comparable columns
    coefficients = {}
    for res in RESOURCES:
        b = np.array([_resource(s["area"], res) for s in samples], dtype=float)
        x, _ = nnls(a / scale, b)
        coefficients[res] = {n: float(v / s) for n, v, s in zip(names, x, scale) if v}
    return KindModel(coefficients, len(samples))


def _resource(area: dict, res: str) -> int:
    return area["LUT"] + area["LUTRAM"] if res == "LUT" else area[res]


@cache
def load_models(path=CALIBRATION_FILE) -> dict:
    """Layer kind -> KindModel, fitted on the committed calibration samples."""
    samples = json.loads(Path(path).read_text())["samples"]
    kinds = {}
    for s in samples:
        kinds.setdefault(s["kind"], []).append(s)
    return {kind: fit_kind(group) for kind, group in kinds.items()}


def estimate_design(model, design) -> dict:
    """``{"layers": [{name, kind, LUT, FF, BRAM18, DSP48E1}], "totals": {...}}`` of a
    stitched design (``hw.stitch.stitch``) of ``model``."""
    models = load_models()
    nodes = {node.name: node for node in topological_nodes(model.graph)}
    rows = []
    for inst in design.instances:
        kind = model_kind(inst)
        if kind not in models:
            raise KeyError(f"{inst.name}: the cost model has no calibration for {kind}")
        rows.append({"name": inst.name, "kind": kind,
                     **models[kind].estimate(instance_features(inst, nodes, model))})
    return {"layers": rows, "totals": {res: sum(r[res] for r in rows) for res in RESOURCES}}


def relative_errors(samples, models=None) -> dict:
    """Kind -> resource -> (mean |estimate - yosys| / max(yosys, 1), worst, and
    sum |estimate - yosys| / sum yosys: the error on a design of these layers) of the
    fit on its own samples."""
    models = models or load_models()
    pairs = {}
    for s in samples:
        est = models[s["kind"]].estimate(s["features"])
        for res in RESOURCES:
            pairs.setdefault(s["kind"], {}).setdefault(res, []).append(
                (est[res], _resource(s["area"], res)))
    return {kind: {res: (float(np.mean([abs(e - t) / max(t, 1) for e, t in v])),
                         float(np.max([abs(e - t) / max(t, 1) for e, t in v])),
                         sum(abs(e - t) for e, t in v) / max(sum(t for _, t in v), 1))
                   for res, v in by_res.items()}
            for kind, by_res in pairs.items()}


# --- calibration: yosys on real layer instances ------------------------------------------
def candidates(model, design, skip=lambda inst, nodes: False) -> dict:
    """(kind, features) -> instance: the distinct layer instances of ``design`` (of
    ``model``) that ``skip`` leaves in."""
    nodes = {node.name: node for node in topological_nodes(model.graph)}
    found = {}
    for inst in design.instances:
        if not skip(inst, nodes):
            features = instance_features(inst, nodes, model)
            found.setdefault((model_kind(inst), tuple(sorted(features.items()))), inst)
    return found


def spread(found: dict, per_kind: int) -> dict:
    """At most ``per_kind`` instances of each kind, evenly spaced in size (the sum of
    their features), smallest and largest included."""
    chosen = {}
    for kind in {k for k, _ in found}:
        keys = sorted((key for key in found if key[0] == kind),
                      key=lambda key: sum(v for _, v in key[1]))
        picks = {round(i * (len(keys) - 1) / max(per_kind - 1, 1))
                 for i in range(min(per_kind, len(keys)))}
        chosen.update((keys[i], found[keys[i]]) for i in sorted(picks))
    return chosen


# integer MVAUs with LUT products above these lanes take minutes of yosys each
MAX_LANES_IN_LUTS = {mvau.INT_KINDS["lut"]: 64, mvau.INT_KINDS["constant"]: 128}


def _mvau_lanes_above(max_lanes):
    def skip(inst, nodes):
        if "MVAU" not in inst.kind:
            return False
        op = getCustomOp(nodes[inst.name])
        lanes = op.get_nodeattr("SIMD") * op.get_nodeattr("PE")
        return lanes > min(max_lanes, MAX_LANES_IN_LUTS.get(inst.kind, max_lanes))
    return skip


RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
POPCOUNT_RESULT = RESULTS / "popcount.json"
DSP_PACK_RESULT = RESULTS / "dsp_pack.json"


def popcount_samples(path=POPCOUNT_RESULT) -> list:
    """The binary MVAUs (MW 288, MH 32, one threshold per channel) that
    ``benchmarks/popcount.py`` synthesized with yosys, up to SIMD 288 x PE 8: the large
    folds a calibration run cannot wait for. Accumulator: FINN's width for MW 288, 9 bits."""
    result = json.loads(Path(path).read_text())
    mw, mh, acc_bits = result["mw"], result["mh"], 9
    return [{"kind": "binary MVAU", "source": "benchmarks/results/popcount.json",
             "features": {"one": 1, "lanes": r["simd"] * r["pe"],
                          "lane_bits": r["simd"] * r["pe"], "pe_acc_bits": r["pe"] * acc_bits,
                          "threshold_bits": mh * acc_bits, "weight_bits": mw * mh},
             "area": {k: r["tree"][k] for k in ("LUT", "LUTRAM", "FF", "BRAM18", "DSP48E1")}}
            for r in result["rows"]]


def dsp_pack_samples(path=DSP_PACK_RESULT) -> list:
    """The int8 x int8 MVAUs (MW 72, MH 4, no thresholds) that ``benchmarks/dsp_pack.py``
    synthesized with yosys with products paired and single, up to SIMD 72 x PE 4: the
    paired layers measured side by side with the same layer a DSP per product. The
    accumulator: the generator's width for the benchmark's weights, 21 bits."""
    result = json.loads(Path(path).read_text())
    (mw, mh), io_bits, acc_bits = result["int_mvau"], 8, 21
    samples = []
    for r in result["rows"]:
        simd, pe = map(int, r["fold"].split(" x "))
        products, paired = simd * pe, r["products"] == "paired"
        samples.append({
            "kind": mvau.INT_KINDS["dsp"], "source": "benchmarks/results/dsp_pack.json",
            "features": {"one": 1, "lanes": products, "lane_bits": products * io_bits ** 2,
                         "pe_acc_bits": pe * acc_bits, "threshold_bits": 0,
                         "weight_bits": mw * mh * io_bits,
                         "multipliers": products // 2 if paired else products,
                         "paired_bits": products * 2 * io_bits if paired else 0},
            "area": {k: r[k] for k in ("LUT", "LUTRAM", "FF", "BRAM18", "DSP48E1")}})
    return samples


# yosys results of benchmarks that synthesized layers a calibration run cannot wait for
BENCHMARK_SAMPLES = {"binary MVAU": popcount_samples, mvau.INT_KINDS["dsp"]: dsp_pack_samples}


def calibrate(graphs, out=CALIBRATION_FILE, max_lanes=1200, per_kind=6, jobs=2,
              kinds=None) -> list:
    """Measure up to ``per_kind`` layer instances per kind (of ``kinds``, default all)
    of ``graphs`` (dataflow models) with yosys and write the samples to ``out`` (given
    ``kinds``, the samples of the other kinds already there are kept); MVAUs above
    ``max_lanes`` SIMD*PE (``MAX_LANES_IN_LUTS`` with LUT products) are left out (their
    synthesis takes too long)."""
    from concurrent.futures import ThreadPoolExecutor

    from hw.area import synth_area
    from hw.stitch import stitch

    with tempfile.TemporaryDirectory(prefix="cost_model_") as work:
        found = {}
        for index, model in enumerate(graphs):
            design = stitch(model, Path(work) / str(index))
            found.update({key: inst for key, inst in
                          candidates(model, design, _mvau_lanes_above(max_lanes)).items()
                          if key not in found and (kinds is None or key[0] in kinds)})
        chosen = spread(found, per_kind)

        def measure(item):
            (kind, features), inst = item
            area = synth_area(inst.sources, inst.module, inst.parameters)
            print(f"  {kind:26s} {dict(features)} -> LUT {area['LUT'] + area['LUTRAM']} "
                  f"FF {area['FF']} BRAM18 {area['BRAM18']} DSP {area['DSP48E1']}", flush=True)
            return {"kind": kind, "features": dict(features), "area": area}

        with ThreadPoolExecutor(jobs) as pool:
            samples = list(pool.map(measure, chosen.items()))
    for kind, benchmark_samples in BENCHMARK_SAMPLES.items():
        if kinds is None or kind in kinds:
            samples += benchmark_samples()
    if kinds is not None and Path(out).is_file():
        samples = [s for s in json.loads(Path(out).read_text())["samples"]
                   if s["kind"] not in kinds] + samples
    Path(out).write_text(json.dumps({"samples": samples}, indent=1) + "\n")
    load_models.cache_clear()
    return samples


def error_table(samples) -> str:
    """Markdown: per kind and resource, the fit's error on its calibration samples."""
    errors = relative_errors(samples, {k: fit_kind([s for s in samples if s["kind"] == k])
                                       for k in {s["kind"] for s in samples}})
    lines = ["| kind | samples | " + " | ".join(f"{r} mean / worst / summed" for r in RESOURCES)
             + " |", "|---|---|" + "---|" * len(RESOURCES)]
    for kind, by_res in sorted(errors.items()):
        count = sum(s["kind"] == kind for s in samples)
        lines.append(f"| {kind} | {count} | " + " | ".join(
            "{:.0%} / {:.0%} / {:.0%}".format(*by_res[r]) for r in RESOURCES) + " |")
    return "\n".join(lines)


def main(argv=None):
    """Print the committed calibration's error per kind (``python -m codesign.calibrate``
    measures it again)."""
    del argv
    print(error_table(json.loads(CALIBRATION_FILE.read_text())["samples"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
