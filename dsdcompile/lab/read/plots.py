"""Plots of a reading: measured against simulated traces per well, and the calibration curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsdcompile.runtime.plots import plain_text

PANELS = 36  # sample wells per figure


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_calibration(analysis, folder: Path) -> list[str]:
    plt = _plt()
    cals = sorted(analysis.calibrations.items())
    if not cals:
        return []
    fig, axes = plt.subplots(1, len(cals), figsize=(2.6 * len(cals), 2.6), dpi=100, squeeze=False)
    for ax, ((g, dye), c) in zip(axes[0], cals):
        x = np.linspace(0.0, float(c.levels_nM.max(initial=1.0)) * 1.05, 50)
        ax.plot(c.levels_nM, c.readings, "o", ms=4)
        ax.plot(x, c.intercept + c.slope * c.shape(x), "-", lw=1)
        ax.set_title(plain_text(f"{dye}, group {g}" + ("" if c.ok else " (bad fit)")), fontsize=8)
        ax.set_xlabel("standard (nM)", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(folder / "calibration.png", metadata={"Software": None})
    plt.close(fig)
    return ["calibration.png"]


def plot_traces(analysis, result, folder: Path) -> list[str]:
    """traces_group<g>.png (``_<k>`` per 36 wells): one panel per sample well, every rail measured (dots) and
    simulated by the fitted tube (lines), free fluorophore in nM against hours."""
    plt = _plt()
    d = analysis.design
    written = []
    for g in sorted({sw.group for sw in d.sample_wells}):
        group = [sw for sw in d.sample_wells if sw.group == g]
        chunks = [group[i:i + PANELS] for i in range(0, len(group), PANELS)]
        for c, wells in enumerate(chunks, start=1):
            name = f"traces_group{g}.png" if len(chunks) == 1 else f"traces_group{g}_{c}.png"
            _plot_wells(plt, analysis, result, wells, g, folder / name)
            written.append(name)
    return written


def _plot_wells(plt, analysis, result, wells, g, path: Path) -> None:
    d = analysis.design
    hours = analysis.times / 3600.0
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rails = [k for k, r in enumerate(d.rails) if r.group == g]
    ncol = min(6, len(wells))
    nrow = int(np.ceil(len(wells) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.2 * ncol, 1.8 * nrow), dpi=90, squeeze=False, sharex=True)
    for ax in axes.flat[len(wells):]:
        ax.axis("off")
    for ax, sw in zip(axes.flat, wells):
        sim = meas = None
        if result is not None and sw.sample in result.predicted_traces:
            sim, meas = result.predicted_traces[sw.sample]
        for j, k in enumerate(rails):
            r = d.rails[k]
            y = analysis.traces_nM[sw.sample][:, k] if meas is None else meas[:, k]
            ax.plot(hours, y, ".", ms=1.5, color=colors[j % len(colors)],
                    label=plain_text(f"{r.dye} {r.class_name}{'+' if r.sign > 0 else '-'}"))
            if sim is not None:
                ax.plot(hours, sim[:, k], "-", lw=0.8, color=colors[j % len(colors)])
        ax.axvline(analysis.read_time_s / 3600.0, color="0.6", lw=0.5, ls=":")
        ax.set_title(plain_text(f"{d.key(sw)}: sample {sw.sample} ({analysis.predicted[sw.sample]})"), fontsize=7)
        ax.tick_params(labelsize=5)
    axes.flat[0].legend(fontsize=5, loc="lower right")
    fig.supxlabel("hours (dots: plate; lines: fitted tube)", fontsize=7)
    fig.supylabel("free fluorophore (nM)", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


__all__ = ["plot_calibration", "plot_traces"]
