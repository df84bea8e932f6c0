"""The catalogue of problem codes: every code a :class:`~kpixl.errors.Problem` may carry.

A code is stable (tests, the master's Issues sheet and people's macros match on it), so
each one is listed here once, with its kind, a short title, the general form of its
message and when it happens. :class:`~kpixl.errors.Problem` refuses a code that is not
listed, so a new or misspelt code fails the first test that builds it. ``docs/problems.md``
is generated from this module by ``scripts/problem-codes``.

Kinds:

* ``input`` — a value a person fixes in a cell: inputs, a roster, a returned card sheet.
* ``scheme`` — the scheme definition: its YAML, its Scheme sheet, its card template.
* ``file`` — a whole workbook or sheet that cannot be used as it is.
* ``warning`` — reported, but nothing is refused (collect goes on with kpixl's figures).

Some codes name the same mistake in two places (``duplicate_id`` in a scheme and in a
roster); their entry has the main kind and lists the others in ``also``.

Codes marked ``pydantic`` are pydantic's own error types, passed through by
:func:`kpixl.scheme.validate.pydantic_problems`; their message is pydantic's, lowered.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS: dict[str, str] = {
    "input": "a value a person fixes in a cell (inputs, roster, returned card sheet)",
    "scheme": "the scheme definition (YAML, Scheme sheet, card template)",
    "file": "a whole workbook or sheet that cannot be used",
    "warning": "reported; nothing is refused",
}


@dataclass(frozen=True)
class Code:
    """One catalogued problem code.

    Attributes:
        kind: ``input``, ``scheme``, ``file`` or ``warning`` (see :data:`KINDS`).
        title: A few words naming the problem.
        message: The general form of the message; ``{placeholders}`` stand for what a
            call site fills in.
        doc: When it happens and what to do, in a sentence.
        also: Other kinds the same code is used for.
        pydantic: The code is a pydantic error type, not written in kpixl's source.
    """

    kind: str
    title: str
    message: str
    doc: str
    also: tuple[str, ...] = ()
    pydantic: bool = False


def _c(kind: str, title: str, message: str, doc: str, also: tuple[str, ...] = (), pydantic: bool = False) -> Code:
    return Code(kind, title, message, doc, also, pydantic)


def _p(title: str, message: str, doc: str) -> Code:
    """A pydantic error type met while validating a scheme."""
    return Code("scheme", title, message, doc, (), True)


CODES: dict[str, Code] = {
    # ---- inputs tables (kpixl.engine.inputs, kpixl.engine.score) --------------------------
    "blank_id": _c("input", "Blank employee id", "every row needs an employee_id",
                   "A row of inputs, a roster or a history table has no employee id; fill it in or delete the row."),
    "duplicate_id": _c("input", "Duplicate id", "{what} {id} is used more than once",
                       "An employee id is on two rows of a roster or inputs table (or a person's pay line twice on "
                       "奖罚审批; or, in a pay with 奖罚审批, two ids that differ only in case, which Excel's COUNTIFS "
                       "cannot tell apart), or a section, item, counter or rule id is used twice in a scheme; keep one, or give "
                       "each its own id.",
                       also=("scheme",)),
    "duplicate_column": _c("input", "Duplicate column", "column {column} appears twice (first in {cell}): this one is ignored",
                           "A header is given twice in a table; delete or rename the second column."),
    "no_id_column": _c("input", "No employee id column", "the table needs an employee_id column (or 工号)",
                       "An inputs table has no employee_id/工号 column; add one."),
    "missing_column": _c("input", "Missing column", "no column {column} (needed by {needed_by})",
                         "A column the scheme needs (an item's input, a target, a bonus base…) is in neither the "
                         "inputs nor the roster; add it."),
    "no_rows": _c("input", "No rows", "the table has a header but no rows: add one row per person to score",
                  "An inputs table holds its header only; add one row per person (kpixl score refuses to score "
                  "nobody)."),
    "beyond_limit": _c("input", "Beyond the limit", "扣分合计{sum}超过上限{limit}: deductions below the limit {min}",
                       "A count line's Σ per × count is beyond its limit (扣分上限); check the counts, or give the "
                       "rule beyond: cap if the seed means the deduction stops at its limit."),
    "na_average_empty": _c("warning", "Nobody to average", "{item}: {group} is not applicable, so there is no "
                           "average to give; the item scores 0 there",
                           "Everyone in a group is N/A on an na: average item: the stated policy scores it 0 for "
                           "that group; check the N/A marks or the group column (na_group)."),
    # ---- returned files, added with the hardened collect (kpixl.master.collect) -----------
    "bad_file_name": _c("file", "Control characters in a file name", "the file name holds control characters; "
                        "rename the file and collect it again",
                        "A returned file's name holds control characters; only that file is refused: rename it."),
    "date_in_number": _c("input", "A date where a number belongs", "a date was typed where {column} needs a number; "
                         "type the number itself",
                         "A returned card holds a date in a number cell (a spreadsheet turned 11-26 into a date); "
                         "type the number."),
    "text_too_long": _c("input", "Text too long for a cell", "the text in {cell} is over 32,767 characters, more "
                        "than a cell holds; shorten it",
                        "A returned text (a reason) is longer than a cell can hold; it is refused rather than cut."),
    "stamp_forged": _c("file", "Stamp not made by this master", "the sheet's kpixl stamp is not one this master "
                       "made (its employee, period or checksum was edited); it is not collected",
                       "A person sheet's stamp does not carry this master's keyed checksum: it was edited or "
                       "copied from elsewhere; send the sheet as it was sent."),
    "not_sent_here": _c("file", "Employee sent to someone else", "{employee} was sent to {manager} in {file}, not in "
                        "the file this one answers; refused",
                        "A sheet claims an employee that the distribution record sent to another manager's file; "
                        "it is refused so it cannot overwrite that person's record."),
    "not_in_manifest": _c("warning", "Employee not in what was sent", "{employee} was not in what was distributed "
                          "for {period}; collected by its stamp",
                          "A sheet's employee is not in the distribution record (added to the roster later?)."),
    "no_manifest": _c("warning", "No record of what was sent", "no record of what was distributed for {period}: "
                      "stamps alone are checked",
                      "The master does not know what was distributed for the period (an older kpixl, or a copy "
                      "of the master): said once; stamps alone are checked."),
    "future_saved": _c("warning", "Saved in the future", "the file says it was saved {saved}, after now; its date "
                       "is not trusted: it is ordered by when it is collected",
                       "A returned file's modified date is in the future beyond the clock skew allowed; kpixl "
                       "orders it by when it is collected instead."),
    "capped": _c("warning", "Counted as its limit", "扣分超过上限{limit}, 按上限计 ({min})",
                 "An entry beyond its limit was counted as the limit (beyond: cap, 扣分上限/扣完为止); nothing to "
                 "fix unless the entry itself is wrong."),
    "unknown_column": _c("input", "Unknown input column",
                         "column {column}: item {item} has no input {field} (allowed: {allowed})",
                         "An inputs column names an item's input that does not exist; rename it to one of the "
                         "allowed inputs."),
    "unknown_rater": _c("input", "Unknown rater", "column {column}: item {item} has no rater {rater} (raters: {raters})",
                        "An inputs column names a rater the item does not have; rename it to one of its raters."),
    "not_in_roster": _c("input", "Not in the roster", "employee {id} is not in the roster",
                        "An employee in the inputs (or asked for by generate) is not on the roster; add them to the "
                        "roster or correct the id."),
    "not_a_number": _c("input", "Not a number", "{what} must be a number",
                       "A cell that must hold a number holds text (or nothing numeric); type a number.",
                       also=("scheme",)),
    "not_yes_no": _c("input", "Not yes/no", "must be 是 or 否 (or 1/0, TRUE/FALSE)",
                     "A yes/no item's cell holds something else; type 是 or 否."),
    "na_not_allowed": _c("input", "Not applicable not allowed",
                         "{item} cannot be marked not applicable: the scheme gives it no na policy",
                         "A cell is marked not applicable (不适用) for an item whose scheme has no na policy; type a "
                         "value, or give the item an na policy."),
    "no_rater": _c("input", "No rater scored", "no rater scored {item} (raters: {raters})",
                   "None of an item's raters gave a score for a person; fill in at least one rater's score."),
    "missing_reason": _c("input", "Missing reason", "{item}: points added or taken need a reason",
                         "An adjustment item gives or takes points without a reason; write the reason."),
    "missing_target": _c("input", "Missing target", "no target for {item} (give {column}, or a target in the scheme or roster)",
                         "An item scored against a target has none for a person; fill in the target column, or give a "
                         "target in the scheme or roster."),
    "zero_target": _c("input", "Zero target", "the target of {item} must be above 0",
                      "A target is 0 (a person's, or the scheme's own), which cannot be divided by; give the real target.",
                      also=("scheme",)),
    "missing_score": _c("input", "Missing score", "no score: {allowed}",
                        "A band or level that asks for a typed score has none; type a score in the allowed range."),
    "score_out_of_range": _c("input", "Score out of range", "score must be between {min} and {max}",
                             "A manually scored item's score is outside its range; type a score within it."),
    "score_outside_band": _c("input", "Score outside its band", "score must be {range}",
                             "A typed score is outside the range of the band the achievement falls in; type a score "
                             "within the band."),
    "score_outside_level": _c("input", "Score outside its level", "enter a score {range}",
                              "A typed score is outside the range of the chosen rubric level; type a score within it."),
    "points_out_of_range": _c("input", "Points out of range", "points must be between {min} and {max}",
                              "An adjustment adds or takes more points than the scheme allows; type points within "
                              "the range."),
    "negative_count": _c("input", "Negative count", "{counter}: a count cannot be below 0",
                         "A count (of complaints, errors…) is negative; type 0 or more."),
    "unknown_level": _c("input", "Unknown level", "level must be one of {levels}",
                        "A rubric level, a person's 职级 or a ladder level is not one the scheme knows; pick one of "
                        "the listed levels (in a scheme: name only ladder levels).",
                        also=("scheme",)),
    "negative": _c("input", "Negative amount", "{what} cannot be negative",
                   "A bonus base or commission amount is below 0; type 0 or more."),
    "fraction_out_of_range": _c("input", "Wage share out of range", "{line}: the share must be 0 or between {min} and {max}",
                                "A share of the wage typed for a pay line (工作失误扣5%–20%) is outside the line's range; "
                                "type a share within it, or 0 (or leave it blank) when nothing happened."),
    "bad_param": _c("input", "Bad bonus parameter", "{what} must be more than 0 (or 0 or more)",
                    "A value finance typed on 奖金参数 (the budget, a rating or level factor) or a bonus base on "
                    "等级与奖金 / 年度汇总 is negative (or a budget of 0); correct it, or clear a budget for none. "
                    "Nothing is saved until it is corrected."),
    "bad_approval": _c("input", "Bad approval", "审批 must be 同意 or 不同意 (blank: pending), not {value}",
                       "An approval cell on 奖罚审批 holds something other than 同意 (approved) or 不同意 (rejected); "
                       "pick one from the cell's list, or clear it while the reward or penalty is pending."),
    "approval_row": _c("input", "Row added by hand not matched", "{what} is not {expected}",
                       "A row added by hand on 奖罚审批 (no 期间) names a line code that is not a reward or penalty "
                       "under approval, or a 工号 not paid this period; the row would be dropped when the sheet is "
                       "written again. Correct the code or the id, or delete the row."),
    "id_not_text": _c("input", "Id typed as a number", "工号 {value} is a number; type it as text",
                      "A row added by hand on 奖罚审批 holds its 工号 as a number. 工资核算 compares ids as text, so "
                      "that 009875 and 9875 (or two 18-digit ids) are never one person, and a number never "
                      "matches; type the id with an apostrophe first ('009875) or format the cell as text."),
    "not_a_date": _c("input", "Not a date", "{column} must be a date",
                     "A date kpixl reads (入职日期, for a tenure measure or a pay line's years of service) is neither "
                     "a date cell nor text such as 2021-03-15, 2021/3/15 or 2021年3月15日; type the date."),
    "unknown_grade": _c("input", "No raise for this grade", "{line}: {value} has no raise in the table; enter one of {keys}",
                        "A pay raise line looks a roster value (职称) up in its table and it is not there; correct the "
                        "roster or add the value to the table."),
    "unknown_component": _c("input", "Unknown roll-up component", "component must be one of {components}",
                            "A roll-up scores row names a component the scheme's rollup does not have; use one of "
                            "its components."),
    "missing_component": _c("input", "Missing roll-up component", "no {component} score",
                            "A person has no score for one of the rollup's components; add that row."),
    # ---- rosters (kpixl.card.roster, kpixl.card.generate) --------------------------------
    "blank": _c("input", "Blank cell", "{column} is empty (needed by {needed_by})",
                "A roster cell the scheme needs (姓名, a target, a bonus base, 职级…) is empty; fill it in."),
    "no_manager": _c("input", "No manager", "no manager: fill in {column} so that this person is sent to someone",
                     "A roster row has no manager (经理 or 经理工号), so distribute would send the person to nobody; "
                     "fill it in."),
    "unknown_manager": _c("input", "Unknown manager id",
                          "经理工号 {id} is not an employee id on this roster (the roster lists its managers)",
                          "A manager id is no employee on a roster that lists its managers; correct the id or add "
                          "the manager."),
    "manager_mismatch": _c("input", "Manager name and id disagree", "{column} {value} has {other} {first} at {cell}",
                           "One manager name has two ids, or one id two names, so people would go to the wrong "
                           "manager; make them agree."),
    "sheet_name_char": _c("input", "Character not allowed in a sheet name", "{column} holds {chars}: remove them",
                          "A name or id holds [ ] : * ? / \\, which Excel forbids in the sheet named after the "
                          "person; remove them."),
    "formula_text": _c("input", "Text read as a formula", "text starting with {char} would be read by Excel as a formula",
                       "A roster text starts with = + - or @ and could run as a formula when opened; remove the "
                       "leading character."),
    "bad_id": _c("input", "Id not allowed", "an employee id cannot hold '|'",
                 "An employee id holds |, which kpixl's sheet stamp uses as a separator; change the id."),
    "empty": _c("input", "Empty roster", "the roster has no people to generate",
                "Generate was given a roster with no rows; add the people."),
    "bad_period": _c("input", "Bad period", "{why}",
                     "A period (the --period argument, or a history row's period) is not in the scheme's form, e.g. "
                     "2026-11 for monthly; write it in that form."),
    # ---- history (kpixl.history) ---------------------------------------------------------
    "duplicate_row": _c("input", "Duplicate history row", "{id} already has a row for {period} (at {cell})",
                        "A history table has two rows for one person and period; keep one."),
    "no_target": _c("input", "No target for an achievement",
                    "the achievement of {item} needs a target above 0 (or give achievement:{item})",
                    "A history rule looks at an achievement whose target is missing or 0; give the target or the "
                    "achievement itself."),
    # ---- returned card sheets (kpixl.master.returned, kpixl.master.collect) ---------------
    "formula_overwritten": _c("input", "Formula typed over",
                              "the formula in {cell} was replaced by a typed value; send the sheet again without "
                              "typing over computed cells",
                              "A manager typed over a computed cell of a returned sheet; send the sheet again "
                              "without touching it."),
    "formula_changed": _c("input", "Formula changed", "the formula in {cell} was changed (expected {formula})",
                          "A computed cell's formula was edited in a returned sheet; restore it (send a fresh sheet)."),
    "formula_added": _c("input", "Formula added", "a formula was added to the locked cell {cell}",
                        "A locked cell of a returned sheet holds a formula kpixl did not write; clear it."),
    "input_formula": _c("input", "Input given as a formula", "an input must be typed as a value, not a formula ({column})",
                        "An input cell of a returned sheet holds a formula; type the value."),
    "locked_changed": _c("input", "Locked cell changed", "the locked cell {cell} was changed (was {value})",
                         "A locked cell of a returned sheet (a label, a target, a cell outside the inputs) was "
                         "changed or cleared; restore it."),
    "error_value": _c("input", "Error value", "the cell shows an error ({error}); type a value",
                      "An input cell of a returned sheet shows #N/A, #VALUE! or another error; type a value."),
    # ---- returned files (kpixl.master) ---------------------------------------------------
    "bad_file": _c("file", "File cannot be read", "{reason}",
                   "A returned file could not be opened (not a workbook, damaged, or holding macros); send it "
                   "again as a plain .xlsx."),
    "not_kpixl": _c("file", "Not a kpixl file", "no kpixl person sheet in this file (no stamps): is it a workbook kpixl sent?",
                    "A returned file has no kpixl-stamped sheet; collect the workbook kpixl sent."),
    "bad_stamp": _c("file", "Damaged stamp", "the sheet's kpixl stamp is damaged; it cannot be collected",
                    "A sheet's hidden kpixl stamp was altered; send a fresh sheet."),
    "sheet_missing": _c("file", "Sheet missing", "the sheet of {id} ({sheet}) is not in the file",
                        "A stamped person's sheet was deleted, or renamed by a program that drops kpixl's stamps; "
                        "send the sheet again from Excel."),
    "other_scheme": _c("file", "Another scheme's sheet", "this sheet belongs to the scheme {scheme}, not {master}",
                       "A returned sheet was made for another scheme; collect it into that scheme's master."),
    "other_version": _c("file", "Another scheme version",
                        "this sheet was made for version {version} of the scheme; the master is version {master}",
                        "A returned sheet was made for an older or newer version of the scheme; send a sheet "
                        "generated from the master's version."),
    "other_period": _c("file", "Another period", "this sheet is for {period}; the master is collecting {master}",
                       "A returned sheet is for another period than the one being collected; collect it in its "
                       "own period."),
    "unknown_employee": _c("file", "Person not in the master", "employee {id} is not in the master's roster",
                           "A returned sheet is for someone the master's roster does not list; add them to the "
                           "roster or drop the sheet."),
    "duplicate_person": _c("file", "Person returned twice", "{id} is in {n} returned files with different values ({files})",
                           "One person's sheet came back in several files with different values; collect the right "
                           "one alone."),
    # ---- the year master (kpixl.year) ------------------------------------------------------
    "year_other_scheme": _c("file", "Another programme's master",
                            "this master is of the scheme {scheme}; the year is built from {year}",
                            "A period master given to kpixl year belongs to another scheme; build its own year "
                            "from it, or leave it out. Nothing is written."),
    "year_same_period": _c("file", "Period given twice", "{component} {period} is also in {other}",
                           "Two period masters of one roll-up component are for the same period; keep one."),
    "year_not_collected": _c("file", "Nothing collected", "nothing has been collected into this master",
                             "A period master given to kpixl year has no collected records; collect it first or "
                             "leave it out."),
    "year_component": _c("input", "Unknown roll-up component", "{why}",
                         "A master was given without a roll-up component (the scheme has several), or with one the "
                         "scheme's rollup does not list; give it as -c COMPONENT MASTER… (docs/year.md)."),
    "year_missing_periods": _c("warning", "Periods missing", "{id} has no {component} result for {periods}: "
                               "averaged over the {n} periods present",
                               "A person is missing from some period masters; the year averages the periods "
                               "present and shows how many (the stated policy, on the sheet)."),
    "year_missing_component": _c("warning", "Component missing", "{id} has no {component} result at all: it counts 0",
                                 "A person has no result in a whole roll-up component; it counts 0 in the annual "
                                 "total and the sheet's 备注 says so."),
    "year_source_lost": _c("warning", "Period master gone", "{file} is gone: the year keeps the rows copied from it",
                           "A period master the year was built from cannot be found; its copied rows are kept "
                           "unchanged, with a note on 来源 and 变更."),
    "year_source_changed": _c("warning", "Period master changed", "{file} changed since the year copied it: {what}",
                              "A period master was edited after the year copied it; the rebuild takes the new "
                              "figures and lists every change (person, period, old → new) on 变更."),
    "year_pay_missing": _c("warning", "Period not paid yet", "{file} has no 工资核算 (not rated yet): its period "
                           "is shown as 未核算", "A period master of a scheme with pay: has not been rated, so it "
                           "has no 工资核算 to copy; the year's 工资核算 lists the period under 未核算期间 and "
                           "counts no pay for it (rate the master, then rebuild the year)."),
    # ---- warnings (collect goes on) -------------------------------------------------------
    "renamed_sheet": _c("warning", "Sheet renamed", "the sheet was renamed (sent as {name}); collected by its stamp",
                        "A person's sheet was renamed; it is collected anyway, by its stamp."),
    "shown_differs": _c("warning", "Shown value differs",
                        "the file shows {shown} but kpixl computes {computed}; kpixl's figure is used",
                        "A returned sheet shows a score kpixl does not compute (saved without recalculating?); "
                        "kpixl's figure is used."),
    "older_file": _c("warning", "Older file", "this file was saved {saved}, before the one already collected; not applied",
                     "A file saved before the one already collected for the person is not applied; collect the "
                     "newer one."),
    "stale_sheet": _c("warning", "Sheet from an older card",
                      "this sheet was generated before the master's card, or a target or base on its roster, changed",
                      "A sheet made before the card or targets changed is scored with the current ones; check the "
                      "figures."),
    "text_changed": _c("warning", "Printed text changed", "the printed text in {cell} differs from the roster's ({text})",
                       "A printed name or label on a returned sheet was edited; the roster's is kept."),
    # ---- scheme files (kpixl.scheme.io, kpixl.scheme.validate, kpixl.scheme.sheet.write) -----
    "syntax": _c("scheme", "Syntax error", "not valid YAML: {what}",
                 "A scheme file is not valid YAML or JSON; fix the line named."),
    "not_a_mapping": _c("scheme", "Not a mapping", "a scheme is a mapping of fields (id, name, sections…)",
                        "A scheme file holds a list or a single value instead of fields; write it as "
                        "fields (id:, name:, sections: …)."),
    "bad_target": _c("scheme", "Bad target", "a target is a number or {column: <roster column>}, not {value}",
                     "An item's target (or the bonus base, a commission amount) is neither a number nor a roster "
                     "column; give one of those."),
    "illegal_character": _c("scheme", "Control character", "holds a control character that a workbook cannot store",
                            "A scheme text holds a control character, so it cannot be written to a workbook; remove it."),
    "invalid_value": _c("scheme", "Invalid value", "{pydantic's message}",
                        "A scheme field is invalid in a way none of the codes below names; the message says what is "
                        "allowed."),
    # ---- the Scheme sheet (kpixl.scheme.sheet.read) --------------------------------------
    "formula_without_value": _c("scheme", "Formula without a value",
                                "holds a formula with no computed value; type the value, or open and save the file in "
                                "Excel first",
                                "A Scheme sheet cell holds a formula the file has no saved result for; type the value "
                                "or save the file in Excel."),
    "no_item_table": _c("scheme", "No item table", "no item table: add a header row 板块 | 项目编号 | 考核项目 | 分值 | 规则 …",
                        "The Scheme sheet has no item table; add its header row and one row per item."),
    "value_without_key": _c("scheme", "Value without a key", "a value with no key in column A",
                            "A value in the Scheme sheet's settings has no key beside it; add the key or delete the value."),
    "unknown_key": _c("scheme", "Unknown key", "unknown key {key}; keys are {keys}",
                      "A Scheme sheet setting's key is not one kpixl knows; use one of the listed keys."),
    "duplicate_key": _c("scheme", "Key given twice", "{key} is given twice (first at {cell})",
                        "A Scheme sheet setting is given twice; keep one."),
    "unknown_header": _c("scheme", "Unknown column header", "unknown column {header}; columns are {columns}",
                         "An item table header is not one kpixl knows; use one of the listed columns."),
    "duplicate_header": _c("scheme", "Column given twice", "column {header} is given twice (first at {cell})",
                           "An item table header appears twice; delete one."),
    "value_without_header": _c("scheme", "Value without a header", "a value in a column with no header",
                               "An item table cell is in a column with no header; add the header or clear the cell."),
    "no_section": _c("scheme", "No section", "an item row needs its 板块 (section)",
                     "An item row names no section; fill in 板块."),
    "section_conflict": _c("scheme", "Section changed", "{column}: section {section} already has {value} (at {cell})",
                           "A later item row changes a section setting (weight, cap…) given on an earlier row; repeat "
                           "it or leave it blank."),
    "given_twice": _c("scheme", "Parameter given twice", "{parameter}: also given in the rule cell {cell}",
                      "A rule parameter is given both in its own column and in the rule cell; give it once."),
    "bad_value": _c("scheme", "Bad choice", "{label}: {why}",
                    "A Scheme sheet cell holds a word that is not one of the allowed choices (or yes/no); pick one."),
    "bad_notation": _c("scheme", "Bad notation", "{label}: {why}",
                       "A Scheme sheet cell's notation (bands, steps, levels…) cannot be read; write it as the "
                       "message shows."),
    # ---- scheme cross-field checks (kpixl.scheme.check, kpixl.rules) ---------------------
    "reserved_id": _c("scheme", "Reserved id", "id {id} is reserved for a result column; choose another",
                      "A section or item id is employee_id, total, rating, bonus or name; choose another id."),
    "weighted_without_points": _c("scheme", "Weighted section without points",
                                  "a weighted section needs items with points above 0",
                                  "A section has a weight but its items have no points; give the items points."),
    "cap_below_floor": _c("scheme", "Cap below floor", "cap {cap} is below floor {floor}",
                          "A cap (or max) is below its floor (or min); swap or correct them."),
    "weights_sum": _c("scheme", "Weights do not add up", "{what} weights sum to {sum}, not 100%",
                      "Section, rater or component weights do not add up to 100%; correct them."),
    "weight_range": _c("scheme", "Weight out of range", "{what} weight must be above 0 and at most 1, not {weight}",
                       "A weight is 0, negative or above 100%; give a share between 0 and 1."),
    "bands_or_distribution": _c("scheme", "Bands or distribution", "give either bands (absolute) or distribution (forced), not both or neither",
                                "Ratings need exactly one of bands and distribution; give one."),
    "last_band_min": _c("scheme", "Last band has a min", "the last band must have no min, so every score gets a rating",
                        "The lowest rating band has a min; remove it."),
    "band_min_missing": _c("scheme", "Band without a min", "every band but the last needs a min",
                           "A rating band other than the last has no min; give it one."),
    "bands_order": _c("scheme", "Bands out of order", "bands are listed best first: each min must be below the one before",
                      "Rating bands are not listed best first; reorder them."),
    "quotas_sum": _c("scheme", "Quotas do not add up", "quotas {quotas} sum to {sum}, not 100%",
                     "A forced distribution's quotas do not add up to 100%; correct them."),
    "duplicate_rating": _c("scheme", "Rating listed twice", "rating {rating} is listed twice",
                           "A rating name is used twice; rename one."),
    "flag_top_or_bottom": _c("scheme", "Flag needs top or bottom", "a flag needs either top: share or bottom: share",
                             "A ratings flag gives neither or both of top and bottom; give one."),
    "curve_last_below": _c("scheme", "Last curve segment has below",
                           "the last curve segment has no 'below': it takes every higher total",
                           "The last bonus curve segment has a below; remove it."),
    "curve_below_missing": _c("scheme", "Curve segment without below", "every curve segment but the last needs 'below'",
                              "A bonus curve segment other than the last has no below; give it one."),
    "curve_order": _c("scheme", "Curve out of order",
                      "curve segments run from low totals to high: each 'below' must exceed the one before",
                      "Bonus curve segments are not in rising order; reorder them."),
    "no_ratings": _c("scheme", "Rating factor without ratings", "rating_factor needs ratings in the scheme",
                     "The bonus has a rating_factor but the scheme has no ratings; add ratings or drop the factor."),
    "unknown_rating": _c("scheme", "Unknown rating", "no rating named {rating}; ratings are {ratings}",
                         "A bonus factor or condition names a rating the scheme does not have; use one of its ratings."),
    "target_unused": _c("scheme", "Target not used", "a {rule} rule uses no target",
                        "An item has a target its rule never reads; remove the target or change the rule."),
    "na_group_unused": _c("scheme", "na_group not used", "na_group only applies with na: average",
                          "An item has an na_group without na: average; remove it or set na: average."),
    "raters_on_count": _c("scheme", "Raters on a count item", "a count item takes counters, not rater scores",
                          "A count item has raters; remove them."),
    "range_backwards": _c("scheme", "Range backwards", "min {min} is above max {max}",
                          "A manual or adjust rule's min is above its max; swap them."),
    "lower_needs_cap": _c("scheme", "Lower-is-better needs a cap",
                          "a lower-is-better ratio needs a cap: an actual of 0 would score without limit",
                          "A ratio rule with direction: lower has no cap; give one."),
    "value_lower": _c("scheme", "Value with lower",
                      "ratio with measure: value scores the value itself; use tiers or step for lower-is-better values",
                      "A ratio rule reads the value itself with direction: lower; use a tiers or step rule."),
    "no_steps": _c("scheme", "Step rule without steps", "a step rule needs below: {every, points}, above: {...}, or both",
                   "A step rule has neither below nor above; give one or both."),
    "lower_needs_max_bonus": _c("scheme", "Lower-is-better needs max_bonus",
                                "a lower-is-better step rule with 'above' needs max_bonus",
                                "A lower-is-better step rule adds points above target without a limit; give max_bonus."),
    "limit_backwards": _c("scheme", "Limit backwards", "limit.min {min} is above limit.max {max}",
                          "A count rule's limit min is above its max; swap them."),
    "band_never_used": _c("scheme", "Band never used",
                          "band {band} is never selected: bands listed before it already hold every achievement it covers",
                          "A tiers band is hidden by the bands before it; remove or reorder it."),
    "band_gap": _c("scheme", "Gap between bands", "no band holds achievements between {low} and {high}",
                   "Some achievements fall in no tiers band (a single point too: above 0.9 beside below 0.9 "
                   "leaves exactly 90%, said 'at exactly 90%'); add a band, or set gap: lower or gap: zero."),
    "strict_and_inclusive": _c("scheme", "Strict and inclusive on one side",
                               "a band gives both {inclusive} (inclusive) and {strict} (strict) on one side; keep one",
                               "A tiers band, qualification threshold or condition bounds one side twice (min and "
                               "above, max and below, at_least and above, at_most and below); keep the one the "
                               "rule means."),
    "duplicate_level": _c("scheme", "Level listed twice", "level {level} is listed twice",
                          "A rubric level or ladder level is listed twice; rename or remove one."),
    "fraction_range": _c("scheme", "Fraction out of range", "with of: fraction a level is a share of P such as 0.8, not {value}",
                         "A rubric level with of: fraction is not a share between 0 and 1; write it as one."),
    "empty_condition": _c("scheme", "Empty condition", "a condition needs a test: total_below, total_at_most, total_above, total_at_least, rating_in, …",
                          "A history or level condition tests nothing; give it a test."),
    "item_unused": _c("scheme", "item not used",
                      "item is only used with achievement_… or score_… tests (_below, _at_most, _above, _at_least)",
                      "A condition names an item but tests no achievement or score; add the test or remove item."),
    "unknown_item": _c("scheme", "Unknown item", "no item {item} in the scheme; items are {items}",
                       "A condition names an item the scheme does not have; use one of its items."),
    "never_true": _c("scheme", "Condition never true", "{low} {a} and {high} {b} can never both hold",
                     "A condition's lower bound (at_least/above) is not below its upper bound (below/at_most), or a "
                     "qualification threshold's above/min is not below its below/max, so it never holds; correct the "
                     "bounds."),
    "consecutive_or_cumulative": _c("scheme", "Consecutive or cumulative",
                                    "a rule needs either consecutive: N (with when) or cumulative: N, not both or neither",
                                    "A history rule gives neither or both of consecutive and cumulative; give one."),
    "count_unused": _c("scheme", "count not used", "count is only used with cumulative",
                       "A consecutive history rule has a count; remove it."),
    "window_unused": _c("scheme", "window not used", "window is only used with cumulative",
                        "A consecutive history rule has a window; remove it."),
    "count_or_when": _c("scheme", "Count or when", "cumulative needs either count: {column: …} or when: …, not both or neither",
                        "A cumulative history rule gives neither or both of count and when; give one."),
    "unknown_rule": _c("scheme", "Unknown rule", "no other rule with id {rule}; rules are {rules}",
                       "supersedes, or a pay line's history, names a history rule that does not exist; use a "
                       "rule's id."),
    "deductions_add_up": _c("scheme", "Deductions add up",
                            "rules {a} and {b} test the same condition and both deduct salary; add supersedes: [{a}] to {b}",
                            "Two history rules over one condition would both deduct salary; make the longer one "
                            "supersede the shorter."),
    # ---- pay (kpixl.scheme.pay) -----------------------------------------------------------
    "field_unused": _c("scheme", "Field not used", "{field} is not used by a {type} line",
                       "A pay line gives a field its type never reads; remove it or change the type."),
    "no_bonus": _c("scheme", "Bonus line without a bonus", "a bonus line pays the scheme's bonus: add bonus: to the scheme",
                   "A pay line of type bonus needs the scheme's bonus policy; add bonus: or remove the line."),
    "no_history": _c("scheme", "History line without rules", "a history line pays what the history rules give: add history: rules",
                     "A pay line of type history needs the scheme's history rules; add them or remove the line."),
    "column_or_history": _c("scheme", "Column or history",
                            "a {type} line reads either column (a count) or history (a rule's flag), not both",
                            "A fixed or per-event pay line gives both column and history; keep one."),
    "rate_or_tiers": _c("scheme", "Rate or tiers", "a commission line needs either rate (flat) or tiers (a table), not both",
                        "A commission line gives neither or both of rate and tiers; give one."),
    "steps_or_table": _c("scheme", "Steps or table", "a raise line needs either steps (by a number) or table (by a text), not both",
                         "A raise line gives neither or both of steps and table; give one."),
    "steps_order": _c("scheme", "Raise steps out of order", "raise steps run from low to high: each min must exceed the one before",
                      "A raise line's steps are not in rising order of min; reorder them."),
    "tiers_last_upto": _c("scheme", "Last tier has upto", "the last tier has no upto: it takes every higher amount",
                          "The last band of a commission table has an upto; remove it."),
    "tiers_upto_missing": _c("scheme", "Tier without upto", "every tier but the last needs upto",
                             "A commission band other than the last has no upto; give it one."),
    "tiers_order": _c("scheme", "Tiers out of order", "tiers run from low amounts to high: each upto must exceed the one before",
                      "A commission table's bands are not in rising order; reorder them."),
    "no_achievement": _c("scheme", "Item without an achievement", "item {item} has no achievement (实际/目标)",
                         "An achievement pay line names an item whose rule reads no achievement (a manual or count "
                         "item); name a ratio, tiers or step item."),
    "no_wage_base": _c("scheme", "No wage base", "a wage fraction needs a wage base: add a wage line, or give wage_base / of",
                       "A history, per-event or range pay line takes a share of the wage but the pay has no wage line; "
                       "add one or name the base."),
    "unknown_line": _c("scheme", "Unknown pay line", "no wage or raise line {line}; they are {lines}",
                       "wage_base or of names a pay line that is not a wage or raise line; use one of them."),
    "blank_level": _c("scheme", "Blank level", "a level needs a name", "A ladder level is blank; name it."),
    "steps_too_many": _c("scheme", "Too many steps", "{steps} steps leave a ladder of {n} levels",
                         "A promote or demote rule moves more steps than the ladder has; lower steps."),
    "qualify_lowest": _c("scheme", "Qualification for the lowest level", "{level} is the lowest level: nobody is promoted to it",
                         "A qualification is given for the ladder's lowest level; remove it."),
    "annual_missing": _c("scheme", "Annual value not said", "the card is monthly: say how the year master makes one "
                         "annual value of {column} (levels.annual: sum, mean or last)",
                         "A level rule or threshold reads a card input and the card is not yearly: say in "
                         "levels.annual whether the year's value is the periods' sum (amounts: 年度销售额), mean "
                         "(rates: 投诉率) or the last period's value."),
    "annual_unused": _c("scheme", "levels.annual not used", "no level rule or threshold reads {column}",
                        "levels.annual names a column no level rule or qualification reads; remove it or fix "
                        "the name."),
    "empty_threshold": _c("scheme", "Empty threshold", "a threshold needs min or above, max or below, or both",
                          "A level qualification threshold gives no bound; give min/above, max/below or both."),
    "change_and_deduction": _c("scheme", "Salary change and deduction",
                               "give salary_change or salary_deduction (the same as salary_change: −x), not both",
                               "A history rule gives both a signed salary_change and a salary_deduction; keep one "
                               "(a deduction of 0.05 is salary_change: -0.05)."),
    "measure_kind": _c("scheme", "Measure of no one kind",
                       "a measure is exactly one of score, achievement, column, growth, tenure or share",
                       "A condition's measure, a rank's by or a qualification's measure gives none or several forms; "
                       "give one."),
    "item_or_column": _c("scheme", "Item or column", "give either item: or column:, not both or neither",
                         "A growth or share measure must read one value: an item's actual or a column."),
    "measure_unused": _c("scheme", "measure not used",
                         "measure is only used with measure_below, measure_at_most, measure_above or measure_at_least",
                         "A condition gives a measure but no threshold on it; add the threshold or remove measure."),
    "rank_top_or_bottom": _c("scheme", "Top or bottom", "a rank test needs either top: N or bottom: N, not both or neither",
                             "A rank test gives neither or both of top (排名前N) and bottom (排名最后N); give one."),
    "aggregate_unused": _c("scheme", "aggregate not used", "aggregate is only used with over: year",
                           "A rank test gives aggregate (mean or sum) but ranks single periods; add over: year or "
                           "remove aggregate."),
    # ---- card templates (kpixl.card.formulas, kpixl.card.generate) -----------------------
    "missing_input_cell": _c("scheme", "Card lacks an input cell", "no in:{column} placeholder cell: the input of {item}",
                             "The card template has no cell for an input the scheme needs; add the placeholder."),
    "missing_score_cell": _c("scheme", "Card lacks a score cell", "no score:{item} placeholder cell: the score of {item}",
                             "The card template has no cell for an item's score; add the placeholder."),
    "unknown_placeholder": _c("scheme", "Unknown placeholder", "{placeholder} is not {what}",
                              "A card template placeholder names no input, item, roster column or field; correct it."),
    # ---- pydantic error types (scheme validation) ----------------------------------------
    "missing": _c("scheme", "Required", "is required",
                  "A required scheme field is not given (or a required input, level or id is blank); give it.",
                  also=("input",), pydantic=True),
    "extra_forbidden": _c("scheme", "Unknown parameter", "unknown parameter {name}; allowed: {allowed}",
                          "A scheme field (or a rule parameter on the Scheme sheet) is not one kpixl knows; remove "
                          "or rename it.", pydantic=True),
    "union_tag_invalid": _c("scheme", "Unknown rule type", "unknown rule type {type}; allowed: {types}",
                            "An item's rule type is not one kpixl knows; use one of the listed types.", pydantic=True),
    "union_tag_not_found": _p("Rule without type", "a rule needs a type: one of {types}",
                              "An item's rule gives no type; add type:."),
    "value_error": _p("Invalid value", "{why}",
                      "A scheme field failed one of kpixl's own field checks (an id's form, a notation…); the "
                      "message says what is allowed."),
    "model_type": _p("Not a mapping of fields", "input should be a valid dictionary or instance of {model}",
                     "A scheme part that takes fields (a section, an item…) was given a single value or a list."),
    "model_attributes_type": _p("Not a mapping of fields",
                                "input should be a valid dictionary or object to extract fields from",
                                "A rule was given a single value instead of its fields."),
    "dict_type": _p("Not a mapping", "input should be a valid dictionary",
                    "A field that maps names to values (raters, factors…) was given something else."),
    "list_type": _p("Not a list", "input should be a valid list", "A field that takes a list was given something else."),
    "tuple_type": _p("Not a list", "input should be a valid tuple", "A field that takes a list was given something else."),
    "too_short": _p("Too few entries", "list should have at least {min} item after validation, not {n}",
                    "A list or mapping that needs entries (sections, items, quotas…) is empty; add them."),
    "string_type": _p("Not text", "input should be a valid string", "A text field was given a number, list or mapping."),
    "string_pattern_mismatch": _p("Text not in the allowed form", "string should match pattern {pattern}",
                                  "A scheme id holds spaces or [ ] : * ? / \\; use letters, digits and _."),
    "float_type": _p("Not a number", "input should be a valid number", "A number field was given a list, mapping or nothing."),
    "float_parsing": _p("Not a number", "input should be a valid number, unable to parse string as a number",
                        "A number field was given text; type a number."),
    "finite_number": _p("Not a finite number", "input should be a finite number",
                        "A number field was given infinity or NaN; type a real number."),
    "int_type": _p("Not a whole number", "input should be a valid integer", "A whole-number field was given something else."),
    "int_parsing": _p("Not a whole number", "input should be a valid integer, unable to parse string as an integer",
                      "A whole-number field was given text; type a whole number."),
    "int_from_float": _p("Not a whole number", "input should be a valid integer, got a number with a fractional part",
                         "A whole-number field (version, round, steps…) was given a fraction; type a whole number."),
    "bool_type": _p("Not yes/no", "input should be a valid boolean", "A yes/no field was given something else."),
    "bool_parsing": _p("Not yes/no", "input should be a valid boolean, unable to interpret input",
                       "A yes/no field was given a word it cannot read; write true or false."),
    "greater_than": _p("Too small", "input should be greater than {limit}", "A number must be above a limit; raise it."),
    "greater_than_equal": _p("Too small", "input should be greater than or equal to {limit}",
                             "A number is below its minimum; raise it."),
    "less_than_equal": _p("Too large", "input should be less than or equal to {limit}",
                          "A number is above its maximum; lower it."),
    "literal_error": _p("Not an allowed choice", "input should be {choices}", "A choice field was given another word; pick one."),
}


def entry(code: str) -> Code:
    """The catalogue entry of a code.

    Args:
        code: A problem code such as ``not_a_number``.

    Returns:
        Its :class:`Code`.

    Raises:
        ValueError: The code is not in the catalogue (a programming error: add it to
            :data:`CODES`).
    """
    try:
        return CODES[code]
    except (KeyError, TypeError):
        raise ValueError(f"unknown problem code {code!r}: add it to kpixl/problems.py") from None
