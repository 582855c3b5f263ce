"""Verification of the readout reporters: each is a correct ``Y -> ∅`` module, and none can change the computation.

What is proved, and under which assumptions:

1. Every reporter module (reporter duplex + the signal strand of one output rail Y, enumerated
   by peppercorn) is checked by the same modular bisimulation as the computing modules against
   the formal reaction ``Y -> ∅``: the reporter complex is a fuel, and the released fluorophore
   strand and the signal/quencher duplex are interpreted as ∅.
2. Every reported species is a reactant of no reaction of the CRN the modules implement
   (checked here on that CRN, not assumed). Then adding ``Y -> ∅`` changes no other species'
   rate of change, so every trajectory but Y's, and therefore every other output, is the same
   with or without reporters; and every molecule of Y that the CRN makes becomes exactly one
   fluorophore strand, so with the reporter in excess the fluorescence counts what the CRN
   would have left in Y.

Not covered: interactions between a reporter and other modules' complexes (modular
enumeration, as for every module), and how fast the reporter reads (the kinetics stage
simulates that, reporters included).
"""

from __future__ import annotations

from collections.abc import Mapping

from dsdcompile.config import ExecutionConfig, VerificationConfig
from dsdcompile.dsd.reporters import ReporterSet, consumed_outputs
from dsdcompile.ir import CRN
from dsdcompile.verify.result import Verdict, combine

ARGUMENT = ("Each reporter implements Y -> ∅ (reporter complex a fuel; fluorophore strand and signal:quencher "
            "duplex interpreted as ∅), verified like every module. Every reported Y is a reactant of no reaction "
            "of the CRN (checked), so no other species' rate depends on [Y]: all other trajectories are unchanged, "
            "and each Y molecule made releases one fluorophore strand.")


def verify_reporters(reporters: ReporterSet, crn: CRN, config: VerificationConfig | None = None, *,
                     execution: ExecutionConfig | None = None, executor=None) -> dict:
    """The ``reporters`` block of the verification result (verdict, terminal check, per-shape verdicts)."""
    from dsdcompile.verify.modular import verify_modules

    if reporters.skipped is not None:
        return {"reporters": 0, "verdict": Verdict.NONE, "skipped": reporters.skipped,
                "consumed_outputs": list(reporters.consumed)}
    species = [r.species for r in reporters.reporters]
    consumed = consumed_outputs(crn, species)
    checked = verify_modules(list(reporters.modules), config, execution=execution, executor=executor)
    verdict = checked.verdict if not consumed else combine([checked.verdict, Verdict.NOT_EQUIVALENT])
    return {
        "reporters": len(species),
        "verdict": verdict,
        "method": checked.method,
        "terminal": not consumed,
        "reported_species": species,
        "consumed_outputs": list(consumed),
        "argument": ARGUMENT,
        "seconds": round(checked.seconds, 3),
        "modules": [m.to_dict() for m in checked.modules],
    }


def outline_section(block: Mapping | None) -> list[tuple]:
    """The report's "Readout reporters" section as outline blocks (see dsdcompile.verify.report.outline)."""
    if not block:
        return []
    doc: list[tuple] = [("h2", "Readout reporters")]
    if block.get("skipped"):
        return doc + [("p", f"No reporters: {block['skipped']}.")]
    mark = "yes" if block.get("terminal") else "**no**"
    doc.append(("list", [f"**Verdict:** {block['verdict']} ({block['reporters']} reporters, {block.get('method')})",
                         f"**Every reported species is a terminal output:** {mark} "
                         f"({', '.join(block.get('reported_species', []))})"]))
    if block.get("argument"):
        doc.append(("p", block["argument"]))
    for m in block.get("modules", []):
        doc.append(("p", f"Shape `{m['shape']}` — {m['verdict']} ({m['instances']} reporters). Interpretation of "
                         "the representative: " + ", ".join(f"`{k}` → {v}" for k, v in m["interpretation"].items())))
        doc.append(("pre", list(m.get("reactions", []))))
    if block.get("consumed_outputs"):
        doc.append(("list", [f"consumed: {c}" for c in block["consumed_outputs"]]))
    return doc


__all__ = ["ARGUMENT", "outline_section", "verify_reporters"]
