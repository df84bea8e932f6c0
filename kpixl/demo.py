"""``kpixl demo``: the main job on a built-in example.

Thirty 大客户经理 from three regions, scored with a scheme modelled on the seed
大客户经理岗位月度绩效考核表, rated, paid, and written to a workbook whose every result
cell is a live formula. With ``--verify`` LibreOffice recalculates the workbook and
each formula's value is compared with the Python engine's.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from .engine.score import compute, prepare
from .errors import InputError


def demo_files() -> tuple[Path, Path, Path]:
    """The shipped demo scheme, roster and inputs."""
    base = resources.files("kpixl.data")
    return (Path(str(base / "demo_scheme.yaml")), Path(str(base / "demo_roster.csv")), Path(str(base / "demo_inputs.csv")))


def run_demo(out: Path, verify: bool = False) -> int:
    """Score the demo, write ``out``, print a summary; returns the exit code."""
    from .results.scored import write_workbook

    scheme_path, roster_path, inputs_path = demo_files()
    prepared = prepare(scheme_path, inputs_path, roster_path)
    if prepared.problems:
        raise InputError(list(prepared.problems), "demo inputs")
    results = compute(prepared)
    write_workbook(prepared, out)
    s = prepared.scheme
    print(f"{s.name} — {len(results)} people scored")
    print(f"  average total {results['total'].mean():.2f}, highest {results['total'].max():.2f}, lowest {results['total'].min():.2f}")
    counts = Counter(results["rating"])
    names = [b.name for b in s.ratings.bands]
    print("  ratings: " + ", ".join(f"{n} {counts.get(n, 0)}" for n in names))
    print(f"  bonus paid: {np.nansum(results['bonus']):,.2f}")
    print(f"wrote {out} (Results: live formulas; Summary; Scheme; Roster)")
    if verify:
        from .results.verify import verify_workbook

        report = verify_workbook(out, results, s)
        print(report.summary())
        return 0 if report.ok else 1
    return 0
