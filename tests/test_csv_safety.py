"""Issue 26, item 1: no CSV the project writes holds a text cell a spreadsheet would run as a formula (CWE-1236),
numbers stay numbers, and every reader of the project reads the neutralised text back to the name it was."""

import csv
import importlib.util
import random
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.runtime.files import CsvWriter, csv_cell, csv_dicts, csv_rows, csv_value, read_csv, write_csv

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "scripts" / "fuzz_inputs.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_inputs", fuzz)
_spec.loader.exec_module(fuzz)

NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
CLASSES = ["=1+1", "@SUM(A1)", "-2+3"]
INPUTS = ["+cmd", "@x", "-pw", "=A1"]
TEXTS = ["=1+1", "@SUM(A1)", "-2+3", "+cmd", "\tx", "\rx", "'", "''", "'=1", "''=1", "'abc", "-", "+", "=", "@",
         "a=b", "", " =x", "-2.5", "+1e-3", ".5", "-inf", "-nan", "--1", "1-", "\t", "\r"]


def formula_cells(path: Path) -> list[str]:
    """Text cells a spreadsheet would take for a formula: a formula lead, and not a plain number."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row
                if c and c[0] in "=+-@\t\r" and not NUMBER.fullmatch(c)]


@pytest.mark.parametrize("text", TEXTS)
def test_every_text_is_neutralised_and_restored(text):
    cell = csv_cell(text)
    assert csv_value(cell) == text
    assert not (cell and cell[0] in "=+-@\t\r") or NUMBER.fullmatch(cell)


def test_random_texts_round_trip_through_a_file(tmp_path):
    rng = random.Random(0)
    alphabet = "=+-@\t\r'\" ,;\n|aZ09.eE"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(2000)]
    rows = [texts[i:i + 5] for i in range(0, len(texts), 5)]
    write_csv(tmp_path / "t.csv", ["a", "=b", "+c", "-d", "@e"], rows)
    assert formula_cells(tmp_path / "t.csv") == []
    back = read_csv(tmp_path / "t.csv")
    assert back[0] == ["a", "=b", "+c", "-d", "@e"] and back[1:] == rows
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as fh:
        dicts = list(csv_dicts(fh))
    assert [d["=b"] for d in dicts] == [r[1] for r in rows]


def test_numbers_stay_numbers(tmp_path):
    with open(tmp_path / "n.csv", "w", newline="", encoding="utf-8") as fh:
        CsvWriter(fh).writerow([-2.5, -3, "-2.5", "+1e-3", float("-inf"), "-1e308", True])
    with open(tmp_path / "n.csv", newline="", encoding="utf-8") as fh:
        (row,) = list(csv.reader(fh))
    assert row == ["-2.5", "-3", "-2.5", "+1e-3", "-inf", "-1e308", "True"]
    with open(tmp_path / "n.csv", newline="", encoding="utf-8") as fh:
        assert next(csv_rows(fh))[0] == "-2.5"


def test_a_quote_a_user_typed_is_kept():
    """A cell a person wrote with a leading quote (not one the writer makes) is read as written."""
    assert csv_value("'abc") == "'abc" and csv_value("'") == "'" and csv_value("'=x") == "=x"


def _hostile_model(tmp_path: Path) -> Path:
    torch = pytest.importorskip("torch")
    path = tmp_path / "iris.pt"
    torch.save({"state_dict": fuzz._ternary_sd(torch),
                "meta": dict(fuzz.GOOD_META, class_names=CLASSES, input_names=INPUTS)}, path)
    rows = [[5.1, 3.5, 1.4, 0.2, CLASSES[0]], [6.2, 2.9, 4.3, 1.3, CLASSES[1]], [7.7, 3.0, 6.1, 2.3, CLASSES[2]]]
    with open(tmp_path / "x.csv", "w", newline="", encoding="utf-8") as fh:  # as a user writes it: raw
        csv.writer(fh).writerows([[*INPUTS, "label"], *rows])
    return path


def _dicts(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv_dicts(fh))


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.slow
def test_a_design_from_hostile_names_has_no_formula_cell_and_every_reader_round_trips(tmp_path):
    """Compile (with the DSD and lab stages), mix, report and sequences on an IRIS design whose class and input
    names are formulas: 0 formula-leading text cells in any CSV; the readers get the names back (about 80 s)."""
    model = _hostile_model(tmp_path)
    design = tmp_path / "design"
    res = _run("compile", model, "--inputs", tmp_path / "x.csv", "--scheme", "soloveichik2010", "--out", design, "-q")
    assert res.exit_code == 0, res.output
    csvs = sorted(design.glob("*.csv"))
    names = {p.name for p in csvs}
    assert {"examples.csv", "inputs.csv", "kinetics.csv", "fluorescence.csv", "readout.csv", "reporters.csv",
            "wells.csv"} <= names
    assert {p.name: formula_cells(p) for p in csvs} == {p.name: [] for p in csvs}
    # the project's own readers: the names as they were
    assert [r["class"] for r in _dicts(design / "readout.csv")] == CLASSES
    examples = read_csv(design / "examples.csv")
    assert [f"nn_{c}" for c in CLASSES] == examples[0][3:6]
    assert {r[1] for r in examples[1:]} == set(CLASSES)
    assert {r["input"] for r in _dicts(design / "inputs.csv")} - {""} == set(INPUTS)

    # mix: an inputs file written by the project's writer (neutralised header and sample names) reads back
    samples = ["=HYPERLINK(A1)", "-x", "@y"]
    write_csv(tmp_path / "s.csv", ["sample", *INPUTS], [[s, 5.1, 3.5, 1.4, 0.2] for s in samples])
    res = _run("mix", design, "--inputs", tmp_path / "s.csv", "--out", tmp_path / "mix", "-q")
    assert res.exit_code == 0, res.output
    for p in sorted((tmp_path / "mix").glob("*.csv")):
        assert formula_cells(p) == [], p.name
    back = read_csv(tmp_path / "mix" / "samples.csv")
    assert back[0][1:5] == INPUTS and [r[0] for r in back[1:]] == samples
    assert set(samples) <= {r["sample"] for r in _dicts(tmp_path / "mix" / "wells.csv")}
    assert "=HYPERLINK(A1)" in (tmp_path / "mix" / "mix.md").read_text(encoding="utf-8")

    # report: every name shown as it is, never with the quote the CSV carries
    res = _run("report", design, "-q")
    assert res.exit_code == 0, res.output
    page = (design / "index.html").read_text(encoding="utf-8")
    assert "=1+1" in page and "@SUM(A1)" in page
    assert not re.search(r"(?:'|&#x27;|&#39;)[-=+@]", page)

    # sequences: rewrites the design's CSVs (reading them back first) and adds its own
    res = _run("sequences", design, "-q")
    assert res.exit_code in (0, 5), res.output
    for p in sorted(design.glob("*.csv")):
        assert formula_cells(p) == [], p.name
    assert [r["class"] for r in _dicts(design / "readout.csv")] == CLASSES
    assert {r["input"] for r in _dicts(design / "inputs.csv")} - {""} == set(INPUTS)
