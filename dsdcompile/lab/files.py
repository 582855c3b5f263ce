"""Writers of the lab's files: CSV, Markdown tables and byte-reproducible XLSX workbooks, user text kept as text.

Names in these files come from users (class and input names from a model's meta, species
names from a CRN file). Every XLSX cell written from text is a text cell, never a formula
(``=cmd|' /C calc'!A0`` stays a string), and Markdown cells escape what would change the
table or inject markup.
"""

from __future__ import annotations

import csv
import datetime
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

FIXED_DATE = datetime.datetime(2000, 1, 1)
_MD_SPECIAL = re.compile(r"([\\|`*_\[\]<>#])")


def cell_text(v: object) -> str:
    """A value as the tables write it: floats to 6 significant digits, everything else as str."""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping | Sequence]) -> None:
    """A CSV with a header; rows are mappings (read by column name) or sequences (in column order)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            values = [r[c] for c in columns] if isinstance(r, Mapping) else list(r)
            w.writerow([cell_text(v) for v in values])


def md_escape(text: object) -> str:
    """Text safe inside a Markdown table cell: no pipe, backtick, emphasis, link or HTML can break out."""
    s = cell_text(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def markdown_table(columns: Sequence[str], rows: Iterable[Mapping | Sequence]) -> list[str]:
    """The lines of a Markdown table (cells escaped)."""
    lines = ["| " + " | ".join(md_escape(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        values = [r[c] for c in columns] if isinstance(r, Mapping) else list(r)
        lines.append("| " + " | ".join(md_escape(v) for v in values) + " |")
    return lines


def write_xlsx(path: Path, sheets: Mapping[str, tuple[Sequence[str], Iterable[Mapping | Sequence]]]) -> bool:
    """One worksheet per entry ``name: (columns, rows)``; False (nothing written) without openpyxl.

    Strings are stored as text cells (a name starting with ``=`` is never a formula), control
    characters XML cannot hold as ``\\xNN`` escapes, and the workbook is byte-identical between
    runs (:func:`normalize_xlsx`).
    """
    try:
        from openpyxl import Workbook  # optional: pip install dsdcompile[lab]
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING
    except ImportError:
        return False

    def text(v):
        # an empty text is an empty cell (as a workbook read back and saved again has it, so a folder whose
        # sequences are designed later is byte-identical); XML cannot hold control characters (openpyxl
        # raises on them): write them as visible escapes
        if v == "":
            return None
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", v) if isinstance(v, str) else v

    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([text(str(c)) for c in columns])
        for r in rows:
            values = [r[c] for c in columns] if isinstance(r, Mapping) else list(r)
            ws.append([text(v) for v in values])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING
    # a fixed creation date, and fixed save times below, keep the workbook identical between runs
    wb.properties.created = wb.properties.modified = FIXED_DATE
    wb.save(path)
    normalize_xlsx(path)
    return True


def normalize_xlsx(path: Path) -> None:
    """Make an openpyxl workbook byte-identical between runs: fixed zip entry times and modified date.

    openpyxl stamps ``dcterms:modified`` with the time of saving and zip entries with the
    current time, whatever the workbook's properties say.
    """
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    tmp.replace(path)


__all__ = ["FIXED_DATE", "cell_text", "markdown_table", "md_escape", "normalize_xlsx", "write_csv", "write_xlsx"]
