"""``dsdcompile sequences DESIGN``: nucleotide sequences, checks and order sheets for a design folder."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from dsdcompile.errors import EXIT_INTERRUPTED, DsdCompileError, InputError
from dsdcompile.sequences.constraints import SequenceConstraints

_SEQ = SequenceConstraints()


def sequence_options(f):
    """The constraint options, shared by ``sequences`` and ``compile --sequences``."""
    opts = [
        click.option("--seed", "seq_seed", type=int, default=_SEQ.seed, show_default=True,
                     help="Seed of the sequence search (same seed, same sequences)."),
        click.option("--temperature", "seq_temperature", type=float, default=_SEQ.temperature_C, show_default=True,
                     help="Temperature (°C) of every free-energy evaluation."),
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
                   three_letter=kw.pop("seq_three_letter"), kmer=kw.pop("seq_kmer"), gc_min=gc[0], gc_max=gc[1],
                   max_paired=kw.pop("seq_max_paired"), crosstalk_dG=kw.pop("seq_crosstalk"),
                   toehold_window=kw.pop("seq_toehold_window"), max_iterations=kw.pop("seq_iterations"),
                   synthesis_limit_nt=kw.pop("seq_synthesis_limit"))


def run_sequences(design_dir: Path, constraints: SequenceConstraints, *, quiet: bool, order: bool = True) -> dict:
    from dsdcompile.progress import Progress
    from dsdcompile.sequences.api import sequence_design_folder

    design, block = sequence_design_folder(design_dir, constraints, progress=Progress(quiet=quiet), order=order)
    if not quiet:
        f = block["failing"]
        lines = [f"sequences: {block['domains']} domains, {block['distinct_strands']} distinct strands",
                 f"fuel complexes with intended MFE: {100 * (block['fuel_complexes_mfe_fraction'] or 0):.1f} %; "
                 f"worst crosstalk {block['worst_crosstalk_dG']} kcal/mol; failing: strands {f['strands']}, "
                 f"complexes {f['complexes']}, crosstalk pairs {f['crosstalk_pairs']}"]
        if "feasibility" in block:
            lines.append(f"feasibility: {block['feasibility'].get('verdict')}")
        for w in block.get("order", {}).get("warnings", [])[:5]:
            lines.append(f"warning: {w}")
        lines.append(f"sequences written to {design_dir}/ (sequence_report.md)")
        click.echo("\n".join(lines))
    return block


@click.command("sequences")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@sequence_options
@click.option("--order/--no-order", default=True, show_default=True,
              help="Write IDT-style plate and tube order sheets.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or stage messages.")
def sequences(design: Path, order: bool, quiet: bool, **kw) -> None:
    """Design nucleotide sequences for the DSD design folder DESIGN (from dsdcompile MODEL --scheme ...)."""
    try:
        constraints = constraints_from(kw)
        if not design.is_dir():
            raise InputError(f"{design}: no such design folder")
        run_sequences(design, constraints, quiet=quiet, order=order)
    except DsdCompileError as e:
        click.echo(f"dsdcompile: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("dsdcompile: interrupted; no sequence file was written", err=True)
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["constraints_from", "run_sequences", "sequence_options", "sequences"]
