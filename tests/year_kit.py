"""Shared by the year tests and bench/year.py: period masters written straight into the record store.

A period master here is what ``kpixl collect`` leaves: a master (``new_master``) whose hidden
``_collected`` store holds one record per person with the inputs and the provenance
(file, SHA-256, sheet, saved, collected at, by), and whose period is set. Writing the
store directly stands for collecting returned files (tests/test_collect.py covers that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

import kpixl
from kpixl.master.book import new_master, open_master
from kpixl.master.store import Store, plain

ROOT = Path(__file__).resolve().parents[1]
SCHEMES = ROOT / "examples" / "schemes"


def scheme(name: str):
    """An example scheme (``cs_deqinnengji``, ``kam_monthly``)."""
    return kpixl.load_scheme(SCHEMES / f"{name}.yaml")


def period_master(path: Path, scheme, roster: pd.DataFrame, period: str, inputs: Iterable[dict[str, Any]],
                  collected_at: str = "2026-12-01 09:00:00", template: Path | None = None) -> Path:
    """Write a period master whose record store holds ``inputs`` (one dict per person, with ``employee_id``).

    ``template``: a master already written for this scheme and roster, copied instead of
    writing a new one (faster when many periods share it).
    """
    path = Path(path)
    if template is not None:
        path.write_bytes(Path(template).read_bytes())
    else:
        new_master(scheme, roster, path)
    m = open_master(path)
    store = Store()
    for rec in inputs:
        rec = dict(rec)
        eid = str(rec.pop("employee_id"))
        rec.pop("姓名", None)
        meta = {"_file": f"{period}-returned.xlsx", "_sha256": "0" * 64, "_sheet": eid, "_saved": collected_at,
                "_collected_at": collected_at, "_by": "hr"}
        store.put(period, eid, {k: plain(v) for k, v in rec.items()}, meta)
    store.write(m)
    m.period = period
    m.save()
    return path


def deqin_card(eid: str, virtue: float, diligence: float, ability: float, results: float,
               award: float | None = None, reason: str | None = None) -> dict[str, Any]:
    """One 德勤能绩 card: 德20 勤20 能30 绩30 and 嘉奖 (its total is the sum)."""
    return {"employee_id": eid, "virtue": virtue, "diligence": diligence, "ability": ability, "results": results,
            "award": award, "award.reason": reason if award else None}


def card_for(eid: str, total: int, award: float | None = None) -> dict[str, Any]:
    """A 德勤能绩 card whose four lines add up to ``total`` (an integer 0–100), plus 嘉奖 ``award``."""
    left, parts = int(total), []
    for cap in (30, 30, 20, 20):  # 绩, 能, 勤, 德 filled in turn
        parts.append(min(cap, left))
        left -= parts[-1]
    results, ability, diligence, virtue = parts
    return deqin_card(eid, virtue, diligence, ability, results, award, "嘉奖" if award else None)


def deqin_roster(n: int = 40) -> pd.DataFrame:
    """``n`` 客户服务经理 in two 人员类别 (odd rows 一线员工, even 管理人员), with a 年终奖金基数."""
    rows = []
    for i in range(n):
        rows.append({"employee_id": f"Y{i + 1:02d}", "姓名": f"员工{i + 1:02d}",
                     "人员类别": "一线员工" if i % 2 == 0 else "管理人员", "部门": "客户服务部",
                     "入职日期": f"20{10 + i % 15:02d}-03-01", "岗位": "客户服务经理", "经理": "客户服务部主任",
                     "年终奖金基数": 8000 if i % 2 == 0 else 10000})
    return pd.DataFrame(rows)
