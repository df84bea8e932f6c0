"""Data validation of a card's input cells (XlsxWriter ``data_validation`` options).

One rule per input column, from the scheme: levels and 是/否 as dropdown lists, numbers
as decimal ranges (counts ≥ 0, a manual score within its range, adjust points within
[min, max], a score within the band or level ranges), a reason as text. Prompts and
error messages are Chinese; titles are cut to Excel's 32 characters and messages to
255 (XlsxWriter would otherwise drop the whole rule with a warning).
"""

from __future__ import annotations

from typing import Any

from .. import xlmath
from ..engine.inputs import parse_column
from ..rules import level_key
from ..scheme.models import Item, Scheme

_HUGE = 1e15  # "any number": Excel needs both ends of a decimal rule


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _rule(kind: dict[str, Any], title: str, prompt: str, error: str) -> dict[str, Any]:
    out = dict(kind)
    out.update(input_title=_cut(title, 32), input_message=_cut(prompt, 255),
               error_title=_cut("输入无效", 32), error_message=_cut(error, 255), error_type="stop")
    return out


def _decimal(lo: float | None, hi: float | None) -> dict[str, Any]:
    lo = -_HUGE if lo is None else lo
    hi = _HUGE if hi is None else hi
    return {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": hi}


def _span(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None and abs(lo) < _HUGE and abs(hi) < _HUGE:
        return f"{xlmath.num(lo)} 到 {xlmath.num(hi)} 之间的数字"
    if lo is not None and abs(lo) < _HUGE:
        return f"不小于 {xlmath.num(lo)} 的数字"
    return "数字"


def _score_range(item: Item) -> tuple[float, float]:
    rule = item.rule
    if rule.type == "tiers":
        spans = [b.points for b in rule.bands if isinstance(b.points, tuple)]
    else:
        spans = [rule.range_of(k, item.points) for k in rule.keys()]
        spans = [s for s in spans if s is not None]
    return min(s[0] for s in spans), max(s[1] for s in spans)


def validation_for(scheme: Scheme, column: str) -> dict[str, Any] | None:
    """The validation of one input column (``sales``, ``x.na``, ``x.late``…); None for a target."""
    items = {i.id: i for _, i in scheme.items()}
    item_id, fld, rater = parse_column(column)
    item = items[item_id]
    rule = item.rule
    name = item.name or item.id
    who = f"（{rater}）" if rater else ""
    if fld == "target":
        return None
    if fld == "na":
        return _rule({"validate": "list", "source": ["是", "否"]}, "是否不适用",
                     f"{name}：本项不适用于此人时选“是”，否则留空或选“否”。", f"{name}·不适用：只能选“是”或“否”。")
    if fld == "reason":
        return _rule({"validate": "length", "criteria": "between", "minimum": 0, "maximum": 255}, "加扣分原因",
                     f"{name}：有加分或扣分时必须写明原因。", "原因最多255个字。")
    if fld == "score":
        lo, hi = _score_range(item)
        return _rule(_decimal(lo, hi), "评分", f"{name}{who}：所选档位/等级为区间时，在此输入 {_span(lo, hi)}。",
                     f"{name}{who}：评分必须是 {_span(lo, hi)}。")
    if fld is not None:  # a count rule's counter
        counter = next(c for c in rule.counters if c.id == fld)
        label = f"{name}·{counter.name or counter.id}"
        return _rule(_decimal(0, None), "次数", f"{label}：输入次数（不小于0）。", f"{label}：次数必须是不小于 0 的数字。")
    kind = rule.input_kind
    if kind == "level":
        keys = [level_key(k) for k in rule.levels]
        return _rule({"validate": "list", "source": keys}, "请选择等级",
                     f"{name}{who}：从下拉列表选择 {'、'.join(keys)}。", f"{name}{who}：等级只能是 {'、'.join(keys)}。")
    if kind == "yesno":
        return _rule({"validate": "list", "source": ["是", "否"]}, "请选择是或否",
                     f"{name}{who}：选“是”或“否”。", f"{name}{who}：只能选“是”或“否”。")
    if rule.type == "manual":
        lo, hi = rule.bounds(item.points)
        return _rule(_decimal(lo, hi), "评分", f"{name}{who}：输入 {_span(lo, hi)}。", f"{name}{who}：评分必须是 {_span(lo, hi)}。")
    if rule.type == "adjust":
        lo, hi = rule.min, rule.max
        return _rule(_decimal(lo, hi), "加扣分", f"{name}{who}：输入加分（正数）或扣分（负数），{_span(lo, hi)}，并填写原因。",
                     f"{name}{who}：加扣分必须是 {_span(lo, hi)}。")
    # Any number: the engine takes a negative actual too (a growth rate of -2%, seed 烟草);
    # the cell only refuses text, as the engine does.
    lo = None
    return _rule(_decimal(lo, None), "实际完成值", f"{name}{who}：输入实际完成值（{_span(lo, None)}）。",
                 f"{name}{who}：必须是{_span(lo, None)}。")
