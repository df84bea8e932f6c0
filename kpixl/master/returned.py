"""Check one returned workbook against what was sent: identity, formulas, locked cells, inputs.

A person sheet is found by its stamp (the sheet-scoped name ``kpixl.stamp``, else the
very hidden ``_kpixl`` sheet's row for that sheet name), never by its name or place.
What was sent is known without the sent file: the master's card and roster give every
formula (the same :class:`~._card_formulas.CardFormulas` the generator used) and every
fixed label, so a formula replaced by a number, a changed formula, a typed-over label
or target, and a sheet of another scheme, version or period are all found here.

Places are written as Excel writes an external reference: ``[王经理.xlsx]王伟-K01!G7``.
Input values are only read here; the engine validates them (:mod:`kpixl.master.collect`).

A thousand sheets are checked per collect, most of them untouched: one quick look at a
sheet's formulas and locked cells (:meth:`SheetChecker._untouched`) tells whether the cell
by cell checks could find anything; when it cannot tell, they run (``QUICK`` turns the look
off, for tests that compare both ways).
"""

from __future__ import annotations

import math
from itertools import repeat
from operator import attrgetter, itemgetter
from dataclasses import dataclass, field
from typing import Any

from ..xlsx.cells import split_ref
from ..engine.inputs import parse_column
from ..errors import Problem
from ..memo import short_memo
from ..card.formulas import CardFormulas
from ..card.template import PLACEHOLDER
from ..card.naming import period_label
from .store import plain
from ..xlsx.reader import Book, Cell, Sheet
from ..xlsx.xmlstream import MAX_TEXT
from ..card.validation import validation_for
from ..card.stamp import STAMP_NAME, STAMP_SHEET, Stamp, formula_checksum, keyed_checksum, normal_formula

WARNING = "warning"
#: Problems that already explain why a sheet's stamp no longer matches its formulas.
_FORMULA_CODES = frozenset({"formula_overwritten", "formula_changed", "formula_added", "input_formula"})


@dataclass
class Returned:
    """One identified person sheet and what it holds."""

    book: Book
    sheet: Sheet
    stamp: Stamp
    values: dict[str, Any] = field(default_factory=dict)  # input column → value as typed
    places: dict[str, str] = field(default_factory=dict)  # input column → [file]sheet!cell
    problems: list[Problem] = field(default_factory=list)  # errors: the sheet is not applied
    warnings: list[Problem] = field(default_factory=list)  # applied, but worth a look
    sha: str = ""  # SHA-256 of the file
    copies: list["Returned"] = field(default_factory=list)  # identical copies in other files (one is applied)

    @property
    def employee(self) -> str:
        return self.stamp.employee_id

    def place(self, ref: str | None = None) -> str:
        return place(self.book, self.sheet.name, ref)


def place(book: Book, sheet: str | None = None, ref: str | None = None) -> str:
    where = f"[{book.name}]"
    if sheet is not None:
        where += sheet
        if ref:
            where += f"!{ref}"
    return where


#: Every ``_kpixl`` sheet has the same few dozen cells (A2, B2, …): each reference is read once.
_split_ref = short_memo(4096, 16)(split_ref)


#: Stamps read lately: a file's stamp texts are read twice or thrice (its names, its ``_kpixl`` rows).
_STAMPS: dict[str, Stamp] = {}


def _stamp(text: str) -> Stamp:
    """``Stamp.parse(text)``, cached by the text (a stamp is frozen); a long text is parsed, not kept.

    Raises:
        ValueError: The text is not a stamp.
    """
    got = _STAMPS.get(text)
    if got is None:
        got = Stamp.parse(text)
        if len(text) <= 256:
            if len(_STAMPS) >= 4096:
                _STAMPS.clear()
            _STAMPS[text] = got
    return got


def listed_rows(book: Book) -> list[tuple[Any, Any]]:
    """The very hidden ``_kpixl`` sheet's rows that hold a sheet name or a stamp: (sheet name as sent, stamp text).

    Read once per book and given to :func:`stamped_sheets` and :func:`listed_names`, which read it otherwise.
    """
    listed = book.sheet(STAMP_SHEET)
    if listed is None:
        return []
    by_row: dict[int, dict[str, Any]] = {}
    for ref, cell in listed.cells.items():
        col, row = _split_ref(ref)
        if row > 1 and (col == "A" or col == "B"):  # a row without either is no sheet's: every caller skips it
            by_row.setdefault(row, {})[col] = cell.value
    return [(row.get("A"), row.get("B")) for _, row in sorted(by_row.items())]


def listed_names(book: Book, rows: list[tuple[Any, Any]] | None = None) -> dict[str, str | None]:
    """Employee → the name their sheet was sent under (from ``_kpixl``: its :func:`listed_rows`), to tell a renamed sheet."""
    out: dict[str, str | None] = {}
    for name, text in listed_rows(book) if rows is None else rows:
        try:
            employee = _stamp(str(text)).employee_id
        except ValueError:
            continue
        out.setdefault(employee, None if name is None else str(name))  # the first row of an employee counts
    return out


def stamped_sheets(book: Book, rows: list[tuple[Any, Any]] | None = None) -> tuple[list[tuple[Sheet, Stamp]], list[Problem]]:
    """Every person sheet of a book with its stamp, and the sheets the stamp list misses.

    ``rows`` are the book's :func:`listed_rows`, when the caller has read them.
    """
    found: dict[int, Stamp] = {}
    problems: list[Problem] = []
    for name, local, text in book.names:
        if name.lower() != STAMP_NAME or local is None or not (0 <= local < len(book.sheets)):
            continue
        try:
            found[local] = _stamp(text.strip().lstrip("=").strip('"').replace('""', '"'))
        except ValueError:
            problems.append(Problem(place(book, book.sheets[local].name), "bad_stamp",
                                    "the sheet's kpixl stamp is damaged; it cannot be collected", text))
    rows = listed_rows(book) if rows is None else rows  # the very hidden list: name → stamp, for programs that drop sheet names
    if rows:
        stamped_employees = {s.employee_id for s in found.values()}
        for sheet_name, text in rows:
            try:
                stamp = _stamp(str(text))
            except ValueError:
                continue
            if stamp.employee_id in stamped_employees:
                continue
            sheet = book.sheet(str(sheet_name))
            if sheet is not None and sheet.index not in found:
                found[sheet.index] = stamp
            else:
                problems.append(Problem(place(book), "sheet_missing",
                                        f"the sheet of {stamp.employee_id} ({sheet_name}) is not in the file: "
                                        "deleted, or renamed in a program that drops kpixl's stamps",
                                        employee=stamp.employee_id))
    return [(book.sheets[k], s) for k, s in sorted(found.items())], problems


def _shown(value: Any) -> str:
    """A value as a message shows it: 2000000 (not 2000000.0), text in quotes."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _same(expected: Any, got: Any) -> bool:
    if expected == got:  # the common case; equal values are the same (NaN is never equal)
        return True
    if isinstance(expected, str) or isinstance(got, str):
        return str(expected if expected is not None else "").strip() == str(got if got is not None else "").strip()
    if expected is None or got is None:
        return expected is None and got is None
    try:
        a, b = float(expected), float(got)
    except (TypeError, ValueError):
        return expected == got
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


#: Look at a sheet's cells with :meth:`SheetChecker._untouched` first (tests turn it off to compare).
QUICK = True
_NO_CELL = Cell()
_VALUE = attrgetter("value")


def _is_number(plan: CardFormulas, key: str) -> bool:
    """The card validates this input as a number (a decimal range)."""
    try:
        rule = validation_for(plan.scheme, key)
    except (KeyError, StopIteration, ValueError):
        return False
    return rule is not None and rule.get("validate") == "decimal"


class SheetChecker:
    """Checks person sheets against the master's card (built once per collect)."""

    def __init__(self, plan: CardFormulas, expected_formulas, expected_targets, fields=None,
                 key: bytes | None = None, signed: bool = False):
        """
        Args:
            plan: The master's card wired to its scheme.
            expected_formulas: ``employee id -> {cell: formula}`` as generated from the master now.
            expected_targets: ``employee id -> {target column: value}`` from the master's roster.
            fields: ``employee id -> {placeholder: value}`` (roster columns, scheme fields),
                to check the printed texts such as 被考核人：王伟 (the period is added per sheet).
            key: The master's secret, when it has one: stamps are verified as keyed MACs.
            signed: Every sheet must carry a keyed MAC (the master distributed this period
                with its key); without one, a recomputed plain checksum is accepted as before.
        """
        self.key, self.signed = key, signed
        self.plan = plan
        self.expected_formulas = expected_formulas
        self.expected_targets = expected_targets
        self.fields = fields or {}
        self.texts = [c for c in plan.card.cells if c.kind in ("text", "field")]
        card = plan.card
        self.input_cells = {c.ref: key for key, c in plan.inputs.items()}
        self.inputs = {key: c.ref for key, c in plan.inputs.items() if parse_column(key)[1] != "target"}
        self.fixed = {c.ref: c.value for c in card.cells
                      if c.kind == "value" and not (isinstance(c.value, str) and c.value.startswith("="))}
        self.known = {c.ref for c in card.cells}
        # Inputs the card validates as numbers: a date typed there is a problem (Excel stores 46356).
        self.numeric = {key for key in self.inputs if _is_number(plan, key)}
        self._sums: dict[str, str] = {}
        # For the quick look at a sheet's locked cells (:meth:`_untouched`): the card's fixed values in one tuple.
        self._fixed_refs, self._fixed_values = tuple(self.fixed), tuple(self.fixed.values())
        # ... and split: the blank ones (None: absent from a sheet as sent) and the others, fetched at once.
        self._fixed_blank = frozenset(ref for ref, v in self.fixed.items() if v is None)
        filled = [(ref, v) for ref, v in self.fixed.items() if v is not None]
        self._fixed_get = itemgetter(*[ref for ref, _ in filled]) if len(filled) > 1 else None
        self._fixed_filled = tuple(v for _, v in filled)
        self._text_refs = tuple(c.ref for c in self.texts)
        # Each printed text split once at its placeholders: literal, name, literal, … (as PLACEHOLDER.sub meets them).
        self._text_parts = [[p.strip() if k % 2 else p for k, p in enumerate(PLACEHOLDER.split(c.value))]
                            if c.kind == "text" else None for c in self.texts]
        self._labels: dict[str, str] = {}  # period → its label (被考核期间：2026年11月)

    def _checksum(self, stamp: Stamp, keyed: bool) -> str:
        """The checksum (or keyed MAC) the master would stamp on this person's sheet now (cached)."""
        eid = stamp.employee_id
        got = self._sums.get((eid, keyed))
        if got is None:
            got = self._sums[(eid, keyed)] = self._sum(stamp, self.expected_formulas[eid], keyed)
        return got

    def _sum(self, stamp: Stamp, formulas: dict[str, str], keyed: bool) -> str:
        if keyed and self.key is not None:
            return keyed_checksum(self.key, stamp.scheme_id, stamp.version, stamp.employee_id, stamp.period, formulas)
        return formula_checksum(formulas)

    def check(self, book: Book, sheet: Sheet, stamp: Stamp) -> Returned:
        r = Returned(book, sheet, stamp)
        eid = stamp.employee_id
        expected = self.expected_formulas.get(eid)
        if expected is None:
            return r  # an unknown employee: reported by the caller
        cells = sheet.cells
        actual = {ref: "=" + c.formula for ref, c in cells.items() if c.formula is not None}
        # A keyed MAC proves the sheet (its identity and formulas) is one this master sent;
        # a plain checksum only that the formulas are the ones it was stamped with.
        keyed = False
        if self.key is not None:
            mac = self._sum(stamp, actual, True)
            keyed = mac == stamp.checksum
            if keyed and (eid, True) not in self._sums and actual == expected:
                self._sums[(eid, True)] = mac  # the formulas sent, untouched: the same MAC, not computed twice
        untouched = keyed or (not self.signed and formula_checksum(actual) == stamp.checksum)
        current = self._checksum(stamp, keyed) if untouched else None  # what the master would stamp now
        if untouched and current == stamp.checksum:
            expected = {}  # the very formulas generated, and the master would generate them again
        for ref, formula in expected.items():
            got = cells.get(ref)
            if got is not None and got.formula is not None and "=" + got.formula == formula:
                continue
            if got is None or got.formula is None:
                shown = None if got is None else got.value
                r.problems.append(Problem(r.place(ref), "formula_overwritten",
                                          f"the formula in {ref} was replaced by a typed value; "
                                          "send the sheet again without typing over computed cells",
                                          shown, employee=eid))
            elif normal_formula(got.formula) != normal_formula(formula):
                if untouched:
                    continue  # reported once below: the master changed, not the sheet
                r.problems.append(Problem(r.place(ref), "formula_changed",
                                          f"the formula in {ref} was changed (expected {formula})",
                                          "=" + got.formula, employee=eid))
        if untouched and current != stamp.checksum:
            r.warnings.append(Problem(r.place(), "stale_sheet",
                                      "this sheet was generated before the master's card, or a target or base on its "
                                      "roster, changed; "
                                      "kpixl scores it with the master's current formulas and targets",
                                      employee=eid))
        expected = self.expected_formulas[eid]
        untouched_cells = QUICK and self._untouched(cells, actual, expected)
        for ref, c in () if untouched_cells else cells.items():
            if c.formula is not None and ref not in expected:
                key = self.input_cells.get(ref)
                if key is not None:
                    r.problems.append(Problem(r.place(ref), "input_formula",
                                              f"an input must be typed as a value, not a formula ({key})",
                                              "=" + c.formula, employee=eid, column=key))
                else:
                    r.problems.append(Problem(r.place(ref), "formula_added",
                                              f"a formula was added to the locked cell {ref}", "=" + c.formula,
                                              employee=eid))
            elif ref in self.fixed:
                was = self.fixed[ref]
                if was != c.value and not _same(was, c.value):  # (equal values are the same; most are)
                    r.problems.append(Problem(r.place(ref), "locked_changed",
                                              f"the locked cell {ref} was changed (was {_shown(self.fixed[ref])})",
                                              c.value, employee=eid))
            elif ref not in self.known and c.value is not None and ref not in expected:
                r.problems.append(Problem(r.place(ref), "locked_changed",
                                          f"something was typed into {ref}, outside the card's input cells",
                                          c.value, employee=eid))
        if self.signed and not keyed and not any(p.code in _FORMULA_CODES for p in r.problems):
            r.problems.append(Problem(r.place(), "stamp_forged",
                                      "the sheet's kpixl stamp is not one this master made (its employee, period or "
                                      "checksum was edited); it is not collected — send the sheet as it was sent",
                                      stamp.text(), employee=eid))
        for ref in () if untouched_cells else self.fixed:
            if ref not in cells and self.fixed[ref] not in (None, ""):
                r.problems.append(Problem(r.place(ref), "locked_changed",
                                          f"the locked cell {ref} was cleared (was {_shown(self.fixed[ref])})",
                                          None, employee=eid))
        fields = self.fields.get(eid)
        if fields is not None:
            label = self._labels.get(stamp.period)
            if label is None:
                label = self._labels[stamp.period] = period_label(stamp.period)
            self._check_texts(r, fields, label)
        for key, value in self.expected_targets.get(eid, {}).items():
            ref = self.plan.inputs[key].ref
            got = cells.get(ref)
            if not _same(value, got.value if got is not None else None):
                r.problems.append(Problem(r.place(ref), "locked_changed",
                                          f"the target {key} in {ref} was changed (the roster says {_shown(value)})",
                                          got.value if got is not None else None, employee=eid, column=key))
        at = r.place() + "!"  # [file]sheet!, the start of every place in this sheet
        values, places = r.values, r.places
        for key, ref in self.inputs.items():
            c = cells.get(ref)
            places[key] = at + ref
            if c is None:
                values[key] = None
            elif c.error:
                r.problems.append(Problem(r.place(ref), "error_value", f"the cell shows an error ({c.value}); "
                                          "type a value", c.value, employee=eid, column=key))
            elif c.date and key in self.numeric:
                r.problems.append(Problem(r.place(ref), "date_in_number",
                                          f"a date was typed where {key} needs a number; type the number itself",
                                          c.value, employee=eid, column=key))
            elif isinstance(c.value, str) and len(c.value) > MAX_TEXT:
                r.problems.append(Problem(r.place(ref), "text_too_long",
                                          f"the text in {ref} is over {MAX_TEXT:,} characters, more than a cell "
                                          "holds; shorten it", f"{len(c.value):,}+ characters",
                                          employee=eid, column=key))
            elif c.formula is None:
                values[key] = plain(c.value)
        return r

    def _untouched(self, cells: dict[str, Cell], actual: dict[str, str], expected: dict[str, str]) -> bool:
        """True when the loops over a sheet's cells would find nothing (most sheets); False when they might.

        No formula where none was sent, every locked cell holding the card's value exactly (an
        absent cell reads as None), and nothing typed outside the card: then the cell by cell
        checks in :meth:`check` find nothing, so they are skipped. Anything else runs them.
        """
        if not actual.keys() <= expected.keys():
            return False
        if self._fixed_get is not None and self._fixed_blank.isdisjoint(cells):
            try:
                got = self._fixed_get(cells)
            except KeyError:  # a locked cell that holds something was cleared
                return False
            if tuple(map(_VALUE, got)) != self._fixed_filled:
                return False
        elif tuple(map(_VALUE, map(cells.get, self._fixed_refs, repeat(_NO_CELL)))) != self._fixed_values:
            return False
        if not self.known.issuperset(cells):
            for ref in cells.keys() - self.known:
                if cells[ref].value is not None and ref not in expected:
                    return False
        return True

    def _check_texts(self, r: Returned, fields: dict[str, Any], period: str) -> None:
        """Printed texts from the roster (被考核人：王伟): a change is a warning, not an error.

        They do not enter any score, and HR may have corrected the roster since the file
        was sent; but a changed name on a signed card is worth a look. ``fields`` are the
        person's; the placeholder ``period`` is ``period`` (the period's label) whatever they hold.
        """
        wants = []
        for c, parts in zip(self.texts, self._text_parts):
            if parts is None:
                want = period if c.key == "period" else fields.get(c.key)
            else:  # PLACEHOLDER.sub of the text, from its parts split once: literal, name, literal, …
                want = parts[0]
                for k in range(1, len(parts), 2):
                    v = period if parts[k] == "period" else fields.get(parts[k])
                    want += ("" if v is None else str(v)) + parts[k + 1]
            wants.append(want)
        cells = r.sheet.cells
        if tuple(map(_VALUE, map(cells.get, self._text_refs, repeat(_NO_CELL)))) == tuple(wants):
            return  # every text as the roster prints it (most sheets): nothing to look at one by one
        for c, want in zip(self.texts, wants):
            got = cells.get(c.ref)
            have = got.value if got is not None else None
            if want == have or (want in (None, "") and have in (None, "")):  # (equal values are the same)
                continue
            if not _same(want, have):
                r.warnings.append(Problem(r.place(c.ref), "text_changed",
                                          f"the printed text in {c.ref} differs from the roster's ({want!r})",
                                          have, employee=r.employee))
