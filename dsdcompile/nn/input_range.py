"""The input box a model is planned for: its meta's ``input_range``, or recomputed from the data set it names.

A model trained by ``dsdcompile train`` records, per network input (after preprocessing), the
range its training split covers, widened by a margin (:func:`input_range`)::

    "input_range": {"low": [...], "high": [...], "margin": 0.1, "split": "train",
                    "rule": "..."}

The margin is :data:`MARGIN` of the feature's training span on each side: a new sample a little
outside what training saw (a batch effect, a slightly different scanner) stays covered, while
the box (and so the fuel planned for it) does not grow with outliers far beyond the data. A
side that the training split leaves at or on one side of 0 (a feature never negative, such as
a pixel or a count) is not pushed across 0, so a non-negative feature keeps an empty minus rail.

The design pipeline plans fuel for every input in this box (:mod:`dsdcompile.crn.bounds`). A
model without a recorded range gets it recomputed exactly as training would from the data set
its meta names, when that data set is at hand (:func:`resolve_range`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.nn import preprocess

MARGIN = 0.1
RULE = ("per network input (after preprocessing): [min, max] over the training split widened by margin × (max − min) "
        "on each side, not across 0")
DATA_ENV = "DSDCOMPILE_DATA_DIR"
DEFAULT_DATA_DIR = "../shared/data"


def input_range(x_net: np.ndarray, *, margin: float = MARGIN, split: str = "train") -> dict:
    """The ``input_range`` meta entry for network inputs ``x_net`` (examples × inputs, preprocessing applied)."""
    x = np.atleast_2d(np.asarray(x_net, dtype=np.float64))
    if not x.shape[0]:
        raise ValueError("an input range needs at least one example")
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = margin * (hi - lo)
    low = np.where(lo >= 0, np.maximum(lo - pad, 0.0), lo - pad)
    high = np.where(hi <= 0, np.minimum(hi + pad, 0.0), hi + pad)
    return {"low": [float(v) for v in low], "high": [float(v) for v in high], "margin": float(margin),
            "split": split, "rule": RULE}


def training_range(data, steps, *, margin: float = MARGIN) -> dict:
    """The range of a :class:`~dsdcompile.nn.datasets.Dataset`'s training split through ``steps``."""
    return input_range(preprocess.apply(steps, data.x_train), margin=margin)


@dataclass(frozen=True)
class InputBox:
    """The box of network inputs fuel is planned for, and where it came from (``source``: one line)."""

    low: np.ndarray
    high: np.ndarray
    source: str
    margin: float | None = None


def _command_data_dir(meta: Mapping) -> str | None:
    words = str(meta.get("command") or "").split()
    for i, w in enumerate(words[:-1]):
        if w == "--data-dir":
            return words[i + 1]
    return None


def data_dirs(meta: Mapping, model_path: str | Path | None = None) -> list[Path]:
    """Folders that may hold the data set a model's meta names, in the order they are tried: $DSDCOMPILE_DATA_DIR,
    the training command's --data-dir and the default, from the working directory, the model's folder and its
    parents, and the repository this package runs from."""
    names = [n for n in (_command_data_dir(meta), DEFAULT_DATA_DIR) if n]
    bases = [Path.cwd()]
    if model_path is not None:
        here = Path(model_path).resolve().parent
        bases += [here, *here.parents]
    bases.append(Path(__file__).resolve().parents[2])
    out = [Path(os.environ[DATA_ENV])] if os.environ.get(DATA_ENV) else []
    out += [b / n for b in bases for n in dict.fromkeys(names)]
    return list(dict.fromkeys(p for p in out))


def load_named_dataset(meta: Mapping, model_path: str | Path | None = None):
    """The data set a model's meta names, with its split seed, if it is at hand (else None)."""
    from dsdcompile.errors import InputError
    from dsdcompile.nn import datasets as ds

    name = meta.get("dataset")
    if name not in ds.DATASETS:
        return None
    seed = int((meta.get("split") or {}).get("seed", 0))
    if name == "iris":
        try:
            return ds.load_dataset(name, ".", seed)
        except InputError:
            return None
    sub = ds.VIRUS_DIR if name == "virus" else ds.MNIST_DIR
    for d in data_dirs(meta, model_path):
        if (d / sub).is_dir():
            try:
                return ds.load_dataset(name, d, seed)
            except InputError:
                continue
    return None


def resolve_range(network, model_path: str | Path | None = None) -> InputBox | None:
    """The input box of a loaded network: its meta's ``input_range``, else recomputed from the data set it names
    (when at hand), else None."""
    meta = network.meta or {}
    box = meta.get("input_range")
    if box is not None:
        return InputBox(np.asarray(box["low"], dtype=np.float64), np.asarray(box["high"], dtype=np.float64),
                        f"the model's input_range ({box.get('split', 'train')} split, margin {box.get('margin')})",
                        box.get("margin"))
    data = load_named_dataset(meta, model_path)
    if data is None:
        return None
    box = training_range(data, network.preprocessing)
    if len(box["low"]) != len(network.input_names):
        return None
    return InputBox(np.asarray(box["low"]), np.asarray(box["high"]),
                    f"recomputed from the {data.name} training split (margin {MARGIN}); the model records no "
                    "input_range", MARGIN)


__all__ = ["DATA_ENV", "MARGIN", "RULE", "InputBox", "data_dirs", "input_range", "load_named_dataset",
           "resolve_range", "training_range"]
