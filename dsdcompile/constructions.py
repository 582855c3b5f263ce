"""The registry of CRN constructions: how a network becomes a CRN, what it computes, and how every stage treats it.

A construction is one object that answers every question a stage asks about it: how it
compiles a network and whether the reduce pass applies, its forward pass (what the CRN must
compute), whether it has an exact rate-independent limit, its agreement tolerance and
simulation settings, how the DSD stage prepares its CRN, which kinetics path it takes, and
how it trains and exports. Stages never compare construction names; they ask the object.

A third construction is one more :class:`Construction` here plus its compile pass in
:mod:`dsdcompile.passes`.

The registry sits below the packages that implement it: a hook that lives in
:mod:`dsdcompile.passes` or :mod:`dsdcompile.nn` is named by a :class:`Hook` (``"module:function"``,
as a package's entry points name theirs) and imported on its first call. So the configuration
can check construction names without importing any pass, the import-linter contract in
``pyproject.toml`` holds (the registry is core, the passes are above it), and the CLI pays for no
heavy library (numpy, torch) when it lists the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from dsdcompile.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from dsdcompile.ir import CRN, Network

DEFAULT = "vasic2020"
DEFAULT_EPSILON = 0.01  # anderson2021's smoothing parameter ε when neither the option nor the model gives one
TERNARY_THRESHOLD = 0.7  # --binarize ternary: |w| < this · mean|w| becomes 0 (CompileConfig's default)


# The settings the hooks read, by the fields they use: the configs (dsdcompile.config) have them, and
# config imports this registry to check construction names, so the registry names no config class.
class Tolerances(Protocol):
    """The agreement check's tolerances (an :class:`~dsdcompile.config.AgreementConfig`)."""

    ode_rtol: float
    fixed_point_rtol: float
    fixed_point_atol: float
    fixed_point_steady_rtol: float


class Integration(Protocol):
    """The ODE settings a construction tightens (a :class:`~dsdcompile.config.SimulationConfig`)."""

    atol: float
    steady_rtol: float


_Sim = TypeVar("_Sim", bound=Integration)


@dataclass(frozen=True)
class Hook:
    """A function named by ``"module:function"``, imported on its first call, as entry points are.

    It is called with the call's own arguments followed by the construction settings named in
    ``settings`` (``Hook("m:f", ("epsilon",))(net, settings={"epsilon": 0.01})`` is ``f(net, 0.01)``).
    """

    target: str
    settings: tuple[str, ...] = ()

    def resolve(self) -> Callable[..., Any]:
        module, _, name = self.target.partition(":")
        return getattr(import_module(module), name)

    def __call__(self, *args: Any, settings: Mapping[str, float]) -> Any:
        return self.resolve()(*args, *(settings[s] for s in self.settings))


@dataclass(frozen=True, eq=False)
class Construction:
    """One CRN construction.

    ``rate_independent``: the CRN's limit state is the network's output whatever the rates,
    so the exact evaluator, the reduce pass and random rate draws apply; otherwise the
    weights are rate constants, the ODE fixed point is checked instead, and the DNA kinetics
    must set every module's rate by its fuel (:mod:`dsdcompile.kinetics.rate_fuel`).
    ``discrete_weights``: compiled weights must be in {-1, 0, 1} (or are discretised on
    request). ``weights`` lists the weight kinds training produces for it, the default first;
    ``parameters`` the construction's own settings, stored in a model's meta and given as CLI
    options (``--epsilon``).
    """

    name: str
    citation: str
    description: str
    rate_independent: bool
    discrete_weights: bool
    weights: tuple[str, ...]
    parameters: tuple[str, ...]
    # each hook is a Hook or a local function, called with its arguments and ``settings=`` (this construction's)
    _compile: Callable[..., CRN]  # (network) → the formal CRN
    _forward: Callable[..., np.ndarray]  # (network, x) → what the CRN must compute
    _prepare_dsd: Callable[..., CRN] | None = None  # (crn) → the CRN the translation scheme gets
    _activation: Callable[..., Any] | None = None  # () → torch module of the hidden layers
    _export: Callable[..., dict] | None = None  # (trained torch model) → the state_dict the compiler loads
    dsd_note: str | None = None
    training_notes: Callable[[Mapping[str, float]], dict] | None = None
    # peak bytes the formal (and reduced) CRN cost per nonzero weight while compiled and written, so a
    # network too large for memory is refused before it is compiled (dsdcompile.runtime.resources; measured
    # by `python scripts/bench_inputs.py --crn`, with a margin)
    crn_bytes_per_weight: int = 2000

    @property
    def rate_dependent(self) -> bool:
        return not self.rate_independent

    # -- settings ------------------------------------------------------------------------------------
    def settings(self, meta: Mapping | None = None, config: object | None = None) -> dict[str, float]:
        """This construction's parameters: the option (an attribute of ``config``, a CompileConfig or
        TrainConfig, when it is not None), else the model's meta, else the default."""
        out: dict[str, float] = {}
        for name in self.parameters:
            value = getattr(config, name, None) if config is not None else None
            if value is None and meta is not None and meta.get(name) is not None:
                value = meta[name]
            if value is None:
                value = _PARAMETER_DEFAULTS[name]
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InputError(f"{self.name} parameter {name} must be a number, got {value!r}") from None
            if not value > 0 or value == float("inf"):
                raise InputError(f"{self.name} parameter {name} must be positive and finite, got {value}")
            out[name] = value
        return out

    # -- compile and check ---------------------------------------------------------------------------
    def compile(self, network: Network, settings: Mapping[str, float]) -> CRN:
        """The formal CRN of ``network``."""
        return self._compile(network, settings=settings)

    def forward(self, network: Network, x: np.ndarray, settings: Mapping[str, float]) -> np.ndarray:
        """What the CRN must compute for network inputs ``x`` (examples × inputs)."""
        return self._forward(network, x, settings=settings)

    def ode_tolerance(self, agreement: Tolerances) -> float:
        """How close the simulated CRN must come to the forward pass, relative to max(1, |output|)."""
        return agreement.ode_rtol if self.rate_independent else agreement.fixed_point_rtol

    def simulation(self, simulation: _Sim, agreement: Tolerances) -> _Sim:
        """The ODE check's settings: a fixed point has to be approached closely, a limit state does not."""
        if self.rate_independent:
            return simulation
        return replace(simulation, atol=min(simulation.atol, agreement.fixed_point_atol),
                       steady_rtol=min(simulation.steady_rtol, agreement.fixed_point_steady_rtol))

    def prepare_dsd(self, crn: CRN) -> CRN:
        """The CRN the translation scheme gets (rate-dependent CRNs get helper catalysts)."""
        return crn if self._prepare_dsd is None else self._prepare_dsd(crn, settings={})

    # -- training ------------------------------------------------------------------------------------
    def activation(self, settings: Mapping[str, float]):
        """The torch module applied after every hidden layer in training."""
        return self._activation(settings=settings)

    def export(self, model) -> dict:
        """The exported state_dict of a trained torch model."""
        return self._export(model, settings={})


# -- vasic2020 -------------------------------------------------------------------------------------------
def _vasic_forward(network: Network, x: np.ndarray, *, settings: Mapping[str, float]) -> np.ndarray:
    return network.forward(x)


def _relu(*, settings: Mapping[str, float]):
    import torch

    return torch.nn.ReLU()


def _vasic_notes(settings: Mapping[str, float]) -> dict:
    return {"loss": "square hinge",
            "layer_scale": "alpha_l = 1/sqrt(fan_in) in training; exported biases b_l / (alpha_1...alpha_l)"}


# -- anderson2021 ----------------------------------------------------------------------------------------
def _anderson_notes(settings: Mapping[str, float]) -> dict:
    return {"loss": "square hinge on the output layer's pre-activation (sigma_eps is increasing: same argmax)",
            "activation": f"sigma_eps(z) = (z + sqrt(z^2 + 4 eps)) / 2 after every layer, eps = {settings['epsilon']}"}


_PARAMETER_DEFAULTS = {"epsilon": DEFAULT_EPSILON}

CONSTRUCTIONS: dict[str, Construction] = {
    "vasic2020": Construction(
        name="vasic2020",
        citation="M. Vasic, C. Chalk, S. Khurshid, D. Soloveichik. Deep Molecular Programming: A Natural "
                 "Implementation of Binary-Weight ReLU Neural Networks. ICML 2020.",
        description="rate-independent ReLU CRN of Vasic et al. 2020: ternary weights, biases as initial concentrations",
        rate_independent=True, discrete_weights=True, weights=("ternary", "binary"), parameters=(),
        _compile=Hook("dsdcompile.passes.compile:compile_network"), _forward=_vasic_forward, _activation=_relu,
        _export=Hook("dsdcompile.nn.layers:export_ternary"),
        training_notes=_vasic_notes),
    "anderson2021": Construction(
        name="anderson2021",
        citation="D. F. Anderson, B. Joshi, A. Deshpande. On reaction network implementations of neural networks. "
                 "J. R. Soc. Interface 18: 20210031, 2021.",
        description="rate-dependent mass-action CRN of Anderson et al. 2021: real weights as rate constants, smoothed "
                    "ReLU σ_ε after every layer including the output",
        rate_independent=False, discrete_weights=False, weights=("real",), parameters=("epsilon",),
        _compile=Hook("dsdcompile.passes.anderson:compile_anderson", ("epsilon",)),
        _forward=Hook("dsdcompile.passes.anderson:smoothed_forward", ("epsilon",)),
        _prepare_dsd=Hook("dsdcompile.passes.helper_catalysts:add_helper_catalysts"),
        _activation=Hook("dsdcompile.nn.layers:smoothed_relu_module", ("epsilon",)),
        _export=Hook("dsdcompile.nn.layers:export_real"), training_notes=_anderson_notes, crn_bytes_per_weight=8000,
        dsd_note="rate-dependent construction: zero- and first-order reactions get constant helper catalysts (every "
                 "module a buffered join), bisimulation checks the reactions only, and the kinetics stage sets each "
                 "module's rate constant by fuel concentrations and checks the outputs by simulation"),
}


def names() -> tuple[str, ...]:
    """The registered construction names (the CLI's --construction choices)."""
    return tuple(CONSTRUCTIONS)


def get(name: str) -> Construction:
    """The construction called ``name``; an unknown name is an InputError listing the known ones."""
    try:
        return CONSTRUCTIONS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown construction {name!r}; known: {', '.join(CONSTRUCTIONS)}") from None


def of_model(meta: Mapping, name: str | None = None) -> Construction:
    """The construction a model is compiled with: ``name`` (the option), else the model's meta, else the default."""
    if name is None:
        name = meta.get("construction", DEFAULT) if isinstance(meta, Mapping) else DEFAULT
    return get(name if isinstance(name, str) else repr(name))


def of_network(network: Network) -> Construction:
    """The construction a loaded network was built for (its meta records it)."""
    return get(network.meta.get("construction", DEFAULT))


__all__ = ["CONSTRUCTIONS", "DEFAULT", "DEFAULT_EPSILON", "TERNARY_THRESHOLD", "Construction", "Integration",
           "Tolerances", "get", "names", "of_model", "of_network"]
