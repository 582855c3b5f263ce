"""Verification of DSD implementations against formal CRNs: modular CRN bisimulation, pathway decomposition, reports."""

from dsdcompile.verify.modular import attach_whole, verify_modules, verify_whole
from dsdcompile.verify.report import write_reports
from dsdcompile.verify.result import (
    EQUIVALENT,
    INCONCLUSIVE,
    NOT_EQUIVALENT,
    Check,
    ModuleVerdict,
    VerificationResult,
)

__all__ = [
    "EQUIVALENT",
    "INCONCLUSIVE",
    "NOT_EQUIVALENT",
    "Check",
    "ModuleVerdict",
    "VerificationResult",
    "attach_whole",
    "verify_modules",
    "verify_whole",
    "write_reports",
]
