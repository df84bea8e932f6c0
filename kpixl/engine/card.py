"""From rule scores to the total of a card: raters, N/A, item bounds, sections, total.

Like every rule, each step here has both renderings side by side — a NumPy evaluator
over all people and a formula builder over the cells of one person — with the same
operations in the same order, so that Excel, LibreOffice and Python agree.

* Raters: ``Σ w_r × score_r``; with ``missing_rater: reweight`` the present raters'
  weights are rescaled: ``Σ_present w_r·score_r / Σ_present w_r``.
* Item bounds ``floor`` (default 0 except for signed rules) and ``cap_points``.
* N/A (§3.4): ``zero`` → 0, ``full`` → P, ``average`` → the mean item score of the
  people in the same group who have the item, ``exclude`` → 0 and the section's full
  marks shrink by P.
* Section: ``R = Σ items`` clamped by cap/floor; weighted → ``w × R / full × scale``.
* Total: ``Σ sections``, clamped by ``total.cap``/``floor``, rounded once (Excel's ROUND).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import xlmath
from ..rules import ItemData, ItemRefs
from ..scheme.models import Item, Scheme, Section


def yes(ref: str) -> str:
    """A cell that says yes (是, TRUE or 1) — as the ``binary`` rule reads it."""
    return f'OR({ref}=TRUE,{ref}="是",{ref}=1)'


def _clamp(x: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def _clamp_formula(expr: str, lo: float | None, hi: float | None) -> str:
    if lo is not None:
        expr = f"MAX({expr},{xlmath.num(lo)})"
    if hi is not None:
        expr = f"MIN({expr},{xlmath.num(hi)})"
    return expr


# ---- items -----------------------------------------------------------------------------


@dataclass
class ItemInputs:
    """An item's inputs for everyone: one :class:`ItemData` per rater (key None when single).

    Attributes:
        data: Rater id (or None) → the inputs that rater gave.
        present: Rater id → mask of the people whose rater gave an input.
        na: Mask of the people for whom the item does not apply.
        group: Group label per person, for ``na: average`` (None: everyone together).
    """

    data: dict[str | None, ItemData]
    present: dict[str | None, np.ndarray] = field(default_factory=dict)
    na: np.ndarray | None = None
    group: np.ndarray | None = None


def counted_raters(scheme: Scheme, item: Item) -> dict[str, float] | None:
    """The raters whose scores count: a rater of weight 0 (the seeds' 自评 column) is
    recorded and shown on the card, but takes no part in the item's score."""
    raters = scheme.raters_of(item)
    return {r: w for r, w in raters.items() if w > 0} if raters else raters


def item_score(scheme: Scheme, item: Item, inputs: ItemInputs) -> tuple[np.ndarray, np.ndarray]:
    """Score one item for everyone.

    Returns:
        ``(score, excluded)``: the item scores, and the mask of people for whom the
        item is excluded from the section's full marks (``na: exclude``).
    """
    rule = item.rule
    raters = counted_raters(scheme, item)
    if not raters:
        s = rule.evaluate(inputs.data[None])
    elif (item.missing_rater or scheme.missing_rater) == "reweight":
        num = den = 0.0
        for r, w in raters.items():
            here = inputs.present[r]
            num = num + np.where(here, w * rule.evaluate(inputs.data[r]), 0.0)
            den = den + np.where(here, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    else:
        s = 0.0
        for r, w in raters.items():
            s = s + w * rule.evaluate(inputs.data[r])
    s = _clamp(np.asarray(s, dtype=float), item.item_floor(), item.cap_points)

    n = len(s)
    na = inputs.na if inputs.na is not None else np.zeros(n, dtype=bool)
    raw = np.where(na, 0.0, s)
    if item.na == "full":
        return np.where(na, item.points, raw), np.zeros(n, dtype=bool)
    if item.na == "exclude":
        return raw, na
    if item.na == "average":
        return np.where(na, na_average(raw, na, inputs.group), raw), np.zeros(n, dtype=bool)
    return raw, np.zeros(n, dtype=bool)


def na_average(raw: np.ndarray, na: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    """Per person: the mean raw score of the people in their group who have the item (0 if none)."""
    have = ~na
    if group is None:
        den = float(have.sum())
        return np.full(len(raw), float(np.sum(np.where(have, raw, 0.0))) / den if den else 0.0)
    # labels compare as the formula's (G=g) does: text without regard to case
    codes, inv = np.unique(np.char.lower(group.astype(str)), return_inverse=True)
    sums = np.bincount(inv, weights=np.where(have, raw, 0.0), minlength=len(codes))
    counts = np.bincount(inv, weights=have.astype(float), minlength=len(codes))
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), 0.0)
    return avg[inv]


@dataclass
class ItemCells:
    """Where one person's inputs to an item are, for the formula renderings.

    Attributes:
        refs: Rater id (or None) → the :class:`ItemRefs` of that rater's inputs.
        na: The cell of the N/A flag, if the item may be not applicable.
    """

    refs: dict[str | None, ItemRefs]
    na: str | None = None


def item_formula(scheme: Scheme, item: Item, cells: ItemCells) -> str:
    """The item score of one person as a formula; N/A scores 0 here (or P for ``na: full``).

    For ``na: average`` this is the *raw* score; :func:`na_average_formula` gives the
    final one over the column of raw scores.
    """
    rule = item.rule
    raters = counted_raters(scheme, item)
    if not raters:
        s = rule.formula(cells.refs[None])
    elif (item.missing_rater or scheme.missing_rater) == "reweight":
        num = xlmath.plus(*(f'IF({cells.refs[r].primary}<>"",{xlmath.times(w, rule.formula(cells.refs[r]))},0)'
                            for r, w in raters.items()))
        den = xlmath.plus(*(f'IF({cells.refs[r].primary}<>"",{xlmath.num(w)},0)' for r, w in raters.items()))
        s = f"({num})/({den})"
    else:
        s = xlmath.plus(*(xlmath.times(w, rule.formula(cells.refs[r])) for r, w in raters.items()))
    s = _clamp_formula(s, item.item_floor(), item.cap_points)
    if cells.na and item.na is not None:
        s = f"IF({yes(cells.na)},{xlmath.num(item.points) if item.na == 'full' else '0'},{s})"
    return s


def na_average_formula(raw_ref: str, na_ref: str, raw_range: str, na_range: str,
                       group_ref: str | None = None, group_range: str | None = None) -> str:
    """The final score of a ``na: average`` item: its raw score, or the group's mean if N/A."""
    have = f'(({na_range}=TRUE)+({na_range}="是")+({na_range}=1)=0)'
    if group_range:
        have += f"*({group_range}={group_ref})"
    den = f"SUMPRODUCT({have}*1)"
    return f"IF({yes(na_ref)},IF({den}=0,0,SUMPRODUCT({have}*{raw_range})/{den}),{raw_ref})"


# ---- sections and total -----------------------------------------------------------------


def section_score(scheme: Scheme, section: Section, items: list[np.ndarray],
                  excluded: list[np.ndarray]) -> np.ndarray:
    """A section's contribution to the total, for everyone."""
    r = items[0]
    for s in items[1:]:
        r = r + s
    r = _clamp(r, section.floor, section.cap)
    if section.weight is None:
        return r
    full = float(section.full)
    if not any(e.any() for e in excluded):
        return section.weight * r / full * scheme.scale
    full_eff = full
    for item, e in zip(section.items, excluded):
        full_eff = full_eff - np.where(e, item.points, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(full_eff == 0, 0.0, section.weight * r / np.where(full_eff == 0, 1, full_eff) * scheme.scale)


def section_formula(scheme: Scheme, section: Section, item_refs: list[str],
                    na_refs: list[str | None] | None = None) -> str:
    """A section's contribution as a formula over its item score cells."""
    r = _clamp_formula(xlmath.plus(*item_refs), section.floor, section.cap)
    if section.weight is None:
        return r
    w, scale = xlmath.num(section.weight), xlmath.num(scheme.scale)
    excl = [(it, na) for it, na in zip(section.items, na_refs or [None] * len(section.items))
            if it.na == "exclude" and na]
    if not excl:
        return f"{w}*{xlmath.wrap(r)}/{xlmath.num(section.full)}*{scale}"
    full = xlmath.num(section.full) + "".join(f"-IF({yes(na)},{xlmath.num(it.points)},0)" for it, na in excl)
    return f"IF({full}=0,0,{w}*{xlmath.wrap(r)}/({full})*{scale})"


def total_score(scheme: Scheme, sections: list[np.ndarray]) -> np.ndarray:
    """The total: Σ sections, clamped, rounded once with Excel's ROUND (on its decimal value)."""
    t = sections[0]
    for s in sections[1:]:
        t = t + s
    t = _clamp(t, scheme.total.floor, scheme.total.cap)
    return xlmath.round_decimal(t, scheme.total.round)


def total_formula(scheme: Scheme, section_refs: list[str]) -> str:
    """The total as a formula over the section contribution cells."""
    t = _clamp_formula(xlmath.plus(*section_refs), scheme.total.floor, scheme.total.cap)
    return xlmath.round_formula(t, scheme.total.round)


def item_max(item) -> float:
    """The highest score an item can reach (its rule's, within ``cap_points``; ``inf``: no bound)."""
    m = item.rule.max_score(item.points)
    return min(m, item.cap_points) if item.cap_points is not None else m


def max_total(scheme: Scheme) -> float:
    """The highest total the scheme's rules allow (``inf``: no bound), as :func:`total_score` adds it up.

    Above ``scheme.scale`` the card says why beside the total (含加分, 可超过100):
    :func:`exceeds_why`.
    """
    total = 0.0
    for sec in scheme.sections:
        r = sum((item_max(i) for i in sec.items), 0.0)
        if sec.cap is not None:
            r = min(r, sec.cap)
        if sec.floor is not None:
            r = max(r, sec.floor)
        if sec.weight is not None:
            r = sec.weight * r / float(sec.full) * scheme.scale if sec.full else r
        total += r
    if scheme.total.cap is not None:
        total = min(total, scheme.total.cap)
    return total


def exceeds_why(scheme: Scheme) -> str | None:
    """Why a total may exceed the full score (超额完成可加分、含加分项), or None when it cannot."""
    if not max_total(scheme) > scheme.scale + 1e-9:
        return None
    above, bonus = False, False
    for sec in scheme.sections:
        for item in sec.items:
            if item_max(item) > item.points + 1e-9:
                if item.rule.uses_achievement:
                    above = True
                else:
                    bonus = True
    why = [w for w, on in (("超额完成可加分", above), ("含加分项", bonus)) if on] or ["含加分"]
    return "、".join(why)
