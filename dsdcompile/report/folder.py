"""Reading a design folder for the report: every file optional, malformed ones reported, large ones streamed."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dsdcompile.errors import InputError
from dsdcompile.runtime.files import csv_dicts, csv_rows
from dsdcompile.runtime.resources import open_text, read_text

INDEX_NAME = "index.html"
MAX_JSON_BYTES = 64 << 20  # a JSON file larger than this is listed, not parsed


@dataclass
class Folder:
    """A design folder as the report sees it: its files and what could not be read (``problems``)."""

    path: Path
    files: list[str] = field(default_factory=list)  # relative POSIX paths, sorted, index.html excluded
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def open(path: Path) -> Folder:
        path = Path(path)
        files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                       if p.is_file() and p.name != INDEX_NAME and not p.name.startswith("."))
        return Folder(path, files)

    def has(self, name: str) -> bool:
        return name in self.files

    def size(self, name: str) -> int:
        return (self.path / name).stat().st_size

    def json(self, name: str) -> dict | list | None:
        """The parsed file, or None when absent, too large or malformed (then noted in ``problems``)."""
        if not self.has(name):
            return None
        if self.size(name) > MAX_JSON_BYTES:
            self.problems.append(f"{name}: {self.size(name) / 2**20:.0f} MiB, too large to show; linked below")
            return None
        try:
            return json.loads(read_text(self.path / name, "JSON file", max_bytes=MAX_JSON_BYTES))
        except (OSError, InputError, UnicodeDecodeError, json.JSONDecodeError) as e:
            self.problems.append(f"{name}: not readable as JSON ({e})")
            return None

    def text(self, name: str, limit: int = 4 << 20) -> str | None:
        if not self.has(name):
            return None
        try:
            with open_text(self.path / name, max_bytes=None, errors="replace", newline=None) as fh:
                return fh.read(limit)
        except (OSError, InputError) as e:
            self.problems.append(f"{name}: {e}")
            return None

    def rows(self, name: str) -> Iterator[dict[str, str]]:
        """The rows of a CSV file as dicts, streamed; nothing when absent or unreadable."""
        if not self.has(name):
            return
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        try:
            with open_text(self.path / name, max_bytes=None, errors="replace") as fh:
                yield from csv_dicts(fh)
        except (OSError, InputError, csv.Error) as e:
            self.problems.append(f"{name}: not readable as CSV ({e})")

    def table(self, name: str, limit: int) -> tuple[list[str], list[list[str]], int]:
        """Header, the first ``limit`` rows and the total number of rows of a CSV file."""
        if not self.has(name):
            return [], [], 0
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        header: list[str] = []
        rows: list[list[str]] = []
        total = 0
        try:
            with open_text(self.path / name, max_bytes=None, errors="replace") as fh:
                reader = csv_rows(fh)
                header = next(reader, [])
                for row in reader:
                    total += 1
                    if len(rows) < limit:
                        rows.append(row)
        except (OSError, InputError, csv.Error) as e:
            self.problems.append(f"{name}: not readable as CSV ({e})")
        return header, rows, total


def dig(data: object, path: str) -> object:
    """``data["a"]["b"]`` for ``"a.b"``; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


@dataclass
class ComplexRows:
    """The complexes the report includes (a capped sample plus those asked for), their strands and domains."""

    complexes: dict[str, dict[str, str]]      # name → complexes.csv row, in file order
    strands: dict[str, dict[str, str]]        # name → strands.csv row
    lengths: dict[str, int]
    kinds: dict[str, str]
    total: int                                # rows of complexes.csv
    missing_strands: list[str] = field(default_factory=list)


def read_complexes(folder: Folder, wanted: set[str], cap: int) -> ComplexRows:
    """Stream complexes.csv, strands.csv and domains.csv keeping the first ``cap`` complexes plus ``wanted``.

    Files of MNIST-size designs hold millions of rows; reading stops as soon as the total is
    known from nothing else, so each file is read once, and only the rows kept are held.
    """
    complexes: dict[str, dict[str, str]] = {}
    total = 0
    for row in folder.rows("complexes.csv"):
        total += 1
        name = row.get("complex", "")
        if len(complexes) < cap or name in wanted:
            complexes[name] = row
    needed = {s for row in complexes.values() for s in (row.get("strands") or "").split("+") if s}
    strands: dict[str, dict[str, str]] = {}
    for row in folder.rows("strands.csv"):
        if row.get("strand") in needed:
            strands[row["strand"]] = row
            if len(strands) == len(needed):
                break
    domains = {d.rstrip("*") for row in strands.values() for d in (row.get("domains") or "").split()}
    lengths: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for row in folder.rows("domains.csv"):
        name = row.get("domain", "")
        if name in domains:
            try:
                lengths[name] = int(row.get("length_nt") or 0)
            except ValueError:
                pass
            kinds[name] = row.get("kind") or "branch"
            if len(kinds) == len(domains):
                break
    return ComplexRows(complexes, strands, lengths, kinds, total, sorted(needed - set(strands)))
