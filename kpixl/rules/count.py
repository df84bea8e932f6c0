"""``count`` — points per event.

Seeds: 迟到/早退扣1分/次, 旷工扣5分/次, 扣完为止 (考勤管理); 当月增加一个新客户加5分/次;
工作目标及过程考核扣分 with an upper limit per category (扣分上限); 单项分值可以扣至
负数,并入总分 (``allow_negative``).

    score = base + clamp(Σ per·count, limit.min, limit.max)

``base`` is 0 (default), ``full`` (= P) or a number. The score never goes below 0
unless ``allow_negative`` (a deduction item in an unweighted section needs it).

Σ per·count beyond ``limit`` is an input problem (a typo in a count is caught), unless
``beyond: cap``: then it counts as the limit (扣分上限, 最多加), with a note at the cells.
"""

from __future__ import annotations

import math

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry
from .base import BASE, BEYOND, CardRow, ItemData, ItemRefs, RuleModel, SheetParam, issue
from .words import num


class Counter(BaseModel):
    """``{id: late, name: 迟到/早退, per: -1}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    id: str
    name: str | None = None
    per: float

    @field_validator("id")
    @classmethod
    def _ident(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"counter id {v!r} must be a name without spaces, dots or @ (late, 迟到)")
        return v


class Limit(BaseModel):
    """Bounds of Σ per·count: a 扣分上限 of 10 is ``{min: -10}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    min: float | None = None
    max: float | None = None


class Count(RuleModel):
    """``{type: count, base: full, counters: [...], limit: {min: -10}}``."""

    input_kind: ClassVar[str] = "counters"
    words: ClassVar[tuple[str, ...]] = ("计次", "按次")
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        "base": BASE,
        "counters": SheetParam(("计次项",), "counters", 34),
        "allow_negative": SheetParam(("可为负",), "bool", 8),
        "limit": SheetParam(("扣分范围",), "limit", 10),
        "beyond": BEYOND,
    }

    type: Literal["count"] = "count"
    base: Literal["full"] | float = 0
    allow_negative: bool = False
    limit: Limit = Limit()
    counters: tuple[Counter, ...] = Field(min_length=1)
    beyond: Literal["cap", "error"] = "error"

    def is_signed(self) -> bool:
        return self.allow_negative

    def _base(self, points: float) -> float:
        return points if self.base == "full" else float(self.base)

    def max_score(self, points: float) -> float:
        """The base, plus the most the counters add (``limit.max``; no bound when a counter adds)."""
        most = math.inf if any(c.per > 0 for c in self.counters) else 0.0
        if self.limit.max is not None:
            most = min(most, self.limit.max)
        if self.limit.min is not None:
            most = max(most, self.limit.min)
        return self._base(points) + most

    def evaluate(self, data: ItemData) -> np.ndarray:
        total = np.zeros(data.n)
        for c in self.counters:
            total = total + c.per * data.counters[c.id]
        if self.limit.min is not None:
            total = np.maximum(total, self.limit.min)
        if self.limit.max is not None:
            total = np.minimum(total, self.limit.max)
        score = self._base(data.points) + total
        return score if self.allow_negative else np.maximum(score, 0.0)

    def formula(self, refs: ItemRefs) -> str:
        total = xlmath.plus(*(xlmath.times(c.per, refs.counters[c.id]) for c in self.counters))
        if self.limit.min is not None:
            total = f"MAX({total},{xlmath.num(self.limit.min)})"
        if self.limit.max is not None:
            total = f"MIN({total},{xlmath.num(self.limit.max)})"
        score = xlmath.plus(xlmath.num(self._base(refs.points)), total)
        return score if self.allow_negative else f"MAX({score},0)"

    def _sum(self, data: ItemData) -> np.ndarray:
        total = np.zeros(data.n)
        for c in self.counters:
            total = total + c.per * data.counters[c.id]
        return total

    def _beyond(self, data: ItemData) -> tuple[np.ndarray, np.ndarray]:
        """Masks of the people whose Σ per·count is below ``limit.min`` / above ``limit.max``."""
        total = xlmath.round9(self._sum(data))  # 7 × −5 against −30: compared on the decimal value
        low = total < self.limit.min if self.limit.min is not None else np.zeros(data.n, dtype=bool)
        high = total > self.limit.max if self.limit.max is not None else np.zeros(data.n, dtype=bool)
        return low, high

    def _beyond_issues(self, data: ItemData, code: str, capped: bool) -> list:
        low, high = self._beyond(data)
        total = self._sum(data)
        field = self.counters[0].id  # the first count's cell stands for the line
        lim = self.limit

        def say(r: int) -> str:
            if low[r]:
                head = f"扣分合计{xlmath.num(total[r])}超过上限{xlmath.num(abs(lim.min))}"
                return head + (f", 按上限计 ({xlmath.num(lim.min)})" if capped else
                               f": deductions below the limit {xlmath.num(lim.min)} (beyond: cap counts them as the limit)")
            head = f"加分合计{xlmath.num(total[r])}超过上限{xlmath.num(lim.max)}"
            return head + (f", 按上限计 ({xlmath.num(lim.max)})" if capped else
                           f": additions above the limit {xlmath.num(lim.max)} (beyond: cap counts them as the limit)")

        return issue(low | high, field, code, say)

    def check(self, data: ItemData) -> list:
        out = []
        for c in self.counters:
            out += issue(data.counters[c.id] < 0, c.id, "negative_count",
                         f"{c.name or c.id}: a count cannot be below 0")
        if self.beyond == "error":
            out += self._beyond_issues(data, "beyond_limit", capped=False)
        return out

    def notes(self, data: ItemData) -> list:
        return self._beyond_issues(data, "capped", capped=True) if self.beyond == "cap" else []

    def card_rows(self) -> list[CardRow]:
        return [CardRow(f"{c.name or c.id}(次)", c.id, per_rater=False) for c in self.counters]

    def describe(self, points: float) -> str:
        parts = []
        if self.base == "full":
            parts.append(f"基础分{num(points)}分")
        elif self.base:
            parts.append(f"基础分{num(self.base)}分")
        for c in self.counters:
            word = "加" if c.per >= 0 else "扣"
            parts.append(f"{c.name or c.id}{word}{num(abs(c.per))}分/次")
        lim = self.limit
        if lim.min is not None:
            parts.append(f"最多扣{num(-lim.min)}分" if lim.min <= 0 else f"至少{num(lim.min)}分")
        if lim.max is not None:
            parts.append(f"最多加{num(lim.max)}分")
        if not self.allow_negative:
            parts.append("扣完为止")
        return ", ".join(parts)

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        counter = next((c for c in self.counters if c.id == field), None)
        if counter is None:
            return super().validation(field, points, name, who)
        label = f"{name}·{counter.name or counter.id}"
        return entry.entry_rule(entry.decimal(0, None), "次数", f"{label}：输入次数（不小于0）。",
                                f"{label}：次数必须是不小于 0 的数字。")

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        out = []
        seen = set()
        for i, c in enumerate(self.counters):
            if c.id in seen:
                out.append((f"counters[{i}].id", "duplicate_id", f"counter id {c.id!r} is used twice"))
            seen.add(c.id)
        lim = self.limit
        if lim.min is not None and lim.max is not None and lim.min > lim.max:
            out.append(("limit", "limit_backwards", f"limit.min {lim.min} is above limit.max {lim.max}"))
        return out
