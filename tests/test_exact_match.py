"""Text criteria and lookups match text as it is (kpixl.xlmath: count_text, sum_text, equals_text, plain, pick).

COUNTIFS, SUMIFS and MATCH(…,0) read ``*``, ``?`` and ``~`` as wildcards, and a criterion
starting ``<``, ``>`` or ``=`` as an operator: an employee id ``A*`` would count ``AB``'s row,
``<>`` every row. LibreOffice (the reference engine, wildcards on as for every .xlsx) must
find each id's own row only — ignoring case, as every criterion does.
"""

from __future__ import annotations

import openpyxl
import pytest

from kpixl import xlmath
from kpixl.libreoffice import recalculate

IDS = ["A*", "A?", "A~B", "AB", "<>", "=A", "A", "ab", "~", "*", "?", "A~*", "123",
       # Number-like ids Excel would compare as numbers without a wildcard (not LibreOffice): the
       # same number with a leading zero, and two 18-digit ids alike in their first 15 digits.
       "009875", "9875", "0098750", "110101199001011234", "110101199001011235"]


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def test_criteria_text_by_hand():
    assert xlmath.equals_text("同意") == '"同意"'  # plain text stays as it was
    assert xlmath.equals_text("A*") == '"=A~*"' and xlmath.equals_text("<>") == '"=<>"'
    assert xlmath.equals_text('a"b') == '"a""b"'
    assert xlmath.plain("A3") == 'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(A3,"~","~~"),"*","~*"),"?","~?")'
    assert xlmath.pick("E5", [("A1", "1"), ("B1", "1.3")]) == 'IF(E5="A1",1,IF(E5="B1",1.3,NA()))'


@pytest.mark.engine
def test_each_id_finds_its_own_rows_in_libreoffice(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    n = len(IDS)
    for r, e in enumerate(IDS, start=1):
        ws.cell(r, 1).value = e
        ws.cell(r, 1).data_type = "s"  # "=A" is text, not a formula
        ws.cell(r, 2).value = r  # a number per row, to sum
    rng, nums = f"$A$1:$A${n}", f"$B$1:$B${n}"
    for r, e in enumerate(IDS, start=1):
        ws.cell(r, 4, "=" + xlmath.count_text("$A:$A", f"A{r}"))
        ws.cell(r, 5, "=" + xlmath.sum_text(nums, rng, f"A{r}"))
        ws.cell(r, 6, f"=COUNTIF($A:$A,{xlmath.equals_text(e)})")
        ws.cell(r, 7, f"=IFERROR(MATCH({xlmath.plain(f'A{r}')},{rng},0),0)")
        ws.cell(r, 8, "=IFERROR(" + xlmath.pick(f"A{r}", [(k, str(j)) for j, k in enumerate(IDS, start=1)]) + ",0)")
        ws.cell(r, 9, "=" + xlmath.count_text(rng, f"A{r}", nums, '">0"'))
    src = tmp_path / "ids.xlsx"
    wb.save(src)
    [out] = recalculate([src], tmp_path / "out")
    got = openpyxl.load_workbook(out, data_only=True).active
    for r, e in enumerate(IDS, start=1):
        rows = [j for j, k in enumerate(IDS, start=1) if _same(k, e)]  # criteria ignore case: A and a
        want = [len(rows), sum(rows), len(rows), rows[0], rows[0], len(rows)]
        assert [got.cell(r, c).value for c in range(4, 10)] == want, e


def test_count_text_by_hand():
    # Rows starting with the id, less the rows longer than it: "A1" counts A1 and a1, not A12.
    assert xlmath.count_text("$A:$A", "B3", "$C:$C", '"同意"') == (
        '(COUNTIFS($A:$A,"="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(B3,"~","~~"),"*","~*"),"?","~?")&"*",$C:$C,"同意")'
        '-COUNTIFS($A:$A,"="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(B3,"~","~~"),"*","~*"),"?","~?")&"?*",$C:$C,"同意"))')
