"""Module interactions: pair classes, the cross-reaction screen, joint enumeration and the verdict they lead to."""

from __future__ import annotations

import itertools
import json

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.config import EnumerationConfig, ExecutionConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.enumerate import enumerate_templates
from dsdcompile.dsd.notation import complement
from dsdcompile.dsd.system import Complex, ComplexRole
from dsdcompile.dsd.translate import translate
from dsdcompile.verify.interaction import BindTask, bind_reacts, candidates, check_interactions
from dsdcompile.verify.pairs import pair_classes, pair_task
from dsdcompile.verify.result import Verdict

NO_LIMIT = ExecutionConfig(module_timeout=0)
CROSSTALK = "A + B -> A\nA -> A + B\n"


def _system(text: str, scheme: str = "soloveichik2010"):
    system = translate(parse_crn(text), scheme)
    return system, enumerate_templates(system, EnumerationConfig(), execution=NO_LIMIT)


def _brute_force_classes(system) -> dict:
    """Every module pair sharing a species, keyed as pair_classes keys them, counted one by one."""
    out: dict = {}
    for i, j in itertools.combinations(range(system.n_modules), 2):
        si, sj = system.species_of(i), system.species_of(j)
        pattern = tuple((p, q) for p, x in enumerate(si) for q, y in enumerate(sj) if x == y)
        if pattern:
            key = (int(system.module_template[i]), int(system.module_template[j]), pattern)
            out[key] = out.get(key, 0) + 1
    return out


def test_pair_classes_match_a_pair_by_pair_count():
    """Fan-outs that share one, two or three products, a bimolecular reaction and a helper tree."""
    text = "X -> A + B + C\nY -> A + B + D\nZ -> A + E\nA + B -> F\nW -> A + B + C + D + E + F + G + H\n"
    system = translate(parse_crn(text), "soloveichik2010")
    classes = pair_classes(system)
    assert {c.key: c.instances for c in classes} == _brute_force_classes(system)
    for c in classes:  # the representative has the class's key
        i, j = c.representative
        si, sj = system.species_of(i), system.species_of(j)
        assert c.key[2] == tuple((p, q) for p, x in enumerate(si) for q, y in enumerate(sj) if x == y)
        assert set(c.shared) == set(si) & set(sj)


def test_crosstalk_between_two_correct_modules_is_found():
    """A + B -> A and A -> A + B: each module is correct alone, but the strand the A -> A + B gate
    releases starts with the A + B -> A gate's translator domains and invades that gate while it holds A."""
    system, enumerated = _system(CROSSTALK)
    result = check_interactions(system, enumerated, EnumerationConfig(), timeout=None)
    assert result.verdict == Verdict.NOT_EQUIVALENT
    (row,) = result.interacting
    assert row["modules"] == [0, 1] and row["reactions"] == ["A + B -> A", "A -> A + B"]
    assert set(row["shared"]) == {"A", "B"} and row["instances"] == 1
    assert any(f.startswith("cross reaction") for f in row["findings"])
    assert any(f.startswith("new reaction") for f in row["findings"])  # the joint enumeration confirms it


@pytest.mark.parametrize("scheme", ["soloveichik2010", "qian2011_3D", "srinivas2015", "cardelli2011_NM"])
def test_producer_and_consumer_do_not_interact(scheme):
    """A + B -> C, C -> A: C made by one module and consumed by the other is the designed hand-off."""
    system, enumerated = _system("A + B -> C\nC -> A\n", scheme)
    result = check_interactions(system, enumerated, EnumerationConfig())
    assert result.verdict == Verdict.EQUIVALENT and result.classes >= 1 and not result.interacting


def test_complexes_without_complementary_open_domains_are_not_enumerated():
    """The screen only sends complex pairs that can bind: every candidate pairs a complex reachable in the
    first module with one reachable in the second (up to history domains), and some unpaired domain of
    the first has its complement unpaired on the second."""
    system, enumerated = _system("A + B -> C\nC -> D\nD -> A\n")
    classes = pair_classes(system)
    assert len(classes) == 3  # each module shares a species with each other one
    seen = 0
    for cls in classes:
        task = pair_task(system, cls, enumerated, EnumerationConfig())
        norm = task.signals.normal_form
        reachable = [{norm(c) for _, c in view.complexes} for view in task.views]
        cands, _ = candidates(task)
        assert cands, f"no candidate complex pair for modules {cls.representative}"
        for cand in cands:
            assert norm(cand.first) in reachable[0] and norm(cand.second) in reachable[1]
            open1 = {d for d, ch in zip(cand.first.domains, cand.first.structure.replace("+", "")) if ch == "."}
            open2 = {d for d, ch in zip(cand.second.domains, cand.second.structure.replace("+", "")) if ch == "."}
            assert any(complement(d) in open2 for d in open1)
            seen += 1
    assert seen >= 3


def test_two_complex_enumeration_finds_a_displacement_and_ignores_a_bare_toehold():
    lengths = (("a", 5), ("b", 15), ("c", 15), ("d", 5))
    signal = Complex("s", (("a", "b"),), "..", ComplexRole.SIGNAL)
    gate = Complex("g", (("b",), ("b*", "a*")), "(+).", ComplexRole.FUEL)  # a* open, then b: top strand displaced
    assert bind_reacts(BindTask(signal, gate, lengths, EnumerationConfig()))
    end = Complex("e", (("c", "a"),), "..", ComplexRole.INTERMEDIATE)  # binds a* with its 3' end, nothing to migrate
    assert bind_reacts(BindTask(end, Complex("t", (("a*", "d"),), "..", ComplexRole.FUEL), lengths,
                                EnumerationConfig())) is None


def test_crosstalk_example_exits_3_naming_the_pair(tmp_path):
    (tmp_path / "cross.crn").write_text(CROSSTALK)
    out = tmp_path / "d"
    # as written (catalyst first); the default reactant-order search finds the order that verifies instead
    res = CliRunner().invoke(main, [str(tmp_path / "cross.crn"), "--scheme", "soloveichik2010", "--out", str(out),
                                    "--executor", "serial", "-q", "--reactant-order", "as-written"])
    assert res.exit_code == 3, res.output
    assert "modules 0 (A + B -> A) and 1 (A -> A + B) interact" in res.output
    report = json.loads((out / "verification.json").read_text())
    assert report["verdict"] == "not-equivalent" and report["interaction"]["verdict"] == "not-equivalent"
    assert all(m["verdict"] == "equivalent" for m in report["modules"])  # each module alone is fine
    assert report["summary"]["interacting_pairs"] == 1
    md = (out / "verification.md").read_text()
    assert "| module interactions | not-equivalent |" in md and "#0, #1" in md


def test_pairs_with_a_refuted_module_are_not_screened_and_never_make_equivalent():
    """A module already proven wrong on its own: its pairs are counted, not screened, and the check cannot pass."""
    system, enumerated = _system("A + B -> C\nC + E -> D\n")
    clean = check_interactions(system, enumerated, EnumerationConfig())
    assert clean.verdict == Verdict.EQUIVALENT and clean.classes == 1
    skipped = check_interactions(system, enumerated, EnumerationConfig(), refuted={1})
    assert skipped.verdict == Verdict.INCONCLUSIVE and skipped.classes == 1 and skipped.pairs == 1
    assert "1 pair classes (1 module pairs) holding a module already proven not equivalent were not screened" \
        in skipped.detail


def test_a_design_with_a_wrong_module_exits_3_without_enumerating_its_pairs_jointly(tmp_path):
    """2 Y -> Y is wrong under soloveichik2010 and its pair with Y's producer interacts; joint enumeration of that
    pair runs into peppercorn's limits (a minute here), and is skipped: the verdict is decided by the module."""
    (tmp_path / "a.crn").write_text("2 Y -> Y\nX + Y -> X + 2 Y\n")
    out = tmp_path / "d"
    res = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--scheme", "soloveichik2010", "--out", str(out),
                                    "--executor", "serial", "-q"])
    assert res.exit_code == 3, res.output
    report = json.loads((out / "verification.json").read_text())
    assert report["verdict"] == "not-equivalent"
    assert [m["verdict"] for m in report["modules"]].count("not-equivalent") == 1
    assert report["interaction"]["verdict"] == "inconclusive" and report["interaction"]["interacting"] == []
    assert "were not screened" in report["interaction"]["detail"]
