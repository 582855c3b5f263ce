"""Verdicts of the schemes written in nuskell's language: the *return* refutation that settles fork gates fast,
the six pairs where dsdcompile's modular check is stricter than nuskell's, and the chen2013_2D_JF variants'
declared enumeration fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.verify.decide import recheck
from dsdcompile.verify.refute import refute

# X -> Y + Z as a fork whose first step stays reversible while its second branch already releases Y: from X
# the implementation reaches a state holding Y's signal and can still go back to X.
UNDOABLE = (
    (("X",), ("a", "b")), (("a", "b"), ("X",)),      # reversible split
    (("a",), ("y", "c")), (("y", "c"), ("a",)),      # releases Y's signal, reversibly
    (("b",), ("z", "d")),                            # the commit: releases Z
    (("c",), ("w",)),
)
SIGNALS = {"X": "X", "y": "Y", "z": "Z"}
FORMAL = [(("X",), ("Y", "Z"))]


def test_a_gate_undone_after_releasing_a_product_is_refuted_and_the_replay_confirms_it():
    proof = refute(UNDOABLE, SIGNALS, FORMAL)
    assert proof is not None and proof.kind == "return" and proof.start == ("X",)
    assert "y" in proof.state and proof.back
    start = ["X"]
    assert recheck(FORMAL, UNDOABLE, SIGNALS, "return", ["X"], start, proof.path, proof.state, proof.back) is None
    # the replay is independent: a way back that does not return, or a formal CRN that can return, is rejected
    assert recheck(FORMAL, UNDOABLE, SIGNALS, "return", ["X"], start, proof.path, proof.state,
                   proof.back[:-1]) is not None
    cyclic = FORMAL + [(("Y", "Z"), ("X",))]
    assert recheck(cyclic, UNDOABLE, SIGNALS, "return", ["X"], start, proof.path, proof.state, proof.back) is not None
    assert refute(UNDOABLE, SIGNALS, cyclic, kinds=("return",)) is None


def test_a_fork_that_commits_before_releasing_is_not_refuted():
    # the split is reversible but nothing is released until the irreversible commit
    good = ((("X",), ("a",)), (("a",), ("X",)), (("a",), ("b",)), (("b",), ("y", "c")), (("c",), ("z",)))
    assert refute(good, SIGNALS, FORMAL, kinds=("return",)) is None


def _cli(tmp_path, text: str, scheme: str):
    (tmp_path / "f.crn").write_text(text)
    out = tmp_path / "f_design"
    res = CliRunner().invoke(main, [str(tmp_path / "f.crn"), "--scheme", scheme, "--out", str(out), "--executor",
                                    "serial", "--no-kinetics", "-q", "--reactant-order", "as-written"])
    return res, json.loads((out / "verification.json").read_text()) if (out / "verification.json").exists() else {}


def test_cardelli2011_fj_fork_is_proven_wrong_on_the_system_by_its_own_reactions(tmp_path):
    """nuskell: not equivalent (its snapshot marks every cardelli2011_FJ fork of distinct products False)."""
    res, ver = _cli(tmp_path, "A -> B + C + D\n", "cardelli2011_FJ")
    assert res.exit_code == 3, res.output
    assert ver["verdict"] == "not-equivalent" and ver["whole_system"]["rechecked"] is True
    assert ver["whole_system"]["proof"] in ("return", "overflow", "unimplemented")


# nuskell's verdicts (snapshot tables, basic_irr_lit.csv, commit 73077a2): equivalent, by its modular
# bisimulation, where dsdcompile's per-shape check requires every formal species to be common (it composes
# shapes into networks it has not seen) and so leaves the module to the system-level decision.
SIX = [("chen2013_2D_JF", "A ->\n"), ("chen2013_2D_JF", "A + B ->\n"), ("cardelli2011_FJ", "A + B -> A\n"),
       ("cardelli2011_FJ", "B + A -> A\n"), ("cardelli2011_FJ", "A + B -> C\n"), ("cardelli2011_FJ", "A + B ->\n")]


@pytest.mark.slow
@pytest.mark.parametrize(("scheme", "text"), SIX)
def test_the_six_pairs_nuskell_verifies_are_equivalent(tmp_path, scheme, text):
    res, ver = _cli(tmp_path, text, scheme)
    assert res.exit_code == 0, res.output
    assert ver["verdict"] == "equivalent"


@pytest.mark.slow
def test_chen_variant_declares_reject_remote_where_the_full_enumeration_hits_the_limit(tmp_path):
    res, ver = _cli(tmp_path, "A -> B + C\n", "chen2013_2D_JF_var1")
    assert ver, res.output
    (shape,) = ver["modules"]
    assert "reject_remote=True" in shape["note"] and ver["config"]["enumeration_fallback"] == [shape["shape"]]
    assert "reject-remote" in ver["basis"]  # the verdict says what it is about
    # reject-remote leaves reactions out: an equivalence about it proves nothing about the molecules (nuskell's
    # snapshot calls this pair not equivalent), so it is undecided, never "equivalent"
    assert res.exit_code == 4 and ver["verdict"] == "inconclusive", res.output
    assert ver["basis"].startswith("undecided: equivalent only under the fallback enumeration")


def test_both_chen_variants_are_registered_with_their_fallback():
    from translation_schemes import BUILTIN, ENUMERATION_FALLBACK

    for name in ("chen2013_2D_JF_var1", "chen2013_2D_JF_var2"):
        assert name in BUILTIN and (Path(__file__).parents[1] / "translation_schemes" / BUILTIN[name]).is_file()
        assert ENUMERATION_FALLBACK[name] == {"reject_remote": True}
    assert set(ENUMERATION_FALLBACK) <= set(BUILTIN)
