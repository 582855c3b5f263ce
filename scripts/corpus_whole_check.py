"""Compare the one verdict with the whole-system check on every corpus CRN × scheme (a differential test).

    python scripts/corpus_whole_check.py --budget 20

For each row it prints the verdict (modules, fuels, module interactions, whole system), the
modular and interaction verdicts on their own, and the whole-system check's verdict with its
methods. A row where the modular checks say equivalent but the whole system is proven not
equivalent would be a false "equivalent"; the script exits 1 if it finds one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dsdcompile.config import ExecutionConfig, RunConfig, VerificationConfig
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import compile_model
from dsdcompile.stages.dsd import run_dsd_stage

SCHEMES = ("soloveichik2010", "qian2011_3D", "srinivas2015", "cardelli2011_NM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=20.0, help="seconds for each whole-system check")
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "corpus")
    args = parser.parse_args()
    false_equivalent = 0
    finished = total = 0
    for crn in sorted(args.corpus.glob("*.crn")):
        for scheme in SCHEMES:
            config = RunConfig(scheme=scheme, verify_whole=True, run_kinetics=False,
                               verification=VerificationConfig(whole_budget=args.budget),
                               execution=ExecutionConfig(executor="serial", whole_enumeration_timeout=0,
                                                         whole_verification_timeout=0))
            start = time.perf_counter()
            progress = Progress(quiet=True)
            v = run_dsd_stage(compile_model(crn, config, progress), config, progress).verification
            whole = v.whole_system or {}
            checks = ", ".join(f"{c['method']} {c['verdict']}" for c in whole.get("checks", []))
            modular_ok = v.modular_verdict == "equivalent" and v.interaction["verdict"] == "equivalent"
            total += 1
            finished += whole.get("verdict") in ("equivalent", "not-equivalent")
            if modular_ok and whole.get("verdict") == "not-equivalent":
                false_equivalent += 1
            print(f"{crn.name:28s} {scheme:16s} {v.verdict:15s} modules {v.modular_verdict:15s} "
                  f"interactions {v.interaction['verdict']:15s} whole {whole.get('verdict')} ({checks}) "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
    print(f"{finished} of {total} whole-system checks finished; modular checks equivalent but whole system "
          f"not: {false_equivalent}")
    return 1 if false_equivalent else 0


if __name__ == "__main__":
    raise SystemExit(main())
