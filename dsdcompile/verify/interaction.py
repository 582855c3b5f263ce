"""Module interaction: whether complexes reachable in one module react with those reachable in another.

Why modular verification needs it. Each module (one split reaction) is enumerated on its own,
from its fuels and one canonical signal strand of each of its species, and verified by
modular CRN bisimulation. Johnson, Dong & Winfree (2019, Thm. 4.2) compose such verdicts
into one for the whole system only if the whole system's implementation CRN is the union of
the modules' CRNs, the modules sharing nothing but signal species. Enumerating modules
separately assumes exactly that; this module checks it.

The check. Two modules can meet only if they share a domain or its complement: private
domains (``m{i}-p{k}``) belong to one module, signal domains (``X-a`` ...) to one formal
species, so two modules can meet only if they share a formal species, or, under a scheme whose
signals share one domain between every species (``global-t``, a global toehold), always: then
every pair of modules is checked (:func:`dsdcompile.verify.pairs.pair_classes`). For every such pair
(i, j) the fuels of both and the canonical signals of all their species are enumerated
together by peppercorn, and the result is compared with the two separate enumerations. A
signal strand's history domain is a wildcard (a gate releases signals with its own history,
which no other module's domain complements), so complexes are compared after replacing the
history of every signal strand whose history is unpaired by the canonical one. The pair
*interacts* if the joint enumeration has a complex or a reaction that neither module has
alone, or if the two modules share a non-signal complex that some reaction consumes (other
than a fuel both supply).

Why pairs suffice. Peppercorn's reactions are unimolecular, which depend on one complex
only, or bimolecular between two resting complexes. Suppose no pair interacts and let a
complex of the whole system be reachable; by induction on the reaction that made it, it is
(up to history domains) a complex reachable in some module: a unimolecular reaction of a
complex of module k is module k's reaction; a bimolecular reaction between complexes of
modules k and l is, when they share no species and no domain is system-wide, impossible (no
complementary domains), and otherwise a reaction of the joint enumeration of (k, l), which
by assumption is a reaction of k or of l alone. A complex carrying another module's history domain h behaves like its
canonical form except towards complexes with h* unpaired, which belong to h's module, whose
pair with it was enumerated jointly. So the whole system's complexes and reactions are the
union of the modules', no larger group can create a cross reaction that no pair creates,
and the modular verdict stands.

Scale. The joint behaviour of (i, j) is determined, up to renaming domains, by the two
module templates and by which local species positions of i and j hold the same formal
species; pairs are grouped by that key (:mod:`dsdcompile.verify.pairs`) and one
representative per class is checked. The check itself is staged so that joint enumerations
are rare: a cross reaction starts with two resting complexes, one of each module (history
variants included), binding through an unpaired domain of one and its unpaired complement on
the other, the only bimolecular reaction peppercorn has. Complex pairs with no such domains
cannot react; each remaining pair is enumerated on its own (two complexes, milliseconds,
cached across classes by its shape), and only a class where one of them reacts, or that shares
a consumed intermediate, is enumerated jointly in full.

Interacting pairs are enumerated jointly (done already) and verified: a refutation against
the whole formal CRN (a reachable state whose signals exceed what the formal CRN can reach:
a proof of not-equivalent, see :mod:`dsdcompile.verify.refute`), then modular bisimulation
of the pair against its two formal reactions. An interacting pair that implements its two
reactions leaves the verdict inconclusive: its composition with the other modules is not
established (the whole-system check can settle small systems).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from dsdcompile.config import EnumerationConfig
from dsdcompile.dsd.notation import complement
from dsdcompile.dsd.system import Complex, ComplexRole, DSDSystem, EnumeratedTemplate
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.joint import JointTask, check_joint, enumerate_pair
from dsdcompile.verify.pairs import PairClass, PairTask, Signals, module_keys, pair_classes, pair_task
from dsdcompile.verify.result import Verdict
from dsdcompile.verify.system import expand


def _unpaired(c: Complex) -> set[str]:
    """The domains of ``c`` that are not paired in its structure."""
    return {d for d, ch in zip(c.domains, c.structure.replace("+", "")) if ch == "."}


def _variants(c: Complex, signals: Signals, histories: Mapping[str, set[str]]) -> list[Complex]:
    """``c`` with each unpaired signal history set to every history its species has in the pair."""
    open_ = signals.open_histories(c)
    if not open_:
        return [c]
    options = [sorted(histories.get(x, set())) or [f"{x}-{signals.history}"] for _, x in open_]
    return [signals.with_histories(c, {k: h for (k, _), h in zip(open_, combo)})
            for combo in itertools.product(*options)]


@dataclass(frozen=True)
class Candidate:
    """Two resting complexes, one of each module, that could bind: to be enumerated on their own."""

    key: tuple[str, str]  # both kernels under the class-invariant domain names (the cache key)
    first: Complex
    second: Complex


def candidates(task: PairTask) -> tuple[list[Candidate], list[str]]:
    """Complex pairs that could start a cross reaction, and what needs no enumeration to be found."""
    vi, vj = task.views
    norm = task.signals.normal_form
    (ki, _, ci, fi), (kj, _, cj, fj) = module_keys(vi, norm), module_keys(vj, norm)
    signal_keys = {norm(c) for v in task.views for _, c in v.complexes if task.signals.species(c.strands[0])
                   and len(c.strands) == 1 and set(c.structure) == {"."}}
    findings = []
    for k in sorted((set(ki.values()) & set(kj.values())) - signal_keys):
        if (k in ci or k in cj) and not (k in fi and k in fj):
            findings.append(f"both modules have the complex {k}, and a reaction consumes it")
    histories: dict[str, set[str]] = {}
    for v in task.views:
        for _, c in v.complexes:
            for k, x in task.signals.open_histories(c):
                histories.setdefault(x, set()).add(c.strands[k][0])
            for s in c.strands:
                x = task.signals.species(s)
                if x is not None and task.signals.history is not None:
                    histories.setdefault(x, set()).add(s[0])
    labels = tuple(dict(x) for x in task.labels)
    private = vi.private | vj.private
    out: dict[tuple[str, str], Candidate] = {}
    set_i, set_j = set(ki.values()), set(kj.values())
    # per complex of j: the complements of its unpaired domains, so that a bind needs one set intersection
    side_j = [(c2, {complement(d) for d in _unpaired(c2)}) for _, c in vj.complexes
              for c2 in _variants(c, task.signals, histories)]
    norms: dict[int, str] = {}
    for _, c in vi.complexes:
        for c1 in _variants(c, task.signals, histories):
            open1 = _unpaired(c1)
            n1 = None
            for k, (c2, comp2) in enumerate(side_j):
                binding = open1 & comp2
                if not binding:
                    continue
                n1 = n1 or norm(c1)
                n2 = norms.get(k) or norms.setdefault(k, norm(c2))
                on_private = any(d.rstrip("*") in private for d in binding)
                if not on_private and ((n1 in set_i and n2 in set_i) or (n1 in set_j and n2 in set_j)):
                    continue  # a reaction of one module alone, enumerated already (up to history domains)
                key = _shape_key(c1, c2, labels)
                out.setdefault(key, Candidate(key, c1, c2))
    return list(out.values()), findings


def _shape_key(c1: Complex, c2: Complex, labels: tuple[dict[str, str], dict[str, str]]) -> tuple[str, str]:
    """Both complexes under names that depend only on their templates and on which domains they share.

    A domain is named by its module's local name (``i:S1-a/5``, ``j:p3/15``); a signal domain of
    a species both modules hold takes both local names when both complexes contain it, since
    whether they may pair through it is what the enumeration decides.
    """
    li, lj = labels
    d1 = {d.rstrip("*") for d in c1.domains}
    d2 = {d.rstrip("*") for d in c2.domains}

    def name(d: str, own: dict[str, str]) -> str:
        if d in li and d in lj:
            return f"{li[d]}={lj[d]}" if d in d1 and d in d2 else own[d]
        return li[d] if d in li else lj[d]

    def relabel(c: Complex, own: dict[str, str]) -> str:
        strands = tuple(tuple(name(d.rstrip("*"), own) + ("*" if d.endswith("*") else "") for d in s)
                        for s in c.strands)
        return Complex("", strands, c.structure, ComplexRole.UNSPECIFIED).canonical().kernel()

    a, b = relabel(c1, li), relabel(c2, lj)
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class BindTask:
    """Enumerate two complexes on their own: do they react with each other?"""

    first: Complex
    second: Complex
    lengths: tuple[tuple[str, int], ...]
    config: EnumerationConfig


def bind_reacts(task: BindTask) -> str | None:
    """Worker entry point: the first reaction of the two complexes with each other (as text), or None."""
    from dsdcompile.dsd import peppercorn_adapter as adapter

    a = Complex("first", task.first.strands, task.first.structure, ComplexRole.UNSPECIFIED)
    b = Complex("second", task.second.strands, task.second.structure, ComplexRole.UNSPECIFIED)
    needed = {d.rstrip("*") for c in (a, b) for d in c.domains}
    lengths = {d: n for d, n in task.lengths if d in needed}
    if a.canonical().kernel() == b.canonical().kernel():
        return None  # one complex: its reactions with itself are its module's
    try:
        res = adapter.enumerate_complexes([a, b], lengths, task.config, label="complex pair")
    except EnumerationLimit as e:
        return f"enumeration limit: {e}"
    kernels = {c.name: c.kernel() for c in res.complexes}
    for r, p, _ in res.reactions:
        if sorted(r) == ["first", "second"] and sorted(p) != sorted(r):
            return f"{task.first.kernel()} + {task.second.kernel()} -> " + " + ".join(kernels.get(x, x) for x in p)
    return None


# ---------------------------------------------------------------- the check, staged
def screen(tasks: Sequence[PairTask]) -> list[tuple[list[Candidate], list[str]]]:
    """Worker entry point: the static screen of a batch of pair classes."""
    return [candidates(t) for t in tasks]


def bind_batch(tasks: Sequence[BindTask]) -> list[str | None]:
    """Worker entry point: a batch of two-complex enumerations."""
    return [bind_reacts(t) for t in tasks]


@dataclass(frozen=True)
class InteractionResult:
    """The module-interaction check: classes and pairs checked, the interacting ones and their joint verdicts."""

    verdict: Verdict
    classes: int
    pairs: int  # module pairs that share a formal species, or every pair under a system-wide domain (instances)
    candidates: int  # distinct complex pairs enumerated on their own
    interacting: tuple[dict, ...] = ()
    seconds: float = 0.0
    detail: str = ""

    @property
    def interacting_pairs(self) -> int:
        return sum(int(x["instances"]) for x in self.interacting)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "classes": self.classes, "pairs": self.pairs,
                "complex_pairs_enumerated": self.candidates, "interacting_classes": len(self.interacting),
                "interacting_pairs": self.interacting_pairs, "seconds": round(self.seconds, 6),
                "detail": self.detail, "interacting": list(self.interacting)}


def _batches(items: list, n: int) -> list[list]:
    size = max(1, -(-len(items) // n)) if items else 1
    return [items[k:k + size] for k in range(0, len(items), size)]


Screened = tuple[list[Candidate], list[str]]
"""One pair class's screen: the complex pairs to enumerate on their own, and what was found without enumerating."""


def _screen_all(tasks: list[PairTask], run, workers: int, progress: Callable[[int], None] | None
                ) -> list[Screened] | str:
    """Stage 1, the static screen of every class (in batches); a failed batch comes back as its error (a str)."""
    screened: list[Screened] = []
    for batch, outcome in zip(_batches(tasks, workers), run.map(screen, _batches(tasks, workers))):
        if not outcome.ok:
            return (outcome.error or "timed out").strip().splitlines()[-1]
        screened += outcome.value
        if progress is not None:
            progress(len(batch))
    return screened


def _bind_all(tasks: list[PairTask], screened: list[Screened], config: EnumerationConfig, run, workers: int
              ) -> dict[tuple[str, str], str | None]:
    """Stage 2, every distinct candidate complex pair enumerated on its own: its cross reaction (text), or None."""
    unique: dict[tuple[str, str], BindTask] = {}
    for task, (cands, _) in zip(tasks, screened):
        for c in cands:
            unique.setdefault(c.key, BindTask(c.first, c.second, task.lengths, config))
    keys = list(unique)
    reacts: dict[tuple[str, str], str | None] = {}
    for batch, outcome in zip(_batches(keys, workers), run.map(bind_batch, [[unique[k] for k in b] for b in
                                                                           _batches(keys, workers)])):
        values = outcome.value if outcome.ok else [f"the enumeration failed: {outcome.error}"] * len(batch)
        reacts.update(zip(batch, values))
    return reacts


def _failure(outcome) -> str:
    return "timed out" if outcome.timed_out else (outcome.error or "").strip()[-300:]


def _joint_rows(system: DSDSystem, flagged: list[tuple[PairClass, PairTask, list[str]]], run,
                timeout: float | None, permissive: str, max_states: int) -> list[dict]:
    """Stage 3, every flagged class enumerated jointly and verified: one report row per class."""
    joint = run.map(enumerate_pair, [t for _, t, _ in flagged], timeout=timeout)
    whole = tuple((expand(r.reactants), expand(r.products)) for r in system.split_crn.reactions)
    verify_tasks, rows = [], []
    for (cls, task, found), outcome in zip(flagged, joint):
        i, j = cls.representative
        row = {"modules": [i, j], "reactions": [str(system.reaction(i)), str(system.reaction(j))],
               "formal_indices": [_origin(system, i), _origin(system, j)], "shared": list(cls.shared),
               "instances": cls.instances, "findings": found[:20], "verdict": Verdict.INCONCLUSIVE, "detail": None}
        rows.append(row)
        if not outcome.ok or isinstance(outcome.value, str):
            row["detail"] = "joint enumeration: " + (outcome.value if outcome.ok else _failure(outcome))
            continue
        row["findings"] = (found + list(outcome.value.findings))[:20]
        pair = tuple((expand(system.reaction(m).reactants), expand(system.reaction(m).products)) for m in (i, j))
        verify_tasks.append((row, JointTask(task.label, outcome.value, pair, whole, system.n_modules == 2,
                                            permissive, max_states)))
    for (row, _), outcome in zip(verify_tasks, run.map(check_joint, [t for _, t in verify_tasks], timeout=timeout)):
        if outcome.ok:
            row["verdict"], row["detail"] = outcome.value["verdict"], outcome.value["detail"]
        else:
            row["detail"] = "joint verification: " + _failure(outcome)
    return rows


def _interacting_verdict(rows: list[dict], n_modules: int, incomplete: bool) -> tuple[Verdict, str]:
    """The check's verdict when some classes interact (``incomplete``: some classes were not screened).

    Only a jointly enumerated pair that is proven wrong proves the design wrong; an interacting
    pair that implements its two reactions leaves the composition open, unless the pair is the
    whole system.
    """
    verdicts = [r["verdict"] for r in rows]
    if Verdict.NOT_EQUIVALENT in verdicts:
        return (Verdict.NOT_EQUIVALENT,
                "modules interact and a jointly enumerated pair does not implement its two reactions")
    if incomplete:
        return Verdict.INCONCLUSIVE, "modules interact; the check is incomplete"
    if all(v == Verdict.EQUIVALENT for v in verdicts):
        if n_modules == 2:
            return Verdict.EQUIVALENT, "the two modules interact, and enumerated together they implement the formal CRN"
        return Verdict.INCONCLUSIVE, ("modules interact; each interacting pair implements its two reactions, but its "
                                      "composition with the other modules is not established")
    return (Verdict.INCONCLUSIVE,
            "modules interact, and not every interacting pair could be enumerated and verified jointly")


def check_interactions(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate], config: EnumerationConfig,
                       *, permissive: str = "default", max_states: int = 20_000, timeout: float | None = None,
                       executor=None, progress: Callable[[int], None] | None = None,
                       refuted: Collection[int] = ()) -> InteractionResult:
    """Check every class of module pairs for cross reactions; verify the interacting ones jointly.

    ``progress(1)`` per pair class screened; ``timeout`` bounds each joint enumeration and
    each joint verification (an unfinished one makes the verdict inconclusive). Classes with a
    module in ``refuted`` (proven not equivalent on its own) are counted but not screened: the
    design is wrong whatever such a pair does, and theirs are the screens and joint enumerations
    that grow without bound (seven minutes on anderson2021's ``2 Y -> Y`` under soloveichik2010).
    The verdict is then at best inconclusive, never equivalent.
    """
    from dsdcompile.runtime.executors import SerialExecutor

    start = time.perf_counter()
    run = executor or SerialExecutor()
    every = pair_classes(system)
    n_pairs = sum(c.instances for c in every)
    refuted = set(refuted)
    classes = [c for c in every if not refuted.intersection(c.representative)]
    unscreened = n_pairs - sum(c.instances for c in classes)
    not_screened = (f"; {len(every) - len(classes)} pair classes ({unscreened} module pairs) holding a module "
                    "already proven not equivalent were not screened" if unscreened else "")
    tasks = [pair_task(system, c, enumerated, config) for c in classes]
    workers = max(1, getattr(run, "workers", 1)) * 4
    screened = _screen_all(tasks, run, workers, progress)
    if isinstance(screened, str):
        return InteractionResult(Verdict.INCONCLUSIVE, len(every), n_pairs, 0, (), time.perf_counter() - start,
                                 f"the interaction screen failed: {screened}")
    reacts = _bind_all(tasks, screened, config, run, workers)
    flagged = []
    for cls, task, (cands, findings) in zip(classes, tasks, screened):
        found = list(findings) + [f"cross reaction {reacts[c.key]}" for c in cands if reacts.get(c.key)]
        if found:
            flagged.append((cls, task, found))
    if not flagged:
        return InteractionResult(Verdict.INCONCLUSIVE if unscreened else Verdict.EQUIVALENT, len(every), n_pairs,
                                 len(reacts), (), time.perf_counter() - start,
                                 f"no complex reachable in one module reacts with a complex reachable in another "
                                 f"({len(classes)} pair classes screened, {n_pairs - unscreened} module pairs "
                                 f"{_paired_on(system)}){not_screened}")
    rows = _joint_rows(system, flagged, run, timeout, permissive, max_states)
    verdict, detail = _interacting_verdict(rows, system.n_modules, bool(unscreened))
    return InteractionResult(verdict, len(every), n_pairs, len(reacts), tuple(rows), time.perf_counter() - start,
                             detail + not_screened)


def _paired_on(system: DSDSystem) -> str:
    if system.shared:
        return f"= every pair, as all species share {', '.join(system.shared_domains)}"
    return "sharing a species"


def _origin(system: DSDSystem, i: int) -> int:
    return int(system.origin[i]) if system.origin is not None else i
