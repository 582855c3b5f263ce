"""Start-up time of the command line: --help, a refused input, and a two-reaction CRN through the DSD stage.

Each command runs ``--repeat`` times as a fresh process (``python -m dsdcompile``); the
median wall time is printed with its ratio to a bare ``python -c pass`` measured in the same
run (the interpreter's own start-up, the floor no command can go below). Targets (issue 13):
--help ≤ 0.5 s, a refused input ≤ 0.7 s, ``A + B -> C`` with ``--scheme soloveichik2010
--no-kinetics`` ≤ 2 s on 2 cores.

    python scripts/bench_startup.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(args: list[str], cwd: Path, expect: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}, expected {expect}: {proc.stderr[-500:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "abc.crn").write_text("A + B -> C\n")
        cases = {
            "python -c pass (baseline)": (py + ["-c", "pass"], 0),
            "dsdcompile --help": (py + ["-m", "dsdcompile", "--help"], 0),
            "dsdcompile missing.pt (refused input)": (py + ["-m", "dsdcompile", "missing.pt"], 2),
            "dsdcompile abc.crn --scheme soloveichik2010 --no-kinetics": (
                py + ["-m", "dsdcompile", "abc.crn", "--scheme", "soloveichik2010", "--no-kinetics", "-q",
                      "--out", "out"], 0),
        }
        results = {}
        for name, (cmd, code) in cases.items():
            times = []
            for _ in range(args.repeat):
                times.append(wall(cmd, d, code))
                if (d / "out").exists():
                    import shutil

                    shutil.rmtree(d / "out")
            results[name] = statistics.median(times)
    base = results["python -c pass (baseline)"]
    for name, seconds in results.items():
        print(json.dumps({"command": name, "median_s": round(seconds, 3), "ratio_to_python": round(seconds / base, 1),
                          "repeats": args.repeat}))


if __name__ == "__main__":
    main()
