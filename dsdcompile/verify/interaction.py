"""Module interaction: whether complexes reachable in one module react with those reachable in another.

Why modular verification needs it. Each module (one split reaction) is enumerated on its own,
from its fuels and one canonical signal strand of each of its species, and verified by
modular CRN bisimulation. Johnson, Dong & Winfree (2019, Thm. 4.2) compose such verdicts
into one for the whole system only if the whole system's implementation CRN is the union of
the modules' CRNs, the modules sharing nothing but signal species. Enumerating modules
separately assumes exactly that; this module checks it.

The check. Two modules can meet only if they share a domain or its complement: private
domains (``m{i}-p{k}``) belong to one module, signal domains (``X-a`` ...) to one formal
species, so two modules can meet only if they share a formal species. For every such pair
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
modules k and l is, when they share no species, impossible (no complementary domains), and
otherwise a reaction of the joint enumeration of (k, l), which by assumption is a reaction of
k or of l alone. A complex carrying another module's history domain h behaves like its
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
from dsdcompile.dsd.system import Complex, DSDSystem, EnumeratedTemplate
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.pairs import PairClass

ImplRxn = tuple[tuple[str, ...], tuple[str, ...], float]


def _paired(c: Complex) -> list[bool]:
    return [ch != "." for ch in c.structure.replace("+", "")]


def _unpaired(c: Complex) -> set[str]:
    return {d for d, p in zip(c.domains, _paired(c)) if not p}


def _comp(d: str) -> str:
    return d[:-1] if d.endswith("*") else d + "*"


@dataclass(frozen=True)
class Signals:
    """How to recognise signal strands: the domains after the history domain (or all, without one) → species."""

    rests: tuple[tuple[tuple[str, ...], str], ...]
    history: str | None  # the layout's history suffix

    def species(self, strand: Sequence[str]) -> str | None:
        return dict(self.rests).get(tuple(strand[1:]) if self.history else tuple(strand))

    def normal_form(self, c: Complex) -> str:
        """The canonical kernel of ``c`` with every unpaired history of a signal strand made canonical."""
        if self.history is None:
            return c.canonical().kernel()
        return self.with_histories(c, {}).canonical().kernel()

    def with_histories(self, c: Complex, choice: Mapping[int, str]) -> Complex:
        """``c`` with the unpaired history domain of its k-th strand set to choice[k] (canonical if absent)."""
        rests = dict(self.rests)
        paired = _paired(c)
        strands, pos = [], 0
        for k, s in enumerate(c.strands):
            x = rests.get(tuple(s[1:]))
            if x is not None and not paired[pos]:
                s = (choice.get(k, f"{x}-{self.history}"),) + tuple(s[1:])
            strands.append(tuple(s))
            pos += len(s)
        return Complex(c.name, tuple(strands), c.structure, c.role, c.concentration, c.part)

    def open_histories(self, c: Complex) -> list[tuple[int, str]]:
        """(strand index, species) of the signal strands of ``c`` whose history domain is unpaired."""
        if self.history is None:
            return []
        rests = dict(self.rests)
        paired = _paired(c)
        out, pos = [], 0
        for k, s in enumerate(c.strands):
            x = rests.get(tuple(s[1:]))
            if x is not None and not paired[pos]:
                out.append((k, x))
            pos += len(s)
        return out


@dataclass(frozen=True)
class ModuleView:
    """One module's enumeration with concrete domains: complexes by local name, reactions, inputs and fuels."""

    index: int
    complexes: tuple[tuple[str, Complex], ...]
    reactions: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    inputs: tuple[str, ...]
    fuels: tuple[str, ...]
    private: frozenset[str]


def module_view(system: DSDSystem, i: int, enumerated: EnumeratedTemplate) -> ModuleView:
    tpl = system.template(i)
    rename = tpl.rename_map(system.species_of(i), i)
    local = list(tpl.inputs) + list(tpl.fuels) + list(enumerated.complexes)
    complexes = tuple((c.name, c.renamed(c.name, rename)) for c in local)
    return ModuleView(i, complexes, tuple((r, p) for r, p, _ in enumerated.reactions),
                      tuple(c.name for c in tpl.inputs), tuple(f.name for f in tpl.fuels),
                      frozenset(rename[d] for d in tpl.private))


@dataclass(frozen=True)
class PairTask:
    """One pair class's representative: both modules' enumerations and what is needed to compare them."""

    label: str
    views: tuple[ModuleView, ModuleView]
    lengths: tuple[tuple[str, int], ...]
    signals: Signals
    labels: tuple[tuple[tuple[str, str], ...], ...]  # per module: concrete domain → template-local name
    config: EnumerationConfig


_KEYS: dict[tuple, tuple] = {}  # per process: a module appears in many pair classes


def module_keys(view: ModuleView, norm: Callable[[Complex], str]) -> tuple[dict[str, str], set, set, set]:
    """Normal forms of a module's complexes, its reactions, consumed complexes and fuels over them.

    A module's complexes hold only its own species, so their normal forms do not depend on the
    pair; they are cached per module view.
    """
    cache_key = (view.index, view.complexes)
    if cache_key in _KEYS:
        return _KEYS[cache_key]
    if len(_KEYS) > 4096:
        _KEYS.clear()
    keys = {name: norm(c) for name, c in view.complexes}
    reactions = {(tuple(sorted(keys[x] for x in r)), tuple(sorted(keys[x] for x in p))) for r, p in view.reactions}
    consumed = {keys[x] for r, _ in view.reactions for x in r}
    fuels = {keys[f] for f in view.fuels}
    _KEYS[cache_key] = (keys, reactions, consumed, fuels)
    return keys, reactions, consumed, fuels


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
    side_j = [(c2, {_comp(d) for d in _unpaired(c2)}) for _, c in vj.complexes
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
        return Complex("", strands, c.structure, "").canonical().kernel()

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

    a = Complex("first", task.first.strands, task.first.structure, "given")
    b = Complex("second", task.second.strands, task.second.structure, "given")
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


def pair_task(system: DSDSystem, cls: PairClass, enumerated: Mapping[int, EnumeratedTemplate],
              config: EnumerationConfig) -> PairTask:
    """The representative pair of ``cls`` as a task (complexes with concrete domains, lengths, class labels)."""
    i, j = cls.representative
    views = (module_view(system, i, enumerated[int(system.module_template[i])]),
             module_view(system, j, enumerated[int(system.module_template[j])]))
    species_i, species_j = system.species_of(i), system.species_of(j)
    lengths: dict[str, int] = {}
    labels: tuple[dict[str, str], dict[str, str]] = ({}, {})
    for m, tag, species, own in ((i, "i", species_i, labels[0]), (j, "j", species_j, labels[1])):
        tpl = system.template(m)
        rename = tpl.rename_map(species, m)
        for d in tpl.domains:
            lengths[rename[d.name]] = d.length
            own[rename[d.name]] = f"{tag}:{d.name}/{d.length}"
    history = system.layout[0][0] if system.history else None
    rests = tuple((system.signal_domains(x)[1:] if history else system.signal_domains(x), x)
                  for x in sorted(set(species_i) | set(species_j)))
    label = f"modules {i} ({system.reaction(i)}) and {j} ({system.reaction(j)}), sharing {', '.join(cls.shared)}"
    return PairTask(label, views, tuple(sorted(lengths.items())), Signals(rests, history),
                    tuple(tuple(sorted(x.items())) for x in labels), config)


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

    verdict: str
    classes: int
    pairs: int  # module pairs that share a formal species (every class's instances)
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
    from dsdcompile.verify.pairs import pair_classes
    from dsdcompile.verify.result import EQUIVALENT, INCONCLUSIVE, NOT_EQUIVALENT
    from dsdcompile.verify.system import expand

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
    screened: list[tuple[list[Candidate], list[str]]] = []
    for batch, outcome in zip(_batches(tasks, workers), run.map(screen, _batches(tasks, workers))):
        if not outcome.ok:
            raise_from = outcome.error or "timed out"
            return InteractionResult(INCONCLUSIVE, len(every), n_pairs, 0, (), time.perf_counter() - start,
                                     f"the interaction screen failed: {raise_from.strip().splitlines()[-1]}")
        screened += outcome.value
        if progress is not None:
            progress(len(batch))
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
    flagged = []
    for cls, task, (cands, findings) in zip(classes, tasks, screened):
        found = list(findings) + [f"cross reaction {reacts[c.key]}" for c in cands if reacts.get(c.key)]
        if found:
            flagged.append((cls, task, found))
    if not flagged:
        return InteractionResult(INCONCLUSIVE if unscreened else EQUIVALENT, len(every), n_pairs, len(keys), (),
                                 time.perf_counter() - start,
                                 f"no complex reachable in one module reacts with a complex reachable in another "
                                 f"({len(classes)} pair classes screened, {n_pairs - unscreened} module pairs "
                                 f"sharing a species){not_screened}")
    from dsdcompile.verify.joint import JointTask, check_joint, enumerate_pair

    joint = run.map(enumerate_pair, [t for _, t, _ in flagged], timeout=timeout)
    whole = tuple((expand(r.reactants), expand(r.products)) for r in system.split_crn.reactions)
    verify_tasks, rows = [], []
    for (cls, task, found), outcome in zip(flagged, joint):
        i, j = cls.representative
        row = {"modules": [i, j], "reactions": [str(system.reaction(i)), str(system.reaction(j))],
               "formal_indices": [_origin(system, i), _origin(system, j)], "shared": list(cls.shared),
               "instances": cls.instances, "findings": found[:20], "verdict": INCONCLUSIVE, "detail": None}
        rows.append(row)
        if not outcome.ok or isinstance(outcome.value, str):
            row["detail"] = ("joint enumeration: " + (outcome.value if outcome.ok else
                             ("timed out" if outcome.timed_out else (outcome.error or "").strip()[-300:])))
            continue
        row["findings"] = (found + list(outcome.value.findings))[:20]
        pair = tuple((expand(system.reaction(m).reactants), expand(system.reaction(m).products)) for m in (i, j))
        verify_tasks.append((row, JointTask(task.label, outcome.value, pair, whole, system.n_modules == 2,
                                            permissive, max_states)))
    for (row, _), outcome in zip(verify_tasks, run.map(check_joint, [t for _, t in verify_tasks], timeout=timeout)):
        if outcome.ok:
            row["verdict"], row["detail"] = outcome.value["verdict"], outcome.value["detail"]
        else:
            row["detail"] = "joint verification: " + ("timed out" if outcome.timed_out else
                                                      (outcome.error or "").strip()[-300:])
    verdicts = [r["verdict"] for r in rows]
    whole_pair = system.n_modules == 2 and all(v == EQUIVALENT for v in verdicts)
    if NOT_EQUIVALENT in verdicts:
        verdict = NOT_EQUIVALENT
        detail = "modules interact and a jointly enumerated pair does not implement its two reactions"
    elif unscreened:
        verdict = INCONCLUSIVE
        detail = "modules interact; the check is incomplete"
    elif whole_pair:
        verdict = EQUIVALENT
        detail = "the two modules interact, and enumerated together they implement the formal CRN"
    elif all(v == EQUIVALENT for v in verdicts):
        verdict = INCONCLUSIVE
        detail = ("modules interact; each interacting pair implements its two reactions, but its composition "
                  "with the other modules is not established")
    else:
        verdict = INCONCLUSIVE
        detail = "modules interact, and not every interacting pair could be enumerated and verified jointly"
    return InteractionResult(verdict, len(every), n_pairs, len(keys), tuple(rows), time.perf_counter() - start,
                             detail + not_screened)


def _origin(system: DSDSystem, i: int) -> int:
    return int(system.origin[i]) if system.origin is not None else i
