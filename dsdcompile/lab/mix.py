"""``dsdcompile mix``: input sheets for new samples, planned against a design's fuel, written into a new folder.

A design run writes ``lab_plan.json`` (:func:`write_lab_plan`): the CRN its DNA implements,
every fuel's and reporter's planned concentration, the unit, the input strands and the well
recipe. :func:`read_plan` reads it back as a typed :class:`LabPlan`; :func:`run_mix` reads it
and a samples CSV, and refuses (InputError, exit 2, nothing
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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dsdcompile.config import LabConfig
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.runtime.files import csv_rows, write_json
from dsdcompile.runtime.resources import loads_untrusted_json, open_text, read_text, regular_file

PLAN = "lab_plan.json"
MIX_MARKER = "mix.json"
FORMAT = "dsdcompile-lab-plan"
NAME_COLUMNS = ("sample", "id", "name")
LABEL_COLUMNS = ("label", "class", "target")
LAB_FIELDS = ("volume_uL", "input_volume_fraction", "reporter_volume_fraction", "pipette_target_uL", "min_volume_uL",
              "max_stock_uM", "dead_volume_fraction", "buffer", "reaction_temperature_C")


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
        "lab": {k: getattr(cfg, k) for k in LAB_FIELDS},
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
    write_json(folder / PLAN, data, indent=1)
    return PLAN


# ---------------------------------------------------------------------------------------------- reading samples
@dataclass(frozen=True)
class PlanInput:
    """One network input of the plan: its rail species, the strands that carry them, the range fuel was planned for."""

    name: str
    plus: str
    minus: str | None
    plus_strand: str
    minus_strand: str | None
    planned_min: float
    planned_max: float

    def strand(self, value: float) -> str | None:
        """The strand that carries ``value`` (its sign picks the rail)."""
        return self.plus_strand if value > 0 else self.minus_strand


@dataclass(frozen=True, eq=False)
class LabPlan:
    """lab_plan.json read back: everything ``dsdcompile mix`` plans new samples with, the CRN parsed once."""

    unit_nM: float
    lab: LabConfig
    groups: int
    reporters: bool
    calibration_top_nM: float
    calibration_fractions: tuple[float, ...]
    calibration_strands: tuple[tuple[str, int, str], ...]  # (strand, well group, dye)
    read_time_h: float | None
    raw_input_names: tuple[str, ...]
    preprocessing: list[Any]
    class_names: tuple[str, ...]
    inputs: tuple[PlanInput, ...]
    fuel_nM: dict[str, float]
    reaction_fuels: tuple[tuple[str, ...], ...]
    reporters_of: dict[str, str]
    crn: CRN

    @classmethod
    def from_json(cls, data: dict) -> LabPlan:
        from dsdcompile.crn import crn_from_json

        cal = data["calibration"]
        return cls(
            unit_nM=float(data["unit_nM"]), lab=replace(LabConfig(), **dict(data["lab"])), groups=int(data["groups"]),
            reporters=bool(data["reporters"]), calibration_top_nM=float(cal["top_nM"]),
            calibration_fractions=tuple(cal["fractions"]),
            calibration_strands=tuple((s, int(g), d) for s, g, d in cal["strands"]),
            read_time_h=data.get("read_time_h"), raw_input_names=tuple(data["raw_input_names"]),
            preprocessing=list(data["preprocessing"]), class_names=tuple(data["class_names"]),
            inputs=tuple(PlanInput(**{k: inp[k] for k in PlanInput.__dataclass_fields__}) for inp in data["inputs"]),
            fuel_nM=dict(data["fuel_nM"]), reaction_fuels=tuple(tuple(f) for f in data["reaction_fuels"]),
            reporters_of=dict(data.get("reporters_of") or {}), crn=crn_from_json(data["crn"]))

    @property
    def input_names(self) -> list[str]:
        return [inp.name for inp in self.inputs]

    def dyes_by_group(self) -> dict[int, list[str]]:
        dyes: dict[int, list[str]] = {}
        for _, g, d in self.calibration_strands:
            dyes.setdefault(g, []).append(d)
        return dyes


def read_plan(design: Path) -> LabPlan:
    """The design's lab_plan.json as a :class:`LabPlan` (InputError naming the file when it is missing or wrong)."""
    path = Path(design) / PLAN
    if not Path(design).is_dir():
        raise InputError("no such design folder", path=str(design))
    if not path.is_file():
        raise InputError(f"no {PLAN}: not a design folder with a wet-lab plan (compile with --scheme and --inputs, "
                         "and a design that fits the tube)", path=str(design))
    try:
        data = loads_untrusted_json(read_text(path, "lab plan"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"invalid JSON: {e}", path=str(path)) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        shown = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"not a dsdcompile lab plan (format {shown!r})", path=str(path))
    try:  # a plan edited by hand: every field as dsdcompile wrote it
        plan = LabPlan.from_json(data)
        from dsdcompile.nn import preprocess

        preprocess.validate(plan.preprocessing, len(plan.inputs))
    except InputError as e:
        raise InputError(f"invalid lab plan: {e.message}", path=str(path)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        what = f"missing field {e}" if isinstance(e, KeyError) else f"{type(e).__name__}: {str(e)[:200]}"
        raise InputError(f"invalid lab plan ({what}); write it again with dsdcompile compile", path=str(path)) \
            from None
    return plan


def read_samples(path: Path, names: list[str]) -> tuple[list[str], np.ndarray]:
    """(sample names, raw values) from a CSV: optional header naming the model's raw inputs (in any order), an
    optional sample-name column and label column; every refusal names the sample (row) and the column."""
    p = Path(path)
    try:
        with open_text(p, "samples CSV") as fh:
            rows = [r for r in csv_rows(fh) if r and any(c.strip() for c in r)]
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


def exact_limit(plan: LabPlan, x: np.ndarray) -> np.ndarray:
    """(samples, species) the CRN's exact limit for the samples, in network units: evaluated once per mix."""
    from dsdcompile.crn.evaluate import ExactEvaluator

    return ExactEvaluator(plan.crn).final_state(plan.crn.initial_state(x))


def check_coverage(plan: LabPlan, names: list[str], x: np.ndarray, raw: np.ndarray, path: Path, *,
                   final: np.ndarray | None = None) -> None:
    """Refuse a sample whose need of some fuel or reporter exceeds what the design supplies (see module docstring).

    ``final``: the samples' :func:`exact_limit` (computed here when not given).
    """
    from dsdcompile.kinetics.fuel import reaction_firings

    crn, unit, supplied = plan.crn, plan.unit_nM, plan.fuel_nM
    firings = reaction_firings(crn, x, unit)
    reads: dict[str, list[int]] = {}  # fuel -> input features whose rails its module consumes
    rail_feature = {}
    for i, inp in enumerate(plan.inputs):
        for rail in (inp.plus, inp.minus):
            if rail:
                rail_feature[rail] = i
    need: dict[str, np.ndarray] = {}
    for j, fuels in enumerate(plan.reaction_fuels):
        feats = [rail_feature[n] for n, _ in crn.reactions[j].reactants if n in rail_feature]
        for f in set(fuels):
            need[f] = need.get(f, 0.0) + firings[:, j]
            reads.setdefault(f, []).extend(feats)
    if plan.reporters_of:
        final = exact_limit(plan, x) if final is None else final
        for rep, species in plan.reporters_of.items():
            need[rep] = final[:, crn.index[species]] * unit
    lo = np.array([inp.planned_min for inp in plan.inputs])
    hi = np.array([inp.planned_max for inp in plan.inputs])
    span = np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-12)
    input_names = plan.input_names
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


def sample_inputs(plan: LabPlan, names: list[str], x: np.ndarray, path: Path) -> list[dict[str, float]]:
    """Per sample: input strand -> concentration (nM); a negative value on a single-rail input is refused."""
    samples = []
    for e in range(x.shape[0]):
        sample = {}
        for i, inp in enumerate(plan.inputs):
            v = float(x[e, i])
            if v == 0:
                continue
            strand = inp.strand(v)
            if strand is None:
                raise InputError(f"sample {names[e]!r}: input {inp.name!r} is single-rail and cannot be negative",
                                 path=str(path))
            sample[strand] = abs(v) * plan.unit_nM
        samples.append(sample)
    return samples


@dataclass(frozen=True, eq=False)
class MixPlan:
    """The samples' premixes, wells and calibration wells, planned against a design's :class:`LabPlan`."""

    names: list[str]
    raw: np.ndarray
    x: np.ndarray
    expected: np.ndarray  # (samples,) the class the network (the CRN's exact limit) gives
    premixes: list  # sample premixes, then calibration standards
    dilutions: list
    wells: list
    calibration_wells: list
    omitted: list


def plan_mix(plan: LabPlan, names: list[str], raw: np.ndarray, path: Path) -> MixPlan:
    """Check the samples against the plan (InputError naming sample and feature) and plan their vessels."""
    from dsdcompile.lab.pipetting import Ladders, calibration_wells, plan_premixes, sample_wells
    from dsdcompile.nn import preprocess

    x = preprocess.apply(plan.preprocessing, raw)
    bad = preprocess.first_out_of_range(x)
    if bad is not None:  # refused here, naming the sample, before anything computes with it
        i, k = bad
        name = plan.input_names[k] if k < len(plan.input_names) else f"#{k + 1}"
        raise InputError(f"sample {names[i]!r}: "
                         + preprocess.out_of_range_message(plan.preprocessing, raw[i], float(x[i, k]), name),
                         path=str(path))
    if x.shape[1] != len(plan.inputs):
        raise InputError(f"{x.shape[1]} inputs after preprocessing, the design takes {len(plan.inputs)}",
                         path=str(path))
    final = exact_limit(plan, x)
    check_coverage(plan, names, x, raw, path, final=final)
    expected = plan.crn.output_values(final).argmax(axis=1)
    samples = sample_inputs(plan, names, x, path)
    lab = plan.lab
    ladders = Ladders(lab.max_stock_uM * 1000.0, max(lab.pipette_target_uL, lab.min_volume_uL), lab.min_volume_uL)
    premixes, omitted = plan_premixes(samples, plan.groups, lab, ladders, names)
    wells = sample_wells(names, plan.groups, lab, reporters=plan.reporters)
    standards = [{s: plan.calibration_top_nM for s, g, _ in plan.calibration_strands if g == k}
                 for k in range(plan.groups)]
    std_mixes, cal_wells = (calibration_wells(standards, plan.calibration_fractions, lab, ladders)
                            if plan.calibration_top_nM > 0 else ([], []))
    return MixPlan(names, raw, x, expected, premixes + std_mixes, ladders.dilutions(lab.dead_volume_fraction), wells,
                   cal_wells, omitted)


def run_mix(design: str | Path, inputs: str | Path, out: str | Path | None = None) -> dict:
    """Plan premixes and wells for the samples in ``inputs`` against ``design``; write them into ``out``.

    Returns the content of mix.json. Nothing is written if any sample is refused.
    """
    design, inputs = Path(design), Path(inputs)
    regular_file(inputs, "samples CSV")  # first, as compile does: a FIFO or /dev/zero is refused at once
    plan = read_plan(design)
    dest = _destination(design, None if out is None else Path(out), inputs)
    names, raw = read_samples(inputs, list(plan.raw_input_names))
    mix = plan_mix(plan, names, raw, inputs)
    return _write(dest, design, plan, mix)


def _well_rows(plan: LabPlan, mix: MixPlan) -> list[dict]:
    from dsdcompile.lab.tables import plate_positions

    classes, dyes = plan.class_names, plan.dyes_by_group()
    vessels = mix.wells + mix.calibration_wells
    rows = []
    for (plate, well), v in zip(plate_positions(len(vessels)), vessels):
        contents = ", ".join(f"{c.volume_uL:g} uL {c.item}" for c in v.components)
        if v.buffer_uL > 1e-9:
            contents += f", {v.buffer_uL:.4g} uL buffer"
        rows.append({"plate": plate, "well": well, "name": v.name,
                     "sample": mix.names[v.sample] if v.sample is not None else "",
                     "expected_class": classes[int(mix.expected[v.sample])] if v.sample is not None else "",
                     "dyes": " ".join(dyes.get(v.group, [])), "contents": contents})
    return rows


WELL_COLUMNS = ("plate", "well", "name", "sample", "expected_class", "dyes", "contents")


def _mix_markdown(design: Path, plan: LabPlan, mix: MixPlan, pipetting: list, wells: list, smallest: float) -> str:
    from dsdcompile.lab.tables import PIPETTING_COLUMNS
    from dsdcompile.runtime.files import markdown_table

    classes = plan.class_names
    lines = [f"# Samples for {design.name}", "",
             f"{len(mix.names)} samples, {len(mix.wells)} reaction wells and {len(mix.calibration_wells)} calibration "
             f"wells. Use the design's master mix and reporter mixes (protocol.md of {design}); every transfer here is "
             f"at least {smallest:.3g} uL. Add each premix last (time zero), incubate at "
             f"{plan.lab.reaction_temperature_C:g} C and read at {plan.read_time_h or 0:.3g} h.", "",
             "## Samples", ""]
    lines += markdown_table(("sample", "expected class (network)"),
                            [(n, classes[int(mix.expected[e])]) for e, n in enumerate(mix.names)])
    lines += ["", "## Dilutions and premixes", ""] + markdown_table(PIPETTING_COLUMNS, pipetting)
    lines += ["", "## Plate", ""] + markdown_table(WELL_COLUMNS, wells)
    if mix.omitted:
        lines += ["", "## Left out", ""] + [f"- {s}" for s in mix.omitted]
    return "\n".join(lines) + "\n"


def _write_files(tmp: Path, design: Path, plan: LabPlan, mix: MixPlan) -> dict:
    """samples.csv, pipetting.csv, wells.csv, mix.md and mix.json into ``tmp``; returns mix.json's content."""
    from dsdcompile.lab.tables import PIPETTING_COLUMNS, vessel_rows
    from dsdcompile.runtime.files import write_csv

    classes = plan.class_names
    write_csv(tmp / "samples.csv", ["sample", *plan.raw_input_names, *[f"x_{n}" for n in plan.input_names],
                                    "expected_class"],
              [[n, *mix.raw[e], *mix.x[e], classes[int(mix.expected[e])]] for e, n in enumerate(mix.names)])
    pipetting = [r for v in mix.dilutions + mix.premixes for r in vessel_rows(v, plan.lab)]
    write_csv(tmp / "pipetting.csv", PIPETTING_COLUMNS, pipetting)
    wells = _well_rows(plan, mix)
    write_csv(tmp / "wells.csv", WELL_COLUMNS, wells)
    vessels = mix.dilutions + mix.premixes + mix.wells + mix.calibration_wells
    smallest = min([v for vessel in vessels for v in vessel.volumes()], default=0.0)
    (tmp / "mix.md").write_text(_mix_markdown(design, plan, mix, pipetting, wells, smallest), encoding="utf-8")
    summary = {"format": "dsdcompile-mix", "version": 1, "design": str(design), "samples": len(mix.names),
               "wells": len(mix.wells), "calibration_wells": len(mix.calibration_wells),
               "dilutions": len(mix.dilutions), "min_volume_uL": round(smallest, 4),
               "inputs_left_out": list(mix.omitted),
               "files": sorted(["samples.csv", "pipetting.csv", "wells.csv", "mix.md", MIX_MARKER])}
    write_json(tmp / MIX_MARKER, summary, indent=1)
    return summary


def _write(dest: Path, design: Path, plan: LabPlan, mix: MixPlan) -> dict:
    """The mix folder, written whole into a folder beside ``dest`` and moved into place."""
    from dsdcompile.runtime.files import write_sibling_folder

    return write_sibling_folder(dest, lambda tmp: _write_files(tmp, design, plan, mix))


__all__ = ["LAB_FIELDS", "MIX_MARKER", "PLAN", "LabPlan", "MixPlan", "PlanInput", "check_coverage", "exact_limit",
           "plan_mix", "read_plan", "read_samples", "run_mix", "sample_inputs", "write_lab_plan"]
