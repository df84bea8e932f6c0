"""``kpixl collect``, ``rate``, ``report`` and ``year``: the commands that write into a master.

Thin: each parses its arguments, calls the same function as the ribbon button, prints
the problems as a table and the summary, and exits 2 when something needs fixing.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ..periods import canonical_text

from ..console import EXIT_PROBLEMS


def _print_report(problems, warnings, what: str) -> None:
    from ..console import print_problems

    if problems:
        print_problems(InputError(problems, what))
    if warnings:
        print_problems(InputError(warnings, what + " (warnings)"))


def cmd_collect(args: argparse.Namespace) -> int:
    from ..console import progress
    from ..master.collect import collect

    report = collect(args.master, args.returned, period=args.period,
                     progress=None if args.quiet else progress("reading returned files"), lang=args.lang)
    _print_report(report.problems, report.warnings, "returned files")
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else EXIT_PROBLEMS


def cmd_rate(args: argparse.Namespace) -> int:
    from ..master.rate import rate

    result = rate(args.master, verify=args.verify, lang=args.lang)
    _print_report(result.problems, [], "master")
    print(result.summary(), file=sys.stderr)
    return 0 if result.ok else EXIT_PROBLEMS


def cmd_report(args: argparse.Namespace) -> int:
    from ..master.report import report

    result = report(args.master, lang=args.lang)
    print(result.summary(), file=sys.stderr)
    return 0


def cmd_year(args: argparse.Namespace) -> int:
    from ..console import progress
    from ..year import build_year

    components: dict[str, list[str]] = {}
    for comp, *paths in args.component or []:
        components.setdefault(comp, []).extend(paths)
    year = build_year(args.out, args.masters, components, period=args.period, verify=args.verify,
                      progress=None if args.quiet else progress("reading period masters"),
                      earlier=args.earlier or ())
    _print_report(year.problems, year.warnings, "year")
    print(year.summary(), file=sys.stderr)
    return 0 if year.ok else EXIT_PROBLEMS


def add_parser(sub) -> None:
    """Register ``collect``, ``rate``, ``report`` and ``year`` on the ``kpixl`` subparsers."""
    c = sub.add_parser("collect", help="collect returned workbooks into the master: validate, log, consolidate")
    c.add_argument("master", help="the master workbook (Scheme, Roster and 考核表 sheets)")
    c.add_argument("returned", nargs="+", help="returned workbooks, or folders holding them")
    c.add_argument("--period", type=canonical_text, help="the period to collect (default: the master's, else the sheets')")
    c.add_argument("--quiet", action="store_true", help="print no progress")
    _lang(c)
    c.set_defaults(run=cmd_collect)

    r = sub.add_parser("rate", help="ratings, bonuses and pay (工资核算) of the collected period, as live formulas")
    r.add_argument("master")
    r.add_argument("--verify", action="store_true",
                   help="recalculate the master with LibreOffice and compare with the engine")
    _lang(r)
    r.set_defaults(run=cmd_rate)

    p = sub.add_parser("report", help="a summary sheet per department: rating chart, item averages, who is missing")
    p.add_argument("master")
    _lang(p)
    p.set_defaults(run=cmd_report)

    y = sub.add_parser("year", help="the year (or quarter) master: period masters copied in, rolled up, rated and "
                                    "paid as live formulas; run again to take late corrections",
                       description="Build or rebuild OUT from the period masters of one scheme. Masters given "
                                   "plainly belong to the scheme's only roll-up component; with several "
                                   "(周/月检, 月考核, 年终) give each group as -c COMPONENT MASTER…. Run again "
                                   "with no masters to re-read every master the year was built from.")
    y.add_argument("out", help="the year master to write (rebuilt in place, keeping finance's edits)")
    y.add_argument("masters", nargs="*", help="period masters (of the scheme's only component)")
    y.add_argument("-c", "--component", nargs="+", action="append", metavar=("COMPONENT", "MASTER"),
                   help="a roll-up component and its period masters, e.g. -c monthly 2026-*.xlsx")
    y.add_argument("--period", type=canonical_text, help="the year's label (default: the periods' calendar year, e.g. 2026)")
    y.add_argument("--earlier", nargs="+", metavar="YEAR_MASTER",
                   help="year masters of earlier years: their annual ratings are copied in (往年年度) for the "
                        "level rules over several years (连续两年优秀 → 快速晋升)")
    y.add_argument("--verify", action="store_true",
                   help="recalculate the year master with LibreOffice and compare with the engine")
    y.add_argument("--quiet", action="store_true", help="print no progress")
    y.set_defaults(run=cmd_year)


def _lang(parser) -> None:
    parser.add_argument("--lang", choices=("zh", "en"),
                        help="headers in Chinese (zh, the default) or English (en); kept in the master for later runs")
