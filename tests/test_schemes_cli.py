"""``dsdcompile schemes``: the scheme listing and the side-by-side comparison on one CRN (real runs)."""

import csv
from pathlib import Path

from click.testing import CliRunner

from dsdcompile.cli import main
from translation_schemes import BUILTIN

DATA = Path(__file__).parent / "data" / "ts"


def test_listing_names_every_built_in_scheme_with_its_citation():
    res = CliRunner().invoke(main, ["schemes"])
    assert res.exit_code == 0, res.output
    for name in BUILTIN:
        assert f"{name}  [" in res.output
    assert "Nature Nanotechnology" in res.output and "does not load" not in res.output


def test_comparison_table_on_a_crn(tmp_path):
    crn = tmp_path / "a.crn"
    crn.write_text("A + B -> C\n")
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["schemes", str(crn), "--scheme", "soloveichik2010", "--scheme",
                                    str(DATA / "cardelli2011_NM.ts"), "--scheme", "no_such_scheme", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((out / "schemes.csv").open()))
    assert [r["scheme"] for r in rows] == ["soloveichik2010", str(DATA / "cardelli2011_NM.ts"), "no_such_scheme"]
    assert rows[0]["verdict"] == rows[1]["verdict"] == "equivalent"
    assert int(rows[0]["strands"]) > 0 and int(rows[1]["longest_strand_nt"]) > 0
    assert rows[2]["verdict"] == "refused" and "unknown translation scheme" in rows[2]["note"]
    assert all(r["order_cost"] == r["read_time_h"] == "" for r in rows)  # no --inputs: no kinetics or cost
    assert "| soloveichik2010 | equivalent |" in (out / "schemes.md").read_text()
