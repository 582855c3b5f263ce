"""Loading models: supported formats, and a one-line error (exit 2) with nothing executed for bad files."""

import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from dsdcompile.config import CompileConfig
from dsdcompile.errors import InputError
from dsdcompile.model_io import SAFETENSORS_META_KEY, load_network


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
    sign = load_network(tmp_path / "m.pt", CompileConfig(binarize="sign"))
    tern = load_network(tmp_path / "m.pt", CompileConfig(binarize="ternary"))
    assert sign.layers[0].weight.tolist() == [[1.0, -1.0, -1.0]]
    assert tern.layers[0].weight.tolist() == [[1.0, 0.0, -1.0]]
