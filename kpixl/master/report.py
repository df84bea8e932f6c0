"""Report: one summary sheet per department — rating distribution (with a chart), item averages, who is missing.

``report(master)`` is what ``kpixl report`` and the ribbon's *Report* button run. The
figures come from the engine over the collected records (the same computation as
*Rate & Bonus*, with the parameters on ``奖金参数``), written as values with the time
they were taken: a report is a snapshot to print and send, while ``Results`` and
``等级与奖金`` stay live.

openpyxl cannot read charts back, so any later write of the master would drop them:
*Collect* and *Rate & Bonus* therefore re-draw the report sheets (:func:`refresh`)
whenever the master has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font

from ..xlsx.cached import remember
from ..xlsx.cells import cell_value
from ..xlsx.lang import label
from ..xlsx.palette import HEAD, MISSING, fill
from ..xlsx.printing import fit_columns, print_setup
from ..engine.inputs import ID
from ..engine.prepared import Overrides
from ..engine.score import compute
from ..errors import FileProblem, InputError, Problem
from .params import Params, read_params
from .records import Records
from .relabel import switch_lang
from .book import Master, locked, open_master
from ..card.naming import MAX_SHEET_NAME, period_label, sheet_name
from ..results.sheet import FONT

__all__ = ["PREFIX", "Reported", "redraw", "refresh", "report"]

PREFIX = "报告-"
STEP = "reporting"
DEPT = "部门"

_MISSING = fill(MISSING)


@dataclass
class Reported:
    """The sheets written, and per department: people, collected, missing."""

    master: Path
    period: str
    sheets: list[str] = field(default_factory=list)
    departments: dict[str, tuple[int, int, list[str]]] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"{self.master.name}: report of {self.period} on {len(self.sheets)} sheet(s)"]
        for dept, (n, got, missing) in self.departments.items():
            lines.append(f"  {dept}: {got} of {n} collected" + (f"; missing {', '.join(missing)}" if missing else ""))
        return "\n".join(lines)


def report_sheets(wb) -> list[str]:
    return [t for t in wb.sheetnames if t.startswith(PREFIX)]


def _sheet_title(dept: str, taken: set[str]) -> str:
    base = (PREFIX + sheet_name(dept, "")).rstrip("-")[:MAX_SHEET_NAME]
    title, k = base, 2
    while title.lower() in taken:
        suffix = f"~{k}"
        title, k = base[:MAX_SHEET_NAME - len(suffix)] + suffix, k + 1
    taken.add(title.lower())
    return title


def redraw(m: Master) -> None:
    """Report sheets hold charts openpyxl cannot keep: draw them again, when the master has them.

    A collect or rate redraws them on the way: a bonus parameter finance typed wrongly does
    not stop it (the cell counts as the scheme's value here; ``kpixl rate`` and ``kpixl
    report`` refuse it at its cell).
    """
    if report_sheets(m.wb):
        refresh(m, strict=False)


def refresh(m: Master, now: datetime | None = None, strict: bool = True) -> Reported:
    """(Re)write the report sheets into an open master (the caller saves it).

    Raises:
        InputError: ``strict`` and a bonus parameter on 奖金参数 is no amount (each at its cell).
    """
    now = now or datetime.now()
    records = Records(m, m.period, STEP)
    if records.period is None:
        raise FileProblem(m.path, STEP, "nothing has been collected into this master yet; run Collect first")
    s = m.scheme
    roster = records.roster.df
    frame = records.frame()
    out = Reported(m.path, records.period)
    for old in report_sheets(m.wb):
        m.wb.remove(m.wb[old])
    if frame.empty:
        scored = pd.DataFrame(columns=[ID, "total", "rating"])
        item_scores = pd.DataFrame(columns=[ID])
    else:
        prepared = records.prepared()
        bad: list[Problem] = []
        params = read_params(m.wb, s, [], bad) if s.bonus is not None else Params()
        if bad and strict:  # as rate says: the report would show figures on the scheme's values instead
            raise InputError(bad, "bonus parameters")
        overrides = Overrides(bonus=params.policy(s.bonus)) if s.bonus is not None else None
        item_scores = scored = compute(prepared, overrides, detail=True)
    items = [(i.id, i.name or i.id) for _, i in s.items()]
    depts = roster[DEPT].fillna("（未填部门）").astype(str) if DEPT in roster.columns else pd.Series(["全部"] * len(roster))
    ratings = _rating_names(s)
    names = dict(zip(roster[ID].astype(str), roster["姓名"])) if "姓名" in roster.columns else {}
    taken = {t.lower() for t in m.wb.sheetnames}
    collected = set(frame[ID].astype(str))
    for dept in dict.fromkeys(depts.tolist()):
        people = roster[depts.to_numpy() == dept]
        ids = people[ID].astype(str).tolist()
        got = [e for e in ids if e in collected]
        missing = people[~people[ID].astype(str).isin(collected)]
        title = _sheet_title(dept, taken)
        ws = m.wb.create_sheet(title)
        out.sheets.append(title)
        out.departments[dept] = (len(ids), len(got), missing[ID].astype(str).tolist())
        _write_dept(ws, s, dept, records.period, now, ids, got, missing,
                    scored[scored[ID].astype(str).isin(got)], item_scores[item_scores[ID].astype(str).isin(got)],
                    items, ratings, names, m.lang)
    return out


def _rating_names(s) -> list[str]:
    if s.ratings is None:
        return []
    if s.ratings.bands:
        return [b.name for b in s.ratings.bands]
    return [q.name for q in s.ratings.distribution.quotas]


def histogram_bins(scale: float) -> list[tuple[str, float | None, float | None]]:
    """The bins of the totals' histogram: ``(label, from, below)`` by tenths of the scale from 60 %.

    For a scale of 100: <60, 60–70, 70–80, 80–90, 90–100, ≥100 (a bin holds its lower edge).
    """
    edges = [scale * k / 10 for k in (6, 7, 8, 9, 10)]
    out: list[tuple[str, float | None, float | None]] = [(f"<{_num(edges[0])}", None, edges[0])]
    out += [(f"{_num(a)}–{_num(b)}", a, b) for a, b in zip(edges, edges[1:])]
    out.append((f"≥{_num(edges[-1])}", edges[-1], None))
    return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def histogram_counts(totals, scale: float) -> list[int]:
    """How many totals fall in each of :func:`histogram_bins` (blank totals are not counted)."""
    v = pd.to_numeric(pd.Series(list(totals), dtype=object), errors="coerce").to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    return [int(np.sum((v >= lo if lo is not None else True) & (v < hi if hi is not None else True)))
            for _, lo, hi in histogram_bins(scale)]


def _countifs(rng: str, lo: float | None, hi: float | None) -> str:
    parts = [f'{rng},">={lo:g}"'] if lo is not None else []
    parts += [f'{rng},"<{hi:g}"'] if hi is not None else []
    return f"COUNTIFS({','.join(parts)})"


def _write_dept(ws, s, dept, period, now, ids, got, missing, scored, item_scores, items, ratings, names,
                lang="zh") -> None:
    def t(text: str) -> str:
        return label(text, lang)

    bold = Font(name=FONT, bold=True, size=10)
    head_fill = fill(HEAD)
    ws["A1"] = f"{s.name} — {dept} — {period_label(period)} " + ("考核报告" if lang != "en" else "report")
    ws["A1"].font = Font(name=FONT, bold=True, size=14)
    ws["A2"] = (f"生成时间 {now:%Y-%m-%d %H:%M}（快照：数值取自已收集的考核表）" if lang != "en" else
                f"Taken {now:%Y-%m-%d %H:%M} (a snapshot of the collected scorecards)")
    ws["A4"], ws["B4"] = t("应考核人数"), len(ids)
    ws["A5"], ws["B5"] = t("已收集"), len(got)
    ws["A6"], ws["B6"] = t("未收集"), len(missing)
    ws["A7"], ws["B7"] = t("平均总分"), _mean(scored["total"]) if len(scored) else None
    cached: dict[str, object] = {}

    def header(row: int, texts) -> None:
        for j, text in enumerate(texts, start=1):
            c = ws.cell(row, j, t(text))
            c.font, c.fill = bold, head_fill

    # The people's totals (sorted, best first): the histogram counts over them.
    people = scored.sort_values("total", ascending=False, na_position="last") if len(scored) else scored
    row = 9
    if ratings:
        header(row, ("考核等级", "人数", "占比"))
        first = row + 1
        counts = scored["rating"].astype(str).value_counts() if "rating" in scored.columns else pd.Series(dtype=int)
        for k, name in enumerate(ratings):
            r = first + k
            ws.cell(r, 1, name)
            ws.cell(r, 2, int(counts.get(name, 0)))
            ws.cell(r, 3, int(counts.get(name, 0)) / len(got) if got else 0).number_format = "0.0%"
        last = first + len(ratings) - 1
        title, x_title = f"{dept} " + ("考核等级分布" if lang != "en" else "ratings"), t("考核等级")
    else:
        bins = histogram_bins(s.scale)
        header(row, ("总分区间", "人数", "占比"))
        first = row + 1
        last = first + len(bins) - 1
        # the totals' table comes after the items' (its place is known once they are laid out)
        totals_row = last + len(items) + 4
        rng = f"$C${totals_row + 2}:$C${totals_row + 1 + max(len(people), 1)}"
        for k, ((name, lo, hi), n) in enumerate(zip(bins, histogram_counts(people["total"] if len(people) else [],
                                                                               s.scale))):
            r = first + k
            ws.cell(r, 1, name)
            ws.cell(r, 2, f"={_countifs(rng, lo, hi)}")
            ws.cell(r, 3, f"=IF($B$5>0,B{r}/$B$5,0)").number_format = "0.0%"
            cached[f"B{r}"], cached[f"C{r}"] = n, (n / len(got) if got else 0)
        title, x_title = f"{dept} " + ("总分分布" if lang != "en" else "totals"), t("总分区间")
    chart = BarChart()
    chart.type, chart.style = "col", 10
    chart.title = title
    chart.y_axis.title, chart.x_axis.title = t("人数"), x_title
    chart.add_data(Reference(ws, min_col=2, min_row=row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width, chart.legend = 7, 12, None
    if len(got) <= 10:
        chart.y_axis.majorUnit = 1  # whole people
    chart.y_axis.delete = chart.x_axis.delete = False  # LibreOffice hides axes openpyxl leaves unset
    ws.add_chart(chart, "F4")
    row = last + 2
    header(row, ("考核项目", "满分", "平均得分", "得分率"))
    points = {i.id: i.points for _, i in s.items()}
    for k, (iid, name) in enumerate(items, start=1):
        avg = _mean(item_scores[iid]) if iid in item_scores.columns and len(item_scores) else None
        ws.cell(row + k, 1, name)
        ws.cell(row + k, 2, points[iid]).number_format = 'General;-General;"—"'  # 0: a bonus item
        ws.cell(row + k, 3, avg).number_format = "0.00"
        ws.cell(row + k, 4, avg / points[iid] if avg is not None and points[iid] else None).number_format = "0.0%"
    row += len(items) + 2  # = totals_row: the histogram's formulas count over this table
    ws.cell(row, 1, "个人总分" if lang != "en" else "Totals").font = bold
    header(row + 1, ["工号", "姓名", "总分"] + (["考核等级"] if ratings else []))
    row += 1
    for k, (_, person) in enumerate(people.iterrows(), start=1):
        ws.cell(row + k, 1, str(person[ID]))
        ws.cell(row + k, 2, cell_value(names.get(str(person[ID]))))
        ws.cell(row + k, 3, cell_value(person["total"])).number_format = "0.00"
        if ratings:
            ws.cell(row + k, 4, cell_value(person.get("rating")))
    row += max(len(people), 1) + 2
    ws.cell(row, 1, t("未收集名单")).font = bold
    heads = [c for c in (ID, "姓名", "岗位", "经理") if c in missing.columns]
    if missing.empty:
        ws.cell(row + 1, 1, t("（无）"))
    else:
        header(row + 1, ["工号" if h == ID else h for h in heads])
    for k, (_, person) in enumerate(missing.iterrows(), start=2):
        for j, h in enumerate(heads, start=1):
            c = ws.cell(row + k, j, None if pd.isna(person[h]) else person[h])
            c.fill = _MISSING
    for r in (4, 5, 6, 7):
        ws.cell(r, 1).font = bold
    ws.cell(7, 2).number_format = "0.00"
    fit_columns(ws, first_row=4, lo=9.0, hi=30.0)
    ws.column_dimensions["E"].width = 2.0
    if cached:
        remember(ws, cached)
    print_setup(ws, landscape=False, pages_wide=1, lang=lang)
    ws["A1"].alignment = Alignment(vertical="center")

def _mean(values) -> float | None:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    return float(np.mean(v)) if len(v) else None


def report(master: str | Path, lang: str | None = None) -> Reported:
    """Write the report sheets of the master's period (see the module docstring).

    Args:
        master: A master that has been collected into.
        lang: ``zh`` or ``en``: the language of the headers, kept in the master (default: the master's).

    Raises:
        FileProblem: The master cannot be opened or written, or nothing was collected yet.
    """
    path = Path(master)
    with locked(path, STEP):
        m = open_master(path, STEP)
        switch_lang(m, lang, rewritten=())
        out = refresh(m)
        m.save(STEP)
    return out
