"""t90: the time after which every output stays within a band of 10% around its final value."""

from __future__ import annotations

import numpy as np

from dsdcompile.errors import InputError


def t90_batch(times: np.ndarray, outputs: np.ndarray, final: np.ndarray, *, fraction: float = 0.1,
              floor: float = 0.0) -> np.ndarray:
    """t90 of every example from outputs sampled at shared times.

    ``times`` (T,) increasing, ``outputs`` (T, n, k), ``final`` (n, k). Output k of an
    example is settled when ``|y_k(t) - final_k| <= fraction · max(|final_k|, floor)``; t90
    is the time after which all outputs stay settled: the crossing after the last unsettled
    sample, interpolated linearly in log time (linearly from t = 0). The floor keeps an
    output that ends at 0 from needing an arbitrarily narrow band.
    """
    times = np.asarray(times, dtype=np.float64)
    outputs = np.asarray(outputs, dtype=np.float64)
    final = np.asarray(final, dtype=np.float64)
    if outputs.ndim != 3 or outputs.shape[0] != times.size or outputs.shape[1:] != final.shape:
        raise InputError(f"t90 needs times (T,), outputs (T, n, k) and final (n, k); got {times.shape}, "
                         f"{outputs.shape}, {final.shape}")
    if times.size and np.any(np.diff(times) <= 0):
        raise InputError("t90 sample times must be strictly increasing")
    band = fraction * np.maximum(np.abs(final), floor)
    excess = np.abs(outputs - final[None]) - band[None]  # > 0: unsettled
    out = np.zeros(final.shape[0])
    unsettled = excess > 0
    for e in range(final.shape[0]):
        rows = np.flatnonzero(unsettled[:, e].any(axis=1))
        if rows.size == 0:
            continue
        i = int(rows[-1])
        if i + 1 >= times.size:
            out[e] = times[-1]
            continue
        t0, t1 = times[i], times[i + 1]
        crossing = t0
        for k in np.flatnonzero(unsettled[i, e]):
            d0, d1 = excess[i, e, k], excess[i + 1, e, k]
            s = d0 / (d0 - d1)  # d1 <= 0 < d0, so s in (0, 1]
            tk = t0 + s * (t1 - t0) if t0 <= 0 else t0 * (t1 / t0) ** s
            crossing = max(crossing, tk)
        out[e] = crossing
    return out


def t90(times: np.ndarray, outputs: np.ndarray, *, final: np.ndarray | None = None, fraction: float = 0.1,
        floor: float = 0.0) -> float:
    """t90 of one trajectory: ``outputs`` (T, k) at ``times`` (T,); final defaults to the last sample."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    final = outputs[-1] if final is None else np.atleast_1d(np.asarray(final, dtype=np.float64))
    return float(t90_batch(times, outputs[:, None, :], final[None], fraction=fraction, floor=floor)[0])
