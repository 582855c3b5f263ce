"""Measure reading an inputs CSV (chunked reader vs the earlier read-everything reader) and the CRN's memory per weight.

``python scripts/bench_inputs.py`` writes a CSV of ``--rows`` IRIS-like examples (1,000,000 by
default), reads it with the earlier reader (every row kept as a Python list of strings, every
cell converted by ``float()``) and with :func:`dsdcompile.nn.inputs.read_examples`, and prints
wall time and peak traced memory (tracemalloc, which numpy reports to) of each, with their
ratios. Both readers run in this process on the same file; time and memory are measured in
separate passes because tracing slows the code down.

``--crn`` instead measures the peak memory of compiling, reducing and writing the CRN of random
networks per nonzero weight and per unit (what ``Construction.crn_bytes_per_weight`` and
``dsdcompile.runtime.resources.CRN_BYTES_PER_UNIT`` are set from).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.ir import Dense, Network  # noqa: E402
from dsdcompile.nn.inputs import read_examples  # noqa: E402

CLASSES = ("setosa", "versicolor", "virginica")


def earlier_reader(path: Path, network: Network) -> tuple[np.ndarray, np.ndarray]:
    """The reader before the chunked one (its algorithm, for the baseline): all rows, then cell by cell."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    header, rows = rows[0], rows[1:]
    label_col = header.index("label")
    feature_cols = [i for i in range(len(header)) if i != label_col]
    raw = np.empty((len(rows), len(feature_cols)))
    labels = []
    index = {c: k for k, c in enumerate(network.class_names)}
    for n, row in enumerate(rows):
        for k, col in enumerate(feature_cols):
            raw[n, k] = float(row[col])
        labels.append(index[row[label_col].strip()])
    return raw, np.array(labels)


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    r = random.Random(seed)
    with open(path, "w") as f:
        f.write("sl,sw,pl,pw,label\n")
        for _ in range(rows):
            f.write(f"{r.uniform(4, 8):.2f},{r.uniform(2, 4):.2f},{r.uniform(1, 7):.2f},{r.uniform(0, 3):.2f},"
                    f"{CLASSES[r.randrange(3)]}\n")


def measure(fn) -> tuple[float, int, object]:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    del result
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, result


def bench_csv(rows: int) -> None:
    net = Network((Dense(np.ones((3, 4)), np.zeros(3), relu=False),), ("sl", "sw", "pl", "pw"), CLASSES)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rows.csv"
        write_csv(path, rows)
        size = path.stat().st_size
        t_old, m_old, (raw_old, lab_old) = measure(lambda: earlier_reader(path, net))
        t_new, m_new, ex = measure(lambda: read_examples(path, net))
    assert np.array_equal(raw_old, ex.raw) and np.array_equal(lab_old, ex.labels), "the readers disagree"
    print(f"inputs CSV: {rows} rows × 4 features + label ({size / 1e6:.1f} MB)")
    print(f"  earlier reader: {t_old:6.2f} s, peak {m_old / 1e6:8.1f} MB")
    print(f"  chunked reader: {t_new:6.2f} s, peak {m_new / 1e6:8.1f} MB")
    print(f"  ratio (earlier / chunked): time {t_old / t_new:.1f}×, memory {m_old / m_new:.1f}×")


def bench_crn() -> None:
    from dsdcompile import constructions
    from dsdcompile.crn import write_crn, write_crn_json
    from dsdcompile.passes import compile_network, reduce_crn
    from dsdcompile.passes.anderson import compile_anderson
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.random_nets import random_ternary_network

    from dsdcompile.runtime.resources import CRN_BYTES_PER_UNIT

    print("CRN peak memory (compile, reduce, write .crn and .json) per nonzero weight and per unit:")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        for sizes in [(200, 100, 10), (2000, 20, 3), (50, 50, 50, 10), (50_000, 3)]:
            net = random_ternary_network(sizes, seed=1)
            nonzero = sum(int(np.count_nonzero(layer.weight)) for layer in net.layers)
            units = sum(sizes)
            for name in ("vasic2020", "anderson2021"):
                tracemalloc.start()
                if name == "vasic2020":
                    crns = [compile_network(net)]
                    crns.append(reduce_crn(crns[0]))
                else:
                    crns = [compile_anderson(net, 0.01)]
                for i, c in enumerate(crns):
                    write_crn(c, out / f"{i}.crn")
                    write_crn_json(c, out / f"{i}.json")
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                set_to = constructions.get(name).crn_bytes_per_weight
                print(f"  {name:13s} {str(sizes):18s} {nonzero:6d} weights {units:5d} units: peak {peak / 1e6:7.1f} MB"
                      f" = {peak / nonzero:6.0f} B per weight (estimate: {set_to} per weight + "
                      f"{CRN_BYTES_PER_UNIT} per unit = {(set_to * nonzero + CRN_BYTES_PER_UNIT * units) / peak:.2f}×)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--crn", action="store_true", help="measure the CRN's memory per weight instead")
    args = ap.parse_args()
    if args.crn:
        bench_crn()
    else:
        bench_csv(args.rows)


if __name__ == "__main__":
    main()
