"""The top-level packages import each other in one order, train < hw < sim < export:
no import cycle between them. Imports at module level count; an import inside a
function is a deliberate late dependency (named in LATE_IMPORTS) and does not."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("train", "hw", "sim", "export")
# (module, imported package): imports inside functions that point up the order, why
LATE_IMPORTS = {
    # `python -m hw.driver --export` runs the Verilator simulation and --validate the
    # golden model; on a board neither is imported
    ("hw/driver/session.py", "sim"),
    # FINN needs the DepthToSpace op's domain registered to build a test model with it
    ("sim/finn_models.py", "export"),
}


def _module_level_imports(tree: ast.Module):
    """Import nodes not inside a function (module body, classes, if/try blocks)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _package_of(name: str) -> str:
    return name.split(".")[0]


def _imports(late: bool):
    """(file relative to the root, its package, imported package) for every import of
    another layer: at module level, or (``late``) only inside functions."""
    edges = set()
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            top = list(_module_level_imports(tree))
            nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                     and (n not in top if late else n in top)]
            for node in nodes:
                if isinstance(node, ast.ImportFrom) and node.level:
                    continue
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module]
                for imported in map(_package_of, names):
                    if imported in LAYERS and imported != package:
                        edges.add((str(path.relative_to(ROOT)), package, imported))
    return edges


def test_module_level_imports_follow_the_layer_order():
    upward = sorted(f"{path} imports {imported}" for path, package, imported in _imports(False)
                    if LAYERS.index(imported) > LAYERS.index(package))
    assert not upward, f"imports against {' < '.join(LAYERS)}: {upward}"


def test_late_imports_against_the_order_are_the_named_ones():
    upward = {(path, imported) for path, package, imported in _imports(True)
              if LAYERS.index(imported) > LAYERS.index(package)}
    assert upward == LATE_IMPORTS
