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

Scale. The joint enumeration of (i, j) is determined, up to renaming domains, by the two
module templates and by which local species positions of i and j hold the same formal
species; pairs are grouped by that key and one representative per class is enumerated. The
classes are found without listing every pair: pairs sharing two or more species are found
through shared species pairs (few), the rest per species from the (template, position)
types occurring on it.

Interacting pairs are enumerated jointly (done already) and verified: a refutation against
the whole formal CRN (a reachable state whose signals exceed what the formal CRN can reach:
a proof of not-equivalent, see :mod:`dsdcompile.verify.refute`), then modular bisimulation
of the pair against its two formal reactions. An interacting pair that implements its two
reactions leaves the verdict inconclusive: its composition with the other modules is not
established (the whole-system check can settle small systems).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from dsdcompile.config import EnumerationConfig
from dsdcompile.dsd.system import Complex, DSDSystem, EnumeratedTemplate
from dsdcompile.errors import EnumerationLimit

PairKey = tuple[int, int, tuple[tuple[int, int], ...]]
"""(template of the first module, template of the second, positions (p, q) holding the same species)."""


@dataclass(frozen=True)
class PairClass:
    """Module pairs whose joint enumerations are the same up to renaming: one representative is checked."""

    key: PairKey
    representative: tuple[int, int]
    instances: int
    shared: tuple[str, ...]  # the formal species the representative's modules share


def _canonical_key(ti: int, tj: int, pattern: Iterable[tuple[int, int]]) -> PairKey:
    a = (ti, tj, tuple(sorted(pattern)))
    b = (tj, ti, tuple(sorted((q, p) for p, q in pattern)))
    return min(a, b)


def pair_classes(system: DSDSystem) -> list[PairClass]:
    """Every class of module pairs that share a formal species, with a representative and its size."""
    n = system.n_modules
    if n < 2:
        return []
    offsets, flat, tmpl = system.module_offsets, system.module_species, system.module_template
    module_of = np.repeat(np.arange(n), np.diff(offsets))
    pos_of = np.arange(len(flat)) - np.repeat(offsets[:-1], np.diff(offsets))

    def species(i: int) -> np.ndarray:
        return flat[offsets[i]:offsets[i + 1]]

    def pattern(i: int, j: int) -> tuple[tuple[int, int], ...]:
        sj = {int(s): q for q, s in enumerate(species(j))}
        return tuple((p, sj[int(s)]) for p, s in enumerate(species(i)) if int(s) in sj)

    # Pairs sharing two or more species: they share a pair of species, and few modules hold both.
    holders: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in range(n):
        sp = sorted({int(s) for s in species(i)})
        for a in range(len(sp)):
            for b in range(a + 1, len(sp)):
                holders[(sp[a], sp[b])].append(i)
    multi: set[tuple[int, int]] = set()
    for mods in holders.values():
        for a in range(len(mods)):
            for b in range(a + 1, len(mods)):
                multi.add((mods[a], mods[b]))
    classes: dict[PairKey, list] = {}
    for i, j in sorted(multi):
        key = _canonical_key(int(tmpl[i]), int(tmpl[j]), pattern(i, j))
        entry = classes.setdefault(key, [(i, j), 0])
        entry[1] += 1

    # Pairs sharing exactly one species, per species and pair of (template, position) types.
    order = np.lexsort((pos_of, tmpl[module_of], flat))
    multi_of: dict[tuple[int, int], list[int]] = defaultdict(list)  # module -> modules it multi-shares with
    for i, j in multi:
        multi_of[(i, 0)].append(j)
        multi_of[(j, 0)].append(i)
    bounds = np.flatnonzero(np.diff(flat[order])) + 1
    for group in np.split(order, bounds):
        if len(group) < 2:
            continue
        types: dict[tuple[int, int], list[int]] = defaultdict(list)
        for k in group:
            i = int(module_of[k])
            types[(int(tmpl[i]), int(pos_of[k]))].append(i)
        kinds = sorted(types)
        for x in range(len(kinds)):
            for y in range(x, len(kinds)):
                a, b = types[kinds[x]], types[kinds[y]]
                rep, count = _single_pairs(a, b, x == y, multi_of)
                if rep is None:
                    continue
                key = _canonical_key(kinds[x][0], kinds[y][0], [(kinds[x][1], kinds[y][1])])
                entry = classes.setdefault(key, [rep, 0])
                entry[1] += count
    names = system.split_crn.species
    out = []
    for key, (rep, count) in sorted(classes.items()):
        i, j = rep
        shared = sorted({names[int(s)].name for s in species(i)} & {names[int(s)].name for s in species(j)})
        out.append(PairClass(key, (int(i), int(j)), int(count), tuple(shared)))
    return out


def _single_pairs(a: list[int], b: list[int], same: bool, multi_of) -> tuple[tuple[int, int] | None, int]:
    """A representative pair (one from a, one from b) sharing only this species, and how many there are."""
    total = len(a) * (len(a) - 1) // 2 if same else len(a) * len(b)
    bset = set(b)
    excluded = 0
    for i in a:
        excluded += sum(1 for j in multi_of.get((i, 0), ()) if j in bset and (not same or j > i))
    count = total - excluded
    if count <= 0:
        return None, 0
    for x, i in enumerate(a):
        others = set(multi_of.get((i, 0), ()))
        for j in (b[x + 1:] if same else b):
            if j != i and j not in others:
                return (min(i, j), max(i, j)), count
    return None, 0


# ---------------------------------------------------------------- comparing enumerations
def _paired(c: Complex) -> list[bool]:
    flat = c.structure.replace("+", "")
    return [ch != "." for ch in flat]


def normal_form(c: Complex, rests: Mapping[tuple[str, ...], str], history: str | None) -> str:
    """The canonical kernel of ``c`` with every unpaired history domain of a signal strand made canonical.

    ``rests`` maps the domains of a species' signal strand after its history domain to the
    species; ``history`` is the layout's history suffix (None: signals have no history).
    """
    if history is None:
        return c.canonical().kernel()
    paired = _paired(c)
    strands, pos = [], 0
    for s in c.strands:
        x = rests.get(tuple(s[1:]))
        if x is not None and not paired[pos]:
            s = (f"{x}-{history}",) + tuple(s[1:])
        strands.append(tuple(s))
        pos += len(s)
    return Complex("", tuple(strands), c.structure, "").canonical().kernel()


@dataclass(frozen=True)
class ModuleView:
    """One module's enumeration with concrete domains: complexes by local name, reactions, inputs and fuels."""

    complexes: tuple[tuple[str, Complex], ...]
    reactions: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    inputs: tuple[str, ...]
    fuels: tuple[str, ...]


def module_view(system: DSDSystem, i: int, enumerated: EnumeratedTemplate) -> ModuleView:
    tpl = system.template(i)
    rename = tpl.rename_map(system.species_of(i), i)
    local = list(tpl.inputs) + list(tpl.fuels) + list(enumerated.complexes)
    complexes = tuple((c.name, c.renamed(c.name, rename)) for c in local)
    return ModuleView(complexes, tuple((r, p) for r, p, _ in enumerated.reactions),
                      tuple(c.name for c in tpl.inputs), tuple(f.name for f in tpl.fuels))


@dataclass(frozen=True)
class PairTask:
    """What a worker needs to check one pair class (plain, picklable values)."""

    label: str
    views: tuple[ModuleView, ModuleView]
    lengths: tuple[tuple[str, int], ...]
    rests: tuple[tuple[tuple[str, ...], str], ...]
    history: str | None
    config: EnumerationConfig


@dataclass(frozen=True)
class PairOutcome:
    """The comparison of a pair's joint enumeration with its two modules' enumerations."""

    interacting: bool
    findings: tuple[str, ...]  # what the joint enumeration has that the modules have not
    reactions: tuple[tuple[tuple[str, ...], tuple[str, ...], float], ...]  # the joint condensed CRN
    signals: tuple[tuple[str, str], ...]  # joint complex → formal species
    fuels: tuple[str, ...]
    seconds: float = 0.0


def _view_keys(view: ModuleView, norm: Callable[[Complex], str]) -> tuple[dict[str, str], set, set, set]:
    keys = {name: norm(c) for name, c in view.complexes}
    reactions = {(tuple(sorted(keys[x] for x in r)), tuple(sorted(keys[x] for x in p))) for r, p in view.reactions}
    consumed = {keys[x] for r, _ in view.reactions for x in r}
    fuels = {keys[f] for f in view.fuels}
    return keys, reactions, consumed, fuels


def check_pair(task: PairTask) -> PairOutcome | str:
    """Worker entry point: enumerate the pair jointly and compare (a hit limit comes back as a str)."""
    from dsdcompile.dsd import peppercorn_adapter as adapter

    start = time.perf_counter()
    rests = dict(task.rests)

    def norm(c: Complex) -> str:
        return normal_form(c, rests, task.history)

    (ki, ri, ci, fi), (kj, rj, cj, fj) = (_view_keys(v, norm) for v in task.views)
    signal_keys = {norm(c) for v in task.views for _, c in v.complexes if c.role == "signal"}
    given: dict[str, Complex] = {}
    for v, tag in zip(task.views, "ij"):
        complexes = dict(v.complexes)
        for name in v.inputs:
            c = complexes[name]
            species = rests[tuple(c.strands[0][1:]) if task.history else tuple(c.strands[0])]
            given.setdefault(species, Complex(species, c.strands, c.structure, "signal"))
        for name in v.fuels:
            c = complexes[name]
            given[f"{tag}-{name}"] = Complex(f"{tag}-{name}", c.strands, c.structure, "fuel")
    initial = list(given.values())
    try:
        res = adapter.enumerate_complexes(initial, dict(task.lengths), task.config, label=task.label)
    except EnumerationLimit as e:
        return str(e)
    joint = {c.name: norm(c) for c in res.complexes}
    findings = []
    known = set(ki.values()) | set(kj.values())
    for c in res.complexes:
        if joint[c.name] not in known:
            findings.append(f"new complex {c.kernel()}")
    union = ri | rj
    seen = set()
    for r, p, _ in res.reactions:
        key = (tuple(sorted(joint[x] for x in r)), tuple(sorted(joint[x] for x in p)))
        seen.add(key)
        if key not in union:
            findings.append("new reaction " + " + ".join(r) + " -> " + (" + ".join(p) or "∅"))
    for k in sorted((set(ki.values()) & set(kj.values())) - signal_keys):
        if (k in ci or k in cj) and not (k in fi and k in fj):
            findings.append(f"shared complex {k} is consumed by a reaction")
    missing = union - seen
    if missing:
        findings.append(f"{len(missing)} reaction(s) of the modules alone are missing from the joint enumeration")
    signals = _joint_signals(res.complexes, rests, task.history)
    fuels = tuple(c.name for c in initial if c.role == "fuel")
    return PairOutcome(bool(findings), tuple(findings), res.reactions, signals, fuels, time.perf_counter() - start)


def _joint_signals(complexes, rests, history) -> tuple[tuple[str, str], ...]:
    out = {}
    for c in complexes:
        if c.role == "signal":
            out[c.name] = c.name
        elif len(c.strands) == 1 and set(c.structure) == {"."}:
            s = c.strands[0]
            x = rests.get(tuple(s[1:]) if history else tuple(s))
            if x is not None:
                out[c.name] = x
    return tuple(sorted(out.items()))


def pair_task(system: DSDSystem, cls: PairClass, enumerated: Mapping[int, EnumeratedTemplate],
              config: EnumerationConfig) -> PairTask:
    from dsdcompile.dsd.outputs import domain_table

    i, j = cls.representative
    views = (module_view(system, i, enumerated[int(system.module_template[i])]),
             module_view(system, j, enumerated[int(system.module_template[j])]))
    lengths: dict[str, int] = {}
    for m in (i, j):
        tpl = system.template(m)
        rename = tpl.rename_map(system.species_of(m), m)
        lengths.update({rename[d.name]: d.length for d in tpl.domains})
    history = system.layout[0][0] if system.history else None
    species = set(system.species_of(i)) | set(system.species_of(j))
    rests = tuple((system.signal_domains(x)[1:] if history else system.signal_domains(x), x) for x in sorted(species))
    label = (f"modules {i} ({system.reaction(i)}) and {j} ({system.reaction(j)}), sharing "
             f"{', '.join(cls.shared)}")
    return PairTask(label, views, tuple(sorted(lengths.items())), rests, history, config)


@dataclass(frozen=True)
class InteractionResult:
    """Every pair class checked: which interact, and the verdict of each interacting pair's joint check."""

    verdict: str
    classes: int
    pairs: int  # module pairs that share a species (all classes' instances)
    interacting: tuple[dict, ...] = ()
    seconds: float = 0.0
    detail: str | None = None
    checks: tuple = field(default_factory=tuple)

    @property
    def interacting_pairs(self) -> int:
        return sum(int(x["instances"]) for x in self.interacting)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "classes": self.classes, "pairs": self.pairs,
                "interacting_classes": len(self.interacting), "interacting_pairs": self.interacting_pairs,
                "seconds": round(self.seconds, 6), "detail": self.detail, "interacting": list(self.interacting)}


def count_species(items: Iterable[str]) -> Counter:
    return Counter(items)
