"""What the commands and the ribbon's buttons print: problem tables and progress.

Outside ``kpixl.cli`` so that ``kpixl.macros`` imports it without the command parser.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import Sequence

from .errors import InputError

EXIT_PROBLEMS = 2
EXIT_INTERNAL = 3



def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cut(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], limits: Sequence[int] | None = None) -> str:
    """A plain-text table that lines up Chinese (double-width) text; a limit of 0 never cuts."""
    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    if limits:
        cells = [[_cut(v, lim) if lim else v for v, lim in zip(r, limits)] for r in cells]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def format_problems(err: InputError) -> str:
    """Every problem of ``err`` as the CLI prints it: a heading line, then a table.

    The ribbon's dispatcher shows the same text in a message box.
    """
    rows = [(p.where, p.employee or "", p.item or "", p.message, "" if p.value is None else repr(p.value) if isinstance(p.value, str) else p.value)
            for p in err.problems]
    n = len(err.problems)
    head = f"kpixl: {n} problem{'s' if n != 1 else ''} in the {err.what}:"
    headers, limits = ["where", "employee", "item", "problem", "value"], [0, 0, 0, 0, 30]
    # Columns no problem fills (employee and item for a scheme) are left out.
    keep = [i for i in range(len(headers)) if i in (0, 3) or any(str(r[i]) for r in rows)]
    rows = [[r[i] for i in keep] for r in rows]
    # Only the value found is shortened: a place or a message cut short cannot be acted on.
    return head + "\n" + table([headers[i] for i in keep], rows, [limits[i] for i in keep])


def print_problems(err: InputError, stream=None) -> None:
    print(format_problems(err), file=stream or sys.stderr)


def progress(what: str):
    """A progress callback for long runs: a live counter on a terminal, every 10 % in a log."""

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{what}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"{what}: {done}/{total}", file=sys.stderr, flush=True)

    return show
