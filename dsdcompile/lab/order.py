"""DNA order sheets in the style vendors (IDT) accept: 96-well plates column by column, and tubes.

Files written by :func:`write_order_sheets`, all or none:

- ``order_plates.xlsx``: one worksheet per plate (``plate-1``, ``plate-2``, ...), columns
  ``Well Position, Name, Sequence``; byte-identical between runs (fixed workbook dates and
  zip entry times). Needs openpyxl (``pip install dsdcompile[lab]``); without it the
  workbook is skipped and the result says so.
- ``order_plate_<k>.csv``: the same sheet per plate as CSV.
- ``order_tubes.csv``: ``Name, Sequence, Scale, Purification`` for ordering strands one by one.

Scale follows IDT's length ranges for DNA oligos: the 25 nmole scale takes up to 60 bases, the
100 nmole scale up to 90, and longer strands are Ultramers (4 nmole scale, written ``4nmU``,
up to 200 bases). A strand of ``page_min_nt`` or more is PAGE purified (long strands carry
many truncated products that would compete in strand displacement), shorter ones standard
desalting (``STD``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import InputError
from dsdcompile.runtime.files import write_csv, write_xlsx

PLATE_COLUMNS = ("Well Position", "Name", "Sequence")
TUBE_COLUMNS = ("Name", "Sequence", "Scale", "Purification")
PLATE_ROWS = 8          # A-H
PLATE_COLUMNS_N = 12    # 1-12
STANDARD_25NM_MAX_NT = 60
STANDARD_100NM_MAX_NT = 90
XLSX_NAME = "order_plates.xlsx"
TUBES_NAME = "order_tubes.csv"
_BASES = frozenset("ACGT")


@dataclass(frozen=True)
class OrderStrand:
    """One strand to order: its name, its 5'→3' sequence over A, C, G, T, and optional modifications.

    ``modification_5``/``modification_3`` are vendor codes written around the sequence as IDT
    takes them (``/5IABkFQ/ACGT...``, ``...ACGT/36-FAM/``); ``purification`` overrides the
    length rule (dye-labelled reporter strands are HPLC purified).
    """

    name: str
    sequence: str
    modification_5: str = ""
    modification_3: str = ""
    purification: str | None = None

    @property
    def ordered(self) -> str:
        """The sequence as written on the order: modifications included."""
        return f"{self.modification_5}{self.sequence}{self.modification_3}"


@dataclass(frozen=True)
class PlateWell:
    """Where a strand goes: plate name (``plate-1`` ...), well (``A1`` ...), the strand's name and sequence."""

    plate: str
    well: str
    name: str
    sequence: str


@dataclass(frozen=True)
class OrderResult:
    """What :func:`write_order_sheets` wrote: the files' paths, the number of plates and the warnings."""

    files: tuple[str, ...]
    plates: int
    warnings: tuple[str, ...]


def plate_name(index: int) -> str:
    """Name of the ``index``-th plate, counted from 0: ``plate-1``, ``plate-2``, ..."""
    return f"plate-{index + 1}"


def plate_rows(strands: Sequence[OrderStrand], *, rows: int = PLATE_ROWS,
               columns: int = PLATE_COLUMNS_N) -> list[PlateWell]:
    """Assign wells column by column (A1, B1, ..., H1, A2, ..., H12), then the next plate.

    ``rows`` (at most 26, lettered from A) and ``columns`` give the plate's shape; the
    default is a 96-well plate. Strands keep their order.
    """
    if not 1 <= rows <= 26 or columns < 1:
        raise InputError(f"a plate needs 1 to 26 rows and at least one column, got {rows} x {columns}")
    per_plate = rows * columns
    out = []
    for i, s in enumerate(strands):
        plate, pos = divmod(i, per_plate)
        col, row = divmod(pos, rows)
        out.append(PlateWell(plate_name(plate), f"{chr(ord('A') + row)}{col + 1}", s.name, s.ordered))
    return out


def tube_scale(length: int) -> str:
    """IDT synthesis scale for a strand of ``length`` nt: ``25nm`` (≤ 60), ``100nm`` (≤ 90), else ``4nmU``."""
    if length <= STANDARD_25NM_MAX_NT:
        return "25nm"
    if length <= STANDARD_100NM_MAX_NT:
        return "100nm"
    return "4nmU"


def purification(length: int, constraints: SequenceConstraints) -> str:
    """``PAGE`` for strands of ``constraints.page_min_nt`` or more, else standard desalting ``STD``."""
    return "PAGE" if length >= constraints.page_min_nt else "STD"


def check_strands(strands: Sequence[OrderStrand], constraints: SequenceConstraints) -> tuple[str, ...]:
    """Refuse what cannot be ordered (InputError); return warnings about what can but should not be.

    Errors: no strands, an empty or unprintable name, a name used twice, an empty sequence, a
    character other than A, C, G, T. Warnings: a strand longer than the synthesis limit, the
    same sequence under two or more names.
    """
    if not strands:
        raise InputError("no strands to order")
    seen: set[str] = set()
    by_sequence: dict[str, list[str]] = {}
    warnings = []
    for i, s in enumerate(strands):
        if not isinstance(s.name, str) or not s.name.strip() or not s.name.isprintable():
            raise InputError(f"strand {i + 1} has an empty or unprintable name {s.name!r}")
        if s.name in seen:
            raise InputError(f"strand name {s.name} is used twice; every ordered strand needs its own name")
        seen.add(s.name)
        if not isinstance(s.sequence, str) or not s.sequence:
            raise InputError(f"strand {s.name} has an empty sequence")
        bad = sorted(set(s.sequence) - _BASES)
        if bad:
            pos = next(j for j, ch in enumerate(s.sequence) if ch not in _BASES)
            raise InputError(f"strand {s.name}: sequence has {', '.join(map(repr, bad))} (first at position "
                             f"{pos + 1}); only A, C, G, T (upper case) can be ordered")
        if len(s.sequence) > constraints.synthesis_limit_nt:
            warnings.append(f"strand {s.name} is {len(s.sequence)} nt, over the {constraints.synthesis_limit_nt} nt "
                            "synthesis limit: split it or order as gBlock/assembled")
        by_sequence.setdefault(s.sequence, []).append(s.name)
    for names in by_sequence.values():
        if len(names) > 1:
            warnings.append(f"same sequence ordered {len(names)} times under names {', '.join(names)}; order once")
    return tuple(warnings)


def write_order_sheets(strands: Sequence[OrderStrand], out_dir: str | Path,
                       constraints: SequenceConstraints = SequenceConstraints(), *, rows: int = PLATE_ROWS,
                       columns: int = PLATE_COLUMNS_N, xlsx: bool = True) -> OrderResult:
    """Write the plate sheets (xlsx and CSV per plate) and the tube list into ``out_dir``.

    Input is checked before anything is written (InputError for bad input); the files are
    written to a temporary folder inside ``out_dir`` and moved into place only when all of them
    exist. Without openpyxl (or with ``xlsx=False``) the workbook is skipped; a skip caused by
    a missing openpyxl is listed in the warnings.
    """
    warnings = list(check_strands(strands, constraints))
    wells = plate_rows(strands, rows=rows, columns=columns)
    plates: dict[str, list[PlateWell]] = {}
    for w in wells:
        plates.setdefault(w.plate, []).append(w)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".order-", dir=out))
    try:
        names: list[str] = []
        if xlsx:
            sheets = {plate: (PLATE_COLUMNS, [(w.well, w.name, w.sequence) for w in wells])
                      for plate, wells in plates.items()}
            if write_xlsx(stage / XLSX_NAME, sheets):
                names.append(XLSX_NAME)
            else:
                warnings.append(f"openpyxl is not installed: {XLSX_NAME} was not written "
                                "(pip install dsdcompile[lab]); the CSV sheets hold the same plates")
        for k, plate_wells in enumerate(plates.values(), start=1):
            name = f"order_plate_{k}.csv"
            write_csv(stage / name, PLATE_COLUMNS, [(w.well, w.name, w.sequence) for w in plate_wells])
            names.append(name)
        write_csv(stage / TUBES_NAME, TUBE_COLUMNS,
                   [(s.name, s.ordered, tube_scale(len(s.sequence)),
                     s.purification or purification(len(s.sequence), constraints)) for s in strands])
        names.append(TUBES_NAME)
        for name in names:
            os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return OrderResult(tuple(str(out / n) for n in names), len(plates), tuple(warnings))


__all__ = ["PLATE_COLUMNS", "TUBE_COLUMNS", "OrderResult", "OrderStrand", "PlateWell", "check_strands",
           "plate_name", "plate_rows", "purification", "tube_scale", "write_order_sheets"]
