"""Cross-field checks of a scheme that pydantic's field validation cannot see.

Every check yields ``(path, code, message)`` with a YAML-style path
(``sections[1].items[0].rule.bands``) and says what is allowed. All checks run; none
stops at the first problem.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Iterator

from .models import Scheme

Found = tuple[str, str, str]
_TOL = 1e-9


def _pct(x: float) -> str:
    return f"{x * 100:.10g}%"


def _weights(path: str, weights: dict[str, float], what: str) -> Iterator[Found]:
    for k, w in weights.items():
        if not 0 < w <= 1:
            yield f"{path}.{k}", "weight_range", f"{what} weight must be above 0 and at most 1, not {w}"
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
