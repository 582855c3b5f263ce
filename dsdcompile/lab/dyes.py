"""Fluorescence channels for the readout reporters, and which reporter goes into which well with which dye.

The default table lists four dyes that common qPCR machines and plate readers separate well
(FAM, HEX, ROX, Cy5) with the quencher whose absorption covers their emission, in IDT's
modification notation (``/56-FAM/`` is 6-FAM on the 5' end, ``/36-FAM/`` on the 3' end,
``/5IABkFQ/`` Iowa Black FQ on the 5' end, ...). Another vendor, dye set or instrument is a
CSV with the columns of :data:`DYE_COLUMNS` (``--dyes FILE``); the design folder carries the
table it used as ``dyes.csv``, ready to edit.

Reporters put the fluorophore on the top strand's 3' end and the quencher on the bottom
strand's 5' end (they meet at the duplex's blunt end, see :mod:`dsdcompile.dsd.reporters`).
Both rails of a class go into the same well, so one well reads a class's value as the
difference of two channels; a well takes as many classes as it has channels for, so a design
with more rails than channels runs each sample in several wells with the same master mix and
different reporter mixes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsdcompile.config.dyes import DEFAULT_DYES, DYE_COLUMNS, Dye, check_dyes
from dsdcompile.errors import InputError
from dsdcompile.runtime.files import csv_dicts
from dsdcompile.runtime.resources import open_text


def read_dye_table(path: str | Path) -> tuple[Dye, ...]:
    """A dye table from CSV (columns :data:`DYE_COLUMNS`, one channel per row, in the order to use them)."""
    p = Path(path)
    try:
        with open_text(p, "dye table") as fh:
            reader = csv_dicts(fh)
            missing = [c for c in DYE_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"dye table lacks column(s) {', '.join(missing)} (needs {', '.join(DYE_COLUMNS)})",
                                 path=str(p))
            rows = list(reader)
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read the dye table ({e})", path=str(p)) from None
    dyes = []
    for n, r in enumerate(rows, start=2):
        try:
            ex, em = float(r["excitation_nm"]), float(r["emission_nm"])
        except ValueError:
            raise InputError("excitation_nm and emission_nm must be numbers", path=str(p), line=n) from None
        values = {c: (r[c] or "").strip() for c in DYE_COLUMNS}
        if not values["dye"] or not values["fluorophore_3prime"] or not values["quencher_5prime"]:
            raise InputError("every dye needs a name, a 3' fluorophore code and a 5' quencher code", path=str(p),
                             line=n)
        dyes.append(Dye(values["dye"], ex, em, values["fluorophore_5prime"], values["fluorophore_3prime"],
                        values["quencher"], values["quencher_5prime"], values["quencher_3prime"]))
    return check_dyes(dyes, str(p))


@dataclass(frozen=True)
class RailReadout:
    """One output rail's readout: class, rail (+1/-1), species, reporter, well group and dye."""

    output: str
    rail: int
    species: str
    reporter: str
    group: int
    dye: Dye


def assign_dyes(rails: Sequence[tuple[str, str, int, str]], dyes: Sequence[Dye]) -> tuple[RailReadout, ...]:
    """Wells and dyes for ``(species, class, rail, reporter)`` rails: classes in order, as many per well as fit.

    Both rails of a class share a well; channels are used in table order within each well.
    """
    dyes = check_dyes(dyes)
    classes: dict[str, list[tuple[str, str, int, str]]] = {}
    for r in rails:
        classes.setdefault(r[1], []).append(r)
    out: list[RailReadout] = []
    group, used = 0, 0
    for name, members in classes.items():
        if len(members) > len(dyes):
            raise InputError(f"class {name!r} has {len(members)} rails but the dye table only {len(dyes)} channels")
        if used + len(members) > len(dyes):
            group, used = group + 1, 0
        for species, output, rail, reporter in members:
            out.append(RailReadout(output, rail, species, reporter, group, dyes[used]))
            used += 1
    return tuple(out)


def write_dye_table(path: str | Path, dyes: Sequence[Dye]) -> None:
    from dsdcompile.runtime.files import write_csv

    write_csv(Path(path), DYE_COLUMNS, [d.row() for d in dyes])


__all__ = ["DEFAULT_DYES", "DYE_COLUMNS", "Dye", "RailReadout", "assign_dyes", "check_dyes", "read_dye_table",
           "write_dye_table"]
