"""Loading models: supported formats, and a one-line error (exit 2) with nothing executed for bad files."""

import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from dsdcompile.errors import InputError
from dsdcompile.nn.load import SAFETENSORS_META_KEY, load_network


def _sequential(dropout: bool = True) -> torch.nn.Sequential:
    torch.manual_seed(0)
    layers = [torch.nn.Linear(4, 6), torch.nn.ReLU()]
    if dropout:
        layers.append(torch.nn.Dropout(0.2))
    layers += [torch.nn.Linear(6, 3)]
    m = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for layer in m:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.copy_(torch.randint(-1, 2, layer.weight.shape).float())
    return m


def test_plain_state_dict_with_dropout_keys(tmp_path):
    m = _sequential()
    torch.save(m.state_dict(), tmp_path / "m.pt")
    net = load_network(tmp_path / "m.pt")
    assert net.sizes == [4, 6, 3]
    assert [layer.relu for layer in net.layers] == [True, False]
    x = torch.randn(5, 4)
    m.eval()
    np.testing.assert_allclose(net.forward(x.numpy()), m(x).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_state_dict_with_meta_and_int8(tmp_path):
    sd = OrderedDict((k, v.to(torch.int8) if k.endswith("weight") else v)
                     for k, v in _sequential().state_dict().items())
    meta = {"input_names": ["a", "b", "c", "d"], "class_names": ["u", "v", "w"],
            "preprocessing": [{"op": "standardize", "mean": [0, 0, 0, 0], "std": [2, 2, 2, 2]}]}
    torch.save({"state_dict": sd, "meta": meta}, tmp_path / "m.pt")
    net = load_network(tmp_path / "m.pt")
    assert net.class_names == ("u", "v", "w") and net.input_names == ("a", "b", "c", "d")
    assert net.preprocessing[0]["op"] == "standardize"


def test_safetensors_with_metadata(tmp_path):
    sd = {k: v.contiguous() for k, v in _sequential(dropout=False).state_dict().items()}
    save_file(sd, tmp_path / "m.safetensors", metadata={SAFETENSORS_META_KEY: '{"class_names": ["p", "q", "r"]}'})
    net = load_network(tmp_path / "m.safetensors")
    assert net.class_names == ("p", "q", "r") and net.sizes == [4, 6, 3]


def test_pickled_module_is_refused_with_advice(tmp_path):
    torch.save(_sequential(), tmp_path / "whole.pt")
    with pytest.raises(InputError, match=r"torch.save\(model.state_dict\(\), path\)"):
        load_network(tmp_path / "whole.pt")


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_file_that_would_execute_code_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        with open(tmp_path / f"evil{protocol}.pt", "wb") as f:
            pickle.dump({"0.weight": _Payload(marker)}, f, protocol=protocol)
    torch.save({"state_dict": {"0.weight": _Payload(marker)}}, tmp_path / "evil_zip.pt")
    for name in ("evil2.pt", "evil_zip.pt"):
        with pytest.raises(InputError, match="refusing"):
            load_network(tmp_path / name)
    # protocol 4+ frames are rejected even before the import is reached
    with pytest.raises(InputError, match="not a readable torch file"):
        load_network(tmp_path / f"evil{pickle.HIGHEST_PROTOCOL}.pt")
    assert not marker.exists()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "file is empty"),
        (lambda p: p.write_bytes(b"PK\x03\x04 truncated zip"), "not a readable torch file"),
        (lambda p: p.write_text("hello, not a model"), "not a readable torch file"),
        (lambda p: torch.save({"conv.weight": torch.zeros(2, 1, 3, 3)}, p), "unknown layer key 'conv.weight'"),
        (lambda p: torch.save({"0.weight": torch.ones(3, 2), "1.running_mean": torch.zeros(3)}, p), "BatchNorm"),
        (lambda p: torch.save({"0.weight": torch.ones(2, 1, 3, 3), "0.bias": torch.zeros(2)}, p),
         "only Linear layers"),
        (lambda p: torch.save({"0.weight": torch.ones(3, 2), "2.weight": torch.ones(2, 4)}, p),
         "layer 2 expects 4 inputs but the previous layer has 3 outputs"),
        (lambda p: torch.save({"0.weight": torch.tensor([[1.0, float("nan")]])}, p), r"NaN/inf"),
        (lambda p: torch.save({"0.weight": torch.ones(1, 2), "0.bias": torch.tensor([float("inf")])}, p),
         r"NaN/inf"),
        (lambda p: torch.save({"0.weight": torch.tensor([[1.0, 0.3]])}, p), r"layer 0 weight\[0, 1\] = 0.3"),
        (lambda p: torch.save({}, p), "state_dict is empty"),
        (lambda p: torch.save([1, 2, 3], p), "expected a state_dict"),
    ],
)
def test_bad_model_files(tmp_path, make, message):
    path = tmp_path / "model.pt"
    make(path)
    with pytest.raises(InputError, match=message):
        load_network(path)


def test_binarize_options(tmp_path):
    torch.save({"0.weight": torch.tensor([[0.9, -0.02, -0.7]]), "0.bias": torch.zeros(1)}, tmp_path / "m.pt")
    sign = load_network(tmp_path / "m.pt", binarize="sign")
    tern = load_network(tmp_path / "m.pt", binarize="ternary")
    assert sign.layers[0].weight.tolist() == [[1.0, -1.0, -1.0]]
    assert tern.layers[0].weight.tolist() == [[1.0, 0.0, -1.0]]


# -- issue 14: meta of the wrong type, tensors it cannot read, sizes, pickle protocols --------------------------
from dsdcompile.nn.files import to_array  # noqa: E402
from dsdcompile.nn.preprocess import validate as validate_steps  # noqa: E402


def _ternary_state_dict(dtype=torch.int8):
    g = torch.Generator().manual_seed(0)
    return {"0.weight": torch.randint(-1, 2, (5, 4), generator=g).to(dtype), "0.bias": torch.zeros(5),
            "2.weight": torch.randint(-1, 2, (3, 5), generator=g).to(dtype), "2.bias": torch.ones(3)}


META = {"input_names": ["a", "b", "c", "d"], "class_names": ["u", "v", "w"]}


_WRONG = [5, 2.5, "abcd", True, {"a": 1}, [None] * 4, [[1], [2], [3], [4]], -1.0, float("nan")]


@pytest.mark.parametrize("key, value", [
    (key, value) for key in ("input_names", "class_names", "preprocessing", "construction", "epsilon")
    for value in _WRONG if not (key == "epsilon" and value in (5, 2.5))])  # a positive epsilon is right
def test_meta_of_the_wrong_type_is_one_input_error_naming_the_file(tmp_path, key, value):
    path = tmp_path / "m.pt"
    torch.save({"state_dict": _ternary_state_dict(), "meta": dict(META, **{key: value})}, path)
    with pytest.raises(InputError) as err:
        load_network(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


@pytest.mark.parametrize("text", ["[1, 2]", '"abc"', "3", "true", "NaN", "[" * 100_000 + "]" * 100_000, "{"])
def test_safetensors_meta_that_is_not_an_object(tmp_path, text):
    save_file(_ternary_state_dict(), tmp_path / "m.safetensors", metadata={SAFETENSORS_META_KEY: text})
    with pytest.raises(InputError, match="meta"):
        load_network(tmp_path / "m.safetensors")


@pytest.mark.parametrize("name", ["a\nb", "a\0", "tab\tname", "esc\x1b[31m", "line\u2028sep"])
def test_names_with_control_characters_are_refused(tmp_path, name):
    torch.save({"state_dict": _ternary_state_dict(), "meta": dict(META, class_names=[name, "v", "w"])},
               tmp_path / "m.pt")
    with pytest.raises(InputError, match="control character"):
        load_network(tmp_path / "m.pt")


def test_hostile_but_printable_names_load_as_written(tmp_path):
    names = ["=cmd|' /C calc'!A0", "`x` | <b>", "$\\frac{$"]
    torch.save({"state_dict": _ternary_state_dict(), "meta": dict(META, class_names=names)}, tmp_path / "m.pt")
    assert load_network(tmp_path / "m.pt").class_names == tuple(names)


def test_duplicate_or_empty_names_are_refused(tmp_path):
    for names, message in ((["u", "u", "w"], "twice"), (["u", " ", "w"], "empty name")):
        torch.save({"state_dict": _ternary_state_dict(), "meta": dict(META, class_names=names)}, tmp_path / "m.pt")
        with pytest.raises(InputError, match=message):
            load_network(tmp_path / "m.pt")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float8_e4m3fn, torch.float8_e5m2,
                                   torch.float64, torch.int16, torch.int64, torch.uint8])
@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_weights_of_every_real_dtype_are_read_in_both_formats(tmp_path, dtype, fmt):
    sd = _ternary_state_dict()
    if dtype == torch.uint8:  # unsigned: only 0 and 1
        sd = {k: (v.abs() if k.endswith("weight") else v) for k, v in sd.items()}
    stored = {k: (v.to(dtype) if k.endswith("weight") else v) for k, v in sd.items()}
    path = tmp_path / f"m.{fmt}"
    if fmt == "pt":
        torch.save(stored, path)
    else:
        save_file(stored, path)
    net = load_network(path)
    assert [layer.weight.tolist() for layer in net.layers] == [sd["0.weight"].tolist(), sd["2.weight"].tolist()]
    assert all(layer.weight.dtype == np.float64 for layer in net.layers)


def test_sparse_and_quantized_tensors_are_read(tmp_path):
    sd = _ternary_state_dict()
    for name, w in (("coo", sd["0.weight"].float().to_sparse()), ("csr", sd["0.weight"].float().to_sparse_csr()),
                    ("quantized", torch.quantize_per_tensor(sd["0.weight"].float(), 1.0, 0, torch.qint8))):
        torch.save(dict(sd, **{"0.weight": w}), tmp_path / f"{name}.pt")
        assert load_network(tmp_path / f"{name}.pt").layers[0].weight.tolist() == sd["0.weight"].tolist()


@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_bool_weights_are_refused_the_same_way_in_both_formats(tmp_path, fmt):
    sd = dict(_ternary_state_dict(), **{"0.weight": torch.ones(5, 4, dtype=torch.bool)})
    path = tmp_path / f"m.{fmt}"
    torch.save(sd, path) if fmt == "pt" else save_file(sd, path)
    with pytest.raises(InputError, match=r"tensor '0.weight' has dtype .*bool.*real numbers"):
        load_network(path)


def test_meta_device_and_complex_tensors_are_refused(tmp_path):
    sd = _ternary_state_dict()
    torch.save(dict(sd, **{"0.weight": torch.empty(5, 4, device="meta")}), tmp_path / "meta.pt")
    with pytest.raises(InputError, match="meta device: it has a shape but no values"):
        load_network(tmp_path / "meta.pt")
    torch.save(dict(sd, **{"0.weight": torch.ones(5, 4, dtype=torch.complex64)}), tmp_path / "complex.pt")
    with pytest.raises(InputError, match="complex64"):
        load_network(tmp_path / "complex.pt")


def test_tensors_stay_in_their_stored_dtype_until_the_network_needs_floats():
    assert to_array(torch.ones(2, 2, dtype=torch.int8), "w", "m.pt").dtype == np.int8
    assert to_array(torch.ones(2, 2, dtype=torch.bfloat16), "w", "m.pt").dtype == np.float32  # numpy has no bf16
    assert to_array(np.ones((2, 2), dtype=np.int16), "w", "m.pt").dtype == np.int16


@pytest.mark.parametrize("shape", [(0, 4), (3, 0)])
def test_empty_weight_matrices_are_refused(tmp_path, shape):
    torch.save({"0.weight": torch.zeros(shape), "0.bias": torch.zeros(shape[0])}, tmp_path / "m.pt")
    with pytest.raises(InputError, match="needs at least one input and one output"):
        load_network(tmp_path / "m.pt")


def test_absurd_bias_is_refused(tmp_path):
    for value, message in ((1.7e308, r"bias\[0\] is 1.7e\+308, beyond"), (1e200, r"is 1e\+200, beyond"),
                           (float("inf"), "NaN/inf")):
        torch.save(dict(_ternary_state_dict(), **{"0.bias": torch.full((5,), value, dtype=torch.float64)}),
                   tmp_path / "m.pt")
        with pytest.raises(InputError, match=message):
            load_network(tmp_path / "m.pt")


@pytest.mark.parametrize("protocol", [4, 5])
def test_pickle_protocol_4_and_5_say_what_they_are_and_how_to_resave(tmp_path, protocol):
    torch.save(_ternary_state_dict(), tmp_path / "m.pt", pickle_protocol=protocol)
    with pytest.raises(InputError, match=r"pickle protocol 4 or 5.*re-save it with the default protocol"):
        load_network(tmp_path / "m.pt")


def _sparse_safetensors(path, shape, dtype="I8", itemsize=1):
    """A safetensors file whose data is a hole (no disk used): the header says what it holds."""
    import json as _json
    import struct

    n = int(np.prod(shape)) * itemsize
    header = _json.dumps({"0.weight": {"dtype": dtype, "shape": list(shape), "data_offsets": [0, n]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(8 + len(header) + n)


def test_huge_layer_is_refused_with_an_estimate_before_anything_is_read(tmp_path):
    _sparse_safetensors(tmp_path / "big.safetensors", (50_000, 50_000))  # 2.5 GB of int8, 20 GB as float64
    with pytest.raises(InputError, match=r"would need about 20 GB of memory, more than --max-memory: 8 GB"):
        load_network(tmp_path / "big.safetensors", max_memory=8 * 10**9)
    with pytest.raises(InputError, match=r"20 GB of memory, more than the default limit"):
        load_network(tmp_path / "big.safetensors")  # a machine would need 80 GB of memory to accept it


def test_a_network_whose_crn_would_not_fit_is_refused_before_compiling(tmp_path):
    torch.save({"0.weight": torch.ones(3, 200_000, dtype=torch.int8)}, tmp_path / "wide.pt")  # 600 kB file
    with pytest.raises(InputError, match=r"the network \[200000, 3\] and its CRN would need about 2\.\d+ GB"):
        load_network(tmp_path / "wide.pt", max_memory=100 * 10**6)


def test_header_that_lies_about_its_data_is_not_readable(tmp_path):
    import json as _json
    import struct

    header = _json.dumps({"0.weight": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 16]}}).encode()
    (tmp_path / "lie.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    with pytest.raises(InputError, match="shape .* and its byte range disagree"):
        load_network(tmp_path / "lie.safetensors")


@pytest.mark.parametrize("step, message", [
    ({"op": "standardize", "mean": [1, 2, 3], "std": [1, 1, 1, 1]}, "'mean' has 3 values but the step applies to 4"),
    ({"op": "standardize", "std": [1, 1, 1, 1]}, "lacks 'mean'"),
    ({"op": "standardize", "mean": [0] * 4, "std": "abc"}, "'std' must be a number or a list of 4 numbers"),
    ({"op": "standardize", "mean": [0] * 4, "std": [1, -1, 1, 1]}, r"'std'\[1\] is -1"),
    ({"op": "standardize", "mean": [float("nan")] * 4, "std": 1}, r"'mean'\[0\] is nan"),
    ({"op": "affine", "scale": [True] * 4}, r"'scale'\[0\] must be a number"),
    ({"op": "pool2d", "height": 4, "width": 4, "factor": 0}, "'factor' must be a positive integer, got 0"),
    ({"op": "pool2d", "height": 4, "width": 4, "factor": -2}, "'factor' must be a positive integer, got -2"),
    ({"op": "pool2d", "height": "abc", "width": 4, "factor": 2}, "'height' must be a positive integer"),
    ({"op": "pool2d", "height": 4, "width": 4, "factor": 3}, "factor 3 does not divide the 4×4 image"),
    ({"op": "pool2d", "height": 8, "width": 8, "factor": 2}, "makes 4×4 = 16 features but 4 are needed"),
])
def test_preprocessing_parameters_are_checked_at_load(tmp_path, step, message):
    torch.save({"state_dict": _ternary_state_dict(), "meta": {"preprocessing": [step]}}, tmp_path / "m.pt")
    with pytest.raises(InputError, match=message) as err:
        load_network(tmp_path / "m.pt")
    assert str(err.value).startswith(str(tmp_path / "m.pt"))


def test_valid_preprocessing_gives_the_raw_width():
    assert validate_steps([{"op": "pool2d", "height": 4, "width": 4, "factor": 2},
                           {"op": "standardize", "mean": 0.5, "std": [1, 2, 3, 4]}], 4) == 16


def _load_message(path):
    import sys as _sys

    _sys.setrecursionlimit(10**6)  # what importing peppercornenumerator does
    try:
        load_network(path)
    except InputError as e:
        return str(e)
    return None


def test_deeply_nested_meta_is_an_error_even_after_peppercorn_raised_the_recursion_limit(tmp_path):
    """At a recursion limit of 10**6 the C JSON decoder would overflow the stack and kill the process."""
    from dsdcompile.runtime.executors import call_with_timeout

    save_file(_ternary_state_dict(), tmp_path / "m.safetensors",
              metadata={SAFETENSORS_META_KEY: "[" * 200_000 + "]" * 200_000})
    outcome = call_with_timeout(_load_message, tmp_path / "m.safetensors", timeout=60)  # a crash stays in the child
    assert outcome.ok, outcome.error or "timed out"
    assert "is not valid JSON" in outcome.value


def test_network_json_keeps_real_weights():
    """anderson2021's real weights are rate constants: network.json must not round them to integers."""
    from dsdcompile.ir import Dense, Network
    from dsdcompile.nn.load import network_to_json

    real = Network((Dense(np.array([[0.37, -1.5]]), np.array([0.1]), False),), ("a", "b"), ("y",))
    ternary = Network((Dense(np.array([[1.0, -1.0, 0.0]]), np.array([0.1]), False),), ("a", "b", "c"), ("y",))
    assert network_to_json(real)["dense"][0]["weight"] == [[0.37, -1.5]]
    assert network_to_json(ternary)["dense"][0]["weight"] == [[1, -1, 0]]
