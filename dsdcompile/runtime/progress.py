"""Progress reporting for long stages: tqdm bars and one-line stage messages on stderr, silenced by quiet."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


class Progress:
    """Stage messages and progress bars; ``timings`` records seconds per stage (Qiskit-style callback)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.timings: dict[str, float] = {}

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)

    @contextmanager
    def bar(self, total: int, desc: str, unit: str = "ex") -> Iterator:
        # without a total tqdm writes the count and the unit together ("64class"): give it the space
        with tqdm(total=total, desc=desc, unit=unit if total is not None else f" {unit}", disable=self.quiet,
                  file=sys.stderr, leave=False,
                  dynamic_ncols=True) as bar:
            yield bar.update
