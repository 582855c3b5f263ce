"""Reading example CSVs: header detection, label columns, and errors that name the line."""

import gzip

import numpy as np
import pytest

from dsdcompile.errors import InputError
from dsdcompile.ir import Dense, Network
from dsdcompile.nn.inputs import read_examples


@pytest.fixture
def net():
    return Network((Dense(np.ones((2, 3)), np.zeros(2), False),), ("a", "b", "c"), ("yes", "no"),
                   preprocessing=({"op": "affine", "scale": 2.0, "offset": 0.0},))


def test_header_by_name_with_label(tmp_path, net):
    (tmp_path / "x.csv").write_text("label,c,b,a\nno,3,2,1\nyes,6,5,4\n")
    ex = read_examples(tmp_path / "x.csv", net)
    assert ex.raw.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert ex.x.tolist() == [[2, 4, 6], [8, 10, 12]]
    assert ex.labels.tolist() == [1, 0]


def test_no_header_trailing_label_index(tmp_path, net):
    (tmp_path / "x.csv").write_text("1,2,3,1\n4,5,6,0\n")
    ex = read_examples(tmp_path / "x.csv", net)
    assert ex.labels.tolist() == [1, 0]


def test_gzip_without_labels(tmp_path, net):
    with gzip.open(tmp_path / "x.csv.gz", "wt") as f:
        f.write("1,2,3\n")
    ex = read_examples(tmp_path / "x.csv.gz", net)
    assert ex.labels is None and ex.raw.shape == (1, 3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1,2\n", "has 2 feature columns but the network takes 3"),
        ("p,q,r,s,t\n1,2,3,4,5\n", "has 5 feature columns"),
        ("1,2,3\n4,5,x\n", r"x.csv:2:3: column 3: 'x' is not a number"),
        ("a,b,c,label\n1,2,3,maybe\n", "label 'maybe' is neither a class name"),
        ("1,2,nan\n", "NaN or inf"),
        ("", "no rows"),
        ("a,b,c\n", "header but no examples"),
    ],
)
def test_bad_csv(tmp_path, net, text, message):
    (tmp_path / "x.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_examples(tmp_path / "x.csv", net)


# -- issue 14: what the reader refuses, and that reading in chunks changes nothing --------------------------
import os  # noqa: E402

from dsdcompile.nn import inputs as inputs_module  # noqa: E402
from dsdcompile.runtime.executors import call_with_timeout  # noqa: E402


@pytest.mark.parametrize("label", ["inf", "-inf", "1e400", "nan", "1.5", "-1", "2", "1e20", "9" * 400])
def test_labels_that_are_not_class_indices(tmp_path, net, label):
    (tmp_path / "x.csv").write_text(f"a,b,c,label\n1,2,3,{label}\n")
    with pytest.raises(InputError, match=r"x.csv:2:4: label .* is neither a class name"):
        read_examples(tmp_path / "x.csv", net)


@pytest.mark.parametrize("text", ["\ufeff1,2,3\n4,5,6\n", "\ufeffa,b,c\n1,2,3\n4,5,6\n", "1,2,3\r\n\r\n4,5,6\r\n"])
def test_byte_order_mark_and_crlf_are_not_data(tmp_path, net, text):
    (tmp_path / "x.csv").write_text(text, encoding="utf-8")
    assert read_examples(tmp_path / "x.csv", net).raw.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_truncated_and_corrupt_gzip_are_one_error(tmp_path, net):
    data = gzip.compress(b"1,2,3\n" * 1000)
    for name, content in (("short.csv.gz", data[: len(data) // 2]), ("tail.csv.gz", data[:-4]),
                          ("bad.csv.gz", data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:]),
                          ("magic.csv.gz", b"\x1f\x8b" + b"\x00" * 50)):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=rf"{name}: cannot read CSV \(") as err:
            read_examples(tmp_path / name, net)
        assert "\n" not in str(err.value)
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="the compressed data ends early: the file is truncated"):
        read_examples(tmp_path / "cut.csv.gz", net)


def _read_in_child(path, net):
    """Reading in a forked child with a time limit: a regression that opens a FIFO must not hang the suite."""
    outcome = call_with_timeout(lambda p: _message(p, net), path, timeout=30)
    assert not outcome.timed_out, f"reading {path} blocked"
    return outcome.value


def _message(path, net):
    try:
        read_examples(path, net)
    except InputError as e:
        return str(e)
    return None


def test_fifo_and_devices_are_refused_without_reading(tmp_path, net):
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    assert "is a named pipe (FIFO), not a regular inputs CSV" in _read_in_child(fifo, net)
    assert "/dev/zero: is a device" in _read_in_child("/dev/zero", net)


def test_endless_line_is_refused_before_it_is_held(tmp_path, net, monkeypatch):
    monkeypatch.setattr(inputs_module, "MAX_LINE_CHARS", 1000)
    monkeypatch.setattr(inputs_module, "BLOCK_CHARS", 64)
    (tmp_path / "x.csv").write_text("1,2,3\n" + "7" * 5000)
    with pytest.raises(InputError, match=r"x.csv:2: line is longer than"):
        read_examples(tmp_path / "x.csv", net)


def test_chunks_give_the_same_examples_and_the_right_line_numbers(tmp_path, net, monkeypatch):
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 3)).round(3)
    lines = ["a,b,c,label"] + [f"{r[0]},{r[1]},{r[2]},{['yes', 'no'][i % 2]}" for i, r in enumerate(rows)]
    (tmp_path / "x.csv").write_text("\n".join(lines[:20]) + "\n\n" + "\n".join(lines[20:]) + "\n")
    whole = read_examples(tmp_path / "x.csv", net)
    monkeypatch.setattr(inputs_module, "CHUNK_ROWS", 7)
    monkeypatch.setattr(inputs_module, "BLOCK_CHARS", 50)  # lines split across blocks too
    chunked = read_examples(tmp_path / "x.csv", net)
    assert np.array_equal(whole.raw, rows) and np.array_equal(chunked.raw, rows)
    assert chunked.labels.tolist() == [i % 2 for i in range(50)] == whole.labels.tolist()
    lines[40] = lines[40].replace(",", ",x", 1)  # row 40 is on line 42 (a blank line precedes it)
    (tmp_path / "x.csv").write_text("\n".join(lines[:20]) + "\n\n" + "\n".join(lines[20:]) + "\n")
    with pytest.raises(InputError, match=r"x.csv:42:2: column 2: 'x"):
        read_examples(tmp_path / "x.csv", net)


def test_inputs_that_would_not_fit_in_memory_are_refused(tmp_path, net):
    (tmp_path / "x.csv").write_text("1,2,3\n" * 10_000)
    with pytest.raises(InputError, match=r"the inputs CSV \(about 10000 rows × 3 features\) would need about"):
        read_examples(tmp_path / "x.csv", net, max_memory=100_000)
    assert read_examples(tmp_path / "x.csv", net, max_memory=10**7).raw.shape == (10_000, 3)


@pytest.mark.parametrize("text", ["1,2,3\n4,5,6,7,8\n", "a,b,c\n1,2,3\n4,5\n", "1,2,3\n4,5,6,\n"])
def test_rows_of_a_different_width_are_refused(tmp_path, net, text):
    (tmp_path / "x.csv").write_text(text)
    with pytest.raises(InputError, match=r"x.csv:\d: row has \d columns, expected 3 \(as the first row\)"):
        read_examples(tmp_path / "x.csv", net)
