"""Measure the design report: time to write index.html, its size, and how fast headless Chromium opens it.

    python scripts/bench_report.py designs/iris/dsd_soloveichik2010 designs/mnist/dsd_soloveichik2010 [--opens 3]

Each folder is copied to a temporary directory first (large files are linked, not copied), so
the committed folders are left alone. "load" is navigation start to the load event, "ready"
to the end of the page's own script, both as Chromium reports them; the median of ``--opens``
fresh browser starts is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsdcompile.report import write_index  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support: random networks, the browser
from support.browser import find_chromium, open_page  # noqa: E402


def _stage(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    for p in src.iterdir():
        if p.is_file() and p.name != "index.html":
            try:
                os.link(p, dst / p.name)
            except OSError:
                shutil.copy2(p, dst / p.name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--opens", type=int, default=3, help="browser starts per folder (median reported)")
    args = ap.parse_args()
    if find_chromium() is None:
        print("no chromium on PATH: only write time and size are measured")
    print(f"{'folder':48s} {'files MB':>9s} {'write s':>8s} {'index MB':>9s} {'load s':>7s} {'ready s':>8s} errors")
    with tempfile.TemporaryDirectory() as tmp:
        for k, folder in enumerate(args.folders):
            work = Path(tmp) / f"{k}" / folder.name
            _stage(folder, work)
            total = sum(p.stat().st_size for p in work.iterdir()) / 1e6
            t0 = time.perf_counter()
            write_index(work)
            wrote = time.perf_counter() - t0
            size = (work / "index.html").stat().st_size / 1e6
            load = ready = float("nan")
            errors: list[str] = []
            if find_chromium() is not None:
                runs = [open_page(work / "index.html") for _ in range(args.opens)]
                load = statistics.median(r.load_seconds for r in runs)
                ready = statistics.median(r.ready_seconds or float("nan") for r in runs)
                errors = [e for r in runs for e in r.console_errors]
            print(f"{str(folder):48s} {total:9.1f} {wrote:8.2f} {size:9.2f} {load:7.2f} {ready:8.2f} {len(errors)}")
            for e in errors[:3]:
                print(f"    {e}")


if __name__ == "__main__":
    main()
