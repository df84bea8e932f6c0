"""The scheme (考核方案) as pydantic models — exactly the structure of docs/scheme.md.

Declaration only: these models hold what HR wrote. Scoring lives in the rule modules
and the engine; cross-field checks (weights summing to 1, duplicate ids…) live in
:mod:`kpixl.scheme.check` so that every problem is reported at once with its path.

No field is named ``on``, ``off``, ``yes``, ``no``, ``y`` or ``n``: YAML 1.1 loaders
read those keys as booleans.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..rules import Rule, RuleModel
from .base import Column, Model
from .base import ident as _ident
from .pay import Pay

NA = Literal["zero", "full", "average", "exclude"]
Period = Literal["month", "quarter", "half", "year"]


class Item(Model):
    """One scorecard line (考核项目).

    Attributes:
        id: Stable identifier; names the input columns (``new_sales``, ``new_sales.target``).
        name: 考核项目 as printed.
        points: Full marks ``P`` (分值, or 权重 × 100).
        rule: How the score follows from the inputs (one of the eight rule types).
        target: A number, or ``{column: …}`` read from the roster per person.
        na: What a not-applicable item scores: zero | full | average | exclude; None
            means the item cannot be marked not applicable.
        na_group: Roster column grouping people for ``na: average`` (default: everyone).
        rater: Who fills the item (informational when alone).
        raters: Several raters and their weights (自评0.3/人力0.3/上级0.4); sum 1.
        missing_rater: ``error`` or ``reweight``; None inherits the scheme's.
        floor: Lowest item score (default 0; none for signed rules).
        cap_points: Highest item score (default none).
        source: 数据来源 (informational).
        description: 考核内容/评分标准 as printed.
    """

    id: str
    name: str | None = None
    points: float = Field(ge=0)
    rule: Rule
    target: float | Column | None = None
    na: NA | None = None
    na_group: str | None = None
    rater: str | None = None
    raters: dict[str, float] | None = None
    missing_rater: Literal["error", "reweight"] | None = None
    floor: float | None = None
    cap_points: float | None = None
    source: str | None = None
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _ident(v, "item id")

    @field_validator("raters")
    @classmethod
    def _rater_ids(cls, v: dict | None) -> dict | None:
        for k in v or {}:
            _ident(k, "rater id")
        return v

    @property
    def rule_model(self) -> RuleModel:
        return self.rule  # type: ignore[return-value]

    def item_floor(self) -> float | None:
        """The effective lower bound of the item score."""
        if self.floor is not None:
            return self.floor
        return None if self.rule_model.is_signed() else 0.0


class Section(Model):
    """A block of items (业务指标, 行为考核, 扣分项).

    With ``weight`` the section contributes ``weight × R / full × scale``; without,
    it contributes its raw points ``R`` (deduction or bonus sections).
    """

    id: str
    name: str | None = None
    weight: float | None = Field(None, gt=0, le=1)
    cap: float | None = None
    floor: float | None = None
    items: list[Item] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _ident(v, "section id")

    @property
    def full(self) -> float:
        return sum(i.points for i in self.items)


class Total(Model):
    """Bounds and rounding of the total: clamped, then rounded once, Excel's way."""

    cap: float | None = None
    floor: float | None = None
    round: int = Field(2, ge=0, le=9)


class RatingBand(Model):
    """``{name: 优秀, min: 90}``; the last band has no ``min`` and takes the rest."""

    name: str = Field(min_length=1)
    min: float | None = None


class Quota(Model):
    """``{name: 优秀, share: 0.05}``."""

    name: str = Field(min_length=1)
    share: float = Field(ge=0, le=1)


class Distribution(Model):
    """Forced distribution (强制分布): ranks by total, bands take quotas of ranks."""

    group_by: str | None = None
    tie_break: list[str] = []
    quotas: list[Quota] = Field(min_length=1)


class Flag(Model):
    """A consequence by rank: ``{id: promote, name: 加薪/晋升, top: 0.05}``, or ``bottom``."""

    id: str
    name: str | None = None
    top: float | None = Field(None, gt=0, le=1)
    bottom: float | None = Field(None, gt=0, le=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _ident(v, "flag id")


class Ratings(Model):
    """Either absolute ``bands`` or a forced ``distribution``; optional rank ``flags``."""

    bands: list[RatingBand] | None = None
    distribution: Distribution | None = None
    flags: list[Flag] = []


class CurveSegment(Model):
    """Applies when ``total < below`` (the last segment has no ``below``).

    ``factor: score`` means ``total / scale``.
    """

    below: float | None = None
    factor: float | Literal["score"]


class LevelFactor(Model):
    """``{column: 职级, factors: {A1: 1.0, B1: 1.3}}``."""

    column: str
    factors: dict[str, float] = Field(min_length=1)

    @field_validator("factors", mode="before")
    @classmethod
    def _text_keys(cls, v):
        return {str(k): f for k, f in v.items()} if isinstance(v, dict) else v


class Commission(Model):
    """提成: ``{rate: 0.01, amount: {column: 销售额}}``."""

    rate: float = Field(ge=0)
    amount: float | Column


class Bonus(Model):
    """The bonus policy (绩效奖金), docs/scheme.md § Bonus."""

    base: float | Column
    curve: list[CurveSegment] = [CurveSegment(factor="score")]
    rating_factor: dict[str, float] | None = None
    level_factor: LevelFactor | None = None
    commission: Commission | None = None
    budget: float | None = Field(None, gt=0)
    round: int = Field(2, ge=0, le=9)
    #: The lowest bonus paid (and performance pay counted against a budget): 0 unless the
    #: scheme says otherwise. Money taken from pay belongs to pay's penalty lines.
    floor: float = Field(0, allow_inf_nan=False)


class Component(Model):
    """A roll-up component: ``{id: monthly, weight: 0.3, aggregate: mean}``."""

    id: str
    weight: float = Field(gt=0, le=1)
    aggregate: Literal["mean", "last", "sum"] = "mean"


class Rollup(Model):
    """Period roll-up (周/月检20%, 月考核30%, 年终50%)."""

    components: list[Component] = Field(min_length=1)
    round: int = Field(2, ge=0, le=9)


# ---- history and levels (docs/scheme.md § History and levels) ------------------------


class Growth(Model):
    """Growth against the person's own mean of the previous ``periods`` periods.

    ``this period's value / mean(the N periods before it) − 1`` (0.2 = 20% up). The value
    is the item's actual (the input column ``<item>``) or a ``column``; all N earlier
    periods (adjacent in the calendar) must have a value and their mean must be above 0,
    else the growth is blank.
    """

    item: str | None = None
    column: str | None = None
    # Required (scheme.check says so at its path); optional here so that the rest of a
    # scheme is still checked when it is missing.
    periods: int | None = Field(None, ge=1)


class Tenure(Model):
    """Time since a date (入职日期) at the end of the period, in whole ``years`` or ``months``."""

    column: str = Field("入职日期", min_length=1)
    unit: Literal["years", "months"] = "years"


class Share(Model):
    """The person's value over the sum of everyone's in the same period (and ``group``).

    The value is the item's actual (input column ``<item>``) or a ``column``.
    """

    item: str | None = None
    column: str | None = None
    group: str | None = None


class Measure(Model):
    """A value per person and period that a condition or qualification looks at; exactly one of:

    ``{score: sales}`` (the item's score), ``{achievement: sales}`` (actual/target),
    ``{column: 客户满意度}`` (a column of the results, or of the roster), and three that
    kpixl derives: ``{growth: {item: sales, periods: 3}}``, ``{tenure: {column: 入职日期}}``,
    ``{share: {column: 年度销售额, group: 部门}}``.
    """

    score: str | None = None
    achievement: str | None = None
    column: str | None = None
    growth: Growth | None = None
    tenure: Tenure | None = None
    share: Share | None = None

    def kinds(self) -> list[str]:
        """The forms given (one for a valid measure)."""
        return [k for k in type(self).model_fields if getattr(self, k) is not None]


class Rank(Model):
    """A place in a ranking: ``{top: 3}`` (排名前三) or ``{bottom: 1}`` (排名最后).

    People with a row in the period are ranked by ``by`` (default: the total) within
    ``group`` (a roster column; default: everyone), highest first, **competition
    ranking** (1224): a tie shares the better place and the next place is skipped, so
    ``top: 3`` may hold for more than 3 people when they tie. A blank value is not
    ranked. ``over: year`` ranks the ``aggregate`` (``mean``, default, or ``sum``) of
    the calendar year's periods up to this one and holds only in the year's last period
    (December, Q4, H2, or the year itself): 年度满意度最高者 is ``{top: 1, over: year}``.
    """

    top: int | None = Field(None, ge=1)
    bottom: int | None = Field(None, ge=1)
    by: Measure | None = None
    group: str | None = None
    over: Literal["period", "year"] | None = None
    aggregate: Literal["mean", "sum"] | None = None


class Condition(Model):
    """What one period's (or one year's) result must show; every test given must hold.

    ``{item: sales, achievement_below: 1.0}`` (未完成业绩目标), ``{total_below: 60}``,
    ``{rating_in: [不合格, 待改进]}``. An item's achievement is read from the column
    ``achievement:<item>``, or else computed as ``<item>`` / ``<item>.target``; its score
    from ``score:<item>``. A value that is blank in a row makes the condition false there.

    Each of total, achievement and score has four thresholds, as the seeds write them:
    ``_below`` (低于, <) and ``_at_most`` (不高于, ≤) from above, ``_above`` (高于, >) and
    ``_at_least`` (不低于, ≥) from below. Values are compared rounded to 9 places.

    Attributes:
        total_below: The total is below this.
        total_at_most: The total is at most this.
        total_above: The total is above this.
        total_at_least: The total is at least this.
        rating_in: The rating is one of these.
        item: The item the achievement/score tests look at.
        achievement_below: The item's achievement (actual/target) is below this (1.0 = 100%).
        achievement_at_most: The item's achievement is at most this.
        achievement_above: The item's achievement is above this.
        achievement_at_least: The item's achievement is at least this.
        score_below: The item's score is below this.
        score_at_most: The item's score is at most this.
        score_above: The item's score is above this.
        score_at_least: The item's score is at least this.
        measure: A value kpixl reads or derives (:class:`Measure`): growth, tenure, share….
        measure_below: The measure is below this.
        measure_at_most: The measure is at most this.
        measure_above: The measure is above this.
        measure_at_least: The measure is at least this.
        rank: A place in a ranking within a group (:class:`Rank`): 排名前三, 排名最后.
    """

    total_below: float | None = None
    total_at_least: float | None = None
    rating_in: list[str] | None = Field(None, min_length=1)
    item: str | None = None
    achievement_below: float | None = None
    achievement_at_least: float | None = None
    score_below: float | None = None
    score_at_least: float | None = None
    # The partners of the two forms above (added later; listed after them so that the
    # fields' order, which the Scheme sheet's YAML flow follows, is unchanged).
    total_at_most: float | None = None
    total_above: float | None = None
    achievement_at_most: float | None = None
    achievement_above: float | None = None
    score_at_most: float | None = None
    score_above: float | None = None
    # Derived measures and ranks (added later still; after the fields above for the same reason).
    measure: Measure | None = None
    measure_below: float | None = None
    measure_at_most: float | None = None
    measure_above: float | None = None
    measure_at_least: float | None = None
    rank: Rank | None = None

    @field_validator("rating_in", mode="before")
    @classmethod
    def _text_ratings(cls, v):
        return [str(x) for x in v] if isinstance(v, list) else v

    def tests(self) -> list[str]:
        """The names of the tests given (``total_below``, ``rating_in``…)."""
        return [k for k in type(self).model_fields if k not in ("item", "measure") and getattr(self, k) is not None]

    def bounds(self, measure: str) -> list[tuple[str, str, float]]:
        """The thresholds given on ``total``, ``achievement``, ``score`` or ``measure``.

        Returns:
            ``(field, operator, value)`` for each, the operator one of ``<``, ``<=``,
            ``>``, ``>=`` (``[("total_below", "<", 60.0)]``).
        """
        return [(f"{measure}_{k}", op, v) for k, op in _BOUNDS
                if (v := getattr(self, f"{measure}_{k}")) is not None]


# How each threshold suffix compares: the value ``op`` the threshold.
_BOUNDS = (("below", "<"), ("at_most", "<="), ("above", ">"), ("at_least", ">="))
# What a condition's thresholds look at (``total_below``, ``achievement_above``…).
CONDITION_MEASURES = ("total", "achievement", "score", "measure")


class SalaryStep(Model):
    """A graduated salary change: ``{every: 0.10, above: 1.0, change: 0.02}``.

    每超出10%,额外奖励当月工资的2%: for each whole ``every`` by which the item's
    achievement exceeds ``above``, ``change`` more (125% → 2 steps → +4%). The item is
    ``item``, or else the rule's ``when.item``.
    """

    item: str | None = None
    above: float
    every: float = Field(gt=0)
    change: float = Field(ge=-1, le=1)


class HistoryRule(Model):
    """A rule over a person's results in consecutive or accumulated periods.

    Exactly one of:

    * ``consecutive: N`` with ``when`` — fires in a period when it and the N−1 periods
      before it (adjacent in the calendar: 2026-09, 2026-10, 2026-11) all meet ``when``;
      a period with no row breaks the chain. 连续两个月未完成业绩目标.
    * ``cumulative: N`` with ``count: {column: …}`` (the column's values summed) or with
      ``when`` (the periods meeting it counted) — fires in the period in which the running
      total within ``window`` first reaches N. 客户投诉累计三次.

    Attributes:
        id: Names the result column ``history.<id>``.
        name: What the rule is called in reasons (连续三个月未完成业绩目标).
        when: The condition a period must meet.
        consecutive: How many adjacent periods in a row.
        count: A column whose values are summed (``{column: complaints.count}``).
        cumulative: The running total that triggers the rule.
        window: ``year`` (the calendar year of the current period, default) or ``all``.
        action: What follows, in words (扣当月工资10%并岗位调整).
        salary_deduction: Share of the month's salary deducted (0.05 = 5%); the same as
            ``salary_change: -0.05`` (give one of the two).
        review: The case goes to a person for review (岗位调整, 约谈): never automatic.
        supersedes: Rules this one replaces when both fire (连续三个月 supersedes
            连续两个月): theirs are then left out of actions, reasons and the deduction.
        salary_change: Signed share of the month's salary: +0.05 a reward (奖励当月工资5%),
            −0.10 a penalty (扣10%).
        per: A graduated addition to ``salary_change`` (每超出10%加2%), :class:`SalaryStep`.
    """

    id: str
    name: str | None = None
    when: Condition | None = None
    consecutive: int | None = Field(None, ge=1)
    count: Column | None = None
    cumulative: int | None = Field(None, ge=1)
    window: Literal["year", "all"] | None = None
    action: str | None = None
    salary_deduction: float | None = Field(None, ge=0, le=1)
    review: bool = False
    supersedes: list[str] = []
    salary_change: float | None = Field(None, ge=-1, le=1)
    per: SalaryStep | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _ident(v, "rule id")

    def change(self) -> float:
        """The signed salary change before any ``per`` steps: ``salary_change``, or −``salary_deduction``."""
        if self.salary_change is not None:
            return self.salary_change
        return -(self.salary_deduction or 0.0)


class History(Model):
    """Rules over the results kept per person and period (docs/scheme.md § History and levels)."""

    rules: list[HistoryRule] = Field(min_length=1)


class Threshold(Model):
    """A qualification threshold: ``{min: 5000000}``, ``{max: 0.01}``, ``{below: 0.02}``.

    ``min``/``max`` are inclusive, ``above``/``below`` strict (投诉率低于2% →
    ``below: 0.02``: exactly 2% does not qualify). The value is the annual results'
    column named by the threshold's key, or a derived ``measure`` (the key then names it
    in reasons).
    """

    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None
    #: What is compared, when not the annual results' column named by the key
    #: (``{占公司销售额: {measure: {share: {column: 年度销售额}}, min: 0.05}}``).
    measure: Measure | None = None

    def bounds(self) -> list[tuple[str, str, float]]:
        """``(field, operator, value)`` for each bound given (``[("below", "<", 0.02)]``)."""
        return [(k, op, v) for k, op in (("min", ">="), ("above", ">"), ("max", "<="), ("below", "<"))
                if (v := getattr(self, k)) is not None]


class LevelRule(Model):
    """A level move over annual results: ``{when: {rating_in: [优秀]}, years: 1}``.

    Attributes:
        when: What each year's result must show.
        years: In how many consecutive calendar years up to the year considered
            (a missing year breaks the chain).
        steps: How many levels to move (快速晋升通道: 2 skips one).
        name: How the reason names the rule (连续两年不达标).
    """

    when: Condition
    years: int = Field(1, ge=1)
    steps: int = Field(1, ge=1)
    name: str | None = None


class Levels(Model):
    """The level ladder (职级) and the rules that propose moves on it.

    Attributes:
        column: The roster column holding each person's current level.
        ladder: The levels from lowest to highest (``[D4, …, A1]`` or ``[初级, 中级, 高级]``).
        promote: Rules proposing a promotion; the first that fires and qualifies wins.
        demote: Rules proposing a demotion (连续两年不达标降级).
        dismiss_review: When it fires the case is flagged for review (连续三年 → 辞退?),
            never acted on.
        qualify: Per level, the thresholds a promotion *to* it must also meet, each over
            a column of the annual results (``{A1: {年度销售额: {min: 5000000}}}``) or a
            derived measure (``{A1: {司龄: {measure: {tenure: {}}, min: 3}}}``).
        annual: How the year master (``kpixl year``) makes one annual value of a card
            input these rules read, from the year's periods: ``sum`` (amounts: 年度销售额 is
            the months' sum), ``mean`` (rates: 投诉率) or ``last`` (the latest period's
            value). Required for every card input read when the card is not yearly.
    """

    column: str = Field("职级", min_length=1)
    ladder: list[str] = Field(min_length=2)
    promote: list[LevelRule] = []
    demote: list[LevelRule] = []
    dismiss_review: LevelRule | None = None
    qualify: dict[str, dict[str, Threshold]] = {}
    annual: dict[str, Literal["sum", "mean", "last"]] = {}

    @field_validator("ladder", mode="before")
    @classmethod
    def _text_levels(cls, v):
        return [str(x) for x in v] if isinstance(v, list) else v

    @field_validator("qualify", mode="before")
    @classmethod
    def _text_keys(cls, v):
        return {str(k): f for k, f in v.items()} if isinstance(v, dict) else v

    def value_columns(self) -> list[tuple[str, str]]:
        """``(path, column)`` of every value the rules read from the annual rows by name.

        A threshold's key (without ``measure``), a measure's ``column``, and a growth's or
        share's ``item``/``column`` (an item's actual is its input column ``<item>``) — in
        ``qualify`` and in the rules' ``when`` (its measure, a rank's ``by``). Not a tenure's
        date nor a share's group: those are the roster's. Paths are relative to ``levels``.
        """
        out: list[tuple[str, str]] = []

        def measure(p: str, m: Measure | None) -> None:
            if m is None:
                return
            if m.column is not None and m.column != "total" and not m.column.startswith(("score:", "achievement:")):
                out.append((f"{p}.column", m.column))
            for kind in ("growth", "share"):
                src = getattr(m, kind)
                if src is not None and (src.item or src.column):
                    out.append((f"{p}.{kind}.{'item' if src.item else 'column'}", src.item or src.column))

        rules = [(f"{k}[{j}]", r) for k in ("promote", "demote") for j, r in enumerate(getattr(self, k))]
        if self.dismiss_review is not None:
            rules.append(("dismiss_review", self.dismiss_review))
        for p, rule in rules:
            measure(f"{p}.when.measure", rule.when.measure)
            if rule.when.rank is not None:
                measure(f"{p}.when.rank.by", rule.when.rank.by)
        for level, thresholds in self.qualify.items():
            for key, t in thresholds.items():
                if t.measure is None:
                    out.append((f"qualify.{level}.{key}", key))
                else:
                    measure(f"qualify.{level}.{key}.measure", t.measure)
        return out


def _measure_roster_columns(m: Measure | None) -> list[tuple[str, str]]:
    """The roster columns a measure reads for sure: a tenure's date, a share's group."""
    if m is None:
        return []
    out = []
    if m.tenure is not None:
        out.append(("tenure.column", m.tenure.column))
    if m.share is not None and m.share.group:
        out.append(("share.group", m.share.group))
    return out


class Scheme(Model):
    """A whole appraisal scheme (考核方案)."""

    id: str = Field(min_length=1, pattern=r"^[^\s\[\]:*?/\\]+$")
    name: str = Field(min_length=1)
    version: int = Field(1, ge=1)
    period: Period = "month"
    scale: float = Field(100, gt=0)
    raters: dict[str, float] | None = None
    missing_rater: Literal["error", "reweight"] = "error"
    sections: list[Section] = Field(min_length=1)
    total: Total = Total()
    ratings: Ratings | None = None
    bonus: Bonus | None = None
    rollup: Rollup | None = None
    history: History | None = None
    levels: Levels | None = None
    pay: Pay | None = None
    description: str | None = None

    @field_validator("raters")
    @classmethod
    def _rater_ids(cls, v: dict | None) -> dict | None:
        for k in v or {}:
            _ident(k, "rater id")
        return v

    # ---- navigation ------------------------------------------------------------------

    def items(self) -> list[tuple[Section, Item]]:
        return [(s, i) for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item:
        for _, i in self.items():
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def roster_columns(self) -> dict[str, str]:
        """The roster columns the scheme reads, each with what needs it.

        Targets given as ``{column: …}``, the ``na_group`` of ``na: average`` items, the
        forced distribution's ``group_by`` and ``tie_break``, the bonus base, level
        factor and commission amount, and what history and level conditions read from
        the roster (a rank's ``group``, a tenure's date column, a share's ``group``) —
        each column once, in that order.

        Returns:
            ``{column: needed by}``, e.g. ``{"销量目标": "new_sales.target"}``.
        """
        cols: dict[str, str] = {}

        def add(col: object, why: str) -> None:
            if isinstance(col, str) and col and col not in cols:
                cols[col] = why

        for _, item in self.items():
            add(getattr(item.target, "column", None), f"{item.id}.target")
            # Only na: average reads the group (scheme.check reports a na_group without it).
            if item.na == "average":
                add(item.na_group, f"{item.id}.na_group")
        ratings = self.ratings
        if ratings is not None and ratings.distribution is not None:
            add(ratings.distribution.group_by, "ratings.distribution.group_by")
            for c in ratings.distribution.tie_break:
                add(c, "ratings.distribution.tie_break")
        b = self.bonus
        if b is not None:
            add(getattr(b.base, "column", None), "bonus.base")
            if b.level_factor is not None:
                add(b.level_factor.column, "bonus.level_factor")
            if b.commission is not None:
                add(getattr(b.commission.amount, "column", None), "bonus.commission.amount")
        # History and levels read a rank's group, a tenure's date and a share's group from the roster.
        for path, c in self._conditions():
            if c.rank is not None:
                add(c.rank.group, f"{path}.rank.group")
                for sub, col in _measure_roster_columns(c.rank.by):
                    add(col, f"{path}.rank.by.{sub}")
            for sub, col in _measure_roster_columns(c.measure):
                add(col, f"{path}.measure.{sub}")
        if self.levels is not None:
            for level, ths in self.levels.qualify.items():
                for name, t in ths.items():
                    for sub, col in _measure_roster_columns(t.measure):
                        add(col, f"levels.qualify.{level}.{name}.measure.{sub}")
        if self.pay is not None:
            # Lines typed on the pay sheet (counts, fractions) may have no roster column.
            typed = {ln.column for ln in self.pay.lines if ln.is_typed}
            for col, why in self.pay.roster_columns().items():
                if col not in typed:
                    add(col, why)
        return cols

    def _conditions(self) -> list[tuple[str, Condition]]:
        """Every history and level condition, with its YAML path."""
        out = []
        if self.history is not None:
            out += [(f"history.rules[{k}].when", r.when) for k, r in enumerate(self.history.rules) if r.when is not None]
        if self.levels is not None:
            lv = self.levels
            out += [(f"levels.{kind}[{k}].when", r.when) for kind in ("promote", "demote")
                    for k, r in enumerate(getattr(lv, kind))]
            if lv.dismiss_review is not None:
                out.append(("levels.dismiss_review.when", lv.dismiss_review.when))
        return out

    def raters_of(self, item: Item) -> dict[str, float] | None:
        """The rater weights that apply to an item, or None for a single input.

        Scheme-level ``raters`` apply to ``manual`` and ``rubric`` items that name no
        ``rater``/``raters`` of their own.
        """
        if item.raters:
            return item.raters
        if self.raters and item.rater is None and item.rule.type in ("manual", "rubric"):
            return self.raters
        return None
