"""Plots a person would rather look at than read: output trajectories (Vasic et al. 2020, Fig. 3)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# fixed metadata keeps PNGs byte-identical between runs
_PNG_META = {"Software": None}
_PLOT_LIMIT = 1e300  # beyond this matplotlib's transforms overflow (LinAlgError: singular matrix)


def plain_text(text: object) -> str:
    """User text (class names, titles) shown as written: a ``$`` never starts matplotlib's mathtext."""
    return str(text).replace("$", r"\$")


def _plottable(values: np.ndarray) -> np.ndarray:
    """Values with NaN/inf and magnitudes matplotlib cannot place turned into gaps (NaN)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (np.abs(v) < _PLOT_LIMIT), v, np.nan)


def plot_output_trajectories(times: np.ndarray, outputs: np.ndarray, class_names: Sequence[str],
                             path: Path, *, expected: np.ndarray | None = None, title: str = "",
                             time_unit: str = "time (a.u.)") -> None:
    """Output values [Y+] - [Y-] over time for one example, with the network's outputs dashed."""
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    t = np.asarray(times)
    positive = t > 0
    outputs = _plottable(outputs)
    for k, name in enumerate(class_names):
        color = colors[k % len(colors)]
        ax.plot(t[positive], outputs[positive, k], color=color, lw=1.8, label=plain_text(name))
        if expected is not None and np.isfinite(_plottable(expected[k])):
            ax.axhline(expected[k], color=color, ls="--", lw=0.9, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(time_unit)
    ax.set_ylabel("output value  [Y+] − [Y−]")
    ax.set_title(plain_text(title) if title else "CRN outputs over time (dashed: network output)")
    ax.legend(fontsize=8, ncol=2 if len(class_names) > 5 else 1, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)


def plot_convergence_times(times: np.ndarray, path: Path, *, title: str = "") -> None:
    """Histogram of times to reach the fixed point from random initial states."""
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    times = _plottable(times)
    times = times[np.isfinite(times)]
    if len(times):
        ax.hist(times, bins=min(20, max(5, len(times) // 2)), color="#4c72b0", edgecolor="white")
        ax.axvline(float(np.median(times)), color="k", ls="--", lw=1, label=f"median {np.median(times):.3g}")
    ax.set_xlabel("time to settle within 0.1% of the fixed point (a.u.)")
    ax.set_ylabel("random initial states")
    ax.set_title(plain_text(title) if title else "Convergence from random initial states")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
