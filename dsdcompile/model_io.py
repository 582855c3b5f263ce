"""Loading trained models safely (state_dict, {state_dict, meta}, safetensors) into the Network IR.

Nothing here executes code from a file: torch files are read with ``weights_only=True``
and safetensors files hold only tensors and a string→string metadata table.
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dsdcompile import constructions, preprocess
from dsdcompile.config import CompileConfig
from dsdcompile.errors import InputError
from dsdcompile.ir import Dense, Network
from dsdcompile.passes.compile import check_ternary_weights

_KEY_RE = re.compile(r"^(?:(?P<prefix>[A-Za-z_][\w.]*?)\.)?(?P<index>\d+)\.(?P<kind>weight|bias)$")
_NON_LINEAR_HINTS = {
    "running_mean": "BatchNorm", "running_var": "BatchNorm", "num_batches_tracked": "BatchNorm",
    "in_proj_weight": "MultiheadAttention", "weight_ih_l0": "RNN/LSTM",
}
SAVE_HINT = ("save the weights instead: torch.save(model.state_dict(), path) or "
             "torch.save({'state_dict': model.state_dict(), 'meta': {...}}, path)")
SAFETENSORS_META_KEY = "dsdcompile_meta"


def _to_numpy(t, key: str, path: str) -> np.ndarray:
    try:
        import torch

        if isinstance(t, torch.Tensor):
            if not (t.dtype.is_floating_point or t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64)):
                raise InputError(f"tensor {key!r} has unsupported dtype {t.dtype}", path=path)
            return t.detach().to(torch.float64).cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if isinstance(t, np.ndarray):
        return t.astype(np.float64)
    raise InputError(f"entry {key!r} is a {type(t).__name__}, not a tensor", path=path)


def _load_torch(path: Path) -> object:
    import torch

    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols it reads fine; the refusal below is what matters
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        # torch names the refused class ("Unsupported global: GLOBAL os.system ...") when the
        # pickle wants to import something; anything else is a damaged or foreign file
        if re.search(r"global", msg, re.IGNORECASE):
            raise InputError(
                "the file holds pickled Python objects (e.g. a whole nn.Module) that cannot be loaded "
                f"without executing code from it; refusing. {SAVE_HINT}", path=str(path)) from None
        detail = re.search(r"Unsupported operand \d+|Unsupported operation.*", msg)
        raise InputError(f"not a readable torch file ({detail.group(0) if detail else 'unpickling error'})",
                         path=str(path)) from None
    except (RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"not a readable torch file ({first})", path=str(path)) from None


def _load_safetensors(path: Path) -> tuple[dict, dict]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="np") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
            meta_raw = (f.metadata() or {}).get(SAFETENSORS_META_KEY)
    except (SafetensorError, OSError, ValueError) as e:
        raise InputError(f"not a readable safetensors file ({e})", path=str(path)) from None
    meta = {}
    if meta_raw:
        try:
            meta = json.loads(meta_raw)
        except json.JSONDecodeError:
            raise InputError(f"metadata {SAFETENSORS_META_KEY!r} is not valid JSON", path=str(path)) from None
    return tensors, meta


def load_raw(path: str | Path) -> tuple[Mapping, dict]:
    """Read a model file into (state_dict-like mapping, meta) without interpreting the layers."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", path=str(p))
    if p.is_dir():
        raise InputError("is a directory, expected a model file", path=str(p))
    if p.stat().st_size == 0:
        raise InputError("file is empty", path=str(p))
    if p.suffix == ".safetensors":
        return _load_safetensors(p)
    obj = _load_torch(p)
    if isinstance(obj, Mapping) and "state_dict" in obj:
        sd, meta = obj["state_dict"], obj.get("meta") or {}
        if not isinstance(sd, Mapping):
            raise InputError("'state_dict' entry is not a mapping of tensors", path=str(p))
        if not isinstance(meta, Mapping):
            raise InputError("'meta' entry is not a dict", path=str(p))
        return sd, dict(meta)
    if isinstance(obj, Mapping):
        return obj, {}
    raise InputError(f"expected a state_dict (mapping of tensors), found a {type(obj).__name__}. {SAVE_HINT}",
                     path=str(p))


def network_from_state_dict(sd: Mapping, meta: Mapping | None = None, *, path: str = "<state_dict>",
                            config: CompileConfig = CompileConfig()) -> Network:
    """Infer an nn.Sequential of Linear/ReLU(/Dropout) layers from its tensors.

    Keys must look like ``[prefix.]<index>.weight|bias``; every Linear but the last is
    followed by ReLU, the output layer is linear.
    """
    meta = dict(meta or {})
    try:
        construction = constructions.of_model(meta, config)
    except InputError as e:
        raise InputError(e.message, path=path) from None
    meta["construction"] = construction.name
    if not sd:
        raise InputError("the state_dict is empty", path=path)
    layers: dict[int, dict[str, np.ndarray]] = {}
    prefixes = set()
    for key, value in sd.items():
        if not isinstance(key, str):
            raise InputError(f"state_dict key {key!r} is not a string", path=path)
        m = _KEY_RE.match(key)
        if not m:
            hint = next((f" (a {v} layer)" for k, v in _NON_LINEAR_HINTS.items() if key.endswith(k)), "")
            raise InputError(f"unknown layer key {key!r}{hint}; only nn.Sequential of Linear, ReLU and Dropout "
                             "layers can be compiled", path=path)
        prefixes.add(m.group("prefix"))
        layers.setdefault(int(m.group("index")), {})[m.group("kind")] = _to_numpy(value, key, path)
    if len(prefixes) > 1:
        raise InputError(f"state_dict mixes module prefixes {sorted(p or '' for p in prefixes)}", path=path)

    dense: list[Dense] = []
    order = sorted(layers)
    for pos, idx in enumerate(order):
        tensors = layers[idx]
        if "weight" not in tensors:
            raise InputError(f"layer {idx} has a bias but no weight", path=path)
        w = tensors["weight"]
        if w.ndim != 2:
            raise InputError(f"layer {idx} weight has shape {tuple(w.shape)}; only Linear layers (2-D weights) "
                             "can be compiled (Conv, embedding and norm layers cannot)", path=path)
        b = tensors.get("bias", np.zeros(w.shape[0]))
        if b.shape != (w.shape[0],):
            raise InputError(f"layer {idx} bias has shape {tuple(b.shape)}, expected ({w.shape[0]},)", path=path)
        if dense and dense[-1].shape[0] != w.shape[1]:
            raise InputError(f"layer {idx} expects {w.shape[1]} inputs but the previous layer has "
                             f"{dense[-1].shape[0]} outputs", path=path)
        for name, arr in (("weight", w), ("bias", b)):
            if not np.isfinite(arr).all():
                bad = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
                raise InputError(f"layer {idx} {name}{list(bad)} is {arr[bad]} (NaN/inf)", path=path)
        if construction.discrete_weights:  # rate-dependent constructions take real weights as rate constants
            w = binarize(w, idx, config, path)
        dense.append(Dense(w, b.astype(np.float64), relu=pos < len(order) - 1))

    n_in, n_out = dense[0].shape[1], dense[-1].shape[0]
    steps = tuple(meta.get("preprocessing") or ())
    preprocess.validate(steps)
    input_names = tuple(str(n) for n in meta.get("input_names") or ())
    raw = preprocess.raw_size(steps, n_in)
    if not input_names:
        input_names = tuple(f"x{i}" for i in range(raw))
    if len(input_names) != raw:
        raise InputError(f"meta lists {len(input_names)} input names but the network takes {raw} raw inputs",
                         path=path)
    class_names = tuple(str(n) for n in meta.get("class_names") or ()) or tuple(f"y{k}" for k in range(n_out))
    if len(class_names) != n_out:
        raise InputError(f"meta lists {len(class_names)} class names but the network has {n_out} outputs", path=path)
    # the CRN's inputs are the network inputs (after preprocessing)
    net_inputs = input_names if raw == n_in and not _changes_width(steps) else tuple(f"x{i}" for i in range(n_in))
    meta["raw_input_names"] = list(input_names)
    return Network(tuple(dense), net_inputs, class_names, steps, meta)


def _changes_width(steps) -> bool:
    return any(s["op"] in preprocess.RAW_SIZE for s in steps)


def binarize(w: np.ndarray, idx: int, config: CompileConfig, path: str) -> np.ndarray:
    """Weights as they will be compiled: checked ternary, or discretised on request."""
    if config.binarize is None:
        check_ternary_weights(w, idx, path=path)
        return w
    if config.binarize == "sign":
        return np.where(w >= 0, 1.0, -1.0)
    if config.binarize == "ternary":
        delta = config.ternary_threshold * float(np.mean(np.abs(w)))
        return np.where(np.abs(w) < delta, 0.0, np.sign(w))
    raise InputError(f"unknown binarize mode {config.binarize!r}; use 'sign' or 'ternary'")


def load_network(path: str | Path, config: CompileConfig = CompileConfig()) -> Network:
    """Load a model file as a Network, checking every tensor."""
    sd, meta = load_raw(path)
    return network_from_state_dict(sd, meta, path=str(path), config=config)


def network_to_json(network: Network) -> dict:
    """A JSON description of the network (weights as nested lists of small integers)."""
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
            {"weight": layer.weight.astype(np.int8).tolist(), "bias": layer.bias.tolist(), "relu": layer.relu}
            for layer in network.layers
        ],
    }
