"""Sequence design: constraints, the incremental SSM score, ViennaRNA checks and a whole small design."""

import csv
import json
import random

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.errors import InputError
from dsdcompile.random_nets import random_ternary_network
from dsdcompile.sequences import SequenceConstraints, SequenceProblem, checks, design_sequences, energy
from dsdcompile.sequences.search import Designer, _Windows, has_bad_run, local_ok, toehold_choices

C = SequenceConstraints()


def _toy_problem(three_letter=True):
    """Two signals, a gate that binds the first: enough for every kind of window and check."""
    domains = [("a", 5, "toehold"), ("x", 15, "branch"), ("b", 5, "toehold"), ("y", 15, "branch"),
               ("h", 15, "history")]
    strands = [("X", ("h", "a", "x"), "signal"), ("Y", ("y", "b"), "signal"),
               ("top", ("x", "b"), "fuel"), ("bottom", ("b*", "x*", "a*"), "fuel")]
    complexes = [("G", ("top", "bottom"), "((+)).", "fuel")]
    return SequenceProblem.build(domains, strands, complexes, three_letter=three_letter)


def test_constraints_refuse_nonsense():
    with pytest.raises(InputError, match="GC window"):
        SequenceConstraints(gc_min=0.7, gc_max=0.3)
    with pytest.raises(InputError, match="kmer"):
        SequenceConstraints(kmer=0)


def test_problem_gives_signal_domains_three_letters_and_checks_references():
    p = _toy_problem()
    alpha = {d.name: d.alphabet for d in p.domains}
    assert alpha["x"] == alpha["h"] == alpha["a"] == "ACT"     # on signal strands, uncomplemented
    assert _toy_problem(three_letter=False).by_name["x"].alphabet == "ACGT"
    with pytest.raises(InputError, match="does not list"):
        SequenceProblem.build([("a", 5, "toehold")], [("S", ("a", "z"), "signal")])
    with pytest.raises(InputError, match="does not match"):
        SequenceProblem.build([("a", 5, "toehold")], [("S", ("a",), "signal")], [("K", ("S",), "((", "fuel")])


def test_missing_design_files_are_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a DSD design folder"):
        SequenceProblem.from_design(tmp_path)


def test_drawn_domains_meet_the_local_constraints():
    d = Designer(_toy_problem(), C)
    for spec in d.problem.domains:
        for _ in range(50):
            s = d.draw(spec)
            assert set(s) <= set(spec.alphabet) and len(s) == spec.length
            assert local_ok(s, spec, C)
            if spec.long:
                assert 0.4 <= (s.count("G") + s.count("C")) / len(s) <= 0.6
    assert has_bad_run("ACGGGGT", C) and has_bad_run("ACCCCT", C) and has_bad_run("AAAAAT", C)
    assert not has_bad_run("AAAATCCCAGGGT", C)


def test_toeholds_lie_in_the_energy_window():
    pool, centre = toehold_choices(5, "ACT", C)
    assert len(pool) > 10
    energies = [energy.toehold_dG(s, C.temperature_C) for s in pool]
    assert max(energies) - min(energies) <= C.toehold_window + 1e-9
    assert min(energies) <= centre <= max(energies)


def _rescore(w: _Windows) -> int:
    """The SSM score from scratch: unordered pairs of windows that are reverse complements but not mirrors."""
    fresh = _Windows.__new__(_Windows)
    fresh.__dict__.update({k: v for k, v in w.__dict__.items() if k not in ("index", "score", "seq_of", "run_bad")})
    fresh.index, fresh.score = {}, 0
    fresh.seq_of, fresh.run_bad = [""] * len(w.labels), [False] * len(w.labels)
    for li in range(len(w.labels)):
        fresh._add(li)
    return fresh.score


def test_incremental_ssm_score_equals_a_fresh_count():
    c = SequenceConstraints(kmer=4)   # short windows: plenty of accidental complements to count
    d = Designer(_toy_problem(), c)
    rng = random.Random(3)
    for _ in range(40):
        name = rng.choice([x.name for x in d.problem.domains])
        d.windows.set(name, d.mutate(name))
        assert d.windows.score == _rescore(d.windows)
    assert d.windows.score > 0


def test_ssm_counts_an_accidental_complement_and_not_the_intended_one():
    p = SequenceProblem.build([("x", 10, "branch"), ("y", 10, "branch")],
                              [("S", ("x",), "fuel"), ("T", ("x*",), "fuel"), ("U", ("y",), "fuel")],
                              three_letter=False)
    c = SequenceConstraints(kmer=6)
    w = _Windows(p, {"x": "ACTGACCTAG", "y": "CATCACTTCA"}, c)
    base = w.score
    assert base == 0 and w.set("y", "TCACTCATAC") == 0   # no relation to x: nothing counted
    # y carries the reverse complement of x's first 6 nt: every window of it pairs with x by accident
    assert w.set("y", energy.revcomp("ACTGAC") + "TATT") > base


def test_same_seed_same_sequences_and_another_seed_differs():
    p = _toy_problem()
    a = design_sequences(p, SequenceConstraints(seed=5, max_iterations=200))
    b = design_sequences(p, SequenceConstraints(seed=5, max_iterations=200))
    c = design_sequences(p, SequenceConstraints(seed=6, max_iterations=200))
    assert a.domains == b.domains
    assert a.domains != c.domains


def test_stack_screen_matches_vienna_on_perfect_duplexes():
    model = energy.stack_model(25.0)
    assert model.rmse < 0.05
    rng = np.random.default_rng(0)
    seqs = ["".join("ACGT"[i] for i in rng.integers(0, 4, 12)) for _ in range(5)]
    for s in seqs:
        est = energy.screen_pairs([s, energy.revcomp(s)], np.array([[0, 1]]), model)[0]
        assert est == pytest.approx(energy.duplex_dG(s, energy.revcomp(s), 25.0), abs=0.6)


def test_checks_catch_a_hairpin_and_a_wrong_intended_structure():
    c = C
    hairpin = SequenceProblem.build([("x", 12, "branch")], [("S", ("x",), "signal")])
    seqs = {"x": "GCGCGCAAGCGC"}  # folds on itself
    (res,) = checks.fold_strands(hairpin, seqs, c)
    assert res.paired > 0
    duplex = SequenceProblem.build([("x", 15, "branch"), ("t", 5, "toehold")],
                                   [("top", ("x",), "fuel"), ("bot", ("t*", "x*"), "fuel")],
                                   [("G", ("top", "bot"), "(+.)", "fuel"), ("W", ("top", "bot"), ".+..", "fuel")],
                                   three_letter=False)
    seqs = {"x": "ACCTCATTCACTCCA", "t": "TCTCA"}
    right, wrong = checks.check_complexes(duplex, seqs, c)
    assert right.passed(c) and right.check.intended_is_mfe and right.check.ensemble_defect < 0.2
    assert not wrong.passed(c) and wrong.check.ensemble_defect > 0.5


def test_partner_pairs_are_not_crosstalk():
    p = _toy_problem()
    distinct, pairs = checks.non_partner_pairs(p)
    names = [tuple(d) for d in distinct]
    assert ("h", "a", "x") in names and ("y", "b") in names       # free strands only
    assert ("b*", "x*", "a*") not in names                         # held in the gate


@pytest.fixture(scope="module")
def small_design(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seq")
    net = random_ternary_network((2, 2, 2), seed=11)
    sd = {"0.weight": torch.tensor(net.layers[0].weight), "0.bias": torch.tensor(net.layers[0].bias),
          "2.weight": torch.tensor(net.layers[1].weight), "2.bias": torch.tensor(net.layers[1].bias)}
    torch.save(sd, tmp / "small.pt")
    (tmp / "x.csv").write_text("0.5,-1\n1,2\n")
    out = tmp / "design"
    res = CliRunner().invoke(main, [str(tmp / "small.pt"), "--inputs", str(tmp / "x.csv"), "--out", str(out),
                                    "--scheme", "soloveichik2010", "--executor", "serial", "-q", "--rate-draws", "2"])
    assert res.exit_code == 0, res.output
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    res = CliRunner().invoke(main, ["sequences", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out, before


def test_sequences_command_writes_consistent_files(small_design):
    out, before = small_design
    s = json.loads((out / "summary.json").read_text())["sequences"]
    assert s["passed"], s["failing"]
    assert s["fuel_complexes_mfe_fraction"] == 1.0
    seqs = {r["domain"]: r["sequence"] for r in csv.DictReader(open(out / "sequences.csv"))}
    for r in csv.DictReader(open(out / "sequences.csv")):
        assert r["complement"] == energy.revcomp(r["sequence"])
    for r in csv.DictReader(open(out / "strands.csv")):   # every strand = its domains, complements exact
        assert r["sequence"] == checks.strand_sequence(tuple(r["domains"].split()), seqs)
        assert len(r["sequence"]) == int(r["length_nt"])
        if r["role"] == "signal":
            assert "G" not in r["sequence"]                   # three-letter code on signals
    pil = (out / "dsd.pil").read_text()
    assert "length " not in pil and pil.count("sequence ") == len(seqs)
    conc = list(csv.DictReader(open(out / "concentrations.csv")))
    assert conc and all(set(r["sequence"]) <= set("ACGT +") for r in conc if r["kind"] != "buffer")
    assert "sequences.csv" in json.loads((out / "summary.json").read_text())["files"]
    assert before["domains.csv"] == (out / "domains.csv").read_bytes()   # untouched inputs stay as they were


def test_pil_with_sequences_reads_back_in_peppercorn(small_design):
    from peppercornenumerator.input import read_pil

    out, _ = small_design
    complexes, _ = read_pil(str(out / "dsd.pil"), is_file=True)
    assert len(complexes) > 0


def test_sequences_on_a_folder_without_a_design_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["sequences", str(tmp_path), "-q"])
    assert res.exit_code == 2 and "not a DSD design folder" in res.output
    assert list(tmp_path.iterdir()) == []


def test_feasibility_bounds_and_verdicts():
    from dsdcompile.sequences.feasibility import feasibility, upper_bound

    # k = 2 over A/C/T: 9 windows, a 3-nt domain uses 2 of them -> at most 4 domains
    assert upper_bound(3, "ACT", 2) == 4
    # four letters: 16 windows, a domain and its complement use 2 + 2 -> at most 4
    assert upper_bound(3, "ACGT", 2) == 4
    small = feasibility([("a", 15, "branch"), ("b", 15, "branch"), ("t", 5, "toehold")], {"a"}, C)
    assert small.verdict == "buildable" and small.toeholds == 1
    huge = feasibility([(f"d{i}", 15, "branch") for i in range(10 ** 6)], set(), C,
                       design_counts={"modules": 157290})
    assert huge.verdict == "not buildable"
    assert "k = " in huge.suggestion and "modules" in huge.suggestion
    assert huge.to_dict()["classes"][0]["needed"] == 10 ** 6
