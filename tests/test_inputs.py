"""Reading example CSVs: header detection, label columns, and errors that name the line."""

import gzip

import numpy as np
import pytest

from dsdcompile.errors import InputError
from dsdcompile.inputs import read_examples
from dsdcompile.ir import Dense, Network


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
