"""``dsdcompile read DESIGN READINGS...``: a plate reader's export turned into classes, in a new folder."""

from __future__ import annotations

from pathlib import Path

import click

from dsdcompile.cli import errors


@click.command("read")
@click.argument("design", type=click.Path(path_type=Path, file_okay=False))
@click.argument("readings", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write (default: <design>_reading_<readings stem> beside the design; never inside it).")
@click.option("--fit/--no-fit", default=True, show_default=True,
              help="Fit the tube model's leak, free-strand fraction and rate scale to the traces (tens of seconds).")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write the trace and calibration PNGs.")
@click.option("--start-delay", "start_delay", type=float, default=0.0, show_default=True, metavar="MIN",
              help="Minutes from time zero (the last sample premix pipetted, protocol step 10) to the reader's "
                   "first read; added to every time of the export.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
def read(design: Path, readings: tuple[Path, ...], out_dir: Path | None, fit: bool, plots: bool,
         start_delay: float, quiet: bool) -> None:
    """Read READINGS (a tidy CSV well,channel,time_s,value, or a BioTek Gen5 or BMG MARS kinetic export; for a
    design on several plates one export per plate, in wells.csv's order) against DESIGN: calibrate every dye,
    call every sample's class, fit the tube model; see docs/reading.md.

    Missing wells, unknown channels, times that do not increase, values that are not numbers and a
    reading from another design are refused (exit 2, naming the file and line); nothing is written.
    """
    from dsdcompile.lab.read.run import run_read

    with errors.reported():
        s = run_read(design, list(readings), out_dir, fit=fit, plots=plots, start_delay_s=start_delay * 60.0)
    if not quiet:
        line = (f"{s['expected_class_agreement']} of {s['samples']} samples read the expected class "
                f"({s['reader_format']} export)")
        if "fit" in s:
            p = s["fit"]["parameters"]
            line += "; fitted " + ", ".join(f"{k} {v['value']:.3g} [{v['low']:.3g}, {v['high']:.3g}]"
                                            for k, v in p.items())
        click.echo(f"{line}; written to {s['out']}")
