"""The anderson2021 construction: real-weight networks as rate-dependent mass-action CRNs with a smoothed ReLU.

Anderson, Joshi, Deshpande, "On reaction network implementations of neural networks",
J. R. Soc. Interface 18: 20210031 (2021), arXiv:2010.13290. Each unit j of a layer has one
species Y_j whose mass-action ODE is

    dy/dt = ε + z·y − y²,     z = Σ_i w_ji v_i + b_j,

built from the reactions (rate constants in brackets)

    ∅ → Y [ε]                  (the smoothing term)
    V_i + Y → V_i + 2Y [w]     for w > 0 (V_i a catalyst)
    V_i + Y → V_i [|w|]        for w < 0
    Y → 2Y [b] or Y → ∅ [|b|]  for the bias
    2Y → Y [1]                 (the −y² term; mass action gives rate y²)

For fixed inputs the unique positive fixed point is the smoothed ReLU
σ_ε(z) = (z + √(z² + 4ε)) / 2 (the positive root of y² − z·y − ε = 0), and it attracts every
positive initial state: the right-hand side is positive below the root and negative above
it. Layers are coupled only through the catalysts V_i, so the whole network converges layer
by layer to the network's output with σ_ε as activation. Unlike vasic2020 the outputs
depend on the rate constants: the weights *are* rate constants.

Every layer, the output layer included, applies σ_ε: the output species must be positive
concentrations. σ_ε is strictly increasing, so the predicted class is the argmax of the
pre-activation all the same. Signed inputs use dual rail (X+ and X−, the second with the
weights' signs flipped), so inputs need no shift; hidden and output values are single
positive species.
"""

from __future__ import annotations

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Network, Reaction, Role, Signal, Species

DEFAULT_EPSILON = 0.01


def smoothed_relu(z: np.ndarray, epsilon: float) -> np.ndarray:
    """σ_ε(z) = (z + √(z² + 4ε)) / 2, computed without cancellation for very negative z."""
    z = np.asarray(z, dtype=np.float64)
    root = np.sqrt(z * z + 4.0 * epsilon)
    # for z < 0 use the equivalent 2ε / (√(z² + 4ε) − z), which does not cancel
    return np.where(z >= 0, (z + root) / 2.0, 2.0 * epsilon / (root - z))


def smoothed_forward(network: Network, x: np.ndarray, epsilon: float) -> np.ndarray:
    """The network's output with σ_ε after every layer (the CRN's fixed point)."""
    h = np.atleast_2d(np.asarray(x, dtype=np.float64))
    for layer in network.layers:
        h = smoothed_relu(h @ layer.weight.T + layer.bias, epsilon)
    return h


def compile_anderson(network: Network, epsilon: float = DEFAULT_EPSILON) -> CRN:
    """Compile a real-weight network into the anderson2021 mass-action CRN."""
    if not epsilon > 0:
        raise InputError(f"the smoothing parameter epsilon must be positive, got {epsilon}")
    species: list[Species] = []
    reactions: list[Reaction] = []
    inputs = []
    prev: list[tuple[str, int]] = []  # (species, sign applied to the weights)
    for i, name in enumerate(network.input_names):
        p, m = f"X{i}p", f"X{i}m"
        species += [Species(p, Role.INPUT, f"x{i}", 1), Species(m, Role.INPUT, f"x{i}", -1)]
        inputs.append(Signal(name, p, m))
        prev.append((p, 1))
        prev.append((m, -1))
    n_layers = len(network.layers)
    outputs: list[Signal] = []
    prev_names: list[str] = []
    for li, layer in enumerate(network.layers, start=1):
        last = li == n_layers
        names = [f"Y{j}" if last else f"Y{li}_{j}" for j in range(layer.shape[0])]
        role = Role.OUTPUT if last else Role.HIDDEN
        species += [Species(n, role) for n in names]
        sources = prev if li == 1 else [(n, 1) for n in prev_names]
        for j, y in enumerate(names):
            reactions.append(Reaction((), ((y, 1),), epsilon))
            for (v, sign), w in zip(sources, np.repeat(layer.weight[j], 2) if li == 1 else layer.weight[j]):
                w = float(w) * sign
                if w > 0:
                    reactions.append(Reaction(((v, 1), (y, 1)), ((v, 1), (y, 2)), w))
                elif w < 0:
                    reactions.append(Reaction(((v, 1), (y, 1)), ((v, 1),), -w))
            b = float(layer.bias[j])
            if b > 0:
                reactions.append(Reaction(((y, 1),), ((y, 2),), b))
            elif b < 0:
                reactions.append(Reaction(((y, 1),), (), -b))
            reactions.append(Reaction(((y, 2),), ((y, 1),), 1.0))
        prev_names = names
        if last:
            outputs = [Signal(c, n) for c, n in zip(network.class_names, names)]
    return CRN(tuple(species), tuple(reactions), (), tuple(inputs), tuple(outputs))
