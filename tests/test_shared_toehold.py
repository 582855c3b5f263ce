"""Schemes whose signals share one toehold between every species (nuskell's global toehold).

The built-ins (translation_schemes/ts/cardelli2013_*, lakin*, qian2011_3D_var1, qian2011_3D_global)
are enumerated by peppercorn and verified for real; the verdicts they must give are nuskell's, read
from tests/data/nuskell_snapshots.json (its published tables). A deliberately broken scheme whose
modules are each correct alone must not verify: only a check that pairs modules sharing no species
(or decides the whole system) sees it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.config import DSDConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.outputs import domain_table, initial_signals
from dsdcompile.dsd.reporters import build_reporters
from dsdcompile.dsd.schemes import load_scheme
from dsdcompile.dsd.system import shared_domain
from dsdcompile.dsd.templates import build_template
from dsdcompile.dsd.translate import translate
from dsdcompile.verify.pairs import pair_classes

ROOT = Path(__file__).parents[1]
BROKEN = ROOT / "tests" / "data" / "ts" / "broken_shared_recognition.ts"
SNAPSHOTS = json.loads((ROOT / "tests" / "data" / "nuskell_snapshots.json").read_text())["pairs"]
TS = ROOT / "translation_schemes" / "ts"
# registered by name, and two loaded by path (the same files as the registered cardelli2013_2D_3I and _noGC)
SHARED = ["cardelli2013_2D", "cardelli2013_2D_noGC", "lakin2012_3D", "lakin2012_3D_var1", "qian2011_3D_var1",
          "qian2011_3D_global", str(TS / "cardelli2013_2D_3I.ts"), str(TS / "cardelli2013_2D_3I_noGC.ts"),
          "lakin2016_2D_3I", "cardelli2013_2D_2TGC"]
SHAPES = [((1, 0), (0, 1)), ((1, 0), (1, 0), (0, 1)), ((1, 0), (0, 1), (0, 1)), ((1, 0), (1, 0), (0, 1), (0, 1)),
          ((1, 1), (1, 0), (0, 1)), ((1, 0),)]


def _compile(tmp_path, crn_text: str, scheme: str, *extra: str) -> tuple[int, dict, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    crn = tmp_path / "net.crn"
    crn.write_text(crn_text)
    out = tmp_path / "design"
    res = CliRunner().invoke(main, [str(crn), "--scheme", scheme, "--no-kinetics", "--out", str(out), "--executor",
                                    "serial", "--reactant-order", "as-written", "-q", *extra])
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return res.exit_code, summary, res.output


@pytest.mark.parametrize("name", SHARED, ids=lambda n: Path(n).stem)
def test_shared_scheme_names_one_toehold_in_every_module(name):
    scheme = load_scheme(name)
    assert scheme.shared and "20" in scheme.citation
    (suffix,) = scheme.shared
    kinds = dict(scheme.layout)
    assert kinds[suffix] == "toehold"
    for key in SHAPES:
        tpl = build_template(scheme, key)
        toe = shared_domain(suffix)
        assert all(toe in c.strands[0] for c in tpl.inputs)  # every species' signal carries the one toehold
        assert not any(d.name.startswith("S") and d.name.endswith(f"-{suffix}") for d in tpl.domains)
        assert toe not in tpl.private
        # and a concrete module keeps that name, whatever its species
        assert tpl.rename_map(tuple(f"X{k}" for k in range(tpl.n_species)), 7)[toe] == toe


NUSKELL = os.environ.get("DSDCOMPILE_NUSKELL_SCHEMES")


@pytest.mark.skipif(not NUSKELL, reason="set DSDCOMPILE_NUSKELL_SCHEMES to a folder of nuskell's .ts files")
@pytest.mark.parametrize("name", SHARED, ids=lambda n: Path(n).stem)
def test_shared_scheme_gives_nuskells_gates(name):
    from test_ts_reader import SHAPES as ALL_SHAPES
    from test_ts_reader import _same

    theirs = next(Path(NUSKELL).rglob(f"{Path(name).stem.replace('_global', '')}.ts"))
    a, b = load_scheme(name), load_scheme(str(theirs))
    assert a.layout == b.layout and a.shared == b.shared
    for key in ALL_SHAPES:
        assert _same(build_template(a, key), build_template(b, key)), (name, key)


def _snapshot(scheme: str, crn_file: str) -> dict:
    return next(p for p in SNAPSHOTS if p["scheme"] == scheme and p["crn_file"].endswith(crn_file))


# (scheme, nuskell's CRN file): small CRNs that nuskell's tables decide, quick to verify here
DECIDED = [("qian2011_3D_var1", "irr_basic_01.crn"), ("qian2011_3D_var1", "irr_open_01.crn"),
           ("lakin2012_3D_var1", "irr_basic_01.crn"), ("cardelli2013_2D", "irr_basic_01.crn"),
           ("qian2011_3D_global", "irr_basic_01.crn"), ("qian2011_3D_global", "irr_open_01.crn"),
           # reversible: each direction is a module (A <=> 0 is absorbed into a module with no species left)
           ("qian2011_3D_var1", "rev_basic_01.crn"), ("lakin2012_3D_var1", "rev_basic_01.crn"),
           ("qian2011_3D_var1", "rev_open_01.crn"),
           ("cardelli2013_2D_noGC", "irr_basic_01.crn"), ("lakin2012_3D", "irr_basic_03.crn"),
           ("cardelli2013_2D_2TGC", "irr_basic_06.crn"), ("cardelli2013_2D_2TGC", "irr_open_01.crn")]


@pytest.mark.parametrize("scheme,crn_file", DECIDED)
def test_verdict_is_nuskells(tmp_path, scheme, crn_file):
    pair = _snapshot(scheme, crn_file)
    want = {"True": "equivalent", "False": "not-equivalent"}[pair["verdict"]]
    code, summary, output = _compile(tmp_path, pair["crn"], scheme, "--whole-budget", "60")
    assert summary["verification"]["verdict"] == want, output
    assert code == {"equivalent": 0, "not-equivalent": 3}[want]


def test_modules_sharing_no_species_are_paired_under_a_shared_toehold():
    crn = parse_crn("A -> B\nC -> D\nB -> E\nF + G -> H\n")
    shared = translate(crn, "qian2011_3D_var1", DSDConfig(reactant_order="as-written", compact=False))
    own = translate(crn, "qian2011_3D", DSDConfig(reactant_order="as-written", compact=False))
    n = shared.n_modules
    assert sum(c.instances for c in pair_classes(shared)) == n * (n - 1) // 2
    # per-species toeholds: only the modules that share a species (A -> B and B -> E) meet
    assert sum(c.instances for c in pair_classes(own)) == 1
    classes = pair_classes(shared)
    for c in classes:  # every representative is a real pair of the class it stands for
        i, j = c.representative
        assert i < j and c.key[:2] == (int(shared.module_template[i]), int(shared.module_template[j]))
        assert bool(set(shared.species_of(i)) & set(shared.species_of(j))) == bool(c.key[2])


def test_broken_shared_scheme_is_caught_only_by_pairing_modules_without_common_species(tmp_path):
    # each module alone is correct: A -> B verifies on its own ...
    code, summary, output = _compile(tmp_path / "one", "A -> B\n", str(BROKEN))
    assert code == 0 and summary["verification"]["verdict"] == "equivalent", output
    # ... but next to C -> D the gate of A -> B takes C (no common species, only the shared domains)
    code, summary, output = _compile(tmp_path / "two", "A -> B\nC -> D\n", str(BROKEN), "--no-verify-whole")
    assert code in (3, 4) and summary["verification"]["verdict"] != "equivalent", output
    assert summary["verification"]["interacting_pairs"] >= 1
    code, summary, output = _compile(tmp_path / "whole", "A -> B\nC -> D\n", str(BROKEN))
    assert code == 3 and summary["verification"]["verdict"] == "not-equivalent", output


def test_correct_shared_scheme_verifies_disjoint_modules_after_checking_their_pair(tmp_path):
    code, summary, output = _compile(tmp_path, "A -> B\nC -> D\n", "qian2011_3D_var1", "--no-verify-whole")
    assert code == 0, output
    v = summary["verification"]
    assert v["verdict"] == "equivalent" and v["pair_classes"] == 1 and v["interacting_pairs"] == 0


CRN_OUT = """@input a X0p X0m
@output y0 Y0p Y0m
X0p -> Y0p
X0m -> Y0m
"""


def test_one_name_and_one_sequence_for_the_shared_toehold(tmp_path):
    from dsdcompile.sequences.problem import SequenceProblem
    from dsdcompile.sequences.run import design_sequences

    system = translate(parse_crn(CRN_OUT), "cardelli2013_2D", DSDConfig())
    toe = shared_domain("t")
    table = list(domain_table(system))
    assert [name for name, _, _ in table].count(toe) == 1
    assert len({name for name, _, _ in table}) == len(table)
    for c in initial_signals(system):
        assert c.strands[0][0] == toe
    reporters = build_reporters(system)
    assert reporters.skipped is None and len(reporters.reporters) == 2
    for r in reporters.reporters:  # the quencher strand's toehold is the shared one, the branch its species'
        assert r.complex.strands[1] == (f"{r.species}-x*", f"{toe}*")
    with_reporters = replace(system, reporters=reporters.complexes)
    problem = SequenceProblem.from_system(with_reporters)
    assert [d.name for d in problem.domains].count(toe) == 1
    design = design_sequences(problem)
    seq = design.domains[toe]
    strands = design.strand_sequences()
    for c in initial_signals(system):  # every species' signal strand starts with the one toehold sequence
        assert strands[f"{c.name}.0"].startswith(seq)


def test_a_released_copy_of_the_helper_signal_is_the_helper_fuel():
    """lakin2012_3D pads A -> B to A + h -> h + B with a helper signal "? t f" in excess; the gate releases h
    with a history of its own, which is the helper (nuskell's meaning of '?'), not a new intermediate."""
    from dsdcompile.config import EnumerationConfig
    from dsdcompile.dsd.enumerate import enumerate_templates

    system = translate(parse_crn("A -> B\n"), "lakin2012_3D", DSDConfig())
    tpl = system.templates[0]
    wild = tpl.wildcard_fuels()
    assert len(wild) == 1
    (tail, fuel), = wild.items()
    done = enumerate_templates(system, EnumerationConfig())[0]
    assert not [c for c in done.complexes if len(c.strands) == 1 and c.strands[0][1:] == tail]
    assert any(fuel in r.products and fuel not in r.reactants for r in done.reactions)
    # the helper's wildcard is private to the module and is not a signal history
    helper = next(f for f in tpl.fuels if f.name == fuel)
    assert system.history and {d.name: d.kind for d in tpl.domains}[helper.strands[0][0]] == "history"
    assert helper.strands[0][0] in tpl.private


def test_a_global_domain_no_signal_carries_is_one_domain_in_the_design():
    """cardelli2013_2D_2TGC's second toehold u is a ``global`` that no signal carries: one domain, global-u, in
    every module that uses it (nuskell shares it too), listed and designed once."""
    scheme = load_scheme("cardelli2013_2D_2TGC")
    assert scheme.shared == ("t",) and scheme.global_domains == (("u", "toehold"),)
    u = shared_domain("u")
    tpl = build_template(scheme, ((1, 0), (1, 0), (0, 1)))
    assert u not in tpl.private and any(u in s or f"{u}*" in s for f in tpl.fuels for s in f.strands)
    assert tpl.rename_map(("A", "B", "C"), 3)[u] == u
    system = translate(parse_crn("A + B -> C\nD + E -> F\nC -> D\n"), scheme.name,
                       DSDConfig(reactant_order="as-written", compact=False))
    table = [name for name, _, _ in domain_table(system)]
    assert table.count(u) == 1 and len(set(table)) == len(table)
    assert u in system.shared_domains
    # every other scheme keeps its fuels' domains private or its species' (lakin's helper complexes included)
    for name in SHARED[:-1]:
        assert load_scheme(name).global_domains == ()


def test_a_global_domain_without_a_shared_signal_domain_stays_private(tmp_path):
    # the verification pairs modules that share no species only when their signals share a domain
    path = tmp_path / "private_global.ts"
    path.write_text((TS / "cardelli2013_2D_2TGC.ts").read_text().replace(
        'class formal(s) = "t x" | ". ." where { t = th; x = long() };',
        'class formal(s) = "t x" | ". ." where { t = short(); x = long() };'))
    scheme = load_scheme(str(path))
    assert scheme.shared == () and scheme.global_domains == ()
    tpl = build_template(scheme, ((1, 0), (1, 0), (0, 1)))
    assert not any(d.name.startswith("global-") for d in tpl.domains)


def test_lakin2016_a_product_that_is_never_released_is_a_counterexample(tmp_path):
    """Fig. 8's gates need the catalytic form x + y -> y + b: A -> B + C (padded A + h -> B + C) never releases B
    or C, so where B is consumed the design is wrong; the verifier says so (exit 3), it does not crash."""
    code, summary, output = _compile(tmp_path, "A -> B + C\n", "lakin2016_2D_3I")
    assert code == 3 and summary["verification"]["verdict"] == "not-equivalent", output
    assert "A -> B + C" in output


def test_global_domains_are_checked_like_the_rest_of_the_interface():
    import types

    from dsdcompile.dsd.schemes import _check
    from dsdcompile.errors import SchemeError

    base = load_scheme("cardelli2013_2D_2TGC").module
    for shared, extra in (((), (("u", "toehold"),)), (("t",), (("x", "toehold"),)), (("t",), (("u", "history"),)),
                          (("t",), (("u2", "toehold"),))):
        mod = types.ModuleType("probe")
        mod.__dict__.update({k: getattr(base, k) for k in ("CITATION", "TOEHOLD_NT", "BRANCH_NT", "MAX_REACTANTS",
                                                           "FUEL_ROLES", "signal_layout", "translate")})
        mod.SHARED_DOMAINS, mod.GLOBAL_DOMAINS = shared, extra
        with pytest.raises(SchemeError, match="GLOBAL_DOMAINS"):
            _check(mod, "probe")
    _check(base, "cardelli2013_2D_2TGC")
