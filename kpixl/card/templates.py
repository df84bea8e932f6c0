"""The shipped templates (考核表 templates): one ``.xlsx`` per scorecard system of the seeds.

Built by ``scripts/build-templates`` into ``workbooks/`` and copied into the package
(``kpixl/data/templates/``); each holds a ``考核表`` card sheet with placeholders, a
``Roster`` table and a ``Scheme`` sheet (docs/templates.md).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["templates", "template"]

_PACKAGE = Path(__file__).resolve().parent.parent / "data" / "templates"
_REPO = Path(__file__).resolve().parent.parent.parent / "workbooks"


def templates() -> dict[str, Path]:
    """The shipped templates by name (``kam_monthly`` → its ``.xlsx``), sorted by name.

    Looks in the installed package data first, then in a source checkout's
    ``workbooks/`` folder.
    """
    for folder in (_PACKAGE, _REPO):
        found = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
        if found:
            return {p.stem: p for p in found}
    return {}


def template(name: str) -> Path:
    """The path of one shipped template; KeyError naming the ones there are."""
    got = templates()
    if name not in got:
        raise KeyError(f"no template {name!r}; there are: {', '.join(got) or 'none'}")
    return got[name]
