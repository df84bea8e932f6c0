"""The ``KPI_*`` worksheet functions: thin xlwings wrappers over the scoring core.

Each function reads its arguments as Excel passes them (:mod:`._excel`), builds the
rule or policy model the same way a scheme does (so the messages are the scheme's),
and calls the engine's own evaluator: :mod:`kpixl.rules` through
:func:`kpixl.engine.card.item_score`, :func:`kpixl.score`, :mod:`kpixl.rating`,
:mod:`kpixl.bonus`. There is no scoring arithmetic in this module.

A bad argument never raises: the cell shows one line such as
``KPI_RATIO: target must be above 0``. The docstrings are the help Excel shows (the
first lines describe the function, ``Args:`` each argument).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import xlwings as xw

from kpixl import rating as rating_mod
from kpixl.bonus import bonus_amounts
from kpixl.engine.score import evaluate as evaluate_inputs
from kpixl.engine.score import score as score_inputs
from kpixl.errors import InputError
from kpixl.scheme import notation as nt

from . import _excel as ex

__all__ = [
    "KPI_RATIO", "KPI_TIER", "KPI_STEP", "KPI_COUNT", "KPI_RUBRIC", "KPI_RATERS", "KPI_WEIGHTED",
    "KPI_TOTAL", "KPI_RATING", "KPI_DISTRIBUTE", "KPI_BONUS", "KPI_CHECK",
]

#: The function category in Excel's Insert Function dialog.
CATEGORY = "kpixl"


def _documented(f: Callable) -> Callable:
    """Give every argument its help text (from the docstring) and read error cells as text."""
    docs = ex.arg_docs(f)
    for name in reversed(list(docs)):
        f = xw.arg(name, doc=docs[name][:255], err_to_str=True)(f)
    return f


# ---- one rule each -------------------------------------------------------------------------


@xw.func(category=CATEGORY)
@_documented
@ex.guard
def KPI_RATIO(actual, target, points, cap=None, floor=None, zero_below=None, direction=None):
    """Score in proportion to achievement: points × actual/target, capped (实际/目标×分值, 最高120%封顶).

    =KPI_RATIO(95, 100, 20, 1.2) is 19. Same rule as a scheme's {type: ratio}.

    Args:
        actual: The actual (实际完成).
        target: The target (目标), above 0; 1 when the actual is already a rate.
        points: The item's full marks (分值).
        cap: Highest achievement counted, e.g. 1.2 (120%封顶). Optional.
        floor: Lowest achievement counted (default 0). Optional.
        zero_below: Below this achievement the item scores 0, e.g. 0.5. Optional.
        direction: 越高越好 (higher, default) or 越低越好 (lower: target/actual). Optional.
    """
    rule = {"type": "ratio", "cap": ex.optional_number(cap, "cap"),
            "direction": ex.choice("direction", direction) or "higher"}
    if not ex.blank(floor):
        rule["floor"] = ex.number(floor, "floor")
    if not ex.blank(zero_below):
        rule["zero_below"] = ex.number(zero_below, "zero_below")
    return _one_rule(rule, points, actual, target=target)


@xw.func(category=CATEGORY)
@xw.arg("bands", ndim=2)
@_documented
@ex.guard
def KPI_TIER(actual, target, bands, score=None, gap=None, direction=None):
    """Points by the band the achievement falls in (完成率≥90% 20分, ≥85% 10分, <80% 0分).

    =KPI_TIER(88, 100, "≥90%:20; 85%~90%:10; 0~85%:0") is 10. Same rule as {type: tiers}.

    Args:
        actual: The actual (实际), or the rate itself with target 1.
        target: The target (目标), above 0; 1 when the actual is already a rate.
        bands: Rows min | max | points (| points to), best first, or text such as ≥90%:20; 85%~90%:10; 0~85%:0.
        score: The score a rater entered, for a band whose points are a range (6~8分). Optional.
        gap: Between bands: 报错 (error, default), 就低 (lower band) or 零分 (zero). Optional.
        direction: 越高越好 (higher, default) or 越低越好 (lower). Optional.
    """
    text = ex.single_text(bands)
    if text is not None:
        parsed = ex.structured("bands", text, "bands")
    else:
        parsed = [_band(r, i) for i, r in enumerate(ex.table_rows(bands, numeric=(0, 1, 2, 3)))]
    rule = {"type": "tiers", "bands": parsed, "direction": ex.choice("direction", direction) or "higher"}
    if not ex.blank(gap):
        rule["gap"] = ex.choice("gap", gap)
    return _one_rule(rule, 0, actual, target=target, score=score)  # the bands give the points


def _band(row: list, i: int) -> dict:
    if len(row) < 3:
        raise ex.UdfError(f"bands row {i + 1}: give min | max | points (leave min or max empty for none)")
    band: dict[str, Any] = {"points": ex.points_or_range(row[2], row[3] if len(row) > 3 else None,
                                                        f"bands row {i + 1} points")}
    lo, hi = ex.cell_number(row[0], f"bands row {i + 1} min"), ex.cell_number(row[1], f"bands row {i + 1} max")
    if lo is not None:
        band["min"] = lo
    if hi is not None:
        band["max"] = hi
    return band


@xw.func(category=CATEGORY)
@_documented
@ex.guard
def KPI_STEP(actual, target, points, below_step=None, below_pts=None, above_step=None, above_pts=None,
             max_bonus=None, max_deduction=None, threshold=None, stepping=None, zero_below=None,
             base=None, direction=None):
    """Points taken or added per step away from the target (每低于目标5%扣3分, 每超过1%加2分).

    =KPI_STEP(85, 100, 20, 0.05, 3) is 11: 15% below is 3 steps, 20 − 3×3. Same rule as {type: step}.

    Args:
        actual: The actual (实际), or the rate itself with target 1.
        target: The target (目标), above 0; 1 when the actual is already a rate.
        points: The item's full marks (分值), the starting score unless base says otherwise.
        below_step: Size of a step below the threshold, e.g. 0.05 (每低5%). Optional.
        below_pts: Points taken per step below, e.g. 3 (扣3分). Optional.
        above_step: Size of a step above the threshold, e.g. 0.01 (每超1%). Optional.
        above_pts: Points added per step above, e.g. 2 (加2分). Optional.
        max_bonus: At most this many points added (最多加). Optional.
        max_deduction: At most this many points taken (最多扣). Optional.
        threshold: The achievement where steps start (default 1 = 100%; 0.95 for 准确率≥95%). Optional.
        stepping: 整步 (whole steps, default), 进一 (a started step counts) or 线性 (fractions). Optional.
        zero_below: Below this achievement the item scores 0. Optional.
        base: The score at the threshold: 满分 (points, default) or a number. Optional.
        direction: 越高越好 (higher, default) or 越低越好 (lower). Optional.
    """
    rule: dict[str, Any] = {"type": "step", "direction": ex.choice("direction", direction) or "higher"}
    for side, every, pts in (("below", below_step, below_pts), ("above", above_step, above_pts)):
        if not (ex.blank(every) and ex.blank(pts)):
            rule[side] = {"every": ex.number(every, f"{side}_step"), "points": ex.number(pts, f"{side}_pts")}
    for key, v in (("max_bonus", max_bonus), ("max_deduction", max_deduction), ("threshold", threshold),
                   ("zero_below", zero_below)):
        if not ex.blank(v):
            rule[key] = ex.number(v, key)
    if not ex.blank(stepping):
        rule["stepping"] = ex.choice("stepping", stepping)
    if not ex.blank(base):
        try:
            rule["base"] = nt.parse_base(base)
        except nt.NotationError as e:
            raise ex.UdfError(f"base {e}") from None
    names = {"rule.below.every": "below_step", "rule.below.points": "below_pts", "rule.below": "below_step",
             "rule.above.every": "above_step", "rule.above.points": "above_pts", "rule.above": "above_step"}
    return _one_rule(rule, points, actual, target=target, names=names)


@xw.func(category=CATEGORY)
@xw.arg("counts", ndim=2)
@xw.arg("per", ndim=2)
@_documented
@ex.guard
def KPI_COUNT(counts, per, base=None, limit_min=None, limit_max=None, negative=None):
    """Points per event: base + Σ count × points per event (迟到扣1分/次, 旷工扣5分/次, 扣完为止).

    =KPI_COUNT({3,1}, {-1,-5}, 10) is 2: 10 − 3×1 − 1×5. Same rule as {type: count}.

    Args:
        counts: How many times each event happened (次数); an empty cell is 0.
        per: Points per event, one for each count: negative to deduct (-1), positive to add (5).
        base: The starting score, e.g. the item's full marks for 扣完为止 (default 0). Optional.
        limit_min: Lowest total of the events, e.g. -10 for 扣分上限10分. Optional.
        limit_max: Highest total of the events, e.g. 20 for 最多加20分. Optional.
        negative: TRUE to let the score go below 0 (单项可扣至负数). Optional.
    """
    n, _ = ex.vector(counts, "counts")
    p, _ = ex.vector(per, "per")
    if len(n) != len(p):
        raise ex.UdfError(f"counts has {len(n)} cells and per has {len(p)}: give one points per event for each count")
    keep = [i for i in range(len(n)) if not (ex.blank(n[i]) and ex.blank(p[i]))]
    if not keep:
        raise ex.UdfError("per is empty: give the points per event")
    ids = [f"c{k + 1}" for k in range(len(keep))]
    counters = [{"id": c, "name": f"counts ({k + 1})", "per": ex.number(p[i], f"per ({k + 1})")}
                for k, (c, i) in enumerate(zip(ids, keep))]
    found = {c: (0.0 if ex.blank(n[i]) else ex.number(n[i], f"counts ({k + 1})")) for k, (c, i) in enumerate(zip(ids, keep))}
    b = 0.0 if ex.blank(base) else ex.number(base, "base")
    limit = {k: ex.number(v, f"limit_{k}") for k, v in (("min", limit_min), ("max", limit_max)) if not ex.blank(v)}
    # A worksheet function computes, it does not refuse: beyond the limit counts as the limit.
    rule = {"type": "count", "base": b, "limit": limit, "allow_negative": ex.flag(negative, "negative"), "beyond": "cap",
            "counters": counters}
    names = {"rule.counters": "per", "rule.limit": "limit_min", "rule.limit.min": "limit_min",
             "rule.limit.max": "limit_max", "rule.base": "base"}
    scheme, item = ex.one_item_scheme({"points": max(b, 0.0), "rule": rule}, names)
    data = ex.item_data(item, np.nan, counters=found)
    ex.check_inputs(item, data)
    return ex.item_score(scheme, item, {None: data})


@xw.func(category=CATEGORY)
@xw.arg("levels", ndim=2)
@_documented
@ex.guard
def KPI_RUBRIC(level, levels, points=None, score=None, of=None):
    """Points by the level a rater picks (1级5分 … 5级25分; 优100% 良80–90% 中70%).

    =KPI_RUBRIC(3, "1:5; 2:10; 3:15; 4:20; 5:25") is 15. Same rule as {type: rubric}.

    Args:
        level: The level picked (等级): 3, "优"…
        levels: Rows level | points (| points to), or text such as 1:5; 2:10 or 优:100%; 良:80%~90%.
        points: The item's full marks; needed when the levels are shares (of = 比例). Optional.
        score: The score entered within a level's range (良 80%~90%). Optional.
        of: 分值 (levels give points, default) or 比例 (levels give a share of points). Optional.
    """
    text = ex.single_text(levels)
    if text is not None:
        table = ex.structured("levels", text, "levels")
    else:
        table = {}
        for i, r in enumerate(ex.table_rows(levels, numeric=(1, 2))):
            if len(r) < 2 or ex.blank(r[0]):
                raise ex.UdfError(f"levels row {i + 1}: give level | points")
            key = r[0].strip() if isinstance(r[0], str) else r[0]
            table[key] = ex.points_or_range(r[1], r[2] if len(r) > 2 else None, f"levels row {i + 1} points")
    kind = ex.choice("of", of) or "points"
    if kind == "fraction" and ex.blank(points):
        raise ex.UdfError("points is blank: levels given as shares (of = 比例) need the item's full marks")
    p = 0.0 if ex.blank(points) else ex.number(points, "points")
    scheme, item = ex.one_item_scheme({"points": p, "rule": {"type": "rubric", "of": kind, "levels": table}},
                                      {"rule.levels": "levels", "rule.of": "of"})
    picked = ex.level(level, item.rule.keys())
    entered = ex.optional_number(score, "score")
    data = ex.item_data(item, picked, score=entered)
    ex.check_inputs(item, data, {"value": "level"})
    return ex.item_score(scheme, item, {None: data})


# ---- several raters, several items ----------------------------------------------------------


@xw.func(category=CATEGORY)
@xw.arg("scores", ndim=2)
@xw.arg("weights", ndim=2)
@_documented
@ex.guard
def KPI_RATERS(scores, weights, points, reweight=None):
    """Several raters' scores weighted (自评30% + 人力资源30% + 上级40%).

    =KPI_RATERS({18,16,17}, {0.3,0.3,0.4}, 20) is 17: 0.3×18 + 0.3×16 + 0.4×17. Weights sum to 100%.

    Args:
        scores: Each rater's score (评分), from 0 to points.
        weights: Each rater's weight, one per score, summing to 100%.
        points: The item's full marks (分值); a score above it is an error.
        reweight: TRUE to rescale the weights of the raters who scored when one is blank (缺评按比例). Optional.
    """
    s, _ = ex.vector(scores, "scores")
    w, _ = ex.vector(weights, "weights")
    if len(s) != len(w):
        raise ex.UdfError(f"scores has {len(s)} cells and weights has {len(w)}: give one weight per rater")
    keep = [i for i in range(len(s)) if not ex.blank(w[i]) or not ex.blank(s[i])]
    raters = {f"r{k + 1}": ex.number(w[i], f"weights ({k + 1})") for k, i in enumerate(keep)}
    again = ex.flag(reweight, "reweight")
    item = {"points": ex.number(points, "points"),
            "rule": {"type": "manual"}, "raters": raters}
    if again:
        item["missing_rater"] = "reweight"
    scheme, it = ex.one_item_scheme(item, {"raters": "weights", "points": "points"})
    data, present = {}, {}
    for k, (r, i) in enumerate(zip(raters, keep)):
        if ex.blank(s[i]):
            if not again:
                raise ex.UdfError(f"scores ({k + 1}) is blank: enter the rater's score, or set reweight to TRUE")
            data[r], present[r] = ex.item_data(it, np.nan), False
            continue
        data[r], present[r] = ex.item_data(it, ex.number(s[i], f"scores ({k + 1})")), True
        ex.check_inputs(it, data[r], {"value": f"scores ({k + 1})"})
    if not any(present.values()):
        raise ex.UdfError("scores is empty: no rater scored")
    return ex.item_score(scheme, it, data, present)


@xw.func(category=CATEGORY)
@xw.arg("values", ndim=2)
@xw.arg("weights", ndim=2)
@xw.arg("targets", ndim=2)
@xw.arg("cap", ndim=2)
@_documented
@ex.guard
def KPI_WEIGHTED(values, weights, targets=None, cap=None, floor=None):
    """Σ weight × achievement over items, each capped (实际/目标×权重, 各细项最高120%封顶).

    =KPI_WEIGHTED({1.3;0.9}, {0.6;0.4}, , 1.2) is 1.08: 0.6×1.2 + 0.4×0.9. Each item is a {type: ratio} item.

    Args:
        values: Each item's actual, or its achievement rate (0.95) when no targets are given.
        weights: Each item's weight or points (0.4 or 40), one per value.
        targets: Each item's target, one per value; omit when values are rates already. Optional.
        cap: Highest achievement counted: one number for all items (1.2) or one per item. Optional.
        floor: Lowest achievement counted (default 0). Optional.
    """
    v, _ = ex.vector(values, "values")
    w, _ = ex.vector(weights, "weights")
    t = ex.vector(targets, "targets")[0] if targets is not None else None
    caps = ex.vector(cap, "cap")[0] if cap is not None else [None]
    if len(w) != len(v) or (t is not None and len(t) != len(v)):
        raise ex.UdfError(f"values, weights{' and targets' if t is not None else ''} must have as many cells each "
                          f"(got {len(v)}, {len(w)}{f', {len(t)}' if t is not None else ''})")
    if len(caps) not in (1, len(v)):
        raise ex.UdfError(f"cap must be one number or one per value ({len(v)}), not {len(caps)}")
    keep = [i for i in range(len(v)) if not (ex.blank(v[i]) and ex.blank(w[i]) and (t is None or ex.blank(t[i])))]
    if not keep:
        raise ex.UdfError("values is empty")
    low = ex.optional_number(floor, "floor")
    items, inputs = [], []
    for k, i in enumerate(keep):
        rule: dict[str, Any] = {"type": "ratio", "measure": "ratio" if t is not None else "value",
                                "cap": ex.optional_number(caps[i if len(caps) > 1 else 0], f"cap ({k + 1})")}
        if low is not None:
            rule["floor"] = low
        items.append({"id": f"i{k + 1}", "points": ex.number(w[i], f"weights ({k + 1})"), "rule": rule})
        target = ex.target_of(t[i]) if t is not None else None
        inputs.append((ex.number(v[i], f"values ({k + 1})"), target))
    scheme = ex.one_section_scheme(items, {"points": "weights", "rule.cap": "cap", "rule.floor": "floor"})
    section = scheme.sections[0]
    scores = [ex.item_score(scheme, it, {None: ex.item_data(it, a, target=tg)})
              for it, (a, tg) in zip(section.items, inputs)]
    return ex.section_raw(scheme, scores)


# ---- a whole card -----------------------------------------------------------------------------


@xw.func(category=CATEGORY)
@xw.arg("scheme", ndim=2)
@xw.arg("inputs", ndim=2)
@_documented
@ex.guard
def KPI_TOTAL(scheme, inputs, result=None):
    """A whole scorecard's total from a scheme range and an inputs range (the engine's kpixl score).

    =KPI_TOTAL(Scheme!A1:Z40, B2:F3) gives the total; a column of totals for several people.

    Args:
        scheme: The range holding a Scheme sheet's key/value block and item table (cells counted from its top-left).
        inputs: A header row of input names (sales, sales.target, attendance.late) with a row of values per person, or two columns name | value.
        result: What to return: total (default), rating, bonus, or an item's or section's id. Optional.
    """
    s = ex.scheme_of(scheme)
    df = ex.inputs_frame(inputs)
    out = score_inputs(s, df)
    column = "total" if ex.blank(result) else str(result).strip()
    if column not in out.columns or column == "employee_id":
        allowed = [c for c in out.columns if c != "employee_id"]
        raise ex.UdfError(f"result {column!r} is not one of {', '.join(allowed)}")
    values = [_cell(v) for v in out[column]]
    return values[0] if len(values) == 1 else [[v] for v in values]


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.floating, np.integer)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


@xw.func(category=CATEGORY)
@xw.arg("scheme", ndim=2)
@xw.arg("inputs", ndim=2)
@_documented
@ex.guard
def KPI_CHECK(scheme, inputs):
    """Every problem of a card's scheme and inputs, one per row: where | problem | value (or OK).

    =KPI_CHECK(Scheme!A1:Z40, B2:F3) spills the problems kpixl score would report.

    Args:
        scheme: The range holding a Scheme sheet's key/value block and item table.
        inputs: A header row of input names with a row of values per person, or two columns name | value.
    """
    try:
        s = ex.scheme_of(scheme)
    except InputError as e:
        return _problem_rows(e.problems, several=False)
    df = ex.inputs_frame(inputs)
    found = evaluate_inputs(s, df).problems
    if not found:
        return "OK"
    return _problem_rows(found, several=len(df) > 1)


def _problem_rows(problems: list, several: bool) -> list[list[Any]]:
    rows = [["where", "problem", "value"]]
    for p in problems:
        where = p.column or p.where
        if several and p.employee:
            where = f"{p.employee}: {where}"
        rows.append([where, ex.polish(p.message), p.value])
    return rows


# ---- ratings and bonus ------------------------------------------------------------------------


@xw.func(category=CATEGORY)
@xw.arg("bands", ndim=2)
@_documented
@ex.guard
def KPI_RATING(total, bands):
    """The rating (考核等级) a total earns by absolute bands (优秀≥90; 良好≥80; 合格≥60; 不合格).

    =KPI_RATING(85, "优秀≥90; 良好≥80; 合格≥60; 不合格") is 良好.

    Args:
        total: The total score.
        bands: Rows name | lowest total, best first (the last row's lowest total empty), or text such as 优秀≥90; 良好≥80; 不合格.
    """
    text = ex.single_text(bands)
    if text is not None:
        ratings = ex.structured("ratings", text, "bands")
    else:
        ratings = {"bands": [_rating_band(r, i) for i, r in enumerate(ex.table_rows(bands, numeric=(1,)))]}
    s, _ = ex.one_item_scheme({"points": 0, "rule": {"type": "manual"}}, {"ratings.bands": "bands"}, ratings=ratings)
    got = rating_mod.rate_bands(s.ratings.bands, [ex.number(total, "total")])[0]
    return "" if got is None else got


def _rating_band(row: list, i: int) -> dict:
    if ex.blank(row[0]):
        raise ex.UdfError(f"bands row {i + 1}: the rating has no name")
    band = {"name": str(row[0]).strip()}
    lo = ex.cell_number(row[1], f"bands row {i + 1} lowest total") if len(row) > 1 else None
    if lo is not None:
        band["min"] = lo
    return band


@xw.func(category=CATEGORY)
@xw.arg("totals", ndim=2)
@xw.arg("quotas", ndim=2)
@xw.arg("groups", ndim=2)
@xw.arg("order", ndim=2)
@_documented
@ex.guard
def KPI_DISTRIBUTE(totals, quotas, groups=None, order=None):
    """Forced distribution (强制分布): each total's rating by rank, as a column (a dynamic array).

    =KPI_DISTRIBUTE(H2:H41, {"优秀",0.2;"合格",0.7;"待改进",0.1}) spills one rating per total.

    Args:
        totals: The totals, one column (or one row).
        quotas: Rows name | share, best first, summing to 100% (优秀 5%, 良好 20%…).
        groups: A group per total (序列, 部门): each group is ranked on its own. Optional.
        order: A tie-break key per total (入职日期): the smaller wins a tie; default the row order. Optional.
    """
    t, as_row = ex.vector(totals, "totals")
    values = []
    for i, v in enumerate(t):
        if ex.blank(v):
            raise ex.UdfError(f"totals ({i + 1}) is blank: every person ranked needs a total")
        values.append(ex.number(v, f"totals ({i + 1})"))
    rows = ex.table_rows(quotas, numeric=(1,))
    quota_list = []
    for i, r in enumerate(rows):
        if len(r) < 2 or ex.blank(r[0]):
            raise ex.UdfError(f"quotas row {i + 1}: give name | share")
        quota_list.append({"name": str(r[0]).strip(), "share": ex.cell_number(r[1], f"quotas row {i + 1} share")})
    s, _ = ex.one_item_scheme({"points": 0, "rule": {"type": "manual"}}, {"ratings.distribution.quotas": "quotas"},
                              ratings={"distribution": {"quotas": quota_list}})
    g = _alongside(groups, "groups", len(values))
    tie = None
    if order is not None:
        keys = _alongside(order, "order", len(values))
        frame = pd.DataFrame({"key": [None if ex.blank(k) else k for k in keys], "row": range(len(values))})
        tie = rating_mod.tie_order(frame, ["key"], "row")
    names = rating_mod.distribute(s.ratings.distribution, values, group=g, order=tie)
    out = [None if n is None else str(n) for n in names]
    return [out] if as_row and len(out) > 1 else [[n] for n in out]


def _alongside(v: Any, name: str, n: int) -> list | None:
    if v is None:
        return None
    vals, _ = ex.vector(v, name)
    if len(vals) != n:
        raise ex.UdfError(f"{name} has {len(vals)} cells and totals has {n}: give one per total")
    return vals


@xw.func(category=CATEGORY)
@xw.arg("curve", ndim=2)
@xw.arg("factors", ndim=2)
@_documented
@ex.guard
def KPI_BONUS(total, base, curve=None, rating=None, factors=None, scale=None, digits=None):
    """The bonus (绩效奖金): base × the curve's factor of the total (× a rating factor), rounded.

    =KPI_BONUS(87.5, 2000) is 1750 (考核分数/100 × 月度绩效奖金). Same policy as a scheme's bonus.

    Args:
        total: The total score.
        base: The bonus base (月度绩效奖金).
        curve: Rows below | factor from low totals to high; factor is a number or score (= total/scale); the last row has no below. Default: score. Optional.
        rating: The rating, when factors are given (优秀). Optional.
        factors: Rows rating | factor (优秀 1.2, 良好 1.0); a rating not listed counts 1. Optional.
        scale: Full marks of the total (default 100). Optional.
        digits: Decimal places of the bonus (default 2). Optional.
    """
    bonus: dict[str, Any] = {"base": ex.number(base, "base")}
    if curve is not None:
        text = ex.single_text(curve)
        if text is not None:
            bonus["curve"] = ex.structured("yaml", text, "curve")
        else:
            bonus["curve"] = [_segment(r, i) for i, r in enumerate(ex.table_rows(curve, numeric=(0,)))]
    table = {}
    if factors is not None:
        for i, r in enumerate(ex.table_rows(factors, numeric=(1,))):
            if len(r) < 2 or ex.blank(r[0]):
                raise ex.UdfError(f"factors row {i + 1}: give rating | factor")
            table[str(r[0]).strip()] = ex.cell_number(r[1], f"factors row {i + 1} factor")
    if not ex.blank(digits):
        bonus["round"] = ex.number(digits, "digits")
    extra = {"bonus": bonus}
    if not ex.blank(scale):
        extra["scale"] = ex.number(scale, "scale")
    s, _ = ex.one_item_scheme({"points": 0, "rule": {"type": "manual"}},
                              {"bonus.curve": "curve", "bonus.rating_factor": "factors", "bonus.round": "digits",
                               "bonus.base": "base", "scale": "scale"}, **extra)
    # The rating is given, not computed: the factors need no ratings in a scheme to refer to.
    policy = s.bonus.model_copy(update={"rating_factor": table}) if table else s.bonus
    names = None if ex.blank(rating) else [str(rating).strip()]
    _, paid = bonus_amounts(policy, [ex.number(total, "total")], s.scale, rating=names)
    return float(paid[0])


def _segment(row: list, i: int) -> dict:
    below = ex.cell_number(row[0], f"curve row {i + 1} below")
    f = row[1] if len(row) > 1 else None
    if ex.blank(f):
        raise ex.UdfError(f"curve row {i + 1}: give below | factor (a number, or score)")
    factor = "score" if isinstance(f, str) and f.strip().lower() in ("score", "得分", "分数") else \
        ex.cell_number(f, f"curve row {i + 1} factor")
    seg = {"factor": factor}
    if below is not None:
        seg["below"] = below
    return seg


# ---- the shared path of the one-rule functions -------------------------------------------------


def _one_rule(rule: dict, points: Any, actual: Any, target: Any = None, score: Any = None,
              names: dict[str, str] | None = None) -> float:
    """Validate a one-item scheme around ``rule``, read the person's inputs, score with the engine."""
    p = ex.number(points, "points")
    fields = {"points": "points", "rule.bands": "bands", "rule.cap": "cap", "rule.floor": "floor",
              "rule.zero_below": "zero_below", "rule.direction": "direction", "rule.gap": "gap",
              **(names or {})}
    scheme, item = ex.one_item_scheme({"points": p, "rule": rule}, fields)
    a = ex.number(actual, "actual")
    t = ex.target_of(target) if item.rule.needs_target() else None
    data = ex.item_data(item, a, target=t, score=ex.optional_number(score, "score"))
    ex.check_inputs(item, data, {"value": "actual", "score": "score"})
    return ex.item_score(scheme, item, {None: data})
