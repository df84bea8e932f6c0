"""Hypothesis strategies for the engine ↔ spreadsheet agreement tests (tests/test_agreement.py).

A strategy here draws a :class:`Case`: a scheme as plain data (what YAML parses to), an
inputs table and, when the scheme reads roster columns, a roster. Only valid cases come
out: every rule's parameters are checked with :func:`kpixl.scheme.scheme_from_dict` (the
product's own checks, including each rule's ``scheme_problems``) and rejected by
``.filter`` when invalid, and every input is drawn inside what the rule accepts, so the
engine reports no problem.

The inputs sit on the rules' decision points on purpose. Numbers are made as decimals
(:class:`decimal.Decimal`) and only turned into floats at the end, as a person types
them: an actual of 85 against a target of 100 is an achievement of exactly 0.85, and
0.85 is a band edge, a step multiple (15 % below in 5 % steps) or a zero_below edge. Next
to the edges come near misses (±0.0001 … ±0.01), zero actuals, lower-is-better actuals
of 0, point ranges entered at their ends, ties in totals, and totals on half-cent ties.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from kpixl.errors import InputError
from kpixl.rules import Tiers
from kpixl.scheme import scheme_from_dict

D = Decimal
RULE_TYPES = ("ratio", "tiers", "step", "count", "rubric", "manual", "binary", "adjust")
POINTS = ("5", "7.5", "8", "10", "12.5", "15", "20", "25", "30", "40")
TARGETS = ("100", "200", "80", "50", "1000", "3", "7", "12.5", "365", "0.95")
NUDGES = (D("-0.01"), D("-0.001"), D("-0.0001"), D("0.0001"), D("0.001"), D("0.01"))
YES = ("是", 1, True, "TRUE", "1")
NO = ("否", 0, False, "FALSE", "0")
GROUPS = ("东区", "西区", "A", "a", "营销")  # "A"/"a": a spreadsheet's = ignores case
RATING_NAMES = ("优秀", "良好", "合格", "待改进", "不合格")
FRACTION_LEVELS = ("优", "良", "中", "可", "差")


@dataclass
class Case:
    """One scheme and its people: a sheet of the agreement workbook."""

    label: str
    scheme: dict
    inputs: pd.DataFrame
    roster: pd.DataFrame | None = None

    def __repr__(self) -> str:  # what a failing example prints
        roster = "" if self.roster is None else f"\nroster=\n{self.roster.to_string()}"
        return f"Case({self.label!r}\nscheme={self.scheme!r}\ninputs=\n{self.inputs.to_string()}{roster})"


# ---- numbers ----------------------------------------------------------------------------


def num(x: Decimal | str | int | float) -> int | float:
    """A decimal as the number a person types: an int when whole, else the nearest float."""
    d = D(x) if not isinstance(x, D) else x
    return int(d) if d == d.to_integral_value() else float(d)


def dsample(values) -> st.SearchStrategy[Decimal]:
    return st.sampled_from([D(v) for v in values])


def percents(k: int, step: int = 5, zero_ok: bool = False) -> st.SearchStrategy[list[Decimal]]:
    """``k`` shares in multiples of ``step`` % that sum to exactly 100 %."""
    units = 100 // step
    lo = 0 if zero_ok else 1

    @st.composite
    def draw_shares(draw):
        cuts = sorted(draw(st.lists(st.integers(0, units), min_size=k - 1, max_size=k - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, units])]
        if not zero_ok and min(parts) < lo:
            parts = _spread(parts, units)
        return [D(p * step) / 100 for p in parts]

    return draw_shares()


def _spread(parts: list[int], units: int) -> list[int]:
    """Make every part at least 1 unit, keeping the sum."""
    parts = [max(p, 1) for p in parts]
    while sum(parts) > units:
        i = parts.index(max(parts))
        parts[i] -= 1
    return parts


def between(draw, lo: Decimal, hi: Decimal, places: int = 2) -> Decimal:
    """A decimal in [lo, hi]: an end (often) or a value with ``places`` decimals."""
    pick = draw(st.integers(0, 5))
    if pick == 0 or hi <= lo:
        return lo
    if pick == 1:
        return hi
    q = D(1).scaleb(-places)
    steps = int((hi - lo) / q)
    return min(hi, lo + q * draw(st.integers(0, max(steps, 0))))


def draw_x(draw, edges: list[Decimal]) -> Decimal:
    """An achievement: a decision point, a near miss, or any value in [0, 1.6]."""
    pick = draw(st.integers(0, 9))
    if pick <= 5 and edges:
        x = draw(st.sampled_from(edges))
    elif pick <= 7 and edges:
        x = draw(st.sampled_from(edges)) + draw(st.sampled_from(NUDGES))
    else:
        x = D(draw(st.integers(0, 1600))) / 1000
    return max(x, D(0))


# ---- rule parameters (each filtered through the product's scheme checks) --------------


def valid_rule(rule: dict, points: Decimal, target: Any = None) -> bool:
    item = {"id": "x", "points": num(points), "rule": rule}
    if target is not None:
        item["target"] = target
    try:
        scheme_from_dict({"id": "probe", "name": "probe", "sections": [{"id": "s", "items": [item]}]})
    except InputError:
        return False
    return True


def _needs_target(rule: dict) -> bool:
    return rule["type"] in ("ratio", "tiers", "step") and rule.get("measure", "ratio") == "ratio"


def _checked(strategy, points: Decimal):
    return strategy.filter(lambda r: valid_rule(r, points, 100 if _needs_target(r) else None))


@st.composite
def ratio_rule(draw, points: Decimal) -> dict:
    measure = draw(st.sampled_from(["ratio", "ratio", "ratio", "value"]))
    direction = "higher" if measure == "value" else draw(st.sampled_from(["higher", "higher", "lower"]))
    cap = draw(st.sampled_from([None, "1", "1.1", "1.2", "1.5"]))
    if direction == "lower" and cap is None:
        cap = "1.2"
    floor = draw(st.sampled_from([None, "0", "0.3", "0.5", "0.6"]))
    zero_below = draw(st.sampled_from([None, None, "0.5", "0.6", "0.8", "0.85"]))
    rule: dict = {"type": "ratio"}
    if measure != "ratio" or draw(st.booleans()):
        rule["measure"] = measure
    if direction != "higher":
        rule["direction"] = direction
    for k, v in (("cap", cap), ("floor", floor), ("zero_below", zero_below)):
        if v is not None:
            rule[k] = num(v)
    return rule


def _band_points(draw, points: Decimal, share: Decimal, ranged: bool):
    top = (points * share).quantize(D("0.01"))
    if ranged:
        lo = (top * draw(dsample(["0.5", "0.6", "0.75", "1"]))).quantize(D("0.01"))
        return [num(lo), num(top)]
    return num(top)


@st.composite
def tiers_rule(draw, points: Decimal) -> dict:
    """Band layouts as the seeds write them (see DESIGN §3.2), some ends strict (``above``/``below``)."""
    layout = draw(st.sampled_from(["ratio", "ratio_gaps", "value_lower", "value_higher", "ratio_lower", "single"]))
    rule: dict = {"type": "tiers"}
    shares = ["1", "0.8", "0.6", "0.5", "0.4", "0.2", "0"]
    ranged_ok = draw(st.booleans())
    if layout == "single":  # one band answers everywhere (考核合格即得分)
        band = {"points": _band_points(draw, points, draw(dsample(shares[:3])), ranged_ok)}
        if draw(st.booleans()):
            band["max"] = num(draw(dsample(["0.01", "0.03"])))
            rule["gap"] = "lower"  # …and fills the rest
        return {"type": "tiers", "measure": "value", "bands": [band], **rule}
    if layout in ("ratio", "ratio_gaps", "value_higher", "ratio_lower"):
        pool = {"ratio": ["1.2", "1", "0.95", "0.9", "0.85", "0.8", "0.7", "0.6", "0.5"],
                "ratio_gaps": ["1.2", "1", "0.95", "0.9", "0.85", "0.8", "0.7", "0.6", "0.5"],
                "value_higher": ["100", "98", "95", "90", "80", "60"],
                "ratio_lower": ["2", "1.25", "1", "0.8", "0.5"]}[layout]
        mins = sorted(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True)),
                      key=D, reverse=True)
        bands = []
        prev = None
        for m in mins:
            band: dict = {"min": num(m)}
            if layout == "ratio_gaps" and prev is not None and draw(st.booleans()):
                band["max"] = num(D(prev) - draw(dsample(["0.01", "0.05"])))
                if D(band["max"]) < D(m):
                    band.pop("max")
            band["points"] = _band_points(draw, points, draw(dsample(shares)),
                                          ranged_ok and draw(st.integers(0, 3)) == 0)
            bands.append(band)
            prev = m
        last = draw(st.sampled_from(["min0", "open", "none", "max"]))
        if last == "min0":
            bands.append({"min": 0, "points": _band_points(draw, points, draw(dsample(shares)), False)})
        elif last == "open":
            bands.append({"points": _band_points(draw, points, draw(dsample(shares)), False)})
        elif last == "max":
            top = D(mins[-1]) - draw(dsample(["0.01", "0.05", "0.1", "0"]))
            if top >= 0:
                bands.append({"min": 0, "max": num(top), "points": 0})
        if layout == "value_higher":
            rule["measure"] = "value"
        if layout == "ratio_lower":
            rule["direction"] = "lower"
    else:  # lower-is-better values (差错率 ≤3% 5分): ascending maxima
        maxes = sorted(draw(st.lists(st.sampled_from(["0", "0.005", "0.01", "0.02", "0.03", "0.05"]),
                                     min_size=1, max_size=4, unique=True)), key=D)
        bands = [{"max": num(m), "points": _band_points(draw, points, draw(dsample(shares[:4])),
                                                        ranged_ok and draw(st.integers(0, 3)) == 0)}
                 for m in maxes]
        last = draw(st.sampled_from(["open", "min", "none"]))
        if last == "open":
            bands.append({"points": 0})
        elif last == "min":
            bands.append({"min": num(D(maxes[-1]) + draw(dsample(["0", "0.01"]))), "points": 0})
        rule["measure"] = "value"
    # Strict ends where the seeds write them (高于90%, 低于2%): some min become above, some
    # max become below. The edges stay where they were, so inputs still land on them.
    for band in bands:
        for incl, strict in (("min", "above"), ("max", "below")):
            if incl in band and draw(st.integers(0, 2)) == 0:
                band[strict] = band.pop(incl)
        lo = band.get("min", band.get("above"))
        hi = band.get("max", band.get("below"))
        if lo is not None and hi is not None and D(str(lo)) >= D(str(hi)):  # min == max: one point
            band.update({"min": band.pop("above", lo), "max": band.pop("below", hi)})  # keep it inclusive
    rule["bands"] = bands
    gap = draw(st.sampled_from(["error", "lower", "zero"]))
    if gap != "error" or draw(st.booleans()):
        rule["gap"] = gap
    return rule


@st.composite
def step_rule(draw, points: Decimal) -> dict:
    kind = draw(st.sampled_from(["ratio", "ratio", "ratio_lower", "value", "error_rate"]))
    rule: dict = {"type": "step"}
    if kind in ("ratio", "ratio_lower"):
        rule["threshold"] = num(draw(dsample(["1", "1", "0.95", "0.9"])))
        every = ["0.05", "0.01", "0.02", "0.1", "0.03"]
        if kind == "ratio_lower":
            rule["direction"] = "lower"
    elif kind == "value":  # 准确率≥95%, 少1个百分点扣0.5分
        rule["measure"] = "value"
        rule["threshold"] = num(draw(dsample(["0.95", "0.98", "0.9"])))
        every = ["0.01", "0.005", "0.02"]
    else:  # an error rate, worse above the threshold
        rule["measure"] = "value"
        rule["direction"] = "lower"
        rule["threshold"] = num(draw(dsample(["0.03", "0.05", "0.02"])))
        every = ["0.01", "0.005"]
    side = draw(st.sampled_from(["below", "above", "both", "both"]))
    for s in ("below", "above"):
        if side in (s, "both"):
            rule[s] = {"every": num(draw(dsample(every))), "points": num(draw(dsample(["3", "0.5", "1", "2", "1.5"])))}
    base = draw(st.sampled_from(["full", "full", "number", None]))
    if base == "number":
        rule["base"] = num((points * draw(dsample(["1", "0.8", "0.5", "0"]))).quantize(D("0.01")))
    elif base == "full":
        rule["base"] = "full"
    stepping = draw(st.sampled_from([None, "floor", "ceil", "linear"]))
    if stepping:
        rule["stepping"] = stepping
    if kind == "ratio" and draw(st.integers(0, 2)) == 0:
        rule["zero_below"] = num(draw(dsample(["0.5", "0.6", "0.8"])))
    mb = draw(st.sampled_from([None, "2", "5", "10"]))
    if kind == "ratio_lower" and "above" in rule and mb is None:
        mb = "5"
    if mb is not None:
        rule["max_bonus"] = num(mb)
    md = draw(st.sampled_from([None, None, "5", "10", str(points)]))
    if md is not None:
        rule["max_deduction"] = num(md)
    return rule


@st.composite
def count_rule(draw, points: Decimal) -> dict:
    pers = ["-1", "-5", "-2", "2", "5", "0.5", "-0.5", "3"]
    k = draw(st.integers(1, 3))
    counters = [{"id": cid, "name": name, "per": num(draw(dsample(pers)))}
                for cid, name in list(zip(["late", "absent", "new", "idle"],
                                          ["迟到/早退", "旷工", "新客户", "上班聊天"]))[:k]]
    rule: dict = {"type": "count", "counters": counters}
    base = draw(st.sampled_from([None, "full", "number"]))
    if base == "full":
        rule["base"] = "full"
    elif base == "number":
        rule["base"] = num(draw(dsample(["0", "5", "10", str(points)])))
    if draw(st.booleans()):
        rule["allow_negative"] = draw(st.booleans())
    lim: dict = {}
    if draw(st.booleans()):
        lim["min"] = num(draw(dsample(["-10", "-5", "-3", "0"])))
    if draw(st.booleans()):
        lim["max"] = num(draw(dsample(["10", "5", "0", "15"])))
    if lim:
        rule["limit"] = lim
        # The counts drawn go beyond the limit: they count as the limit (beyond: error
        # would refuse them; tests/test_fidelity.py holds that case).
        rule["beyond"] = "cap"
    return rule


@st.composite
def rubric_rule(draw, points: Decimal) -> dict:
    kind = draw(st.sampled_from(["numeric", "fraction", "text_points"]))
    levels: dict = {}
    if kind == "numeric":  # 1级5分 … 5级25分
        keys = sorted(draw(st.lists(st.sampled_from(["0", "1", "1.5", "2", "3", "4", "5"]), min_size=2,
                                    max_size=5, unique=True)), key=D)
        for k, key in enumerate(keys):
            p = (points * (k + 1) / len(keys)).quantize(D("0.01"))
            if draw(st.integers(0, 4)) == 0:
                levels[num(key)] = [num((p * D("0.5")).quantize(D("0.01"))), num(p)]
            else:
                levels[num(key)] = num(p)
        return {"type": "rubric", "levels": levels}
    names = [n for n in FRACTION_LEVELS if draw(st.integers(0, 4))] or ["优", "差"]
    if len(names) < 2:
        names = ["优", "差"]
    fractions = {"优": ["1", "1.2"], "良": ["0.9", "0.8"], "中": ["0.7"], "可": ["0.6"], "差": ["0", "0.5"]}
    ranges = {"优": ["0.9", "1"], "良": ["0.8", "0.9"], "中": ["0.7", "0.79"], "可": ["0.6", "0.69"], "差": ["0", "0.5"]}
    for n in names:
        if draw(st.integers(0, 2)) == 0:
            lo, hi = ranges[n]
            levels[n] = [num(lo), num(hi)]
        else:
            levels[n] = num(draw(dsample(fractions[n])))
    if kind == "fraction":
        return {"type": "rubric", "of": "fraction", "levels": levels}
    scaled = {n: ([num(D(str(v[0])) * 10), num(D(str(v[1])) * 10)] if isinstance(v, list) else num(D(str(v)) * 10))
              for n, v in levels.items()}
    return {"type": "rubric", "levels": scaled}


@st.composite
def manual_rule(draw, points: Decimal) -> dict:
    kind = draw(st.sampled_from(["default", "1-5", "wide", "signed_min", "max_only"]))
    return {"default": {"type": "manual"}, "1-5": {"type": "manual", "min": 1, "max": 5},
            "wide": {"type": "manual", "min": 0, "max": num(points * D("1.2"))},
            "signed_min": {"type": "manual", "min": -5}, "max_only": {"type": "manual", "max": num(points / 2)}}[kind]


@st.composite
def adjust_rule(draw, points: Decimal) -> dict:
    kind = draw(st.sampled_from(["default", "small", "bonus_only", "asym", "capped"]))
    return {"default": {"type": "adjust"}, "small": {"type": "adjust", "min": -10, "max": 10},
            "bonus_only": {"type": "adjust", "min": 0, "max": 10}, "asym": {"type": "adjust", "min": -5, "max": 20},
            "capped": {"type": "adjust", "min": -30, "max": 5, "beyond": "cap"}}[kind]


RULES = {"ratio": ratio_rule, "tiers": tiers_rule, "step": step_rule, "count": count_rule,
         "rubric": rubric_rule, "manual": manual_rule, "binary": lambda p: st.just({"type": "binary"}),
         "adjust": adjust_rule}


def rule_params(rtype: str, points: Decimal) -> st.SearchStrategy[dict]:
    """Valid parameters of one rule type, as a scheme writes them."""
    return _checked(RULES[rtype](points), points)


# ---- decision points of a rule ------------------------------------------------------------


def edges_of(rule: dict) -> list[Decimal]:
    """The achievements where the rule decides something."""
    out = {D(0), D("0.85"), D("0.9"), D(1)}
    t = rule["type"]
    if t == "ratio":
        out |= {D(str(rule[k])) for k in ("cap", "floor", "zero_below") if k in rule}
    elif t == "tiers":
        out |= {D(str(b[k])) for b in rule["bands"] for k in ("min", "max", "above", "below") if k in b}
    elif t == "step":
        thr = D(str(rule.get("threshold", 1)))
        out.add(thr)
        for side in ("below", "above"):
            if side in rule:
                every = D(str(rule[side]["every"]))
                for k in range(0, 6):
                    out |= {thr - k * every, thr + k * every, thr - (k + D("0.5")) * every,
                            thr + (k + D("0.5")) * every}
        if "zero_below" in rule:
            out.add(D(str(rule["zero_below"])))
    return sorted(x for x in out if x >= 0)


# ---- the people and their columns --------------------------------------------------------


@dataclass
class Book:
    """The columns of one case's inputs and roster, filled item by item."""

    n: int
    ids: list
    inputs: dict[str, list] = field(default_factory=dict)
    roster: dict[str, list] = field(default_factory=dict)
    groups: list | None = None  # the 组别 labels, drawn once per case

    def frames(self, draw) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        inputs = pd.DataFrame({"employee_id": self.ids, **self.inputs})
        if not self.roster:
            return inputs, None
        roster = pd.DataFrame({"employee_id": self.ids, **self.roster})
        if draw(st.booleans()):  # people the inputs do not list, rows in another order
            extra = {c: [roster[c].iloc[0]] for c in roster.columns}
            extra["employee_id"] = ["X999"]
            roster = pd.concat([roster, pd.DataFrame(extra)], ignore_index=True)
            roster = roster.iloc[draw(st.permutations(list(range(len(roster)))))].reset_index(drop=True)
        return inputs, roster


@st.composite
def people(draw, lo: int, hi: int) -> Book:
    n = draw(st.integers(lo, hi))
    style = draw(st.sampled_from(["E", "digits", "ints"]))
    ids = [f"E{i + 1:02d}" if style == "E" else (str(100 + 7 * i) if style == "digits" else 1 + i)
           for i in range(n)]
    return Book(n, ids)


def _target_setup(draw, book: Book, item: dict) -> list[Decimal]:
    """Give the item its target (scheme, roster or per person) and return it per person."""
    iid = item["id"]
    mode = draw(st.sampled_from(["scheme", "roster", "inputs", "mixed"]))
    if mode in ("scheme", "mixed"):
        t = draw(dsample(TARGETS))
        item["target"] = num(t)
        per = [t] * book.n
        if mode == "mixed":  # some people have their own target, the rest take the scheme's
            own = [draw(st.one_of(st.none(), dsample(TARGETS))) for _ in range(book.n)]
            book.inputs[f"{iid}.target"] = [None if o is None else num(o) for o in own]
            per = [t if o is None else o for o in own]
        return per
    per = [draw(dsample(TARGETS)) for _ in range(book.n)]
    if mode == "roster":
        col = f"{iid}目标"
        item["target"] = {"column": col}
        book.roster[col] = [num(t) for t in per]
    else:
        book.inputs[f"{iid}.target"] = [num(t) for t in per]
    return per


def _actual(draw, rule: dict, edges: list[Decimal], target: Decimal | None) -> Decimal:
    """An actual that puts the achievement on (or next to) a decision point."""
    measure = rule.get("measure", "ratio")
    if measure == "value":  # a rate as typed (0.95); now and then below zero (增长率 −5%)
        return draw_x(draw, edges) * (-1 if draw(st.integers(0, 11)) == 0 else 1)
    if draw(st.integers(0, 11)) == 0:
        return D(0)  # no sales; for lower-is-better: no complaints, the best result
    x = draw_x(draw, edges)
    if rule.get("direction", "higher") == "lower":
        if x == 0:
            return target * 1000
        return (target / x).quantize(D("0.000001")).normalize()
    return x * target


def _score_in(draw, lo: float, hi: float) -> float:
    """A score a rater enters within [lo, hi]: an end, or a value with two decimals."""
    pick = draw(st.integers(0, 3))
    if pick == 0 or hi <= lo:
        return lo
    if pick == 1:
        return hi
    v = float(D(repr(lo)) + (D(repr(hi)) - D(repr(lo))) * D(draw(st.integers(0, 100))) / 100)
    return min(max(round(v, 2), lo), hi)


def _primary(draw, rule: dict, points: Decimal, edges: list[Decimal], target: Decimal | None,
             blank_ok: bool = True):
    """One rater's input for one person: (primary value, score within a range or None).

    ``blank_ok`` is False where a blank would mean "this rater did not score"
    (``missing_rater: reweight``).
    """
    t = rule["type"]
    if t in ("ratio", "tiers", "step"):
        actual = _actual(draw, rule, edges, target)
        score = None
        if t == "tiers":
            model = Tiers.model_validate(rule)
            x = model.achievement(np.array([float(actual)]), None if target is None else np.array([float(target)]))
            band = int(model.selected(x)[0])
            pts = model.bands[band].points if band >= 0 else None
            if isinstance(pts, tuple):
                score = _score_in(draw, float(pts[0]), float(pts[1]))
            elif draw(st.integers(0, 3)) == 0:
                score = num(draw(dsample(["0", "3", "99"])))  # a stray entry the rule must ignore
        return num(actual), score
    if t == "rubric":
        key = draw(st.sampled_from(list(rule["levels"])))
        p = rule["levels"][key]
        shown = key
        if isinstance(key, (int, float)):
            shown = draw(st.sampled_from([key, float(key), str(key)]))
        score = None
        if isinstance(p, list):
            f = (lambda v: float(v) * float(points)) if rule.get("of") == "fraction" else float
            score = _score_in(draw, f(p[0]), f(p[1]))
        return shown, score
    if t == "manual":
        lo = D(str(rule.get("min", 0)))
        hi = D(str(rule["max"])) if "max" in rule else points
        v = between(draw, lo, hi, places=draw(st.sampled_from([0, 1, 2, 3])))
        if draw(st.integers(0, 4)) == 0 and hi - lo > 1:  # a half-cent: x.xx5
            v = min(hi, (lo + (hi - lo) / 2).quantize(D("0.01")) + D("0.005"))
        return num(v), None
    if t == "binary":
        return draw(st.sampled_from(YES + NO)), None
    if t == "adjust":
        lo, hi = D(str(rule.get("min", -100))), D(str(rule.get("max", 100)))
        if blank_ok and draw(st.integers(0, 3)) == 0:
            return None, None
        if rule.get("beyond") == "cap":  # 扣分上限: −35 typed against −30 counts as −30
            lo, hi = lo - 10, hi + 10
        return num(between(draw, lo, hi, places=draw(st.sampled_from([0, 1, 3])))), None
    raise AssertionError(t)


@st.composite
def item_case(draw, book: Book, iid: str, rtype: str, *, scheme_raters: dict | None = None,
              scheme_mode: str = "error", raters_ok: bool = True, na_ok: bool = True,
              bounds_ok: bool = True) -> dict:
    """One item of ``rtype``: its scheme entry, with its input columns written into ``book``."""
    points = draw(dsample(POINTS))
    rule = draw(rule_params(rtype, points))
    item: dict = {"id": iid, "name": f"{rtype}·{iid}", "points": num(points), "rule": rule}
    targets = _target_setup(draw, book, item) if _needs_target(rule) else [None] * book.n
    edges = edges_of(rule)

    # raters: the item's own, the scheme's (manual/rubric that name none), or one input
    raters: dict | None = None
    if rtype != "count" and raters_ok:
        choice = draw(st.sampled_from(["none", "none", "own", "scheme", "opt_out"]))
        if choice == "own" or (choice == "scheme" and rtype not in ("manual", "rubric")):
            names = draw(st.sampled_from([("self", "mgr"), ("self", "hr", "mgr"), ("hr", "mgr")]))
            shares = draw(percents(len(names), step=10))
            if names[0] == "self" and draw(st.integers(0, 3)) == 0:  # 自评 recorded, not counted
                shares = [D(0), *draw(percents(len(names) - 1, step=10))] if len(names) > 2 else [D(0), D(1)]
            raters = {r: num(w) for r, w in zip(names, shares)}
            item["raters"] = raters
        elif choice == "scheme" and scheme_raters:
            raters = scheme_raters
        elif scheme_raters and rtype in ("manual", "rubric"):
            if choice == "opt_out":
                item["rater"] = "mgr"
            else:
                raters = scheme_raters
    mode = scheme_mode
    if raters and draw(st.integers(0, 2)) == 0:
        mode = draw(st.sampled_from(["error", "reweight"]))
        item["missing_rater"] = mode
    if raters and mode == "reweight" and 0 in raters.values():
        # A weight-0 rater never scores for the others: who is "present" is decided by the
        # counted raters, and the inputs drawn below assume every rater counts.
        mode = item["missing_rater"] = "error"

    # not applicable
    na = [False] * book.n
    if na_ok and draw(st.integers(0, 2)) == 0:
        item["na"] = draw(st.sampled_from(["zero", "full", "average", "exclude"]))
        na = [draw(st.integers(0, 3)) == 0 for _ in range(book.n)]
        book.inputs[f"{iid}.na"] = [draw(st.sampled_from([True, "TRUE", "是"])) if a else
                                    draw(st.sampled_from([False, False, "FALSE", "否", None])) for a in na]
        if item["na"] == "average" and draw(st.booleans()):
            if book.groups is None:
                book.groups = [draw(st.sampled_from(GROUPS)) for _ in range(book.n)]
            item["na_group"] = "组别"
            book.roster["组别"] = list(book.groups)

    # item bounds
    if bounds_ok and draw(st.integers(0, 2)) == 0:
        lo = draw(st.sampled_from([None, "0", "1", "-2", str(points / 2)]))
        hi = draw(st.sampled_from([None, str(points), str(points * D("0.8")), str(points + 5)]))
        if lo is not None and hi is not None and D(lo) > D(hi):
            lo = None
        if lo is not None:
            item["floor"] = num(lo)
        if hi is not None:
            item["cap_points"] = num(hi)

    # the inputs, person by person
    cols = [f"{iid}@{r}" for r in raters] if raters else [iid]
    score_cols = [f"{iid}.score@{r}" for r in raters] if raters else [f"{iid}.score"]
    values = {c: [None] * book.n for c in cols}
    scores = {c: [None] * book.n for c in score_cols}
    counters = {c["id"]: [None] * book.n for c in rule.get("counters", [])}
    for k in range(book.n):
        if na[k] and draw(st.booleans()):
            continue  # not applicable: left blank
        if rtype == "count":
            for cid in counters:
                counters[cid][k] = draw(st.one_of(st.integers(0, 12), st.sampled_from([0, 1, 2])))
            continue
        present = [True] * len(cols)
        if raters and mode == "reweight":
            present = [draw(st.integers(0, 2)) > 0 for _ in cols]
            if not any(present):
                present[draw(st.integers(0, len(cols) - 1))] = True
        for c, sc, here in zip(cols, score_cols, present):
            if here:
                values[c][k], scores[sc][k] = _primary(draw, rule, points, edges, targets[k],
                                                       blank_ok=not (raters and mode == "reweight"))
    for c in cols:
        if rtype != "count":
            book.inputs[c] = values[c]
    for sc in score_cols:
        if any(v is not None for v in scores[sc]):
            book.inputs[sc] = scores[sc]
    for cid, vals in counters.items():
        book.inputs[f"{iid}.{cid}"] = vals
    if rtype == "adjust":  # a reason wherever points are added or taken (and now and then elsewhere)
        book.inputs[f"{iid}.reason"] = [
            "临时重要工作" if any(values[c][k] not in (None, 0) for c in cols) or draw(st.booleans()) else None
            for k in range(book.n)]
    return item


# ---- cards: sections, raters, N/A, the total --------------------------------------------------


@st.composite
def card_case(draw, focus: str = "rules") -> Case:
    """A whole scorecard and its people.

    ``focus="rules"``: every rule type, with random parameters and inputs on their
    decision points; light sections. ``focus="card"``: raters (item- and scheme-level,
    reweighting with blanks), N/A policies, weighted and unweighted sections with caps
    and floors, item bounds, total bounds and rounding to 0–3 places.
    """
    book = draw(people(2, 6) if focus == "rules" else people(3, 8))
    scheme_raters = None
    scheme_mode = "error"
    if focus == "card" and draw(st.booleans()):
        names = draw(st.sampled_from([("self", "mgr"), ("self", "hr", "mgr")]))
        scheme_raters = {r: num(w) for r, w in zip(names, draw(percents(len(names), step=10)))}
        scheme_mode = draw(st.sampled_from(["error", "reweight"]))
    if focus == "rules":
        types = draw(st.lists(st.sampled_from(RULE_TYPES), min_size=2, max_size=5))
        n_sections = draw(st.integers(1, 2))
    else:
        types = draw(st.lists(st.sampled_from(["manual", "manual", "rubric", "rubric", "ratio", "binary",
                                               "adjust", "count", "tiers", "step"]), min_size=2, max_size=6))
        n_sections = draw(st.integers(1, 3))
    n_sections = min(n_sections, len(types))
    cuts = sorted(draw(st.lists(st.integers(1, len(types) - 1), min_size=n_sections - 1,
                                max_size=n_sections - 1, unique=True))) if n_sections > 1 else []
    groups = [types[a:b] for a, b in zip([0, *cuts], [*cuts, len(types)])]
    sections = []
    k = 0
    for si, group in enumerate(groups):
        items = []
        for rtype in group:
            items.append(draw(item_case(book, f"i{k}", rtype, scheme_raters=scheme_raters,
                                        scheme_mode=scheme_mode, raters_ok=focus == "card" or
                                        draw(st.integers(0, 3)) == 0,
                                        na_ok=focus == "card" or draw(st.integers(0, 3)) == 0,
                                        bounds_ok=True)))
            k += 1
        sections.append({"id": f"s{si}", "name": f"第{si + 1}部分", "items": items})

    # weights: all, none, or some sections (the rest add raw points)
    how = draw(st.sampled_from(["all", "none", "some"])) if len(sections) > 1 else draw(st.sampled_from(["all", "none"]))
    weighted = [True] * len(sections) if how == "all" else (
        [False] * len(sections) if how == "none" else [draw(st.booleans()) for _ in sections])
    if how == "some" and not any(weighted):
        weighted[0] = True
    shares = iter(draw(percents(sum(weighted), step=draw(st.sampled_from([1, 5, 10])))) if any(weighted) else [])
    for sec, w in zip(sections, weighted):
        if w:
            sec["weight"] = num(next(shares))
        full = sum(D(str(i["points"])) for i in sec["items"])
        if focus == "card" and draw(st.integers(0, 2)) == 0:
            cap = draw(st.sampled_from([None, full, full * D("0.9"), full - 1]))
            floor = draw(st.sampled_from([None, D(0), D(-5), D(2)]))
            if cap is not None and floor is not None and cap < floor:
                floor = None
            if cap is not None:
                sec["cap"] = num(cap)
            if floor is not None:
                sec["floor"] = num(floor)

    scheme: dict = {"id": f"agree-{focus}", "name": "一致性", "sections": sections}
    if draw(st.integers(0, 3)) == 0:
        scheme["scale"] = num(draw(dsample(["100", "120", "10", "150"])))
    if scheme_raters:
        scheme["raters"] = scheme_raters
        scheme["missing_rater"] = scheme_mode
    total: dict = {}
    if draw(st.booleans()):
        total["round"] = draw(st.integers(0, 3))
    if focus == "card" and draw(st.booleans()):
        cap = draw(st.sampled_from([None, 100, 95, 110]))
        floor = draw(st.sampled_from([None, 0, 5]))
        if cap is not None:
            total["cap"] = cap
        if floor is not None:
            total["floor"] = floor
    if total:
        scheme["total"] = total
    _duplicate_rows(draw, book)
    inputs, roster = book.frames(draw)
    return Case(f"{focus}: " + " | ".join(",".join(g) for g in groups), scheme, inputs, roster)


def _duplicate_rows(draw, book: Book) -> None:
    """Copy a person's inputs to another: equal totals (ties) on purpose."""
    if book.n < 2 or draw(st.integers(0, 2)):
        return
    src, dst = draw(st.integers(0, book.n - 1)), draw(st.integers(0, book.n - 1))
    for cols in (book.inputs, book.roster):
        for c in cols:
            cols[c][dst] = cols[c][src]
    if book.groups is not None:
        book.groups[dst] = book.groups[src]


# ---- ratings and bonus ---------------------------------------------------------------------


@st.composite
def ranked_case(draw) -> Case:
    """Ratings and bonus over totals placed on purpose.

    Most cases score one 100-point ``manual`` item, so the totals are chosen directly:
    on band minima and curve ``below`` edges, tied, or on half-cent ties before the
    rounding. Some cases score a random card instead.
    """
    book = draw(people(20, 50) if draw(st.integers(0, 4)) == 0 else people(4, 16))  # 45 × 0.7 = 31.4999…
    edges = sorted({D(v) for v in draw(st.lists(st.sampled_from(["95", "90", "85", "80", "75", "70", "60",
                                                                  "59.5", "89.99", "100"]),
                                                 min_size=2, max_size=4))}, reverse=True)
    rnd = draw(st.integers(0, 3))
    if draw(st.integers(0, 3)):
        pool = [*edges, *[e - D("0.005") for e in edges], *[e + D("0.005") for e in edges]]
        low = draw(st.sampled_from([0, 0, -5000]))  # a negative total: the bonus floor decides
        totals = [draw(st.one_of(st.sampled_from(pool), st.integers(low, 11000).map(lambda v: D(v) / 100)))
                  for _ in range(book.n)]
        for _ in range(draw(st.integers(0, 3))):  # ties on purpose
            a, b = draw(st.integers(0, book.n - 1)), draw(st.integers(0, book.n - 1))
            totals[b] = totals[a]
        book.inputs["score"] = [num(t) for t in totals]
        sections = [{"id": "main", "name": "总评", "items": [
            {"id": "score", "name": "综合评分", "points": 100, "rule": {"type": "manual", "min": -50, "max": 120},
             "floor": -50}]}]
        label = "ranked: chosen totals"
    else:
        types = draw(st.lists(st.sampled_from(RULE_TYPES), min_size=1, max_size=3))
        items = [draw(item_case(book, f"i{k}", t, raters_ok=False, na_ok=False)) for k, t in enumerate(types)]
        sections = [{"id": "main", "name": "业绩", "weight": 1, "items": items}]
        _duplicate_rows(draw, book)
        label = "ranked: card " + ",".join(types)
    scheme: dict = {"id": "agree-ranked", "name": "等级与奖金", "sections": sections, "total": {"round": rnd}}

    ratings: dict = {}
    kind = draw(st.sampled_from(["bands", "distribution", "distribution"]))
    if kind == "bands":
        names = RATING_NAMES[:len(edges) + 1]
        ratings["bands"] = [{"name": n, "min": num(e)} for n, e in zip(names, edges)] + [{"name": names[len(edges)]}]
    else:
        k = draw(st.integers(2, 5))
        names = RATING_NAMES[:k]
        shares = draw(percents(k, step=5, zero_ok=draw(st.booleans())))
        dist: dict = {"quotas": [{"name": n, "share": num(s)} for n, s in zip(names, shares)]}
        if draw(st.booleans()):
            dist["group_by"] = "序列"
            book.roster["序列"] = [draw(st.sampled_from(GROUPS[:3] + ("a",))) for _ in range(book.n)]
        tb = draw(st.sampled_from([[], ["入职日期"], ["入职日期", "工龄"], ["工龄"]]))
        if tb:
            dist["tie_break"] = tb
            days = [draw(st.integers(0, 3)) * 400 for _ in range(book.n)]
            book.roster["入职日期"] = [pd.Timestamp(dt.date(2015, 1, 1) + dt.timedelta(days=d)) for d in days]
            book.roster["工龄"] = [draw(st.integers(1, 4)) for _ in range(book.n)]
        ratings["distribution"] = dist
    flags = []
    for fi in range(draw(st.integers(0, 3))):
        side = draw(st.sampled_from(["top", "bottom"]))
        flags.append({"id": f"f{fi}", "name": f"标记{fi}",
                      side: num(draw(dsample(["0.05", "0.1", "0.2", "0.25", "0.3", "0.5", "1"])))})
    if flags:
        ratings["flags"] = flags
    scheme["ratings"] = ratings

    if draw(st.integers(0, 4)):
        scheme["bonus"] = draw(bonus_policy(book, names, edges))
    inputs, roster = book.frames(draw)
    return Case(label + f" {kind}", scheme, inputs, roster)


@st.composite
def bonus_policy(draw, book: Book, names, edges: list[Decimal]) -> dict:
    bonus: dict = {}
    if draw(st.booleans()):
        bases = [draw(dsample(["3000", "5000", "4500.5", "2000", "8000", "3333.33"])) for _ in range(book.n)]
        book.roster["月度绩效奖金"] = [num(b) for b in bases]
        bonus["base"] = {"column": "月度绩效奖金"}
    else:
        bases = [draw(dsample(["3000", "5000", "1234.56"]))] * book.n
        bonus["base"] = num(bases[0])
    curve = draw(st.sampled_from(["plain", "seed", "random"]))
    if curve == "seed":  # 总分低于60分者无绩效奖金, 60–89 ×总分/100, ≥90 全额
        bonus["curve"] = [{"below": 60, "factor": 0}, {"below": 90, "factor": "score"}, {"factor": 1}]
    elif curve == "random":
        belows = sorted({num(e) for e in draw(st.lists(st.sampled_from(edges), min_size=1, max_size=3))})
        bonus["curve"] = [{"below": b, "factor": draw(st.sampled_from([0, 0.5, 0.8, 1, "score"]))} for b in belows]
        bonus["curve"].append({"factor": draw(st.sampled_from([1, 1.2, "score"]))})
    if draw(st.booleans()):
        bonus["rating_factor"] = {n: num(draw(dsample(["1.2", "1", "0.8", "0.5", "0"])))
                                  for n in names if draw(st.booleans())} or {names[0]: 1.5}
    if draw(st.integers(0, 2)) == 0:
        table = {"A1": 1.0, "B1": 1.3, "C1": 0.8, "3": 1.1}
        bonus["level_factor"] = {"column": "职级", "factors": table}
        book.roster["职级"] = [draw(st.sampled_from(["A1", "B1", "C1", 3, "3", "a1"])) for _ in range(book.n)]
    if draw(st.integers(0, 2)) == 0:
        rate = num(draw(dsample(["0.01", "0.005", "0.03"])))
        if draw(st.booleans()):
            book.roster["销售额"] = [num(draw(dsample(["100000", "55555.5", "0", "123456.78", "-250000"])))
                                    for _ in range(book.n)]
            bonus["commission"] = {"rate": rate, "amount": {"column": "销售额"}}
        else:
            bonus["commission"] = {"rate": rate, "amount": 20000}
    budget = draw(st.sampled_from([None, "binding", "loose"]))
    if budget == "binding":  # well below what the curve pays
        bonus["budget"] = num((sum(bases) * draw(dsample(["0.3", "0.5", "0.75"]))).quantize(D("0.01")))
    elif budget == "loose":
        bonus["budget"] = num(sum(bases) * 10)
    bonus["round"] = draw(st.integers(0, 2))
    floor = draw(st.sampled_from([None, None, "-1000", "100"]))  # default 0; below it, a 保底
    if floor is not None:
        bonus["floor"] = num(D(floor))
    return bonus
