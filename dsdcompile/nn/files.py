"""Reading model files (torch state_dicts, safetensors) into arrays in their stored dtype, safely and within memory.

Nothing here executes code from a file: torch files are read with ``weights_only=True``,
safetensors files hold only tensors and a string table. Before any tensor is copied the
memory it will need is estimated (from the safetensors header, or from a memory-mapped torch
zip, which reads no data) and checked against the limit (:mod:`dsdcompile.runtime.resources`).
Tensors stay in their stored dtype (int8 weights stay int8) until the network needs floats.

What is read: dense float (16/32/64, bfloat16, float8) and integer tensors, sparse tensors
(densified after the memory check), quantized tensors (dequantized). What is refused, with one
line: bool and complex tensors (weights are numbers; a bool tensor is a mask), tensors on the
``meta`` device (a shape without values), pickles of Python objects, and files written with
pickle protocol 4 or 5, which torch's safe loader cannot read.
"""

from __future__ import annotations

import math
import pickle
import re
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.runtime.resources import check_memory, loads_untrusted_json

SAVE_HINT = ("save the weights instead: torch.save(model.state_dict(), path) or "
             "torch.save({'state_dict': model.state_dict(), 'meta': {...}}, path)")
SAFETENSORS_META_KEY = "dsdcompile_meta"
MAX_HEADER = 100 << 20  # safetensors' own limit on the JSON header
# bytes per element of every safetensors dtype; numpy reads the first group, torch the rest
_NUMPY_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "U16": 2, "U32": 4,
                 "U64": 8, "BOOL": 1}
_TORCH_DTYPES = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}
# opcodes that only pickle protocols 4 and 5 use (FRAME, MEMOIZE, SHORT_BINUNICODE, ...): torch's
# weights_only unpickler knows protocol 2, the one torch.save writes by default
_PROTOCOL4_OPCODES = set(range(140, 154))


def _not_readable(path: Path, what: str, detail: str) -> InputError:
    return InputError(f"not a readable {what} file ({detail})", path=str(path))


# -- safetensors ------------------------------------------------------------------------------------------------
def safetensors_header(path: Path, size: int) -> dict:
    """The JSON header of a safetensors file, checked: every tensor's dtype, shape and byte range agree."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _not_readable(path, "safetensors", "shorter than its 8-byte header length")
        (n,) = struct.unpack("<Q", head)
        if n > min(MAX_HEADER, size - 8):
            raise _not_readable(path, "safetensors", f"header length {n} exceeds the file")
        text = f.read(n)
    try:
        header = loads_untrusted_json(text)
    except (ValueError, RecursionError) as e:
        raise _not_readable(path, "safetensors", f"header is not JSON: {str(e)[:80]}") from None
    if not isinstance(header, dict):
        raise _not_readable(path, "safetensors", "header is not a JSON object")
    data = size - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise _not_readable(path, "safetensors", "__metadata__ is not a table of strings")
            continue
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list) \
                or not isinstance(info.get("data_offsets"), list) or len(info["data_offsets"]) != 2:
            raise _not_readable(path, "safetensors", f"tensor {key!r} has no shape or data_offsets")
        dtype, shape, (start, end) = info.get("dtype"), info["shape"], info["data_offsets"]
        if dtype not in _NUMPY_DTYPES and dtype not in _TORCH_DTYPES:
            raise InputError(f"tensor {key!r} has unsupported dtype {dtype!r:.20}", path=str(path))
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape) \
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)):
            raise _not_readable(path, "safetensors", f"tensor {key!r} has a malformed shape or offsets")
        nbytes = math.prod(shape) * {**_NUMPY_DTYPES, **_TORCH_DTYPES}[dtype]
        if not 0 <= start <= end <= data or end - start != nbytes:
            raise _not_readable(path, "safetensors", f"tensor {key!r}: shape {shape} and its byte range disagree "
                                                     "with the file")
    return header


def load_safetensors(path: Path, size: int, max_memory: int | None) -> tuple[dict, object]:
    """(name → array in its stored dtype, meta as decoded JSON or None)."""
    header = safetensors_header(path, size)
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    check_memory(8 * sum(math.prod(v["shape"]) for v in tensors.values()), max_memory,
                 f"the model's {len(tensors)} tensors as float64", path=str(path))
    from safetensors import SafetensorError, safe_open

    framework = "np" if all(v["dtype"] in _NUMPY_DTYPES for v in tensors.values()) else "pt"
    try:
        with safe_open(str(path), framework=framework) as f:
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise _not_readable(path, "safetensors", str(e).splitlines()[0][:120]) from None
    meta_raw = (header.get("__metadata__") or {}).get(SAFETENSORS_META_KEY)
    meta = None
    if meta_raw:
        try:
            meta = loads_untrusted_json(meta_raw)
        except (ValueError, RecursionError):
            raise InputError(f"metadata {SAFETENSORS_META_KEY!r} is not valid JSON", path=str(path)) from None
    return arrays, meta


# -- torch -------------------------------------------------------------------------------------------------------
def _unpickling_error(path: Path, msg: str) -> InputError:
    # torch names the refused class ("Unsupported global: GLOBAL os.system ...") when the pickle
    # wants to import something; anything else is a damaged, foreign or protocol-4/5 file
    if re.search(r"global", msg, re.IGNORECASE):
        return InputError("the file holds pickled Python objects (e.g. a whole nn.Module) that cannot be loaded "
                          f"without executing code from it; refusing. {SAVE_HINT}", path=str(path))
    op = re.search(r"Unsupported operand (\d+)", msg)
    if op and int(op.group(1)) in _PROTOCOL4_OPCODES:
        return InputError(
            "not a readable torch file: it was saved with pickle protocol 4 or 5, which torch's safe loader "
            "(weights_only=True) cannot read; re-save it with the default protocol, e.g. "
            "torch.save(state_dict, path) without pickle_protocol=, or as .safetensors", path=str(path))
    detail = re.search(r"Unsupported operand \d+|Unsupported operation.*", msg)
    return _not_readable(path, "torch", detail.group(0) if detail else "unpickling error")


def load_torch(path: Path, size: int, max_memory: int | None) -> object:
    """The object a torch file holds, tensors memory-mapped where the file allows (zip format)."""
    import torch

    def load(mmap: bool):
        with warnings.catch_warnings():
            # torch warns about pickle protocols it reads fine; the refusal below is what matters
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)

    try:
        try:
            return load(mmap=zipfile.is_zipfile(path))
        except RuntimeError as e:
            if "mmap" not in str(e):
                raise
            # legacy (non-zip) format: read whole, so the file itself must fit
            check_memory(size, max_memory, "this legacy-format torch file", path=str(path))
            return load(mmap=False)
    except pickle.UnpicklingError as e:
        raise _unpickling_error(path, str(e)) from None
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - torch.load parses untrusted bytes: any failure is the file's
        first = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise _not_readable(path, "torch", first) from None


def tensor_numel(t: object) -> int:
    """Elements of a tensor or array (0 for anything else), read from its shape without touching data."""
    shape = getattr(t, "shape", None)
    try:
        return math.prod(int(d) for d in shape) if shape is not None else 0
    except (TypeError, ValueError):
        return 0


def to_array(t: object, key: str, path: str) -> np.ndarray:
    """A tensor or array as a numpy array in its stored dtype (16-bit and 8-bit floats as float32)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(t, torch.Tensor):
        if t.device.type == "meta":
            raise InputError(f"tensor {key!r} is on the meta device: it has a shape but no values; save the "
                             "model after its weights are loaded", path=path)
        if t.is_quantized:
            t = t.dequantize()
        if t.layout != torch.strided:
            t = t.to_dense()
        if t.dtype == torch.bool or t.dtype.is_complex:
            raise InputError(f"tensor {key!r} has dtype {t.dtype}; weights and biases must be real numbers",
                             path=path)
        if t.dtype.is_floating_point and t.dtype not in (torch.float16, torch.float32, torch.float64):
            t = t.to(torch.float32)  # bfloat16 and float8 hold these values exactly; numpy has no such dtypes
        try:
            return t.detach().cpu().numpy()
        except (TypeError, RuntimeError) as e:
            raise InputError(f"tensor {key!r} cannot be read ({str(e)[:100]})", path=path) from None
    if isinstance(t, np.ndarray):
        if t.dtype == np.bool_ or np.issubdtype(t.dtype, np.complexfloating) or not np.issubdtype(t.dtype, np.number):
            raise InputError(f"tensor {key!r} has dtype {t.dtype}; weights and biases must be real numbers",
                             path=path)
        return t
    raise InputError(f"entry {key!r} is a {type(t).__name__}, not a tensor", path=path)


__all__ = ["SAFETENSORS_META_KEY", "SAVE_HINT", "load_safetensors", "load_torch", "safetensors_header",
           "tensor_numel", "to_array"]
