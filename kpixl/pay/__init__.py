"""The pay (工资核算, docs/scheme.md § Pay): lines per person summing to 应发合计.

One rule, two renderings: :func:`compute_pay` (:mod:`.amounts`) computes every line in
Python; :mod:`.formulas` builds each line's formula, and :mod:`.sheet` writes the
工资核算 sheet of live formulas (and 薪酬参数, the parameters finance edits) for any
table of people; :mod:`.approval` the approval step (奖罚审批: rewards and penalties
count only once approved) — the period master's *Rate & Bonus* (:mod:`kpixl.master.pay`) and the
year workbook.
"""

from .amounts import PayProblem, compute_pay, pay_problems
from .approval import APPROVAL_SHEET, Approval, read_approvals
from .formulas import Params, history_rules
from .sheet import PARAMS_SHEET, PAY_SHEET, PayTable, read_params, write_params, write_pay_sheet

__all__ = ["APPROVAL_SHEET", "Approval", "read_approvals", "PARAMS_SHEET", "PAY_SHEET", "Params", "PayProblem", "PayTable", "compute_pay", "history_rules",
           "pay_problems", "read_params", "write_params", "write_pay_sheet"]
