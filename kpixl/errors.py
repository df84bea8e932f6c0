"""Problems people can act on.

Every input or scheme problem is a :class:`Problem` record with its place (a sheet
cell such as ``Scheme!E7``, a YAML path such as ``sections[0].items[2].cap``, or an
inputs row and column), a stable code from the catalogue (:mod:`kpixl.problems`), the
value found and a note saying what is allowed. Problems are collected lazily and
raised together, never one at a time.

Two branches, as the house style asks:

* :class:`InputError` — something the user fixes in a cell or a field (a scheme, an
  inputs table, a roster). Carries every problem found.
* :class:`FileProblem` — a whole file could not be read or written; names the step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable

from .problems import entry


@dataclass(frozen=True)
class Problem:
    """One problem with its place.

    Attributes:
        where: Sheet and cell (``Scheme!E7``), YAML path, or ``inputs row 3``.
        code: Stable machine-readable code, e.g. ``not_a_number``; one of
            :data:`kpixl.problems.CODES`.
        message: What is wrong and what is allowed, in one line.
        value: The value found (``None`` when nothing was there).
        employee: The employee id the problem belongs to, when there is one.
        item: The scheme item id, when there is one.
        column: The inputs/roster column, when there is one.
    """

    where: str
    code: str
    message: str
    value: Any = None
    employee: str | None = None
    item: str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        entry(self.code)  # an unknown code is a programming error: ValueError at once

    @property
    def kind(self) -> str:
        """The code's kind: ``input``, ``scheme``, ``file`` or ``warning``."""
        return entry(self.code).kind

    @property
    def title(self) -> str:
        """The code's short title, e.g. ``Not a number``."""
        return entry(self.code).title

    def __str__(self) -> str:
        who = f" ({self.employee}" + (f", {self.item}" if self.item else "") + ")" if self.employee else ""
        found = "" if self.value is None else f" — got {_show(self.value)}"
        return f"{self.where}{who}: {self.message}{found}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _show(value: Any) -> str:
    """A found value as the message shows it: text in double quotes, 12.0 as 12."""
    if isinstance(value, str):
        text = f'"{value}"'
    elif type(value).__name__ in ("bool", "bool_"):
        text = "TRUE" if value else "FALSE"  # as the spreadsheet shows it
    elif isinstance(value, float) or type(value).__name__ in ("float64", "float32"):
        text = f"{float(value):.15g}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class KpixlError(Exception):
    """Base of every error kpixl raises on purpose."""


class InputError(KpixlError):
    """One or more problems in something the user fixes (a scheme, inputs, a roster).

    Attributes:
        problems: Every problem found, in the order found.
    """

    def __init__(self, problems: Iterable[Problem], what: str = "input"):
        self.problems: list[Problem] = list(problems)
        self.what = what
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the {what}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self):  # survives a trip between processes (distribute's workers)
        return (type(self), (self.problems, self.what))

    def keys(self) -> list[tuple[str, str]]:
        """The flattened ``(where, code)`` list tests assert on."""
        return [(p.where, p.code) for p in self.problems]


class FileProblem(KpixlError):
    """A whole file could not be read or written.

    Args:
        path: The file.
        step: Which step failed (``reading the Scheme sheet``).
        reason: Why, in words.
    """

    def __init__(self, path: Any, step: str, reason: str):
        self.path, self.step, self.reason = str(path), step, reason
        super().__init__(f"{self.path}: {step} failed: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.step, self.reason))

