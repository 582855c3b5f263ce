"""Frozen configuration objects: the one place where defaults live (the CLI reads them from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dsdcompile.errors import InputError


@dataclass(frozen=True)
class CompileConfig:
    """How a network becomes a CRN."""

    binarize: str | None = None  # None (weights must be ternary), "sign" or "ternary"
    ternary_threshold: float = 0.7  # ternary: |w| < threshold · mean|w| becomes 0
    annihilation: bool = False  # add S+ + S- -> ∅ for every dual-rail pair
    construction: str | None = None  # "vasic2020" or "anderson2021"; None: the model's meta, else vasic2020
    epsilon: float | None = None  # anderson2021 smoothing ε; None: the model's meta, else 0.01


CONSTRUCTIONS = ("vasic2020", "anderson2021")
SIMULATION_BACKENDS = ("auto", "rosenbrock", "bdf")


@dataclass(frozen=True)
class SimulationConfig:
    """Mass-action ODE simulation of a CRN.

    ``rate`` is the rate constant of every reaction whose own rate is None. The run stops
    for an example once its relative rate of change max_s |dc_s/dt| / max(|c_s|, atol) falls
    below ``steady_rtol`` (steady state) or at ``t_max``. ``rtol``/``atol`` bound the local
    error per step (scipy's defaults): the steady state of a feed-forward CRN is fixed by its
    conservation laws, which the integrator keeps exactly, so outputs come out far more
    accurate than ``rtol`` (1e-6 relative or better; see :mod:`dsdcompile.simulate`).
    ``backend``: "rosenbrock" (batched, for CRNs whose strongly connected components are small),
    "bdf" (scipy, one example at a time, any CRN) or "auto" (Rosenbrock wherever it applies).
    """

    rate: float = 1.0
    t_max: float = 1.0e4
    rtol: float = 1.0e-3
    atol: float = 1.0e-6
    steady_rtol: float = 1.0e-8
    max_steps: int = 100_000
    batch_size: int = 64
    device: str = "cpu"
    backend: str = "auto"

    def __post_init__(self) -> None:
        if self.backend not in SIMULATION_BACKENDS:
            raise InputError(f"unknown simulation backend {self.backend!r}; choose one of "
                             f"{', '.join(SIMULATION_BACKENDS)}")


@dataclass(frozen=True)
class AgreementConfig:
    """Tolerances for CRN-versus-network checks (relative to max(1, |network output|))."""

    exact_rtol: float = 1.0e-9
    ode_rtol: float = 1.0e-3
    fixed_point_rtol: float = 1.0e-6  # anderson2021: ODE fixed point vs the smoothed-ReLU forward pass
    ode_examples: int = 100  # how many examples the ODE check simulates (-1: all)
    ode_crn: str = "formal"  # which CRN the ODE check simulates: "formal" or "reduced"




@dataclass(frozen=True)
class VerificationConfig:
    """How enumerated DSD modules are checked against their formal reactions.

    ``method`` decides the verdict: "modular-bisimulation" (one check per module shape) or
    "pathway-decomposition". ``second_method`` runs as well on every shape and is reported
    beside it without changing the verdict (None: skip). Each check of one shape runs under
    ``module_timeout`` seconds; running out of time gives the verdict "inconclusive".
    ``whole_timeout`` bounds `verify_whole`, which is attempted only for implementations of
    at most ``whole_max_reactions`` reactions: whole-system bisimulation grows exponentially
    with the number of modules (measured: 7.7 s for two 4-intermediate modules, 98 s for
    three; a 60-reaction IRIS implementation ran past 300 s), so the defaults keep it to
    systems it can finish. ``max_states`` bounds the state-space search that explains a
    failed check with a counterexample.
    """

    method: str = "modular-bisimulation"
    second_method: str | None = "pathway-decomposition"
    module_timeout: float = 60.0
    whole_timeout: float = 30.0
    whole_max_reactions: int = 40
    permissive: str = "default"  # crnverifier's permissive-condition checker: default/graphsearch/bruteforce
    max_states: int = 20_000
    executor: str = "process"  # serial / process / dask
    workers: int | None = None
    scheduler: str | None = None  # address of an existing Dask scheduler


@dataclass(frozen=True)
class DSDConfig:
    """How a CRN becomes a domain-level DSD system.

    ``max_products`` bounds the products of every reaction handed to the scheme (None: the
    largest K whose strands stay within ``max_strand_nt`` under the chosen scheme). ``compact``
    first substitutes unimolecular reactions into their producers wherever the result still
    fits K products (a bounded form of the reduce pass: fewer modules, fewer nucleotides).
    Domain lengths of None take the scheme's own defaults. Fuels are present at
    ``fuel_concentration`` relative to a unit signal concentration.
    """

    max_products: int | None = None
    max_strand_nt: int = 120
    compact: bool = True
    toehold_nt: int | None = None
    branch_nt: int | None = None
    fuel_concentration: float = 100.0


@dataclass(frozen=True)
class EnumerationConfig:
    """Limits and settings of peppercorn reaction enumeration (per module, or for a whole system).

    The first three are peppercorn's own polymerisation guards; ``module_timeout`` and
    ``whole_timeout`` bound wall-clock seconds (enforced by killing the worker process). The
    release cutoff and rate thresholds are peppercorn's, with nuskell's defaults.
    """

    max_complex_size: int = 10
    max_complex_count: int = 5_000
    max_reaction_count: int = 10_000
    module_timeout: float = 120.0
    whole_timeout: float = 600.0
    release_cutoff: int = 7
    k_slow: float = 0.0
    k_fast: float = 0.0
    reject_remote: bool = False
    max_helix: bool = True
    executor: str = "process"  # serial / process / dask
    workers: int | None = None
    scheduler: str | None = None


@dataclass(frozen=True)
class KineticsConfig:
    """Kinetics at realistic rates in physical units: concentrations in nM, time in seconds.

    One unit of network value is ``unit_nM`` of a species (inputs, biases and outputs alike).
    Every formal reaction's rate constant is drawn log-uniformly from [``rate_min``,
    ``rate_max``] /M/s (seeded; ``rate_draws`` independent draws); a unimolecular formal
    reaction X -> ... runs at the pseudo-first-order rate k·[fuel] that a DSD gate gives it.
    Fuels are planned from the worst case over the examples times ``fuel_safety`` (at least
    ``fuel_min_units`` units); without a plan every fuel sits at ``fuel_units`` units.
    A run ends at steady state (``steady_rtol``, per second) or after ``t_max_hours``.
    Outputs are recorded for every example on a log-spaced time grid (``grid_start_s`` to the
    end, ``grid_per_decade`` points per decade); t90 is when every output is within
    ``t90_fraction`` of its final value (the band never narrower than ``t90_floor_units`` units).
    ``leak`` (/M/s), passed to build_implementation_crn, adds spurious fuel + fuel -> products
    reactions to implementation CRNs (0: off). The rest plans the
    wet-lab tables: final volume, stocks, annealing excess and protocol.

    Inside a design run (:mod:`dsdcompile.kinetics_stage`) the fuel plan, implementation
    kinetics and wet-lab tables run only for DSD systems of at most ``max_modules`` modules
    (an implementation CRN has several species per module and no wet lab pipettes 10^5
    fuels); larger systems get formal kinetics only, on at most ``large_system_examples``
    examples when ``examples`` is -1.

    The ``rate_*`` fields plan rate-dependent constructions, whose fuel concentrations set
    the rate constants (:mod:`dsdcompile.kinetics.rate_fuel`): at most ``rate_fuel_max_nM``
    per fuel, and ``rate_fuel_safety`` times what the run consumes by the readout time where
    that cap allows.
    """

    unit_nM: float = 10.0
    rate_min: float = 1.0e3  # /M/s
    rate_max: float = 1.0e4  # /M/s
    rate_draws: int = 5
    seed: int = 0
    fuel_units: float = 100.0
    fuel_safety: float = 2.0
    fuel_min_units: float = 1.0
    t_max_hours: float = 200.0
    rtol: float = 1.0e-4
    atol: float = 1.0e-6  # nM
    steady_rtol: float = 1.0e-9  # 1/s
    max_steps: int = 100_000
    t90_fraction: float = 0.1
    t90_floor_units: float = 0.1
    examples: int = -1  # formal kinetics: how many examples (-1: all)
    implementation_examples: int = -1
    trajectories: bool = True  # record outputs on a log-time grid (needed for t90 and plots)
    grid_start_s: float = 1.0  # first grid time after 0
    grid_per_decade: int = 10
    leak: float = 0.0  # /M/s
    batch_size: int = 64
    device: str = "auto"  # "auto": cuda when available, else cpu
    volume_uL: float = 100.0
    input_volume_fraction: float = 0.1  # share of the final volume kept for the per-example inputs
    pipette_target_uL: float = 2.0
    max_stock_uM: float = 100.0
    anneal_excess: float = 1.2
    buffer: str = "1x TAE with 12.5 mM Mg2+"
    anneal_protocol: str = "95 C for 2 min, then cool to 20 C at 1 C/min"
    max_modules: int = 2000
    large_system_examples: int = 100
    # rate-dependent constructions (anderson2021): fuel sets every module's rate constant
    # (dsdcompile.kinetics.rate_fuel); 0 for the time unit τ chooses it
    rate_time_unit_s: float = 0.0
    # one unit of network value for rate-dependent designs (replaces unit_nM there): their fuel
    # is consumed for as long as the tube runs, and at 10 nM per unit IRIS anderson2021 used
    # ~9x more of its busiest fuel by the readout time than the 10 µM cap lets a tube supply
    rate_unit_nM: float = 1.0
    rate_fuel_max_nM: float = 10_000.0  # per fuel
    rate_buffer_min_units: float = 200.0  # × unit_nM: no module's buffer goes below this
    rate_excess_min_nM: float = 100.0  # fuels that set no rate (forks, translators)
    rate_fuel_safety: float = 20.0  # supplied / consumed by the readout time, where the cap allows
    rate_max_input_held: float = 0.25  # largest share of an input that gates may hold (sets τ)
    rate_readout_rtol: float = 1.0e-3  # readout: every output within this of its quasi-steady value


@dataclass(frozen=True)
class RunConfig:
    """Everything one `dsdcompile MODEL` run needs besides its file paths."""

    compile: CompileConfig = field(default_factory=CompileConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    agreement: AgreementConfig = field(default_factory=AgreementConfig)
    dsd: DSDConfig = field(default_factory=DSDConfig)
    enumeration: EnumerationConfig = field(default_factory=EnumerationConfig)
    verification: VerificationConfig = field(default_factory=VerificationConfig)
    scheme: str = "none"
    dsd_crn: str = "formal"  # which CRN the DSD stage translates (formal: fewer nucleotides, measured)
    verify_whole: bool = True  # also enumerate and verify the whole system when it is small enough
    kinetics: KineticsConfig = field(default_factory=KineticsConfig)
    crn_json: bool = True  # also write formal.json / reduced.json beside the .crn files
    run_kinetics: bool = True  # kinetics stage and wet-lab tables after the DSD stage (needs --inputs)
    plot_example: int = 0
    quiet: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
