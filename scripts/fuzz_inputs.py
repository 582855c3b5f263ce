"""Run a generated corpus of bad inputs through ``dsdcompile``; count tracebacks, hangs, partial outputs, leftovers.

Every case is one command line (``python -m dsdcompile ...``) run in a subprocess with a time
limit, in a folder of its own, on files generated here (large ones at run time, sparse where
the file system allows). After each run the script checks what issue 14 promises:

- no traceback (``Traceback (most recent call last)`` in the output);
- no hang (the run ends within ``--timeout`` seconds);
- exit 0, or exit 2 with exactly one line on stderr, ``dsdcompile: error: ...``, naming the
  file when the case names one (a few cases list other acceptable codes);
- no partial output: after exit 0 the ``--out`` folder is a complete design (summary.json and
  every file it lists); after any other exit ``--out`` is exactly as it was before;
- no leftover temporary folder (``.<out>.*.tmp``) beside ``--out`` (after a run this script killed,
  none once the next run's cleanup, :func:`dsdcompile.stages.folder.clean_stale`, has run);
- nothing a user made is lost (user files placed in an existing ``--out`` still exist, in
  place or in a backup folder), no file ever ran code, and no process of the run outlives it.

Run ``python scripts/fuzz_inputs.py`` (all cases, 2 at a time), ``--kinds inputs,out`` for some
kinds, ``--sample 50`` for a spread-out subset, ``--json FILE`` to keep the counts. The default
test suite runs a sample in forked children (``--mode fork``: the same command line run by
click in a fork of a process that has imported torch already, which is much faster).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import pickle
import random
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLASSES = ["setosa", "versicolor", "virginica"]
INPUTS = ["sl", "sw", "pl", "pw"]
GOOD_META = {"input_names": INPUTS, "class_names": CLASSES,
             "preprocessing": [{"op": "standardize", "mean": [5.8, 3.0, 3.7, 1.2], "std": [0.8, 0.4, 1.7, 0.7]}]}
SENTINEL = "code_was_executed"


@dataclass
class Case:
    """One command line and what it may do."""

    name: str
    kind: str
    args: list[str]
    cwd: Path
    out: Path | None = None
    expect: tuple[int, ...] = (0, 2)
    names: str | tuple[str, ...] | None = None  # what an exit-2 message must name (one of them, if several)
    setup: Callable[[], None] | None = None
    cleanup: Callable[[], None] | None = None
    user_files: tuple[Path, ...] = ()  # files a user made that must survive, in place or in a backup
    slow: bool = False  # long to run even when right (left out of --fast and of the default test sample)
    owner: str = "reliab"  # the branch expected to make the case pass (crnio: CRN file reading)
    produces: str | None = None  # a file an exit-0 run must leave (for commands without --out: report)
    one_line_failures: bool = False  # exit 1 too must be one error line naming the file (a plugin that died)


@dataclass
class Outcome:
    case: Case
    code: int | None
    seconds: float
    output: str
    problems: list[str] = field(default_factory=list)


# -- model files -----------------------------------------------------------------------------------------------
def _ternary_sd(torch, sizes=(4, 8, 3), seed=7, dtype=None):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        w = torch.randint(-1, 2, (b, a), generator=g).to(dtype or torch.int8)
        sd[f"{2 * i}.weight"] = w
        sd[f"{2 * i}.bias"] = torch.randint(-2, 3, (b,), generator=g).to(torch.float32)
    return sd


def _save_st(path: Path, tensors: dict, meta_text: str | None) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path),
              metadata=None if meta_text is None else {"dsdcompile_meta": meta_text})


def _raw_safetensors(path: Path, header: dict, data_len: int, *, sparse: bool = False) -> None:
    """A safetensors file written by hand: header, then ``data_len`` bytes (a hole when ``sparse``)."""
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        if sparse:
            f.truncate(8 + len(text) + data_len)
        else:
            f.write(b"\x00" * data_len)


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {SENTINEL}",))


def model_cases(d: Path, rng: random.Random) -> list[Case]:
    import torch

    cases: list[Case] = []
    base = d / "base"
    base.mkdir()
    sd = _ternary_sd(torch)
    torch.save({"state_dict": sd, "meta": GOOD_META}, base / "zip.pt")
    torch.save({"state_dict": sd, "meta": GOOD_META}, base / "legacy.pt", _use_new_zipfile_serialization=False)
    _save_st(base / "m.safetensors", sd, json.dumps(GOOD_META))
    k = 0

    def add(kind: str, name: str, path: Path, extra=(), **kw) -> None:
        nonlocal k
        k += 1
        cwd = d / f"c{k:04d}"
        cwd.mkdir()
        cases.append(Case(f"{kind}/{name}", kind, [str(path), *extra, "--out", str(cwd / "out"), "-q"], cwd,
                          cwd / "out", names=path.name if kw.pop("named", True) else None, **kw))

    # truncations and bit flips of three valid files
    for src in ("zip.pt", "legacy.pt", "m.safetensors"):
        data = (base / src).read_bytes()
        for off in sorted(rng.sample(range(len(data)), 25)):
            p = d / f"trunc_{off}_{src}"
            p.write_bytes(data[:off])
            add("model", f"truncate/{src}@{off}", p)
        for j in range(12):
            b = bytearray(data)
            for _ in range(rng.choice((1, 4, 32))):
                b[rng.randrange(len(b))] = rng.randrange(256)
            p = d / f"flip{j}_{src}"
            p.write_bytes(bytes(b))
            add("model", f"flip/{src}#{j}", p)
        p = d / f"junk_after_{src}"
        p.write_bytes(data + os.urandom(100))
        add("model", f"appended/{src}", p)
    for name, content in [("empty.pt", b""), ("text.pt", b"hello, not a model\n"), ("zeros.pt", b"\0" * 4096),
                          ("random.pt", bytes(rng.randrange(256) for _ in range(5000))),
                          ("zipmagic.pt", b"PK\x03\x04" + b"\0" * 100), ("html.safetensors", b"<html></html>"),
                          ("hugeheader.safetensors", struct.pack("<Q", 2**62) + b"{}"),
                          ("shortheader.safetensors", struct.pack("<Q", 100) + b"{}"),
                          ("notjson.safetensors", struct.pack("<Q", 8) + b"{{{{{{{{"),
                          ("nomodel", b"\0")]:
        (d / name).write_bytes(content)
        add("model", f"garbage/{name}", d / name)
    (d / "adir.pt").mkdir()
    add("model", "directory", d / "adir.pt")
    add("model", "missing", d / "missing.pt")
    fifo = d / "fifo.pt"
    add("model", "fifo", fifo, setup=lambda: os.mkfifo(fifo), cleanup=lambda: fifo.unlink(missing_ok=True))
    add("model", "dev_zero", Path("/dev/zero"), named=False)
    add("model", "dev_null", Path("/dev/null"), named=False)
    loop = d / "loop.pt"
    loop.symlink_to(loop)
    add("model", "symlink_loop", loop)

    # pickles: protocols, foreign objects, code that must never run
    plain = {k2: v for k2, v in sd.items()}
    for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
        p = d / f"raw_pickle{proto}.pt"
        with open(p, "wb") as f:
            pickle.dump(plain, f, protocol=proto)
        add("model", f"raw_pickle/protocol{proto}", p)
    for proto in (2, 4, 5):
        p = d / f"torch_proto{proto}.pt"
        torch.save(plain, p, pickle_protocol=proto)
        add("model", f"torch_save/protocol{proto}", p)
    for proto in (2, pickle.HIGHEST_PROTOCOL):
        p = d / f"evil{proto}.pt"
        with open(p, "wb") as f:
            pickle.dump({"0.weight": _Evil()}, f, protocol=proto)
        add("model", f"evil/raw{proto}", p)
    p = d / "evil_zip.pt"
    torch.save({"0.weight": _Evil()}, p)
    add("model", "evil/zip", p)
    p = d / "module.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(4, 3)), p)
    add("model", "whole_module", p)

    # meta of the wrong type
    wrong = [5, 2.5, "abcd", None, True, [1, 2], {"a": 1}, [None] * 4, [[1], [2], [3], [4]], float("nan"), -1, ""]
    for key in ("input_names", "class_names", "preprocessing", "construction", "epsilon"):
        for j, value in enumerate(wrong):
            meta = dict(GOOD_META, **{key: value})
            p = d / f"meta_{key}_{j}.pt"
            torch.save({"state_dict": sd, "meta": meta}, p)
            add("meta", f"{key}={value!r}", p)
    for j, value in enumerate(wrong[:8]):
        p = d / f"meta_top_{j}.pt"
        torch.save({"state_dict": sd, "meta": value}, p)
        add("meta", f"meta={value!r}", p)
    for j, text in enumerate(["[1, 2]", '"abc"', "3", "null", "true", "{", "", "NaN", "[" * 100_000 + "]" * 100_000,
                              '{"input_names": "abcd"}', '{"class_names": [1, 2, 3]}', '{"epsilon": "0.1"}',
                              '{"construction": "anderson2021", "epsilon": -1}', '{"preprocessing": {"op": 1}}',
                              '{"class_names": ["a", "a", "b"]}', '{"input_names": ["", "b", "c", "d"]}']):
        p = d / f"stmeta{j}.safetensors"
        _save_st(p, sd, text)
        add("meta", f"safetensors_meta={text[:30]!r}", p)
    for j, (key, value) in enumerate([("class_names", ["a\nb", "c", "d"]), ("class_names", ["a\0", "c", "d"]),
                                      ("input_names", ["x\r", "b", "c", "d"]), ("class_names", ["a", "b", "c\x1b[31m"]),
                                      ("class_names", ["n" * 100_000, "b", "c"])]):
        p = d / f"badname{j}.pt"
        torch.save({"state_dict": sd, "meta": dict(GOOD_META, **{key: value})}, p)
        add("names", f"{key}={value[0][:20]!r}", p)
    # hostile but legal names: formulas, markup, mathtext; they must come out as text
    hostile = ["=cmd|' /C calc'!A0", "+1|`x`", "<b>$x^2$</b>", "$\\frac{", "@SUM(A1)"]
    p = d / "hostile.pt"
    torch.save({"state_dict": sd, "meta": dict(GOOD_META, class_names=hostile[:3], input_names=hostile[1:])}, p)
    inputs = d / "hostile.csv"
    inputs.write_text("1,2,3,4\n5,6,7,8\n")
    add("names", "hostile_names", p, ["--inputs", str(inputs)], expect=(0,))

    # tensors it may not read
    def tensor_case(name, tensors, meta=GOOD_META, st=False, **kw):
        p = d / (name + (".safetensors" if st else ".pt"))
        if st:
            _save_st(p, tensors, json.dumps(meta))
        else:
            torch.save({"state_dict": tensors, "meta": meta}, p)
        add("tensor", name, p, **kw)

    w0 = sd["0.weight"]
    for dt in ("bfloat16", "float16", "float8_e4m3fn", "float8_e5m2", "float64", "int16", "int64", "uint8", "bool",
               "complex64"):
        t = getattr(torch, dt)
        for st in (False, True):
            if st and dt == "complex64":
                continue
            tensor_case(f"w_{dt}{'_st' if st else ''}", dict(sd, **{"0.weight": w0.to(t)}), st=st)
    tensor_case("sparse_coo", dict(sd, **{"0.weight": w0.float().to_sparse()}))
    tensor_case("sparse_csr", dict(sd, **{"0.weight": w0.float().to_sparse_csr()}))
    tensor_case("meta_device", dict(sd, **{"0.weight": torch.empty(8, 4, device="meta")}))
    tensor_case("quantized", dict(sd, **{"0.weight": torch.quantize_per_tensor(w0.float(), 1.0, 0, torch.qint8)}))
    tensor_case("w_0x4", {"0.weight": torch.zeros(0, 4), "0.bias": torch.zeros(0)}, meta={})
    tensor_case("w_3x0", {"0.weight": torch.zeros(3, 0), "0.bias": torch.zeros(3)}, meta={})
    tensor_case("w_0x4_st", {"0.weight": torch.zeros(0, 4), "0.bias": torch.zeros(0)}, meta={}, st=True)
    tensor_case("w_1d", dict(sd, **{"0.weight": torch.ones(32)}))
    tensor_case("w_scalar", dict(sd, **{"0.weight": torch.tensor(1.0)}))
    tensor_case("w_3d", dict(sd, **{"0.weight": torch.ones(8, 4, 1)}))
    tensor_case("w_nan", dict(sd, **{"0.weight": torch.full((8, 4), float("nan"))}))
    tensor_case("w_half", dict(sd, **{"0.weight": torch.full((8, 4), 0.5)}))
    tensor_case("w_huge_int", dict(sd, **{"0.weight": torch.full((8, 4), 2**62, dtype=torch.int64)}))
    tensor_case("b_huge", dict(sd, **{"0.bias": torch.full((8,), 1.8e308, dtype=torch.float64)}))
    tensor_case("b_neg_huge", dict(sd, **{"2.bias": torch.full((3,), -1.8e308, dtype=torch.float64)}))
    tensor_case("b_1e200", dict(sd, **{"0.bias": torch.full((8,), 1e200, dtype=torch.float64)}))
    tensor_case("b_shape", dict(sd, **{"0.bias": torch.zeros(7)}))
    tensor_case("w_list", dict(sd, **{"0.weight": [[1, 0, 0, 1]] * 8}))
    tensor_case("w_string", dict(sd, **{"0.weight": "weights"}))
    tensor_case("w_dict", dict(sd, **{"0.weight": {"a": torch.ones(2)}}))
    tensor_case("int_keys", {0: w0, 1: sd["0.bias"]}, meta={})
    tensor_case("bad_key", dict(sd, **{"0.weight.extra": w0}))
    tensor_case("batchnorm", dict(sd, **{"1.running_mean": torch.zeros(8)}))
    tensor_case("mixed_prefix", {"a.0.weight": w0, "b.2.weight": sd["2.weight"]}, meta={})
    tensor_case("bias_only", {"0.bias": torch.zeros(3)}, meta={})
    tensor_case("chain_mismatch", {"0.weight": torch.ones(8, 4, dtype=torch.int8),
                                   "2.weight": torch.ones(3, 7, dtype=torch.int8)}, meta={})
    tensor_case("empty_sd", {}, meta={})
    tensor_case("many_layers", {f"{i}.weight": torch.eye(4, dtype=torch.int8) for i in range(0, 400, 2)}, meta={})
    tensor_case("huge_index", {f"{10**30}.weight": w0}, meta={})
    for name, obj in [("sd_int", 5), ("sd_list", [1, 2]), ("state_dict_int", {"state_dict": 5}),
                      ("state_dict_meta_str", {"state_dict": sd, "meta": "abc"}), ("tensor_only", w0)]:
        p = d / f"{name}.pt"
        torch.save(obj, p)
        add("tensor", name, p)

    # sizes: refused with an estimate, or read within the limit (never an allocator traceback or a hang)
    p = d / "big.safetensors"
    _raw_safetensors(p, {"0.weight": {"dtype": "I8", "shape": [50_000, 50_000], "data_offsets": [0, 2_500_000_000]}},
                     2_500_000_000, sparse=True)
    add("size", "50000x50000_int8_st", p)
    p = d / "wide.safetensors"
    _raw_safetensors(p, {"0.weight": {"dtype": "I8", "shape": [3, 2_000_000], "data_offsets": [0, 6_000_000]}},
                     6_000_000)
    add("size", "3x2000000_int8_st", p, slow=True)
    p = d / "wide.pt"
    torch.save({"0.weight": torch.ones(3, 2_000_000, dtype=torch.int8)}, p)
    add("size", "3x2000000_int8_pt", p, slow=True)
    p = d / "wide_names.pt"
    torch.save({"state_dict": {"0.weight": torch.ones(2, 3, dtype=torch.int8)},
                "meta": {"preprocessing": [{"op": "pool2d", "height": 3 * 10**6, "width": 10**6, "factor": 10**6}]}}, p)
    add("size", "pool2d_raw_width_3e12", p)
    p = d / "lying_shape.safetensors"
    _raw_safetensors(p, {"0.weight": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 16]}}, 16)
    add("size", "header_lies_about_shape", p)
    return cases


# -- preprocessing and inputs ----------------------------------------------------------------------------------
def input_cases(d: Path, rng: random.Random) -> list[Case]:
    import torch

    cases: list[Case] = []
    sd = _ternary_sd(torch)
    model = d / "model.pt"
    torch.save({"state_dict": sd, "meta": GOOD_META}, model)
    k = 0

    def add(kind, name, inputs: Path, model_path: Path = model, extra=(), **kw):
        nonlocal k
        k += 1
        cwd = d / f"c{k:04d}"
        cwd.mkdir()
        names = kw.pop("names", inputs.name)
        cases.append(Case(f"{kind}/{name}", kind, [str(model_path), "--inputs", str(inputs), *extra, "--out",
                                                    str(cwd / "out"), "-q"], cwd, cwd / "out", names=names, **kw))

    good_rows = ["5.1,3.5,1.4,0.2", "6.2,2.9,4.3,1.3", "7.7,3.0,6.1,2.3"]

    def csv_case(name, text: str | bytes | Callable[[], bytes], suffix=".csv", **kw):
        p = d / f"in_{len(cases):04d}{suffix}"
        if callable(text):  # large: made just before the run and removed after it
            kw.update(setup=lambda: p.write_bytes(text()), cleanup=lambda: p.unlink(missing_ok=True))
        else:
            p.write_bytes(text if isinstance(text, bytes) else text.encode())
        add("inputs", name, p, **kw)

    for label in ["inf", "-inf", "1e400", "nan", "1.5", "-1", "3", "", "unknown", "1e20", "0x1", " 1 ", "\uff11",
                  "1e-400", "9" * 5000, "setosa ", "SETOSA", "2.0000000000000001"]:
        csv_case(f"label={label[:20]!r}", "sl,sw,pl,pw,label\n" + "\n".join(f"{r},{label}" for r in good_rows))
    for value in ["nan", "inf", "1e400", "-1e400", "1e300", "", "abc", '"1,5"', "0x10", "1_000", "\u0661", "9" * 5000]:
        csv_case(f"feature={value[:20]!r}", f"5.1,3.5,1.4,{value}\n6.2,2.9,4.3,1.3\n")
    structural = {
        "empty": "", "blank_lines": "\n\n  \n", "header_only": "sl,sw,pl,pw,label\n",
        "bom_no_header": "\ufeff" + "\n".join(good_rows), "bom_header": "\ufeffsl,sw,pl,pw\n" + "\n".join(good_rows),
        "crlf": "\r\n".join(good_rows) + "\r\n", "ragged_short": "5.1,3.5,1.4,0.2\n6.2,2.9\n",
        "ragged_long": "5.1,3.5,1.4,0.2\n6.2,2.9,4.3,1.3,0,0,0\n", "one_column": "1\n2\n3\n",
        "tabs": "5.1\t3.5\t1.4\t0.2\n", "semicolons": "5,1;3,5;1,4;0,2\n", "unbalanced_quote": '5.1,"3.5,1.4,0.2\n',
        "nul_byte": "5.1,3.5,1.4,0\x00.2\n", "header_dup_label": "sl,sw,pl,pw,label,label\n1,2,3,4,setosa,setosa\n",
        "many_columns": ",".join(["1"] * 100_000) + "\n", "names_partial": "sl,sw,XX,pw\n1,2,3,4\n",
        "label_only_header": "label\nsetosa\n", "cr_only": "\r".join(good_rows),
    }
    for name, text in structural.items():
        csv_case(name, text)
    csv_case("latin1", "sl,sw,pl,pw,label\n1,2,3,4,caf\xe9\n".encode("latin-1"))
    csv_case("binary", bytes(rng.randrange(256) for _ in range(4000)))
    csv_case("utf16", "\n".join(good_rows).encode("utf-16"))
    csv_case("huge_line", lambda: b"1" * (200 * 2**20))
    csv_case("huge_field_quoted", b'"' + b"1" * (2 * 2**20) + b'"\n')
    gz = gzip.compress(("\n".join(good_rows) + "\n").encode())
    csv_case("gz_ok", gz, ".csv.gz", expect=(0,))
    for off in sorted(rng.sample(range(1, len(gz)), 12)):
        csv_case(f"gz_truncated@{off}", gz[:off], ".csv.gz")
    for j in range(6):
        b = bytearray(gz)
        b[rng.randrange(10, len(b))] ^= 0xFF
        csv_case(f"gz_corrupt#{j}", bytes(b), ".csv.gz")
    csv_case("gz_magic_junk", b"\x1f\x8b" + os.urandom(200), ".csv.gz")
    csv_case("gz_not_gzip", "\n".join(good_rows), ".csv.gz")
    csv_case("gz_of_binary", gzip.compress(os.urandom(3000)), ".csv.gz")
    csv_case("gz_long_line", lambda: gzip.compress(b"1" * (300 * 2**20), compresslevel=1), ".csv.gz")
    csv_case("gz_concatenated", gz + gz, ".csv.gz")
    (d / "indir").mkdir()
    add("inputs", "directory", d / "indir")
    add("inputs", "missing", d / "missing.csv")
    fifo = d / "in.fifo.csv"
    add("inputs", "fifo", fifo, setup=lambda: os.mkfifo(fifo), cleanup=lambda: fifo.unlink(missing_ok=True))
    add("inputs", "dev_zero", Path("/dev/zero"), names="/dev/zero")
    add("inputs", "dev_null", Path("/dev/null"), names="/dev/null")
    add("inputs", "dev_urandom", Path("/dev/urandom"), names="/dev/urandom")
    gen = d / "million.csv"

    def million():
        r = random.Random(1)
        with open(gen, "w") as f:
            f.write("sl,sw,pl,pw,label\n")
            for _ in range(1_000_000):
                f.write(f"{r.uniform(4, 8):.2f},{r.uniform(2, 4):.2f},{r.uniform(1, 7):.2f},{r.uniform(0, 3):.2f},"
                        f"{CLASSES[r.randrange(3)]}\n")

    add("inputs", "one_million_rows", gen, extra=["--ode-examples", "2"], setup=million,
        cleanup=lambda: gen.unlink(missing_ok=True), slow=True, expect=(0, 2))

    # preprocessing parameters (they only matter once examples are read)
    csv4 = d / "four.csv"
    csv4.write_text("\n".join(good_rows) + "\n")
    csv16 = d / "sixteen.csv"
    csv16.write_text(",".join(["1"] * 16) + "\n")
    steps = [
        [{"op": "standardize", "mean": [1, 2, 3], "std": [1, 1, 1, 1]}],
        [{"op": "standardize", "std": [1, 1, 1, 1]}], [{"op": "standardize", "mean": [0] * 4}],
        [{"op": "standardize", "mean": [0] * 4, "std": "abc"}], [{"op": "standardize", "mean": "0000", "std": [1] * 4}],
        [{"op": "standardize", "mean": [0] * 4, "std": [0] * 4}],
        [{"op": "standardize", "mean": [float("nan")] * 4, "std": [1] * 4}],
        [{"op": "standardize", "mean": [[0] * 4], "std": [1] * 4}],
        [{"op": "standardize", "mean": [None] * 4, "std": [1] * 4}],
        [{"op": "standardize", "mean": 0.0, "std": 1.0}],
        [{"op": "affine", "scale": "x"}], [{"op": "affine", "scale": [1, 2]}],
        [{"op": "affine", "offset": float("inf")}],
        [{"op": "affine"}], [{"op": "unknown"}], [{"nop": 1}], ["standardize"], [None], 5, "standardize",
    ]
    for j, pre in enumerate(steps):
        p = d / f"pre{j}.pt"
        torch.save({"state_dict": sd, "meta": dict(GOOD_META, preprocessing=pre)}, p)
        add("preprocess", f"{str(pre)[:50]}", csv4, model_path=p, names=p.name)
    sd16 = _ternary_sd(torch, (4, 3, 3))
    for j, (h, w, f) in enumerate([(4, 4, 2), ("abc", 4, 2), (4, 4, 0), (4, 4, -2), (4, 4, 2.5), (4, 4, 3), (0, 0, 1),
                                   (-4, -4, 2), (4, 4, None), (4, 4, True), (2, 8, 2), (8, 8, 4), (10**9, 4, 2)]):
        p = d / f"pool{j}.pt"
        meta = {"preprocessing": [{"op": "pool2d", "height": h, "width": w, "factor": f}]}
        torch.save({"state_dict": sd16, "meta": meta}, p)
        # a pool that fits the network but not the CSV is the CSV's fault: either file may be named
        add("preprocess", f"pool2d({h!r},{w!r},{f!r})", csv16, model_path=p, names=(p.name, csv16.name))
    return cases


# -- the destination ------------------------------------------------------------------------------------------
def _fake_design(folder: Path, extra: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    files = ["formal.crn", "reduced.crn", "network.json"]
    for f in files:
        (folder / f).write_text("old\n")
    (folder / "summary.json").write_text(json.dumps({"files": ["summary.json", *files]}))
    for name, text in extra.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def out_cases(d: Path, rng: random.Random) -> list[Case]:
    import torch

    cases: list[Case] = []
    model = d / "model.pt"
    torch.save({"state_dict": _ternary_sd(torch), "meta": GOOD_META}, model)
    k = 0

    def new_cwd():
        nonlocal k
        k += 1
        cwd = d / f"c{k:04d}"
        cwd.mkdir()
        return cwd

    def add(name, out: str | Path, cwd: Path, extra=(), **kw):
        cases.append(Case(f"out/{name}", "out", [str(model), "--out", str(out), *extra, "-q"], cwd,
                          (cwd / out) if not Path(out).is_absolute() else Path(out), **kw))

    cwd = new_cwd()
    add("dot_empty_cwd", ".", cwd, names=None)
    cwd = new_cwd()
    (cwd / "sub").mkdir()
    add("dotdot", "..", cwd / "sub", names=None)
    cwd = new_cwd()
    add("sub_dotdot", "x/..", cwd, names=None)
    cwd = new_cwd()
    add("root", "/", cwd, names=None)
    for system in ("/proc", "/dev/null"):  # not the case's own folder: its contents are not compared
        cwd = new_cwd()
        cases.append(Case(f"out/system_{system}", "out", [str(model), "--out", system, "-q"], cwd, None,
                          names=system))
    cwd = new_cwd()
    (cwd / "afile").write_text("user data\n")
    add("parent_is_file", "afile/out", cwd, names="afile", user_files=(cwd / "afile",))
    cwd = new_cwd()
    (cwd / "afile").write_text("user data\n")
    add("out_is_file", "afile", cwd, names="afile", user_files=(cwd / "afile",))
    cwd = new_cwd()
    add("out_is_model", str(model), cwd, names=model.name)
    cwd = new_cwd()
    (cwd / "ro").mkdir()
    add("parent_0555", "ro/out", cwd, setup=lambda c=cwd: os.chmod(c / "ro", 0o555),
        cleanup=lambda c=cwd: os.chmod(c / "ro", 0o755))
    cwd = new_cwd()
    (cwd / "ro").mkdir()
    _fake_design(cwd / "ro" / "out", {})
    add("design_in_0555_parent", "ro/out", cwd, setup=lambda c=cwd: os.chmod(c / "ro", 0o555),
        cleanup=lambda c=cwd: os.chmod(c / "ro", 0o755))
    cwd = new_cwd()
    add("deep_new_parents", "a/b/c/d/out", cwd)
    cwd = new_cwd()
    add("long_name", "n" * 300, cwd, names=None)
    cwd = new_cwd()
    add("newline_name", "out\nx", cwd, names=None)
    for target_kind in ("design", "user", "dangling", "file"):
        cwd = new_cwd()
        target = cwd / "target"
        users = ()
        if target_kind == "design":
            _fake_design(target, {})
        elif target_kind == "user":
            target.mkdir()
            (target / "notes.txt").write_text("mine\n")
            users = (target / "notes.txt",)
        elif target_kind == "file":
            target.write_text("mine\n")
            users = (target,)
        (cwd / "link").symlink_to(target)
        add(f"symlink_to_{target_kind}", "link", cwd, names="link", user_files=users)
    cwd = new_cwd()
    (cwd / "loop").symlink_to(cwd / "loop")
    add("symlink_loop", "loop", cwd, names="loop")
    for extra_name, extra in [("user_file", {"thesis.tex": "mine"}), ("sequences", {
            "sequences.csv": "a,b", "order_plates.xlsx": "x", "sequence_report.md": "r"}),
            ("subfolder", {"runs/run1.csv": "1"}), ("hidden", {".notes": "n"}), ("nothing_else", {})]:
        for force in (False, True):
            cwd = new_cwd()
            _fake_design(cwd / "out", extra)
            users = tuple(cwd / "out" / n for n in extra)
            add(f"design_with_{extra_name}{'_force' if force else ''}", "out", cwd,
                ["--force"] if force else [], user_files=users, names="out" if extra and not force else None)
    cwd = new_cwd()
    (cwd / "out").mkdir()
    (cwd / "out" / "data.csv").write_text("mine")
    add("user_folder", "out", cwd, user_files=(cwd / "out" / "data.csv",), names="out")
    cwd = new_cwd()
    (cwd / "out").mkdir()
    (cwd / "out" / "data.csv").write_text("mine")
    add("user_folder_force", "out", cwd, ["--force"], user_files=(cwd / "out" / "data.csv",))
    cwd = new_cwd()
    (cwd / "out").mkdir()
    add("empty_folder", "out", cwd, expect=(0,))
    cwd = new_cwd()
    stale = cwd / ".out.abc123.tmp"
    stale.mkdir()
    (stale / "formal.crn").write_text("a stale folder without a marker is not ours: left alone")
    add("foreign_tmp_lookalike", "out", cwd, user_files=(stale / "formal.crn",))
    return cases


# -- options ---------------------------------------------------------------------------------------------------
def option_cases(d: Path, rng: random.Random) -> list[Case]:
    import torch

    cases: list[Case] = []
    model = d / "model.pt"
    torch.save({"state_dict": _ternary_sd(torch, (2, 2)), "meta": {}}, model)
    csv = d / "x.csv"
    csv.write_text("0.5,-1\n1,0.3\n")
    k = 0

    def add(name, extra, **kw):
        nonlocal k
        k += 1
        cwd = d / f"c{k:04d}"
        cwd.mkdir()
        cases.append(Case(f"options/{name}", "options", [str(model), *extra, "--out", str(cwd / "out"), "-q"], cwd,
                          cwd / "out", **kw))

    dask = ["--executor", "dask", "--scheme", "soloveichik2010"]
    for addr in ["", "::::", "tcp://", "tcp://localhost:notaport", "tcp://[::1", "http://127.0.0.1:1", "tcp://:-1",
                 "inproc://nothing", "tcp://127.0.0.1:1"]:
        add(f"scheduler={addr!r}", [*dask, "--scheduler", addr], names=None)
    add("scheduler_blackhole", [*dask, "--scheduler", "tcp://10.255.255.1:8786"], names=None, slow=True)
    for mem in ["abc", "-5", "0", "1", "1e3", "10XB", "1TB", "nan", "2GB", "0.5KB"]:
        add(f"max_memory={mem!r}", ["--max-memory", mem], names=None)
    for opt, values in [("--workers", ["0", "-1"]), ("--module-timeout", ["-1", "nan"]),
                        ("--epsilon", ["nan", "inf", "-1", "0"]), ("--rate", ["0", "nan", "inf", "-1"]),
                        ("--t-max", ["0", "-inf"]), ("--ode-examples", ["-2"]), ("--plot-example", ["-1", "99"]),
                        ("--unit-nM", ["0"]), ("--volume-uL", ["nan"]), ("--max-products", ["0"]),
                        ("--max-strand-nt", ["0"]), ("--construction", ["bogus"]), ("--binarize", ["bogus"]),
                        ("--scheme", ["bogus", "", "none.py", "/dev/zero"])]:
        for v in values:
            add(f"{opt}={v}", [opt, v, "--inputs", str(csv)], names=None)
    for name, code in [("exit0", "import sys\nsys.exit(0)\n"), ("exit3", "raise SystemExit(3)\n"),
                       ("raise", "raise RuntimeError('boom')\n"), ("syntax", "def (:\n"), ("empty", ""),
                       ("keyboard", "raise KeyboardInterrupt\n"), ("recursion", "def f(): return f()\nf()\n")]:
        p = d / f"scheme_{name}.py"
        p.write_text(code)
        add(f"scheme_file_{name}", ["--scheme", str(p)], names=p.stem,
            expect=(2, 130) if name == "keyboard" else (0, 2))
    (d / "schemedir.py").mkdir()
    add("scheme_file_directory", ["--scheme", str(d / "schemedir.py")], names="schemedir.py")
    return cases


# -- CRN files (read by dsdcompile.crn, owned by the crnio branch) -----------------------------------------
def crn_cases(d: Path, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    good = "@input a Xa\n@output y Y\nXa -> Y\n"
    k = 0

    def add(name, text: str | bytes | None, suffix=".crn", path: Path | None = None, extra=(), **kw):
        nonlocal k
        k += 1
        cwd = d / f"c{k:04d}"
        cwd.mkdir()
        if path is None:
            path = cwd / f"in{suffix}"
            path.write_bytes(text if isinstance(text, bytes) else text.encode())
        cases.append(Case(f"crn/{name}", "crn", [str(path), *extra, "--out", str(cwd / "out"), "-q"], cwd,
                          cwd / "out", names=path.name if kw.pop("named", True) else None, owner="crnio", **kw))

    add("digits_5000", "@input a Xa\n@output y Y\nXa -> " + "9" * 5000 + " Y\n")
    add("coefficient_4294967297_dsd", "@input a Xa\n@output y Y\nXa -> 4294967297 Y\n",
        extra=["--scheme", "soloveichik2010"], slow=True)
    add("negative", "Xa -> -1 Y\n")
    add("zero_coeff", "Xa -> 0 Y\n")
    add("float_coeff", "Xa -> 1.5 Y\n")
    add("unicode", "@input a Χα\n@output y Ÿ\nΧα -> Ÿ\n")
    add("unknown_directive", "@frobnicate a\n" + good)
    add("empty", "")
    add("only_comments", "# nothing\n")
    add("binary", bytes(rng.randrange(256) for _ in range(2000)))
    add("nul", good.replace("->", "-\0>"))
    add("long_line", "Xa -> " + " + ".join(f"Y{i}" for i in range(50_000)) + "\n")
    lines = good.splitlines()
    for j in range(20):  # line-level mutations of a valid file
        mutated = list(lines)
        op = rng.choice(("delete", "duplicate", "swap", "flip"))
        i = rng.randrange(len(mutated))
        if op == "delete":
            del mutated[i]
        elif op == "duplicate":
            mutated.insert(i, mutated[i])
        elif op == "swap":
            i2 = rng.randrange(len(mutated))
            mutated[i], mutated[i2] = mutated[i2], mutated[i]
        else:
            s = list(mutated[i])
            if s:
                s[rng.randrange(len(s))] = rng.choice("-+>@#0 \t\\;:,=")
            mutated[i] = "".join(s)
        add(f"mutate_{op}#{j}", "\n".join(mutated) + "\n")
    crn_json = {"format": "dsdcompile-crn", "version": 1, "species": [
        {"name": "Xa", "role": "input", "node": "a", "rail": 0},
        {"name": "Y", "role": "output", "node": "y", "rail": 0}],
        "reactions": [{"reactants": {"Xa": 1}, "products": {"Y": 1}, "rate": None}], "initial": {}}
    for name, mutate in [("coeff_1e400", lambda j: j["reactions"][0]["products"].update(Y=1e400)),
                         ("coeff_negative", lambda j: j["reactions"][0]["products"].update(Y=-1)),
                         ("coeff_zero", lambda j: j["reactions"][0]["products"].update(Y=0)),
                         ("coeff_float", lambda j: j["reactions"][0]["products"].update(Y=1.5)),
                         ("coeff_bool", lambda j: j["reactions"][0]["products"].update(Y=True)),
                         ("name_space", lambda j: j["species"][0].update(name="X a")),
                         ("no_reactions", lambda j: j.update(reactions=[])),
                         ("reactions_str", lambda j: j.update(reactions="abc")),
                         ("species_int", lambda j: j.update(species=5))]:
        j = json.loads(json.dumps(crn_json))
        mutate(j)
        add(f"json_{name}", json.dumps(j), ".json")
    add("json_nested_100000", "[" * 100_000 + "]" * 100_000, ".json")
    add("json_list", "[1, 2]", ".json")
    add("json_invalid", "{", ".json")
    add("json_species_60000", json.dumps(dict(crn_json, species=[
        {"name": f"S{i}", "role": "intermediate"} for i in range(60_000)])), ".json", slow=True)
    add("repeated_reactants_dsd", "@input a Xa\n@output y Y\n3 Xa -> Y\n", extra=["--scheme", "soloveichik2010"],
        slow=True)
    fifo = d / "fifo.crn"
    add("fifo", None, path=fifo, setup=lambda: os.mkfifo(fifo), cleanup=lambda: fifo.unlink(missing_ok=True))
    zero = d / "zero.crn"
    add("dev_zero_symlink", None, path=zero, setup=lambda: zero.symlink_to("/dev/zero"))
    return cases


# -- issue 26: mix, report, sequences, train, plate-reader files, schemes, hostile names, plugins ----------------
HOSTILE_CLASSES = ["=1+1", "@SUM(A1)", "-2+3"]
HOSTILE_INPUTS = ["+cmd", "@x", "-pw", "=A1"]
PLUGIN_BODIES = {  # appended to a copy of the built-in soloveichik2010 scheme (import: the whole file)
    "exit0_translate": ("_t = translate\ndef translate(r, p, nd):\n    import os\n    os._exit(0)\n", (1,)),
    "exit0_import": ("import os\nos._exit(0)\n", (1,)),
    "sigkill_translate": ("def translate(r, p, nd):\n    import os, signal\n    os.kill(os.getpid(), 9)\n", (1,)),
    "segv_import": ("import ctypes\nctypes.string_at(0)\n", (1,)),
    "sleep_translate": ("def translate(r, p, nd):\n    import time\n    time.sleep(10**6)\n", (1,)),
    "raise_translate": ("def translate(r, p, nd):\n    raise MemoryError('x' * 10000)\n", (2,)),
    "int_result": ("def translate(r, p, nd):\n    return 5\n", (2,)),
    "junk_result": ("def translate(r, p, nd):\n    return [('gate', [[object()]], '(')]\n", (2,)),
    "bad_domain_kind": ("def translate(r, p, nd):\n    nd('nope')\n    return []\n", (2,)),
    "prints_stdout": ("_t = translate\ndef translate(r, p, nd):\n    print('{\"result\": []}')\n"
                      "    return _t(r, p, nd)\n", (0,)),
    "floods_stdout": ("import sys\nsys.stdout.write('x' * 10**7)\n", (0,)),
    "sys_exit_translate": ("def translate(r, p, nd):\n    raise SystemExit(0)\n", (2,)),
    "keyboard_translate": ("def translate(r, p, nd):\n    raise KeyboardInterrupt\n", (2,)),
    "layout_object": ("def signal_layout():\n    return [(object(), 'branch')]\n", (2,)),
}


def _design_for_mix(d: Path) -> Path | None:
    """A real design with a wet-lab plan, from a model with formula-like class and input names (about 30 s)."""
    import torch

    model = d / "hostile.pt"
    torch.save({"state_dict": _ternary_sd(torch),
                "meta": dict(GOOD_META, class_names=HOSTILE_CLASSES, input_names=HOSTILE_INPUTS)}, model)
    (d / "hostile.csv").write_text(",".join(HOSTILE_INPUTS) + ",label\n5.1,3.5,1.4,0.2,=1+1\n"
                                   "6.2,2.9,4.3,1.3,@SUM(A1)\n7.7,3.0,6.1,2.3,-2+3\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "dsdcompile", "compile", str(model), "--inputs", str(d / "hostile.csv"),
                          "--scheme", "soloveichik2010", "--out", str(d / "design"), "-q"], env=env, cwd=d,
                         capture_output=True, timeout=600)
    return d / "design" if res.returncode == 0 and (d / "design" / "lab_plan.json").is_file() else None


def _garbage_csvs(d: Path, rng: random.Random) -> dict[str, bytes]:
    """CSV-like files as a careless user or a plate reader makes them."""
    header = ",".join(HOSTILE_INPUTS)
    row = "5.1,3.5,1.4,0.2"
    plate = ("Plate Reader Export\r\nDate,2026-01-01\r\n\r\nWell,Time [s],FAM,HEX\r\n"
             + "".join(f"A{i},{i * 300},{rng.random() * 1e4:.1f},OVRFLW\r\n" for i in range(1, 30)))
    return {
        "random_bytes.csv": bytes(rng.randrange(256) for _ in range(4000)),
        "header_only.csv": (header + "\n").encode(),
        "huge_pos.csv": f"{header}\n1e308,3.5,1.4,0.2\n".encode(),
        "huge_neg.csv": f"{header}\n5.1,-1e308,1.4,0.2\n".encode(),
        "big_1e200.csv": f"{header}\n1e200,3.5,1.4,0.2\n".encode(),
        "nan.csv": f"{header}\nnan,3.5,1.4,0.2\n".encode(),
        "formula_samples.csv": (f"sample,{header}\n=HYPERLINK(\"http://x\"),{row}\n@SUM(A1),{row}\n"
                                f"-2+3,{row}\n+cmd,{row}\n\tTAB,{row}\n\rCR,{row}\n").encode(),
        "quoted_formula_header.csv": (f"sample,'+cmd,'@x,'-pw,'=A1\n'=x,{row}\n").encode(),
        "unknown_columns.csv": f"a,b,c,d\n{row}\n".encode(),
        "wide.csv": (",".join(f"c{i}" for i in range(20000)) + "\n" + ",".join("1" for _ in range(20000))).encode(),
        "nul.csv": f"{header}\n5.1,3.\x005,1.4,0.2\n".encode(),
        "latin1.csv": f"sample,{header}\ncaf\xe9,{row}\n".encode("latin-1"),
        "long_line.csv": ("x" * 3_000_000 + "\n").encode(),
        "plate_reader.csv": plate.encode(),
        "plate_reader_utf16.csv": plate.encode("utf-16"),
        "bom_semicolons.csv": ("\ufeff" + header.replace(",", ";") + "\n" + row.replace(",", ";") + "\n").encode(),
        "ragged.csv": f"{header}\n{row}\n1,2\n".encode(),
        "empty.csv": b"",
        "many_rows.csv": (header + "\n" + (row + "\n") * 20000).encode(),
    }


def tail_cases(d: Path, rng: random.Random) -> list[Case]:
    import torch

    cases: list[Case] = []
    k = 0

    def folder() -> Path:
        nonlocal k
        k += 1
        cwd = d / f"t{k:04d}"
        cwd.mkdir()
        return cwd

    def add(name, args, cwd, out=None, **kw):
        cases.append(Case(f"tail/{name}", "tail", [str(a) for a in args], cwd, out, **kw))

    garbage = _garbage_csvs(d, rng)
    for fname, data in garbage.items():
        (d / fname).write_bytes(data)
    zero = d / "zero.csv"
    zero.symlink_to("/dev/zero")

    def source(fname: str, cwd: Path) -> tuple[Path, dict]:
        """The file a case reads; a FIFO is the case's own (made just before its run), so parallel runs never share
        one."""
        if fname != "fifo.csv":
            return d / fname, {}
        fifo = cwd / fname
        return fifo, {"setup": lambda: os.mkfifo(fifo), "cleanup": lambda: fifo.unlink(missing_ok=True)}

    # mix: every inputs file against a real design with hostile names, and spoiled designs
    design = _design_for_mix(d)
    if design is not None:
        for fname in [*garbage, "fifo.csv", "zero.csv"]:
            cwd = folder()
            src, kw = source(fname, cwd)
            add(f"mix_inputs_{fname}", ["mix", design, "--inputs", src, "--out", cwd / "out", "-q"], cwd,
                cwd / "out", names=fname, **kw)
        for odd in ["/dev/null", "design_itself", "file"]:
            cwd = folder()
            (cwd / "file").write_text("mine")
            out = design if odd == "design_itself" else Path(odd) if odd.startswith("/") else cwd / odd
            add(f"mix_out_{odd}", ["mix", design, "--inputs", d / "formula_samples.csv", "--out", out, "-q"], cwd,
                None, names=None, user_files=(cwd / "file",))
        for spoil, text in [("plan_garbage", b"{\x00"), ("plan_nested", b"[" * 100_000), ("plan_list", b"[]"),
                            ("plan_fifo", None), ("plan_zero", None), ("plan_wrong_format", b'{"format": "x"}')]:
            cwd = folder()
            spoiled = cwd / "design"
            shutil.copytree(design, spoiled, symlinks=True)
            plan = spoiled / "lab_plan.json"
            plan.unlink()
            setup = cleanup = None
            if spoil == "plan_fifo":
                setup, cleanup = (lambda p=plan: os.mkfifo(p)), (lambda p=plan: p.unlink(missing_ok=True))
            elif spoil == "plan_zero":
                plan.symlink_to("/dev/zero")
            else:
                plan.write_bytes(text)
            add(f"mix_{spoil}", ["mix", spoiled, "--inputs", d / "formula_samples.csv", "--out", cwd / "out", "-q"],
                cwd, cwd / "out", names=("lab_plan.json", "design"), setup=setup, cleanup=cleanup)
        # report and sequences on spoiled copies of the design: a FIFO or /dev/zero for each file they read
        for target in ["summary.json", "strands.csv", "complexes.csv", "examples.csv", "verification.json",
                       "formal.crn", "sequences.csv", "readout.csv"]:
            for how in ("fifo", "zero", "garbage"):
                cwd = folder()
                spoiled = cwd / "design"
                shutil.copytree(design, spoiled, symlinks=True)
                p = spoiled / target
                p.unlink(missing_ok=True)
                setup = cleanup = None
                if how == "fifo":
                    setup, cleanup = (lambda p=p: os.mkfifo(p)), (lambda p=p: p.unlink(missing_ok=True))
                elif how == "zero":
                    p.symlink_to("/dev/zero")
                else:
                    p.write_bytes(garbage["random_bytes.csv"])
                add(f"report_{target}_{how}", ["report", spoiled, "-q"], cwd, None, names=("design", target),
                    produces="design/index.html", setup=setup, cleanup=cleanup)
                if target in ("summary.json", "strands.csv", "complexes.csv", "sequences.csv"):
                    cwd2 = folder()
                    spoiled2 = cwd2 / "design"
                    shutil.copytree(spoiled, spoiled2, symlinks=True)
                    p2 = spoiled2 / target
                    add(f"sequences_{target}_{how}", ["sequences", spoiled2, "-q"], cwd2, None,
                        names=("design", target), expect=(0, 2, 5), slow=how == "garbage",
                        setup=(lambda p=p2: os.mkfifo(p)) if how == "fifo" else None,
                        cleanup=(lambda p=p2: p.unlink(missing_ok=True)) if how == "fifo" else None)
        cwd = folder()
        shutil.copytree(design, cwd / "design", symlinks=True)
        add("report_hostile_names", ["report", cwd / "design", "-q"], cwd, None, produces="design/index.html")
        cwd = folder()
        shutil.copytree(design, cwd / "design", symlinks=True)
        add("sequences_hostile_names", ["sequences", cwd / "design", "-q"], cwd, cwd / "design", expect=(0, 5),
            slow=True)
    for target in ["/dev/zero", "fifo_dir", "a_file"]:
        cwd = folder()
        (cwd / "a_file").write_text("x")
        (cwd / "fifo_dir").mkdir()
        add(f"report_on_{Path(target).name}", ["report", target, "-q"], cwd, None, names=None)

    # compile: inputs whose values overflow the preprocessing, a model whose preprocessing overflows
    model = d / "model.pt"
    torch.save({"state_dict": _ternary_sd(torch), "meta": GOOD_META}, model)
    huge = d / "huge_affine.pt"
    torch.save({"state_dict": _ternary_sd(torch), "meta": dict(GOOD_META, preprocessing=[
        {"op": "affine", "scale": [1e300] * 4, "offset": [0.0] * 4}])}, huge)
    tiny = d / "tiny_std.pt"
    torch.save({"state_dict": _ternary_sd(torch), "meta": dict(GOOD_META, preprocessing=[
        {"op": "standardize", "mean": [0.0] * 4, "std": [1e-300] * 4}])}, tiny)
    plain = d / "plain.csv"
    plain.write_text("5.1,3.5,1.4,0.2\n")
    for m, inputs in [(model, "huge_pos.csv"), (model, "huge_neg.csv"), (model, "big_1e200.csv"),
                      (huge, "plain.csv"), (tiny, "plain.csv")]:
        cwd = folder()
        src = d / inputs
        add(f"compile_{m.stem}_{inputs}", [m, "--inputs", src, "--out", cwd / "out", "-q"], cwd, cwd / "out",
            names=src.name)
    # --dyes and train --csv with every garbage file (plate-reader exports included)
    for fname in ["plate_reader.csv", "plate_reader_utf16.csv", "random_bytes.csv", "fifo.csv", "zero.csv",
                  "formula_samples.csv", "long_line.csv"]:
        cwd = folder()
        src, kw = source(fname, cwd)
        add(f"dyes_{fname}", [model, "--dyes", src, "--out", cwd / "out", "-q"], cwd, cwd / "out", names=fname, **kw)
        cwd = folder()
        src, kw = source(fname, cwd)
        add(f"train_csv_{fname}", ["train", "--csv", src, "--label-column", "label", "--out",
                                   cwd / "m.pt", "--epochs", "1", "-q"], cwd, None, names=fname, **kw)
    # joins and fans: refused up front beyond 6 reactants, compiled and verified up to it
    for n in (5, 6, 8, 10):
        for shape, text in (("reactants", f"{n} A -> B"), ("products", f"A -> {n} B")):
            cwd = folder()
            crn = cwd / f"{shape}{n}.crn"
            crn.write_text(f"@input x A\n@output y B\n{text}\n")
            add(f"scheme_{shape}_{n}", [crn, "--scheme", "soloveichik2010", "--out", cwd / "out", "-q"], cwd,
                cwd / "out", names=crn.name, slow=n <= 6 or shape == "products")
    # scheme plugins that die, hang, print or return junk; .ts files of garbage
    base = (ROOT / "translation_schemes" / "soloveichik2010.py").read_text()
    crn = d / "two.crn"
    crn.write_text("@input x A\n@output y B\nA + A -> B\n")
    for name, (body, expect) in PLUGIN_BODIES.items():
        cwd = folder()
        plugin = cwd / f"plugin_{name}.py"
        plugin.write_text((base + "\n" if not name.endswith("_import") else "") + body)
        add(f"plugin_{name}", [crn, "--scheme", plugin, "--out", cwd / "out", "-q"], cwd, cwd / "out",
            names=plugin.name, expect=expect, one_line_failures=True)
    for name, text in [("garbage", bytes(rng.randrange(256) for _ in range(3000))), ("empty", b""),
                       ("nuskell_like", b"# a nuskell scheme\nclass formal = {A};\nmodule m(a) = a -> a;\n"),
                       ("deep", b"(" * 100_000)]:
        cwd = folder()
        ts = cwd / f"{name}.ts"
        ts.write_bytes(text)
        add(f"ts_scheme_{name}", [crn, "--scheme", ts, "--out", cwd / "out", "-q"], cwd, cwd / "out", names=ts.name)
    cwd = folder()
    add("ts_scheme_fifo", [crn, "--scheme", cwd / "fifo.ts", "--out", cwd / "out", "-q"], cwd, cwd / "out",
        names="fifo.ts", setup=lambda: os.mkfifo(cwd / "fifo.ts"),
        cleanup=lambda: (cwd / "fifo.ts").unlink(missing_ok=True))
    # odd options of the commands of this round (those this version has)
    from dsdcompile.cli import main as cli_main

    commands = set(getattr(cli_main, "commands", {}))
    odd = [["mix", "--inputs"], ["mix", d / "nowhere", "--inputs", plain], ["report"], ["report", "--bogus", d],
           ["sequences", d / "nowhere"], ["sequences", d, "--seed", "-1"], ["sequences", d, "--temperature", "nan"],
           ["sequences", d, "--gc", "0.9", "0.1"], ["train", "--epochs", "-1"], ["train", "--dataset", "bogus"]]
    if "schemes" in commands:
        odd += [["schemes", "--bogus"], ["schemes", d / "zero.csv"], ["schemes", "x.ts"], ["schemes", "--help"]]
    if "read" in commands:
        for fname in ["plate_reader.csv", "plate_reader_utf16.csv", "random_bytes.csv", "zero.csv", "empty.csv"]:
            odd.append(["read", d / "nowhere", d / fname])
    for i, args in enumerate(odd):
        cwd = folder()
        add(f"odd_{'_'.join(str(a).rsplit('/', 1)[-1] for a in args)[:60]}#{i}", args, cwd, None, names=None)
    return cases


KINDS: dict[str, Callable[[Path, random.Random], list[Case]]] = {
    "model": model_cases, "inputs": input_cases, "out": out_cases, "options": option_cases, "crn": crn_cases,
    "tail": tail_cases}


def build_corpus(workdir: Path, seed: int = 0, kinds: tuple[str, ...] = tuple(KINDS)) -> list[Case]:
    """Generate every case's files under ``workdir`` (deterministic for a seed, apart from random padding)."""
    cases: list[Case] = []
    for kind in kinds:
        sub = workdir / kind
        sub.mkdir(parents=True)
        cases += KINDS[kind](sub, random.Random(f"{seed}:{kind}"))
    return cases


def sample(cases: list[Case], n: int, *, include_slow: bool = False) -> list[Case]:
    """``n`` cases spread over every kind (every k-th case of each kind), slow ones left out unless asked."""
    pool = [c for c in cases if include_slow or not c.slow]
    by_kind: dict[str, list[Case]] = {}
    for c in pool:
        by_kind.setdefault(c.kind, []).append(c)
    share = max(1, n // max(1, len(by_kind)))
    picked = []
    for group in by_kind.values():
        step = max(1, len(group) // share)
        picked += group[::step][:share]
    return picked[:n]


# -- running ---------------------------------------------------------------------------------------------------
def _snapshot(path: Path | None) -> object:
    """What ``path`` holds (names, sizes and hashes of files below it), to tell whether a failed run changed it."""
    if path is None:
        return None
    try:
        if path.is_symlink():
            return ("link", os.readlink(path))
        if not path.exists():
            return None
        if not path.is_dir():
            return ("file", path.stat().st_size)
        out = []
        for p in sorted(path.rglob("*")):
            out.append((str(p.relative_to(path)), hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "d"))
        return ("dir", tuple(out))
    except OSError as e:
        return ("unreadable", str(e))


def _leftovers(out: Path | None) -> list[str]:
    if out is None:
        return []
    parent = out.parent if out.name not in ("", ".", "..") else out
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    return [p.name for p in entries if p.name.endswith((".tmp", ".tmp.old")) and not p.name.startswith(".out.abc123")]


def _run_subprocess(case: Case, timeout: float) -> tuple[int | None, str, float, list[int]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dsdcompile", *case.args], cwd=case.cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    seconds = time.perf_counter() - start
    return code, err.decode(errors="replace") + out.decode(errors="replace"), seconds, _group_alive(proc.pid)


def _group_alive(pgid: int) -> list[int]:
    """Processes still alive in a finished run's process group (pool workers that outlived it)."""
    time.sleep(0.05)
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    alive.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    if alive:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


def _run_fork(case: Case, timeout: float) -> tuple[int | None, str, float, list[int]]:
    """The command line run by click in a forked child: the same code path, without starting a new interpreter."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                os.setpgid(0, 0)
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                # a test runner may have replaced the streams with its own captures
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                os.chdir(case.cwd)
                import torch

                # the parent's OpenMP threads do not exist in a fork: run torch's kernels on this thread
                torch.set_num_threads(1)
                from dsdcompile.cli import main

                try:
                    main(case.args, prog_name="dsdcompile")
                    code = 0
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # noqa: BLE001 - what the interpreter would print
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        deadline = start + timeout
        code = None
        while time.perf_counter() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.02)
        if code is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        seconds = time.perf_counter() - start
        log.seek(0)
        return code, log.read().decode(errors="replace"), seconds, _group_alive(pid)


def _complete_design(out: Path) -> str | None:
    summary = out / "summary.json"
    if not summary.is_file() and (out / "mix.json").is_file():
        summary = out / "mix.json"  # a mix folder lists its files there
    if not summary.is_file():
        return "no summary.json"
    try:
        files = json.loads(summary.read_text()).get("files", [])
    except (OSError, ValueError) as e:
        return f"unreadable summary.json ({e})"
    missing = [f for f in files if not (out / f).exists()]
    return f"listed but missing: {missing[:3]}" if missing else None


_NUMBER = None


def _formula_cells(folder: Path) -> list[str]:
    """Text cells of the CSVs below ``folder`` that a spreadsheet would run as formulas (``file: cell``)."""
    import csv
    import re

    global _NUMBER
    _NUMBER = _NUMBER or re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
    found = []
    for p in sorted(folder.rglob("*.csv")):
        if not p.is_file() or p.is_symlink() or p.stat().st_size > 64 << 20:
            continue
        try:
            with open(p, newline="", encoding="utf-8", errors="replace") as fh:
                found += [f"{p.name}: {c[:30]!r}" for row in csv.reader(fh) for c in row
                          if c and c[0] in "=+-@\t\r" and not _NUMBER.fullmatch(c)]
        except (OSError, csv.Error):
            continue
    return found


def _survives(user_file: Path, text: bytes, out: Path | None) -> bool:
    if user_file.exists() and user_file.read_bytes() == text:
        return True
    if out is None:
        return False
    try:  # a backup made by --force: <out>.backup-* holds the old folder
        rel = user_file.relative_to(out)
    except ValueError:
        return False
    return any((b / rel).is_file() and (b / rel).read_bytes() == text for b in out.parent.glob(f"{out.name}.backup*"))


def run_case(case: Case, timeout: float = 120.0, mode: str = "subprocess") -> Outcome:
    before = _snapshot(case.out)
    user = {p: p.read_bytes() for p in case.user_files if p.is_file()}
    sentinel = case.cwd / SENTINEL
    if case.setup:
        case.setup()
    try:
        runner = _run_subprocess if mode == "subprocess" else _run_fork
        code, output, seconds, alive = runner(case, timeout)
    finally:
        if case.cleanup:
            case.cleanup()
    res = Outcome(case, code, seconds, output)
    errors = [line for line in output.splitlines() if line.strip()]
    if "Traceback (most recent call last)" in output:
        res.problems.append("traceback")
    if code is None:
        res.problems.append("hang")
    elif code not in case.expect:
        res.problems.append(f"exit {code}")
    if code == 2 or (code == 1 and case.one_line_failures):
        if len(errors) != 1 or not errors[0].startswith("dsdcompile: error:"):
            res.problems.append("not one error line")
        elif case.names and not any(n in errors[0] for n in ((case.names,) if isinstance(case.names, str)
                                                              else case.names)):
            res.problems.append("message does not name the file")
    if case.out is not None and case.out.name not in ("", ".", ".."):
        if code == 0:
            why = _complete_design(case.out.resolve() if case.out.is_symlink() else case.out)
            if why:
                res.problems.append(f"partial output ({why})")
        elif _snapshot(case.out) != before:
            res.problems.append("partial output (--out changed by a failed run)")
    if code == 0 and case.produces and not (case.cwd / case.produces).is_file():
        res.problems.append(f"exit 0 without output ({case.produces})")
    if code == 0 and case.out is not None and case.out.is_dir() and not case.out.is_symlink():
        bad = _formula_cells(case.out)  # what the run wrote (a report's folder holds the user's files too)
        if bad:
            res.problems.append(f"formula cell in a CSV ({bad[0]})")
    if code is None and case.out is not None and _leftovers(case.out):
        # killed by this script: it could not clean up; what the next run into the same place does first
        from dsdcompile.stages.folder import clean_stale

        clean_stale(case.out)
    if _leftovers(case.out):
        res.problems.append(f"leftover temp folder {_leftovers(case.out)}")
    for p, text in user.items():
        if not _survives(p, text, case.out):
            res.problems.append(f"lost user file {p.name}")
    if sentinel.exists():
        res.problems.append("code from a file ran")
    if alive:
        res.problems.append(f"{len(alive)} processes outlived the run")
    return res


def run_corpus(cases: list[Case], *, timeout: float = 120.0, jobs: int = 2, mode: str = "subprocess",
               echo: Callable[[str], None] | None = None) -> list[Outcome]:
    if mode == "fork":
        jobs = 1  # forking from threads is unsafe
    results: list[Outcome] = []

    def one(case: Case) -> Outcome:
        r = run_case(case, timeout, mode)
        if echo:
            echo(f"{'FAIL' if r.problems else 'ok  '} {r.code!s:>4} {r.seconds:6.1f}s {case.name}"
                 + (f"  {r.problems}  {_last(r.output)}" if r.problems else ""))
        return r

    if jobs == 1:
        results = [one(c) for c in cases]
    else:
        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(one, cases))
    return results


def _last(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return (lines[-1][:200] if lines else "")


def tally(results: list[Outcome]) -> dict:
    """The counts the issue's targets are stated in, overall and per kind."""
    def count(rs):
        c = Counter()
        for r in rs:
            c["cases"] += 1
            c[f"exit {r.code if r.code is not None else 'timeout'}"] += 1
            for p in r.problems:
                key = p.split(" (")[0].split(" [")[0]
                key = "exit code not allowed" if key.startswith("exit ") else key
                key = "lost user file" if key.startswith("lost user file") else key
                key = "processes outlived the run" if key.endswith("outlived the run") else key
                c[key] += 1
            c["failing cases"] += bool(r.problems)
        return dict(sorted(c.items()))

    kinds = sorted({r.case.kind for r in results})
    return {"total": count(results), "by_kind": {k: count([r for r in results if r.case.kind == k]) for k in kinds},
            "by_owner": {o: count([r for r in results if r.case.owner == o]) for o in
                         sorted({r.case.owner for r in results})},
            "failures": [{"case": r.case.name, "exit": r.code, "problems": r.problems, "last_line": _last(r.output)}
                         for r in results if r.problems]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, from {', '.join(KINDS)}")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a run counts as a hang")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mode", choices=("subprocess", "fork"), default="subprocess")
    ap.add_argument("--sample", type=int, default=0, help="run only this many cases, spread over the kinds")
    ap.add_argument("--fast", action="store_true", help="leave out the slow cases (huge inputs, blackholes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the counts and failures here")
    ap.add_argument("--keep", action="store_true", help="keep the generated files (their folder is printed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per case")
    args = ap.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    work = Path(tempfile.mkdtemp(prefix="dsdcompile-fuzz-"))
    try:
        cases = build_corpus(work, args.seed, kinds)
        if args.fast:
            cases = [c for c in cases if not c.slow]
        if args.sample:
            cases = sample(cases, args.sample)
        print(f"{len(cases)} cases in {work}", flush=True)
        if args.mode == "fork":
            import torch  # noqa: F401 - imported once, before the forks

            import dsdcompile.cli  # noqa: F401
        start = time.perf_counter()
        results = run_corpus(cases, timeout=args.timeout, jobs=args.jobs, mode=args.mode,
                             echo=(lambda s: print(s, flush=True)) if args.verbose else None)
        t = tally(results)
        t["seconds"] = round(time.perf_counter() - start, 1)
        t["command"] = "python scripts/fuzz_inputs.py " + " ".join(argv if argv is not None else sys.argv[1:])
        print(json.dumps({k: v for k, v in t.items() if k != "failures"}, indent=1))
        for f in t["failures"]:
            print(f"FAIL {f['case']}: exit {f['exit']} {f['problems']} {f['last_line']}")
        if args.json:
            args.json.write_text(json.dumps(t, indent=1) + "\n")
        return 1 if t["failures"] else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            for p in work.rglob("*"):  # 0555 folders made by the cases
                if p.is_dir() and not p.is_symlink():
                    p.chmod(stat.S_IRWXU)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
