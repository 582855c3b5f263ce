"""Data sets for training (IRIS, the GSE73072 virus set, MNIST, any numeric CSV) with seeded stratified splits."""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsdcompile.config import DATASETS  # the built-in names live with the training config that checks them
from dsdcompile.errors import InputError
from dsdcompile.runtime.files import csv_value
from dsdcompile.runtime.resources import regular_file

VIRUS_DIR = "gse73072"
VIRUS_STUDIES = ("DEE1", "DEE2", "DEE3", "DEE4", "DEE5", "DUKE", "UVA")
VIRUS_CLASSES = {"h1n1": "H1N1", "h3n2": "H3N2", "hrv": "HRV", "rsv": "RSV"}
VIRUS_SPLIT = (558, 34, 104)
_TITLE_RE = re.compile(r"^\s*(?P<virus>\S+)\s+(?P<study>DEE\s?\d|DUKE|UVA)\s+Subject\s+(?P<subject>\d+),\s*"
                       r"Hour\s+(?P<hour>-?\d+(?:\.\d+)?)\s*$")

MNIST_DIR = "mnist"
MNIST_SUBSET = "mnist_5k.csv.gz"
MNIST_IDX = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
MNIST_SIDE = 28
MNIST_POOL = 2
MNIST_VAL_SUBSET = 500
MNIST_VAL_FULL = 5000


@dataclass(frozen=True, eq=False)
class Dataset:
    """Raw features and integer labels of a train/validation/test split, with the preprocessing to apply.

    ``preprocessing`` (steps of :mod:`dsdcompile.nn.preprocess`) maps the RAW features to the
    network input; it is fitted on the data as described in ``split["scaler"]``.
    ``image_shape`` is set for image data (height, width of the raw row-major pixels).
    """

    name: str
    input_names: tuple[str, ...]
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessing: tuple[dict, ...]
    split: dict
    description: str
    paper: str | None = None
    image_shape: tuple[int, int] | None = None
    default_hidden: tuple[int, ...] = (32,)
    extra: Mapping = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}


# -- splitting ---------------------------------------------------------------------------------------------
def _quota(counts: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` over classes in proportion to ``counts`` (largest remainder, exact total)."""
    share = counts * n / counts.sum()
    q = np.floor(share).astype(np.int64)
    rest = n - int(q.sum())
    order = np.lexsort((np.arange(len(counts)), -(share - q)))  # largest remainder first, ties by class
    q[order[:rest]] += 1
    return q


def stratified_split(y: np.ndarray, n_val: int, n_test: int, seed: int,
                     n_train: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified split of indices into train/validation/test.

    Each class contributes to every part in proportion to its size (largest remainder, so the
    part sizes are exact). Training gets the rest, or ``n_train`` of it (the others unused).
    """
    y = np.asarray(y)
    if n_val < 0 or n_test < 0 or n_val + n_test >= len(y):
        raise InputError(f"cannot split {len(y)} examples into {n_val} validation and {n_test} test examples "
                         "and keep some for training")
    if n_train is not None and not 0 < n_train <= len(y) - n_val - n_test:
        raise InputError(f"cannot take {n_train} training examples from {len(y) - n_val - n_test}")
    classes = np.unique(y)
    counts = np.array([(y == c).sum() for c in classes])
    q_val, q_test = _quota(counts, n_val), _quota(counts, n_test)
    q_train = _quota(counts, n_train) if n_train is not None else counts
    rng = np.random.default_rng(seed)
    train, val, test = [], [], []
    for c, qv, qt, qr in zip(classes, q_val, q_test, q_train):
        idx = rng.permutation(np.flatnonzero(y == c))
        # a class too small for its quotas keeps at least one training example (tiny CSVs)
        qt = max(min(qt, len(idx) - 1), 0)
        qv = max(min(qv, len(idx) - qt - 1), 0)
        test.append(idx[:qt])
        val.append(idx[qt:qt + qv])
        train.append(idx[qt + qv:qt + qv + qr])
    return tuple(np.sort(np.concatenate(part)) for part in (train, val, test))  # type: ignore[return-value]


def _standardize_step(x: np.ndarray) -> dict:
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return {"op": "standardize", "mean": [float(v) for v in mean], "std": [float(v) for v in std]}


def _require_dir(data_dir: str | Path, sub: str, what: str) -> Path:
    d = Path(data_dir) / sub
    if not d.is_dir():
        raise InputError(f"{what} data not found: no folder {d} (pass --data-dir pointing at the folder that "
                         f"holds {sub}/)")
    return d


# -- IRIS --------------------------------------------------------------------------------------------------
def load_iris(split_seed: int = 0, sizes: tuple[int, int, int] = (90, 30, 30)) -> Dataset:
    """scikit-learn's bundled IRIS (150 flowers, 4 features, 3 classes), stratified 90/30/30, scaler on train."""
    try:
        from sklearn.datasets import load_iris as _sk_iris
    except ImportError as e:
        raise InputError("the IRIS dataset comes with scikit-learn: pip install 'dsdcompile[train]'") from e

    bunch = _sk_iris()
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    names = tuple(n.replace(" (cm)", "").replace(" ", "_") for n in bunch.feature_names)
    tr, va, te = stratified_split(y, sizes[1], sizes[2], split_seed)
    steps = (_standardize_step(x[tr]),)
    return Dataset(
        name="iris", input_names=names, class_names=tuple(str(c) for c in bunch.target_names),
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        preprocessing=steps,
        split={"method": "stratified random split", "seed": split_seed, "sizes": {"train": len(tr),
               "validation": len(va), "test": len(te)}, "scaler": "standardize fitted on the training split"},
        description="IRIS (Fisher 1936) as bundled with scikit-learn: 150 flowers, 4 measurements in cm "
                    "(sepal length/width, petal length/width), 3 species.",
        paper="4-8-3 network, 94% test accuracy (Vasic et al. 2020)",
        default_hidden=(8,),
    )


# -- virus (GEO GSE73072) ----------------------------------------------------------------------------------
def _read_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise InputError("missing data file", path=str(path))
    with open(path, encoding="utf-8", newline="") as f:
        return [r for r in csv.reader(f) if r]


def load_virus_samples(data_dir: str | Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...],
                                                       list[str]]:
    """The 698 classification samples of GSE73072: (x, y, gene names, class names, GSM ids).

    A sample is kept when its subject is infected and onset <= hour < offset (study tables).
    """
    d = _require_dir(data_dir, VIRUS_DIR, "virus (GSE73072)")
    rows = _read_rows(d / "GSE73072_4labels.csv")
    header, gene_rows, label_row = rows[0], rows[1:-1], rows[-1]
    genes = tuple(r[0] for r in gene_rows)
    expr = np.array([[float(v) for v in r[1:]] for r in gene_rows], dtype=np.float64).T  # samples × genes
    gsm = header[1:]
    labels = [v.strip().lower() for v in label_row[1:]]
    if len(labels) != len(gsm) or expr.shape[0] != len(gsm):
        raise InputError("label row and expression columns disagree", path=str(d / "GSE73072_4labels.csv"))
    titles = {}
    with open(d / "GSE73072_sample.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            titles[r["Accession"]] = r["Title"]
    studies: dict[str, dict[int, tuple[bool, float, float]]] = {}
    for s in VIRUS_STUDIES:
        table = {}
        for r in _read_rows(d / f"GSE73072_{s}.csv")[1:]:
            table[int(r[0])] = (int(float(r[3])) == 1, float(r[4]), float(r[5]))
        studies[s] = table
    class_keys = tuple(VIRUS_CLASSES)
    keep, y = [], []
    for j, (g, lab) in enumerate(zip(gsm, labels)):
        m = _TITLE_RE.match(titles.get(g, ""))
        if not m:
            raise InputError(f"sample {g}: cannot parse title {titles.get(g)!r}", path=str(d / "GSE73072_sample.csv"))
        study = m.group("study").replace(" ", "")
        infected, onset, offset = studies[study].get(int(m.group("subject")), (False, math.nan, math.nan))
        hour = float(m.group("hour"))
        if infected and onset <= hour < offset:
            if lab not in VIRUS_CLASSES:
                raise InputError(f"sample {g}: unknown label {lab!r}")
            keep.append(j)
            y.append(class_keys.index(lab))
    return (expr[keep], np.array(y, dtype=np.int64), genes, tuple(VIRUS_CLASSES.values()),
            [gsm[j] for j in keep])


def load_virus(data_dir: str | Path, split_seed: int = 0, sizes: tuple[int, int, int] = VIRUS_SPLIT) -> Dataset:
    """GSE73072 virus classification (698 samples, 10 genes, 4 viruses), stratified 558/34/104 (2 unused).

    As in the paper, the standard scaler is fitted on all 698 samples (means and standard
    deviations only; labels are not used).
    """
    x, y, genes, classes, _ = load_virus_samples(data_dir)
    tr, va, te = stratified_split(y, sizes[1], sizes[2], split_seed, n_train=sizes[0])
    steps = (_standardize_step(x),)
    return Dataset(
        name="virus", input_names=genes, class_names=classes,
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        preprocessing=steps,
        split={"method": "stratified random split", "seed": split_seed,
               "sizes": {"train": len(tr), "validation": len(va), "test": len(te)},
               "scaler": "standardize fitted on all 698 samples, as in the paper (no labels used)",
               "filter": "subject infected and onset <= hour < offset (study tables); 698 samples",
               "unused": len(y) - len(tr) - len(va) - len(te),
               "note": "558/34/104 as in the paper; like the paper's code (whose slicing skips two samples) "
                       "2 of the 698 samples are in no part"},
        description="Host gene expression (10 genes, microarray) of human challenge studies with H1N1, H3N2, "
                    "HRV and RSV, NCBI GEO GSE73072, as published with the paper's code: 698 samples taken "
                    "while the subject was infected (260 H1N1, 193 H3N2, 151 HRV, 94 RSV).",
        paper="10-32-4 network, 95.2% test accuracy (Vasic et al. 2020)",
        default_hidden=(32,),
    )


# -- MNIST -------------------------------------------------------------------------------------------------
def read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file of unsigned bytes into an array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read IDX file ({e})", path=str(path)) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise InputError("not an IDX file of unsigned bytes", path=str(path))
    ndim = data[3]
    dims = tuple(int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise InputError(f"IDX body has {body.size} bytes, header says {dims}", path=str(path))
    return body.reshape(dims)


def _read_mnist_subset(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise InputError("missing data file", path=str(path))
    with gzip.open(path, "rt") as f:
        arr = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != MNIST_SIDE * MNIST_SIDE + 1:
        raise InputError(f"expected 785 columns (784 pixels and the label), got {arr.shape}", path=str(path))
    return arr[:, :-1].astype(np.uint8), arr[:, -1]


def mnist_has_full_train(data_dir: str | Path) -> bool:
    d = Path(data_dir) / MNIST_DIR
    return all((d / f).is_file() for f in MNIST_IDX.values())


def load_mnist(data_dir: str | Path, split_seed: int = 0) -> Dataset:
    """MNIST: trains on all 60,000 images if the four IDX files are there, else on mnist_5k.csv.gz; tests on t10k.

    Raw inputs are the 784 pixel values (0–255, row-major 28×28); preprocessing pools 2×2
    blocks (→ 14×14 = 196 inputs) and centres/scales with the training pixels' mean and std.
    """
    d = _require_dir(data_dir, MNIST_DIR, "MNIST")
    x_test = read_idx(d / MNIST_IDX["test_images"]).reshape(-1, MNIST_SIDE * MNIST_SIDE)
    y_test = read_idx(d / MNIST_IDX["test_labels"]).astype(np.int64)
    if mnist_has_full_train(data_dir):
        x = read_idx(d / MNIST_IDX["train_images"]).reshape(-1, MNIST_SIDE * MNIST_SIDE)
        y = read_idx(d / MNIST_IDX["train_labels"]).astype(np.int64)
        n_val, source = MNIST_VAL_FULL, "the official 60,000-image training set"
    else:
        x, y = _read_mnist_subset(d / MNIST_SUBSET)
        n_val, source = MNIST_VAL_SUBSET, f"the 5,000-image subset {MNIST_SUBSET} of the official training set"
    if len(x) != len(y) or len(x_test) != len(y_test):
        raise InputError("MNIST images and labels differ in number", path=str(d))
    tr, va, _ = stratified_split(y, n_val, 0, split_seed)
    pool = {"op": "pool2d", "height": MNIST_SIDE, "width": MNIST_SIDE, "factor": MNIST_POOL}
    from dsdcompile.nn import preprocess

    pooled = preprocess.apply([pool], x[tr].astype(np.float64))
    mean, std = float(pooled.mean()), float(pooled.std())
    steps = (pool, {"op": "affine", "scale": 1.0 / std, "offset": -mean / std})
    return Dataset(
        name="mnist", input_names=tuple(f"pixel{i}" for i in range(MNIST_SIDE * MNIST_SIDE)),
        class_names=tuple(str(k) for k in range(10)),
        x_train=x[tr].astype(np.float32), y_train=y[tr], x_val=x[va].astype(np.float32), y_val=y[va],
        x_test=x_test.astype(np.float32), y_test=y_test,
        preprocessing=steps,
        split={"method": f"stratified random hold-out of {n_val} training images for validation; test: the "
                         "official 10,000-image t10k set", "seed": split_seed,
               "sizes": {"train": len(tr), "validation": len(va), "test": len(y_test)},
               "scaler": "2x2 mean pooling (28x28 -> 14x14), then (x - mean) / std with the mean and std of "
                         "all pooled training pixels", "train_source": source},
        description=f"MNIST handwritten digits (LeCun, Cortes, Burges): trained on {source}, tested on the full "
                    "official 10,000-image test set; 28×28 images pooled to 14×14.",
        paper="196-512-512-10 network on 14×14 images (Vasic et al. 2020); target here: 96% test accuracy",
        image_shape=(MNIST_SIDE, MNIST_SIDE),
        default_hidden=(512, 512),
    )


# -- any CSV -----------------------------------------------------------------------------------------------
def load_csv(path: str | Path, label_column: str, split_seed: int = 0, val_fraction: float = 0.15,
             test_fraction: float = 0.15) -> Dataset:
    """A CSV with a header, numeric feature columns and a label column; stratified split, scaler on train."""
    p = Path(path)
    regular_file(p, "training CSV")  # a FIFO or /dev/zero is refused, never waited on
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8", newline="") as f:
            rows = [[csv_value(c) for c in r] for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read CSV ({e})", path=str(p)) from None
    if len(rows) < 2:
        raise InputError("the CSV needs a header row and at least one example", path=str(p))
    header = [h.strip() for h in rows[0]]
    if label_column not in header:
        raise InputError(f"no column {label_column!r} in the header ({', '.join(header)})", path=str(p))
    lc = header.index(label_column)
    feature_cols = [i for i in range(len(header)) if i != lc]
    if not feature_cols:
        raise InputError("the CSV has no feature columns besides the label", path=str(p))
    x = np.empty((len(rows) - 1, len(feature_cols)))
    labels = []
    for n, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InputError(f"row has {len(row)} columns, the header {len(header)}", path=str(p), line=n + 2)
        for k, c in enumerate(feature_cols):
            try:
                x[n, k] = float(row[c])
            except ValueError:
                raise InputError(f"column {header[c]!r}: {row[c]!r} is not a number", path=str(p),
                                 line=n + 2) from None
        labels.append(row[lc].strip())
    if not np.isfinite(x).all():
        raise InputError("NaN or inf among the features", path=str(p))
    classes = _sorted_labels(labels)
    if len(classes) < 2:
        raise InputError(f"column {label_column!r} has fewer than two classes", path=str(p))
    y = np.array([classes.index(v) for v in labels], dtype=np.int64)
    for name, frac in (("validation", val_fraction), ("test", test_fraction)):
        if not 0 <= frac < 1:
            raise InputError(f"{name} fraction {frac} is not in [0, 1)")
    n_val, n_test = round(len(y) * val_fraction), round(len(y) * test_fraction)
    n_val = max(n_val, 1)
    tr, va, te = stratified_split(y, n_val, n_test, split_seed)
    return Dataset(
        name=p.name, input_names=tuple(header[c] for c in feature_cols), class_names=tuple(classes),
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        preprocessing=(_standardize_step(x[tr]),),
        split={"method": "stratified random split", "seed": split_seed,
               "sizes": {"train": len(tr), "validation": len(va), "test": len(te)},
               "scaler": "standardize fitted on the training split"},
        description=f"CSV file {p.name}: {len(y)} examples, {len(feature_cols)} numeric features, label column "
                    f"{label_column!r} with {len(classes)} classes.",
    )


def _sorted_labels(labels: Sequence[str]) -> list[str]:
    uniq = set(labels)
    try:
        return sorted(uniq, key=float)
    except ValueError:
        return sorted(uniq)


def load_dataset(name: str | None, data_dir: str | Path, split_seed: int = 0, *, csv_path: str | Path | None = None,
                 label_column: str | None = None, val_fraction: float = 0.15, test_fraction: float = 0.15) -> Dataset:
    """Load a named data set, or a CSV when ``csv_path`` is given."""
    if csv_path is not None:
        if not label_column:
            raise InputError("--csv needs --label-column NAME")
        return load_csv(csv_path, label_column, split_seed, val_fraction, test_fraction)
    if name == "iris":
        return load_iris(split_seed)
    if name == "virus":
        return load_virus(data_dir, split_seed)
    if name == "mnist":
        return load_mnist(data_dir, split_seed)
    raise InputError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)} (or --csv FILE --label-column NAME)")


def shift_images(x: np.ndarray, shape: tuple[int, int], max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each row-major image by a random whole number of pixels in [-max_shift, max_shift] per axis (zero fill)."""
    h, w = shape
    n = x.shape[0]
    img = x.reshape(n, h, w)
    pad = np.zeros((n, h + 2 * max_shift, w + 2 * max_shift), dtype=x.dtype)
    pad[:, max_shift:max_shift + h, max_shift:max_shift + w] = img
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    rows = (max_shift - dy)[:, None] + np.arange(h)[None, :]  # n × h
    cols = (max_shift - dx)[:, None] + np.arange(w)[None, :]  # n × w
    out = pad[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, h * w)
