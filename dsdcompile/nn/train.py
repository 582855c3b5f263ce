"""Training of ReLU networks for a CRN construction (BinaryConnect ternary/binary weights for vasic2020, real
weights and the smoothed ReLU for anderson2021) and their export as compilable model files."""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dsdcompile import constructions
from dsdcompile.config import TrainConfig
from dsdcompile.crn.margin import MARGIN_MEASURE, relative_gaps
from dsdcompile.nn import datasets as ds
from dsdcompile.nn import preprocess
from dsdcompile.nn.input_range import training_range
from dsdcompile.nn.layers import layer_classes, linear_layers, output_scale

META_KEYS = ("input_names", "class_names", "preprocessing", "construction", "weights", "seed", "accuracy", "split",
             "hyperparameters", "command", "nonzero_weights", "dataset", "input_range", "class_margin")


# -- the model -------------------------------------------------------------------------------------------
def _torch():
    import torch

    return torch


def build_model(sizes: Sequence[int], config: TrainConfig):
    """nn.Sequential [Linear, act, Dropout, ..., Linear]; indices 0, 3, 6, ... hold the layers.

    The last layer has no activation: the model returns the output pre-activation (for anderson2021
    the exported network applies σ_ε to it, which is increasing and keeps every argmax).
    """
    torch = _torch()
    discrete_cls, real_cls = layer_classes()
    gen = torch.Generator().manual_seed(config.seed)
    construction = constructions.get(config.construction)
    settings = construction.settings(config=config)
    mods: list = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if config.weight_kind == "real":
            mods.append(real_cls(n_in, n_out, gen))
        else:
            mods.append(discrete_cls(n_in, n_out, config.weight_kind, config.ternary_threshold, gen))
        if k < len(sizes) - 2:
            mods += [construction.activation(settings), torch.nn.Dropout(config.dropout)]
    return torch.nn.Sequential(*mods)


def square_hinge(out, y, n_classes: int):
    """Mean over examples and classes of max(0, 1 - t·out)², t = ±1 one-hot targets."""
    torch = _torch()
    t = 2.0 * torch.nn.functional.one_hot(y, n_classes).to(out.dtype) - 1.0
    return torch.clamp(1.0 - t * out, min=0.0).pow(2).mean()


def relative_gap(out, y):
    """(n,) class gap of the true class (out_y minus the largest other output; negative when misclassified) over
    the largest |output| of the batch: the margin a design's free strands must not cross (dsdcompile.crn.margin).
    The scale is a constant for the gradient: the loss widens gaps rather than shrinking the largest output (which
    trades one example's gap for another's and measured worse)."""
    torch = _torch()
    mask = torch.nn.functional.one_hot(y, out.shape[1]).bool()
    true = out.masked_select(mask)
    other = out.masked_fill(mask, -math.inf).max(1).values
    return (true - other) / out.abs().max().clamp(min=1e-6).detach()


def _smallest_correct_gap(out, y) -> float:
    """The smallest relative gap (:func:`relative_gap`) over the correctly classified examples (0 if none): the
    margin a model keeps where it is right, compared between epochs of equal accuracy."""
    gaps = relative_gap(out, y) if len(y) else None
    return float(gaps[gaps > 0].min()) if gaps is not None and bool((gaps > 0).any()) else 0.0


def margin_penalty(out, y, margin: float):
    """Mean of max(0, 1 - r/margin)², r the relative gap of :func:`relative_gap`: a square hinge asking every
    example's class gap to reach ``margin`` times the batch's largest |output| (the scale the gates are planned
    for), so a network cannot meet it by growing all outputs."""
    torch = _torch()
    return torch.clamp(1.0 - relative_gap(out, y) / margin, min=0.0).pow(2).mean()


# -- training ------------------------------------------------------------------------------------------------
@dataclass
class History:
    """Per-epoch training loss, train/validation accuracy and validation loss."""

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_margin: list[float] = field(default_factory=list)  # smallest relative class gap, correct validation examples
    best_epoch: int = 0


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A trained model: the exported state_dict, its meta, the training model and history."""

    state_dict: dict
    meta: dict
    model: object
    history: History
    dataset: ds.Dataset
    paths: dict = field(default_factory=dict)


def _accuracy(model, x, y) -> float:
    torch = _torch()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean()) if len(y) else float("nan")


def fit(config: TrainConfig, data: ds.Dataset, *, progress: bool | None = None) -> tuple[object, History]:
    """Train with BinaryConnect (straight-through, clipped shadow weights, square hinge, Adam, exp. decay)."""
    torch = _torch()
    config.validate()
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        with torch.random.fork_rng(devices=[]):  # the global RNG (dropout) is seeded here and restored after
            torch.manual_seed(config.seed)
            return _fit(config, data, progress)
    finally:
        torch.set_num_threads(threads)


def _fit(config: TrainConfig, data: ds.Dataset, progress: bool | None) -> tuple[object, History]:
    torch = _torch()
    hidden = config.hidden if config.hidden is not None else data.default_hidden
    sizes = [preprocess.apply(data.preprocessing, data.x_train[:1]).shape[1], *hidden, data.n_classes]
    model = build_model(sizes, config)
    linears = [m for _, m in linear_layers(model)]
    clip = config.weight_kind != "real"  # BinaryConnect keeps the shadow weights in [-1, 1]

    def prep(x):
        return torch.as_tensor(preprocess.apply(data.preprocessing, x), dtype=torch.float32)

    x_tr, x_va = prep(data.x_train), prep(data.x_val)
    y_tr, y_va = (torch.as_tensor(a, dtype=torch.int64) for a in (data.y_train, data.y_val))
    augment = config.augment and data.image_shape is not None and config.max_shift > 0
    aug_rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    if config.weight_decay:
        params: list = [{"params": [m.weight for m in linears], "weight_decay": config.weight_decay},
                        {"params": [m.bias for m in linears], "weight_decay": 0.0}]
    else:
        params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=config.lr)
    gamma = (config.lr_final / config.lr) ** (1.0 / config.epochs)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
    history = History()
    best_key, best_state = None, None
    show = not config.quiet if progress is None else progress
    from tqdm import tqdm

    bar = tqdm(range(config.epochs), desc="train", unit="epoch", disable=not show, file=sys.stderr,
               dynamic_ncols=True)
    n = len(y_tr)
    for epoch in bar:
        model.train()
        x_epoch = x_tr
        if augment:
            x_epoch = prep(ds.shift_images(data.x_train, data.image_shape, config.max_shift, aug_rng))
        perm = torch.randperm(n, generator=gen)
        total, batches = 0.0, 0
        for start in range(0, n, config.batch_size):
            idx = perm[start:start + config.batch_size]
            out = model(x_epoch[idx])
            loss = square_hinge(out, y_tr[idx], data.n_classes)
            if config.margin:
                loss = loss + margin_penalty(out, y_tr[idx], config.margin)
            if config.sparsity:
                loss = loss + config.sparsity * sum(m.weight.abs().sum() for m in linears)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if clip:
                with torch.no_grad():
                    for m in linears:
                        m.weight.clamp_(-1.0, 1.0)
            total += float(loss.detach())
            batches += 1
        sched.step()
        model.eval()
        with torch.no_grad():
            out_va = model(x_va)
            val_loss = float(square_hinge(out_va, y_va, data.n_classes)) if len(y_va) else float("nan")
            val_acc = float((out_va.argmax(1) == y_va).double().mean()) if len(y_va) else float("nan")
            val_margin = _smallest_correct_gap(out_va, y_va)
        train_acc = _accuracy(model, x_tr, y_tr)
        history.loss.append(total / max(batches, 1))
        history.train_accuracy.append(train_acc)
        history.val_accuracy.append(val_acc)
        history.val_loss.append(val_loss)
        history.val_margin.append(val_margin)
        # with --margin: the best validation accuracy, then the widest validation margin (up to the one asked)
        key = (val_acc, min(val_margin, config.margin), -val_loss) if config.margin else (val_acc, -val_loss)
        if best_key is None or key > best_key:
            best_key, best_state = key, copy.deepcopy(model.state_dict())
            history.best_epoch = epoch + 1
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", val_acc=f"{val_acc:.4f}",
                        best=f"{best_key[0]:.4f}@{history.best_epoch}")
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    return model, history


def _network_accuracy(sd: Mapping, meta: Mapping, x_raw: np.ndarray, y: np.ndarray,
                      config: TrainConfig = TrainConfig()) -> tuple[float, np.ndarray]:
    """Accuracy of the exported model as the compiler loads it (float64, raw inputs through preprocessing)."""
    from dsdcompile.nn.load import network_from_state_dict

    net = network_from_state_dict(sd, meta)
    construction = constructions.get(config.construction)
    out = construction.forward(net, preprocess.apply(net.preprocessing, x_raw), construction.settings(config=config))
    pred = out.argmax(1)
    return (float((pred == y).mean()) if len(y) else float("nan")), out


def _split_figures(sd: Mapping, meta: Mapping, model, data: ds.Dataset, config: TrainConfig
                   ) -> tuple[dict, dict, dict]:
    """Per split: the exported network's accuracy, its argmax agreement with the trained model, and its smallest
    relative class gap (None for an empty split)."""
    torch = _torch()
    acc, agree, margins = {}, {}, {}
    for part, x, y in (("train", data.x_train, data.y_train), ("validation", data.x_val, data.y_val),
                       ("test", data.x_test, data.y_test)):
        a, out = _network_accuracy(sd, meta, x, y, config)
        acc[part] = None if math.isnan(a) else a
        with torch.no_grad():
            trained = model(torch.as_tensor(preprocess.apply(data.preprocessing, x), dtype=torch.float32)).numpy()
        agree[part] = float((trained.argmax(1) == out.argmax(1)).mean()) if len(y) else None
        margins[part] = float(relative_gaps(out).min()) if len(y) else None
    return acc, agree, margins


def train(config: TrainConfig, *, data: ds.Dataset | None = None, write: bool = True,
          command: str | None = None) -> TrainResult:
    """Load the data, train, export; with ``write`` save the model file, its model card and learning curve."""
    config.validate()
    start = time.perf_counter()
    if data is None:
        data = ds.load_dataset(config.dataset, config.data_dir, config.split_seed, csv_path=config.csv,
                               label_column=config.label_column, val_fraction=config.val_fraction,
                               test_fraction=config.test_fraction)
    model, history = fit(config, data)
    seconds = time.perf_counter() - start
    construction = constructions.get(config.construction)
    settings = construction.settings(config=config)
    sd = construction.export(model)
    hidden = list(config.hidden if config.hidden is not None else data.default_hidden)
    sizes = [int(sd["0.weight"].shape[1]), *hidden, data.n_classes]
    per_layer = [int((sd[f"{i}.weight"] != 0).sum()) for i, _ in linear_layers(model)]
    hyper = {k: v for k, v in asdict(config).items()
             if k not in ("dataset", "csv", "label_column", "data_dir", "out", "quiet", "split_seed", "seed",
                          "construction", "epsilon")}
    if config.csv is None:
        hyper.pop("val_fraction")
        hyper.pop("test_fraction")
    if not config.augment:
        hyper.pop("max_shift")
    hyper["weights"] = config.weight_kind
    if config.weight_kind != "ternary":
        hyper.pop("ternary_threshold")
        hyper.pop("sparsity")
    if not config.weight_decay:
        hyper.pop("weight_decay")
    if not config.margin:
        hyper.pop("margin")
    hyper["hidden"] = hidden
    hyper["layers"] = sizes
    hyper["lr_schedule"] = "exponential decay per epoch from lr to lr_final"
    hyper["optimizer"] = "Adam"
    hyper.update(construction.training_notes(settings))
    meta: dict = {
        "dataset": data.name,
        "input_names": list(data.input_names),
        "class_names": list(data.class_names),
        "preprocessing": [dict(s) for s in data.preprocessing],
        "construction": config.construction,
        "weights": config.weight_kind,
        "seed": config.seed,
        "split": {**data.split, "seed": config.split_seed},
        "hyperparameters": hyper,
        "command": command or config.to_command(),
        "nonzero_weights": int(sum(per_layer)),
        "nonzero_weights_per_layer": per_layer,
        "total_weights": [int(sd[f"{i}.weight"].numel()) for i, _ in linear_layers(model)],
        "best_epoch": history.best_epoch,
        "validation_loss": history.val_loss[history.best_epoch - 1],
        "output_scale": output_scale(model),
        "training_seconds": round(seconds, 1),
        "description": data.description,
        # the box of network inputs the design plans fuel for (dsdcompile.nn.input_range: training split + margin)
        "input_range": training_range(data, data.preprocessing),
    }
    meta.update(settings)
    if not construction.discrete_weights:  # real weights are rate constants: their range matters
        params = [sd[f"{i}.{k}"].abs() for i, _ in linear_layers(model) for k in ("weight", "bias")]
        meta["max_abs_weight"] = float(max(float(p.max()) for p in params[0::2]))
        meta["max_abs_bias"] = float(max(float(p.max()) for p in params[1::2]))
    if data.paper:
        meta["paper"] = data.paper
    meta["accuracy"], meta["export_argmax_agreement"], margins = _split_figures(sd, meta, model, data, config)
    meta["class_margin"] = {**margins, "target": config.margin, "measure": MARGIN_MEASURE}
    result = TrainResult(sd, meta, model, history, data)
    if write:
        result.paths.update(save(result, Path(config.out)))
    return result


# -- outputs -------------------------------------------------------------------------------------------------
def _margin_paragraph(m: Mapping) -> str:
    """The model card's class-margin paragraph: the margin reached per split and what it buys."""
    parts = _margin_parts(m)
    asked = (f"Trained with `--margin {m['target']:g}` (a square hinge asking every training example's class gap "
             f"to reach {m['target']:g} of the batch's largest |output|; the model kept has the best validation "
             "accuracy, then the widest validation margin up to the one asked)" if m.get("target") else
             "Trained without `--margin`")
    return (f"Class margin, the smallest (top output − runner-up) / largest |output| over a split's examples: "
            f"{parts}. {asked}. A DNA design's free strands move every class value by an amount that follows the "
            "largest values (the gates are planned for them), so an example keeps its label while that error on "
            "its two leading classes stays below its gap; the design's summary states the error at one "
            "purification (`kinetics.impurity_error_at_assumed`) and the free-strand fraction every label "
            "tolerates (`kinetics.impurity_tolerance`).")


def _margin_parts(m: Mapping) -> str:
    """"train 0.1, validation 0.02, test 0.03": the smallest relative class gap of each split that has one."""
    return ", ".join(f"{k} {m[k]:.3g}" for k in ("train", "validation", "test") if m.get(k) is not None)


def margin_line(meta: Mapping) -> str:
    """One line: the smallest relative class gap per split, and what it was trained for (old models: empty)."""
    m = meta.get("class_margin")
    if not m:
        return ""
    parts = _margin_parts(m)
    asked = f"--margin {m['target']:g} asked" if m.get("target") else "no --margin asked"
    return (f"class margin (smallest (top - runner-up) / largest |output|): {parts} ({asked}); a DNA design keeps "
            f"every label while its free strands' error stays below half of it")


def card_path(model_path: Path) -> Path:
    return model_path.with_name("MODEL_CARD.md" if model_path.name == "model.pt" else f"{model_path.stem}.md")


def curve_path(model_path: Path) -> Path:
    name = "learning_curve.png" if model_path.name == "model.pt" else f"{model_path.stem}_learning_curve.png"
    return model_path.with_name(name)


def save_model(path: Path, sd: Mapping, meta: Mapping) -> None:
    torch = _torch()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"state_dict": dict(sd), "meta": dict(meta)}, tmp)
    tmp.replace(path)


def save(result: TrainResult, path: Path) -> dict[str, Path]:
    """Write the model file, its Markdown model card and its learning-curve PNG."""
    save_model(path, result.state_dict, result.meta)
    card, curve = card_path(path), curve_path(path)
    plot_learning_curve(result.history, curve, title=f"{result.meta['dataset']} "
                        f"{'-'.join(str(s) for s in result.meta['hyperparameters']['layers'])}")
    card.write_text(model_card(result.meta, curve_name=curve.name), encoding="utf-8")
    return {"model": path, "card": card, "curve": curve}


def plot_learning_curve(history: History, path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history.loss) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(epochs, history.loss, label="train loss")
    ax1.plot(epochs, history.val_loss, label="validation loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("square hinge loss")
    ax1.set_yscale("log")
    ax1.legend()
    ax2.plot(epochs, history.train_accuracy, label="train")
    ax2.plot(epochs, history.val_accuracy, label="validation")
    if history.best_epoch:
        ax2.axvline(history.best_epoch, color="grey", ls=":", label=f"kept (epoch {history.best_epoch})")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend(loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


def model_card(meta: Mapping, *, curve_name: str = "learning_curve.png", notes: str = "") -> str:
    """The Markdown model card for a trained model's meta."""
    h = meta["hyperparameters"]
    split = meta["split"]
    sizes = split.get("sizes", {})
    acc = meta["accuracy"]
    anderson = constructions.get(meta["construction"]).rate_dependent
    how = "Trained with real weights and the smoothed ReLU" if anderson else "Trained with BinaryConnect"
    lines = [
        f"# Model card: {meta['dataset']} {'-'.join(str(s) for s in h['layers'])} ({meta['weights']} weights)",
        "",
        f"{how} (`dsdcompile train`) for the `{meta['construction']}` construction.",
        "",
        "## Data",
        "",
        meta.get("description", ""),
        "",
        f"- split: {split.get('method')}, split seed {split.get('seed')}: "
        + ", ".join(f"{k} {v}" for k, v in sizes.items()),
    ]
    for key in ("filter", "unused", "note", "train_source"):
        if key in split:
            lines.append(f"- {key.replace('_', ' ')}: {split[key]}")
    lines += [f"- preprocessing: {split.get('scaler')}; stored in the model's meta as "
              f"{', '.join(s['op'] for s in meta['preprocessing'])} (raw inputs: {len(meta['input_names'])} "
              f"features)", f"- classes: {', '.join(meta['class_names'])}"]
    if meta.get("input_range"):
        box = meta["input_range"]
        lines.append(f"- input range (meta `input_range`, what a design plans fuel for): the {box.get('split')} "
                     f"split's range of every network input widened by {box.get('margin')} of its span on each "
                     f"side (not across 0), from {min(box['low']):.3g} to {max(box['high']):.3g}")
    lines.append("")
    lines += ["## Accuracy", "", "| train | validation | test |", "|---|---|---|",
              f"| {_pct(acc.get('train'))} | {_pct(acc.get('validation'))} | {_pct(acc.get('test'))} |", "",
              "Measured with the exported network ("
              + ("float32 weights and biases, σ_ε after every layer" if anderson else
                 f"{meta['weights']} weights, exported biases")
              + ", float64) as the compiler loads it. The model kept is the epoch with the best validation accuracy "
              f"(epoch {meta.get('best_epoch')}); the test set was not used for any choice."]
    if meta.get("class_margin"):
        lines += ["", _margin_paragraph(meta["class_margin"])]
    if meta.get("paper"):
        label = "For comparison, the vasic2020 paper's ternary network" if anderson else "Paper"
        lines += ["", f"{label}: {meta['paper']}."]
    lines += ["", "## Network", ""]
    if anderson:
        eps = meta["epsilon"]
        lines += [f"- layers: {' → '.join(str(s) for s in h['layers'])}, smoothed ReLU σ_ε(z) = (z + √(z² + 4ε))/2 "
                  f"with ε = {eps} after every layer, the output layer included (the CRN's fixed point)",
                  "- weights and biases: real, float32; they are the CRN's rate constants "
                  f"(largest |w| = {meta['max_abs_weight']:.4g}, largest |b| = {meta['max_abs_bias']:.4g}; "
                  "larger constants mean faster but stiffer chemistry)",
                  "- trained on the output layer's pre-activation; σ_ε is increasing, so the predicted class "
                  "(argmax) is the same"]
    else:
        lines += [f"- layers: {' → '.join(str(s) for s in h['layers'])}, ReLU after every layer but the last",
                  f"- weights: {meta['weights']} in {{-1, 0, 1}} (stored as int8); biases float32",
                  f"- training scale α_l = 1/√fan_in; exported biases b_l/(α_1⋯α_l), so exported outputs = "
                  f"trained outputs × {meta.get('output_scale', float('nan')):.6g} (argmax unchanged)"]
    lines += ["", "| layer | shape | non-zero weights | of |", "|---|---|---|---|"]
    layers = h["layers"]
    for k, (nz, tot) in enumerate(zip(meta["nonzero_weights_per_layer"], meta["total_weights"])):
        lines.append(f"| {k + 1} | {layers[k + 1]}×{layers[k]} | {nz} | {tot} ({100 * nz / tot:.1f}%) |")
    lines.append(f"| all | | {meta['nonzero_weights']} | {sum(meta['total_weights'])} |")
    lines += ["", "## Training", "", "| hyper-parameter | value |", "|---|---|"]
    for k, v in h.items():
        if k in ("layers",):
            continue
        lines.append(f"| {k} | {v} |")
    if anderson:
        lines.append(f"| epsilon | {meta['epsilon']} |")
    lines += [f"| seed | {meta['seed']} |", f"| training time | {meta.get('training_seconds')} s |", "",
              "Command (reproduces the model bit for bit on the same software and thread count):", "",
              "```bash", meta["command"], "```", "", f"![learning curve]({curve_name})", ""]
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    return "\n".join(lines)
