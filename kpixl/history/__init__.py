"""History and levels (docs/scheme.md): rules over a person's results across periods, and level moves.

Results are kept per person and period (the master's history sheet); from that long
frame, for one period:

* :func:`period_rules` — which rules fire: 连续两个月未完成业绩目标扣当月工资5%,
  连续三个月扣10%并岗位调整, 客户投诉累计三次, 完成目标奖励5%每超出10%加2%,
  团队协作连续三个月排名前三/最后, 年度满意度最高者 — with the signed salary change
  (``salary_change``), the deduction, the actions, a review flag and the reasons citing
  the periods and values. Conditions may rank people within a group and test measures
  kpixl derives (growth against one's own mean, tenure from 入职日期, share of a group's
  total: ``_measures``);
* :func:`level_proposals` — on the level ladder (A1–A3 … D1–D4, or 初级/中级/高级), a
  proposed promotion or demotion from annual ratings and qualification thresholds,
  with its reason. Proposals only: dismissal is never more than a review flag.

The rules are declared in the scheme (``history:`` and ``levels:``,
:class:`kpixl.scheme.History`, :class:`kpixl.scheme.Levels`); period arithmetic is
:mod:`kpixl.periods`. The period roll-up (周/月检20%, 月考核30%, 年终50%) is
:func:`kpixl.roll_up`.
"""

from ._levels import MOVES, level_proposals
from ._rules import period_rules, rules_by_period

__all__ = ["MOVES", "level_proposals", "period_rules", "rules_by_period"]
