"""Shared builders of the data validation a card puts on input cells.

Each rule says how its own input columns are checked as they are typed
(``RuleModel.validation``); these build the option dicts — exactly XlsxWriter's
``data_validation`` options, plain dicts, so the rules need no Excel library. Prompts
and error messages are Chinese; titles are cut to Excel's 32 characters and messages
to 255 (XlsxWriter would otherwise drop the whole rule with a warning).
"""

from __future__ import annotations

from typing import Any

from .. import xlmath

HUGE = 1e15  # "any number": Excel needs both ends of a decimal rule
YES_NO = ("是", "否")


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in … when it was longer."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def entry_rule(kind: dict[str, Any], title: str, prompt: str, error: str) -> dict[str, Any]:
    """A validation of ``kind`` with its input prompt and its stop message.

    Args:
        kind: What is allowed (``{"validate": "list", "source": [...]}``…).
        title: The prompt's title.
        prompt: Shown when the cell is selected.
        error: Shown when a typed value is refused.

    Returns:
        XlsxWriter ``data_validation`` options.
    """
    out = dict(kind)
    out.update(input_title=cut(title, 32), input_message=cut(prompt, 255),
               error_title=cut("输入无效", 32), error_message=cut(error, 255), error_type="stop")
    return out


def decimal(lo: float | None, hi: float | None) -> dict[str, Any]:
    """A number between ``lo`` and ``hi`` (either None: unbounded on that side)."""
    lo = -HUGE if lo is None else lo
    hi = HUGE if hi is None else hi
    return {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": hi}


def span(lo: float | None, hi: float | None) -> str:
    """The allowed numbers in words: ``0 到 10 之间的数字``, ``不小于 0 的数字``, ``数字``."""
    if lo is not None and hi is not None and abs(lo) < HUGE and abs(hi) < HUGE:
        return f"{xlmath.num(lo)} 到 {xlmath.num(hi)} 之间的数字"
    if lo is not None and abs(lo) < HUGE:
        return f"不小于 {xlmath.num(lo)} 的数字"
    return "数字"


def score_within(lo: float, hi: float, name: str, who: str) -> dict[str, Any]:
    """The ``.score`` cell of a band or level given as a range: a number within all ranges."""
    return entry_rule(decimal(lo, hi), "评分", f"{name}{who}：所选档位/等级为区间时，在此输入 {span(lo, hi)}。",
                      f"{name}{who}：评分必须是 {span(lo, hi)}。")
