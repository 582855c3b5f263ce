"""Verification of DSD implementations: modules, fuels, module interactions, the whole system, and the reports.

:func:`verify_system` runs every check of a design in order (:mod:`dsdcompile.verify.design` says
what each proves); :class:`Verdict` is the outcome of a check and of the whole.
"""

from dsdcompile.verify.design import verify_system
from dsdcompile.verify.modular import attach_whole, verify_modules, verify_whole
from dsdcompile.verify.report import write_reports
from dsdcompile.verify.result import (
    EQUIVALENT,
    INCONCLUSIVE,
    NOT_EQUIVALENT,
    Check,
    ModuleVerdict,
    Verdict,
    VerificationResult,
)

__all__ = [
    "EQUIVALENT",
    "INCONCLUSIVE",
    "NOT_EQUIVALENT",
    "Check",
    "ModuleVerdict",
    "Verdict",
    "VerificationResult",
    "attach_whole",
    "verify_modules",
    "verify_system",
    "verify_whole",
    "write_reports",
]
