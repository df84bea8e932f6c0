"""Reading a Scheme sheet into the plain data of a scheme, remembering where each value came from.

One pass collects every problem of the sheet itself (a bad notation, an unknown header,
text where a number belongs); then :func:`kpixl.scheme.scheme_from_dict` validates the
data with a ``locate`` that maps each YAML path back to its cell, and the two lists are
reported together. A cell that could not be read is left out (or stood in for, so that
the rest of the scheme can still be checked), and the scheme problems that only follow
from it are dropped: one mistake, one message.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...errors import InputError, Problem
from ...rules import RULE_TYPES
from ..validate import scheme_from_dict
from ..models import Scheme
from .. import notation as nt
from .vocab import (
    COLUMN_OF,
    COLUMNS,
    ITEM_FIELDS,
    KEY_OF,
    KEYS,
    REQUIRED,
    RULE_LIST,
    RULE_OF,
    RULE_WORDS,
    SECTION_FIELDS,
    norm,
)


class Reader:
    """One pass over a scheme sheet: plain data, cell addresses, and the problems found."""

    def __init__(self, ws: Worksheet, path: Path | None):
        self.ws, self.path, self.sheet = ws, path, ws.title
        self.problems: list[Problem] = []
        self.cells: dict[str, str] = {}  # YAML path → cell
        self.bad_cells: set[str] = set()
        self.poison: list[tuple[str, str | None]] = []  # (path prefix, code or None = any)
        self.given: dict[tuple[str, str], str] = {}  # (section path, field) → cell first given
        self._values: Worksheet | None = None
        self._seen: dict[tuple[int, int], tuple[Any, str]] = {}
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.origin[(r, c)] = (rng.min_row, rng.min_col)

    # ---- cells ----------------------------------------------------------------------

    def value(self, r: int, c: int, merged: bool = False) -> tuple[Any, str]:
        """A cell's value and address; within the table, a merged cell reads its origin."""
        if merged and (r, c) in self.origin:
            r, c = self.origin[(r, c)]
        if (r, c) not in self._seen:
            cell = self.ws.cell(r, c)
            v = cell.value
            if cell.data_type == "f":
                v = self._computed(r, c, cell.coordinate)
            elif not isinstance(v, (str, int, float, bool, type(None))):
                v = str(v)  # a date or time: text
            self._seen[(r, c)] = (v, cell.coordinate)
        return self._seen[(r, c)]

    def _computed(self, r: int, c: int, coord: str) -> Any:
        if self._values is None and self.path is not None:
            self._values = openpyxl.load_workbook(self.path, data_only=True)[self.sheet]
        v = self._values.cell(r, c).value if self._values is not None else None
        if v is None:
            self.add(coord, "formula_without_value", "holds a formula with no computed value; type the value, "
                     "or open and save the file in Excel first")
        return v

    def add(self, coord: str, code: str, message: str, value: Any = None, **context: Any) -> None:
        where = f"{self.sheet}!{coord}"
        self.bad_cells.add(where)
        self.problems.append(Problem(where, code, message, value, **context))

    def parse(self, kind: str, field: str, raw: Any, coord: str, label: str, **context: Any) -> Any:
        """A cell's value by its kind; on failure a problem at the cell and ``_BAD``."""
        try:
            return _parse(kind, field, raw)
        except nt.NotationError as e:
            code = "not_a_number" if kind in ("number", "int") else "bad_value" if kind in ("choice", "bool", "base") else "bad_notation"
            self.add(coord, code, f"{label}: {e}", raw, **context)
            return _BAD

    # ---- the sheet ------------------------------------------------------------------

    def read(self, source: str) -> Scheme:
        ws = self.ws
        last = ws.max_row
        head = next((r for r in range(1, last + 1) if self._is_header(r)), None)
        data = self._keys(head - 1 if head else last)
        if head is None:
            self.add(f"A{last + 1}", "no_item_table", "no item table: add a header row 板块 | 项目编号 | 考核项目 | 分值 | 规则 … "
                     "and one row per item below it")
            raise InputError(self.problems, f"scheme {source}")
        cols = self._header(head)
        if cols is None:
            raise InputError(self.problems, f"scheme {source}")
        data["sections"] = self._items(head, cols)
        return self._validate(data, source)

    def _is_header(self, r: int) -> bool:
        for c in range(1, self.ws.max_column + 1):
            v, _ = self.value(r, c)
            if isinstance(v, str) and COLUMN_OF.get(norm(v)) == "section":
                a, _ = self.value(r, 1)
                return not (c == 2 and isinstance(a, str) and norm(a) in KEY_OF)
        return False

    def _keys(self, last: int) -> dict:
        data: dict[str, Any] = {}
        seen: dict[str, str] = {}
        titled = False
        for r in range(1, last + 1):
            key, kc = self.value(r, 1)
            val, vc = self.value(r, 2)
            if nt.is_blank(key) and nt.is_blank(val):
                continue
            first, titled = not titled, True
            if nt.is_blank(key):
                self.add(vc, "value_without_key", "a value with no key in column A", val)
                continue
            name = KEY_OF.get(norm(key))
            if name is None:
                if first:
                    continue  # the title
                self.add(kc, "unknown_key", f"unknown key {str(key).strip()!r}{_guess(key, KEY_OF, KEYS)}; keys are "
                         + ", ".join(f"{w[0]} ({k})" for k, (w, _) in KEYS.items()), key)
                continue
            if name in seen:
                self.add(kc, "duplicate_key", f"{str(key).strip()} is given twice (first at {seen[name]})", key)
                continue
            seen[name] = kc
            self.cells[name] = vc
            if nt.is_blank(val):
                continue
            v = self.parse(KEYS[name][1], name, val, vc, str(key).strip())
            if v is _BAD:
                if name == "ratings":
                    self.poison.append(("bonus.rating_factor", None))
                continue
            if name.startswith("total."):
                data.setdefault("total", {})[name[6:]] = v
            else:
                data[name] = v
        return data

    def _header(self, r: int) -> dict[int, tuple[str, str]] | None:
        """Column number → (field, header as written); None when a required column is missing."""
        cols: dict[int, tuple[str, str]] = {}
        where: dict[str, str] = {}
        end = 0
        for c in range(1, self.ws.max_column + 1):
            v, coord = self.value(r, c)
            if nt.is_blank(v):
                continue
            end = c
            field = COLUMN_OF.get(norm(v))
            text = str(v).strip()
            if field is None:
                self.add(coord, "unknown_header", f"unknown column {text!r}{_guess(v, COLUMN_OF, COLUMNS)}; columns are "
                         + ", ".join(f"{w[0]} ({f})" for f, (w, *_) in COLUMNS.items()), v)
            elif field in where:
                self.add(coord, "duplicate_header", f"column {text!r} is given twice (first at {where[field]})", v)
            else:
                where[field] = coord
                cols[c] = (field, text)
        missing = [f for f in REQUIRED if f not in where]
        for i, f in enumerate(missing):
            self.add(f"{get_column_letter(end + 1 + i)}{r}", "missing_column",
                     f"the item table needs a {COLUMNS[f][0][0]} ({f}) column")
        return None if missing else cols

    def _items(self, head: int, cols: dict[int, tuple[str, str]]) -> list[dict]:
        sections: list[dict] = []
        by_field = {f: c for c, (f, _) in cols.items()}
        for r in range(head + 1, self.ws.max_row + 1):
            row = {f: self.value(r, c, merged=True) for f, c in by_field.items()}
            for c in range(1, self.ws.max_column + 1):
                v, coord = self.value(r, c)
                if nt.is_blank(self.value(head, c)[0]) and not nt.is_blank(v):
                    self.add(coord, "value_without_header", "a value in a column with no header", v)
            if all(nt.is_blank(v) for v, _ in row.values()):
                continue
            sid, scoord = row["section"]
            if nt.is_blank(sid):
                self.add(scoord, "no_section", "an item row needs its 板块 (section)")
                continue
            sid = _text(sid).strip()
            if not sections or sections[-1]["id"] != sid:
                sections.append({"id": sid, "items": []})
                sp = f"sections[{len(sections) - 1}]"
                for p in (sp, f"{sp}.id", f"{sp}.items"):
                    self.cells[p] = scoord
                for f, attr in SECTION_FIELDS.items():
                    if f in row:
                        self.cells[f"{sp}.{attr}"] = row[f][1]
            sp = f"sections[{len(sections) - 1}]"
            self._section_fields(sections[-1], sp, row, cols)
            ip = f"{sp}.items[{len(sections[-1]['items'])}]"
            sections[-1]["items"].append(self._item(ip, sp, row, cols))
        weights = [(i, s) for i, s in enumerate(sections) if "weight" in s]
        if weights:
            self.cells["sections"] = self.cells[f"sections[{weights[0][0]}].weight"]
        elif "section" in by_field:
            self.cells["sections"] = f"{get_column_letter(by_field['section'])}{head}"
        return sections

    def _label(self, cols: dict, field: str) -> str:
        return next(text for f, text in cols.values() if f == field)

    def _section_fields(self, sec: dict, sp: str, row: dict, cols: dict) -> None:
        for f, attr in SECTION_FIELDS.items():
            if f not in row or nt.is_blank(row[f][0]):
                continue
            raw, coord = row[f]
            v = self.parse(COLUMNS[f][1], f, raw, coord, self._label(cols, f))
            if v is _BAD:
                if attr == "weight":
                    self.poison.append(("sections", "weights_sum"))
                continue
            if attr not in sec:
                sec[attr] = v
                self.cells[f"{sp}.{attr}"] = coord
                self.given[(sp, attr)] = coord
            elif sec[attr] != v:
                first = self.given.get((sp, attr), "?")
                self.add(coord, "section_conflict", f"{self._label(cols, f)}: section {sec['id']!r} already has "
                         f"{_show(sec[attr])} (at {first}); later rows may repeat it, not change it", raw)

    def _item(self, ip: str, sp: str, row: dict, cols: dict) -> dict:
        item: dict[str, Any] = {}
        item_id = None if nt.is_blank(row.get("item", (None,))[0]) else _text(row["item"][0]).strip()
        ctx = {"item": item_id}
        for f, (raw, coord) in row.items():
            owner = COLUMNS[f][2]
            if owner == "section":
                continue
            attr = ITEM_FIELDS.get(f, f)
            path = f"{ip}.rule.{f}" if owner == "rule" else f"{ip}.{attr}"
            self.cells[path] = coord
            if f == "rule":
                self.cells[f"{ip}.rule.type"] = coord
            if owner == "rule" or f == "rule" or nt.is_blank(raw):
                continue
            v = self.parse(COLUMNS[f][1], f, raw, coord, self._label(cols, f), **ctx)
            if v is _BAD:
                self.poison += {"points": [(f"{ip}.points", None), (f"{ip}.rule", None),
                                           (f"{sp}.weight", "weighted_without_points")],
                                "na": [(f"{ip}.na_group", "na_group_unused")],
                                "target": [(f"{ip}.target", None)]}.get(f, [])
                if f == "points":
                    item["points"] = 0
                continue
            item[attr] = v
        self.cells[ip] = row["item"][1]
        item["rule"] = self._rule(ip, row, cols, ctx)
        return item

    def _rule(self, ip: str, row: dict, cols: dict, ctx: dict) -> dict:
        raw, coord = row["rule"]
        label = self._label(cols, "rule")
        rule: dict[str, Any] = {}
        kind = None
        if nt.is_blank(raw):
            self.add(coord, "missing", f"{label}: every item needs a rule: {RULE_LIST}", **ctx)
        elif isinstance(raw, str) and raw.strip().startswith("{"):
            try:
                rule = dict(nt.parse_yaml(raw))
                kind = RULE_OF.get(norm(rule.get("type", "")))
                if kind is None:
                    self.add(coord, "union_tag_invalid", f"{label}: the rule needs a type: {RULE_LIST}", raw, **ctx)
            except (nt.NotationError, TypeError, ValueError) as e:
                self.add(coord, "bad_notation", f"{label}: {e}", raw, **ctx)
        else:
            kind = RULE_OF.get(norm(raw))
            if kind is None:
                self.add(coord, "union_tag_invalid", f"{label}: unknown rule type; allowed: {RULE_LIST}", raw, **ctx)
        model = RULE_TYPES.get(kind) if kind else None
        broken = model is None
        for f, (v, pc) in row.items():
            if COLUMNS[f][2] != "rule" or nt.is_blank(v):
                continue
            plabel = self._label(cols, f)
            if model is not None and f not in model.model_fields:
                allowed = ", ".join(f"{COLUMNS[p][0][0]} ({p})" for p in model.model_fields if p != "type") or "none"
                self.add(pc, "extra_forbidden", f"{plabel}: a {RULE_WORDS[kind][0]} ({kind}) rule has no such "
                         f"parameter; its parameters: {allowed}", v, **ctx)
                continue
            if f in rule:
                self.add(pc, "given_twice", f"{plabel}: also given in the rule cell {coord}", v, **ctx)
                continue
            parsed = self.parse(COLUMNS[f][1], f, v, pc, plabel, **ctx)
            if parsed is _BAD:
                self.poison.append((f"{ip}.rule", None))
                broken |= model is not None and model.model_fields[f].is_required()
                continue
            rule[f] = parsed
        if broken:
            return {"type": "ratio"}  # a stand-in, so the rest of the scheme is still checked
        rule["type"] = kind
        return rule

    # ---- validation -----------------------------------------------------------------

    def locate(self, path: str) -> str:
        p = path
        while p:
            if p in self.cells:
                return f"{self.sheet}!{self.cells[p]}"
            cut = max(p.rfind("."), p.rfind("["))
            if cut <= 0:
                break
            p = p[:cut]
        return self.sheet

    def _validate(self, data: dict, source: str) -> Scheme:
        calls: list[str] = []

        def locate(path: str) -> str:
            calls.append(path)
            return self.locate(path)

        found: list[Problem] = []
        scheme = None
        try:
            scheme = scheme_from_dict(data, source=source, locate=locate)
        except InputError as e:
            # io locates each problem once, in order: the calls give each problem's YAML path.
            paths = calls if len(calls) == len(e.problems) else [""] * len(e.problems)
            found = [p for p, path in zip(e.problems, paths) if not self._consequence(p, path)]
        problems = self.problems + found
        if problems:
            raise InputError(sorted(problems, key=_position), f"scheme {source}")
        return scheme

    def _consequence(self, p: Problem, path: str) -> bool:
        """A scheme problem that only follows from a sheet problem already reported."""
        if p.where in self.bad_cells:
            return True
        return any((path == pre or path.startswith(pre + ".") or path.startswith(pre + "["))
                   and code in (None, p.code) for pre, code in self.poison)


_BAD = object()


def _position(p: Problem) -> tuple:
    m = re.search(r"!([A-Z]+)(\d+)$", p.where)
    if not m:
        return (0, 0, "")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(m.group(2)), col, p.where)


def _guess(text: Any, known: dict[str, str], table: dict) -> str:
    close = difflib.get_close_matches(norm(text), list(known), n=1, cutoff=0.6)
    if not close:
        return ""
    name = known[close[0]]
    return f" (did you mean {table[name][0][0]} ({name})?)"


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return nt.format_number(v)
    return str(v)


def _show(v: Any) -> str:
    return nt.format_number(v) if isinstance(v, (int, float)) else repr(v)


def _parse(kind: str, field: str, raw: Any) -> Any:
    if kind == "text":
        return _text(raw)
    if kind == "ident":
        return _text(raw).strip()
    if kind == "number":
        return nt.parse_number(raw)
    if kind == "int":
        n = nt.parse_number(raw)
        return int(n) if float(n).is_integer() else n
    if kind == "choice":
        return nt.parse_choice(field, raw)
    if kind == "bool":
        return nt.parse_bool(raw)
    if kind == "base":
        return nt.parse_base(raw)
    if kind == "target":
        return nt.parse_target(raw)
    return nt.parse_structured(kind, raw)
