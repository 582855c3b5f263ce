"""What a ``compile`` run may write into its folder (:func:`planned_files`), from the one table of output files.

The folder itself (checked, staged, locked, moved into place) is
:class:`dsdcompile.runtime.files.Destination`; its names are re-exported here for the callers
that import them from this module.
"""

from __future__ import annotations

from dsdcompile.config import RunConfig
from dsdcompile.runtime.files import (
    DESIGN,
    MARKER,
    OLD,
    SUMMARY,
    Destination,
    backup_name,
    check_destination,
    clean_stale,
)
from dsdcompile.runtime.outputs import STAGES, stage_files

# What each stage of `dsdcompile compile` may write into the design folder (names or fnmatch patterns).
STAGE_FILES: dict[str, tuple[str, ...]] = {stage: stage_files(stage) for stage in STAGES}


def planned_stages(config: RunConfig, *, inputs: bool) -> tuple[str, ...]:
    """The stages (of :data:`STAGE_FILES`) a ``compile`` run with ``config`` may run."""
    stages = ["crn"]
    if inputs:
        stages.append("agreement")
    if config.dsd_enabled:
        stages.append("dsd")
        if config.run_kinetics:  # without --inputs: planned for the model's input box (dsdcompile.stages.box)
            stages += ["kinetics", "tube", "lab"]
        if config.sequences is not None:
            stages.append("sequences")
    return tuple(stages)


def planned_files(config: RunConfig, *, inputs: bool) -> tuple[str, ...]:
    """Names (and patterns) a ``compile`` run with ``config`` may write: what it may replace without --force."""
    return tuple(name for stage in planned_stages(config, inputs=inputs) for name in STAGE_FILES[stage])


__all__ = ["DESIGN", "MARKER", "OLD", "SUMMARY", "STAGE_FILES", "Destination", "backup_name", "check_destination",
           "clean_stale", "planned_files", "planned_stages"]
