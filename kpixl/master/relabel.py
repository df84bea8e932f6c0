"""A master's language switched everywhere: the label rows of kpixl's keyed sheets and the words in its cells.

``kpixl collect|rate|report --lang`` writes its own sheets in the new language; the keyed
sheets it does not write (``Results``, ``考核历史``, ``Issues``, ``Log``, ``职级建议``,
``等级与奖金``) get their label row (row 2) rewritten from their keys (row 1) by the
label functions their writers use, and the words of Issues' 严重程度/状态 and Log's 操作
cells (:func:`kpixl.master.columns.reword`) converted, so a master never shows two
languages at once; so do their page footers. The values people typed (是/否 inputs, names)
are data and stay as they are.
"""

from __future__ import annotations

from typing import Iterable

from openpyxl.utils import get_column_letter

from ..errors import FileProblem
from ..results.sheet import layout_results
from ..xlsx.lang import check_lang, label
from ..xlsx.printing import column_width, switch_footer, yes_no
from .book import HISTORY, ISSUES, LEVELS, LOG, RESULTS, Master
from .columns import FIRST_ROW, WORD_COLUMNS, data_rows, history_names, key_labels, level_years, reason_label, reword
from .params import RATED
from .records import Records

__all__ = ["switch_lang"]

#: The sheets laid out like Results (their labels from :func:`kpixl.results.sheet.layout_results`).
_LAID_OUT = (RESULTS, RATED)


def switch_lang(m: Master, lang: str | None, rewritten: Iterable[str] = ()) -> None:
    """Set the master's language (:attr:`Master.lang`) and, when it changes, relabel its keyed sheets.

    Args:
        m: The open master (its sheets loaded as cells).
        lang: ``zh``, ``en``, or None (keep the master's).
        rewritten: Sheets the caller writes anew this run (in the new language): left alone.
    """
    if not lang:
        return
    lang = check_lang(lang)
    if lang == m.lang:
        return
    m.lang = lang
    skip = set(rewritten)
    titles = [t for t in (RESULTS, RATED, HISTORY, ISSUES, LOG, LEVELS)
              if t in m.wb.sheetnames and t not in skip and t not in m.bulk]
    names = _names(m, titles)
    for title in titles:
        ws = m.wb[title]
        switch_footer(ws, lang)
        keys = [c.value for c in ws[1]]
        while keys and keys[-1] is None:
            keys.pop()
        if not keys or not all(isinstance(k, str) for k in keys):
            continue  # empty (loaded to be rewritten) or a note ("nothing collected yet")
        if title in _LAID_OUT:
            if title not in names:
                continue
            labels = [label(names[title][k], lang) if k in names[title] else ws.cell(2, j).value
                      for j, k in enumerate(keys, 1)]
        else:
            given = names.get(title)
            _, body = data_rows([keys, [c.value for c in ws[2]]], given)
            if body:  # row 2 is data (a master from before label rows): nothing to relabel
                continue
            labels = key_labels(keys, lang, given)
        for j, text in enumerate(labels, 1):
            ws.cell(2, j).value = text
            _fit_label(ws, j, text)
        if title in (ISSUES, LOG):
            _reword(ws, [j for j, k in enumerate(keys, 1) if k in WORD_COLUMNS], lang)
        _yes_no(ws, len(keys), lang)


def _names(m: Master, titles: list[str]) -> dict[str, dict[str, str]]:
    """Each sheet's Chinese labels of the scheme's keys, as its writer names them."""
    out: dict[str, dict[str, str]] = {HISTORY: history_names(m.scheme)}
    if not any(t in _LAID_OUT or t == LEVELS for t in titles):
        return out
    try:
        records = Records(m, m.period, "relabelling the master")
    except FileProblem:  # no roster: nothing was collected, there is no such sheet to relabel
        return out
    years = level_years(records.periods())
    if years:
        out[LEVELS] = {"reason": reason_label(years[-1])}
    if m.period is not None and any(t in _LAID_OUT for t in titles) and not records.frame().empty:
        # 等级与奖金's columns are Results' own with the rating and bonus (rate lays them out alike).
        cols = layout_results(records.prepared(), outputs=True).cols
        out[RESULTS] = out[RATED] = {k: c.label for k, c in cols.items()}
    return out


def _fit_label(ws, column: int, label: str | None) -> None:
    """Widen a column whose new label's longest word would not fit ("Employee" where "工号" was)."""
    dim = ws.column_dimensions[get_column_letter(column)]
    need = column_width(label, (), lo=0.0)
    if label and (dim.width or 8.43) < need:
        dim.width = need


def _reword(ws, columns: list[int], lang: str) -> None:
    for j in columns:
        for r in range(FIRST_ROW, ws.max_row + 1):
            cell = ws.cell(r, j)
            cell.value = reword(cell.value, lang)


def _yes_no(ws, width: int, lang: str) -> None:
    """Flag columns (1/0 shown 是/否 or Yes/No) shown in ``lang``."""
    other = {yes_no(o) for o in ("zh", "en")} - {yes_no(lang)}
    for j in range(1, width + 1):
        if ws.cell(FIRST_ROW, j).number_format in other:
            for r in range(FIRST_ROW, ws.max_row + 1):
                ws.cell(r, j).number_format = yes_no(lang)
