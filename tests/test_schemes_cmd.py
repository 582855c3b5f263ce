"""``dsdcompile schemes MODEL_OR_CRN --inputs``: the comparison table with kinetics, tube and order-cost columns.

Real runs on a small compiled network (real peppercorn, verification, ODE kinetics, the lab planner): every
column is there, a failing scheme keeps its row with the reason, the order cost follows an edited price
table, and a bad price table exits 2 writing nothing.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.random_nets import random_ternary_network

from dsdcompile.cli import main
from dsdcompile.crn import format_crn
from dsdcompile.dsd.schemes import load_scheme
from dsdcompile.errors import InputError
from dsdcompile.passes import compile_network
from dsdcompile.stages.compare import COLUMNS, KINETICS_COLUMNS, spread_indices
from dsdcompile.stages.order_cost import OrderLine, default_prices_text, estimate_cost, load_prices

DATA = Path(__file__).parent / "data" / "ts"
REFUSING = '''
_translate = translate


def translate(reactants, products, new_domain):
    if len(reactants) > 1:
        raise ValueError("this test scheme implements unimolecular reactions only")
    return _translate(reactants, products, new_domain)
'''


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """A small compiled network as a CRN file, four examples, and a scheme file that refuses bimolecular reactions."""
    d = tmp_path_factory.mktemp("net")
    crn = compile_network(random_ternary_network((2, 3, 2), seed=4))
    (d / "net.crn").write_text(format_crn(crn))
    (d / "x.csv").write_text("0.5,-1\n1,1\n-0.5,2\n2,0.25\n")
    source = Path(load_scheme("soloveichik2010").module.__file__).read_text()
    (d / "unimolecular.py").write_text(source.replace('NAME = "soloveichik2010"', 'NAME = "unimolecular"') + REFUSING)
    return d


def _invoke(*args) -> object:
    return CliRunner().invoke(main, ["schemes", *map(str, args)])


def _rows(folder: Path) -> list[dict]:
    with (folder / "schemes.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def compared(net):
    out = net / "cmp"
    res = _invoke(net / "net.crn", "--inputs", net / "x.csv", "--scheme", "soloveichik2010", "--scheme",
                  DATA / "cardelli2011_NM.ts", "--scheme", net / "unimolecular.py", "--scheme", "no_such_scheme",
                  "--examples", 3, "--out", out, "-q")
    assert res.exit_code == 0, res.output
    return out


def test_table_has_every_column_and_a_row_per_scheme(compared):
    with (compared / "schemes.csv").open(newline="") as fh:
        assert next(csv.reader(fh)) == list(COLUMNS)
    rows = _rows(compared)
    assert [Path(r["scheme"]).stem for r in rows] == ["soloveichik2010", "cardelli2011_NM", "unimolecular",
                                                      "no_such_scheme"]
    for r in rows[:2]:
        assert r["verdict"] == "equivalent", r
        assert int(r["strands"]) > 0 and int(r["nucleotides"]) >= int(r["fuel_nucleotides"]) > 0
        assert int(r["longest_strand_nt"]) > 0 and int(r["enumerated_reactions"]) > 0
        assert float(r["verification_s"]) >= 0
        for c in KINETICS_COLUMNS:
            assert r[c] != "", (c, r)
        assert 0 <= float(r["implementation_label_agreement"]) <= 1 and float(r["read_time_h"]) > 0
        assert float(r["order_cost"]) > 0 and int(r["order_oligos"]) > 0
        assert r["kinetics_examples"] == "3"


def test_failing_schemes_keep_their_rows_with_the_reason(compared):
    rows = {Path(r["scheme"]).stem: r for r in _rows(compared)}
    refused = rows["unimolecular"]
    assert refused["verdict"] == "refused" and "unimolecular reactions only" in refused["note"]
    assert refused["strands"] == "" and refused["order_cost"] == ""
    unknown = rows["no_such_scheme"]
    assert unknown["verdict"] == "refused" and "unknown translation scheme" in unknown["note"]


def test_page_and_json_say_which_scheme_to_choose(compared):
    page = (compared / "schemes.md").read_text()
    choice = page.split("## Which scheme", 1)[1].split("## The table", 1)[0]
    verified = re.search(r"\*\*Verified\*\*[^:]*: (.*)\.", choice).group(1)
    assert "soloveichik2010" in verified and "unimolecular" not in verified
    assert "Cheapest verified order" in choice and "free strands" in choice
    assert "3 of the 4 examples" in page and "approximate" in page
    data = json.loads((compared / "schemes.json").read_text())
    assert data["columns"] == list(COLUMNS) and len(data["schemes"]) == 4
    assert data["versions"]["dsdcompile"] and data["config"]["kinetics"]["rate_draws"] >= 1
    assert data["prices"]["currency"] and data["prices"]["sources"]
    assert data["kinetics_examples"] == 3 and data["inputs_examples"] == 4
    assert set(data["orders"]) == {"soloveichik2010", str(DATA / "cardelli2011_NM.ts")}
    page_html = (compared / "schemes.html").read_text()
    assert page_html.count("<tr>") == 1 + 4 and "<strong>Verified</strong>" in page_html


def test_order_cost_follows_an_edited_price_table(net, compared, tmp_path):
    before = {r["scheme"]: float(r["order_cost"]) for r in _rows(compared) if r["order_cost"]}
    parts = json.loads((compared / "schemes.json").read_text())["orders"]["soloveichik2010"]
    text = default_prices_text()
    text = text.replace("[purification.PAGE]\nper_oligo = 60.0", "[purification.PAGE]\nper_oligo = 160.0")
    text = text.replace("\nFAM = 45.0", "\nFAM = 1045.0")
    assert text != default_prices_text()
    (tmp_path / "prices.toml").write_text(text)
    out = tmp_path / "cmp"
    res = _invoke(net / "net.crn", "--inputs", net / "x.csv", "--scheme", "soloveichik2010", "--examples", 3,
                  "--prices", tmp_path / "prices.toml", "--out", out, "-q")
    assert res.exit_code == 0, res.output
    after = float(_rows(out)[0]["order_cost"])
    assert parts["purifications"].get("PAGE", 0) > 0 and parts["labels"].get("FAM", 0) > 0
    expected = 100.0 * parts["purifications"]["PAGE"] + 1000.0 * parts["labels"]["FAM"]
    assert after - before["soloveichik2010"] == pytest.approx(expected, abs=0.02)
    assert json.loads((out / "schemes.json").read_text())["prices"]["path"] == str(tmp_path / "prices.toml")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("per_nt = 0.40", "per_nt = -0.40"), "must be a non-negative number"),
    (lambda t: t.replace("[order]\n", "[orders]\n"), "price table needs order"),
    (lambda t: t.replace('currency = "USD"', "currency = "), "not a TOML price table"),
    (lambda t: t.replace("yield_fraction = 0.15", "yield_fraction = 2"), "yield_fraction must be in (0, 1]"),
])
def test_bad_price_table_exits_2_and_writes_nothing(net, tmp_path, edit, message):
    (tmp_path / "bad.toml").write_text(edit(default_prices_text()))
    out = tmp_path / "never"
    res = _invoke(net / "net.crn", "--inputs", net / "x.csv", "--prices", tmp_path / "bad.toml", "--out", out)
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("dsdcompile: error:")]
    assert len(errors) == 1 and message in errors[0] and "bad.toml" in errors[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_write_prices_gives_the_default_table_to_edit(tmp_path):
    path = tmp_path / "prices.toml"
    assert _invoke("--write-prices", path).exit_code == 0
    assert path.read_text() == default_prices_text()
    assert load_prices(path).scales == load_prices().scales
    again = _invoke("--write-prices", path)
    assert again.exit_code == 2 and "exists already" in again.output
    nowhere = _invoke("--write-prices", tmp_path / "no" / "such" / "prices.toml")
    assert nowhere.exit_code == 2 and "cannot write the price table" in nowhere.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prices.toml"]


def test_a_scheme_past_its_timeout_is_recorded(net, tmp_path):
    out = tmp_path / "cmp"
    res = _invoke(net / "net.crn", "--scheme", "soloveichik2010", "--timeout", 0.001, "--out", out, "-q")
    assert res.exit_code == 0, res.output
    row = _rows(out)[0]
    assert row["verdict"] == "stopped" and "stopped after 0.001 s" in row["note"]


def test_scale_purification_and_labels_price_each_strand():
    prices = load_prices()
    small = {s.name: s for s in prices.scales}
    short = OrderLine("a", 40, "standard desalting", used_pmol=100.0)
    est = estimate_cost([short], prices)
    assert est.scales == {"25nm": 1} and est.total == pytest.approx(small["25nm"].price(40))
    much = OrderLine("b", 40, "standard desalting", used_pmol=1000.0 * small["25nm"].yield_nmol)  # needs 2x yield
    assert "25nm" not in estimate_cost([much], prices).scales
    reporter = OrderLine("r", 30, "HPLC", used_pmol=10.0, modifications=("FAM",))
    est = estimate_cost([reporter], prices)
    assert est.labels == {"FAM": 1} and est.modifications == prices.modifications["FAM"]
    assert est.purification == prices.purification["HPLC"].per_oligo
    odd = estimate_cost([OrderLine("x", 500, "PAGE", 1.0), OrderLine("y", 30, "gold", 1.0, ("Alexa 999",))], prices)
    assert any("500 nt" in m for m in odd.missing) and "purification 'gold'" in odd.missing
    assert "modification 'Alexa 999'" in odd.missing


def test_spread_indices_keep_first_and_last():
    assert list(spread_indices(10, 3)) == [0, 4, 9] and list(spread_indices(9, 3)) == [0, 4, 8]
    assert list(spread_indices(4, -1)) == [0, 1, 2, 3] and list(spread_indices(4, 10)) == [0, 1, 2, 3]
    assert len(spread_indices(104, 24)) == 24


def test_load_prices_refuses_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_prices(tmp_path / "none.toml")


def test_bad_inputs_or_out_exit_2_before_any_scheme_runs(net, tmp_path):
    (tmp_path / "narrow.csv").write_text("1\n2\n")
    res = _invoke(net / "net.crn", "--inputs", tmp_path / "narrow.csv", "--out", tmp_path / "never")
    assert res.exit_code == 2 and "feature" in res.output and not (tmp_path / "never").exists()
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    res = _invoke(net / "net.crn", "--scheme", "soloveichik2010", "--out", keep)
    assert res.exit_code == 2 and "notes.txt" in res.output
    assert sorted(p.name for p in keep.iterdir()) == ["notes.txt"]
