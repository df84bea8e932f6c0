"""The identity stamp of a generated person sheet (docs/templates.md, "Identity").

A sheet-scoped defined name ``kpixl.stamp`` holds the text
``kpixl/1|<scheme id>|<version>|<employee id>|<period>|<checksum>``; the very hidden
sheet ``_kpixl`` repeats one row per person sheet. ``<checksum>`` is the first 16 hex
digits of SHA-256 over the sheet's formulas: one ``<cell>=<formula>`` line per formula
cell (``H12==ROUND(…)``: the formula text as stored, with its leading ``=``), sorted by
row then column, joined by ``\\n``, UTF-8. Collection recomputes it from the formulas it
reads (:func:`formula_checksum`) and trusts the stamp, never a sheet's name or place.

A checksum anyone can recompute proves nothing about who made the sheet: a manager could
re-point a sheet's stamp to another manager's employee. So a master that distributes
keeps a secret beside itself (``<master>.kpixl-key``, never in a distributed file), and
its sheets carry a keyed MAC instead (:func:`keyed_checksum`): the first 16 hex digits of
HMAC-SHA256 over the stamp's identity (``<scheme id>|<version>|<employee id>|<period>``)
and the same formula lines. Same key, same sheet: the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import FileProblem
from ..memo import short_memo
from ..xlsx.atomic import write_bytes_atomically
from ..xlsx.cells import cell_order

__all__ = ["KEY_SUFFIX", "STAMP_NAME", "STAMP_SHEET", "STAMP_VERSION", "Stamp", "formula_checksum", "key_path",
           "keyed_checksum", "master_key", "normal_formula"]

STAMP_NAME = "kpixl.stamp"
STAMP_SHEET = "_kpixl"
STAMP_VERSION = "kpixl/1"
#: The columns of the ``_kpixl`` sheet (row 1), one person sheet per row below.
STAMP_COLUMNS = ("sheet", "stamp", "scheme_id", "version", "employee_id", "period", "checksum")


def formula_checksum(formulas: Mapping[str, str]) -> str:
    """The first 16 hex digits of SHA-256 over ``cell=formula`` lines sorted by cell.

    Args:
        formulas: Cell (``H12``) → formula text with its leading ``=``.
    """
    return hashlib.sha256(_cached_lines(formulas, normal=False)).hexdigest()[:16]


_STRING = re.compile(r'"(?:[^"]|"")*"')


def _normal_code(code: str) -> str:
    code = re.sub(r"\s+", "", code).upper().replace("_XLFN.", "")
    return code.replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")


@short_memo(8192, 1024)  # every person sheet repeats the card's formulas: normalise each once
def normal_formula(text: str) -> str:
    """A formula as compared: no ``=``, no ``_xlfn.``, no spaces and upper case outside strings.

    Excel, WPS and LibreOffice may respace or recase a formula when they save it, and
    LibreOffice writes the constant ``TRUE`` as the function ``TRUE()``.
    """
    text = text.strip().lstrip("=")
    out, last = [], 0
    for m in _STRING.finditer(text):
        out.append(_normal_code(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_normal_code(text[last:]))
    return "".join(out)


#: The master's secret sits beside it: ``kam.xlsx`` → ``kam.xlsx.kpixl-key``.
KEY_SUFFIX = ".kpixl-key"


#: A sheet's formula cells are a card's few dozen, the same on every sheet: each cell's place is worked out once.
_cell_order = short_memo(4096, 16)(cell_order)


def _lines(formulas: Mapping[str, str]) -> str:
    return "\n".join(f"{c}={formulas[c]}" for c in sorted(formulas, key=_cell_order))


#: The lines (UTF-8) of formula sets met lately, as stored and as compared (every sheet of a card has one of a few).
_LINES: dict[bool, dict[tuple[tuple[str, str], ...], bytes]] = {False: {}, True: {}}
_LINES_MAX, _LINES_TEXT = 256, 1 << 14  # entries; characters of one (a card's are ~4,000)


def _cached_lines(formulas: Mapping[str, str], normal: bool) -> bytes:
    """``_lines`` of the formulas (each as compared, :func:`normal_formula`, when ``normal``), UTF-8.

    Cached by the exact (cell, formula) pairs: a pure function of them. Only sets of a card's
    size are kept (a hostile sheet's huge one is computed, not kept), and a cache is emptied when
    full: both stay under ~60 MB whatever is collected (a few hundred KB for real cards).
    """
    cache = _LINES[normal]
    key = tuple(formulas.items())
    got = cache.get(key)
    if got is None:
        text = _lines({c: normal_formula(f) for c, f in key} if normal else dict(key))
        got = text.encode("utf-8")
        if len(text) <= _LINES_TEXT and sum(len(c) + len(f) for c, f in key) <= _LINES_TEXT:
            if len(cache) >= _LINES_MAX:
                cache.clear()
            cache[key] = got
    return got


def keyed_checksum(key: bytes, scheme_id: str, version: int, employee_id: str, period: str,
                   formulas: Mapping[str, str]) -> str:
    """The keyed MAC a master stamps on a sheet: HMAC-SHA256 over its identity and formula lines (16 hex digits).

    Args:
        key: The master's secret (:func:`master_key`).
        scheme_id, version, employee_id, period: What the stamp says.
        formulas: Cell (``H12``) → formula text with its leading ``=``.
    """
    # Over the formulas as compared (normal_formula): a program respacing them on save keeps the MAC.
    text = f"{scheme_id}|{version}|{employee_id}|{period}\n".encode("utf-8") + _cached_lines(formulas, normal=True)
    return hmac.digest(key, text, "sha256")[:8].hex()


def key_path(master: str | Path) -> Path:
    """Where a master's secret is kept: beside it, ``<master>.kpixl-key``."""
    master = Path(master)
    return master.with_name(master.name + KEY_SUFFIX)


def master_key(master: str | Path, create: bool = False) -> bytes | None:
    """The master's secret (32 random bytes, hex in the file); None when it has none and ``create`` is false.

    Created (readable by its owner only) by the first distribute from the master; it must
    never be sent with the workbooks.

    Raises:
        FileProblem: The key file is unreadable or damaged, or cannot be written.
    """
    path = key_path(master)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        key = secrets.token_bytes(32)
        write_bytes_atomically(path, key.hex().encode("ascii") + b"\n", "writing the master's key")
        os.chmod(path, 0o600)
        return key
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(path, "reading the master's key", f"cannot be read ({e})") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise FileProblem(path, "reading the master's key", "is damaged; restore it from a backup (without it, "
                                                            "the files sent cannot be told from forgeries)")
    return key


@dataclass(frozen=True)
class Stamp:
    """What a stamp says."""

    scheme_id: str
    version: int
    employee_id: str
    period: str
    checksum: str

    def text(self) -> str:
        """``kpixl/1|cm-monthly-kpi|3|E1001|2026-11|0123456789abcdef``."""
        for part in (self.scheme_id, self.employee_id, self.period):
            if "|" in str(part):
                raise ValueError(f"{part!r}: a stamped field cannot hold '|'")
        return "|".join([STAMP_VERSION, self.scheme_id, str(self.version), self.employee_id, self.period, self.checksum])

    @classmethod
    def parse(cls, text: str) -> "Stamp":
        """Read a stamp's text back.

        Raises:
            ValueError: The text is not a ``kpixl/1`` stamp.
        """
        parts = str(text).split("|")
        if len(parts) != 6 or parts[0] != STAMP_VERSION or not parts[2].isdigit():
            raise ValueError(f"not a {STAMP_VERSION} stamp: {text!r}")
        return cls(parts[1], int(parts[2]), parts[3], parts[4], parts[5])
