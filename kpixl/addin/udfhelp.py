"""Insert Function help for the UDFs: a VBA module that sets it each time the add-in opens.

xlwings' "Import Functions" (``xlwings.udfs.import_udfs``) gives each function its
category, description and argument descriptions by calling ``Application.MacroOptions``
over COM — once, on the developer's machine, and the help is then saved in the workbook.
A pre-built add-in never runs that import, so the same call is made in VBA instead:
``ThisWorkbook``'s ``Workbook_Open`` calls :data:`REGISTER`, which calls
``MacroOptions`` for every function with what xlwings would pass:

* ``Macro``: ``'kpixl.xlam'!KPI_RATIO`` (``ThisWorkbook.Name``, as xlwings names it);
* ``Category``: ``__xlfunc__["category"]`` (``@xw.func(category="kpixl")``);
* ``Description``: the return doc, i.e. the docstring — but only its summary (the text
  before ``Args:``, whitespace collapsed), since xlwings' raw ``__doc__[:255]`` would
  show indentation, line breaks and the argument list in the dialog; at most 255
  characters, as xlwings cuts it;
* ``ArgumentDescriptions`` (Excel 2010 and later, as xlwings checks): each non-``vba``
  argument's doc, in order, at most 255 characters each.

The VBA source must stay ASCII (:mod:`kpixl.addin.vbaproject`, code page 1252), yet the
docstrings mix English with the Chinese terms finance uses (分值, 越高越好). Every
non-ASCII character is therefore written as ``ChrW(code)`` — the help Excel shows is
the docstring's text, character for character. Strings are built over several
statements, so no line nears VBA's 1,023-character limit and none needs a line
continuation (VBA allows only 24 per statement).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "HELP_MODULE",
    "MAX_HELP",
    "MAX_LINE",
    "REGISTER",
    "FunctionHelp",
    "function_help",
    "help_vba",
    "helps_of",
    "summary",
    "vba_string_pieces",
    "workbook_open_vba",
]

#: The standard module holding :data:`REGISTER`.
HELP_MODULE = "KpixlHelp"
#: The Sub that sets the help (public: ``Workbook_Open`` calls it).
REGISTER = "KpixlRegisterHelp"
#: Excel refuses longer descriptions; xlwings cuts at the same length.
MAX_HELP = 255
#: Longest source line the generator writes (VBA's limit is 1,023).
MAX_LINE = 160


@dataclass(frozen=True)
class FunctionHelp:
    """What ``MacroOptions`` is given for one function.

    Attributes:
        name: The worksheet function's name.
        category: Insert Function category: a custom name, or Excel's built-in number (1-14).
        description: The function's description.
        args: One description per argument, in the function's argument order.
    """

    name: str
    category: str | int
    description: str
    args: tuple[str, ...]


def summary(doc: str) -> str:
    """A docstring's text before its ``Args:`` section, on one line with single spaces."""
    head = re.split(r"^\s*(?:Args|Arguments|Returns|Raises):\s*$", doc, maxsplit=1, flags=re.M)[0]
    return " ".join(head.split())


def function_help(f: Callable) -> FunctionHelp:
    """The help xlwings' ``import_udfs`` would set for ``f``, from ``f.__xlfunc__``.

    Args:
        f: A function decorated with xlwings' recording ``@xw.func``
            (:func:`kpixl.addin._xlwings_udfs.udf_module`).

    Returns:
        Its name, category, description and argument descriptions, each cut to
        :data:`MAX_HELP` characters.
    """
    xlf = f.__xlfunc__
    args = tuple(a["doc"][:MAX_HELP] for a in xlf["args"] if not a["vba"])
    return FunctionHelp(xlf["name"], xlf["category"], summary(xlf["ret"]["doc"])[:MAX_HELP], args)


def _runs(text: str) -> list[str]:
    """Printable-ASCII runs and single other characters, in order."""
    return re.findall(r"[ -~]+|[^ -~]", text)


def _chrw(char: str) -> list[str]:
    # One ChrW per UTF-16 unit: a character beyond the BMP is its surrogate pair, as VBA holds it.
    units = char.encode("utf-16-le")
    return [f"ChrW({int.from_bytes(units[i:i + 2], 'little')})" for i in range(0, len(units), 2)]


def _literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def vba_string_pieces(text: str) -> list[str]:
    """``text`` as VBA expressions whose ``&`` concatenation equals it, all ASCII.

    Each printable-ASCII run becomes one string literal (``"`` doubled); every other
    character becomes ``ChrW(n)``.
    """
    pieces = [_literal(run) if " " <= run[0] <= "~" else c for run in _runs(text)
              for c in ([run] if " " <= run[0] <= "~" else _chrw(run))]
    return pieces or ['""']


def _assign(target: str, text: str) -> list[str]:
    """Statements setting ``target`` to ``text``, each line at most :data:`MAX_LINE` long.

    Literals are cut to fill a line, preferably after a space, so the text reads in
    whole words down the source.
    """
    lines: list[list[str]] = [[]]

    def room() -> int:
        head = len(f"    {target} = ") if len(lines) == 1 else len(f"    {target} = {target} & ")
        return MAX_LINE - head - sum(len(p) + 3 for p in lines[-1])

    for run in _runs(text) or [""]:
        if not run or " " <= run[0] <= "~":
            rest = run
            while True:
                space = room() - 2  # the quotes
                if len(_literal(rest)) - 2 <= space:
                    lines[-1].append(_literal(rest))
                    break
                cut = space - rest[:space].count('"')  # doubled quotes take two characters
                cut = max(cut, 1)
                at_space = rest.rfind(" ", 0, cut) + 1
                if at_space > cut // 2:
                    cut = at_space
                if space < 12:  # too little room for a useful piece: next line
                    lines.append([])
                    continue
                lines[-1].append(_literal(rest[:cut]))
                rest = rest[cut:]
                lines.append([])
                if not rest:
                    break
        else:
            for piece in _chrw(run):
                if room() < len(piece):
                    lines.append([])
                lines[-1].append(piece)
    lines = [line for line in lines if line]
    return [(f"    {target} = " if i == 0 else f"    {target} = {target} & ") + " & ".join(line)
            for i, line in enumerate(lines)]


def _category(value: str | int) -> str:
    return str(value) if isinstance(value, int) else " & ".join(vba_string_pieces(value))


def help_vba(helps: Iterable[FunctionHelp]) -> str:
    """The :data:`HELP_MODULE` module's code: :data:`REGISTER` and its helper.

    Args:
        helps: The functions' help (:func:`function_help`).

    Returns:
        VBA source, ASCII, ``\\n`` line ends.
    """
    out = [
        "Option Explicit",
        "",
        "' Generated by kpixl.addin.udfhelp from the UDFs' xlwings metadata (their docstrings):",
        "' the Insert Function help xlwings' Import Functions sets with Application.MacroOptions.",
        "' Workbook_Open calls it on every load; text beyond ASCII is written as ChrW(n).",
        f"Public Sub {REGISTER}()",
        "    Dim d As String",
        "    Dim a() As String",
    ]
    for h in helps:
        out += ["", f"    ' {h.name}"]
        out += _assign("d", h.description)
        if h.args:
            out.append(f"    ReDim a(0 To {len(h.args) - 1})")
            for i, doc in enumerate(h.args):
                out += _assign(f"a({i})", doc)
            args = "a"
        else:
            args = "Empty"
        out.append(f'    KpixlDescribe "{h.name}", {_category(h.category)}, d, {args}')
    out += [
        "",
        "    ' MacroOptions marks the add-in changed; nothing here needs saving.",
        "    ThisWorkbook.Saved = True",
        "End Sub",
        "",
        "' One function's help. Late bound (As Object), so the ArgumentDescriptions argument,",
        "' new in Excel 2010, cannot stop an older Excel compiling the module; any error is",
        "' ignored: help is a convenience and must never stop the add-in loading.",
        "Private Sub KpixlDescribe(ByVal fn As String, ByVal cat As Variant, ByVal desc As String, argDocs As Variant)",
        "    Dim xl As Object",
        "    Dim target As String",
        "    On Error Resume Next",
        "    Set xl = Application",
        "    target = \"'\" & ThisWorkbook.Name & \"'!\" & fn",
        "    If Val(xl.Version) >= 14 And IsArray(argDocs) Then",
        "        xl.MacroOptions Macro:=target, Description:=desc, Category:=cat, ArgumentDescriptions:=argDocs",
        "    Else",
        "        xl.MacroOptions Macro:=target, Description:=desc, Category:=cat",
        "    End If",
        "    On Error GoTo 0",
        "End Sub",
    ]
    return "\n".join(out) + "\n"


def workbook_open_vba() -> str:
    """``ThisWorkbook``'s code: ``Workbook_Open`` sets the UDF help when the add-in loads."""
    return "\n".join([
        "Option Explicit",
        "",
        "' Runs when Excel loads the add-in: the KPI_* functions get their Insert Function help.",
        "Private Sub Workbook_Open()",
        "    On Error Resume Next",
        f"    {REGISTER}",
        "End Sub",
    ]) + "\n"


def helps_of(functions: Sequence[Callable]) -> list[FunctionHelp]:
    """:func:`function_help` of each function, sorted by name (stable module source)."""
    return sorted((function_help(f) for f in functions), key=lambda h: h.name)
