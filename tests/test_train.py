"""Training: determinism, export that keeps predictions, ternary int8 weights, sparsity, anderson2021, the CLI."""

import dataclasses
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from dsdcompile.cli.train import train as train_command
from dsdcompile.config import TrainConfig, parse_hidden
from dsdcompile.errors import InputError
from dsdcompile.nn import datasets as ds
from dsdcompile.nn import preprocess
from dsdcompile.nn.layers import exported_sequential, output_scale
from dsdcompile.nn.load import load_network, network_from_state_dict
from dsdcompile.nn.train import META_KEYS, fit, train


def blobs(n: int = 90, seed: int = 0, n_features: int = 4, n_classes: int = 3) -> ds.Dataset:
    """Gaussian blobs, split 60/15/15 % like a real data set."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_classes, n_features))
    y = np.arange(n) % n_classes
    x = centres[y] + rng.normal(size=(n, n_features)) + 10.0
    tr, va, te = ds.stratified_split(y, n // 5, n // 5, seed)
    return ds.Dataset(
        name="blobs", input_names=tuple(f"f{i}" for i in range(n_features)),
        class_names=tuple(f"c{k}" for k in range(n_classes)),
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        preprocessing=(ds._standardize_step(x[tr]),), split={"method": "test", "sizes": {}},
        description="synthetic blobs", default_hidden=(16,))


FAST = TrainConfig(dataset="iris", epochs=30, batch_size=16, lr=0.05, quiet=True)


@pytest.fixture(scope="module")
def data():
    return blobs()


@pytest.fixture(scope="module")
def trained(data):
    return train(FAST, data=data, write=False)


def test_same_seed_same_weights(data, trained):
    again = train(FAST, data=data, write=False)
    assert trained.state_dict.keys() == again.state_dict.keys()
    for k, v in trained.state_dict.items():
        assert torch.equal(v, again.state_dict[k]), k
    for k, v in trained.model.state_dict().items():
        assert torch.equal(v, again.model.state_dict()[k]), k
    other = train(dataclasses.replace(FAST, seed=1), data=data, write=False)
    assert not torch.equal(other.state_dict["0.weight"], trained.state_dict["0.weight"])


def test_exported_weights_are_ternary_int8(trained):
    sd = trained.state_dict
    assert sorted(sd) == ["0.bias", "0.weight", "3.bias", "3.weight"]
    for k, v in sd.items():
        if k.endswith("weight"):
            assert v.dtype == torch.int8
            assert set(v.unique().tolist()) <= {-1, 0, 1}
        else:
            assert v.dtype == torch.float32


def test_binary_weights_have_no_zeros(data):
    r = train(dataclasses.replace(FAST, weights="binary", epochs=3), data=data, write=False)
    for k, v in r.state_dict.items():
        if k.endswith("weight"):
            assert set(v.unique().tolist()) <= {-1, 1}


def test_exported_net_agrees_with_trained_net(data, trained):
    x = torch.as_tensor(preprocess.apply(data.preprocessing, np.vstack([data.x_train, data.x_val, data.x_test])),
                        dtype=torch.float32)
    with torch.no_grad():
        ref = trained.model(x).double()
        out = exported_sequential(trained.state_dict)(x.double())
    scale = output_scale(trained.model)
    assert scale == pytest.approx(np.sqrt(4) * np.sqrt(16))
    np.testing.assert_allclose(out.numpy(), scale * ref.numpy(), rtol=1e-4, atol=1e-4 * scale)
    assert torch.equal(out.argmax(1), ref.argmax(1))
    assert trained.meta["export_argmax_agreement"] == {"train": 1.0, "validation": 1.0, "test": 1.0}


def test_training_learns_the_blobs(trained):
    assert trained.meta["accuracy"]["train"] > 0.9
    assert trained.meta["accuracy"]["test"] > 0.8


def test_deeper_net_exports_with_product_of_scales(data):
    cfg = dataclasses.replace(FAST, hidden=(8, 6), epochs=5, dropout=0.1)
    r = train(cfg, data=data, write=False)
    assert sorted(r.state_dict) == ["0.bias", "0.weight", "3.bias", "3.weight", "6.bias", "6.weight"]
    assert output_scale(r.model) == pytest.approx(np.sqrt(4 * 8 * 6))
    x = torch.as_tensor(preprocess.apply(data.preprocessing, data.x_test), dtype=torch.float32)
    with torch.no_grad():
        ref = r.model(x).double()
        out = exported_sequential(r.state_dict)(x.double())
    np.testing.assert_allclose(out.numpy(), output_scale(r.model) * ref.numpy(), rtol=1e-4, atol=1e-3)


def test_sparsity_reduces_nonzero_weights(data):
    cfg = dataclasses.replace(FAST, hidden=(32,), epochs=20)
    dense = train(cfg, data=data, write=False)
    sparse = train(dataclasses.replace(cfg, sparsity=0.03), data=data, write=False)
    assert sparse.meta["nonzero_weights"] < 0.7 * dense.meta["nonzero_weights"]
    assert sparse.meta["nonzero_weights"] == sum(sparse.meta["nonzero_weights_per_layer"])


def test_model_file_card_and_curve(tmp_path, data):
    out = tmp_path / "model.pt"
    r = train(dataclasses.replace(FAST, out=str(out), epochs=4), data=data)
    assert out.is_file() and (tmp_path / "MODEL_CARD.md").is_file() and (tmp_path / "learning_curve.png").is_file()
    obj = torch.load(out, weights_only=True)
    meta = obj["meta"]
    for key in META_KEYS:
        assert key in meta, key
    assert meta["construction"] == "vasic2020" and meta["weights"] == "ternary"
    assert set(meta["accuracy"]) == {"train", "validation", "test"}
    assert meta["command"].startswith("dsdcompile train ")
    # the compiler's loader reads it and reproduces the recorded test accuracy
    net = load_network(out)
    pred = net.forward(preprocess.apply(net.preprocessing, data.x_test)).argmax(1)
    assert float((pred == data.y_test).mean()) == pytest.approx(meta["accuracy"]["test"])
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "| train | validation | test |" in card and meta["command"] in card
    assert r.paths["card"].name == "MODEL_CARD.md"
    other = train(dataclasses.replace(FAST, out=str(tmp_path / "small.pt"), epochs=2), data=data)
    assert other.paths["card"].name == "small.md" and other.paths["curve"].name == "small_learning_curve.png"


def test_fit_history_has_one_entry_per_epoch(data):
    _, hist = fit(dataclasses.replace(FAST, epochs=6), data)
    assert len(hist.loss) == len(hist.val_accuracy) == len(hist.train_accuracy) == 6
    assert 1 <= hist.best_epoch <= 6


def test_csv_path(tmp_path):
    csv = _tiny_csv(tmp_path)
    r = train(TrainConfig(csv=str(csv), label_column="kind", epochs=10, quiet=True, hidden=(4,),
                          out=str(tmp_path / "m.pt")))
    assert r.meta["class_names"] == ["no", "yes"]
    assert r.meta["input_names"] == ["a", "b", "c"]
    assert "--csv" in r.meta["command"]
    assert (tmp_path / "m.pt").is_file()


@pytest.mark.parametrize("kwargs, match", [
    ({"dataset": "cifar"}, "unknown dataset"),
    ({"weights": "quaternary"}, "unknown weights"),
    ({"hidden": (0,)}, "bad --hidden"),
    ({"sparsity": 0.1, "weights": "binary"}, "needs --weights ternary"),
    ({"csv": "x.csv"}, "--label-column"),
    ({"construction": "nope"}, "unknown construction"),
    ({"construction": "anderson2021", "weights": "ternary"}, "needs --weights real"),
    ({"weights": "real"}, "needs --weights ternary or binary"),
    ({"construction": "anderson2021", "epsilon": 0.0}, "--epsilon must be positive"),
    ({"weight_decay": -1.0}, "--weight-decay"),
    ({"margin": -0.1}, "--margin"),
    ({"margin": 2.0}, "--margin"),
    ({"margin": float("nan")}, "--margin"),
])
def test_config_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        TrainConfig(**kwargs).validate()


def test_parse_hidden():
    assert parse_hidden("32") == (32,)
    assert parse_hidden("512, 512") == (512, 512)
    assert parse_hidden(None) is None
    with pytest.raises(InputError, match="bad --hidden"):
        parse_hidden("a,b")
    with pytest.raises(InputError, match="bad --hidden"):
        parse_hidden("8,0")


def _tiny_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    p = tmp_path / "tiny.csv"
    p.write_text("a,b,c,kind\n" + "".join(",".join(f"{v:.3f}" for v in r) + f",{['no', 'yes'][k]}\n"
                                          for r, k in zip(x, y)))
    return p


def test_cli_trains_on_a_csv(tmp_path):
    csv = _tiny_csv(tmp_path)
    out = tmp_path / "cli.pt"
    res = CliRunner().invoke(train_command, ["--csv", str(csv), "--label-column", "kind", "--epochs", "5",
                                             "--hidden", "4", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and (tmp_path / "cli.md").is_file()
    meta = torch.load(out, weights_only=True)["meta"]
    assert meta["hyperparameters"]["layers"] == [3, 4, 2]


def test_cli_bad_options_exit_2(tmp_path):
    runner = CliRunner()
    assert runner.invoke(train_command, ["--weights", "quaternary"]).exit_code == 2
    res = runner.invoke(train_command, ["--hidden", "8,x", "--out", str(tmp_path / "m.pt")])
    assert res.exit_code == 2 and "bad --hidden" in res.output
    res = runner.invoke(train_command, ["--dataset", "virus", "--data-dir", str(tmp_path / "none"), "-q"])
    assert res.exit_code == 2 and "data not found" in res.output
    assert not (tmp_path / "m.pt").exists()


def test_cli_is_registered_under_dsdcompile():
    from dsdcompile.cli import main

    res = CliRunner().invoke(main, ["train", "--help"])
    assert res.exit_code == 0 and "--sparsity" in res.output


# -- anderson2021: real weights, smoothed ReLU after every layer ------------------------------------------
ANDERSON = dataclasses.replace(FAST, construction="anderson2021", epsilon=0.02, weight_decay=1e-4)


@pytest.fixture(scope="module")
def anderson(data):
    return train(ANDERSON, data=data, write=False)


def test_anderson_same_seed_same_weights(data, anderson):
    again = train(ANDERSON, data=data, write=False)
    for k, v in anderson.state_dict.items():
        assert torch.equal(v, again.state_dict[k]), k
    other = train(dataclasses.replace(ANDERSON, seed=1), data=data, write=False)
    assert not torch.equal(other.state_dict["0.weight"], anderson.state_dict["0.weight"])


def test_anderson_export_is_the_smoothed_network(data, anderson):
    from dsdcompile.nn.layers import smoothed_relu_torch
    from dsdcompile.passes.anderson import smoothed_forward, smoothed_relu

    sd = anderson.state_dict
    assert sorted(sd) == ["0.bias", "0.weight", "3.bias", "3.weight"]
    assert all(v.dtype == torch.float32 for v in sd.values())
    assert len(sd["0.weight"].unique()) > 3  # real, not ternary
    meta = anderson.meta
    assert meta["construction"] == "anderson2021" and meta["weights"] == "real" and meta["epsilon"] == 0.02
    for key in META_KEYS:
        assert key in meta, key
    z = np.linspace(-50, 50, 101)
    np.testing.assert_allclose(smoothed_relu_torch(torch.as_tensor(z), 0.02).numpy(), smoothed_relu(z, 0.02),
                               rtol=1e-12)
    x_raw = np.vstack([data.x_train, data.x_val, data.x_test])
    x = preprocess.apply(data.preprocessing, x_raw)
    with torch.no_grad():
        pre = anderson.model(torch.as_tensor(x, dtype=torch.float32)).double()
    # the exported network is σ_ε of every layer, the output layer included
    net = network_from_state_dict(sd, meta)
    out = smoothed_forward(net, x, meta["epsilon"])
    np.testing.assert_allclose(out, smoothed_relu(pre.numpy(), 0.02), rtol=1e-4, atol=1e-5)
    assert (out.argmax(1) == pre.argmax(1).numpy()).all()
    assert meta["export_argmax_agreement"] == {"train": 1.0, "validation": 1.0, "test": 1.0}
    assert meta["accuracy"]["train"] > 0.9


def test_anderson_model_file_loads_and_compiles(tmp_path, data):
    from dsdcompile.passes.anderson import compile_anderson, smoothed_forward

    out = tmp_path / "model.pt"
    r = train(dataclasses.replace(ANDERSON, out=str(out), epochs=8), data=data)
    net = load_network(out)
    assert net.meta["construction"] == "anderson2021" and net.meta["epsilon"] == 0.02
    x = preprocess.apply(net.preprocessing, data.x_test)
    with torch.no_grad():
        pred = r.model(torch.as_tensor(x, dtype=torch.float32)).argmax(1).numpy()
    y = smoothed_forward(net, x, net.meta["epsilon"])
    assert (y.argmax(1) == pred).all()
    assert float((y.argmax(1) == data.y_test).mean()) == pytest.approx(r.meta["accuracy"]["test"])
    assert compile_anderson(net, net.meta["epsilon"]).n_reactions > 0
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "anderson2021" in card and "σ_ε" in card and "--construction anderson2021" in card
    assert "--epsilon 0.02" in r.meta["command"] and "--weights real" in r.meta["command"]


def test_cli_trains_anderson(tmp_path):
    csv = _tiny_csv(tmp_path)
    out = tmp_path / "a.pt"
    res = CliRunner().invoke(train_command, ["--csv", str(csv), "--label-column", "kind", "--epochs", "3",
                                             "--hidden", "4", "--out", str(out), "--construction", "anderson2021",
                                             "--epsilon", "0.05", "--quiet"])
    assert res.exit_code == 0, res.output
    meta = torch.load(out, weights_only=True)["meta"]
    assert meta["construction"] == "anderson2021" and meta["epsilon"] == 0.05 and meta["weights"] == "real"
    res = CliRunner().invoke(train_command, ["--construction", "anderson2021", "--weights", "ternary", "-q",
                                             "--out", str(tmp_path / "b.pt")])
    assert res.exit_code == 2 and "needs --weights real" in res.output


DESIGNS = Path(__file__).resolve().parents[1] / "designs"


@pytest.mark.parametrize("name", ["iris", "virus", pytest.param("mnist", marks=pytest.mark.slow),
                                  "iris_anderson2021", "virus_anderson2021"])
def test_shipped_design_matches_its_card(name):
    from dsdcompile.nn.inputs import read_examples
    from dsdcompile.passes.anderson import smoothed_forward

    path = DESIGNS / name / "model.pt"
    if not path.is_file():
        pytest.skip(f"{path} not trained yet (python scripts/train_designs.py)")
    meta = torch.load(path, weights_only=True)["meta"]
    net = load_network(path)
    test = DESIGNS / name / ("test.csv.gz" if name == "mnist" else "test.csv")
    ex = read_examples(test, net)
    if meta["construction"] == "anderson2021":
        out = smoothed_forward(net, ex.x, meta["epsilon"])
    else:
        out = net.forward(ex.x)
    acc = float((out.argmax(1) == ex.labels).mean())
    assert acc == pytest.approx(meta["accuracy"]["test"])
    assert meta["split"]["sizes"]["test"] == len(ex)


@pytest.mark.slow
def test_iris_design_command_reproduces_the_model(tmp_path):
    path = DESIGNS / "iris" / "model.pt"
    if not path.is_file():
        pytest.skip(f"{path} not trained yet")
    shipped = torch.load(path, weights_only=True)
    args = shlex.split(shipped["meta"]["command"])[2:]
    args[args.index("--out") + 1] = str(tmp_path / "model.pt")
    res = CliRunner().invoke(train_command, [*args, "--quiet"])
    assert res.exit_code == 0, res.output
    again = torch.load(tmp_path / "model.pt", weights_only=True)
    for k, v in shipped["state_dict"].items():
        assert torch.equal(v, again["state_dict"][k]), k


def separable_blobs(n: int = 90, seed: int = 0) -> ds.Dataset:
    """Three blobs 3 standard deviations apart: nearly every example can be classified with a margin."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = 3.0 * np.eye(3, 4)[y] + rng.normal(size=(n, 4)) + 10.0
    tr, va, te = ds.stratified_split(y, n // 5, n // 5, seed)
    return ds.Dataset(
        name="separable", input_names=tuple(f"f{i}" for i in range(4)), class_names=("a", "b", "c"),
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        preprocessing=(ds._standardize_step(x[tr]),), split={"method": "test", "sizes": {}},
        description="separable blobs", default_hidden=(16,))


def test_margin_training_raises_the_smallest_relative_class_gap():
    """--margin asks every training example's class gap to reach a fraction of the largest output: the trained
    network's smallest relative gap on the training examples grows, and the meta, card and command say so."""
    from dsdcompile.crn.margin import relative_gaps
    from dsdcompile.nn.train import _network_accuracy, margin_line, model_card

    data = separable_blobs()
    plain = train(FAST, data=data, write=False)
    wide = train(dataclasses.replace(FAST, margin=0.2), data=data, write=False)

    def smallest(result):
        _, out = _network_accuracy(result.state_dict, result.meta, data.x_train, data.y_train)
        return float(relative_gaps(out).min())

    assert wide.meta["accuracy"]["train"] >= plain.meta["accuracy"]["train"]
    assert smallest(wide) > 2 * smallest(plain)
    assert wide.meta["class_margin"]["train"] == pytest.approx(smallest(wide))
    assert wide.meta["class_margin"]["target"] == 0.2 and plain.meta["class_margin"]["target"] == 0.0
    assert "--margin 0.2" in wide.meta["command"] and "--margin" not in plain.meta["command"]
    assert wide.meta["hyperparameters"]["margin"] == 0.2 and "margin" not in plain.meta["hyperparameters"]
    assert "--margin 0.2" in margin_line(wide.meta) and "no --margin" in margin_line(plain.meta)
    assert "Class margin" in model_card(wide.meta) and "impurity_error_at_assumed" in model_card(wide.meta)
    assert margin_line({}) == ""  # a model trained before the margin was recorded
