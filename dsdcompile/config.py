"""Frozen configuration objects: the one place where defaults live (the CLI reads them from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CompileConfig:
    """How a network becomes a CRN."""

    binarize: str | None = None  # None (weights must be ternary), "sign" or "ternary"
    ternary_threshold: float = 0.7  # ternary: |w| < threshold · mean|w| becomes 0
    annihilation: bool = False  # add S+ + S- -> ∅ for every dual-rail pair


@dataclass(frozen=True)
class SimulationConfig:
    """Mass-action ODE simulation of a CRN.

    ``rate`` is the rate constant of every reaction whose own rate is None. The run stops
    for an example once its relative rate of change max_s |dc_s/dt| / max(|c_s|, atol) falls
    below ``steady_rtol`` (steady state) or at ``t_max``.
    """

    rate: float = 1.0
    t_max: float = 1.0e4
    rtol: float = 1.0e-6
    atol: float = 1.0e-9
    steady_rtol: float = 1.0e-8
    max_steps: int = 100_000
    batch_size: int = 64
    device: str = "cpu"


@dataclass(frozen=True)
class AgreementConfig:
    """Tolerances for CRN-versus-network checks (relative to max(1, |network output|))."""

    exact_rtol: float = 1.0e-9
    ode_rtol: float = 1.0e-3
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
