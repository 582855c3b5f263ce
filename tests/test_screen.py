"""Stop at the first proven error (dsdcompile.verify.screen): a wrong design is proven wrong from its smallest
shapes without enumerating the rest; a module wrong only alone never stops it; --check-every-shape checks all."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.config import ExecutionConfig, RunConfig, VerificationConfig
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import compile_model
from dsdcompile.stages.dsd import run_dsd_stage

HERE = Path(__file__).resolve().parent
# six shapes (1->1, 1->2, 1->3, 2A->1, A+B->1, 1->0): more than the four the screen enumerates first
SIX_SHAPES = "A -> B\nC -> D + E\nF -> G + H + I\nJ + J -> K\nL + M -> N\nP ->\n"


def _run(tmp_path, text, *extra, scheme):
    (tmp_path / "f.crn").write_text(text)
    out = tmp_path / "f_design"
    res = CliRunner().invoke(main, [str(tmp_path / "f.crn"), "--scheme", scheme, "--out", str(out), "--executor",
                                    "serial", "--no-kinetics", "-q", "--force", *extra])
    return res, json.loads((out / "verification.json").read_text()), json.loads((out / "summary.json").read_text())


def test_a_broken_scheme_is_proven_wrong_from_its_smallest_shapes_and_says_what_it_left(tmp_path):
    scheme = str(HERE / "mutants" / "double_release.py")  # every fork gate releases its first product twice
    res, report, summary = _run(tmp_path, SIX_SHAPES, scheme=scheme)
    assert res.exit_code == 3, res.output
    assert report["verdict"] == "not-equivalent"
    whole = report["whole_system"]
    assert whole["verdict"] == "not-equivalent" and whole["rechecked"] and "path:" in whole["counterexample"]
    left = [m for m in report["modules"] if (m.get("note") or "").startswith("not checked")]
    assert left and all(m["verdict"] == "inconclusive" for m in left)
    assert len(report["modules"]) == 6
    assert "not enumerated" in summary["dsd"]["enumeration_stopped"]
    assert report["interaction"]["verdict"] == "inconclusive" and "not checked" in report["interaction"]["detail"]
    page = (tmp_path / "f_design" / "verification.md").read_text()
    assert "not checked: 2 shape(s) were not enumerated" in page and "share a formal species" not in page

    res, every, summary = _run(tmp_path, SIX_SHAPES, "--check-every-shape", scheme=scheme)
    assert res.exit_code == 3, res.output
    assert not any((m.get("note") or "").startswith("not checked") for m in every["modules"])
    assert len(every["modules"]) == 6 and "enumeration_stopped" not in summary["dsd"]
    # every shape with products releases its first one twice: each is proven wrong on its own
    assert sum(m["verdict"] == "not-equivalent" for m in every["modules"]) == 5


def test_a_correct_design_is_checked_whole(tmp_path):
    res, report, summary = _run(tmp_path, SIX_SHAPES, scheme="soloveichik2010")
    assert res.exit_code == 0, res.output
    assert all(m["verdict"] == "equivalent" for m in report["modules"]) and len(report["modules"]) == 6
    assert "enumeration_stopped" not in summary["dsd"]


def test_a_module_wrong_only_alone_does_not_stop_the_design(tmp_path):
    """2 A -> A is wrong alone under soloveichik2010, but A -> 2 A covers what it does: no proof about the
    system, so the screen must go on and the design is never called wrong."""
    text = "A + A <=> A\nC -> D + E\nF -> G + H + I\nL + M -> N\nP ->\n"
    (tmp_path / "x.crn").write_text(text)
    config = RunConfig(scheme="soloveichik2010", run_kinetics=False, execution=ExecutionConfig(executor="serial"),
                       verification=VerificationConfig(system_budget=4.0))
    dsd = run_dsd_stage(compile_model(tmp_path / "x.crn", config, Progress(quiet=True)), config,
                        Progress(quiet=True))
    v = dsd.verification
    wrong_alone = [m.formal for m in v.modules if m.verdict == "not-equivalent"]
    assert wrong_alone and all("A" in f and "C" not in f for f in wrong_alone), wrong_alone
    assert v.verdict != "not-equivalent", v.basis
    assert not any((m.note or "").startswith("not checked") for m in v.modules)
    assert "enumeration_stopped" not in dsd.extra
