"""The ``kpixl`` command: thin — parse arguments, call the core, print.

Problems print as a table (place, problem, value) and the command exits non-zero;
no traceback reaches the user (set ``KPIXL_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from ..errors import FileProblem, InputError, KpixlError, Problem
from ..periods import canonical_text
from ..console import EXIT_INTERNAL, EXIT_PROBLEMS, print_problems, progress, table

# ---- commands ---------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from ..scheme import load_scheme

    s = load_scheme(args.scheme)
    print(f"{s.name}  (id {s.id}, version {s.version}, period {s.period}, full marks {s.scale:g})")
    rows = []
    for sec in s.sections:
        weight = f"{sec.weight:.0%}" if sec.weight is not None else "points"
        for item in sec.items:
            raters = s.raters_of(item)
            who = ", ".join(f"{r} {w:g}" for r, w in raters.items()) if raters else (item.rater or "")
            target = item.target.column if hasattr(item.target, "column") else ("" if item.target is None else f"{item.target:g}")
            rows.append((f"{sec.name or sec.id} ({weight})", item.id, item.name, f"{item.points:g}", describe_rule(item.rule), target, who))
    print(table(["section", "item", "name", "P", "rule", "target", "raters"], rows, [22, 16, 20, 5, 60, 12, 28]))
    if s.ratings is not None:
        r = s.ratings
        if r.bands:
            print("ratings: " + "; ".join(f"{b.name} ≥{b.min:g}" if b.min is not None else b.name for b in r.bands))
        else:
            d = r.distribution
            print("ratings (forced distribution" + (f" by {d.group_by}" if d.group_by else "") + "): "
                  + "; ".join(f"{q.name} {q.share:.0%}" for q in d.quotas))
    if s.bonus is not None:
        b = s.bonus
        base = b.base.column if hasattr(b.base, "column") else f"{b.base:g}"
        curve = "; ".join((f"<{c.below:g}: " if c.below is not None else "else: ") + (f"×{c.factor:g}" if c.factor != "score" else "×score/scale") for c in b.curve)
        print(f"bonus: base {base}; curve {curve}")
    print("scheme OK")
    return 0


def describe_rule(rule) -> str:
    """A one-line summary of a rule's parameters."""
    params = rule.model_dump(mode="json", exclude_defaults=True)
    params.pop("type", None)
    text = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False, separators=(',', ':'))}" for k, v in params.items())
    return f"{rule.type} {text}".strip()


def cmd_score(args: argparse.Namespace) -> int:
    from ..engine.score import compute, prepare

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise FileProblem(out, "choosing the output", "--out must end in .xlsx (live formulas) or .csv")
    prepared = prepare(args.scheme, args.inputs, args.roster)
    if prepared.n == 0 and not prepared.problems:  # a header and no one under it
        raise InputError([Problem(prepared.inputs.name, "no_rows", "the table has a header but no rows: "
                                  "add one row per person to score")], "inputs")
    if prepared.problems:
        raise InputError(list(prepared.problems), "inputs")
    results = compute(prepared)
    if out is not None:
        if out.suffix.lower() == ".csv":
            from ..xlsx.atomic import replace_atomically

            # 15 significant digits: what a cell shows (48, not 48.00000000000001).
            replace_atomically(out, lambda tmp: results.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.15g"),
                               "writing the results")
        else:
            from ..results.scored import write_workbook

            write_workbook(prepared, out)
        print(f"wrote {out}", file=sys.stderr)
    if args.json:
        print(results.to_json(orient="records", force_ascii=False, indent=1))
    else:
        s = prepared.scheme  # a scheme without ratings or a bonus: no empty columns on the screen
        shown = results.drop(columns=[c for c, none in (("rating", s.ratings is None), ("bonus", s.bonus is None))
                                      if none and c in results.columns])
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if prepared.notes:  # counted as their limits (beyond: cap): said after the results, not refused
        print_problems(InputError(list(prepared.notes), "inputs (notes)"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    return run_demo(Path(args.out), verify=args.verify)


def cmd_distribute(args: argparse.Namespace) -> int:
    from ..card.distribute import distribute

    m = distribute(_in_lang(args.template, args.lang), args.roster, args.period, args.out, manager_column=args.manager_column,
                   workers=args.workers, progress=progress("writing workbooks"))
    rows = [(e.manager, e.file, e.people, e.sha256[:12]) for e in m.entries]
    print(table(["manager", "file", "people", "sha256"], rows))
    print(f"{len(m.entries)} workbooks, {m.people} people, scheme {m.scheme_id} v{m.scheme_version}, "
          f"period {m.period}; manifest: {m.csv_path}", file=sys.stderr)
    return 0


def _in_lang(template: str, lang: str | None):
    """The template path, or the template read with its 汇总 headers in ``lang``."""
    if not lang:
        return template
    import dataclasses

    from ..card.template import read_template

    return dataclasses.replace(read_template(template), lang=lang)


def cmd_generate(args: argparse.Namespace) -> int:
    from ..card.generate import generate_workbook

    g = generate_workbook(_in_lang(args.template, args.lang), args.roster, args.period, args.out, inputs=args.inputs,
                          progress=None if args.quiet else progress("generating sheets"))
    if not args.quiet:
        print(f"wrote {g.path}: {len(g.sheets)} person sheets and {g.summary}, period {g.period} "
              f"({g.seconds:.1f} s)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpixl", description="Appraisal (考核) and bonus for customer managers, in Excel.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="validate a scheme and print it as a table")
    c.add_argument("scheme", help="scheme file: .yaml, .json, or a workbook with a Scheme sheet")
    c.set_defaults(run=cmd_check)

    s = sub.add_parser("score", help="score an inputs table")
    s.add_argument("scheme")
    s.add_argument("--inputs", required=True, help="inputs table (.csv or .xlsx): employee_id + item columns")
    s.add_argument("--roster", help="roster (.csv or .xlsx) with the columns the scheme names")
    s.add_argument("--out", help="write the results: .xlsx (live formulas) or .csv")
    s.add_argument("--json", action="store_true", help="print the results as JSON")
    s.set_defaults(run=cmd_score)

    d = sub.add_parser("demo", help="score the built-in demo (30 大客户经理) and write a live workbook")
    d.add_argument("--out", default="kpixl-demo.xlsx", help="where to write the workbook (default: kpixl-demo.xlsx)")
    d.add_argument("--verify", action="store_true", help="recalculate the workbook with LibreOffice and compare")
    d.set_defaults(run=cmd_demo)

    ds = sub.add_parser("distribute", help="one workbook per manager (the roster's manager column) and a manifest")
    ds.add_argument("template", help="template workbook (Scheme, Roster and 考核表 sheets)")
    ds.add_argument("--roster", help="roster (.csv or .xlsx) instead of the template's Roster sheet")
    ds.add_argument("--period", required=True, type=canonical_text, help="the period, e.g. 2026-11 or 2026Q4")
    ds.add_argument("--out", required=True, help="folder to write the workbooks and manifest.csv/.json into")
    ds.add_argument("--manager-column", default="经理", help="roster column naming each person's manager (default: 经理)")
    ds.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    ds.add_argument("--lang", choices=("zh", "en"), help="汇总 headers in Chinese or English (default: the master's setting)")
    ds.set_defaults(run=cmd_distribute)
    g = sub.add_parser("generate", help="one protected scorecard sheet per roster row, and a summary sheet")
    g.add_argument("template", help="template workbook (Scheme, 考核表 and usually Roster sheets)")
    g.add_argument("--roster", help="roster (.csv or .xlsx) instead of the template's Roster sheet")
    g.add_argument("--period", required=True, type=canonical_text, help="the period, e.g. 2026-11, 2026Q4, 2026H1 or 2026")
    g.add_argument("--out", help="workbook to write (default: <template>-<period>.xlsx beside the template)")
    g.add_argument("--inputs", help="inputs table (.csv or .xlsx) whose values pre-fill the input cells")
    g.add_argument("--quiet", action="store_true", help="print no progress")
    g.add_argument("--lang", choices=("zh", "en"), help="汇总 headers in Chinese or English (default: the master's setting)")
    g.set_defaults(run=cmd_generate)
    from .master import add_parser as add_master_parser  # kpixl collect | rate | report | year
    add_master_parser(sub)
    from .addin import add_parser as add_addin_parser  # kpixl addin install|uninstall|status; kpixl macro
    add_addin_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kpixl`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as e:
        print_problems(e)
        return EXIT_PROBLEMS
    except FileProblem as e:
        print(f"kpixl: {e}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KpixlError as e:
        print(f"kpixl: {e}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kpixl score … | head`: the reader left; nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # the promise: never a traceback for the user
        if os.environ.get("KPIXL_DEBUG"):
            raise
        print(f"kpixl: internal error ({type(e).__name__}: {e}). Run again with KPIXL_DEBUG=1 for details, "
              "and report it with the files you used.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
