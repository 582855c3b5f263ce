"""A design folder as a protocol: reporters, the tube as planned, pipettable volumes, one truth in dsd.pil, the
front page, order sheets with dye codes, and ``dsdcompile mix`` leaving the design untouched."""

import csv
import hashlib
import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main
from dsdcompile.config import ExecutionConfig, RunConfig
from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.stages.pipeline import build_design

SEED = 4  # the 2-2-2 net of test_kinetics_stage: classification is sensitive to fuel and free strands


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    """A small design with reporters, the tube as planned, sequences and order sheets (one build_design run)."""
    d = tmp_path_factory.mktemp("protocol")
    net = random_ternary_network((2, 2, 2), seed=SEED)
    sd = {"0.weight": torch.tensor(net.layers[0].weight), "0.bias": torch.tensor(net.layers[0].bias),
          "2.weight": torch.tensor(net.layers[1].weight), "2.bias": torch.tensor(net.layers[1].bias)}
    torch.save(sd, d / "small.pt")
    x = np.round(np.random.default_rng(5).normal(size=(16, 2)) * 1.5, 3)
    np.savetxt(d / "x.csv", x, delimiter=",", fmt="%.3f")
    config = RunConfig(scheme="soloveichik2010", verify_whole=False, quiet=True,
                       execution=replace(ExecutionConfig(), executor="serial"),
                       sequences=replace(SequenceConstraints(), max_iterations=2000))
    result = build_design(d / "small.pt", d / "design", inputs=d / "x.csv", config=config)
    return d, d / "design", result


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_reporter_for_every_output_rail_verified_and_terminal(design):
    _, out, result = design
    s = result.summary
    rails = {n for sig in result.dsd.system.split_crn.outputs for n in sig.species}
    assert {r.species for r in result.dsd.reporters.reporters} == rails
    assert s["verification"]["reporters"] == len(rails) and s["verification"]["reporter_verdict"] == "equivalent"
    strands = _rows(out / "strands.csv")
    assert sum(r["role"] == "reporter" for r in strands) == 2 * len(rails)
    report = (out / "verification.md").read_text()
    assert "## Readout reporters" in report and "terminal output:** yes" in report
    assert {r["species"] for r in _rows(out / "reporters.csv")} == rails


def test_the_tube_as_planned_reads_the_network_labels(design):
    _, out, result = design
    k = result.summary["kinetics"]
    tube = result.kinetics.tube
    assert k["reporter_label_agreement"] == 1.0 and k["reporter_ideal_label_agreement"] == 1.0
    # reporters alone read the implementation's outputs; free strands and leak each cost something
    assert k["reporter_ideal_max_rel_error"] < 0.01
    assert k["impurity_max_rel_error"] > k["reporter_ideal_max_rel_error"] and k["leak_max_rel_error"] > 0
    assert k["reporter_max_rel_error"] == pytest.approx(float(tube.errors("planned").max()))
    # ideal calibration is the identity; the read time is a margin past the slowest example's t90
    cal = tube.calibrations["ideal"]
    assert np.allclose(cal.slope, 1.0, atol=1e-3) and np.allclose(cal.intercept, 0.0, atol=1e-2)
    assert tube.read_time_s >= tube.margin * tube.t90_s.max() - 1e-6
    # the purity sweep: more free strands, more error; unpurified (20 % excess) is far worse than planned
    sweep = k["impurity_sweep"]
    errs = [r["max_rel_error"] for r in sweep]
    assert errs == sorted(errs) and sweep[-1]["residual_free_fraction"] == pytest.approx(0.2)
    assert sweep[-1]["max_rel_error"] > 5 * k["reporter_max_rel_error"]
    assert k["impurity_tolerance"] is not None and k["impurity_tolerance"] >= k["residual_free_fraction"]
    rows = _rows(out / "fluorescence.csv")
    assert len(rows) == 16 and all(r["planned_class"] == r["network_class"] for r in rows)


def test_every_volume_is_pipettable_and_fits(design):
    _, out, result = design
    minimum = 1.0
    for name in ("concentrations", "annealing", "inputs", "pipetting"):
        vols = [float(r["volume_uL"]) for r in _rows(out / f"{name}.csv") if r["volume_uL"]]
        assert vols and min(vols) >= minimum, name
    plan = result.lab.design.plan
    assert all(v.buffer_uL >= -1e-9 for v in plan.vessels())
    lab = result.summary["lab"]
    assert lab["min_volume_uL"] >= minimum and lab["anneals"] == len(plan.pools) and lab["total_dna_uM"] > 0
    steps = re.findall(r"^\d+\. \*\*", (out / "protocol.md").read_text(), flags=re.M)
    assert len(steps) == lab["steps"] >= 10


def test_dsd_pil_carries_the_tube_as_planned(design):
    from dsdcompile.dsd.peppercorn_adapter import read_pil

    _, out, result = design
    unit = result.summary["kinetics"]["unit_nM"]
    text = (out / "dsd.pil").read_text()
    assert f"one unit of network value = {unit:g} nM" in text
    _, complexes = read_pil(text)  # peppercorn reads the file back, concentrations included
    pil = {c.name: c.concentration for c in complexes if c.concentration > 0}
    planned = {r["name"]: float(r["concentration_nM"]) for r in _rows(out / "concentrations.csv")
               if r["concentration_nM"] and (r["kind"] == "complex" or r["vessel"] == "master mix")}
    for r in _rows(out / "concentrations.csv"):  # single strands are listed under their strand name
        if r["kind"] == "strand" and r["vessel"] == "master mix":
            planned[r["complex"]] = planned.pop(r["name"])
    assert set(pil) == set(planned)
    for name, conc in planned.items():
        assert pil[name] == pytest.approx(conc, rel=1e-5), name
    fuel = {r["fuel"]: float(r["supplied_nM"]) for r in _rows(out / "fuel.csv")}
    assert all(pil[f] == pytest.approx(c, rel=1e-5) for f, c in fuel.items())
    cx = {r["complex"]: r for r in _rows(out / "complexes.csv")}
    assert all(float(cx[n]["concentration_nM"]) == pytest.approx(c, rel=1e-5) for n, c in pil.items())


def test_order_sheets_carry_dye_codes_and_hplc(design):
    _, out, result = design
    tubes = {r["Name"]: r for r in _rows(out / "order_tubes.csv")}
    for rep in result.lab.design.readout:
        fl, q = tubes[f"{rep.reporter}.0"], tubes[f"{rep.reporter}.1"]
        assert fl["Sequence"].endswith(rep.dye.fluorophore_3prime) and fl["Purification"] == "HPLC"
        assert q["Sequence"].startswith(rep.dye.quencher_5prime) and q["Purification"] == "HPLC"
        assert re.fullmatch(r"[ACGT]+", fl["Sequence"][:-len(rep.dye.fluorophore_3prime)])


def test_front_page_names_every_file_and_links_resolve(design):
    _, out, result = design
    page = (out / "README.md").read_text()
    files = set(result.summary["files"])
    assert "README.md" in files and files == {p.name for p in out.iterdir()}
    links = set(re.findall(r"\]\(([^)]+)\)", page))
    assert links and all((out / link).exists() for link in links)
    assert {"protocol.md", "verification.md", "sequence_report.md", "order_tubes.csv"} <= links
    for f in files:
        assert f"[{f}]({f})" in page.replace("\\_", "_"), f
    assert "From order to reading" in page and f"{result.summary['kinetics']['read_time_h']:.3g} h" in page


def test_front_page_without_inputs_says_why_there_is_no_protocol_and_shows_no_empty_figures(tmp_path):
    """No --inputs: no fuel plan, so no lab tables; the front page says so and what to do, without rows of n/a."""
    (tmp_path / "a.crn").write_text("A + B -> C\n")
    res = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--scheme", "soloveichik2010", "--out",
                                    str(tmp_path / "d"), "-q"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "d" / "README.md").read_text()
    assert "**No wet-lab protocol:** no --inputs examples (compile again with `--inputs`" in page
    figures = page[page.index("## Figures"):page.index("## Files")]
    assert "n/a" not in figures and "| strands / nucleotides |" in figures and "| verification |" in figures


def test_mix_writes_a_new_folder_and_never_touches_the_design(design):
    d, out, _ = design
    before = _hashes(out)
    (d / "samples.csv").write_text("sample,x0,x1\npatient-1,0.5,-1.0\npatient-2,-1.2,2.0\n")
    res = CliRunner().invoke(main, ["mix", str(out), "--inputs", str(d / "samples.csv"), "--out", str(d / "mix1")])
    assert res.exit_code == 0, res.output
    assert _hashes(out) == before  # every file of the design byte-identical
    summary = json.loads((d / "mix1" / "mix.json").read_text())
    assert summary["samples"] == 2 and summary["min_volume_uL"] >= 1.0
    samples = {r["sample"]: r for r in _rows(d / "mix1" / "samples.csv")}
    assert set(samples) == {"patient-1", "patient-2"} and all(r["expected_class"] for r in samples.values())
    assert all(float(r["volume_uL"]) >= 1.0 for r in _rows(d / "mix1" / "pipetting.csv"))
    wells = _rows(d / "mix1" / "wells.csv")
    assert sum(r["sample"] == "patient-1" for r in wells) == result_groups(out)


def result_groups(out):
    return json.loads((out / "lab_plan.json").read_text())["groups"]


@pytest.mark.parametrize("csv_text, message", [
    ("sample,x0,x1\np1,0.5\n", "sample 'p1' has 2 values, expected 3"),
    ("sample,x0,x7\np1,0.5,1.0\n", "column 'x7' is not an input"),
    ("sample,x0,x1\np1,0.5,1.0\nhuge,40,1.0\n", "sample 'huge': feature 'x0' = 40 is outside what the planned fuel"),
    ("sample,x0,x1\np1,0.5,nan\n", "not finite"),
])
def test_mix_refuses_what_the_plan_does_not_cover(design, csv_text, message):
    d, out, _ = design
    before = _hashes(out)
    (d / "bad.csv").write_text(csv_text)
    res = CliRunner().invoke(main, ["mix", str(out), "--inputs", str(d / "bad.csv"), "--out", str(d / "mix_bad")])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not (d / "mix_bad").exists() and _hashes(out) == before


def test_mix_refuses_to_write_inside_the_design(design):
    d, out, _ = design
    (d / "ok.csv").write_text("0.5,-1.0\n")
    res = CliRunner().invoke(main, ["mix", str(out), "--inputs", str(d / "ok.csv"), "--out", str(out / "sub")])
    assert res.exit_code == 2 and "outside the design folder" in res.output
    assert not (out / "sub").exists()


def test_the_unit_is_lowered_until_the_tube_can_be_pipetted(design):
    from dsdcompile.config import KineticsConfig, LabConfig
    from dsdcompile.kinetics.fuel import fuel_plan
    from dsdcompile.lab.plan import fit_unit
    from dsdcompile.runtime.progress import Progress

    _, _, result = design
    x = result.kinetics.x
    k = KineticsConfig()
    same = fit_unit(result.dsd, x, k, LabConfig(), Progress(quiet=True))
    assert same.kinetics.unit_nM == k.unit_nM and same.note is None
    # its fuel plan is the one the kinetics stage would make, and the stage takes it rather than plan again
    assert same.plan_for(k) is same.plan and same.plan.fuel_nM == fuel_plan(result.dsd.system.split_crn,
                                                                             result.dsd.modules, x, k).fuel_nM
    # weak stocks: the same tube only fits at a lower concentration of one unit
    lower = fit_unit(result.dsd, x, k, replace(LabConfig(), max_stock_uM=2.0), Progress(quiet=True))
    assert lower.kinetics.unit_nM < k.unit_nM and "lowered" in lower.note
    assert lower.plan_for(k) is None and lower.plan_for(lower.kinetics) is lower.plan
    # hopeless stocks: nothing fits, the unit is left alone and the lab stage reports why
    kept = fit_unit(result.dsd, x, k, replace(LabConfig(), max_stock_uM=1e-4), Progress(quiet=True))
    assert kept.kinetics.unit_nM == k.unit_nM and kept.note is None


def test_the_plan_requires_the_purity_at_which_every_label_holds():
    """Where one gel purification (the assumed 1 %) loses a label, the tube as planned is the one purified further."""
    from dsdcompile.kinetics.planned_tube import planned_residual

    sweep = [(0.002, 1.0, 0.01), (0.005, 1.0, 0.02), (0.01, 0.98, 0.3), (0.2, 0.3, 2.0)]
    assert planned_residual(0.01, sweep) == 0.005
    assert planned_residual(0.005, sweep) == 0.005
    assert planned_residual(0.01, [(0.002, 0.9, 1.0), (0.01, 0.5, 2.0)]) == 0.01  # nothing holds: say so, keep it
    assert planned_residual(0.01, [(0.01, 1.0, 0.1)]) == 0.01


def test_mix_reads_a_typed_plan_and_evaluates_each_sample_once(design):
    """lab_plan.json is read back as a typed LabPlan (its CRN parsed once); one exact evaluation per mix gives both
    the expected classes and the reporters' need."""
    from dsdcompile.crn.evaluate import exact_outputs
    from dsdcompile.ir import CRN
    from dsdcompile.lab.mix import LabPlan, exact_limit, plan_mix, read_plan

    d, out, result = design
    plan = read_plan(out)
    assert isinstance(plan, LabPlan) and isinstance(plan.crn, CRN)
    assert plan.unit_nM == result.lab.design.unit_nM and plan.groups == result_groups(out)
    assert set(plan.reporters_of) == {r.name for r in result.dsd.reporters.reporters}
    raw = np.array([[0.5, -1.0], [-1.2, 2.0], [1.0, 1.0]])
    names = ["a", "b", "c"]
    mix = plan_mix(plan, names, raw, d / "samples.csv")
    assert list(mix.expected) == list(exact_outputs(plan.crn, mix.x).argmax(axis=1))
    final = exact_limit(plan, mix.x)
    assert final.shape == (3, plan.crn.n_species)
    assert len(mix.wells) == 3 * plan.groups and len(mix.premixes) >= 3


def test_the_report_states_what_the_class_margin_buys(design):
    """summary.json, the front page and the protocol say the network's smallest relative class gap, the free-strand
    error at one purification, and whether one purification is enough."""
    _, out, result = design
    k, tube = result.summary["kinetics"], result.kinetics.tube
    nn = tube.nn
    top = np.sort(nn, axis=1)
    scale = max(1.0, float(np.abs(nn).max()))
    assert k["class_margin"] == pytest.approx(float((top[:, -1] - top[:, -2]).min()) / scale)
    assumed = k["residual_free_fraction_assumed"]
    at_assumed = tube.sweep_values[assumed]
    assert k["impurity_error_at_assumed"] == pytest.approx(float(np.abs(at_assumed - nn).max()) / scale)
    # the swept values are the ones the sweep's agreement was computed from
    row = next(r for r in k["impurity_sweep"] if r["residual_free_fraction"] == assumed)
    assert row["label_agreement"] == pytest.approx(float((at_assumed.argmax(1) == nn.argmax(1)).mean()))
    assert result.summary["model"]["class_margin_trained"] is None  # a bare state_dict: no training record
    page = (out / "README.md").read_text()
    assert f"| class margin: smallest gap / largest network value (trained for) | {k['class_margin']:.3g} " \
           f"(no --margin) |" in page
    assert f"{k['impurity_error_at_assumed']:.3g} (at {assumed:.3g})" in page
    protocol = (out / "protocol.md").read_text()
    assert f"smallest class gap on these examples is {k['class_margin']:.3g}" in protocol
    enough = k["residual_free_fraction"] >= assumed
    assert ("is enough" in protocol) == enough and ("purify twice" in protocol) == (not enough)
