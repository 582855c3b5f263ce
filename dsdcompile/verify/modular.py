"""Verify modules one representative per shape, and whole systems, each check under a time limit."""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

from dsdcompile.config import ExecutionConfig, VerificationConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import InternalError
from dsdcompile.ir import CRN
from dsdcompile.runtime.executors import Executor, SerialExecutor, TaskOutcome, call_with_timeout
from dsdcompile.verify.bisimulation import check_module, check_whole
from dsdcompile.verify.pathway import check_module_pathway, check_pathway
from dsdcompile.verify.result import (
    BISIMULATION,
    MODULAR_BISIMULATION,
    PATHWAY_DECOMPOSITION,
    Check,
    ModuleVerdict,
    Verdict,
    VerificationResult,
    combine,
    conclude,
)
from dsdcompile.verify.system import (
    PreparedModule,
    condense,
    fmt_rxn,
    formal_rxns,
    interpretation_strings,
    prepare,
    shape_signature,
)


def tool_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("dsdcompile", "crnverifier", "peppercornenumerator", "dsdobjects"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


@dataclass(frozen=True)
class ShapeTask:
    """Everything one worker needs to check one representative module (picklable)."""

    module: PreparedModule
    methods: tuple[str, ...]
    timeout: float | None
    permissive: str
    max_states: int


def _run_method(args: tuple[str, PreparedModule, str, int]) -> dict:
    method, module, permissive, max_states = args
    if method == MODULAR_BISIMULATION:
        return check_module(module, permissive, max_states)
    if method == PATHWAY_DECOMPOSITION:
        return check_module_pathway(module)
    raise InternalError(f"unknown module verification method {method!r}")


def _as_check(method: str, out: TaskOutcome, timeout: float | None) -> tuple[Check, dict]:
    if out.timed_out:
        return Check(method, Verdict.INCONCLUSIVE, out.seconds, f"no result within the {timeout:g} s time limit"), {}
    if out.error is not None:
        last = out.error.strip().splitlines()[-1] if out.error.strip() else "unknown error"
        return Check(method, Verdict.INCONCLUSIVE, out.seconds, f"the checker failed: {last}"), {}
    value = out.value
    return Check(method, value["verdict"], out.seconds, value.get("counterexample")), value


CROSS_CHECK_SECONDS = 5.0  # the other methods' limit once one has proven the module wrong


def check_shape(task: ShapeTask) -> list[tuple[Check, dict]]:
    """Run every method on the representative, each in its own time-limited child process.

    Once a method has proven the module wrong, the others run as a cross-check only, within
    ``CROSS_CHECK_SECONDS``: a module any method proves wrong is wrong (see :func:`verify_modules`), so
    they cannot change its verdict, and pathway decomposition of a join gate can take minutes
    (cardelli2011_FJ's ``A + B -> C`` module: over 120 s)."""
    results: list[tuple[Check, dict]] = []
    for method in task.methods:
        timeout = task.timeout
        if any(c.verdict == Verdict.NOT_EQUIVALENT for c, _ in results):
            timeout = min(timeout or CROSS_CHECK_SECONDS, CROSS_CHECK_SECONDS)
        out = call_with_timeout(_run_method, (method, task.module, task.permissive, task.max_states), timeout)
        check, value = _as_check(method, out, timeout)
        if out.timed_out and timeout != task.timeout:
            check = dataclasses.replace(check, detail=f"{check.detail} (a cross-check only: another method already "
                                                      "proved the module wrong)")
        results.append((check, value))
    return results


def _methods(config: VerificationConfig) -> tuple[str, ...]:
    second = config.second_method
    return (config.method,) if second in (None, config.method) else (config.method, second)


def _limit(seconds: float) -> float | None:
    return seconds if seconds and seconds > 0 else None


def _config_record(config: VerificationConfig, execution: ExecutionConfig) -> dict:
    """The settings a verdict depends on, as the reports record them."""
    return {**dataclasses.asdict(config), "module_timeout": execution.module_timeout,
            "whole_timeout": execution.whole_verification_timeout}


def verify_modules(modules: Sequence[ModuleImplementation], config: VerificationConfig | None = None, *,
                   execution: ExecutionConfig | None = None, executor: Executor | None = None,
                   progress: Callable[[int], None] | None = None) -> VerificationResult:
    """Verify every module by checking one representative per shape; ``progress(1)`` per shape checked.

    Modules are grouped by their shape key and, because a wrong key must not hide a wrong module,
    by a cheap structural signature (reaction count, arities with species classes); a shape
    whose modules disagree on the signature is split into variants that are checked separately.
    """
    start = time.perf_counter()
    config = config or VerificationConfig()
    execution = execution or ExecutionConfig()
    methods = _methods(config)
    groups: dict[tuple[str, tuple], list[int]] = {}
    for pos, m in enumerate(modules):
        groups.setdefault((m.shape, shape_signature(m)), []).append(pos)
    variants: dict[str, int] = {}
    labels: list[tuple[str, str | None]] = []
    for shape, _ in groups:
        variants[shape] = variants.get(shape, 0) + 1
        k = variants[shape]
        labels.append((shape, None) if k == 1 else
                      (f"{shape} [variant {k}]", "modules with this shape key differ in reaction structure "
                                                 "from the first variant, so they were verified separately"))

    timeout = _limit(execution.module_timeout)
    tasks = [ShapeTask(prepare(modules[g[0]]), methods, timeout, config.permissive, config.max_states)
             for g in groups.values()]
    outcomes = (executor or SerialExecutor()).map(check_shape, tasks, progress=progress)

    verdicts = []
    for (label, note), task, members, outcome in zip(labels, tasks, groups.values(), outcomes, strict=True):
        rep = task.module
        if outcome.ok:
            checks = outcome.value
        else:  # the worker itself failed: every method is inconclusive
            detail = "timed out" if outcome.timed_out else f"worker failed: {(outcome.error or '').strip()[-200:]}"
            checks = [(Check(m, Verdict.INCONCLUSIVE, outcome.seconds, detail), {}) for m in methods]
        primary, value = checks[0]
        interpretation = value.get("interpretation")
        if interpretation is None:  # e.g. pathway decomposition first: borrow the bisimulation's
            interpretation = next((v["interpretation"] for _, v in checks if v.get("interpretation")), None)
        if interpretation is None:
            interpretation = interpretation_strings({s: [f] for s, f in rep.signals})
        decisive = {c.method: c.verdict for c, _ in checks if c.verdict != Verdict.INCONCLUSIVE}
        if len(set(decisive.values())) > 1:  # e.g. correct under pathway decomposition but not bisimulation
            disagree = "methods disagree: " + ", ".join(f"{k} says {v}" for k, v in decisive.items())
            note = f"{note}; {disagree}" if note else disagree
        # One verdict per shape: any method that proves the module wrong decides it (exit 3); otherwise
        # the primary method's verdict stands.
        wrong = next((c for c, _ in checks if c.verdict == Verdict.NOT_EQUIVALENT), None)
        decided = wrong or primary
        verdicts.append(ModuleVerdict(
            shape=label, representative=rep.index, instances=len(members), verdict=decided.verdict,
            method=decided.method, interpretation=interpretation, counterexample=decided.detail
            if decided.verdict != Verdict.EQUIVALENT else None, seconds=round(sum(c.seconds for c, _ in checks), 6),
            formal=fmt_rxn(rep.formal), reactions=tuple(fmt_rxn(r) for r in rep.icrn), fuels=rep.fuels,
            members=tuple(modules[i].index for i in members), checks=tuple(c for c, _ in checks), note=note,
            formal_index=modules[members[0]].formal_index))

    return VerificationResult(
        method=config.method, verdict=combine(v.verdict for v in verdicts), seconds=time.perf_counter() - start,
        modules=tuple(verdicts), whole_system=None, tools=tool_versions(), config=_config_record(config, execution))


def _run_whole(args: tuple[str, list, tuple, dict, set, str]) -> dict:
    method, fcrn, icrn, signals, formals, permissive = args
    if method == BISIMULATION:
        return check_whole(fcrn, icrn, signals, formals, permissive)
    return check_pathway(fcrn, icrn, signals, formals)


def verify_whole(formal: CRN, implementation_reactions: Iterable[Sequence], signals: Mapping[str, str] |
                 Iterable[tuple[str, str]], fuels: Iterable[str], config: VerificationConfig | None = None, *,
                 execution: ExecutionConfig | None = None) -> VerificationResult:
    """CRN bisimulation of the whole implementation (and the second method, if any) under the whole-system time limit.

    Implementations larger than ``whole_max_reactions`` condensed reactions (None: no cap) are
    not attempted (verdict inconclusive). Either method proving it wrong makes it not-equivalent.
    """
    start = time.perf_counter()
    config = config or VerificationConfig()
    execution = execution or ExecutionConfig()
    signals = dict(signals)
    icrn = condense(implementation_reactions, fuels)
    fcrn = formal_rxns(formal.reactions)
    formals = {x for r, p in fcrn for x in r + p} | set(signals.values())
    methods = [BISIMULATION] + ([PATHWAY_DECOMPOSITION] if config.second_method == PATHWAY_DECOMPOSITION else [])
    timeout = _limit(execution.whole_verification_timeout)
    checks: list[tuple[Check, dict]] = []
    for method in methods:
        if config.whole_max_reactions is not None and len(icrn) > config.whole_max_reactions:
            checks.append((Check(method, Verdict.INCONCLUSIVE, 0.0, f"not attempted: {len(icrn)} condensed reactions "
                                 f"exceed whole_max_reactions={config.whole_max_reactions}"), {}))
            continue
        out = call_with_timeout(_run_whole, (method, fcrn, icrn, signals, formals, config.permissive), timeout)
        checks.append(_as_check(method, out, timeout))
    primary, value = checks[0]
    decided = next((c for c, _ in checks if c.verdict == Verdict.NOT_EQUIVALENT), primary)
    whole = {
        "method": decided.method, "verdict": decided.verdict, "seconds": round(sum(c.seconds for c, _ in checks), 6),
        "formal_reactions": len(fcrn), "implementation_reactions": len(icrn),
        "interpretation": value.get("interpretation") or interpretation_strings({s: [f] for s, f in signals.items()}),
        "counterexample": decided.detail if decided.verdict != Verdict.EQUIVALENT else None,
        "checks": [dataclasses.asdict(c) for c, _ in checks],
    }
    return VerificationResult(method=BISIMULATION, verdict=decided.verdict, seconds=time.perf_counter() - start,
                              modules=(), whole_system=whole, tools=tool_versions(),
                              config=_config_record(config, execution))


def attach_whole(result: VerificationResult, whole: VerificationResult) -> VerificationResult:
    """Add a whole-system check to a modular result: the verdict becomes the conjunction of both (see conclude)."""
    return conclude(result, fuels=result.fuels, interaction=result.interaction, whole=whole.whole_system,
                    seconds=whole.seconds)
