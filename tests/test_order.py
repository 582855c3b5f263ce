"""Order sheets: well order, plates, scale and purification, warnings, xlsx = CSV, reproducible bytes."""

from __future__ import annotations

import pytest

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import InputError
from dsdcompile.lab.order import OrderStrand, plate_rows, purification, tube_scale, write_order_sheets
from dsdcompile.runtime.files import csv_rows


def strands(n: int, length: int = 20) -> list[OrderStrand]:
    bases = "ACGT"
    return [OrderStrand(f"s{i}", "".join(bases[(i >> (2 * j)) % 4] for j in range(4)) + "A" * (length - 4))
            for i in range(n)]


def read_csv(path) -> list[list[str]]:
    """As the project reads its CSVs: a formula-leading name carries a quote in the file (test_csv_safety)."""
    with open(path, newline="") as fh:
        return list(csv_rows(fh))


def test_wells_fill_column_major():
    wells = plate_rows(strands(10))
    assert [w.well for w in wells] == ["A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1", "A2", "B2"]
    assert {w.plate for w in wells} == {"plate-1"}
    assert [w.name for w in wells] == [f"s{i}" for i in range(10)]


def test_97_strands_take_two_plates(tmp_path):
    wells = plate_rows(strands(97))
    assert wells[95].plate == "plate-1" and wells[95].well == "H12"
    assert wells[96].plate == "plate-2" and wells[96].well == "A1"
    result = write_order_sheets(strands(97), tmp_path)
    assert result.plates == 2
    assert read_csv(tmp_path / "order_plate_2.csv") == [["Well Position", "Name", "Sequence"],
                                                       ["A1", "s96", strands(97)[96].sequence]]
    assert len(read_csv(tmp_path / "order_plate_1.csv")) == 97


def test_scale_and_page_threshold(tmp_path):
    c = SequenceConstraints(page_min_nt=60)
    assert [purification(n, c) for n in (59, 60, 61)] == ["STD", "PAGE", "PAGE"]
    assert [tube_scale(n) for n in (60, 61, 90, 91, 200)] == ["25nm", "100nm", "100nm", "4nmU", "4nmU"]
    order = [OrderStrand("short", "ACGT" * 14 + "ACG"), OrderStrand("page", "ACGT" * 15),
             OrderStrand("ultramer", "ACGT" * 25)]
    write_order_sheets(order, tmp_path, c)
    rows = read_csv(tmp_path / "order_tubes.csv")
    assert rows[0] == ["Name", "Sequence", "Scale", "Purification"]
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("short", "25nm", "STD"), ("page", "25nm", "PAGE"),
                                                      ("ultramer", "4nmU", "PAGE")]


def test_warnings_over_limit_and_duplicate_sequence(tmp_path):
    order = [OrderStrand("long", "ACGT" * 57 + "AC"), OrderStrand("a", "ACGTACGTAC"), OrderStrand("b", "ACGTACGTAC")]
    result = write_order_sheets(order, tmp_path, SequenceConstraints(synthesis_limit_nt=200))
    assert ("strand long is 230 nt, over the 200 nt synthesis limit: split it or order as gBlock/assembled"
            in result.warnings)
    assert any("names a, b" in w and "order once" in w for w in result.warnings)


def test_xlsx_matches_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    order = strands(100) + [OrderStrand("=not a formula", "ACGTTGCA")]
    result = write_order_sheets(order, tmp_path)
    assert str(tmp_path / "order_plates.xlsx") in result.files
    wb = openpyxl.load_workbook(tmp_path / "order_plates.xlsx")
    assert wb.sheetnames == ["plate-1", "plate-2"]
    for k, name in enumerate(wb.sheetnames, start=1):
        sheet = [[str(v) for v in row] for row in wb[name].iter_rows(values_only=True)]
        assert sheet == read_csv(tmp_path / f"order_plate_{k}.csv")
    assert wb["plate-2"]["B6"].value == "=not a formula"


def test_bytes_identical_between_writes(tmp_path):
    order = strands(120, length=70)
    a = write_order_sheets(order, tmp_path / "a")
    b = write_order_sheets(order, tmp_path / "b")
    names = sorted(p.rsplit("/", 1)[1] for p in a.files)
    assert names == sorted(p.rsplit("/", 1)[1] for p in b.files)
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n


@pytest.mark.parametrize("order, match", [
    ([OrderStrand("x", "ACGU")], "only A, C, G, T"),
    ([OrderStrand("x", "acgt")], "only A, C, G, T"),
    ([OrderStrand("x", "ACGT"), OrderStrand("x", "TTTT")], "used twice"),
    ([OrderStrand("x", "")], "empty sequence"),
    ([], "no strands"),
])
def test_bad_input_writes_nothing(tmp_path, order, match):
    out = tmp_path / "order"
    with pytest.raises(InputError, match=match):
        write_order_sheets(strands(5) + order if order else order, out)
    assert not out.exists()


def test_missing_openpyxl_is_reported(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_openpyxl(name, *args, **kwargs):
        if name == "openpyxl" or name.startswith("openpyxl."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    result = write_order_sheets(strands(3), tmp_path)
    assert not (tmp_path / "order_plates.xlsx").exists()
    assert any("openpyxl is not installed" in w for w in result.warnings)
    assert sorted(p.rsplit("/", 1)[1] for p in result.files) == ["order_plate_1.csv", "order_tubes.csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
