"""Machine description and result writing shared by the benchmarks."""
import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine_info():
    """Date, CPU, cores, load and package versions: the context every result is read in."""
    import brevitas
    import torch

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "brevitas": brevitas.__version__,
    }


def machine_line(info):
    return (f"{info['date']} on {info['cpu']}, {info['cores']} cores "
            f"({info['torch_threads']} torch threads, load {info['load_average_1min']}), "
            f"torch {info['torch']}, brevitas {info['brevitas']}")


REPO_ROOT = RESULTS_DIR.parents[1]


def files_at_commit(commit: str, paths, work: Path) -> list[Path]:
    """The repo's files ``paths`` as of ``commit``, written under ``work`` by file name:
    an older RTL synthesized next to today's."""
    files = []
    for path in paths:
        target = Path(work) / Path(path).name
        target.write_text(subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO_ROOT,
                                         check=True, capture_output=True, text=True).stdout)
        files.append(target)
    return files


def repo_relative(value):
    """``value`` with every absolute path string under the repo's parent folder made
    relative to the repo (``../shared/data/...``), and any other reduced to
    ``<outside>/<name>``, recursively: results must not name the folders of the machine
    that measured them."""
    if isinstance(value, dict):
        return {k: repo_relative(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [repo_relative(v) for v in value]
    if isinstance(value, (str, Path)) and Path(value).is_absolute():
        path = Path(os.path.normpath(value))
        if path.is_relative_to(REPO_ROOT.parent):
            return os.path.relpath(path, REPO_ROOT)
        return f"<outside>/{path.name}"
    return value


def write_result(name, markdown, data):
    """Write ``results/<name>.md`` and ``results/<name>.json`` (paths made relative to
    the repo); returns the Markdown path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = repo_relative(data)
    md_path = RESULTS_DIR / f"{name}.md"
    for path, text in ((md_path, markdown), (RESULTS_DIR / f"{name}.json",
                                             json.dumps(data, indent=2, default=str) + "\n")):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return md_path


def add_render_flag(parser, what="the table"):
    """``--render``: rewrite a result's Markdown from its committed JSON (``committed``)."""
    parser.add_argument("--render", action="store_true",
                        help=f"rewrite {what} from the committed JSON, no re-measuring")


def committed(name) -> dict:
    """The committed ``results/<name>.json``."""
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())


def publish(name, data, markdown):
    """Print ``markdown(data)`` and write it with ``data`` as ``results/<name>.md/.json``."""
    text = markdown(data)
    print(text)
    print(write_result(name, text, data))

