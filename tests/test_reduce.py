"""Before/after tests of the reduce pass (Vasic et al. 2020, Algorithm 2)."""

import pytest
from support.random_nets import random_ternary_network

from dsdcompile.crn import canonical_reactions, parse_crn
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.errors import NotFeedForward
from dsdcompile.passes import compile_network, reduce_crn

ONE_UNIT = """
    @input x X0p X0m
    @output y Y0p Y0m
    @species I1_0p hidden node=h rail=+
    @species I1_0m hidden node=h rail=-
    @species H1_0p hidden node=g rail=+
    @species H1_0m hidden node=g rail=-
    @init I1_0p = 0.5
    X0p -> I1_0p
    X0m -> I1_0m
    I1_0p -> M1_0 + H1_0p
    M1_0 + I1_0m -> H1_0m
    H1_0p -> Y0m
    H1_0m -> Y0p
"""


_reactions = canonical_reactions


def test_substitution_of_one_relu_unit():
    """
    before:                              after:
        X0p -> I1_0p                         X0p -> M1_0 + Y0m
        X0m -> I1_0m                         X0m -> I1_0m
        I1_0p -> M1_0 + H1_0p                M1_0 + I1_0m -> Y0p
        M1_0 + I1_0m -> H1_0m
        H1_0p -> Y0m                     initial I1_0p = 0.5 becomes M1_0 = 0.5, Y0m = 0.5
        H1_0m -> Y0p
    """
    reduced = reduce_crn(parse_crn(ONE_UNIT))
    assert _reactions(reduced) == ["I1_0m + M1_0 -> Y0p", "X0m -> I1_0m", "X0p -> M1_0 + Y0m"]
    assert dict(reduced.initial) == {"M1_0": 0.5, "Y0m": 0.5}


def test_pairs_cancel_in_products():
    """
    before:  X0p -> A + Bp      Bp -> Yp + Ym + Yp      (Y± a dual-rail pair)
    after:   X0p -> A + Yp      (one Yp + Ym pair cancelled; A is not an output and is dropped)
    """
    crn = parse_crn("""
        @input x X0p X0m
        @output y Yp Ym
        X0p -> A + Bp
        X0m -> Bp
        Bp -> 2 Yp + Ym
    """)
    reduced = reduce_crn(crn)
    assert _reactions(reduced) == ["X0m -> Yp", "X0p -> Yp"]


def test_dead_units_are_removed():
    """
    A hidden unit whose outgoing weights are all zero has no path to an output:
    before: its ReLU reactions exist;  after: no bimolecular reaction for it.
    """
    net = random_ternary_network((3, 4, 2), seed=0)
    net.layers[1].weight[:, 2] = 0.0
    reduced = reduce_crn(compile_network(net))
    assert sum(1 for r in reduced.reactions if r.order == 2) == 3
    assert not any(name.startswith("M1_2") for name in reduced.index)


@pytest.mark.parametrize(
    "sizes, reduced", [((4, 8, 3), 16), ((10, 32, 4), 52), ((196, 512, 512, 10), 1416)]
)
def test_dense_counts(sizes, reduced):
    crn = reduce_crn(compile_network(random_ternary_network(sizes, seed=2)))
    assert crn.n_reactions == reduced
    uni = [r for r in crn.reactions if r.order == 1]
    assert len(uni) == 2 * sizes[0]
    assert all(r.reactants[0][0].startswith("X") for r in uni)


def test_reduce_preserves_limit():
    net = random_ternary_network((6, 7, 5, 3), seed=4, zero_fraction=0.3)
    formal = compile_network(net)
    x = __import__("numpy").random.default_rng(0).normal(size=(50, 6))
    a = ExactEvaluator(formal).outputs(x)
    b = ExactEvaluator(reduce_crn(formal)).outputs(x)
    assert abs(a - b).max() < 1e-9


def test_non_feed_forward_is_refused():
    crn = parse_crn("""
        @input x Xp Xm
        @output y Yp Ym
        Xp -> A
        A -> B
        A + B -> Yp
    """)
    with pytest.raises(NotFeedForward, match="'A' is consumed by 2 reactions"):
        reduce_crn(crn)
