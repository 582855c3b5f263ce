"""``dsdcompile mix`` moved to :mod:`dsdcompile.lab.mix`; these names stay importable from here."""

from dsdcompile.lab.mix import (
    MIX_MARKER,
    PLAN,
    LabPlan,
    check_coverage,
    read_plan,
    read_samples,
    run_mix,
    write_lab_plan,
)

__all__ = ["MIX_MARKER", "PLAN", "LabPlan", "check_coverage", "read_plan", "read_samples", "run_mix", "write_lab_plan"]
