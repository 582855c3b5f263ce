"""The end-to-end run behind ``dsdcompile MODEL``: load → compile → reduce → check → write a design folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import RunConfig
from dsdcompile.convergence import Convergence, random_start_convergence
from dsdcompile.crn_io import read_crn, read_crn_json
from dsdcompile.errors import InputError, NotFeedForward
from dsdcompile.evaluate import ExactEvaluator
from dsdcompile.inputs import Examples, read_examples
from dsdcompile.ir import CRN, Network
from dsdcompile.model_io import load_network
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn
from dsdcompile.passes.anderson import DEFAULT_EPSILON, compile_anderson, smoothed_forward
from dsdcompile.progress import Progress

CRN_SUFFIXES = (".crn", ".json")


@dataclass(frozen=True, eq=False)
class Compiled:
    """The CRN stages of one model (``network`` is None when a CRN file was the input)."""

    network: Network | None
    formal: CRN
    reduced: CRN | None


def _crn_from_file(path: Path) -> CRN:
    return read_crn_json(path) if path.suffix == ".json" else read_crn(path)


def compile_model(source: str | Path, config: RunConfig = RunConfig(), progress: Progress | None = None) -> Compiled:
    """Load a model (or a ``.crn``/CRN ``.json`` file) and run the compile and reduce passes."""
    progress = progress or Progress(quiet=True)
    path = Path(source)
    if path.suffix in CRN_SUFFIXES:
        with progress.stage("load"):
            formal = _crn_from_file(path)
        network = None
    else:
        with progress.stage("load"):
            network = load_network(path, config.compile)
        if network.meta["construction"] == "anderson2021":
            with progress.stage("compile"):
                formal = compile_anderson(network, epsilon_of(network, config))
            progress.log(f"compiled (anderson2021, rate-dependent): {formal.n_reactions} reactions / "
                         f"{formal.n_species} species")
            return Compiled(network, formal, None)
        with progress.stage("compile"):
            formal = compile_network(network)
    with progress.stage("reduce"):
        try:
            reduced = reduce_crn(formal)
        except NotFeedForward as e:
            if network is not None:
                raise
            progress.log(f"reduce: skipped, the CRN is not feed-forward ({e})")
            reduced = None
    if config.compile.annihilation:
        formal = add_annihilation(formal)
        reduced = add_annihilation(reduced) if reduced is not None else None
    progress.log(f"compiled: {formal.n_reactions} formal reactions / {formal.n_species} species"
                 + (f", {reduced.n_reactions} reduced / {reduced.n_species} species" if reduced else ""))
    return Compiled(network, formal, reduced)


def epsilon_of(network: Network, config: RunConfig) -> float:
    """The anderson2021 smoothing parameter: the option, else the model's meta, else the default."""
    if config.compile.epsilon is not None:
        return config.compile.epsilon
    return float(network.meta.get("epsilon", DEFAULT_EPSILON))


def is_rate_dependent(compiled: Compiled) -> bool:
    return compiled.network is not None and compiled.network.meta.get("construction") == "anderson2021"


def network_outputs(compiled: Compiled, x: np.ndarray, config: RunConfig) -> np.ndarray | None:
    """What the CRN must compute: the forward pass (with σ_ε for anderson2021)."""
    if compiled.network is None:
        return None
    if is_rate_dependent(compiled):
        return smoothed_forward(compiled.network, x, epsilon_of(compiled.network, config))
    return compiled.network.forward(x)


@dataclass(frozen=True, eq=False)
class Agreement:
    """Per-example outputs of the network, the exact CRN limit and the ODE simulation."""

    class_names: tuple[str, ...]
    labels: np.ndarray | None
    nn: np.ndarray | None            # (n, outputs) network outputs
    exact: dict[str, np.ndarray]     # CRN name → (n, outputs) exact limit outputs
    ode_index: np.ndarray            # which examples were simulated
    ode: np.ndarray | None           # (m, outputs)
    ode_t: np.ndarray | None         # (m,) time to steady state
    ode_converged: np.ndarray | None
    trajectory: tuple[np.ndarray, np.ndarray] | None  # (times, outputs over time) for the plotted example
    summary: dict = field(default_factory=dict)
    convergence: Convergence | None = None  # rate-dependent CRNs: settle times from random initial states


def _scale(reference: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, np.abs(reference).max(axis=1, keepdims=True))


def check_agreement(compiled: Compiled, x: np.ndarray, labels: np.ndarray | None, config: RunConfig,
                    progress: Progress | None = None,
                    simulate_fn: Callable | None = None) -> Agreement:
    """Compare network, exact CRN limit and ODE simulation on examples ``x`` (network inputs)."""
    progress = progress or Progress(quiet=True)
    n = x.shape[0]
    nn = network_outputs(compiled, x, config)
    exact: dict[str, np.ndarray] = {}
    crns = {"formal": compiled.formal, **({"reduced": compiled.reduced} if compiled.reduced is not None else {})}
    # a rate-dependent CRN has no rate-independent limit: only the ODE fixed point is checked
    exact_crns = {} if is_rate_dependent(compiled) else crns
    with progress.stage("exact"):
        for name, crn in exact_crns.items():
            try:
                ev = ExactEvaluator(crn)
            except NotFeedForward as e:
                progress.log(f"exact evaluation of the {name} CRN skipped: {e}")
                continue
            with progress.bar(n, f"exact limit ({name})") as update:
                exact[name] = ev.outputs(x, progress=update)
    reference = nn if nn is not None else exact.get("formal")
    sim_config = config.simulation
    if is_rate_dependent(compiled):
        # the fixed point must match the smoothed forward pass to 1e-6; what decides that is how
        # close to steady state the run stops, not the step tolerance (measured: 6e-14 relative)
        sim_config = replace(sim_config, atol=min(sim_config.atol, 1e-12),
                             steady_rtol=min(sim_config.steady_rtol, 1e-12))

    cfg = config.agreement
    m = n if cfg.ode_examples < 0 else min(n, cfg.ode_examples)
    ode_index = np.arange(m)
    plot_i = min(max(config.plot_example, 0), n - 1) if n else 0
    ode = ode_t = ode_conv = trajectory = None
    ode_crn = crns.get(cfg.ode_crn, compiled.formal)
    if simulate_fn is None:
        from dsdcompile.simulate import simulate as simulate_fn
    with progress.stage("ode"):
        if n:
            record_in_batch = plot_i if plot_i < m else None
            index = ode_index if record_in_batch is not None else np.append(ode_index, plot_i)
            c0 = ode_crn.initial_state(x[index])
            with progress.bar(len(index), f"ODE ({cfg.ode_crn} CRN)") as update:
                result = simulate_fn(ode_crn, c0, sim_config,
                                     record=plot_i if record_in_batch is not None else len(index) - 1,
                                     progress=update)
            outs = ode_crn.output_values(result.final)
            ode, ode_t, ode_conv = outs[:m], result.t_final[:m], result.converged[:m]
            if result.trajectory is not None:
                trajectory = (result.times, ode_crn.output_values(result.trajectory))

    summary: dict = {"examples": int(n), "construction": "anderson2021" if is_rate_dependent(compiled) else
                     ("vasic2020" if compiled.network is not None else None)}
    if reference is not None and n:
        ref_cls = reference.argmax(axis=1)
        agree = [float((out.argmax(axis=1) == ref_cls).mean()) for out in exact.values()]
        errs = [float(np.abs(out - reference).max()) for out in exact.values()]
        rel = [float((np.abs(out - reference) / _scale(reference)).max()) for out in exact.values()]
        summary.update({
            "exact_label_agreement": min(agree) if agree else None,
            "max_abs_error": max(errs) if errs else None,
            "max_rel_error": max(rel) if rel else None,
            "exact_within_tolerance": bool(rel and max(rel) <= cfg.exact_rtol),
            "exact_rtol": cfg.exact_rtol,
        })
    summary["ode_examples"] = int(m)
    summary["ode_crn"] = cfg.ode_crn
    if ode is not None and reference is not None and m:
        ref = reference[:m]
        ode_rel = np.abs(ode - ref) / _scale(ref)
        ode_tol = cfg.fixed_point_rtol if is_rate_dependent(compiled) else cfg.ode_rtol
        summary.update({
            "ode_label_agreement": float((ode.argmax(axis=1) == ref.argmax(axis=1)).mean()),
            "ode_max_abs_error": float(np.abs(ode - ref).max()),
            "ode_max_rel_error": float(ode_rel.max()),
            "ode_within_tolerance": bool(ode_rel.max() <= ode_tol),
            "ode_rtol": ode_tol,
            "ode_converged": int(ode_conv.sum()),
            "ode_time_to_steady_state_median": float(np.median(ode_t)),
            "ode_time_to_steady_state_max": float(np.max(ode_t)),
        })
    convergence = None
    if is_rate_dependent(compiled) and n:
        with progress.stage("convergence"):
            convergence = random_start_convergence(compiled.formal, x[plot_i], sim_config)
        summary["fixed_point"] = convergence.summary()
    if labels is not None and n:
        if nn is not None:
            summary["nn_accuracy"] = float((nn.argmax(axis=1) == labels).mean())
        for name, out in exact.items():
            summary[f"{name}_crn_accuracy"] = float((out.argmax(axis=1) == labels).mean())
    return Agreement(compiled.network.class_names if compiled.network is not None
                     else tuple(s.name for s in compiled.formal.outputs),
                     labels, nn, exact, ode_index, ode, ode_t, ode_conv, trajectory, summary, convergence)


def load_examples(path: str | Path, compiled: Compiled) -> Examples:
    """Read an inputs CSV for a compiled model (raw features, preprocessing applied)."""
    if compiled.network is not None:
        return read_examples(path, compiled.network)
    # a CRN file: its inputs are the network inputs, no preprocessing
    crn = compiled.formal
    stub = Network((), tuple(s.name for s in crn.inputs), tuple(s.name for s in crn.outputs))
    return read_examples(path, stub, raw_names=[s.name for s in crn.inputs])


def require_inputs_match(examples: Examples, crn: CRN, path: str | Path) -> None:
    if examples.x.shape[1] != len(crn.inputs):
        raise InputError(f"examples have {examples.x.shape[1]} features after preprocessing but the CRN has "
                         f"{len(crn.inputs)} inputs", path=str(path))
