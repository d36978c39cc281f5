"""The export of a short training run, made once and shared, as the notebooks use it;
and a picture of a dataflow graph.

``exported(config)`` returns ``exports/<run name>``, exporting the run's best
checkpoint first (and training it, ``train.quick_run.trained``) unless a complete,
verified export of that checkpoint for the same frame and folding target is there.
"""
import collections
import json
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
from qonnx.core.modelwrapper import ModelWrapper

from export.__main__ import VERIFICATION_FILE, finisher
from export.build import ExportConfig, export_model
from hw.artifacts import CONFIG_FILE, DATAFLOW_FILE
from train.checkpoint import load_model
from train.data.datasets import real_frame
from train.quick_run import NOTEBOOK_CONFIG, REPO_ROOT, save_figure, trained

NOTEBOOK_FRAME = (16, 16)  # LR pixels per accelerator frame: short co-simulations
NOTEBOOK_TARGET_FPS = 20000.0


def exported(config_path=NOTEBOOK_CONFIG, frame=NOTEBOOK_FRAME,
             target_fps=NOTEBOOK_TARGET_FPS, log=print) -> Path:
    """The export folder of the run of ``config_path`` (trained first if needed)."""
    run_folder = trained(config_path)
    checkpoint = run_folder / "best.pth"
    out = REPO_ROOT / "exports" / run_folder.name
    if not is_current(out, checkpoint, frame, target_fps):
        torch_model = load_model(checkpoint)
        pixels = real_frame(*frame, torch_model.in_channels)
        export_model(torch_model, ExportConfig(out, *frame, target_fps=target_fps),
                     finisher(torch_model, pixels, log=log), log=log)
    return out


def is_current(out, checkpoint, frame, target_fps) -> bool:
    """A complete, verified export of ``checkpoint`` (not older than it) for this frame
    and target."""
    out = Path(out)
    files = [out / DATAFLOW_FILE, out / VERIFICATION_FILE, out / CONFIG_FILE]
    if not all(f.is_file() for f in files):
        return False
    config = json.loads((out / CONFIG_FILE).read_text())
    return ((config["frame_height"], config["frame_width"]) == tuple(frame)
            and config["target_fps"] == target_fps and config["start_step"] is None
            and (out / DATAFLOW_FILE).stat().st_mtime >= Path(checkpoint).stat().st_mtime)


def op_type_counts(model: ModelWrapper) -> dict:
    """``{op type: nodes}`` of a graph, most frequent first."""
    return dict(collections.Counter(n.op_type for n in model.graph.node).most_common())


def graph_edges(model: ModelWrapper) -> list:
    """``(producer node, consumer node)`` names of every tensor between two nodes."""
    producers = {out: node.name for node in model.graph.node for out in node.output}
    return [(producers[tensor], node.name) for node in model.graph.node
            for tensor in node.input if tensor in producers]


def plot_dataflow_graph(model: ModelWrapper, path) -> Path:
    """The graph drawn top to bottom, one row per topological generation, nodes
    coloured by op type."""
    graph = nx.DiGraph(graph_edges(model))
    graph.add_nodes_from(n.name for n in model.graph.node)
    op_types = {n.name: n.op_type for n in model.graph.node}
    generations = list(nx.topological_generations(graph))
    position = {name: (2.2 * (column - (len(row) - 1) / 2), -depth)
                for depth, row in enumerate(generations) for column, name in enumerate(sorted(row))}
    kinds = sorted(set(op_types.values()))
    colours = dict(zip(kinds, plt.cm.tab10.colors * 2))
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(generations) + 1), dpi=110)
    # arcs: a skip edge spanning many rows stays visible beside the chain it skips
    nx.draw_networkx_edges(graph, position, ax=ax, arrows=True, arrowsize=8, edge_color="gray",
                           node_size=900, connectionstyle="arc3,rad=0.3")
    for name, (x, y) in position.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round", fc=colours[op_types[name]], alpha=0.85, lw=0))
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colours[k]) for k in kinds],
              labels=kinds, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"{Path(model.model.graph.name or 'dataflow').name}: {len(position)} nodes",
                 fontsize=9)
    xs, ys = zip(*position.values())
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    ax.axis("off")
    return save_figure(fig, path)
