"""Benchmark: collect 1,000 returned person sheets in 100 files into one master.

Run from the repository root::

    .venv/bin/python bench/collect.py                 # 100 files × 10 people, saved by LibreOffice
    .venv/bin/python bench/collect.py --files 20 --per-file 10 --no-libreoffice

Set-up (not timed): a master of ``files × per_file`` people (the demo 大客户经理 scheme
with bands, rating factor and budget, tests/collect_kit.py), one workbook per manager
generated with every input filled, then — by default — opened, recalculated and saved
by LibreOffice so that the files carry a manager's program's XML and cached values
(which collect then compares with the engine).

Timed, in a fresh process: ``kpixl.master.collect.collect(master, [folder])`` — read
every file, check every sheet's stamp, formulas, locked cells and inputs, validate all
inputs with the engine, write Results, Issues, Log, 考核历史 and the record store into
the master atomically with a backup. Printed: wall time, peak memory (``ru_maxrss``),
sheets per second. Then a second collect of the same folder (a no-op: nothing new).
Goal: under 5 s for the first collect on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

GOAL_SECONDS = 5.0
PERIOD = "2026-11"


def prepare(d: Path, files: int, per_file: int, libreoffice: bool) -> tuple[Path, Path]:
    from collect_kit import e2e_scheme, inputs, roster
    from kpixl.card.generate import generate_workbook, load_template
    from kpixl.master.book import new_master

    people = roster(files * per_file)
    people["经理"] = [f"经理{i // per_file + 1:03d}" for i in range(len(people))]
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    values = inputs(people)
    tpl = load_template(master)
    sent = d / "sent"
    sent.mkdir()
    paths = []
    for k in range(files):
        ids = people["employee_id"].iloc[k * per_file:(k + 1) * per_file].tolist()
        out = sent / f"{PERIOD}-经理{k + 1:03d}.xlsx"
        generate_workbook(tpl, None, PERIOD, out, employees=ids, inputs=values[values["employee_id"].isin(ids)])
        paths.append(out)
    if not libreoffice:
        return master, sent
    from kpixl.libreoffice import recalculate

    recalculate(paths, d / "returned")
    return master, d / "returned"


def child(master: str, folder: str) -> None:
    from kpixl.master.collect import collect

    out = {}
    for label in ("first", "again"):
        t = time.perf_counter()
        report = collect(master, [folder])
        out[label] = {"seconds": time.perf_counter() - t, "sheets": report.sheets, "added": len(report.added),
                      "problems": len(report.problems), "warnings": len(report.warnings), "written": report.written}
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--per-file", type=int, default=10)
    ap.add_argument("--no-libreoffice", action="store_true", help="collect the files as kpixl wrote them")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        master, folder = prepare(d, args.files, args.per_file, not args.no_libreoffice)
        print(f"set-up: {args.files} files × {args.per_file} people "
              f"({'saved by LibreOffice' if not args.no_libreoffice else 'as generated'}) in {time.perf_counter() - t:.1f} s")
        r = subprocess.run([sys.executable, __file__, "--child", str(master), str(folder)],
                           capture_output=True, text=True, check=True)
        got = json.loads(r.stdout.strip().splitlines()[-1])
    first, again = got["first"], got["again"]
    verdict = "meets" if first["seconds"] < GOAL_SECONDS else "MISSES"
    print(f"collect: {first['sheets']} sheets in {first['seconds']:.2f} s "
          f"({first['sheets'] / first['seconds']:.0f} sheets/s), {first['added']} added, "
          f"{first['problems']} problems, {first['warnings']} warnings; peak {got['peak_mb']:.0f} MB "
          f"— {verdict} the goal of < {GOAL_SECONDS:.0f} s")
    print(f"collect again (no-op): {again['seconds']:.2f} s, master rewritten: {again['written']}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
