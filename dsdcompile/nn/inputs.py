"""Reading example inputs from CSV: one example per row, optional header, optional label column.

The file is read in chunks of :data:`CHUNK_ROWS` rows (parsed into arrays as it goes), so a
million-row CSV costs its arrays, not a Python list of every cell; the memory the examples
will need is checked against the limit as the rows come in (:mod:`dsdcompile.runtime.resources`).
Only regular files are read (a FIFO would block, ``/dev/zero`` never ends); no line may be
longer than :data:`MAX_LINE_CHARS`; a UTF-8 byte-order mark is ignored; a damaged or truncated
``.csv.gz`` is one error line.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.ir import Network
from dsdcompile.nn import preprocess
from dsdcompile.runtime.files import csv_value
from dsdcompile.runtime.resources import check_memory, format_size, regular_file

LABEL_COLUMNS = ("label", "class", "target")
CHUNK_ROWS = 16_384
MAX_LINE_CHARS = 64 << 20
BLOCK_CHARS = 1 << 20
# bytes one example costs per raw feature and per output while a design run holds it: raw and
# preprocessed inputs, network and CRN outputs, and the agreement's per-example tables
BYTES_PER_FEATURE = 8 * 3
BYTES_PER_OUTPUT = 8 * 6
BYTES_PER_ROW = 64


@dataclass(frozen=True, eq=False)
class Examples:
    """Raw examples, their network inputs after preprocessing, and labels (class index or -1)."""

    raw: np.ndarray
    x: np.ndarray
    labels: np.ndarray | None

    def __len__(self) -> int:
        return self.raw.shape[0]


def _open_text(path: Path):
    # utf-8-sig: a byte-order mark (Excel writes one) is not part of the first cell
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _file_position(f) -> int:
    """Bytes of the file (compressed bytes for .gz) read so far: how far through it the reader is."""
    raw = getattr(f.buffer, "fileobj", f.buffer)
    try:
        return raw.tell()
    except (OSError, ValueError):
        return 0


def _lines(f, path: Path) -> Iterator[str]:
    """The file's lines (ends kept), read in blocks; a line longer than MAX_LINE_CHARS is refused before it is whole."""
    pending = ""
    n = 0
    while True:
        block = f.read(BLOCK_CHARS)
        if not block:
            if pending:
                yield pending
            return
        # StringIO(newline="") splits on \n, \r and \r\n only, as the csv module expects
        lines = io.StringIO(pending + block, newline="").readlines()
        pending = "" if lines[-1].endswith(("\n", "\r")) else lines.pop()
        if len(pending) > MAX_LINE_CHARS:
            raise InputError(f"line is longer than {format_size(MAX_LINE_CHARS)} characters; is this a CSV?",
                             path=str(path), line=n + len(lines) + 1)
        n += len(lines)
        yield from lines


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _read_error(e: BaseException) -> str:
    if isinstance(e, EOFError):
        return "the compressed data ends early: the file is truncated"
    if isinstance(e, zlib.error):
        return f"corrupt compressed data: {e}"
    if isinstance(e, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{e.object[e.start]:02x} at position {e.start} of a line"
    return str(e).splitlines()[0] if str(e) else type(e).__name__


class _Reader:
    """csv rows in chunks, blank rows skipped, with the line each row ends on (for error messages)."""

    def __init__(self, f, path: Path) -> None:
        self.reader = csv.reader(_lines(f, path))

    def chunk(self, size: int) -> tuple[list[list[str]], list[int]]:
        rows: list[list[str]] = []
        lines: list[int] = []
        reader = self.reader
        for row in reader:
            if row and (row[0].strip() or any(c.strip() for c in row)):
                rows.append([csv_value(c) for c in row])
                lines.append(reader.line_num)
                if len(rows) == size:
                    break
        return rows, lines


def read_examples(path: str | Path, network: Network, *, raw_names: list[str] | None = None,
                  max_memory: int | None = None) -> Examples:
    """Read raw examples for ``network`` from a CSV (``.csv`` or ``.csv.gz``) and preprocess them.

    With a header, feature columns are matched by name to the model's raw input names when
    they all appear, else taken in order; a column named label/class/target holds the label
    (a class name or index). Without a header, every column is a feature unless there is
    exactly one more column than features, in which case the last one is the label.
    """
    p = Path(path)
    size = regular_file(p, "inputs CSV").st_size
    names = list(raw_names or network.meta.get("raw_input_names", network.input_names))
    try:
        with _open_text(p) as f:
            raw, labels, lines = _read(_Reader(f, p), lambda: _file_position(f), p, size, names, network,
                                       max_memory)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read CSV ({_read_error(e)})", path=str(p)) from None
    x = preprocess.apply(network.preprocessing, raw)
    bad = preprocess.first_out_of_range(x)
    if bad is not None:  # here the file and the row are still known
        i, k = bad
        name = network.input_names[k] if k < len(network.input_names) else f"#{k + 1}"
        raise InputError(preprocess.out_of_range_message(network.preprocessing, raw[i], float(x[i, k]), name),
                         path=str(p), line=int(lines[i]))
    return Examples(raw, x, labels)


def _read(reader: _Reader, position: Callable[[], int], p: Path, size: int, names: list[str],
          network: Network, max_memory: int | None) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
    rows, lines = reader.chunk(CHUNK_ROWS)
    if not rows:
        raise InputError("the CSV has no rows", path=str(p))
    header = None
    if not all(_is_number(c) for c in rows[0]):
        header = [c.strip() for c in rows[0]]
        del rows[0], lines[0]
        if not rows:
            rows, lines = reader.chunk(CHUNK_ROWS)
        if not rows:
            raise InputError("the CSV has a header but no examples", path=str(p))

    label_col = None
    width = len(header) if header is not None else len(rows[0])  # every row has as many columns
    if header is not None:
        lower = [h.lower() for h in header]
        label_col = next((lower.index(c) for c in LABEL_COLUMNS if c in lower), None)
        feature_cols = [i for i in range(len(header)) if i != label_col]
        if set(names) <= set(header):
            feature_cols = [header.index(n) for n in names]
    else:
        label_col = width - 1 if width == len(names) + 1 else None
        feature_cols = [i for i in range(width) if i != label_col]
    if len(feature_cols) != len(names):
        raise InputError(f"the CSV has {len(feature_cols)} feature columns but the network takes {len(names)} "
                         "inputs", path=str(p))

    per_row = BYTES_PER_ROW + BYTES_PER_FEATURE * len(names) + BYTES_PER_OUTPUT * len(network.class_names)
    class_index = {c: k for k, c in enumerate(network.class_names)}
    labels_seen: dict[str, int] = {}
    chunks, label_chunks, n = [], [], 0
    all_lines: list[int] = []
    while rows:
        all_lines += lines
        values, labels = _parse_chunk(rows, lines, width, feature_cols, label_col, class_index, labels_seen, p)
        chunks.append(values)
        if labels is not None:
            label_chunks.append(labels)
        n += len(rows)
        # the rows still to come, assuming the rest of the file looks like what was read so far
        done = position()
        expected = max(n, int(n * size / done)) if done > 0 else n
        check_memory(expected * per_row, max_memory, f"the inputs CSV (about {expected} rows × {len(names)} features)",
                     path=str(p))
        rows, lines = reader.chunk(CHUNK_ROWS)
    raw = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    labels = None if label_col is None else np.concatenate(label_chunks)
    return raw, labels, all_lines


def _parse_chunk(rows: list[list[str]], lines: list[int], width: int, feature_cols: list[int], label_col: int | None,
                 class_index: dict[str, int], labels_seen: dict[str, int],
                 p: Path) -> tuple[np.ndarray, np.ndarray | None]:
    ragged = next((i for i, row in enumerate(rows) if len(row) != width), None)
    if ragged is not None:
        raise InputError(f"row has {len(rows[ragged])} columns, expected {width} (as the first row)", path=str(p),
                         line=lines[ragged])
    cells = [row[c] for row in rows for c in feature_cols]
    try:
        values = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells)).reshape(len(rows), -1)
    except ValueError:
        for row, line in zip(rows, lines):  # find the cell to name
            for col in feature_cols:
                if not _is_number(row[col]):
                    raise InputError(f"column {col + 1}: {row[col][:40]!r} is not a number", path=str(p), line=line,
                                     column=col + 1) from None
        raise  # pragma: no cover - fromiter(map(float)) fails only where float() does
    if not np.isfinite(values).all():
        i, k = (int(v) for v in np.argwhere(~np.isfinite(values))[0])
        raise InputError(f"NaN or inf in column {feature_cols[k] + 1}", path=str(p), line=lines[i],
                         column=feature_cols[k] + 1)
    if label_col is None:
        return values, None
    labels = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        value = row[label_col].strip()
        k = labels_seen.get(value)
        if k is None:
            k = labels_seen[value] = _label(value, class_index, p, lines[i], label_col)
        labels[i] = k
    return values, labels


def _label(value: str, class_index: dict[str, int], path: Path, line: int, col: int) -> int:
    if value in class_index:
        return class_index[value]
    try:
        f = float(value)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and f.is_integer() and 0 <= f < len(class_index):
        return int(f)
    raise InputError(f"label {value[:40]!r} is neither a class name ({', '.join(class_index)}) nor a class index",
                     path=str(path), line=line, column=col + 1)
