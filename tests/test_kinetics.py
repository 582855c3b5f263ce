"""Kinetics at realistic rates: t90, rate independence, formal vs implementation, finite fuel, leak, outputs."""

import csv
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.kinetics_reference import soloveichik_modules
from support.random_nets import random_ternary_network

from dsdcompile.config import KineticsConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import InputError, InternalError
from dsdcompile.kinetics import (
    build_implementation_crn,
    fuel_plan,
    kinetics_summary,
    leak_sweep,
    simulate_formal_kinetics,
    simulate_implementation_kinetics,
    t90,
    write_kinetics_outputs,
)
from dsdcompile.kinetics.formal import formal_rates, run_kinetics
from dsdcompile.passes import compile_network, reduce_crn

# fast rates (still in /M/s and nM) let tiny nets converge well inside t_max, so outputs can be compared tightly
FAST = KineticsConfig(rate_min=1e6, rate_max=1e7, rate_draws=3, trajectories=False, device="cpu")


def _net(sizes, seed=0, n=12):
    net = random_ternary_network(sizes, seed=seed, zero_fraction=0.3)
    x = np.random.default_rng(seed + 100).normal(size=(n, sizes[0]))
    return net, x, net.forward(x)


def _rel(out, ref):
    return float((np.abs(out - ref) / np.maximum(1.0, np.abs(ref).max(axis=-1, keepdims=True))).max())


@pytest.fixture(scope="module")
def tiny():
    net, x, nn = _net([3, 4, 2], seed=1, n=10)
    crn = reduce_crn(compile_network(net))
    return crn, x, nn


# -- t90 ---------------------------------------------------------------------------------------
def test_t90_of_first_order_decay_is_ln10_over_k():
    k = 0.02
    times = np.linspace(0.0, 600.0, 20001)
    assert t90(times, 1.0 - np.exp(-k * times), final=1.0) == pytest.approx(np.log(10) / k, rel=1e-3)


def test_t90_from_simulated_grid_matches_analytic():
    k = 0.005
    crn = parse_crn("@input a A\n@output b B\nA -> B\n")
    cfg = replace(KineticsConfig(), unit_nM=10.0, device="cpu")
    c0 = crn.initial_state(np.array([[1.0], [3.0]])) * cfg.unit_nM
    res = run_kinetics(crn, c0, np.array([[1.0], [3.0]]), [np.array([k])], cfg, "formal")
    np.testing.assert_allclose(res.t90, np.log(10) / k, rtol=0.02)
    np.testing.assert_allclose(res.outputs[0], [[1.0], [3.0]], rtol=1e-6)
    assert res.trajectories.shape == (res.grid.size, 2, 1)


def test_t90_band_floor_and_bad_input():
    times = np.array([0.0, 1.0, 2.0])
    # output ends at 0: without a floor any wiggle counts, with one it settles at once
    y = np.array([0.05, 0.01, 0.0])
    assert t90(times, y) > 1.0
    assert t90(times, y, floor=1.0) == 0.0
    with pytest.raises(InputError):
        t90(np.array([0.0, 0.0, 1.0]), y)


# -- formal kinetics ---------------------------------------------------------------------------
def test_formal_rates_units_and_seeding(tiny):
    crn, _, _ = tiny
    cfg = KineticsConfig()
    fuel = np.full(crn.n_reactions, 1000.0)
    k0, k0b, k1 = formal_rates(crn, cfg, 0, fuel), formal_rates(crn, cfg, 0, fuel), formal_rates(crn, cfg, 1, fuel)
    np.testing.assert_array_equal(k0, k0b)
    assert not np.allclose(k0, k1)
    order = np.array([r.order for r in crn.reactions])
    # bimolecular: 1e3-1e4 /M/s = 1e-6-1e-5 /nM/s; unimolecular: × 1000 nM of fuel
    assert ((k0[order == 2] >= 1e-6) & (k0[order == 2] <= 1e-5)).all()
    assert ((k0[order == 1] >= 1e-3) & (k0[order == 1] <= 1e-2)).all()


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_rate_independence_property(seed):
    net, x, nn = _net([3, 4, 2], seed=seed, n=6)
    crn = compile_network(net)
    res = simulate_formal_kinetics(crn, x, nn, replace(FAST, seed=seed, rate_draws=2))
    assert res.outputs.shape == (2, 6, 2)
    assert res.draw_deviation.max() < 1e-3
    assert _rel(res.outputs, nn[None]) < 1e-3
    assert (res.label_agreement == 1.0).all()


def test_formal_kinetics_at_realistic_rates_agree_with_network(tiny):
    crn, x, nn = tiny
    res = simulate_formal_kinetics(crn, x, nn, replace(KineticsConfig(), rate_draws=2, device="cpu"))
    # at 1e3-1e4 /M/s a near tie between classes may still be unresolved after t_max; clear cases must agree
    top2 = np.sort(nn, axis=1)
    clear = top2[:, -1] - top2[:, -2] > 0.3
    assert (res.labels[:, clear] == res.nn_labels[clear]).all()
    assert res.rel_errors.max() < 0.1
    assert res.t90 is not None and (res.t90 > 0).all() and (res.t90 <= res.t_final[0] + 1e-9).all()


def test_examples_limit_and_shape_errors(tiny):
    crn, x, nn = tiny
    res = simulate_formal_kinetics(crn, x, nn, replace(FAST, examples=3, rate_draws=1))
    assert res.n_examples == 3
    with pytest.raises(InputError):
        simulate_formal_kinetics(crn, x, nn[:4], FAST)
    with pytest.raises(InputError):
        simulate_formal_kinetics(crn, x, nn, replace(FAST, unit_nM=-1.0))


# -- implementation CRN ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_impl(tiny):
    crn, x, nn = tiny
    modules = soloveichik_modules(crn)
    plan = fuel_plan(crn, modules, x, KineticsConfig())
    return crn, x, nn, modules, plan


def test_implementation_crn_structure(tiny_impl):
    crn, x, nn, modules, plan = tiny_impl
    impl = build_implementation_crn(crn, modules, plan)
    fuels = {f for m in modules for f in m.fuels}
    init = dict(impl.initial)
    assert fuels <= set(init) and all(np.isfinite(init[f]) and init[f] > 0 for f in fuels)
    # condensed bimolecular rates 1e6 /M/s become 1e-3 /nM/s
    assert np.allclose(impl.rate_constants(), 1e-3)
    # biases sit on the same species as in the formal CRN, in nM
    for name, v in crn.initial:
        assert init[name] == pytest.approx(v * 10.0)
    # before anything reacts, the outputs read the formal CRN's initial outputs
    c0 = impl.initial_state(x * 10.0)
    np.testing.assert_allclose(impl.output_values(c0) / 10.0, crn.output_values(crn.initial_state(x)))


def test_implementation_agrees_with_formal_and_network(tiny_impl):
    crn, x, nn, modules, plan = tiny_impl
    cfg = replace(KineticsConfig(), device="cpu", rate_draws=1)
    impl = build_implementation_crn(crn, modules, plan, unit_nM=cfg.unit_nM)
    res = simulate_implementation_kinetics(impl, x, nn, cfg)
    formal = simulate_formal_kinetics(crn, x, nn, replace(FAST, rate_draws=1), fuel_nM=plan)
    assert _rel(res.outputs[0], nn) < 1e-3
    assert _rel(res.outputs[0], formal.outputs[0]) < 1e-3
    assert (res.labels[0] == res.nn_labels).all()
    assert res.t90 is not None and np.isfinite(res.t90).all()
    summary = kinetics_summary(formal, res, plan)
    for key in ("formal_label_agreement", "implementation_label_agreement", "rate_draws", "t90_hours_median",
                "t90_hours_max", "fuel_margin"):
        assert key in summary
    assert summary["implementation_label_agreement"] == 1.0 and summary["fuel_margin"] == pytest.approx(2.0)


def test_fuel_starvation_breaks_the_design(tiny_impl):
    crn, x, nn, modules, _ = tiny_impl
    cfg = replace(KineticsConfig(), device="cpu", fuel_min_units=0.0, trajectories=False)
    errors = {}
    for safety in (0.3, 2.0):
        plan = fuel_plan(crn, modules, x, cfg, safety=safety)
        assert plan.margin == pytest.approx(safety)
        res = simulate_implementation_kinetics(build_implementation_crn(crn, modules, plan), x, nn, cfg)
        errors[safety] = res.rel_errors[0].max()
    assert errors[2.0] < 1e-3
    assert errors[0.3] > 0.1


def test_fuel_plan_counts_firings_and_shared_fuels():
    crn = parse_crn("@input a A\n@output y Y\n@output z Z\nA -> 2 B\nB -> Y\n")
    x = np.array([[1.0], [4.0]])
    mods = soloveichik_modules(crn)
    # both modules share one fuel: its need is the sum of both reactions' firings in the worst example
    shared = [replace(m, fuels=m.fuels + ("shared",)) for m in mods]
    cfg = replace(KineticsConfig(), fuel_min_units=0.0)
    plan = fuel_plan(crn, shared, x, cfg)
    np.testing.assert_allclose(plan.firings_nM, [[10.0, 20.0], [40.0, 80.0]])
    assert plan.needed_nM["shared"] == pytest.approx(120.0)
    assert plan.fuel_nM["shared"] == pytest.approx(240.0)
    assert plan.needed_nM[mods[0].fuels[0]] == pytest.approx(40.0)
    implicit = fuel_plan(crn, None, x, cfg)
    assert set(implicit.fuel_nM) == {"fuel_r0", "fuel_r1"}
    assert implicit.scaled(0.5).margin == pytest.approx(1.0)


def test_signals_with_history_domains_are_summed():
    # a producing module may release its own variant of a signal; the output is the sum of variants
    crn = parse_crn("@input a A\n@output y Y\nA -> Y\n")
    rx = ((("A", "G"), ("O",), 1e6), (("O", "T"), ("Yh", "W"), 1e6))
    mod = ModuleImplementation(0, crn.reactions[0], "test", rx, (("A", "A"), ("Yh", "Y")), ("G", "T"), ("W",))
    impl = build_implementation_crn(crn, [mod], {"G": 100.0, "T": 100.0})
    res = simulate_implementation_kinetics(impl, np.array([[2.0]]), np.array([[2.0]]),
                                           replace(KineticsConfig(), trajectories=False, device="cpu"))
    assert res.outputs[0, 0, 0] == pytest.approx(2.0, rel=1e-6)


def test_build_rejects_missing_fuel_and_module(tiny_impl):
    crn, _, _, modules, plan = tiny_impl
    fuel = dict(plan.fuel_nM)
    fuel.pop(modules[0].fuels[0])
    with pytest.raises(InputError, match="fuel"):
        build_implementation_crn(crn, modules, fuel)
    with pytest.raises(InternalError, match="no module"):  # a missing module is a bug, not the user's input
        build_implementation_crn(crn, modules[1:], plan)
    with pytest.raises(InputError):
        build_implementation_crn(crn, modules, {**plan.fuel_nM, modules[0].fuels[0]: float("inf")})


def test_leak_sweep_loses_examples_as_leak_grows(tiny_impl):
    crn, x, nn, modules, plan = tiny_impl
    cfg = replace(KineticsConfig(), device="cpu", implementation_examples=6)
    sweep = leak_sweep(crn, modules, x, nn, cfg, leaks=(0.0, 1e5), fuel=plan)
    assert sweep.examples == 6 and sweep.correct[0] == 6
    assert sweep.max_rel_error[1] > 10 * max(sweep.max_rel_error[0], 1e-3)
    assert [r["leak_per_M_s"] for r in sweep.rows()] == [0.0, 1e5]
    with pytest.raises(InputError):
        leak_sweep(crn, modules, x, nn, cfg, leaks=(-1.0,), fuel=plan)


# -- outputs -----------------------------------------------------------------------------------
def test_write_kinetics_outputs(tiny_impl, tmp_path):
    crn, x, nn, modules, plan = tiny_impl
    cfg = replace(KineticsConfig(), device="cpu", rate_draws=2, examples=6, implementation_examples=4,
                  t_max_hours=20.0)
    formal = simulate_formal_kinetics(crn, x, nn, cfg, fuel_nM=plan)
    impl = simulate_implementation_kinetics(build_implementation_crn(crn, modules, plan), x, nn, cfg)
    sweep = leak_sweep(crn, modules, x, nn, replace(cfg, implementation_examples=2), leaks=(0.0, 10.0), fuel=plan)
    files = write_kinetics_outputs(formal, impl, tmp_path / "a", fuel_plan=plan, leak=sweep)
    again = write_kinetics_outputs(formal, impl, tmp_path / "b", fuel_plan=plan, leak=sweep)
    names = {p.rsplit("/", 1)[1] for p in files}
    assert {"kinetics.csv", "kinetics_draws.csv", "fuel.csv", "leak.csv", "kinetics_trajectories.png",
            "kinetics_t90.png", "kinetics_rate_draws.png", "kinetics_leak.png"} <= names
    for a, b in zip(files, again):  # deterministic bytes, PNGs included
        assert open(a, "rb").read() == open(b, "rb").read()
    rows = list(csv.DictReader(open(tmp_path / "a" / "kinetics.csv")))
    assert len(rows) == 6
    assert {"network_class", "formal_class", "implementation_class", "formal_t90_h", "implementation_t90_h",
            "network_c0", "formal_c1", "implementation_c0"} <= set(rows[0])
    assert rows[5]["implementation_class"] == "" and rows[0]["implementation_class"] in ("c0", "c1")


# -- real enumeration ---------------------------------------------------------------------------
def test_integration_with_dsd_stage():
    """Peppercorn-enumerated soloveichik2010 modules of split_crn (the CRN they implement) reproduce the network."""
    from dsdcompile.config import DSDConfig, EnumerationConfig
    from dsdcompile.dsd.enumerate import enumerate_modules
    from dsdcompile.dsd.translate import translate

    net, x, nn = _net([2, 2, 2], seed=3, n=4)
    crn = reduce_crn(compile_network(net))
    system = translate(crn, "soloveichik2010", DSDConfig())
    modules = enumerate_modules(system, EnumerationConfig())
    assert len(modules) == system.split_crn.n_reactions
    # history domains: released signals are module-specific variants that downstream gates consume like
    # the canonical strand; build_implementation_crn must read them as their formal species by itself
    plan = fuel_plan(system.split_crn, modules, x)
    impl = build_implementation_crn(system.split_crn, modules, plan)
    res = simulate_implementation_kinetics(impl, x, nn, replace(KineticsConfig(), trajectories=False, device="cpu"))
    assert (res.labels[0] == res.nn_labels).all()
    assert _rel(res.outputs[0], nn) < 1e-3
