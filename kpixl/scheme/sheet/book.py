"""The ``Scheme`` sheet (考核方案): the scheme as HR edits it in Excel, read and written losslessly.

The sheet is named ``Scheme`` or ``考核方案`` (either, not both). Top to bottom:

1. **A title** (optional): the first row, when its column A is not a key. Ignored.

2. **The key/value block**: key in column A, value in column B (columns C onwards are
   free notes). Keys in Chinese or English; blank values are left out:

   ===============  =================  ===================================================
   key              English            value
   ===============  =================  ===================================================
   方案编号          id                 ``cm-monthly-kpi``
   方案名称          name               ``客户经理月度KPI绩效考核表``
   版本              version            ``3``
   考核周期          period             月度 / 季度 / 半年度 / 年度 (month/quarter/half/year)
   满分              scale              ``100``
   评分人权重        raters             ``self:0.3, manager:0.7``
   缺评处理          missing_rater      报错 / 重新加权 (error/reweight)
   总分上限          total.cap          a number
   总分下限          total.floor        a number
   总分小数位        total.round        ``2``
   评级              ratings            ``优秀≥90; 良好≥80; 合格≥60; 不合格`` or YAML flow
   奖金              bonus              YAML flow: ``{base: {column: 月度绩效奖金}}``
   汇总              rollup             ``checks:0.2; monthly:0.3; year_end:0.5:最后``
   历史规则          history            YAML flow: ``{rules: [{id: miss2, …}]}`` (docs/scheme.md)
   职级规则          levels             YAML flow: ``{ladder: [D4, …, A1], …}`` (docs/scheme.md)
   薪酬              pay                YAML flow: ``{lines: [{id: base, type: wage, …}]}`` (docs/scheme.md)
   方案说明          description        free text
   ===============  =================  ===================================================

3. **The item table**: a header row (the first row with a ``板块``/``section`` cell),
   then one row per item. Only the columns a scheme uses need be present; 板块, 项目编号,
   分值 and 规则 always are. Headers in Chinese or English; an unknown header is an error.

   - Section: 板块/section (the section id, on every row; a merged cell counts for each
     row it spans), 板块名称/section_name, 板块权重/section_weight, 板块上限/section_cap,
     板块下限/section_floor — given on the section's first row; later rows may repeat
     them, but not differently.
   - Item: 项目编号/item, 考核项目/name, 分值/points, 规则/rule (比例 ratio, 分档 tiers,
     步进 step, 计次 count, 等级 rubric, 评分 manual, 是否 binary, 加减分 adjust),
     目标/target (a number, or a roster column name → ``{column: name}``).
   - Rule parameters, one column each: 口径/measure (完成率/数值), 方向/direction
     (越高越好/越低越好), 封顶/cap, 保底/floor, 不计分线/zero_below, 档位/bands,
     缺口/gap (报错/就低/零分), 阈值/threshold, 基数/base (满分 or a number), 低于/below,
     超过/above, 步进方式/stepping (整步/进一/线性), 最多加/max_bonus, 最多扣/max_deduction,
     计次项/counters, 可为负/allow_negative (是/否), 扣分范围/limit, 等级/levels,
     等级口径/of (分值/比例), 最低/min, 最高/max. A parameter the row's rule does not
     have is an error at its cell.
   - Item fields: 不适用/na (零分/满分/平均分/剔除), 平均分组/na_group, 考核人/rater,
     评分人/raters, 缺评/missing_rater, 单项下限/item_floor, 单项上限/cap_points,
     数据来源/source, 评分标准/description.

Numbers may be typed as ``0.9`` or ``90%``; a percent-formatted cell is just its number.
Compact notations (parts separated by ``;``, or one per line in the cell):

- bands ``≥90%:20; ≥85%:10; 0~80%:0`` (also ``>=``, ``≤``/``<=``, ``其他:0``); a points
  range lets the rater enter a score: ``60%~69%:6~8``
- levels ``1:5; 2:10`` or ``优:100%; 良:80%~90%``
- counters ``late(迟到/早退):-1; absent(旷工):-5``
- below / above ``5%:3`` (every:points); limit ``-10~`` / ``~10`` / ``-10~10``
- raters ``self:0.3, hr:0.3, manager:0.4``

Any structured cell may instead hold YAML flow text starting with ``[`` or ``{``; the
writer uses it whenever the compact form would not read back exactly.

Every problem is reported with its cell (``Scheme!F7``) — the sheet's own (a bad band,
an unknown header, text where a number belongs) and the scheme's (pydantic's, and
:func:`kpixl.scheme.check_scheme`'s) — all at once, as one :class:`~kpixl.errors.InputError`.
A scheme problem that only follows from a cell already reported is not repeated. The
sheet's own codes: ``unknown_key``, ``duplicate_key``, ``value_without_key``,
``unknown_header``, ``duplicate_header``, ``missing_column``, ``value_without_header``,
``no_item_table``, ``no_section``, ``section_conflict``, ``not_a_number``, ``bad_value``
(a word not in the list, e.g. 考核周期 每周), ``bad_notation``, ``formula_without_value``,
``given_twice`` (a parameter both in a YAML rule cell and in its column);
and, as from YAML, ``missing``, ``union_tag_invalid`` (unknown rule type) and
``extra_forbidden`` (a parameter the rule does not have). A problem with no cell of its
own (a required key left out) is reported at the sheet, naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ...xlsx.atomic import replace_atomically
from ...errors import FileProblem
from ..models import Scheme
from .read import Reader
from .vocab import SHEET_NAMES
from .write import write_sheet

__all__ = ["read_scheme_sheet", "read_scheme_values", "write_scheme_sheet", "SHEET_NAMES"]


def read_scheme_sheet(path_or_workbook: str | Path | Workbook) -> Scheme:
    """Read and validate the scheme on a workbook's ``Scheme`` (or ``考核方案``) sheet.

    Args:
        path_or_workbook: An ``.xlsx``/``.xlsm`` path, or an open openpyxl workbook.

    Returns:
        The validated scheme.

    Raises:
        InputError: Every problem of the sheet and of the scheme, each at its cell.
        FileProblem: The file is not a workbook, or it has no scheme sheet.
    """
    if isinstance(path_or_workbook, Workbook):
        wb, path, source = path_or_workbook, None, "workbook"
    else:
        path = Path(path_or_workbook)
        source = path.name
        try:
            wb = openpyxl.load_workbook(path)
        except FileNotFoundError:
            raise FileProblem(path, "opening the workbook", "no such file") from None
        except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
            raise FileProblem(path, "opening the workbook", f"not an Excel workbook (.xlsx/.xlsm): {e}") from None
    ws = _find_sheet(wb, path or source)
    return Reader(ws, path).read(source)


def read_scheme_values(rows: Sequence[Sequence[Any]], source: str = "range", sheet_name: str = "Scheme") -> Scheme:
    """Read and validate a scheme from the cell values of a Scheme sheet (its rows, top-left first).

    For a scheme that arrives as values rather than as a workbook — the range an Excel
    worksheet function is given (``KPI_TOTAL(Scheme!A1:Z40, …)``). The rows are read
    exactly as :func:`read_scheme_sheet` reads a sheet, with cells counted from the
    first row and column given (``A1`` is the range's top-left cell).

    Args:
        rows: Rows of cell values (None for an empty cell), e.g. a tuple of tuples.
        source: Names the scheme in the error heading.
        sheet_name: Names the sheet in each problem's place (``Scheme!F7``).

    Raises:
        InputError: Every problem of the table and of the scheme, each at its cell.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is None:
                continue
            cell = ws.cell(r, c, v if isinstance(v, (str, int, float, bool)) else str(v))
            if cell.data_type == "f":  # a text that starts with "=" is a value here, not a formula
                cell.data_type = "s"
    return Reader(ws, None).read(source)


def _find_sheet(wb: Workbook, where: Any) -> Worksheet:
    wanted = {n.casefold() for n in SHEET_NAMES}
    found = [ws for ws in wb.worksheets if ws.title.strip().casefold() in wanted]
    if not found:
        raise FileProblem(where, "finding the Scheme sheet",
                          f"no sheet named Scheme or 考核方案 (sheets: {', '.join(wb.sheetnames)})")
    if len(found) > 1:
        raise FileProblem(where, "finding the Scheme sheet",
                          f"both {found[0].title!r} and {found[1].title!r} exist; keep one")
    return found[0]


def write_scheme_sheet(scheme: Scheme, workbook_or_path: Workbook | str | Path,
                       sheet_name: str = "Scheme") -> Worksheet:
    """Write a scheme as a ``Scheme`` sheet HR can read and edit; it reads back equal.

    An existing ``Scheme``/``考核方案`` sheet is replaced in place; other sheets are kept.

    Args:
        scheme: The scheme to write.
        workbook_or_path: An open workbook (not saved), or an ``.xlsx``/``.xlsm`` path
            (created, or updated and saved atomically).
        sheet_name: ``Scheme`` (default) or ``考核方案``.

    Returns:
        The written worksheet.

    Raises:
        FileProblem: The existing file cannot be opened, or the result cannot be saved.
        InputError: A text holds a control character no workbook can store (its YAML path).
        ValueError: ``sheet_name`` is not one the reader looks for.
    """
    if sheet_name not in SHEET_NAMES:
        raise ValueError(f"the scheme sheet is named {' or '.join(SHEET_NAMES)}, not {sheet_name!r}")
    if isinstance(workbook_or_path, Workbook):
        return write_sheet(scheme, workbook_or_path, sheet_name)
    path = Path(workbook_or_path)
    macro = path.suffix.lower() == ".xlsm"
    if path.exists():
        try:
            wb = openpyxl.load_workbook(path, keep_vba=macro)
        except Exception as e:
            raise FileProblem(path, "opening the workbook", f"not an Excel workbook (.xlsx/.xlsm): {e}") from None
    elif macro:
        raise FileProblem(path, "creating the workbook", "a new workbook is .xlsx; add the Scheme sheet to an existing .xlsm")
    else:
        wb = Workbook()
        wb.remove(wb.active)
    ws = write_sheet(scheme, wb, sheet_name)
    replace_atomically(path, wb.save, "saving the workbook", make_folder=False)
    return ws


