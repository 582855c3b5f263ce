"""A plate simulator: the design's tube model read through an independent instrument model.

The chemistry is the tube model (:mod:`dsdcompile.lab.read.tube_model`) at a chosen leak,
free-strand fraction and rate scale. The instrument is modelled separately from what
``dsdcompile read`` assumes, so that reading a simulated plate tests the reading:

- per dye a background and a gain, and a detector that saturates as gain·s·(1 - exp(-c/s)) (not the
  hyperbola the reading fits);
- lamp drift: every signal multiplied by 1 + drift·t/t_end (the background too);
- photobleaching: the fluorescent signal multiplied by exp(-bleach·t/t_end);
- noise: Gaussian, ``noise`` × the well's signal plus a floor of ``noise`` × 1 % of the gain × 1 µM.

Wells follow the design's wells.csv (plate 1); reads every ``interval_s`` until the
protocol's read time (or ``t_end_s``). :func:`write_plate` writes the tidy CSV, a BioTek
Gen5 text export or a BMG MARS table export of the same plate (docs/reading.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.lab.read.design import Design

GAIN = {"FAM": 40.0, "HEX": 25.0, "ROX": 30.0, "Cy5": 18.0}  # reader units per nM
BACKGROUND = {"FAM": 900.0, "HEX": 700.0, "ROX": 500.0, "Cy5": 400.0}
SATURATION_NM = 8000.0


@dataclass(frozen=True)
class SimulatedPlate:
    times: np.ndarray        # (T,) seconds
    readings: dict           # dye -> well -> (T,) reader units
    truth: dict              # parameters used


def simulate_plate(design: Design, model, *, leak: float = 1.0, residual: float = 0.01, rate_scale: float = 1.0,
                   noise: float = 0.01, drift: float = 0.03, bleach: float = 0.05, seed: int = 0,
                   interval_s: float = 300.0, t_end_s: float | None = None, samples=None) -> SimulatedPlate:
    """Simulate every well of ``design`` (or of ``samples`` and the calibration wells); see module docstring."""
    rng = np.random.default_rng(seed)
    t_end = float(t_end_s or design.read_time_s)
    times = np.arange(0.0, t_end + 0.5 * interval_s, interval_s)
    times[0] = 0.0
    names = [s for s in design.samples if samples is None or s in samples]
    x = np.stack([design.x[s] for s in names])
    free = model.simulate_samples(x, times, leak=leak, residual=residual, rate_scale=rate_scale)
    rail_of = {(r.group, r.dye): k for k, r in enumerate(design.rails)}
    clean: dict = {}
    for sw in design.sample_wells:
        if sw.sample not in names:
            continue
        i = names.index(sw.sample)
        for dye in sw.expected_nM:
            clean.setdefault(dye, {})[design.key(sw)] = free[:, i, rail_of[(sw.group, dye)]]
    groups = sorted({cw.group for cw in design.calibration_wells})
    for g in groups:
        wells = [cw for cw in design.calibration_wells if cw.group == g]
        levels = np.zeros((len(wells), len(design.rails)))
        for j, cw in enumerate(wells):
            for dye, v in cw.level_nM.items():
                levels[j, rail_of[(g, dye)]] = v
        cal = model.simulate_calibration(levels, times, residual=residual, rate_scale=rate_scale)
        for j, cw in enumerate(wells):
            for dye in cw.level_nM:
                clean.setdefault(dye, {})[design.key(cw)] = cal[:, j, rail_of[(g, dye)]]
    # a reader reads every channel in every well: a well without that dye's reporter reads background
    all_wells = {w for wells in clean.values() for w in wells}
    for dye in design.dye_names:
        for w in all_wells:
            clean.setdefault(dye, {}).setdefault(w, np.zeros_like(times))
    frac = times / max(t_end, 1.0)
    readings = {}
    for dye, wells in clean.items():
        gain, bg = GAIN.get(dye, 30.0), BACKGROUND.get(dye, 600.0)
        out = {}
        for w, c in wells.items():
            c = np.maximum(c, 0.0)
            signal = gain * SATURATION_NM * -np.expm1(-c / SATURATION_NM) * np.exp(-bleach * frac)
            value = (bg + signal) * (1.0 + drift * frac)
            sd = noise * signal + noise * 0.01 * gain * 1000.0
            out[w] = value + rng.normal(0.0, 1.0, size=value.shape) * sd
        readings[dye] = out
    return SimulatedPlate(times, readings, {"leak_per_M_s": leak, "residual_free_fraction": residual,
                                            "rate_scale": rate_scale, "noise": noise, "drift": drift,
                                            "bleach": bleach, "seed": seed})


def _order(key: str):
    plate, _, w = key.rpartition(":")
    return (plate, w[0], int(w[1:]))


def plates(design: Design) -> list[str]:
    """wells.csv's plates in order of appearance."""
    out = []
    for w in design.sample_wells + design.calibration_wells:
        if w.plate not in out:
            out.append(w.plate)
    return out


def _hms(t: float) -> str:
    t = int(round(t))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"


def format_plate(plate: SimulatedPlate, design: Design, fmt: str, plate_name: str | None = None) -> str:
    """The plate as text in ``fmt`` (tidy, gen5 or mars). For a design on several plates the tidy CSV has a
    ``plate`` column, and a vendor export holds one plate: ``plate_name`` (wells.csv's name)."""
    buf = io.StringIO()
    dyes = [d for d in design.dye_names if d in plate.readings]
    if design.multi_plate and fmt != "tidy":
        if plate_name is None:
            raise ValueError("a vendor export holds one plate: name it (plate_name)")
        readings = {d: {k.rpartition(":")[2]: v for k, v in plate.readings[d].items()
                        if k.rpartition(":")[0] == plate_name} for d in dyes}
        plate = SimulatedPlate(plate.times, readings, plate.truth)
    wells = sorted({w for d in dyes for w in plate.readings[d]}, key=_order)
    if fmt == "tidy":
        buf.write(f"# design: {design.design_id}\n")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["plate", "well", "channel", "time_s", "value"] if design.multi_plate else
                   ["well", "channel", "time_s", "value"])
        for d in dyes:
            for key in sorted(plate.readings[d], key=_order):
                name, _, well = key.rpartition(":")
                for t, v in zip(plate.times, plate.readings[d][key]):
                    w.writerow(([name] if design.multi_plate else []) + [well, d, f"{t:g}", f"{v:.6g}"])
    elif fmt == "gen5":
        buf.write("Software Version\t3.12.08\nExperiment File Path:\tC:\\Gen5\\dsd.xpt\nProtocol File Path:\t\n"
                  "Plate Number\tPlate 1\nDate\t12/7/2026\nTime\t9:00:00 AM\nReader Type:\tSynergy H1\n"
                  "Reader Serial Number:\t0\nReading Type\tReader\n\nResults\n")
        for d in dyes:
            ex, em = design.dyes.get(d, (0, 0))
            label = f"{d}:{int(ex)},{int(em)}"
            buf.write(f"\n{label}\n\n")
            buf.write("\t".join(["Time", f"T\u00b0 {label}", *wells]) + "\n")
            for k, t in enumerate(plate.times):
                vals = [f"{plate.readings[d][w][k]:.0f}" if w in plate.readings[d] else "" for w in wells]
                buf.write("\t".join([_hms(t), "25.0", *vals]) + "\n")
        buf.write("\n")
    elif fmt == "mars":
        buf.write("User: USER\nPath: C:\\Program Files (x86)\\BMG\\CLARIOstar\\User\\Data\\\nTest ID: 1\n"
                  "Test Name: DSD read\nDate: 07/12/2026\nTime: 09:00:00\nFluorescence (FI)\n\n")
        w = csv.writer(buf, lineterminator="\n")
        for d in dyes:
            ex, em = design.dyes.get(d, (0, 0))
            w.writerow(["Well", "Content", f"Raw Data ({int(ex)}-10/{int(em)}-10)"])
            w.writerow(["", "", "Time [s]", *[f"{t:g}" for t in plate.times]])
            for well in wells:
                if well not in plate.readings[d]:
                    continue
                w.writerow([f"{well[0]}{int(well[1:]):02d}", "Sample", "",
                            *[f"{v:.0f}" for v in plate.readings[d][well]]])
            w.writerow([])
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buf.getvalue()


def write_plate(plate: SimulatedPlate, design: Design, path: Path, fmt: str = "tidy") -> list[Path]:
    """Write the plate; a vendor export of a design on several plates is one file per plate
    (``<stem>_plate<k><suffix>``, in wells.csv's order, as ``dsdcompile read`` takes them)."""
    path = Path(path)
    if not design.multi_plate or fmt == "tidy":
        path.write_text(format_plate(plate, design, fmt), encoding="utf-8")
        return [path]
    out = []
    for k, name in enumerate(plates(design), start=1):
        p = path.with_name(f"{path.stem}_plate{k}{path.suffix}")
        p.write_text(format_plate(plate, design, fmt, name), encoding="utf-8")
        out.append(p)
    return out


__all__ = ["SimulatedPlate", "format_plate", "plates", "simulate_plate", "write_plate"]
