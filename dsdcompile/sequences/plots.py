"""Plots of a sequence design: GC content, strand folding, crosstalk and complex defects."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dsdcompile.runtime.plots import _PNG_META  # noqa: E402


def plot_sequence_report(design, path: Path) -> None:
    """One figure, four panels: GC histogram, strand MFE, crosstalk energies, complex ensemble defects."""
    c = design.constraints
    long = [d for d in design.problem.domains if d.long]
    gc = np.array([(design.domains[d.name].count("G") + design.domains[d.name].count("C")) / d.length
                   for d in long])
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=100)
    ax = axes[0, 0]
    if len(gc):
        ax.hist(gc * 100, bins=np.arange(0, 101, 100 / 15), color="tab:blue")
    ax.axvspan(c.gc_min * 100, c.gc_max * 100, color="tab:green", alpha=0.12, label="allowed")
    ax.set(xlabel="GC content of long domains (%)", ylabel="domains", title="GC content")
    ax.legend(frameon=False)

    ax = axes[0, 1]
    paired = np.array([s.paired for s in design.strands])
    dg = np.array([s.mfe_dG for s in design.strands])
    ax.scatter(paired, dg, s=10, alpha=0.6)
    ax.axvline(c.max_paired + 0.5, color="tab:red", ls="--", lw=1, label=f"max paired = {c.max_paired}")
    ax.set(xlabel="paired bases in MFE structure", ylabel="MFE ΔG (kcal/mol)", title="single strands")
    ax.legend(frameon=False)

    ax = axes[1, 0]
    x = design.crosstalk
    if len(x.vienna_dG):
        ax.hist(x.vienna_dG, bins=40, color="tab:purple")
    ax.axvline(c.crosstalk_dG, color="tab:red", ls="--", lw=1, label=f"threshold {c.crosstalk_dG:g}")
    ax.set(xlabel="duplex ΔG of non-partner free strands (kcal/mol)", ylabel="pairs",
           title=f"crosstalk ({x.pairs_vienna} of {x.pairs_total} pairs by ViennaRNA)")
    ax.legend(frameon=False)

    ax = axes[1, 1]
    defects = np.array([r.check.ensemble_defect for r in design.complexes])
    ok = np.array([r.passed(c) for r in design.complexes], dtype=bool)
    idx = np.arange(len(defects))
    if len(defects):
        ax.bar(idx[ok], defects[ok], color="tab:green", label="intended = MFE (or probable)")
        ax.bar(idx[~ok], defects[~ok], color="tab:red", label="fails")
    ax.set(xlabel="multi-stranded complex", ylabel="normalised ensemble defect", title="fuel complexes")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, metadata=_PNG_META)
    plt.close(fig)


__all__ = ["plot_sequence_report"]
