"""Collect against hostile returns: formula injection, re-pointed stamps, huge or lying files,
future dates, out-of-range inputs, links, pipes, odd names, a full disk and killed runs.

The files are made the quick way (openpyxl types into the files distribute wrote, no
LibreOffice), then edited in their XML where a manager's program would not go.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

import kpixl
from kpixl.card.distribute import distribute
from kpixl.master.book import backup_path, new_master
from kpixl.master.collect import collect

from collect_kit import e2e_scheme, input_cells, inputs, records, roster, stamped, type_inputs

pytestmark = pytest.mark.engine
PERIOD = "2026-11"
EVIL = '=HYPERLINK("http://evil.example/","EVIL")'


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """A master of 8 people (4 managers × 2), distributed; the files typed in (clean)."""
    d = tmp_path_factory.mktemp("security")
    people = roster(8)
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    manifest = distribute(master, None, PERIOD, d / "sent", workers=1)
    cells = input_cells(master)
    values = inputs(people)
    typed = {e.manager: type_inputs(d / "sent" / e.file, d / "typed" / e.file, cells, values)
             for e in manifest.entries}
    return {"dir": d, "master": master, "cells": cells, "values": values, "typed": typed,
            "people": {e.manager: list(e.employee_ids) for e in manifest.entries}}


def fresh(sent, tmp_path, sidecars: bool = True) -> Path:
    """A copy of the distributed master (with its key and record of what was sent, unless told not)."""
    path = tmp_path / "master.xlsx"
    shutil.copy2(sent["master"], path)
    if sidecars:
        for suffix in (".kpixl-key", ".kpixl-sent.json"):
            shutil.copy2(sent["dir"] / f"master.xlsx{suffix}", tmp_path / f"master.xlsx{suffix}")
    return path


def copy_of(sent, manager: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(sent["typed"][manager], out)
    return out


def rezip(path: Path, edits: dict, out: Path | None = None) -> Path:
    """Rewrite parts of a zip: ``{part: text -> text}``."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for part, fn in edits.items():
        parts[part] = fn(parts[part].decode("utf-8")).encode("utf-8")
    out = out or path
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return out


def edit_sheets(path: Path, fn) -> Path:
    """Open with openpyxl, ``fn(wb)``, save in place."""
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def person_sheet(wb, eid: str):
    return next(ws for ws in wb.worksheets if stamped(ws) == eid)


def all_cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                yield ws.title, c


# ---- 1. formula injection ------------------------------------------------------------------


def test_nothing_from_a_returned_file_becomes_a_formula_in_the_master(sent, tmp_path):
    master = fresh(sent, tmp_path)
    cells = sent["cells"]
    folder = tmp_path / "in"
    a, b = list(sent["typed"])[:2]
    eid = sent["people"][a][0]

    # A reason cell holding formula text (as text: a manager's program stores it as a string),
    # a sheet renamed to "=1+1", docProps modified / creator / lastModifiedBy holding formulas,
    # all in a file whose own name is a formula.
    f1 = copy_of(sent, a, folder / "=SUM(1,2)EVIL.xlsx")

    def evil(wb):
        ws = person_sheet(wb, eid)
        ws[cells["special"]].value = 5
        ws[cells["special.reason"]].value = EVIL
        ws[cells["special.reason"]].data_type = "s"
        ws.title = "=1+1"
    edit_sheets(f1, evil)
    core = lambda t: re.sub(r"<dcterms:modified([^>]*)>[^<]*<", r"<dcterms:modified\1>=HYPERLINK(\"x\",\"EVIL\")<",  # noqa: E731
                            t).replace("<dc:creator>", "<dc:creator>=EVILCREATOR()").replace(
        "</cp:coreProperties>", "<cp:lastModifiedBy>=EVILBY()</cp:lastModifiedBy></cp:coreProperties>")
    rezip(f1, {"docProps/core.xml": core})

    # A problem whose value is formula text: a formula typed into an input.
    f2 = copy_of(sent, b, folder / "second.xlsx")
    edit_sheets(f2, lambda wb: person_sheet(wb, sent["people"][b][0]).__setitem__(cells["sales"], "=1+1+0*LEN(\"EVIL\")"))

    got = collect(master, [folder])
    assert got.written and eid in got.added
    assert any(p.code == "input_formula" for p in got.problems)
    # One message for the one cell (the engine, reading it as blank, had added "no input" there too).
    at = [p.code for p in got.problems if p.where.startswith("[second.xlsx]") and p.where.endswith("!" + cells["sales"])]
    assert at == ["input_formula"], at

    texts = []
    for title, c in all_cells(master):
        if c.data_type == "f":
            assert "EVIL" not in str(c.value) and "1+1" not in str(c.value), (title, c.coordinate, c.value)
        elif isinstance(c.value, str):
            texts.append((title, c.value))
    found = {t for t, v in texts if "EVIL" in v}
    assert {"Results", "_collected", "Log", "Issues"} <= found, found
    assert any(v == EVIL for t, v in texts if t == "Results")
    assert any(v == "=1+1" for t, v in texts if t == "_collected")  # the sheet name, as text
    assert any(v == "=SUM(1,2)EVIL.xlsx" for t, v in texts if t == "Log")
    # And what LibreOffice would evaluate: no formula cell in the XML of the data sheets.
    with zipfile.ZipFile(master) as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/"):
                assert b"EVIL" not in b"".join(re.findall(rb"<f>[^<]*</f>", z.read(n)))


# ---- 2. re-pointed stamps -------------------------------------------------------------------


def repoint(path: Path, swaps: dict[str, str]) -> Path:
    """Re-point person sheets' stamps (``kpixl.stamp`` and the ``_kpixl`` row) to other employees,
    recomputing the plain checksum as someone who read the docs would."""
    from kpixl.card.stamp import Stamp, formula_checksum

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        d = ws.defined_names.get("kpixl.stamp")
        if d is None:
            continue
        old = Stamp.parse(d.attr_text.strip('"'))
        if old.employee_id not in swaps:
            continue
        formulas = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}
        new = Stamp(old.scheme_id, old.version, swaps[old.employee_id], old.period, formula_checksum(formulas))
        d.attr_text = '"' + new.text() + '"'
        listed = wb["_kpixl"]
        for row in listed.iter_rows(min_row=2):
            if row[0].value == ws.title:
                row[1].value, row[4].value, row[6].value = new.text(), new.employee_id, new.checksum
    wb.save(path)
    return path


def test_a_stamp_repointed_to_another_managers_employee_is_refused(sent, tmp_path):
    master = fresh(sent, tmp_path)
    a, b = list(sent["typed"])[:2]
    victim = sent["people"][b][0]
    first = collect(master, [sent["typed"][b]])
    assert first.ok and victim in first.added
    before = {r[1]: r for r in records(master)[1:]}[victim]
    forged = repoint(copy_of(sent, a, tmp_path / "forged" / sent["typed"][a].name), {sent["people"][a][0]: victim})
    got = collect(master, [forged])
    assert not got.ok
    codes = {p.code for p in got.problems if p.employee == victim}
    assert "not_sent_here" in codes, got.problems
    where = next(p.where for p in got.problems if p.code == "not_sent_here")
    assert where.startswith(f"[{forged.name}]")
    assert {r[1]: r for r in records(master)[1:]}[victim] == before  # not overwritten


def test_a_recomputed_checksum_is_told_from_the_keyed_mac(sent, tmp_path):
    """Two people of one manager's file swapped: the manifest allows both, the keyed MAC does not."""
    master = fresh(sent, tmp_path)
    a = list(sent["typed"])[0]
    x, y = sent["people"][a][:2]
    forged = repoint(copy_of(sent, a, tmp_path / "swap" / sent["typed"][a].name), {x: y, y: x})
    got = collect(master, [forged])
    assert {(p.employee, p.code) for p in got.problems} >= {(x, "stamp_forged"), (y, "stamp_forged")}, got.problems
    assert not got.added and not master.with_name("master.bak.xlsx").exists()


def test_a_master_without_a_record_of_what_was_sent_says_so_once_and_collects(sent, tmp_path):
    master = fresh(sent, tmp_path, sidecars=False)
    got = collect(master, list(sent["typed"].values()))
    assert got.ok and len(got.added) == 8
    assert [p.code for p in got.warnings].count("no_manifest") == 1


def test_distribute_keeps_its_key_and_writes_the_same_bytes(sent, tmp_path):
    master = fresh(sent, tmp_path)
    key = master.with_name("master.xlsx.kpixl-key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    m1 = distribute(master, None, PERIOD, tmp_path / "one", workers=1)
    m2 = distribute(master, None, PERIOD, tmp_path / "two", workers=1)
    assert [e.sha256 for e in m1.entries] == [e.sha256 for e in m2.entries]
    assert not any(p.name.endswith(".kpixl-key") for p in (tmp_path / "one").iterdir())


# ---- 3. bounded memory and time -----------------------------------------------------------------

# Peak memory of the process itself: /proc's VmHWM belongs to this program's memory (ru_maxrss
# would carry the high-water mark of the forking pytest process across exec).
_MEASURE = """
import json, re, resource, sys
from kpixl.master.collect import collect
r = collect(sys.argv[1], sys.argv[2:], period="2026-11")
try:
    hwm = int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
except OSError:
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"problems": [[p.where, p.code, p.message] for p in r.problems], "rss_mb": hwm}))
"""


def _bomb(src: Path, out: Path, unpacked_mb: int) -> Path:
    """A returned file whose first person sheet unpacks to ``unpacked_mb`` MB of cells."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = sorted(n for n in parts if n.startswith("xl/worksheets/sheet"))[1]
    row = b"".join(b'<c r="A%d"><v>1</v></c>' for _ in range(1))
    body = bytearray()
    k = 1
    while len(body) < unpacked_mb * 2**20:
        body += b'<row r="%d">' % k + row.replace(b"%d", str(k).encode()) + b"<c r=\"B%d\"><v>2</v></c></row>" % k
        k += 1
    parts[sheet] = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>' + bytes(body) + b"</sheetData></worksheet>")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return out


def _lying(src: Path, out: Path) -> Path:
    """A file whose zip headers say its sheet is 1 KB while it unpacks to 150 MB."""
    _bomb(src, out, 150)
    data = bytearray(out.read_bytes())
    # Local headers (PK\3\4: uncompressed size at +22) and central records (PK\1\2: at +24).
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        for m in re.finditer(re.escape(sig), bytes(data)):
            size = int.from_bytes(data[m.start() + off:m.start() + off + 4], "little")
            if size > 50 * 2**20:
                data[m.start() + off:m.start() + off + 4] = (1024).to_bytes(4, "little")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("kind", ["oversized", "lying"])
def test_a_small_file_that_unpacks_huge_is_refused_in_bounded_memory(sent, tmp_path, kind):
    master = fresh(sent, tmp_path)
    src = sent["typed"][list(sent["typed"])[0]]
    out = tmp_path / "in" / f"{kind}.xlsx"
    out.parent.mkdir()
    (_bomb(src, out, 100) if kind == "oversized" else _lying(src, out))
    assert out.stat().st_size < 20 * 2**20  # well under the 50 MB a file may be
    before = master.read_bytes()
    r = subprocess.run([sys.executable, "-c", _MEASURE, str(master), str(out)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    import json

    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["rss_mb"] < 300, got["rss_mb"]
    assert any(w.startswith(f"[{out.name}]") and c == "bad_file" for w, c, _ in got["problems"]), got["problems"]
    assert master.read_bytes() == before


def test_a_doctype_and_a_slow_file_are_refused(sent, tmp_path, monkeypatch):
    from kpixl.xlsx import xmlstream
    from kpixl.xlsx.reader import read_book

    src = sent["typed"][list(sent["typed"])[0]]
    xxe = rezip(src, {"xl/workbook.xml": lambda t: t.replace(
        "<workbook", '<!DOCTYPE workbook [<!ENTITY x SYSTEM "file:///etc/passwd">]><workbook', 1)},
        tmp_path / "xxe.xlsx")
    with pytest.raises(kpixl.FileProblem, match="DOCTYPE"):
        read_book(xxe)
    monkeypatch.setattr(xmlstream, "TIMEOUT_SECONDS", -1.0)
    with pytest.raises(kpixl.FileProblem, match="to read"):
        read_book(src)


# ---- 4. future dates ---------------------------------------------------------------------------


def _saved(path: Path, when: str) -> Path:
    return rezip(path, {"docProps/core.xml": lambda t: re.sub(
        r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{when}\g<2>", t)})


def test_a_future_dated_file_does_not_freeze_the_record(sent, tmp_path):
    master = fresh(sent, tmp_path)
    a = list(sent["typed"])[0]
    eid = sent["people"][a][0]
    future = _saved(copy_of(sent, a, tmp_path / "v1" / sent["typed"][a].name), "2099-01-01T00:00:00Z")
    first = collect(master, [future])
    assert eid in first.added
    assert any(p.code == "future_saved" for p in first.warnings)
    values = sent["values"].copy()
    values.loc[values["employee_id"] == eid, "sales"] = 123000
    fixed = type_inputs(sent["dir"] / "sent" / sent["typed"][a].name, tmp_path / "v2" / sent["typed"][a].name,
                        sent["cells"], values)
    _saved(fixed, datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))
    second = collect(master, [fixed])
    assert eid in second.replaced, (second.older, second.warnings)
    head = records(master)[0]
    assert {r[1]: r for r in records(master)[1:]}[eid][head.index("sales")] == 123000
    log = list(openpyxl.load_workbook(master)["Log"].iter_rows(values_only=True))
    assert any(r[3] == "2099-01-01T00:00:00Z" for r in log[1:])  # the claimed saved time, beside the collect time


# ---- 5. input ranges and dates -----------------------------------------------------------------


def test_inputs_beyond_the_cards_range_and_dates_in_number_cells_are_placed_problems(sent, tmp_path):
    master = fresh(sent, tmp_path)
    a = list(sent["typed"])[0]
    x, y = sent["people"][a][:2]
    cells = sent["cells"]
    f = copy_of(sent, a, tmp_path / "in" / sent["typed"][a].name)

    def bad(wb):
        person_sheet(wb, x)[cells["sales"]].value = 1e308
        person_sheet(wb, y)[cells["sales"]].value = datetime(2026, 11, 30)
    edit_sheets(f, bad)
    got = collect(master, [f])
    places = {(p.employee, p.code): p.where for p in got.problems}
    name = f.name
    assert places[(x, "not_a_number")].startswith(f"[{name}]") and places[(x, "not_a_number")].endswith(
        "!" + cells["sales"])
    assert places[(y, "date_in_number")].endswith("!" + cells["sales"])
    assert x not in got.added and y not in got.added


def test_score_refuses_a_number_beyond_the_cards_range(sent):
    values = sent["values"].copy().astype(object)
    values.loc[0, "sales"] = 2e304
    values.loc[1, "sales"] = datetime(2026, 11, 30)  # a date read from an inputs workbook
    with pytest.raises(kpixl.InputError) as e:
        kpixl.score(e2e_scheme(), values, roster=roster(8))
    assert any(p.code == "not_a_number" and "1e15" in p.message for p in e.value.problems)
    assert any(p.code == "not_a_number" and "not a date" in p.message for p in e.value.problems)


# ---- 6. links, pipes, names, modes, full disks, leftovers, missing paths ------------------------


def test_a_symlink_is_refused_and_never_copied(sent, tmp_path):
    master = fresh(sent, tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.xlsx").symlink_to("/etc/passwd")
    copy_of(sent, list(sent["typed"])[0], folder / "good.xlsx")
    got = collect(master, [folder])
    assert any(p.where == "[x.xlsx]" and "symbolic link" in p.message for p in got.problems)
    assert len(got.added) == 2
    assert not (master.parent / "quarantine" / "x.xlsx").exists()


def test_a_fifo_is_refused_without_hanging(sent, tmp_path):
    master = fresh(sent, tmp_path)
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    code = "import sys; from kpixl.master.collect import collect; r = collect(sys.argv[1], sys.argv[2:]); " \
           "print([p.where + ' ' + p.message for p in r.problems])"
    r = subprocess.run([sys.executable, "-c", code, str(master), str(fifo), str(sent["typed"][list(sent["typed"])[0]])],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "[pipe.xlsx] is not a regular file" in r.stdout.replace("reading the workbook failed: ", "") or \
        "not a regular file" in r.stdout


def test_a_control_character_in_a_file_name_is_that_files_problem_only(sent, tmp_path):
    master = fresh(sent, tmp_path)
    folder = tmp_path / "in"
    a, b = list(sent["typed"])[:2]
    copy_of(sent, a, folder / "bad\x07name.xlsx")
    copy_of(sent, b, folder / "good.xlsx")
    got = collect(master, [folder])
    assert [p.code for p in got.problems] == ["bad_file_name"] and "\\x07" in got.problems[0].where
    assert sorted(got.added) == sorted(sent["people"][b])


def test_a_reason_over_a_cells_limit_is_a_problem_not_cut_silently(sent, tmp_path):
    master = fresh(sent, tmp_path)
    a = list(sent["typed"])[0]
    eid = sent["people"][a][0]
    cells = sent["cells"]
    f = copy_of(sent, a, tmp_path / "in" / "long.xlsx")
    # Written in the XML: openpyxl itself refuses to write more than a cell holds.
    wb = openpyxl.load_workbook(f)
    ws = person_sheet(wb, eid)
    ws[cells["special"]].value = 5
    ws[cells["special.reason"]].value = "PLACEHOLDER"
    wb.save(f)
    long_text = "很长的原因" * 7000  # 35,000 characters
    with zipfile.ZipFile(f) as z:
        holders = [n for n in z.namelist() if n.endswith(".xml") and b"PLACEHOLDER" in z.read(n)]
    rezip(f, {n: (lambda t: t.replace("PLACEHOLDER", long_text)) for n in holders})
    with zipfile.ZipFile(f) as z:
        assert any(long_text.encode() in z.read(n) for n in z.namelist())
    got = collect(master, [f])
    assert any(p.code == "text_too_long" and p.employee == eid and p.where.endswith("!" + cells["special.reason"])
               for p in got.problems), [(p.code, p.where) for p in got.problems + got.warnings]


def test_file_labels_are_safe_relative_paths():
    from kpixl.master.collect.read import file_labels

    files = [Path("/a/x.xlsx"), Path("../x.xlsx"), Path("/b/y.xlsx")]
    labels = file_labels(files)
    assert labels[Path("/b/y.xlsx")] == "y.xlsx"
    assert len({labels[f] for f in files}) == 3 and not any(".." in v or v.startswith("/") for v in labels.values())


def test_same_file_names_in_two_folders_keep_apart(sent, tmp_path):
    master = fresh(sent, tmp_path)
    folder = tmp_path / "in"
    for sub in ("华东", "华南"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "same.xlsx").write_bytes(b"not a workbook " + sub.encode())
    got = collect(master, [folder], period=PERIOD)
    assert sorted(p.where for p in got.problems) == sorted(["[华南/same.xlsx]", "[华东/same.xlsx]"])
    q = master.parent / "quarantine"
    assert (q / "华东" / "same.xlsx").read_bytes() != (q / "华南" / "same.xlsx").read_bytes()


def test_the_masters_mode_bits_are_kept(sent, tmp_path):
    master = fresh(sent, tmp_path)
    os.chmod(master, 0o664)
    got = collect(master, list(sent["typed"].values()))
    assert got.written
    assert stat.S_IMODE(master.stat().st_mode) == 0o664
    assert stat.S_IMODE(backup_path(master).stat().st_mode) == 0o664
    # A new file gets the usual bits (the umask's), not mkstemp's 0600.
    umask = os.umask(0)
    os.umask(umask)
    made = new_master(e2e_scheme(), roster(4), tmp_path / "new.xlsx")
    assert stat.S_IMODE(made.stat().st_mode) == 0o666 & ~umask


def test_a_full_disk_is_a_clear_problem_and_the_master_is_kept(sent, tmp_path, monkeypatch):
    master = fresh(sent, tmp_path)
    before = master.read_bytes()

    def full(self, filename):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(openpyxl.Workbook, "save", full)
    with pytest.raises(kpixl.FileProblem, match="disk is full"):
        collect(master, list(sent["typed"].values()))
    assert master.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".master-")]


def test_leftovers_of_a_killed_run_are_cleaned(sent, tmp_path):
    master = fresh(sent, tmp_path)
    stale = [tmp_path / ".master-abcd1234.xlsx", tmp_path / ".master.bak.xlsx.part"]
    for f in stale:
        f.write_bytes(b"half written")
    collect(master, list(sent["typed"].values()))
    assert not any(f.exists() for f in stale)


def test_a_missing_path_says_so_and_nothing_collected_leaves_the_master_alone(sent, tmp_path):
    master = fresh(sent, tmp_path)
    with pytest.raises(kpixl.FileProblem, match="no such file or folder"):
        collect(master, [tmp_path / "nothere"])
    before = master.read_bytes()
    got = collect(master, [tmp_path / "nothere"], period=PERIOD)
    assert not got.ok and "no such file" in got.problems[0].message
    assert not got.written and master.read_bytes() == before and not backup_path(master).exists()


def test_an_unchanged_file_is_not_parsed_again(sent, tmp_path, monkeypatch):
    from kpixl.master.collect import read as read_step

    master = fresh(sent, tmp_path)
    files = list(sent["typed"].values())
    assert collect(master, files).written
    calls = []
    monkeypatch.setattr(read_step, "read_book", lambda *a, **k: calls.append(a) or pytest.fail("parsed again"))
    again = collect(master, files)
    assert not again.written and len(again.unchanged) == 8 and not calls


def test_characters_xml_cannot_hold_are_shown_not_written(tmp_path):
    """U+FFFF, U+FFFE and the lone surrogates a non-UTF-8 file name decodes to, beside control characters:
    shown as escapes by both writers (openpyxl's cells and the bulk rows), so the file still opens."""
    import openpyxl

    from kpixl.xlsx.bulk import Bulk, append_rows
    from kpixl.xlsx.cells import storable
    from kpixl.xlsx.text import append_row

    nasty = "经理\uffff\ufffe\udcff\x07.xlsx"
    assert storable(nasty) == "经理\\uffff\\ufffe\\udcff\\x07.xlsx" and storable("普通\t文本") == "普通\t文本"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "s"
    append_row(ws, ["k"])
    append_row(ws, [nasty])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    append_rows(path, {"s": Bulk(3, [[nasty]], 1)})
    got = [r[0] for r in openpyxl.load_workbook(path)["s"].iter_rows(min_row=2, values_only=True)]
    assert got == [storable(nasty)] * 2
