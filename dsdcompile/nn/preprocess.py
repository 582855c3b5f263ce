"""Preprocessing steps recorded in a model's meta, applied to raw inputs before the network.

A model's ``meta["preprocessing"]`` is a list of steps, each a dict with an ``op`` key.
Steps are plain data (lists of numbers), so they load with ``weights_only=True``.

- ``{"op": "standardize", "mean": [...], "std": [...]}``: (x - mean) / std, per feature
  (a number applies to every feature; a std of 0 leaves that feature unscaled).
- ``{"op": "affine", "scale": s, "offset": o}``: x * s + o (numbers or per-feature lists).
- ``{"op": "pool2d", "height": H, "width": W, "factor": k}``: row-major H×W images → mean over
  k×k blocks, giving (H/k)×(W/k) features.

:func:`validate` checks every parameter against the width it applies to when a model is
loaded, so :func:`apply` never meets a missing key, a list of the wrong length or a zero
pool size.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from dsdcompile.errors import InputError


def _standardize(x: np.ndarray, step: Mapping) -> np.ndarray:
    mean = np.asarray(step["mean"], dtype=np.float64)
    std = np.asarray(step["std"], dtype=np.float64)
    return (x - mean) / np.where(std == 0, 1.0, std)


def _affine(x: np.ndarray, step: Mapping) -> np.ndarray:
    scale = np.asarray(step.get("scale", 1.0), dtype=np.float64)
    return x * scale + np.asarray(step.get("offset", 0.0), dtype=np.float64)


def _pool2d(x: np.ndarray, step: Mapping) -> np.ndarray:
    h, w, k = int(step["height"]), int(step["width"]), int(step["factor"])
    if x.shape[1] != h * w or h % k or w % k:
        raise InputError(f"pool2d expects {h}×{w} = {h * w} features divisible by {k}, got {x.shape[1]}")
    img = x.reshape(x.shape[0], h // k, k, w // k, k)
    return img.mean(axis=(2, 4)).reshape(x.shape[0], -1)


def _pool2d_size(n: int, step: Mapping) -> int:
    return int(step["height"]) * int(step["width"])


OPS: dict[str, Callable[[np.ndarray, Mapping], np.ndarray]] = {
    "standardize": _standardize,
    "affine": _affine,
    "pool2d": _pool2d,
}

# raw input width, for steps that change the number of features: output width -> input width
RAW_SIZE: dict[str, Callable[[int, Mapping], int]] = {"pool2d": _pool2d_size}


# -- checks ---------------------------------------------------------------------------------------------------
def _where(i: int, step: Mapping, name: str) -> str:
    return f"preprocessing step {i} ({step.get('op')}) {name!r}"


def _per_feature(i: int, step: Mapping, name: str, width: int, *, required: bool, non_negative: bool = False) -> None:
    """A finite number, or a flat list of ``width`` finite numbers."""
    if name not in step:
        if required:
            raise InputError(f"preprocessing step {i} ({step['op']}) lacks {name!r}")
        return
    value = step[name]
    values = [value] if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise InputError(f"{_where(i, step, name)} must be a number or a list of {width} numbers, got a "
                         f"{type(value).__name__}")
    if values is value and len(values) != width:
        raise InputError(f"{_where(i, step, name)} has {len(values)} values but the step applies to {width} features")
    for j, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InputError(f"{_where(i, step, name)}[{j}] must be a number, got a {type(v).__name__}: {v!r:.40}")
        if not math.isfinite(float(v)):
            raise InputError(f"{_where(i, step, name)}[{j}] is {v} (NaN/inf)")
        if non_negative and float(v) < 0:
            raise InputError(f"{_where(i, step, name)}[{j}] is {v}; a standard deviation is >= 0 (0: unscaled)")


def _positive_int(i: int, step: Mapping, name: str) -> int:
    v = step.get(name)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise InputError(f"{_where(i, step, name)} must be a positive integer, got {v!r:.40}")
    if v < 1:
        raise InputError(f"{_where(i, step, name)} must be a positive integer, got {v}")
    return int(v)


def _check_step(i: int, step: Mapping, width: int) -> int:
    """Check step ``i`` producing ``width`` features; return the number of features it reads."""
    op = step["op"]
    if op == "standardize":
        _per_feature(i, step, "mean", width, required=True)
        _per_feature(i, step, "std", width, required=True, non_negative=True)
        return width
    if op == "affine":
        _per_feature(i, step, "scale", width, required=False)
        _per_feature(i, step, "offset", width, required=False)
        return width
    if op == "pool2d":
        h, w, k = (_positive_int(i, step, name) for name in ("height", "width", "factor"))
        if h % k or w % k:
            raise InputError(f"preprocessing step {i} (pool2d): factor {k} does not divide the {h}×{w} image")
        if (h // k) * (w // k) != width:
            raise InputError(f"preprocessing step {i} (pool2d) makes {h // k}×{w // k} = {(h // k) * (w // k)} "
                             f"features but {width} are needed")
        return h * w
    raise InputError(f"preprocessing step {i}: unknown op {op!r}")  # pragma: no cover - checked by validate


def validate(steps: Sequence[Mapping], n_inputs: int | None = None) -> int | None:
    """Check ``steps`` (ops, and with ``n_inputs`` every parameter); return the raw input width.

    ``n_inputs`` is the network's input width, what the last step must produce. Raises
    InputError naming the step and the parameter.
    """
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping) or step.get("op") not in OPS:
            known = ", ".join(sorted(OPS))
            op = step.get("op") if isinstance(step, Mapping) else step
            raise InputError(f"preprocessing step {i}: unknown op {op!r:.60}; known: {known}")
    if n_inputs is None:
        return None
    width = n_inputs
    for i in reversed(range(len(steps))):
        width = _check_step(i, steps[i], width)
    return width


# A network input beyond this magnitude is no concentration a tube or an ODE solver can hold: the
# inputs reader refuses it, naming the row and the column (a raw 1e308 overflows a standardisation to
# inf; a model whose affine scale is 1e300 turns every ordinary value into one).
MAX_NETWORK_INPUT = 1e100


def apply(steps: Sequence[Mapping], x: np.ndarray) -> np.ndarray:
    """Map raw inputs (batch × raw features) to network inputs; an overflow gives inf or NaN, silently
    (check the result with :func:`first_out_of_range` where the file and row are known)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for step in steps:
            x = OPS[step["op"]](x, step)
    return x


def first_out_of_range(x: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of the first network input that is NaN, infinite or beyond :data:`MAX_NETWORK_INPUT`."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(x) <= MAX_NETWORK_INPUT)
    if not bad.any():
        return None
    i, k = (int(v) for v in np.argwhere(bad)[0])
    return i, k


def out_of_range_message(steps: Sequence[Mapping], raw_row: np.ndarray, value: float, name: str) -> str:
    """Why one row's network input ``name`` is refused: its value after the model's preprocessing, and the cause."""
    ops = ", ".join(str(s.get("op")) for s in steps) or "none"
    big = float(np.max(np.abs(raw_row))) if raw_row.size else 0.0
    return (f"network input {name!r} is {value:g} after the model's preprocessing ({ops}; largest raw value in the "
            f"row {big:g}); network inputs must be finite and at most {MAX_NETWORK_INPUT:g} in size")


def raw_size(steps: Sequence[Mapping], n_inputs: int) -> int:
    """How many raw features produce ``n_inputs`` network inputs through ``steps``."""
    n = n_inputs
    for step in reversed(list(steps)):
        if step["op"] in RAW_SIZE:
            n = RAW_SIZE[step["op"]](n, step)
    return n
