"""The split and absorb passes: bounded products, limit outputs unchanged, fast on large reactions."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.random_nets import random_ternary_network

from dsdcompile.crn import parse_crn
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.errors import InputError
from dsdcompile.ir import Role
from dsdcompile.passes import compile_network, reduce_crn
from dsdcompile.passes.split import absorb_unimolecular, split_products, split_with_origin


def widths(crn):
    return [sum(c for _, c in r.products) for r in crn.reactions]


def test_split_bounds_products_and_counts_helpers():
    crn = parse_crn("@input x X\n@output y Y\nX -> 3 Y + A + B + C + D + E + F + G\nA + B -> 7 Y\n")
    out, origin, n_split = split_with_origin(crn, 3, share=False)
    assert max(widths(out)) <= 3
    assert n_split == 2
    helpers = [s for s in out.species if s.role is Role.HELPER]
    # P items with fan-out K need ceil((P - K) / (K - 1)) helpers: 10 -> 4, 7 -> 2
    assert len(helpers) == 4 + 2
    assert sorted(set(origin.tolist())) == [0, 1]
    for h in helpers:  # every helper made once and consumed once, unimolecularly
        assert sum(1 for r in out.reactions for n, _ in r.reactants if n == h.name) == 1
        assert sum(c for r in out.reactions for n, c in r.products if n == h.name) == 1


def test_shared_chunks_become_one_helper():
    crn = parse_crn("X -> A + B + C + D + E + F\nY -> A + B + C + D + G + H\n")
    out = split_products(crn, 3)
    assert max(widths(out)) <= 3
    shared = [r for r in out.reactions if {n for n, _ in r.products} >= {"A", "B", "C"} or
              {n for n, _ in r.reactants} <= {s.name for s in out.species if s.role is Role.HELPER}]
    makers = [r for r in out.reactions if r.reactants[0][0] in ("X", "Y")]
    made = [{n for n, _ in r.products} for r in makers]
    assert made[0] & made[1]  # both produce the same helper
    assert shared


def test_split_spreads_identical_products():
    """Repeated products are spread over the tree (each reaction makes at most one of each), and every
    copy survives: one X still makes 6 A, 6 B and 6 C in the limit."""
    crn = parse_crn("@input x X\n@output a A\n@output b B\n@output c C\nX -> 6 A + 6 B + 6 C\n")
    out = split_products(crn, 3)
    assert out.n_reactions > 1 and max(widths(out)) <= 3
    for r in out.reactions:
        assert all(c == 1 for _, c in r.products), str(r)
    x = np.array([[1.0], [2.5], [0.0], [7.0]])
    np.testing.assert_allclose(ExactEvaluator(out).outputs(x), np.repeat(6 * x, 3, axis=1))
    np.testing.assert_allclose(ExactEvaluator(out).outputs(x), ExactEvaluator(crn).outputs(x))


def test_split_rejects_k_below_two():
    with pytest.raises(InputError):
        split_products(parse_crn("X -> A\n"), 1)


def test_absorb_merges_chains_within_k():
    crn = parse_crn("@input x X\n@output y Y Z\nX -> A + B\nA -> 2 Y\nB -> Z\n")
    out, origin = absorb_unimolecular(crn, 3)
    assert [str(r) for r in out.reactions] == ["X -> Z + 2 Y"] or [str(r) for r in out.reactions] == ["X -> 2 Y + Z"]
    assert origin.tolist() == [0]
    small, _ = absorb_unimolecular(crn, 2)  # X -> 2 Y + B would not fit: only B -> Z is absorbed
    assert max(widths(small)) <= 2 and small.n_reactions == 2


def _limit_equal(crn, out, seed):
    x = np.random.default_rng(seed).normal(size=(16, len(crn.inputs)))
    np.testing.assert_allclose(ExactEvaluator(out).outputs(x), ExactEvaluator(crn).outputs(x), rtol=1e-9, atol=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 10_000),
       zero=st.sampled_from([0.0, 0.3]), reduced=st.booleans(), k=st.integers(2, 5))
def test_split_and_absorb_preserve_limit(sizes, seed, zero, reduced, k):
    crn = compile_network(random_ternary_network(sizes, seed=seed, zero_fraction=zero))
    if reduced:
        crn = reduce_crn(crn)
    split = split_products(crn, k)
    assert max(widths(split), default=0) <= k
    _limit_equal(crn, split, seed)
    absorbed, _ = absorb_unimolecular(crn, k)
    assert absorbed.n_reactions <= crn.n_reactions
    _limit_equal(crn, split_products(absorbed, k), seed)


def test_split_is_fast_on_huge_fanout():
    products = " + ".join(f"{c} P{i}" for i, c in enumerate([40] * 250 + [1] * 1500))
    crn = parse_crn(f"X -> {products}\nX2 + X3 -> {products}\n")
    start = time.perf_counter()
    out = split_products(crn, 5)
    assert time.perf_counter() - start < 5
    assert max(widths(out)) <= 5
    assert out.n_species > 11_500 // 4  # the two reactions share one tree
