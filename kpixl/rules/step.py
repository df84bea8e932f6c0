"""``step`` — points added or taken per step away from a threshold.

Seeds: 每低于目标5%扣3分, 每超过1%加2分 (大客户经理); 需求预测准确率≥95%, 少1个百分点扣
0.5分, 每超一个百分点加1分 (烟草营销部); 访销成功率≥98%, 少一个百分点扣1分.

    score = base − below.points · steps_below + above.points · steps_above

Steps are counted on the decimal value of the distance (``ROUND(d/every, 9)``), so 15 %
below target in 5 % steps is 3 steps, never 2.9999…. ``stepping: floor`` (default)
counts whole steps only, ``ceil`` counts a started step, ``linear`` counts fractions.
``max_bonus`` / ``max_deduction`` bound the change; below ``zero_below`` the item scores 0.
"""

from __future__ import annotations

import math

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from .base import BASE, ZERO_BELOW, Achievement, ItemData, ItemRefs, SheetParam
from .words import fmt_for, num


class Steps(BaseModel):
    """``{every: 0.05, points: 3}`` — 3 points per 5 %."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    every: float = Field(gt=0)
    points: float = Field(ge=0)


class Step(Achievement):
    """``{type: step, threshold: 1.0, base: full, below: {...}, above: {...}}``."""

    words: ClassVar[tuple[str, ...]] = ("步进", "阶梯")
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        **Achievement.sheet_params,
        "threshold": SheetParam(("阈值",), "number", 8),
        "base": BASE,
        "below": SheetParam(("低于",), "steps", 10),
        "above": SheetParam(("超过",), "steps", 10),
        "stepping": SheetParam(("步进方式",), "choice", 9),
        "max_bonus": SheetParam(("最多加",), "number", 8),
        "max_deduction": SheetParam(("最多扣",), "number", 8),
        "zero_below": ZERO_BELOW,
    }
    achievement_params: ClassVar[frozenset[str]] = frozenset({"threshold", "zero_below", "below", "above"})

    type: Literal["step"] = "step"
    threshold: float = 1.0
    base: Literal["full"] | float = "full"
    below: Steps | None = None
    above: Steps | None = None
    stepping: Literal["floor", "ceil", "linear"] = "floor"
    zero_below: float | None = Field(None, ge=0)
    max_bonus: float | None = Field(None, ge=0)
    max_deduction: float | None = Field(None, ge=0)

    def _base(self, points: float) -> float:
        return points if self.base == "full" else float(self.base)

    def _worse_sign(self) -> int:
        # A lower-is-better *value* (an error rate) is worse above the threshold.
        return -1 if (self.measure == "value" and self.direction == "lower") else 1

    def _count(self, distance: np.ndarray, every: float) -> np.ndarray:
        if self.stepping == "linear":  # proportional: fractional steps of the exact distance
            return np.maximum(distance, 0) / every
        steps = xlmath.round9(np.maximum(distance, 0) / every)
        if self.stepping == "floor":
            return np.floor(steps)
        return np.ceil(steps)

    def max_score(self, points: float) -> float:
        """The base, plus the most the steps above target add (no bound without ``max_bonus``)."""
        base = self._base(points)
        if self.above is None or self.above.points == 0:
            return base
        return base + self.max_bonus if self.max_bonus is not None else math.inf

    def evaluate(self, data: ItemData) -> np.ndarray:
        # Whole steps are counted on the decimal achievement (15% below in 5% steps is 3);
        # linear steps are proportional, so they take the exact one.
        x = data.exact if self.stepping == "linear" and data.exact is not None else data.x
        s = self._worse_sign()
        change = np.zeros_like(x, dtype=float)
        if self.below:
            change = change - self.below.points * self._count(s * (self.threshold - x), self.below.every)
        if self.above:
            change = change + self.above.points * self._count(s * (x - self.threshold), self.above.every)
        if self.max_deduction is not None:
            change = np.maximum(change, -self.max_deduction)
        if self.max_bonus is not None:
            change = np.minimum(change, self.max_bonus)
        score = self._base(data.points) + change
        if self.zero_below is not None:
            score = np.where(data.x < self.zero_below, 0.0, score)
        return np.where(np.isnan(x), np.nan, score)

    def formula(self, refs: ItemRefs) -> str:
        x = self.achievement_formula(refs, exact=self.stepping == "linear")
        thr = xlmath.num(self.threshold)
        worse, better = (f"{thr}-{xlmath.wrap(x)}", f"{x}-{thr}")
        if self._worse_sign() < 0:
            worse, better = better, worse
        fn = {"floor": "ROUNDDOWN", "ceil": "ROUNDUP", "linear": None}[self.stepping]

        def count(distance: str, every: float) -> str:
            if fn is None:  # linear
                return f"MAX({distance},0)/{xlmath.num(every)}"
            return f"{fn}(ROUND(MAX({distance},0)/{xlmath.num(every)},9),0)"

        terms = []
        if self.below:
            terms.append(xlmath.times(-self.below.points, count(worse, self.below.every)))
        if self.above:
            terms.append(xlmath.times(self.above.points, count(better, self.above.every)))
        change = xlmath.plus(*terms)
        if self.max_deduction is not None:
            change = f"MAX({change},{xlmath.num(-self.max_deduction)})"
        if self.max_bonus is not None:
            change = f"MIN({change},{xlmath.num(self.max_bonus)})"
        score = xlmath.plus(xlmath.num(self._base(refs.points)), change)
        if self.zero_below is not None:
            score = f"IF({self.achievement_formula(refs)}<{xlmath.num(self.zero_below)},0,{score})"
        return score

    def describe(self, points: float) -> str:
        f = fmt_for(self, [self.threshold] + [s.every for s in (self.below, self.above) if s])
        base = f"{num(points)}分" if self.base == "full" else f"{num(self.base)}分"
        parts = [f"{self.achievement_word()}达{f(self.threshold)}得{base}"]
        if self.below:
            parts.append(f"每低{f(self.below.every)}扣{num(self.below.points)}分")
        if self.above:
            parts.append(f"每超{f(self.above.every)}加{num(self.above.points)}分")
        if self.max_bonus is not None:
            parts.append(f"最多加{num(self.max_bonus)}分")
        if self.max_deduction is not None:
            parts.append(f"最多扣{num(self.max_deduction)}分")
        if self.zero_below is not None:
            parts.append(f"低于{f(self.zero_below)}不得分")
        return ", ".join(parts)

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        out = []
        if self.below is None and self.above is None:
            out.append(("below", "no_steps", "a step rule needs below: {every, points}, above: {...}, or both"))
        if self.direction == "lower" and self.measure == "ratio" and self.above and self.max_bonus is None:
            out.append(("max_bonus", "lower_needs_max_bonus",
                        "a lower-is-better step rule with 'above' needs max_bonus: an actual of 0 would add without limit"))
        return out
