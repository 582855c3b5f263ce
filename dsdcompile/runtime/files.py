"""Everything that writes into an output folder: the staged, locked destination, and JSON, CSV, Markdown and XLSX.

One writer per format, so every file of a design folder is written the same way:

- :class:`Destination`: the design folder on disk, checked before the run, staged in a locked
  folder beside it, moved into place on success (see below);
- :func:`write_json`: JSON with NaN/inf as null, indented (``indent``) or ``compact``;
- :func:`write_csv` (:class:`CsvWriter` where rows are streamed), :func:`markdown_table`,
  :func:`write_xlsx`: tables, user text kept as text (every XLSX cell written from text is a
  text cell, never a formula: ``=cmd|' /C calc'!A0`` stays a string; a CSV text cell that a
  spreadsheet would run as a formula gets a leading single quote, which :func:`read_csv`,
  :func:`csv_rows` and :func:`csv_dicts` remove again; Markdown cells escape what would change
  the table or inject markup), numbers with :func:`cell_text`, workbooks byte-identical between runs.

What a run does to ``--out`` (see the README's "Reliability" section):

- Before any stage runs, the destination is checked (:func:`check_destination`): not the
  current directory or one of its parents, not a mount point, not a symbolic link, not a file,
  in a folder that exists or can be made and can be written. An existing folder is replaced
  only when it holds nothing this command would not write
  (:func:`dsdcompile.stages.folder.planned_files`): a design folder from an earlier ``compile``
  with the same stages. Anything else (a user's file, a later stage's results such as
  sequences and order sheets, a folder that is not a design) is refused, naming the files,
  unless ``force``: then the old folder is kept whole under a new name, ``<out>.backup-<date>-<time>``, never deleted.
- The files are written into a staging folder ``.<out>.<random>.tmp`` beside the destination,
  made at the start (so an unwritable place fails at once) and holding a marker file that the
  run keeps locked (``flock``) while it lives. On success the staging folder's design replaces
  the destination; on failure it is removed.
- A run killed with SIGKILL cannot clean up. The lock dies with its process, so the next run
  into the same place removes staging folders whose marker it can lock (restoring an old
  design that was being replaced, if the destination is missing). Folders without a marker,
  or whose marker is locked by a live run, are never touched: nothing is removed by guessing.
"""

from __future__ import annotations

import csv
import datetime
import fnmatch
import json
import math
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from dsdcompile.errors import InputError

T = TypeVar("T")

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-folder cleanup by lock
    fcntl = None

SUMMARY = "summary.json"
MARKER = ".dsdcompile-staging"
DESIGN = "design"
OLD = "old"
FIXED_DATE = datetime.datetime(2000, 1, 1)
_MD_SPECIAL = re.compile(r"([\\|`*_\[\]<>#])")


# ---------------------------------------------------------------------------------------------- JSON
def _finite(value):
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def json_text(data, *, indent: int = 2, compact: bool = False) -> str:
    """The text :func:`write_json` writes (newline included)."""
    text = (json.dumps(_finite(data), separators=(",", ":")) if compact
            else json.dumps(_finite(data), indent=indent, allow_nan=False))
    return text + "\n"


def write_json(path: Path, data, *, indent: int = 2, compact: bool = False) -> None:
    """JSON with NaN/inf as null; ``compact`` for large files (an MNIST network's weights are 370k numbers).

    ``indent`` 2 for summary.json, 1 for the lab plan and mix.json (their format since version 1).
    """
    Path(path).write_text(json_text(data, indent=indent, compact=compact), encoding="utf-8")


def write_text_file(path: Path, text: str) -> None:
    """One text file written whole: into a sibling temporary file first, renamed into place (never half-written)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------- tables
def number(v: float | None) -> str:
    """A number in a results CSV: 6 significant digits, empty for None, NaN and inf."""
    return "" if v is None or not math.isfinite(v) else f"{v:.6g}"

def cell_text(v: object) -> str:
    """A value as the tables write it: floats to 6 significant digits, everything else as str."""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# A spreadsheet opened on a CSV runs a cell that begins with one of these as a formula (CWE-1236).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NUMERIC = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _is_number_text(text: str) -> bool:
    """A plain decimal number ("-2.5", "+1e-3"): a spreadsheet reads it as a number, never as a formula."""
    return _NUMERIC.fullmatch(text) is not None


def csv_cell(value: object) -> str:
    """A value as every CSV of the project writes it: :func:`cell_text`, with formula-leading text neutralised.

    Text that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a single quote in
    front (OWASP's advice against CSV injection), and so does text that already begins with a
    single quote, so that :func:`csv_value` restores every text exactly. Numbers stay numbers:
    an int or float value, or text that is a plain decimal number (``-2.5``), is never quoted.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return cell_text(value)
    text = cell_text(value)
    if text and (text[0] in FORMULA_LEADS or text[0] == QUOTE) and not _is_number_text(text):
        return QUOTE + text
    return text


def csv_value(cell: str) -> str:
    """A CSV cell back to the text :func:`csv_cell` was given (the inverse of its quoting; other cells as read)."""
    if len(cell) > 1 and cell[0] == QUOTE and (cell[1] in FORMULA_LEADS or cell[1] == QUOTE):
        return cell[1:]
    return cell


class CsvWriter:
    """The one CSV writer of the project: ``writerow``/``writerows`` with every cell through :func:`csv_cell`."""

    def __init__(self, fh, **fmtparams) -> None:
        self._w = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable) -> None:
        self._w.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for r in rows:
            self.writerow(r)


def write_csv(path: Path, columns: Sequence[str] | None, rows: Iterable[Mapping | Sequence]) -> None:
    """A CSV with a header; rows are mappings (read by column name) or sequences (in column order).

    ``columns`` None: no header line is added (``rows`` carry their own). Text cells are neutralised
    against spreadsheet formulas (:func:`csv_cell`); read the file back with :func:`read_csv`.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = CsvWriter(fh)
        if columns is not None:
            w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns] if isinstance(r, Mapping) else r)


def csv_rows(fh, **kwargs) -> Iterator[list[str]]:
    """``csv.reader(fh, **kwargs)`` with every cell restored by :func:`csv_value`: the reader of the project's CSVs."""
    for row in csv.reader(fh, **kwargs):
        yield [csv_value(c) for c in row]


def csv_dicts(fh, **kwargs) -> CsvDictReader:
    """``csv.DictReader(fh, **kwargs)`` with header and cells restored by :func:`csv_value`."""
    return CsvDictReader(fh, **kwargs)


class CsvDictReader(csv.DictReader):
    """:class:`csv.DictReader` over :func:`csv_rows`: keys and values as :func:`csv_cell` was given them."""

    def __init__(self, fh, **kwargs) -> None:
        super().__init__(fh, **kwargs)
        self.reader = _RestoringReader(self.reader)


class _RestoringReader:
    def __init__(self, reader) -> None:
        self._reader = reader

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        return [csv_value(c) for c in next(self._reader)]

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    @property
    def dialect(self):
        return self._reader.dialect


def read_csv(path: str | Path) -> list[list[str]]:
    """Every row of a CSV the project wrote (header included), cells restored (:func:`csv_value`)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv_rows(fh))


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



# ---------------------------------------------------------------------------------------------- the destination

def write_sibling_folder(dest: Path, write: Callable[[Path], T]) -> T:
    """Write a folder beside the design whole: ``write(tmp)`` fills a fresh folder inside a locked staging folder
    next to ``dest`` (:func:`open_stage`), which then replaces ``dest`` in one rename.

    An error or Ctrl-C inside ``write`` removes the staging folder and leaves ``dest`` as it was; a
    staging folder that a killed run left is removed by the next run into the same place
    (:func:`clean_stale`). Used by the folders that sit beside a design (``dsdcompile mix``,
    ``dsdcompile read``); a design folder itself is written through :class:`Destination`, which also
    refuses to overwrite a folder that is not a design and keeps backups.
    """
    dest = Path(dest)
    clean_stale(dest)
    stage, lock = open_stage(dest)
    try:
        tmp = stage / DESIGN
        result = write(tmp)
        os.chmod(tmp, 0o755)
        if dest.exists():
            os.replace(dest, stage / OLD)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        os.close(lock)
    return result


def _contents(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, relative, folders with a trailing slash."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [f"{(rel / d).as_posix()}/" for d in dirs] + [(rel / f).as_posix() for f in files]
    return sorted(out)


def _listing(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _nearest_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_destination(out_dir: Path, *, planned: Iterable[str] | None = None, force: bool = False) -> None:
    """Refuse (InputError, before any work) a destination this run could not write or must not replace.

    ``planned``: the names this run may write (:func:`planned_files`); None accepts any earlier
    design folder (one with a summary.json).
    """
    out_dir = Path(out_dir)
    where = str(out_dir)
    if out_dir.name in ("", ".", ".."):
        raise InputError("is a folder's own name or its parent, which cannot be replaced; give a new folder name "
                         "such as ./design", path=where)
    try:
        st = os.lstat(out_dir)
    except (FileNotFoundError, NotADirectoryError):  # the latter: a parent is a file, named below
        st = None
    except OSError as e:  # a name too long, a loop of links, no permission to look
        raise InputError(f"cannot be used as a folder ({e.strerror or e})", path=where) from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise InputError(f"is a symbolic link (to {os.readlink(out_dir)}); give the folder itself or a new name",
                         path=where)
    resolved = out_dir.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise InputError("is the current directory or contains it; give a new folder name such as ./design",
                         path=where)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError("exists and is not a directory", path=where)
        if os.path.ismount(out_dir):
            raise InputError("is a mount point, which cannot be replaced; give a folder inside it", path=where)
        if not force:
            _refuse_to_lose(out_dir, planned)
    ancestor = _nearest_existing(out_dir.parent if str(out_dir.parent) else Path("."))
    if not ancestor.is_dir():
        raise InputError(f"cannot be made: {ancestor} is not a directory", path=where)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"cannot be written: no permission to write in {ancestor} (or it is read-only)", path=where)


def _refuse_to_lose(out_dir: Path, planned: Iterable[str] | None) -> None:
    hint = "; move them elsewhere, or pass --force to keep the old folder as a backup beside the new one"
    if not (out_dir / SUMMARY).is_file():
        top = sorted(os.listdir(out_dir))  # not walked: it may be a home folder
        if top:
            raise InputError("exists and is not a dsdcompile design folder (no summary.json); refusing to overwrite "
                             f"it (it holds {_listing(top)}){hint}", path=str(out_dir))
        return
    if planned is None:
        return
    contents = _contents(out_dir)
    patterns = tuple(planned)
    foreign = [c for c in contents if not any(fnmatch.fnmatchcase(c, pat) for pat in patterns)]
    if foreign:
        raise InputError(f"holds files this command would not write ({_listing(foreign)}); refusing to overwrite "
                         f"them{hint}", path=str(out_dir))


def backup_name(out_dir: Path) -> Path:
    """A free name beside ``out_dir`` for the old folder that --force replaces: <out>.backup-<date>-<time>[-n]."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = out_dir.with_name(f"{out_dir.name}.backup-{stamp}")
    n = 1
    while os.path.lexists(candidate):
        n += 1
        candidate = out_dir.with_name(f"{out_dir.name}.backup-{stamp}-{n}")
    return candidate


def _try_lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove staging folders for ``out_dir`` left by killed runs (marker present and lockable); return them."""
    parent = out_dir.parent
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(f".{out_dir.name}.") and p.name.endswith(".tmp")]
    except OSError:
        return removed
    for stage in candidates:
        marker = stage / MARKER
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            continue  # not ours, or already gone: leave it
        try:
            if not _try_lock(fd):
                continue  # a live run holds it
            old = stage / OLD
            if old.is_dir() and not os.path.lexists(out_dir):
                os.replace(old, out_dir)  # killed between moving the old design aside and moving the new one in
            shutil.rmtree(stage, ignore_errors=True)
            removed.append(stage)
        finally:
            os.close(fd)
    return removed


def open_stage(out_dir: Path) -> tuple[Path, int]:
    """A new staging folder ``.<out>.<random>.tmp`` beside ``out_dir``, with an empty ``design`` folder and its
    marker locked (the descriptor returned: close it when done); what :func:`clean_stale` removes once its run died."""
    out_dir = Path(out_dir)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise InputError(f"cannot write beside it in {parent} ({e.strerror or e})", path=str(out_dir)) from None
    lock = os.open(stage / MARKER, os.O_CREAT | os.O_RDWR, 0o644)
    _try_lock(lock)
    (stage / DESIGN).mkdir()
    return stage, lock


class Destination:
    """The run's staging folder for ``out_dir``: made and locked on entry, moved into place by :meth:`commit`.

    Leaving the ``with`` block without a commit removes the staging folder and leaves the
    destination as it was.
    """

    def __init__(self, out_dir: str | Path, *, planned: Iterable[str] | None = None, force: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.planned = tuple(planned) if planned is not None else None
        self.force = force
        self.stage: Path | None = None
        self.backup: Path | None = None
        self._lock: int | None = None

    def __enter__(self) -> Destination:
        check_destination(self.out_dir, planned=self.planned, force=self.force)
        if self.out_dir.parent.is_dir():
            clean_stale(self.out_dir)
            self._make_stage()  # now, so a place that cannot be written fails before the work
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _make_stage(self) -> None:
        self.stage, self._lock = open_stage(self.out_dir)

    @property
    def path(self) -> Path:
        """The folder to write the design into (inside the staging folder)."""
        if self.stage is None:
            self._make_stage()
        return self.stage / DESIGN

    def commit(self) -> Path | None:
        """Move the written design into place; return where --force moved the old folder (None if nowhere)."""
        design = self.path
        check_destination(self.out_dir, planned=self.planned, force=self.force)  # it may have changed meanwhile
        os.chmod(design, 0o755)
        if os.path.lexists(self.out_dir):
            if self.force:
                self.backup = backup_name(self.out_dir)
                os.replace(self.out_dir, self.backup)
            else:
                os.replace(self.out_dir, self.stage / OLD)
        os.replace(design, self.out_dir)
        return self.backup

    def close(self) -> None:
        """Remove the staging folder (with the replaced design, if any) and release the lock."""
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None



__all__ = ["DESIGN", "FIXED_DATE", "FORMULA_LEADS", "MARKER", "OLD", "SUMMARY", "CsvDictReader", "CsvWriter",
           "Destination", "backup_name", "cell_text", "check_destination", "clean_stale", "csv_cell", "csv_dicts",
           "csv_rows", "csv_value", "json_text", "markdown_table", "md_escape", "normalize_xlsx", "number",
           "open_stage", "read_csv", "write_csv", "write_json", "write_sibling_folder", "write_text_file", "write_xlsx"]
