"""Cross-field checks of a scheme that pydantic's field validation cannot see.

Every check yields ``(path, code, message)`` with a YAML-style path
(``sections[1].items[0].rule.bands``) and says what is allowed. All checks run; none
stops at the first problem.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Iterator

from .models import CONDITION_MEASURES, Condition, History, Levels, Measure, Scheme
from .pay import check_pay

Found = tuple[str, str, str]
_TOL = 1e-9


def _pct(x: float) -> str:
    return f"{x * 100:.10g}%"


def _weights(path: str, weights: dict[str, float], what: str) -> Iterator[Found]:
    for k, w in weights.items():
        # 0 is allowed for raters: recorded and shown, not counted (the seeds' 自评 column).
        low_ok = w >= 0 if what == "rater" else w > 0
        if not (low_ok and w <= 1):
            least = "at least 0" if what == "rater" else "above 0"
            yield f"{path}.{k}", "weight_range", f"{what} weight must be {least} and at most 1, not {w}"
    total = sum(weights.values())
    if abs(total - 1) > _TOL:
        yield path, "weights_sum", f"{what} weights sum to {_pct(total)}, not 100%"


def check_scheme(s: Scheme) -> list[Found]:
    """Every cross-field problem of a structurally valid scheme."""
    return list(_check(s))


def _check(s: Scheme) -> Iterator[Found]:
    # ---- identifiers ---------------------------------------------------------------
    ids = Tally([sec.id for sec in s.sections] + [i.id for _, i in s.items()])
    reserved = {"employee_id", "total", "rating", "bonus", "name"}
    for si, sec in enumerate(s.sections):
        if ids[sec.id] > 1:
            yield f"sections[{si}].id", "duplicate_id", f"id {sec.id!r} is used more than once (section and item ids share one namespace)"
        for ii, item in enumerate(sec.items):
            p = f"sections[{si}].items[{ii}]"
            if ids[item.id] > 1:
                yield f"{p}.id", "duplicate_id", f"id {item.id!r} is used more than once (section and item ids share one namespace)"
            if item.id in reserved:
                yield f"{p}.id", "reserved_id", f"id {item.id!r} is reserved for a result column; choose another"
            yield from _check_item(s, p, item)
        if sec.id in reserved:
            yield f"sections[{si}].id", "reserved_id", f"id {sec.id!r} is reserved for a result column; choose another"
        if sec.weight is not None and sec.full <= 0:
            yield f"sections[{si}].weight", "weighted_without_points", "a weighted section needs items with points above 0"
        if sec.cap is not None and sec.floor is not None and sec.cap < sec.floor:
            yield f"sections[{si}].cap", "cap_below_floor", f"cap {sec.cap} is below floor {sec.floor}"

    # ---- section weights -------------------------------------------------------------
    weighted = [sec.weight for sec in s.sections if sec.weight is not None]
    if weighted and abs(sum(weighted) - 1) > _TOL:
        parts = " + ".join(f"{sec.id} {_pct(sec.weight)}" for sec in s.sections if sec.weight is not None)
        yield "sections", "weights_sum", f"section weights sum to {_pct(sum(weighted))} ({parts}), not 100%"

    if s.raters:
        yield from _weights("raters", s.raters, "rater")
    if s.total.cap is not None and s.total.floor is not None and s.total.cap < s.total.floor:
        yield "total.cap", "cap_below_floor", f"cap {s.total.cap} is below floor {s.total.floor}"

    # ---- ratings ---------------------------------------------------------------------
    names: list[str] = []
    r = s.ratings
    if r is not None:
        if (r.bands is None) == (r.distribution is None):
            yield "ratings", "bands_or_distribution", "give either bands (absolute) or distribution (forced), not both or neither"
        if r.bands is not None:
            names = [b.name for b in r.bands]
            for bi, b in enumerate(r.bands):
                last = bi == len(r.bands) - 1
                if last and b.min is not None:
                    yield f"ratings.bands[{bi}].min", "last_band_min", "the last band must have no min, so every score gets a rating"
                if not last and b.min is None:
                    yield f"ratings.bands[{bi}].min", "band_min_missing", "every band but the last needs a min"
                if bi and b.min is not None and r.bands[bi - 1].min is not None and b.min >= r.bands[bi - 1].min:
                    yield f"ratings.bands[{bi}].min", "bands_order", "bands are listed best first: each min must be below the one before"
        if r.distribution is not None:
            names = [q.name for q in r.distribution.quotas]
            total = sum(q.share for q in r.distribution.quotas)
            if abs(total - 1) > _TOL:
                parts = "/".join(f"{q.share * 100:.10g}" for q in r.distribution.quotas)
                yield "ratings.distribution.quotas", "quotas_sum", f"quotas {parts} sum to {_pct(total)}, not 100%"
        for n, c in Tally(names).items():
            if c > 1:
                yield "ratings", "duplicate_rating", f"rating {n!r} is listed twice"
        for fi, f in enumerate(r.flags):
            if (f.top is None) == (f.bottom is None):
                yield f"ratings.flags[{fi}]", "flag_top_or_bottom", "a flag needs either top: share or bottom: share"

    # ---- bonus -----------------------------------------------------------------------
    b = s.bonus
    if b is not None:
        for ci, seg in enumerate(b.curve):
            last = ci == len(b.curve) - 1
            if last and seg.below is not None:
                yield f"bonus.curve[{ci}].below", "curve_last_below", "the last curve segment has no 'below': it takes every higher total"
            if not last and seg.below is None:
                yield f"bonus.curve[{ci}].below", "curve_below_missing", "every curve segment but the last needs 'below'"
            if ci and seg.below is not None and b.curve[ci - 1].below is not None and seg.below <= b.curve[ci - 1].below:
                yield f"bonus.curve[{ci}].below", "curve_order", "curve segments run from low totals to high: each 'below' must exceed the one before"
        if b.rating_factor:
            if not names:
                yield "bonus.rating_factor", "no_ratings", "rating_factor needs ratings in the scheme"
            for k in b.rating_factor:
                if names and k not in names:
                    yield f"bonus.rating_factor.{k}", "unknown_rating", f"no rating named {k!r}; ratings are {'、'.join(names)}"

    # ---- roll-up ---------------------------------------------------------------------
    if s.rollup is not None:
        yield from _weights("rollup.components", {c.id: c.weight for c in s.rollup.components}, "component")
        for n, c in Tally(c.id for c in s.rollup.components).items():
            if c > 1:
                yield "rollup.components", "duplicate_id", f"component {n!r} is listed twice"

    # ---- history and levels ----------------------------------------------------------
    items = [i.id for _, i in s.items()]
    if s.history is not None:
        yield from _check_history(s.history, items, names)
    if s.levels is not None:
        yield from _check_levels(s.levels, items, names)
        yield from _check_annual(s.levels, items, s.period)
    if s.pay is not None:
        yield from check_pay(s.pay, s.bonus is not None, s.history is not None,
                             {i.id: i.rule.uses_achievement for _, i in s.items()},
                             [r.id for r in s.history.rules] if s.history is not None else None)


def _check_item(s: Scheme, p: str, item) -> Iterator[Found]:
    rule = item.rule
    for sub, code, msg in rule.scheme_problems(item.points):
        yield f"{p}.rule.{sub}", code, msg
    if item.target is not None and not rule.needs_target():
        yield f"{p}.target", "target_unused", f"a {rule.type} rule" + (" with measure: value" if rule.uses_achievement else "") + " uses no target"
    if isinstance(item.target, (int, float)) and item.target == 0:
        yield f"{p}.target", "zero_target", "a target of 0 cannot be divided by; give the real target or a roster column"
    if item.raters:
        yield from _weights(f"{p}.raters", item.raters, "rater")
    if item.floor is not None and item.cap_points is not None and item.floor > item.cap_points:
        yield f"{p}.floor", "cap_below_floor", f"floor {item.floor} is above cap_points {item.cap_points}"
    if item.na_group is not None and item.na != "average":
        yield f"{p}.na_group", "na_group_unused", "na_group only applies with na: average"
    if s.raters_of(item) and rule.type == "count":
        yield f"{p}.raters", "raters_on_count", "a count item takes counters, not rater scores"


_LOWER = (">", ">=")  # operators that bound a value from below


def _never(lo: tuple[str, str, float], hi: tuple[str, str, float]) -> bool:
    """Whether a lower and an upper bound leave no value (equal ends meet only when both inclusive)."""
    (_, lo_op, a), (_, hi_op, b) = lo, hi
    return a > b or (a == b and (lo_op, hi_op) != (">=", "<="))


def _bounds_problems(p: str, bounds: list[tuple[str, str, float]]) -> Iterator[Found]:
    """Two bounds on one side (``min`` and ``above``), and bounds that never both hold."""
    lows = [b for b in bounds if b[1] in _LOWER]
    highs = [b for b in bounds if b[1] not in _LOWER]
    for side in (lows, highs):
        if len(side) > 1:  # one inclusive and one strict: reported at the strict one
            (a, _, _), (b, _, _) = sorted(side[:2], key=lambda bound: bound[1] in ("<", ">"))
            yield (f"{p}.{b}", "strict_and_inclusive",
                   f"{a} (inclusive) and {b} (strict) both bound the value from "
                   f"{'below' if side is lows else 'above'}; keep one")
    for lo in lows:
        for hi in highs:
            if _never(lo, hi):
                yield f"{p}.{lo[0]}", "never_true", f"{lo[0]} {lo[2]:g} and {hi[0]} {hi[2]:g} can never both hold"


def _unknown_item(p: str, item: str | None, items: list[str]) -> Iterator[Found]:
    if item is not None and item not in items:
        yield p, "unknown_item", f"no item {item!r} in the scheme; items are {', '.join(items)}"


def _one_source(p: str, src, items: list[str]) -> Iterator[Found]:
    """A growth or share reads one value: an item's actual or a column."""
    if (src.item is None) == (src.column is None):
        yield p, "item_or_column", "give either item: (the item's actual, input column <item>) or column:, not both or neither"
    yield from _unknown_item(f"{p}.item", src.item, items)


def _check_measure(p: str, m: Measure, items: list[str]) -> Iterator[Found]:
    kinds = m.kinds()
    if len(kinds) != 1:
        yield p, "measure_kind", ("a measure is exactly one of score: <item>, achievement: <item>, column: <name>, "
                                  f"growth: {{…}}, tenure: {{…}} or share: {{…}}; here {len(kinds)} are given")
    yield from _unknown_item(f"{p}.score", m.score, items)
    yield from _unknown_item(f"{p}.achievement", m.achievement, items)
    if m.growth is not None:
        yield from _one_source(f"{p}.growth", m.growth, items)
        if m.growth.periods is None:
            yield f"{p}.growth.periods", "missing", "growth needs periods: N, the earlier periods whose mean it is measured against"
    if m.share is not None:
        yield from _one_source(f"{p}.share", m.share, items)


def _check_condition(p: str, c: Condition, items: list[str], ratings: list[str]) -> Iterator[Found]:
    tests = c.tests()
    if not tests:
        yield p, "empty_condition", ("a condition needs a test: total_below, total_at_most, total_above, total_at_least, "
                                     "rating_in, item with achievement_… or score_… (_below, _at_most, _above, "
                                     "_at_least), measure with measure_…, or rank")
    on_measure = [t for t in tests if t.startswith("measure_")]
    if on_measure and c.measure is None:
        yield f"{p}.measure", "missing", f"{on_measure[0]} needs measure: the value it compares (growth, tenure, share…)"
    if c.measure is not None:
        if not on_measure:
            yield f"{p}.measure", "measure_unused", ("measure is only used with measure_below, measure_at_most, "
                                                     "measure_above or measure_at_least")
        yield from _check_measure(f"{p}.measure", c.measure, items)
    if c.rank is not None:
        rk = c.rank
        if (rk.top is None) == (rk.bottom is None):
            yield f"{p}.rank", "rank_top_or_bottom", "a rank test needs either top: N (排名前N) or bottom: N (排名最后N), not both or neither"
        if rk.aggregate is not None and rk.over != "year":
            yield f"{p}.rank.aggregate", "aggregate_unused", "aggregate is only used with over: year (the year's mean or sum)"
        if rk.by is not None:
            yield from _check_measure(f"{p}.rank.by", rk.by, items)
    on_item = [t for t in tests if t.startswith(("achievement_", "score_"))]
    if on_item and c.item is None:
        yield f"{p}.item", "missing", f"{on_item[0]} needs item: the id of the item it looks at"
    if c.item is not None and not on_item:
        yield f"{p}.item", "item_unused", ("item is only used with achievement_… or score_… tests "
                                           "(_below, _at_most, _above, _at_least)")
    if c.item is not None and c.item not in items:
        yield f"{p}.item", "unknown_item", f"no item {c.item!r} in the scheme; items are {', '.join(items)}"
    for measure in CONDITION_MEASURES:
        yield from _bounds_problems(p, c.bounds(measure))
    for k, r in enumerate(c.rating_in or []):
        if ratings and r not in ratings:
            yield f"{p}.rating_in[{k}]", "unknown_rating", f"no rating named {r!r}; ratings are {'、'.join(ratings)}"


def _check_history(h: History, items: list[str], ratings: list[str]) -> Iterator[Found]:
    ids = Tally(r.id for r in h.rules)
    for k, r in enumerate(h.rules):
        p = f"history.rules[{k}]"
        if ids[r.id] > 1:
            yield f"{p}.id", "duplicate_id", f"rule id {r.id!r} is used more than once"
        if (r.consecutive is None) == (r.cumulative is None):
            yield f"{p}.consecutive", "consecutive_or_cumulative", ("a rule needs either consecutive: N (with when) or cumulative: N "
                                                   "(with count or when), not both or neither")
        elif r.consecutive is not None:
            if r.when is None:
                yield f"{p}.when", "missing", "consecutive needs when: the condition each period must meet"
            if r.count is not None:
                yield f"{p}.count", "count_unused", "count is only used with cumulative"
            if r.window is not None:
                yield f"{p}.window", "window_unused", "window is only used with cumulative (consecutive periods need no window)"
        elif (r.count is None) == (r.when is None):
            yield f"{p}.count", "count_or_when", ("cumulative needs either count: {column: …} (values summed) or when: … "
                                       "(periods meeting it counted), not both or neither")
        if r.when is not None:
            yield from _check_condition(f"{p}.when", r.when, items, ratings)
        if r.salary_change is not None and r.salary_deduction is not None:
            yield (f"{p}.salary_change", "change_and_deduction",
                   f"give salary_change ({r.salary_change:+g}) or salary_deduction ({r.salary_deduction:g}, the same as "
                   f"salary_change: {-r.salary_deduction:g}), not both")
        if r.per is not None:
            item = r.per.item or (r.when.item if r.when is not None else None)
            if item is None:
                yield f"{p}.per.item", "missing", "per needs item: the item whose achievement is stepped (or when.item)"
            yield from _unknown_item(f"{p}.per.item", r.per.item, items)
        for j, other in enumerate(r.supersedes):
            if other not in ids or other == r.id:
                known = ", ".join(x for x in ids if x != r.id) or "none"
                yield f"{p}.supersedes[{j}]", "unknown_rule", f"no other rule with id {other!r}; rules are {known}"
    # Two deductions over one condition add up unless one supersedes the other.
    for a, ra in enumerate(h.rules):
        for rb in h.rules[a + 1:]:
            if (ra.consecutive and rb.consecutive and ra.when == rb.when and ra.change() < 0
                    and rb.change() < 0 and ra.id not in rb.supersedes and rb.id not in ra.supersedes):
                longer, shorter = (rb, ra) if rb.consecutive >= ra.consecutive else (ra, rb)
                yield (f"history.rules[{h.rules.index(longer)}].supersedes", "deductions_add_up",
                       f"rules {shorter.id} and {longer.id} test the same condition and both deduct salary, so both "
                       f"deductions would be taken; add supersedes: [{shorter.id}] to {longer.id}")


_EVERY = {"month": "monthly", "quarter": "quarterly", "half": "half-yearly"}


def _check_annual(lv: Levels, items: list[str], period: str) -> Iterator[Found]:
    """``levels.annual``: said for every card input the levels read when the card is not yearly; no stray key."""
    read = lv.value_columns()
    said: set[str] = set()
    for path, column in read:
        is_input = column in items or column.split(".", 1)[0] in items  # <item>, <item>.<counter>
        if period != "year" and is_input and column not in lv.annual and column not in said:
            said.add(column)
            yield (f"levels.{path}", "annual_missing",
                   f"the card is {_EVERY.get(period, period)}: say how the year master makes one annual value of {column} from its "
                   f"periods: levels.annual: {{{column}: sum}} (amounts: 年度销售额), mean (rates: 投诉率) or last")
    columns = {c for _, c in read}
    for column in lv.annual:
        if column not in columns:
            yield (f"levels.annual.{column}", "annual_unused",
                   f"no level rule or threshold reads {column!r}; levels.annual says how the year master sums up "
                   f"the card inputs they read ({', '.join(sorted(columns)) or 'none here'})")


def _check_levels(lv: Levels, items: list[str], ratings: list[str]) -> Iterator[Found]:
    for n, c in Tally(lv.ladder).items():
        if c > 1:
            yield "levels.ladder", "duplicate_level", f"level {n!r} is on the ladder {c} times"
    for k, level in enumerate(lv.ladder):
        if not level.strip():
            yield f"levels.ladder[{k}]", "blank_level", "a level needs a name"
    for kind in ("promote", "demote"):
        for k, rule in enumerate(getattr(lv, kind)):
            yield from _check_condition(f"levels.{kind}[{k}].when", rule.when, items, ratings)
            if rule.steps >= len(lv.ladder):
                yield (f"levels.{kind}[{k}].steps", "steps_too_many",
                       f"{rule.steps} steps leave a ladder of {len(lv.ladder)} levels")
    if lv.dismiss_review is not None:
        yield from _check_condition("levels.dismiss_review.when", lv.dismiss_review.when, items, ratings)
    for level, thresholds in lv.qualify.items():
        p = f"levels.qualify.{level}"
        if level not in lv.ladder:
            yield p, "unknown_level", f"level {level!r} is not on the ladder ({'、'.join(lv.ladder)})"
        elif level == lv.ladder[0]:
            yield p, "qualify_lowest", f"{level} is the lowest level: nobody is promoted to it"
        for measure, t in thresholds.items():
            if t.measure is not None:
                yield from _check_measure(f"{p}.{measure}.measure", t.measure, items)
            if not t.bounds():
                yield f"{p}.{measure}", "empty_threshold", "a threshold needs min or above, max or below, or both"
            elif t.min is not None and t.max is not None and t.min > t.max:
                yield f"{p}.{measure}.min", "cap_below_floor", f"min {t.min:g} is above max {t.max:g}"
            else:  # min > max keeps its older code above; every other pair is checked here
                yield from _bounds_problems(f"{p}.{measure}", t.bounds())
