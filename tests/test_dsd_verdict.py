"""One verdict for a DSD design: exit codes, a report that never contradicts its headline, reproducible folders."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dsdcompile.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, text: str, *extra, name: str = "f"):
    (tmp_path / f"{name}.crn").write_text(text)
    out = tmp_path / f"{name}_design"
    res = CliRunner().invoke(main, [str(tmp_path / f"{name}.crn"), "--scheme", "soloveichik2010", "--out", str(out),
                                    "--executor", "serial", "-q", *map(str, extra)])
    return res, out


def test_plain_crn_is_equivalent_with_no_contradicting_section_and_orderable_signals(tmp_path):
    """A + B -> C with no @input/@init: every check agrees, and A, B and C each get a signal strand."""
    res, out = _run(tmp_path, "A + B -> C\n")
    assert res.exit_code == 0, res.output
    report = json.loads((out / "verification.json").read_text())
    assert report["verdict"] == "equivalent"
    assert report["fuels"]["verdict"] == report["interaction"]["verdict"] == "equivalent"
    # the whole system (1 module, every species seeded) is small enough to be verified, and agrees
    whole = report["whole_system"]
    assert whole["verdict"] == "equivalent" and whole["seeded_species"] == 3 and whole["implementation_reactions"] > 0
    md = (out / "verification.md").read_text()
    assert "not-equivalent" not in md and "What it does not" in md and "verified.crn" in md
    with open(out / "strands.csv") as fh:
        rows = list(csv.DictReader(fh))
    free = {r["strand"].split(".")[0]: r for r in rows if r["module"] == ""}  # strands ordered on their own
    assert set(free) == {"A", "B", "C"} and all(r["role"] == "signal" for r in free.values())
    assert (out / "verified.crn").read_text().strip().endswith("A + B -> C")


def test_inconclusive_exits_4_unless_allowed(tmp_path, monkeypatch):
    """The module check fails to run (fault injected): no proof either way, exit 4, the folder written."""
    from dsdcompile.verify import bisimulation

    def broken(*args, **kwargs):
        raise RuntimeError("checker down")

    monkeypatch.setattr(bisimulation, "check_modular", broken)
    res, out = _run(tmp_path, "A -> B\n", "--no-verify-whole")
    assert res.exit_code == 4, res.output
    assert "inconclusive" in res.output and "--allow-inconclusive" in res.output
    assert json.loads((out / "summary.json").read_text())["verification"]["verdict"] == "inconclusive"
    res, _ = _run(tmp_path, "A -> B\n", "--no-verify-whole", "--allow-inconclusive", name="g")
    assert res.exit_code == 0, res.output


def test_two_identical_runs_write_identical_folders_apart_from_timings(tmp_path):
    """Species names come from canonical complex forms, not from peppercorn's exploration order."""
    (tmp_path / "same.crn").write_text("A + B -> C\nC -> A + D\n")
    first, second = tmp_path / "one" / "d", tmp_path / "two" / "d"  # one name: it titles the report
    # separate processes with different string hashing: peppercorn's exploration order depends on it
    for out, seed in ((first, "1"), (second, "3")):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        done = subprocess.run([sys.executable, "-m", "dsdcompile", str(tmp_path / "same.crn"), "--scheme",
                               "soloveichik2010", "--out", str(out), "--executor", "serial", "-q"], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(p.name for p in second.iterdir())
    timing = re.compile(r"\d+(\.\d+)? (ms|s)\b|\"(seconds|enumeration_seconds|started)\": [^,\n]+")
    for name in files:
        a, b = (first / name).read_text(), (second / name).read_text()
        if name == "summary.json":
            a, b = (json.loads(x) for x in (a, b))
            for s in (a, b):
                s.pop("run")
                s["verification"].pop("seconds")
            assert a == b
        else:
            assert timing.sub("T", a) == timing.sub("T", b), name


def test_huge_coefficient_is_refused_with_exit_2_naming_the_reaction(tmp_path):
    """Above the DSD stage's limit (1000) the reaction is named; above any CRN file's (10^6), the line."""
    res, out = _run(tmp_path, "A -> B\nA -> 5000 B\n")
    assert res.exit_code == 2
    assert "reaction 1 (A -> 5000 B)" in res.output and "max_coefficient" in res.output
    assert not out.exists()
    res, out = _run(tmp_path, "A -> B\nA -> 4294967297 B\n")
    assert res.exit_code == 2 and "f.crn:2:6" in res.output and "above the limit" in res.output
    assert not out.exists()


def test_three_identical_reactants_translate_and_verify(tmp_path):
    """3 A -> B: the scheme emits the same translator twice; listed once, the module verifies."""
    res, out = _run(tmp_path, "3 A -> B\n")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "verification.json").read_text())["verdict"] == "equivalent"


def test_without_the_interaction_check_equivalence_is_not_claimed(tmp_path):
    """Two correct modules: with --no-interactions their verdicts are not shown to compose."""
    res, out = _run(tmp_path, "A + B -> C\nC -> A\n", "--no-interactions", "--no-verify-whole")
    assert res.exit_code == 4, res.output
    report = json.loads((out / "verification.json").read_text())
    assert report["verdict"] == "inconclusive" and report["modules"][0]["verdict"] == "equivalent"
    assert "--no-interactions" in report["interaction"]["detail"]
