"""SBML export, checked by libsbml and differentially against an independent simulator (libroadrunner)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from support.random_nets import random_ternary_network

from dsdcompile.config import DSDConfig, EnumerationConfig, KineticsConfig, SimulationConfig
from dsdcompile.crn import parse_crn
from dsdcompile.passes import compile_network, reduce_crn
from dsdcompile.sim.engine import simulate

libsbml = pytest.importorskip("libsbml", reason="python-libsbml not installed (pip install 'dsdcompile[sbml]')")
roadrunner = pytest.importorskip("roadrunner", reason="libroadrunner not installed (pip install 'dsdcompile[sbml]')")

from dsdcompile.crn.sbml import (  # noqa: E402
    consistency_errors,
    readout_matrix,
    roadrunner_trajectories,
    sbml_ids,
    write_sbml,
)

RTOL = 1e-3  # the agreement the issue asks for, relative to each species' peak


def _compare(crn, path, c0, sim: SimulationConfig) -> tuple[float, float]:
    """Largest deviation (relative to each species' peak) of roadrunner from dsdcompile, over species and outputs."""
    runs = [simulate(crn, row[None], sim, record=0) for row in c0]
    theirs = roadrunner_trajectories(path, crn, c0, [r.times for r in runs])
    worst_species = worst_output = 0.0
    for run, other in zip(runs, theirs):
        ours = run.trajectory
        assert ours.shape == other.shape and run.times[0] == 0.0
        peak = np.maximum(np.abs(other).max(axis=0), 1e-9)
        worst_species = max(worst_species, float((np.abs(ours - other) / peak).max()))
        yo, yt = crn.output_values(ours), crn.output_values(other)
        worst_output = max(worst_output, float((np.abs(yo - yt) / np.maximum(np.abs(yt).max(axis=0), 1e-9)).max()))
    return worst_species, worst_output


def _read(path):
    doc = libsbml.readSBMLFromFile(str(path))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    return doc.getModel()


def test_formal_crn_round_trips_through_sbml(tmp_path):
    """Species, stoichiometry, rate constants and initial concentrations as libsbml reads them back."""
    crn = parse_crn("@input a A1 A2\n@output y Y1 Y2\n@init B = 0.5\n"
                    "A1 + 2 B -> 3 Y1 [k=2.5]\nA2 -> Y2 + B\nY1 + Y2 ->\n0 -> B [k=0.125]\n")
    x = np.array([1.5])
    path = write_sbml(crn, tmp_path / "small.sbml", units="network", name="small", x=x)
    assert consistency_errors(path, warnings=True) == []
    model = _read(path)
    ids = sbml_ids([s.name for s in crn.species])
    c0 = dict(zip([s.name for s in crn.species], crn.initial_state(x[None])[0]))
    assert model.getNumSpecies() == crn.n_species and model.getNumReactions() == crn.n_reactions
    for s in crn.species:
        assert model.getSpecies(ids[s.name]).getInitialConcentration() == pytest.approx(c0[s.name])
        assert model.getSpecies(ids[s.name]).getName() == s.name
    for j, r in enumerate(crn.reactions):
        rx = model.getReaction(f"r{j}")
        got_r = {rx.getReactant(i).getSpecies(): rx.getReactant(i).getStoichiometry()
                 for i in range(rx.getNumReactants())}
        got_p = {rx.getProduct(i).getSpecies(): rx.getProduct(i).getStoichiometry() for i in range(rx.getNumProducts())}
        assert got_r == {ids[n]: c for n, c in r.reactants} and got_p == {ids[n]: c for n, c in r.products}
        assert model.getParameter(f"k{j}").getValue() == (1.0 if r.rate is None else r.rate)
    rule = model.getAssignmentRuleByVariable("out_y")
    assert libsbml.formulaToL3String(rule.getMath()) == "Y1 - Y2"


def test_ids_are_valid_and_unique():
    ids = sbml_ids(["m0-f0", "m0_f0", "1abc", "m0-f0.1", "X"])
    assert len(set(ids.values())) == 5
    assert all(libsbml.SyntaxChecker.isValidSBMLSId(v) for v in ids.values())
    assert ids["X"] == "X" and ids["m0-f0"] == "m0_f0" and ids["m0_f0"] == "m0_f0_2"


def test_nM_units_declare_rate_constants_by_order(tmp_path):
    crn = parse_crn("@input a A\n@output y Y\nA -> Y [k=0.01]\nA + Y -> 2 Y [k=1e-5]\n0 -> A [k=0.1]\n")
    path = write_sbml(crn, tmp_path / "u.sbml", units="nM")
    assert consistency_errors(path, warnings=True) == []
    model = _read(path)
    assert [model.getParameter(f"k{j}").getUnits() for j in range(3)] == ["rate_order1", "rate_order2",
                                                                         "rate_order0"]
    assert model.getTimeUnits() == "second" and model.getSpecies("A").getSubstanceUnits() == "nmol"


def test_roadrunner_agrees_with_dsdcompile_on_a_formal_and_reduced_crn(tmp_path):
    net = random_ternary_network((3, 4, 2), seed=3, zero_fraction=0.2)
    x = np.random.default_rng(1).normal(size=(5, 3))
    sim = SimulationConfig(rtol=1e-4, atol=1e-7, t_max=200.0)
    for name, crn in (("formal", compile_network(net)), ("reduced", reduce_crn(compile_network(net)))):
        path = write_sbml(crn, tmp_path / f"{name}.sbml", units="network", name=name)
        assert consistency_errors(path, warnings=True) == []
        species, outputs = _compare(crn, path, crn.initial_state(x), sim)
        assert species < RTOL and outputs < RTOL, (name, species, outputs)


def test_the_comparison_catches_a_wrong_rate(tmp_path):
    """The differential check can fail: one rate constant doubled in the SBML is seen."""
    net = random_ternary_network((3, 4, 2), seed=3, zero_fraction=0.2)
    crn = compile_network(net)
    x = np.random.default_rng(1).normal(size=(2, 3))
    path = write_sbml(crn, tmp_path / "f.sbml", units="network")
    doc = libsbml.readSBMLFromFile(str(path))
    j = next(j for j, r in enumerate(crn.reactions) if r.order == 2)
    doc.getModel().getParameter(f"k{j}").setValue(2.0)
    libsbml.writeSBMLToFile(doc, str(path))
    species, _ = _compare(crn, path, crn.initial_state(x), SimulationConfig(rtol=1e-4, atol=1e-7, t_max=200.0))
    assert species > 10 * RTOL


def _implementation(net, x, config: KineticsConfig):
    from dsdcompile.dsd.enumerate import enumerate_modules
    from dsdcompile.dsd.translate import translate
    from dsdcompile.kinetics import build_implementation_crn, fuel_plan

    system = translate(compile_network(net), "soloveichik2010", DSDConfig())
    modules = enumerate_modules(system, EnumerationConfig())
    plan = fuel_plan(system.split_crn, modules, x, config)
    return build_implementation_crn(system.split_crn, modules, plan, unit_nM=config.unit_nM)


def _check_implementation(impl, x, config: KineticsConfig, path) -> tuple[float, float]:
    from dsdcompile.kinetics.units import simulation_config

    write_sbml(impl, path, units="nM", name="implementation")
    assert consistency_errors(path, warnings=True) == []
    model = _read(path)
    fuels = [s.name for s in impl.species if s.role.value == "fuel"]
    ids = sbml_ids([s.name for s in impl.species])
    init = dict(impl.initial)
    assert fuels and all(model.getSpecies(ids[f]).getInitialConcentration() == pytest.approx(init[f]) for f in fuels)
    assert np.allclose(readout_matrix(impl) @ impl.initial_state(x * config.unit_nM).T,
                       impl.output_values(impl.initial_state(x * config.unit_nM)).T)
    # dsdcompile's simulator exactly as the kinetics stage runs it (nM, seconds, its tolerances)
    return _compare(impl, path, impl.initial_state(x * config.unit_nM), simulation_config(config))


def test_roadrunner_agrees_on_an_enumerated_implementation(tmp_path):
    """A small net through soloveichik2010 and peppercorn, with fuels and peppercorn's rates, in nM and seconds."""
    config = replace(KineticsConfig(), device="cpu")
    net = random_ternary_network((2, 2, 2), seed=4)
    x = np.round(np.random.default_rng(5).normal(size=(3, 2)) * 1.5, 3)
    impl = _implementation(net, x, config)
    species, outputs = _check_implementation(impl, x, config, tmp_path / "impl.sbml")
    assert species < RTOL and outputs < RTOL, (species, outputs)


@pytest.mark.slow
@pytest.mark.parametrize("design", ["iris", "virus"])
def test_roadrunner_agrees_on_the_design_implementations(design, tmp_path):
    """The shipped designs' DNA implementations (as the kinetics stage builds them), 5 test examples each."""
    from pathlib import Path

    from dsdcompile.nn.inputs import read_examples
    from dsdcompile.nn.load import load_network

    root = Path(__file__).resolve().parents[1] / "designs" / design
    config = replace(KineticsConfig(), device="cpu")
    net = load_network(root / "model.pt")
    x_all = read_examples(root / "test.csv", net).x
    impl = _implementation(net, x_all, config)  # fuel planned on every test example, as the design run does
    x = x_all[:5]
    species, outputs = _check_implementation(impl, x, config, tmp_path / "impl.sbml")
    print(f"{design}: {impl.n_species} species, {impl.n_reactions} reactions; roadrunner vs dsdcompile: "
          f"species {species:.2e}, outputs {outputs:.2e} (relative to peak)")
    assert species < RTOL and outputs < RTOL
    formal = compile_network(net)
    path = write_sbml(formal, tmp_path / "formal.sbml", units="network")
    assert consistency_errors(path, warnings=True) == []
    species, outputs = _compare(formal, path, formal.initial_state(x), SimulationConfig(rtol=1e-4, atol=1e-7))
    assert species < RTOL and outputs < RTOL
