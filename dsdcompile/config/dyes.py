"""The fluorescence channels a design may use (the dye table's rows and its default): configuration.

The lab package reads and writes dye tables (:mod:`dsdcompile.lab.dyes`) and assigns reporters to
channels; what a channel is, and the four defaults, live here beside the other configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dsdcompile.errors import InputError

DYE_COLUMNS = ("dye", "excitation_nm", "emission_nm", "fluorophore_5prime", "fluorophore_3prime", "quencher",
               "quencher_5prime", "quencher_3prime")


@dataclass(frozen=True)
class Dye:
    """One fluorescence channel: dye, its excitation/emission maxima, and vendor codes for dye and quencher."""

    dye: str
    excitation_nm: float
    emission_nm: float
    fluorophore_5prime: str
    fluorophore_3prime: str
    quencher: str
    quencher_5prime: str
    quencher_3prime: str

    def row(self) -> dict:
        return {c: getattr(self, c) for c in DYE_COLUMNS}


DEFAULT_DYES = (
    Dye("FAM", 495, 520, "/56-FAM/", "/36-FAM/", "Iowa Black FQ", "/5IABkFQ/", "/3IABkFQ/"),
    Dye("HEX", 535, 556, "/5HEX/", "/3HEX/", "Iowa Black FQ", "/5IABkFQ/", "/3IABkFQ/"),
    Dye("ROX", 588, 608, "/56-ROXN/", "/3ROXN/", "Iowa Black RQ", "/5IAbRQ/", "/3IAbRQSp/"),
    Dye("Cy5", 648, 668, "/5Cy5/", "/3Cy5Sp/", "Iowa Black RQ", "/5IAbRQ/", "/3IAbRQSp/"),
)
"""FAM, HEX, ROX and Cy5 with Iowa Black FQ/RQ quenchers, IDT notation (check codes against the vendor's catalogue)."""


def check_dyes(dyes: Sequence[Dye], where: str = "dye table") -> tuple[Dye, ...]:
    """At least two channels (one class's two rails), no dye listed twice."""
    names = [d.dye for d in dyes]
    if len(names) < 2:
        raise InputError(f"{where}: needs at least 2 dyes (the two rails of a class are read in one well)")
    if len(set(names)) != len(names):
        raise InputError(f"{where}: a dye is listed twice")
    return tuple(dyes)


__all__ = ["DEFAULT_DYES", "DYE_COLUMNS", "Dye", "check_dyes"]
