"""The engine's public contract: what :func:`~kpixl.engine.score.prepare` read, frozen.

Workbook writers (cards, the results sheet, the master's rated sheet) lay out exactly
what the engine will score: the people, each item's inputs, the ranking groups and tie
order, and the bonus inputs — with where each value came from. They read a
:class:`Prepared`; they never reach into the engine. Scoring it is
:func:`~kpixl.engine.score.compute`, which takes explicit :class:`Overrides` (finance's
parameter cells, for instance) instead of edits to the prepared inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ..errors import Problem
from ..scheme.models import Bonus, Scheme
from .card import ItemInputs
from .inputs import Table

@dataclass(frozen=True)
class BonusInputs:
    """The per-person inputs of the bonus policy (NaN where a value is missing).

    Attributes:
        base: The bonus base (月度绩效奖金) of each person.
        level: Each person's level (职级) when the policy has a ``level_factor``.
        amount: Each person's commission amount (销售额) when the policy has a commission.
    """

    base: np.ndarray
    level: np.ndarray | None = None
    amount: np.ndarray | None = None


@dataclass(frozen=True)
class Overrides:
    """Values that replace the scheme's or the roster's when computing.

    Attributes:
        bonus: A bonus policy to use instead of the scheme's (the budget and factors as
            finance set them in the master's parameter cells).
        base: Bonus bases to use instead of the roster's (finance's edits on the rated sheet).
    """

    bonus: Bonus | None = None
    base: np.ndarray | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything one period's scoring needs, read and checked, not yet scored.

    Built by :func:`~kpixl.engine.score.prepare`; never changed afterwards (arrays are
    read-only).

    Attributes:
        scheme: The scheme.
        inputs: The inputs table as read (its ``where(row, column)`` places a cell).
        roster: The roster table, when one was given.
        ids: Employee ids, one per inputs row, in the inputs' order.
        items: Item id → that item's inputs for everyone, in scheme order.
        group: The forced distribution's group of each person (None: one group).
        order: Each person's tie order for ranking (None when nothing is ranked).
        bonus: The bonus inputs (None when the scheme has no bonus).
        problems: Every problem found while reading, each with its place.
        notes: What a rule did to an input without refusing it (an entry counted as its
            limit, ``beyond: cap``), each with its cell: warnings, not problems.
    """

    scheme: Scheme
    inputs: Table
    roster: Table | None
    ids: np.ndarray
    items: Mapping[str, ItemInputs]
    group: np.ndarray | None
    order: np.ndarray | None
    bonus: BonusInputs | None
    problems: tuple[Problem, ...]
    roster_rows: np.ndarray | None = field(default=None, repr=False)
    notes: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", MappingProxyType(dict(self.items)))
        for a in (self.ids, self.group, self.order, self.roster_rows):
            if isinstance(a, np.ndarray):
                a.flags.writeable = False

    @property
    def n(self) -> int:
        """The number of people."""
        return len(self.ids)

    def person_values(self, name: str) -> np.ndarray | None:
        """A roster column aligned to the people (None where a person is not in the roster).

        Falls back to an inputs column of that name; None when neither has it.
        """
        if self.roster is not None and name in self.roster.df.columns:
            ok = ~np.isnan(self.roster_rows)
            picked = self.roster.df[name].to_numpy(dtype=object)[np.where(ok, self.roster_rows, 0).astype(int)]
            return np.where(ok, picked, None)
        if name in self.inputs.df.columns:
            return self.inputs.df[name].to_numpy(dtype=object)
        return None

    def has_column(self, name: str) -> bool:
        """Whether the roster or the inputs have a column ``name``."""
        return (self.roster is not None and name in self.roster.df.columns) or name in self.inputs.df.columns

    def where(self, row: int, column: str) -> str:
        """The cell a person's value of ``column`` came from (a roster cell, else an inputs cell)."""
        if (self.roster is not None and column in self.roster.df.columns
                and not np.isnan(self.roster_rows[row])):
            return self.roster.where(int(self.roster_rows[row]), column)
        return self.inputs.where(row, column)


def read_only(values: Any) -> Any:
    """``values`` as a read-only array (None stays None)."""
    if values is None:
        return None
    a = np.array(values, copy=True)
    a.flags.writeable = False
    return a
