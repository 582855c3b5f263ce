"""Sound refutation, independent certification of bisimulations, Karp-Miller coverability, crnverifier's TypeError."""

from __future__ import annotations

import itertools

import pytest

from dsdcompile.config import EnumerationConfig, ExecutionConfig, VerificationConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.enumerate import enumerate_modules
from dsdcompile.dsd.translate import translate
from dsdcompile.verify import verify_modules
from dsdcompile.verify.bisimulation import bisimulations, check_modular
from dsdcompile.verify.certify import certify
from dsdcompile.verify.reachability import coverability_set, reachable
from dsdcompile.verify.refute import refute
from dsdcompile.verify.system import prepare

# X + G -> H; H -> Y (G a fuel, removed): a correct unimolecular module, hand-written.
GOOD = ((("X",), ("h",)), (("h",), ("Y",)))
SIGNALS = {"X": "X", "Y": "Y"}
FORMAL = [(("X",), ("Y",))]


def _modules(text: str, scheme: str = "soloveichik2010"):
    system = translate(parse_crn(text), scheme)
    return enumerate_modules(system, EnumerationConfig(), execution=ExecutionConfig(module_timeout=0))


# ---------------------------------------------------------------- refutation
def test_correct_module_is_not_refuted_and_broken_ones_are():
    assert refute(GOOD, SIGNALS, FORMAL, modular=True) is None
    # h releases Y twice: from one X the signals alone mean 2 Y
    twice = refute(((("X",), ("h",)), (("h",), ("Y", "Y"))), SIGNALS, FORMAL)
    assert twice.kind == "overflow" and "2 Y" in twice.message
    # X is captured for good: a dead state holding nothing while the formal CRN can still make Y... is fine
    # (Y might be held by h); but with h consumed into an inert waste, only modularity makes it a proof
    lost = ((("X",), ("h",)), (("h",), ("w",)))
    assert refute(lost, SIGNALS, FORMAL) is None
    assert refute(lost, SIGNALS, FORMAL, modular=True).kind == "clean"
    # X never reacts: from X nothing can happen, but X -> Y can
    stuck = ((("Z",), ("Y",)),)
    assert refute(stuck, SIGNALS, FORMAL).kind == "deadlock"


def test_overflow_alone_is_sound_for_part_of_a_system():
    """In a sub-CRN a dead state may not be dead in the whole system, so only overflow is looked for."""
    stuck = ((("Z",), ("Y",)),)
    assert refute(stuck, SIGNALS, FORMAL, kinds=("overflow",)) is None


def test_two_a_to_a_is_refuted_from_a_single_a():
    """soloveichik2010's join for 2 A -> A: one A releases the output (crnverifier 0.3 crashes on it)."""
    (m,) = _modules("2 A -> A\n")
    p = prepare(m)
    proof = refute(p.icrn, p.signal_map, [p.formal], modular=True)
    assert proof.kind == "overflow" and proof.start == ("A",)
    result = verify_modules([m], VerificationConfig())
    (shape,) = result.modules
    assert shape.verdict == "not-equivalent" == result.verdict
    # pathway decomposition agrees (the cross-check the issue asks for)
    assert [c.verdict for c in shape.checks] == ["not-equivalent", "not-equivalent"]


@pytest.mark.parametrize("text", ["A + B -> C\n", "A -> B + C\n", "A + B -> A + B + C\n", "3 A -> B\n", "A ->\n"])
def test_correct_soloveichik_modules_are_neither_refuted_nor_rejected(text):
    (m,) = _modules(text)
    p = prepare(m)
    assert refute(p.icrn, p.signal_map, [p.formal], modular=True) is None
    assert verify_modules([m], VerificationConfig()).verdict == "equivalent"


# ---------------------------------------------------------------- certification
def test_certify_accepts_a_bisimulation_and_names_each_violated_condition():
    formals = {"X", "Y"}
    assert certify(FORMAL, GOOD, {"X": ["X"], "Y": ["Y"], "h": ["Y"]}, formals) is None
    assert certify(FORMAL, GOOD, {"X": ["X"], "Y": ["Y"], "h": ["X"]}, formals) is None  # the other choice
    assert "delimiting" in certify(FORMAL, GOOD, {"X": ["X"], "Y": ["Y"], "h": ["X", "Y"]}, formals)
    assert "atomic" in certify(FORMAL, ((("h",), ("Y",)),), {"h": ["X", "X"], "Y": ["Y"]}, formals)
    # X can only become h by a reaction that needs a second h: no trivial path leads to X -> Y
    gated = ((("X", "k"), ("h",)), (("h",), ("Y",)), (("k",), ("k",)))
    problem = certify(FORMAL, gated[:2], {"X": ["X"], "Y": ["Y"], "h": ["Y"], "k": []}, formals)
    assert "permissive" in problem


def test_certify_agrees_with_crnverifier_on_real_modules():
    for m in _modules("A + B -> C + D\nA -> B\n"):
        p = prepare(m)
        fcrn = [[list(p.formal[0]), list(p.formal[1])]]
        partial = {s: [f] for s, f in p.signals if s in p.species}
        found = next(bisimulations(fcrn, [[list(r), list(q)] for r, q in p.icrn], partial, p.formal_species,
                                   "default"))
        assert certify(fcrn, p.icrn, found, p.formal_species) is None


# ---------------------------------------------------------------- crnverifier's TypeError
def test_catalytic_intermediate_no_longer_crashes_crnverifier():
    """x + Y -> x + Z with x free: crnverifier 0.3 indexes a tuple with a species name (TypeError)."""
    from crnverifier.crn_bisimulation import crn_bisimulations

    fcrn = [[["A"], ["B"]]]
    icrn = [[["A"], ["x"]], [["x", "y"], ["x", "z"]], [["x"], ["B"]]]
    partial = {"A": ["A"], "B": ["B"]}
    with pytest.raises(TypeError, match="tuple indices"):
        list(crn_bisimulations(fcrn, [[list(r), list(p)] for r, p in icrn], interpretation=partial,
                               formals={"A", "B"}))
    found = list(bisimulations(fcrn, icrn, partial, {"A", "B"}, "default"))
    assert found and all("x'0" not in b for b in found)
    out = check_modular(fcrn, tuple((tuple(r), tuple(p)) for r, p in icrn), {"A": "A", "B": "B"})
    assert out["verdict"] in ("equivalent", "not-equivalent")  # decided, not a crash


# ---------------------------------------------------------------- coverability
@pytest.mark.parametrize("net,start", [
    ([(("A", "B"), ("A", "B", "C"))], ("A", "B")),
    ([(("A",), ("B",)), (("B",), ("A", "A"))], ("A",)),
    ([(("A", "A"), ("A",)), (("A",), ("B", "C"))], ("A", "A", "A")),
    ([(("A", "B"), ("C",)), (("C",), ("A",))], ("A", "B", "B")),
])
def test_karp_miller_agrees_with_explicit_search(net, start):
    km = coverability_set(net, start)
    states, _, _ = reachable(net, tuple(sorted(start)), 3_000)
    species = sorted({x for r, p in net for x in r + p})
    for counts in itertools.product(range(4), repeat=len(species)):
        target = {x: c for x, c in zip(species, counts) if c}
        by_search = any(all(s.count(x) >= c for x, c in target.items()) for s in states)
        by_km = any(all(m.get(x, 0) >= c for x, c in target.items()) for m in km)
        assert by_search == by_km, target
