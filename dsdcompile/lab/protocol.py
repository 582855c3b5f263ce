"""protocol.md: the ordered steps from ordering strands to reading the answer, written from the pipetting plan.

The same steps go into plate.xlsx (sheet ``protocol``); their number is summary.json's
``lab.steps``. Purification and readout follow the strand-displacement literature: gates
annealed with excess top strands and purified by native PAGE (Qian & Winfree, Science 2011;
Chen et al., Nature Nanotechnology 2013), fluorophore/quencher reporters read in a plate
reader or qPCR machine and normalised with fluorophore standards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dsdcompile.lab.tables import LabDesign, lab_tables, readout_rows
from dsdcompile.runtime.files import markdown_table, md_escape

PROTOCOL_COLUMNS = ("step", "title", "what to do", "table")
_EPSILON_260 = {"A": 15400.0, "C": 7400.0, "G": 11500.0, "T": 8700.0}  # /M/cm per nucleotide, single-stranded


@dataclass(frozen=True)
class Step:
    """One protocol step: a title, what to do (sentences), and the file or sheet that holds its numbers."""

    title: str
    text: str
    table: str = ""


def epsilon_260(sequence: str) -> float | None:
    """Single-stranded extinction coefficient at 260 nm by base composition (/M/cm); None for a domain-level text."""
    if not sequence or set(sequence) - set(_EPSILON_260):
        return None
    return sum(_EPSILON_260[b] for b in sequence)


def _pool_epsilon(design: LabDesign, pool, sequences: Mapping[str, str] | None) -> float | None:
    """A pool's A260 per cm at its working concentration (single-stranded ε, no hypochromicity), or None."""
    if sequences is None:
        return None
    by_name = design.by_name()
    total = 0.0
    for cname in pool.complexes:
        sp = by_name[cname]
        for s in sp.strands:
            eps = epsilon_260(sequences.get(s.name, ""))
            if eps is None:
                return None
            total += eps * pool.final_nM[cname] * pool.working_factor * 1e-9
    return total


def protocol_steps(design: LabDesign, *, tube_summary: Mapping | None = None,
                   sequences: Mapping[str, str] | None = None) -> list[Step]:
    """The protocol's steps in order: prepare the strands and pools, mix and fill the plate, read and interpret."""
    t = tube_summary or {}
    return _preparation_steps(design, t, sequences) + _mixing_steps(design) + _reading_steps(design, t)


def _preparation_steps(design: LabDesign, t: Mapping, sequences: Mapping[str, str] | None) -> list[Step]:
    """Order, stocks, dilutions, anneal, purify (to the purity the tube's sweep requires), reporter pools."""
    cfg, plan = design.config, design.plan
    strands = sum(len(sp.strands) for sp in design.species if sp.role not in ("input", "output")) + sum(
        1 for sp in design.species if sp.role == "input")
    reporters = [p for p in plan.pools if p.reporter_group is not None]
    fuels = [p for p in plan.pools if p.reporter_group is None]
    steps = [
        Step("Order the strands",
             f"Order the {strands} strands of the design from the order sheets. Synthesis purification: PAGE for gate "
             "strands and strands over 60 nt, HPLC for the dye- and quencher-labelled reporter strands (their "
             "modifications, in the vendor's notation, are in reporters.csv and in the sequences of the order "
             "sheets), standard desalting for the rest.", "order_plates.xlsx, order_tubes.csv, reporters.csv"),
        Step("Make strand stocks",
             f"Resuspend every strand at {cfg.max_stock_uM:g} uM in {md_escape(cfg.buffer)} (uL of buffer = "
             f"{1000 / cfg.max_stock_uM:g} x nmol delivered) and check the concentration by A260.",
             "concentrations.csv"),
    ]
    if plan.dilutions:
        steps.append(Step("Dilute strands",
                          f"Make the {len(plan.dilutions)} 1:10 dilutions that keep every transfer at or above "
                          f"{cfg.min_volume_uL:g} uL, most concentrated first (each takes a tenth of its volume from "
                          "the level above).", "pipetting.csv (kind dilution)"))
    steps.append(Step("Anneal the gate pools",
                      f"Mix the strands of each of the {len(fuels)} gate pools as listed (bottom strands, where inputs "
                      f"bind, at 1x, top strands at {cfg.anneal_excess:g}x) and anneal: {cfg.anneal_protocol}. "
                      "Complexes in one pool "
                      "have the same role and size and no strand of one pairs with a long domain of another.",
                      "annealing.csv, pipetting.csv (kind anneal)"))
    eps = [e for e in (_pool_epsilon(design, p, sequences) for p in plan.pools) if e is not None]
    adjust = ("to the target A260 listed per pool in protocol.md (1 cm path; single-stranded extinction coefficients "
              "by base composition; measure a dilution heat-denatured, at 90 C, as duplexes absorb less)" if eps else
              "to the working concentration listed per pool in protocol.md")
    steps.append(Step("Purify and quantify the pools",
                      f"Run every pool (gate and reporter pools) on {cfg.purification} (non-denaturing, 1x TAE with "
                      "12.5 mM Mg2+), cut out the complex band (excess single strands run faster), elute and "
                      f"concentrate, then dilute with buffer {adjust}. The plan assumes {cfg.recovery:.0%} recovery; "
                      "with less, add proportionally more of that pool to its mix. " + _acceptance(cfg, t),
                      "protocol.md (pools), pipetting.csv"))
    if reporters:
        steps.append(Step("Anneal the reporter pools",
                          f"Anneal one reporter pool per well group ({len(reporters)}): quencher strands at "
                          f"{cfg.anneal_excess:g}x over the fluorophore strands (no fluorophore strand is left "
                          "unquenched), same program; purify with the gate pools (next step). Keep reporters "
                          "dark.", "annealing.csv"))
    return steps


def _mixing_steps(design: LabDesign) -> list[Step]:
    """Master mix, reporter mixes, sample premixes and the plate."""
    cfg, plan = design.config, design.plan
    n = design.examples.x.shape[0]
    steps: list[Step] = []
    steps.append(Step("Make the fuel master mix",
                      f"Combine the purified gate pools, single-stranded fuels and bias strands with buffer: "
                      f"{plan.master_mix.volume_uL:g} uL for {len(plan.wells)} wells and dead volume "
                      f"({plan.master_mix.note}).", "pipetting.csv (master mix)"))
    if plan.reporter_mixes:
        steps.append(Step("Make the reporter mixes",
                          f"One per well group ({len(plan.reporter_mixes)}), each with its purified reporter pool "
                          f"and buffer ({plan.reporter_mixes[0].note}).", "pipetting.csv (reporter mix)"))
    omitted = f"; {len(plan.omitted_inputs)} input amounts below one transfer are left out (inputs.csv)" \
        if plan.omitted_inputs else ""
    steps.append(Step("Make the sample premixes",
                      f"For each of the {n} samples, combine its input strands from the stocks or dilutions listed "
                      f"with buffer ({plan.premixes[0].note if plan.premixes else ''}){omitted}. For new samples run "
                      "`dsdcompile mix DESIGN --inputs samples.csv` (it writes their sheets into a new folder).",
                      "inputs.csv"))
    fractions = ", ".join(f"{v.fraction:g}" for v in plan.calibration if v.group == 0)
    group_text = (f"Every sample runs in {design.groups} wells (one per reporter group, same master mix)"
                  if design.groups > 1 else "Every sample runs in one well")
    steps.append(Step("Fill the plate",
                      f"{group_text}: per well, master mix, the group's reporter mix, then the sample premix last "
                      f"(time zero), {cfg.volume_uL:g} uL in all; mix by pipetting and seal. Fill the "
                      f"{len(plan.calibration)} calibration wells: reporter mix, the group's standard mix (its "
                      f"fluorophore strands, pipetting.csv kind standard) at {fractions} x the top standard of "
                      f"{design.calibration_top_nM:g} nM per strand, buffer.", "wells.csv"))
    return steps


def _reading_steps(design: LabDesign, t: Mapping) -> list[Step]:
    """Incubate and read at the read time, then turn the readings into a class."""
    cfg = design.config
    steps: list[Step] = []
    read = design.read_time_h
    t90 = t.get("reporter_t90_hours_max", float("nan"))
    read_text = (f"read every 5 min until {read:g} h, the slowest test example's simulated t90 ({t90:.3g} h) "
                 f"times {cfg.read_margin:g}" if read is not None else "read until the signals are flat")
    dyes = ", ".join(dict.fromkeys(f"{md_escape(r.dye.dye)} (ex {r.dye.excitation_nm:g} / em "
                                   f"{r.dye.emission_nm:g} nm)" for r in design.readout)) or "no reporters"
    steps.append(Step("Run and read",
                      f"Incubate at {cfg.reaction_temperature_C:g} C in the plate reader ({dyes}); {read_text}.",
                      "wells.csv"))
    steps.append(Step("Interpret the reading",
                      "For each dye, fit a line through the calibration wells' readings at the read time against "
                      "their standards; a rail's amount is (reading - intercept) / slope. A class's value is its "
                      f"plus rail minus its minus rail, divided by {design.unit_nM:g} nM (one unit); the predicted "
                      "class is the largest value. wells.csv lists the readings the simulation expects.",
                      "readout.csv, wells.csv, fluorescence.csv"))
    return steps




def _acceptance(cfg, tube: Mapping) -> str:
    """The purity a purified pool must reach, from the simulated tube's purity sweep."""
    planned = tube.get("residual_free_fraction", cfg.residual_fraction)
    assumed = tube.get("residual_free_fraction_assumed", cfg.residual_fraction)
    text = f"The tube as planned was simulated with {planned:.1%} of every excess strand left free"
    tol = tube.get("impurity_tolerance")
    if "impurity_sweep" not in tube:
        return text + "."
    if tol is None:
        return (text + f"; even {min(r['residual_free_fraction'] for r in tube['impurity_sweep']):.1%} loses a "
                "label (kinetics.impurity_sweep): this design needs gates purer than a gel gives.")
    text += (f"; every test label holds up to {tol:.1%} (kinetics.impurity_sweep). Acceptance: check each "
             f"purified pool on a native gel and purify again any pool whose free-strand bands exceed "
             f"{planned:.1%} of its complex band.")
    if planned < assumed:
        text += (f" One gel purification is assumed to leave {assumed:.1%} (LabConfig.residual_fraction), which "
                 "loses a label here: expect to purify twice.")
    else:
        text += (f" One gel purification (assumed to leave {assumed:.1%}, LabConfig.residual_fraction) is "
                 "enough.")
    return text + _margin_note(tube, assumed)


def _margin_note(tube: Mapping, assumed: float) -> str:
    """What the network's class margin buys against the free strands (empty when the tube did not record it)."""
    margin, err = tube.get("class_margin"), tube.get("impurity_error_at_assumed")
    if margin is None or err is None:
        return ""
    return (f" Margin: the network's smallest class gap on these examples is {margin:.3g} of its largest value "
            f"(kinetics.class_margin); {assumed:.1%} free strands move a class value by up to {err:.3g} of it "
            "(kinetics.impurity_error_at_assumed), so a label is at risk only where the gap is smaller than the "
            "error on both classes together.")


def protocol_rows(steps: list[Step]) -> list[dict]:
    return [{"step": k, "title": s.title, "what to do": s.text, "table": s.table} for k, s in enumerate(steps, 1)]


def _pool_table(design: LabDesign, sequences: Mapping[str, str] | None = None) -> list[str]:
    rows = []
    for p in design.plan.pools:
        kind = "reporters, well group " + str(p.reporter_group + 1) if p.reporter_group is not None else "gates"
        first = p.complexes[0]
        eps = _pool_epsilon(design, p, sequences)
        rows.append((p.name, kind, len(p.complexes), p.vessel.volume_uL, f"{p.factor:.4g}",
                     f"{p.working_factor:.4g}", f"{p.final_nM[first] * p.working_factor / 1000:.4g} ({first})",
                     "" if eps is None else f"{eps:.4g}"))
    return markdown_table(("pool", "contents", "complexes", "anneal volume (uL)", "annealed at x final",
                           "working x final", "working uM of first complex", "target A260 (1 cm, denatured)"), rows)


def protocol_markdown(design: LabDesign, steps: list[Step], sequences: Mapping[str, str] | None = None) -> str:
    """protocol.md: overview, the steps, the pools, the well recipe and the expected outcome."""
    cfg, plan = design.config, design.plan
    lines = ["# Protocol", "",
             f"One unit of network value is {design.unit_nM:g} nM. Every transfer is at least "
             f"{plan.min_volume():.3g} uL (minimum {cfg.min_volume_uL:g} uL). Buffer: {cfg.buffer}. "
             f"Reaction: {cfg.volume_uL:g} uL per well at {cfg.reaction_temperature_C:g} C.", ""]
    for note in design.notes:
        lines += [f"Note: {note}.", ""]
    lines += ["## Steps", ""]
    for k, s in enumerate(steps, 1):
        # the steps' text is the program's own prose (names in it are escaped where they are inserted)
        lines += [f"{k}. **{s.title}.** {s.text}" + (f" ({s.table})" if s.table else "")]
    lines += ["", "## Anneal pools", ""] + _pool_table(design, sequences)
    lines += ["", "## A reaction well", ""]
    if plan.wells:
        well = plan.wells[0]
        rows = [(c.item, round(c.volume_uL, 3), f"{c.source_nM:.4g}x final") for c in well.components]
        if well.buffer_uL > 1e-9:
            rows.append(("buffer", round(well.buffer_uL, 3), ""))
        lines += markdown_table(("component", "uL", "concentration"), rows)
    lines += ["", "## Reading", ""]
    lines += markdown_table(("class", "plus rail", "plus dye", "minus rail", "minus dye", "well"),
                            [(r["class"], r["plus_species"], r["plus_dye"], r["minus_species"], r["minus_dye"],
                              r["well"]) for r in readout_rows(design)])
    if plan.omitted_inputs:
        lines += ["", "## Inputs left out", ""] + [f"- {md_escape(s)}" for s in plan.omitted_inputs]
    return "\n".join(lines) + "\n"


def reporter_rows(design: LabDesign, sequences: Mapping[str, str] | None) -> list[dict]:
    """reporters.csv: every reporter's dye, well group, concentration and its two strands as ordered."""
    by_name = design.by_name()
    rows = []
    for r in design.readout:
        sp = by_name.get(r.reporter)
        if sp is None:
            continue
        fl, q = sp.strands[0], sp.strands[1]  # dsdcompile.dsd.reporters: fluorophore strand first
        fseq = sequences.get(fl.name, fl.domains) if sequences else fl.domains
        qseq = sequences.get(q.name, q.domains) if sequences else q.domains
        rows.append({"reporter": r.reporter, "species": r.species, "class": r.output, "rail": "+" if r.rail > 0
                     else "-", "well_group": r.group + 1, "dye": r.dye.dye, "quencher": r.dye.quencher,
                     "concentration_nM": sp.concentration_nM, "fluorophore_strand": fl.name,
                     "fluorophore_order": f"{fseq}{r.dye.fluorophore_3prime}", "quencher_strand": q.name,
                     "quencher_order": f"{r.dye.quencher_5prime}{qseq}", "purification": "HPLC"})
    return rows


def order_annotations(design: LabDesign) -> dict[str, tuple[str, str, str]]:
    """Strand name → (5' modification, 3' modification, purification) for the order sheets' reporter strands."""
    by_name = design.by_name()
    out = {}
    for r in design.readout:
        sp = by_name.get(r.reporter)
        if sp is None:
            continue
        out[sp.strands[0].name] = ("", r.dye.fluorophore_3prime, "HPLC")
        out[sp.strands[1].name] = (r.dye.quencher_5prime, "", "HPLC")
    return out


def annotations_from_folder(folder) -> dict[str, tuple[str, str, str]] | None:
    """The reporter strands' order annotations from a design folder's reporters.csv (None without one)."""
    from pathlib import Path

    from dsdcompile.runtime.files import csv_dicts
    from dsdcompile.runtime.resources import open_text

    path = Path(folder) / "reporters.csv"
    if not path.is_file():
        return None
    out = {}
    with open_text(path, "reporter table") as fh:
        for r in csv_dicts(fh):
            fl, q = r.get("fluorophore_order", ""), r.get("quencher_order", "")
            mod3 = fl[fl.index("/"):] if "/" in fl else ""
            mod5 = q[:q.rindex("/") + 1] if "/" in q else ""
            out[r["fluorophore_strand"]] = ("", mod3, r.get("purification") or "HPLC")
            out[r["quencher_strand"]] = (mod5, "", r.get("purification") or "HPLC")
    return out


def write_concentrations_md(design: LabDesign, path, sequences: Mapping[str, str] | None, *,
                            tables: Mapping[str, list[dict]] | None = None) -> None:
    """concentrations.md: the concentration table as Markdown, pointing to the protocol.

    ``tables``: :func:`~dsdcompile.lab.tables.lab_tables` of ``design`` with ``sequences``, when computed already."""
    from dsdcompile.lab.tables import CONCENTRATION_COLUMNS

    tables = lab_tables(design, sequences=sequences) if tables is None else tables
    lines = [f"# Reaction mix ({design.config.volume_uL:g} uL per well)", "",
             f"One unit of network value is {design.unit_nM:g} nM. Concentrations are final (in a reaction well); "
             "volumes are transfers into the vessel named (see protocol.md for the order of the steps).", ""]
    lines += markdown_table(CONCENTRATION_COLUMNS, tables["concentrations"])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


__all__ = ["PROTOCOL_COLUMNS", "Step", "epsilon_260", "order_annotations", "protocol_markdown", "protocol_rows",
           "protocol_steps", "reporter_rows", "write_concentrations_md"]
