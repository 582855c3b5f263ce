"""The readout plot: one example's fluorescence over time, and every example's read values against the network."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dsdcompile.kinetics.units import SECONDS_PER_HOUR  # noqa: E402

_PNG_META = {"Software": None}  # fixed metadata keeps PNGs byte-identical between runs


def plot_fluorescence(tube, path: Path, example: int = 0) -> bool:
    """Left: the planned tube's fluorescence per rail for ``example`` (read time dashed). Right: class values at
    the read time (planned tube, calibrated) against the network's outputs, every example."""
    if not tube.runs or example < 0:
        return False
    run = tube.runs["planned"]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    t = run.grid[1:] / SECONDS_PER_HOUR
    labels = {r.reporter: f"{r.species} ({r.dye.dye}, well {r.group + 1})" for r in tube.readout}
    for r, rep in enumerate(tube.reporters.reporters):
        ls = "-" if rep.rail > 0 else "--"
        k = tube.class_names.index(rep.output)
        ax.plot(t, run.rails[1:, example, r], ls=ls, color=colors[k % len(colors)], lw=1.4,
                label=labels.get(rep.name, rep.species))
    ax.axvline(tube.read_time_s / SECONDS_PER_HOUR, color="k", ls=":", lw=1.0, label="read")
    ax.set_xscale("log")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("free fluorophore strand (nM)")
    ax.set_title(f"example {example}: fluorescence per rail (solid +, dashed −)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    values = tube.values["planned"]
    for k, name in enumerate(tube.class_names):
        bx.scatter(tube.nn[:, k], values[:, k], s=12, color=colors[k % len(colors)], label=name)
    lo = float(min(tube.nn.min(), values.min()))
    hi = float(max(tube.nn.max(), values.max()))
    bx.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
    agree = tube.agreement("planned")
    bx.set_xlabel("network output")
    bx.set_ylabel(f"read value at {tube.read_time_s / SECONDS_PER_HOUR:.3g} h (calibrated)")
    bx.set_title(f"every example, tube as planned: labels = network {100 * agree:.1f} %", fontsize=9)
    bx.legend(fontsize=7, frameon=False)
    bx.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
    return True


__all__ = ["plot_fluorescence"]
