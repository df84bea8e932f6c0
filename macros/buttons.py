"""What each ribbon button does: ask, call the same function as the ``kpixl`` command, report.

No scoring and no workbook logic lives here (STYLE: the ribbon, the UDFs and the CLI
call the same core functions). Each button takes a :class:`~kpixl.macros.host.Host`,
asks it for what the matching command takes as arguments, calls the core and returns
the text to show (None shows nothing: the user cancelled). Problems are raised as the
core raises them; :func:`kpixl.macros.dispatch` turns them into a message.

=============  =====================================  ======================================
button         the core function                      the command
=============  =====================================  ======================================
generate       ``workbook.generate.generate_workbook``  ``kpixl generate``
distribute     ``workbook.distribute.distribute``     ``kpixl distribute``
collect        ``workbook.collect.collect``           ``kpixl collect``
validate       ``scheme`` + ``workbook.roster``       ``kpixl check`` (and distribute's roster check)
rate           ``workbook.rate.rate``                 ``kpixl rate``
report         ``workbook.report.report``             ``kpixl report``
year           ``year.build_year``                    ``kpixl year``
help           —                                      ``kpixl --help``
=============  =====================================  ======================================
"""

from __future__ import annotations

import datetime as _dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .host import Host, progress_to
from .registry import Said

__all__ = ["collect", "distribute", "generate", "help", "rate", "report", "validate", "year"]

PERIOD_PROMPT = "考核期间 / period (2026-11, 2026Q4, 2026H1, 2026; 默认上月 / default: last month)"
#: Inside Excel, Python runs as xlwings' COM server; worker processes started from it
#: are untested on Windows, and one process writes the very same files (only slower).
WORKERS_IN_EXCEL = 1


def last_month(today: _dt.date | None = None) -> str:
    """The default period: last month (``2026-11`` in December), the one HR appraises."""
    first = (today or _dt.date.today()).replace(day=1)
    return f"{first - _dt.timedelta(days=1):%Y-%m}"


def _ask_period(host: Host) -> str | None:
    """Ask for the period, offering last month; the answer is stated in the button's message."""
    from kpixl.periods import canonical_text

    period = host.ask("period", PERIOD_PROMPT, last_month())
    return None if period is None or not period.strip() else canonical_text(period.strip())  # 2026年11月 too


@contextmanager
def _master_closed(host: Host) -> Iterator[str]:
    """Save and close the master while the core rewrites it (atomically); open it again after."""
    host.save()
    path = host.path
    host.close()
    try:
        yield path
    finally:
        host.reopen()


def _report(result, what: str) -> Said:
    """A master command's outcome as its command prints it: problems, warnings, then the summary.

    Not ``ok`` when the command reported problems (``kpixl collect`` exits 2 then too).
    """
    from kpixl.console import format_problems
    from kpixl.errors import InputError

    parts = []
    for found, label in ((getattr(result, "problems", None), what), (getattr(result, "warnings", None), f"{what} (warnings)")):
        if found:
            parts.append(format_problems(InputError(found, label)))
    return Said("\n".join(parts + [result.summary()]), ok=not getattr(result, "problems", None))


def generate(host: Host) -> str | None:
    """*Generate* (生成考核表): one scorecard sheet per roster row and a summary — ``kpixl generate``.

    Asks for the period (last month by default) and the file to write (default
    ``<workbook>-<period>.xlsx`` beside the workbook, as the command does without ``--out``).
    """
    from kpixl.card.generate import generate_workbook

    period = _ask_period(host)
    if period is None:
        return None
    here = Path(host.path)
    out = host.ask("out", f"输出文件 / file to write (period {period})", str(here.with_name(f"{here.stem}-{period}.xlsx")))
    if out is None or not out.strip():
        return None
    host.save()
    g = generate_workbook(host.path, None, period, out.strip(), progress=progress_to(host, "生成 / generating sheets"))
    return (f"已生成 / wrote {g.path}: {len(g.sheets)} person sheets and {g.summary}, "
            f"period {g.period} ({g.seconds:.1f} s)")


def distribute(host: Host) -> str | None:
    """*Distribute* (分发): one workbook per manager and a manifest — ``kpixl distribute``.

    Asks for the period and the output folder (default: ``<workbook folder>/<period>``).
    """
    from kpixl.console import table
    from kpixl.card.distribute import distribute as distribute_workbooks

    period = _ask_period(host)
    if period is None:
        return None
    default = str(Path(host.path).parent / period)
    out = host.ask("out", "输出文件夹 / folder to write the workbooks into", default)
    if out is None or not out.strip():
        return None
    host.save()
    m = distribute_workbooks(host.path, None, period, out.strip(), workers=WORKERS_IN_EXCEL,
                             progress=progress_to(host, "分发 / writing workbooks"))
    rows = [(e.manager, e.file, e.people) for e in m.entries]
    return (f"已分发 / {len(m.entries)} workbooks, {m.people} people, scheme {m.scheme_id} v{m.scheme_version}, "
            f"period {m.period}\n{table(['manager', 'file', 'people'], rows)}\nmanifest: {m.csv_path}")


def collect(host: Host) -> str | None:
    """*Collect* (收回): read the returned workbooks into the master — ``kpixl collect``.

    Asks for the returned files; the master is closed while it is rewritten.
    """
    from kpixl.master.collect import collect as collect_returned

    returned = host.pick_files("returned", "选择收回的考核表 / choose the returned workbooks")
    if not returned:
        return None
    with _master_closed(host) as master:
        result = collect_returned(master, returned, progress=progress_to(host, "收回 / reading returned workbooks"))
    return _report(result, "returned files")


def validate(host: Host) -> str | None:
    """*Validate* (校验): the scheme and the roster, every problem with its cell — ``kpixl check``.

    The scheme is read as ``kpixl check`` and ``kpixl generate`` read it (with the card
    sheet), and the roster is checked as ``kpixl distribute`` checks it before writing
    anything. Problems are raised (:class:`kpixl.InputError`) and shown as a table.
    """
    from kpixl.errors import InputError
    from kpixl.scheme import load_scheme
    from kpixl.card.distribute import group_by_manager, roster_table
    from kpixl.card.generate import load_template
    from kpixl.card.roster import MANAGER, check_roster

    host.save()
    load_scheme(host.path)  # first as `kpixl check` reads it: the same problems, word for word
    tpl = load_template(host.path)
    t = roster_table(tpl)
    problems = check_roster(t, tpl.scheme)
    if problems:
        raise InputError(problems, "roster")
    s = tpl.scheme
    items = sum(1 for _ in s.items())
    managers = len(group_by_manager(t, MANAGER))
    return (f"全部通过 / all checks passed: {Path(host.path).name}\n"
            f"scheme {s.name} (id {s.id}, version {s.version}): {len(s.sections)} sections, {items} items\n"
            f"roster {t.name}: {len(t.df)} people, {managers} managers")


def rate(host: Host) -> str | None:
    """*Rate & Bonus* (评级与奖金): ratings, bonuses and pay (工资核算) into the master — ``kpixl rate``."""
    from kpixl.master.rate import rate as rate_master

    with _master_closed(host) as master:
        result = rate_master(master)
    return _report(result, "master")


def report(host: Host) -> str | None:
    """*Report* (报告): the appraisal report of the master — ``kpixl report``."""
    from kpixl.master.report import report as report_master

    with _master_closed(host) as master:
        result = report_master(master)
    return _report(result, "master")


def year(host: Host) -> str | None:
    """*Year* (年度汇总): build or rebuild the year master — ``kpixl year``.

    Pressed in a year master, it rebuilds it from the period masters it was built from
    (late corrections taken, every change listed). Pressed in a period master, it asks
    for the year master to write (default ``年度汇总-<year>.xlsx`` beside it), the roll-up
    component (empty: the scheme's only one), the period masters to add (this one
    is offered first) and — when the scheme has a level ladder — earlier year masters
    whose annual ratings the ladder's rules over several years read (optional); the same
    as ``kpixl year OUT -c COMPONENT MASTER… --earlier EARLIER…``.
    """
    from kpixl.year import build_year
    from kpixl.year.build import is_year_master

    here = Path(host.path)
    if is_year_master(here):
        with _master_closed(host) as path:
            result = build_year(path, progress=progress_to(host, "年度 / reading period masters"))
        return _report(result, "year")
    default = here.with_name(f"年度汇总-{_dt.date.today().year}.xlsx")
    out = host.ask("out", "年度汇总文件 / the year master to write or rebuild", str(default))
    if out is None or not out.strip():
        return None
    component = host.ask("component", "组成部分 / roll-up component (留空: 唯一的组成部分 / empty: the only one)", "")
    if component is None:
        return None
    masters = host.pick_files("masters", "选择各期主表 / choose the period masters (本表也可选 / this one too)")
    if not masters:
        return None
    earlier: list[str] = []
    if _has_levels(here):  # the level ladder's rules over several years read earlier years' ratings
        earlier = host.pick_files("earlier", "往年年度主表(职级评审用, 可不选) / earlier year masters for the "
                                             "level ladder (optional: cancel to skip)")
    host.save()
    comp = component.strip()
    result = build_year(out.strip(), [] if comp else masters, {comp: masters} if comp else None,
                        progress=progress_to(host, "年度 / reading period masters"), earlier=earlier)
    return _report(result, "year")


def _has_levels(master: Path) -> bool:
    """Whether the master's scheme has a level ladder (``levels``); False when it cannot be read."""
    from kpixl import KpixlError
    from kpixl.scheme.io import load_scheme

    try:
        return load_scheme(master).levels is not None
    except KpixlError:
        return False  # build_year reads the scheme again and says what is wrong, with its place


def help(host: Host) -> str | None:  # noqa: A001 — the button is called help
    """*Help* (帮助): the version, what each button does, and where the documentation is."""
    from importlib import metadata

    from kpixl import KpixlError, __version__

    from .registry import BUTTONS

    try:
        xlwings_version = metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        xlwings_version = "not installed"
    docs = "README.md of kpixl; in a terminal: kpixl --help"
    try:
        urls = metadata.metadata("kpixl").get_all("Project-URL") or []
        docs = next((u.split(",", 1)[1].strip() for u in urls if "," in u), docs)
    except metadata.PackageNotFoundError:
        pass
    lines = [f"kpixl {__version__} (xlwings {xlwings_version}) — 客户经理考核与绩效奖金", ""]
    lines += [f"{b.label} / {b.label_en}: {b.help}" for b in BUTTONS if b.id != "help"]
    try:
        where = host.path
    except KpixlError as e:  # an unsaved workbook: Help still helps
        where = str(e)
    lines += ["", f"文档 / documentation: {docs}", f"workbook: {where}"]
    return "\n".join(lines)
