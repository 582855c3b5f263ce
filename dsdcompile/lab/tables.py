"""Wet-lab tables written from the pipetting plan: concentrations, annealing, inputs, readout, pipetting, wells.

Every volume in these tables is a transfer of the plan (:mod:`dsdcompile.lab.pipetting`), so
each is at least ``LabConfig.min_volume_uL``; the well recipe (master mix + reporter mix +
sample premix) adds up to ``LabConfig.volume_uL``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.config import LabConfig
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.lab.dyes import RailReadout
from dsdcompile.lab.pipetting import PipettingPlan, Vessel, plan_pipetting
from dsdcompile.lab.pools import PoolMember
from dsdcompile.runtime.files import write_csv, write_xlsx

ROLES = ("input", "fuel", "helper", "reporter", "output")
PAGE_LENGTH_NT = 60  # longer strands carry enough synthesis errors to need PAGE purification
CONCENTRATION_COLUMNS = ("name", "kind", "role", "complex", "concentration_nM", "stock_uM", "volume_uL",
                         "purification", "length_nt", "sequence", "vessel", "source")
ANNEALING_COLUMNS = ("complex", "strand", "position", "ratio", "anneal_concentration_uM", "buffer", "protocol",
                     "pool", "source", "volume_uL", "pool_volume_uL", "purification")
INPUT_COLUMNS = ("example", "expected_class", "input", "value", "rail", "strand", "concentration_nM", "stock_uM",
                 "volume_uL", "premix", "premix_volume_uL", "source")
READOUT_COLUMNS = ("class", "plus_species", "minus_species", "rule", "well", "plus_reporter", "plus_dye",
                   "minus_reporter", "minus_dye")
PIPETTING_COLUMNS = ("vessel", "kind", "vessel_volume_uL", "item", "source", "source_nM", "target_nM", "volume_uL",
                     "note")
WELL_COLUMNS = ("plate", "well", "contents", "sample", "reporter_group", "expected_class")
READOUT_RULE = ("class = argmax over classes of (plus-rail amount - minus-rail amount) at the read time, each rail "
                "read through its dye's calibration line")
PLATE_ROWS, PLATE_COLS = 8, 12


@dataclass(frozen=True)
class LabStrand:
    """One DNA strand: its name, its domain-level sequence (e.g. "t1 x1 t2*") and its length."""

    name: str
    domains: str
    length_nt: int


@dataclass(frozen=True)
class LabSpecies:
    """A species added to (or read from) the reaction: one strand or a complex of several.

    ``concentration_nM`` is its concentration in the final reaction; for inputs it is ignored
    (inputs.csv gives it per example). ``kind`` is the scheme's name for a fuel (gate, fork,
    translator, reporter...): complexes of one kind and size are annealed and purified together.
    ``excess`` lists the strands annealed in excess (:func:`dsdcompile.dsd.impurities.excess_strands`).
    """

    def bottom_strands(self) -> tuple[int, ...]:
        return self.bottom if self.bottom is not None else (bottom_strand(self),)

    def excess_strands(self) -> tuple[int, ...]:
        if self.excess is not None:
            return self.excess
        b = bottom_strand(self)
        return tuple(k for k in range(len(self.strands)) if k != b)

    def ratio(self, k: int, excess: float) -> float:
        """Strand k's anneal ratio: ``excess`` for strands in excess, else 1."""
        return excess if k in self.excess_strands() else 1.0

    name: str
    role: str  # one of ROLES
    strands: tuple[LabStrand, ...]
    concentration_nM: float = 0.0
    kind: str = ""
    excess: tuple[int, ...] | None = None  # strands annealed in excess (None: all but the longest)
    bottom: tuple[int, ...] | None = None  # strands a signal binds (None: the longest)


@dataclass(frozen=True, eq=False)
class LabExamples:
    """The test examples in lab terms: preprocessed inputs and the species carrying inputs and outputs.

    ``input_species[i]`` names the (plus, minus) LabSpecies of network input i (minus None
    for single rail); ``output_species[k]`` likewise for class k. ``expected`` is the class
    the network assigns to each example.
    """

    x: np.ndarray
    input_names: tuple[str, ...]
    input_species: tuple[tuple[str, str | None], ...]
    class_names: tuple[str, ...]
    output_species: tuple[tuple[str, str | None], ...]
    expected: np.ndarray | None = None


def lab_examples(formal_crn: CRN, x: np.ndarray, *, species_map: Mapping[str, str] | None = None,
                 expected: np.ndarray | None = None) -> LabExamples:
    """LabExamples from a formal CRN's interface; ``species_map`` renames formal species to lab species."""
    def rename(name: str | None) -> str | None:
        return name if name is None or species_map is None else species_map.get(name, name)

    return LabExamples(np.atleast_2d(np.asarray(x, dtype=np.float64)), tuple(s.name for s in formal_crn.inputs),
                       tuple((rename(s.plus), rename(s.minus)) for s in formal_crn.inputs),
                       tuple(s.name for s in formal_crn.outputs),
                       tuple((rename(s.plus), rename(s.minus)) for s in formal_crn.outputs), expected)


def strand_purification(strand: LabStrand, in_complex: bool, role: str) -> str:
    """Synthesis purification: HPLC for dye-labelled reporter strands, PAGE for long or annealed strands."""
    if role == "reporter":
        return "HPLC"
    return "PAGE" if in_complex or strand.length_nt > PAGE_LENGTH_NT else "standard desalting"


def bottom_strand(sp: LabSpecies) -> int:
    """The strand annealed at 1×: the longest one (the gate's bottom strand); the others go in excess."""
    return int(np.argmax([s.length_nt for s in sp.strands]))


def check_species(rows: Sequence[LabSpecies], examples: LabExamples) -> dict[str, LabSpecies]:
    """Refuse unknown roles, empty or repeated species, bad concentrations and examples naming missing species."""
    by_name: dict[str, LabSpecies] = {}
    for sp in rows:
        if sp.role not in ROLES:
            raise InputError(f"species {sp.name!r} has role {sp.role!r}; expected one of {', '.join(ROLES)}")
        if not sp.strands:
            raise InputError(f"species {sp.name!r} has no strands")
        if not np.isfinite(sp.concentration_nM) or sp.concentration_nM < 0:
            raise InputError(f"species {sp.name!r} has concentration {sp.concentration_nM} nM")
        if sp.name in by_name:
            raise InputError(f"species {sp.name!r} is listed twice")
        by_name[sp.name] = sp
    if examples.x.shape[1] != len(examples.input_species):
        raise InputError(f"{examples.x.shape[1]} input values per example but {len(examples.input_species)} inputs")
    for pair in examples.input_species + examples.output_species:
        for name in pair:
            if name is not None and name not in by_name:
                raise InputError(f"species {name!r} named by the examples is not among the lab species")
    for pair in examples.input_species:
        for name in pair:
            if name is not None and by_name[name].role != "input":
                raise InputError(f"input species {name!r} has role {by_name[name].role!r}, not 'input'")
    return by_name


def input_concentrations(examples: LabExamples, unit_nM: float) -> dict[str, np.ndarray]:
    """Per input species, its concentration (nM) in every example: value × unit on the rail of its sign."""
    conc: dict[str, np.ndarray] = {}
    n = examples.x.shape[0]
    for i, (plus, minus) in enumerate(examples.input_species):
        v = examples.x[:, i]
        if minus is None and (v < 0).any():
            raise InputError(f"input {examples.input_names[i]!r} is single-rail but takes negative values")
        conc[plus] = conc.get(plus, np.zeros(n)) + np.maximum(v, 0.0) * unit_nM
        if minus is not None:
            conc[minus] = conc.get(minus, np.zeros(n)) + np.maximum(-v, 0.0) * unit_nM
    return conc


@dataclass(frozen=True, eq=False)
class LabDesign:
    """Everything the tables and the protocol describe: species, examples, readout, plan and the expected readings.

    ``expected_nM[e, r]`` is the simulated reading of rail ``readout[r]`` in example e at the
    read time (the tube as planned); ``calibration_top_nM`` the highest fluorophore standard.
    """

    species: tuple[LabSpecies, ...]
    examples: LabExamples
    plan: PipettingPlan
    readout: tuple[RailReadout, ...]
    unit_nM: float
    config: LabConfig
    calibration_top_nM: float = 0.0
    read_time_h: float | None = None
    expected_nM: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    @property
    def groups(self) -> int:
        return max((r.group for r in self.readout), default=0) + 1

    def by_name(self) -> dict[str, LabSpecies]:
        return {s.name: s for s in self.species}


def _long(domains: str, long_domains: set[str] | None) -> set[str]:
    return {d.rstrip("*") for d in domains.split()} if long_domains is None else long_domains


def plan_design(rows: Sequence[LabSpecies], examples: LabExamples, config: LabConfig = LabConfig(), *,
                unit_nM: float = 10.0, readout: Sequence[RailReadout] = (), calibration_top_nM: float = 0.0,
                long_domains: set[str] | None = None, fractions: Sequence[float] = (0.0, 0.25, 0.5, 1.0),
                read_time_h: float | None = None, expected_nM: np.ndarray | None = None,
                notes: Sequence[str] = ()) -> LabDesign:
    """Check the species and plan every transfer (:func:`~dsdcompile.lab.pipetting.plan_pipetting`).

    ``long_domains`` names the branch-migration and history domains (complementarity in them
    keeps complexes out of one pool); None counts every domain as long.
    """
    if not unit_nM > 0:
        raise InputError(f"unit_nM must be positive, got {unit_nM}")
    by_name = check_species(rows, examples)
    group = {r.reporter: r.group for r in readout}
    members, ratios, groups_of, singles = [], {}, {}, {}
    all_domains: set[str] = set()
    for sp in rows:
        for s in sp.strands:
            all_domains |= _long(s.domains, None)
    long = all_domains if long_domains is None else set(long_domains)
    for sp in rows:
        if sp.role in ("input", "output") or sp.concentration_nM <= 0:
            continue
        if len(sp.strands) == 1:
            singles[sp.strands[0].name] = singles.get(sp.strands[0].name, 0.0) + sp.concentration_nM
            continue
        ratios[sp.name] = {s.name: sp.ratio(j, config.anneal_excess) for j, s in enumerate(sp.strands)}
        lengths = ",".join(str(s.length_nt) for s in sp.strands)
        key = f"reporter:{group.get(sp.name, 0)}" if sp.role == "reporter" else f"{sp.kind or sp.role}:{lengths}"
        members.append(PoolMember(sp.name, key, tuple(tuple(s.domains.split()) for s in sp.strands),
                                  sp.concentration_nM))
        groups_of[sp.name] = group.get(sp.name, 0) if sp.role == "reporter" else None
    conc = input_concentrations(examples, unit_nM)
    inputs = []
    for e in range(examples.x.shape[0]):
        sample = {}
        for plus, minus in examples.input_species:
            for name in (plus, minus):
                if name is not None and conc[name][e] > 0:
                    sample[by_name[name].strands[0].name] = float(conc[name][e])
        inputs.append(sample)
    n_groups = max(group.values(), default=0) + 1
    calibration = [{by_name[r.reporter].strands[0].name: calibration_top_nM for r in readout if r.group == g}
                   if calibration_top_nM > 0 else {} for g in range(n_groups)]
    names = [f"example {e}" for e in range(examples.x.shape[0])]
    plan = plan_pipetting(members, ratios, groups_of, singles, inputs, n_groups, calibration, long, config,
                          fractions=fractions, sample_names=names)
    return LabDesign(tuple(rows), examples, plan, tuple(readout), unit_nM, config, calibration_top_nM, read_time_h,
                     expected_nM, tuple(notes))


def _sequence(strand: LabStrand, sequences: Mapping[str, str] | None) -> str:
    return strand.domains if sequences is None or strand.name not in sequences else sequences[strand.name]


def _r(v: float) -> float:
    return round(float(v), 4)


def plate_positions(n: int, start: int = 0) -> list[tuple[str, str]]:
    """(plate, well) for n wells, row by row on 96-well plates (A1, A2, ..., H12, then the next plate)."""
    out = []
    for i in range(start, start + n):
        plate, pos = divmod(i, PLATE_ROWS * PLATE_COLS)
        row, col = divmod(pos, PLATE_COLS)
        out.append((f"plate {plate + 1}", f"{chr(ord('A') + row)}{col + 1}"))
    return out


def lab_tables(design: LabDesign, *, sequences: Mapping[str, str] | None = None) -> dict[str, list[dict]]:
    """The tables as lists of dicts: concentrations, annealing, inputs, readout, pipetting, wells.

    Computed once per design (and sequences): the writers below take them rather than compute them again.
    """
    plan, cfg = design.plan, design.config
    pip_rows = [row for vessel in plan.vessels() if vessel.kind not in ("well", "calibration", "premix")
                for row in vessel_rows(vessel, cfg)]
    return {"concentrations": concentration_rows(design, sequences), "annealing": annealing_rows(design),
            "inputs": input_rows(design), "readout": readout_rows(design), "pipetting": pip_rows,
            "wells": well_rows(design)}


def concentration_rows(design: LabDesign, sequences: Mapping[str, str] | None = None) -> list[dict]:
    """concentrations.csv: every species and strand (with its stock, volume and vessel), then the well recipe."""
    plan, cfg = design.plan, design.config
    sources = {"pools": {c: p for p in plan.pools for c in p.complexes},
               "anneal": {(p.name, c.item): c for p in plan.pools for c in p.vessel.components},
               "master_mix": {c.item: c for c in plan.master_mix.components}}
    conc_rows: list[dict] = []
    for sp in design.species:
        conc_rows += _species_rows(design, sp, sequences, sources)
    if plan.wells:  # the well recipe: its rows add up to the reaction volume
        well = plan.wells[0]
        for comp in well.components:
            conc_rows.append({"name": comp.item, "kind": "well", "role": "", "complex": "", "concentration_nM": "",
                              "stock_uM": "", "volume_uL": _r(comp.volume_uL), "purification": "", "length_nt": "",
                              "sequence": "", "vessel": "reaction well", "source": f"{comp.source_nM:.4g}x mix"})
        if well.buffer_uL > 1e-9:
            conc_rows.append({"name": "buffer", "kind": "well", "role": "", "complex": "", "concentration_nM": "",
                              "stock_uM": "", "volume_uL": _r(well.buffer_uL), "purification": "", "length_nt": "",
                              "sequence": cfg.buffer, "vessel": "reaction well", "source": ""})
    return conc_rows


def _species_rows(design: LabDesign, sp: LabSpecies, sequences: Mapping[str, str] | None,
                  sources: Mapping[str, Mapping]) -> list[dict]:
    """The concentrations.csv rows of one species: an input, an output, a single strand, or a complex and its
    strands. ``sources``: complex -> anneal pool, (pool, strand) -> its anneal component, strand -> its
    master-mix component."""
    cfg = design.config
    pool_of, anneal_comp, mm = sources["pools"], sources["anneal"], sources["master_mix"]
    base = {"role": sp.role, "complex": sp.name}
    rows: list[dict] = []
    if sp.role == "input":
        s = sp.strands[0]
        rows.append({"name": s.name, "kind": "strand", **base, "concentration_nM": "", "stock_uM":
                     cfg.max_stock_uM, "volume_uL": "", "purification": strand_purification(s, False, sp.role),
                     "length_nt": s.length_nt, "sequence": _sequence(s, sequences),
                     "vessel": "sample premix", "source": "inputs.csv"})
        return rows
    if sp.role == "output":
        s = sp.strands[0]
        rows.append({"name": s.name, "kind": "strand", **base, "concentration_nM": "", "stock_uM": "",
                     "volume_uL": "", "purification": "", "length_nt": s.length_nt,
                     "sequence": _sequence(s, sequences), "vessel": "made in the reaction",
                     "source": "read by its reporter" if any(r.species == sp.name for r in design.readout)
                     else ""})
        return rows
    if len(sp.strands) == 1:
        s = sp.strands[0]
        c = mm.get(s.name)
        rows.append({"name": s.name, "kind": "strand", **base, "concentration_nM": sp.concentration_nM,
                     "stock_uM": c.source_nM / 1000 if c else "", "volume_uL": _r(c.volume_uL) if c else "",
                     "purification": strand_purification(s, False, sp.role), "length_nt": s.length_nt,
                     "sequence": _sequence(s, sequences), "vessel": "master mix",
                     "source": c.source if c else ""})
        return rows
    pool = pool_of.get(sp.name)
    rows.append({"name": sp.name, "kind": "complex", **base, "concentration_nM": sp.concentration_nM,
                      "stock_uM": sp.concentration_nM * pool.working_factor / 1000 if pool else "",
                      "volume_uL": "", "purification": cfg.purification,
                      "length_nt": sum(s.length_nt for s in sp.strands),
                      "sequence": " + ".join(_sequence(s, sequences) for s in sp.strands),
                      "vessel": pool.name if pool else "", "source": f"{pool.name} purified" if pool else ""})
    for j, s in enumerate(sp.strands):
        ratio = sp.ratio(j, cfg.anneal_excess)
        c = anneal_comp.get((pool.name, s.name)) if pool else None
        rows.append({"name": s.name, "kind": "strand", **base, "concentration_nM": sp.concentration_nM * ratio,
                     "stock_uM": c.source_nM / 1000 if c else "", "volume_uL": _r(c.volume_uL) if c else "",
                     "purification": strand_purification(s, True, sp.role), "length_nt": s.length_nt,
                     "sequence": _sequence(s, sequences), "vessel": pool.name if pool else "",
                     "source": c.source if c else ""})
    return rows


def annealing_rows(design: LabDesign) -> list[dict]:
    """annealing.csv: per anneal pool, every strand of its complexes with ratio, source and volume."""
    plan, cfg = design.plan, design.config
    by_name = design.by_name()
    anneal_comp = {(p.name, c.item): c for p in plan.pools for c in p.vessel.components}
    anneal_rows = []
    for p in plan.pools:
        for cname in p.complexes:
            sp = by_name[cname]
            for j, s in enumerate(sp.strands):
                c = anneal_comp[(p.name, s.name)]
                anneal_rows.append({"complex": cname, "strand": s.name,
                                    "position": "bottom" if j in sp.bottom_strands() else "top",
                                    "ratio": sp.ratio(j, cfg.anneal_excess),
                                    "anneal_concentration_uM": c.target_nM / 1000, "buffer": cfg.buffer,
                                    "protocol": cfg.anneal_protocol, "pool": p.name, "source": c.source,
                                    "volume_uL": _r(c.volume_uL), "pool_volume_uL": p.vessel.volume_uL,
                                    "purification": cfg.purification})
    return anneal_rows


def input_rows(design: LabDesign) -> list[dict]:
    """inputs.csv: per test example, the input strands of its premix (and what was left out), then its buffer."""
    plan, cfg, ex = design.plan, design.config, design.examples
    names = {i: n for i, n in enumerate(ex.class_names)}
    rows = []
    strand_of = {sp.name: sp.strands[0].name for sp in design.species if sp.role == "input"}
    for e, pre in enumerate(plan.premixes):
        comps = {c.item: c for c in pre.components}
        expected = "" if ex.expected is None else names.get(int(ex.expected[e]), "")
        for i, (plus, minus) in enumerate(ex.input_species):
            v = float(ex.x[e, i])
            for rail, name in (("+", plus), ("-", minus)):
                if name is None or (v > 0 and rail == "-") or (v < 0 and rail == "+") or v == 0:
                    continue
                c = comps.get(strand_of[name])
                rows.append({"example": e, "expected_class": expected, "input": ex.input_names[i], "value": v,
                             "rail": rail, "strand": strand_of[name], "concentration_nM": abs(v) * design.unit_nM,
                             "stock_uM": c.source_nM / 1000 if c else "", "volume_uL": _r(c.volume_uL) if c
                             else "", "premix": pre.name, "premix_volume_uL": pre.volume_uL,
                             "source": c.source if c else "left out (below the smallest transfer)"})
        rows.append({"example": e, "expected_class": expected, "input": "", "value": "", "rail": "",
                     "strand": "buffer", "concentration_nM": "", "stock_uM": "", "volume_uL": _r(pre.buffer_uL),
                     "premix": pre.name, "premix_volume_uL": pre.volume_uL, "source": cfg.buffer})
    return rows


def readout_rows(design: LabDesign) -> list[dict]:
    """readout.csv: per class, its rails' species, reporters, dyes and well group."""
    ex = design.examples
    by_rail = {(r.output, r.rail): r for r in design.readout}
    rows = []
    for k, (p, m) in zip(ex.class_names, ex.output_species):
        rp, rm = by_rail.get((k, 1)), by_rail.get((k, -1))
        rows.append({"class": k, "plus_species": p, "minus_species": m or "", "rule": READOUT_RULE,
                     "well": rp.group + 1 if rp else "", "plus_reporter": rp.reporter if rp else "",
                     "plus_dye": rp.dye.dye if rp else "", "minus_reporter": rm.reporter if rm else "",
                     "minus_dye": rm.dye.dye if rm else ""})
    return rows


def vessel_rows(vessel: Vessel, config: LabConfig) -> list[dict]:
    """One row per transfer into ``vessel``, buffer last."""
    rows = [{"vessel": vessel.name, "kind": vessel.kind, "vessel_volume_uL": vessel.volume_uL, "item": c.item,
             "source": c.source, "source_nM": c.source_nM, "target_nM": c.target_nM, "volume_uL": _r(c.volume_uL),
             "note": vessel.note} for c in vessel.components]
    if vessel.buffer_uL > 1e-9:
        rows.append({"vessel": vessel.name, "kind": vessel.kind, "vessel_volume_uL": vessel.volume_uL, "item": "buffer",
                     "source": config.buffer, "source_nM": "", "target_nM": "", "volume_uL": _r(vessel.buffer_uL),
                     "note": vessel.note})
    return rows


def well_rows(design: LabDesign) -> list[dict]:
    """The plate map: every sample's wells, then the calibration wells, with the readings the simulation expects."""
    plan, ex = design.plan, design.examples
    dyes = list(dict.fromkeys(r.dye.dye for r in design.readout))
    vessels = list(plan.wells) + list(plan.calibration)
    rows = []
    names = {i: n for i, n in enumerate(ex.class_names)}
    for (plate, well), v in zip(plate_positions(len(vessels)), vessels):
        row = {"plate": plate, "well": well, "contents": v.name, "sample": "", "reporter_group": "",
               "expected_class": ""}
        row.update({f"expected_{d}_nM": "" for d in dyes})
        if v.kind == "well":
            e, g = int(v.sample), int(v.group)
            row.update({"sample": e, "reporter_group": g + 1,
                        "expected_class": "" if ex.expected is None else names.get(int(ex.expected[e]), "")})
            if design.expected_nM is not None and e < design.expected_nM.shape[0]:
                for r, rail in enumerate(design.readout):
                    if rail.group == g:
                        row[f"expected_{rail.dye.dye}_nM"] = round(float(design.expected_nM[e, r]), 4)
        else:
            g, frac = int(v.group), float(v.fraction)
            row.update({"reporter_group": g + 1})
            for rail in design.readout:
                if rail.group == g:
                    row[f"expected_{rail.dye.dye}_nM"] = round(frac * design.calibration_top_nM, 4)
        rows.append(row)
    return rows


def write_lab_tables(design: LabDesign, out_dir: str | Path, *, sequences: Mapping[str, str] | None = None,
                     extra_sheets: Mapping[str, tuple[Sequence[str], list]] | None = None,
                     xlsx: bool = True, tables: Mapping[str, list[dict]] | None = None) -> list[str]:
    """Write concentrations.csv, annealing.csv, inputs.csv, readout.csv, pipetting.csv, wells.csv and (with
    openpyxl) plate.xlsx, which also holds ``extra_sheets`` (e.g. the protocol's steps). Returns the paths.

    ``tables``: :func:`lab_tables` of ``design`` with ``sequences``, when the caller has them already."""
    tables = lab_tables(design, sequences=sequences) if tables is None else tables
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dyes = [f"expected_{d}_nM" for d in dict.fromkeys(r.dye.dye for r in design.readout)]
    columns = {"concentrations": CONCENTRATION_COLUMNS, "annealing": ANNEALING_COLUMNS, "inputs": INPUT_COLUMNS,
               "readout": READOUT_COLUMNS, "pipetting": PIPETTING_COLUMNS, "wells": WELL_COLUMNS + tuple(dyes)}
    written = []
    for name, cols in columns.items():
        write_csv(out / f"{name}.csv", cols, tables[name])
        written.append(out / f"{name}.csv")
    sheets = dict(extra_sheets or {})
    sheets.update({name: (cols, tables[name]) for name, cols in columns.items()})
    if xlsx and write_xlsx(out / "plate.xlsx", sheets):
        written.append(out / "plate.xlsx")
    return [str(p) for p in written]


__all__ = ["ANNEALING_COLUMNS", "CONCENTRATION_COLUMNS", "INPUT_COLUMNS", "PIPETTING_COLUMNS", "READOUT_COLUMNS",
           "ROLES", "WELL_COLUMNS", "LabDesign", "LabExamples", "LabSpecies", "LabStrand", "bottom_strand",
           "annealing_rows", "check_species", "concentration_rows", "input_concentrations", "input_rows",
           "lab_examples", "lab_tables", "readout_rows", "plan_design",
           "plate_positions", "strand_purification", "vessel_rows", "well_rows", "write_lab_tables"]
