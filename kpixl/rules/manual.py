"""``manual`` — the rater enters the score directly (评分1–5分; 领导满意度).

    score = the entered score, which must lie in [min, max] (default [0, P])
"""

from __future__ import annotations

from typing import ClassVar, Literal

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry
from .base import MAX, MIN, CardRow, ItemData, ItemRefs, RuleModel, SheetParam, issue
from .words import num


class Manual(RuleModel):
    """``{type: manual, min: 0, max: null}``."""

    words: ClassVar[tuple[str, ...]] = ("评分", "打分")
    sheet_params: ClassVar[dict[str, SheetParam]] = {"min": MIN, "max": MAX}

    type: Literal["manual"] = "manual"
    min: float = 0
    max: float | None = None

    def bounds(self, points: float) -> tuple[float, float]:
        return self.min, (points if self.max is None else self.max)

    def max_score(self, points: float) -> float:
        """The highest score that may be typed."""
        return float(self.bounds(points)[1])

    def evaluate(self, data: ItemData) -> np.ndarray:
        return data.value.astype(float)

    def formula(self, refs: ItemRefs) -> str:
        return f"N({refs.primary})"

    def check(self, data: ItemData) -> list:
        lo, hi = self.bounds(data.points)
        v = data.value.astype(float)
        return issue((v < lo) | (v > hi), "value", "score_out_of_range",
                     f"score must be between {xlmath.num(lo)} and {xlmath.num(hi)}")

    def card_rows(self) -> list[CardRow]:
        return [CardRow("评分")]

    def describe(self, points: float) -> str:
        lo, hi = self.bounds(points)
        return f"评分 {num(lo)}–{num(hi)}分"

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        if field is not None:
            return super().validation(field, points, name, who)
        lo, hi = self.bounds(points)
        return entry.entry_rule(entry.decimal(lo, hi), "评分", f"{name}{who}：输入 {entry.span(lo, hi)}。",
                                f"{name}{who}：评分必须是 {entry.span(lo, hi)}。")

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        lo, hi = self.bounds(points)
        return [("max", "range_backwards", f"min {lo} is above max {hi}")] if lo > hi else []
