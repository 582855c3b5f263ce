"""Wet-lab tables from the pipetting plan: documented columns, pipettable volumes that add up, anneal ratios, inputs."""

import csv
import re
from dataclasses import replace

import numpy as np
import pytest

from dsdcompile.config import LabConfig
from dsdcompile.crn import parse_crn
from dsdcompile.errors import DesignInfeasible, InputError
from dsdcompile.kinetics.planned_tube import nice_stock
from dsdcompile.lab.dyes import DEFAULT_DYES, assign_dyes
from dsdcompile.lab.tables import (
    ANNEALING_COLUMNS,
    CONCENTRATION_COLUMNS,
    INPUT_COLUMNS,
    PIPETTING_COLUMNS,
    READOUT_COLUMNS,
    LabSpecies,
    LabStrand,
    lab_examples,
    lab_tables,
    plan_design,
    write_lab_tables,
)

CRN_TEXT = "@input a X0p X0m\n@input b X1p X1m\n@output y0 Y0p Y0m\n@output y1 Y1p Y1m\nX0p -> Y0p\n"


def _strand(name, n=25, domains=None):
    return LabStrand(name, domains or f"t_{name} d_{name}", n)


def _rows():
    rows = [LabSpecies(s, "input", (_strand(f"{s}.0", 40, f"{s}-a {s}-b"),)) for s in ("X0p", "X0m", "X1p", "X1m")]
    rows += [LabSpecies(s, "output", (_strand(f"{s}.0", 40, f"{s}-a {s}-b"),)) for s in ("Y0p", "Y0m", "Y1p", "Y1m")]
    rows += [
        LabSpecies("G0", "fuel", (_strand("G0_bottom", 48, "t1* x1* t2*"), _strand("G0_top", 30, "x1 t3")), 40.0,
                   "gate", excess=(1,), bottom=(0,)),
        LabSpecies("T0", "fuel", (_strand("T0_bottom", 70, "x2* y2*"), _strand("T0_top1", 30, "x2"),
                                  _strand("T0_top2", 22, "y2")), 40.0, "fork", excess=(1, 2), bottom=(0,)),
        LabSpecies("B0", "helper", (_strand("B0", 65, "b0 b1"),), 20.0),
    ]
    rows += [LabSpecies(f"rep-{y}", "reporter", (_strand(f"rep-{y}.0", 15, f"{y}-b"),
                                                  _strand(f"rep-{y}.1", 20, f"{y}-b* {y}-a*")), 60.0, "reporter",
                        excess=(1,), bottom=(1,)) for y in ("Y0p", "Y0m", "Y1p", "Y1m")]
    return rows


def _readout():
    rails = [(y, f"y{y[1]}", 1 if y.endswith("p") else -1, f"rep-{y}") for y in ("Y0p", "Y0m", "Y1p", "Y1m")]
    return assign_dyes(rails, DEFAULT_DYES[:2])  # two channels: one class per well


@pytest.fixture()
def examples():
    crn = parse_crn(CRN_TEXT)
    x = np.array([[1.0, -0.5], [-2.0, 0.25], [0.0, 3.0]])
    return lab_examples(crn, x, expected=np.array([0, 1, 1]))


def _design(examples, cfg=LabConfig(), rows=None):
    rows = rows or _rows()
    # domains named t... are toeholds; complementarity in them alone does not keep complexes out of one pool
    long = {d.rstrip("*") for r in rows for s in r.strands for d in s.domains.split() if not d.startswith("t")}
    return plan_design(rows, examples, cfg, unit_nM=10.0, readout=_readout(), calibration_top_nM=50.0,
                       long_domains=long)


def test_every_transfer_is_pipettable_and_every_vessel_holds_its_contents(examples):
    for volume in (100.0, 20.0, 500.0):
        cfg = replace(LabConfig(), volume_uL=volume, min_volume_uL=1.0)
        plan = _design(examples, cfg).plan
        assert plan.min_volume() >= cfg.min_volume_uL
        for vessel in plan.vessels():
            assert vessel.buffer_uL >= -1e-9, vessel.name
            for c in vessel.components:  # concentration arithmetic: what is added gives the target
                assert c.source_nM * c.volume_uL / vessel.volume_uL == pytest.approx(c.target_nM, rel=1e-9)
        for well in plan.wells:  # master mix + reporter mix + premix = the reaction
            assert sum(c.volume_uL for c in well.components) == pytest.approx(volume, abs=1e-9)


def test_concentrations_table(examples):
    tables = lab_tables(_design(examples))
    by_name = {r["name"]: r for r in tables["concentrations"]}
    assert by_name["G0"]["kind"] == "complex" and by_name["G0"]["concentration_nM"] == 40.0
    # the strand a signal binds at 1x, the others in excess; reporters: the quencher strand in excess
    assert by_name["G0_bottom"]["concentration_nM"] == 40.0
    assert by_name["G0_top"]["concentration_nM"] == pytest.approx(48.0)
    assert by_name["rep-Y0p.1"]["concentration_nM"] == pytest.approx(72.0)
    assert by_name["rep-Y0p.0"]["purification"] == "HPLC"
    assert by_name["G0_top"]["purification"] == "PAGE" and by_name["G0_top"]["complex"] == "G0"
    assert by_name["B0"]["vessel"] == "master mix" and by_name["B0"]["volume_uL"] >= 1.0
    assert by_name["X0p.0"]["volume_uL"] == "" and by_name["X0p.0"]["vessel"] == "sample premix"
    assert by_name["G0_bottom"]["sequence"] == "t1* x1* t2*"
    assert sum(r["volume_uL"] for r in tables["concentrations"] if r["kind"] == "well") == pytest.approx(100.0)


def test_inputs_follow_the_dual_rail_encoding(examples):
    tables = lab_tables(_design(examples))
    rows = [r for r in tables["inputs"] if r["strand"] != "buffer"]
    got = {(r["example"], r["strand"]): r["concentration_nM"] for r in rows}
    assert got == {(0, "X0p.0"): 10.0, (0, "X1m.0"): 5.0, (1, "X0m.0"): 20.0, (1, "X1p.0"): 2.5,
                   (2, "X1p.0"): 30.0}
    assert {r["expected_class"] for r in rows if r["example"] == 1} == {"y1"}
    for e in range(3):  # inputs plus buffer fill each premix
        mine = [r for r in tables["inputs"] if r["example"] == e]
        assert sum(r["volume_uL"] for r in mine) == pytest.approx(mine[0]["premix_volume_uL"], abs=1e-3)
    readout = tables["readout"]
    assert [(r["plus_species"], r["plus_dye"], r["minus_dye"], r["well"]) for r in readout] == [
        ("Y0p", "FAM", "HEX", 1), ("Y1p", "FAM", "HEX", 2)]


def test_pools_keep_complexes_that_could_mispair_apart(examples):
    rows = _rows()
    # a second gate of G0's kind and size whose top strand pairs with G0's long domain x1
    rows.append(LabSpecies("G1", "fuel", (_strand("G1_bottom", 48, "t5* x5* t6*"), _strand("G1_top", 30, "x1* t7")),
                           40.0, "gate", excess=(1,), bottom=(0,)))
    rows.append(LabSpecies("G2", "fuel", (_strand("G2_bottom", 48, "t8* x8* t1"), _strand("G2_top", 30, "x8 t9")),
                           40.0, "gate", excess=(1,), bottom=(0,)))
    plan = _design(examples, rows=rows).plan
    pool_of = {c: p.name for p in plan.pools for c in p.complexes}
    assert pool_of["G0"] != pool_of["G1"]
    assert pool_of["G0"] == pool_of["G2"]  # toehold-only complementarity (t1) does not keep them apart
    assert pool_of["T0"] != pool_of["G0"]  # different kind and size
    ann = lab_tables(_design(examples, rows=rows))["annealing"]
    t0 = [r for r in ann if r["complex"] == "T0"]
    assert [(r["strand"], r["position"], r["ratio"]) for r in t0] == [
        ("T0_bottom", "bottom", 1.0), ("T0_top1", "top", 1.2), ("T0_top2", "top", 1.2)]


def test_tiny_inputs_use_dilutions_or_are_listed(examples):
    crn = parse_crn(CRN_TEXT)
    ex = lab_examples(crn, np.array([[1e-3, 0.0], [1e-9, 2.0]]))
    plan = _design(ex).plan
    sources = {c.item: c.source for c in plan.premixes[0].components}
    assert "dilution" in sources["X0p.0"]
    assert plan.premixes[1].components[0].item == "X1p.0" and len(plan.premixes[1].components) == 1
    assert len(plan.omitted_inputs) == 1 and "X0p.0" in plan.omitted_inputs[0]


def test_written_files_have_the_documented_columns(examples, tmp_path):
    seqs = {"G0_top": "ACGTACGTAC"}
    files = write_lab_tables(_design(examples), tmp_path, sequences=seqs)
    names = {f.rsplit("/", 1)[1] for f in files}
    assert {"concentrations.csv", "annealing.csv", "inputs.csv", "readout.csv", "pipetting.csv", "wells.csv"} <= names
    for name, cols in (("concentrations", CONCENTRATION_COLUMNS), ("annealing", ANNEALING_COLUMNS),
                       ("inputs", INPUT_COLUMNS), ("readout", READOUT_COLUMNS), ("pipetting", PIPETTING_COLUMNS)):
        with open(tmp_path / f"{name}.csv") as fh:
            assert tuple(next(csv.reader(fh))) == cols
    rows = {r["name"]: r for r in csv.DictReader(open(tmp_path / "concentrations.csv"))}
    assert rows["G0_top"]["sequence"] == "ACGTACGTAC"  # nucleotide sequences replace domains when given
    wells = list(csv.DictReader(open(tmp_path / "wells.csv")))
    assert len(wells) == 3 * 2 + 2 * 4  # 3 examples x 2 reporter wells, 2 groups x 4 calibration levels
    assert wells[0]["well"] == "A1" and wells[-1]["contents"].startswith("calibration")


def test_plate_xlsx(examples, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    files = write_lab_tables(_design(examples), tmp_path)
    assert str(tmp_path / "plate.xlsx") in files
    wb = openpyxl.load_workbook(tmp_path / "plate.xlsx")
    assert wb.sheetnames == ["concentrations", "annealing", "inputs", "readout", "pipetting", "wells"]
    assert tuple(c.value for c in wb["concentrations"][1]) == CONCENTRATION_COLUMNS
    first = (tmp_path / "plate.xlsx").read_bytes()
    write_lab_tables(_design(examples), tmp_path)
    assert (tmp_path / "plate.xlsx").read_bytes() == first


def test_bad_input_is_rejected(examples):
    rows = _rows()
    with pytest.raises(InputError, match="role"):
        _design(examples, rows=rows + [LabSpecies("Z", "catalyst", (_strand("Z"),), 1.0)])
    with pytest.raises(InputError, match="not among"):
        _design(examples, rows=[r for r in rows if r.name != "X1m"])
    with pytest.raises(InputError, match="concentration"):
        _design(examples, rows=rows + [LabSpecies("Z", "fuel", (_strand("Z"),), -1.0)])
    with pytest.raises(DesignInfeasible):  # the DNA does not fit the tube
        _design(examples, replace(LabConfig(), max_stock_uM=0.01))


def test_nice_stock():
    assert nice_stock(3.0, 100.0) == 5.0
    assert nice_stock(10.0, 100.0) == 10.0
    assert nice_stock(11.0, 100.0) == 20.0
    assert nice_stock(500.0, 100.0) == 100.0


def test_dye_table_round_trip_and_wells(tmp_path):
    from dsdcompile.lab.dyes import read_dye_table, write_dye_table

    write_dye_table(tmp_path / "dyes.csv", DEFAULT_DYES[:3])
    dyes = read_dye_table(tmp_path / "dyes.csv")
    assert [d.dye for d in dyes] == ["FAM", "HEX", "ROX"]
    rails = [(f"Y{k}{s}", f"c{k}", 1 if s == "p" else -1, f"rep-Y{k}{s}") for k in range(3) for s in "pm"]
    out = assign_dyes(rails, dyes)  # 3 channels: one class (two rails) per well, never split across wells
    assert [(r.group, r.dye.dye) for r in out] == [(0, "FAM"), (0, "HEX"), (1, "FAM"), (1, "HEX"), (2, "FAM"),
                                                   (2, "HEX")]
    (tmp_path / "bad.csv").write_text("dye,excitation_nm\nFAM,495\n")
    with pytest.raises(InputError, match="lacks column"):
        read_dye_table(tmp_path / "bad.csv")
    with pytest.raises(InputError, match="at least 2"):
        assign_dyes(rails, dyes[:1])
HOSTILE = ("=cmd|' /C calc'!A0", "+SUM(1)|`x`", "<b>$x$</b>", "@A1 | ` |")


def test_user_text_is_text_in_every_lab_file(tmp_path):
    """Class and input names from a model's meta: text cells in plate.xlsx, escaped in Markdown, quoted in CSV."""
    openpyxl = pytest.importorskip("openpyxl")
    from dsdcompile.ir import Dense, Network
    from dsdcompile.passes import compile_network

    net = Network((Dense(np.array([[1.0, -1.0], [0.0, 1.0]]), np.zeros(2), False),), HOSTILE[:2], HOSTILE[2:])
    examples = lab_examples(compile_network(net), np.array([[1.0, -0.5], [0.25, 2.0]]), expected=np.array([0, 1]))
    design = _design(examples)
    write_lab_tables(design, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "plate.xlsx")
    cells = [c for name in ("inputs", "readout") for row in wb[name].iter_rows() for c in row]
    hostile = [c for c in cells if c.value in HOSTILE]
    assert {c.value for c in hostile} == set(HOSTILE)  # every name made it, as written
    assert all(c.data_type == "s" for c in hostile)  # ... as text, never a formula
    from dsdcompile.runtime.files import csv_dicts, markdown_table

    md = "\n".join(markdown_table(READOUT_COLUMNS[:3], lab_tables(design)["readout"]))
    for name in HOSTILE[2:]:  # the readout table: a row per class, still three cells with a hostile name
        (row,) = [line for line in md.splitlines() if line.startswith("| ") and "Y" in line and
                  ("b\\>" in line if "<b>" in name else "@A1" in line)]
        assert len(re.split(r"(?<!\\)\|", row)) == 3 + 2, row
    readout = [line for line in md.splitlines() if "b\\>" in line]
    assert readout and "\\<b\\>$x$\\</b\\>" in readout[0] and "<b>" not in md
    assert "@A1 \\| \\` \\|" in md
    with open(tmp_path / "readout.csv", newline="") as f:  # the project's reader undoes the formula quoting
        assert [r["class"] for r in csv_dicts(f)] == list(HOSTILE[2:])
    with open(tmp_path / "readout.csv", newline="") as f:  # ... which a spreadsheet sees
        assert [r["class"] for r in csv.DictReader(f)] == ["<b>$x$</b>", "'@A1 | ` |"]
