"""The keyed tables collect writes (Issues, Log, 考核历史, 职级建议): keys, labels, and reading them back.

Each table is laid out like ``Results``: row 1 holds the column keys (hidden; collect and
macros read them back), row 2 the labels people read — Chinese, or English in a master
set to ``en`` (:mod:`kpixl.xlsx.lang`) — and the rows start on row 3. A master written by
an older kpixl has no label row (its rows start on row 2); :func:`data_rows` reads both.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from ..xlsx.lang import LANGS, label

__all__ = ["HISTORY_WORDS", "ISSUE_COLUMNS", "LEVEL_COLUMNS", "LOG_COLUMNS", "WARNINGS", "WORD_COLUMNS", "data_rows",
           "history_names", "key_labels", "level_years", "reason_label", "reword", "reword_rows", "word"]

FIRST_ROW = 3  # the first data row of a keyed table

ISSUE_COLUMNS = ("file", "place", "employee_id", "item", "code", "problem", "value", "severity", "status", "first_seen")
LOG_COLUMNS = ("time", "by", "file", "saved", "employee_id", "period", "column", "old", "new", "action")
LEVEL_COLUMNS = ("employee_id", "current", "proposed", "move", "reason")

#: Chinese labels of the fixed keys (English through :func:`kpixl.xlsx.lang.label`).
_LABELS = {
    "file": "文件", "place": "位置", "employee_id": "工号", "item": "考核项目", "code": "问题代码",
    "problem": "问题", "value": "值", "severity": "严重程度", "status": "状态", "first_seen": "首次发现",
    "time": "时间", "by": "操作人", "saved": "文件保存时间", "period": "期间", "column": "栏目",
    "old": "原值", "new": "新值", "action": "操作", "current": "现职级", "proposed": "建议职级", "move": "建议",
    "reason": "原因", "total": "总分", "rating": "考核等级",
}
#: 考核历史's own keys (history rules' results).
HISTORY_WORDS = {"history.deduction": "扣薪比例", "history.actions": "处理措施", "history.review": "需复核",
                 "history.reasons": "原因", "salary_change": "工资增减比例"}


#: The words collect writes in Issues' 严重程度/状态 and Log's 操作 cells, Chinese first (English: the key).
_WORDS = {"error": "错误", "warning": "警告", "applied": "已应用", "quarantined: not applied": "已隔离, 未应用",
          "to fix in the master": "待在主表中修改", "collected": "收回", "replaced (was {file})": "替换 (原文件 {file})"}
#: The columns holding those words (Issues' 严重程度/状态, Log's 操作).
WORD_COLUMNS = ("severity", "status", "action")
#: A warning's 严重程度 in either language (a warning's file was applied: it is not read again).
WARNINGS = ("warning", _WORDS["warning"])


def word(key: str, lang: str = "zh", **values: Any) -> str:
    """One of collect's cell words (:data:`_WORDS`) in ``lang``, its ``{placeholders}`` filled."""
    text = key if lang == "en" else _WORDS[key]
    return text.format(**values) if values else text


def _pattern(text: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", text)  # literal, name, literal, name, …
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*)" for i, p in enumerate(parts)) + r"\Z",
                      re.S)


#: Each word as a pattern in either language, to read a cell written in one and write it in the other.
_READ = [(key, _pattern(text)) for key, zh in _WORDS.items() for text in (key, zh)]


def reword(value: Any, lang: str = "zh") -> Any:
    """A cell of :data:`WORD_COLUMNS` in ``lang`` (a word written in either language; anything else as it is)."""
    if not isinstance(value, str):
        return value
    for key, pattern in _READ:
        got = pattern.match(value)
        if got:
            return word(key, lang, **got.groupdict())
    return value


def reword_rows(keys: Sequence[str], rows: Iterable[Sequence[Any]], lang: str = "zh") -> list[list[Any]]:
    """A keyed table's rows with the cells of :data:`WORD_COLUMNS` in ``lang`` (:func:`reword`)."""
    at = [j for j, k in enumerate(keys) if k in WORD_COLUMNS]
    return [[reword(v, lang) if j in at else v for j, v in enumerate(r)] for r in rows]


def key_labels(keys: Sequence[str], lang: str = "zh", names: dict[str, str] | None = None) -> list[str]:
    """The label of each key in ``lang``.

    Args:
        keys: The table's column keys.
        lang: ``zh`` or ``en``.
        names: Labels of the scheme's keys (``score:sales`` → ``销售任务·得分``); other keys
            not known here are shown as they are (a roster column, an input).
    """
    names = names or {}
    out = []
    for k in keys:
        text = names.get(k) or HISTORY_WORDS.get(k) or _LABELS.get(k) or k
        out.append(label(text, lang))
    return out


def history_names(scheme) -> dict[str, str]:
    """考核历史's labels of the scheme's keys: item scores, achievements, history rules."""
    out: dict[str, str] = {}
    for _, item in scheme.items():
        name = item.name or item.id
        out[f"score:{item.id}"] = name + "·得分"
        out[f"achievement:{item.id}"] = name + "·达成率"
    if scheme.history is not None:
        for rule in scheme.history.rules:
            out[f"history.{rule.id}"] = getattr(rule, "name", None) or rule.id
            out[f"salary_change.{rule.id}"] = "工资增减·" + (getattr(rule, "name", None) or rule.id)
    return out


def level_years(periods: Iterable[str]) -> list[str]:
    """The years (annual periods) among collected ``periods``, which 职级建议 proposes from."""
    return [p for p in periods if p.isdigit() and len(p) == 4]


def reason_label(year: str, lang: str = "zh") -> str:
    """职级建议's label of its ``reason`` column."""
    return f"理由（{year}年度；仅为建议，由人力资源决定）" if lang != "en" else f"Reason ({year}; a proposal only: HR decides)"


def data_rows(rows: Sequence[Sequence[Any]], names: dict[str, str] | None = None
              ) -> tuple[list[str], list[list[Any]]]:
    """``(keys, rows)`` of a keyed table read as rows of values (row 1 first).

    The label row (row 2, in any language) is skipped; a table without one (an older
    master) starts on row 2.
    """
    if not rows:
        return [], []
    header = [str(h) if h is not None else "" for h in rows[0]]
    body = [list(r) for r in rows[1:]]
    if body and _is_label_row(header, body[0], names):
        body = body[1:]
    return header, body


def _is_label_row(header: list[str], row: Iterable[Any], names: dict[str, str] | None) -> bool:
    got = [str(v) if v is not None else "" for v in row][:len(header)]
    got += [""] * (len(header) - len(got))
    return any(got == key_labels(header, lang, names) for lang in LANGS)
