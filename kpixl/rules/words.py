"""Shared Chinese wording of the rule descriptions on a card (完成率×20分, 封顶120%).

Each rule module writes its own sentence (``RuleModel.describe``); these are the
number forms they share, so that every rule shows 85% and 20分 the same way.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import xlmath
from .base import pct


def num(x: float) -> str:
    """A number as the card shows it: ``20``, ``0.5``."""
    return xlmath.num(x)


def fmt_for(rule: Any, values: list[float | None]) -> Callable[[float], str]:
    """Percent for achievements (ratio) and for rates (value bands within 0–2 with a fraction)."""
    if getattr(rule, "measure", "ratio") == "ratio":
        return pct
    vals = [v for v in values if v is not None]
    if vals and all(0 <= abs(v) <= 2 for v in vals) and any(float(v) != int(v) for v in vals):
        return pct
    return num


def points_text(p: float | tuple[float, float]) -> str:
    """``20分``, or ``6–8分(评分)`` for a range the rater scores within."""
    return f"{num(p[0])}–{num(p[1])}分(评分)" if isinstance(p, tuple) else f"{num(p)}分"
