"""The engine's figures for every formula cell kpixl writes, as the sheets compute them.

A workbook shows the values cached beside its formulas until something recalculates:
LibreOffice by default, Excel's Protected View, previews, pandas. So every writer caches
the engine's value of each formula cell. The engine and the formulas are twins; two
things differ only in how they read what a person has not filled in yet:

* the engine gives no score (NaN) for a blank input, where a formula reads a blank cell
  as Excel does: 0 in arithmetic, not ``是``/1/TRUE, and a rubric level ``""`` (0
  points). :func:`excel_view` gives the engine those readings;
* a person card scores ``na: average`` items as 0 (the group's mean is on the summary),
  rates by bands only and pays before the budget: :func:`card_values`.

Values are keyed like the results sheet's columns (:mod:`.sheet`): ``score:<item>``,
``score:<item>.raw``, ``score:<section>``, ``total``, ``rank``, ``rating``, ``flag.<id>``,
``bonus.perf``, ``bonus``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .. import bonus as bonus_mod
from .. import rating as rating_mod
from ..engine.card import ItemInputs
from ..engine.prepared import BonusInputs, Overrides, Prepared
from ..engine.score import compute
from ..errors import InputError
from ..rules import ItemData
from ..scheme.models import Scheme


def _blank(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or v == "" or (isinstance(v, float) and math.isnan(v)) for v in values], dtype=bool)


def _zero_nan(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a, dtype=float)
    return np.where(np.isnan(a), 0.0, a)


class _BlankLevelScoresZero:
    """A level rule whose blank level scores 0, as its formula's ``IF(level="",0,…)`` does."""

    def __init__(self, rule):
        self._rule = rule

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)

    def evaluate(self, data: ItemData) -> np.ndarray:
        return np.where(_blank(data.value), 0.0, self._rule.evaluate(data))


def _excel_data(rule, d: ItemData) -> ItemData:
    """One rater's inputs with blanks read as a formula reads a blank cell."""
    value = d.value
    if rule.input_kind in ("number", "yesno"):
        value = _zero_nan(value)
    x, exact = d.x, d.exact
    if rule.uses_achievement:
        x = rule.achievement(value, d.target)
        exact = rule.achievement(value, d.target, exact=True)
    # No score column at all (a blank card) is a blank score cell too: a band or level with a
    # points range then reads 0, as its formula does — not "no number".
    score = np.zeros(d.n) if d.score is None else _zero_nan(d.score)
    return dataclasses.replace(d, value=value, x=x, exact=exact, score=score,
                               counters={k: _zero_nan(v) for k, v in d.counters.items()})


def _excel_items(s: Scheme, prepared: Prepared, na_cells: set[str] | None) -> dict[str, ItemInputs]:
    items = {}
    for _, item in s.items():
        got = prepared.items[item.id]
        na = got.na
        if na_cells is not None and item.id not in na_cells:
            na = None  # the sheet has no N/A cell: its formula never asks
        items[item.id] = dataclasses.replace(
            got, data={r: _excel_data(item.rule, d) for r, d in got.data.items()}, na=na)
    return items


def _excel_scheme(s: Scheme) -> Scheme:
    """The scheme with level rules scoring a blank level 0."""
    sections = []
    for sec in s.sections:
        items = [i.model_copy(update={"rule": _BlankLevelScoresZero(i.rule)}) if i.rule.input_kind == "level" else i
                 for i in sec.items]
        sections.append(sec.model_copy(update={"items": items}))
    return s.model_copy(update={"sections": sections})


def excel_view(prepared: Prepared, na_cells: set[str] | None = None, scheme: Scheme | None = None) -> Prepared:
    """``prepared`` with every blank input read as a formula reads its blank cell.

    Args:
        prepared: What :func:`~kpixl.engine.score.prepare` read.
        na_cells: The items whose N/A flag the sheet has a cell for (None: all of them).
        scheme: Score by this variant of the scheme (a card's) instead of the prepared one.

    Returns:
        A new :class:`Prepared`; ``prepared`` is left as it is.
    """
    s = scheme or prepared.scheme
    b = prepared.bonus
    bonus = None if b is None else BonusInputs(_zero_nan(b.base), b.level, _zero_nan(b.amount))
    return dataclasses.replace(prepared, scheme=_excel_scheme(s), items=_excel_items(s, prepared, na_cells),
                               bonus=bonus, problems=())


#: The figures of a sheet: column key → one value per person.
Figures = dict[str, np.ndarray]


def _keyed(s: Scheme, computed: pd.DataFrame, prepared: Prepared) -> Figures:
    """Engine columns under the sheet's keys, with each N/A item's raw score (0 when N/A)."""
    ids = {sec.id for sec in s.sections} | {i.id for _, i in s.items()}
    out = {f"score:{c}" if c in ids else c: computed[c].to_numpy() for c in computed.columns}
    if "rating" in out:  # no band for a total that is an error: the error
        out["rating"] = np.where(np.isnan(out["total"].astype(float)), np.nan, out["rating"].astype(object))
    for _, item in s.items():
        na = prepared.items[item.id].na
        if na is not None:
            out[f"score:{item.id}.raw"] = np.where(na, 0.0, out[f"score:{item.id}"].astype(float))
    return out


def _compute(prepared: Prepared, overrides: Overrides | None) -> pd.DataFrame:
    try:
        return compute(prepared, overrides, detail=True)
    except (InputError, ValueError):
        return _compute_by_row(prepared, overrides or Overrides())


def _compute_by_row(prepared: Prepared, overrides: Overrides) -> pd.DataFrame:
    """The figures when some total or bonus input is unusable, as the formulas give them.

    A total the formulas cannot give is an error (no rater has scored an item whose
    missing raters are reweighted). It stays in its own row through the bands and the
    pay, but runs into everyone's rank (each rank compares a total with all the others)
    and everyone's budget share (the budget divides by the sum of all pay).
    """
    s, n = prepared.scheme, prepared.n
    got = compute(dataclasses.replace(prepared, scheme=s.model_copy(update={"ratings": None, "bonus": None})),
                  detail=True).drop(columns=["rating", "bonus"])
    total = got["total"].to_numpy(dtype=float)
    ok = ~np.isnan(total)
    nothing = np.full(n, np.nan)
    rating = np.full(n, np.nan, dtype=object)
    if s.ratings is not None:
        if s.ratings.bands:
            rating = np.where(ok, rating_mod.rate_bands(s.ratings.bands, total), np.nan)
        if s.ratings.distribution is not None or s.ratings.flags:
            got["rank"] = nothing
        for f in s.ratings.flags:
            got[f"flag.{f.id}"] = nothing
    got["rating"] = rating
    policy = overrides.bonus or s.bonus
    if policy is None or prepared.bonus is None:
        got["bonus"] = nothing
        return got
    b = prepared.bonus
    base = b.base if overrides.base is None else np.asarray(overrides.base, dtype=float)
    usable = ok & (np.array([isinstance(r, str) for r in rating]) if policy.rating_factor else True)
    for p in bonus_mod.bonus_problems(policy, base=base, level=b.level, commission_amount=b.amount, total=total):
        usable[slice(None) if p.row < 0 else p.row] = False
    perf, pay = nothing.copy(), nothing.copy()
    if usable.any():
        def pick(a):
            return None if a is None else np.asarray(a, dtype=object)[usable]

        perf[usable], pay[usable] = bonus_mod.bonus_amounts(
            policy.model_copy(update={"budget": None}), total[usable], s.scale, pick(base),
            rating=pick(rating) if s.ratings is not None else None, level=pick(b.level), commission_amount=pick(b.amount))
    got["bonus.perf"] = perf
    got["bonus"] = nothing if policy.budget is not None else pay
    return got


def sheet_values(prepared: Prepared, overrides: Overrides | None = None,
                 na_cells: set[str] | None = None) -> Figures:
    """The figures of the results sheet, the 汇总 and the rated sheet, one row per person.

    Args:
        prepared: What :func:`~kpixl.engine.score.prepare` read (blanks allowed).
        overrides: Finance's parameters, as :func:`~kpixl.engine.score.compute` takes them.
        na_cells: The items whose N/A flag the sheet has a cell for (None: all).
    """
    view = excel_view(prepared, na_cells)
    return _keyed(prepared.scheme, _compute(view, overrides), view)


def card_scheme(s: Scheme) -> Scheme:
    """The scheme as one person's card scores it (see :mod:`kpixl.card.formulas`).

    ``na: average`` items score 0 when not applicable, the rating is by bands only (no
    distribution, no rank flags), the bonus is before the budget and needs a rating only
    when there are bands.
    """
    sections = []
    for sec in s.sections:
        items = [i.model_copy(update={"na": "zero"}) if i.na == "average" else i for i in sec.items]
        sections.append(sec.model_copy(update={"items": items}))
    ratings = None
    if s.ratings is not None and s.ratings.bands:
        ratings = s.ratings.model_copy(update={"distribution": None, "flags": []})
    bonus = s.bonus
    if bonus is not None:
        bonus = None if bonus.rating_factor and ratings is None else bonus.model_copy(update={"budget": None})
    return s.model_copy(update={"sections": sections, "ratings": ratings, "bonus": bonus})


def card_values(prepared: Prepared, na_cells: set[str] | None = None) -> Figures:
    """The figures of each person's card, one row per person, keyed like :func:`sheet_values`."""
    s = card_scheme(prepared.scheme)
    view = excel_view(prepared, na_cells, scheme=s)
    return _keyed(s, _compute(view, None), view)


#: What a formula shows where the engine has no number: from blank inputs only a
#: division by zero gets there (no rater has scored an item whose missing raters are
#: reweighted), and the error then runs through the section, total and bonus.
NO_NUMBER = "#DIV/0!"


def cell_value(v: Any) -> Any:
    """A figure as a cell caches it: a Python number, text, bool or error; None when there is none."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return NO_NUMBER if math.isnan(f) or math.isinf(f) else f
    return str(v)


def column_values(values: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, list]:
    """``{sheet key: [value per person]}`` for the keys ``values`` has (``keys``: sheet key → column)."""
    return {key: _cells(values[col]) for key, col in keys.items() if col in values}


def _cells(values: Any) -> list:
    """:func:`cell_value` of each value; a NumPy array of numbers or bools a column at a time."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        if values.dtype.kind == "b":
            return values.tolist()
        return [v if math.isfinite(v) else NO_NUMBER for v in values.astype(float).tolist()]
    return [cell_value(v) for v in values]
