"""``ratio`` — score in proportion to achievement.

Seeds: 实际/目标×权重, 各细项最高120%封顶 (客户经理月度KPI); 完成额低于50%本项不计分
(大客户经理); 按完成比例考核 (烟草营销部).

    score = P × min(max(x, floor), cap), and 0 when x < zero_below

The score multiplies the exact achievement (80 × 386,530 / 635,283 = 48.674999963…,
so a total of 68.67 as finance's own ``=A/T*80`` gives); only ``zero_below`` compares
the achievement rounded to 9 places.
"""

from __future__ import annotations

import math

from typing import ClassVar, Literal

from pydantic import Field

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from .base import ZERO_BELOW, Achievement, ItemData, ItemRefs, SheetParam, pct
from .words import num


class Ratio(Achievement):
    """``{type: ratio, cap: 1.2, floor: 0, zero_below: 0.5}``."""

    words: ClassVar[tuple[str, ...]] = ("比例", "按比例")
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        **Achievement.sheet_params,
        "cap": SheetParam(("封顶",), "number", 8),
        "floor": SheetParam(("保底",), "number", 8),
        "zero_below": ZERO_BELOW,
    }
    achievement_params: ClassVar[frozenset[str]] = frozenset({"cap", "floor", "zero_below"})

    type: Literal["ratio"] = "ratio"
    cap: float | None = Field(None, gt=0, description="highest achievement counted (1.2 = 120%封顶)")
    floor: float = Field(0, ge=0, description="lowest achievement counted")
    zero_below: float | None = Field(None, ge=0, description="below this achievement the item scores 0")

    def max_score(self, points: float) -> float:
        """points × the cap (120%封顶 → 1.2 × points); without a cap, no bound."""
        return points * self.cap if self.cap is not None else (math.inf if points > 0 else 0.0)

    def evaluate(self, data: ItemData) -> np.ndarray:
        x = data.x
        exact = data.exact if data.exact is not None else x
        kept = np.maximum(exact, self.floor)
        if self.cap is not None:
            kept = np.minimum(kept, self.cap)
        score = data.points * kept
        if self.zero_below is not None:
            score = np.where(x < self.zero_below, 0.0, score)
        return score

    def formula(self, refs: ItemRefs) -> str:
        x = self.achievement_formula(refs)
        kept = f"MAX({self.achievement_formula(refs, exact=True)},{xlmath.num(self.floor)})"
        if self.cap is not None:
            kept = f"MIN({kept},{xlmath.num(self.cap)})"
        score = xlmath.times(refs.points, kept)
        if self.zero_below is not None:
            score = f"IF({x}<{xlmath.num(self.zero_below)},0,{score})"
        return score

    def describe(self, points: float) -> str:
        parts = [f"{self.achievement_word()}×{num(points)}分"]
        if self.cap is not None:
            parts.append(f"封顶{pct(self.cap)}")
        if self.floor:
            parts.append(f"保底{pct(self.floor)}")
        if self.zero_below is not None:
            parts.append(f"低于{pct(self.zero_below)}不得分")
        return ", ".join(parts)

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        out = []
        if self.cap is not None and self.cap < self.floor:
            out.append(("cap", "cap_below_floor", f"cap {self.cap} is below floor {self.floor}"))
        if self.direction == "lower" and self.cap is None:
            out.append(("cap", "lower_needs_cap",
                        "a lower-is-better ratio needs a cap: an actual of 0 would score without limit"))
        if self.measure == "value" and self.direction == "lower":
            out.append(("direction", "value_lower",
                        "ratio with measure: value scores the value itself; use tiers or step for lower-is-better values"))
        return out
