"""What ``dsdcompile read`` needs of a design folder, and the checks that tie a plate reading to it.

From the folder: ``lab_plan.json`` (unit, read time, classes, calibration standards),
``wells.csv`` (which well holds which sample or standard, and the class it should read),
``readout.csv`` (which dye in which well group reads which rail of which class),
``examples.csv`` (the network's class per example) and ``inputs.csv`` (each sample's network
inputs, for the tube model). Every file is read through the guarded reader.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.lab.read.formats import PlateReading, well_name
from dsdcompile.runtime.resources import loads_untrusted_json, regular_file

MAX_DESIGN_FILE = 64 << 20
EM_TOLERANCE_NM = 15.0


def _read(path: Path, what: str) -> str:
    if not path.exists():
        raise InputError(f"no {path.name}: not a design folder with a wet-lab plan (compile with --scheme and "
                         "--inputs)", path=str(path.parent))
    st = regular_file(path, what)
    if st.st_size > MAX_DESIGN_FILE:
        raise InputError(f"larger than {MAX_DESIGN_FILE >> 20} MiB", path=str(path))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e})", path=str(path)) from None


def _csv(path: Path) -> list[dict]:
    from dsdcompile.runtime.files import csv_dicts  # the design's CSVs quote formula-like text: read it back

    return list(csv_dicts(io.StringIO(_read(path, "CSV file"))))


@dataclass(frozen=True)
class Rail:
    """One reporter: the class it reads, plus (+1) or minus (-1) rail, its dye and its well group (1-based)."""

    reporter: str
    class_name: str
    sign: int
    dye: str
    group: int


@dataclass
class SampleWell:
    plate: str
    well: str
    sample: str
    group: int
    expected_nM: dict  # dye -> nM the simulation expects at the read time


@dataclass
class CalibrationWell:
    plate: str
    well: str
    group: int
    level_nM: dict  # dye -> nM of that dye's fluorophore strand


@dataclass
class Design:
    path: Path
    plan: dict
    summary: dict
    design_id: str
    unit_nM: float
    read_time_s: float
    class_names: tuple
    rails: tuple            # Rail, in readout order (the tube model's reporter order)
    samples: list           # sample names in wells.csv order
    sample_wells: list      # SampleWell
    calibration_wells: list  # CalibrationWell
    expected_class: dict    # sample -> class wells.csv expects
    network_class: dict     # sample -> the network's class ('' when unknown)
    x: dict                 # sample -> network inputs (np.ndarray) or None
    dyes: dict = field(default_factory=dict)  # dye -> (excitation nm, emission nm)
    multi_plate: bool = False

    @property
    def dye_names(self) -> list[str]:
        return sorted({r.dye for r in self.rails}, key=[r.dye for r in self.rails].index)

    def subset(self, samples) -> Design:
        """The same design with only ``samples`` (and every calibration well): for small plates and tests."""
        from dataclasses import replace

        keep = [s for s in self.samples if s in set(samples)]
        return replace(self, samples=keep, sample_wells=[w for w in self.sample_wells if w.sample in keep],
                       expected_class={s: self.expected_class[s] for s in keep},
                       network_class={s: self.network_class[s] for s in keep}, x={s: self.x[s] for s in keep})

    @property
    def plates(self) -> list[str]:
        out = []
        for w in self.sample_wells + self.calibration_wells:
            if w.plate not in out:
                out.append(w.plate)
        return out

    def for_plate(self, name: str) -> Design:
        """The wells of one plate (every sample keeps its entries: its other wells may be on another plate)."""
        from dataclasses import replace

        return replace(self, sample_wells=[w for w in self.sample_wells if w.plate == name],
                       calibration_wells=[w for w in self.calibration_wells if w.plate == name])

    def key(self, sw) -> str:
        return f"{sw.plate}:{sw.well}" if self.multi_plate else sw.well


def design_id(plan_text: str) -> str:
    """A short identity of the design: the first 12 hex digits of lab_plan.json's SHA-256."""
    return hashlib.sha256(plan_text.encode("utf-8")).hexdigest()[:12]


def load_design(folder: Path) -> Design:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such design folder", path=str(folder))
    plan_text = _read(folder / "lab_plan.json", "lab plan")
    try:
        plan = loads_untrusted_json(plan_text)
        summary = loads_untrusted_json(_read(folder / "summary.json", "summary"))
    except (ValueError, RecursionError) as e:
        raise InputError(f"invalid JSON in the design ({e})", path=str(folder)) from None
    if not isinstance(plan, dict) or plan.get("format") != "dsdcompile-lab-plan":
        raise InputError("lab_plan.json is not a dsdcompile lab plan", path=str(folder / "lab_plan.json"))
    if not plan.get("reporters"):
        raise InputError("the design has no reporters: there is no fluorescence to read", path=str(folder))
    classes = tuple(plan["class_names"])
    rails = []
    for row in _csv(folder / "readout.csv"):
        for sign, key in ((1, "plus"), (-1, "minus")):
            if row.get(f"{key}_reporter"):
                rails.append(Rail(row[f"{key}_reporter"], row["class"], sign, row[f"{key}_dye"], int(row["well"])))
    order = list(plan.get("reporters_of", {}))
    rails.sort(key=lambda r: order.index(r.reporter) if r.reporter in order else len(order))
    dyes = {}
    if (folder / "dyes.csv").exists():
        for row in _csv(folder / "dyes.csv"):
            try:
                dyes[row["dye"]] = (float(row["excitation_nm"]), float(row["emission_nm"]))
            except (KeyError, ValueError):
                continue
    wells_rows = _csv(folder / "wells.csv")
    plates = {r["plate"] for r in wells_rows}
    sample_wells, cal_wells, expected, samples = [], [], {}, []
    for row in wells_rows:
        group = int(row["reporter_group"])
        nm = {}
        for k, v in row.items():
            m = re.match(r"expected_(.+)_nM$", k or "")
            if m and v not in (None, ""):
                nm[m.group(1)] = float(v)
        if row["contents"].startswith("calibration"):
            cal_wells.append(CalibrationWell(row["plate"], row["well"], group, nm))
        else:
            s = row["sample"]
            sample_wells.append(SampleWell(row["plate"], row["well"], s, group, nm))
            if s not in expected:
                samples.append(s)
            expected[s] = row["expected_class"]
    network = {}
    if (folder / "examples.csv").exists():
        for row in _csv(folder / "examples.csv"):
            network[str(row.get("example"))] = row.get("nn_class", "")
    x = _inputs(folder / "inputs.csv", plan, samples)
    read_time_s = float(plan["read_time_h"]) * 3600.0
    return Design(folder, plan, summary, design_id(plan_text), float(plan["unit_nM"]), read_time_s, classes,
                  tuple(rails), samples, sample_wells, cal_wells, expected,
                  {s: network.get(s, "") for s in samples}, x, dyes, len(plates) > 1)


def _inputs(path: Path, plan: dict, samples: list[str]) -> dict:
    names = [i["name"] for i in plan["inputs"]]
    x = {s: np.zeros(len(names)) for s in samples}
    if not path.exists():
        return {s: None for s in samples}
    for row in _csv(path):
        s = row.get("example") or row.get("sample")
        if s in x and row.get("input") in names and row.get("value") not in (None, ""):
            x[s][names.index(row["input"])] = float(row["value"])
    return x


def match_channel(label: str, design: Design) -> str | None:
    """The design's dye a reader channel reads: by name (``FAM``, ``FAM:485,528``, ``Raw Data (485/520) FAM``)
    or by its excitation/emission pair (the emission within 15 nm of the dye's)."""
    low = label.lower()
    for dye in design.dye_names:
        if re.search(rf"(^|[^a-z0-9]){re.escape(dye.lower())}([^a-z0-9]|$)", low):
            return dye
    nums = [float(v) for v in re.findall(r"(\d{3})(?:-\d+)?", label)]
    if len(nums) >= 2:
        ex, em = nums[0], nums[1]
        best = None
        for dye in design.dye_names:
            if dye not in design.dyes:
                continue
            dex, dem = design.dyes[dye]
            d = abs(em - dem) + 0.5 * abs(ex - dex)
            close = abs(em - dem) <= EM_TOLERANCE_NM and abs(ex - dex) <= 2 * EM_TOLERANCE_NM
            if close and (best is None or d < best[0]):
                best = (d, dye)
        if best is not None:
            return best[1]
    return None


@dataclass
class Traces:
    """The reading tied to the design: per dye, per well key, (times s, values)."""

    by_dye: dict           # dye -> well key -> (t, v)
    extra_wells: list      # wells with readings that the design does not use
    channels: dict         # dye -> reader channel label


def bind(plate: PlateReading, design: Design) -> Traces:
    """Match channels to dyes and wells to the design; InputError (naming the file and line) otherwise."""
    if plate.design_id is not None and plate.design_id != design.design_id:
        raise InputError(f"this reading is from another design (design {plate.design_id}; {design.path} is "
                         f"{design.design_id})", path=plate.path, line=1)
    by_dye, channels = {}, {}
    for ch, wells in plate.traces.items():
        dye = match_channel(ch, design)
        if dye is None:
            raise InputError(f"unknown channel {ch!r}: the design reads {', '.join(design.dye_names)} (name the "
                             "channel after its dye or by its excitation/emission)", path=plate.path,
                             line=plate.channel_lines.get(ch))
        if dye in by_dye:
            raise InputError(f"channels {channels[dye]!r} and {ch!r} both read {dye}", path=plate.path,
                             line=plate.channel_lines.get(ch))
        channels[dye] = ch
        by_dye[dye] = {w: plate.arrays(ch, w) for w in wells}
    need = []  # (well key, dye)
    for sw in design.sample_wells:
        need += [(design.key(sw), d) for d in sw.expected_nM]
    for cw in design.calibration_wells:
        need += [(design.key(cw), d) for d in cw.level_nM]
    used = {k for k, _ in need}
    have = {w for wells in by_dye.values() for w in wells}
    extra = sorted(have - used, key=_well_order)
    missing_dye = [d for d in design.dye_names if d not in by_dye]
    if missing_dye:
        raise InputError(f"no channel reads {missing_dye[0]} (channels: {', '.join(plate.traces)})",
                         path=plate.path, line=1)
    missing = [(k, d) for k, d in need if k not in by_dye[d]]
    if missing:
        k, d = missing[0]
        hint = (f"; the file reads wells this design does not use ({', '.join(extra[:4])}"
                f"{' ...' if len(extra) > 4 else ''}): is it from another design?") if extra else ""
        raise InputError(f"well {k} has no {d} reading; wells.csv puts "
                         f"{_contents(design, k)} there{hint}", path=plate.path,
                         line=plate.channel_lines.get(channels[d]))
    for d, wells in by_dye.items():
        for k, (t, _) in wells.items():
            if k in used and t.size < 2:
                raise InputError(f"well {k}, {d}: a kinetic read needs at least 2 time points, found {t.size}",
                                 path=plate.path, line=plate.traces[channels[d]][k].lines[0])
    return Traces(by_dye, extra, channels)


def _prefixed(plate: PlateReading, name: str | None) -> PlateReading:
    """The reading with every well keyed ``name:well`` (None: the plate prefix, if any, removed)."""
    traces = {}
    for ch, wells in plate.traces.items():
        traces[ch] = {(w.rpartition(":")[2] if name is None else (w if ":" in w else f"{name}:{w}")): tr
                      for w, tr in wells.items()}
    return PlateReading(plate.path, plate.format, traces, plate.design_id, plate.channel_lines)


def bind_all(readings: list[PlateReading], design: Design) -> Traces:
    """Bind one export per plate of the design (wells.csv's plate order), or one tidy file with a plate column;
    InputError naming the file otherwise."""
    names = design.plates
    if len(readings) == 1 and not design.multi_plate:
        r = readings[0]
        tagged = {w.rpartition(":")[0] for wells in r.traces.values() for w in wells if ":" in w}
        if tagged - set(names):
            raise InputError(f"plate {sorted(tagged - set(names))[0]!r} is not in wells.csv (plates: "
                             f"{', '.join(names)})", path=r.path, line=1)
        return bind(_prefixed(r, None), design)
    if len(readings) == 1:
        r = readings[0]
        if not any(":" in w for wells in r.traces.values() for w in wells):
            raise InputError(f"the design spans {len(names)} plates ({', '.join(names)}): give one export per "
                             "plate, in that order, or one tidy CSV with a plate column", path=r.path, line=1)
        return bind(r, design)
    if len(readings) != len(names):
        raise InputError(f"{len(readings)} exports for a design on {len(names)} plate(s) ({', '.join(names)}): give "
                         "one per plate, in wells.csv's order", path=readings[-1].path)
    merged = Traces({}, [], {})
    for r, name in zip(readings, names):
        t = bind(_prefixed(r, name), design.for_plate(name))
        for dye, wells in t.by_dye.items():
            merged.by_dye.setdefault(dye, {}).update(wells)
            merged.channels.setdefault(dye, t.channels[dye])
        merged.extra_wells += t.extra_wells
    return merged


def _well_order(key: str):
    w = key.split(":")[-1]
    m = re.match(r"([A-P])(\d+)", w)
    return (key.split(":")[0] if ":" in key else "", m.group(1), int(m.group(2))) if m else (key, "", 0)


def _contents(design: Design, key: str) -> str:
    for sw in design.sample_wells:
        if design.key(sw) == key:
            return f"sample {sw.sample!r}"
    return "a calibration standard"


__all__ = ["CalibrationWell", "Design", "Rail", "SampleWell", "Traces", "bind", "bind_all", "design_id", "load_design",
           "match_channel", "well_name"]
