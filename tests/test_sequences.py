"""Sequence design: constraints, the incremental SSM score, ViennaRNA checks and a whole small design."""

import csv
import json
import random

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main
from dsdcompile.errors import InputError
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
    energies = [energy.toehold_dG(s, C.temperature_C, C.salt_M) for s in pool]
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
    """peppercorn reads back every complex of dsd.pil as complexes.csv and strands.csv list it: the same names,
    strands (domains and nucleotides) and structures, and the planned concentrations."""
    from peppercornenumerator.input import read_pil

    out, _ = small_design
    complexes, _ = read_pil(str(out / "dsd.pil"), is_file=True)
    strands = {r["strand"]: r for r in csv.DictReader(open(out / "strands.csv"))}
    written = list(csv.DictReader(open(out / "complexes.csv")))
    assert sorted(complexes) == sorted(r["complex"] for r in written) and len(written) > 10
    assert any("+" in r["structure"] for r in written)  # multi-stranded gates, not only free strands
    for row in written:
        read = complexes[row["complex"]]
        groups: list[list] = [[]]
        for d in read.sequence:
            if d == "+":
                groups.append([])
            else:
                groups[-1].append(d)
        names = row["strands"].split("+")
        assert [[d.name for d in g] for g in groups] == [strands[n]["domains"].split() for n in names], row
        assert ["".join(d.sequence for d in g) for g in groups] == [strands[n]["sequence"] for n in names], row
        assert "".join(read.structure) == row["structure"], row
        if row["concentration_nM"]:
            assert read.concentration[1] == pytest.approx(float(row["concentration_nM"]), rel=1e-5), row
        else:
            assert read.concentration is None, row


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


# -- helix-end junctions, salt, gate crosstalk, exit status (issue 17) ------------------------------

def _fork_problem():
    """Two top strands on one bottom strand, nick between them; each top has a 3' tail.

        top1  5'- p  a  | t1 -3'        top2  5'- q  b  | t2 -3'
        bottom 3'- p* a*   q* b*  -5'   (written 5'->3' as b* q* a* p*)
    top1's tail t1 starts right where top2's helix starts on the bottom strand.
    """
    domains = [("p", 10, "branch"), ("a", 5, "toehold"), ("t1", 10, "branch"), ("q", 10, "branch"),
               ("b", 5, "toehold"), ("t2", 10, "branch")]
    strands = [("top1", ("p", "a", "t1"), "signal"), ("top2", ("q", "b", "t2"), "signal"),
               ("bottom", ("b*", "q*", "a*", "p*"), "fuel")]
    complexes = [("F", ("top1", "top2", "bottom"), "((.+((.+))))", "fuel")]
    return SequenceProblem.build(domains, strands, complexes, three_letter=False)


def test_junctions_name_the_nick_where_a_helix_could_slide():
    from dsdcompile.sequences.junctions import JunctionScore, find_junctions

    p = _fork_problem()
    js = find_junctions(p)
    pairs = {frozenset((j.a, j.b)) for j in js}
    # top1's first tail base (t1[0]) against the bottom base that pairs with top2's first base (q[0])
    assert frozenset((("t1", 0, False), ("q", 0, True))) in pairs
    # top2's tail base against the bottom's 5'-most... top2's helix ends at the bottom's 5' end: nothing there
    assert all(j.satisfiable for j in js)
    seqs = {"p": "ACTTCACCAT", "a": "CATCA", "t1": "TCTCACTTCA", "q": "ACCTACATCC", "b": "TACCA",
            "t2": "CCATTACACT"}
    score = JunctionScore(js, dict(seqs))
    base = score.score
    # t1[0] = q[0] makes t1[0] complementary to the bottom base under q[0]: the helix can slide
    seqs2 = dict(seqs, t1="A" + seqs["t1"][1:])
    score.seqs = seqs2
    assert score.update("t1") == base + 1
    assert any(j.a[0] == "t1" or j.b[0] == "t1" for j in score.violated())


def test_incremental_junction_score_equals_a_fresh_count():
    from dsdcompile.sequences.junctions import JunctionScore, find_junctions

    d = Designer(_fork_problem(), SequenceConstraints(kmer=4))
    rng = random.Random(1)
    for _ in range(60):
        name = rng.choice([x.name for x in d.problem.domains])
        d.set(name, d.mutate(name))
        assert d.junctions.score == JunctionScore(find_junctions(d.problem), d.seqs).score
    d.ssm(2000)
    assert d.junctions.score == 0          # the search removes every violated junction it can


def test_salt_conditions_weaken_duplexes_and_are_recorded():
    c = SequenceConstraints()
    assert c.salt_M == pytest.approx(0.020 + 3.3 * 0.0125 ** 0.5)
    s = "ACCTCATTCACTCCA"
    standard = energy.duplex_dG(s, energy.revcomp(s), 25.0)
    buffer = energy.duplex_dG(s, energy.revcomp(s), 25.0, c.salt_M)
    assert buffer > standard + 0.3            # less salt, weaker duplex
    assert energy.mfe("GCGCGCAAAAGCGCGC", 25.0, 0.05)[1] > energy.mfe("GCGCGCAAAAGCGCGC", 25.0)[1]
    cond = c.conditions()
    assert (cond["temperature_C"], cond["sodium_M"], cond["magnesium_M"]) == (25.0, 0.020, 0.0125)
    with pytest.raises(InputError, match="salt"):
        SequenceConstraints(sodium_M=-1.0)


def test_run_screen_equals_the_dense_screen_on_runs_of_k_or_more():
    model = energy.stack_model(25.0)
    rng = np.random.default_rng(2)
    a = ["".join("ACGT"[i] for i in rng.integers(0, 4, 30)) for _ in range(8)]
    b = ["".join("ACGT"[i] for i in rng.integers(0, 4, 50)) for _ in range(6)]
    b[2] = b[2][:20] + energy.revcomp(a[3][5:14]) + b[2][29:]       # a planted 9-bp run
    pairs = np.array([(i, j) for i in range(len(a)) for j in range(len(b))])
    runs = energy.screen_runs(a, b, pairs, model, k=4)
    dense = energy.screen_pairs(a + b, pairs + np.array([0, len(a)]), model)
    hit = runs < 0
    assert hit.any() and np.allclose(runs[hit], dense[hit], atol=0.6)   # same run, unless a shorter one wins
    assert np.all(dense <= runs + 1e-9)
    planted = pairs.tolist().index([3, 2])
    assert runs[planted] <= -9.0 and runs[planted] == runs.min()


def test_gate_crosstalk_catches_a_strand_on_a_toehold_and_spares_its_partner():
    domains = [("t", 5, "toehold"), ("x", 15, "branch"), ("y", 15, "branch"), ("u", 5, "toehold")]
    strands = [("X", ("t", "x"), "signal"), ("top", ("x",), "fuel"), ("bottom", ("x*", "t*"), "fuel"),
               ("Y", ("y", "u"), "signal")]
    complexes = [("G", ("top", "bottom"), "(+).", "fuel")]
    p = SequenceProblem.build(domains, strands, complexes, three_letter=False)
    (region,) = checks.gate_regions(p)
    assert len(region.sites) == 6      # the 5-nt toehold t* and the paired nucleotide next to it
    seqs = {"t": "CACTC", "x": "ACCTCATTCACTCCA", "y": "TCATCTACATCCACT", "u": "ATTCA"}
    c = SequenceConstraints(crosstalk_dG=-6.0)
    ok = checks.check_gate_crosstalk(p, seqs, c)
    assert not ok.failing                                  # X carries t: its binding to t* is intended
    # Y now carries t's sequence followed by x's first bases: it binds the gate's toehold and flank
    bad_seqs = dict(seqs, y="TCATCTACAT" + "CACTC", u="ACCTC")
    bad = checks.check_gate_crosstalk(p, bad_seqs, c)
    assert any(names == ("y", "u") for names, _, _ in bad.failing)
    assert bad.worst[0][2] < -6.0


def test_failing_checks_exit_5_with_the_report_written_unless_allowed(small_design, tmp_path):
    import shutil

    out, _ = small_design
    for allow in (False, True):
        d = tmp_path / f"d{allow}"
        shutil.copytree(out, d)
        # no free-strand pair can bind more weakly than 0 kcal/mol: checks must fail
        args = ["sequences", str(d), "-q", "--crosstalk-dG", "0", "--repair-rounds", "0", "--iterations", "10"]
        res = CliRunner().invoke(main, args + (["--allow-failures"] if allow else []))
        s = json.loads((d / "summary.json").read_text())["sequences"]
        assert not s["passed"] and s["failing"]["crosstalk_pairs"] > 0
        assert "some checks fail" in (d / "sequence_report.md").read_text()
        if allow:
            assert res.exit_code == 0, res.output
        else:
            assert res.exit_code == 5, res.output
            assert "crosstalk" in res.output and "--seed" in res.output
