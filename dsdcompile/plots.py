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


def plot_output_trajectories(times: np.ndarray, outputs: np.ndarray, class_names: Sequence[str],
                             path: Path, *, expected: np.ndarray | None = None, title: str = "",
                             time_unit: str = "time (a.u.)") -> None:
    """Output values [Y+] - [Y-] over time for one example, with the network's outputs dashed."""
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    t = np.asarray(times)
    positive = t > 0
    for k, name in enumerate(class_names):
        color = colors[k % len(colors)]
        ax.plot(t[positive], outputs[positive, k], color=color, lw=1.8, label=str(name))
        if expected is not None:
            ax.axhline(expected[k], color=color, ls="--", lw=0.9, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(time_unit)
    ax.set_ylabel("output value  [Y+] − [Y−]")
    ax.set_title(title or "CRN outputs over time (dashed: network output)")
    ax.legend(fontsize=8, ncol=2 if len(class_names) > 5 else 1, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)


def plot_convergence_times(times: np.ndarray, path: Path, *, title: str = "") -> None:
    """Histogram of times to reach the fixed point from random initial states."""
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    ax.hist(times, bins=min(20, max(5, len(times) // 2)), color="#4c72b0", edgecolor="white")
    ax.axvline(float(np.median(times)), color="k", ls="--", lw=1, label=f"median {np.median(times):.3g}")
    ax.set_xlabel("time to settle within 0.1% of the fixed point (a.u.)")
    ax.set_ylabel("random initial states")
    ax.set_title(title or "Convergence from random initial states")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
