"""Random ternary ReLU networks for tests, property checks and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dsdcompile.ir import Dense, Network


def random_ternary_network(sizes: Sequence[int], *, seed: int | np.random.Generator = 0, zero_fraction: float = 0.0,
                           bias_scale: float = 1.0) -> Network:
    """A dense network with weights in {-1, 0, 1} (``zero_fraction`` of them 0) and normal biases."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.choice([-1.0, 1.0], size=(n_out, n_in))
        if zero_fraction:
            w[rng.random(w.shape) < zero_fraction] = 0.0
        b = rng.normal(scale=bias_scale, size=n_out)
        layers.append(Dense(w, b, relu=k < len(sizes) - 2))
    return Network(tuple(layers), tuple(f"x{i}" for i in range(sizes[0])), tuple(f"c{k}" for k in range(sizes[-1])))
