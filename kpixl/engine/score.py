"""``kpixl.score``: a scheme and an inputs table in, one scored row per person out.

Reads every cell lazily (all problems together, each naming employee, item, column
and place), gathers each item's inputs into :class:`~kpixl.rules.ItemData`, and runs
the card (:mod:`.card`), the ratings (:mod:`kpixl.rating`) and the bonus
(:mod:`kpixl.bonus`). No scoring happens here — only reading and wiring.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import bonus as bonus_mod
from .. import rating as rating_mod
from ..errors import InputError, Problem
from ..rules import ItemData
from ..scheme.io import load_scheme
from ..scheme.models import Column, Item, Scheme
from . import card
from .prepared import BonusInputs, Overrides, Prepared, read_only
from .inputs import ID, Table, is_blank, levels, number_note, numbers, parse_column, read_table, yes_no


@dataclass
class Scored:
    """What :func:`evaluate` returns: the results and every problem found."""

    results: pd.DataFrame
    problems: list[Problem]


def score(scheme: Scheme | str | Path, inputs: Any, roster: Any = None) -> pd.DataFrame:
    """Score every person of an inputs table.

    Args:
        scheme: A :class:`~kpixl.scheme.Scheme` or the path of one (YAML, JSON, xlsx).
        inputs: The wide inputs table (DataFrame, ``.csv`` or ``.xlsx``): ``employee_id``
            plus columns named after items (``new_sales``, ``new_sales.target``,
            ``discipline.late``, ``complaint@self``, ``new_sales.na``, ``x.reason``).
        roster: Optional roster (DataFrame, ``.csv`` or ``.xlsx``) with the columns the
            scheme names (targets, bonus base, group, level…).

    Returns:
        One row per person: ``employee_id``, each item's score under its id, each
        section's contribution under its id, ``total``, ``rating``, ``bonus`` (and a
        ``flag.<id>`` column per rank flag). ``results.attrs["notes"]`` lists what was
        counted differently from what was typed (an entry beyond its limit counted as the
        limit, ``beyond: cap``), each with its cell.

    Raises:
        InputError: Every problem in the inputs or roster, each with its place.
    """
    prepared = prepare(scheme, inputs, roster)
    if prepared.problems:  # never compute from unreadable inputs: report every problem instead
        raise InputError(list(prepared.problems), "inputs")
    results = compute(prepared)
    results.attrs["notes"] = list(prepared.notes)  # what was capped, each at its cell
    return results


def evaluate(scheme: Scheme | str | Path, inputs: Any, roster: Any = None) -> Scored:
    """Like :func:`score`, but returns the problems instead of raising.

    Rows with problems get NaN where their inputs were unreadable; the rest are scored.
    """
    prepared = prepare(scheme, inputs, roster)
    return Scored(compute(prepared), list(prepared.problems))


def prepare(scheme: Scheme | str | Path, inputs: Any, roster: Any = None) -> Prepared:
    """Read and check every input the scheme needs, without scoring.

    Args:
        scheme: A :class:`~kpixl.scheme.Scheme` or the path of one.
        inputs: The inputs table (DataFrame, ``.csv``, ``.xlsx`` or a read ``Table``).
        roster: Optional roster table.

    Returns:
        The frozen :class:`~kpixl.engine.prepared.Prepared` inputs, with every problem
        found (scoring them is :func:`compute`; the workbook writers lay them out).
    """
    if not isinstance(scheme, Scheme):
        scheme = load_scheme(scheme)
    reader = _Reader(scheme, read_table(inputs, "inputs"), read_table(roster, "roster") if roster is not None else None)
    return reader.gather()


class _Reader:
    """Reads one inputs table (and roster) into a :class:`Prepared`, collecting problems."""

    def __init__(self, scheme: Scheme, table: Table, roster: Table | None):
        self.scheme = scheme
        table = item_names_as_ids(table, scheme)
        self.table = table
        self.df = table.df
        self.n = len(self.df)
        self.problems: list[Problem] = list(table.problems)
        #: What a rule did without refusing (an entry capped at its limit): warnings.
        self.notes: list[Problem] = []
        self.ids = self.df[ID].to_numpy(dtype=object)
        self.roster = roster
        self.roster_rows: np.ndarray | None = None
        #: Rows whose roster values cannot be looked up (not in the roster, or no id):
        #: their one problem is reported once, not again for every roster column.
        self.off_roster = np.zeros(self.n, dtype=bool)
        if roster is not None:
            self.problems += roster.problems
            pos = pd.Series(np.arange(len(roster.df)), index=roster.df[ID].to_numpy())
            pos = pos[~pos.index.duplicated() & (pos.index != "")]
            self.roster_rows = pos.reindex(self.ids).to_numpy()
            self.off_roster = np.isnan(self.roster_rows)
            for r in np.flatnonzero(self.off_roster & (self.ids != "")):  # a blank id is already reported
                self.add(self.table.where(int(r), ID), "not_in_roster", "this employee is not in the roster",
                         self.ids[r], employee=self.ids[r])

    # ---- problems ----------------------------------------------------------------------

    def add(self, where: str, code: str, message: str, value: Any = None, *, into: list | None = None,
            **ctx: Any) -> None:
        (self.problems if into is None else into).append(Problem(where, code, message, value, **ctx))

    def cells(self, rows: np.ndarray, column: str, code: str, message, item: str | None = None,
              values: Any = None, into: list | None = None) -> None:
        col = self.df[column] if column in self.df.columns else None
        for k, r in enumerate(rows):
            r = int(r)
            v = values[r] if values is not None else (col.iat[r] if col is not None else None)  # (iloc's value)
            if isinstance(v, float) and np.isnan(v):
                v = None
            msg = message[k] if isinstance(message, list) else message
            self.add(self.table.where(r, column), code, msg, v, into=into, employee=self.ids[r], item=item,
                     column=column)

    # ---- columns -------------------------------------------------------------------------

    def person_column(self, name: str, needed_by: str) -> tuple[pd.Series, Any] | None:
        """A roster column aligned to the inputs rows (or from the inputs themselves)."""
        if self.roster is not None and name in self.roster.df.columns:
            rows = self.roster_rows
            src = self.roster.df[name]
            ok = ~np.isnan(rows)
            picked = src.to_numpy(dtype=object)[np.where(ok, rows, 0).astype(int)]
            vals = pd.Series(np.where(ok, picked, None), dtype=object)
            where = lambda r: self.roster.where(int(rows[r]), name) if ok[r] else self.table.where(r, ID)  # noqa: E731
            return vals, where
        if name in self.df.columns:
            return self.df[name].reset_index(drop=True), lambda r: self.table.where(r, name)
        have = list(self.roster.df.columns) if self.roster is not None else list(self.df.columns)
        self.add(self.roster.name if self.roster is not None else self.table.name, "missing_column",
                 f"no column {name!r} (needed by {needed_by})" + did_you_mean(name, have))
        return None

    def check_columns(self) -> None:
        items = {i.id: i for _, i in self.scheme.items()}
        for col in self.df.columns:
            item_id, fld, rater = parse_column(str(col))
            item = items.get(item_id)
            if item is None:
                continue  # 姓名, 部门…: carried along
            allowed = {None, "target", "na", "reason", "score"} | {c.id for c in getattr(item.rule, "counters", ())}
            raters = self.scheme.raters_of(item) or {}
            if fld not in allowed:
                self.add(self.table.where(-1, col), "unknown_column",
                         f"column {col!r}: item {item_id} has no input {fld!r} (allowed: {', '.join(sorted(a for a in allowed if a))})"
                         + did_you_mean(fld, [a for a in allowed if a]),
                         item=item_id, column=col)
            elif rater is not None and rater not in raters:
                self.add(self.table.where(-1, col), "unknown_rater",
                         f"column {col!r}: item {item_id} has no rater {rater!r}" + (f" (raters: {', '.join(raters)})" if raters else " (it takes one input)"),
                         item=item_id, column=col)

    # ---- one item -------------------------------------------------------------------------

    def item_inputs(self, si: int, ii: int, item: Item) -> card.ItemInputs:
        rule = item.rule
        na = self.na_mask(item)
        target = self.targets(si, ii, item, na) if rule.needs_target() else None
        raters = self.scheme.raters_of(item)
        mode = item.missing_rater or self.scheme.missing_rater
        data: dict[str | None, ItemData] = {}
        present: dict[str | None, np.ndarray] = {}
        for r in (list(raters) if raters else [None]):
            col = item.id if r is None else f"{item.id}@{r}"
            # A rater of weight 0 is recorded when given, never required.
            optional = bool(raters) and (mode == "reweight" or raters[r] == 0)
            value, here = self.primary(item, col, na, required=not optional)
            score_col = f"{item.id}.score" + (f"@{r}" if r else "")
            entered = self.number_column(score_col, item, na) if score_col in self.df.columns else None
            counters = {}
            if rule.input_kind == "counters":
                for c in rule.counters:
                    cc = f"{item.id}.{c.id}"
                    counters[c.id] = np.nan_to_num(self.number_column(cc, item, na), nan=0.0) if cc in self.df.columns else np.zeros(self.n)
            d = ItemData(points=item.points, value=value, target=target, counters=counters, score=entered)
            if rule.uses_achievement:
                d.x = rule.achievement(value.astype(float), target)
                d.exact = rule.achievement(value.astype(float), target, exact=True)
            data[r], present[r] = d, here
            self.rule_issues(item, d, col, score_col, na)
        if raters and mode == "reweight":
            anyone = np.any(np.vstack([present[r] for r in raters if raters[r] > 0]), axis=0)
            missing = ~anyone & ~na
            self.cells(np.flatnonzero(missing), f"{item.id}@{next(iter(raters))}", "no_rater",
                       f"no rater scored {item.name or item.id} (raters: {', '.join(raters)})", item=item.id)
        group = None
        if item.na == "average" and item.na_group:
            got = self.person_column(item.na_group, f"{item.id}.na_group")
            group = got[0].astype(str).to_numpy() if got else None
        if item.na == "average":
            self.nobody_to_average(item, na, group)
        if rule.type == "adjust":  # points from any rater need the reason
            self.reasons(item, np.vstack([np.abs(np.nan_to_num(d.value.astype(float))) for d in data.values()]).max(axis=0), na)
        return card.ItemInputs(data, present, na, group)

    def primary(self, item: Item, col: str, na: np.ndarray, required: bool) -> tuple[np.ndarray, np.ndarray]:
        rule = item.rule
        if rule.input_kind == "counters":
            return np.zeros(self.n), np.ones(self.n, dtype=bool)
        if col not in self.df.columns:
            if required and not rule.blank_ok and not na.all():
                self.add(self.table.name, "missing_column", f"no column {col!r}: the input of {item.name or item.id}"
                         + did_you_mean(col, self.stray_columns()), item=item.id, column=col)
            empty = np.full(self.n, np.nan) if rule.input_kind != "level" else np.full(self.n, None, dtype=object)
            return empty, np.zeros(self.n, dtype=bool)
        series = self.df[col]
        blank = is_blank(series)
        if rule.input_kind == "level":
            value = levels(series)
        elif rule.input_kind == "yesno":
            value, bad = yes_no(series)
            self.cells(np.flatnonzero(bad & ~na), col, "not_yes_no", "must be 是 or 否 (or 1/0, TRUE/FALSE)", item=item.id)
        else:
            value, bad = numbers(series)
            self.not_numbers(np.flatnonzero(bad & ~na), col, item)
        if required and not rule.blank_ok:
            rater = parse_column(col)[2]
            self.cells(np.flatnonzero(blank & ~na), col, "missing",
                       f"no input from rater {rater} for {item.name or item.id}" if rater else f"no input for {item.name or item.id}",
                       item=item.id)
        return value, ~blank

    def number_column(self, col: str, item: Item, na: np.ndarray) -> np.ndarray:
        value, bad = numbers(self.df[col])
        self.not_numbers(np.flatnonzero(bad & ~na), col, item)
        return value

    def not_numbers(self, rows: np.ndarray, col: str, item: Item, subject: str = "") -> None:
        """Report cells that hold text (九十, 95%, 1,000) or TRUE/FALSE where a number belongs."""
        cells = self.df[col]
        self.cells(rows, col, "not_a_number", [number_note(cells.iloc[int(r)], subject) for r in rows], item=item.id)

    def na_mask(self, item: Item) -> np.ndarray:
        col = f"{item.id}.na"
        if col not in self.df.columns:
            return np.zeros(self.n, dtype=bool)
        flag, bad = yes_no(self.df[col])
        self.cells(np.flatnonzero(bad), col, "not_yes_no", "must be 是/否 or TRUE/FALSE", item=item.id)
        na = flag == 1.0
        if item.na is None:
            self.cells(np.flatnonzero(na), col, "na_not_allowed",
                       f"{item.name or item.id} cannot be marked not applicable: the scheme gives it no na policy", item=item.id)
            na = np.zeros(self.n, dtype=bool)
        return na

    def targets(self, si: int, ii: int, item: Item, na: np.ndarray) -> np.ndarray:
        t = np.full(self.n, np.nan)
        where = [None] * self.n
        col = f"{item.id}.target"
        source = np.full(self.n, col, dtype=object)  # the column each target comes from
        #: Rows whose target problem is already reported (an unreadable cell, a person
        #: not in the roster, a roster without the column): not reported again as missing.
        reported = np.zeros(self.n, dtype=bool)
        path = f"sections[{si}].items[{ii}].target"
        if isinstance(item.target, (int, float)):
            t[:] = float(item.target)
            where = [path] * self.n
        elif isinstance(item.target, Column):
            got = self.person_column(item.target.column, path)
            if got is not None:
                vals, wf = got
                t, bad = numbers(vals)
                where = [wf(r) for r in range(self.n)] if (bad.any() or np.isnan(t).any() or (t <= 0).any()) else where
                source[:] = item.target.column
                for r in np.flatnonzero(bad & ~na):
                    self.add(where[r], "not_a_number", number_note(vals.iloc[r], f"the target of {item.name or item.id}"),
                             vals.iloc[r], employee=self.ids[r], item=item.id, column=item.target.column)
                reported = bad | self.unlooked(item.target.column)
            else:
                reported[:] = True
        if col in self.df.columns:
            own, own_bad = numbers(self.df[col])
            self.not_numbers(np.flatnonzero(own_bad & ~na), col, item, f"the target of {item.name or item.id}")
            given = ~np.isnan(own)
            t = np.where(given, own, t)
            where = [self.table.where(r, col) if given[r] else where[r] for r in range(self.n)]
            source[given] = col
            reported = (reported & ~given) | own_bad
        for r in np.flatnonzero(np.isnan(t) & ~na & ~reported):
            self.add(where[r] or self.table.where(int(r), col), "missing_target",
                     f"no target for {item.name or item.id} (give {col}, or a target in the scheme or roster)",
                     employee=self.ids[r], item=item.id, column=source[r])
        for r in np.flatnonzero((t <= 0) & ~na):
            self.add(where[r] or self.table.where(int(r), col), "zero_target",
                     f"the target of {item.name or item.id} must be above 0", t[r], employee=self.ids[r], item=item.id,
                     column=source[r])
        return t

    def nobody_to_average(self, item: Item, na: np.ndarray, group: np.ndarray | None) -> None:
        """A note for each group in which everyone is N/A on an ``na: average`` item.

        The stated policy: with no one to average, the item scores 0 for that group, in
        both renderings — said once per group at its first person's N/A cell, never silent.
        """
        labels = np.char.lower(group.astype(str)) if group is not None else np.zeros(self.n, dtype=int)
        for g in dict.fromkeys(labels[na].tolist()):
            members = labels == g
            if na[members].all():
                r = int(np.flatnonzero(members)[0])
                where = f"the group {group[r]!r}" if group is not None else "everyone"
                self.add(self.table.where(r, f"{item.id}.na"), "na_average_empty",
                         f"{item.name or item.id}: {where} is not applicable, so there is no average to give; "
                         "the item scores 0 there", into=self.notes, employee=self.ids[r], item=item.id,
                         column=f"{item.id}.na")

    def rule_issues(self, item: Item, d: ItemData, col: str, score_col: str, na: np.ndarray) -> None:
        found = [(i, None) for i in item.rule.check(d)] + [(i, self.notes) for i in item.rule.notes(d)]
        for issue, into in found:
            keep = ~na[issue.rows]
            rows = issue.rows[keep]
            msgs = [m for m, k in zip(issue.messages, keep) if k]
            column = {"value": col, "score": score_col, "target": f"{item.id}.target"}.get(issue.field, f"{item.id}.{issue.field}")
            # the cell is shown as typed, not as read
            self.cells(rows, column, issue.code, msgs, item=item.id, into=into)

    def reasons(self, item: Item, value: np.ndarray, na: np.ndarray) -> None:
        col = f"{item.id}.reason"
        has = ~is_blank(self.df[col]) if col in self.df.columns else np.zeros(self.n, dtype=bool)
        need = (np.nan_to_num(value.astype(float)) != 0) & ~has & ~na
        self.cells(np.flatnonzero(need), col, "missing_reason",
                   f"{item.name or item.id}: points added or taken need a reason", item=item.id,
                   values=np.full(self.n, None, dtype=object))

    # ---- the run ----------------------------------------------------------------------------

    def gather(self) -> Prepared:
        """Read and check every input the scheme needs."""
        s = self.scheme
        self.check_columns()
        items = {item.id: self.item_inputs(si, ii, item)
                         for si, sec in enumerate(s.sections) for ii, item in enumerate(sec.items)}
        group = order = None
        dist = s.ratings.distribution if s.ratings is not None else None
        if dist is not None:
            if dist.group_by:
                got = self.person_column(dist.group_by, "ratings.distribution.group_by")
                group = got[0].astype(str).to_numpy() if got else None
            frame = pd.DataFrame({ID: self.ids})
            for c in dist.tie_break:
                got = self.person_column(c, "ratings.distribution.tie_break")
                frame[c] = got[0].to_numpy() if got else None
            order = rating_mod.tie_order(frame, dist.tie_break, ID)
        elif s.ratings is not None and s.ratings.flags:
            order = rating_mod.tie_order(pd.DataFrame({ID: self.ids}), [], ID)
        b = s.bonus
        bonus = None
        if b is not None:
            base = self.person_values(b.base, "bonus.base")
            level = amount = None
            if b.level_factor is not None:
                got = self.person_column(b.level_factor.column, "bonus.level_factor")
                level = got[0].to_numpy(dtype=object) if got else None
            if b.commission is not None:
                amount = self.person_values(b.commission.amount, "bonus.commission.amount")
            bonus = BonusInputs(read_only(base), read_only(level), read_only(amount))
            seen = {p.where for p in self.problems}
            for row, column, code, message in bonus_mod.bonus_problems(b, base=base, level=level,
                                                                       commission_amount=amount):
                known = column in self.df.columns or (self.roster is not None and column in self.roster.df.columns)
                if row < 0 or not known or self.unlooked(column)[row]:
                    continue  # a missing column or a person not in the roster: reported already
                where = self.where_person(row, column)
                if where not in seen:  # a cell already reported (not a number) is not reported twice
                    self.add(where, code, message, employee=self.ids[row], column=column)
        return Prepared(s, self.table, self.roster, self.ids, items, group, order, bonus,
                        tuple(self.problems), self.roster_rows, tuple(self.notes))

    def person_values(self, spec: float | Column, needed_by: str) -> np.ndarray:
        if not isinstance(spec, Column):
            return np.full(self.n, float(spec))
        got = self.person_column(spec.column, needed_by)
        if got is None:
            return np.full(self.n, np.nan)
        vals, where = got
        out, bad = numbers(vals)
        for r in np.flatnonzero((bad | np.isnan(out)) & ~self.unlooked(spec.column)):
            self.add(where(int(r)), "not_a_number" if bad[r] else "missing",
                     number_note(vals.iloc[r], f"{spec.column} (needed by {needed_by})") if bad[r]
                     else f"{spec.column} is blank: enter a number (needed by {needed_by})",
                     vals.iloc[r] if bad[r] else None, employee=self.ids[r], column=spec.column)
        return out

    def stray_columns(self) -> list[str]:
        """The table's columns that name no item (a misspelt item id hides among them)."""
        items = {i.id for _, i in self.scheme.items()}
        return [str(c) for c in self.df.columns if parse_column(str(c))[0] not in items and c != ID]

    def unlooked(self, column: str) -> np.ndarray:
        """Rows whose value of a roster column cannot be looked up (reported as not in the roster)."""
        if self.roster is not None and column in self.roster.df.columns:
            return self.off_roster
        return np.zeros(self.n, dtype=bool)

    def where_person(self, row: int, column: str) -> str:
        if self.roster is not None and column in self.roster.df.columns and not np.isnan(self.roster_rows[row]):
            return self.roster.where(int(self.roster_rows[row]), column)
        return self.table.where(row, column)


def compute(prepared: Prepared, overrides: Overrides | None = None, *, detail: bool = False) -> pd.DataFrame:
    """Score everyone from prepared inputs: items, sections, total, rating, flags, bonus.

    The one rating-and-bonus pipeline: ``kpixl.score``, the scored and rated workbooks and
    the master's report all come through here.

    Args:
        prepared: What :func:`prepare` read.
        overrides: Values that replace the scheme's or roster's (finance's parameters).
        detail: Also return ``rank`` (when anything is ranked) and ``bonus.perf`` (the
            performance pay before budget and commission), as the rated sheet shows them.

    Returns:
        One row per person: ``employee_id``, item scores, section contributions,
        ``total``, ``rating``, ``bonus`` and a ``flag.<id>`` column per rank flag.
    """
    s, n = prepared.scheme, prepared.n
    overrides = overrides or Overrides()
    out: dict[str, Any] = {ID: np.asarray(prepared.ids)}
    section_values = []
    for sec in s.sections:
        scores, excluded = [], []
        for item in sec.items:
            val, exc = card.item_score(s, item, prepared.items[item.id])
            out[item.id] = val
            scores.append(val)
            excluded.append(exc)
        section_values.append(card.section_score(s, sec, scores, excluded))
        out[sec.id] = section_values[-1]
    total = card.total_score(s, section_values)
    out["total"] = total
    rating, flags = (np.full(n, None, dtype=object), {})
    if s.ratings is not None:
        rating, flags = rating_mod.rate(s.ratings, total, group=prepared.group, order=prepared.order)
    out["rating"] = rating
    if detail and s.ratings is not None and (s.ratings.distribution is not None or s.ratings.flags):
        out["rank"] = rating_mod.rank(np.asarray(total, dtype=float), prepared.group, prepared.order)
    out["bonus"] = np.full(n, np.nan)
    perf = np.full(n, np.nan)
    policy = overrides.bonus or s.bonus
    if policy is not None and prepared.bonus is not None:
        b = prepared.bonus
        base = b.base if overrides.base is None else np.asarray(overrides.base, dtype=float)
        ok = np.ones(n, dtype=bool)
        if prepared.problems:
            # evaluate(): rows whose total or bonus inputs are unusable keep NaN (their
            # problems are reported); the rest are paid — never from a defaulted input.
            for p in bonus_mod.bonus_problems(policy, base=base, level=b.level,
                                              commission_amount=b.amount, total=total):
                ok[slice(None) if p.row < 0 else p.row] = False
        if ok.any():
            def pick(a):
                return None if a is None else np.asarray(a, dtype=object)[ok]

            perf[ok], out["bonus"][ok] = bonus_mod.bonus_amounts(
                policy, np.asarray(total, dtype=float)[ok], s.scale, pick(base),
                rating=pick(rating) if s.ratings is not None else None, level=pick(b.level),
                commission_amount=pick(b.amount))
    if detail and policy is not None:
        out["bonus.perf"] = perf
    for fid, vals in flags.items():
        out[f"flag.{fid}"] = vals
    return pd.DataFrame(out)


def did_you_mean(name: str, candidates: list[str]) -> str:
    """`` — did you mean 'x'?`` for the closest candidate, or nothing when none is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def item_names_as_ids(table: Table, scheme: Scheme) -> Table:
    """Accept an item's Chinese name as its column header (``全新AA+BB销量达成`` for ``new_sales``).

    Only where it is unambiguous: the name belongs to one item, and the table has no
    column under that item's id. ``名称.target`` and ``名称@rater`` follow the same rule.
    Cells keep their places under the header as typed.
    """
    names: dict[str, list[str]] = {}
    for _, item in scheme.items():
        if item.name:
            names.setdefault(item.name.strip(), []).append(item.id)
    columns = [str(c) for c in table.df.columns]
    taken = {parse_column(c)[0] for c in columns}
    renamed: dict[str, str] = {}
    for c in columns:
        head, fld, rater = parse_column(c.strip())
        ids = names.get(head.strip())
        if ids is None or len(ids) != 1 or ids[0] in taken:
            continue
        new = ids[0] + (f".{fld}" if fld else "") + (f"@{rater}" if rater else "")
        if new not in columns and new not in renamed.values():
            renamed[c] = new
    if not renamed:
        return table
    typed = {new: old for old, new in renamed.items()}
    return Table(table.df.rename(columns=renamed), table.name,
                 lambda r, c, cell=table.cell: cell(r, typed.get(c, c)), table.problems)
