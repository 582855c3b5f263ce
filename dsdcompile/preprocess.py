"""Preprocessing steps recorded in a model's meta, applied to raw inputs before the network.

A model's ``meta["preprocessing"]`` is a list of steps, each a dict with an ``op`` key.
Steps are plain data (lists of numbers), so they load with ``weights_only=True``.

- ``{"op": "standardize", "mean": [...], "std": [...]}``: (x - mean) / std, per feature.
- ``{"op": "affine", "scale": s, "offset": o}``: x * s + o (scalars or per-feature lists).
- ``{"op": "pool2d", "height": H, "width": W, "factor": k}``: row-major H×W images → mean over
  k×k blocks, giving (H/k)×(W/k) features.
"""

from __future__ import annotations

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


def validate(steps: Sequence[Mapping]) -> None:
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping) or step.get("op") not in OPS:
            known = ", ".join(sorted(OPS))
            op = step.get("op") if isinstance(step, Mapping) else step
            raise InputError(f"preprocessing step {i}: unknown op {op!r}; known: {known}")


def apply(steps: Sequence[Mapping], x: np.ndarray) -> np.ndarray:
    """Map raw inputs (batch × raw features) to network inputs."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    for step in steps:
        x = OPS[step["op"]](x, step)
    return x


def raw_size(steps: Sequence[Mapping], n_inputs: int) -> int:
    """How many raw features produce ``n_inputs`` network inputs through ``steps``."""
    n = n_inputs
    for step in reversed(list(steps)):
        if step["op"] in RAW_SIZE:
            n = RAW_SIZE[step["op"]](n, step)
    return n
