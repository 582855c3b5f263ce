"""The kinetics stage in a design run: realistic-rate kinetics of the DSD design and wet-lab tables."""

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main
from dsdcompile.config import DSDConfig, EnumerationConfig, KineticsConfig, LabConfig
from dsdcompile.kinetics.implementation import merge_signal_carriers
from dsdcompile.lab.plan import lab_species
from dsdcompile.lab.tables import ANNEALING_COLUMNS, CONCENTRATION_COLUMNS, INPUT_COLUMNS, READOUT_COLUMNS
from dsdcompile.passes import compile_network
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.dsd import DSDResult
from dsdcompile.stages.kinetics import run_kinetics_stage, write_kinetics_files
from dsdcompile.stages.lab import plan_lab, write_lab_files
from dsdcompile.verify import verify_modules

KINETICS_FILES = {"kinetics.csv", "kinetics_draws.csv", "fuel.csv", "kinetics_trajectories.png", "kinetics_t90.png",
                  "kinetics_rate_draws.png"}
LAB_FILES = {"concentrations.csv", "concentrations.md", "annealing.csv", "inputs.csv", "readout.csv", "pipetting.csv",
             "wells.csv", "protocol.md", "dyes.csv"}
KEYS = ("formal_label_agreement", "implementation_label_agreement", "rate_draws", "t90_hours_median",
        "t90_hours_max", "fuel_margin")
SEED = 4  # a 2-2-2 net whose classification suffers visibly when fuel runs short


def _net():
    return random_ternary_network((2, 2, 2), seed=SEED)


def _x():
    return np.round(np.random.default_rng(5).normal(size=(16, 2)) * 1.5, 3)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("kin")
    net = _net()
    sd = {"0.weight": torch.tensor(net.layers[0].weight), "0.bias": torch.tensor(net.layers[0].bias),
          "2.weight": torch.tensor(net.layers[1].weight), "2.bias": torch.tensor(net.layers[1].bias)}
    torch.save(sd, d / "small.pt")
    np.savetxt(d / "x.csv", _x(), delimiter=",", fmt="%.3f")
    return d


def _design(model, name, *extra):
    out = model / name
    args = [model / "small.pt", "--inputs", model / "x.csv", "--out", out, "--scheme", "soloveichik2010",
            "--executor", "serial", "--no-verify-whole", "-q", *extra]
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return out, json.loads((out / "summary.json").read_text())


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def default_design(model):
    return _design(model, "default")


@pytest.fixture(scope="module")
def starved_design(model):
    return _design(model, "starved", "--fuel-safety", "0.3", "--rate-draws", "2", "--volume-uL", "50", "--no-reporters")


def test_summary_has_sane_kinetics(default_design):
    out, s = default_design
    k = s["kinetics"]
    for key in KEYS:
        assert key in k, key
    assert 0.0 <= k["formal_label_agreement"] <= 1.0 and 0.0 <= k["implementation_label_agreement"] <= 1.0
    assert k["formal_label_agreement"] == 1.0 and k["implementation_label_agreement"] == 1.0
    assert k["rate_draws"] == KineticsConfig().rate_draws
    assert k["fuel_margin"] >= 1.0 and k["fuel_margin"] == pytest.approx(2.0)
    assert 0 < k["t90_hours_median"] <= k["t90_hours_max"]
    assert k["implementation_max_rel_error"] < 1e-3
    assert k["formal_crn"] == "split" and k["formal_reactions"] == k["modules"] == s["dsd"]["modules"]
    assert k["formal_examples"] == k["implementation_examples"] == k["fuel_plan_examples"] == 16
    assert "skipped" not in k
    # wall-clock times only under run
    assert not any(key.endswith("wall_s") for key in k)
    assert "kinetics formal" in s["run"]["seconds"] and "kinetics implementation" in s["run"]["seconds"]
    assert (KINETICS_FILES | LAB_FILES) <= set(s["files"])
    assert all((out / f).exists() for f in s["files"])
    assert s["config"]["run_kinetics"] is True and s["config"]["kinetics"]["fuel_safety"] == 2.0


def test_lab_tables_columns_and_volumes(default_design):
    out, s = default_design
    names = ("concentrations", "annealing", "inputs", "readout", "pipetting", "wells")
    tables = {name: _rows(out / f"{name}.csv") for name in names}
    columns = {"concentrations": CONCENTRATION_COLUMNS, "annealing": ANNEALING_COLUMNS, "inputs": INPUT_COLUMNS,
               "readout": READOUT_COLUMNS}
    for name, cols in columns.items():
        assert tables[name] and list(tables[name][0]) == list(cols), name
    conc = tables["concentrations"]
    # the well recipe (master mix + reporter mix + premix) fills the reaction volume exactly
    assert sum(float(r["volume_uL"]) for r in conc if r["kind"] == "well") == pytest.approx(100.0, abs=1e-6)
    # every transfer of the plan is pipettable
    minimum = LabConfig().min_volume_uL
    for name in ("concentrations", "annealing", "inputs", "pipetting"):
        vols = [float(r["volume_uL"]) for r in tables[name] if r["volume_uL"]]
        assert vols and min(vols) >= minimum, name
    assert s["lab"]["min_volume_uL"] >= minimum and s["lab"]["steps"] >= 10 and s["lab"]["anneals"] >= 1
    assert s["lab"]["total_dna_uM"] > 0
    # every fuel of the DSD design at its planned concentration, added through a pool or the master mix
    fuel = {r["fuel"]: float(r["supplied_nM"]) for r in _rows(out / "fuel.csv")}
    complexes = {r["complex"] for r in _rows(out / "complexes.csv") if r["role"] == "fuel"}
    listed = {r["complex"]: float(r["concentration_nM"]) for r in conc if r["role"] == "fuel"
              and (r["kind"] == "complex" or r["vessel"] == "master mix")}
    assert set(listed) == complexes == set(fuel)
    assert all(listed[f] == pytest.approx(fuel[f], rel=1e-5) for f in fuel)
    # strands named as in strands.csv
    strands = {r["strand"] for r in _rows(out / "strands.csv")}
    assert {r["strand"] for r in tables["annealing"]} <= strands
    assert {r["role"] for r in conc} >= {"input", "fuel", "reporter"}
    # each example's input strands plus buffer fill its premix
    per_example: dict[str, float] = {}
    premix: dict[str, float] = {}
    for r in tables["inputs"]:
        per_example[r["example"]] = per_example.get(r["example"], 0.0) + float(r["volume_uL"] or 0.0)
        premix[r["example"]] = float(r["premix_volume_uL"])
    assert len(per_example) == 16
    assert all(per_example[e] == pytest.approx(premix[e], abs=1e-3) for e in per_example)
    assert [r["class"] for r in tables["readout"]] == s["network"]["class_names"]
    assert all(r["plus_dye"] and r["minus_dye"] for r in tables["readout"])
    kin = _rows(out / "kinetics.csv")
    assert len(kin) == 16 and all(r["implementation_class"] == r["network_class"] for r in kin)


def test_no_kinetics_writes_none(model):
    out, s = _design(model, "off", "--no-kinetics")
    assert "kinetics" not in s
    names = {p.name for p in out.iterdir()}
    assert not names & (KINETICS_FILES | LAB_FILES | {"plate.xlsx", "leak.csv"})


def test_starved_fuel_breaks_the_implementation(default_design, starved_design):
    _, ok = default_design
    out, s = starved_design
    k = s["kinetics"]
    assert k["fuel_margin"] < 1.0 and k["fuel_margin"] == pytest.approx(0.3)
    assert k["rate_draws"] == 2
    # formal kinetics assume ample fuel and stay right; the starved implementation stops short
    assert k["formal_label_agreement"] == 1.0
    assert k["implementation_max_rel_error"] > 0.1 > ok["kinetics"]["implementation_max_rel_error"]
    assert k["implementation_label_agreement"] < ok["kinetics"]["implementation_label_agreement"]
    conc = _rows(out / "concentrations.csv")
    assert sum(float(r["volume_uL"]) for r in conc if r["kind"] == "well") == pytest.approx(50.0, abs=1e-6)


@pytest.fixture(scope="module")
def enumerated():
    from dsdcompile.dsd.enumerate import enumerate_modules
    from dsdcompile.dsd.translate import translate

    net = _net()
    system = translate(compile_network(net), "soloveichik2010", DSDConfig())
    modules = enumerate_modules(system, EnumerationConfig())
    x = _x()[:4]
    return DSDResult(system, modules, verify_modules(modules), "formal"), x, net.forward(x)


FAST = replace(KineticsConfig(), device="cpu", rate_draws=2, t_max_hours=20.0)


def _run(dsd, x, nn, kinetics: KineticsConfig, folder):
    """The kinetics and lab stages as a design run runs them: (kinetics block, files written)."""
    folder.mkdir(parents=True, exist_ok=True)
    progress = Progress(quiet=True)
    res = run_kinetics_stage(dsd, x, nn, kinetics, progress)
    lab = plan_lab(dsd, res, LabConfig(), progress)
    files = write_kinetics_files(res, folder) + write_lab_files(lab, folder, progress)
    return res.to_summary(lab_skipped=lab.skipped, lab_volume_uL=LabConfig().volume_uL), files


def test_stage_is_deterministic_and_leak_sweep(enumerated, tmp_path):
    dsd, x, nn = enumerated
    cfg = replace(FAST, leak=10.0)
    a, a_files = _run(dsd, x, nn, cfg, tmp_path / "a")
    b, b_files = _run(dsd, x, nn, cfg, tmp_path / "b")
    assert {"leak.csv", "kinetics_leak.png", "plate.xlsx"} <= set(a_files)
    assert [r["leak_per_M_s"] for r in a["leak_sweep"]] == [0.0, 1.0, 10.0, 100.0, 1000.0]
    assert a_files == b_files
    for f in a_files:  # bytes identical, plate.xlsx and PNGs included: no timings in the files
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert a == b


def test_large_system_gets_formal_kinetics_only(enumerated, tmp_path):
    dsd, x, nn = enumerated
    k, files = _run(dsd, x, nn, replace(FAST, max_modules=1, large_system_examples=2), tmp_path)
    assert k["formal_examples"] == 2 and k["formal_label_agreement"] == 1.0
    assert k["implementation_label_agreement"] is None and k["fuel_margin"] is None
    assert "max_modules" in k["skipped"]["implementation"] and "lab_tables" in k["skipped"]
    assert not set(files) & (LAB_FILES | {"fuel.csv"})


def test_merge_signal_carriers_and_lab_species(enumerated):
    dsd, x, _ = enumerated
    system, modules = dsd.system, dsd.modules
    merged = merge_signal_carriers(modules)
    formal = {s.name for s in system.split_crn.species}
    for m in merged:
        assert all(impl == f and f in formal for impl, f in m.signals)
        assert not set(m.wastes) & formal
    from dsdcompile.kinetics import fuel_plan

    rows = lab_species(system, fuel_plan(system.split_crn, merged, x).fuel_nM, 10.0)
    roles = {r.name: r.role for r in rows}
    assert all(roles[s] == "input" for sig in system.split_crn.inputs for s in sig.species)
    assert sum(r.role == "fuel" for r in rows) == sum(len(m.fuels) for m in modules)
    assert all(r.strands and all(s.length_nt > 0 for s in r.strands) for r in rows)


def test_reporters_planned_without_the_tube_follow_the_runs_fuel_floor(enumerated):
    """When the tube is not simulated (here: modules proven not equivalent skip the implementation), the lab tables
    still plan reporters, at the run's ``fuel_min_units`` (not the class default)."""
    from dsdcompile.dsd.reporters import build_reporters
    from dsdcompile.kinetics.tube import worst_rails_nM

    dsd, x, nn = enumerated
    reporters = build_reporters(dsd.system)
    assert reporters.reporters
    system = replace(dsd.system, reporters=reporters.complexes)
    refuted = replace(dsd, system=system, reporters=reporters,
                      verification=replace(dsd.verification, verdict="not-equivalent"))
    floor = KineticsConfig().fuel_min_units * 3 + 5.0
    kinetics = replace(FAST, fuel_min_units=floor)
    progress = Progress(quiet=True)
    res = run_kinetics_stage(refuted, x, nn, kinetics, progress)
    assert res.tube is None and "implementation" in res.skipped and res.plan is not None
    lab = plan_lab(refuted, res, LabConfig(), progress)
    assert lab.written, lab.skipped
    worst = worst_rails_nM(system.split_crn, reporters, x, kinetics.unit_nM)
    planned = {sp.name: sp.concentration_nM for sp in lab.species if sp.role == "reporter"}
    assert planned and set(planned) == {r.name for r in reporters.reporters}
    for r in reporters.reporters:
        expected = max(res.plan.safety * worst[r.name], floor * kinetics.unit_nM)
        assert planned[r.name] == pytest.approx(expected), r.name
    assert min(planned.values()) >= floor * kinetics.unit_nM
