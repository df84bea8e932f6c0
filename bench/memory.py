"""What the benches print of memory: a process's own peak (shared by bench/collect.py and bench/year.py)."""

from __future__ import annotations

import resource


def peak_mb() -> float:
    """This process's peak resident memory in MB (``VmHWM``).

    Not ``ru_maxrss``: on Linux it carries the high-water mark of the process a child was
    forked from (the bench itself) across exec.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
