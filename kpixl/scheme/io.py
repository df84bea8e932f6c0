"""Load and dump schemes: YAML, JSON, or a ``Scheme``/``考核方案`` sheet of a workbook.

Validation (lazy, every problem at its place) is :mod:`.validate`'s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..xlsx.atomic import write_bytes_atomically
from ..errors import FileProblem, InputError, Problem
from .models import Scheme
from .validate import scheme_from_dict


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
        from .sheet import read_scheme_sheet  # openpyxl only when a workbook is read

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
    write_bytes_atomically(path, text.encode("utf-8"), "saving the scheme")
    return path
