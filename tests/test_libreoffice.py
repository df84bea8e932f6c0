"""kpixl.libreoffice against the real LibreOffice headless (installed by scripts/setup-system).

Each test makes at most a couple of soffice calls (~1.5 s each), batching its cases.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpixl import libreoffice
from kpixl.libreoffice import LibreOfficeError, convert, find_soffice, pdf_to_png, recalculate

pytestmark = pytest.mark.engine


def _values(path: Path, sheet: str | None = None) -> dict[str, object]:
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[sheet] if sheet else wb.active
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row}


def _book(path: Path, cells: dict[str, object]) -> Path:
    wb = openpyxl.Workbook()
    for ref, value in cells.items():
        wb.active[ref] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _count_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = libreoffice._run

    def counting(step, cmd, timeout):
        calls.append(cmd)
        return real(step, cmd, timeout)

    monkeypatch.setattr(libreoffice, "_run", counting)
    return calls


def test_soffice_is_installed():
    assert find_soffice() is not None, "run scripts/setup-system"


def test_formulas_are_computed(tmp_path):
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Data"
    for r, (a, b) in enumerate([(1.15, 3), (2.5, 4), (10.125, 0.5)], start=1):
        data[f"A{r}"], data[f"B{r}"] = a, b
    data["C1"] = "=ROUND(A1*B1,2)"
    data["C2"] = "=SUMPRODUCT(A1:A3,B1:B3)"
    data["A5"] = "客户经理"
    data["C5"] = '=A5&"考核"'
    summary = wb.create_sheet("汇总")
    summary["A1"] = "=Data!C2*2"
    summary["A2"] = "='汇总'!A1+1"
    summary["A3"] = '=IF(Data!C1>3,"达标","未达标")'
    src = tmp_path / "in" / "book.xlsx"
    src.parent.mkdir()
    wb.save(src)

    [out] = recalculate([src], tmp_path / "out")

    assert out == tmp_path / "out" / "book.xlsx"
    data_v, summary_v = _values(out, "Data"), _values(out, "汇总")
    assert data_v["C1"] == 3.45
    assert data_v["C2"] == pytest.approx(1.15 * 3 + 2.5 * 4 + 10.125 * 0.5)
    assert data_v["C5"] == "客户经理考核"
    assert summary_v["A1"] == pytest.approx(2 * 18.5125)
    assert summary_v["A2"] == pytest.approx(2 * 18.5125 + 1)
    assert summary_v["A3"] == "达标"
    # The input is untouched: openpyxl wrote formulas without cached values.
    assert _values(src, "Data")["C1"] is None


def _make_stale(src: Path, dst: Path) -> Path:
    """Copy an xlsx, replacing C1 by `A1+B1` with a wrong cached value of 999."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                old = b'<c r="C1"><f>A1*B1</f><v /></c>'
                assert old in data, data
                data = data.replace(old, b'<c r="C1"><f>A1+B1</f><v>999</v></c>')
            zout.writestr(info, data)
    return dst


def test_stale_cached_value_is_recalculated(tmp_path):
    fresh = _book(tmp_path / "fresh.xlsx", {"A1": 2, "B1": 3, "C1": "=A1*B1"})
    stale = _make_stale(fresh, tmp_path / "stale.xlsx")
    assert _values(stale)["C1"] == 999

    # Control: LibreOffice with an ordinary (fresh, default) profile keeps the stale value,
    # so what follows really depends on the private profile's OOXMLRecalcMode=0.
    profile = tmp_path / "default-profile"
    (profile / "user").mkdir(parents=True)
    subprocess.run(
        [find_soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(tmp_path / "control"), str(stale)],
        check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert _values(tmp_path / "control" / "stale.xlsx")["C1"] == 999

    [out] = recalculate([stale], tmp_path / "out")
    assert _values(out)["C1"] == 5


def test_many_files_one_call_with_same_basenames(tmp_path, monkeypatch):
    inputs = [
        _book(tmp_path / "east" / "book.xlsx", {"A1": 1, "B1": "=A1*10"}),
        _book(tmp_path / "west" / "book.xlsx", {"A1": 2, "B1": "=A1*10"}),
        _book(tmp_path / "other.xlsx", {"A1": 3, "B1": "=A1*10"}),
        _book(tmp_path / "north" / "Book.xlsx", {"A1": 4, "B1": "=A1*10"}),
        _book(tmp_path / "south" / "book.xlsx", {"A1": 5, "B1": "=A1*10"}),
    ]
    calls = _count_runs(monkeypatch)

    outs = recalculate(inputs, tmp_path / "out")

    assert len(calls) == 1
    assert [p.name for p in outs] == [
        "book.xlsx", "book-2.xlsx", "other.xlsx", "Book-3.xlsx", "book-4.xlsx"]
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in outs)
    assert [_values(p)["B1"] for p in outs] == [10, 20, 30, 40, 50]
    # No staging or profile leftovers next to the outputs.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in outs)


# LibreOffice's ROUND, as the project relies on it: half away from zero on the decimal
# value. Literals are written by openpyxl as the shortest repr of the double; products
# are computed by LibreOffice, whose double may sit just below the half (e.g.
# 470.25*0.7 is 329.17499999999995 in binary) and is still rounded up, i.e. LibreOffice
# rounds the value read to 15 significant digits, not the shortest repr of the double.
ROUND_CASES = [
    ("=ROUND(1.005,2)", 1.01),
    ("=ROUND(2.675,2)", 2.68),
    ("=ROUND(-0.125,2)", -0.13),
    ("=ROUND(0.285,2)", 0.29),
    ("=ROUND(1.015,2)", 1.02),
    ("=ROUND(-2.675,2)", -2.68),
    ("=ROUND(2.5,0)", 3),
    ("=ROUND(-2.5,0)", -3),
    ("=ROUND(1234.5675,3)", 1234.568),
    ("=ROUND(87.12499999999999,2)", 87.13),
    ("=ROUND(470.25*0.7,2)", 329.18),
    ("=ROUND(20.25*0.42,2)", 8.51),
    ("=ROUND(945.4*0.575,2)", 543.61),
    ("=ROUND(0.1+0.2+0.005,2)", 0.31),
    ("=ROUNDDOWN(0.1*3,1)", 0.3),
    ("=ROUNDDOWN(-2.675,2)", -2.67),
]


def test_round_half_away_from_zero_on_decimal_value(tmp_path):
    src = tmp_path / "round.xlsx"
    wb = openpyxl.Workbook()
    for r, (formula, _) in enumerate(ROUND_CASES, start=1):
        wb.active[f"A{r}"] = formula
        wb.active[f"B{r}"] = formula[1:]  # the text, for the failure message
    wb.save(src)

    [out] = recalculate([src], tmp_path / "out")

    got = _values(out)
    wrong = {f: (got[f"A{r}"], want) for r, (f, want) in enumerate(ROUND_CASES, start=1)
             if got[f"A{r}"] != want}
    assert not wrong, f"LibreOffice returned (got, expected): {wrong}"


def test_convert_to_pdf_and_png(tmp_path):
    src = _book(tmp_path / "表.xlsx", {"A1": "绩效奖金", "B1": 1200, "C1": "=B1*1.1"})
    [pdf] = convert([src], tmp_path / "out", "pdf")
    assert pdf == tmp_path / "out" / "表.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    png = pdf_to_png(pdf, tmp_path / "out" / "page")
    assert png == tmp_path / "out" / "page.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    every = pdf_to_png(pdf, tmp_path / "all" / "page", dpi=30, first_page_only=False)
    assert every == tmp_path / "all" / "page-1.png" and every.stat().st_size > 0


def test_concurrent_calls_and_in_place(tmp_path):
    books = [_book(tmp_path / f"d{i}" / "book.xlsx", {"A1": i, "B1": "=A1+100"})
             for i in range(3)]
    with ThreadPoolExecutor(3) as pool:  # each call has its own profile, so no clash
        outs = list(pool.map(lambda b: recalculate([b], b.parent)[0], books))
    assert outs == books  # outdir = the input's folder: recalculated in place
    assert [_values(b)["B1"] for b in books] == [100, 101, 102]


def test_missing_input_raises(tmp_path):
    ok = _book(tmp_path / "ok.xlsx", {"A1": 1})
    with pytest.raises(LibreOfficeError, match="not found.*nope.xlsx"):
        recalculate([ok, tmp_path / "nope.xlsx"], tmp_path / "out")
    assert not (tmp_path / "out" / "ok.xlsx").exists()


def test_unloadable_input_raises_with_step(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a zip file")
    with pytest.raises(LibreOfficeError, match=r"recalculate: no output for .*junk.xlsx"):
        recalculate([junk], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_soffice_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIXL_SOFFICE", str(tmp_path / "no-soffice"))
    assert find_soffice() is None
    with pytest.raises(LibreOfficeError, match="soffice not found"):
        recalculate([_book(tmp_path / "a.xlsx", {"A1": 1})], tmp_path / "out")


def test_timeout_kills_and_raises(tmp_path):
    src = _book(tmp_path / "a.xlsx", {"A1": 1})
    with pytest.raises(LibreOfficeError, match="timed out"):
        recalculate([src], tmp_path / "out", timeout=0.05)
