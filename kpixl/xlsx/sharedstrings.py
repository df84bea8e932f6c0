"""The shared strings part (``sharedStrings.xml``) read by pattern: the fast path of :func:`kpixl.xlsx.reader.read_book`.

Building an element per string item costs several times matching it (as
:mod:`kpixl.xlsx.cellscan` reads a sheet's cells). The pattern takes a part only when every
byte between ``<sst …>`` and ``</sst>`` is a string item in a shape it knows —
``<si><t>…</t></si>`` (``xml:space="preserve"``, ``<t/>``), or rich-text runs
``<r><rPr>…</rPr><t>…</t></r>`` whose run properties are the usual empty elements, each item
perhaps ending with ``<phoneticPr …/>`` — with XML's five entities and character references
only, no attribute named twice — and the rest of the part is a lone SpreadsheetML ``<sst>``
root (checked by expat). Anything else gives None and the element reader reads the part:
the same strings, or the same error.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from .cellscan import XML_DECL, XML_TEXT, Odd, xml_text
from .xmlstream import MAX_TEXT

__all__ = ["strings_by_pattern"]

_W = "[ \t\n]"
_SATTRS = '(?:[ \t\n]++[A-Za-z]++="[^"<&\x00-\x1f\ufffe\uffff]*+")*+'
_SST_ROOT = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}sst"
#: Run properties (never ``si``, ``t`` or ``r``, which would change what the element reader finds;
#: none starts with "t", so within runs every ``<t`` is a run's text).
_PROPS = "(?:b|i|u|strike|sz|color|rFont|family|charset|scheme|vertAlign|outline|shadow|condense|extend)"
_T_EL = '<t(?: xml:space="preserve")?(?:/>|>({text})</t>)'
_RPR = f'(?:<{_PROPS}{_SATTRS}[ \t\n]*+/>)*+'
_RUN_EL = '<r>(?:<rPr>({props}{rpr})</rPr>)?{t}</r>'
# A run: its properties (group 1) and text (group 2).
_RUN = re.compile(_RUN_EL.format(props="", rpr=_RPR, t=_T_EL.format(text=XML_TEXT)))
# A string item without its "</si>" (the part is cut there: no text or attribute holds a "<"): plain
# text (group 1), or rich-text runs (group 2); its phonetic properties' attributes (group 3).
_ITEM = re.compile(
    f'{_W}*+<si>(?:{_T_EL.format(text=XML_TEXT)}|((?:'
    + _RUN_EL.format(props="?:", rpr=_RPR, t=_T_EL.format(text="?:" + XML_TEXT))
    + f')++))(?:<phoneticPr({_SATTRS})[ \t\n]*+/>)?')
_ATTR_LIST = re.compile(f"<[A-Za-z]++({_SATTRS})[ \t\n]*+/>")
_ATTR_NAME = re.compile(r'[ \t\n]+([A-Za-z]+)="')
# Every item plain text (most parts): the items checked by one match, the characters by another
# (or none: str.isprintable() is True only without any character XML refuses, nor a line break, common in
# labels), the texts taken by a third.
_PLAIN = re.compile(f'(?:{_W}*+<si>{_T_EL.format(text="?:[^<]*+")}</si>)*+{_W}*+')
_PLAIN_TEXT = re.compile(_T_EL.format(text="[^<]*+"))
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]")
_SST = re.compile(rb'<sst(?:[ \t\n]++[A-Za-z][\w.:-]*+="[^"<&]*+")*+[ \t\n]*+>')
#: Run and phonetic properties (a part repeats a few) and ``<sst>`` roots already judged; string items
#: already read (the files of a batch share most of theirs): item XML → its text (bounded: under 20 MB).
_SEEN_PROPS: dict[str, bool] = {}
_SEEN_ITEMS: dict[str, str] = {}
_SEEN_ITEMS_MAX, _SEEN_ITEM_CHARS = 4096, 512
_SEEN_ROOTS: dict[bytes, bool] = {}


def _props_ok(text: str) -> bool:
    """Run properties (``<sz val="8"/>…``) or a phonetic element's attributes with no attribute named twice
    in an element (which expat refuses) and no namespace declared."""
    ok = _SEEN_PROPS.get(text)
    if ok is None:
        lists = _ATTR_LIST.findall(text) if text.startswith("<") else [text]
        ok = True
        for attrs in lists:
            keys = _ATTR_NAME.findall(attrs)
            ok = ok and len(set(keys)) == len(keys) and "xmlns" not in keys
        if len(text) <= 1024:
            if len(_SEEN_PROPS) > 4096:
                _SEEN_PROPS.clear()
            _SEEN_PROPS[text] = ok
    return ok


def _root_ok(outer: bytes) -> bool:
    """The part without its string items is a lone SpreadsheetML ``<sst>`` (expat), UTF-8, no DOCTYPE, comment or PI."""
    ok = _SEEN_ROOTS.get(outer)
    if ok is None:
        rest = outer[XML_DECL.match(outer).end():]
        ok = False
        if b"<!" not in rest and b"<?" not in rest:
            seen: list[str] = []
            parser = expat.ParserCreate(namespace_separator="}")
            parser.StartElementHandler = lambda name, attrs: seen.append(name)
            try:
                parser.Parse(outer, True)
                ok = seen == [_SST_ROOT]
            except expat.ExpatError:
                pass
        if len(outer) <= 1 << 12:
            if len(_SEEN_ROOTS) > 256:
                _SEEN_ROOTS.clear()
            _SEEN_ROOTS[outer] = ok
    return ok


def _stext(s: str | None) -> str:
    return xml_text(s) if s else ""


def _item_text(item: str) -> str | None:
    """One string item's text (cut at :data:`MAX_TEXT` + 1 as the element reader cuts it), or None when
    it is not in a known shape.

    Raises:
        Odd: An entity only a document type could declare.
    """
    m = _ITEM.fullmatch(item)
    if m is None:
        return None
    plain, runs, phonetic = m.groups()
    if phonetic and not _props_ok(phonetic):
        return None
    if runs is None:
        text = _stext(plain)
    else:
        texts = []
        for props, t in _RUN.findall(runs):
            if props and not _props_ok(props):
                return None
            texts.append(_stext(t))
        text = "".join(texts)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT + 1]


def strings_by_pattern(data: bytes) -> list[str] | None:
    """The shared strings of a ``sharedStrings.xml`` read by pattern.

    Args:
        data: The part's bytes (its size already within the file's budget).

    Returns:
        Each string item's text in order (rich-text runs joined, phonetic runs left out, cut at
        :data:`~kpixl.xlsx.xmlstream.MAX_TEXT` + 1 characters), or None when the element reader
        must read the part.
    """
    root = _SST.match(data, XML_DECL.match(data).end())
    end = data.rfind(b"</sst>")
    if root is None or end < root.end() or not _root_ok(data[:root.end()] + data[end:]):
        return None
    try:
        xml = data[root.end():end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "]]>" in xml:  # (not allowed in text; every other character expat refuses is outside the pattern)
        return None
    strings: list[str] = []
    try:
        if _PLAIN.fullmatch(xml) and (xml.replace("\n", "").isprintable() or not _NOT_XML.search(xml)):
            strings = _PLAIN_TEXT.findall(xml)
            if "&" in xml:
                strings = [_stext(text) for text in strings]
            return strings if len(xml) <= MAX_TEXT else [t if len(t) <= MAX_TEXT else t[:MAX_TEXT + 1] for t in strings]
        *items, tail = xml.split("</si>")
        if tail.strip(" \t\n"):
            return None
        seen = _SEEN_ITEMS
        for item in items:
            text = seen.get(item)
            if text is None:
                text = _item_text(item)
                if text is None:
                    return None
                if len(item) <= _SEEN_ITEM_CHARS:
                    if len(seen) >= _SEEN_ITEMS_MAX:
                        seen.clear()
                    seen[item] = text
            strings.append(text)
    except Odd:
        return None
    return strings
