"""A worksheet part's cells read with one pattern: the fast path of :func:`kpixl.xlsx.reader.read_book`.

Collect reads a thousand returned sheets; building an ``xml.etree`` element per cell costs
several times what matching the cells' XML with one pattern does (as
:mod:`kpixl.xlsx.scan` reads the year's masters). The pattern is strict: it reads the
``<sheetData>`` of a part only when every byte of it is in a shape it knows — rows, and
cells written as Excel, LibreOffice, WPS, openpyxl and XlsxWriter write them
(``<c r="A1" s="3" t="s">`` with ``<f>``, ``<v>``, ``<is><t>``), with no comment, CDATA,
processing instruction, namespace declaration or entity other than XML's five and
character references — and the rest of the part is well-formed (checked by expat, which
also refuses anything a document type could declare). Anything else, and anything that
fails along the way, gives None: :func:`kpixl.xlsx.reader.read_book` then reads the
part with its element reader, so an odd or hostile part always takes the careful path
and gets exactly its answer or its problem. Either way a cell's pieces become a
:class:`Cell` through one function, :func:`keep_cell`.

The sheets of a card, and the cards of a team, repeat most of their rows (labels, blank
rows, the same targets): the bytes up to each ``</row>`` are decoded and read once, and what
they say — the cells before the file's shared strings, date styles and shared formulas are
applied — is kept by those exact bytes (bounded), so a row met again costs a dictionary look-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from openpyxl.formula.translate import Translator

from .xmlstream import MAX_TEXT

__all__ = ["XML_DECL", "XML_TEXT", "Cell", "NamedTwice", "Odd", "cell_value", "keep_cell", "scan_sheet", "xml_text"]


@dataclass(slots=True)
class Cell:
    """One cell as saved: its formula (without ``=``) if any, and its (cached) value.

    Attributes:
        value: A float, str or bool; ``None`` for an empty cell; for an error value the
            text (``#VALUE!``) with ``error`` set.
        formula: The formula text without the leading ``=``, or None.
        error: The value is an error (``#DIV/0!``).
        date: A number shown as a date or time (the cell's number format).
    """

    value: Any = None
    formula: str | None = None
    error: bool = False
    date: bool = False


#: How a cell's value is read (:func:`cell_value`): _FIXED, the value as is (a date when its style
#: is a date's); _STRING, the index of a shared string (_NO_STRING: none); _SHARED (only in
#: :data:`_PIECES`): a cell of a shared formula, moved from its anchor when the sheet's cells are kept.
_FIXED, _STRING, _SHARED = 0, 1, 2
_NO_STRING = 1 << 62


def cell_value(kind: str, style: str | None, raw: str | None, inline: str | None) -> tuple[int, Any, bool, int | None]:
    """What a cell's XML says of its value, before the file's shared strings and date styles are applied.

    Args:
        kind: The cell's ``t`` (``n`` when absent).
        style: Its ``s``, or None.
        raw: The ``<v>``'s text (None when absent or empty).
        inline: The ``<is>``'s text (None when there is no ``<is>``).

    Returns:
        ``(how, value, error, date style)``: how is _FIXED (value as is) or _STRING (value the
        shared string's index, or _NO_STRING); the date style is the style index of a number,
        which shows a date when the file's date styles hold it.

    Raises:
        ValueError: Digits int() does not read (``²``): the careful path decides.
    """
    if kind == "s":
        return _STRING, int(raw) if raw is not None and raw.isdigit() else _NO_STRING, False, None
    if kind == "inlineStr":
        return _FIXED, inline, False, None
    if kind == "str":
        return _FIXED, raw[:MAX_TEXT + 1] if raw is not None else None, False, None
    if kind == "b":
        return _FIXED, raw in ("1", "true"), False, None
    if kind == "e":
        return _FIXED, raw[:64] if raw is not None else raw, True, None
    if raw is None or raw == "":
        return _FIXED, None, False, None
    try:
        value = float(raw)
    except ValueError:
        return _FIXED, raw[:MAX_TEXT + 1], False, None
    return _FIXED, value, False, int(style) if style is not None and style.isdigit() else None


def keep_cell(cells: dict[str, Cell], shared: dict[str, tuple[str, str]], strings: list[str], dates: set[int],
              ref: str, kind: str, style: str | None, has_formula: bool, formula: str | None, formula_type: str | None,
              si: str, raw: str | None, inline: str | None) -> None:
    """Keep one cell read from its XML in ``cells`` (when it holds a value or a formula).

    Args:
        cells: The sheet's cells by reference.
        shared: Shared formulas met so far: ``si`` → (anchor cell, formula).
        strings: The shared strings.
        dates: The style indices that show a date (:func:`kpixl.xlsx.reader.date_styles`).
        ref: The cell's ``r``.
        kind: Its ``t`` (``n`` when absent).
        style: Its ``s``, or None.
        has_formula: It has an ``<f>``.
        formula: The ``<f>``'s text (None when empty).
        formula_type: The ``<f>``'s ``t`` (``shared``), or None.
        si: The ``<f>``'s ``si`` ("" when absent).
        raw: The ``<v>``'s text (None when absent or empty).
        inline: The ``<is>``'s text (None when there is no ``<is>``).

    Raises:
        ValueError: A shared formula that cannot be moved to the cell (a damaged file).
    """
    text = None
    if has_formula:
        text = formula
        if formula_type == "shared":
            if text:
                shared[si] = (ref, text)
            elif si in shared:
                anchor, master = shared[si]
                try:
                    text = Translator("=" + master, origin=anchor).translate_formula(ref)[1:]
                except Exception as e:  # noqa: BLE001 — openpyxl's TokenizerError/TranslatorError: a damaged file
                    raise ValueError(f"the shared formula of {ref} cannot be read ({e})") from None
        text = (text or "")[:MAX_TEXT + 1]
    how, value, error, style_index = cell_value(kind, style, raw, inline)
    if how == _STRING:
        value = strings[value] if value < len(strings) else None
    if value is None and text is None:
        return
    if ref in cells:
        raise NamedTwice(ref)
    cells[ref] = Cell(value, text, error, style_index is not None and style_index in dates)


class NamedTwice(ValueError):
    """Two cells of a sheet kept under one reference (Excel calls such a file corrupt)."""


class Odd(Exception):
    """The XML is not in a shape a pattern reads: the careful path reads it."""


_M = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OPEN, _CLOSE = b"<sheetData>", b"</sheetData>"
# Whitespace as XML knows it (a carriage return sends the part to the careful path: expat would normalise it).
# Runs are possessive (*+, ++): a long run of spaces or text that then fails is given up at once, not
# retried shorter (a pattern cannot be stopped by the file's deadline; tests time hostile parts).
_W = "[ \t\n]"
# Text and attribute values: no character XML forbids (nor a carriage return), so that expat would take them as they are.
XML_TEXT = "[^<\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]*+"
_VAL = '"[^"<&\x00-\x1f\ufffe\uffff]*+"'
#: A run of styled blanks (most of a card's cells; a blank boolean cell is kept) and whitespace:
#: skipped, taken with the cell or row start before it (one match, not one a cell).
_BLANKS = (rf'(?:<c r="[A-Z]{{1,3}}[0-9]{{1,7}}"(?: s="[0-9]{{1,9}}")?+(?: t="(?!b")[A-Za-z]{{1,16}}")?+{_W}*+/>'
           rf'|{_W}++)*+')
# The text between two "</row>" (scan_sheet splits there) is read as tokens, each matched by one
# alternative without trying another on the same text: its first characters decide, and nothing
# matched is given back (?+, *+: a part that fails is given up at once).
_TOKEN = re.compile(
    # A cell: r, s, t in this order and nothing else; then <f>, <v>, <is><t> in this order, each optional.
    rf'<c r="([A-Z]{{1,3}}[0-9]{{1,7}})"(?: s="([0-9]{{1,9}})")?+(?: t="([A-Za-z]{{1,16}})")?+{_W}*+(?:/>|>'
    rf'(?:<f((?:{_W}++[A-Za-z][A-Za-z0-9]*+={_VAL})*+){_W}*+(?:/>|>({XML_TEXT})</f>))?+'
    rf'(?:<v>({XML_TEXT})</v>|<v/>)?+'
    rf'(?:(<is>)<t(?: xml:space="preserve")?+(?:/>|>({XML_TEXT})</t>)</is>)?+'
    rf'</c>){_BLANKS}'
    # A row's start (its attributes are checked once per distinct text); whitespace.
    rf'|<row((?:{_W}++[A-Za-z][A-Za-z0-9]*+(?::[A-Za-z][A-Za-z0-9]*+)?={_VAL})*+){_W}*+(/?)>{_BLANKS}'
    rf'|{_W}++')
_ATTR = re.compile(r'([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)?)="([^"]*)"')
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));|&")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
XML_DECL = re.compile(rb'(?:\xef\xbb\xbf)?(?:<\?xml[ \t\n]+version="1\.0"(?:[ \t\n]+encoding="(?i:utf-8)")?'
                   rb'(?:[ \t\n]+standalone="(?:yes|no)")?[ \t\n]*\?>)?[ \t\n]*')
_ROOT = re.compile(rb'<worksheet((?:[ \t\n]++[A-Za-z][\w.:-]*+="[^"<&]*+")*+)[ \t\n]*+>')
_ROOT_ATTR = re.compile(rb'([A-Za-z][\w.:-]*)="([^"<&]*)"')
_DEFAULT_NS = re.compile(rb"xmlns[ \t\n]*=")  # (also in "abcxmlns=": then the careful path)
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[ \t\n/>]")
_ANY_PROTECTION = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetProtection[ \t\n/>]")
_PROTECTION = re.compile(rb'<sheetProtection((?:[ \t\n]++[A-Za-z][\w.:-]*+="[^"<&\t\n\r]*+")*+)[ \t\n]*+/?>')
_CHARS = ((0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
#: Row and formula attribute texts already judged (a card repeats a few dozen): text → fine / parsed, or odd.
_SEEN_ROWS: dict[tuple[str, frozenset], bool] = {}
_SEEN_FORMULAS: dict[str, tuple[str | None, str] | None] = {}
_SEEN_TEXT = 256  # the longest attribute text kept
#: The parts around ``<sheetData>`` already judged (the sheets of one card share theirs): bytes → :func:`_outside`.
_SEEN_OUTSIDE: dict[bytes, tuple[bool, frozenset] | None] = {}


def _entity(m: re.Match) -> str:
    name, dec, hexa = m.groups()
    if name:
        return _NAMED[name]
    if dec is None and hexa is None:
        raise Odd  # a bare "&" or an entity only a document type could declare
    code = int(dec) if dec is not None else int(hexa, 16)
    if code in (0x9, 0xA, 0xD) or any(lo <= code <= hi for lo, hi in _CHARS):
        return chr(code)
    raise Odd


def xml_text(s: str) -> str:
    """Text as expat gives it: XML's five entities and character references replaced.

    Raises:
        Odd: A bare ``&``, an entity only a document type could declare, or a character XML forbids.
    """
    return _ENTITY.sub(_entity, s) if "&" in s else s


def _attrs(text: str) -> dict[str, str] | None:
    """Attributes as a dict; None when one is repeated or declares a namespace."""
    pairs = _ATTR.findall(text)
    got = dict(pairs)
    if len(got) != len(pairs) or any(k == "xmlns" or k.startswith("xmlns:") for k in got):
        return None
    return got


def _inline(text: str | None) -> str:
    text = xml_text(text or "")
    return text[:MAX_TEXT + 1] if len(text) > MAX_TEXT else text


def _row_ok(text: str, prefixes: frozenset) -> bool:
    key = (text, prefixes)
    ok = _SEEN_ROWS.get(key)
    if ok is None:
        got = _attrs(text)
        # Two prefixes may name one namespace: the same local name twice may be one attribute twice
        # (malformed, which expat refuses) — the careful path decides.
        local = [k.rsplit(":", 1)[-1] for k in got or ()]
        ok = got is not None and len(set(local)) == len(local) and all(
            ":" not in k or k.split(":", 1)[0] in prefixes for k in got)
        if len(text) <= _SEEN_TEXT:  # (a hostile row's attributes may run to megabytes: not kept)
            if len(_SEEN_ROWS) > 4096:
                _SEEN_ROWS.clear()
            _SEEN_ROWS[key] = ok
    return ok


def _formula_attrs(text: str) -> tuple[str | None, str]:
    try:
        got = _SEEN_FORMULAS[text]
    except KeyError:
        attrs = _attrs(text)
        got = None if attrs is None else (attrs.get("t"), attrs.get("si", ""))
        if len(text) <= _SEEN_TEXT:
            if len(_SEEN_FORMULAS) > 4096:
                _SEEN_FORMULAS.clear()
            _SEEN_FORMULAS[text] = got
    if got is None:
        raise Odd
    return got


def _outside(outer: bytes) -> tuple[bool, frozenset] | None:
    """The part without its cells: (sheet protected, namespace prefixes the root declares), or None if odd.

    Well-formed (expat), a ``<worksheet>`` root whose default namespace is SpreadsheetML's
    and the only default namespace declared, no comment, CDATA or processing instruction
    (so every ``<name`` is an element), no cell outside ``<sheetData>``, and sheet
    protection written plainly.
    """
    decl = XML_DECL.match(outer)
    rest = outer[decl.end():]
    root = _ROOT.match(rest)
    if root is None or b"<!" in rest or b"<?" in rest:
        return None
    attrs = dict(_ROOT_ATTR.findall(root.group(1)))
    if attrs.get(b"xmlns") != _M or len(_DEFAULT_NS.findall(outer)) != 1 or _ANY_CELL.search(outer):
        return None
    prefixes = frozenset(k[6:].decode() for k in attrs if k.startswith(b"xmlns:"))
    protected = False
    for m in _ANY_PROTECTION.finditer(outer):  # the last one counts, as in the element reader
        strict = _PROTECTION.match(outer, m.start())
        if m.group(1) or strict is None:
            return None
        got = dict(_ROOT_ATTR.findall(strict.group(1)))
        protected = got.get(b"sheet", b"0") in (b"1", b"true")
    # The names as XML resolves them (a prefix of any letters, whitespace such as "\r"): a cell
    # anywhere is the careful path's; its protection, too; the one <sheetData/> left must be SpreadsheetML's.
    main = _M.decode() + "}"
    seen = {"data": 0, "odd": False, "protected": protected}

    def start(name: str, attrs: dict) -> None:
        if name == main + "c" or (name.endswith("}sheetData") or name == "sheetData") and name != main + "sheetData":
            seen["odd"] = True
        elif name == main + "sheetData":
            seen["data"] += 1
        elif name == main + "sheetProtection":
            seen["protected"] = attrs.get("sheet", "0") in ("1", "true")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        parser.Parse(outer, True)
    except expat.ExpatError:
        return None
    if seen["odd"] or seen["data"] != 1 or seen["protected"] != protected:
        return None  # the patterns and XML disagree about this part: the careful path reads it
    return protected, prefixes


#: The rows already read (the sheets of one card, and the cards of one team, repeat most of theirs):
#: namespace prefixes → the bytes between two ``</row>`` → :func:`_piece` (the raw cells, before the
#: file's shared strings and date styles are applied), or _ODD_PIECE. A pure function of its key;
#: bounded in entries and bytes, and a text over :data:`_PIECE_MAX` bytes is read but not kept.
#: A cell in it: (ref, how, value, formula, error, date style) as :func:`cell_value` gives them;
#: for _SHARED, value holds :func:`keep_cell`'s arguments after ``ref``.
_PIECES: dict[frozenset, dict[bytes, tuple[int, tuple]]] = {}
_ODD_PIECE = (-1, ())
_PIECE_MAX, _PIECES_MAX, _PIECES_BYTES = 16_384, 8_192, 2_000_000
_pieces_count = _pieces_bytes = 0


def _piece(text: str, prefixes: frozenset) -> tuple[int, tuple]:
    """The cells of a sheet's XML between two ``</row>`` (or its ends), read with :data:`_TOKEN`.

    Returns:
        (1 when it leaves a row open, else 0 — read from outside any row —, its cells as in :data:`_PIECES`).

    Raises:
        Odd: Not in a shape the pattern reads.
        ValueError: A shared string's index is digits int() does not read (``²``): the careful path decides.
    """
    cells: list[tuple] = []
    pos = 0
    end = None
    for m in _TOKEN.finditer(text):
        at, pos_next = m.span()
        if at != pos:
            raise Odd
        pos = pos_next
        if m.lastindex is None:
            continue  # blanks
        ref, style, kind, fattrs, formula, raw, inline_is, inline, rattrs, empty_row = m.groups()
        if kind == "s" and fattrs is None and raw and raw.isdigit() and inline_is is None:  # (most cells)
            cells.append((ref, _STRING, int(raw), None, False, None))
            continue
        if ref is None:  # a row's start
            if end == 1 or (rattrs and not _row_ok(rattrs, prefixes)):
                raise Odd  # (a row inside a row)
            end = 0 if empty_row else 1
            continue
        if fattrs is None and raw is None and inline_is is None and kind != "b":
            continue  # a styled blank (most of a card's cells)
        if not raw:
            raw = None
        elif "&" in raw:
            raw = xml_text(raw)
        if inline_is is not None:
            inline = _inline(inline)  # (its entities checked, as expat does, whatever the cell's type)
        if kind == "s" and fattrs is None:
            if raw is not None and raw.isdigit():
                cells.append((ref, _STRING, int(raw), None, False, None))
            continue
        written = None
        if fattrs is not None:
            formula_type, si = _formula_attrs(fattrs) if fattrs else (None, "")
            if not formula:
                formula = None
            elif "&" in formula:
                formula = xml_text(formula)
            if formula_type == "shared":  # moved from its anchor (maybe in another row) when the cells are kept
                cells.append((ref, _SHARED, (kind or "n", style, True, formula, formula_type, si, raw, inline),
                              None, False, None))
                continue
            written = (formula or "")[:MAX_TEXT + 1]  # keep_cell's rule
        how, value, error, style_index = cell_value(kind or "n", style, raw, inline)
        if value is not None or written is not None:
            cells.append((ref, how, value, written, error, style_index))
    if pos != len(text):
        raise Odd
    return end or 0, tuple(cells)


def _new_piece(known: dict, text: bytes, prefixes: frozenset) -> tuple[int, tuple]:
    """:func:`_piece` of a text not met before (``(-1, ())`` when odd), kept in ``known`` when not too long."""
    global _pieces_count, _pieces_bytes
    try:
        xml = text.decode("utf-8")  # (split at "</row>", so no character is cut)
        if "]]>" in xml:  # (not allowed in text; every other character expat refuses is outside the pattern)
            raise Odd
        got = _piece(xml, prefixes)
    except (Odd, ValueError):  # (UnicodeDecodeError is a ValueError)
        got = _ODD_PIECE
    if len(text) <= _PIECE_MAX:
        if _pieces_bytes + len(text) > _PIECES_BYTES or _pieces_count >= _PIECES_MAX:
            _forget()
        known[text] = got
        _pieces_count += 1
        _pieces_bytes += len(text)
    return got


def _forget() -> None:
    """Empty :data:`_PIECES` (each prefix set's dict stays, emptied)."""
    global _pieces_count, _pieces_bytes
    for d in _PIECES.values():
        d.clear()
    _pieces_count = _pieces_bytes = 0


def scan_sheet(data: bytes, strings: list[str], dates: set[int],
               max_cells: int) -> tuple[dict[str, Cell], bool] | None:
    """A worksheet part's cells and whether the sheet is protected, read with one pattern.

    The ``<sheetData>`` is read a row at a time (the bytes up to each ``</row>``); a row's bytes
    met before are not read again (:data:`_PIECES`).

    Args:
        data: The part's bytes (at most :data:`kpixl.xlsx.xmlstream.WHOLE_PART`, prolog checked).
        strings: The shared strings.
        dates: The style indices that show a date.
        max_cells: Cells kept before the part is handed to the careful path (which refuses it).

    Returns:
        ``(cells by reference, protected)`` exactly as the element reader would find them,
        or None when the part is not in a shape this reader knows (see the module docstring).
    """
    start = data.find(_OPEN)
    end = data.find(_CLOSE, start)
    if start < 0 or end < 0:
        return None
    outer = data[:start] + b"<sheetData/>" + data[end + len(_CLOSE):]
    try:
        outside = _SEEN_OUTSIDE[outer]
    except KeyError:
        outside = _outside(outer)
        if len(outer) <= 1 << 16:
            if len(_SEEN_OUTSIDE) >= 256:
                _SEEN_OUTSIDE.clear()
            _SEEN_OUTSIDE[outer] = outside
    if outside is None:
        return None
    protected, prefixes = outside
    known = _PIECES.get(prefixes)
    if known is None:
        if len(_PIECES) >= 64:
            _forget()
            _PIECES.clear()
        known = _PIECES[prefixes] = {}
    cells: dict[str, Cell] = {}
    shared: dict[str, tuple[str, str]] = {}
    n = len(strings)
    pieces = data[start + len(_OPEN):end].split(b"</row>")  # (bytes: read as text only when new)
    ends = len(pieces) - 1
    for k, text in enumerate(pieces):
        got = known.get(text) or _new_piece(known, text, prefixes)
        # Each piece starts outside a row (at the start, or after a "</row>"): it must leave a row
        # open when a "</row>" follows it, and none after the last (an odd piece's -1 is neither).
        if got[0] != (k < ends):
            return None
        for ref, how, value, formula, error, style in got[1]:
            if how == _STRING:
                if value < n:
                    cell = Cell(strings[value], formula)
                elif formula is not None:
                    cell = Cell(None, formula)
                else:
                    continue
            elif how == _FIXED:
                cell = Cell(value, formula, error, style is not None and style in dates)
            else:
                keep_cell(cells, shared, strings, dates, ref, *value)  # (NamedTwice: the careful path decides)
                continue
            if ref in cells:
                return None  # a cell named twice: the careful path refuses the part
            cells[ref] = cell
        if len(cells) > max_cells:
            return None
    return cells, protected
