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
