"""User-facing errors.

A `SpiketextError` carries one line that names the input at fault (file, line, setting) and how to fix it.
The CLI prints it without a traceback unless `--debug` is given; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class SpiketextError(Exception):
    """An error caused by the user's input or environment, with a one-line message that says how to fix it."""


def located(path: object, line: int | None, message: str) -> SpiketextError:
    """Build an error that starts with `file: line N:` so editors and people can jump to it."""
    where = f"{path}: line {line}" if line is not None else f"{path}"
    return SpiketextError(f"{where}: {message}")
