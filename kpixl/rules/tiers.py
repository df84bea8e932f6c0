"""``tiers`` — points by the band the achievement falls in.

Seeds: 完成率≥90% 20分, ≥85% 10分, <80% 0分 (客服部经理); 超出标准5分 / 达标4分 /
80%以上3分 / 以下2分; 完成率60–69% 6–8分 (the rater enters a score in the range);
差错率 ≤3% 5分 (``measure: value``, bands with ``max``).

A band holds x when ``min ≤ x ≤ max`` (both inclusive, either may be absent), with
the strict forms ``above`` (x > a) and ``below`` (x < b) in their place where the
seed is strict (投诉率低于2% → ``below: 0.02``); the first band listed (best first)
that holds x gives its points. Both renderings work from one compiled form: the real
line cut into segments, each with the band that answers there and each end open or
closed exactly — NumPy selects over the segments, the formula nests ``IF`` over the
same segment ends (``x<=0.9`` where the segment ends at 0.9 included, ``x<0.9``
where it stops short of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from .base import Achievement, ItemData, ItemRefs, SheetParam, issue, pct
from .words import fmt_for, points_text


class Band(BaseModel):
    """``{min: 0.9, points: 20}``, ``{above: 0.9, points: 20}``, ``{min: 0.6, max: 0.69, points: [6, 8]}``.

    ``min``/``max`` are inclusive, ``above``/``below`` strict. Giving both forms on one
    side (``min`` and ``above``) is reported by :meth:`Tiers.scheme_problems`, with its
    code, rather than refused here: both then simply hold.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None
    points: float | tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> "Band":
        for lo, hi in (("min", "max"), ("min", "below"), ("above", "max"), ("above", "below")):
            a, b = getattr(self, lo), getattr(self, hi)
            # min == max is a single point; a strict end on either side makes it empty.
            if a is not None and b is not None and (a > b or (a == b and (lo, hi) != ("min", "max"))):
                raise ValueError(f"{lo} {a} and {hi} {b} leave no achievement in the band")
        if isinstance(self.points, tuple) and self.points[0] > self.points[1]:
            raise ValueError(f"points range {list(self.points)} runs backwards")
        return self

    def holds(self, x: float) -> bool:
        """Whether the achievement ``x`` lies in the band (every end given must hold)."""
        return ((self.min is None or self.min <= x) and (self.max is None or x <= self.max)
                and (self.above is None or x > self.above) and (self.below is None or x < self.below))

    def edges(self) -> list[float]:
        """Every end given, in no particular order."""
        return [e for e in (self.min, self.max, self.above, self.below) if e is not None]

    def ends(self, show, ge: str = "≥", gt: str = ">", le: str = "≤", lt: str = "<",
             both: str = "{lo}–{hi}", joint: str = "{lo} {hi}") -> str | None:
        """The band's condition as text, or None when it has no end (it holds everywhere).

        Both ends inclusive keep the range form people write (``60%–69%``); a strict
        end is always spelled out with its sign (``>60%``, ``<70%``).
        """
        lo = f"{ge}{show(self.min)}" if self.min is not None else (
            f"{gt}{show(self.above)}" if self.above is not None else None)
        hi = f"{le}{show(self.max)}" if self.max is not None else (
            f"{lt}{show(self.below)}" if self.below is not None else None)
        if self.min is not None and self.max is not None and self.above is None and self.below is None:
            return both.format(lo=show(self.min), hi=show(self.max))
        if lo and hi:
            return joint.format(lo=lo, hi=hi)
        return lo or hi


@dataclass(frozen=True)
class Segment:
    """Achievements up to ``hi`` (inclusive when ``closed``) take band ``band``.

    ``hi`` is None for the last segment (up to +∞); ``band`` is None where no band
    answers (0 points).
    """

    hi: float | None
    closed: bool
    band: int | None


class Tiers(Achievement):
    """``{type: tiers, bands: [...], gap: error|lower|zero}``."""

    words: ClassVar[tuple[str, ...]] = ("分档", "档位")
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        **Achievement.sheet_params,
        "bands": SheetParam(("档位",), "bands", 34),
        "gap": SheetParam(("缺口",), "choice", 8),
    }
    achievement_params: ClassVar[frozenset[str]] = frozenset({"bands"})

    type: Literal["tiers"] = "tiers"
    bands: tuple[Band, ...] = Field(min_length=1)
    gap: Literal["error", "lower", "zero"] = "error"

    def has_ranges(self) -> bool:
        return any(isinstance(b.points, tuple) for b in self.bands)

    # ---- the compiled form ----------------------------------------------------------

    def segments(self) -> list[Segment]:
        return _compile(self)[0]

    def evaluate(self, data: ItemData) -> np.ndarray:
        segs = self.segments()
        x = data.x
        conds, values = [], []
        for seg in segs[:-1]:
            conds.append(x <= seg.hi if seg.closed else x < seg.hi)
            values.append(self._value(seg.band, data))
        none = [np.zeros(np.shape(x), dtype=bool)]  # one segment (a single band answers everywhere)
        out = np.select(conds or none, values or [0.0], default=self._value(segs[-1].band, data))
        return np.where(np.isnan(x), np.nan, out.astype(float))

    def _value(self, band: int | None, data: ItemData):
        if band is None:
            return 0.0
        pts = self.bands[band].points
        if isinstance(pts, tuple):
            return data.score if data.score is not None else np.full(data.n, np.nan)
        return float(pts)

    def selected(self, x: np.ndarray) -> np.ndarray:
        """The band index each achievement selects (-1 where none answers)."""
        segs = self.segments()
        conds = [x <= s.hi if s.closed else x < s.hi for s in segs[:-1]]
        idx = [(-1 if s.band is None else s.band) for s in segs]
        return np.select(conds or [np.zeros(np.shape(x), dtype=bool)], idx[:-1] or [-1], default=idx[-1])

    def formula(self, refs: ItemRefs) -> str:
        x = self.achievement_formula(refs)
        segs = self.segments()

        def val(band: int | None) -> str:
            if band is None:
                return "0"
            pts = self.bands[band].points
            if isinstance(pts, tuple):
                if not refs.score:
                    raise ValueError("a band with a points range needs a score cell")
                return refs.score
            return xlmath.num(pts)

        out = val(segs[-1].band)
        for seg in reversed(segs[:-1]):
            op = "<=" if seg.closed else "<"
            out = f"IF({x}{op}{xlmath.num(seg.hi)},{val(seg.band)},{out})"
        return out

    # ---- checks ---------------------------------------------------------------------

    def check(self, data: ItemData) -> list:
        ranged = [i for i, b in enumerate(self.bands) if isinstance(b.points, tuple)]
        if not ranged or data.x is None:
            return []
        sel = self.selected(np.nan_to_num(data.x, nan=-np.inf))
        score = data.score if data.score is not None else np.full(data.n, np.nan)
        out = []
        for i in ranged:
            lo, hi = self.bands[i].points
            here = (sel == i) & ~np.isnan(data.x)
            msg = f"enter a score from {xlmath.num(lo)} to {xlmath.num(hi)} (achievement {self.band_label(i)})"
            out += issue(here & np.isnan(score), "score", "missing_score", "no score: " + msg)
            out += issue(here & ((score < lo) | (score > hi)), "score", "score_outside_band",
                         "score must be " + msg.removeprefix("enter a score "))
        return out

    def band_label(self, i: int) -> str:
        """A band as people write it: ``≥90%``, ``>90%``, ``60%–69%``, ``≤3%``, ``>60% and <70%``."""
        show = pct if self.measure == "ratio" else xlmath.num
        return self.bands[i].ends(show, joint="{lo} and {hi}") or "any"

    def describe(self, points: float) -> str:
        f = fmt_for(self, [v for b in self.bands for v in b.edges()])
        bands = []
        for b in self.bands:
            cond = b.ends(f, gt="高于", lt="低于", joint="{lo}且{hi}") or "其他"
            bands.append(f"{cond} {points_text(b.points)}")
        parts = [f"{self.achievement_word()}: " + "; ".join(bands)]
        if self.gap == "lower":
            parts.append("档位之间按低一档")
        elif self.gap == "zero":
            parts.append("档位之间0分")
        return ", ".join(parts)

    def max_score(self, points: float) -> float:
        """The points of the best band (a scored band: its highest)."""
        return max(float(b.points[1]) if isinstance(b.points, tuple) else float(b.points) for b in self.bands)

    def score_range(self, points: float) -> tuple[float, float]:
        spans = [b.points for b in self.bands if isinstance(b.points, tuple)]
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        return _compile(self)[1]


@lru_cache(maxsize=256)
def _compile(rule: Tiers) -> tuple[list[Segment], list[tuple[str, str, str]]]:
    """Cut the line at every band edge and find which band answers in each piece.

    Each edge e gives two pieces — the open interval just below it and the point e
    itself — so a strict end (``above: 0.9``) and an inclusive one (``min: 0.9``) fall
    on different sides of e, and a gap of the single point 0.9 is found like any other.
    """
    bands = rule.bands
    edges = sorted({e for b in bands for e in b.edges()})
    # Pieces in ascending order: (hi, closed, representative); a point piece is (e, True, e).
    pieces: list[tuple[float, bool, float]] = []
    prev = None
    for e in edges:
        rep = e - 1 if prev is None else (prev + e) / 2
        pieces.append((e, False, rep))  # the open interval below e
        pieces.append((e, True, e))  # the point e itself
        prev = e
    pieces.append((math.inf, False, (prev + 1) if prev is not None else 0.0))
    held = [next((i for i, b in enumerate(bands) if b.holds(rep)), None) for _, _, rep in pieces]

    problems: list[tuple[str, str, str]] = []
    for i, b in enumerate(bands):
        for incl, strict in (("min", "above"), ("max", "below")):
            if getattr(b, incl) is not None and getattr(b, strict) is not None:
                problems.append((f"bands[{i}]", "strict_and_inclusive",
                                 f"a band gives both {incl} (inclusive) and {strict} (strict) on one side; keep one"))
    # Best first: descending when the best band sits right of the worst (higher is better).
    present = [i for i in range(len(bands)) if i in held]
    descending = len(present) < 2 or held.index(present[0]) > held.index(present[-1])
    used = [i for i in held if i is not None]
    lo_used = min((k for k, h in enumerate(held) if h is not None), default=0)
    hi_used = max((k for k, h in enumerate(held) if h is not None), default=0)

    for i in range(len(bands)):
        if i not in used:
            problems.append((f"bands[{i}]", "band_never_used",
                             f"band {rule.band_label(i)} is never selected: bands listed before it already hold every achievement it covers"))

    if rule.gap == "error":
        for k, h in enumerate(held):
            interior = lo_used < k < hi_used
            below_zero_domain = rule.measure == "ratio" and pieces[k][0] > 0 and not interior
            if h is None and (interior or below_zero_domain):
                end = k
                while end + 1 < len(held) and held[end + 1] is None:
                    end += 1
                problems.append(("bands", "band_gap",
                                 f"no band holds achievements {_gap_text(rule, pieces, k, end)}; "
                                 "add a band or set gap: lower or gap: zero"))
                break
    elif rule.gap == "lower":
        step = -1 if descending else 1
        filled = list(held)
        for k, h in enumerate(held):
            if h is None:
                j = k + step
                while 0 <= j < len(held) and held[j] is None:
                    j += step
                filled[k] = held[j] if 0 <= j < len(held) else None
        held = filled

    segs: list[Segment] = []
    for (hi, closed, _), band in zip(pieces, held):
        if segs and segs[-1].band == band:
            segs[-1] = Segment(hi, closed, band)
        else:
            segs.append(Segment(hi, closed, band))
    segs[-1] = Segment(None, False, segs[-1].band)
    return segs, problems


def _gap_text(rule: Tiers, pieces: list[tuple[float, bool, float]], first: int, last: int) -> str:
    """The pieces ``first``…``last`` as words: ``between 80% and 85%``, ``at exactly 90%``.

    The gap starts just above the previous piece's end when that piece is a point
    (closed), else at the point itself; it ends at the last piece's end, included when
    that piece is a point.
    """
    show = pct if rule.measure == "ratio" else xlmath.num
    lo = pieces[first - 1][0] if first else -math.inf
    lo_in = first > 0 and not pieces[first - 1][1]
    hi, hi_in = pieces[last][0], pieces[last][1]
    if lo_in and hi_in and lo == hi:
        return f"at exactly {show(lo)}"
    if rule.measure == "ratio" and -math.inf < lo < 0:  # achievements below 0 are not asked about
        lo = 0.0
    lo_s = "-∞" if lo == -math.inf else show(lo)
    hi_s = "+∞" if hi == math.inf else show(hi)
    text = f"between {lo_s} and {hi_s}"
    incl = [s for s, on in ((lo_s, lo_in), (hi_s, hi_in)) if on]
    return text + (f" ({' and '.join(incl)} included)" if incl else "")
