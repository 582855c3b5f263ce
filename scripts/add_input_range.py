"""Add ``input_range`` to the meta of model files trained before training recorded it.

    python scripts/add_input_range.py designs/iris/model.pt designs/virus/model.pt --data-dir ../shared/data

The range is recomputed exactly as ``dsdcompile train`` records it
(:func:`dsdcompile.nn.input_range.training_range`): the data set the meta names, split with the
meta's split seed, the training split pushed through the preprocessing the meta holds. The
script refuses a model whose data set is not at hand, or whose stored preprocessing differs
from the one the data set gives (then the split is not the one it was trained on). The
weights are written back unchanged (checked bit for bit after saving), and the model card is
left alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np


def _same_steps(a, b) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.get("op") != y.get("op") or set(x) != set(y):
            return False
        for k in x:
            if k == "op":
                continue
            if not np.allclose(np.asarray(x[k], dtype=float), np.asarray(y[k], dtype=float), rtol=1e-12, atol=0):
                return False
    return True


def add_range(path: Path, *, force: bool = False) -> dict:
    import torch

    from dsdcompile.nn.input_range import load_named_dataset, training_range
    from dsdcompile.nn.train import save_model

    obj = torch.load(path, map_location="cpu", weights_only=True)
    sd, meta = obj["state_dict"], dict(obj["meta"])
    if meta.get("input_range") is not None and not force:
        print(f"{path}: already has input_range (use --force to recompute)")
        return meta["input_range"]
    data = load_named_dataset(meta, path)
    if data is None:
        raise SystemExit(f"{path}: the data set {meta.get('dataset')!r} is not at hand (pass --data-dir)")
    if not _same_steps(list(data.preprocessing), list(meta["preprocessing"])):
        raise SystemExit(f"{path}: the data set's preprocessing differs from the model's: not the split it was "
                         "trained on")
    box = training_range(data, meta["preprocessing"])
    meta["input_range"] = box
    save_model(path, sd, meta)
    back = torch.load(path, map_location="cpu", weights_only=True)
    for k, v in sd.items():
        w = back["state_dict"][k]
        if w.dtype != v.dtype or w.shape != v.shape or not torch.equal(w, v):
            raise SystemExit(f"{path}: tensor {k} changed on saving")
    print(f"{path}: input_range over {len(box['low'])} inputs, from {min(box['low']):.4g} to {max(box['high']):.4g} "
          f"(margin {box['margin']}); weights unchanged")
    return box


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--data-dir", help="the folder holding the data sets (gse73072/, mnist/)")
    ap.add_argument("--force", action="store_true", help="recompute a range already recorded")
    args = ap.parse_args(argv)
    if args.data_dir:
        from dsdcompile.nn.input_range import DATA_ENV

        os.environ[DATA_ENV] = str(Path(args.data_dir).resolve())
    for m in args.models:
        add_range(m, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
