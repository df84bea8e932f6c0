"""Benchmark: score 1,000,000 item rows (100,000 people × 10 items).

Goal (issue 2): the whole engine — reading the inputs table, validating every cell,
ten rules of five types, sections, total, ratings, bonus — under 0.5 s on this machine
(2 cores). For scale, the same run times a bare NumPy kernel of the same arithmetic
(a plain capped ratio over 1,000,000 rows was ~10 ms before the project started;
a Python loop ~0.35 s).

    .venv/bin/python bench/score.py [--people 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import kpixl
from kpixl.scheme import scheme_from_dict

SCHEME = {
    "id": "bench", "name": "bench", "version": 1,
    "sections": [
        {"id": "biz", "weight": 0.6, "items": [
            {"id": f"r{k}", "points": 20, "rule": {"type": "ratio", "cap": 1.2, "zero_below": 0.5}, "target": 100}
            for k in range(4)] + [
            {"id": "t0", "points": 20, "rule": {"type": "tiers", "gap": "lower", "bands": [
                {"min": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"min": 0, "max": 0.8, "points": 0}]}, "target": 100},
            {"id": "s0", "points": 20, "rule": {"type": "step", "below": {"every": 0.05, "points": 3},
                                                 "above": {"every": 0.01, "points": 2}, "max_bonus": 10}, "target": 100},
        ]},
        {"id": "beh", "weight": 0.4, "items": [
            {"id": "m0", "points": 25, "rule": {"type": "manual"}},
            {"id": "m1", "points": 25, "rule": {"type": "manual"}},
            {"id": "c0", "points": 25, "rule": {"type": "count", "base": "full",
                                                 "counters": [{"id": "late", "per": -1}, {"id": "absent", "per": -5}]}},
            {"id": "b0", "points": 25, "rule": {"type": "binary"}},
        ]},
    ],
    "ratings": {"bands": [{"name": "A", "min": 90}, {"name": "B", "min": 75}, {"name": "C", "min": 60}, {"name": "D"}]},
    "bonus": {"base": 3000, "curve": [{"below": 60, "factor": 0}, {"below": 90, "factor": "score"}, {"factor": 1}]},
}


def inputs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    cols = {"employee_id": np.char.add("E", np.arange(n).astype(str))}
    for k in range(4):
        cols[f"r{k}"] = np.round(rng.uniform(30, 130, n), 2)
    cols["t0"] = np.round(rng.uniform(60, 110, n), 2)
    cols["s0"] = np.round(rng.uniform(60, 120, n), 2)
    cols["m0"] = rng.integers(0, 26, n).astype(float)
    cols["m1"] = rng.integers(0, 26, n).astype(float)
    cols["c0.late"] = rng.integers(0, 4, n).astype(float)
    cols["c0.absent"] = rng.integers(0, 2, n).astype(float)
    cols["b0"] = rng.integers(0, 2, n).astype(float)
    return pd.DataFrame(cols)


def numpy_kernel(df: pd.DataFrame) -> np.ndarray:
    """The bare arithmetic of a capped ratio over all ten item columns (1,000,000 rows)."""
    x = np.concatenate([df[c].to_numpy(dtype=float) for c in df.columns[1:11]]) / 100.0
    return 20 * np.minimum(np.maximum(x, 0), 1.2)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    scheme = scheme_from_dict(SCHEME)
    df = inputs(args.people, np.random.default_rng(7))
    rows = args.people * 10
    kernel = best(lambda: numpy_kernel(df), args.repeat)
    engine = best(lambda: kpixl.score(scheme, df), args.repeat)
    print(f"{args.people:,} people × 10 items = {rows:,} item rows (best of {args.repeat})")
    print(f"  bare NumPy kernel (capped ratio): {kernel * 1000:8.1f} ms")
    print(f"  kpixl.score (whole engine):       {engine * 1000:8.1f} ms   goal < 500 ms: {'met' if engine < 0.5 else 'NOT met'}")
    print(f"  engine / kernel: {engine / kernel:.0f}×")


if __name__ == "__main__":
    main()
