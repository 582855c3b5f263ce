"""The schema of a model file's meta, checked at load so a value of the wrong type is one line, not a traceback.

A model's meta (the ``meta`` entry of a torch file, the ``dsdcompile_meta`` JSON of a
safetensors file) may hold:

- ``input_names``, ``class_names``: lists of names (strings, or integers written as names),
  each meeting the rule of every user-given name (:mod:`dsdcompile.names`: non-empty, at most
  :data:`~dsdcompile.names.MAX_NAME_CHARS` characters, no control characters, line separators or
  bidirectional controls, the same rule as a CRN file's signal names) and unique within its list.
- ``preprocessing``: a list of steps, each a mapping with an ``op``; the parameters of each
  op are checked against the network's width by :func:`dsdcompile.nn.preprocess.validate`.
- ``construction``: a construction name (a string).
- each construction parameter (``epsilon``): a positive finite number.
- ``input_range``: the box of network inputs (after preprocessing) the model was trained for,
  ``{"low": [...], "high": [...], "margin": m, "split": "train"}`` (:mod:`dsdcompile.nn.input_range`):
  two lists of finite numbers of one length with low ≤ high, a finite margin ≥ 0, a split name;
  its length is checked against the network's input width when the network is built.

Other keys are kept and ignored.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

from dsdcompile.constructions import CONSTRUCTIONS
from dsdcompile.errors import InputError
from dsdcompile.names import MAX_NAME_CHARS, name_problem

NAME_KEYS = ("input_names", "class_names")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _names(meta: Mapping, key: str, path: str) -> list[str] | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InputError(f"meta {key!r} must be a list of names, got a {_kind(value)}", path=path)
    out = []
    for i, name in enumerate(value):
        if isinstance(name, bool) or not isinstance(name, (str, numbers.Integral)):
            raise InputError(f"meta {key}[{i}] must be a name (a string), got a {_kind(name)}: {name!r:.60}",
                             path=path)
        text = str(name)
        problem = name_problem(text)
        if problem is not None:
            raise InputError(f"meta {key}[{i}] {problem}", path=path)
        out.append(text)
    seen: set[str] = set()
    for name in out:
        if name in seen:
            raise InputError(f"meta {key!r} lists the name {name!r:.60} twice", path=path)
        seen.add(name)
    return out


def _parameters() -> set[str]:
    return {p for c in CONSTRUCTIONS.values() for p in c.parameters}


def validate_meta(meta: object, path: str) -> dict:
    """``meta`` checked against the schema above, as a new dict (names normalised to lists of strings)."""
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InputError(f"the model's meta must be a mapping (a JSON object), got a {_kind(meta)}", path=path)
    out = dict(meta)
    for key in NAME_KEYS:
        names = _names(meta, key, path)
        if names is not None:
            out[key] = names
    steps = meta.get("preprocessing")
    if steps is not None:
        if isinstance(steps, (str, bytes, Mapping)) or not isinstance(steps, Sequence):
            raise InputError(f"meta 'preprocessing' must be a list of steps, got a {_kind(steps)}", path=path)
        for i, step in enumerate(steps):
            if not isinstance(step, Mapping):
                raise InputError(f"preprocessing step {i} must be a mapping with an 'op', got a {_kind(step)}",
                                 path=path)
        out["preprocessing"] = [dict(s) for s in steps]
    construction = meta.get("construction")
    if construction is not None and not isinstance(construction, str):
        raise InputError(f"meta 'construction' must be a construction name, got a {_kind(construction)}", path=path)
    for name in sorted(_parameters()):
        v = meta.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InputError(f"meta {name!r} must be a number, got a {_kind(v)}: {v!r:.60}", path=path)
        if not (math.isfinite(float(v)) and float(v) > 0):
            raise InputError(f"meta {name!r} must be a positive finite number, got {v!r}", path=path)
    if meta.get("input_range") is not None:
        out["input_range"] = _input_range(meta["input_range"], path)
    return out


def _numbers(value: object, key: str, path: str) -> list[float]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InputError(f"meta input_range {key!r} must be a list of numbers, got a {_kind(value)}", path=path)
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InputError(f"meta input_range {key}[{i}] must be a number, got a {_kind(v)}: {v!r:.60}", path=path)
        if not math.isfinite(float(v)):
            raise InputError(f"meta input_range {key}[{i}] is {v} (must be finite)", path=path)
        out.append(float(v))
    return out


def _input_range(value: object, path: str) -> dict:
    """``input_range`` checked: finite low/high lists of one length, low ≤ high, a margin ≥ 0, a split name."""
    if not isinstance(value, Mapping):
        raise InputError(f"meta 'input_range' must be a mapping with 'low' and 'high', got a {_kind(value)}",
                         path=path)
    for key in ("low", "high"):
        if key not in value:
            raise InputError(f"meta 'input_range' lacks {key!r}", path=path)
    low, high = _numbers(value["low"], "low", path), _numbers(value["high"], "high", path)
    if len(low) != len(high):
        raise InputError(f"meta input_range has {len(low)} low but {len(high)} high values", path=path)
    if not low:
        raise InputError("meta input_range is empty", path=path)
    for i, (lo, hi) in enumerate(zip(low, high)):
        if lo > hi:
            raise InputError(f"meta input_range feature {i}: low {lo:g} > high {hi:g}", path=path)
    out = dict(value)
    out.update(low=low, high=high)
    margin = value.get("margin")
    if margin is not None and (isinstance(margin, bool) or not isinstance(margin, numbers.Real)
                               or not math.isfinite(float(margin)) or float(margin) < 0):
        raise InputError(f"meta input_range 'margin' must be a finite number >= 0, got {margin!r:.60}", path=path)
    split = value.get("split")
    if split is not None and not isinstance(split, str):
        raise InputError(f"meta input_range 'split' must be a split name, got a {_kind(split)}", path=path)
    return out


__all__ = ["MAX_NAME_CHARS", "validate_meta"]
