"""The anderson2021 construction: fixed point = smoothed-ReLU forward pass, attraction, rate dependence."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.random_nets import random_ternary_network

from dsdcompile.config import SimulationConfig
from dsdcompile.errors import InputError
from dsdcompile.ir import Dense, Network
from dsdcompile.passes import compile_network
from dsdcompile.passes.anderson import compile_anderson, smoothed_forward, smoothed_relu
from dsdcompile.sim.engine import simulate

TIGHT = SimulationConfig(atol=1e-12, steady_rtol=1e-12, t_max=1e5)


def _real_net(sizes, seed):
    rng = np.random.default_rng(seed)
    layers = tuple(Dense(rng.normal(size=(b, a)), rng.normal(size=b), k < len(sizes) - 2)
                   for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])))
    return Network(layers, tuple(f"x{i}" for i in range(sizes[0])), tuple(f"c{k}" for k in range(sizes[-1])))


def test_smoothed_relu_is_the_positive_root():
    z = np.array([-1e6, -50.0, -1.0, 0.0, 1.0, 50.0])
    y = smoothed_relu(z, 0.01)
    assert (y > 0).all()
    np.testing.assert_allclose(y * y - z * y - 0.01, 0.0, atol=1e-9)
    np.testing.assert_allclose(smoothed_relu(np.array([0.0]), 0.25), [0.5])


def test_reactions_of_one_unit():
    """
    y = σ(2·x − 0.5):  ∅ → Y [ε],  X0p + Y → X0p + 2Y [2],  X0m + Y → X0m [2],
                       Y → ∅ [0.5],  2Y → Y [1]
    """
    net = Network((Dense(np.array([[2.0]]), np.array([-0.5]), False),), ("x",), ("y",))
    crn = compile_anderson(net, 0.01)
    got = sorted((str(r), r.rate) for r in crn.reactions)
    assert got == sorted([("0 -> Y0", 0.01), ("X0p + Y0 -> X0p + 2 Y0", 2.0),
                          ("X0m + Y0 -> X0m", 2.0), ("Y0 ->", 0.5), ("2 Y0 -> Y0", 1.0)])


@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=st.integers(0, 10_000),
       eps=st.sampled_from([0.01, 0.1, 1.0]))
def test_fixed_point_equals_smoothed_forward_pass(sizes, seed, eps):
    net = _real_net(sizes, seed)
    crn = compile_anderson(net, eps)
    x = np.random.default_rng(seed).normal(size=(4, sizes[0]))
    res = simulate(crn, crn.initial_state(x), TIGHT)
    assert res.converged.all()
    expected = smoothed_forward(net, x, eps)
    rel = np.abs(crn.output_values(res.final) - expected) / np.maximum(1.0, np.abs(expected))
    assert rel.max() <= 1e-6


def test_unique_fixed_point_attracts_random_initial_states():
    net = _real_net((3, 5, 2), seed=1)
    crn = compile_anderson(net, 0.05)
    x = np.random.default_rng(0).normal(size=(1, 3))
    c0 = np.repeat(crn.initial_state(x), 6, axis=0)
    hidden = [crn.index[s.name] for s in crn.species if s.role.value in ("hidden", "output")]
    c0[:, hidden] = np.random.default_rng(1).uniform(0.0, 20.0, size=(6, len(hidden)))
    res = simulate(crn, c0, TIGHT)
    out = crn.output_values(res.final)
    np.testing.assert_allclose(out, np.repeat(smoothed_forward(net, x, 0.05), 6, axis=0), rtol=1e-6, atol=1e-9)


def _perturbed(crn, seed, spread=0.2, default=1.0):
    rng = np.random.default_rng(seed)
    return crn.rate_constants(default) * rng.uniform(1 - spread, 1 + spread, size=crn.n_reactions)


def test_rate_perturbation_moves_anderson_but_not_vasic():
    """±20% on every rate constant: vasic2020 outputs stay (rate independence); anderson2021 outputs move."""
    x = np.random.default_rng(3).normal(size=(3, 4))
    vasic = compile_network(random_ternary_network((4, 6, 3), seed=3))
    anderson = compile_anderson(_real_net((4, 6, 3), seed=3), 0.01)
    moved = {}
    for name, crn in (("vasic", vasic), ("anderson", anderson)):
        c0 = crn.initial_state(x)
        base = crn.output_values(simulate(crn, c0, TIGHT).final)
        pert = crn.output_values(simulate(crn, c0, TIGHT, rates=_perturbed(crn, 7)).final)
        moved[name] = float((np.abs(pert - base) / np.maximum(1.0, np.abs(base))).max())
    assert moved["vasic"] < 1e-5
    assert moved["anderson"] > 1e-3


def test_epsilon_must_be_positive():
    with pytest.raises(InputError, match="epsilon must be positive"):
        compile_anderson(_real_net((2, 2), 0), 0.0)
