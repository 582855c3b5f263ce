"""One call from an existing design folder to designed, checked and ordered sequences.

(Inside a design run, :mod:`dsdcompile.stages.sequences` designs them from the in-memory DSD
system before any file is written.)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import InputError
from dsdcompile.runtime.files import csv_dicts
from dsdcompile.runtime.resources import open_text, read_text
from dsdcompile.sequences.problem import SIGNAL_ROLES, SequenceProblem


def design_counts(design_dir: Path) -> dict:
    """Counts from summary.json that the feasibility report scales with (what is there)."""
    path = Path(design_dir) / "summary.json"
    if not path.is_file():
        return {}
    s = json.loads(read_text(path, "summary"))
    out = {}
    if isinstance(s.get("dsd"), dict) and "modules" in s["dsd"]:
        out["modules"] = s["dsd"]["modules"]
    net = s.get("network") or {}
    if "layers" in net:
        out["layers"] = net["layers"]
    crn = s.get("crn") or {}
    if "formal_species" in crn:
        out["species"] = crn["formal_species"]
    return out


def check_feasibility(problem: SequenceProblem, constraints: SequenceConstraints, counts: dict | None = None):
    """The feasibility report of a problem; ``counts`` (modules, layers, species) scale its suggestion."""
    from dsdcompile.sequences.feasibility import feasibility

    signal = {x.rstrip("*") for s in problem.strands if s.role in SIGNAL_ROLES for x in s.domains}
    rows = [(d.name, d.length, d.kind) for d in problem.domains]
    return feasibility(rows, signal, constraints, design_counts=counts or None)


def read_sequences(design_dir: str | Path) -> dict[str, str]:
    """Domain → sequence from a design folder's sequences.csv."""
    path = Path(design_dir) / "sequences.csv"
    try:
        with open_text(path, "sequence table", max_bytes=None) as fh:
            return {r["domain"]: r["sequence"] for r in csv_dicts(fh)}
    except (UnicodeDecodeError, csv.Error, KeyError) as e:
        raise InputError(f"not a sequence table ({type(e).__name__}: {e})", path=str(path)) from None


__all__ = ["check_feasibility", "design_counts", "read_sequences"]
