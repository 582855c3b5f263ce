"""dsdcompile: trained ReLU networks → chemical reaction networks → DNA strand-displacement designs.

The names below are imported on first use, so that ``import dsdcompile`` (and the command
line's ``--help``) stays fast: numpy, scipy, torch, peppercorn and ViennaRNA load only when a
stage needs them.
"""

from importlib import metadata as _metadata

from dsdcompile._lazy import lazy_exports as _lazy_exports

try:
    __version__ = _metadata.version("dsdcompile")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    "CRN": "dsdcompile.ir", "Dense": "dsdcompile.ir", "Network": "dsdcompile.ir", "Reaction": "dsdcompile.ir",
    "Role": "dsdcompile.ir", "Signal": "dsdcompile.ir", "Species": "dsdcompile.ir",
    "AgreementConfig": "dsdcompile.config", "CompileConfig": "dsdcompile.config", "RunConfig": "dsdcompile.config",
    "SimulationConfig": "dsdcompile.config", "ExecutionConfig": "dsdcompile.config",
    "KineticsConfig": "dsdcompile.config", "LabConfig": "dsdcompile.config", "RateFuelConfig": "dsdcompile.config",
    "DSDConfig": "dsdcompile.config", "EnumerationConfig": "dsdcompile.config",
    "VerificationConfig": "dsdcompile.config",
    "DsdCompileError": "dsdcompile.errors", "InputError": "dsdcompile.errors", "NotEquivalent": "dsdcompile.errors",
    "DesignInfeasible": "dsdcompile.errors", "SimulationError": "dsdcompile.errors",
    "ExactEvaluator": "dsdcompile.crn.evaluate", "exact_outputs": "dsdcompile.crn.evaluate",
    "load_network": "dsdcompile.nn.load",
    "add_annihilation": "dsdcompile.passes", "compile_network": "dsdcompile.passes", "reduce_crn": "dsdcompile.passes",
    "parse_crn": "dsdcompile.crn", "read_crn": "dsdcompile.crn", "read_crn_json": "dsdcompile.crn",
    "write_crn": "dsdcompile.crn", "write_crn_json": "dsdcompile.crn", "read_crn_file": "dsdcompile.crn",
    "validate_crn": "dsdcompile.crn",
    "simulate": "dsdcompile.sim",
    "sequence_design_folder": "dsdcompile.stages.sequence_files",
    "SequenceConstraints": "dsdcompile.config.sequences",
    "build_design": "dsdcompile.stages.pipeline", "DesignResult": "dsdcompile.stages.pipeline",
    "constructions": "dsdcompile.constructions",
}

__all__ = sorted(_EXPORTS)


__getattr__ = _lazy_exports(__name__, globals(), _EXPORTS)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
