"""The command line end to end: click's runner, a real subprocess, exit codes, nothing half-written."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main
from dsdcompile.crn import format_crn
from dsdcompile.passes import compile_network

CLASSES = ["setosa", "versicolor", "virginica"]


@pytest.fixture
def model(tmp_path):
    net = random_ternary_network((4, 8, 3), seed=7)
    sd = {"0.weight": torch.tensor(net.layers[0].weight, dtype=torch.int8), "0.bias": torch.tensor(net.layers[0].bias),
          "3.weight": torch.tensor(net.layers[1].weight, dtype=torch.int8), "3.bias": torch.tensor(net.layers[1].bias)}
    meta = {"input_names": ["sl", "sw", "pl", "pw"], "class_names": CLASSES,
            "preprocessing": [{"op": "standardize", "mean": [5.8, 3.0, 3.7, 1.2], "std": [0.8, 0.4, 1.7, 0.7]}]}
    path = tmp_path / "iris.pt"
    torch.save({"state_dict": sd, "meta": meta}, path)
    rng = np.random.default_rng(0)
    rows = ["sl,sw,pl,pw,label"] + [
        ",".join(f"{v:.2f}" for v in rng.normal([5.8, 3.0, 3.7, 1.2], [0.8, 0.4, 1.7, 0.7])) + f",{CLASSES[i % 3]}"
        for i in range(12)
    ]
    (tmp_path / "test.csv").write_text("\n".join(rows) + "\n")
    return path


def _run(args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_compile_writes_design_folder(model, tmp_path):
    out = tmp_path / "design"
    res = _run([model, "--inputs", tmp_path / "test.csv", "--out", out, "--scheme", "none", "--quiet"])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {"formal.crn", "reduced.crn", "network.json", "examples.csv", "trajectory.png", "summary.json"} <= names
    s = json.loads((out / "summary.json").read_text())
    assert s["network"]["layers"] == [4, 8, 3]
    assert (s["crn"]["formal_reactions"], s["crn"]["reduced_reactions"]) == (40, 16)
    assert s["crn"]["formal_species"] == 54
    a = s["agreement"]
    assert a["examples"] == 12 and a["exact_label_agreement"] == 1.0 and a["max_abs_error"] < 1e-9
    assert a["ode_examples"] == 12 and a["ode_label_agreement"] == 1.0
    assert 0.0 <= a["nn_accuracy"] <= 1.0
    assert s["versions"]["numpy"] and s["config"]["scheme"] == "none"


def test_outputs_are_byte_identical_between_runs(model, tmp_path):
    outs = [tmp_path / "a" / "design", tmp_path / "b" / "design"]  # one name: it titles the report
    for out in outs:
        assert _run([model, "--inputs", tmp_path / "test.csv", "--out", out, "-q"]).exit_code == 0
    for f in sorted(p.name for p in outs[0].iterdir()):
        a, b = (o / f for o in outs)
        if f == "summary.json":
            ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
            ja.pop("run"), jb.pop("run")
            assert ja == jb
        else:
            assert a.read_bytes() == b.read_bytes(), f


def test_crn_file_as_input(tmp_path):
    crn = compile_network(random_ternary_network((3, 4, 2), seed=2))
    (tmp_path / "net.crn").write_text(format_crn(crn))
    (tmp_path / "x.csv").write_text("0.5,-1,2\n1,1,1\n")
    res = _run([tmp_path / "net.crn", "--inputs", tmp_path / "x.csv", "--out", tmp_path / "d", "-q"])
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert s["crn"]["reduced_reactions"] == 3 * 2 + 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.pt"], "missing.pt: no such file"),
        (["{bad}"], "not a readable torch file"),
        (["{model}", "--inputs", "{narrow}"], "has 3 feature columns but the network takes 4"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(model, tmp_path, args, message):
    (tmp_path / "bad.pt").write_text("not a model")
    (tmp_path / "narrow.csv").write_text("1,2,3\n")
    subst = {"{model}": str(model), "{bad}": str(tmp_path / "bad.pt"), "{narrow}": str(tmp_path / "narrow.csv")}
    args = [subst.get(a, a) for a in args]
    out = tmp_path / "never"
    res = CliRunner().invoke(main, args + ["--out", str(out)])
    assert res.exit_code == 2
    errors = [line for line in res.output.splitlines() if line.startswith("dsdcompile: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in res.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]


def test_refuses_to_overwrite_a_folder_that_is_not_a_design(model, tmp_path):
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "thesis.tex").write_text("do not delete")
    res = CliRunner().invoke(main, [str(model), "--out", str(keep)])
    assert res.exit_code == 2 and "refusing to overwrite" in res.output
    assert (keep / "thesis.tex").read_text() == "do not delete"


def test_real_subprocess(model, tmp_path):
    out = tmp_path / "sub"
    proc = subprocess.run([sys.executable, "-m", "dsdcompile", str(model), "--inputs", str(tmp_path / "test.csv"),
                           "--out", str(out), "--scheme", "none", "--ode-examples", "3"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "40 formal / 16 reduced reactions" in proc.stdout
    assert (out / "summary.json").exists()
    bad = subprocess.run([sys.executable, "-m", "dsdcompile", str(tmp_path / "nope.pt")], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("dsdcompile: error:")


def test_anderson_model_end_to_end(tmp_path):
    """A real-weight model compiled with --construction anderson2021: ODE fixed point = smoothed forward pass."""
    torch.manual_seed(1)
    m = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    torch.save(m.state_dict(), tmp_path / "real.pt")
    (tmp_path / "x.csv").write_text("0.5,-1,2\n1,1,1\n-0.3,0.2,0.1\n")
    refused = CliRunner().invoke(main, [str(tmp_path / "real.pt"), "--out", str(tmp_path / "v")])
    assert refused.exit_code == 2 and "is not in {-1, 0, 1}" in refused.output
    res = _run([tmp_path / "real.pt", "--construction", "anderson2021", "--epsilon", "0.05",
                "--inputs", tmp_path / "x.csv", "--out", tmp_path / "a", "-q"])
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    a = s["agreement"]
    assert s["network"]["construction"] == "anderson2021" and s["crn"]["reduced_reactions"] is None
    assert a["ode_within_tolerance"] and a["ode_max_rel_error"] <= 1e-6 and a["ode_label_agreement"] == 1.0
    assert a["fixed_point"]["fixed_point_spread"] <= 1e-6
    assert (tmp_path / "a" / "convergence.png").exists()


def test_anderson_model_through_dsd_is_proven_wrong_by_its_2y_to_y_modules(tmp_path):
    """A 2-2 real-weight net through soloveichik2010 and real enumeration, on the CLI.

    soloveichik2010's join gate for ``2 Y -> Y`` carries no private domain on its bottom strand,
    so one Y can release the output: verification proves it (exit 3, folder written) and the
    implementation kinetics are skipped. tests/test_rate_fuel.py runs the rate-setting kinetics.
    """
    torch.manual_seed(3)
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)).state_dict(), tmp_path / "tiny.pt")
    (tmp_path / "x.csv").write_text("0.5,-1\n1,0.3\n")
    res = _run([tmp_path / "tiny.pt", "--construction", "anderson2021", "--scheme", "soloveichik2010",
                "--inputs", tmp_path / "x.csv", "--out", tmp_path / "a", "--workers", "2"])
    assert res.exit_code == 3, res.output
    assert "2 S0 -> S0" in res.output and "more than any state the formal CRN reaches" in res.output
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert s["dsd"]["rate_dependent"] is True and s["verification"]["verdict"] == "not-equivalent"
    assert "not-equivalent" in json.dumps(s["kinetics"])
    assert {"dsd.pil", "verification.md", "verified.crn"} <= set(s["files"])
