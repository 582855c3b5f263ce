"""Rate-setting fuel for anderson2021: helper catalysts, module QSS rates, and kinetics of a real enumerated design."""

import dataclasses
import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from support.kinetics_reference import soloveichik_module

from dsdcompile.config import EnumerationConfig, KineticsConfig, RateFuelConfig, SimulationConfig
from dsdcompile.dsd.enumerate import enumerate_modules
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.translate import translate
from dsdcompile.ir import CRN, Dense, Network, Reaction, Role, Species
from dsdcompile.kinetics.implementation import merge_signal_carriers
from dsdcompile.kinetics.module_rate import ModuleKinetics
from dsdcompile.kinetics.rate_fuel import BUFFER, EXCESS, GATE, with_fuel
from dsdcompile.kinetics.rate_kinetics import READOUT_MULTIPLES, integrate, log_grid, run_rate_kinetics
from dsdcompile.passes.anderson import compile_anderson, smoothed_forward
from dsdcompile.passes.helper_catalysts import add_helper_catalysts
from dsdcompile.runtime.executors import ProcessExecutor
from dsdcompile.runtime.progress import Progress
from dsdcompile.sim.engine import mass_action, simulate
from dsdcompile.stages.dsd import DSDResult
from dsdcompile.stages.kinetics import run_kinetics_stage, write_kinetics_files
from dsdcompile.verify import verify_modules

EPS = 0.01
# 1 nM per unit (RateFuelConfig.unit_nM, which the kinetics stage uses for rate-dependent
# designs): fuel is consumed continuously, and more units mean less fuel margin under the cap
CONFIG = RateFuelConfig(unit_nM=1.0)
# measured on the seeded 2-2 net below (3 examples): fuel excess 1.1e-3, finite fuel 3.5e-3
EXCESS_TOL = 3e-3
FINITE_TOL = 1e-2


def test_helper_catalysts_make_every_reaction_bimolecular_and_keep_the_ode():
    """
    0 -> Y [0.01]       Hc0 + Hc1 -> Hc0 + Hc1 + Y [0.01]
    Y -> 0 [0.5]    =>  Hc0 + Y -> Hc0 [0.5]           Hc0 = Hc1 = 1 initially
    X + Y -> X + 2Y     X + Y -> X + 2Y  (kept)
    2Y -> Y             2Y -> Y          (kept)
    """
    net = Network((Dense(np.array([[0.7]]), np.array([-0.5]), False),), ("x",), ("y",))
    crn = compile_anderson(net, EPS)
    out = add_helper_catalysts(crn)
    got = sorted((str(r), r.rate) for r in out.reactions)
    assert ("Hc0 + Hc1 -> Y0 + Hc0 + Hc1", EPS) in got and ("Y0 + Hc0 -> Hc0", 0.5) in got
    assert all(r.order == 2 for r in out.reactions)
    assert dict(out.initial) == {"Hc0": 1.0, "Hc1": 1.0}
    assert {s.role for s in out.species if s.name.startswith("Hc")} == {Role.HELPER}
    x = np.array([[1.3], [-0.4]])
    cfg = SimulationConfig(atol=1e-12, steady_rtol=1e-12, t_max=1e5)
    before = crn.output_values(simulate(crn, crn.initial_state(x), cfg).final)
    after = out.output_values(simulate(out, out.initial_state(x), cfg).final)
    np.testing.assert_allclose(after, before, rtol=1e-7)
    np.testing.assert_allclose(after, smoothed_forward(net, x, EPS), rtol=1e-6)
    assert add_helper_catalysts(out) is out


def test_merge_drops_the_reactions_of_released_variants():
    """
    X + G -> H,  H + T -> o0 + W      (o0: a released copy of X)
    o0 + G -> H2, H2 + T -> o0 + W2   dropped: after renaming o0 to X they would bind G a second time
    """
    m = ModuleImplementation(0, Reaction.make(["X"], ["X"]), "s", (
        (("X", "G"), ("H",), 1.0), (("H", "T"), ("o0", "W"), 1.0),
        (("o0", "G"), ("H2",), 1.0), (("H2", "T"), ("o0", "W2"), 1.0)), (("X", "X"), ("o0", "X")), ("G", "T"))
    (merged,) = merge_signal_carriers([m])
    assert merged.reactions == ((("X", "G"), ("H",), 1.0), (("H", "T"), ("X", "W"), 1.0))


def test_module_qss_matches_the_join_formula():
    """Soloveichik's join A + L <-> H + Bf (q, q_max), H + B -> O (q_max), O + T -> P: k_eff = q·L/(Bf + B)."""
    formal = Reaction.make(["A", "B"], ["P"])
    q, qmax = 2.0e5, 1.0e6
    mk = ModuleKinetics(soloveichik_module(0, formal, q=q, q_max=qmax))
    fuels = {"r0_L": 300.0, "r0_Bf": 5000.0, "r0_T": 1000.0}
    signals = {"A": 10.0, "B": 20.0, "P": 0.0}
    k = mk.qss(fuels, signals).k_eff * 1e9  # /M/s
    assert k == pytest.approx(q * qmax * 300.0 / (qmax * 5000.0 + qmax * 20.0), rel=1e-9)
    e = mk.fuel_exponents(fuels, signals, step=1.0 + 1e-6)
    assert e["r0_L"] == pytest.approx(1.0, abs=1e-5) and e["r0_T"] == pytest.approx(0.0, abs=1e-5)
    assert e["r0_Bf"] == pytest.approx(-5000.0 / 5020.0, abs=1e-4)


def test_catalyst_held_by_a_gate_is_its_conservation_law():
    """X + L <-> H + Bf, H + Y -> O, O + T -> X + 2 Y: the gate holds X as H (and O), nothing else."""
    formal = Reaction.make(["X", "Y"], {"X": 1, "Y": 2})
    mk = ModuleKinetics(soloveichik_module(0, formal, q=1e6, q_max=1e6), frozenset({"X"}))
    fuels = {"r0_L": 100.0, "r0_Bf": 10000.0, "r0_T": 1000.0}
    q = mk.qss(fuels, {"X": 10.0, "Y": 10.0})
    # H = L·X/(Bf + Y) at QSS, and O = flux / (q·T)
    h = 100.0 * 10.0 / (10000.0 + 10.0)
    o = q.flux_nM_s / (1e6 * 1e-9 * 1000.0)
    assert q.held["X"] == pytest.approx((h + o) / 10.0, rel=1e-6)


def _tiny_net():
    rng = np.random.default_rng(0)
    return Network((Dense(rng.normal(size=(2, 2)), rng.normal(size=2), False),), ("x0", "x1"), ("c0", "c1"))


@pytest.fixture(scope="module")
def design():
    """A real-weight 2-2 net, anderson2021, helper catalysts, soloveichik2010, real peppercorn enumeration."""
    net = _tiny_net()
    crn = add_helper_catalysts(compile_anderson(net, EPS))
    system = translate(crn, "soloveichik2010")
    modules = enumerate_modules(system, EnumerationConfig())
    x = np.random.default_rng(1).normal(size=(3, 2))
    return net, system, modules, x, smoothed_forward(net, x, EPS)


@pytest.fixture(scope="module")
def kinetics(design):
    _, system, modules, x, nn = design
    return run_rate_kinetics(system.split_crn, modules, x, nn, CONFIG)


def test_every_module_gets_its_rate_from_its_gate(design, kinetics):
    _, system, modules, _, _ = design
    plan = kinetics.plan
    np.testing.assert_allclose(plan.k_eff, plan.target * plan.compensation, rtol=1e-8)
    roles = [r.role for r in plan.roles.values()]
    assert roles.count(GATE) == roles.count(BUFFER) == system.n_modules and EXCESS in roles
    assert all(v <= CONFIG.fuel_max_nM * (1 + 1e-9) for v in plan.fuel_nM.values())
    # helper catalysts are supplied above 1 unit by what the gates hold of them
    assert all(v > CONFIG.unit_nM for v in plan.helper_nM.values())
    assert plan.margin >= CONFIG.fuel_safety * (1 - 1e-6)


def test_implementation_keeps_the_smoothed_relu_outputs(kinetics):
    res = kinetics
    excess = res.rel_errors(res.at(res.excess, res.readout_s))
    finite = res.rel_errors(res.at(res.finite, res.readout_s))
    formal = res.rel_errors(res.at(res.formal, res.readout_s))
    assert formal.max() <= 1e-3
    assert excess.max() <= EXCESS_TOL
    assert finite.max() <= FINITE_TOL
    assert res.label_agreement(res.at(res.finite, res.readout_s)) == 1.0
    # fuel keeps being used after the readout: the outputs drift away
    late = res.rel_errors(res.at(res.finite, max(READOUT_MULTIPLES) * res.readout_s))
    assert late.max() > finite.max()
    assert 0.0 < 1.0 - min(res.fuel_left.values()) < 1.0 / CONFIG.fuel_safety * 1.5


def test_a_wrong_fuel_plan_moves_the_outputs(design, kinetics):
    """Every fuel at the plan's mean concentration: rates no longer follow the weights."""
    _, system, modules, x, nn = design
    plan = kinetics.plan
    mean = float(np.mean(list(plan.fuel_nM.values())))
    wrong = with_fuel(plan, {f: mean for f in plan.fuel_nM})
    res = run_rate_kinetics(system.split_crn, modules, x, nn, CONFIG, plan=wrong)
    assert res.rel_errors(res.at(res.finite, res.readout_s)).max() > 10 * FINITE_TOL


def _stage(design, rate: RateFuelConfig, n: int, folder):
    _, system, modules, x, nn = design
    # The 2 Y -> Y modules are proven not equivalent (tests/test_cli.py), and the stage skips the
    # implementation kinetics of such a design; these tests are about the kinetics stage itself, so
    # the verdict is set to inconclusive, under which it runs.
    checked = verify_modules(modules)
    assert checked.verdict == "not-equivalent"
    dsd = DSDResult(system, modules, dataclasses.replace(checked, verdict="inconclusive"), "formal",
                    rate_dependent=True)
    stage = run_kinetics_stage(dsd, x[:n], nn[:n], KineticsConfig(), Progress(quiet=True), rate_fuel=rate)
    return stage, write_kinetics_files(stage, folder)


def test_kinetics_stage_writes_the_rate_dependent_outputs(design, tmp_path):
    stage, files = _stage(design, CONFIG, 2, tmp_path)
    k = stage.to_summary()
    assert k["rate_dependent"] is True and k["time_unit_s"] > 0 and k["readout_h"] > 0
    assert k["max_rel_error"] <= FINITE_TOL and k["label_agreement"] == 1.0
    assert 0 < k["fuel_consumed_fraction"] < 1 and k["fuel_total_uM"] > 0
    assert {"kinetics.csv", "fuel.csv", "kinetics_trajectories.png"} <= set(files)
    header = (tmp_path / "fuel.csv").read_text().splitlines()[0].split(",")
    assert "sets" in header and "role" in header
    json.dumps(k)  # the block goes into summary.json as is


def test_integrate_gives_the_same_states_on_a_process_pool():
    """A + B -> C [2e-3 /nM/s], C -> A [1e-3 /s] from three initial states: pool and serial runs agree."""
    crn = CRN((Species("A", Role.INPUT), Species("B", Role.INPUT), Species("C", Role.OUTPUT)),
              (Reaction.make(["A", "B"], ["C"], 2e-3), Reaction.make(["C"], ["A"], 1e-3)))
    c0 = np.array([[10.0, 5.0, 0.0], [1.0, 8.0, 2.0], [0.0, 3.0, 4.0]])
    grid = log_grid(1e4, 1.0)
    serial = integrate(crn, crn.rate_constants(1.0), c0, grid)
    with ProcessExecutor(2) as pool:
        pooled = integrate(crn, crn.rate_constants(1.0), c0, grid, executor=pool)
    np.testing.assert_array_equal(pooled, serial)
    # A + C is conserved, C -> A recycles A until B is used up, and the states did move
    conserved = np.broadcast_to(c0[:, 0] + c0[:, 2], serial.shape[:2])
    np.testing.assert_allclose(serial[..., 0] + serial[..., 2], conserved, rtol=1e-5)
    np.testing.assert_allclose(serial[-1, :, 1], 0.0, atol=1e-3)
    assert np.abs(serial[-1] - c0).max() > 1.0


def test_a_design_without_a_fuel_plan_is_reported_not_failed(design, tmp_path):
    """τ = 1 ms: no gate concentration gives rate constants that fast, so no fuel plan exists."""
    stage, files = _stage(design, RateFuelConfig(unit_nM=1.0, time_unit_s=1e-3), 1, tmp_path)
    assert stage.to_summary()["skipped"]["implementation"].startswith("no rate-setting fuel plan: module ")
    assert files == [] and not any(tmp_path.iterdir())


def test_unclipped_mass_action_is_smooth_through_zero():
    """2 A + B -> C at a state with B slightly negative: the plain polynomial and its exact Jacobian."""
    crn = CRN((Species("A", Role.INPUT), Species("B", Role.INPUT), Species("C", Role.OUTPUT)),
              (Reaction.make({"A": 2, "B": 1}, ["C"], 3.0),))
    c = np.array([0.7, -1e-3, 0.2])
    f, jac = mass_action(crn, crn.rate_constants(1.0), clip=False)
    rate = 3.0 * 0.7**2 * -1e-3
    np.testing.assert_allclose(f(0.0, c), [-2 * rate, -rate, rate], rtol=1e-12)
    h = 1e-7
    numeric = np.column_stack([(f(0.0, c + h * e) - f(0.0, c - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(jac(0.0, c).toarray(), numeric, rtol=1e-6, atol=1e-12)
    clipped, _ = mass_action(crn, crn.rate_constants(1.0))
    np.testing.assert_array_equal(clipped(0.0, c), 0.0)


def test_a_run_the_polynomial_cannot_finish_falls_back_to_clipped_rates():
    """A + B -> A [1], 2 B -> ∅ [1e8] from A = B = 1: B decays to 0 and a step overshoots below it.

    With B < 0 the plain polynomial has dB/dt = -B - 2e8 B², which runs away to -inf once
    2e8 |B| > 1; with clipped rates B stays at 0. The states must be those of the exact
    solution B(t) = 1 / ((1 + 2e8) e^t - 2e8).
    """
    crn = CRN((Species("A", Role.INPUT), Species("B", Role.INPUT)),
              (Reaction.make(["A", "B"], ["A"], 1.0), Reaction.make({"B": 2}, {}, 1e8)))
    c0 = np.array([[1.0, 1.0]])
    f, jac = mass_action(crn, crn.rate_constants(1.0), clip=False)
    plain = solve_ivp(f, (0.0, 10.0), c0[0], method="BDF", jac=jac, rtol=1e-3, atol=1e-6)
    assert plain.status == -1 and plain.y[1].min() < -1e-3  # the polynomial does run away
    grid = np.array([0.0, 1e-6, 1e-3, 1.0, 10.0])
    states = integrate(crn, crn.rate_constants(1.0), c0, grid, rtol=1e-3, atol=1e-6)
    exact = 1.0 / ((1 + 2e8) * np.exp(grid) - 2e8)
    assert np.isfinite(states).all() and (states >= 0).all()
    np.testing.assert_allclose(states[:, 0, 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(states[:, 0, 1], exact, rtol=1e-2, atol=1e-5)
