"""``kpixl addin install|uninstall|status`` and ``kpixl macro``: the Excel side from a terminal.

``addin`` puts the ribbon add-in where Excel loads it and tells it which Python to run
(:mod:`kpixl.addin.install`); on Linux and macOS it says what it would do and why it
cannot (exit 2 for install/uninstall, 0 for status).

``macro TAG WORKBOOK`` presses a ribbon button on a workbook file without Excel — the
same button code and dispatcher, with the questions answered by ``--answer key=value``
(``period``, ``out``, ``returned``): a way to see what a button does, and to debug one.
"""

from __future__ import annotations

import argparse
import sys

EXIT_PROBLEMS = 2


def cmd_addin(args: argparse.Namespace) -> int:
    from ..addin import install as inst

    if args.action == "status":
        st = inst.status()
        print(st.summary())
        if not st.supported:
            print(inst.explain("status"), file=sys.stderr)
        return 0
    try:
        if args.action == "install":
            done = inst.install(source=args.addin)
        else:
            done = inst.uninstall()
    except inst.NotSupported as e:
        print(e, file=sys.stderr)
        return EXIT_PROBLEMS
    print(done.summary())
    return 0


def _answers(pairs: list[str]) -> dict[str, object]:
    answers: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"kpixl: --answer takes key=value, got {pair!r}")
        if key == "returned":  # several files: repeat --answer returned=…
            answers.setdefault(key, []).append(value)  # type: ignore[union-attr]
        else:
            answers[key] = value
    return answers


def cmd_macro(args: argparse.Namespace) -> int:
    from ..macros import FileHost, dispatch

    host = FileHost(args.workbook, _answers(args.answer), out=sys.stdout)
    outcome = dispatch(args.tag, host)
    return 0 if outcome.ok else EXIT_PROBLEMS


def add_parser(subparsers) -> None:
    """Register ``addin`` and ``macro`` on the ``kpixl`` command's subparsers."""
    a = subparsers.add_parser("addin", help="install, remove or inspect the Excel ribbon add-in (Windows)")
    acts = a.add_subparsers(dest="action", required=True)
    i = acts.add_parser("install", help="copy kpixl.xlam to Excel's XLSTART and write the add-in's configuration")
    i.add_argument("--addin", help="the .xlam to install (default: the one packaged with kpixl)")
    acts.add_parser("uninstall", help="remove the add-in and the configuration keys install wrote")
    acts.add_parser("status", help="what is installed where, and the versions")
    a.set_defaults(run=cmd_addin)

    from ..macros.registry import BUTTONS

    m = subparsers.add_parser("macro", help="press a ribbon button on a workbook file, without Excel")
    m.add_argument("tag", choices=[b.id for b in BUTTONS], help="the button")
    m.add_argument("workbook", help="the workbook the button is pressed in")
    m.add_argument("--answer", action="append", default=[], metavar="KEY=VALUE",
                   help="an answer to the button's question: period=2026-11, out=FOLDER, returned=FILE (repeatable)")
    m.set_defaults(run=cmd_macro)
