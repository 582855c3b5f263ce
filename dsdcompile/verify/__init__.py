"""Verification of DSD implementations: modules, fuels, module interactions, the whole system, and the reports."""

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
