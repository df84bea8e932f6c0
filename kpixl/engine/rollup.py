"""Period roll-up (docs/scheme.md § Period roll-up): 周检和月检 20%, 月考核 30%, 年终考核 50%.

Each component's totals over its periods are aggregated (``mean``, ``last`` by
period order, or ``sum``), weighted, summed, and rounded once with Excel's ROUND.
A quarter is the mean of its months: give the months as the periods of a ``mean``
component. Both renderings live here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import xlmath
from ..errors import InputError, Problem
from ..scheme.models import Rollup

COLUMNS = ("employee_id", "component", "period", "total")


def roll_up(rollup: Rollup, scores: pd.DataFrame) -> pd.DataFrame:
    """One rolled-up total per person.

    Args:
        rollup: The scheme's ``rollup``.
        scores: Rows ``(employee_id, component, period, total)``.

    Returns:
        ``employee_id``, one column per component (its aggregate), and ``total``.

    Raises:
        InputError: A missing column, an unknown component, a non-number total, or a
            person without a component — all at once.
    """
    problems: list[Problem] = []
    missing = [c for c in COLUMNS if c not in scores.columns]
    if missing:
        raise InputError([Problem("scores", "missing_column", f"no column {c!r}") for c in missing], "roll-up scores")
    df = scores.reset_index(drop=True).copy()
    df["employee_id"] = df["employee_id"].astype(str)
    known = {c.id for c in rollup.components}
    for r in np.flatnonzero(~df["component"].astype(str).isin(known).to_numpy()):
        problems.append(Problem(f"scores[{r}].component", "unknown_component",
                                f"component must be one of {', '.join(sorted(known))}", df["component"].iloc[r],
                                employee=df["employee_id"].iloc[r]))
    total = pd.to_numeric(df["total"], errors="coerce")
    for r in np.flatnonzero(total.isna().to_numpy()):
        problems.append(Problem(f"scores[{r}].total", "not_a_number", "total must be a number", df["total"].iloc[r],
                                employee=df["employee_id"].iloc[r]))
    df["total"] = total
    df = df.sort_values(["employee_id", "period"], kind="stable")
    people = list(dict.fromkeys(scores["employee_id"].astype(str).tolist()))
    out = pd.DataFrame({"employee_id": people})
    result = np.zeros(len(people))
    for comp in rollup.components:
        part = df[df["component"].astype(str) == comp.id].groupby("employee_id", sort=False)["total"]
        agg = {"mean": part.mean, "last": part.last, "sum": part.sum}[comp.aggregate]()
        vals = agg.reindex(people).to_numpy(dtype=float)
        for k in np.flatnonzero(np.isnan(vals)):
            problems.append(Problem("scores", "missing_component", f"no {comp.id} score", employee=people[k]))
        out[comp.id] = vals
        result = result + comp.weight * vals
    if problems:
        raise InputError(problems, "roll-up scores")
    out["total"] = xlmath.round_decimal(result, rollup.round)
    return out


def rollup_formula(rollup: Rollup, id_ref: str, id_range: str, component_range: str, total_range: str) -> str:
    """The rolled-up total of one person over a scores table (rows sorted by period).

    The mean is a sum over a count. Both match the id as the text it is
    (:func:`~kpixl.xlmath.sum_text`: ``A*`` is no wildcard, ``009875`` is not ``9875``)."""
    terms = []
    for comp in rollup.components:
        c = xlmath.text(comp.id)
        which = (component_range, xlmath.equals_text(comp.id))
        total = xlmath.sum_text(total_range, id_range, id_ref, *which)
        if comp.aggregate == "mean":
            agg = f"{total}/{xlmath.count_text(id_range, id_ref, *which)}"
        elif comp.aggregate == "sum":
            agg = total
        else:
            agg = f"LOOKUP(2,1/(({id_range}={id_ref})*({component_range}={c})),{total_range})"
        terms.append(xlmath.times(comp.weight, agg))
    return xlmath.round_formula(xlmath.plus(*terms), rollup.round)
