"""``kpixl collect``, ``kpixl rate`` and ``kpixl report``: the commands that write into a master.

Thin: each parses its arguments, calls the same function as the ribbon button, prints
the problems as a table and the summary, and exits 2 when something needs fixing.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError

from .output import EXIT_PROBLEMS


def _print_report(problems, warnings, what: str) -> None:
    from .output import print_problems

    if problems:
        print_problems(InputError(problems, what))
    if warnings:
        print_problems(InputError(warnings, what + " (warnings)"))


def cmd_collect(args: argparse.Namespace) -> int:
    from .output import progress
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


def add_parser(sub) -> None:
    """Register ``collect``, ``rate`` and ``report`` on the ``kpixl`` subparsers."""
    c = sub.add_parser("collect", help="collect returned workbooks into the master: validate, log, consolidate")
    c.add_argument("master", help="the master workbook (Scheme, Roster and 考核表 sheets)")
    c.add_argument("returned", nargs="+", help="returned workbooks, or folders holding them")
    c.add_argument("--period", help="the period to collect (default: the master's, else the sheets')")
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


def _lang(parser) -> None:
    parser.add_argument("--lang", choices=("zh", "en"),
                        help="headers in Chinese (zh, the default) or English (en); kept in the master for later runs")
