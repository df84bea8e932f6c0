"""What one collect did: counts, problems and warnings (printed, and written to ``Issues``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...card.naming import period_label
from ...errors import Problem


@dataclass
class CollectReport:
    """What one collect did."""

    master: Path
    period: str
    files: int = 0
    sheets: int = 0
    added: list[str] = field(default_factory=list)  # employee ids
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, sheet or "")
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        """No errors (warnings are fine)."""
        return not self.problems

    def summary(self) -> str:
        """A few lines for the terminal or a message box."""
        lines = [f"{self.master.name}, {period_label(self.period)}: {self.files} file(s), {self.sheets} person sheet(s) read",
                 f"  new {len(self.added)}, replaced {len(self.replaced)}, unchanged {len(self.unchanged)}, "
                 f"older than collected {len(self.older)}, quarantined {len(self.quarantined)}"]
        if self.problems:  # Issues is written with the master: when something was collected
            lines.append(f"  {len(self.problems)} problem(s) — " + ("see the Issues sheet" if self.written else "see above"))
        if self.warnings:
            lines.append(f"  {len(self.warnings)} warning(s)")
        if self.missing:
            shown = ", ".join(self.missing[:8]) + (", …" if len(self.missing) > 8 else "")
            lines.append(f"  still missing: {len(self.missing)} of the roster ({shown})")
        else:
            lines.append("  everyone is collected")
        if not self.written:
            lines.append("  nothing new: the master was not changed")
        return "\n".join(lines)
