"""The ``dsdcompile train`` command: parses options into a TrainConfig and calls :func:`dsdcompile.nn.train.train`."""

from __future__ import annotations

from pathlib import Path

import click

from dsdcompile.cli import errors
from dsdcompile.config import DATASETS, WEIGHTS, TrainConfig, parse_hidden
from dsdcompile.constructions import names as construction_names

_D = TrainConfig()


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dataset", type=click.Choice(list(DATASETS)), default=_D.dataset, show_default=True,
              help="A built-in data set (ignored with --csv).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Train on this CSV instead: a header, numeric feature columns and --label-column.")
@click.option("--label-column", default=_D.label_column, help="The label column of --csv.")
@click.option("--val-fraction", type=float, default=_D.val_fraction, show_default=True,
              help="--csv: fraction of the examples held out for validation.")
@click.option("--test-fraction", type=float, default=_D.test_fraction, show_default=True,
              help="--csv: fraction of the examples held out for testing.")
@click.option("--data-dir", default=_D.data_dir, show_default=True,
              help="Folder holding gse73072/ and mnist/ (relative to the current directory).")
@click.option("--out", default=_D.out, show_default=True,
              help="Model file to write; the model card and learning curve go next to it.")
@click.option("--epochs", type=int, default=_D.epochs, show_default=True)
@click.option("--hidden", default=None,
              help="Hidden layer widths, e.g. 32 or 512,512 (default: the paper's: iris 8, virus 32, mnist 512,512, "
                   "CSV 32).")
@click.option("--lr", type=float, default=_D.lr, show_default=True, help="Initial Adam learning rate.")
@click.option("--lr-final", type=float, default=_D.lr_final, show_default=True,
              help="Learning rate after the last epoch (exponential decay).")
@click.option("--dropout", type=float, default=_D.dropout, show_default=True, help="Dropout after each hidden layer.")
@click.option("--weights", type=click.Choice(list(WEIGHTS)), default=_D.weights,
              help="Weight kind (default: ternary for vasic2020, real for anderson2021).")
@click.option("--ternary-threshold", type=float, default=_D.ternary_threshold, show_default=True,
              help="Ternary: shadow weights with |w| below this become 0.")
@click.option("--sparsity", type=float, default=_D.sparsity, show_default=True,
              help="Ternary: λ of the penalty λ·Σ|w| pushing shadow weights to the zero band.")
@click.option("--batch-size", type=int, default=_D.batch_size, show_default=True)
@click.option("--seed", type=int, default=_D.seed, show_default=True, help="Seed of the weights and data order.")
@click.option("--split-seed", type=int, default=_D.split_seed, show_default=True,
              help="Seed of the train/validation/test split.")
@click.option("--augment/--no-augment", default=_D.augment, show_default=True,
              help="Image data: shift training images by up to --max-shift pixels each epoch.")
@click.option("--max-shift", type=int, default=_D.max_shift, show_default=True)
@click.option("--construction", type=click.Choice(list(construction_names())), default=_D.construction,
              show_default=True,
              help="Which CRN construction the network is trained and exported for.")
@click.option("--epsilon", type=float, default=_D.epsilon, show_default=True,
              help="anderson2021: ε of the smoothed ReLU σ_ε(z) = (z + √(z² + 4ε))/2.")
@click.option("--weight-decay", type=float, default=_D.weight_decay, show_default=True,
              help="L2 penalty on the weights (anderson2021: keeps rate constants, and stiffness, small).")
@click.option("--margin", type=float, default=_D.margin, show_default=True,
              help="Class gap every training example is asked to reach, relative to the largest |output| "
                   "(the scale a DNA design's gates and free strands follow); 0: the plain square hinge. Model "
                   "selection then prefers, among the best validation accuracies, the widest validation margin.")
@click.option("--threads", type=int, default=_D.threads, show_default=True, help="torch CPU threads.")
@click.option("--quiet", "-q", is_flag=True, default=_D.quiet, help="No progress bar or summary.")
def train(dataset: str, csv_path: Path | None, label_column: str | None, val_fraction: float, test_fraction: float,
          data_dir: str, out: str, epochs: int, hidden: str | None, lr: float, lr_final: float, dropout: float,
          weights: str | None, ternary_threshold: float, sparsity: float, batch_size: int, seed: int, split_seed: int,
          augment: bool, max_shift: int, construction: str, epsilon: float, weight_decay: float, margin: float,
          threads: int, quiet: bool) -> None:
    """Train a network for a CRN construction and write a compilable model file.

    vasic2020: binary/ternary weights with BinaryConnect, ReLU. anderson2021: real weights, smoothed ReLU.
    """
    from dsdcompile.nn.train import margin_line
    from dsdcompile.nn.train import train as run_training

    with errors.reported():
        config = TrainConfig(
            dataset=dataset, csv=None if csv_path is None else str(csv_path), label_column=label_column,
            data_dir=data_dir, out=out, epochs=epochs, hidden=parse_hidden(hidden), lr=lr, lr_final=lr_final,
            dropout=dropout, weights=weights, ternary_threshold=ternary_threshold, seed=seed, split_seed=split_seed,
            sparsity=sparsity, batch_size=batch_size, augment=augment, max_shift=max_shift,
            construction=construction, epsilon=epsilon, weight_decay=weight_decay, val_fraction=val_fraction,
            test_fraction=test_fraction, margin=margin, threads=threads, quiet=quiet)
        result = run_training(config)
    if not quiet:
        acc = result.meta["accuracy"]
        layers = "-".join(str(s) for s in result.meta["hyperparameters"]["layers"])
        fmt = {k: ("n/a" if v is None else f"{100 * v:.2f}%") for k, v in acc.items()}
        click.echo(f"{result.meta['dataset']} {layers} ({result.meta['weights']}): train {fmt['train']}, "
                   f"validation {fmt['validation']}, test {fmt['test']}; {result.meta['nonzero_weights']} non-zero "
                   f"weights; best epoch {result.meta['best_epoch']}")
        click.echo(margin_line(result.meta))
        click.echo("wrote " + ", ".join(str(p) for p in result.paths.values()))
