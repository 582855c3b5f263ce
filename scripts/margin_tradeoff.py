"""How close each example's label is to the tube's free-strand error: the benchmark of issue 25 part 3.

Builds a model's soloveichik2010 design (no sequences) with the configuration a committed
design recorded, into a temporary folder, and prints for every example that loses its label at
some swept free-strand fraction: its network class gap (top minus runner-up output), that gap
relative to the design's largest network value, and the tube's error at that fraction. It ends
with one line per swept fraction (label agreement, the smallest gap of the examples that lose
their label) and the design's ``kinetics.impurity_tolerance``.

    python scripts/margin_tradeoff.py                                   # designs/virus/model.pt
    python scripts/margin_tradeoff.py --model /tmp/m.pt --fuel-safety 3 --read-margin 3

Options other than the model override the recorded configuration, to measure the other fair
means the issue names (fuel supplied per fuel, read time). Run from anywhere; paths are taken
relative to the repository root when they do not exist as given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from regenerate_designs import run_config  # noqa: E402

from dsdcompile.crn.margin import relative_gaps  # noqa: E402
from dsdcompile.stages.pipeline import build_design  # noqa: E402


def _path(p: str) -> Path:
    q = Path(p)
    return q if q.exists() else ROOT / q


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="designs/virus/model.pt")
    ap.add_argument("--inputs", default="designs/virus/test.csv")
    ap.add_argument("--design", default="designs/virus/dsd_soloveichik2010",
                    help="committed design whose summary.json gives the configuration")
    ap.add_argument("--fuel-safety", type=float, default=None, help="override kinetics.fuel_safety")
    ap.add_argument("--read-margin", type=float, default=None, help="override lab.read_margin (read time / t90)")
    ap.add_argument("--unit-nM", type=float, default=None, help="override kinetics.unit_nM (before fitting)")
    ap.add_argument("--show", type=int, default=12, help="examples listed per failing level")
    ap.add_argument("--save", default=None, help="also save the network values and swept class values (.npz)")
    args = ap.parse_args()

    config = run_config(json.loads((_path(args.design) / "summary.json").read_text()))
    kin, lab = config.kinetics, config.lab
    if args.fuel_safety is not None:
        kin = dataclasses.replace(kin, fuel_safety=args.fuel_safety)
    if args.unit_nM is not None:
        kin = dataclasses.replace(kin, unit_nM=args.unit_nM)
    if args.read_margin is not None:
        lab = dataclasses.replace(lab, read_margin=args.read_margin)
    config = dataclasses.replace(config, kinetics=kin, lab=lab, sequences=None, quiet=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = build_design(_path(args.model), Path(tmp) / "design", inputs=_path(args.inputs), config=config)
    tube = result.kinetics.tube
    nn = tube.nn
    gaps = relative_gaps(nn)
    top = np.sort(nn, axis=1)
    absolute = top[:, -1] - top[:, -2]
    s = result.summary
    if args.save:
        np.savez(args.save, nn=nn, x=result.kinetics.x, **{f"free_{lv:g}": v for lv, v in tube.sweep_values.items()})
    print(f"model {args.model}: {nn.shape[0]} examples, unit {tube.unit_nM:g} nM, fuel_safety {kin.fuel_safety:g}, "
          f"read at {tube.read_time_s / 3600:.3g} h (read_margin {lab.read_margin:g}), largest |network value| "
          f"{np.abs(nn).max():.4g}; built in {time.perf_counter() - start:.0f} s")
    print(f"smallest class gap {absolute.min():.4g} (relative to the largest value: {gaps.min():.4g}); "
          f"examples with relative gap < 0.02: {int((gaps < 0.02).sum())}, < 0.05: {int((gaps < 0.05).sum())}")
    for level, agree, err in tube.sweep:
        v = tube.sweep_values.get(level)
        lost = np.flatnonzero(v.argmax(axis=1) != nn.argmax(axis=1)) if v is not None else np.array([], int)
        err_abs = np.abs(v - nn).max(axis=1) if v is not None else np.full(nn.shape[0], np.nan)
        worst = f", lost labels' gaps from {absolute[lost].min():.3g}" if lost.size else ""
        if v is not None and not lost.size:  # how close the tube came: its smallest gap for the network's label
            label = nn.argmax(axis=1)
            rows = np.arange(len(nn))
            others = v.copy()
            others[rows, label] = -np.inf
            kept = v[rows, label] - others.max(axis=1)
            worst = f", every label kept, the closest by {kept.min():.3g} (example {int(kept.argmin())})"
        print(f"free {level:g}: label agreement {agree:.4f}, max rel. error {err:.3g}, max abs. error "
              f"{np.nanmax(err_abs):.3g}, median abs. error {np.nanmedian(err_abs):.3g}{worst}")
        for e in lost[:args.show]:
            print(f"    example {e}: network {np.array2string(nn[e], precision=2)} gap {absolute[e]:.3g} "
                  f"(relative {gaps[e]:.3g}); tube {np.array2string(v[e], precision=2)}")
    print(f"kinetics.impurity_tolerance {s['kinetics'].get('impurity_tolerance')}, residual planned "
          f"{s['kinetics'].get('residual_free_fraction')}, unit {s['kinetics'].get('unit_nM')} nM, fuel "
          f"{s['kinetics'].get('fuel_total_uM'):.3g} uM")


if __name__ == "__main__":
    main()
