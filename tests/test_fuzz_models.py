"""Property tests (hypothesis): mutated model files never give a traceback, a hang or a partial design folder.

Each example writes a mutated model (a truncation at a random offset, random bytes overwritten,
or a meta value of a random wrong type) and runs the command line on it in a forked child with
a time limit (scripts/fuzz_inputs.py's runner), which checks: exit 0, or exit 2 with exactly
one line naming the file; no traceback; no hang; ``--out`` complete after exit 0 and absent
otherwise; no staging folder left.
"""

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "scripts" / "fuzz_inputs.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_inputs"] = fuzz
_spec.loader.exec_module(fuzz)

SD = fuzz._ternary_sd(torch)
# a few examples each keep the default run fast; scripts/fuzz_inputs.py runs the large corpus
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _valid_bytes(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m"
        if kind == "safetensors":
            save_file({k: v.contiguous() for k, v in SD.items()}, str(p), metadata={"dsdcompile_meta":
                                                                                  json.dumps(fuzz.GOOD_META)})
        else:
            torch.save({"state_dict": SD, "meta": fuzz.GOOD_META}, p,
                       _use_new_zipfile_serialization=kind == "zip")
        return p.read_bytes()


VALID = {kind: _valid_bytes(kind) for kind in ("zip", "legacy", "safetensors")}
SUFFIX = {"zip": ".pt", "legacy": ".pt", "safetensors": ".safetensors"}


def _check(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d)
        path = cwd / f"model{suffix}"
        path.write_bytes(content)
        case = fuzz.Case("property", "model", [str(path), "--out", str(cwd / "out"), "-q"], cwd, cwd / "out",
                         names=path.name)
        result = fuzz.run_case(case, timeout=60, mode="fork")
        assert not result.problems, f"{result.problems}: {fuzz._last(result.output)}"


@SETTINGS
@given(kind=st.sampled_from(sorted(VALID)), fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_model_files(kind, fraction):
    data = VALID[kind]
    _check(data[: int(fraction * len(data))], SUFFIX[kind])


@SETTINGS
@given(kind=st.sampled_from(sorted(VALID)), data=st.data())
def test_model_files_with_random_bytes_overwritten(kind, data):
    content = bytearray(VALID[kind])
    for _ in range(data.draw(st.integers(1, 16))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    _check(bytes(content), SUFFIX[kind])


_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8)
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                          max_size=4), max_leaves=12)


@SETTINGS
@given(key=st.sampled_from(["input_names", "class_names", "preprocessing", "construction", "epsilon", "meta"]),
       value=_json, safetensors=st.booleans())
def test_meta_values_of_random_types(key, value, safetensors):
    meta = value if key == "meta" else dict(fuzz.GOOD_META, **{key: value})
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m"
        if safetensors:
            text = json.dumps(meta, allow_nan=True)
            save_file({k: v.contiguous() for k, v in SD.items()}, str(p), metadata={"dsdcompile_meta": text})
        else:
            torch.save({"state_dict": SD, "meta": meta}, p)
        content = p.read_bytes()
    _check(content, ".safetensors" if safetensors else ".pt")


@SETTINGS
@given(step=st.fixed_dictionaries({"op": st.sampled_from(["standardize", "affine", "pool2d"])},
                                  optional={"mean": _json, "std": _json, "scale": _json, "offset": _json,
                                            "height": _json, "width": _json, "factor": _json}))
def test_preprocessing_steps_with_random_parameters(step):
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d)
        torch.save({"state_dict": SD, "meta": {"preprocessing": [step]}}, cwd / "m.pt")
        (cwd / "x.csv").write_text("1,2,3,4\n5,6,7,8\n")
        case = fuzz.Case("property", "preprocess", [str(cwd / "m.pt"), "--inputs", str(cwd / "x.csv"), "--out",
                                                    str(cwd / "out"), "-q"], cwd, cwd / "out", names="m.pt")
        result = fuzz.run_case(case, timeout=60, mode="fork")
        assert not result.problems, f"{result.problems}: {fuzz._last(result.output)}"
