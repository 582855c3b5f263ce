"""Wet-lab tables: documented columns, volumes that add up, annealing ratios, per-example inputs, readout."""

import csv
import re
from dataclasses import replace

import numpy as np
import pytest

from dsdcompile.config import LabConfig
from dsdcompile.crn_io import parse_crn
from dsdcompile.errors import DesignInfeasible, InputError
from dsdcompile.lab.tables import (
    ANNEALING_COLUMNS,
    CONCENTRATION_COLUMNS,
    INPUT_COLUMNS,
    READOUT_COLUMNS,
    LabSpecies,
    LabStrand,
    lab_examples,
    lab_tables,
    nice_stock,
    write_lab_tables,
)

CRN_TEXT = "@input a X0p X0m\n@input b X1p X1m\n@output y0 Y0p Y0m\n@output y1 Y1p Y1m\nX0p -> Y0p\n"


def _strand(name, n=25, domains=None):
    return LabStrand(name, domains or f"t_{name} d_{name}", n)


def _rows():
    rows = [LabSpecies(s, "input", (_strand(s),)) for s in ("X0p", "X0m", "X1p", "X1m")]
    rows += [LabSpecies(s, "output", (_strand(s),)) for s in ("Y0p", "Y0m", "Y1p", "Y1m")]
    rows += [
        LabSpecies("G0", "fuel", (_strand("G0_bottom", 48, "t1* x1* t2*"), _strand("G0_top", 30)), 400.0),
        LabSpecies("T0", "fuel", (_strand("T0_bottom", 70), _strand("T0_top1", 30), _strand("T0_top2", 22)), 400.0),
        LabSpecies("B0", "helper", (_strand("B0", 65),), 200.0),
        LabSpecies("R0", "reporter", (_strand("R0_F", 20), _strand("R0_Q", 30)), 150.0),
    ]
    return rows


@pytest.fixture()
def examples():
    crn = parse_crn(CRN_TEXT)
    x = np.array([[1.0, -0.5], [-2.0, 0.25], [0.0, 3.0]])
    return lab_examples(crn, x, expected=np.array([0, 1, 1]))


def test_volumes_add_up_to_the_final_volume(examples, tmp_path):
    for volume in (100.0, 20.0, 500.0):
        cfg = replace(LabConfig(), volume_uL=volume)
        tables = lab_tables(_rows(), examples, cfg)
        added = [r["volume_uL"] for r in tables["concentrations"] if r["volume_uL"] != ""]
        assert sum(added) == pytest.approx(volume, abs=1e-9)
        assert all(v >= 0 for v in added)
        # each example's inputs plus its buffer fill exactly the share kept for inputs
        share = cfg.input_volume_fraction * volume
        for e in range(3):
            vols = [r["volume_uL"] for r in tables["inputs"] if r["example"] == e]
            assert sum(vols) == pytest.approx(share, abs=1e-9)


def test_concentrations_volumes_and_stocks_are_consistent(examples):
    cfg = LabConfig()
    tables = lab_tables(_rows(), examples, cfg)
    by_name = {r["name"]: r for r in tables["concentrations"]}
    for r in tables["concentrations"]:
        if r["kind"] in ("strand", "complex") and r["volume_uL"] not in ("", 0.0):
            # volume · stock = concentration · final volume
            assert r["volume_uL"] * r["stock_uM"] * 1000 == pytest.approx(r["concentration_nM"] * 100.0, rel=1e-3)
            assert r["stock_uM"] <= cfg.max_stock_uM
    assert by_name["G0"]["kind"] == "complex" and by_name["G0"]["concentration_nM"] == 400.0
    # strands of a complex: the bottom (longest) at 1×, top strands in excess; all PAGE purified
    assert by_name["G0_bottom"]["concentration_nM"] == 400.0
    assert by_name["G0_top"]["concentration_nM"] == pytest.approx(480.0)
    assert by_name["G0_top"]["purification"] == "PAGE" and by_name["G0_top"]["complex"] == "G0"
    assert by_name["B0"]["purification"] == "PAGE"  # > 60 nt
    assert by_name["X0p"]["purification"] == "standard desalting"
    assert by_name["X0p"]["volume_uL"] == ""  # inputs go in per example
    assert by_name["X0p"]["concentration_nM"] == 10.0  # the largest over the examples
    assert by_name["Y0p"]["volume_uL"] == 0.0
    assert by_name["G0_bottom"]["sequence"] == "t1* x1* t2*"


def test_inputs_follow_the_dual_rail_encoding(examples):
    tables = lab_tables(_rows(), examples, LabConfig())
    rows = [r for r in tables["inputs"] if r["strand"] != "buffer"]
    assert len(rows) == 3 * 4
    got = {(r["example"], r["strand"]): r["concentration_nM"] for r in rows}
    assert got[(0, "X0p")] == 10.0 and got[(0, "X0m")] == 0.0 and got[(0, "X1m")] == 5.0
    assert got[(1, "X0m")] == 20.0 and got[(2, "X1p")] == 30.0
    assert {r["expected_class"] for r in rows if r["example"] == 1} == {"y1"}
    assert [r["plus_species"] for r in tables["readout"]] == ["Y0p", "Y1p"]
    assert "argmax" in tables["readout"][0]["rule"]


def test_annealing_ratios(examples):
    tables = lab_tables(_rows(), examples, LabConfig())
    t0 = [r for r in tables["annealing"] if r["complex"] == "T0"]
    assert [(r["strand"], r["position"], r["ratio"]) for r in t0] == [
        ("T0_bottom", "bottom", 1.0), ("T0_top1", "top", 1.2), ("T0_top2", "top", 1.2)]
    assert {r["complex"] for r in tables["annealing"]} == {"G0", "T0", "R0"}
    assert "Mg" in t0[0]["buffer"] and "95" in t0[0]["protocol"]


def test_written_files_have_the_documented_columns(examples, tmp_path):
    seqs = {"G0_top": "ACGTACGTAC"}
    files = write_lab_tables(_rows(), examples, tmp_path, LabConfig(), sequences=seqs)
    names = {f.rsplit("/", 1)[1] for f in files}
    assert {"concentrations.csv", "concentrations.md", "annealing.csv", "inputs.csv", "readout.csv"} <= names
    for name, cols in (("concentrations", CONCENTRATION_COLUMNS), ("annealing", ANNEALING_COLUMNS),
                       ("inputs", INPUT_COLUMNS), ("readout", READOUT_COLUMNS)):
        with open(tmp_path / f"{name}.csv") as fh:
            assert tuple(next(csv.reader(fh))) == cols
    rows = {r["name"]: r for r in csv.DictReader(open(tmp_path / "concentrations.csv"))}
    assert rows["G0_top"]["sequence"] == "ACGTACGTAC"  # nucleotide sequences replace domains when given
    md = (tmp_path / "concentrations.md").read_text()
    assert "| name | kind |" in md and "## Annealing" in md and "argmax" in md
    total = sum(float(r["volume_uL"]) for r in rows.values() if r["volume_uL"])
    assert total == pytest.approx(100.0, abs=1e-3)


def test_plate_xlsx(examples, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    files = write_lab_tables(_rows(), examples, tmp_path, LabConfig())
    assert str(tmp_path / "plate.xlsx") in files
    wb = openpyxl.load_workbook(tmp_path / "plate.xlsx")
    assert wb.sheetnames == ["concentrations", "annealing", "inputs", "readout"]
    assert tuple(c.value for c in wb["concentrations"][1]) == CONCENTRATION_COLUMNS
    first = (tmp_path / "plate.xlsx").read_bytes()
    write_lab_tables(_rows(), examples, tmp_path, LabConfig())
    assert (tmp_path / "plate.xlsx").read_bytes() == first


def test_bad_input_is_rejected(examples):
    rows = _rows()
    with pytest.raises(InputError, match="role"):
        lab_tables(rows + [LabSpecies("Z", "catalyst", (_strand("Z"),), 1.0)], examples)
    with pytest.raises(InputError, match="not among"):
        lab_tables([r for r in rows if r.name != "X1m"], examples)
    with pytest.raises(InputError, match="concentration"):
        lab_tables(rows + [LabSpecies("Z", "fuel", (_strand("Z"),), -1.0)], examples)
    with pytest.raises(DesignInfeasible, match="master mix"):  # the design does not fit the tube
        lab_tables(rows, examples, replace(LabConfig(), max_stock_uM=0.001))


def test_nice_stock():
    assert nice_stock(3.0, 100.0) == 5.0
    assert nice_stock(10.0, 100.0) == 10.0
    assert nice_stock(11.0, 100.0) == 20.0
    assert nice_stock(500.0, 100.0) == 100.0


HOSTILE = ("=cmd|' /C calc'!A0", "+SUM(1)|`x`", "<b>$x$</b>", "@A1 | ` |")


def test_user_text_is_text_in_every_lab_file(tmp_path):
    """Class and input names from a model's meta: text cells in plate.xlsx, escaped in Markdown, quoted in CSV."""
    openpyxl = pytest.importorskip("openpyxl")
    from dsdcompile.ir import Dense, Network
    from dsdcompile.passes import compile_network

    net = Network((Dense(np.array([[1.0, -1.0], [0.0, 1.0]]), np.zeros(2), False),), HOSTILE[:2], HOSTILE[2:])
    examples = lab_examples(compile_network(net), np.array([[1.0, -0.5], [0.25, 2.0]]), expected=np.array([0, 1]))
    write_lab_tables(_rows(), examples, tmp_path, LabConfig())
    wb = openpyxl.load_workbook(tmp_path / "plate.xlsx")
    cells = [c for name in ("inputs", "readout") for row in wb[name].iter_rows() for c in row]
    hostile = [c for c in cells if c.value in HOSTILE]
    assert {c.value for c in hostile} == set(HOSTILE)  # every name made it, as written
    assert all(c.data_type == "s" for c in hostile)  # ... as text, never a formula
    md = (tmp_path / "concentrations.md").read_text()
    for name in HOSTILE[2:]:  # the readout table: a row per class, still three cells with a hostile name
        (row,) = [line for line in md.splitlines() if line.startswith("| ") and "Y" in line and
                  ("b\\>" in line if "<b>" in name else "@A1" in line)]
        assert len(re.split(r"(?<!\\)\|", row)) == 3 + 2, row
    readout = [line for line in md.splitlines() if "b\\>" in line]
    assert readout and "\\<b\\>$x$\\</b\\>" in readout[0] and "<b>" not in md
    assert "@A1 \\| \\` \\|" in md
    with open(tmp_path / "readout.csv", newline="") as f:
        assert [r["class"] for r in csv.DictReader(f)] == list(HOSTILE[2:])
