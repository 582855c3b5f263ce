"""Before/after tests of the compile pass (Vasic et al. 2020, Algorithm 1)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.random_nets import random_ternary_network

from dsdcompile.crn import canonical_reactions, parse_crn
from dsdcompile.errors import InputError
from dsdcompile.ir import Dense, Network, Role
from dsdcompile.passes import compile_network

_reactions = canonical_reactions


def test_single_relu_unit():
    """
    x0 ──(+1)──► h ──(−1)──► y        bias(h) = 0.5, bias(y) = −2

    before: the network above. after (formal CRN):
        X0p -> I1_0p           X0m -> I1_0m          (fan-out of the input)
        I1_0p -> M1_0 + H1_0p  M1_0 + I1_0m -> H1_0m  (ReLU)
        H1_0p -> Y0m           H1_0m -> Y0p          (weight −1 flips the rails)
        I1_0p = 0.5, Y0m = 2                         (biases)
    """
    net = Network((Dense(np.array([[1.0]]), np.array([0.5]), True), Dense(np.array([[-1.0]]), np.array([-2.0]), False)),
                  ("x",), ("y",))
    crn = compile_network(net)
    expected = parse_crn("""
        X0p -> I1_0p
        X0m -> I1_0m
        I1_0p -> M1_0 + H1_0p
        M1_0 + I1_0m -> H1_0m
        H1_0p -> Y0m
        H1_0m -> Y0p
    """)
    assert _reactions(crn) == _reactions(expected)
    assert dict(crn.initial) == {"I1_0p": 0.5, "Y0m": 2.0}
    roles = {s.name: s.role for s in crn.species}
    assert roles["X0p"] is Role.INPUT and roles["Y0m"] is Role.OUTPUT
    assert roles["M1_0"] is Role.HELPER and roles["H1_0p"] is Role.HIDDEN
    assert [(s.name, s.plus, s.minus) for s in crn.outputs] == [("y", "Y0p", "Y0m")]


def test_zero_weight_gives_no_product():
    """
    x0 ─(0)─► y0, x0 ─(+1)─► y1   (no hidden layer)

    after: X0p -> Y1p and X0m -> Y1m; y0 appears in no reaction.
    """
    net = Network((Dense(np.array([[0.0], [1.0]]), np.zeros(2), False),), ("x",), ("a", "b"))
    assert _reactions(compile_network(net)) == ["X0m -> Y1m", "X0p -> Y1p"]


@pytest.mark.parametrize(
    "sizes, formal, species",
    [((4, 8, 3), 40, 54), ((10, 32, 4), 148, 188), ((196, 512, 512, 10), 4488, 5532)],
)
def test_dense_counts(sizes, formal, species):
    crn = compile_network(random_ternary_network(sizes, seed=1))
    assert crn.n_reactions == formal
    assert crn.n_species == species


def test_non_ternary_weight_is_refused_with_position():
    net = Network((Dense(np.array([[1.0, 0.5]]), np.zeros(1), False),), ("a", "b"), ("y",))
    with pytest.raises(InputError, match=r"layer 0 weight\[0, 1\] = 0.5"):
        compile_network(net)


_COMPILE_AND_PRINT = """
from support.random_nets import random_ternary_network
from dsdcompile.crn import format_crn
from dsdcompile.passes import compile_network, reduce_crn
net = random_ternary_network((5, 6, 3), seed=3, zero_fraction=0.3)
formal = compile_network(net)
print(repr(hash("set and dict order follow this")))
print(format_crn(formal) + "\\f" + format_crn(reduce_crn(formal)))
"""


def test_formal_crn_text_is_deterministic():
    """Two processes whose string hashes differ (so set and dict-of-set order may differ) write the same CRNs."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "tests")]))
    runs = [subprocess.run([sys.executable, "-c", _COMPILE_AND_PRINT], capture_output=True, text=True, check=True,
                           timeout=300, env=dict(env, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")]
    (hash_1, text_1), (hash_2, text_2) = (run.split("\n", 1) for run in runs)
    assert hash_1 != hash_2, "the two processes must hash strings differently for this test to mean anything"
    assert "->" in text_1 and text_1 == text_2
