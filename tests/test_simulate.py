"""The mass-action ODE simulator against closed forms, scipy and the exact rate-independent limit; its two back ends."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from support.random_nets import random_ternary_network

from dsdcompile.config import SimulationConfig
from dsdcompile.crn import parse_crn
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.errors import EXIT_FAILURE, InputError, SimulationError
from dsdcompile.ir import CRN, Dense, Network, Reaction, Species
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn
from dsdcompile.passes.anderson import compile_anderson, smoothed_forward
from dsdcompile.runtime.executors import ProcessExecutor
from dsdcompile.sim.engine import MAX_BLOCK, mass_action, simulate, simulate_outputs

TIGHT = SimulationConfig(rtol=1e-7, atol=1e-10)
BACKENDS = ("rosenbrock", "bdf")


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
    times = _times(SimulationConfig().t_max)
    cpu = simulate(crn, crn.initial_state(x), times=times, record=1)
    gpu = simulate(crn, crn.initial_state(x), SimulationConfig(device="cuda"), times=times, record=1)
    np.testing.assert_allclose(gpu.states, cpu.states, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gpu.trajectory, cpu.trajectory, rtol=1e-9, atol=1e-9)


# -- the two back ends and sample times ----------------------------------------------------------
def _times(t_max: float, n: int = 12) -> np.ndarray:
    return np.concatenate([[0.0], np.geomspace(1e-2, t_max, n)])


def _both(crn: CRN, c0: np.ndarray, cfg: SimulationConfig, times: np.ndarray, **kw) -> dict:
    return {b: simulate(crn, c0, replace(cfg, backend=b), times=times, **kw) for b in BACKENDS}


def _assert_backends_agree(crn: CRN, runs: dict, tol: float) -> None:
    ros, bdf = runs["rosenbrock"], runs["bdf"]
    assert ros.method == "rosenbrock" and bdf.method == "bdf"
    scale = max(1.0, float(np.abs(ros.states).max()))
    # every state at every sample time, and the final outputs (the runs may stop at different times)
    assert np.abs(bdf.states - ros.states).max() <= tol * scale
    out_r, out_b = crn.output_values(ros.final), crn.output_values(bdf.final)
    assert _rel_err(out_b, out_r) <= tol


ANDERSON_NET = Network((Dense(np.array([[1.5, -0.7], [0.4, 1.1]]), np.array([0.3, -0.2]), True),
                        Dense(np.array([[0.9, -1.2]]), np.array([0.1]), False)), ("x0", "x1"), ("y",))


@settings(max_examples=8, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=3), seed=st.integers(0, 2**32 - 1),
       annihilation=st.booleans())
def test_rosenbrock_and_bdf_agree_on_feed_forward_crns(sizes, seed, annihilation):
    net = random_ternary_network(sizes, seed=seed)
    crn = reduce_crn(compile_network(net))
    crn = add_annihilation(crn) if annihilation else crn
    x = np.random.default_rng(seed).normal(scale=2.0, size=(3, sizes[0]))
    cfg = SimulationConfig(rtol=1e-4, atol=1e-8)  # measured: the states agree to 1.2e-4 (8 seeds)
    runs = _both(crn, crn.initial_state(x), cfg, _times(cfg.t_max, 16))
    _assert_backends_agree(crn, runs, 1e-3)
    for res in runs.values():  # both reach the rate-independent limit
        assert _rel_err(crn.output_values(res.final), ExactEvaluator(crn).outputs(x)) <= 1e-4


def test_rosenbrock_and_bdf_agree_on_anderson2021():
    crn = compile_anderson(ANDERSON_NET, 0.01)
    x = np.random.default_rng(5).normal(size=(3, 2))
    cfg = SimulationConfig(rtol=1e-5, atol=1e-9, t_max=100.0)
    runs = _both(crn, crn.initial_state(x), cfg, _times(cfg.t_max, 16))
    _assert_backends_agree(crn, runs, 1e-3)
    nn = smoothed_forward(ANDERSON_NET, x, 0.01)
    for res in runs.values():
        assert _rel_err(crn.output_values(res.final), nn) <= 1e-4
        # the outputs move between the sample times: the comparison above is not of constant states
        assert np.abs(np.diff(crn.output_values(res.states), axis=0)).max() > 0.1


@pytest.mark.parametrize("backend", BACKENDS)
def test_states_at_sample_times(backend):
    """A -> B [0.7]: every example's state at every sample time against the exponential."""
    crn = _crn("A -> B [k=0.7]")
    c0 = np.array([[2.0, 0.0], [5.0, 1.0], [0.0, 3.0]])
    cfg = replace(TIGHT, backend=backend, t_max=40.0)
    times = np.array([0.0, 0.0, 0.1, 0.5, 0.5, 1.0, 3.0, 7.0, 40.0])  # repeated times are allowed
    res = simulate(crn, c0, cfg, times=times, record=1)
    assert res.grid is times or np.array_equal(res.grid, times)
    assert res.states.shape == (times.size, 3, 2)
    np.testing.assert_array_equal(res.states[0], c0)  # time 0 is the initial state, exactly
    exact_a = c0[:, 0] * np.exp(-0.7 * times[:, None])
    np.testing.assert_allclose(res.states[..., 0], exact_a, atol=1e-6)
    np.testing.assert_allclose(res.states.sum(axis=2), np.broadcast_to(c0.sum(axis=1), (times.size, 3)), rtol=1e-9)
    # the third example starts at steady state and stays there; the record still works
    np.testing.assert_array_equal(res.states[:, 2], np.broadcast_to(c0[2], (times.size, 2)))
    assert res.times[0] == 0.0 and (np.diff(res.times) > 0).all() and res.trajectory.shape == (res.times.size, 2)
    np.testing.assert_allclose(res.trajectory[:, 0], 5.0 * np.exp(-0.7 * res.times), atol=1e-6)
    # an example that stops at steady state keeps its final state at the later times
    stopped = res.converged & (res.t_final < times[-1])
    for i in np.flatnonzero(stopped):
        later = times > res.t_final[i]
        np.testing.assert_array_equal(res.states[later, i], np.broadcast_to(res.final[i], (later.sum(), 2)))


def test_sample_times_cost_few_steps_and_leave_the_run_alone():
    net = random_ternary_network((4, 5, 3), seed=11)
    crn = add_annihilation(compile_network(net))
    c0 = crn.initial_state(np.random.default_rng(11).normal(size=(4, 4)))
    times = _times(SimulationConfig().t_max, 40)
    plain = simulate(crn, c0)
    sampled = simulate(crn, c0, times=times)
    assert sampled.converged.all()
    assert _rel_err(crn.output_values(sampled.final), crn.output_values(plain.final)) <= 1e-6
    # a step shortened to land on a sample time does not shrink the next one
    assert (sampled.steps <= plain.steps + (times <= sampled.t_final[:, None]).sum(axis=1) + 5).all()
    np.testing.assert_allclose(sampled.states[-1], sampled.final)


def test_bad_sample_times_raise():
    crn = _crn("A -> B")
    for bad in ([1.0, 0.5], [-1.0, 1.0], [0.0, np.nan], [[0.0, 1.0]], [0.0, 2e4]):
        with pytest.raises(InputError):
            simulate(crn, np.array([1.0, 0.0]), times=np.array(bad))


def test_a_failed_integration_is_a_simulation_error():
    """2X -> 3X blows up in finite time (t = 1 for X0 = 1): BDF gives up, with and without clipped rates, and says
    so as a SimulationError (a failure, exit 1), not as bad input."""
    crn = parse_crn("2 X -> 3 X\n")
    with pytest.raises(SimulationError, match="example 0: BDF integration failed") as info:
        simulate(crn, np.array([[1.0]]), SimulationConfig(backend="bdf", t_max=100.0))
    assert not isinstance(info.value, InputError) and info.value.exit_code == EXIT_FAILURE


def test_backend_choice():
    with pytest.raises(InputError, match="backend"):
        SimulationConfig(backend="lsoda")
    n = MAX_BLOCK + 2
    names = [f"S{i}" for i in range(n)]
    cycle = CRN(tuple(Species(s) for s in names), tuple(Reaction.make([names[i]], [names[(i + 1) % n]])
                                                        for i in range(n)))
    with pytest.raises(InputError, match="strongly connected"):
        simulate(cycle, np.ones(n), SimulationConfig(backend="rosenbrock"))
    assert simulate(cycle, np.ones(n)).method == "bdf"
    assert simulate(_crn("A -> B"), np.array([1.0, 0.0])).method == "rosenbrock"
    assert simulate(_crn("A -> B"), np.array([1.0, 0.0]), SimulationConfig(backend="bdf")).method == "bdf"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_polynomial_that_runs_away_falls_back_to_clipped_rates(backend):
    """A + B -> A [1], 2 B -> ∅ [1e8] from A = B = 1: B decays to 0, and a BDF step overshoots below it.

    With B < 0 the plain polynomial has dB/dt = -B - 2e8 B² and runs away once 2e8 |B| > 1
    (its own BDF run fails); clipped, B stays at 0. The exact B(t) = 1 / ((1 + 2e8) e^t - 2e8).
    """
    crn = CRN((Species("A"), Species("B")), (Reaction.make(["A", "B"], ["A"], 1.0),
                                              Reaction.make({"B": 2}, {}, 1e8)))
    f, jac = mass_action(crn, crn.rate_constants(), clip=False)
    assert solve_ivp(f, (0.0, 100.0), [1.0, 1.0], method="BDF", jac=jac, rtol=1e-3, atol=1e-6).status == -1
    times = np.array([0.0, 1e-6, 1e-3, 1.0, 10.0, 100.0])
    res = simulate(crn, np.array([[1.0, 1.0]]), SimulationConfig(t_max=100.0, backend=backend), times=times)
    if backend == "bdf":
        assert res.clipped.tolist() == [True]
    exact = 1.0 / ((1 + 2e8) * np.exp(times) - 2e8)
    assert np.isfinite(res.states).all() and (res.states >= 0).all()
    np.testing.assert_allclose(res.states[:, 0, 1], exact, rtol=1e-2, atol=1e-5)
    np.testing.assert_allclose(res.states[:, 0, 0], 1.0)


def test_a_bdf_run_that_overflows_fails_as_a_simulation_error_without_numpy_warnings():
    """2 B -> ∅ at 1e200: B² k overflows inside scipy's step and its LU factor turns singular. Both runs (plain and
    clipped) end in one DsdCompileError naming the failure: no RuntimeError traceback, no numpy warnings."""
    import warnings

    from dsdcompile.errors import DsdCompileError

    crn = CRN((Species("A"), Species("B")), (Reaction.make(["A", "B"], ["A"], 1.0),
                                              Reaction.make({"B": 2}, {}, 1e200)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DsdCompileError, match="BDF integration failed.*singular"):
            simulate(crn, np.array([[1.0, 1.0]]), SimulationConfig(t_max=100.0, backend="bdf"))


def test_bdf_examples_on_a_process_pool_match_the_serial_run():
    crn = compile_anderson(ANDERSON_NET, 0.01)
    c0 = crn.initial_state(np.random.default_rng(2).normal(size=(3, 2)))
    cfg = SimulationConfig(backend="bdf", t_max=50.0)
    times = _times(cfg.t_max)
    seen: list[int] = []
    serial = simulate(crn, c0, cfg, times=times, record=2)
    with ProcessExecutor(2) as pool:
        pooled = simulate(crn, c0, cfg, times=times, record=2, executor=pool, progress=seen.append)
    assert sum(seen) == 3
    for name in ("final", "t_final", "converged", "steps", "times", "trajectory", "states", "clipped"):
        np.testing.assert_array_equal(getattr(pooled, name), getattr(serial, name), err_msg=name)
    assert np.abs(serial.states[-1] - c0).max() > 0.1  # the states did move
