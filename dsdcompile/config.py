"""Frozen configuration objects: the one place where defaults live (the CLI reads them from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CompileConfig:
    """How a network becomes a CRN."""

    binarize: str | None = None  # None (weights must be ternary), "sign" or "ternary"
    ternary_threshold: float = 0.7  # ternary: |w| < threshold · mean|w| becomes 0
    annihilation: bool = False  # add S+ + S- -> ∅ for every dual-rail pair
    construction: str | None = None  # "vasic2020" or "anderson2021"; None: the model's meta, else vasic2020
    epsilon: float | None = None  # anderson2021 smoothing ε; None: the model's meta, else 0.01


CONSTRUCTIONS = ("vasic2020", "anderson2021")


@dataclass(frozen=True)
class SimulationConfig:
    """Mass-action ODE simulation of a CRN.

    ``rate`` is the rate constant of every reaction whose own rate is None. The run stops
    for an example once its relative rate of change max_s |dc_s/dt| / max(|c_s|, atol) falls
    below ``steady_rtol`` (steady state) or at ``t_max``. ``rtol``/``atol`` bound the local
    error per step (scipy's defaults): the steady state of a feed-forward CRN is fixed by its
    conservation laws, which the integrator keeps exactly, so outputs come out far more
    accurate than ``rtol`` (about 1e-8 relative; see :mod:`dsdcompile.simulate`).
    """

    rate: float = 1.0
    t_max: float = 1.0e4
    rtol: float = 1.0e-3
    atol: float = 1.0e-6
    steady_rtol: float = 1.0e-8
    max_steps: int = 100_000
    batch_size: int = 64
    device: str = "cpu"


@dataclass(frozen=True)
class AgreementConfig:
    """Tolerances for CRN-versus-network checks (relative to max(1, |network output|))."""

    exact_rtol: float = 1.0e-9
    ode_rtol: float = 1.0e-3
    fixed_point_rtol: float = 1.0e-6  # anderson2021: ODE fixed point vs the smoothed-ReLU forward pass
    ode_examples: int = 100  # how many examples the ODE check simulates (-1: all)
    ode_crn: str = "formal"  # which CRN the ODE check simulates: "formal" or "reduced"


@dataclass(frozen=True)
class RunConfig:
    """Everything one `dsdcompile MODEL` run needs besides its file paths."""

    compile: CompileConfig = field(default_factory=CompileConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    agreement: AgreementConfig = field(default_factory=AgreementConfig)
    scheme: str = "none"
    plot_example: int = 0
    quiet: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class VerificationConfig:
    """How enumerated DSD modules are checked against their formal reactions.

    ``method`` decides the verdict: "modular-bisimulation" (one check per module shape) or
    "pathway-decomposition". ``second_method`` runs as well on every shape and is reported
    beside it without changing the verdict (None: skip). Each check of one shape runs under
    ``module_timeout`` seconds; running out of time gives the verdict "inconclusive".
    ``whole_timeout`` bounds `verify_whole`, which is attempted only for implementations of
    at most ``whole_max_reactions`` reactions. ``max_states`` bounds the state-space search
    that explains a failed check with a counterexample.
    """

    method: str = "modular-bisimulation"
    second_method: str | None = "pathway-decomposition"
    module_timeout: float = 60.0
    whole_timeout: float = 300.0
    whole_max_reactions: int = 200
    permissive: str = "default"  # crnverifier's permissive-condition checker: default/graphsearch/bruteforce
    max_states: int = 20_000
    executor: str = "process"  # serial / process / dask
    workers: int | None = None
    scheduler: str | None = None  # address of an existing Dask scheduler
