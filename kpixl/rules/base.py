"""What every rule module provides: the contract of "one rule, all its renderings".

A rule is a pydantic model (its parameters, exactly as written in a scheme) with:

* ``evaluate(data) -> ndarray`` — the Python rendering, vectorised over people;
* ``formula(refs) -> str`` — the Excel rendering, a native formula (without ``=``)
  over the cells that hold the same inputs;
* ``check(data) -> list[Issue]`` — input problems only this rule can see (a level
  that does not exist, a score outside the band its achievement selects).

and what a card and the Scheme sheet show of it, so that a new rule type is one module:

* ``describe(points) -> str`` — the rule in Chinese on a card (完成率×20分, 封顶120%);
* ``card_rows() -> list[CardRow]`` — its fill-in rows on a card (实际完成, 档内评分…);
* ``validation(field, points, name, who) -> dict | None`` — the data validation of one
  of its input cells, as XlsxWriter options (a plain dict: no Excel library here);
* ``words``, ``sheet_params``, ``percent_params()`` — its name in the Scheme sheet's
  规则 column, its parameters as sheet columns with their notations, and which of
  them show as percentages.

The evaluator and the formula share every number and every decision point: where the formula
writes ``ROUND(x, 9)`` the evaluator calls :func:`kpixl.xlmath.round9`; where it
writes ``ROUNDDOWN`` the evaluator floors. The engine-agreement tests hold them to it
through LibreOffice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from .. import xlmath
from ..lazy import np  # NumPy on first use: reading a scheme (kpixl check) never computes
from . import entry

#: The achievement used when a lower-is-better actual is 0 (no errors, no complaints):
#: far beyond any cap or band, so every rule gives its best result.
BEST_X = 1e9

InputKind = Literal["number", "level", "yesno", "counters"]


@dataclass(frozen=True)
class SheetParam:
    """A rule parameter as a column of the Scheme sheet's item table.

    Attributes:
        words: Chinese headers; the first is what the writer puts in the sheet.
        notation: How the cell is read and written, a notation of
            :mod:`kpixl.scheme.notation`: ``number``, ``choice`` (its words in
            ``CHOICES``), ``bool``, ``base``, or a compact form — ``bands``,
            ``steps``, ``limit``, ``levels``, ``counters``.
        width: The column's width in the sheet.
    """

    words: tuple[str, ...]
    notation: str
    width: int


@dataclass(frozen=True)
class CardRow:
    """A fill-in row of a card (填报项) for one of the rule's input columns.

    Attributes:
        label: The row's label on the card (实际完成, 档内评分, 迟到(次)).
        field: The input column's field: None for the primary input (``sales``),
            ``"score"``, a counter id, ``"reason"``.
        per_rater: One cell per rater of a multi-rater item (else one cell for all).
        after_na: The row comes after the item's 不适用 row.
    """

    label: str
    field: str | None = None
    per_rater: bool = True
    after_na: bool = False


# Parameters several rule types share: one column each in the sheet.
ZERO_BELOW = SheetParam(("不计分线",), "number", 9)
BASE = SheetParam(("基数",), "base", 8)
MIN = SheetParam(("最低",), "number", 7)
MAX = SheetParam(("最高",), "number", 7)
BEYOND = SheetParam(("超限处理",), "choice", 9)


class RuleModel(BaseModel):
    """Base of every rule model: unknown parameters are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: How the item's primary input (the ``item`` column) is read.
    input_kind: ClassVar[InputKind] = "number"
    #: Whether a blank primary input is allowed (it then counts as 0).
    blank_ok: ClassVar[bool] = False
    #: Whether the rule needs an achievement (actual against target, or a value).
    uses_achievement: ClassVar[bool] = False
    #: Whether the item score may be negative without an explicit item ``floor``.
    signed: ClassVar[bool] = False
    #: The rule type in the Scheme sheet's 规则 column; the first is what the writer puts.
    words: ClassVar[tuple[str, ...]] = ()
    #: The rule's parameters as Scheme-sheet columns, in sheet order (every field but ``type``).
    sheet_params: ClassVar[dict[str, SheetParam]] = {}

    def needs_target(self) -> bool:
        return False

    def has_ranges(self) -> bool:
        """Whether a rater enters a score within a band or level range (an ``item.score`` input)."""
        return False

    def is_signed(self) -> bool:
        """Whether the item score may be negative without an explicit item floor."""
        return self.signed

    def evaluate(self, data: "ItemData") -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def formula(self, refs: "ItemRefs") -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, data: "ItemData") -> list["Issue"]:
        return []

    def notes(self, data: "ItemData") -> list["Issue"]:
        """What the rule did to an input without refusing it (an entry capped at its limit).

        Reported with the cell as warnings; scoring goes on.
        """
        return []

    def scheme_problems(self, points: float) -> list[tuple[str, str, str]]:
        """Problems of the rule's parameters that pydantic cannot see.

        Returns ``(subpath, code, message)`` tuples, ``subpath`` relative to the rule.
        """
        return []

    def percent_params(self) -> frozenset[str]:
        """The parameters the Scheme sheet shows as percentages (90% rather than 0.9)."""
        return frozenset()

    # ---- renderings on a card --------------------------------------------------------

    def card_rows(self) -> list[CardRow]:  # pragma: no cover - abstract
        """The fill-in rows of the rule's inputs on a card, in card order."""
        raise NotImplementedError

    def score_rows(self) -> list[CardRow]:
        """The 档内评分 row when a band or level is given as a range (the rater scores within it)."""
        return [CardRow("档内评分", "score")] if self.has_ranges() else []

    def describe(self, points: float) -> str:  # pragma: no cover - abstract
        """The rule in Chinese as a card prints it (完成率×20分, 封顶120%).

        Args:
            points: The item's full marks ``P``.
        """
        raise NotImplementedError

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        """How a card checks one of the rule's input cells as it is typed.

        Args:
            field: The input column's field: None for the primary input (``sales``),
                ``"score"`` for a score within a band or level range, a counter id, or
                ``"reason"``.
            points: The item's full marks ``P``.
            name: The item as the prompt names it (its name, else its id).
            who: The rater as the prompt names it (``（self）``), or "".

        Returns:
            XlsxWriter ``data_validation`` options (a plain dict), or None for no check.
        """
        if field == "score":
            lo, hi = self.score_range(points)
            return entry.score_within(lo, hi, name, who)
        return None

    def max_score(self, points: float) -> float:
        """The highest score the rule can give an item worth ``points`` (``inf``: no bound).

        The card says so when a total may exceed its full score (含加分, 可超过100).
        """
        return float(points)

    def score_range(self, points: float) -> tuple[float, float]:
        """The lowest and highest score of the rule's band or level ranges."""
        raise NotImplementedError(f"a {type(self).__name__} rule has no score ranges")


class Achievement(RuleModel):
    """Shared by the rules that score an achievement ``x``.

    ``measure: ratio`` (default) reads ``x = actual/target`` (``direction: higher``) or
    ``target/actual`` (``direction: lower``; an actual of 0 gives the best result);
    ``measure: value`` reads the actual itself (a rate typed as 0.95, an error rate).
    """

    uses_achievement: ClassVar[bool] = True
    sheet_params: ClassVar[dict[str, SheetParam]] = {
        "measure": SheetParam(("口径",), "choice", 9),
        "direction": SheetParam(("方向",), "choice", 10),
    }
    #: Parameters that are achievements (or steps of one): percentages for ``measure: ratio``.
    achievement_params: ClassVar[frozenset[str]] = frozenset()

    measure: Literal["ratio", "value"] = "ratio"
    direction: Literal["higher", "lower"] = "higher"

    def needs_target(self) -> bool:
        return self.measure == "ratio"

    def achievement(self, actual: np.ndarray, target: np.ndarray | None, exact: bool = False) -> np.ndarray:
        """``x`` as its decimal value (rounded to 9 places), or as computed when ``exact``.

        Comparisons (steps, bands, thresholds) read the decimal value, so 15 % below
        target in 5 % steps is 3 steps; a proportional score multiplies the exact one.
        """
        keep = (lambda v: v) if exact else xlmath.round9
        if self.measure == "value":
            return keep(actual)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.direction == "higher":
                return keep(actual / target)
            return np.where(actual == 0, BEST_X, keep(target / np.where(actual == 0, 1, actual)))

    def card_rows(self) -> list[CardRow]:
        return [CardRow("实际值" if self.measure == "value" else "实际完成"), *self.score_rows()]

    def percent_params(self) -> frozenset[str]:
        return self.achievement_params if self.measure == "ratio" else frozenset()

    def achievement_word(self) -> str:
        """What the achievement is called on a card: 完成率, 目标/实际 or 实际值."""
        if self.measure == "value":
            return "实际值"
        return "目标/实际" if self.direction == "lower" else "完成率"

    def validation(self, field: str | None, points: float, name: str, who: str = "") -> dict | None:
        if field is not None:
            return super().validation(field, points, name, who)
        # Any number: the engine takes a negative actual too (a growth rate of -2%, seed
        # 烟草); the cell only refuses text, as the engine does.
        return entry.entry_rule(entry.decimal(None, None), "实际完成值",
                                f"{name}{who}：输入实际完成值（{entry.span(None, None)}）。",
                                f"{name}{who}：必须是{entry.span(None, None)}。")

    def achievement_formula(self, refs: "ItemRefs", exact: bool = False) -> str:
        """The formula twin of :meth:`achievement`: ``ROUND(actual/target,9)``, or the exact ratio."""
        if refs.achievement and not exact:
            return refs.achievement
        keep = (lambda v: v) if exact else (lambda v: f"ROUND({v},9)")
        if self.measure == "value":
            return refs.primary if exact else keep(refs.primary)
        if self.direction == "higher":
            return keep(f"{refs.primary}/{refs.target}")
        return f"IF({refs.primary}=0,{xlmath.num(BEST_X)},{keep(f'{refs.target}/{refs.primary}')})"


@dataclass
class ItemData:
    """One item's inputs for every person, already read to numbers where they are numbers.

    Attributes:
        points: The item's full marks ``P``.
        value: The primary input, read per the rule's ``input_kind``: floats for
            numbers (NaN when blank), canonical strings for levels, 1.0/0.0 for yes/no.
        target: Per-person targets (NaN when absent), or None when the rule needs none.
        counters: ``count`` rules: each counter's counts (blank → 0).
        score: A rater-entered score within a band or level range (NaN when blank).
        x: The achievement as its decimal value (rounded to 9 places), for rules that use
            one: what steps, bands and thresholds compare.
        exact: The achievement as computed (not rounded): what a proportional score
            multiplies (80 × 386,530 / 635,283 = 48.674999963…, not 48.675).
    """

    points: float
    value: np.ndarray
    target: np.ndarray | None = None
    counters: dict[str, np.ndarray] = field(default_factory=dict)
    score: np.ndarray | None = None
    x: np.ndarray | None = None
    exact: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.value)


@dataclass
class ItemRefs:
    """Where an item's inputs live in a sheet, as formula references (``$D$7``, ``B2``).

    Attributes:
        points: The item's full marks ``P`` (written into the formula as a number).
        primary: The cell of the primary input (actual, level, score, yes/no, points).
        target: The cell of the target, for ``measure: ratio`` rules.
        counters: ``count`` rules: counter id → cell of its count.
        score: The cell where a rater enters a score within a band or level range.
        achievement: A cell that already holds ``ROUND(x, 9)``; when given, formulas
            refer to it instead of repeating the division.
    """

    points: float
    primary: str | None = None
    target: str | None = None
    counters: dict[str, str] = field(default_factory=dict)
    score: str | None = None
    achievement: str | None = None


@dataclass
class Issue:
    """An input problem a rule found, for some rows.

    Attributes:
        rows: Row positions (0-based) in the inputs.
        field: Which input: ``"value"``, ``"target"``, ``"score"`` or a counter id.
        code: Stable code.
        messages: One message per row (they may differ: each names its own band).
    """

    rows: np.ndarray
    field: str
    code: str
    messages: list[str]


def issue(mask: np.ndarray, field_name: str, code: str, message) -> list[Issue]:
    """An :class:`Issue` for the rows where ``mask`` holds (none when it never does).

    ``message`` is a string, or a callable of the row position giving one.
    """
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    msgs = [message(int(r)) if callable(message) else message for r in rows]
    return [Issue(rows, field_name, code, msgs)]


def pct(x: float) -> str:
    """0.85 → '85%' for messages."""
    return f"{x * 100:.10g}%"
