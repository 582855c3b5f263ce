"""The compile pass (Vasic et al. 2020, Algorithm 1): ternary ReLU network → formal dual-rail CRN."""

from __future__ import annotations

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Network, Reaction, Role, Signal, Species


def _value_names(layer: int, unit: int, last: bool) -> tuple[str, str]:
    """Names of the I± species that hold the weighted sum of a unit (Y± for the output layer)."""
    return (f"Y{unit}p", f"Y{unit}m") if last else (f"I{layer}_{unit}p", f"I{layer}_{unit}m")


def check_ternary_weights(w: np.ndarray, layer: int, *, path: str | None = None) -> None:
    """Raise InputError naming the first weight of a layer outside {-1, 0, 1}."""
    bad = ~np.isin(w, (-1.0, 0.0, 1.0))
    if bad.any():
        j, i = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(
            f"layer {layer} weight[{j}, {i}] = {float(w[j, i]):.6g} is not in {{-1, 0, 1}} "
            f"({int(bad.sum())} of {w.size} weights are not); train with ternary/binary weights or pass "
            "--binarize sign|ternary to discretise", path=path)


def check_ternary(network: Network) -> None:
    for li, layer in enumerate(network.layers):
        check_ternary_weights(layer.weight, li)


def compile_network(network: Network) -> CRN:
    """Compile a ternary-weight ReLU network into the paper's formal CRN.

    Every value v is dual rail (v = [V+] - [V-]). Per ReLU unit j of layer l::

        I+ -> M + H+          M + I- -> H-

    and per value i feeding layer l, the fan-out pair ``V_i+ -> Σ_j I_j^{sign w_ji}`` and
    ``V_i- -> Σ_j I_j^{-sign w_ji}`` (zero weights give no product). Biases become initial
    concentrations on the + rail (positive) or − rail (negative). The output layer is linear:
    its I species are the outputs Y±.
    """
    check_ternary(network)
    species: list[Species] = []
    reactions: list[Reaction] = []
    initial: list[tuple[str, float]] = []

    prev: list[tuple[str, str]] = []
    inputs = []
    for i, name in enumerate(network.input_names):
        p, m = f"X{i}p", f"X{i}m"
        node = f"x{i}"
        species += [Species(p, Role.INPUT, node, 1), Species(m, Role.INPUT, node, -1)]
        prev.append((p, m))
        inputs.append(Signal(name, p, m))

    outputs = []
    n_layers = len(network.layers)
    for li, layer in enumerate(network.layers, start=1):
        last = li == n_layers
        w = layer.weight
        values = [_value_names(li, j, last) for j in range(w.shape[0])]
        role = Role.OUTPUT if last else Role.HIDDEN
        for j, (p, m) in enumerate(values):
            node = f"y{j}" if last else f"i{li}_{j}"
            species += [Species(p, role, node, 1), Species(m, role, node, -1)]
            b = float(layer.bias[j])
            if b > 0:
                initial.append((p, b))
            elif b < 0:
                initial.append((m, -b))
        # fan-out of the previous layer's values into this layer's weighted sums
        for i, (vp, vm) in enumerate(prev):
            col = w[:, i]
            pos = [values[j] for j in np.flatnonzero(col > 0)]
            neg = [values[j] for j in np.flatnonzero(col < 0)]
            reactions.append(Reaction.make([vp], [p for p, _ in pos] + [m for _, m in neg]))
            reactions.append(Reaction.make([vm], [m for _, m in pos] + [p for p, _ in neg]))
        if last:
            outputs = [Signal(name, p, m) for name, (p, m) in zip(network.class_names, values)]
            break
        if not layer.relu:
            raise InputError(f"layer {li - 1} is a hidden layer without ReLU; only ReLU hidden layers compile")
        prev = []
        for j, (ip, im) in enumerate(values):
            mname, hp, hm = f"M{li}_{j}", f"H{li}_{j}p", f"H{li}_{j}m"
            node = f"h{li}_{j}"
            species += [Species(mname, Role.HELPER), Species(hp, Role.HIDDEN, node, 1),
                        Species(hm, Role.HIDDEN, node, -1)]
            reactions.append(Reaction.make([ip], [mname, hp]))
            reactions.append(Reaction.make([mname, im], [hm]))
            prev.append((hp, hm))

    return CRN(tuple(species), tuple(reactions), tuple(initial), tuple(inputs), tuple(outputs))
