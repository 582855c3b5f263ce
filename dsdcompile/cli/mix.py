"""``dsdcompile mix DESIGN --inputs samples.csv``: per-sample input sheets in a new folder, the design untouched."""

from __future__ import annotations

from pathlib import Path

import click

from dsdcompile.cli import errors


@click.command("mix")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@click.option("--inputs", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="CSV of samples: raw features (header with the model's input names, or in order), optional "
                   "'sample' column naming them.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write (default: <design>_mix_<inputs stem> beside the design; never inside it).")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
def mix(design: Path, inputs: Path, out_dir: Path | None, quiet: bool) -> None:
    """Plan input premixes and wells for new samples against DESIGN's fuel plan; write them into a new folder.

    Samples the planned fuel does not cover, rows of the wrong width and unknown column names
    are refused (exit 2, naming the sample and feature); the design folder is only read.
    """
    with errors.reported():
        from dsdcompile.runtime.resources import regular_file

        regular_file(inputs, "samples CSV")  # before the heavy imports: a FIFO or /dev/zero is refused at once
        from dsdcompile.lab.mix import run_mix

        summary = run_mix(design, inputs, out_dir)
    if not quiet:
        click.echo(f"{summary['samples']} samples, {summary['wells']} wells + {summary['calibration_wells']} "
                   f"calibration wells; smallest transfer {summary['min_volume_uL']:g} uL; written to "
                   f"{out_dir or Path(summary['design']).parent}")
