"""The one table of a design folder's files: which stage writes each, what it is, whether it holds timings.

It serves the folder check (:func:`dsdcompile.stages.folder.planned_files`: what a run may
replace without ``--force``), the front page's file list (:mod:`dsdcompile.lab.frontpage`) and
the report's Files section (:mod:`dsdcompile.report.sections`). Descriptions are Markdown
(``**bold**``, ```code```); :func:`plain` gives their text for HTML.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFile:
    """A file (or an fnmatch pattern of files) of a design folder."""

    name: str
    stage: str
    description: str
    timings: bool = False  # holds wall-clock times: its bytes (and size) differ between identical runs


def _f(stage: str, *rows: tuple) -> tuple[OutputFile, ...]:
    return tuple(OutputFile(name, stage, desc, *rest) for name, desc, *rest in rows)


OUTPUTS: tuple[OutputFile, ...] = (
    *_f("crn",
        ("summary.json", "every figure of this page and the full configuration", True),
        ("formal.crn", "the compiled CRN"), ("reduced.crn", "the reduced CRN"),
        ("formal.json", "the compiled CRN (JSON)"), ("reduced.json", "the reduced CRN (JSON)"),
        ("formal.sbml", "the compiled CRN as SBML (network units)"), ("reduced.sbml", "the reduced CRN as SBML"),
        ("network.json", "layer sizes, names, preprocessing and ternary weights"),
        ("index.html", "**the browsable report**: network, CRNs, every complex drawn, verification, kinetics, "
                       "protocol")),
    *_f("agreement",
        ("examples.csv", "per example: network and CRN outputs (exact and ODE)"),
        ("trajectory.png", "CRN outputs over time for one example (arbitrary time units)"),
        ("convergence.png", "times to reach the fixed point from random initial states (rate-dependent CRNs)")),
    *_f("dsd",
        ("dsd.pil", "the DNA system in PIL (peppercorn reads it), at the planned concentrations"),
        ("strands.csv", "every strand: domains, length, role, module (and sequence)"),
        ("complexes.csv", "every complex: strands, structure, role, planned concentration"),
        ("domains.csv", "every domain: length and kind"),
        ("verified.crn", "the split CRN that verification checked: reaction k is module #k of verification.md"),
        ("verification.json", "the verification report as data", True),
        ("verification.md", "verification report (modules, whole system, reporters)", True),
        ("verification.html", "the verification report as a web page", True),
        ("README.md", "the front page: what the design is, from order to reading, every file")),
    *_f("kinetics",
        ("kinetics.csv", "per example: network, formal CRN and implementation outputs, t90"),
        ("kinetics_draws.csv", "formal CRN outputs per rate draw"),
        ("fuel.csv", "fuel plan: supplied and worst-case concentration per fuel"),
        ("leak.csv", "leak sweep"),
        ("kinetics_trajectories.png", "formal and implementation outputs over time"),
        ("kinetics_t90.png", "time to settle per example"),
        ("kinetics_rate_draws.png", "formal outputs under random rate constants"),
        ("kinetics_leak.png", "label agreement and error against the leak rate"),
        ("kinetics_*.png", "kinetics figure"),
        ("implementation.sbml", "the DNA implementation as SBML (nM, seconds, fuels at their planned concentrations)")),
    *_f("tube",
        ("fluorescence.csv", "simulated readout of the tube as planned (ideal, with free strands, with leak)"),
        ("fluorescence.png", "simulated fluorescence over time and read values against the network")),
    *_f("lab",
        ("concentrations.csv", "every species and strand: final concentration, stock, transfer volume, vessel"),
        ("concentrations.md", "the same as a readable table"),
        ("annealing.csv", "anneal pools: strands, ratios, sources and volumes"),
        ("inputs.csv", "per test example: input strands, dilution used and volume into its premix"),
        ("readout.csv", "which rails and dyes make each class's value"),
        ("plate.xlsx", "the protocol's steps and every table below as one workbook"),
        ("protocol.md", "**the protocol**: ordered steps from ordering strands to reading the plate"),
        ("pipetting.csv", "every dilution, anneal and mix with each transfer (all at or above the minimum volume)"),
        ("wells.csv", "plate map: sample and calibration wells with the readings the simulation expects"),
        ("lab_plan.json", "what `dsdcompile mix` needs to plan new samples"),
        ("reporters.csv", "readout reporters: rail, dye, well group, concentration, strands as ordered "
                          "(modifications)"),
        ("dyes.csv", "the fluorescence channel table used (edit and pass back with --dyes)")),
    *_f("sequences",
        ("sequences.csv", "nucleotide sequence of every domain"),
        ("sequence_report.md", "sequence design report (folding, crosstalk, complexes)"),
        ("sequence_report.json", "the sequence report as data"),
        ("sequence_report.png", "sequence design figures"),
        ("order_plates.xlsx", "order sheet, 96-well plates (vendor format; reporter strands with dye/quencher codes)"),
        ("order_plate_*.csv", "order sheet for one plate (CSV)"),
        ("order_tubes.csv", "order sheet, one tube per strand with scale and purification")),
)
STAGES = tuple(dict.fromkeys(f.stage for f in OUTPUTS))


def stage_files(stage: str) -> tuple[str, ...]:
    """The names and patterns ``stage`` may write."""
    return tuple(f.name for f in OUTPUTS if f.stage == stage)


def output_file(name: str) -> OutputFile | None:
    """The table's row for ``name``: its own, else the first pattern it matches (None for a file not in the table)."""
    for f in OUTPUTS:
        if f.name == name:
            return f
    return next((f for f in OUTPUTS if fnmatch.fnmatchcase(name, f.name)), None)


def description(name: str) -> str:
    """The Markdown description of ``name`` ("" when the table does not know it)."""
    f = output_file(name)
    return f.description if f is not None else ""


def plain(text: str) -> str:
    """A description without its Markdown marks (for HTML, which escapes them)."""
    return text.replace("**", "").replace("`", "")


def holds_timings(name: str) -> bool:
    f = output_file(name)
    return f is not None and f.timings


__all__ = ["OUTPUTS", "STAGES", "OutputFile", "description", "holds_timings", "output_file", "plain", "stage_files"]
