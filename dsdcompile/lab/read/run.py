"""``dsdcompile read DESIGN READINGS``: read, calibrate, call classes, fit the tube, write one folder atomically.

The folder (default ``<design>_reading_<readings stem>`` beside the design, as ``dsdcompile
mix`` writes beside it: the design folder stays as compiled, and every plate read against it
gets its own folder) holds:

- ``reading.csv``: one row per sample (wells.csv's ``sample``): the predicted class, the class
  wells.csv expects, the network's class, each class value, the fitted tube's class values,
  whether the sample was fitted or held out, and flags;
- ``reading.md``: the calibration of every dye, the calls, the fitted parameters with their
  95 % intervals, and what the flags mean;
- ``reading.json``: the same in machine-readable form (it also marks the folder as a reading,
  so a later run may replace it);
- ``traces_group<g>.png``: per well group, one panel per sample well, measured against
  simulated free fluorophore; ``calibration.png``: the standards and their curves;
- ``index.html``: the calls, calibration, fit and plots on one page (no scripts).

Everything is written into a temporary folder beside the destination and renamed into place
at the end: on any error nothing is written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError

MARKER = "reading.json"
FLAG_TEXT = {
    "differs_from_expected": "the predicted class is not the one wells.csv expects",
    "low_margin": "the two largest class values differ by less than 0.5 units",
    "bad_calibration": "a dye's calibration fit is bad (see the calibration table)",
    "above_top_standard": "a reading is above the top standard's: its amount is extrapolated",
    "missing_rail": "a rail has no reading",
    "read_before_read_time": "the plate was read for less than the protocol's read time; read at the last read",
}


def destination(design: Path, readings: Path, out: Path | None) -> Path:
    dest = Path(out) if out is not None else Path(design).resolve().parent / \
        f"{Path(design).resolve().name}_reading_{Path(readings).stem}"
    if dest.exists():
        if not dest.is_dir():
            raise InputError("exists and is not a directory", path=str(dest))
        if any(dest.iterdir()) and not (dest / MARKER).exists():
            raise InputError(f"exists and is not a reading folder (no {MARKER}); refusing to overwrite it",
                             path=str(dest))
    if Path(design).resolve() == dest.resolve() or Path(design).resolve() in dest.resolve().parents:
        raise InputError("--out must not be inside the design folder (the design stays as compiled)",
                         path=str(dest))
    return dest


def run_read(design: Path, readings, out: Path | None = None, *, fit: bool = True,
             plots: bool = True, start_delay_s: float = 0.0, model=None) -> dict:
    """Read ``readings`` (one export, or one per plate of the design) against ``design`` and write the folder
    (see module docstring); returns reading.json."""
    from dsdcompile.lab.read.analysis import analyse
    from dsdcompile.lab.read.design import bind_all, load_design
    from dsdcompile.lab.read.formats import read_plate

    started = time.perf_counter()
    paths = [Path(readings)] if isinstance(readings, (str, Path)) else [Path(r) for r in readings]
    if not paths:
        raise InputError("no plate-reader export given")
    d = load_design(Path(design))
    dest = destination(Path(design), paths[0], out)
    plates = [read_plate(p) for p in paths]
    traces = bind_all(plates, d)
    if start_delay_s:
        # the reader's clock starts at its first read; the tube's at the last premix (protocol step 10)
        if not np.isfinite(start_delay_s) or start_delay_s < 0:
            raise InputError(f"--start-delay must be a finite number of minutes >= 0, got {start_delay_s / 60:g}")
        traces.by_dye = {dye: {w: (t + start_delay_s, v) for w, (t, v) in wells.items()}
                         for dye, wells in traces.by_dye.items()}
    analysis = analyse(d, traces)
    result, skipped = None, None
    if fit:
        from dsdcompile.errors import DsdCompileError
        from dsdcompile.lab.read.fit import fit_tube
        from dsdcompile.lab.read.tube_model import load_tube_model

        try:
            model = model or load_tube_model(d.path, d.plan, d.summary)
        except DsdCompileError as e:  # the calls stand without the fit; say why it is missing
            skipped = f"the tube model was not fitted: {e}"
        else:
            result = fit_tube(model, analysis)
    summary = _summary(d, plates, traces, analysis, result, time.perf_counter() - started)
    if skipped:
        summary["fit_skipped"] = skipped
    _write(dest, d, analysis, result, summary, plots)
    summary["out"] = str(dest)
    return summary


def _summary(d, plates, traces, analysis, result, seconds) -> dict:
    s = d.samples
    out = {
        "format": "dsdcompile-reading", "version": 1,
        "design": str(d.path), "design_id": d.design_id,
        "readings": ", ".join(p.path for p in plates), "reader_format": ", ".join(sorted({p.format for p in plates})),
        "channels": dict(traces.channels),
        "extra_wells": traces.extra_wells,
        "read_time_h": analysis.read_time_s / 3600.0, "read_before_read_time": analysis.read_early,
        "start_delay_min": float(traces_delay(traces)),
        "samples": len(s),
        "expected_class_agreement": sum(analysis.predicted[x] == d.expected_class[x] for x in s),
        "network_class_agreement": sum(analysis.predicted[x] == d.network_class[x] for x in s if d.network_class[x]),
        "calibrations": [{"group": g, "dye": dye, "intercept": c.intercept, "slope_per_nM": c.slope,
                          "saturation_nM": (None if not np.isfinite(c.saturation_nM) else c.saturation_nM),
                          "r2": c.r2, "max_rel_residual": c.max_rel_residual, "problems": list(c.problems)}
                         for (g, dye), c in sorted(analysis.calibrations.items())],
        "seconds": round(seconds, 3),
    }
    if result is not None:
        out["fit"] = {"parameters": {k: {"value": v, "low": result.intervals[k][0], "high": result.intervals[k][1],
                                         "planned": result.start[k]} for k, v in result.values.items()},
                      "fit_samples": result.fit_samples, "held_out": result.held_out,
                      "rmse_fit_nM": result.rmse_fit_nM, "rmse_held_out_nM": result.rmse_held_out_nM,
                      "rmse_held_out_planned_nM": result.rmse_planned_held_out_nM,
                      "refit_class_agreement": sum(result.predicted_class(d.class_names).get(x) ==
                                                   analysis.predicted[x] for x in s),
                      "evaluations": result.evaluations, "solver": result.message, "notes": result.notes}
    return out


def traces_delay(traces) -> float:
    """Minutes from time zero to the first read (the earliest time in the bound traces)."""
    first = [float(t[0]) for wells in traces.by_dye.values() for t, _ in wells.values() if len(t)]
    return min(first, default=0.0) / 60.0


def _rows(d, analysis, result) -> tuple[list[str], list[dict]]:
    cols = ["sample", "predicted_class", "expected_class", "network_class"]
    cols += [f"value_{c}" for c in d.class_names]
    if result is not None:
        cols += ["fitted_class"] + [f"fitted_{c}" for c in d.class_names] + ["fit_role"]
    cols += ["flags"]
    fitted = result.predicted_class(d.class_names) if result is not None else {}
    rows = []
    for s in d.samples:
        row = {"sample": s, "predicted_class": analysis.predicted[s], "expected_class": d.expected_class[s],
               "network_class": d.network_class[s], "flags": ";".join(analysis.flags[s])}
        for k, c in enumerate(d.class_names):
            row[f"value_{c}"] = float(analysis.values[s][k])
        if result is not None:
            row["fitted_class"] = fitted.get(s, "")
            for k, c in enumerate(d.class_names):
                row[f"fitted_{c}"] = float(result.predicted_values[s][k]) if s in result.predicted_values else ""
            row["fit_role"] = "fit" if s in result.fit_samples else "held out"
        rows.append(row)
    return cols, rows


def _markdown(d, analysis, result, summary, cols, rows) -> str:
    from dsdcompile.runtime.files import markdown_table, md_escape

    n = summary["samples"]
    lines = ["# Plate reading", "",
             f"Reading `{md_escape(Path(summary['readings']).name)}` ({summary['reader_format']}) against design "
             f"`{md_escape(d.path.name)}` (id {d.design_id}); read at {summary['read_time_h']:.3g} h"
             + (" (the plate ends before the protocol's read time: read at its last read)"
                if summary["read_before_read_time"] else "") + ".", "",
             f"**{summary['expected_class_agreement']} of {n} samples read the class wells.csv expects**; "
             f"{summary['network_class_agreement']} agree with the network.", "",
             "Channels: " + ", ".join(f"{dye} ← `{md_escape(ch)}`" for dye, ch in summary["channels"].items())
             + ".", ""]
    if summary["extra_wells"]:
        lines += [f"Wells read but not in wells.csv (ignored): {', '.join(summary['extra_wells'][:24])}"
                  + (" ..." if len(summary["extra_wells"]) > 24 else "") + ".", ""]
    lines += ["## Calibration", "",
              "Per well group and dye: reading = intercept + slope·c/(1 + c/saturation), fitted to the "
              "calibration wells at the read time; every other read uses its own intercept and slope (drift and "
              "photobleaching taken out).", ""]
    lines += markdown_table(["group", "dye", "intercept", "slope per nM", "saturation nM", "R²", "problems"],
                            [[c["group"], c["dye"], f"{c['intercept']:.4g}", f"{c['slope_per_nM']:.4g}",
                              "none" if c["saturation_nM"] is None else f"{c['saturation_nM']:.3g}",
                              f"{c['r2']:.5f}", "; ".join(c["problems"]) or "ok"] for c in summary["calibrations"]])
    if summary.get("fit_skipped"):
        lines += ["", f"Note: {md_escape(summary['fit_skipped'])}."]
    if result is not None:
        f = summary["fit"]
        lines += ["", "## The tube model fitted to the traces", "",
                  f"Fitted to {len(f['fit_samples'])} samples ({', '.join(f['fit_samples'])}) at up to 14 read "
                  f"times; the other {len(f['held_out'])} samples are predicted by the fitted tube. Intervals: 95 %, "
                  "from the Jacobian (or the cluster-robust interval, one cluster per read time, where wider).", ""]
        names = {"leak_per_M_s": "leak (/M/s)", "residual_free_fraction": "free strands left by purification",
                 "rate_scale": "rate scale"}
        lines += markdown_table(["parameter", "fitted", "95 % interval", "planned"],
                                [[names[k], f"{v['value']:.4g}", f"{v['low']:.4g} – {v['high']:.4g}",
                                  f"{v['planned']:.4g}"] for k, v in f["parameters"].items()])
        lines += ["", f"RMS error (free fluorophore): {f['rmse_fit_nM']:.3g} nM on the fitted wells, "
                  f"{f['rmse_held_out_nM']:.3g} nM on the held-out wells (the planned parameters: "
                  f"{f['rmse_held_out_planned_nM']:.3g} nM). The fitted tube calls the plate's class for "
                  f"{f['refit_class_agreement']} of {n} samples."]
        for note in f["notes"]:
            lines += ["", f"Note: {md_escape(note)}"]
    lines += ["", "## Samples", ""]
    lines += markdown_table(cols, [[r[c] if not isinstance(r[c], float) else f"{r[c]:.4g}" for c in cols]
                                   for r in rows])
    lines += ["", "Flags: " + "; ".join(f"`{k}`: {v}" for k, v in FLAG_TEXT.items()) + ".", ""]
    return "\n".join(lines)


def _write(dest: Path, d, analysis, result, summary: dict, plots: bool) -> None:
    """The reading folder, written whole beside the design and moved into place."""
    from dsdcompile.runtime.files import write_sibling_folder

    write_sibling_folder(dest, lambda tmp: _write_files(tmp, d, analysis, result, summary, plots))


def _write_files(tmp: Path, d, analysis, result, summary: dict, plots: bool) -> None:
    from dsdcompile.runtime.files import write_csv

    cols, rows = _rows(d, analysis, result)
    write_csv(tmp / "reading.csv", cols, rows)
    (tmp / "reading.md").write_text(_markdown(d, analysis, result, summary, cols, rows), encoding="utf-8")
    files = ["reading.csv", "reading.md", MARKER]
    if plots:
        from dsdcompile.lab.read.plots import plot_calibration, plot_traces

        files += plot_calibration(analysis, tmp)
        files += plot_traces(analysis, result, tmp)
    from dsdcompile.lab.read.html import reading_html

    files.append("index.html")
    summary["files"] = sorted(files)
    (tmp / "index.html").write_text(reading_html(summary, cols, rows, files), encoding="utf-8")
    (tmp / MARKER).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


__all__ = ["MARKER", "destination", "run_read"]
