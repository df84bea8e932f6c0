"""Read a template once (openpyxl): the scheme, the roster table and the card layout.

The card sheet (``考核表`` or ``Card``) is read into plain data — cells with their
placeholders parsed, one XlsxWriter format dict per distinct style, merged ranges,
column widths, row heights, print settings and frozen panes — so that generation can
write it thousands of times without touching openpyxl again.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import FileProblem
from ..scheme.models import Scheme
from ..xlsx.lang import workbook_lang
from ..xlsx.palette import style_key, to_format
from ..scheme.sheet.book import read_scheme_sheet

CARD_SHEETS = ("考核表", "Card")
ROSTER_SHEETS = ("Roster", "花名册")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
#: Whole-cell placeholders that become formulas.
FORMULA_KEYS = ("total", "rating", "bonus")


@dataclass
class CardCell:
    """One cell of the card.

    Attributes:
        row, col: 0-based position (XlsxWriter's).
        value: The cell as typed (text, number, formula text), placeholders unreplaced.
        style: Index into :attr:`Card.styles` (-1: no style).
        kind: ``value`` (copied as is), ``text`` (placeholders inside text),
            ``field`` (one roster/scheme/period placeholder: the value keeps its type),
            ``input`` (``{{in:…}}``), ``score`` (``{{score:…}}``) or ``formula``
            (``{{total}}``, ``{{rating}}``, ``{{bonus}}``).
        key: The placeholder's inside for ``field``/``input``/``score``/``formula``.
    """

    row: int
    col: int
    value: Any
    style: int
    kind: str = "value"
    key: str | None = None

    @property
    def ref(self) -> str:
        return f"{get_column_letter(self.col + 1)}{self.row + 1}"


@dataclass
class Card:
    """The card sheet, read once."""

    title: str
    cells: list[CardCell] = field(default_factory=list)
    styles: list[dict[str, Any]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col (0-based)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    landscape: bool = False
    margins: tuple[float, float, float, float] | None = None  # left, right, top, bottom (inches)
    center_horizontally: bool = False
    title_rows: tuple[int, int] | None = None  # 0-based first and last row of the print titles
    freeze: tuple[int, int] | None = None  # 0-based row and col of the top-left unfrozen cell
    last_row: int = 0
    last_col: int = 0

    def placed(self, kind: str) -> dict[str, CardCell]:
        """Placeholder key → its cell, for one kind (the first cell when placed twice)."""
        out: dict[str, CardCell] = {}
        for c in self.cells:
            if c.kind == kind and c.key not in out:
                out[c.key] = c
        return out

    def header_rows(self) -> tuple[int, int]:
        """The rows repeated on every printed page and frozen on screen (0-based, inclusive).

        The card's own print titles, else the rows above its freeze line, else the rows
        above the first row holding an input or a score.
        """
        if self.title_rows is not None:
            return self.title_rows
        if self.freeze is not None and self.freeze[0] > 0:
            return 0, self.freeze[0] - 1
        first = min((c.row for c in self.cells if c.kind in ("input", "score")), default=1)
        return 0, max(first - 1, 0)


@dataclass
class Template:
    """What a template holds: the scheme, the roster sheet's name, the card."""

    path: Path
    scheme: Scheme
    card: Card
    roster_sheet: str | None
    lang: str = "zh"  # the language of the 汇总 sheet's headers (the master's kpixl.lang)


def _classify(value: Any) -> tuple[str, str | None]:
    if not isinstance(value, str) or "{{" not in value:
        return "value", None
    found = PLACEHOLDER.findall(value)
    if not found:
        return "value", None
    whole = PLACEHOLDER.fullmatch(value.strip())
    if whole is None:
        return "text", None
    key = whole.group(1).strip()
    if key.startswith("in:"):
        return "input", key[3:].strip()
    if key.startswith("score:"):
        return "score", key[6:].strip()
    if key in FORMULA_KEYS:
        return "formula", key
    return "field", key


def read_card(ws) -> Card:
    """Read an openpyxl card worksheet into a :class:`Card`."""
    card = Card(ws.title)
    style_ids: dict[tuple, int] = {}
    merged_inner = set()
    for rng in ws.merged_cells.ranges:
        c1, r1, c2, r2 = rng.min_col, rng.min_row, rng.max_col, rng.max_row
        card.merges.append((r1 - 1, c1 - 1, r2 - 1, c2 - 1))
        merged_inner |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    for row in ws.iter_rows():
        for cell in row:
            if (cell.row, cell.column) in merged_inner:
                continue
            value = cell.value
            if value is None and not cell.has_style:
                continue
            key = style_key(cell)
            if key not in style_ids:
                style_ids[key] = len(card.styles)
                card.styles.append(to_format(cell))
            kind, ph = _classify(value)
            card.cells.append(CardCell(cell.row - 1, cell.column - 1, value, style_ids[key], kind, ph))
            card.last_row = max(card.last_row, cell.row - 1)
            card.last_col = max(card.last_col, cell.column - 1)
    for letter, dim in ws.column_dimensions.items():
        if dim.width and dim.customWidth is not False:
            lo = dim.min or column_index_from_string(letter)
            hi = dim.max or lo
            for c in range(lo, min(hi, lo + 200) + 1):
                card.widths[c - 1] = float(dim.width)
    for r, dim in ws.row_dimensions.items():
        if dim.height:
            card.heights[r - 1] = float(dim.height)
    card.landscape = ws.page_setup.orientation == "landscape"
    m = ws.page_margins
    if m is not None:
        card.margins = (m.left, m.right, m.top, m.bottom)
    card.center_horizontally = bool(ws.print_options.horizontalCentered)
    if ws.print_title_rows:
        first, _, last = str(ws.print_title_rows).replace("$", "").partition(":")
        card.title_rows = (int(first) - 1, int(last or first) - 1)
    if ws.freeze_panes:
        col, row = coordinate_from_string(ws.freeze_panes)
        card.freeze = (row - 1, column_index_from_string(col) - 1)
    return card


def _find(wb, names: tuple[str, ...]) -> str | None:
    wanted = {n.casefold() for n in names}
    return next((t for t in wb.sheetnames if t.strip().casefold() in wanted), None)


def read_template(path: str | Path) -> Template:
    """Read a template: its Scheme sheet, its card sheet and where its roster is.

    Raises:
        FileProblem: The file is not a workbook, or it has no card sheet.
        InputError: The Scheme sheet has problems (each at its cell).
    """
    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path)
    except FileNotFoundError:
        raise FileProblem(path, "opening the template", "no such file") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as e:
        raise FileProblem(path, "opening the template", f"not an Excel workbook (.xlsx/.xlsm): {e}") from None
    return template_from_workbook(wb, path)


def template_from_workbook(wb, path: str | Path) -> Template:
    """:func:`read_template` for a workbook already open in openpyxl (the master, when collecting)."""
    path = Path(path)
    scheme = read_scheme_sheet(wb)
    card_sheet = _find(wb, CARD_SHEETS)
    if card_sheet is None:
        raise FileProblem(path, "finding the card sheet",
                          f"no sheet named 考核表 or Card (sheets: {', '.join(wb.sheetnames)})")
    card = read_card(wb[card_sheet])
    return Template(path, scheme, card, _find(wb, ROSTER_SHEETS), workbook_lang(wb))
