"""Validate a scheme given as plain data: pydantic's structural errors and the cross-field checks.

Validation is lazy: every problem becomes a :class:`~kpixl.errors.Problem` record, each with
its place — a YAML path, or the sheet cell it came from when the scheme was read from a sheet
(``locate``). Both the file loader (:mod:`.io`) and the sheet reader (:mod:`.sheet.read`) end here.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..problems import CODES
from ..rules import RULE_TYPES
from .check import check_scheme
from .models import Scheme

Locate = Callable[[str], "str | None"]


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


#: Findings that setting a rejected field aside causes in its parent ("exactly one of" with none left).
_EMPTIED = {"measure_kind", "rank_top_or_bottom", "item_or_column"}

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

        parents = {p.rsplit(".", 1)[0] for p in rejected}

        def caused(path: str, code: str) -> bool:
            if code in _EMPTIED and path in parents:  # its one form was the rejected field
                return True
            return path in sums or any(path == b or path.startswith((b + ".", b + "[")) for b in blocked)

        return [f for f in check_scheme(scheme) if not caused(f[0], f[1])]
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


_PERCENT = re.compile(r"\s*-?\d+(\.\d+)?\s*%\s*")
#: Fields typed ``number | {column: …}`` (models.py), and what a message calls them.
NUMBER_OR_COLUMN = {"target": "target", "base": "bonus base", "amount": "commission amount"}


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
        code = errs[0][0] if errs[0][0] in CODES else "invalid_value"  # a pydantic type not catalogued yet
        kinds = {k for k, _ in errs}
        value = given[path]
        if isinstance(value, str) and _PERCENT.fullmatch(value) and "float_parsing" in kinds:
            msgs = [f"write {value.strip()} as the fraction {float(value.strip()[:-1]) / 100:g} (the Scheme sheet "
                    f"takes {value.strip()}; YAML takes fractions)"]
        elif {"float_parsing", "tuple_type"} <= kinds:
            msgs = [f"must be a number or a [min, max] range, not {value!r}"]
        field = path.rsplit(".", 1)[-1]
        if field in NUMBER_OR_COLUMN and len(errs) > 1:  # the union's two failures say less than this
            code = "bad_target"
            msgs = [f"a {NUMBER_OR_COLUMN[field]} is a number or {{column: <roster column>}}, not {given[path]!r}"]
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
            names.append(part)  # a list index, or an int dict key (a rubric level)
            if isinstance(model, _DictOf):
                owner, model = model, _unwrap(model.value)
            continue
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else None
        if fields is not None and part in fields:
            names.append(part)
            owner, model = model, _unwrap(fields[part].annotation)
        elif part in RULE_TYPES and names and names[-1] == "rule":
            model = RULE_TYPES[part]
        elif isinstance(model, _DictOf):
            names.append(part)  # a dict key (a rater, a level); what follows is about its value
            owner, model = model, _unwrap(model.value)
        elif fields is None and not _is_union(model):
            names.append(part)
            owner = model
        elif fields is not None:
            names.append(part)  # an unknown field: owner is the model it was given to
            owner = model
        # else: a union member tag such as 'float' or 'Column' — not part of the path
    return names, owner


class _DictOf:
    """A ``dict[K, V]`` field met on a location: its keys are path parts, its values typed ``V``."""

    def __init__(self, value: Any):
        self.value = value


def _is_union(ann: Any) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def _unwrap(ann: Any) -> Any:
    """The model class behind list[X], X | None, Annotated[…] (or the annotation)."""
    for _ in range(8):
        origin = typing.get_origin(ann)
        if origin is typing.Annotated or origin in (list, tuple):
            ann = typing.get_args(ann)[0]
        elif origin is dict:
            return _DictOf(typing.get_args(ann)[1] if len(typing.get_args(ann)) == 2 else Any)
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
