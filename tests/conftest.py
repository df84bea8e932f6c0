"""Test-wide settings.

Hypothesis explores new random cases on every local run (that is how the agreement
tests found the rounding and grouping bugs); in CI (``CI=true``) it runs a fixed,
derandomised set so that a landing is reproducible — a failure there is the same
failure on any machine.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
