"""Sparsity versus accuracy and DNA cost: ternary virus 10-32-4 models trained with `--sparsity λ` for several λ.

Every run uses the settings of designs/virus (its model card: 300 epochs, lr 0.03 → 1e-4, batch 16,
ternary threshold 0.15, seed 2, split seed 0) and differs only in λ, the weight of the penalty
λ·Σ|w| on the shadow weights; λ = 0 is designs/virus itself (checked bit for bit against the
shipped model). Nothing is written into designs/. For each model: non-zero weights, test and
validation accuracy (exported network), formal reactions, total formal product molecules (sum
over reactions of their product counts; each is a DNA species the translation must supply),
reduced reactions and, with --dsd, the nucleotides of the soloveichik2010 DSD translation of the
formal CRN.

    python scripts/sparsity_tradeoff.py [--lambdas 0,1e-4,3e-4,1e-3,3e-3,1e-2] [--dsd]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.ir import CRN  # noqa: E402
from dsdcompile.nn.load import network_from_state_dict  # noqa: E402
from dsdcompile.nn.train import TrainConfig, train  # noqa: E402
from dsdcompile.passes import compile_network, reduce_crn  # noqa: E402

DATA_DIR = "../shared/data"  # relative to the repository root, like scripts/train_designs.py
BASE = TrainConfig(dataset="virus", data_dir=DATA_DIR, out="/dev/null", hidden=(32,), epochs=300, batch_size=16,
                   lr=0.03, lr_final=1e-4, dropout=0.0, weights="ternary", ternary_threshold=0.15, seed=2,
                   split_seed=0, construction="vasic2020", threads=1, quiet=True)


def product_molecules(crn: CRN) -> int:
    """Sum over reactions of the number of product molecules."""
    return int(sum(n for r in crn.reactions for _, n in r.products))


def dsd_nucleotides(crn: CRN) -> int:
    """Nucleotides of the soloveichik2010 translation of ``crn`` (all strands, fuels included)."""
    from dsdcompile.dsd.outputs import dsd_counts
    from dsdcompile.dsd.translate import translate

    return int(dsd_counts(translate(crn, "soloveichik2010"), None)["nucleotides"])


def shipped_matches(sd: dict) -> bool | None:
    """Whether ``sd`` equals designs/virus/model.pt's state_dict (None when it is not there)."""
    import torch

    path = ROOT / "designs" / "virus" / "model.pt"
    if not path.is_file():
        return None
    shipped = torch.load(path, weights_only=True)["state_dict"]
    return shipped.keys() == sd.keys() and all(torch.equal(v, sd[k]) for k, v in shipped.items())


def row(lam: float, dsd: bool) -> dict:
    t = time.perf_counter()
    result = train(dataclasses.replace(BASE, sparsity=lam), write=False)
    net = network_from_state_dict(result.state_dict, result.meta)
    formal = compile_network(net)
    reduced = reduce_crn(formal)
    acc = result.meta["accuracy"]
    out = {
        "lambda": lam,
        "nonzero": result.meta["nonzero_weights"],
        "test": acc["test"],
        "validation": acc["validation"],
        "reactions": formal.n_reactions,
        "products": product_molecules(formal),
        "reduced": reduced.n_reactions,
        "nucleotides": dsd_nucleotides(formal) if dsd else None,
        "shipped": shipped_matches(result.state_dict) if lam == 0 else None,
    }
    print(f"λ={lam:g}: {out['nonzero']} non-zero weights, test {100 * acc['test']:.2f}%, "
          f"{time.perf_counter() - t:.0f}s", file=sys.stderr, flush=True)
    return out


def table(rows: list[dict], total: int) -> str:
    head = ["λ", f"non-zero weights (of {total})", "test accuracy", "validation accuracy", "formal reactions",
            "formal product molecules", "reduced reactions"]
    dsd = any(r["nucleotides"] is not None for r in rows)
    if dsd:
        head.append("DSD nucleotides (soloveichik2010)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['lambda']:g}", str(r["nonzero"]), f"{100 * r['test']:.2f}%", f"{100 * r['validation']:.2f}%",
                 str(r["reactions"]), str(r["products"]), str(r["reduced"])]
        if dsd:
            cells.append(f"{r['nucleotides']:,}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lambdas", default="0,1e-4,3e-4,1e-3,3e-3,1e-2",
                   help="Comma-separated sparsity weights λ.")
    p.add_argument("--dsd", action="store_true", help="Also translate each formal CRN to DSD (soloveichik2010).")
    args = p.parse_args()
    import os

    import torch

    torch.set_num_threads(1)
    os.chdir(ROOT)  # DATA_DIR is relative to the repository root
    rows = [row(float(v), args.dsd) for v in args.lambdas.split(",")]
    print(table(rows, 10 * 32 + 32 * 4))
    zero = next((r for r in rows if r["lambda"] == 0), None)
    if zero is not None and zero["shipped"] is not None:
        print(f"\nλ = 0 reproduces designs/virus/model.pt bit for bit: {zero['shipped']}.")
    print(f"Test set: 104 examples (one example = {100 / 104:.2f}%); validation: 34 "
          f"({100 / 34:.2f}%). Same seed for every λ; no selection on the test set.")


if __name__ == "__main__":
    main()
