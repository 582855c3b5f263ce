"""Frozen configuration objects: the one place where defaults live and values are checked.

The CLI reads its option defaults from these classes and builds them through the same
constructors as the Python API, so both get the same checks (``__post_init__`` raises
:class:`~dsdcompile.errors.InputError` naming the field) and the same defaults. This module
imports nothing heavy: ``dsdcompile --help`` loads it.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from dsdcompile import constructions as _constructions
from dsdcompile.config.dyes import DEFAULT_DYES, Dye, check_dyes
from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.constructions import DEFAULT_EPSILON, TERNARY_THRESHOLD
from dsdcompile.errors import InputError

EXECUTORS = ("serial", "process", "dask")
DATASETS = ("iris", "virus", "mnist")
WEIGHTS = ("binary", "ternary", "real")
SIMULATION_BACKENDS = ("auto", "rosenbrock", "bdf")
CRN_FORMS = ("formal", "reduced")
PLANNED_LEAK_PER_M_S = 1.0  # /M/s, toeless strand displacement (Zhang & Winfree 2009); see kinetics/tube.py


# -- checks shared by every config ---------------------------------------------------------------
def _where(obj: object, name: str) -> str:
    return f"{type(obj).__name__}.{name}"


def positive(obj: object, *names: str) -> None:
    """Each named field must be a finite number > 0."""
    for name in names:
        v = getattr(obj, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise InputError(f"{_where(obj, name)} must be a positive finite number, got {v!r}")


def non_negative(obj: object, *names: str) -> None:
    """Each named field must be a finite number >= 0."""
    for name in names:
        v = getattr(obj, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v >= 0):
            raise InputError(f"{_where(obj, name)} must be a finite number >= 0, got {v!r}")


def at_least(obj: object, low: int, *names: str) -> None:
    """Each named field must be an integer >= low."""
    for name in names:
        v = getattr(obj, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise InputError(f"{_where(obj, name)} must be an integer >= {low}, got {v!r}")


def one_of(obj: object, name: str, choices: tuple) -> None:
    v = getattr(obj, name)
    if v not in choices:
        raise InputError(f"{_where(obj, name)} must be one of {', '.join(map(str, choices))}, got {v!r}")


def optional_positive(obj: object, *names: str) -> None:
    for name in names:
        if getattr(obj, name) is not None:
            positive(obj, name)


# -- the stages' configs --------------------------------------------------------------------------
@dataclass(frozen=True)
class CompileConfig:
    """How a network becomes a CRN."""

    binarize: str | None = None  # None (weights must be ternary), "sign" or "ternary"
    ternary_threshold: float = TERNARY_THRESHOLD  # ternary: |w| < threshold · mean|w| becomes 0
    annihilation: bool = False  # add S+ + S- -> ∅ for every dual-rail pair
    construction: str | None = None  # a name from dsdcompile.constructions; None: the model's meta, else vasic2020
    epsilon: float | None = None  # anderson2021 smoothing ε; None: the model's meta, else the construction's default

    def __post_init__(self) -> None:
        one_of(self, "binarize", (None, "sign", "ternary"))
        positive(self, "ternary_threshold")
        optional_positive(self, "epsilon")
        if self.construction is not None:
            _constructions.get(self.construction)


@dataclass(frozen=True)
class SimulationConfig:
    """Mass-action ODE simulation of a CRN.

    ``rate`` is the rate constant of every reaction whose own rate is None. The run stops
    for an example once its relative rate of change max_s |dc_s/dt| / max(|c_s|, atol) falls
    below ``steady_rtol`` (steady state) or at ``t_max``. ``rtol``/``atol`` bound the local
    error per step (scipy's defaults): the steady state of a feed-forward CRN is fixed by its
    conservation laws, which the integrator keeps exactly, so outputs come out far more
    accurate than ``rtol`` (1e-6 relative or better; see :mod:`dsdcompile.sim.engine`).
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
        positive(self, "rate", "t_max", "rtol", "atol", "steady_rtol")
        at_least(self, 1, "max_steps", "batch_size")
        one_of(self, "backend", SIMULATION_BACKENDS)


@dataclass(frozen=True)
class AgreementConfig:
    """Tolerances for CRN-versus-network checks (relative to max(1, |network output|)).

    Rate-dependent constructions have no exact limit: their ODE fixed point is compared with
    the construction's forward pass to ``fixed_point_rtol``, simulated with ``fixed_point_atol``
    and stopped at ``fixed_point_steady_rtol`` (what decides that comparison is how close to
    steady state the run stops, not the step tolerance: 6e-14 relative measured), and its
    convergence is measured from ``random_starts`` random initial states.
    """

    exact_rtol: float = 1.0e-9
    ode_rtol: float = 1.0e-3
    fixed_point_rtol: float = 1.0e-6
    fixed_point_atol: float = 1.0e-12
    fixed_point_steady_rtol: float = 1.0e-12
    random_starts: int = 20
    random_start_seed: int = 0
    ode_examples: int = 100  # how many examples the ODE check simulates (-1: all)
    ode_crn: str = "formal"  # which CRN the ODE check simulates: "formal" or "reduced"

    def __post_init__(self) -> None:
        positive(self, "exact_rtol", "ode_rtol", "fixed_point_rtol", "fixed_point_atol", "fixed_point_steady_rtol")
        at_least(self, 1, "random_starts")
        at_least(self, -1, "ode_examples")
        one_of(self, "ode_crn", CRN_FORMS)


@dataclass(frozen=True)
class ExecutionConfig:
    """Where and how long parallel work runs: module enumeration, verification, rate-dependent kinetics.

    One executor (``serial``, a local ``process`` pool of ``workers``, or ``dask`` on the
    cluster at ``scheduler``) is made per design run and handed to every stage. Work of fewer
    than ``serial_below`` tasks runs in this process: starting a pool costs more than a few
    small tasks do. ``module_timeout`` bounds the enumeration and the verification of one
    module shape, ``whole_enumeration_timeout`` and ``whole_verification_timeout`` the
    whole-system enumeration and check (wall-clock seconds; 0: no limit). A Dask ``scheduler``
    that does not answer within ``connect_timeout`` seconds is an input error (exit 2), reported
    before any stage runs.
    """

    executor: str = "process"
    workers: int | None = None  # None: all cores
    scheduler: str | None = None  # address of an existing Dask scheduler (executor "dask")
    module_timeout: float = 120.0
    whole_enumeration_timeout: float = 600.0
    whole_verification_timeout: float = 30.0
    serial_below: int = 3
    connect_timeout: float = 10.0

    def __post_init__(self) -> None:
        one_of(self, "executor", EXECUTORS)
        if self.workers is not None:
            at_least(self, 1, "workers")
        if self.executor == "dask" and not self.scheduler:
            raise InputError("the dask executor needs a scheduler address (--scheduler ADDRESS)")
        non_negative(self, "module_timeout", "whole_enumeration_timeout", "whole_verification_timeout")
        positive(self, "connect_timeout")
        at_least(self, 1, "serial_below")


@dataclass(frozen=True)
class VerificationConfig:
    """How enumerated DSD modules are checked against their formal reactions.

    ``method`` names the primary check per module shape: "modular-bisimulation" or
    "pathway-decomposition". ``second_method`` runs as well on every shape (None: skip); either
    proving a module wrong makes it not-equivalent. Time limits are in :class:`ExecutionConfig`;
    running out of time gives the verdict "inconclusive". ``interactions`` checks that no complex
    reachable in one module reacts with a complex reachable in another (the condition under
    which per-module verdicts compose; :mod:`dsdcompile.verify.interaction`). The whole system
    is also enumerated and verified when that fits ``whole_budget`` seconds in all
    (:mod:`dsdcompile.verify.whole`), with at most ``whole_max_reactions`` condensed reactions
    (None: no cap): whole-system bisimulation grows exponentially with the number of modules
    (measured: 7.7 s for two 4-intermediate modules, 98 s for three). ``max_states`` bounds the
    state-space searches that refute an implementation or explain a failed check.
    """

    method: str = "modular-bisimulation"
    second_method: str | None = "pathway-decomposition"
    whole_max_reactions: int | None = None
    whole_budget: float = 5.0
    system_budget: float = 60.0  # seconds for a system-level decision where modules fail (dsdcompile.verify.decide)
    interactions: bool = True
    permissive: str = "default"  # crnverifier's permissive-condition checker: default/graphsearch/bruteforce
    max_states: int = 20_000
    first_error: bool = True  # stop at the first proven error (dsdcompile.verify.screen); --check-every-shape

    def __post_init__(self) -> None:
        methods = ("modular-bisimulation", "pathway-decomposition")
        one_of(self, "method", methods)
        one_of(self, "second_method", (None, *methods))
        one_of(self, "permissive", ("default", "graphsearch", "bruteforce"))
        if self.whole_max_reactions is not None:
            at_least(self, 0, "whole_max_reactions")
        non_negative(self, "whole_budget", "system_budget")
        at_least(self, 1, "max_states")


@dataclass(frozen=True)
class DSDConfig:
    """How a CRN becomes a domain-level DSD system.

    ``max_products`` bounds the products of every reaction handed to the scheme (None: the
    largest K whose strands stay within ``max_strand_nt`` under the chosen scheme). ``compact``
    first substitutes unimolecular reactions into their producers wherever the result still
    fits K products (a bounded form of the reduce pass: fewer modules, fewer nucleotides).
    Domain lengths of None take the scheme's own defaults. Fuels are present at
    ``fuel_concentration`` relative to a unit signal concentration until the kinetics stage
    plans them. ``reporters`` adds a fluorophore/quencher reporter for every output rail
    (:mod:`dsdcompile.dsd.reporters`), enumerated and verified with the modules. A stoichiometric
    coefficient above ``max_coefficient`` is refused: a reaction making n copies of a species
    becomes a tree of about n/K modules, and 10^6 copies took 46 s and 431 MB of output.
    ``reactant_order`` is the order in which a module binds its reactants (dsdcompile.dsd.order):
    "as-written", "sorted" (shape-canonical) or "search" (as written, other orders where needed).
    """

    max_products: int | None = None
    max_strand_nt: int = 120
    compact: bool = True
    toehold_nt: int | None = None
    branch_nt: int | None = None
    fuel_concentration: float = 100.0
    reporters: bool = True
    max_coefficient: int = 1000
    reactant_order: str = "search"

    def __post_init__(self) -> None:
        at_least(self, 1, "max_coefficient")
        one_of(self, "reactant_order", ("as-written", "sorted", "search"))
        if self.max_products is not None:
            at_least(self, 1, "max_products")
        for name in ("toehold_nt", "branch_nt"):
            if getattr(self, name) is not None:
                at_least(self, 1, name)
        at_least(self, 1, "max_strand_nt")
        positive(self, "fuel_concentration")


@dataclass(frozen=True)
class EnumerationConfig:
    """Peppercorn's settings for reaction enumeration (per module, or for a whole system).

    The first three are peppercorn's own polymerisation guards; the release cutoff and rate
    thresholds are peppercorn's, with nuskell's defaults. ``max_complex_size`` is raised to two
    strands more than the largest initial complex when that is larger (a join gate of n inputs
    has n + 1 strands). Time limits are in :class:`ExecutionConfig`.
    """

    max_complex_size: int = 10
    max_complex_count: int = 5_000
    max_reaction_count: int = 10_000
    release_cutoff: int = 7
    k_slow: float = 0.0
    k_fast: float = 0.0
    reject_remote: bool = False
    max_helix: bool = True

    def __post_init__(self) -> None:
        at_least(self, 1, "max_complex_size", "max_complex_count", "max_reaction_count", "release_cutoff")
        non_negative(self, "k_slow", "k_fast")


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
    reactions to implementation CRNs (0: off).

    Inside a design run the fuel plan, implementation kinetics and wet-lab tables run only for
    DSD systems of at most ``max_modules`` modules (an implementation CRN has several species
    per module and no wet lab pipettes 10^5 fuels); larger systems get formal kinetics only,
    on at most ``large_system_examples`` examples when ``examples`` is -1.
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
    max_modules: int = 2000
    large_system_examples: int = 100

    def __post_init__(self) -> None:
        positive(self, "unit_nM", "rate_min", "rate_max", "fuel_units", "fuel_safety", "t_max_hours", "rtol",
                 "atol", "steady_rtol", "t90_fraction", "grid_start_s")
        non_negative(self, "fuel_min_units", "leak", "t90_floor_units")
        at_least(self, 1, "rate_draws", "grid_per_decade", "batch_size", "max_steps", "large_system_examples")
        at_least(self, 0, "max_modules")
        at_least(self, -1, "examples", "implementation_examples")
        if self.rate_min > self.rate_max:
            raise InputError(f"KineticsConfig.rate_min {self.rate_min} exceeds rate_max {self.rate_max}")


@dataclass(frozen=True)
class RateFuelConfig:
    """Rate-dependent constructions (anderson2021): fuel concentrations set every module's rate constant.

    One unit of network value is ``unit_nM`` (their fuel is consumed for as long as the tube
    runs: at 10 nM per unit IRIS anderson2021 used ~9× more of its busiest fuel by the readout
    time than the 10 µM cap lets a tube supply). ``time_unit_s`` > 0 fixes the time unit τ
    (0: chosen so that gates hold at most ``max_input_held`` of any input). Every fuel is at
    most ``fuel_max_nM``; no module's buffer goes below ``buffer_min_units`` units; fuels that
    set no rate sit at ``excess_min_nM`` or more; fuel is ``fuel_safety`` times what the run
    consumes by the readout time where the caps allow. The readout is when every output is
    within ``readout_rtol`` of its quasi-steady value. The kinetics integrate with BDF at
    ``integrate_rtol``/``integrate_atol_nM`` (on IRIS anderson2021's fuel-excess run these
    differ from 1e-7/1e-9 by 3.3e-5 units, far inside the readout tolerance); the formal run
    lasts ``formal_span`` τ (far past its settling, median about 25 τ), the fuel-excess runs
    ``excess_span`` × the formal settling time, and the fuel plan is sized in ``plan_rounds``.
    """

    unit_nM: float = 1.0
    time_unit_s: float = 0.0
    fuel_max_nM: float = 10_000.0
    buffer_min_units: float = 200.0
    excess_min_nM: float = 100.0
    fuel_safety: float = 20.0
    max_input_held: float = 0.25
    readout_rtol: float = 1.0e-3
    integrate_rtol: float = 1.0e-6
    integrate_atol_nM: float = 1.0e-7
    formal_span: float = 500.0
    excess_span: float = 20.0
    plan_rounds: int = 2

    def __post_init__(self) -> None:
        positive(self, "unit_nM", "fuel_max_nM", "buffer_min_units", "excess_min_nM", "fuel_safety",
                 "max_input_held", "readout_rtol", "integrate_rtol", "integrate_atol_nM", "formal_span",
                 "excess_span")
        non_negative(self, "time_unit_s")
        at_least(self, 0, "plan_rounds")
        if self.buffer_min_units * self.unit_nM > self.fuel_max_nM:
            raise InputError("RateFuelConfig.buffer_min_units × unit_nM exceeds fuel_max_nM")

    def summary(self) -> dict:
        """The settings as summary.json's ``kinetics.config`` block writes them (``rate_`` prefixed)."""
        keep = ("unit_nM", "time_unit_s", "fuel_max_nM", "buffer_min_units", "excess_min_nM", "fuel_safety",
                "max_input_held", "readout_rtol")
        return {f"rate_{k}": getattr(self, k) for k in keep}


@dataclass(frozen=True)
class LabConfig:
    """The wet-lab protocol: volumes and pipetting, stocks, annealing and purification, the tube as planned, readout.

    Every transfer is at least ``min_volume_uL``; dilution levels are chosen so that a transfer
    is at least ``pipette_target_uL`` where a 1:10 step allows. A reaction well of
    ``volume_uL`` holds the fuel master mix, a reporter mix (``reporter_volume_fraction`` of the
    well) and the sample's input premix (``input_volume_fraction``). Strands are resuspended at
    ``max_stock_uM``; complexes are annealed in pools with top strands in ``anneal_excess`` and
    purified (native PAGE), planning for a ``recovery`` fraction of the DNA; the tube is then
    simulated with ``residual_fraction`` of every excess strand left free (an assumption: a
    twentieth of the 20 % excess; the kinetics stage also reads the tube at other levels) and
    leak at ``planned_leak`` /M/s (see :mod:`dsdcompile.kinetics.tube` for the literature). The
    plate is read at ``read_margin`` × the slowest example's t90 at ``reaction_temperature_C``;
    ``dyes`` are the fluorescence channels (:mod:`dsdcompile.lab.dyes`). With ``fit_unit`` the
    concentration of one unit (``KineticsConfig.unit_nM``, an upper bound then) is lowered in
    1-2-5 steps until the planned tube can be pipetted.
    """

    volume_uL: float = 100.0
    input_volume_fraction: float = 0.2  # share of a reaction well taken by the sample's input premix
    reporter_volume_fraction: float = 0.2  # share of a reaction well taken by the reporter mix
    pipette_target_uL: float = 2.0
    min_volume_uL: float = 1.0
    max_stock_uM: float = 100.0
    anneal_excess: float = 1.2
    buffer: str = "1x TAE with 12.5 mM Mg2+"
    anneal_protocol: str = "95 C for 2 min, then cool to 20 C at 1 C/min"
    purification: str = "native PAGE"
    recovery: float = 0.5
    residual_fraction: float = 0.01  # assumed: a twentieth of the 20 % excess survives purification
    planned_leak: float = PLANNED_LEAK_PER_M_S
    read_margin: float = 2.0
    reaction_temperature_C: float = 25.0
    dead_volume_fraction: float = 0.1
    dyes: tuple[Dye, ...] = DEFAULT_DYES
    fit_unit: bool = True

    def __post_init__(self) -> None:
        positive(self, "volume_uL", "pipette_target_uL", "min_volume_uL", "max_stock_uM", "read_margin")
        non_negative(self, "residual_fraction", "planned_leak", "dead_volume_fraction")
        for name in ("input_volume_fraction", "reporter_volume_fraction", "recovery"):
            if not 0 < getattr(self, name) <= 1:
                raise InputError(f"LabConfig.{name} must be in (0, 1], got {getattr(self, name)}")
        if self.input_volume_fraction + self.reporter_volume_fraction >= 1:
            raise InputError("LabConfig: the input premix and reporter mix must leave room for the master mix")
        if not self.residual_fraction < 1:
            raise InputError(f"LabConfig.residual_fraction must be below 1, got {self.residual_fraction}")
        if not self.anneal_excess >= 1:
            raise InputError(f"LabConfig.anneal_excess must be at least 1, got {self.anneal_excess}")
        if self.min_volume_uL * 2 > self.volume_uL * min(self.input_volume_fraction, self.reporter_volume_fraction):
            raise InputError(f"LabConfig.min_volume_uL {self.min_volume_uL} is too large for a {self.volume_uL} uL "
                             "reaction")
        check_dyes(self.dyes, "LabConfig.dyes")


@dataclass(frozen=True)
class RunConfig:
    """Everything one ``dsdcompile MODEL`` run needs besides its file paths.

    ``sequences`` None skips sequence design; constraints run it inside the design run.
    """

    compile: CompileConfig = field(default_factory=CompileConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    agreement: AgreementConfig = field(default_factory=AgreementConfig)
    dsd: DSDConfig = field(default_factory=DSDConfig)
    enumeration: EnumerationConfig = field(default_factory=EnumerationConfig)
    verification: VerificationConfig = field(default_factory=VerificationConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    kinetics: KineticsConfig = field(default_factory=KineticsConfig)
    rate_fuel: RateFuelConfig = field(default_factory=RateFuelConfig)
    lab: LabConfig = field(default_factory=LabConfig)
    sequences: SequenceConstraints | None = None
    allow_sequence_failures: bool = False  # exit 0 (not 5) when sequence checks still fail after repair
    scheme: str = "none"
    dsd_crn: str = "formal"  # which CRN the DSD stage translates (formal: fewer nucleotides, measured)
    verify_whole: bool = True  # also enumerate and verify the whole system when it fits its time budget
    allow_inconclusive: bool = False  # an inconclusive verification ends the run with exit code 4 unless allowed
    crn_json: bool = True  # also write formal.json / reduced.json beside the .crn files
    run_kinetics: bool = True  # kinetics stage and wet-lab tables after the DSD stage (needs --inputs)
    plot_example: int = 0
    quiet: bool = False
    max_memory: int | None = None  # bytes a model, its CRN and the inputs may need (None: a quarter of physical memory)

    def __post_init__(self) -> None:
        one_of(self, "dsd_crn", CRN_FORMS)
        at_least(self, 0, "plot_example")
        if self.max_memory is not None:
            at_least(self, 1, "max_memory")
        if not isinstance(self.scheme, str) or not self.scheme:
            raise InputError(f"RunConfig.scheme must be a scheme name, a .py path or 'none', got {self.scheme!r}")
        if self.sequences is not None and self.scheme == "none":
            raise InputError("sequence design needs the DSD stage: give --scheme NAME, not none")

    @property
    def dsd_enabled(self) -> bool:
        return self.scheme != "none"

    def to_dict(self) -> dict:
        return asdict(self)


# -- training --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs. ``hidden=None`` takes the data set's paper architecture.

    ``weights=None`` takes the construction's default: ternary for vasic2020, real for anderson2021.
    """

    dataset: str | None = "iris"
    csv: str | None = None
    label_column: str | None = None
    data_dir: str = "../shared/data"
    out: str = "model.pt"
    epochs: int = 200
    hidden: tuple[int, ...] | None = None
    lr: float = 0.01
    lr_final: float = 1.0e-4  # learning rate after the last epoch (exponential decay from lr)
    dropout: float = 0.0
    weights: str | None = None
    ternary_threshold: float = 0.15  # ternary: |w| < threshold → 0 (shadow weights live in [-1, 1])
    seed: int = 0
    split_seed: int = 0
    sparsity: float = 0.0  # ternary: λ in the penalty λ·Σ|w| on the shadow weights
    batch_size: int = 32
    augment: bool = False  # image data: random shifts of every training image each epoch
    max_shift: int = 2
    construction: str = "vasic2020"
    epsilon: float = DEFAULT_EPSILON  # anderson2021: σ_ε(z) = (z + √(z² + 4ε)) / 2
    weight_decay: float = 0.0  # L2 penalty (Adam weight_decay) on the weights, not the biases
    margin: float = 0.0  # class gap asked of every training example, relative to the batch's largest |output|
    val_fraction: float = 0.15  # --csv only
    test_fraction: float = 0.15  # --csv only
    threads: int = 1
    quiet: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise InputError for inconsistent settings (one clear line each)."""
        if self.csv is None and self.dataset not in DATASETS:
            raise InputError(f"unknown dataset {self.dataset!r}; known: {', '.join(DATASETS)} "
                             "(or --csv FILE --label-column NAME)")
        if self.csv is not None and not self.label_column:
            raise InputError("--csv needs --label-column NAME")
        allowed = _constructions.get(self.construction).weights
        if self.weights is not None and self.weights not in WEIGHTS:
            raise InputError(f"unknown weights {self.weights!r}; use binary, ternary or real")
        if self.weight_kind not in allowed:
            raise InputError(f"--construction {self.construction} needs --weights {' or '.join(allowed)}, "
                             f"not {self.weight_kind}")
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise InputError(f"--epsilon must be positive, got {self.epsilon}")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise InputError(f"--weight-decay must be >= 0, got {self.weight_decay}")
        if self.epochs < 1 or self.batch_size < 1 or self.threads < 1:
            raise InputError("--epochs, --batch-size and --threads must be at least 1")
        if self.hidden is not None and (not self.hidden or any(h < 1 for h in self.hidden)):
            raise InputError(f"bad --hidden {self.hidden!r}: give layer widths >= 1, e.g. 32 or 512,512")
        if not 0 <= self.dropout < 1:
            raise InputError(f"--dropout {self.dropout} is not in [0, 1)")
        if self.lr <= 0 or self.lr_final <= 0:
            raise InputError("--lr and --lr-final must be positive")
        if self.sparsity < 0:
            raise InputError("--sparsity must be >= 0")
        if self.sparsity > 0 and self.weight_kind != "ternary":
            raise InputError("--sparsity needs --weights ternary (binary weights cannot be zero)")
        if not 0 < self.ternary_threshold < 1:
            raise InputError("--ternary-threshold must be in (0, 1)")
        if self.max_shift < 0:
            raise InputError("--max-shift must be >= 0")
        if not 0 <= self.margin < 2:
            raise InputError(f"--margin must be in [0, 2) (a class gap relative to the largest output), got "
                             f"{self.margin}")

    @property
    def weight_kind(self) -> str:
        """``weights``, or the construction's default when it is None."""
        if self.weights is not None:
            return self.weights
        construction = _constructions.CONSTRUCTIONS.get(self.construction)
        return construction.weights[0] if construction is not None else "ternary"

    def to_command(self) -> str:
        """The `dsdcompile train` command line that reproduces this run (every setting explicit)."""
        args = ["dsdcompile", "train"]
        if self.csv is not None:
            args += ["--csv", self.csv, "--label-column", str(self.label_column),
                     "--val-fraction", repr(self.val_fraction), "--test-fraction", repr(self.test_fraction)]
        else:
            args += ["--dataset", str(self.dataset)]
            if self.dataset != "iris":
                args += ["--data-dir", self.data_dir]
        args += ["--out", self.out, "--epochs", str(self.epochs)]
        if self.hidden is not None:
            args += ["--hidden", ",".join(str(h) for h in self.hidden)]
        args += ["--lr", repr(self.lr), "--lr-final", repr(self.lr_final), "--dropout", repr(self.dropout),
                 "--weights", self.weight_kind]
        if self.weight_kind == "ternary":
            args += ["--ternary-threshold", repr(self.ternary_threshold)]
            if self.sparsity:
                args += ["--sparsity", repr(self.sparsity)]
        args += ["--batch-size", str(self.batch_size), "--seed", str(self.seed), "--split-seed", str(self.split_seed)]
        if self.augment:
            args += ["--augment", "--max-shift", str(self.max_shift)]
        if self.weight_decay:
            args += ["--weight-decay", repr(self.weight_decay)]
        if self.margin:
            args += ["--margin", repr(self.margin)]
        args += ["--construction", self.construction]
        for name in _constructions.get(self.construction).parameters:
            args += [f"--{name}", repr(getattr(self, name))]
        args += ["--threads", str(self.threads)]
        return shlex.join(args)


def parse_hidden(text: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """'32' or '512,512' → (32,) / (512, 512); '' or None → None (the data set's default)."""
    if text is None:
        return None
    if not isinstance(text, str):
        return tuple(int(h) for h in text)
    if not text.strip():
        return None
    try:
        widths = tuple(int(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise InputError(f"bad --hidden {text!r}: give comma-separated layer widths, e.g. 32 or 512,512") from None
    if any(w < 1 for w in widths):
        raise InputError(f"bad --hidden {text!r}: layer widths must be >= 1")
    return widths
