"""``dsdcompile report DESIGN``: (re)write the browsable index.html of a design folder."""

from __future__ import annotations

from pathlib import Path

import click

from dsdcompile.cli import errors
from dsdcompile.errors import DsdCompileError, InputError


@click.command("report")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def report(design: Path, quiet: bool) -> None:
    """Write DESIGN/index.html: one self-contained page with the network, CRNs, drawn complexes,
    verification, kinetics, sequences and every file of the design folder."""
    with errors.reported():
        if not design.is_dir():
            raise InputError(f"{design}: no such design folder")
        from dsdcompile.report import write_index  # imported here: `dsdcompile --help` stays fast

        try:
            written = write_index(design)
        except OSError as e:  # a folder that cannot be read or written: one line, exit 1
            raise DsdCompileError(f"{design}: {e.strerror or e}") from None
    if not quiet:
        click.echo(f"report written to {design / written[0]}")


__all__ = ["report"]
