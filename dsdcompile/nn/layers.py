"""The torch side of training: discretised and real linear layers, the smoothed ReLU, and the exports.

These are what a construction trains with and exports through (:mod:`dsdcompile.constructions`
names them in its hooks), kept apart from the training loop (:mod:`dsdcompile.nn.train`) so the
registry needs no part of training and training may use the registry. torch is imported on
first use.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping


def _torch():
    import torch

    return torch


def discretize(w, weights: str, threshold: float):
    """Binary (sign, 0 → +1) or ternary ({-1, 0, 1} with |w| < threshold → 0) weights, same dtype."""
    torch = _torch()
    if weights == "binary":
        return torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))
    return torch.where(w.abs() < threshold, torch.zeros_like(w), torch.sign(w))


def layer_classes():
    """The (DiscreteLinear, RealLinear) torch module classes (made on first call: torch loads then)."""
    torch = _torch()
    nn = torch.nn

    class DiscreteLinear(nn.Module):
        """y = α·D(W) x + b: real shadow weights W, discretised D(W) (straight-through), α = 1/√fan_in."""

        def __init__(self, n_in: int, n_out: int, weights: str, threshold: float, generator) -> None:
            super().__init__()
            self.weights, self.threshold = weights, threshold
            self.alpha = 1.0 / math.sqrt(n_in)
            self.weight = nn.Parameter(torch.empty(n_out, n_in).uniform_(-1.0, 1.0, generator=generator))
            self.bias = nn.Parameter(torch.zeros(n_out))

        def discrete(self):
            return discretize(self.weight.detach(), self.weights, self.threshold)

        def forward(self, x):
            w = self.weight + (discretize(self.weight, self.weights, self.threshold) - self.weight).detach()
            return torch.nn.functional.linear(x, w) * self.alpha + self.bias

        def extra_repr(self) -> str:
            return f"{self.weight.shape[1]}, {self.weight.shape[0]}, weights={self.weights}, alpha={self.alpha:.4g}"

    class RealLinear(nn.Module):
        """y = W x + b with real weights (anderson2021: the weights become rate constants as they are)."""

        alpha = 1.0
        weights = "real"

        def __init__(self, n_in: int, n_out: int, generator) -> None:
            super().__init__()
            bound = 1.0 / math.sqrt(n_in)
            self.weight = nn.Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound, generator=generator))
            self.bias = nn.Parameter(torch.zeros(n_out))

        def discrete(self):
            return self.weight.detach()

        def forward(self, x):
            return torch.nn.functional.linear(x, self.weight, self.bias)

        def extra_repr(self) -> str:
            return f"{self.weight.shape[1]}, {self.weight.shape[0]}, weights=real"

    return DiscreteLinear, RealLinear


def smoothed_relu_torch(z, epsilon: float):
    """σ_ε(z) = (z + √(z² + 4ε)) / 2 in torch, without cancellation for negative z (both branches are finite)."""
    torch = _torch()
    root = torch.sqrt(z * z + 4.0 * epsilon)
    return torch.where(z >= 0, 0.5 * (z + root), 2.0 * epsilon / (root - z))


def _make_smoothed_relu(epsilon: float):
    torch = _torch()

    class SmoothedReLU(torch.nn.Module):
        """The anderson2021 activation σ_ε, the fixed point of dy/dt = ε + z·y − y²."""

        def __init__(self) -> None:
            super().__init__()
            self.epsilon = epsilon

        def forward(self, z):
            return smoothed_relu_torch(z, self.epsilon)

        def extra_repr(self) -> str:
            return f"epsilon={self.epsilon}"

    return SmoothedReLU()


def smoothed_relu_module(epsilon: float):
    """The anderson2021 activation σ_ε as a torch module."""
    return _make_smoothed_relu(epsilon)


def export_ternary(model) -> dict:
    """Exported state_dict: int8 {-1,0,1} weights, biases b̂_l = b_l / (α_1⋯α_l) (float32).

    ReLU is positively homogeneous, so the exported net's outputs are the trained outputs
    times 1/(α_1⋯α_L) > 0 and every argmax is kept.
    """
    torch = _torch()
    sd: dict = {}
    scale = 1.0
    for idx, layer in linear_layers(model):
        scale *= layer.alpha
        sd[f"{idx}.weight"] = layer.discrete().to(torch.int8).contiguous()
        sd[f"{idx}.bias"] = (layer.bias.detach().double() / scale).to(torch.float32).contiguous()
    return sd


def export_real(model) -> dict:
    """Exported state_dict: the trained float32 weights and biases as they are (the network the CRN computes)."""
    sd: dict = {}
    for idx, layer in linear_layers(model):
        sd[f"{idx}.weight"] = layer.weight.detach().to(_torch().float32).clone().contiguous()
        sd[f"{idx}.bias"] = layer.bias.detach().to(_torch().float32).clone().contiguous()
    return sd


def linear_layers(model) -> list[tuple[int, object]]:
    return [(i, m) for i, m in enumerate(model) if hasattr(m, "alpha")]


def exported_sequential(sd: Mapping):
    """The plain nn.Sequential (Linear/ReLU, float64) that the exported state_dict describes."""
    torch = _torch()
    idxs = sorted({int(k.split(".")[0]) for k in sd})
    mods: dict[str, object] = {}
    for pos, i in enumerate(idxs):
        w = sd[f"{i}.weight"]
        lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(w.double())
            lin.bias.copy_(sd[f"{i}.bias"].double())
        mods[str(i)] = lin
        if pos < len(idxs) - 1:
            mods[str(i + 1)] = torch.nn.ReLU()
            mods[str(i + 2)] = torch.nn.Dropout(0.0)
    return torch.nn.Sequential(OrderedDict(mods)).eval()


def output_scale(model) -> float:
    """1 / (α_1⋯α_L): exported outputs = trained outputs × this."""
    return 1.0 / math.prod(layer.alpha for _, layer in linear_layers(model))


__all__ = ["discretize", "export_real", "export_ternary", "exported_sequential", "layer_classes", "linear_layers",
           "output_scale", "smoothed_relu_module", "smoothed_relu_torch"]
