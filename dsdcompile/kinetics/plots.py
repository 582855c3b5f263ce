"""Kinetics plots: formal vs implementation trajectories, t90, rate draws, leak sweep, rate-dependent runs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dsdcompile.kinetics.leak import LeakSweep  # noqa: E402
from dsdcompile.kinetics.rate_kinetics import READOUT_MULTIPLES, RateKinetics  # noqa: E402
from dsdcompile.kinetics.result import KineticsResult  # noqa: E402
from dsdcompile.kinetics.units import SECONDS_PER_HOUR  # noqa: E402
from dsdcompile.runtime.plots import plain_text  # noqa: E402

_PNG_META = {"Software": None}  # fixed metadata keeps PNGs byte-identical between runs


def _colors() -> list[str]:
    return plt.rcParams["axes.prop_cycle"].by_key()["color"]


def example_per_class(formal: KineticsResult, impl: KineticsResult | None = None) -> list[tuple[int, int]]:
    """(class, example) pairs: the first example the network puts in each class (among simulated ones)."""
    n = formal.n_examples if impl is None else min(formal.n_examples, impl.n_examples)
    labels = formal.nn_labels[:n]
    out = []
    for k in range(formal.nn.shape[1]):
        hits = np.flatnonzero(labels == k)
        if hits.size:
            out.append((k, int(hits[0])))
    return out


def plot_trajectories(formal: KineticsResult, impl: KineticsResult | None, path: Path) -> bool:
    """Outputs over time (hours, log axis) for one example per class: formal solid, implementation dashed."""
    if formal.trajectories is None:
        return False
    picks = example_per_class(formal, impl if impl is not None and impl.trajectories is not None else None)
    if not picks:
        return False
    cols = min(3, len(picks))
    rows = -(-len(picks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows), dpi=100, squeeze=False)
    colors = _colors()
    for ax, (k, e) in zip(axes.ravel(), picks):
        for res, ls in ((formal, "-"), (impl, "--")):
            if res is None or res.trajectories is None:
                continue
            t = res.grid[1:] / SECONDS_PER_HOUR
            for j, name in enumerate(res.class_names):
                label = plain_text(f"{name} ({res.kind})") if ax is axes.ravel()[0] else None
                ax.plot(t, res.trajectories[1:, e, j], ls=ls, color=colors[j % len(colors)], lw=1.4, label=label)
        for j in range(formal.nn.shape[1]):
            ax.axhline(formal.nn[e, j], color=colors[j % len(colors)], ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_title(plain_text(f"example {e} (network: {formal.class_names[k]})"), fontsize=9)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("[Y+] − [Y−] (units)")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(picks):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=6, frameon=False)
    fig.suptitle("Outputs at realistic rates\nsolid: formal CRN, dashed: DNA implementation, dotted: network",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
    return True


def plot_t90(formal: KineticsResult, impl: KineticsResult | None, path: Path) -> bool:
    """Histogram of t90 (hours) over the examples."""
    series = [(r.kind, r.t90_hours()) for r in (formal, impl) if r is not None and r.t90 is not None]
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    top = max(float(v.max(initial=0.0)) for _, v in series) or 1.0
    bins = np.linspace(0.0, top * 1.02, 25)
    for (kind, v), color in zip(series, _colors()):
        ax.hist(v, bins=bins, alpha=0.6, color=color, label=f"{kind} (median {np.median(v):.3g} h)")
    ax.set_xlabel("t90: every output within 10% of its final value (h)")
    ax.set_ylabel("examples")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
    return True


def plot_rate_draws(formal: KineticsResult, path: Path) -> bool:
    """Final CRN outputs of every rate draw against the network's outputs."""
    fig, ax = plt.subplots(figsize=(4.8, 4.4), dpi=100)
    nn = formal.nn.ravel()
    for d, color in zip(range(formal.draws), _colors() * (1 + formal.draws)):
        ax.scatter(nn, formal.outputs[d].ravel(), s=8, alpha=0.6, color=color, label=f"draw {d}")
    lo, hi = float(min(nn.min(initial=0), formal.outputs.min(initial=0))), float(max(nn.max(initial=1),
                                                                                    formal.outputs.max(initial=1)))
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--")
    ax.set_xlabel("network output")
    ax.set_ylabel("formal CRN output at the end of the run")
    ax.set_title(f"Rate independence: {formal.draws} random rate draws", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
    return True


def plot_leak_sweep(sweep: LeakSweep, path: Path) -> None:
    """Fraction of examples still classified like the network against the leak rate."""
    fig, ax = plt.subplots(figsize=(5.4, 3.6), dpi=100)
    k = np.asarray(sweep.leaks)
    frac = np.asarray(sweep.correct) / max(sweep.examples, 1)
    ax.plot(k[k > 0], frac[k > 0], marker="o")
    if (k == 0).any():
        ax.axhline(frac[k == 0][0], color="k", ls="--", lw=0.8, label="no leak")
        ax.legend(frameon=False, fontsize=8)
    if (k > 0).any():
        ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("leak rate constant (/M/s)")
    ax.set_ylabel(f"correctly classified (of {sweep.examples})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)


def plot_rate_trajectories(res: RateKinetics, class_names: list[str], path: Path) -> bool:
    """Rate-dependent designs: outputs over time for one example per class, with the readout times marked.

    Solid: formal CRN at the plan's real rates; dash-dot: implementation with fuel held
    constant; dashed: implementation with finite fuel (what the tube does); dotted: the
    smoothed-ReLU forward pass.
    """
    labels = res.nn.argmax(axis=1)
    picks = [(k, int(np.flatnonzero(labels == k)[0])) for k in range(res.nn.shape[1]) if (labels == k).any()]
    if not picks:
        return False
    cols = min(3, len(picks))
    rows = -(-len(picks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows), dpi=100, squeeze=False)
    colors = _colors()
    end = max(READOUT_MULTIPLES) * res.readout_s
    for ax, (k, e) in zip(axes.ravel(), picks):
        for run, ls, kind in ((res.formal, "-", "formal"), (res.excess, "-.", "fuel excess"),
                              (res.finite, "--", "finite fuel")):
            keep = (run.grid > 0) & (run.grid <= end * 1.0001)
            t = run.grid[keep] / SECONDS_PER_HOUR
            for j, name in enumerate(class_names):
                label = plain_text(f"{name} ({kind})") if ax is axes.ravel()[0] else None
                ax.plot(t, run.outputs[keep, e, j], ls=ls, color=colors[j % len(colors)], lw=1.2, label=label)
        for j in range(res.nn.shape[1]):
            ax.axhline(res.nn[e, j], color=colors[j % len(colors)], ls=":", lw=0.8)
        for m in READOUT_MULTIPLES:
            ax.axvline(m * res.readout_s / SECONDS_PER_HOUR, color="0.5", lw=0.6)
        ax.set_xscale("log")
        ax.set_title(plain_text(f"example {e} (network: {class_names[k]})"), fontsize=9)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("output (units)")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(picks):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=6, frameon=False)
    fig.suptitle(f"Rate-dependent design, τ = {res.plan.time_unit_s:.3g} s; grey: readout at 1×, 2×, 5× "
                 f"{res.readout_s / SECONDS_PER_HOUR:.3g} h", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)
    return True
