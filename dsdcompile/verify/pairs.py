"""Module pairs that share a formal species (or, under a scheme with a system-wide signal domain, any two modules):
their classes, and the task that checks one pair.

The shared types of the interaction check (:mod:`dsdcompile.verify.interaction`) and of the
joint verification of interacting pairs (:mod:`dsdcompile.verify.joint`) live here, so that
neither of those imports the other's internals.

Pair classes. Two module pairs (i, j) and (k, l) have joint enumerations that are the same up
to renaming domains when i and k use the same template, j and l use the same template, and the
same local species positions of i and j hold equal formal species as of k and l. That key is
computed for every pair that shares a species, without a Python loop over the pairs (an
MNIST-size design has 10^8 of them): pairs are generated per species in numpy chunks, each
pair's position-equality pattern is packed into bits, and a pair is counted only on the
smallest species it shares, so a pair sharing several species is counted once. Pairs are
not identified with their mirror image, which can only split a class in two (one more
check), never merge two. Under a scheme whose signals share one domain between every species
(``DSDSystem.shared``, a global toehold), two modules that share no species still meet through
it: those pairs form one class per pair of templates (their joint enumeration is the same up to
renaming species), added by :func:`_disjoint_pairs`.

Pair tasks. :func:`pair_task` turns a class's representative into a :class:`PairTask`: both
modules' enumerations with concrete domain names (:class:`ModuleView`), the domain lengths,
how to recognise signal strands (:class:`Signals`) and the class-invariant domain labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dsdcompile.config import EnumerationConfig
from dsdcompile.dsd.system import Complex, DSDSystem, EnumeratedTemplate
from dsdcompile.verify.system import Rxn

PairKey = tuple[int, int, tuple[tuple[int, int], ...]]
"""(template of the first module, template of the second, positions (p, q) holding the same species)."""

_CHUNK = 2_000_000  # module pairs per numpy batch (about 100 MB of temporaries at 8 species per module)


@dataclass(frozen=True)
class PairClass:
    """Module pairs whose joint enumerations are the same up to renaming: one representative is checked."""

    key: PairKey
    representative: tuple[int, int]
    instances: int
    shared: tuple[str, ...]  # the formal species the representative's modules share


def _species_matrix(system: DSDSystem) -> np.ndarray:
    """Module × local position → species index, -1 past a module's last species."""
    offsets, flat = system.module_offsets, system.module_species
    widths = np.diff(offsets)
    out = np.full((system.n_modules, int(widths.max(initial=1))), -1, dtype=np.int64)
    rows = np.repeat(np.arange(system.n_modules), widths)
    cols = np.arange(len(flat)) - np.repeat(offsets[:-1], widths)
    out[rows, cols] = flat
    return out


def _pair_chunks(matrix: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(first modules, second modules, the species they were paired on) for every pair sharing a species."""
    rows, cols = np.nonzero(matrix >= 0)
    species = matrix[rows, cols]
    order = np.lexsort((rows, species))
    species, modules = species[order], rows[order]
    starts = np.flatnonzero(np.r_[True, species[1:] != species[:-1]])
    ends = np.r_[starts[1:], len(species)]
    buf_i, buf_j, buf_s, size = [], [], [], 0
    for a, b in zip(starts.tolist(), ends.tolist()):
        k = b - a
        if k < 2:
            continue
        mods = np.unique(modules[a:b])  # a module holding the species twice pairs with the others once
        if len(mods) < 2:
            continue
        x, y = np.triu_indices(len(mods), 1)
        buf_i.append(mods[x])
        buf_j.append(mods[y])
        buf_s.append(np.full(len(x), species[a], dtype=np.int64))
        size += len(x)
        if size >= _CHUNK:
            yield np.concatenate(buf_i), np.concatenate(buf_j), np.concatenate(buf_s)
            buf_i, buf_j, buf_s, size = [], [], [], 0
    if size:
        yield np.concatenate(buf_i), np.concatenate(buf_j), np.concatenate(buf_s)


def pair_classes(system: DSDSystem) -> list[PairClass]:
    """Every class of module pairs that share a formal species, with a representative and its size."""
    if system.n_modules < 2:
        return []
    matrix = _species_matrix(system)
    width = matrix.shape[1]
    templates = system.module_template.astype(np.int64)
    found: dict[bytes, list] = {}
    for first, second, on in _pair_chunks(matrix):
        a, b = matrix[first], matrix[second]
        equal = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)
        shared_min = np.where(equal.any(axis=2), a, np.iinfo(np.int64).max).min(axis=1)
        keep = shared_min == on  # count a pair once: on the smallest species it shares
        first, second, equal = first[keep], second[keep], equal[keep]
        bits = np.packbits(equal.reshape(len(first), width * width), axis=1)
        rows = np.concatenate([templates[first, None].view(np.uint8).reshape(len(first), 8),
                               templates[second, None].view(np.uint8).reshape(len(first), 8), bits], axis=1)
        keys, index, counts = np.unique(np.ascontiguousarray(rows).view(f"V{rows.shape[1]}").ravel(),
                                        return_index=True, return_counts=True)
        for key, ix, n in zip(keys.tolist(), index.tolist(), counts.tolist()):
            entry = found.setdefault(key, [(int(first[ix]), int(second[ix])), 0])
            entry[1] += n
    if system.shared:
        _disjoint_pairs(system, matrix, templates, found)
    names = system.split_crn.species
    out = []
    for (i, j), count in found.values():
        si, sj = matrix[i][matrix[i] >= 0], matrix[j][matrix[j] >= 0]
        pattern = tuple((p, q) for p in range(len(si)) for q in range(len(sj)) if si[p] == sj[q])
        shared = tuple(sorted({names[int(s)].name for s in si} & {names[int(s)].name for s in sj}))
        out.append(PairClass((int(templates[i]), int(templates[j]), pattern), (i, j), count, shared))
    return sorted(out, key=lambda c: (c.key, c.representative))


def _disjoint_pairs(system: DSDSystem, matrix: np.ndarray, templates: np.ndarray, found: dict) -> None:
    """Add the classes of module pairs that share no species (keyed by their two templates alone): with a domain
    the scheme shares between every species (a global toehold), any two modules can bind through it.

    A class's size is every pair (i < j) with its two templates less those that share a species (counted in
    ``found`` already); its representative is the first such pair found that shares none.
    """
    n_templates = int(templates.max(initial=-1)) + 1
    sharing = np.zeros((n_templates, n_templates), dtype=np.int64)
    for (i, j), count in found.values():
        sharing[templates[i], templates[j]] += count
    members = [np.flatnonzero(templates == t) for t in range(n_templates)]
    for ta in range(n_templates):
        is_a = templates == ta
        before = np.cumsum(is_a) - is_a  # modules of template ta before each module
        for tb in range(n_templates):
            disjoint = int(before[members[tb]].sum()) - int(sharing[ta, tb])
            if disjoint <= 0:
                continue
            pair = _first_disjoint(matrix, members[ta], members[tb])
            if pair is None:  # cannot happen when the counts are right; never drop a class silently
                raise AssertionError(f"no module pair of templates {ta}, {tb} shares no species")
            key = b"disjoint" + np.asarray([ta, tb], dtype=np.int64).tobytes()
            found[key] = [pair, disjoint]


def _first_disjoint(matrix: np.ndarray, first: np.ndarray, second: np.ndarray) -> tuple[int, int] | None:
    for i in first.tolist():
        later = second[second > i]
        if not len(later):
            continue
        si = matrix[i][matrix[i] >= 0]
        rows = matrix[later]
        shares = ((rows[:, :, None] == si[None, None, :]) & (rows[:, :, None] >= 0)).any(axis=(1, 2))
        free = np.flatnonzero(~shares)
        if len(free):
            return int(i), int(later[free[0]])
    return None


# ---------------------------------------------------------------- one pair's task
def _paired(c: Complex) -> list[bool]:
    """Per domain of ``c`` (strands in order): is it paired in its structure?"""
    return [ch != "." for ch in c.structure.replace("+", "")]


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
    reactions: tuple[Rxn, ...]
    inputs: tuple[str, ...]
    fuels: tuple[str, ...]
    private: frozenset[str]


def module_view(system: DSDSystem, i: int, enumerated: EnumeratedTemplate) -> ModuleView:
    """Module i's enumeration (its template's) with module i's concrete domains; complexes keep their local names."""
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
    wildcard_fuels: tuple[tuple[tuple[str, ...], str], ...] = ()  # (domains after a wildcard history, fuel)


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
    through = ", ".join(cls.shared) or "no species, only the domain(s) " + ", ".join(system.shared_domains)
    label = f"modules {i} ({system.reaction(i)}) and {j} ({system.reaction(j)}), sharing {through}"
    wild = {}
    for m in (i, j):
        tpl = system.template(m)
        rename = tpl.rename_map(system.species_of(m), m)
        for tail, fuel in tpl.wildcard_fuels().items():
            wild[tuple(rename[d.rstrip("*")] + d[len(d.rstrip("*")):] for d in tail)] = f"m{m}-{fuel}"
    return PairTask(label, views, tuple(sorted(lengths.items())), Signals(rests, history),
                    tuple(tuple(sorted(x.items())) for x in labels), config, tuple(sorted(wild.items())))
