"""``dsdcompile schemes [MODEL_OR_CRN]``: the available translation schemes, or all of them compared on one network.

Without an argument: every scheme dsdcompile can load by name, how it is defined and its citation. With a
model or CRN: :func:`dsdcompile.stages.compare.compare_schemes` compiles it once and runs every scheme's
design stages (with ``--inputs``: kinetics, the tube and the lab protocol too, on ``--examples`` of its
rows), and one table and one page compare them (``schemes.csv``, ``schemes.json``, ``schemes.md``,
``schemes.html`` in ``--out``). ``--write-prices FILE`` writes the default order-cost price table to
edit; ``--prices FILE`` uses an edited one. A thin wrapper: the work is in :mod:`dsdcompile.stages.compare`.
"""

from __future__ import annotations

from pathlib import Path

import click

from dsdcompile.cli import errors
from dsdcompile.errors import DsdCompileError


def _listing() -> list[tuple[str, str, str]]:
    from dsdcompile.dsd.schemes import available_schemes, load_scheme
    from translation_schemes import BUILTIN

    rows = []
    for name in available_schemes():
        target = BUILTIN.get(name, "")
        how = "nuskell language (.ts)" if target.endswith(".ts") else "Python" if target else "entry point"
        try:
            citation = load_scheme(name).citation
        except DsdCompileError as e:
            citation = f"(does not load: {e})"
        rows.append((name, how, citation))
    return rows


@click.command("schemes")
@click.argument("source", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--scheme", "chosen", multiple=True, help="Compare only these schemes (names or .ts/.py files); "
              "repeat the option. Default: every available scheme.")
@click.option("--inputs", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV of examples (as for compile): adds the kinetics, tube and order-cost columns.")
@click.option("--examples", type=click.IntRange(min=-1), default=24, show_default=True,
              help="How many --inputs rows (spread evenly through the file) the kinetics, tube and cost columns "
                   "simulate; -1: all, 0: none.")
@click.option("--kinetics/--no-kinetics", default=True, show_default=True,
              help="With --inputs: the kinetics, tube and cost columns (--no-kinetics: DSD and verification only).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for schemes.csv, schemes.json, schemes.md and schemes.html "
                   "(default: <source stem>_schemes).")
@click.option("--force", is_flag=True, help="Replace --out even if it holds other files (kept as a backup).")
@click.option("--prices", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Order-cost price table (TOML) to use instead of the shipped defaults (see --write-prices).")
@click.option("--write-prices", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the default price table to this file, to edit and pass back with --prices, and stop.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
              help="Seconds one scheme may take (its DSD, kinetics, tube and lab stages); a scheme stopped is "
                   "recorded in its row as 'stopped'. Raise it to wait for a slow scheme's verdict.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Process pool size (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or messages.")
def schemes(source: Path | None, chosen: tuple[str, ...], inputs: Path | None, examples: int, kinetics: bool,
            out: Path | None, force: bool, prices: Path | None, write_prices: Path | None, timeout: float,
            workers: int | None, quiet: bool) -> None:
    """List the translation schemes with their citations, or compare them on SOURCE (a model or a CRN).

    \b
    Exit codes: 0 the table was written (a scheme that fails has its row, with the reason);
    2 bad usage or input (nothing written); 130 interrupted (nothing written).
    """
    errors.take_interrupts()
    with errors.reported(on_interrupt="nothing was written"):
        if write_prices is not None:
            from dsdcompile.stages.compare import write_price_table

            write_price_table(write_prices, force=force)
            click.echo(f"wrote {write_prices} (edit it, then pass it with --prices)", err=True)
            return
        if source is None:
            for name, how, citation in _listing():
                click.echo(f"{name}  [{how}]\n    {citation}")
            return
        _compare(source, chosen, inputs, examples, kinetics, out, force, prices, timeout, workers, quiet)
    errors.interrupt_after_writing()


def _compare(source: Path, chosen: tuple[str, ...], inputs: Path | None, examples: int, kinetics: bool,
             out: Path | None, force: bool, prices: Path | None, timeout: float, workers: int | None,
             quiet: bool) -> None:
    from dataclasses import replace

    from dsdcompile.config import ExecutionConfig, RunConfig
    from dsdcompile.runtime.progress import Progress
    from dsdcompile.runtime.resources import regular_file
    from dsdcompile.stages.compare import check_output, compare_schemes, write_comparison
    from dsdcompile.stages.order_cost import load_prices

    regular_file(source, "model or CRN file")
    if inputs is not None:
        regular_file(inputs, "inputs CSV")
    out = out or Path(f"{source.stem}_schemes")
    check_output(out, force=force)
    table = load_prices(prices)  # a bad price table: exit 2 before any scheme runs
    config = RunConfig(execution=replace(ExecutionConfig(), workers=workers), allow_inconclusive=True)
    result = compare_schemes(source, list(chosen) or None, inputs=inputs, config=config, prices=table,
                             examples=examples, timeout=timeout, kinetics=kinetics, progress=Progress(quiet=quiet))
    write_comparison(result, out, force=force)
    if not quiet:
        from dsdcompile.stages.compare import choice_lines

        click.echo("\n".join(choice_lines(result.rows, table.currency)))
        click.echo(f"wrote {out}/ (schemes.csv, schemes.json, schemes.md, schemes.html)")


__all__ = ["schemes"]
