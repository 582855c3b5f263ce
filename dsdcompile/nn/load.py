"""Loading trained models safely (state_dict, {state_dict, meta}, safetensors) into the Network IR.

Nothing here executes code from a file (:mod:`dsdcompile.nn.files` reads the formats).
Loading checks, in order: the file is a regular file; the tensors fit in memory
(``--max-memory``); the meta matches its schema (:mod:`dsdcompile.nn.meta`); every layer
has a readable 2-D weight with at least one row and column, finite values and matching
shapes; the preprocessing parameters fit the network's width; and the CRN the network will
compile to fits in memory. Each failure is one InputError naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dsdcompile import constructions
from dsdcompile.errors import InputError
from dsdcompile.ir import Dense, Network
from dsdcompile.nn import preprocess
from dsdcompile.nn.files import SAFETENSORS_META_KEY, SAVE_HINT, load_safetensors, load_torch, tensor_numel, to_array
from dsdcompile.nn.meta import validate_meta
from dsdcompile.passes.compile import check_ternary_weights
from dsdcompile.runtime.resources import CRN_BYTES_PER_UNIT, NAME_BYTES, check_memory, regular_file

_KEY_RE = re.compile(r"^(?:(?P<prefix>[A-Za-z_][\w.]*?)\.)?(?P<index>\d+)\.(?P<kind>weight|bias)$")
_NON_LINEAR_HINTS = {
    "running_mean": "BatchNorm", "running_var": "BatchNorm", "num_batches_tracked": "BatchNorm",
    "in_proj_weight": "MultiheadAttention", "weight_ih_l0": "RNN/LSTM",
}
MAX_MAGNITUDE = 1e15  # no weight (a rate constant) or bias (a concentration in units) is anywhere near this


def load_raw(path: str | Path, *, max_memory: int | None = None) -> tuple[Mapping, dict]:
    """Read a model file into (state_dict-like mapping, meta) without interpreting the layers.

    The meta is checked against its schema; the tensors are as stored (torch tensors, possibly
    memory-mapped, or numpy arrays), their float64 size checked against ``max_memory``.
    """
    p = Path(path)
    size = regular_file(p, "model file").st_size
    if size == 0:
        raise InputError("file is empty", path=str(p))
    if p.suffix == ".safetensors":
        sd, meta = load_safetensors(p, size, max_memory)
        return sd, validate_meta(meta, str(p))
    obj = load_torch(p, size, max_memory)
    if isinstance(obj, Mapping) and "state_dict" in obj:
        sd, meta = obj["state_dict"], obj.get("meta")
        if not isinstance(sd, Mapping):
            raise InputError("'state_dict' entry is not a mapping of tensors", path=str(p))
    elif isinstance(obj, Mapping):
        sd, meta = obj, None
    else:
        raise InputError(f"expected a state_dict (mapping of tensors), found a {type(obj).__name__}. {SAVE_HINT}",
                         path=str(p))
    check_memory(8 * sum(tensor_numel(v) for v in sd.values()), max_memory,
                 f"the model's {len(sd)} tensors as float64", path=str(p))
    return sd, validate_meta(meta, str(p))


def network_from_state_dict(sd: Mapping, meta: Mapping | None = None, *, path: str = "<state_dict>",
                            construction: str | None = None, binarize: str | None = None,
                            ternary_threshold: float = constructions.TERNARY_THRESHOLD,
                            max_memory: int | None = None) -> Network:
    """Infer an nn.Sequential of Linear/ReLU(/Dropout) layers from its tensors.

    Keys must look like ``[prefix.]<index>.weight|bias``; every Linear but the last is
    followed by ReLU, the output layer is linear. Weights stay in their stored dtype until
    the checks have passed and the memory the CRN will need has been estimated.
    ``construction``, ``binarize`` and ``ternary_threshold`` are the
    :class:`~dsdcompile.config.CompileConfig` fields of those names (the construction: the
    option, else the model's meta, else the default).
    """
    meta = validate_meta(meta, path)
    try:
        construction = constructions.of_model(meta, construction)
    except InputError as e:
        raise InputError(e.message, path=path) from None
    meta["construction"] = construction.name
    if not sd:
        raise InputError("the state_dict is empty", path=path)
    layers: dict[int, dict[str, np.ndarray]] = {}
    prefixes = set()
    for key, value in sd.items():
        if not isinstance(key, str):
            raise InputError(f"state_dict key {key!r:.60} is not a string", path=path)
        m = _KEY_RE.match(key)
        if not m:
            hint = next((f" (a {v} layer)" for k, v in _NON_LINEAR_HINTS.items() if key.endswith(k)), "")
            raise InputError(f"unknown layer key {key!r:.80}{hint}; only nn.Sequential of Linear, ReLU and Dropout "
                             "layers can be compiled", path=path)
        prefixes.add(m.group("prefix"))
        layers.setdefault(int(m.group("index")), {})[m.group("kind")] = to_array(value, key, path)
    if len(prefixes) > 1:
        raise InputError(f"state_dict mixes module prefixes {sorted(p or '' for p in prefixes)}", path=path)

    checked: list[tuple[np.ndarray, np.ndarray]] = []
    for idx in sorted(layers):
        w, b = _checked_layer(idx, layers[idx], checked[-1][0] if checked else None, path)
        if construction.discrete_weights:  # rate-dependent constructions take real weights as rate constants
            w = binarize_weights(w, idx, binarize, ternary_threshold, path)
        checked.append((w, b))

    n_in, n_out = checked[0][0].shape[1], checked[-1][0].shape[0]
    steps = tuple(meta.get("preprocessing") or ())
    try:
        raw = preprocess.validate(steps, n_in)
    except InputError as e:
        raise InputError(e.message, path=path) from None
    input_names = tuple(meta.get("input_names") or ())
    if input_names and len(input_names) != raw:
        raise InputError(f"meta lists {len(input_names)} input names but the network takes {raw} raw inputs",
                         path=path)
    class_names = tuple(meta.get("class_names") or ()) or tuple(f"y{k}" for k in range(n_out))
    if len(class_names) != n_out:
        raise InputError(f"meta lists {len(class_names)} class names but the network has {n_out} outputs", path=path)
    box = meta.get("input_range")
    if box is not None and len(box["low"]) != n_in:
        raise InputError(f"meta input_range has {len(box['low'])} features but the network takes {n_in} inputs "
                         "(after preprocessing)", path=path)
    check_memory(_estimate(checked, raw, construction), max_memory,
                 f"the network {[n_in] + [w.shape[0] for w, _ in checked]} and its CRN", path=path)
    if not input_names:
        input_names = tuple(f"x{i}" for i in range(raw))
    dense = tuple(Dense(w.astype(np.float64), b.astype(np.float64), relu=pos < len(checked) - 1)
                  for pos, (w, b) in enumerate(checked))
    # the CRN's inputs are the network inputs (after preprocessing)
    net_inputs = input_names if raw == n_in and not _changes_width(steps) else tuple(f"x{i}" for i in range(n_in))
    meta["raw_input_names"] = list(input_names)
    return Network(dense, net_inputs, class_names, steps, meta)


def _checked_layer(idx: int, tensors: Mapping[str, np.ndarray], previous: np.ndarray | None,
                   path: str) -> tuple[np.ndarray, np.ndarray]:
    """A layer's (weight, bias) in their stored dtype, with every shape and value checked."""
    if "weight" not in tensors:
        raise InputError(f"layer {idx} has a bias but no weight", path=path)
    w = tensors["weight"]
    if w.ndim != 2:
        raise InputError(f"layer {idx} weight has shape {tuple(w.shape)}; only Linear layers (2-D weights) "
                         "can be compiled (Conv, embedding and norm layers cannot)", path=path)
    if 0 in w.shape:
        raise InputError(f"layer {idx} weight has shape {tuple(w.shape)}; a Linear layer needs at least one input "
                         "and one output", path=path)
    b = tensors.get("bias", np.zeros(w.shape[0], dtype=w.dtype))
    if b.shape != (w.shape[0],):
        raise InputError(f"layer {idx} bias has shape {tuple(b.shape)}, expected ({w.shape[0]},)", path=path)
    if previous is not None and previous.shape[0] != w.shape[1]:
        raise InputError(f"layer {idx} expects {w.shape[1]} inputs but the previous layer has "
                         f"{previous.shape[0]} outputs", path=path)
    for name, arr in (("weight", w), ("bias", b)):
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            bad = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
            raise InputError(f"layer {idx} {name}{list(bad)} is {arr[bad]} (NaN/inf)", path=path)
        if arr.size and max(-float(arr.min()), float(arr.max())) > MAX_MAGNITUDE:
            bad = tuple(int(v) for v in np.argwhere(np.abs(arr) > MAX_MAGNITUDE)[0])
            raise InputError(f"layer {idx} {name}{list(bad)} is {float(arr[bad]):.3g}, beyond ±{MAX_MAGNITUDE:.0e}: "
                             "no concentration or rate constant is that large", path=path)
    return w, b


def _estimate(layers: list[tuple[np.ndarray, np.ndarray]], raw: int, construction) -> float:
    """Bytes the float64 layers, the generated input names and the CRN will need at their peak."""
    nonzero = sum(int(np.count_nonzero(w)) for w, _ in layers)
    units = layers[0][0].shape[1] + sum(w.shape[0] for w, _ in layers)
    return (8 * sum(w.size + b.size for w, b in layers) + construction.crn_bytes_per_weight * nonzero
            + CRN_BYTES_PER_UNIT * units + NAME_BYTES * raw)


def _changes_width(steps) -> bool:
    return any(s["op"] in preprocess.RAW_SIZE for s in steps)


def binarize_weights(w: np.ndarray, idx: int, mode: str | None, threshold: float, path: str) -> np.ndarray:
    """Weights as they will be compiled: checked ternary (``mode`` None), or discretised by sign or to ternary
    (|w| below ``threshold`` times the mean |w| becomes 0)."""
    if mode is None:
        check_ternary_weights(w, idx, path=path)
        return w
    if mode == "sign":
        return np.where(w >= 0, 1.0, -1.0)
    if mode == "ternary":
        delta = threshold * float(np.mean(np.abs(w)))
        return np.where(np.abs(w) < delta, 0.0, np.sign(w))
    raise InputError(f"unknown binarize mode {mode!r}; use 'sign' or 'ternary'")


def load_network(path: str | Path, *, construction: str | None = None, binarize: str | None = None,
                 ternary_threshold: float = constructions.TERNARY_THRESHOLD,
                 max_memory: int | None = None) -> Network:
    """Load a model file as a Network, checking every tensor and the memory it and its CRN will need.

    The keywords are those of :func:`network_from_state_dict`.
    """
    sd, meta = load_raw(path, max_memory=max_memory)
    return network_from_state_dict(sd, meta, path=str(path), construction=construction, binarize=binarize,
                                   ternary_threshold=ternary_threshold, max_memory=max_memory)


def _weights_json(w: np.ndarray) -> list:
    """Ternary weights as small integers (compact: MNIST has 370k), real ones (rate-dependent) as they are."""
    return w.astype(np.int8).tolist() if np.isin(w, (-1.0, 0.0, 1.0)).all() else w.tolist()


def network_to_json(network: Network) -> dict:
    """A JSON description of the network (ternary weights as nested lists of small integers, real ones as floats)."""
    return {
        "format": "dsdcompile-network",
        "version": 1,
        "layers": network.sizes,
        "input_names": list(network.input_names),
        "raw_input_names": list(network.meta.get("raw_input_names", network.input_names)),
        "class_names": list(network.class_names),
        "preprocessing": [dict(s) for s in network.preprocessing],
        "nonzero_weights": network.nonzero_weights(),
        "dense": [
            {"weight": _weights_json(layer.weight), "bias": layer.bias.tolist(), "relu": layer.relu}
            for layer in network.layers
        ],
    }


__all__ = ["SAFETENSORS_META_KEY", "SAVE_HINT", "binarize_weights", "load_network", "load_raw",
           "network_from_state_dict", "network_to_json"]
