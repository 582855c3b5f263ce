"""The mass-action ODE simulator against closed forms, scipy and the exact rate-independent limit."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from dsdcompile.config import SimulationConfig
from dsdcompile.crn_io import parse_crn
from dsdcompile.errors import InputError
from dsdcompile.evaluate import ExactEvaluator
from dsdcompile.ir import CRN, Reaction, Species
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn
from dsdcompile.random_nets import random_ternary_network
from dsdcompile.simulate import MAX_BLOCK, mass_action, simulate, simulate_outputs

TIGHT = SimulationConfig(rtol=1e-7, atol=1e-10)


def _rel_err(out, ref):
    return float((np.abs(out - ref) / np.maximum(1.0, np.abs(ref).max(axis=1, keepdims=True))).max())


def _crn(text: str) -> CRN:
    return parse_crn(text)


def test_first_order_decay_matches_exponential():
    crn = _crn("A -> B [k=0.7]")
    res = simulate(crn, np.array([[2.0, 0.0], [5.0, 1.0]]), TIGHT, record=0)
    assert res.converged.all() and (res.t_final < TIGHT.t_max).all()
    exact = 2.0 * np.exp(-0.7 * res.times)
    assert np.abs(res.trajectory[:, 0] - exact).max() < 1e-5
    np.testing.assert_allclose(res.trajectory.sum(axis=1), 2.0, rtol=1e-12)  # mass is conserved
    np.testing.assert_allclose(res.final, [[0.0, 2.0], [0.0, 6.0]], atol=1e-8)


def test_second_order_matches_closed_form():
    a0, b0, k = 3.0, 1.0, 0.5
    crn = _crn(f"A + B -> C [k={k}]")
    res = simulate(crn, np.array([a0, b0, 0.0]), TIGHT, record=0)
    d = a0 - b0
    exact = d * a0 / (a0 - b0 * np.exp(-k * d * res.times))  # dA/dt = -k A (A - d)
    assert np.abs(res.trajectory[:, 0] - exact).max() < 1e-5
    np.testing.assert_allclose(res.final[0], [d, 0.0, b0], atol=1e-7)


def test_dimerisation_matches_closed_form():
    crn = _crn("2 A -> B [k=0.25]")
    res = simulate(crn, np.array([4.0, 0.0]), SimulationConfig(rtol=1e-7, atol=1e-10, t_max=50.0), record=0)
    exact = 4.0 / (1.0 + 2 * 0.25 * 4.0 * res.times)  # dA/dt = -2 k A²
    assert np.abs(res.trajectory[:, 0] - exact).max() < 1e-5
    np.testing.assert_allclose(res.trajectory[:, 0] + 2 * res.trajectory[:, 1], 4.0, rtol=1e-12)


def test_recorded_trajectory_and_steady_state_stop():
    crn = _crn("A -> B\nB -> C")
    cfg = SimulationConfig()
    res = simulate(crn, np.array([[1.0, 0, 0], [2.0, 0, 0], [0.5, 0.5, 0]]), cfg, record=1)
    assert res.final.shape == (3, 3) and res.t_final.shape == res.converged.shape == res.steps.shape == (3,)
    assert res.converged.all() and (res.t_final < cfg.t_max).all() and (res.steps > 0).all()
    assert res.trajectory.shape == (res.times.size, 3) and res.times.size == res.steps[1] + 1
    assert res.times[0] == 0.0 and (np.diff(res.times) > 0).all() and res.times[-1] == res.t_final[1]
    np.testing.assert_array_equal(res.trajectory[-1], res.final[1])
    assert simulate(crn, np.array([1.0, 0, 0]), cfg).times is None


def test_t_max_stops_unconverged():
    crn = _crn("A -> B")
    res = simulate(crn, np.array([1.0, 0.0]), SimulationConfig(t_max=2.0))
    assert not res.converged[0] and res.t_final[0] == pytest.approx(2.0)
    assert res.final[0, 0] == pytest.approx(np.exp(-2.0), rel=1e-2)


@settings(max_examples=10, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=st.integers(0, 2**32 - 1),
       zero=st.sampled_from([0.0, 0.5]))
def test_simulation_agrees_with_exact_limit(sizes, seed, zero):
    net = random_ternary_network(sizes, seed=seed, zero_fraction=zero)
    x = np.random.default_rng(seed).normal(scale=2.0, size=(3, sizes[0]))
    formal = compile_network(net)
    reduced = reduce_crn(formal)
    for crn in (formal, reduced, add_annihilation(formal), add_annihilation(reduced)):
        out, res = simulate_outputs(crn, x)
        assert res.method == "rosenbrock"
        assert _rel_err(out, ExactEvaluator(crn).outputs(x)) <= 1e-5


def test_rate_independence_and_refill():
    net = random_ternary_network((4, 6, 3), seed=3)
    crn = add_annihilation(compile_network(net))
    x = np.random.default_rng(3).normal(size=(5, 4))
    exact = ExactEvaluator(crn).outputs(x)
    rates = np.exp(np.random.default_rng(4).uniform(np.log(0.2), np.log(5.0), crn.n_reactions))
    seen = []
    res = simulate(crn, crn.initial_state(x), SimulationConfig(batch_size=2), rates=rates, progress=seen.append)
    assert sum(seen) == 5 and res.converged.all()
    assert _rel_err(crn.output_values(res.final), exact) <= 1e-5
    ref = simulate(crn, crn.initial_state(x), SimulationConfig(rate=3.0))  # uniform non-default rate
    assert _rel_err(crn.output_values(ref.final), exact) <= 1e-5
    assert (ref.t_final < simulate(crn, crn.initial_state(x)).t_final).all()  # faster reactions finish sooner


def _reference(crn: CRN, c0: np.ndarray, t_end: float) -> np.ndarray:
    f, jac = mass_action(crn, crn.rate_constants())
    sol = solve_ivp(f, (0.0, t_end), c0, method="Radau", jac=jac, rtol=1e-10, atol=1e-12)
    return sol.y[:, -1]


def test_cyclic_crn_small_block():
    # A + B -> 2B, B -> A: not feed-forward; {A, B} is one 2-species block
    crn = _crn("A + B -> 2 B [k=2]\nB -> A")
    c0 = np.array([[1.5, 0.5], [0.2, 1.0]])
    res = simulate(crn, c0, TIGHT)
    assert res.method == "rosenbrock" and res.converged.all()
    for i in range(2):
        np.testing.assert_allclose(res.final[i], _reference(crn, c0[i], res.t_final[i]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res.final[:, 0], 0.5, rtol=1e-6)  # equilibrium A = k_back / k_fwd


def test_large_cycle_uses_generic_path():
    n = MAX_BLOCK + 4
    names = [f"S{i}" for i in range(n)]
    reactions = [Reaction.make([names[i]], [names[(i + 1) % n]], rate=1.0 + 0.1 * i) for i in range(n)]
    reactions.append(Reaction.make([names[0], names[1]], [names[2], names[2]]))  # mass-conserving
    crn = CRN(tuple(Species(s) for s in names), tuple(reactions))
    c0 = np.random.default_rng(0).uniform(0.0, 2.0, size=(2, n))
    res = simulate(crn, c0, TIGHT, record=1)
    assert res.method == "bdf" and res.converged.all() and res.trajectory.shape == (res.times.size, n)
    for i in range(2):
        np.testing.assert_allclose(res.final[i], _reference(crn, c0[i], res.t_final[i]), rtol=1e-5, atol=1e-8)


def test_zero_order_and_catalytic_reactions():
    # ∅ -> A, A + C -> C + B (C catalyses), A -> ∅, B -> ∅: steady at A = 0.5 / 2.5, B = 2 A
    reactions = (Reaction.make([], ["A"], rate=0.5), Reaction.make(["A", "C"], ["C", "B"]),
                 Reaction.make(["A"], [], rate=0.5), Reaction.make(["B"], []))
    crn = CRN(tuple(Species(s) for s in "ABC"), reactions)
    res = simulate(crn, np.array([[0.0, 0.0, 2.0], [1.0, 3.0, 2.0]]), TIGHT)
    assert res.method == "rosenbrock" and res.converged.all()
    np.testing.assert_allclose(res.final, [[0.2, 0.4, 2.0]] * 2, rtol=1e-6)


def test_bad_input_raises():
    crn = _crn("A -> B")
    with pytest.raises(InputError):
        simulate(crn, np.zeros((2, 3)))
    with pytest.raises(InputError):
        simulate(crn, np.array([-1.0, 0.0]))
    with pytest.raises(InputError):
        simulate(crn, np.array([1.0, 0.0]), rates=np.array([-1.0]))
    with pytest.raises(InputError):
        simulate(crn, np.array([1.0, 0.0]), rates=np.ones(2))
    with pytest.raises(InputError):
        simulate(crn, np.array([1.0, 0.0]), record=1)
    with pytest.raises(InputError):
        simulate(crn, np.array([1.0, 0.0]), SimulationConfig(rtol=0.0))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu():
    net = random_ternary_network((6, 8, 3), seed=1)
    crn = compile_network(net)
    x = np.random.default_rng(1).normal(size=(4, 6))
    cpu, _ = simulate_outputs(crn, x)
    gpu, _ = simulate_outputs(crn, x, SimulationConfig(device="cuda"))
    np.testing.assert_allclose(gpu, cpu, rtol=1e-9, atol=1e-9)
