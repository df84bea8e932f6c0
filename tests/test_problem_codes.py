"""The problem-code catalogue (kpixl/problems.py): complete, used, documented, enforced.

The source is scanned (an AST walk) for every place a code is written: the second
argument of ``Problem(...)``, the code of the records that become problems
(``RowProblem``, ``Issue``, ``issue``), any helper that takes ``code`` and passes it on
(found by following the parameter), ``(path, code, message)`` findings returned by the
scheme checks, ``code = ...`` assignments, ``x.code == ...`` comparisons and the sheet
reader's ``poison`` filters. Pydantic's own error types are not in the source; each
catalogued one is produced here by a scheme that has it.
"""

from __future__ import annotations

import ast
import copy
import importlib.machinery
import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from kpixl.errors import InputError, Problem
from kpixl.problems import CODES, KINDS, entry
from kpixl.scheme.validate import pydantic_problems, scheme_from_dict

ROOT = Path(__file__).resolve().parent.parent
TREES = ("kpixl", "udfs", "macros")
#: The records a code goes into, and the position of ``code`` among their arguments.
BUILDERS = {"Problem": 1, "RowProblem": 2, "PayProblem": 2, "Issue": 2, "issue": 2}
#: Return annotations of the functions that give ``(path, code, message)`` findings.
FINDINGS = ("Found", "tuple[str, str, str]")

#: Calls that pass on a code made elsewhere (a helper's parameter, another record's
#: code), reviewed by hand. A new one fails :func:`test_passed_on_codes_are_the_known_ones`
#: until it is checked that its codes come from a scanned place, then added here.
PASSED_ON = {
    "kpixl/bonus.py RowProblem(p.code)",  # re-rows bonus_problems' RowProblems
    "kpixl/bonus.py Problem(p.code)",  # RowProblem -> Problem
    "kpixl/card/formulas.py Problem(code)",  # _miss
    "kpixl/card/roster.py Problem(code)",  # add
    "kpixl/engine/score.py Problem(code)",  # add
    "kpixl/engine/score.py add(code)",  # cells; bonus_problems' RowProblem codes
    "kpixl/engine/score.py cells(issue.code)",  # a rule's Issue
    "kpixl/master/collect/check.py Problem(p.code)",  # an engine problem re-placed as a warning
    "kpixl/master/pay.py Problem(p.code)",  # pay_problems' PayProblems placed at their cells
    "kpixl/pay/amounts.py Problem(p.code)",  # PayProblem -> Problem
    "kpixl/pay/sheet.py Problem(code)",  # read_params: check_pay findings at 薪酬参数
    "kpixl/rules/base.py Issue(code)",  # issue()
    "kpixl/rules/count.py issue(code)",  # _beyond_issues: beyond_limit (error) or capped (note)
    "kpixl/scheme/sheet/read.py Problem(code)",  # add
    "kpixl/scheme/sheet/read.py add(code)",  # parse: code = ... (scanned)
    "kpixl/scheme/validate.py Problem(code)",  # findings and pydantic_problems
    "udfs/_excel.py Problem(p.code)",  # a scheme problem renamed to the argument
    "kpixl/year/figures.py Problem(p.code)",  # bonus_problems' RowProblem -> Problem on 年度汇总
    "kpixl/year/sources.py Problem(p.code)",  # a period master's problem, placed in that file
}


# ---- the scan ----------------------------------------------------------------------------


def _trees() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
            for folder in TREES for path in sorted((ROOT / folder).rglob("*.py"))]


def _name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _code_arg(call: ast.Call, index: int) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == "code":
            return k.value
    return call.args[index] if len(call.args) > index else None


def _literals(expr: ast.expr) -> tuple[list[str], bool]:
    """The codes an expression gives (a string, or the branches of ``a if c else b``).

    Returns:
        The literal codes, and whether the expression gives only those.
    """
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value], True
    if isinstance(expr, ast.IfExp):
        (a, a_all), (b, b_all) = _literals(expr.body), _literals(expr.orelse)
        return a + b, a_all and b_all
    return [], False


def _helpers(trees) -> dict[str, dict[str, int]]:
    """Per module, the functions that take ``code`` and pass it on to a builder: name -> position.

    Followed to a fixed point, so a helper of a helper counts. A call is resolved by
    name within its own module (``self.add`` means this module's ``add``).
    """
    helpers: dict[str, dict[str, int]] = {path: {} for path, _ in trees}
    changed = True
    while changed:
        changed = False
        for path, tree in trees:
            for fn in ast.walk(tree):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name in helpers[path]:
                    continue
                args = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                args = args[1:] if args and args[0] in ("self", "cls") else args
                if "code" not in args:
                    continue
                for call in ast.walk(fn):
                    i = _slot(call, path, helpers) if isinstance(call, ast.Call) else None
                    arg = _code_arg(call, i) if i is not None else None
                    if isinstance(arg, ast.Name) and arg.id == "code":
                        helpers[path][fn.name] = args.index("code")
                        changed = True
                        break
    return helpers


def _slot(call: ast.Call, path: str, helpers) -> int | None:
    name = _name(call)
    return BUILDERS[name] if name in BUILDERS else helpers[path].get(name)


def scan() -> tuple[dict[str, list[str]], set[str]]:
    """Every code written in kpixl/, udfs/ and macros/.

    Returns:
        ``code -> ["path:line how", …]``, and the calls that pass on a code made
        elsewhere (``"path name(argument)"``).
    """
    trees = _trees()
    helpers = _helpers(trees)
    found: dict[str, list[str]] = defaultdict(list)
    passed: set[str] = set()

    def note(codes, path, node, how):
        for c in codes:
            found[c].append(f"{path}:{node.lineno} {how}")

    for path, tree in trees:
        for fn in ast.walk(tree):
            if (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.returns is not None
                    and any(a in ast.unparse(fn.returns) for a in FINDINGS)):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Tuple) and len(node.elts) == 3:
                        note(_literals(node.elts[1])[0], path, node, "finding")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (i := _slot(node, path, helpers)) is not None:
                arg = _code_arg(node, i)
                if arg is None:
                    continue
                codes, only = _literals(arg)
                note(codes, path, node, _name(node))
                if not only:
                    passed.add(f"{path} {_name(node)}({ast.unparse(arg)})")
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                note(_literals(node.value)[0], path, node, "code =")
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "code":
                for c in node.comparators:
                    for e in c.elts if isinstance(c, (ast.Tuple, ast.List, ast.Set)) else [c]:
                        note(_literals(e)[0], path, node, ".code compared")
            elif isinstance(node, (ast.AugAssign, ast.Call)) and "poison" in ast.unparse(
                    node.target if isinstance(node, ast.AugAssign) else node.func):
                for t in ast.walk(node.value if isinstance(node, ast.AugAssign) else node):
                    if isinstance(t, ast.Tuple) and len(t.elts) == 2:
                        note(_literals(t.elts[1])[0], path, node, "poison")
    return found, passed


@pytest.fixture(scope="module")
def scanned():
    return scan()


# ---- the source and the catalogue agree ---------------------------------------------------


def test_the_scan_sees_every_kind_of_place(scanned):
    """Guards the scan itself: each way of writing a code is found at a known place."""
    found, _ = scanned
    hows = {c: {s.split(" ", 1)[1] for s in sites} for c, sites in found.items()}
    assert "Problem" in hows["locked_changed"]  # Problem(where, "code", …)
    assert "RowProblem" in hows["negative"]  # bonus rows
    assert "issue" in hows["missing_score"]  # a rule's issue()
    assert "cells" in hows["not_yes_no"]  # a helper of a helper of Problem
    assert "add" in hows["no_manager"]  # a nested helper (roster.py's add)
    assert "_miss" in hows["missing_input_cell"]
    assert "finding" in hows["band_gap"]  # tiers' _compile → scheme_problems
    assert "finding" in hows["weights_sum"]  # scheme.check
    assert "code =" in hows["bad_value"] and "code =" in hows["invalid_value"]
    assert ".code compared" in hows["duplicate_id"]
    assert "poison" in hows["na_group_unused"]
    assert len(found) > 100


def test_every_code_in_the_source_is_catalogued(scanned):
    found, _ = scanned
    unknown = {c: sites for c, sites in found.items() if c not in CODES}
    assert not unknown, f"codes missing from kpixl/problems.py: {unknown}"


def test_every_catalogued_code_is_used(scanned):
    found, _ = scanned
    dead = sorted(c for c, e in CODES.items() if not e.pydantic and c not in found)
    assert not dead, f"catalogued but never written in the source: {dead}"
    # Pydantic types are not written in the source; each is produced below.
    assert {c for c, e in CODES.items() if e.pydantic} == set(PYDANTIC_CASES)


def test_passed_on_codes_are_the_known_ones(scanned):
    _, passed = scanned
    assert passed == PASSED_ON


# ---- pydantic's error types ---------------------------------------------------------------

MINIMAL = {"id": "m", "name": "最小方案", "sections": [{"id": "s", "items": [
    {"id": "ok", "points": 10, "rule": {"type": "binary"}}]}]}
COUNT = {"type": "count", "base": 10, "counters": [{"id": "c", "per": 1}]}


def _with(**fields):
    d = copy.deepcopy(MINIMAL)
    d.update(fields)
    return d


def _item(**fields):
    d = copy.deepcopy(MINIMAL)
    d["sections"][0]["items"][0].update(fields)
    return d


#: code -> a scheme that has exactly that pydantic error (and the place it is at).
PYDANTIC_CASES = {
    "missing": ({k: v for k, v in MINIMAL.items() if k != "name"}, "name"),
    "extra_forbidden": (_with(zzz=1), "zzz"),
    "union_tag_invalid": (_item(rule={"type": "nope"}), "sections[0].items[0].rule"),
    "union_tag_not_found": (_item(rule={"cap": 1}), "sections[0].items[0].rule"),
    "value_error": (_with(sections=[{"id": "1", "items": MINIMAL["sections"][0]["items"]}]), "sections[0].id"),
    "model_type": (_with(sections=["x"]), "sections[0]"),
    "model_attributes_type": (_item(rule="x"), "sections[0].items[0].rule"),
    "dict_type": (_item(raters="x"), "sections[0].items[0].raters"),
    "list_type": (_with(sections="x"), "sections"),
    "tuple_type": (_item(rule={**COUNT, "counters": "x"}), "sections[0].items[0].rule.counters"),
    "too_short": (_with(sections=[]), "sections"),
    "string_type": (_with(name=5), "name"),
    "string_pattern_mismatch": (_with(id="a/b"), "id"),
    "float_type": (_item(points=[1]), "sections[0].items[0].points"),
    "float_parsing": (_item(points="abc"), "sections[0].items[0].points"),
    "finite_number": (_item(points=float("inf")), "sections[0].items[0].points"),
    "int_type": (_with(version=[1]), "version"),
    "int_parsing": (_with(version="x"), "version"),
    "int_from_float": (_with(version=1.5), "version"),
    "bool_type": (_item(rule={**COUNT, "allow_negative": [1]}), "sections[0].items[0].rule.allow_negative"),
    "bool_parsing": (_item(rule={**COUNT, "allow_negative": "maybe"}), "sections[0].items[0].rule.allow_negative"),
    "greater_than": (_with(scale=0), "scale"),
    "greater_than_equal": (_with(version=0), "version"),
    "less_than_equal": (_with(total={"round": 10}), "total.round"),
    "literal_error": (_with(period="decade"), "period"),
}


@pytest.mark.parametrize("code", sorted(PYDANTIC_CASES))
def test_each_catalogued_pydantic_type_is_met(code):
    data, where = PYDANTIC_CASES[code]
    with pytest.raises(InputError) as e:
        scheme_from_dict(data)
    assert e.value.keys() == [(where, code)]


def test_an_uncatalogued_pydantic_type_becomes_invalid_value():
    class Tiny(BaseModel):
        x: float = Field(lt=1)  # less_than: no scheme field has it, so it is not catalogued

    assert "less_than" not in CODES
    with pytest.raises(ValidationError) as e:
        Tiny(x=5)
    [(path, code, message)] = pydantic_problems(e.value, Tiny)
    assert (path, code) == ("x", "invalid_value")
    assert "less than 1" in message
    Problem(path, code, message)  # and it is a code a Problem takes


# ---- Problem goes through the catalogue ---------------------------------------------------


def test_an_unknown_code_is_refused_at_once():
    with pytest.raises(ValueError, match="not_a_numbr"):
        Problem("inputs row 2, sales", "not_a_numbr", "must be a number")
    with pytest.raises(ValueError, match="not_a_numbr"):
        Problem("x", code="not_a_numbr", message="m")


def test_a_problem_knows_its_kind_and_title():
    p = Problem("Scheme!E7", "cap_below_floor", "cap 1 is below floor 2")
    assert (p.kind, p.title) == ("scheme", "Cap below floor")
    assert Problem("[a.xlsx]张三", "older_file", "…").kind == "warning"
    assert p.as_dict()["code"] == "cap_below_floor"  # the record itself is unchanged
    assert entry("bad_file").kind == "file"


def test_every_entry_is_complete():
    for code, e in CODES.items():
        assert e.kind in KINDS and all(k in KINDS and k != e.kind for k in e.also), code
        assert e.title and e.message and e.doc.endswith((".", ")")), code
        assert code.isidentifier() and code == code.lower(), code


# ---- the generated page -------------------------------------------------------------------


def _script():
    path = ROOT / "scripts" / "problem-codes"
    loader = importlib.machinery.SourceFileLoader("problem_codes", str(path))
    spec = importlib.util.spec_from_loader("problem_codes", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_docs_page_is_what_the_script_writes():
    text = _script().render()
    assert (ROOT / "docs" / "problems.md").read_text(encoding="utf-8") == text, \
        "docs/problems.md is out of date: run scripts/problem-codes"
    for code in CODES:  # and the page lists each code once, in its kind's table
        assert text.count(f"| `{code}`") == 1, code
