"""Readout reporters: a fluorophore/quencher duplex for every output rail, built, enumerated and verified like a module.

The reporter is the standard strand-displacement readout (Zhang & Winfree, JACS 2009; Qian &
Winfree, Science 2011; Chen et al., Nature Nanotechnology 2013): a short top strand carrying
the fluorophore at its 3' end sits on a bottom strand carrying the quencher at its 5' end, so
the two dyes touch at the duplex's blunt end and the complex is dark. The bottom strand
extends past the top strand by the complement of the signal's toehold. A signal strand binds
that toehold, branch-migrates through the top strand's domain and releases it: one bright
fluorophore strand per signal molecule, and the signal is held on the bottom strand (a waste).

The reporter is made from the scheme's own signal layout (the first toehold followed by a
branch-migration domain, the pair the scheme's gates bind), as a one-reactant, no-product
module ``Y -> ∅``: peppercorn enumerates it and crnverifier checks it like every other
module, the reporter complex being a fuel and its products wastes (interpretation ∅). A
reporter is only added to a species that no reaction of the CRN consumes (a terminal output):
then no other species' rate depends on [Y], every trajectory but Y's is the same with or
without reporters, and each Y molecule made is turned into exactly one fluorophore strand, so
the fluorescence reads the output the CRN computes. Where an output is consumed (annihilation,
rate-dependent constructions), no reporter is added and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dsdcompile.config import EnumerationConfig, ExecutionConfig
from dsdcompile.dsd.enumerate import _content_name, enumerate_modules
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.system import Complex, ComplexRole, Domain, DSDSystem, ModuleTemplate, shared_domain
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species

REPORTER_PREFIX = "rep-"
CITATION = ("D. Y. Zhang, E. Winfree. Control of DNA strand displacement kinetics using toehold exchange. "
            "JACS 131:17303-17314, 2009; L. Qian, E. Winfree. Scaling up digital circuit computation with DNA "
            "strand displacement cascades. Science 332:1196-1201, 2011.")


def reporter_domains(layout: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """(toehold suffix, branch suffix): the first toehold of the signal layout directly followed by a branch domain."""
    for (s0, k0), (s1, k1) in zip(layout, layout[1:]):
        if k0 == "toehold" and k1 == "branch":
            return s0, s1
    return None


def _domain(species: str, suffix: str, shared: Sequence[str]) -> str:
    return shared_domain(suffix) if suffix in shared else f"{species}-{suffix}"


def reporter_template(scheme: str, layout: Sequence[tuple[str, str]], toehold_nt: int, branch_nt: int,
                      shared: Sequence[str] = ()) -> ModuleTemplate | None:
    """The reporter module ``S0 -> ∅`` for a scheme's signal layout (None when the layout has no toehold + branch).

    Strands 5'→3': the fluorophore strand ``b`` and the quencher strand ``b* t*`` (t the toehold,
    b the branch-migration domain of the signal); structure ``(+).``. A toehold that the scheme shares
    between all species (``shared``) is the system-wide one: every reporter binds it, and reads its
    species through the branch domain.
    """
    pair = reporter_domains(layout)
    if pair is None:
        return None
    t, b = pair
    domains = tuple(Domain(_domain("S0", s, shared), toehold_nt if k == "toehold" else branch_nt, k)
                    for s, k in layout)
    signal = Complex("S0", (tuple(_domain("S0", s, shared) for s, _ in layout),), "." * len(layout),
                     ComplexRole.SIGNAL)
    duplex = Complex("f0", ((_domain("S0", b, shared),), (_domain("S0", b, shared) + "*",
                                                          _domain("S0", t, shared) + "*")),
                     "(+).", ComplexRole.REPORTER, part=ComplexRole.REPORTER.value)
    return ModuleTemplate(f"{scheme}: S0 -> 0 (reporter)", (0,), (), 1, domains, (signal,), (duplex,))


@dataclass(frozen=True)
class Reporter:
    """The reporter of one output rail: its complex, strands and the species the kinetics read.

    ``name`` is the complex (``rep-<species>``); strand ``<name>.0`` carries the fluorophore,
    ``<name>.1`` the quencher; ``fluorophore`` is the released fluorophore strand's species in
    the implementation CRN. ``output`` names the class and ``rail`` is +1 or -1.
    """

    name: str
    species: str
    output: str
    rail: int
    complex: Complex
    fluorophore: str

    @property
    def fluor_strand(self) -> str:
        return f"{self.name}.0"

    @property
    def quencher_strand(self) -> str:
        return f"{self.name}.1"


@dataclass(frozen=True, eq=False)
class ReporterSet:
    """Every output rail's reporter with its enumerated module, or why none were added (``skipped``)."""

    reporters: tuple[Reporter, ...] = ()
    modules: tuple[ModuleImplementation, ...] = ()
    system: DSDSystem | None = None  # the reporter CRN (one ``Y -> ∅`` per rail) as a DSD system
    consumed: tuple[str, ...] = ()  # "Y in reaction r" for outputs some reaction consumes
    skipped: str | None = None

    @property
    def complexes(self) -> tuple[Complex, ...]:
        return tuple(r.complex for r in self.reporters)

    def by_species(self) -> dict[str, Reporter]:
        return {r.species: r for r in self.reporters}

    def fuel_names(self) -> list[dict[str, str]]:
        """Per reporter module, the names enumeration gives its species → the reporter's names."""
        return [{f"m{i}-f0": r.name, fluorophore_content_name(r): r.fluorophore} for i, r in enumerate(self.reporters)]


def fluorophore_content_name(r: Reporter) -> str:
    """The name modular enumeration gives the released fluorophore strand (named by its content)."""
    return _content_name(Complex("", (r.complex.strands[0],), ".", ComplexRole.WASTE))


def output_rails(crn: CRN) -> list[tuple[str, str, int]]:
    """(species, class name, rail) of every output rail, + rails first per class."""
    out = []
    for sig in crn.outputs:
        out.append((sig.plus, sig.name, 1))
        if sig.minus is not None:
            out.append((sig.minus, sig.name, -1))
    return out


def consumed_outputs(crn: CRN, names: Sequence[str]) -> tuple[str, ...]:
    """Each named species that some reaction consumes, as "Y by reaction #r: ..." (empty: all terminal)."""
    wanted = set(names)
    out = []
    for r, rxn in enumerate(crn.reactions):
        for name, _ in rxn.reactants:
            if name in wanted:
                out.append(f"{name} by reaction #{r}: {rxn}")
    return tuple(out)


def reporter_crn(crn: CRN) -> CRN:
    """One reaction ``Y -> ∅`` per output rail of ``crn``, over those rails (the reporters' formal CRN)."""
    rails = output_rails(crn)
    by_name = crn.by_name
    species = tuple(Species(n, Role.OUTPUT, by_name[n].node, by_name[n].rail) for n, _, _ in rails)
    reactions = tuple(Reaction.make([n], []) for n, _, _ in rails)
    outputs = tuple(Signal(s.name, s.plus, s.minus) for s in crn.outputs)
    return CRN(species, reactions, (), (), outputs)


def _reporter_system(system: DSDSystem, template: ModuleTemplate) -> DSDSystem:
    crn = reporter_crn(system.split_crn)
    n = crn.n_reactions
    return replace(system, crn=crn, split_crn=crn, templates=(template,), module_template=np.zeros(n, np.int32),
                   module_offsets=np.arange(n + 1, dtype=np.int64), module_species=np.arange(n, dtype=np.int32),
                   origin=None, split_reactions=0, reporters=())


def build_reporters(system: DSDSystem, enumeration: EnumerationConfig = EnumerationConfig(), *,
                    execution: ExecutionConfig | None = None, executor=None) -> ReporterSet:
    """A reporter for every output rail of ``system.split_crn``, enumerated with peppercorn (one template).

    No reporter is added when an output rail is consumed by a reaction (the readout would change
    the computation) or when the scheme's signal layout has no toehold followed by a branch domain.
    """
    crn = system.split_crn
    rails = output_rails(crn)
    if not rails:
        return ReporterSet(skipped="the CRN has no outputs")
    consumed = consumed_outputs(crn, [n for n, _, _ in rails])
    if consumed:
        return ReporterSet(consumed=consumed, skipped=(
            f"{len(consumed)} output rail(s) are consumed by reactions of the CRN (e.g. {consumed[0]}): a reporter "
            "would compete for them and change the computation, so none was added"))
    template = reporter_template(system.scheme, system.layout, system.toehold_nt, system.branch_nt, system.shared)
    if template is None:
        return ReporterSet(skipped=f"the {system.scheme} signal layout has no toehold followed by a branch domain")
    rsys = _reporter_system(system, template)
    modules = enumerate_modules(rsys, enumeration, execution=execution, executor=executor)
    t, b = reporter_domains(system.layout)
    reporters, renamed = [], []
    for i, (name, output, rail) in enumerate(rails):
        rep = f"{REPORTER_PREFIX}{name}"
        bb, tt = _domain(name, b, system.shared), _domain(name, t, system.shared)
        cplx = Complex(rep, ((bb,), (bb + "*", tt + "*")), "(+).", ComplexRole.REPORTER, part=name)
        reporter = Reporter(rep, name, output, rail, cplx, f"{rep}-F")
        rename = {f"m{i}-f0": rep, fluorophore_content_name(reporter): reporter.fluorophore}
        renamed.append(replace(modules[i].renamed(rename), index=i))
        reporters.append(reporter)
    for r, m in zip(reporters, renamed):
        if r.fluorophore not in {p for _, ps, _ in m.reactions for p in ps}:
            from dsdcompile.errors import InternalError

            raise InternalError(f"reporter {r.name}: enumeration released no fluorophore strand ({m.reactions})")
    return ReporterSet(tuple(reporters), tuple(renamed), rsys)


__all__ = ["CITATION", "REPORTER_PREFIX", "Reporter", "ReporterSet", "build_reporters",
           "consumed_outputs", "output_rails", "reporter_crn", "reporter_domains", "reporter_template"]
