"""What every command of the flow does with bad input: one ``error: ...`` line naming
the file, key or layer, exit code 2, and nothing half-written.

Commands build their parser with ``ArgumentParser`` (usage mistakes become that one
line too), raise ``UserError`` (or a subclass: ``ConfigError``, ``ImageReadError``, ...)
for anything the user can fix, and wrap ``main`` in ``command``. Light on purpose (no
torch, no onnx at import): the board driver uses it too.
"""
import argparse
import functools
import json
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

EXIT_USER_ERROR = 2


class UserError(ValueError):
    """Bad input the user can fix; the message names the file, key or layer."""


def one_line(text):
    return " ".join(str(text).split())


def report_error(err):
    """Print ``err`` as one ``error:`` line; returns the user-error exit code."""
    print(f"error: {one_line(err)}", file=sys.stderr)
    return EXIT_USER_ERROR


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported as one ``error:`` line (exit code 2)."""

    def error(self, message):
        self.exit(EXIT_USER_ERROR, f"error: {self.prog}: {one_line(message)} "
                                   f"(see {self.prog} --help)\n")


def command(main):
    """Decorate ``main(argv) -> exit code``: user errors (``UserError``, and OSError such
    as a missing or unwritable path) become one ``error:`` line and exit code 2."""

    @functools.wraps(main)
    def wrapped(argv=None):
        try:
            return main(argv)
        except (UserError, OSError) as err:
            return report_error(err)

    return wrapped


def _positive(convert, name):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        if not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


positive_int = _positive(int, "a positive integer")
positive_float = _positive(float, "a positive number")


def parse_frame(text):
    """A frame size ``HxW`` (height first, as every --frame option) -> (height, width)."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frame size must be HxW, e.g. 64x64, got {text!r}")
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(f"frame size must be positive, got {text!r}")
    return height, width


def existing_folder(path, what="folder"):
    """``path`` as a Path; UserError naming it when it is not a folder."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{what} {path} does not exist" if not path.exists()
                        else f"{what} {path} is not a folder")
    return path


def read_onnx(path, hint=""):
    """The QONNX ``ModelWrapper`` of the ONNX file at ``path``; UserError naming the file
    when it is missing or not a readable ONNX model. ``hint`` is added to the message."""
    from qonnx.core.modelwrapper import ModelWrapper

    path = Path(path)
    hint = f"; {hint}" if hint else ""
    if not path.is_file():
        raise UserError(f"{path} does not exist{hint}")
    try:
        return ModelWrapper(str(path))
    except Exception as err:  # onnx raises DecodeError, ValueError, ... by version
        raise UserError(f"{path} is not a readable ONNX model ({one_line(err)[:200]})"
                        f"{hint}") from None


def read_json(path, required=(), hint=""):
    """The JSON object in ``path``; UserError naming the file when it is missing, not
    JSON, not an object, or lacks one of the ``required`` keys."""
    path = Path(path)
    hint = f"; {hint}" if hint else ""
    if not path.is_file():
        raise UserError(f"{path} does not exist{hint}")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise UserError(f"{path} is not valid JSON ({one_line(err)}){hint}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON object, got {type(data).__name__}{hint}")
    missing = [key for key in required if key not in data]
    if missing:
        raise UserError(f"{path} has no key '{missing[0]}'{hint}")
    return data


@contextmanager
def removed_on_failure(folder, keep_if=lambda folder: False):
    """Remove ``folder`` if the block fails, the folder did not exist before it, and
    ``keep_if(folder)`` is false: a failed command leaves no folder of its own behind
    (an existing one stays; ``keep_if`` keeps one worth resuming)."""
    folder = Path(folder)
    existed = folder.exists()
    try:
        yield folder
    except BaseException:
        if not existed and not keep_if(folder):
            shutil.rmtree(folder, ignore_errors=True)
        raise
