"""The one writer of summary.json: every stage's typed result contributes its block, nothing is patched later."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import TYPE_CHECKING

from dsdcompile.config import RunConfig

if TYPE_CHECKING:
    from dsdcompile.stages.agreement import Agreement
    from dsdcompile.stages.crn import CRNResult
    from dsdcompile.stages.dsd import DSDResult
    from dsdcompile.stages.kinetics import KineticsStageResult
    from dsdcompile.stages.lab import LabResult

FORMAT = "dsdcompile-summary"
VERSION = 1
PACKAGES = ("dsdcompile", "numpy", "scipy", "torch", "networkx", "click", "matplotlib",
            "peppercornenumerator", "dsdobjects", "crnverifier", "viennarna")


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the outputs."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def design_summary(config: RunConfig, crn: CRNResult, agreement: Agreement | None, files: list[str], *,
                   dsd: DSDResult | None = None, kinetics: KineticsStageResult | None = None,
                   lab: LabResult | None = None, sequences: dict | None = None, run: dict | None = None) -> dict:
    """summary.json's content. ``sequences`` is the sequence block (its order sheets are known once written);
    ``run`` the one field that changes from run to run (start time, stage timings)."""
    summary: dict = {"format": FORMAT, "version": VERSION}
    summary.update(crn.to_summary())
    summary["agreement"] = agreement.to_summary() if agreement is not None else {"examples": 0}
    summary["config"] = config.to_dict()
    summary["versions"] = versions()
    summary["files"] = sorted(files)
    if dsd is not None:
        summary.update(dsd.to_summary())
    if kinetics is not None:
        summary["kinetics"] = kinetics.to_summary(
            lab_skipped=lab.skipped if lab is not None else None,
            lab_volume_uL=lab.config.volume_uL if lab is not None and lab.written else None,
            sequences=sequences is not None)
    if lab is not None:
        summary["lab"] = lab.to_summary()
    if sequences is not None:
        summary["sequences"] = sequences
    if run is not None:
        summary["run"] = run
    return summary


__all__ = ["FORMAT", "VERSION", "design_summary", "versions"]
