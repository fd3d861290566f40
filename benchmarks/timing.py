"""Timing shared by the benchmarks of quick calls (units, rules). Imported by the scripts
as they are run (python benchmarks/units.py puts this folder on the path)."""

from __future__ import annotations

import statistics
import time


def time_per_call(func, rounds, batch=20):
    """Median and 99th-percentile seconds per call of func(), over `rounds` calls timed in
    batches of `batch`."""
    samples = []
    for _ in range(rounds // batch):
        start = time.perf_counter()
        for _ in range(batch):
            func()
        samples.append((time.perf_counter() - start) / batch)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]
