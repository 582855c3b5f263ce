"""``dsdcompile schemes [MODEL_OR_CRN]``: the available translation schemes, or all of them compared on one network.

Without an argument: every scheme dsdcompile can load by name, how it is defined and its citation. With a
model or CRN: each scheme (or each ``--scheme``) builds the design with ``--no-kinetics`` in its own
process, and one table compares the verdict, strands, complexes, nucleotides, longest strand, fuel
nucleotides, enumerated reactions and verification time (``schemes.md`` and ``schemes.csv`` in ``--out``).
Not yet: the kinetics, tube and order-cost columns with ``--inputs`` (issue 24, part 3).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import click

from dsdcompile.cli import errors
from dsdcompile.errors import DsdCompileError

COLUMNS = ("scheme", "verdict", "strands", "complexes", "nucleotides", "longest_strand_nt", "fuel_nucleotides",
           "enumerated_reactions", "verification_s", "wall_s")


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


def _run_one(source: Path, scheme: str, out: Path, timeout: float) -> dict:
    start = time.monotonic()
    cmd = [sys.executable, "-m", "dsdcompile", "compile", str(source), "--scheme", scheme, "--no-kinetics",
           "--out", str(out), "--force", "-q", "--allow-inconclusive"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"scheme": scheme, "verdict": f"stopped after {timeout:g} s", "wall_s": round(timeout, 1)}
    row: dict = {"scheme": scheme, "wall_s": round(time.monotonic() - start, 1)}
    summary = out / "summary.json"
    if summary.is_file():
        s = json.loads(summary.read_text())
        dsd, ver = s.get("dsd") or {}, s.get("verification") or {}
        row.update({k: dsd.get(k, "") for k in COLUMNS[2:8]})
        row["verdict"] = ver.get("verdict", "")
        row["verification_s"] = ver.get("seconds", "")
    else:
        lines = [x for x in (proc.stderr or proc.stdout).splitlines() if x.strip()]
        last = lines[-1].removeprefix("dsdcompile: error: ") if lines else f"exit {proc.returncode}"
        row["verdict"] = f"refused: {last}"
    return row


@click.command("schemes")
@click.argument("source", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--scheme", "chosen", multiple=True, help="Compare only these schemes (names or .ts/.py files); "
              "repeat the option. Default: every available scheme.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for one design folder per scheme and schemes.md / schemes.csv "
                   "(default: <source stem>_schemes).")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds one scheme may take.")
def schemes(source: Path | None, chosen: tuple[str, ...], out: Path | None, timeout: float) -> None:
    """List the translation schemes with their citations, or compare them on SOURCE (a model or a CRN)."""
    with errors.reported():
        if source is None:
            for name, how, citation in _listing():
                click.echo(f"{name}  [{how}]\n    {citation}")
            return
        from dsdcompile.dsd.schemes import available_schemes

        names = list(chosen) or available_schemes()
        out = out or Path(f"{source.stem}_schemes")
        out.mkdir(parents=True, exist_ok=True)
        rows = []
        for k, name in enumerate(names, 1):
            click.echo(f"[{k}/{len(names)}] {name} ...", err=True)
            rows.append(_run_one(source, name, out / Path(name).stem, timeout))
    from dsdcompile.runtime.files import markdown_table, write_csv

    cells = [{c: r.get(c, "") for c in COLUMNS} for r in rows]
    write_csv(out / "schemes.csv", COLUMNS, cells)
    table = markdown_table(COLUMNS, cells)
    (out / "schemes.md").write_text(f"# Translation schemes on {source.name}\n\n" + "\n".join(table) + "\n",
                                    encoding="utf-8")
    click.echo("\n".join(table))


__all__ = ["schemes"]
