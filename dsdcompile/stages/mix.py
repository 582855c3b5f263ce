"""``dsdcompile mix``: input sheets for new samples, planned against a design's fuel, written into a new folder.

A design run writes ``lab_plan.json`` (:func:`write_lab_plan`): the CRN its DNA implements,
every fuel's and reporter's planned concentration, the unit, the input strands and the well
recipe. :func:`run_mix` reads it and a samples CSV, and refuses (InputError, exit 2, nothing
written) a sample that the plan does not cover, naming the sample and the feature:

- a row of the wrong width, a header naming a column the model does not take, a value that
  is not a finite number;
- a sample whose reactions would consume more of some fuel or reporter than the design
  supplies (the fuel plan's worst case times its safety factor covers the test set; the exact
  CRN limit of the sample gives its need). The feature named is the one whose input rail the
  exhausted module reads, or else the one furthest outside the range the plan was made for.

Accepted samples get premixes (from the design's strand stocks and 1:10 dilutions), wells on a
new plate with calibration wells, the class the network expects, and a Markdown sheet. The
design folder is only read.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from dsdcompile.config import LabConfig
from dsdcompile.errors import InputError

PLAN = "lab_plan.json"
MIX_MARKER = "mix.json"
FORMAT = "dsdcompile-lab-plan"
NAME_COLUMNS = ("sample", "id", "name")
LABEL_COLUMNS = ("label", "class", "target")


# ---------------------------------------------------------------------------------------------- writing the plan
def write_lab_plan(lab, dsd, kinetics, crn, folder: Path) -> str:
    """lab_plan.json: everything :func:`run_mix` needs, from the run's stage results; returns the file name."""
    from dsdcompile.crn import crn_to_json
    from dsdcompile.kinetics.fuel import module_fuels

    design = lab.design
    split = dsd.system.split_crn
    by_name = design.by_name()
    x = np.atleast_2d(kinetics.x)
    inputs = []
    for i, (plus, minus) in enumerate(design.examples.input_species):
        inputs.append({"name": design.examples.input_names[i], "plus": plus, "minus": minus,
                       "plus_strand": by_name[plus].strands[0].name,
                       "minus_strand": by_name[minus].strands[0].name if minus else None,
                       "planned_min": float(x[:, i].min()), "planned_max": float(x[:, i].max())})
    net = crn.network
    cfg = lab.config
    data = {
        "format": FORMAT, "version": 1,
        "unit_nM": design.unit_nM,
        "lab": {k: getattr(cfg, k) for k in ("volume_uL", "input_volume_fraction", "reporter_volume_fraction",
                                             "pipette_target_uL", "min_volume_uL", "max_stock_uM",
                                             "dead_volume_fraction", "buffer", "reaction_temperature_C")},
        "groups": design.groups,
        "reporters": bool(design.readout),
        "calibration": {"top_nM": design.calibration_top_nM, "fractions": [v.fraction for v in design.plan.calibration
                                                                          if v.group == 0],
                        "strands": [[by_name[r.reporter].strands[0].name, r.group, r.dye.dye]
                                    for r in design.readout]},
        "read_time_h": design.read_time_h,
        "raw_input_names": list(net.meta.get("raw_input_names", net.input_names)) if net is not None
        else [s.name for s in split.inputs],
        "preprocessing": list(net.preprocessing) if net is not None else [],
        "class_names": list(design.examples.class_names),
        "inputs": inputs,
        "fuel_nM": {**kinetics.plan.fuel_nM, **(kinetics.tube.reporter_nM if kinetics.tube is not None else {})},
        "reaction_fuels": [list(f) for f in module_fuels(split, dsd.modules)],
        "reporters_of": {r.name: r.species for r in dsd.reporters.reporters},
        "crn": crn_to_json(split),
    }
    (folder / PLAN).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return PLAN


# ---------------------------------------------------------------------------------------------- reading samples
def read_plan(design: Path) -> dict:
    path = Path(design) / PLAN
    if not Path(design).is_dir():
        raise InputError("no such design folder", path=str(design))
    if not path.is_file():
        raise InputError(f"no {PLAN}: not a design folder with a wet-lab plan (compile with --scheme and --inputs, "
                         "and a design that fits the tube)", path=str(design))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"invalid JSON: {e}", path=str(path)) from None
    if data.get("format") != FORMAT:
        raise InputError(f"not a dsdcompile lab plan (format {data.get('format')!r})", path=str(path))
    return data


def read_samples(path: Path, names: list[str]) -> tuple[list[str], np.ndarray]:
    """(sample names, raw values) from a CSV: optional header naming the model's raw inputs (in any order), an
    optional sample-name column and label column; every refusal names the sample (row) and the column."""
    p = Path(path)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read CSV ({e})", path=str(p)) from None
    if not rows:
        raise InputError("the CSV has no rows", path=str(p))

    def number(s: str) -> bool:
        try:
            float(s)
        except ValueError:
            return False
        return True

    header = None if all(number(c) for c in rows[0]) else [c.strip() for c in rows[0]]
    body = rows[1:] if header is not None else rows
    if not body:
        raise InputError("the CSV has a header but no samples", path=str(p))
    name_col = None
    if header is not None:
        lower = [h.lower() for h in header]
        name_col = next((lower.index(c) for c in NAME_COLUMNS if c in lower), None)
        label_col = next((lower.index(c) for c in LABEL_COLUMNS if c in lower), None)
        skip = {name_col, label_col} - {None}
        unknown = [h for i, h in enumerate(header) if i not in skip and h not in names]
        if unknown:
            raise InputError(f"column {unknown[0]!r} is not an input of the model (inputs: {', '.join(names)})",
                             path=str(p), line=1)
        missing = [n for n in names if n not in header]
        if missing:
            raise InputError(f"the header lacks input {missing[0]!r}", path=str(p), line=1)
        cols = [header.index(n) for n in names]
        width = len(header)
    else:
        cols = list(range(len(names)))
        width = len(names)
    first = 2 if header is not None else 1
    labels, raw = [], np.empty((len(body), len(names)))
    for k, row in enumerate(body):
        line = k + first
        sample = row[name_col].strip() if name_col is not None and name_col < len(row) else f"sample {k + 1}"
        if len(row) != width:
            raise InputError(f"sample {sample!r} has {len(row)} values, expected {width} "
                             f"({len(names)} inputs{'' if header is None else ' plus named columns'})",
                             path=str(p), line=line)
        for j, c in enumerate(cols):
            try:
                v = float(row[c])
            except ValueError:
                raise InputError(f"sample {sample!r}, feature {names[j]!r}: {row[c]!r} is not a number",
                                 path=str(p), line=line, column=c + 1) from None
            if not np.isfinite(v):
                raise InputError(f"sample {sample!r}, feature {names[j]!r}: {row[c]!r} is not finite",
                                 path=str(p), line=line, column=c + 1)
            raw[k, j] = v
        labels.append(sample)
    if len(set(labels)) != len(labels):
        raise InputError("two samples share a name; give every sample its own", path=str(p))
    return labels, raw


def check_coverage(plan: dict, names: list[str], x: np.ndarray, raw: np.ndarray, path: Path) -> None:
    """Refuse a sample whose need of some fuel or reporter exceeds what the design supplies (see module docstring)."""
    from dsdcompile.crn import crn_from_json
    from dsdcompile.crn.evaluate import ExactEvaluator
    from dsdcompile.kinetics.fuel import reaction_firings

    crn = crn_from_json(plan["crn"])
    unit = float(plan["unit_nM"])
    supplied = plan["fuel_nM"]
    firings = reaction_firings(crn, x, unit)
    reads: dict[str, list[int]] = {}  # fuel -> input features whose rails its module consumes
    rail_feature = {}
    for i, inp in enumerate(plan["inputs"]):
        for key in ("plus", "minus"):
            if inp[key]:
                rail_feature[inp[key]] = i
    need: dict[str, np.ndarray] = {}
    for j, fuels in enumerate(plan["reaction_fuels"]):
        feats = [rail_feature[n] for n, _ in crn.reactions[j].reactants if n in rail_feature]
        for f in set(fuels):
            need[f] = need.get(f, 0.0) + firings[:, j]
            reads.setdefault(f, []).extend(feats)
    if plan.get("reporters_of"):
        final = ExactEvaluator(crn).final_state(crn.initial_state(x) * unit)
        for rep, species in plan["reporters_of"].items():
            need[rep] = final[:, crn.index[species]]
    lo = np.array([inp["planned_min"] for inp in plan["inputs"]])
    hi = np.array([inp["planned_max"] for inp in plan["inputs"]])
    span = np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-12)
    input_names = [inp["name"] for inp in plan["inputs"]]
    for e in range(x.shape[0]):
        for f in sorted(need):
            n = float(need[f][e])
            if n <= float(supplied.get(f, 0.0)) * (1 + 1e-9):
                continue
            feats = sorted(set(reads.get(f, [])))
            outside = (np.maximum(x[e] - hi, lo - x[e]) / span)
            i = feats[0] if feats else int(np.argmax(outside))
            shown = f"{raw[e, i]:g}" if raw.shape[1] == x.shape[1] else f"{x[e, i]:.4g} after preprocessing"
            raise InputError(f"sample {names[e]!r}: feature {input_names[i]!r} = {shown} is outside what the planned "
                             f"fuel covers ({f} would need {n:.4g} nM, {float(supplied.get(f, 0.0)):.4g} nM planned; "
                             f"the plan covers {input_names[i]} from {lo[i]:.4g} to {hi[i]:.4g} after preprocessing "
                             "with its safety margin)", path=str(path))


# ---------------------------------------------------------------------------------------------- the command
def _destination(design: Path, out: Path | None, inputs: Path) -> Path:
    out = out or design.parent / f"{design.name}_mix_{inputs.stem}"
    d, o = design.resolve(), out.resolve()
    if o == d or d in o.parents:
        raise InputError("the mix folder must be outside the design folder (the design is never changed)",
                         path=str(out))
    if out.exists():
        if not out.is_dir():
            raise InputError("exists and is not a directory", path=str(out))
        if any(out.iterdir()) and not (out / MIX_MARKER).exists():
            raise InputError(f"exists and is not a mix folder (no {MIX_MARKER}); refusing to overwrite it",
                             path=str(out))
    return out


def run_mix(design: str | Path, inputs: str | Path, out: str | Path | None = None) -> dict:
    """Plan premixes and wells for the samples in ``inputs`` against ``design``; write them into ``out``.

    Returns the content of mix.json. Nothing is written if any sample is refused.
    """
    from dsdcompile.crn import crn_from_json
    from dsdcompile.crn.evaluate import ExactEvaluator
    from dsdcompile.lab.pipetting import Ladders, calibration_wells, plan_premixes, sample_wells
    from dsdcompile.nn import preprocess

    design, inputs = Path(design), Path(inputs)
    plan = read_plan(design)
    dest = _destination(design, None if out is None else Path(out), inputs)
    names, raw = read_samples(inputs, list(plan["raw_input_names"]))
    x = preprocess.apply(plan["preprocessing"], raw)
    if x.shape[1] != len(plan["inputs"]):
        raise InputError(f"{x.shape[1]} inputs after preprocessing, the design takes {len(plan['inputs'])}",
                         path=str(inputs))
    check_coverage(plan, names, x, raw, inputs)
    crn = crn_from_json(plan["crn"])
    expected = ExactEvaluator(crn).outputs(x).argmax(axis=1)
    unit = float(plan["unit_nM"])
    lab = replace(LabConfig(), **{k: v for k, v in plan["lab"].items()})
    samples = []
    for e in range(x.shape[0]):
        sample = {}
        for i, inp in enumerate(plan["inputs"]):
            v = float(x[e, i])
            strand = inp["plus_strand"] if v > 0 else inp["minus_strand"]
            if v != 0 and strand is None:
                raise InputError(f"sample {names[e]!r}: input {inp['name']!r} is single-rail and cannot be negative",
                                 path=str(inputs))
            if v != 0:
                sample[strand] = abs(v) * unit
        samples.append(sample)
    ladders = Ladders(lab.max_stock_uM * 1000.0, max(lab.pipette_target_uL, lab.min_volume_uL), lab.min_volume_uL)
    premixes, omitted = plan_premixes(samples, int(plan["groups"]), lab, ladders, names)
    wells = sample_wells(names, int(plan["groups"]), lab, reporters=bool(plan["reporters"]))
    cal = plan["calibration"]
    standards = [{s: cal["top_nM"] for s, g, _ in cal["strands"] if g == k} for k in range(int(plan["groups"]))]
    std_mixes, cal_wells = (calibration_wells(standards, cal["fractions"], lab, ladders) if cal["top_nM"] > 0
                            else ([], []))
    dilutions = ladders.dilutions(lab.dead_volume_fraction)
    summary = _write(dest, design, plan, names, raw, x, expected, samples, premixes + std_mixes, dilutions, wells,
                     cal_wells, omitted, lab)
    return summary


def _write(dest: Path, design: Path, plan: dict, names, raw, x, expected, samples, premixes, dilutions, wells,
           cal_wells, omitted, lab: LabConfig) -> dict:
    from dsdcompile.lab.files import markdown_table, write_csv
    from dsdcompile.lab.tables import PIPETTING_COLUMNS, plate_positions, vessel_rows

    classes = plan["class_names"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        raw_names = plan["raw_input_names"]
        write_csv(tmp / "samples.csv", ["sample", *raw_names, *[f"x_{i['name']}" for i in plan["inputs"]],
                                        "expected_class"],
                  [[n, *raw[e], *x[e], classes[int(expected[e])]] for e, n in enumerate(names)])
        rows = [r for v in dilutions + premixes for r in vessel_rows(v, lab)]
        write_csv(tmp / "pipetting.csv", PIPETTING_COLUMNS, rows)
        vessels = wells + cal_wells
        dyes = {}
        for _, g, d in plan["calibration"]["strands"]:
            dyes.setdefault(g, []).append(d)
        well_rows = []
        for (plate, well), v in zip(plate_positions(len(vessels)), vessels):
            contents = ", ".join(f"{c.volume_uL:g} uL {c.item}" for c in v.components)
            if v.buffer_uL > 1e-9:
                contents += f", {v.buffer_uL:.4g} uL buffer"
            well_rows.append({"plate": plate, "well": well, "name": v.name,
                              "sample": names[v.sample] if v.sample is not None else "",
                              "expected_class": classes[int(expected[v.sample])] if v.sample is not None else "",
                              "dyes": " ".join(dyes.get(v.group, [])), "contents": contents})
        cols = ("plate", "well", "name", "sample", "expected_class", "dyes", "contents")
        write_csv(tmp / "wells.csv", cols, well_rows)
        smallest = min([x for v in dilutions + premixes + vessels for x in v.volumes()], default=0.0)
        lines = [f"# Samples for {design.name}", "",
                 f"{len(names)} samples, {len(wells)} reaction wells and {len(cal_wells)} calibration wells. Use the "
                 f"design's master mix and reporter mixes (protocol.md of {design}); every transfer here is at least "
                 f"{smallest:.3g} uL. Add each premix last (time zero), incubate at "
                 f"{lab.reaction_temperature_C:g} C and read at {plan.get('read_time_h') or 0:.3g} h.", "",
                 "## Samples", ""]
        lines += markdown_table(("sample", "expected class (network)"),
                                [(n, classes[int(expected[e])]) for e, n in enumerate(names)])
        lines += ["", "## Dilutions and premixes", ""] + markdown_table(PIPETTING_COLUMNS, rows)
        lines += ["", "## Plate", ""] + markdown_table(cols, well_rows)
        if omitted:
            lines += ["", "## Left out", ""] + [f"- {s}" for s in omitted]
        (tmp / "mix.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = {"format": "dsdcompile-mix", "version": 1, "design": str(design), "samples": len(names),
                   "wells": len(wells), "calibration_wells": len(cal_wells), "dilutions": len(dilutions),
                   "min_volume_uL": round(smallest, 4), "inputs_left_out": list(omitted),
                   "files": sorted(["samples.csv", "pipetting.csv", "wells.csv", "mix.md", MIX_MARKER])}
        (tmp / MIX_MARKER).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if dest.exists():
        old = dest.parent / f"{tmp.name}.old"
        os.replace(dest, old)
    os.replace(tmp, dest)
    os.chmod(dest, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return summary


__all__ = ["MIX_MARKER", "PLAN", "check_coverage", "read_plan", "read_samples", "run_mix", "write_lab_plan"]
