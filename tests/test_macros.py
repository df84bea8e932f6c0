"""Ribbon macros: the registry, the dispatcher, and each button against the matching command.

The issue: "each ribbon macro runs on a real workbook through the dispatcher in the
tests and leaves the same result as the matching CLI command". The host here is
:class:`FileHost` (a workbook file and answers given in advance) — the button code is
the code Excel runs through :class:`XlwingsHost`; only the host differs.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

import kpixl.macros as macros
from kpixl import FileProblem
from kpixl.cli import main as kpixl_main
from kpixl.macros import BUTTONS, FileHost, button, dispatch
from kpixl.macros.buttons import last_month
from kpixl.macros.host import Host, XlwingsHost, fit_message
from kpixl.macros.registry import resolve

TEMPLATE = Path(__file__).resolve().parents[1] / "workbooks" / "kam_monthly.xlsx"
ORDER = ["generate", "distribute", "collect", "validate", "rate", "report", "year", "help"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def copy_template(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(TEMPLATE, folder / TEMPLATE.name))


@pytest.fixture
def cli(capfd):
    """Run ``kpixl …`` in this process: (exit code, stdout, stderr)."""

    def run(*args) -> tuple[int, str, str]:
        capfd.readouterr()
        rc = kpixl_main([str(a) for a in args])
        out, err = capfd.readouterr()
        return rc, out, err

    return run


# ---- the registry ------------------------------------------------------------------------------


def test_eight_buttons_in_ribbon_order_with_unique_ids():
    assert [b.id for b in BUTTONS] == ORDER
    assert len({b.id for b in BUTTONS}) == len(BUTTONS)
    assert len({b.label for b in BUTTONS}) == len(BUTTONS)


def test_every_button_is_fully_described():
    for b in BUTTONS:
        assert CJK.search(b.label) and CJK.search(b.group), b
        assert b.label_en and not CJK.search(b.label_en), b
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", b.image_mso), b  # an imageMso id
        assert b.func == f"kpixl.macros.buttons:{b.id}", b
        assert b.help and CJK.search(b.help), b
    assert [b.label_en for b in BUTTONS][:7] == ["Generate", "Distribute", "Collect", "Validate", "Rate & Bonus", "Report",
                                                 "Year"]


def test_the_funcs_of_the_buttons_available_now_resolve_to_callables():
    for tag in ("generate", "distribute", "validate", "help"):
        assert callable(resolve(button(tag).func))
    # collect, rate and report call modules that are being written; their functions exist.
    for tag in ("collect", "rate", "report", "year"):
        module, _, name = button(tag).func.partition(":")
        assert module == "kpixl.macros.buttons" and name == tag
        assert callable(resolve(button(tag).func))


def test_an_unknown_tag_says_which_are_known():
    with pytest.raises(KeyError, match="generate, distribute"):
        button("nope")
    with pytest.raises(ValueError):
        resolve("no_colon")


def test_file_host_is_a_host():
    assert isinstance(FileHost(TEMPLATE), Host)


# ---- the dispatcher ----------------------------------------------------------------------------


def test_an_unknown_tag_becomes_a_message(tmp_path):
    host = FileHost(copy_template(tmp_path))
    outcome = dispatch("nope", host)
    assert not outcome.ok and "no ribbon button 'nope'" in outcome.text
    assert host.messages == [("kpixl", outcome.text)]


class Failing(FileHost):
    """A host whose question fails as Excel might (a COM error)."""

    def __init__(self, path, error):
        super().__init__(path)
        self.error = error

    def ask(self, key, prompt, default=""):
        raise self.error


def test_an_unexpected_exception_becomes_a_message_never_a_traceback(tmp_path, monkeypatch):
    monkeypatch.delenv("KPIXL_DEBUG", raising=False)
    host = Failing(copy_template(tmp_path), RuntimeError("COM says no"))
    outcome = dispatch("generate", host)
    assert not outcome.ok
    assert outcome.text.startswith("kpixl: internal error (RuntimeError: COM says no)")
    assert "Traceback" not in outcome.text
    assert host.messages[0][0] == "kpixl — 生成考核表 / Generate"
    assert host.statuses[0].startswith("kpixl: 生成考核表") and host.statuses[-1] is None  # status bar given back


def test_with_kpixl_debug_the_message_holds_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIXL_DEBUG", "1")
    outcome = dispatch("generate", Failing(copy_template(tmp_path), RuntimeError("COM says no")))
    assert "Traceback" in outcome.text and "COM says no" in outcome.text


def test_a_file_problem_becomes_its_one_line(tmp_path):
    outcome = dispatch("generate", Failing(copy_template(tmp_path), FileProblem("x.xlsx", "reading", "locked")))
    assert outcome.text == "kpixl: x.xlsx: reading failed: locked"


def test_a_button_of_a_module_not_yet_in_this_kpixl_says_so(tmp_path, monkeypatch):
    def missing(host):
        raise ModuleNotFoundError("No module named 'kpixl.workbook.nothing'", name="kpixl.workbook.nothing")

    monkeypatch.setattr(macros, "resolve", lambda func: missing)
    outcome = dispatch("collect", FileHost(copy_template(tmp_path)))
    assert not outcome.ok and "not available in this version" in outcome.text


def test_without_excel_the_dispatcher_cannot_reach_a_workbook_and_says_so():
    outcome = dispatch("help")  # no host: xw.Book.caller() has no Excel here
    assert not outcome.ok and outcome.text.startswith("kpixl: cannot reach the calling workbook")


def test_a_cancel_shows_nothing_and_writes_nothing(tmp_path):
    master = copy_template(tmp_path)
    host = FileHost(master, {"period": None})
    outcome = dispatch("generate", host)
    assert outcome.ok and outcome.text is None and host.messages == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [master.name]


# ---- Generate ---------------------------------------------------------------------------------


def test_generate_leaves_the_same_workbook_as_kpixl_generate(tmp_path, cli):
    by_button = copy_template(tmp_path / "button")
    by_cli = copy_template(tmp_path / "cli")
    host = FileHost(by_button, {"period": "2026-11"})
    outcome = dispatch("generate", host)
    rc, _, err = cli("generate", by_cli, "--period", "2026-11")
    assert outcome.ok and rc == 0, (outcome, err)

    a, b = by_button.with_name("kam_monthly-2026-11.xlsx"), by_cli.with_name("kam_monthly-2026-11.xlsx")
    assert a.read_bytes() == b.read_bytes()  # XlsxWriter with a fixed creation date: byte-deterministic
    wb = openpyxl.load_workbook(a)
    stamps = [ws.defined_names["kpixl.stamp"].attr_text for ws in wb.worksheets if "kpixl.stamp" in ws.defined_names]
    assert wb.sheetnames[0] == "汇总" and len(stamps) == 6
    assert all("|2026-11|" in s and "kam-monthly" in s for s in stamps)
    assert outcome.text.startswith(f"已生成 / wrote {a}: 6 person sheets and 汇总, period 2026-11")
    assert host.events == ["save"]  # the template is read, not rewritten: it stays open
    assert "生成 / generating sheets: 6/6" in host.statuses and host.statuses[-1] is None


def test_generate_asks_for_last_month_by_default_and_says_so(tmp_path):
    host = FileHost(copy_template(tmp_path))
    outcome = dispatch("generate", host)
    assert (tmp_path / f"kam_monthly-{last_month()}.xlsx").is_file()
    assert f"period {last_month()}" in outcome.text
    # HR appraises the month that ended: December's default is November, January's December.
    assert last_month(datetime.date(2026, 12, 6)) == "2026-11"
    assert last_month(datetime.date(2027, 1, 1)) == "2026-12"


def test_a_bad_period_is_a_problem_table(tmp_path, cli):
    host = FileHost(copy_template(tmp_path), {"period": "2026-13"})
    outcome = dispatch("generate", host)
    rc, _, err = cli("generate", tmp_path / TEMPLATE.name, "--period", "2026-13")
    assert not outcome.ok and rc == 2
    assert outcome.text == err.strip()  # word for word what the command prints
    assert outcome.text.startswith("kpixl: 1 problem in the period:")


# ---- Distribute -------------------------------------------------------------------------------


def test_distribute_leaves_the_same_files_and_manifest_as_kpixl_distribute(tmp_path, cli):
    by_button = copy_template(tmp_path / "button")
    by_cli = copy_template(tmp_path / "cli")
    host = FileHost(by_button, {"period": "2026-11"})  # the folder: the default
    outcome = dispatch("distribute", host)
    # Stamps carry a keyed MAC: the same master (the same key) gives the same bytes.
    key = by_button.with_name(by_button.name + ".kpixl-key")
    by_cli.with_name(by_cli.name + ".kpixl-key").write_bytes(key.read_bytes())
    rc, _, err = cli("distribute", by_cli, "--period", "2026-11", "--out", by_cli.parent / "2026-11")
    assert outcome.ok and rc == 0, (outcome, err)

    def manifest(folder: Path) -> dict:
        doc = json.loads((folder / "2026-11" / "manifest.json").read_text(encoding="utf-8"))
        doc.pop("generated_at")
        return doc

    assert manifest(by_button.parent) == manifest(by_cli.parent)
    files = manifest(by_button.parent)["files"]
    assert len(files) == 3 and sum(f["people"] for f in files) == 6
    for f in files:
        assert (by_button.parent / "2026-11" / f["file"]).read_bytes() == (by_cli.parent / "2026-11" / f["file"]).read_bytes()
        assert f["manager"] in outcome.text and f["file"] in outcome.text
    assert "3 workbooks, 6 people" in outcome.text and str(by_button.parent / "2026-11" / "manifest.csv") in outcome.text


def test_distribute_writes_where_it_is_told(tmp_path):
    host = FileHost(copy_template(tmp_path), {"period": "2026Q4", "out": str(tmp_path / "sent")})
    assert dispatch("distribute", host).ok
    assert (tmp_path / "sent" / "manifest.json").is_file()
    assert json.loads((tmp_path / "sent" / "manifest.json").read_text(encoding="utf-8"))["period"] == "2026Q4"


# ---- Validate ---------------------------------------------------------------------------------


def broken_roster(folder: Path) -> Path:
    path = copy_template(folder)
    wb = openpyxl.load_workbook(path)
    ws = wb["Roster"]
    ws["A3"] = "K01"     # a duplicate id
    ws["E4"] = None      # nobody to send K03 to
    ws["F5"] = "九十万"  # a target that is not a number
    wb.save(path)
    return path


def test_validate_passes_a_good_workbook(tmp_path):
    host = FileHost(copy_template(tmp_path))
    outcome = dispatch("validate", host)
    assert outcome.ok
    assert outcome.text.splitlines() == [
        "全部通过 / all checks passed: kam_monthly.xlsx",
        "scheme 大客户经理岗位月度绩效考核表 (id kam-monthly, version 1): 5 sections, 7 items",
        "roster Roster: 6 people, 3 managers",
    ]
    assert host.events == ["save"]


def test_validate_reports_every_roster_problem_as_kpixl_distribute_does(tmp_path, cli):
    master = broken_roster(tmp_path)
    outcome = dispatch("validate", FileHost(master))
    rc, _, err = cli("distribute", master, "--period", "2026-11", "--out", tmp_path / "out")
    assert not outcome.ok and rc == 2
    assert outcome.text == err.strip()
    assert outcome.text.startswith("kpixl: 3 problems in the roster:")
    for cell in ("Roster!A3", "Roster!E4", "Roster!F5"):
        assert cell in outcome.text
    assert not (tmp_path / "out").exists()


def test_validate_reports_scheme_problems_as_kpixl_check_does(tmp_path, cli):
    master = copy_template(tmp_path)
    wb = openpyxl.load_workbook(master)
    wb["Scheme"]["E12"] = "三十"  # the points of 销售任务
    wb.save(master)
    outcome = dispatch("validate", FileHost(master))
    rc, _, err = cli("check", master)
    assert not outcome.ok and rc == 2
    assert outcome.text == err.strip() and "Scheme!E12" in outcome.text


# ---- the buttons that rewrite the master ------------------------------------------------------


RETURNED = Path(__file__).resolve().parents[1] / "examples" / "returned"  # kam_monthly, 2026-11, filled


def test_rate_closes_the_master_while_it_is_rewritten_and_reopens_it(tmp_path):
    master = copy_template(tmp_path)
    assert master.name == "kam_monthly.xlsx"  # examples/returned was sent from this template
    host = FileHost(master, {"returned": [str(RETURNED)]})
    assert dispatch("collect", host).ok
    host.events.clear()
    outcome = dispatch("rate", host)
    assert outcome.ok and "rated 6 people of 2026-11" in outcome.text
    assert host.events == ["save", "close", "reopen"] and host.is_open


def test_the_master_is_reopened_when_the_core_fails(tmp_path):
    host = FileHost(copy_template(tmp_path))
    outcome = dispatch("report", host)  # nothing collected yet: the core refuses
    assert not outcome.ok and "nothing has been collected into this master yet" in outcome.text
    assert host.events == ["save", "close", "reopen"] and host.is_open


def test_collect_reports_progress_and_a_cancel_does_nothing(tmp_path):
    host = FileHost(copy_template(tmp_path), {"returned": [str(p) for p in sorted(RETURNED.glob("*.xlsx"))]})
    outcome = dispatch("collect", host)
    assert outcome.ok and "new 6" in outcome.text
    assert any(s and s.endswith(": 3/3") for s in host.statuses)
    # No files picked is a cancel: nothing closed, nothing shown.
    host2 = FileHost(copy_template(tmp_path / "two"))
    assert dispatch("collect", host2).text is None and host2.events == [] and host2.messages == []


#: A time kpixl records (``_collected_at``, the Log's when): ``2026-12-06T07:11:17+00:00``.
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def _timeless(ws) -> list[tuple]:
    """A sheet's rows with the recorded times blanked: the button and the command run
    seconds apart, and a second boundary between them is no difference."""
    return [tuple(_STAMP.sub("<time>", v) if isinstance(v, str) else v for v in row)
            for row in ws.iter_rows(values_only=True)]


def test_collect_rate_report_on_real_workbooks_say_what_the_commands_say(tmp_path, cli):
    """Each button leaves what its command leaves, and says what the command prints."""
    by_button, by_cli = copy_template(tmp_path / "button"), copy_template(tmp_path / "cli")
    host = FileHost(by_button, {"returned": [str(RETURNED)]})
    for tag, args in (("collect", ("collect", by_cli, RETURNED, "--quiet")), ("rate", ("rate", by_cli)),
                      ("report", ("report", by_cli))):
        outcome = dispatch(tag, host)
        rc, _, err = cli(*args)
        assert outcome.ok and rc == 0, (tag, outcome.text, err)
        assert outcome.text == err.strip(), tag
    a, b = openpyxl.load_workbook(by_button), openpyxl.load_workbook(by_cli)
    assert a.sheetnames == b.sheetnames
    for title in ("Results", "_collected", "等级与奖金", "奖金参数"):
        assert _timeless(a[title]) == _timeless(b[title]), title

    # Unfilled files sent back: every input is a problem, word for word as the command says it.
    sent = tmp_path / "sent"
    assert cli("distribute", by_cli, "--period", "2026-11", "--out", sent, "--workers", "1")[0] == 0
    blank = [str(p) for p in sorted(sent.glob("*.xlsx"))]
    fresh_button, fresh_cli = copy_template(tmp_path / "b2"), copy_template(tmp_path / "c2")
    outcome = dispatch("collect", FileHost(fresh_button, {"returned": blank}))
    rc, _, err = cli("collect", fresh_cli, *blank, "--quiet")
    assert rc == 2 and outcome.text == err.strip() and "no input for" in outcome.text
    assert not outcome.ok  # problems found: the press is not ok, and `kpixl macro collect` exits 2
    answers = [arg for p in blank for arg in ("--answer", f"returned={p}")]
    rc, out, _ = cli("macro", "collect", copy_template(tmp_path / "m3"), *answers)
    assert rc == 2 and "no input for" in out


# ---- Help, messages, the debug command --------------------------------------------------------


def test_help_names_the_version_and_every_button(tmp_path):
    from kpixl import __version__

    outcome = dispatch("help", FileHost(copy_template(tmp_path)))
    assert outcome.ok and f"kpixl {__version__}" in outcome.text and "xlwings 0.37.8" in outcome.text
    for b in BUTTONS[:-1]:
        assert b.label in outcome.text and b.label_en in outcome.text


def test_a_long_message_is_cut_for_the_box_and_a_short_one_is_not():
    short = "kpixl: 1 problem\nwhere  problem"
    assert fit_message(short) == (short, False)
    long = "\n".join(f"Roster!A{r}  duplicate id" for r in range(2, 202))
    text, cut = fit_message(long)
    assert cut and len(text.splitlines()) <= 30 and text.splitlines()[0] == "Roster!A2  duplicate id"
    assert "more lines" in text.splitlines()[-1]


def test_xlwings_host_refuses_an_unsaved_or_online_workbook():
    class Book:
        app = None

        def __init__(self, fullname):
            self.fullname = fullname

    with pytest.raises(FileProblem, match="never saved"):
        XlwingsHost(Book("Book1")).path
    with pytest.raises(FileProblem, match="OneDrive"):
        XlwingsHost(Book("https://d.docs.live.net/abc/kam.xlsx")).path


def test_kpixl_macro_presses_a_button_on_a_file(tmp_path, cli):
    master = copy_template(tmp_path)
    rc, out, _ = cli("macro", "generate", master, "--answer", "period=2026-10")
    assert rc == 0 and "已生成" in out and (tmp_path / "kam_monthly-2026-10.xlsx").is_file()
    rc, out, _ = cli("macro", "validate", broken_roster(tmp_path / "bad"))
    assert rc == 2 and "problems in the roster" in out
