"""Simulate a plate reading of a design: the tube model read through an independent instrument model.

    python scripts/simulate_plate.py designs/iris/dsd_soloveichik2010 plate.csv
    python scripts/simulate_plate.py DESIGN plate.txt --format gen5 --leak 5 --residual 0.02 --noise 0.01

The chemistry is the design's tube (reporters, free strands, leak) at the given leak (/M/s),
free-strand fraction and rate scale (by default the design's planned leak and the purity its
protocol requires, kinetics.planned_leak_per_M_s and kinetics.residual_free_fraction); the
instrument adds per-dye background and gain, detector
saturation, lamp drift, photobleaching and Gaussian noise (dsdcompile.lab.read.simulate). The
file is a tidy CSV (well,channel,time_s,value, with a '# design:' line), a BioTek Gen5 text
export or a BMG MARS table export, as `dsdcompile read` reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsdcompile.lab.read.design import load_design  # noqa: E402
from dsdcompile.lab.read.fit import planned_parameters  # noqa: E402
from dsdcompile.lab.read.simulate import simulate_plate, write_plate  # noqa: E402
from dsdcompile.lab.read.tube_model import load_tube_model  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("design", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--format", choices=("tidy", "gen5", "mars"), default="tidy")
    ap.add_argument("--leak", type=float, default=None,
                    help="leak rate constant, /M/s (default: the design's planned leak)")
    ap.add_argument("--residual", type=float, default=None,
                    help="free-strand fraction (default: the purity the design's protocol requires)")
    ap.add_argument("--rate-scale", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=0.01, help="relative noise (default 0.01)")
    ap.add_argument("--drift", type=float, default=0.03, help="lamp drift over the run (default 0.03)")
    ap.add_argument("--bleach", type=float, default=0.05, help="photobleaching over the run (default 0.05)")
    ap.add_argument("--interval", type=float, default=300.0, help="seconds between reads (default 300)")
    ap.add_argument("--hours", type=float, default=None, help="length of the run (default: the read time)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    design = load_design(a.design)
    model = load_tube_model(design.path, design.plan, design.summary)
    planned = planned_parameters(design)
    a.leak = planned["leak_per_M_s"] if a.leak is None else a.leak
    a.residual = planned["residual_free_fraction"] if a.residual is None else a.residual
    plate = simulate_plate(design, model, leak=a.leak, residual=a.residual, rate_scale=a.rate_scale, noise=a.noise,
                           drift=a.drift, bleach=a.bleach, seed=a.seed, interval_s=a.interval,
                           t_end_s=None if a.hours is None else a.hours * 3600.0)
    written = write_plate(plate, design, a.out, a.format)
    print(f"{', '.join(map(str, written))}: {a.format}, {len(plate.times)} reads of {len(design.sample_wells)} "
          f"sample wells and "
          f"{len(design.calibration_wells)} calibration wells (leak {a.leak:g} /M/s, free strands {a.residual:g}, "
          f"rate scale {a.rate_scale:g}, noise {a.noise:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
