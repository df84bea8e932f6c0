"""Ratings (考核等级), docs/scheme.md § Ratings: absolute bands, forced distribution and rank flags.

One rule, two renderings: every function that computes here has a twin that writes
the same decision as a native formula (Excel 2010 functions only, so WPS and
LibreOffice agree), and the agreement tests recalculate those formulas in LibreOffice.

Forced distribution (强制分布) works on ranks. A person's rank inside their group is
``1 + the number of people in the group who are ahead``: a higher total, or the same
total and a smaller *tie order*. The tie order is an ordinal computed once by
:func:`tie_order` (the ``tie_break`` roster columns, then employee id) and written
into the sheet as data, in its own column: sorting by several columns of mixed types
is easy in Python and unreadable as a formula, while ``O<o`` on an ordinal is plain.
Every person then has a distinct rank, so quotas always add up to the group size.

Band ``k`` (best first) takes ranks ``ROUND(n·C[k-1])+1 … ROUND(n·C[k])``, ``n`` the
group size and ``C`` the cumulative share — summed as decimals, so 0.1 + 0.2 is 0.3
and never 0.30000000000000004 — with ROUND half away from zero on the decimal value
of ``n·C`` (:func:`kpixl.xlmath.round_decimal`, written ``ROUND(ROUND(n*C,9),0)``):
25 × 0.58 is 14.499999999999998 in binary, and LibreOffice's ``ROUND(…,0)`` alone
would give 14 where the quota means 15.

Totals are compared as they are (they are already rounded once: docs/scheme.md § Sections). Group
labels compare as a spreadsheet compares them: text without regard to case, a
number never equal to text, blanks all alike. ``COUNTIF`` is avoided for groups: it
reads ``*``, ``?`` and a leading ``>`` in a label as criteria.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import xlmath
from .scheme.models import Distribution, Flag, RatingBand, Ratings

__all__ = [
    "rate", "rate_bands", "bands_formula", "tie_order", "rank", "rank_formula",
    "group_sizes", "group_size_formula", "cumulative_shares", "distribute",
    "distribution_formula", "flag_values", "flag_formula", "flags",
]

_TOL = 1e-9  # quotas within this of 100 % are taken as summing to 100 %


# ---- absolute bands --------------------------------------------------------------------


def rate_bands(bands: Sequence[RatingBand], total: Any) -> np.ndarray:
    """Rate totals by absolute bands.

    Args:
        bands: Bands listed best first; each but the last has a ``min``.
        total: Totals, one per person (NaN: no total yet).

    Returns:
        An object array of band names: the first band whose ``min ≤ total`` (a band
        without ``min`` takes everyone left). None where no band answers or the
        total is NaN.
    """
    t = np.asarray(total, dtype=float)
    out = np.full(t.shape, None, dtype=object)
    left = ~np.isnan(t)
    for band in bands:
        hit = left if band.min is None else left & (t >= band.min)
        out[hit] = band.name
        left = left & ~hit
    return out


def bands_formula(bands: Sequence[RatingBand], total_ref: str) -> str:
    """The formula twin of :func:`rate_bands`: nested ``IF`` from the best band down.

    Args:
        bands: Bands listed best first.
        total_ref: The cell holding the total (``$H$5``).

    Returns:
        Formula text without ``=``, e.g.
        ``IF(H5>=90,"优秀",IF(H5>=80,"良好",IF(H5>=60,"合格","不合格")))``; where no
        band answers it gives empty text.
    """
    expr = '""'
    for band in reversed(bands):
        name = xlmath.text(band.name)
        expr = name if band.min is None else f"IF({total_ref}>={xlmath.num(band.min)},{name},{expr})"
    return expr


# ---- ranks -----------------------------------------------------------------------------


def tie_order(df: pd.DataFrame, tie_break: Sequence[str], id_col: str) -> np.ndarray:
    """The tie order: each person's position when sorted by ``tie_break`` then id.

    This ordinal is data: write it into a column of the sheet next to the totals, so
    the rank formula breaks ties with a single ``O<o`` comparison.

    Args:
        df: The roster (one row per person), with the ``tie_break`` columns and ``id_col``.
        tie_break: Roster columns, each ascending (入职日期: the earlier hire wins a tie).
        id_col: The employee id column, the last tie-breaker.

    Returns:
        An int array of 1…n in ``df``'s row order. Blanks sort last in every column;
        a column mixing numbers and text sorts as text; equal keys keep row order.

    Raises:
        KeyError: When a column is missing from ``df``.
    """
    cols = [*tie_break, id_col]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"tie order: the roster has no column {'、'.join(map(str, missing))}")
    keys = pd.DataFrame({i: _sortable(df[c]) for i, c in enumerate(cols)})
    keys.index = range(len(df))
    by = keys.sort_values(list(keys.columns), kind="mergesort", na_position="last").index
    out = np.empty(len(df), dtype=int)
    out[np.asarray(by)] = np.arange(1, len(df) + 1)
    return out


def _sortable(col: pd.Series) -> pd.Series:
    """A column that sorts: kept when homogeneous, else read as text."""
    present = col.dropna()
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return col.reset_index(drop=True)
    kinds = set(map(type, present.tolist()))
    if len(kinds) <= 1:
        return col.reset_index(drop=True)
    return col.map(lambda v: None if _blank(v) else _text(v)).reset_index(drop=True)


def _blank(v: Any) -> bool:
    """None, NaN, NaT, pd.NA or empty text: an empty cell."""
    if isinstance(v, str):
        return v == ""
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v: Any) -> str:
    """A cell value as the spreadsheet shows it in text (``v&""``)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return xlmath.num(v)
    return str(v)


def _group_codes(group: Any, n: int) -> np.ndarray:
    """Integer codes of group labels, equal where a spreadsheet's ``=`` says equal."""
    if group is None:
        return np.zeros(n, dtype=int)
    values = list(group)
    if len(values) != n:
        raise ValueError(f"{len(values)} group labels for {n} totals")

    def key(v: Any) -> tuple:
        if type(v) is str:  # the common case first
            return ("text", v.lower()) if v else ("blank",)
        if _blank(v):
            return ("blank",)
        if isinstance(v, (bool, np.bool_)):
            return ("bool", bool(v))
        if isinstance(v, (int, float, np.integer, np.floating)):
            return ("number", float(v))
        return ("text", str(v).lower())

    if all(type(v) is str for v in values) and "" not in values:  # labels only: their keys are the lower case
        codes, _ = pd.factorize(pd.Series([v.lower() for v in values], dtype=object))
        return codes
    codes, _ = pd.factorize(pd.Series([key(v) for v in values], dtype=object))
    return codes


def rank(total: Any, group: Any = None, order: Any = None) -> np.ndarray:
    """Rank within each group by total descending, ties broken by ``order`` ascending.

    Args:
        total: Totals, one per person; all must be numbers.
        group: Group labels (the ``group_by`` roster column), or None for one group.
        order: The tie order from :func:`tie_order`; None means row order (1…n).

    Returns:
        1-based int ranks: ``1 +`` the number of people in the same group with a
        higher total, or the same total and a smaller order.

    Raises:
        ValueError: When a total is NaN or the lengths differ.
    """
    t = np.asarray(total, dtype=float)
    n = len(t)
    if np.isnan(t).any():
        raise ValueError(f"rank: {int(np.isnan(t).sum())} total(s) missing; every person ranked needs a total")
    o = np.arange(1, n + 1) if order is None else np.asarray(order)
    if len(o) != n:
        raise ValueError(f"{len(o)} tie orders for {n} totals")
    g = _group_codes(group, n)
    idx = np.lexsort((o, -t, g))
    gs, ts, os_ = g[idx], t[idx], o[idx]
    pos = np.arange(n)
    starts = np.r_[True, gs[1:] != gs[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, pos, 0))
    same = np.r_[False, ~starts[1:] & (ts[1:] == ts[:-1]) & (os_[1:] == os_[:-1])]
    run_start = np.maximum.accumulate(np.where(same, 0, pos))
    out = np.empty(n, dtype=int)
    out[idx] = run_start - group_start + 1
    return out


def rank_formula(total_ref: str, total_range: str, group_ref: str | None, group_range: str | None,
                 order_ref: str, order_range: str) -> str:
    """The formula twin of :func:`rank`.

    Args:
        total_ref: This person's total (``H5``); ``total_range`` all totals (``$H$5:$H$40``).
        group_ref: This person's group label, or None when not grouped.
        group_range: All group labels, or None.
        order_ref: This person's tie order; ``order_range`` all tie orders.

    Returns:
        ``1+SUMPRODUCT((G=g)*((T>t)+(T=t)*(O<o)))`` (no group term when ungrouped).
    """
    ahead = f"({total_range}>{total_ref})+({total_range}={total_ref})*({order_range}<{order_ref})"
    if group_ref is None:
        return f"1+SUMPRODUCT({ahead})"
    return f"1+SUMPRODUCT(({group_range}={group_ref})*({ahead}))"


def group_sizes(group: Any, n: int) -> np.ndarray:
    """Each person's group size ``n`` (everyone, when ``group`` is None)."""
    codes = _group_codes(group, n)
    return np.bincount(codes, minlength=1)[codes] if n else np.zeros(0, dtype=int)


def group_size_formula(total_range: str, group_ref: str | None = None, group_range: str | None = None) -> str:
    """The formula twin of :func:`group_sizes`, to pass as ``n_expr``.

    Returns:
        ``SUMPRODUCT(--(G=g))`` for a group, else ``COUNT(T)`` (every total is a number).
    """
    if group_ref is None:
        return f"COUNT({total_range})"
    return f"SUMPRODUCT(--({group_range}={group_ref}))"


# ---- forced distribution ----------------------------------------------------------------


def cumulative_shares(distribution: Distribution) -> list[float]:
    """The cumulative shares ``C[k]``, summed as decimals; the last is exactly 1.

    Raises:
        ValueError: When the quotas do not sum to 100 % (seed 001's 5/20/30/20/5).
    """
    return list(_cumulative(tuple(float(q.share) for q in distribution.quotas)))


@functools.lru_cache(maxsize=64)  # a sheet's rating formula asks for them in every row
def _cumulative(shares: tuple[float, ...]) -> tuple[float, ...]:
    acc, out = Decimal(0), []
    for share in shares:
        acc += Decimal(repr(share))
        out.append(float(acc))
    if abs(out[-1] - 1) > _TOL:
        pct = lambda d: xlmath.num(float(d * 100))  # noqa: E731 - decimal percents: 7, not 7.000000000000001
        parts = "/".join(pct(Decimal(repr(share))) for share in shares)
        raise ValueError(f"quotas {parts} sum to {pct(acc)}%, not 100%")
    out[-1] = 1.0
    return tuple(out)


def distribute(distribution: Distribution, total: Any, group: Any = None, order: Any = None) -> np.ndarray:
    """Forced distribution: the rating each person's rank earns in their group.

    Args:
        distribution: Quotas listed best first, summing to 1.
        total: Totals, one per person.
        group: Group labels (``group_by``), or None.
        order: Tie order (:func:`tie_order`), or None for row order.

    Returns:
        An object array of quota names: band k takes ranks
        ``ROUND(n·C[k-1])+1 … ROUND(n·C[k])``.
    """
    r = rank(total, group, order)
    n = group_sizes(group, len(r))
    return _bands_by_rank(distribution, r, n)


def _bands_by_rank(distribution: Distribution, r: np.ndarray, n: np.ndarray) -> np.ndarray:
    cum = np.array(cumulative_shares(distribution))
    names = np.array([q.name for q in distribution.quotas], dtype=object)
    out = np.full(len(r), None, dtype=object)
    for size in np.unique(n):
        here = n == size
        bounds = xlmath.round_decimal(float(size) * cum, 0)  # the formula's ROUND(ROUND(n*C,9),0)
        out[here] = names[np.searchsorted(bounds, r[here], side="left")]
    return out


def distribution_formula(distribution: Distribution, rank_ref: str, n_expr: str) -> str:
    """The formula twin of :func:`distribute`, given the rank and the group size.

    Args:
        distribution: Quotas listed best first, summing to 1.
        rank_ref: The cell holding the rank (``J5``).
        n_expr: The group size, e.g. from :func:`group_size_formula` or a cell.

    Returns:
        ``IF(J5<=ROUND(ROUND(n*0.05,9),0),"优秀",IF(J5<=ROUND(ROUND(n*0.25,9),0),"良好",…))``.
    """
    cum = cumulative_shares(distribution)
    quotas = distribution.quotas
    expr = xlmath.text(quotas[-1].name)
    for k in range(len(quotas) - 2, -1, -1):
        if k and cum[k] == cum[k - 1]:
            continue  # an empty quota takes no ranks
        bound = xlmath.round_formula(f"{xlmath.wrap(n_expr)}*{xlmath.num(cum[k])}", 0)
        expr = f"IF({rank_ref}<={bound},{xlmath.text(quotas[k].name)},{expr})"
    return expr


# ---- flags -------------------------------------------------------------------------------


def _flag_share(flag: Flag) -> tuple[str, float]:
    if (flag.top is None) == (flag.bottom is None):
        raise ValueError(f"flag {flag.id}: give either top: share or bottom: share")
    return ("top", flag.top) if flag.top is not None else ("bottom", flag.bottom)


def flag_values(flag: Flag, rank: Any, n: Any) -> np.ndarray:
    """Whether each person carries a rank flag (top 5% → 加薪/晋升, last 25% → 培训).

    Args:
        flag: ``top: share`` or ``bottom: share``.
        rank: Ranks within the group (:func:`rank`).
        n: Group sizes (:func:`group_sizes`).

    Returns:
        A bool array: top — ``rank ≤ ROUND(n·share)``; bottom — ``rank > n − ROUND(n·share)``.
    """
    side, share = _flag_share(flag)
    r, size = np.asarray(rank), np.asarray(n, dtype=float)
    k = xlmath.round_decimal(size * share, 0)
    return np.asarray(r <= k if side == "top" else r > size - k, dtype=bool)


def flag_formula(flag: Flag, rank_ref: str, n_expr: str) -> str:
    """The formula twin of :func:`flag_values`; the cell shows TRUE or FALSE.

    Returns:
        ``J5<=ROUND(ROUND(n*0.05,9),0)`` (top) or ``J5>n-ROUND(ROUND(n*0.25,9),0)`` (bottom).
    """
    side, share = _flag_share(flag)
    n = xlmath.wrap(n_expr)
    k = xlmath.round_formula(f"{n}*{xlmath.num(share)}", 0)
    return f"{rank_ref}<={k}" if side == "top" else f"{rank_ref}>{n}-{k}"


def flags(flag_list: Sequence[Flag], rank: Any, n: Any) -> dict[str, np.ndarray]:
    """Every flag's values, keyed by flag id (see :func:`flag_values`)."""
    return {f.id: flag_values(f, rank, n) for f in flag_list}


# ---- dispatch ----------------------------------------------------------------------------


def rate(ratings: Ratings, total: Any, group: Any = None, order: Any = None
         ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Ratings and flags for everyone, by bands or by forced distribution.

    Args:
        ratings: The scheme's ``ratings``.
        total: Totals, one per person.
        group: The ``group_by`` labels, or None (also groups the flags' ranks).
        order: Tie order from :func:`tie_order`, or None for row order.

    Returns:
        ``(ratings, flags)``: an object array of rating names and ``{flag id: bool array}``.

    Raises:
        ValueError: When ratings has neither bands nor distribution (or both), the
            quotas do not sum to 100 %, or a total needed for ranking is missing.
    """
    if (ratings.bands is None) == (ratings.distribution is None):
        raise ValueError("ratings: give either bands or distribution, not both or neither")
    t = np.asarray(total, dtype=float)
    if ratings.bands is not None:
        out = rate_bands(ratings.bands, t)
        if not ratings.flags:
            return out, {}
        r = rank(t, group, order)
    else:
        r = rank(t, group, order)
        out = _bands_by_rank(ratings.distribution, r, group_sizes(group, len(t)))
    return out, flags(ratings.flags, r, group_sizes(group, len(t)))
