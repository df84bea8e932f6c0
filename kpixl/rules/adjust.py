"""``adjust`` — signed points with a required reason.

Seeds: 临时重要工作或其它重大事件, 视实际情况, 在1-100分之间加扣 (大客户经理);
嘉奖在总考评分中加1~10分 (客户服务经理).

    score = the entered points (blank = 0), within [min, max]; a non-zero entry needs a
    reason in the ``item.reason`` column

An entry beyond [min, max] is an input problem (a typo is caught), unless ``beyond: cap``:
then it counts as the limit, with a note at its cell (扣分上限30: −35 typed → −30).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry
from .base import BEYOND, MAX, MIN, CardRow, ItemData, ItemRefs, RuleModel, SheetParam, issue
from .words import num


class Adjust(RuleModel):
    """``{type: adjust, min: -100, max: 100}``."""

    blank_ok: ClassVar[bool] = True
    signed: ClassVar[bool] = True
    words: ClassVar[tuple[str, ...]] = ("加减分", "加扣分")
    sheet_params: ClassVar[dict[str, SheetParam]] = {"min": MIN, "max": MAX, "beyond": BEYOND}

    type: Literal["adjust"] = "adjust"
    min: float = -100
    max: float = 100
    beyond: Literal["cap", "error"] = "error"

    def max_score(self, points: float) -> float:
        """The most points that may be added (``max``)."""
        return max(float(self.max), 0.0)

    def evaluate(self, data: ItemData) -> np.ndarray:
        v = np.nan_to_num(data.value.astype(float), nan=0.0)
        return np.clip(v, self.min, self.max) if self.beyond == "cap" else v

    def formula(self, refs: ItemRefs) -> str:
        if self.beyond == "cap":
            return f"MIN(MAX(N({refs.primary}),{xlmath.num(self.min)}),{xlmath.num(self.max)})"
        return f"N({refs.primary})"

    def _beyond(self, data: ItemData) -> np.ndarray:
        v = np.nan_to_num(data.value.astype(float), nan=0.0)
        return (v < self.min) | (v > self.max)

    def check(self, data: ItemData) -> list:
        if self.beyond == "cap":
            return []
        return issue(self._beyond(data), "value", "points_out_of_range",
                     f"points must be between {xlmath.num(self.min)} and {xlmath.num(self.max)}")

    def notes(self, data: ItemData) -> list:
        if self.beyond != "cap":
            return []
        v = np.nan_to_num(data.value.astype(float), nan=0.0)
        return issue(self._beyond(data), "value", "capped", lambda r: (
            f"扣分超过上限{xlmath.num(abs(self.min))}, 按上限计 ({xlmath.num(self.min)})" if v[r] < self.min
            else f"加分超过上限{xlmath.num(self.max)}, 按上限计 ({xlmath.num(self.max)})"))

    def card_rows(self) -> list[CardRow]:
        return [CardRow("加/扣分"), CardRow("事由", "reason", per_rater=False, after_na=True)]

    def describe(self, points: float) -> str:
        capped = ", 超出按上限计" if self.beyond == "cap" else ""
        return f"加/扣分 {num(self.min)}~{num(self.max)}分{capped}, 须写明事由"

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        if field == "reason":
            return entry.entry_rule({"validate": "length", "criteria": "between", "minimum": 0, "maximum": 255},
                                    "加扣分原因", f"{name}：有加分或扣分时必须写明原因。", "原因最多255个字。")
        if field is not None:
            return super().validation(field, points, name, who)
        lo, hi = self.min, self.max
        if self.beyond == "cap":  # any number: beyond the limit counts as the limit
            return entry.entry_rule(entry.decimal(None, None), "加扣分",
                                    f"{name}{who}：输入加分（正数）或扣分（负数），超出 {entry.span(lo, hi)} 按上限计，并填写原因。",
                                    f"{name}{who}：加扣分必须是数字。")
        return entry.entry_rule(entry.decimal(lo, hi), "加扣分",
                                f"{name}{who}：输入加分（正数）或扣分（负数），{entry.span(lo, hi)}，并填写原因。",
                                f"{name}{who}：加扣分必须是 {entry.span(lo, hi)}。")

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        return [("max", "range_backwards", f"min {self.min} is above max {self.max}")] if self.min > self.max else []
