"""The engine's year: roll-up, annual rating, flags and bonus of the copied period figures.

The Python rendering of every formula on ``年度汇总`` (:mod:`kpixl.year.sheet` writes the
twin): the roll-up is :func:`kpixl.roll_up`, the rating and rank flags
:func:`kpixl.rating.rate`, the bonus :func:`kpixl.bonus.bonus_amounts` — the period
builders, applied to the annual total.

The missing-period policy (docs/year.md § Missing periods), written on the sheet too:

* a person missing from some periods of a component is averaged (``mean``) or summed
  (``sum``) over the periods present, or takes the latest present (``last``); the
  number of periods present is shown beside it;
* a person with no result at all in a component counts 0 for it, and the 备注 column
  and a warning say so (seed 001's 年终考核 is half the total: a missing year-end
  must be seen, never averaged away).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import bonus as bonus_mod
from .. import rating as rating_mod
from ..engine.inputs import ID, numbers
from ..engine.rollup import roll_up
from ..errors import InputError, Problem
from ..scheme.models import Column, Component, Rollup, Scheme

__all__ = ["AGG_LABEL", "People", "component_label", "YearFigures", "rollup_of", "roster_numbers", "year_figures"]

#: How each aggregate is labelled on the sheet.
AGG_LABEL = {"mean": "平均", "last": "最后一期", "sum": "合计"}
#: The implicit roll-up of a scheme without ``rollup`` (a 12-month sheet): the mean of its periods.
PERIODS = "periods"
#: Chinese labels of the seeds' component ids (docs/scheme.md § Period roll-up); another id is shown as it is.
COMPONENT_LABEL = {"checks": "周检月检", "monthly": "月考核", "quarterly": "季度考核", "year_end": "年终考核",
                   PERIODS: "各期"}


def component_label(component_id: str) -> str:
    """How the sheet names a roll-up component: 月考核 for ``monthly``, the id itself when not a seed's."""
    return COMPONENT_LABEL.get(component_id, component_id)


def rollup_of(scheme: Scheme) -> Rollup:
    """The scheme's ``rollup``, or the mean of every period (seed 003's 12-month sheet)."""
    if scheme.rollup is not None:
        return scheme.rollup
    return Rollup(components=[Component(id=PERIODS, weight=1, aggregate="mean")], round=scheme.total.round)


@dataclass
class People:
    """The year's people as the rating columns read them (:func:`kpixl.results.sheet.rating_columns`)."""

    ids: list[str]
    group: np.ndarray | None = None
    order: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass
class YearFigures:
    """The engine's figures of the year, keyed as the ``年度汇总`` columns."""

    people: People
    values: dict[str, Any] = field(default_factory=dict)  # sheet key → one value per person
    notes: list[str] = field(default_factory=list)  # 备注, per person
    problems: list[Problem] = field(default_factory=list)
    base: np.ndarray | None = None
    level: np.ndarray | None = None
    amount: np.ndarray | None = None

    def frame(self) -> pd.DataFrame:
        """The figures as a table, one row per person (``employee_id`` first)."""
        return pd.DataFrame({ID: self.people.ids, **{k: list(v) for k, v in self.values.items()}})


def _roster_column(roster: pd.DataFrame, ids: list[str], column: str) -> np.ndarray | None:
    if column not in roster.columns:
        return None
    by_id = roster.drop_duplicates(ID).set_index(roster.drop_duplicates(ID)[ID].astype(str))[column]
    return by_id.reindex(ids).to_numpy(dtype=object)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def year_figures(scheme: Scheme, rows: pd.DataFrame, ids: list[str], roster: pd.DataFrame,
                 policy=None, base: np.ndarray | None = None) -> YearFigures:
    """Roll up, rate and pay the year from the copied rows.

    Args:
        scheme: The programme's scheme.
        rows: The copied period rows (``employee_id``, ``component``, ``period``, ``total``,
            ``bonus``), sorted as on ``期间成绩``.
        ids: The year's people, in sheet order.
        roster: The year's roster (``employee_id`` and the columns the scheme names).
        policy: The bonus policy with finance's parameters (default: the scheme's).
        base: The bonus bases with finance's kept edits (default: the roster's).

    Returns:
        :class:`YearFigures`; warnings for missing periods and components, input problems
        for unusable roster values (the bonus is then blank for that person).
    """
    rollup = rollup_of(scheme)
    out = YearFigures(People(ids))
    n = len(ids)
    notes: list[list[str]] = [[] for _ in ids]
    rows = rows.assign(**{ID: rows[ID].astype(str)})
    total = pd.to_numeric(rows["total"], errors="coerce")
    present = rows[total.notna().to_numpy()].assign(total=total[total.notna()])
    all_periods = {c.id: sorted(rows.loc[rows["component"] == c.id, "period"].astype(str).unique())
                   for c in rollup.components}
    filler = []
    for comp in rollup.components:
        part = present[present["component"] == comp.id]
        counts = part.groupby(ID)["total"].count().reindex(ids).fillna(0).astype(int).to_numpy()
        out.values[f"count:{comp.id}"] = counts
        seen: dict[str, set[str]] = {}
        for e, p in zip(part[ID].tolist(), part["period"].tolist()):
            seen.setdefault(e, set()).add(str(p))
        for k in np.flatnonzero(counts == 0):
            filler.append({ID: ids[k], "component": comp.id, "period": "", "total": 0.0})
            notes[k].append(f"{component_label(comp.id)} 无成绩, 按0分计")
            out.problems.append(Problem(f"{comp.id}", "year_missing_component",
                                        f"{ids[k]} has no {comp.id} result at all: it counts 0", employee=ids[k]))
        for k in np.flatnonzero((counts > 0) & (counts < len(all_periods[comp.id]))):
            lacking = [p for p in all_periods[comp.id] if p not in seen.get(ids[k], set())]
            notes[k].append(f"{component_label(comp.id)} 缺 {'、'.join(lacking)} "
                            f"(按已有{counts[k]}期{AGG_LABEL[comp.aggregate]})")
            out.problems.append(Problem(f"{comp.id}", "year_missing_periods",
                                        f"{ids[k]} has no {comp.id} result for {', '.join(lacking)}: "
                                        f"{AGG_LABEL[comp.aggregate]} of the {counts[k]} periods present",
                                        employee=ids[k]))
    scores = pd.concat([present[[ID, "component", "period", "total"]], pd.DataFrame(filler)], ignore_index=True) \
        if filler else present[[ID, "component", "period", "total"]]
    rolled = roll_up(rollup, scores).set_index(ID).reindex(ids)
    for comp in rollup.components:
        out.values[f"component:{comp.id}"] = rolled[comp.id].to_numpy(dtype=float)
    t = rolled["total"].to_numpy(dtype=float)
    out.values["total"] = t
    out.notes = ["; ".join(x) for x in notes]

    r = scheme.ratings
    rating = None
    if r is not None:
        dist = r.distribution
        group = order = None
        if dist is not None:
            if dist.group_by:
                got = _roster_column(roster, ids, dist.group_by)
                group = np.array([None if _blank(v) else str(v) for v in got], dtype=object) if got is not None \
                    else np.full(n, None, dtype=object)
            frame = pd.DataFrame({ID: ids})
            for c in dist.tie_break:
                got = _roster_column(roster, ids, c)
                frame[c] = got if got is not None else None
            order = rating_mod.tie_order(frame, dist.tie_break, ID)
        elif r.flags:
            order = rating_mod.tie_order(pd.DataFrame({ID: ids}), [], ID)
        out.people.group, out.people.order = group, order
        rating, flags = rating_mod.rate(r, t, group=group, order=order)
        if order is not None:
            out.values["rank"] = rating_mod.rank(t, group, order)
        out.values["rating"] = rating
        for fid, vals in flags.items():
            out.values[f"flag.{fid}"] = vals
    out.values["flag.over_scale"] = t > scheme.scale

    b = scheme.bonus
    if b is not None:
        policy = policy or b
        roster_base = roster_numbers(b.base, roster, ids)
        out.base = roster_base if base is None else np.asarray(base, dtype=float)
        out.level = _roster_column(roster, ids, b.level_factor.column) if b.level_factor is not None else None
        out.amount = roster_numbers(b.commission.amount, roster, ids) if b.commission is not None else None
        perf, paid = np.full(n, np.nan), np.full(n, np.nan)
        found = bonus_mod.bonus_problems(policy, out.base, out.level, out.amount)
        for p in found:
            out.problems.append(Problem(f"年度汇总 {ids[p.row] if p.row >= 0 else ''} {p.column}".strip(), p.code,
                                        p.message, employee=ids[p.row] if p.row >= 0 else None, column=p.column))
        ok = np.ones(n, dtype=bool)
        for p in found:
            ok[slice(None) if p.row < 0 else p.row] = False
        if ok.any():
            pick = (lambda a: None if a is None else np.asarray(a, dtype=object)[ok])  # noqa: E731
            try:
                perf[ok], paid[ok] = bonus_mod.bonus_amounts(
                    policy, t[ok], scheme.scale, pick(out.base), rating=pick(rating), level=pick(out.level),
                    commission_amount=pick(out.amount))
            except InputError as e:  # a problem bonus_problems does not see: reported, bonus left blank
                out.problems += e.problems
        out.values["bonus.perf"] = perf
        out.values["bonus"] = paid
        by_person = pd.to_numeric(rows["bonus"], errors="coerce").groupby(rows[ID]).sum(min_count=0)
        out.values["paid"] = by_person.reindex(ids).fillna(0).to_numpy(dtype=float)
    return out


def roster_numbers(spec, roster: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """A fixed amount for everyone, or a roster column's numbers (NaN where blank or not a number)."""
    if not isinstance(spec, Column):
        return np.full(len(ids), float(spec))
    got = _roster_column(roster, ids, spec.column)
    if got is None:
        return np.full(len(ids), np.nan)
    vals, _ = numbers(pd.Series(got))
    return vals
