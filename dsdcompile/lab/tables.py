"""Wet-lab tables: concentrations, stocks and volumes, annealing, per-example inputs and the readout rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.config import LabConfig
from dsdcompile.errors import DesignInfeasible, InputError
from dsdcompile.ir import CRN
from dsdcompile.lab.files import markdown_table, write_csv, write_xlsx

ROLES = ("input", "fuel", "helper", "reporter", "output")
PAGE_LENGTH_NT = 60  # longer strands carry enough synthesis errors to need PAGE purification
CONCENTRATION_COLUMNS = ("name", "kind", "role", "complex", "concentration_nM", "stock_uM", "volume_uL",
                         "purification", "length_nt", "sequence")
ANNEALING_COLUMNS = ("complex", "strand", "position", "ratio", "anneal_concentration_uM", "buffer", "protocol")
INPUT_COLUMNS = ("example", "expected_class", "input", "value", "rail", "strand", "concentration_nM", "stock_uM",
                 "volume_uL")
READOUT_COLUMNS = ("class", "plus_species", "minus_species", "rule")
READOUT_RULE = "class = argmax over classes of [Y+] - [Y-] at the end of the run"


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
    (inputs.csv gives it per example).
    """

    name: str
    role: str  # one of ROLES
    strands: tuple[LabStrand, ...]
    concentration_nM: float = 0.0


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


def nice_stock(needed_uM: float, cap: float) -> float:
    """The smallest 1-2-5 stock concentration (µM) at or above ``needed_uM``, at most ``cap``."""
    if needed_uM <= 0:
        return min(1.0, cap)
    exp = np.floor(np.log10(needed_uM))
    for base in (1.0, 2.0, 5.0, 10.0):
        v = float(base * 10.0 ** exp)
        if v >= needed_uM * (1 - 1e-12):
            return min(v, cap)
    return cap


def _volume(conc_nM: float, stock_uM: float, volume_uL: float) -> float:
    return conc_nM * volume_uL / (stock_uM * 1000.0)


def _purification(strand: LabStrand, in_complex: bool) -> str:
    return "PAGE" if in_complex or strand.length_nt > PAGE_LENGTH_NT else "standard desalting"


def _bottom(sp: LabSpecies) -> int:
    """The strand annealed at 1×: the longest one (the gate's bottom strand); the others go in excess."""
    return int(np.argmax([s.length_nt for s in sp.strands]))


def _check(rows: Sequence[LabSpecies], examples: LabExamples) -> None:
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


def _sequence(strand: LabStrand, sequences: Mapping[str, str] | None) -> str:
    return strand.domains if sequences is None or strand.name not in sequences else sequences[strand.name]


def _round(v: float) -> float:
    return round(float(v), 4)  # 0.1 nL: below any dispenser's resolution


def _input_concentrations(examples: LabExamples, unit_nM: float) -> dict[str, np.ndarray]:
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


def lab_tables(rows: Sequence[LabSpecies], examples: LabExamples, config: LabConfig = LabConfig(), *,
               unit_nM: float = 10.0, sequences: Mapping[str, str] | None = None) -> dict[str, list[dict]]:
    """The tables as lists of dicts: "concentrations", "annealing", "inputs", "readout".

    Volumes: the reaction of ``volume_uL`` is a master mix plus ``input_volume_fraction`` of
    it kept for the inputs. Every added species gets the smallest 1-2-5 stock (µM, at most
    ``max_stock_uM``) that needs at most ``pipette_target_uL`` (less when many species share
    the volume); buffer fills the rest, so the volumes add up to ``volume_uL`` in the
    reaction and to the input share in every example. Complexes are added as annealed
    stocks at the bottom strand's concentration, their top strands in ``anneal_excess``.
    """
    if not unit_nM > 0:
        raise InputError(f"unit_nM must be positive, got {unit_nM}")
    _check(rows, examples)
    vol = config.volume_uL
    v_in = _round(config.input_volume_fraction * vol)
    inputs = _input_concentrations(examples, unit_nM)
    added = [sp for sp in rows if sp.role != "input" and sp.concentration_nM > 0]
    share = min(config.pipette_target_uL, 0.8 * (vol - v_in) / max(len(added), 1))
    in_share = min(config.pipette_target_uL, 0.9 * v_in / max(len(inputs), 1))
    stock: dict[str, float] = {}
    for sp in rows:
        if sp.role == "input":
            peak = float(inputs[sp.name].max(initial=0.0)) if sp.name in inputs else 0.0
            stock[sp.name] = nice_stock(peak * vol / (in_share * 1000.0), config.max_stock_uM)
        elif sp.concentration_nM > 0:
            stock[sp.name] = nice_stock(sp.concentration_nM * vol / (share * 1000.0), config.max_stock_uM)

    conc_rows: list[dict] = []
    total = 0.0
    for sp in rows:
        is_input = sp.role == "input"
        c = float(inputs[sp.name].max(initial=0.0)) if is_input and sp.name in inputs else sp.concentration_nM
        volume: float | str = ""
        if not is_input:
            volume = _round(_volume(c, stock[sp.name], vol)) if c > 0 else 0.0
            total += volume
        common = {"role": sp.role, "complex": sp.name, "stock_uM": stock.get(sp.name, "")}
        if len(sp.strands) == 1:
            s = sp.strands[0]
            conc_rows.append({"name": s.name, "kind": "strand", **common, "concentration_nM": c, "volume_uL": volume,
                              "purification": _purification(s, False), "length_nt": s.length_nt,
                              "sequence": _sequence(s, sequences)})
            continue
        conc_rows.append({"name": sp.name, "kind": "complex", **common, "concentration_nM": c, "volume_uL": volume,
                          "purification": "", "length_nt": sum(s.length_nt for s in sp.strands),
                          "sequence": " + ".join(_sequence(s, sequences) for s in sp.strands)})
        bottom = _bottom(sp)
        for j, s in enumerate(sp.strands):
            ratio = 1.0 if j == bottom else config.anneal_excess
            conc_rows.append({"name": s.name, "kind": "strand", "role": sp.role, "complex": sp.name,
                              "concentration_nM": c * ratio, "stock_uM": "", "volume_uL": "",
                              "purification": _purification(s, True), "length_nt": s.length_nt,
                              "sequence": _sequence(s, sequences)})
    buffer = _round(vol - v_in - total)
    if buffer < 0:
        raise DesignInfeasible(f"the species need {total:.4g} µL of the {vol - v_in:.4g} µL master mix; raise "
                               "volume_uL or max_stock_uM")
    conc_rows.append({"name": "inputs (see inputs.csv)", "kind": "inputs", "role": "input", "complex": "",
                      "concentration_nM": "", "stock_uM": "", "volume_uL": v_in, "purification": "",
                      "length_nt": "", "sequence": ""})
    conc_rows.append({"name": "buffer", "kind": "buffer", "role": "", "complex": "", "concentration_nM": "",
                      "stock_uM": "", "volume_uL": buffer, "purification": "", "length_nt": "",
                      "sequence": config.buffer})

    anneal_rows = []
    for sp in rows:
        if len(sp.strands) < 2:
            continue
        bottom = _bottom(sp)
        complex_stock = stock.get(sp.name) or nice_stock(10.0, config.max_stock_uM)
        for j, s in enumerate(sp.strands):
            ratio = 1.0 if j == bottom else config.anneal_excess
            anneal_rows.append({"complex": sp.name, "strand": s.name, "position": "bottom" if j == bottom else "top",
                                "ratio": ratio, "anneal_concentration_uM": complex_stock * ratio,
                                "buffer": config.buffer, "protocol": config.anneal_protocol})

    names = {i: n for i, n in enumerate(examples.class_names)}
    input_rows = []
    for e in range(examples.x.shape[0]):
        expected = "" if examples.expected is None else names.get(int(examples.expected[e]), "")
        used = 0.0
        for i, (plus, minus) in enumerate(examples.input_species):
            for rail, name in (("+", plus), ("-", minus)):
                if name is None:
                    continue
                c = float(inputs[name][e])
                v = _round(_volume(c, stock[name], vol))
                used += v
                input_rows.append({"example": e, "expected_class": expected, "input": examples.input_names[i],
                                   "value": float(examples.x[e, i]), "rail": rail, "strand": name,
                                   "concentration_nM": c, "stock_uM": stock[name], "volume_uL": v})
        fill = _round(v_in - used)
        if fill < 0:
            raise DesignInfeasible(f"example {e} needs {used:.4g} µL of inputs but {v_in:.4g} µL are kept for them; "
                                   "raise input_volume_fraction or max_stock_uM")
        input_rows.append({"example": e, "expected_class": expected, "input": "", "value": "", "rail": "",
                           "strand": "buffer", "concentration_nM": "", "stock_uM": "", "volume_uL": fill})

    readout_rows = [{"class": k, "plus_species": p, "minus_species": m or "", "rule": READOUT_RULE}
                    for k, (p, m) in zip(examples.class_names, examples.output_species)]
    return {"concentrations": conc_rows, "annealing": anneal_rows, "inputs": input_rows, "readout": readout_rows}


def render_markdown(tables: dict[str, list[dict]], config: LabConfig, unit_nM: float) -> str:
    """concentrations.md: the concentration table, annealing, buffer and protocol, and how to read the result."""
    lines = [f"# Reaction mix ({config.volume_uL:g} µL final volume)", "",
             f"One unit of network value is {unit_nM:g} nM. Concentrations are final (in the reaction); "
             "stocks are suggestions; add the listed volume of each stock, the inputs of one example "
             "(inputs.csv) and buffer to the final volume. Strands of a complex are annealed first "
             "(see below) and added as the complex.", ""]
    lines += markdown_table(CONCENTRATION_COLUMNS, tables["concentrations"])
    lines += ["", "## Annealing", "", f"Buffer: {config.buffer}. Protocol: {config.anneal_protocol}. "
              f"Top strands in {config.anneal_excess:g}× excess over the bottom strand.", ""]
    lines += markdown_table(ANNEALING_COLUMNS[:5], tables["annealing"]) if tables["annealing"] else ["(no complexes)"]
    lines += ["", "## Reading the result", "", f"{READOUT_RULE} (network units: divide by {unit_nM:g} nM).",
              ""]
    lines += markdown_table(READOUT_COLUMNS[:3], tables["readout"])
    return "\n".join(lines) + "\n"


def write_lab_tables(rows: Sequence[LabSpecies], examples: LabExamples, out_dir: str | Path,
                     config: LabConfig = LabConfig(), *, unit_nM: float = 10.0,
                     sequences: Mapping[str, str] | None = None, xlsx: bool = True) -> list[str]:
    """Write concentrations.csv/.md, annealing.csv, inputs.csv, readout.csv and (with openpyxl) plate.xlsx.

    ``sequences`` maps strand names to nucleotide sequences; without one a strand's
    ``sequence`` column holds its domain-level sequence. Returns the written paths.
    """
    tables = lab_tables(rows, examples, config, unit_nM=unit_nM, sequences=sequences)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    columns = {"concentrations": CONCENTRATION_COLUMNS, "annealing": ANNEALING_COLUMNS, "inputs": INPUT_COLUMNS,
               "readout": READOUT_COLUMNS}
    written = []
    for name, cols in columns.items():
        write_csv(out / f"{name}.csv", cols, tables[name])
        written.append(out / f"{name}.csv")
    (out / "concentrations.md").write_text(render_markdown(tables, config, unit_nM), encoding="utf-8")
    written.append(out / "concentrations.md")
    if xlsx and write_xlsx(out / "plate.xlsx", {name: (cols, tables[name]) for name, cols in columns.items()}):
        written.append(out / "plate.xlsx")
    return [str(p) for p in written]


__all__ = ["ANNEALING_COLUMNS", "CONCENTRATION_COLUMNS", "INPUT_COLUMNS", "READOUT_COLUMNS", "ROLES", "LabExamples",
           "LabSpecies", "LabStrand", "lab_examples", "lab_tables", "nice_stock", "render_markdown", "write_lab_tables"]
