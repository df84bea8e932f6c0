"""Excel's arithmetic where it differs from Python's, and formula text helpers.

Both renderings of a rule lean on these: the Python evaluator calls
:func:`excel_round` wherever the formula builder writes ``ROUND``/``ROUNDDOWN``, so the
two agree to the last cent.

Excel and LibreOffice round half away from zero on the value read to 15 significant
digits: ``ROUND(1.005, 2)`` is 1.01 although the double below 1.005 is stored, and a
total of ``87.12499999999999`` (an artefact of summing weights) rounds to 87.13.
Python's ``round`` rounds half to even on the binary value and gets both wrong.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from .lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes

_EXACT = 2.0**52  # beyond this a double has no fractional digits left to round


def excel_round(values: Any, digits: int = 0) -> Any:
    """Round half away from zero on the 15-significant-digit decimal value.

    Vectorised: most values are far from a tie and take the fast NumPy path; the few
    near a tie are decided exactly with :mod:`decimal`.

    Args:
        values: A number or an array-like of numbers (NaN passes through).
        digits: Decimal places, as Excel's ``ROUND`` (may be negative).

    Returns:
        A float for a scalar input, else a float ndarray.
    """
    scalar = np.ndim(values) == 0
    a = np.asarray(values, dtype=float)
    y = np.abs(a) * 10.0**digits
    out = np.array(np.copysign(np.floor(y + 0.5), a) / 10.0**digits)  # an array even for a scalar: fixed in place below
    frac = y - np.floor(y)
    near = (np.abs(frac - 0.5) <= np.maximum(1e-9, y * 1e-13)) & (y < _EXACT)
    if near.any():
        idx = np.flatnonzero(near)
        flat_out, flat_a = out.reshape(-1), a.reshape(-1)
        # Once per distinct value: a group size × share is the same for everyone in the group.
        ties, back = np.unique(flat_a[idx], return_inverse=True)
        flat_out[idx] = np.array([_decimal_round(float(v), digits, ROUND_HALF_UP) for v in ties])[back.reshape(-1)]
    big = y >= _EXACT
    if big.any():
        out = np.where(big, a, out)
    return float(out) if scalar else out


def excel_rounddown(values: Any, digits: int = 0) -> Any:
    """Excel's ``ROUNDDOWN``: toward zero on the 15-significant-digit value."""
    scalar = np.ndim(values) == 0
    a = np.asarray(values, dtype=float)
    y = np.abs(a) * 10.0**digits
    out = np.array(np.copysign(np.floor(y), a) / 10.0**digits)
    frac = y - np.floor(y)
    near = ((frac < y * 1e-13) | (1 - frac < y * 1e-13)) & (y < _EXACT) & (y > 0)
    for i in np.flatnonzero(near.reshape(-1)):
        out.reshape(-1)[i] = _decimal_round(float(a.reshape(-1)[i]), digits, ROUND_DOWN)
    return float(out) if scalar else out


def _decimal_round(x: float, digits: int, mode: str) -> float:
    if not math.isfinite(x):
        return x
    d = Decimal(format(x, ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=mode))


def round9(values: Any) -> Any:
    """Read a computed achievement as its decimal value (``ROUND(x, 9)``).

    Step counts and band edges are decided on this: 15 % below target in 5 % steps is
    3 steps, never 2.9999….
    """
    return excel_round(values, 9)


def round_decimal(values: Any, digits: int) -> Any:
    """Round a computed result (a total, a bonus, n × share) on its decimal value.

    ``ROUND(ROUND(x, 9), digits)``: arithmetic leaves a result a few units in the last
    place off its decimal value (87.12499999999999 for 87.125; 45 × 0.7 is
    31.499999999999996). Reading it to 9 places first gives the decimal back, so every
    spreadsheet decides the tie as :func:`excel_round` does — LibreOffice's
    ``ROUND(x, 0)`` rounds the binary value as it is (31.499999999999996 → 31), unlike
    its ``ROUND(x, 2)``. :func:`round_formula` is the formula twin.
    """
    return excel_round(round9(values), digits)


def round_formula(expr: str, digits: int) -> str:
    """The formula twin of :func:`round_decimal`: ``ROUND(ROUND(expr,9),digits)``."""
    return f"ROUND(ROUND({expr},9),{digits})"


# --- formula text -----------------------------------------------------------------


_NUMS: dict[Any, str] = {}  # a sheet writes its few constants (shares, factors, 100) in every row


def num(value: float | int) -> str:
    """A number as formula text: shortest form, integers without ``.0``."""
    try:
        got = _NUMS.get(value)  # equal numbers (1, 1.0, True) have one text
    except TypeError:  # unhashable (a 0-d array)
        return _num(value)
    if got is None:
        if len(_NUMS) > 4096:
            _NUMS.clear()
        got = _NUMS[value] = _num(value)
    return got


def _num(value: float | int) -> str:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{value!r} cannot be written in a formula")
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v).upper().replace("E+", "E")


def text(value: str) -> str:
    """A string literal for a formula (``"优秀"``), quotes doubled."""
    return '"' + str(value).replace('"', '""') + '"'


#: The characters COUNTIFS, SUMIFS, AVERAGEIFS and MATCH(…,0) read as wildcards, ``~`` first
#: (Excel, WPS, and LibreOffice with the wildcards an .xlsx file turns on).
_WILD = ("~", "*", "?")


def plain(expr: str) -> str:
    """The text of ``expr`` with its wildcards escaped (``~~``, ``~*``, ``~?``), for MATCH(…,0) to
    compare as it is: ``SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(A3,"~","~~"),"*","~*"),"?","~?")``.

    Without it an employee id ``A*`` typed in a cell matches ``AB``. Plain text is unchanged
    (a number becomes its text)."""
    for ch in _WILD:
        expr = f'SUBSTITUTE({expr},"{ch}","~{ch}")'
    return expr


def count_text(ids: str, ref: str, *criteria: str) -> str:
    """``COUNTIFS`` of the rows whose ``ids`` hold the text in ``ref`` as it is, with further
    range/criterion pairs: the rows starting with it less the rows that are longer.

    ``COUNTIFS(ids,"="&plain(ref)&"*",…)-COUNTIFS(ids,"="&plain(ref)&"?*",…)``. A criterion
    that looks like a number is compared as a number in Excel: ``"=009875"`` also counts
    ``9875``, and two 18-digit ids (身份证号) that agree in their first 15 digits count each
    other. A criterion with a wildcard is compared as text, with text cells only; the
    difference keeps exactly the cells equal to the id (ignoring case, as every criterion does).
    The ids compared must be text: Excel never counts a number under a wildcard criterion,
    LibreOffice matches the number's digits (so a number typed as an id is refused where it is
    read: ``id_not_text``).

    Args:
        ids: The range of ids.
        ref: The cell (or expression) holding the id sought.
        *criteria: Further ``range, criterion`` texts, in pairs.
    """
    return _text_rows("COUNTIFS(", ids, ref, criteria)


def sum_text(values: str, ids: str, ref: str, *criteria: str) -> str:
    """``SUMIFS`` of ``values`` over the rows whose ``ids`` hold the text in ``ref`` as it is
    (:func:`count_text`: the sum over the rows starting with it less the rows that are longer)."""
    return _text_rows(f"SUMIFS({values},", ids, ref, criteria)


def _text_rows(head: str, ids: str, ref: str, criteria: tuple[str, ...]) -> str:
    rest = "".join("," + c for c in criteria)
    key = plain(ref)
    return f'({head}{ids},"="&{key}&"*"{rest})-{head}{ids},"="&{key}&"?*"{rest}))'


def equals_text(value: str) -> str:
    """A COUNTIFS/SUMIFS criterion matching a fixed text as it is: the literal, escaped only where
    it must be (``"late"`` stays ``"late"``; ``A*`` becomes ``"=A~*"``). For texts kpixl wrote
    (line codes, 同意), not ids: a number-like text is compared as a number (:func:`count_text`)."""
    s = str(value)
    esc = s
    for ch in _WILD:
        esc = esc.replace(ch, "~" + ch)
    return text(esc if esc == s and s[:1] not in ("", "<", ">", "=") else "=" + esc)


def pick(key: str, table: list[tuple[str, str]], otherwise: str = "NA()") -> str:
    """The value of the first key equal to ``key`` (ignoring case, as MATCH does), else ``otherwise``:
    ``IF(E5&""="A1",1,IF(E5&""="B1",1.3,NA()))`` for ``key`` ``E5&""``.

    For a lookup in keys written into the formula. ``=`` knows no wildcards, where
    ``MATCH(…,{"A1","B1"},0)`` reads ``A*`` as one in Excel but not in LibreOffice, and an
    escaped ``A~*`` as ``A*`` in Excel but as itself in LibreOffice."""
    expr = otherwise
    for k, v in reversed(table):
        expr = f"IF({key}={text(k)},{v},{expr})"
    return expr


def literal(value: Any) -> str:
    """A number or a string as a formula literal."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return num(value)
    return text(value)


def times(factor: float, expr: str) -> str:
    """``factor*expr`` without noise: ``expr`` for 1, ``-expr`` for -1."""
    if factor == 1:
        return expr
    if factor == -1:
        return f"-{wrap(expr)}"
    return f"{num(factor)}*{wrap(expr)}"


_WRAP_SIGNS = re.compile(r'["()+\-*/^&=<>,]')
_WRAP_OPERATORS = re.compile(r"[+\-*/^&=<>,]")


@functools.lru_cache(maxsize=1024)  # a sheet's row asks for the same group size in each rating and flag column
def wrap(expr: str) -> str:
    """Parenthesise an expression unless it is a single term."""
    if _WRAP_OPERATORS.search(expr) is None:  # a reference, a number: nothing to look at
        return expr
    depth, quoted = 0, False
    for m in _WRAP_SIGNS.finditer(expr):  # only these characters matter: skip the others in C
        i, ch = m.start(), m.group()
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "+-*/^&=<>," and i > 0:
            return f"({expr})"
    return expr


def plus(*terms: str) -> str:
    """Join terms with ``+``, turning ``+-`` into ``-``."""
    out = ""
    for t in terms:
        if not t or t == "0":
            continue
        if not out:
            out = t
        elif t.startswith("-"):
            out += t
        else:
            out += "+" + t
    return out or "0"
