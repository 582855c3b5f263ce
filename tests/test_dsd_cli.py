"""The DSD stage through the command line: real translation, peppercorn enumeration and verification."""

import json
import textwrap

import pytest
import torch
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main

BROKEN_SCHEME = textwrap.dedent('''
    """soloveichik2010 with a wrong product domain: the fork gate releases a strand no signal has."""
    from translation_schemes import soloveichik2010 as base

    NAME = "broken_product"
    CITATION = "test fixture"
    TOEHOLD_NT, BRANCH_NT = base.TOEHOLD_NT, base.BRANCH_NT
    MAX_REACTANTS = base.MAX_REACTANTS
    FUEL_ROLES = base.FUEL_ROLES
    signal_layout = base.signal_layout

    def translate(reactants, products, new_domain):
        if products:
            products = [dict(products[0], b=new_domain("branch"))] + list(products[1:])
        return base.translate(reactants, products, new_domain)
''')


@pytest.fixture
def small_model(tmp_path):
    """A 2-2-2 ternary net: input fan-outs, two ReLU units (bimolecular), output fan-outs."""
    net = random_ternary_network((2, 2, 2), seed=11)
    sd = {"0.weight": torch.tensor(net.layers[0].weight), "0.bias": torch.tensor(net.layers[0].bias),
          "2.weight": torch.tensor(net.layers[1].weight), "2.bias": torch.tensor(net.layers[1].bias)}
    torch.save(sd, tmp_path / "small.pt")
    (tmp_path / "x.csv").write_text("0.5,-1\n1,2\n")
    return tmp_path / "small.pt"


def _invoke(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_soloveichik2010_design_is_verified_equivalent(small_model, tmp_path):
    out = tmp_path / "design"
    res = _invoke([small_model, "--inputs", tmp_path / "x.csv", "--out", out, "--scheme", "soloveichik2010",
                   "--executor", "serial", "-q"])
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text())
    d, v = s["dsd"], s["verification"]
    assert d["scheme"] == "soloveichik2010" and d["crn"] == "formal"
    assert d["strands"] > 0 and d["nucleotides"] > 0 and 0 < d["longest_strand_nt"] <= 120
    assert d["enumerated_species"] > 0 and d["enumerated_reactions"] > 0
    assert v["verdict"] == "equivalent" and v["method"] == "modular-bisimulation" and v["seconds"] >= 0
    strands = (out / "strands.csv").read_text().splitlines()
    assert len(strands) == d["strands"] + 1
    html = (out / "verification.html").read_text()
    assert "equivalent" in html and "<link" not in html and "<script src" not in html
    assert (out / "dsd.pil").read_text().count("length") > 0


def test_unknown_scheme_exits_2_listing_schemes(small_model, tmp_path):
    res = _invoke([small_model, "--scheme", "nonsense", "--out", tmp_path / "d"])
    assert res.exit_code == 2
    assert "soloveichik2010" in res.output and "qian2011_3D" in res.output
    assert not (tmp_path / "d").exists()


def test_broken_scheme_is_not_equivalent_exit_3_with_report(small_model, tmp_path):
    scheme = tmp_path / "broken_product.py"
    scheme.write_text(BROKEN_SCHEME)
    out = tmp_path / "broken"
    # the modules are wrong alone; exit 3 needs a counterexample about the system (dsdcompile.verify.decide)
    res = _invoke([small_model, "--out", out, "--scheme", scheme, "--executor", "serial", "-q"])
    assert res.exit_code == 3, res.output
    report = json.loads((out / "verification.json").read_text())
    assert report["verdict"] == "not-equivalent"
    bad = [m for m in report["modules"] if m["verdict"] == "not-equivalent"]
    assert bad and all(m["counterexample"] for m in bad)
    assert json.loads((out / "summary.json").read_text())["verification"]["verdict"] == "not-equivalent"


def test_dask_executor_on_a_local_cluster(small_model, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        res = _invoke([small_model, "--out", tmp_path / "dask", "--scheme", "soloveichik2010", "-q", "--no-kinetics",
                       "--executor", "dask", "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert s["verification"]["verdict"] == "equivalent" and s["config"]["execution"]["executor"] == "dask"
