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
