"""``dsdcompile sequences DESIGN``: nucleotide sequences, checks and order sheets for a design folder.

Exit status: 0 when every check passes, 5 (:class:`dsdcompile.errors.SequenceChecksFailed`) when
checks still fail after the repair rounds (the folder and its report are written all the same;
``--allow-failures`` exits 0 then), 2 for bad input, 1 for other failures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from dsdcompile.cli import errors
from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import EXIT_SEQUENCE_CHECKS, InputError

_SEQ = SequenceConstraints()


def sequence_options(f):
    """The constraint options of ``sequences``.

    ``compile --sequences`` designs with the default constraints: of these it offers only the seed
    (as ``--seq-seed``).
    """
    opts = [
        click.option("--seed", "seq_seed", type=int, default=_SEQ.seed, show_default=True,
                     help="Seed of the sequence search (same seed, same sequences)."),
        click.option("--temperature", "seq_temperature", type=float, default=_SEQ.temperature_C, show_default=True,
                     help="Reaction temperature (°C) of every free-energy evaluation."),
        click.option("--sodium", "seq_sodium", type=float, default=_SEQ.sodium_M, show_default=True,
                     help="Monovalent cations (M); the default is 1x TAE's Tris+ (40 mM Tris counted as 20 mM)."),
        click.option("--magnesium", "seq_magnesium", type=float, default=_SEQ.magnesium_M, show_default=True,
                     help="Mg2+ (M); ViennaRNA sees [Na+] + 3.3 sqrt([Mg2+]) (Peyret 2000). --sodium 1.021 "
                          "--magnesium 0 gives ViennaRNA's standard 1.021 M Na+."),
        click.option("--three-letter/--four-letter", "seq_three_letter", default=_SEQ.three_letter,
                     show_default=True, help="A/C/T on signal strands (their complements A/G/T)."),
        click.option("--kmer", "seq_kmer", type=int, default=_SEQ.kmer, show_default=True,
                     help="No unintended complementary window of this many nucleotides (SSM)."),
        click.option("--gc", "seq_gc", type=(float, float), default=(_SEQ.gc_min, _SEQ.gc_max), show_default=True,
                     help="GC fraction window of long domains."),
        click.option("--max-paired", "seq_max_paired", type=int, default=_SEQ.max_paired, show_default=True,
                     help="Paired bases allowed in a single strand's MFE structure."),
        click.option("--crosstalk-dG", "seq_crosstalk", type=float, default=_SEQ.crosstalk_dG, show_default=True,
                     help="Non-partner free strands must bind more weakly than this (kcal/mol)."),
        click.option("--toehold-window", "seq_toehold_window", type=float, default=_SEQ.toehold_window,
                     show_default=True, help="Width (kcal/mol) of the toehold binding-energy window."),
        click.option("--iterations", "seq_iterations", type=int, default=_SEQ.max_iterations, show_default=True,
                     help="Symmetry-minimisation steps."),
        click.option("--repair-rounds", "seq_repair_rounds", type=int, default=_SEQ.repair_rounds,
                     show_default=True, help="Check-and-repair rounds with ViennaRNA (stops early once all pass)."),
        click.option("--synthesis-limit", "seq_synthesis_limit", type=int, default=_SEQ.synthesis_limit_nt,
                     show_default=True, help="Longest strand a vendor synthesises (nt): longer ones are flagged."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def constraints_from(kw: dict) -> SequenceConstraints:
    """Options → constraints (pops the ``seq_*`` keys); bad values raise InputError."""
    gc = kw.pop("seq_gc")
    return replace(_SEQ, seed=kw.pop("seq_seed"), temperature_C=kw.pop("seq_temperature"),
                   sodium_M=kw.pop("seq_sodium"), magnesium_M=kw.pop("seq_magnesium"),
                   repair_rounds=kw.pop("seq_repair_rounds"), three_letter=kw.pop("seq_three_letter"),
                   kmer=kw.pop("seq_kmer"), gc_min=gc[0], gc_max=gc[1],
                   max_paired=kw.pop("seq_max_paired"), crosstalk_dG=kw.pop("seq_crosstalk"),
                   toehold_window=kw.pop("seq_toehold_window"), max_iterations=kw.pop("seq_iterations"),
                   synthesis_limit_nt=kw.pop("seq_synthesis_limit"))


def run_sequences(design_dir: Path, constraints: SequenceConstraints, *, quiet: bool, order: bool = True,
                  allow_failures: bool = False) -> dict:
    """Design, check and write; raises SequenceChecksFailed (exit 5) after writing when checks still fail,
    unless ``allow_failures``."""
    from dsdcompile.runtime.progress import Progress
    from dsdcompile.stages.sequence_files import sequence_design_folder

    design, block = sequence_design_folder(design_dir, constraints, progress=Progress(quiet=quiet), order=order)
    counts = design.failing_counts()
    if not quiet:
        cond = block["conditions"]
        lines = [f"sequences: {block['domains']} domains, {block['distinct_strands']} distinct strands at "
                 f"{cond['temperature_C']:g} °C, {cond['sodium_M']:g} M Na+, {cond['magnesium_M']:g} M Mg2+",
                 f"fuel complexes with intended MFE: {100 * (block['fuel_complexes_mfe_fraction'] or 0):.1f} %; "
                 f"worst crosstalk {block['worst_crosstalk_dG']} kcal/mol (gate regions: "
                 f"{(block['gate_crosstalk'] or {}).get('worst_dG')} kcal/mol); failing: {counts}"]
        if "feasibility" in block:
            lines.append(f"feasibility: {block['feasibility'].get('verdict')}")
        for w in block.get("order", {}).get("warnings", [])[:5]:
            lines.append(f"warning: {w}")
        lines.append(f"sequences written to {design_dir}/ (sequence_report.md)")
        click.echo("\n".join(lines))
    if not block["passed"] and not allow_failures:
        raise design.checks_failed(design_dir, len(block["repair_rounds"]))
    return block


@click.command("sequences")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@sequence_options
@click.option("--order/--no-order", default=True, show_default=True,
              help="Write IDT-style plate and tube order sheets.")
@click.option("--allow-failures", is_flag=True,
              help=f"Exit 0 even when checks still fail after the repair rounds (default: exit "
                   f"{EXIT_SEQUENCE_CHECKS}, with the folder and report written).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or stage messages.")
def sequences(design: Path, order: bool, allow_failures: bool, quiet: bool, **kw) -> None:
    """Design nucleotide sequences for the DSD design folder DESIGN (from dsdcompile MODEL --scheme ...).

    \b
    Exit status: 0 all checks pass (or --allow-failures); 5 checks still fail after the
    repair rounds (folder and sequence_report.md written; the failing items and what to try
    are printed); 2 bad input (nothing written); 1 other failure.
    """
    with errors.reported(on_interrupt="no sequence file was written"):
        constraints = constraints_from(kw)
        if not design.is_dir():
            raise InputError(f"{design}: no such design folder")
        run_sequences(design, constraints, quiet=quiet, order=order, allow_failures=allow_failures)


__all__ = ["constraints_from", "run_sequences", "sequence_options", "sequences"]
