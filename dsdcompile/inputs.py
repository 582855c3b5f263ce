"""Reading example inputs from CSV: one example per row, optional header, optional label column."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile import preprocess
from dsdcompile.errors import InputError
from dsdcompile.ir import Network

LABEL_COLUMNS = ("label", "class", "target")


@dataclass(frozen=True, eq=False)
class Examples:
    """Raw examples, their network inputs after preprocessing, and labels (class index or -1)."""

    raw: np.ndarray
    x: np.ndarray
    labels: np.ndarray | None

    def __len__(self) -> int:
        return self.raw.shape[0]


def _open_text(path: Path):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def read_examples(path: str | Path, network: Network, *, raw_names: list[str] | None = None) -> Examples:
    """Read raw examples for ``network`` from a CSV (``.csv`` or ``.csv.gz``) and preprocess them.

    With a header, feature columns are matched by name to the model's raw input names when
    they all appear, else taken in order; a column named label/class/target holds the label
    (a class name or index). Without a header, every column is a feature unless there is
    exactly one more column than features, in which case the last one is the label.
    """
    p = Path(path)
    names = list(raw_names or network.meta.get("raw_input_names", network.input_names))
    try:
        with _open_text(p) as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (UnicodeDecodeError, OSError, gzip.BadGzipFile, csv.Error) as e:
        raise InputError(f"cannot read CSV ({e})", path=str(p)) from None
    if not rows:
        raise InputError("the CSV has no rows", path=str(p))
    header = None
    if not all(_is_number(c) for c in rows[0]):
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if not rows:
        raise InputError("the CSV has a header but no examples", path=str(p))

    label_col = None
    if header is not None:
        lower = [h.lower() for h in header]
        label_col = next((lower.index(c) for c in LABEL_COLUMNS if c in lower), None)
        feature_cols = [i for i in range(len(header)) if i != label_col]
        if set(names) <= set(header):
            feature_cols = [header.index(n) for n in names]
    else:
        width = len(rows[0])
        label_col = width - 1 if width == len(names) + 1 else None
        feature_cols = [i for i in range(width) if i != label_col]
    if len(feature_cols) != len(names):
        raise InputError(f"the CSV has {len(feature_cols)} feature columns but the network takes {len(names)} "
                         "inputs", path=str(p))

    raw = np.empty((len(rows), len(feature_cols)))
    labels = [] if label_col is not None else None
    class_index = {c: k for k, c in enumerate(network.class_names)}
    first = 2 if header is not None else 1
    for n, row in enumerate(rows):
        line = n + first
        needed = max(feature_cols + ([label_col] if label_col is not None else []))
        if len(row) <= needed:
            raise InputError(f"row has {len(row)} columns, expected {needed + 1}", path=str(p), line=line)
        for k, col in enumerate(feature_cols):
            try:
                raw[n, k] = float(row[col])
            except ValueError:
                raise InputError(f"column {col + 1}: {row[col]!r} is not a number", path=str(p), line=line,
                                 column=col + 1) from None
        if labels is not None:
            labels.append(_label(row[label_col].strip(), class_index, p, line, label_col))
    if not np.isfinite(raw).all():
        bad = np.argwhere(~np.isfinite(raw))[0]
        raise InputError(f"NaN or inf in column {feature_cols[bad[1]] + 1}", path=str(p), line=int(bad[0]) + first)
    x = preprocess.apply(network.preprocessing, raw)
    return Examples(raw, x, None if labels is None else np.array(labels, dtype=np.int64))


def _label(value: str, class_index: dict[str, int], path: Path, line: int, col: int) -> int:
    if value in class_index:
        return class_index[value]
    try:
        k = int(float(value))
    except ValueError:
        k = -1
    if 0 <= k < len(class_index) and float(value) == k:
        return k
    raise InputError(f"label {value!r} is neither a class name ({', '.join(class_index)}) nor a class index",
                     path=str(path), line=line, column=col + 1)
