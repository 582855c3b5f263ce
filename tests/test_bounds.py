"""Interval bounds of a feed-forward CRN over an input box (dsdcompile.crn.bounds), the fuel plan made from them, and
the model meta's input_range: soundness against the exact evaluator on random points and corners of the box."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from support.random_nets import random_ternary_network

from dsdcompile.config import KineticsConfig
from dsdcompile.crn.bounds import bound_crn, box_samples
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.errors import InputError
from dsdcompile.kinetics.fuel import bound_fuel_plan, fuel_plan
from dsdcompile.nn.input_range import input_range
from dsdcompile.nn.meta import validate_meta
from dsdcompile.passes.annihilate import add_annihilation
from dsdcompile.passes.compile import compile_network
from dsdcompile.passes.reduce import reduce_crn
from dsdcompile.passes.split import split_products


def _box(rng, n):
    a, b = rng.normal(scale=2.0, size=(2, n))
    low, high = np.minimum(a, b), np.maximum(a, b)
    never_negative = rng.random(n) < 0.2
    low[never_negative], high[never_negative] = 0.0, np.abs(high[never_negative]) + 0.1
    return low, high


def _points(rng, low, high, n=400):
    inner = low + rng.random((n, len(low))) * (high - low)
    corners = np.array(list(itertools.product(*zip(low, high)))) if len(low) <= 8 else box_samples(low, high,
                                                                                                   corners=64)
    return np.vstack([inner, corners])


def _exact(crn, x):
    extents = np.zeros((len(x), crn.n_reactions))
    final = ExactEvaluator(crn).final_state(crn.initial_state(x), extents=extents)
    totals = crn.initial_state(x) + extents @ crn.product_matrix.toarray()
    return extents, final, totals


CRNS = {"formal": lambda c: c, "reduced": reduce_crn, "annihilation": add_annihilation,
        "split": lambda c: split_products(c, 2)}


@pytest.mark.parametrize("kind", sorted(CRNS))
@pytest.mark.parametrize("seed", range(6))
def test_every_exact_firing_and_amount_lies_under_its_bound(kind, seed):
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.integers(2, 5)), int(rng.integers(2, 4))]
    net = random_ternary_network(sizes, seed=rng, zero_fraction=0.3)
    crn = CRNS[kind](compile_network(net))
    low, high = _box(rng, sizes[0])
    b = bound_crn(crn, low, high)
    x = _points(rng, low, high)
    extents, final, totals = _exact(crn, x)
    tol = 1e-9 * (1 + np.abs(b.extents).max())
    assert (extents <= b.extents + tol).all()
    assert (totals <= b.species + tol).all()
    assert (final <= b.species + tol).all()
    # a shared fuel: the bound of a sum of firings covers every point's sum
    w = (rng.random(crn.n_reactions) < 0.5).astype(float)
    assert (extents @ w <= b.sum_bound(w) + tol).all()
    # not vacuous: the first layer's reactions (inputs' rails) reach their bound at a corner
    first = [j for j, r in enumerate(crn.reactions) if r.reactants[0][0] in {s.plus for s in crn.inputs}]
    if first:
        assert np.isclose(extents[:, first].max(axis=0), b.extents[first]).any()


def test_bound_of_one_reaction_is_the_box_edge_and_rails_follow_the_sign():
    net = random_ternary_network([3, 2], seed=1)
    crn = compile_network(net)
    low, high = np.array([-1.0, 0.5, -3.0]), np.array([2.0, 1.5, -1.0])
    b = bound_crn(crn, low, high)
    for i, sig in enumerate(crn.inputs):
        assert b.of(sig.plus) == pytest.approx(max(high[i], 0.0))
        assert b.of(sig.minus) == pytest.approx(max(-low[i], 0.0))


def test_box_is_checked():
    crn = compile_network(random_ternary_network([2, 2], seed=0))
    with pytest.raises(InputError, match="low > high"):
        bound_crn(crn, [1.0, 0.0], [0.0, 1.0])
    with pytest.raises(InputError, match="2 inputs"):
        bound_crn(crn, [0.0], [1.0])
    with pytest.raises(InputError, match="finite"):
        bound_crn(crn, [0.0, -np.inf], [1.0, 1.0])


def test_box_samples_hold_the_extreme_corners_and_stay_inside():
    low, high = -np.arange(1.0, 11.0), np.arange(1.0, 11.0)
    x = box_samples(low, high, corners=8, interior=8, seed=3)
    assert x.shape == (16, 10)
    assert (x >= low).all() and (x <= high).all()
    assert (x[0] == low).all() and (x[1] == high).all()
    assert len({tuple(r) for r in x[:8]}) == 8
    assert np.array_equal(x, box_samples(low, high, corners=8, interior=8, seed=3))
    small = box_samples(low[:2], high[:2], corners=8, interior=0)
    assert len({tuple(r) for r in small}) == 4  # every corner when there are fewer than asked for


@pytest.mark.parametrize("seed", range(3))
def test_fuel_planned_from_the_bound_covers_every_input_of_the_box(seed):
    rng = np.random.default_rng(seed)
    net = random_ternary_network([4, 5, 3], seed=rng)
    crn = split_products(compile_network(net), 3)
    low, high = _box(rng, 4)
    cfg = KineticsConfig(unit_nM=10.0)
    plan = bound_fuel_plan(crn, None, bound_crn(crn, low, high), cfg)
    sampled = fuel_plan(crn, None, _points(rng, low, high), cfg)
    for f, need in sampled.needed_nM.items():
        assert need <= plan.needed_nM[f] * (1 + 1e-9) + 1e-9
        assert plan.fuel_nM[f] >= sampled.fuel_nM[f] * (1 - 1e-9)
    assert plan.margin == pytest.approx(cfg.fuel_safety)


def test_input_range_widens_by_the_margin_but_not_across_zero():
    x = np.array([[0.0, -2.0, 1.0], [1.0, -1.0, 3.0]])
    r = input_range(x, margin=0.1)
    assert r["low"] == pytest.approx([0.0, -2.1, 0.8])
    assert r["high"] == pytest.approx([1.1, -0.9, 3.2])
    assert r["split"] == "train" and r["margin"] == 0.1
    assert validate_meta({"input_range": r}, "m.pt")["input_range"]["low"] == r["low"]


@pytest.mark.parametrize("value, message", [
    ([0, 1], "must be a mapping"),
    ({"low": [0.0]}, "lacks 'high'"),
    ({"low": [0.0, 1.0], "high": [1.0]}, "1 high"),
    ({"low": [2.0], "high": [1.0]}, "low 2 > high 1"),
    ({"low": [float("nan")], "high": [1.0]}, "finite"),
    ({"low": ["a"], "high": [1.0]}, "must be a number"),
    ({"low": "0", "high": [1.0]}, "list of numbers"),
    ({"low": [], "high": []}, "empty"),
    ({"low": [0.0], "high": [1.0], "margin": -1}, "margin"),
    ({"low": [0.0], "high": [1.0], "split": 3}, "split"),
])
def test_meta_input_range_is_validated_on_load(value, message):
    with pytest.raises(InputError, match=message):
        validate_meta({"input_range": value}, "m.pt")


def test_input_range_of_the_wrong_width_is_refused_when_the_network_is_built():
    torch = pytest.importorskip("torch")
    from dsdcompile.nn.load import network_from_state_dict

    sd = {"0.weight": torch.ones(3, 4), "0.bias": torch.zeros(3)}
    with pytest.raises(InputError, match="input_range has 2 features but the network takes 4"):
        network_from_state_dict(sd, {"input_range": {"low": [0, 0], "high": [1, 1]}})
    net = network_from_state_dict(sd, {"input_range": {"low": [0] * 4, "high": [1] * 4}})
    assert net.meta["input_range"]["high"] == [1.0] * 4


# -- the design run without --inputs --------------------------------------------------------------------------------
def _one_error(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dsdcompile: error:"), res.output
    return lines[0]


def test_iris_without_inputs_writes_lab_tables_that_cover_its_test_set(tmp_path):
    """The card's command (no --inputs) plans the lab for the model's input box: the tables are written, the summary
    says so and compares with the test set, and `dsdcompile mix` then accepts every test sample (all in the box)."""
    import csv
    import json
    import shutil

    from click.testing import CliRunner

    from dsdcompile.cli import main

    root = Path(__file__).resolve().parents[1]
    model = tmp_path / "iris_model.pt"
    shutil.copy(root / "designs" / "iris" / "model.pt", model)
    out = tmp_path / "design"
    res = CliRunner().invoke(main, [str(model), "--scheme", "soloveichik2010", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    for name in ("concentrations.csv", "pipetting.csv", "protocol.md", "lab_plan.json", "wells.csv"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    lab = summary["lab"]
    assert lab["fuel_basis"] == "input box" and lab["input_box_samples_simulated"] == 16
    assert lab["bound_over_test_set"] >= 1.0 and lab["bound_over_test_set_max"] >= lab["bound_over_test_set"]
    assert lab["extra_fuel_uM"] >= 0 and lab["test_set"]
    assert "What the fuel covers" in (out / "README.md").read_text()
    assert "fuel-stress controls" in (out / "protocol.md").read_text()
    # the plan covers the box: lab_plan.json's planned range is the model's input_range
    torch = pytest.importorskip("torch")
    box = torch.load(model, weights_only=True)["meta"]["input_range"]
    plan = json.loads((out / "lab_plan.json").read_text())
    assert [i["planned_min"] for i in plan["inputs"]] == pytest.approx(box["low"])
    assert [i["planned_max"] for i in plan["inputs"]] == pytest.approx(box["high"])
    # every test sample is covered by the fuel and reporters (mix checks each against the exact CRN limit)
    rows = list(csv.reader(open(root / "designs" / "iris" / "test.csv")))
    res = CliRunner().invoke(main, ["mix", str(out), "--inputs", str(root / "designs" / "iris" / "test.csv"),
                                    "--out", str(tmp_path / "mix")])
    assert res.exit_code == 0, res.output
    assert len(list(csv.DictReader(open(tmp_path / "mix" / "samples.csv")))) == len(rows) - 1


def test_a_model_without_range_or_data_is_refused_with_one_line_saying_to_pass_inputs(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from click.testing import CliRunner

    from dsdcompile.cli import main

    monkeypatch.delenv("DSDCOMPILE_DATA_DIR", raising=False)
    net = random_ternary_network([3, 4, 2], seed=5)
    sd = {}
    for k, layer in enumerate(net.layers):
        sd[f"{3 * k}.weight"] = torch.tensor(layer.weight, dtype=torch.float32)
        sd[f"{3 * k}.bias"] = torch.tensor(layer.bias, dtype=torch.float32)
    model = tmp_path / "m.pt"
    torch.save({"state_dict": sd, "meta": {"construction": "vasic2020"}}, model)
    out = tmp_path / "design"
    res = CliRunner().invoke(main, [str(model), "--scheme", "soloveichik2010", "--out", str(out), "-q"])
    assert res.exit_code == 2
    line = _one_error(res)
    assert "no input range" in line and "pass --inputs" in line
    assert not out.exists()
