"""Messages that leave nobody guessing: did-you-mean, Chinese headers, empty tables, clean CSV.

Each test runs what a person runs (the ``kpixl`` command in a subprocess, or
``kpixl.score``) on a small scheme written here.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import kpixl
from kpixl import InputError

KPIXL = Path(sys.executable).with_name("kpixl")

SCHEME = """\
id: messages
name: 消息测试
version: 1
period: month
sections:
  - id: perf
    name: 业绩
    items:
      - {id: new_sales, name: 全新销量达成, points: 16, rule: {type: ratio, cap: 5}, target: 0.1}
      - {id: visits, name: 拜访, points: 10, rule: {type: manual}}
"""


@pytest.fixture
def scheme(tmp_path: Path) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(SCHEME, encoding="utf-8")
    return p


def run(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(KPIXL), *map(str, args)], capture_output=True, text=True, encoding="utf-8")
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_a_misspelt_item_column_gets_a_did_you_mean(scheme, tmp_path):
    inputs = tmp_path / "in.csv"
    inputs.write_text("employee_id,new_sale,visits\nE1,0.3,8\n", encoding="utf-8")
    proc = run("score", scheme, "--inputs", inputs)
    assert proc.returncode == 2
    assert "no column 'new_sales': the input of 全新销量达成 — did you mean 'new_sale'?" in proc.stderr


def test_a_misspelt_field_gets_a_did_you_mean(scheme):
    df = pd.DataFrame({"employee_id": ["E1"], "new_sales": [0.3], "new_sales.tagret": [0.2], "visits": [8]})
    with pytest.raises(InputError) as e:
        kpixl.score(scheme, df)
    assert any("did you mean 'target'?" in p.message for p in e.value.problems)


def test_the_items_chinese_name_is_accepted_as_its_header(scheme, tmp_path):
    by_id = kpixl.score(scheme, pd.DataFrame({"employee_id": ["E1"], "new_sales": [0.3], "visits": [8]}))
    by_name = kpixl.score(scheme, pd.DataFrame({"employee_id": ["E1"], "全新销量达成": [0.3], "拜访": [8]}))
    # 16 × min(0.3 / 0.1, 5) = 48, plus the 8 typed for 拜访 = 56.
    assert by_name["total"].iloc[0] == by_id["total"].iloc[0] == 56
    # A bad cell under a Chinese header is placed under that header, as typed.
    inputs = tmp_path / "in.csv"
    inputs.write_text("employee_id,全新销量达成,拜访\nE1,九十,8\n", encoding="utf-8")
    proc = run("score", scheme, "--inputs", inputs)
    assert proc.returncode == 2 and "in.csv:2 (全新销量达成)" in proc.stderr


def test_an_ambiguous_chinese_header_is_not_guessed(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SCHEME.replace("name: 拜访", "name: 全新销量达成"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        kpixl.score(p, pd.DataFrame({"employee_id": ["E1"], "全新销量达成": [0.3]}))
    assert {pr.code for pr in e.value.problems} == {"missing_column"}


def test_empty_and_header_only_tables_say_so(scheme, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    proc = run("score", scheme, "--inputs", empty)
    assert proc.returncode == 2 and "the file is empty: it needs a header row" in proc.stderr
    assert "No columns to parse" not in proc.stderr  # not pandas' words
    header = tmp_path / "header.csv"
    header.write_text("employee_id,new_sales,visits\n", encoding="utf-8")
    proc = run("score", scheme, "--inputs", header)
    assert proc.returncode == 2 and "the table has a header but no rows" in proc.stderr
    assert "Empty DataFrame" not in proc.stdout


def test_csv_output_has_clean_decimals(scheme, tmp_path):
    inputs = tmp_path / "in.csv"
    inputs.write_text("employee_id,new_sales,visits\nE1,0.3,8\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert run("score", scheme, "--inputs", inputs, "--out", out).returncode == 0
    # In floats 16 × (0.3 / 0.1) is 48.00000000000001; a cell shows 48, and so does the CSV.
    assert 16 * (0.3 / 0.1) != 48
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows[0]["new_sales"] == "48" and rows[0]["total"] == "56"
    assert not re.search(r"\d\.\d{14,}", out.read_text(encoding="utf-8-sig"))
