"""Load and dump schemes: YAML, JSON, or a ``Scheme``/``考核方案`` sheet of a workbook.

Validation is lazy: pydantic's structural errors and the cross-field checks of
:mod:`.check` become :class:`~kpixl.errors.Problem` records, each with its place — a
YAML path, or the sheet cell it came from when the scheme was read from a sheet.
"""

from __future__ import annotations

import copy
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import FileProblem, InputError, Problem
from ..rules import RULE_TYPES
from .check import check_scheme
from .models import Scheme

Locate = Callable[[str], "str | None"]


def load_scheme(path: str | Path) -> Scheme:
    """Load a scheme from a YAML, JSON or workbook (``Scheme``/``考核方案`` sheet) file.

    Args:
        path: ``.yaml``/``.yml``, ``.json``, or ``.xlsx``/``.xlsm``.

    Returns:
        The validated scheme.

    Raises:
        InputError: Every problem in the scheme, each with its place.
        FileProblem: The file cannot be read at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from ..workbook.scheme_sheet import read_scheme_sheet

        return read_scheme_sheet(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise FileProblem(path, "reading the scheme", e.strerror or str(e)) from None
    try:
        data = json.loads(raw) if suffix == ".json" else yaml.safe_load(raw)
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise InputError([_syntax_problem(e, path, suffix)], f"scheme {path.name}") from None
    return scheme_from_dict(data, source=path.name)


def _syntax_problem(e: Exception, path: Path, suffix: str) -> Problem:
    """A YAML/JSON syntax error as one line at ``file:line:column``."""
    if isinstance(e, json.JSONDecodeError):
        return Problem(f"{path.name}:{e.lineno}:{e.colno}", "syntax", f"not valid JSON: {e.msg}")
    mark = getattr(e, "problem_mark", None)
    where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
    what = getattr(e, "problem", None) or str(e).splitlines()[0]
    context, cmark = getattr(e, "context", None), getattr(e, "context_mark", None)
    if context and cmark is not None:
        what += f" ({context} that starts at line {cmark.line + 1}, column {cmark.column + 1})"
    elif context:
        what += f" ({context})"
    return Problem(where, "syntax", f"not valid YAML: {what}")


def scheme_from_dict(data: Any, source: str = "scheme", locate: Locate | None = None) -> Scheme:
    """Validate a scheme given as plain data (what YAML or JSON parse to).

    Args:
        data: The mapping.
        source: Names the scheme in the error heading.
        locate: Maps a YAML path to a sheet cell (``Scheme!F7``) when the data was read
            from a sheet.

    Raises:
        InputError: Every problem found, each with its place.
    """
    if not isinstance(data, dict):
        raise InputError([Problem(source, "not_a_mapping", "a scheme is a mapping of fields (id, name, sections…)", type(data).__name__)],
                         f"scheme {source}")
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as e:
        found = pydantic_problems(e)
        found += _checks_despite(data, e)  # all at once: the cross-field problems too
        raise InputError(_problems(found, locate), f"scheme {source}") from None
    found = check_scheme(scheme)
    if found:
        raise InputError(_problems(found, locate), f"scheme {source}")
    return scheme


#: Stand-ins for required fields pydantic rejected, so the rest can still be checked.
_STAND_INS: dict[str, Any] = {"points": 0, "rule": {"type": "manual"}, "name": ""}


def _checks_despite(data: dict, err: ValidationError, rounds: int = 4) -> list[tuple[str, str, str]]:
    """The cross-field problems of a scheme pydantic rejected.

    The rejected fields are set aside (dropped, so they take their defaults; a required
    one gets a neutral stand-in) and what remains is checked, so HR sees every problem in
    one run. Findings the set-aside could have caused are left out: those at or under a
    rejected field, in an item whose rule was replaced, and sums over a rejected weight
    or share. Gives up quietly (no extra findings) when what remains still does not
    validate.
    """
    trial = copy.deepcopy(data)
    rejected: set[str] = set()
    for _ in range(rounds):
        changed = False
        for e in err.errors(include_url=False):
            names, _ = _field_path(e["loc"], Scheme)
            if names and _set_aside(trial, names):
                changed = True
                rejected.add(_fmt(names))
        if not changed:
            return []
        try:
            scheme = Scheme.model_validate(trial)
        except ValidationError as again:
            err = again
            continue
        blocked = set(rejected)
        blocked |= {p.rsplit(".", 1)[0] for p in rejected if p.endswith(".rule")}
        sums = {re.sub(r"\[\d+\]\.(weight|share)$", "", p) for p in rejected if re.search(r"\.(weight|share)$", p)}
        sums |= {p.rsplit(".", 1)[0] for p in rejected if re.search(r"(^|\.)raters\.\w+$", p)}

        def caused(path: str) -> bool:
            return path in sums or any(path == b or path.startswith((b + ".", b + "[")) for b in blocked)

        return [f for f in check_scheme(scheme) if not caused(f[0])]
    return []


def _set_aside(data: Any, names: list[Any]) -> bool:
    """Drop the field at ``names`` from plain data (or give a required one a stand-in)."""
    parent = data
    for key in names[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return False
    last = names[-1]
    if not isinstance(parent, dict):
        return False
    if last == "id" and isinstance(parent.get("id"), str) and "_bad" not in parent["id"]:
        parent["id"] = "_bad_" + re.sub(r"\W", "_", _fmt(names))  # unique: causes no duplicate-id finding
        return True
    if last in _STAND_INS and parent.get(last) != _STAND_INS[last]:
        parent[last] = copy.deepcopy(_STAND_INS[last])
        return True
    if last in parent:
        del parent[last]
        return True
    return False


def _problems(found: list[tuple[str, str, str]], locate: Locate | None) -> list[Problem]:
    out = []
    for path, code, msg in found:
        cell = locate(path) if locate else None
        out.append(Problem(cell or path, code, f"{path}: {msg}" if cell else msg))
    return out


# ---- pydantic errors → (path, code, message) --------------------------------------------


def pydantic_problems(err: ValidationError, root: type[BaseModel] = Scheme) -> list[tuple[str, str, str]]:
    """Turn pydantic's errors into located, readable problems, one per place."""
    merged: dict[str, list[tuple[str, str]]] = {}
    given: dict[str, Any] = {}
    for e in err.errors(include_url=False):
        names, owner = _field_path(e["loc"], root)
        merged.setdefault(_fmt(names), []).append((e["type"], _message(e, names, owner)))
        given.setdefault(_fmt(names), e.get("input"))
    out = []
    for path, errs in merged.items():
        msgs = list(dict.fromkeys(m for _, m in errs))
        code = errs[0][0]
        if path.endswith("target") and len(errs) > 1:
            code = "bad_target"
            msgs = [f"a target is a number or {{column: <roster column>}}, not {given[path]!r}"]
        out.append((path, code, " or ".join(msgs)))
    return out


def _field_path(loc: tuple, root: type[BaseModel]) -> tuple[list[Any], Any]:
    """Drop pydantic's union-member tags from a location.

    Returns the path (field names and indexes) and the model class owning its last
    field name (for listing the allowed parameters).
    """
    names: list[Any] = []
    model: Any = root
    owner: Any = root
    for part in loc:
        if isinstance(part, int):
            names.append(part)
            continue
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else None
        if fields is not None and part in fields:
            names.append(part)
            owner, model = model, _unwrap(fields[part].annotation)
        elif part in RULE_TYPES and names and names[-1] == "rule":
            model = RULE_TYPES[part]
        elif fields is None and not _is_union(model):
            names.append(part)  # a dict key (a rater, a level)
            owner = model
        elif fields is not None:
            names.append(part)  # an unknown field: owner is the model it was given to
            owner = model
        # else: a union member tag such as 'float' or 'Column' — not part of the path
    return names, owner


def _is_union(ann: Any) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def _unwrap(ann: Any) -> Any:
    """The model class behind list[X], X | None, Annotated[…] (or the annotation)."""
    for _ in range(8):
        origin = typing.get_origin(ann)
        if origin is typing.Annotated or origin in (list, tuple):
            ann = typing.get_args(ann)[0]
        elif origin is dict:
            return dict
        elif _is_union(ann):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann
    return ann


def _fmt(names: list[Any]) -> str:
    out = ""
    for n in names:
        out += f"[{n}]" if isinstance(n, int) else (f".{n}" if out else str(n))
    return out or "(scheme)"


def _message(e: dict, names: list[Any], owner: Any) -> str:
    kind = e["type"]
    if kind == "extra_forbidden":
        allowed = ""
        if isinstance(owner, type) and issubclass(owner, BaseModel):
            allowed = ", ".join(k for k in owner.model_fields if k != "type")
        return f"unknown parameter {names[-1]!r}" + (f"; allowed: {allowed}" if allowed else "")
    if kind == "union_tag_invalid":
        tag = e.get("input", {}).get("type") if isinstance(e.get("input"), dict) else None
        return f"unknown rule type {tag!r}; allowed: {', '.join(RULE_TYPES)}"
    if kind == "union_tag_not_found":
        return f"a rule needs a type: one of {', '.join(RULE_TYPES)}"
    if kind == "missing":
        return "is required"
    msg = e["msg"].removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg else kind


# ---- dumping ----------------------------------------------------------------------------


def scheme_to_dict(scheme: Scheme) -> dict[str, Any]:
    """Plain data that loads back to an equal scheme (defaults left out, rule types kept)."""
    data = scheme.model_dump(mode="json", exclude_defaults=True)
    for si, sec in enumerate(scheme.sections):
        for ii, item in enumerate(sec.items):
            d = data["sections"][si]["items"][ii]
            rule = item.rule.model_dump(mode="json", exclude_defaults=True)
            d["rule"] = {"type": item.rule.type, **rule}
            d.setdefault("points", item.points)
    return data


def dump_yaml(scheme: Scheme) -> str:
    """The scheme as YAML (UTF-8, Chinese kept readable)."""
    return yaml.safe_dump(scheme_to_dict(scheme), allow_unicode=True, sort_keys=False, width=100)


def dump_json(scheme: Scheme) -> str:
    """The scheme as JSON (UTF-8, Chinese kept readable)."""
    return json.dumps(scheme_to_dict(scheme), ensure_ascii=False, indent=2)


def save_scheme(scheme: Scheme, path: str | Path) -> Path:
    """Write a scheme to ``.yaml``/``.yml``/``.json`` (by suffix)."""
    path = Path(path)
    text = dump_json(scheme) if path.suffix.lower() == ".json" else dump_yaml(scheme)
    path.write_text(text, encoding="utf-8")
    return path
