"""Start-up cost of the command and of a ribbon button (goal: under 0.2 s warm).

    .venv/bin/python bench/startup.py [--repeat 7]

Each figure is the median wall time of a fresh process (warm: the files are in the page
cache after the first, untimed run):

* ``kpixl --help`` and ``kpixl check <demo scheme>``: the command's own start-up;
* ``python -c pass``: the interpreter alone (the floor under both);
* a ribbon button's own overhead: importing ``kpixl.macros`` and dispatching the *Help*
  button on a file host, which is everything a button pays before its real work.

The children run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed), as an
installed kpixl runs: otherwise every run would compile kpixl's modules again (≈40 ms).

The figures are printed, not asserted: machine load moves them by ±30 % (more on a shared
machine: each row also shows the process's CPU time, user + system, which load moves less). Measured on the
team's 2-core machine (Dec 2026): ``kpixl --help`` 0.04 s, ``kpixl check`` 0.21 s before
NumPy became lazy in the rule modules (kpixl/lazy.py), 0.16 s after (``python -X importtime``:
what is left is pydantic's import ≈60 ms, building the scheme models ≈35 ms, PyYAML ≈8 ms),
the Help button 0.05 s. (Issue 13's 0.5 s was ``--help`` importing pandas and NumPy.)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KPIXL = Path(sys.executable).with_name("kpixl")
SCHEME = ROOT / "kpixl" / "data" / "demo_scheme.yaml"
BUTTON = ("import kpixl.macros as m\n"
          "m.dispatch('help', m.FileHost('x.xlsx'))\n")
GOAL = 0.2


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``repeat`` runs of ``cmd``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the page cache, write .pyc
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rows = [
        ("python -c pass (the floor)", [sys.executable, "-c", "pass"], None),
        ("kpixl --help", [str(KPIXL), "--help"], GOAL),
        ("kpixl check demo_scheme.yaml", [str(KPIXL), "check", str(SCHEME)], GOAL),
        ("ribbon button overhead (Help)", [sys.executable, "-c", BUTTON], GOAL),
    ]
    print(f"{'what':36} {'median':>8} {'CPU':>7}  goal")
    for label, cmd, goal in rows:
        s, cpu = timed(cmd, args.repeat)
        verdict = "" if goal is None else (f"< {goal:.1f} s  " + ("met" if s < goal else "NOT met"))
        print(f"{label:36} {s:7.3f}s {cpu:6.3f}s  {verdict}")
    print(f"load average: {os.getloadavg()[0]:.2f} (other work on the machine inflates the wall times, "
          "less the CPU times)")


if __name__ == "__main__":
    main()
