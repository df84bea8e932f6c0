"""``binary`` — all or nothing (是否执行 0/10分; 不流失5分, 流失0分).

    score = P for yes (是, 1, TRUE), 0 for no (否, 0, FALSE)
"""

from __future__ import annotations

from typing import ClassVar, Literal

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry
from .base import CardRow, ItemData, ItemRefs, RuleModel

#: The yes/no words a cell may hold, exactly those the formula recognises.
YES = "是"
NO = "否"


class Binary(RuleModel):
    """``{type: binary}``."""

    input_kind: ClassVar[str] = "yesno"
    words: ClassVar[tuple[str, ...]] = ("是否",)
    type: Literal["binary"] = "binary"

    def evaluate(self, data: ItemData) -> np.ndarray:
        return np.where(np.isnan(data.value), np.nan, data.value * data.points)

    def formula(self, refs: ItemRefs) -> str:
        v = refs.primary
        return f'IF(OR({v}="{YES}",{v}=1,{v}=TRUE),{xlmath.num(refs.points)},0)'

    def card_rows(self) -> list[CardRow]:
        return [CardRow("是/否")]

    def describe(self, points: float) -> str:
        return f"是 {xlmath.num(points)}分, 否 0分"

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        if field is not None:
            return super().validation(field, points, name, who)
        return entry.entry_rule({"validate": "list", "source": list(entry.YES_NO)}, "请选择是或否",
                                f"{name}{who}：选“是”或“否”。", f"{name}{who}：只能选“是”或“否”。")
