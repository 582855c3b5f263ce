"""Property tests: the exact CRN limit equals the network's forward pass, formal and reduced alike."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.random_nets import random_ternary_network

from dsdcompile.crn import parse_crn
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.errors import NotFeedForward
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn

shapes = st.lists(st.integers(1, 7), min_size=2, max_size=5)


def _rel_err(a, b):
    return (np.abs(a - b) / np.maximum(1.0, np.abs(b).max(axis=1, keepdims=True))).max()


@settings(max_examples=60, deadline=None)
@given(sizes=shapes, seed=st.integers(0, 2**32 - 1), zero=st.sampled_from([0.0, 0.3, 0.7]))
def test_exact_limit_equals_forward_pass(sizes, seed, zero):
    net = random_ternary_network(sizes, seed=seed, zero_fraction=zero)
    x = np.random.default_rng(seed).normal(scale=2.0, size=(16, sizes[0]))
    expected = net.forward(x)
    formal = compile_network(net)
    reduced = reduce_crn(formal)
    for crn in (formal, reduced, add_annihilation(formal), add_annihilation(reduced)):
        assert _rel_err(ExactEvaluator(crn).outputs(x), expected) <= 1e-9


def test_mnist_size_network_exact():
    net = random_ternary_network((196, 512, 512, 10), seed=5)
    x = np.random.default_rng(5).normal(size=(8, 196))
    out = ExactEvaluator(reduce_crn(compile_network(net))).outputs(x)
    assert _rel_err(out, net.forward(x)) <= 1e-9


def test_relu_semantics_by_hand():
    """
    X0p -> I1p, X0m -> I1m, I1p -> M + Yp, M + I1m -> Ym, the ReLU of x alone:
    x = 3 → y = 3;  x = −2 → y = 0 (both rails end at 2... M is used up against I1m).
    """
    crn = parse_crn("""
        @input x X0p X0m
        @output y Yp Ym
        X0p -> I1p
        X0m -> I1m
        I1p -> M + Yp
        M + I1m -> Ym
    """)
    out = ExactEvaluator(crn).outputs(np.array([[3.0], [-2.0]]))
    assert out.ravel().tolist() == [3.0, 0.0]


def test_extents_record_how_far_each_reaction_fires():
    crn = parse_crn("""
        @input x Xp Xm
        @output y Yp Ym
        Xp -> 2 Yp
        Xm -> Ym
    """)
    ev = ExactEvaluator(crn)
    extents = np.zeros((1, 2))
    ev.final_state(crn.initial_state(np.array([[1.5]])), extents=extents)
    assert extents.tolist() == [[1.5, 0.0]]


def test_cycle_is_not_feed_forward():
    crn = parse_crn("""
        @input x Xp Xm
        @output y Yp Ym
        Xp -> A
        A -> B
        B -> A + Yp
    """)
    with pytest.raises(NotFeedForward, match="cycle"):
        ExactEvaluator(crn)
