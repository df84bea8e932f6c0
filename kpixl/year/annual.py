"""The values the level rules read, as the year has them: card inputs made annual, roster columns.

A scheme's ``levels`` may read values by name (:meth:`kpixl.scheme.Levels.value_columns`):
a qualification over ``{column: sales}``, ``{growth: {item: sales}}``, ``{share: {item:
sales}}``, or a threshold keyed by a roster column (年度销售额). A period master has the card
inputs in its record store; the year copies the ones the levels read onto ``期间成绩``
(keys ``input:<column>``, data) and makes one annual value per person with the scheme's
``levels.annual`` rule — ``sum`` of the periods (amounts), ``mean`` of the periods with a
value (rates) or the ``last`` one; a yearly card's single period is its own value. A value
the card does not have is the year's roster's (as HR gives it). docs/year.md says it.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .. import xlmath
from ..engine.inputs import ID, numbers
from ..periods import parse_period
from ..scheme.models import Scheme

__all__ = ["INPUT", "HOW_LABEL", "annual_values", "input_label", "level_inputs", "value_label"]

#: The key prefix of a copied card input on ``期间成绩`` (``input:sales``).
INPUT = "input:"
HOW_LABEL = {"sum": "年度合计", "mean": "年度平均", "last": "最后一期", None: "年度"}


def level_inputs(scheme: Scheme | None, columns: Iterable[str]) -> list[str]:
    """The card inputs among ``columns`` (a period's record store) that the scheme's levels read, once each."""
    if scheme is None or scheme.levels is None:
        return []
    have = set(columns)
    return list(dict.fromkeys(c for _, c in scheme.levels.value_columns() if c in have))


def input_label(scheme: Scheme, column: str) -> str:
    """How a sheet names a card input: its item's name (业务销售额), ``name.counter`` for a counter."""
    names = {i.id: i.name or i.id for _, i in scheme.items()}
    head, _, rest = column.partition(".")
    if head in names:
        return names[head] + (f".{rest}" if rest else "")
    return column


def value_label(scheme: Scheme, column: str, copied: bool) -> str:
    """How ``职级建议``/``往年年度`` name an annual value: ``业务销售额·年度合计``, or a roster column as is."""
    if not copied:
        return column
    return f"{input_label(scheme, column)}·{HOW_LABEL[_how(scheme, column)]}"


def _how(scheme: Scheme, column: str) -> str | None:
    # None: undeclared (a yearly card: scheme.check asks for it on any other), the year's one period's value.
    return scheme.levels.annual.get(column) if scheme.levels is not None else None


def annual_values(scheme: Scheme, rows: pd.DataFrame, ids: list[str], roster: pd.DataFrame
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Per person, the annual value of every column the levels read.

    Args:
        scheme: The programme's scheme.
        rows: The year's copied rows (``期间成绩``), with ``input:<column>`` for the card inputs.
        ids: The year's people, in order.
        roster: The year's roster (the values the card does not carry).

    Returns:
        ``(values, copied)``: a frame indexed like ``ids`` with one column per value found
        (card inputs made annual, rounded to 9 places; else the roster's column as it is),
        and the names of those made from card inputs.
    """
    out = pd.DataFrame(index=range(len(ids)))
    if scheme.levels is None:
        return out, []
    copied = []
    by_id = roster.drop_duplicates(ID).set_index(roster.drop_duplicates(ID)[ID].astype(str)) if ID in roster else None
    for column in dict.fromkeys(c for _, c in scheme.levels.value_columns()):
        key = INPUT + column
        if key in rows.columns and rows[key].notna().any():
            out[column] = _aggregate(rows, key, _how(scheme, column)).reindex(ids).to_numpy(dtype=float)
            copied.append(column)
        elif by_id is not None and column in by_id.columns:
            out[column] = by_id[column].reindex(ids).to_numpy()
    return out, copied


_SPAN = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _period_order(period: str) -> tuple:
    """Periods in the order they end (2026Q1 before 2026H2, 2026-12 before the year-end 2026); a text
    that is no period first, in its own order."""
    try:
        k = parse_period(period)
    except ValueError:
        return (0, 0, 0, period)
    return (k.year, k.n * _SPAN[k.kind], _SPAN[k.kind], period)


def _aggregate(rows: pd.DataFrame, key: str, how: str | None) -> pd.Series:
    """Each person's sum, mean (of the periods with a number) or last (latest period's) value (None: last)."""
    vals, _ = numbers(rows[key])  # text where a number belongs: warned when the period master was read
    df = pd.DataFrame({"e": rows[ID].astype(str).to_numpy(), "p": rows["period"].astype(str).to_numpy(), "v": vals})
    df = df[~np.isnan(df["v"])]
    df = df.assign(o=df["p"].map(_period_order)).sort_values(["e", "o"], kind="stable")
    g = df.groupby("e", sort=False)["v"]
    got = g.sum() if how == "sum" else g.mean() if how == "mean" else g.last()  # None: the one period
    return pd.Series(xlmath.round9(got.to_numpy(dtype=float)), index=got.index)
