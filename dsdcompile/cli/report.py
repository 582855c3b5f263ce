"""``dsdcompile report DESIGN``: (re)write the browsable index.html of a design folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dsdcompile.errors import DsdCompileError, InputError


@click.command("report")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def report(design: Path, quiet: bool) -> None:
    """Write DESIGN/index.html: one self-contained page with the network, CRNs, drawn complexes,
    verification, kinetics, sequences and every file of the design folder."""
    try:
        if not design.is_dir():
            raise InputError(f"{design}: no such design folder")
        from dsdcompile.report import write_index  # imported here: `dsdcompile --help` stays fast

        written = write_index(design)
    except DsdCompileError as e:
        click.echo(f"dsdcompile: error: {e}", err=True)
        sys.exit(e.exit_code)
    except OSError as e:
        click.echo(f"dsdcompile: error: {design}: {e.strerror or e}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"report written to {design / written[0]}")


__all__ = ["report"]
