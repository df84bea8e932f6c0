"""Fuzz campaign: 1,000 mutated returned workbooks, collected ten at a time into one master.

Every mutation is made in the XML of a file LibreOffice saved (a manager's real file):
bad inputs (九十, 95%, 1,000, a level that does not exist, a formula, an error value),
a formula typed over or changed, a locked label or target changed, a sheet deleted,
stamps of another scheme, version, period or employee, a stamp re-pointed to another
manager's employee, formula text injected into a cell, a sheet that unpacks to more cells
than any scorecard, a file dated in the future, one person in two files, files that are
not workbooks, truncated, encrypted, huge or carrying macros, damaged XML, and random
edits of random cells. After every collect of bad files: no exception escaped,
every mutated file has a problem placed in it (``[file]…``), the collected records
(the ``_collected`` sheet's XML) are byte-identical to before, and no formula in the
master holds injected text. Seeded: a failure names
its batch and is reproducible.
"""

from __future__ import annotations

import random
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from kpixl.xlsx.reader import read_book
from kpixl.master.collect import collect
from kpixl.card.distribute import distribute
from kpixl.master.book import new_master

from collect_kit import e2e_scheme, fill_returned, input_cells, inputs, part_of_sheet, records, roster

pytestmark = pytest.mark.engine
BATCHES, PER_BATCH = 100, 10


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    people = roster(8)
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    manifest = distribute(master, None, "2026-11", d / "sent", workers=1)
    returned = fill_returned([d / "sent" / e.file for e in manifest.entries], master, inputs(people), d)
    report = collect(master, returned)
    assert report.ok and len(report.added) == 8
    return {"dir": d, "master": master, "returned": returned, "cells": input_cells(master)}


# ---- XML surgery on one returned file ----------------------------------------------------


class Book:
    """A returned file's parts in memory, with helpers to change one cell or name."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}
        book = read_book(path)
        self.sheets = {}  # employee id → (sheet name, part)
        for name, local, text in book.names:
            if name == "kpixl.stamp" and local is not None:
                s = book.sheets[local]
                self.sheets[text.strip('"').split("|")[3]] = (s.name, s.part)

    def text(self, part: str) -> str:
        return self.parts[part].decode("utf-8")

    def set(self, part: str, text: str) -> None:
        self.parts[part] = text.encode("utf-8")

    def cell(self, part: str, ref: str, xml: str) -> bool:
        """Replace cell ``ref`` by ``xml``; False when the cell is not in the file."""
        t = self.text(part)
        new, n = re.subn(rf'<c r="{ref}"(?:[^>]*?/>|[^>]*?>.*?</c>)', xml, t, count=1, flags=re.S)
        self.set(part, new)
        return n == 1

    def save(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in self.parts.items():
                z.writestr(n, data)
        return path


def _inline(ref: str, text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _stamp(book: Book, eid: str, change) -> None:
    wb = book.text("xl/workbook.xml")

    def edit(m):
        parts = m.group(1).split("|")
        if parts[3] != eid:
            return m.group(0)
        change(parts)
        return m.group(0).replace(m.group(1), "|".join(parts))

    book.set("xl/workbook.xml", re.sub(r"&quot;(kpixl/1\|[^&]*)&quot;", edit, wb))


def mutate(rnd: random.Random, src: Path, out: Path, cells: dict[str, str]) -> tuple[Path, str]:
    """Write one bad variant of ``src`` to ``out``; return it and what was done."""
    kind = rnd.choice(["input_text", "input_range", "input_formula", "input_error", "formula_value",
                       "formula_changed", "label", "target", "deleted", "other_scheme", "other_version",
                       "other_period", "unknown_employee", "typed_outside", "not_a_workbook", "truncated",
                       "encrypted", "macros", "bad_xml", "huge", "random_cells", "injection", "repointed",
                       "oversized", "future"])
    if kind == "not_a_workbook":
        out.write_bytes(rnd.randbytes(rnd.randint(0, 4000)))
        return out, kind
    if kind == "truncated":
        data = src.read_bytes()
        out.write_bytes(data[: rnd.randint(10, len(data) - 10)])
        return out, kind
    if kind == "encrypted":
        out.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le"))
        return out, kind
    if kind == "huge":
        with out.open("wb") as f:
            f.write(src.read_bytes())
            f.truncate(51 * 1024 * 1024)  # sparse: costs no disk
        return out, kind
    book = Book(src)
    eid = rnd.choice(sorted(book.sheets))
    _, part = book.sheets[eid]
    inputs_ = [k for k in ("sales", "samples", "discipline.idle", "attendance.late", "contracts") if k in cells]
    key = rnd.choice(inputs_)
    ref = cells[key]
    if kind == "input_text":
        book.cell(part, ref, _inline(ref, rnd.choice(["九十", "95%", "1,000", "abc", "１２", "十"])))
    elif kind == "input_range":
        # Outside what the cell's validation allows: counts are decimals ≥ 0 (half a day's leave is a count).
        bad = {"samples": rnd.choice([0, 6, 9, -1, 2.5]), "discipline.idle": rnd.choice([-1, -0.5]),
               "attendance.late": rnd.choice([-3, -1]), "contracts": rnd.choice([7, -1]),
               "sales": rnd.choice(["1e", "-"])}[key]  # an actual may be any number (a growth rate < 0)
        book.cell(part, ref, f'<c r="{ref}" t="n"><v>{bad}</v></c>')
    elif kind == "input_formula":
        book.cell(part, ref, f'<c r="{ref}"><f>1+1</f><v>2</v></c>')
    elif kind == "input_error":
        book.cell(part, ref, f'<c r="{ref}" t="e"><v>#DIV/0!</v></c>')
    elif kind in ("formula_value", "formula_changed"):
        t = book.text(part)
        refs = re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f[^>]*>', t)
        target = rnd.choice(refs)
        if kind == "formula_value":
            book.cell(part, target, f'<c r="{target}" t="n"><v>{rnd.randint(0, 120)}</v></c>')
        else:
            book.set(part, re.sub(rf'(<c r="{target}"[^>]*><f[^>]*>)', r"\g<1>1+", t, count=1))
    elif kind == "label":
        t = book.text(part)
        refs = [r for r in re.findall(r'<c r="([A-C]\d+)"[^>]*t="s"', t)]
        target = rnd.choice(refs)
        book.cell(part, target, _inline(target, "改过的文字"))
    elif kind == "target":
        tref = cells["sales.target"]
        book.cell(part, tref, f'<c r="{tref}" t="n"><v>{rnd.choice([1, 500000, 3000000])}</v></c>')
    elif kind == "deleted":
        wb = book.text("xl/workbook.xml")
        name = book.sheets[eid][0]
        book.set("xl/workbook.xml", re.sub(rf'<sheet name="{re.escape(name)}"[^>]*/>', "", wb, count=1))
        wb = book.text("xl/workbook.xml")
        book.set("xl/workbook.xml", re.sub(rf'<definedName[^>]*name="kpixl.stamp"[^>]*>&quot;kpixl/1\|[^|]*\|[^|]*\|{eid}\|[^<]*</definedName>', "", wb))
    elif kind == "other_scheme":
        _stamp(book, eid, lambda p: p.__setitem__(1, "another-scheme"))
    elif kind == "other_version":
        _stamp(book, eid, lambda p: p.__setitem__(2, "7"))
    elif kind == "other_period":
        _stamp(book, eid, lambda p: p.__setitem__(4, "2026-10"))
    elif kind == "unknown_employee":
        _stamp(book, eid, lambda p: p.__setitem__(3, "X9999"))
    elif kind == "typed_outside":
        t = book.text(part)
        book.set(part, t.replace("</sheetData>", '<row r="99"><c r="Z99" t="inlineStr"><is><t>备注</t></is></c></row></sheetData>'))
    elif kind == "macros":
        book.parts["xl/vbaProject.bin"] = rnd.randbytes(600)
    elif kind == "bad_xml":
        t = book.text(part)
        book.set(part, t[: rnd.randint(50, len(t) - 50)])
    elif kind == "injection":
        book.cell(part, cells["sales"], _inline(cells["sales"], '=HYPERLINK("http://evil.example/","EVIL")'))
    elif kind == "repointed":
        other = rnd.choice([f"E{2001 + k}" for k in range(8) if f"E{2001 + k}" not in book.sheets])
        _stamp(book, eid, lambda p: p.__setitem__(3, other))
    elif kind == "oversized":
        t = book.text(part)
        rows = "".join(f'<row r="{200 + k}">' + "".join(f'<c r="{c}{200 + k}"><v>1</v></c>' for c in "ABCDEFGHIJ")
                       + "</row>" for k in range(12_000))
        book.set(part, t.replace("</sheetData>", rows + "</sheetData>"))
    elif kind == "future":
        book.set("docProps/core.xml", re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", r"\g<1>2099-01-01T00:00:00Z\g<2>",
                                             book.text("docProps/core.xml")))
    elif kind == "random_cells":
        t = book.text(part)
        refs = re.findall(r'<c r="([A-Z]+\d+)"', t)
        for target in rnd.sample(refs, k=min(len(refs), rnd.randint(1, 4))):
            value = rnd.choice([_inline(target, rnd.choice(["x", "是", "", "=1", "95%"])),
                                f'<c r="{target}" t="n"><v>{rnd.uniform(-1e6, 1e6)}</v></c>',
                                f'<c r="{target}" t="b"><v>1</v></c>', f'<c r="{target}"/>'])
            book.cell(part, target, value)
    return book.save(out), kind


def test_a_thousand_bad_returns_never_crash_never_touch_saved_records(base, tmp_path):
    master = tmp_path / "master.xlsx"
    shutil.copy2(base["master"], master)
    store = part_of_sheet(master, "_collected")
    assert store
    good_records = records(master)
    rnd = random.Random(20261121)
    kinds: dict[str, int] = {}
    for batch in range(BATCHES):
        folder = tmp_path / f"batch{batch:03d}"
        folder.mkdir()
        made = []
        for k in range(PER_BATCH):
            src = rnd.choice(base["returned"])
            path, kind = mutate(rnd, src, folder / f"f{k:02d}-{src.name}", base["cells"])
            made.append((path, kind))
            kinds[kind] = kinds.get(kind, 0) + 1
        try:
            report = collect(master, [folder])
        except Exception as e:  # the promise: every bad file is a reported problem, never an exception
            pytest.fail(f"batch {batch}: {type(e).__name__}: {e}")
        placed = {p.where.split("]")[0] + "]" for p in report.problems + report.warnings}
        for path, kind in made:
            if kind != "random_cells":
                assert f"[{path.name}]" in placed, (batch, kind, path.name, report.problems)
        for p in report.problems + report.warnings:
            assert p.where and p.message and "\n" not in p.message, (batch, p)
        with zipfile.ZipFile(master) as z:  # injected text is never a live formula in the master
            assert not any(re.search(rb"<f>[^<]*EVIL", z.read(n)) for n in z.namelist()
                           if n.startswith("xl/worksheets/")), batch
        applied = set(report.added + report.replaced)
        if applied:
            # Only a random edit can be a valid new value; every other mutation is refused.
            assert any(kind == "random_cells" for _, kind in made), (batch, applied)
            now = {r[1]: r for r in records(master)[1:]}
            old = {r[1]: r for r in good_records[1:]}
            assert all(now[e] == old[e] for e in old if e not in applied), batch
            shutil.copy2(base["master"], master)  # back to the known records for the next batch
        else:
            assert part_of_sheet(master, "_collected") == store, f"batch {batch}: records changed"
    assert sum(kinds.values()) == BATCHES * PER_BATCH
    assert len(kinds) >= 24, kinds  # every kind of mutation was tried
