"""Domain-level DSD IR: domains, complexes, module templates (one per reaction shape) and the system renaming them."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dsdcompile.dsd.implementation import ImplReaction
from dsdcompile.dsd.notation import pair_table
from dsdcompile.ir import CRN, Reaction


class ComplexRole(str, enum.Enum):
    """What a complex (or one of its strands) is in a design; the value is what strands.csv and complexes.csv hold.

    A ``str`` enum, so a role read back from a CSV file compares equal to its member.
    """

    SIGNAL = "signal"  # a formal species' signal strand
    HELPER = "helper"  # the signal strand of a helper species (constructions' catalysts, biases)
    FUEL = "fuel"  # present in excess, interpreted as nothing
    REPORTER = "reporter"  # a fluorophore/quencher readout duplex (dsdcompile.dsd.reporters)
    IMPURITY = "impurity"  # a strand left free by annealing in excess (dsdcompile.dsd.impurities)
    INTERMEDIATE = "intermediate"  # made by enumeration, meaning still to be found
    WASTE = "waste"  # made by enumeration, inert or interpreted as nothing
    UNSPECIFIED = ""  # no role known: complexes read from a PIL file, or given to an enumeration as they are

    def __str__(self) -> str:  # the value, as for a plain string, on every Python version
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


_COMPLEMENT = str.maketrans("ACGT", "TGCA")
SHARED_PREFIX = "global-"  # a signal domain that one scheme shares between every species: ``global-{suffix}``


def shared_domain(suffix: str) -> str:
    """The one system-wide name of the signal domain ``suffix`` of a scheme that shares it between every species
    (two-domain schemes' global toehold). Species domains are ``{species}-{suffix}`` with a suffix the shared
    one is not, and private ones ``m{i}-p{j}``, so this name is never another domain's."""
    return f"{SHARED_PREFIX}{suffix}"


def is_shared(name: str) -> bool:
    return name.startswith(SHARED_PREFIX)


def strand_nucleotides(domains: tuple[str, ...] | list[str], seqs: Mapping[str, str]) -> str:
    """A strand's nucleotide sequence 5'→3' from its domains (``x*`` is the reverse complement of ``x``)."""
    return "".join(seqs[d[:-1]][::-1].translate(_COMPLEMENT) if d.endswith("*") else seqs[d] for d in domains)


@dataclass(frozen=True)
class Domain:
    """A domain: its name (complements are written name*), length in nucleotides and kind."""

    name: str
    length: int
    kind: str  # history / toehold / branch


@dataclass(frozen=True)
class Complex:
    """A complex: strands as domain-name tuples 5'→3', a dot-bracket structure ('+' between strands) and a role."""

    name: str
    strands: tuple[tuple[str, ...], ...]
    structure: str
    role: ComplexRole
    concentration: float = 0.0
    part: str = ""  # the scheme's fuel role (gate, translator, ...) or the formal species a signal stands for

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(d for s in self.strands for d in s)

    def kernel(self) -> str:
        """Kernel notation, e.g. ``a( b( c + ) )`` (what PIL files and peppercorn use)."""
        out, k = [], 0
        domains = self.domains
        for char in self.structure:
            if char == "+":
                out.append("+")
                continue
            d = domains[k]
            k += 1
            out.append(f"{d}(" if char == "(" else ")" if char == ")" else d)
        return " ".join(out)

    def canonical(self) -> Complex:
        """The same complex with its strands rotated so that its kernel string is the smallest of all rotations.

        Peppercorn may return a complex in any rotation, and which one depends on the order in
        which it explored (hence on string hashing); naming complexes by this form makes
        enumeration outputs reproducible.
        """
        return self if len(self.strands) < 2 else min(_rotations(self), key=lambda c: c.kernel())

    def renamed(self, name: str, domain: dict[str, str], role: ComplexRole | None = None,
                concentration: float | None = None) -> Complex:
        """This complex with its name and domains replaced (complements follow their domain)."""
        def swap(d: str) -> str:
            return domain[d[:-1]] + "*" if d.endswith("*") else domain[d]
        return Complex(name, tuple(tuple(swap(d) for d in s) for s in self.strands), self.structure,
                       role or self.role, self.concentration if concentration is None else concentration, self.part)


def _rotations(c: Complex) -> Iterator[Complex]:
    """Every cyclic rotation of a multi-stranded complex, its dot-bracket recomputed (a circular
    non-crossing pairing stays non-crossing under rotation)."""
    sizes = [len(s) for s in c.strands]
    partner = pair_table(c.structure)
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    total = len(partner)
    for r in range(len(sizes)):
        order = list(range(r, len(sizes))) + list(range(r))
        old = [starts[i] + k for i in order for k in range(sizes[i])]
        new = {o: n for n, o in enumerate(old)}
        chars = ["."] * total
        for o, n in new.items():
            if partner[o] is not None:
                chars[n] = "(" if new[partner[o]] > n else ")"
        out, pos = [], 0
        for i in order:
            out.append("".join(chars[pos:pos + sizes[i]]))
            pos += sizes[i]
        yield Complex(c.name, tuple(c.strands[i] for i in order), "+".join(out), c.role, c.concentration, c.part)


@dataclass(frozen=True)
class EnumeratedTemplate:
    """What peppercorn found for one template: condensed reactions over local complex names and their complexes."""

    reactions: tuple[ImplReaction, ...]
    complexes: tuple[Complex, ...]  # resting complexes that are neither fuels nor the input signals
    signals: tuple[tuple[str, int], ...]  # (local complex, local species index) for released signals
    seconds: float = 0.0
    note: str = ""  # how it was enumerated where that differs from the configuration (a scheme's fallback)


@dataclass(frozen=True)
class ModuleTemplate:
    """One reaction shape under one scheme, translated once with placeholder species ``S0, S1, ...``.

    Signal domains are named ``S{k}-{suffix}``, module-private domains ``p{j}``; a concrete module
    renames ``S{k}`` to its k-th species and ``p{j}`` to ``m{index}-p{j}``. A signal domain the scheme
    shares between all species is ``global-{suffix}`` here and in every module (:func:`shared_domain`).
    """

    shape: str
    reactants: tuple[int, ...]  # local species, with repeats, in binding order
    products: tuple[int, ...]
    n_species: int
    domains: tuple[Domain, ...]  # every local domain, signal and private
    inputs: tuple[Complex, ...]  # canonical signal complexes of every local species, named S{k}
    fuels: tuple[Complex, ...]  # named f{j}
    source_fuel: bool = False  # a reaction without reactants: S0 is a fuel standing for nothing

    @cached_property
    def private(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.domains if not d.name.startswith("S") and not is_shared(d.name))

    def signal_keys(self, history: bool) -> list[tuple[tuple[str, ...], int]]:
        """(signal domains of local species k, after its history domain when ``history``, k) for every k: how a
        strand is recognised as a species' signal strand."""
        out = []
        for k in range(self.n_species):
            doms = self.inputs[k].strands[0]
            out.append((doms[1:] if history else doms, k))
        return out

    def wildcard_fuels(self) -> dict[tuple[str, ...], str]:
        """Fuels that are one unpaired strand starting with a wildcard history domain (a '?' of a fuel signal,
        lakin's helper): the domains after it → the fuel. Any strand with those domains after any first
        domain is that fuel (nuskell's meaning of '?'): a gate's release of it is the fuel, in excess."""
        wild = {d.name for d in self.domains if d.kind == "history" and d.name in self.private}
        return {tuple(f.strands[0][1:]): f.name for f in self.fuels
                if len(f.strands) == 1 and set(f.structure) == {"."} and f.strands[0][0] in wild}

    def rename_map(self, species: tuple[str, ...], index: int) -> dict[str, str]:
        """Local domain name → concrete name for module ``index`` with species ``species``."""
        out = {}
        for d in self.domains:
            if is_shared(d.name):
                out[d.name] = d.name
            elif d.name.startswith("S"):
                k, _, suffix = d.name[1:].partition("-")
                out[d.name] = f"{species[int(k)]}-{suffix}"
            else:
                out[d.name] = f"m{index}-{d.name}"
        return out


@dataclass(frozen=True, eq=False)
class DSDSystem:
    """A translated CRN: the formal CRN, its split form, and one module (template + species) per split reaction.

    Modules are stored as arrays so that 10^6 of them stay cheap: ``module_template[i]`` indexes
    ``templates`` and ``module_species[offsets[i]:offsets[i+1]]`` lists the split CRN's species
    indices that replace ``S0, S1, ...``.
    """

    scheme: str
    citation: str
    layout: tuple[tuple[str, str], ...]  # the scheme's signal layout: (suffix, kind)
    toehold_nt: int
    branch_nt: int
    crn: CRN
    split_crn: CRN
    max_products: int
    fuel_concentration: float
    templates: tuple[ModuleTemplate, ...]
    module_template: np.ndarray
    module_offsets: np.ndarray
    module_species: np.ndarray
    origin: np.ndarray | None = None  # per split reaction: the index of the reaction of ``crn`` it comes from
    split_reactions: int = 0  # reactions of ``crn`` that the split pass replaced by trees
    reporters: tuple[Complex, ...] = ()  # readout reporter complexes (ComplexRole.REPORTER; dsd.reporters)
    reactant_order: str = "sorted"  # the binding-order policy translated with (dsdcompile.dsd.order)
    reordered: tuple[tuple[int, str], ...] = ()  # split reactions bound in another order than written, and why
    shared: tuple[str, ...] = ()  # layout suffixes whose domain is one for every species (``global-{suffix}``)
    # (name, kind) of domains no signal carries that are one domain in every module (``global-{name}``)
    global_domains: tuple[tuple[str, str], ...] = ()

    @property
    def history(self) -> bool:
        return bool(self.layout) and self.layout[0][1] == "history"

    def signal_domains(self, species: str) -> tuple[str, ...]:
        """Domains of the species' canonical signal strand (its history domain named ``{species}-{suffix}``; a
        domain the scheme shares between all species named ``global-{suffix}``)."""
        return tuple(shared_domain(s) if s in self.shared else f"{species}-{s}" for s, _ in self.layout)

    @property
    def shared_domains(self) -> tuple[str, ...]:
        """The system-wide signal domains (empty unless the scheme shares a domain between all species): with one,
        modules that share no species can still bind each other through it; then the scheme's other global
        domains, which no signal carries)."""
        return tuple(shared_domain(s) for s in self.shared) + tuple(shared_domain(n) for n, _ in self.global_domains)

    @property
    def n_modules(self) -> int:
        return len(self.module_template)

    def species_of(self, i: int) -> tuple[str, ...]:
        names = self.split_crn.species
        a, b = self.module_offsets[i], self.module_offsets[i + 1]
        return tuple(names[j].name for j in self.module_species[a:b])

    def reaction(self, i: int) -> Reaction:
        return self.split_crn.reactions[i]

    @property
    def used_templates(self) -> list[int]:
        """The templates some module uses, in order (a design's module shapes)."""
        return sorted({int(t) for t in self.module_template.tolist()})

    def template(self, i: int) -> ModuleTemplate:
        return self.templates[self.module_template[i]]

    def modules_of(self, t: int) -> np.ndarray:
        return np.flatnonzero(self.module_template == t)

    def domain_lengths(self) -> dict[str, int]:
        return {"toehold": self.toehold_nt, "branch": self.branch_nt, "history": self.branch_nt}

    def wildcard_fuel_tails(self) -> set[tuple[str, ...]]:
        """Every module's wildcard fuels (:meth:`ModuleTemplate.wildcard_fuels`) as concrete domain tails."""
        out: set[tuple[str, ...]] = set()
        for t, tpl in enumerate(self.templates):
            tails = tpl.wildcard_fuels()
            if not tails:
                continue
            for i in self.modules_of(t):
                rename = tpl.rename_map(self.species_of(int(i)), int(i))
                out |= {tuple(rename[d.rstrip("*")] + d[len(d.rstrip("*")):] for d in tail) for tail in tails}
        return out

    def iter_fuels(self) -> Iterator[tuple[int, Complex]]:
        """(module index, concrete fuel complex) for every module, streamed."""
        for i in range(self.n_modules):
            tpl = self.template(i)
            rename = tpl.rename_map(self.species_of(i), i)
            for f in tpl.fuels:
                yield i, f.renamed(f"m{i}-{f.name}", rename, concentration=self.fuel_concentration)
