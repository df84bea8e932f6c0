"""``rubric`` — points by the level the rater picks.

Seeds: 1级5分 2级10分 3级15分 4级20分 5级25分 (客服部经理 行为考核);
优100% 良80–90% 中70% 可60% 差0–50% (客户经理月度KPI 自评, ``of: fraction``).

A level gives points (or, with ``of: fraction``, a fraction of P). A level given as a
range (``良: [0.8, 0.9]``) lets the rater enter a score within it (in points).
"""

from __future__ import annotations

import math
import numbers
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry
from .base import CardRow, ItemData, ItemRefs, RuleModel, SheetParam, issue, pct
from .words import points_text


def level_key(value) -> str:
    """The canonical text of a level: 1, 1.0 and "1" are all "1"; "优" stays "优"."""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, numbers.Real):  # int, float and NumPy's numbers alike
        return xlmath.num(value) if math.isfinite(value) else str(value)  # inf is no level: reported as unknown
    text = str(value).strip()
    try:
        return xlmath.num(float(text))
    except ValueError:  # also "inf"/"nan", which no formula can hold: kept as text
        return text


def _as_number(key):
    if isinstance(key, str):
        try:
            key = float(key.strip())
        except ValueError:
            return key
    if isinstance(key, float) and key.is_integer():
        return int(key)
    return key


class Rubric(RuleModel):
    """``{type: rubric, levels: {1: 5, 2: 10}}`` or ``{..., of: fraction, levels: {优: 1.0}}``."""

    input_kind: ClassVar[str] = "level"
    words: ClassVar[tuple[str, ...]] = ("等级", "定级")
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        "levels": SheetParam(("等级",), "levels", 30),
        "of": SheetParam(("等级口径",), "choice", 9),
    }

    type: Literal["rubric"] = "rubric"
    of: Literal["points", "fraction"] = "points"
    levels: dict[str | int | float, float | tuple[float, float]] = Field(min_length=1)

    @field_validator("levels", mode="before")
    @classmethod
    def _numeric_keys(cls, v):
        # "1" (JSON keys are text) and 1.0 are the level 1: the cell holds a number.
        if isinstance(v, dict):
            return {_as_number(k): p for k, p in v.items()}
        return v

    @field_validator("levels")
    @classmethod
    def _ranges(cls, v: dict) -> dict:
        for k, p in v.items():
            if isinstance(p, tuple) and p[0] > p[1]:
                raise ValueError(f"level {k}: range {list(p)} runs backwards")
        return v

    def __hash__(self) -> int:
        return hash((self.type, self.of, tuple(self.levels.items())))

    def percent_params(self) -> frozenset[str]:
        return frozenset({"levels"}) if self.of == "fraction" else frozenset()

    def has_ranges(self) -> bool:
        return any(isinstance(p, tuple) for p in self.levels.values())

    # ---- level table ----------------------------------------------------------------

    def keys(self) -> list[str]:
        return [level_key(k) for k in self.levels]

    def _points(self, p: float, points: float) -> float:
        return p * points if self.of == "fraction" else float(p)

    def range_of(self, key: str, points: float) -> tuple[float, float] | None:
        p = self.levels[self._raw(key)]
        if isinstance(p, tuple):
            return (self._points(p[0], points), self._points(p[1], points))
        return None

    def _raw(self, key: str):
        return next(k for k in self.levels if level_key(k) == key)

    # ---- renderings -----------------------------------------------------------------

    def evaluate(self, data: ItemData) -> np.ndarray:
        out = np.full(data.n, np.nan)
        score = data.score if data.score is not None else np.full(data.n, np.nan)
        for k, p in self.levels.items():
            here = data.value == level_key(k)
            out = np.where(here, score if isinstance(p, tuple) else self._points(p, data.points), out)
        return out

    def formula(self, refs: ItemRefs) -> str:
        keys = ",".join(xlmath.literal(k) for k in self.levels)
        choices = []
        for p in self.levels.values():
            if isinstance(p, tuple):
                if not refs.score:
                    raise ValueError("a level with a range needs a score cell")
                choices.append(refs.score)
            else:
                choices.append(xlmath.num(self._points(p, refs.points)))
        v = refs.primary
        return f'IF({v}="",0,CHOOSE(MATCH({v},{{{keys}}},0),{",".join(choices)}))'

    def check(self, data: ItemData) -> list:
        known = set(self.keys())
        present = np.array([v is not None and v == v for v in data.value], dtype=bool)
        allowed = "、".join(self.keys())
        out = issue(present & ~np.isin(data.value, list(known)), "value", "unknown_level",
                    f"level must be one of {allowed}")
        score = data.score if data.score is not None else np.full(data.n, np.nan)
        for k, p in self.levels.items():
            if not isinstance(p, tuple):
                continue
            lo, hi = self._points(p[0], data.points), self._points(p[1], data.points)
            here = data.value == level_key(k)
            msg = f"level {level_key(k)}: enter a score from {xlmath.num(lo)} to {xlmath.num(hi)}"
            out += issue(here & np.isnan(score), "score", "missing_score", f"no score: {msg}")
            out += issue(here & ((score < lo) | (score > hi)), "score", "score_outside_level", msg)
        return out

    def card_rows(self) -> list[CardRow]:
        return [CardRow("等级"), *self.score_rows()]

    def describe(self, points: float) -> str:
        if self.of == "fraction":
            lv = [f"{k} {(pct(v[0]) + '–' + pct(v[1])) if isinstance(v, tuple) else pct(v)}"
                  for k, v in self.levels.items()]
            return "按等级得分值的比例: " + "; ".join(lv)
        return "; ".join(f"{k}{'级' if str(k).replace('.', '').isdigit() else ''} {points_text(v)}"
                         for k, v in self.levels.items())

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        if field is not None:
            return super().validation(field, points, name, who)
        keys = [level_key(k) for k in self.levels]
        return entry.entry_rule({"validate": "list", "source": keys}, "请选择等级",
                                f"{name}{who}：从下拉列表选择 {'、'.join(keys)}。",
                                f"{name}{who}：等级只能是 {'、'.join(keys)}。")

    def max_score(self, points: float) -> float:
        """The points of the best level (a scored level: its highest)."""
        return max(self._points(p[1] if isinstance(p, tuple) else p, points) for p in self.levels.values())

    def score_range(self, points: float) -> tuple[float, float]:
        spans = [s for s in (self.range_of(k, points) for k in self.keys()) if s is not None]
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        keys = self.keys()
        dup = {k for k in keys if keys.count(k) > 1}
        out = [("levels", "duplicate_level", f"level {k} is listed twice") for k in sorted(dup)]
        if self.of == "fraction":
            for k, p in self.levels.items():
                for f in (p if isinstance(p, tuple) else (p,)):
                    if not 0 <= f <= 1.5:
                        out.append((f"levels.{k}", "fraction_range",
                                    f"with of: fraction a level is a share of P such as 0.8, not {f}"))
        return out
