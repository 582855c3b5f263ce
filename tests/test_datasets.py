"""Data set loaders: the virus filter's 698 samples, the paper's split sizes, MNIST shapes, CSVs and splits."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from dsdcompile.errors import InputError
from dsdcompile.nn import datasets as ds
from dsdcompile.nn import preprocess

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
needs_virus = pytest.mark.skipif(not (DATA / "gse73072").is_dir(),
                                 reason=f"virus data (GSE73072) not found at {DATA / 'gse73072'}")
needs_mnist = pytest.mark.skipif(not (DATA / "mnist" / "mnist_5k.csv.gz").is_file(),
                                 reason=f"MNIST data not found at {DATA / 'mnist'}")


def test_stratified_split_sizes_disjoint_and_seeded():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    tr, va, te = ds.stratified_split(y, 10, 20, seed=3)
    assert (len(tr), len(va), len(te)) == (70, 10, 20)
    assert len(set(tr) | set(va) | set(te)) == 100
    assert np.bincount(y[te]).tolist() == [10, 6, 4]
    again = ds.stratified_split(y, 10, 20, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    other = ds.stratified_split(y, 10, 20, seed=4)
    assert not np.array_equal(te, other[2])


def test_stratified_split_with_unused_examples():
    y = np.repeat([0, 1], [51, 49])
    tr, va, te = ds.stratified_split(y, 10, 10, seed=0, n_train=78)
    assert (len(tr), len(va), len(te)) == (78, 10, 10)
    assert len(set(tr) | set(va) | set(te)) == 98


def test_stratified_split_rejects_impossible_sizes():
    with pytest.raises(InputError, match="cannot split"):
        ds.stratified_split(np.zeros(10), 5, 5, seed=0)


def test_iris_split_is_stratified_90_30_30():
    d = ds.load_iris()
    assert d.sizes() == {"train": 90, "validation": 30, "test": 30}
    assert [np.bincount(y).tolist() for y in (d.y_train, d.y_val, d.y_test)] == [[30] * 3, [10] * 3, [10] * 3]
    assert d.input_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    x = preprocess.apply(d.preprocessing, d.x_train)
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(x.std(0), 1, atol=1e-12)


@needs_virus
def test_virus_filter_keeps_the_papers_698_samples():
    x, y, genes, classes, gsm = ds.load_virus_samples(DATA)
    assert x.shape == (698, 10) and len(genes) == 10 and len(gsm) == 698
    assert classes == ("H1N1", "H3N2", "HRV", "RSV")
    assert np.bincount(y).tolist() == [260, 193, 151, 94]


@needs_virus
def test_virus_split_558_34_104():
    d = ds.load_virus(DATA)
    assert d.sizes() == {"train": 558, "validation": 34, "test": 104}
    assert d.split["unused"] == 2
    # the scaler is fitted on all 698 samples, as in the paper
    x_all = np.vstack([d.x_train, d.x_val, d.x_test])
    x = preprocess.apply(d.preprocessing, x_all)
    assert np.abs(x.mean(0)).max() < 0.05
    # the test set is stratified
    assert np.bincount(d.y_test).tolist() == [39, 29, 22, 14]


def test_missing_data_dir_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="data not found"):
        ds.load_dataset("virus", tmp_path)
    with pytest.raises(InputError, match="data not found"):
        ds.load_dataset("mnist", tmp_path)
    with pytest.raises(InputError, match="unknown dataset"):
        ds.load_dataset("cifar", tmp_path)


@needs_mnist
def test_mnist_shapes_and_preprocessing():
    d = ds.load_mnist(DATA)
    assert d.x_train.shape[1] == 784 and d.x_test.shape == (10000, 784)
    if not ds.mnist_has_full_train(DATA):
        assert d.sizes() == {"train": 4500, "validation": 500, "test": 10000}
    assert d.x_train.min() >= 0 and d.x_train.max() <= 255
    assert sorted(set(d.y_test.tolist())) == list(range(10))
    assert preprocess.raw_size(d.preprocessing, 196) == 784
    x = preprocess.apply(d.preprocessing, d.x_train)
    assert x.shape == (len(d.y_train), 196)
    assert abs(x.mean()) < 1e-6 and abs(x.std() - 1) < 1e-6
    assert d.image_shape == (28, 28)


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    p = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(header + arr.tobytes())
    np.testing.assert_array_equal(ds.read_idx(p), arr)
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x01\x02\x03\x04"))
    with pytest.raises(InputError, match="not an IDX"):
        ds.read_idx(tmp_path / "bad.gz")


def test_shift_images():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, size=(20, 36)).astype(np.float32)
    same = ds.shift_images(x, (6, 6), 0, rng)
    np.testing.assert_array_equal(same, x)
    img = np.zeros((1, 36), dtype=np.float32)
    img[0, 3 * 6 + 3] = 1.0
    out = ds.shift_images(np.repeat(img, 50, 0), (6, 6), 2, np.random.default_rng(1))
    assert out.shape == (50, 36)
    assert np.all(out.sum(1) == 1)  # a centre pixel stays inside the frame
    assert len({int(np.argmax(r)) for r in out}) > 5


def test_load_csv(tmp_path):
    p = tmp_path / "data.csv"
    rows = ["f1,f2,kind"] + [f"{i},{i % 7 * 0.5},{'ab'[i % 2]}" for i in range(40)]
    p.write_text("\n".join(rows) + "\n")
    d = ds.load_csv(p, "kind", val_fraction=0.2, test_fraction=0.2)
    assert d.input_names == ("f1", "f2") and d.class_names == ("a", "b")
    assert d.sizes() == {"train": 24, "validation": 8, "test": 8}
    assert d.preprocessing[0]["op"] == "standardize"
    with pytest.raises(InputError, match="no column"):
        ds.load_csv(p, "label")
    p.write_text("f1,kind\n1,a\nx,b\n")
    with pytest.raises(InputError, match="not a number"):
        ds.load_csv(p, "kind")


def _write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_mnist_uses_the_full_training_set_when_all_four_idx_files_are_there(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "mnist"
    d.mkdir()
    n_train = ds.MNIST_VAL_FULL + 100
    _write_idx(d / ds.MNIST_IDX["train_images"], rng.integers(0, 256, size=(n_train, 28, 28)))
    _write_idx(d / ds.MNIST_IDX["train_labels"], np.arange(n_train) % 10)
    _write_idx(d / ds.MNIST_IDX["test_images"], rng.integers(0, 256, size=(20, 28, 28)))
    _write_idx(d / ds.MNIST_IDX["test_labels"], np.arange(20) % 10)
    assert ds.mnist_has_full_train(tmp_path)
    m = ds.load_mnist(tmp_path)
    assert m.sizes() == {"train": 100, "validation": ds.MNIST_VAL_FULL, "test": 20}
    assert "60,000" in m.split["train_source"]
