"""The formulas of one person's card, wired from the card's cells into the engine's builders.

No scoring here: every formula comes from :mod:`kpixl.engine.card` (items, sections,
total), the rules, :mod:`kpixl.rating` (absolute bands) and :mod:`kpixl.bonus` (the
bonus before any budget scaling: a budget is shared by everyone, so it is applied on
the summary sheet). This module only says which cell feeds which argument, as
:mod:`kpixl.results.sheet` does for the results sheet.

Where a template has no cell for a per-person number the formulas need (a target, the
bonus base, the level), the number is written into the formula instead; formulas then
differ by person, and are cached by those numbers.
"""

from __future__ import annotations

import math
from typing import Any

from .. import bonus as bonus_mod
from .. import rating as rating_mod
from .. import xlmath
from ..engine.prepared import Prepared
from ..engine import card as card_mod
from ..engine.inputs import parse_column
from ..errors import InputError, Problem
from ..rules import ItemRefs
from ..scheme.models import Column, Scheme
from .template import Card

DISTRIBUTED = "见汇总表（强制分布）"
NA_AVERAGE_NOTE = ("不适用：汇总时按同组有此项人员的平均分计（由人力资源汇总时计算）；本表显示“待汇总”，"
                   "小计、总分与奖金为暂计。")
#: What an N/A item scored by the group average shows on the card (its value stays 0,
#: so sums still work); the note on the cell says it in full.
NA_AVERAGE_SHOWN = "待汇总"
PROVISIONAL = " 暂计"
BUDGET_NOTE = "预算调整前的金额；按奖金预算调整后的金额见汇总表。"



def _literal(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "0"
    return xlmath.literal(v.item() if hasattr(v, "item") else v)


class CardFormulas:
    """Which card cell feeds which builder argument, checked once per template.

    Raises:
        InputError: The card lacks a cell a formula needs (an item's score or input), or
            has a placeholder that names nothing in the scheme — every one at once.
    """

    def __init__(self, scheme: Scheme, card: Card):
        self.scheme, self.card = scheme, card
        self.inputs = card.placed("input")
        self.scores = card.placed("score")
        self.fields = card.placed("field")
        self.outs = card.placed("formula")
        self.problems: list[Problem] = []
        self._check()
        if self.problems:
            raise InputError(self.problems, f"card sheet {card.title}")
        b = scheme.bonus
        self.base_col = b.base.column if b is not None and isinstance(b.base, Column) else None
        self.level_col = b.level_factor.column if b is not None and b.level_factor is not None else None
        self.amount_col = (b.commission.amount.column if b is not None and b.commission is not None
                           and isinstance(b.commission.amount, Column) else None)
        #: Items whose target has no cell: it goes into the formula.
        self.literal_targets = [i.id for _, i in scheme.items()
                                if i.rule.needs_target() and f"{i.id}.target" not in self.inputs]
        self._cache: dict[tuple, dict[str, str]] = {}

    # ---- checks ---------------------------------------------------------------------------

    def _miss(self, code: str, message: str, where: str | None = None) -> None:
        self.problems.append(Problem(f"{self.card.title}!{where}" if where else self.card.title, code, message))

    def required_inputs(self) -> list[str]:
        """The input columns a card must place: each item's inputs, per rater."""
        out = []
        for _, item in self.scheme.items():
            rule = item.rule
            for r in (self.scheme.raters_of(item) or {None: 1}):
                sfx = f"@{r}" if r else ""
                if rule.input_kind != "counters":
                    out.append(f"{item.id}{sfx}")
                if rule.has_ranges():
                    out.append(f"{item.id}.score{sfx}")
            if rule.input_kind == "counters":
                out += [f"{item.id}.{c.id}" for c in rule.counters]
        return out

    def _check(self) -> None:
        s = self.scheme
        items = {i.id: i for _, i in s.items()}
        sections = {sec.id for sec in s.sections}
        for key in self.required_inputs():
            if key not in self.inputs:
                self._miss("missing_input_cell", f"no {{{{in:{key}}}}} cell: the input of {items[parse_column(key)[0]].name or key}")
        for item_id, item in items.items():
            if item_id not in self.scores:
                self._miss("missing_score_cell", f"no {{{{score:{item_id}}}}} cell: the score of {item.name or item_id}")
        allowed = set(self.required_inputs())
        for item in items.values():
            if item.rule.needs_target():
                allowed.add(f"{item.id}.target")
            if item.na is not None:
                allowed.add(f"{item.id}.na")
            if item.rule.type == "adjust":
                allowed.add(f"{item.id}.reason")
        for key, cell in self.inputs.items():
            if key not in allowed:
                self._miss("unknown_placeholder", f"{{{{in:{key}}}}} is not an input of the scheme "
                           f"(inputs: {', '.join(sorted(allowed))})", cell.ref)
        for key, cell in self.scores.items():
            if key not in items and key not in sections:
                self._miss("unknown_placeholder", f"{{{{score:{key}}}}} names no item or section of the scheme", cell.ref)

    # ---- per person ---------------------------------------------------------------------------

    def _literal_sources(self, prepared: Prepared) -> list[Any]:
        """Where each literal comes from: every person's values (an array), or None (then it is 0)."""
        out: list[Any] = []
        for item_id in self.literal_targets:
            d = prepared.items[item_id].data
            out.append(d[next(iter(d))].target)
        b = prepared.bonus
        for col, values in ((self.base_col, b and b.base), (self.level_col, b and b.level), (self.amount_col, b and b.amount)):
            if col is not None and col not in self.fields:
                out.append(values)
        return out

    def person_literals(self, prepared: Prepared, k: int) -> tuple:
        """The numbers person ``k``'s formulas hold because the card has no cell for them."""
        return tuple(_literal(values[k] if values is not None else None) for values in self._literal_sources(prepared))

    def every_literal(self, prepared: Prepared) -> list[tuple]:
        """:meth:`person_literals` of every person of ``prepared``, in order (read column by column)."""
        columns = [[_literal(v) for v in values] if values is not None else ["0"] * prepared.n
                   for values in self._literal_sources(prepared)]
        return list(zip(*columns)) if columns else [()] * prepared.n

    def formulas(self, literals: tuple) -> dict[str, str]:
        """Cell → formula (with ``=``) for a person whose literals are ``literals``."""
        got = self._cache.get(literals)
        if got is None:
            got = self._cache[literals] = self._build(list(literals))
        return got

    # ---- building ---------------------------------------------------------------------------

    def _build(self, lits: list[str]) -> dict[str, str]:
        s, cells = self.scheme, self.inputs
        targets = {item_id: lits.pop(0) for item_id in self.literal_targets}
        out: dict[str, str] = {}

        def ref(key: str) -> str | None:
            c = cells.get(key)
            return c.ref if c is not None else None

        def place(key: str, formula: str, kind: str = "score") -> str:
            """Write the formula into its cell if the card has one; return what refers to it."""
            cell = (self.scores if kind == "score" else self.outs).get(key)
            if cell is None:
                return xlmath.wrap(formula)
            out[cell.ref] = "=" + formula
            return cell.ref

        section_refs = []
        for sec in s.sections:
            item_refs, na_refs = [], []
            for item in sec.items:
                raters = s.raters_of(item) or {None: 1.0}
                refs = {}
                for r in raters:
                    sfx = f"@{r}" if r else ""
                    refs[r] = ItemRefs(
                        points=item.points, primary=ref(f"{item.id}{sfx}"),
                        target=ref(f"{item.id}.target") or targets.get(item.id),
                        counters={c.id: ref(f"{item.id}.{c.id}") for c in getattr(item.rule, "counters", ())},
                        score=ref(f"{item.id}.score{sfx}"))
                na = ref(f"{item.id}.na")
                item_refs.append(place(item.id, card_mod.item_formula(s, item, card_mod.ItemCells(refs, na))))
                na_refs.append(na)
            section_refs.append(place(sec.id, card_mod.section_formula(s, sec, item_refs, na_refs)))
        total = place("total", card_mod.total_formula(s, section_refs), "formula")

        rating_ref = None
        if s.ratings is not None and s.ratings.bands:
            rating_ref = place("rating", rating_mod.bands_formula(s.ratings.bands, total), "formula")
        b = s.bonus
        if b is not None and not (b.rating_factor and rating_ref is None):
            def person(col: str | None) -> str | None:
                if col is None:
                    return None
                cell = self.fields.get(col)
                return cell.ref if cell is not None else lits.pop(0)

            base, level, amount = person(self.base_col), person(self.level_col), person(self.amount_col)
            perf = bonus_mod.perf_formula(b, total, base, s.scale, rating_ref=rating_ref, level_ref=level)
            before_budget = b.model_copy(update={"budget": None})
            place("bonus", bonus_mod.bonus_formula(before_budget, xlmath.wrap(perf), "", commission_ref=amount), "formula")
        for c in self.card.cells:  # HR's own formulas in the card are kept, and stamped too
            if c.kind == "value" and isinstance(c.value, str) and c.value.startswith("=") and len(c.value) > 1:
                out.setdefault(c.ref, c.value)
        return out

    def texts(self) -> dict[str, str]:
        """Text shown in formula placeholders that have no formula on a person sheet."""
        s, out = self.scheme, {}
        if "rating" in self.outs:
            out["rating"] = DISTRIBUTED if s.ratings is not None and s.ratings.distribution is not None else ""
        if "bonus" in self.outs:
            out["bonus"] = DISTRIBUTED if s.bonus is not None else ""
        return out

    def provisional(self) -> list[tuple[str, str, str]]:
        """Cells whose figure is not final while an ``na: average`` item is marked N/A.

        Returns:
            ``(cell, condition, number format)`` for conditional formats: the item's score
            cell shows 汇总时按平均分计 (its value stays 0, so sums still work), and the
            section, total and bonus cells show their figure with （暂计）.
        """
        flagged = [(item, self.inputs[f"{item.id}.na"].ref) for _, item in self.scheme.items()
                   if item.na == "average" and f"{item.id}.na" in self.inputs and item.id in self.scores]
        if not flagged:
            return []
        out = [(self.scores[item.id].ref, card_mod.yes(na), f'"{NA_AVERAGE_SHOWN}"') for item, na in flagged]
        anyone = "OR(" + ",".join(card_mod.yes(na) for _, na in flagged) + ")"
        ids = {item.id for item, _ in flagged}
        later = [self.scores[sec.id].ref for sec in self.scheme.sections
                 if sec.id in self.scores and any(i.id in ids for i in sec.items)]
        later += [self.outs[k].ref for k in ("total",) if k in self.outs]
        out += [(ref, anyone, f'0.00"{PROVISIONAL}"') for ref in later]
        if "bonus" in self.outs:
            out.append((self.outs["bonus"].ref, anyone, f'#,##0.00"{PROVISIONAL}"'))
        return out

    def notes(self) -> dict[str, str]:
        """Cell → note (comment) explaining a figure that is final only on the summary."""
        out = {}
        for _, item in self.scheme.items():
            if item.na == "average":
                out[self.scores[item.id].ref] = NA_AVERAGE_NOTE
        if self.scheme.bonus is not None and self.scheme.bonus.budget is not None and "bonus" in self.outs:
            out[self.outs["bonus"].ref] = BUDGET_NOTE
        return out
