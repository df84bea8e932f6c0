"""Benchmark: generate and distribute against XlsxWriter writing the same cells.

Run from the repository root::

    .venv/bin/python bench/generate.py                       # 100, 1,000, 5,000 people; distribute 5,000 → 500
    .venv/bin/python bench/generate.py --sizes 100,1000 --managers 100
    .venv/bin/python bench/generate.py --sizes 100 --no-distribute

For each size N, one workbook of N person sheets (plus 汇总) is written by
``kpixl.card.generate.generate_workbook``; the bound is a plain XlsxWriter script
writing the same cells: every person sheet is the generated workbook's first person
sheet (values, formulas, formats, merges, widths, heights, data validations, notes,
protection, print setup, frozen panes) under the generated sheet names, then the
generated 汇总 (its links to the person sheets included) and hidden sheets cell for
cell, and the stamps as sheet-scoped defined names. The bound writes in the XlsxWriter
mode kpixl uses for that size: ``in_memory`` (the fastest) up to
``IN_MEMORY_SHEETS`` people, ``constant_memory`` beyond (flat memory; each row goes to
a temporary file) — and beside a ``constant_memory`` row, the same cells written
``in_memory`` for reference (faster, but ~1 GB at 5,000 people; ``--no-reference``
skips it). Like kpixl, the bound sets everything that is not a cell first, writes
the cells in row order (what ``constant_memory`` requires), and lets go of each
complete sheet's merged-cell index (and, with ``constant_memory``, closes its row
file) as kpixl does. Then ``distribute`` sends
the largest roster to its managers (default 500) with 1 and 2 worker processes, beside
XlsxWriter writing as many copies of the first manager's file (in memory) with 1 and
2 processes.

Every run is a fresh subprocess; peak memory is its ``VmHWM`` (for a pool: the
largest of the process and its workers' ``ru_maxrss``). kpixl and the bound run alternately,
``--repeat`` times (default 3), and the medians are shown (each run on stderr).
Timing starts after the imports; kpixl's includes reading the template (~70 ms), the
bound's recipe is read (and put in row order) before. The goals: kpixl within 1.3× of
the bound, and under 500 MB peak for 5,000 people. The load average is printed too: on
a shared 2-core machine other processes slow both columns, and the 2-process rows most.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERIOD = "2026-11"
GOAL_RATIO = 1.3
GOAL_MB = 500
DEFAULT_TEMPLATE = ROOT / "workbooks" / "kam_monthly.xlsx"


# ---- the roster -----------------------------------------------------------------------------


def make_roster(template: Path, n: int, managers: int, path: Path) -> Path:
    """N people cycled from the template's roster rows, ``managers`` managers of equal teams."""
    from kpixl.card.distribute import roster_table

    base = roster_table(template).df
    rows = []
    per = max(1, -(-n // managers))
    for i in range(n):
        r = dict(base.iloc[i % len(base)])
        r["employee_id"] = f"E{i + 1:05d}"
        r["姓名"] = f"{r.get('姓名', '员工')}{i + 1}"
        r["经理"] = f"经理{i // per + 1:03d}"
        r.pop("经理工号", None)
        rows.append(r)
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


# ---- reading a generated workbook back into a recipe XlsxWriter can write --------------------


_OPS = {None: "between", "between": "between", "notBetween": "not between", "equal": "==", "notEqual": "!=",
        "greaterThan": ">", "lessThan": "<", "greaterThanOrEqual": ">=", "lessThanOrEqual": "<="}
_TYPES = {"list": "list", "decimal": "decimal", "whole": "integer", "date": "date", "time": "time",
          "textLength": "length", "custom": "custom"}


class _Formats:
    def __init__(self):
        self.dicts: list[dict] = []
        self.ids: dict[tuple, int] = {}

    def of(self, cell) -> int:
        from kpixl.xlsx.palette import style_key, to_format

        if not cell.has_style:
            return -1
        key = style_key(cell) if hasattr(cell, "_style") else ("read-only", cell._style_id)
        if key not in self.ids:
            d = to_format(cell)
            prot = cell.protection
            if prot is not None and prot.locked is False:
                d["locked"] = False
            if prot is not None and prot.hidden:
                d["hidden"] = True
            self.ids[key] = len(self.dicts)
            self.dicts.append(d)
        return self.ids[key]


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None if text is None else f"={text}"


def _validation(dv) -> tuple[str, dict] | None:
    kind = _TYPES.get(dv.type)
    if kind is None:
        return None
    opt: dict = {"validate": kind, "ignore_blank": bool(dv.allow_blank)}
    if kind == "list":
        f = dv.formula1 or ""
        opt["source"] = f[1:-1].split(",") if f.startswith('"') else f"={f}"
    elif kind == "custom":
        opt["value"] = f"={dv.formula1}"
    else:
        opt["criteria"] = _OPS.get(dv.operator, "between")
        if opt["criteria"] in ("between", "not between"):
            opt["minimum"], opt["maximum"] = _num(dv.formula1), _num(dv.formula2)
        else:
            opt["value"] = _num(dv.formula1)
    for src, dst in (("promptTitle", "input_title"), ("prompt", "input_message"),
                     ("errorTitle", "error_title"), ("error", "error_message")):
        if getattr(dv, src):
            opt[dst] = getattr(dv, src)
    opt["show_input"] = bool(dv.showInputMessage)
    opt["show_error"] = bool(dv.showErrorMessage)
    return str(dv.sqref), opt


def _hf(hf) -> str | None:
    if hf is None:
        return None
    parts = [(code, getattr(hf, side)) for code, side in (("&L", "left"), ("&C", "center"), ("&R", "right"))]
    text = "".join(code + p.text for code, p in parts if p is not None and p.text)
    return text or None


def sheet_recipe(ws, fmts: _Formats, full: bool = True) -> dict:
    """One sheet as plain data. ``full=False`` for a read-only sheet: cells only."""
    cells, merges = [], []
    inner = set()
    if full:
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col)
            merges.append((rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1, top.value, fmts.of(top)))
            inner |= {(r, c) for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
    for row in ws.iter_rows():
        for cell in row:
            if getattr(cell, "row", None) is None or (cell.row, cell.column) in inner:
                continue
            if cell.value is None and not cell.has_style:
                continue
            link = getattr(cell, "hyperlink", None)
            value = ("link", f"internal:{link.location}", cell.value) if link is not None and link.location else cell.value
            cells.append((cell.row - 1, cell.column - 1, value, fmts.of(cell)))
    out = {"title": ws.title, "cells": cells, "merges": merges, "state": getattr(ws, "sheet_state", "visible")}
    if not full:
        return out
    from openpyxl.utils import column_index_from_string
    from openpyxl.utils.cell import coordinate_from_string

    out["widths"] = [(column_index_from_string(k) - 1, (d.max or column_index_from_string(k)) - 1, d.width)
                     for k, d in ws.column_dimensions.items() if d.width]
    out["heights"] = [(r - 1, d.height) for r, d in ws.row_dimensions.items() if d.height]
    out["validations"] = [v for v in (_validation(dv) for dv in ws.data_validations.dataValidation) if v]
    out["protect"] = bool(ws.protection.sheet)
    out["freeze"] = None
    if ws.freeze_panes:
        col, row = coordinate_from_string(ws.freeze_panes)
        out["freeze"] = (row - 1, column_index_from_string(col) - 1)
    ps = ws.page_setup
    fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    out["print"] = {
        "paper": int(ps.paperSize) if ps.paperSize else None,
        "landscape": ps.orientation == "landscape",
        "fit": (int(ps.fitToWidth if ps.fitToWidth is not None else 1), int(ps.fitToHeight if ps.fitToHeight is not None else 1)) if fit else None,
        "repeat_rows": str(ws.print_title_rows).replace("$", "") if ws.print_title_rows else None,
        "header": _hf(ws.oddHeader), "footer": _hf(ws.oddFooter),
        "margins": (ws.page_margins.left, ws.page_margins.right, ws.page_margins.top, ws.page_margins.bottom),
    }
    out["names"] = [(n, d.attr_text) for n, d in getattr(ws, "defined_names", {}).items()]
    out["comments"] = [(c.row - 1, c.column - 1, c.comment.text) for row in ws.iter_rows() for c in row
                       if getattr(c, "comment", None) is not None]
    return out


def workbook_recipe(path: Path) -> dict:
    """A whole (small) workbook, every sheet in full."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    fmts = _Formats()
    sheets = [sheet_recipe(ws, fmts) for ws in wb.worksheets]
    names = [(n, d.attr_text) for n, d in wb.defined_names.items()]
    return {"formats": fmts.dicts, "sheets": sheets, "names": names}


def big_recipe(small: Path, big: Path) -> dict:
    """The bound for one N-person workbook, from a 3-person one (full) and the N one (cells only).

    Every person sheet of the N workbook is the small workbook's first person sheet under
    its own name; the other sheets (汇总, _kpixl…) are the N workbook's, cell for cell,
    with the small workbook's frame (widths, merges, protection…).
    """
    import openpyxl

    rec = workbook_recipe(small)
    person = next(s for s in rec["sheets"] if any(n == "kpixl.stamp" for n, _ in s["names"]))
    frames = {s["title"]: s for s in rec["sheets"]}
    persons_small = {s["title"] for s in rec["sheets"] if any(n == "kpixl.stamp" for n, _ in s["names"])}
    fmts = _Formats()
    fmts.dicts, fmts.ids = rec["formats"], {}
    wb = openpyxl.load_workbook(big, read_only=True)
    # The stamps: the _kpixl sheet lists every person sheet and its stamp.
    stamps = {}
    if "_kpixl" in wb.sheetnames:
        rows = list(wb["_kpixl"].iter_rows(values_only=True))
        head = list(rows[0])
        for r in rows[1:]:
            stamps[r[head.index("sheet")]] = r[head.index("stamp")]
    sheets = []
    for title in wb.sheetnames:
        if title in stamps:
            sheets.append({**person, "title": title, "names": [("kpixl.stamp", f'"{stamps[title]}"')]})
        else:
            frame = frames.get(title) or next(iter(frames.values()))
            got = sheet_recipe(wb[title], fmts, full=False)
            # A read-only sheet has no hyperlinks: the frame's link columns (汇总's sheet names) link here too.
            links = {c for r, c, v, _ in frame["cells"] if isinstance(v, tuple)}
            cells = [(r, c, ("link", "internal:'" + v.replace("'", "''") + "'!A1", v) if c in links and isinstance(v, str)
                      and r >= 2 else v, f) for r, c, v, f in got["cells"]]
            sheets.append({**frame, "title": title, "cells": cells, "state": frame.get("state", "visible")})
    wb.close()
    assert persons_small, "the small workbook has no stamped person sheet"
    return {"formats": fmts.dicts, "sheets": sheets, "names": rec["names"]}


def _rows(s: dict) -> list[tuple[int, list[tuple]]]:
    """A sheet's cells, merged ranges' cells included, as ``[(row, [(col, value, format)…])…]`` in order.

    A merged range's first cell carries its value and the others are blank in its
    format — what ``merge_range`` writes — so that every cell is written in row order
    (``constant_memory`` ignores a write to a row before the current one).
    """
    cells = {(r, c): (v, f) for r, c, v, f in s["cells"]}
    for r1, c1, r2, c2, v, f in s.get("merges", ()):
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                cells[(r, c)] = (v if (r, c) == (r1, c1) else None, f)
    rows: dict[int, list] = {}
    for (r, c), (v, f) in sorted(cells.items()):
        rows.setdefault(r, []).append((c, v, f))
    for r, _ in s.get("heights", ()):
        rows.setdefault(r, [])
    return sorted(rows.items())


def compile_recipe(rec: dict) -> dict:
    """Each distinct sheet layout's row-ordered cells, once (as kpixl compiles its card once)."""
    done: dict[int, list] = {}
    for s in rec["sheets"]:
        key = id(s["cells"])
        if key not in done:
            done[key] = _rows(s)
        s["rows"] = done[key]
    return rec


def write_recipe(rec: dict, out: str, mode: str = "in_memory") -> None:
    """Write a recipe with XlsxWriter: the lower bound.

    ``mode``: ``in_memory`` (the fastest: the whole workbook is assembled in memory) or
    ``constant_memory`` (flat memory: each row goes to a temporary file as soon as the
    next starts). Either way everything that is not a cell is set first and the cells
    are written in row order, as kpixl does.
    """
    import xlsxwriter
    from xlsxwriter.utility import xl_cell_to_rowcol

    constant = mode == "constant_memory"
    wb = xlsxwriter.Workbook(out, {"constant_memory": True} if constant else {"in_memory": True})
    formats = [wb.add_format(d) for d in rec["formats"]]

    def fmt(i):
        return formats[i] if i >= 0 else None

    for s in rec["sheets"]:
        ws = wb.add_worksheet(s["title"])
        for c1, c2, w in s.get("widths", ()):
            ws.set_column(c1, c2, w)
        for r, h in s.get("heights", ()):
            ws.set_row(r, h)
        for r1, c1, r2, c2, _, _ in s.get("merges", ()):
            ws.merge_range(r1, c1, r2, c2, "", None)  # registered only: the cells are written below
        for sqref, opt in s.get("validations", ()):
            first = sqref.split()[0]
            a, _, b = first.partition(":")
            r1, c1 = xl_cell_to_rowcol(a)
            r2, c2 = xl_cell_to_rowcol(b or a)
            ws.data_validation(r1, c1, r2, c2, {**opt, "multi_range": sqref} if " " in sqref else dict(opt))
        for r, c, text in s.get("comments", ()):
            ws.write_comment(r, c, text, {"x_scale": 2, "y_scale": 1.2})
        start_row = ws._write_single_row if constant else None  # a row holding no cell (a spacer with a height)
        for r, cells in s["rows"] if "rows" in s else _rows(s):
            if start_row is not None and r > ws.previous_row:
                start_row(r)
            for c, v, f in cells:
                if v is None:
                    ws.write_blank(r, c, None, fmt(f))
                elif isinstance(v, tuple):  # ("link", url, text)
                    ws.write_url(r, c, v[1], fmt(f), string=v[2])
                elif isinstance(v, str) and v.startswith("="):
                    ws.write_formula(r, c, v, fmt(f))
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v, fmt(f))
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v, fmt(f))
                else:
                    ws.write_string(r, c, str(v), fmt(f))
        if s.get("freeze"):
            ws.freeze_panes(*s["freeze"])
        p = s.get("print")
        if p:
            if p["paper"]:
                ws.set_paper(p["paper"])
            if p["landscape"]:
                ws.set_landscape()
            if p["fit"]:
                ws.fit_to_pages(*p["fit"])
            if p["repeat_rows"]:
                a, _, b = p["repeat_rows"].partition(":")
                ws.repeat_rows(int(a) - 1, int(b or a) - 1)
            if p["header"]:
                ws.set_header(p["header"])
            if p["footer"]:
                ws.set_footer(p["footer"])
            ws.set_margins(*p["margins"])
        if s.get("protect"):
            ws.protect()
        if s.get("state") == "veryHidden":
            ws.very_hidden()
        elif s.get("state") == "hidden":
            ws.hide()
        for n, v in s.get("names", ()):
            q = s["title"].replace("'", "''")
            wb.define_name(f"'{q}'!{n}", v if v.startswith("=") else f"={v}")
        # What kpixl does with a complete sheet (generate._workbook): drop XlsxWriter's index of
        # merged cells (only there to refuse an overlapping merge; fewer live objects for the
        # garbage collector) and, with constant_memory, close the sheet's row file.
        ws.merged_cells.clear()
        if constant:
            ws._opt_close()
    for n, v in rec.get("names", ()):
        wb.define_name(n, v if v.startswith("=") else f"={v}")
    wb.close()


# ---- children (each measured run is a fresh process) ---------------------------------------


def _peak_mb() -> float:
    """This process's peak resident memory, or its workers' if larger (MB).

    Not ``ru_maxrss`` of the process itself: on Linux it carries over the high-water
    mark of the process it was forked from (this benchmark, holding a 5,000-sheet recipe),
    so every child would show at least that. ``VmHWM`` is the peak of its own memory.
    """
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/status") as f:
            me = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(me, kids) / 1024


def _bound_files(args: tuple[str, int, int, str]) -> None:
    recipe_path, start, stop, outdir = args
    with open(recipe_path, "rb") as f:
        rec = compile_recipe(pickle.load(f))
    for k in range(start, stop):
        write_recipe(rec, os.path.join(outdir, f"bound-{k:04d}.xlsx"))


def child(argv: list[str]) -> None:
    what = argv[0]
    t0 = time.perf_counter()
    if what == "kpixl":
        template, roster, out = argv[1:4]
        from kpixl.card.generate import generate_workbook

        t0 = time.perf_counter()
        generate_workbook(template, roster, PERIOD, out)
    elif what == "bound":
        recipe, out, mode = argv[1:4]
        with open(recipe, "rb") as f:
            rec = compile_recipe(pickle.load(f))
        t0 = time.perf_counter()
        write_recipe(rec, out, mode)
    elif what == "distribute":
        template, roster, outdir, workers = argv[1:5]
        from kpixl.card.distribute import distribute

        t0 = time.perf_counter()
        distribute(template, roster, PERIOD, outdir, workers=int(workers))
    elif what == "bound-distribute":
        recipe, outdir, files, workers = argv[1], argv[2], int(argv[3]), int(argv[4])
        import xlsxwriter  # noqa: F401  (imported before timing, as kpixl's import is)

        t0 = time.perf_counter()
        if workers <= 1:
            _bound_files((recipe, 0, files, outdir))
        else:
            from concurrent.futures import ProcessPoolExecutor

            step = -(-files // (workers * 8))
            chunks = [(recipe, a, min(a + step, files), outdir) for a in range(0, files, step)]
            with ProcessPoolExecutor(max_workers=workers) as pool:
                list(pool.map(_bound_files, chunks))
    else:
        raise SystemExit(f"unknown child {what}")
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}))


def _median(runs: list[dict]) -> dict:
    """The median seconds and the median peak of some runs."""
    import statistics

    return {key: statistics.median(r[key] for r in runs) for key in ("seconds", "peak_mb")}


def run_child(*args: object) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the benchmark -------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,5000", help="people per workbook, comma-separated")
    ap.add_argument("--template", default=str(DEFAULT_TEMPLATE))
    ap.add_argument("--managers", type=int, default=500, help="managers for the distribute run")
    ap.add_argument("--distribute-people", type=int, default=None, help="people for the distribute run (default: the largest size)")
    ap.add_argument("--no-distribute", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the medians are shown")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip XlsxWriter's in-memory run beside a constant_memory one (it needs ~1 GB at 5,000)")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child)
    template = Path(a.template)
    sizes = [int(s.replace("_", "")) for s in a.sizes.replace(" ", "").split(",") if s]
    rows = []
    work = Path(tempfile.mkdtemp(prefix="kpixl-bench-"))
    print(f"template {template.name}; work folder {work}; {os.cpu_count()} cores; "
          f"load average at start {os.getloadavg()[0]:.2f}", file=sys.stderr)

    def pair(kpixl_args: tuple, bound_args: tuple, prepare=None, reference: tuple | None = None) -> tuple:
        """kpixl and the bound (and the reference), alternately, ``--repeat`` times each; medians."""
        ks, bs, rs = [], [], []
        for i in range(a.repeat):
            ks.append(run_child(*kpixl_args))
            if i == 0 and prepare is not None:
                prepare()
            bs.append(run_child(*bound_args))
            if reference is not None:
                rs.append(run_child(*reference))
            print(f"    run {i + 1}: kpixl {ks[-1]['seconds']:.2f} s {ks[-1]['peak_mb']:.0f} MB, "
                  f"XlsxWriter {bs[-1]['seconds']:.2f} s {bs[-1]['peak_mb']:.0f} MB"
                  + (f", in memory {rs[-1]['seconds']:.2f} s {rs[-1]['peak_mb']:.0f} MB" if rs else "")
                  + f" (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
        return _median(ks), _median(bs), (_median(rs) if rs else None)

    from kpixl.card.generate import IN_MEMORY_SHEETS

    small_roster = make_roster(template, 3, 1, work / "roster-3.csv")
    small = work / "small.xlsx"
    run_child("kpixl", template, small_roster, small)
    for n in sizes:
        roster = make_roster(template, n, a.managers, work / f"roster-{n}.csv")
        out = work / f"kpixl-{n}.xlsx"
        recipe = work / f"recipe-{n}.pickle"
        # The bound writes in the mode kpixl uses for this size; beside a constant_memory
        # run, XlsxWriter's in-memory mode (faster, but its memory grows with the workbook).
        mode = "in_memory" if n <= IN_MEMORY_SHEETS else "constant_memory"
        ref = None if mode == "in_memory" or a.no_reference else ("bound", recipe, work / f"ref-{n}.xlsx", "in_memory")
        print(f"  generate {n:,} people (XlsxWriter {mode})", file=sys.stderr)
        k, b, r = pair(("kpixl", template, roster, out), ("bound", recipe, work / f"bound-{n}.xlsx", mode),
                       lambda: recipe.write_bytes(pickle.dumps(big_recipe(small, out))), ref)
        rows.append((f"generate {n:,} people, 1 workbook", mode, k, b, n >= 5000))
        if r is not None:
            rows.append(("  the same, XlsxWriter in memory", "in_memory", k, r, False))
    if not a.no_distribute:
        from kpixl.card.distribute import group_by_manager, read_table

        n = a.distribute_people or max(sizes)
        roster = make_roster(template, n, a.managers, work / f"roster-d{n}.csv")
        files = len(group_by_manager(read_table(roster, "roster")))
        recipe = work / "recipe-dist.pickle"

        def prepare_dist(outdir: Path) -> None:
            if not recipe.exists():  # the bound writes the first manager's file, `files` times
                from kpixl.card.distribute import read_manifest

                first = outdir / read_manifest(outdir)["files"][0]["file"]
                recipe.write_bytes(pickle.dumps(workbook_recipe(first)))

        for w in (1, 2):
            outdir, bdir = work / f"dist-{w}", work / f"bound-dist-{w}"
            bdir.mkdir(exist_ok=True)
            print(f"  distribute {n:,} → {files} managers, {w} process{'es' if w > 1 else ''}", file=sys.stderr)
            k, b, _ = pair(("distribute", template, roster, outdir, w), ("bound-distribute", recipe, bdir, files, w),
                           lambda: prepare_dist(outdir))
            rows.append((f"distribute {n:,} → {files} managers, {w} process{'es' if w > 1 else ''}", "in_memory",
                         k, b, n >= 5000))

    from kpixl.console import table

    print(f"load average at the end {os.getloadavg()[0]:.2f} (other processes on the {os.cpu_count()} cores "
          "slow both columns, and the 2-process rows most)", file=sys.stderr)

    out_rows = []
    for name, mode, k, b, check_mb in rows:
        ratio = k["seconds"] / b["seconds"]
        ok = ratio <= GOAL_RATIO and (not check_mb or k["peak_mb"] < GOAL_MB)
        goal = "yes" if ok else "NO"
        if name.startswith("  "):  # the reference: no goal of its own
            goal = ""
        out_rows.append((name, mode, f"{k['seconds']:.2f}", f"{b['seconds']:.2f}", f"{ratio:.2f}×",
                         f"{k['peak_mb']:.0f}", f"{b['peak_mb']:.0f}", goal))
    print(f"medians of {a.repeat} run{'s' if a.repeat > 1 else ''} each; XlsxWriter writes the same cells in the mode shown")
    print(table(["run", "XlsxWriter mode", "kpixl s", "XlsxWriter s", "ratio", "kpixl MB", "XlsxWriter MB",
                 f"goal (≤{GOAL_RATIO}×{', <' + str(GOAL_MB) + ' MB at 5,000'})"], out_rows))


if __name__ == "__main__":
    main()
