"""DSD output files, streamed: a PIL file peppercorn reads, strands.csv, complexes.csv and domains.csv."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.system import Complex, ComplexRole, DSDSystem, ModuleTemplate, shared_domain, strand_nucleotides
from dsdcompile.ir import Role
from dsdcompile.runtime.files import CsvWriter


def domain_table(system: DSDSystem) -> Iterator[tuple[str, int, str]]:
    """(name, length, kind) of every domain: the signal domains of each species, then each module's own."""
    kinds = dict(system.layout)
    for s in system.shared:  # a domain every species shares is listed (and designed) once
        yield shared_domain(s), system.toehold_nt if kinds[s] == "toehold" else system.branch_nt, kinds[s]
    for name, kind in system.global_domains:  # and one no signal carries (a second global toehold)
        yield shared_domain(name), system.toehold_nt if kind == "toehold" else system.branch_nt, kind
    for s in system.split_crn.species:
        for (suffix, kind), name in zip(system.layout, system.signal_domains(s.name)):
            if suffix not in system.shared:
                yield name, system.toehold_nt if kind == "toehold" else system.branch_nt, kind
    for i in range(system.n_modules):
        tpl = system.template(i)
        for d in tpl.domains:
            if d.name in tpl.private:
                yield f"m{i}-{d.name}", d.length, d.kind


def initial_signals(system: DSDSystem) -> list[Complex]:
    """One canonical signal complex per species of the split CRN: inputs first (concentration 0, set per
    example), then initially present species, then every other species (concentration 0).

    Every species gets its strand, so a user can order the strand of any formal species, and the
    whole-system check seeds every species whatever the CRN declares.
    """
    crn = system.split_crn
    init: dict[str, float] = {}
    for name, v in crn.initial:
        init[name] = init.get(name, 0.0) + v
    names = [s for sig in crn.inputs for s in sig.species] + list(init) + [s.name for s in crn.species]
    out = []
    for name in dict.fromkeys(names):
        role = ComplexRole.HELPER if crn.by_name[name].role is Role.HELPER else ComplexRole.SIGNAL
        doms = system.signal_domains(name)
        out.append(Complex(name, (doms,), "." * len(doms), role, init.get(name, 0.0), part=name))
    return out


def _strand_roles(tpl: ModuleTemplate, history: bool) -> list[list[int | None]]:
    """Per fuel, per strand: the local species whose signal the strand is (it will be released), or None."""
    keys = dict(tpl.signal_keys(history))
    return [[keys.get(s[1:] if history else s) for s in f.strands] for f in tpl.fuels]


def _length(strand: Sequence[str], lengths: dict[str, int]) -> int:
    return sum(lengths[d.rstrip("*")] for d in strand)


@dataclass(frozen=True)
class ComplexRow:
    """One complex of the design as strands.csv and complexes.csv list it.

    ``strand_roles`` labels each strand (signal, helper, fuel: a signal strand inside a fuel
    is one the gate releases); ``module`` is "m<i>" for fuels ("" for free signals),
    ``reaction`` the split reaction the module implements and ``formal`` the index of the
    translated CRN's reaction it comes from.
    """

    complex: Complex
    module: str
    strand_roles: tuple[ComplexRole, ...]
    strand_lengths: tuple[int, ...]
    reaction: str
    formal: str
    order: str = ""  # the order the module's gate binds its reactants, and why when not as written

    def strand_names(self) -> tuple[str, ...]:
        return tuple(f"{self.complex.name}.{k}" for k in range(len(self.complex.strands)))


def iter_complexes(system: DSDSystem) -> Iterator[ComplexRow]:
    """Every initially present complex, streamed: free signals first, then each module's fuels."""
    crn = system.split_crn
    helpers = {s.name for s in crn.species if s.role is Role.HELPER}
    signal_nt = sum(system.toehold_nt if k == "toehold" else system.branch_nt for _, k in system.layout)
    for c in initial_signals(system):
        yield ComplexRow(c, "", (c.role,), (signal_nt,), "", "")
    roles = {t: _strand_roles(tpl, system.history) for t, tpl in enumerate(system.templates)}
    reordered = dict(system.reordered)
    sizes = {t: [tuple(_length(s, {d.name: d.length for d in tpl.domains}) for s in f.strands) for f in tpl.fuels]
             for t, tpl in enumerate(system.templates)}
    for i in range(system.n_modules):
        t = int(system.module_template[i])
        tpl = system.templates[t]
        species = system.species_of(i)
        rename = tpl.rename_map(species, i)
        rxn = str(crn.reactions[i])
        # The index, not the text: a reduced CRN's reactions can have 10^4 products.
        formal = "" if system.origin is None else str(int(system.origin[i]))
        order = binding_order(system, i, species, reordered)
        for f, sroles, fsizes in zip(tpl.fuels, roles[t], sizes[t]):
            c = f.renamed(f"m{i}-{f.name}", rename, concentration=system.fuel_concentration)
            labels = tuple(ComplexRole.FUEL if k is None else ComplexRole.HELPER if species[k] in helpers
                           else ComplexRole.SIGNAL for k in sroles)
            yield ComplexRow(c, f"m{i}", labels, fsizes, rxn, formal, order)
    yield from reporter_rows(system)


def binding_order(system: DSDSystem, i: int, species, reordered: Mapping[int, str]) -> str:
    """"B + A (as written)", "A + B (sorted)" or "B + A (not as written: why)" for module ``i``."""
    tpl = system.templates[int(system.module_template[i])]
    text = " + ".join(species[k] for k in tpl.reactants) or "0"
    if i in reordered:
        return f"{text} (not as written: {reordered[i]})"
    return f"{text} ({'sorted by shape' if system.reactant_order == 'sorted' else 'as written'})"


def reporter_rows(system: DSDSystem) -> Iterator[ComplexRow]:
    """The readout reporters (ComplexRole.REPORTER; see :mod:`dsdcompile.dsd.reporters`), after every module's fuels."""
    lengths = system.domain_lengths()
    kinds = dict(system.layout)
    for c in system.reporters:
        sizes = tuple(sum(lengths[kinds[d.rstrip("*").rsplit("-", 1)[1]]] for d in s) for s in c.strands)
        yield ComplexRow(c, "", (ComplexRole.REPORTER,) * len(c.strands), sizes, f"{c.part} -> 0 (reporter)", "")


def dsd_counts(system: DSDSystem, modules: Sequence[ModuleImplementation] | None) -> dict:
    """summary.json's ``dsd`` counts, computed from the system without writing it.

    Strand and nucleotide counts are per template times its modules (plus the free
    signals), so this costs O(templates + modules), not O(strands).
    """
    signal_nt = sum(system.toehold_nt if k == "toehold" else system.branch_nt for _, k in system.layout)
    signals = initial_signals(system)
    n_strands, n_complexes, nt, fuel_nt = len(signals), len(signals), signal_nt * len(signals), 0
    longest = signal_nt if signals else 0
    uses = np.bincount(system.module_template, minlength=len(system.templates)) if system.n_modules else []
    for t, tpl in enumerate(system.templates):
        count = int(uses[t]) if len(uses) else 0
        if not count:
            continue
        lengths = {d.name: d.length for d in tpl.domains}
        sizes = [_length(s, lengths) for f in tpl.fuels for s in f.strands]
        n_strands += count * len(sizes)
        n_complexes += count * len(tpl.fuels)
        nt += count * sum(sizes)
        fuel_nt += count * sum(sizes)
        longest = max([longest, *sizes])
    for row in reporter_rows(system):
        n_strands += len(row.strand_lengths)
        n_complexes += 1
        nt += sum(row.strand_lengths)
        longest = max([longest, *row.strand_lengths])
    species = {n for m in modules or () for r, p, _ in m.reactions for n in r + p}
    reactions = {(tuple(sorted(r)), tuple(sorted(p))) for m in modules or () for r, p, _ in m.reactions}
    return {
        "scheme": system.scheme,
        "strands": n_strands,
        "complexes": n_complexes,
        "nucleotides": nt,
        "fuel_nucleotides": fuel_nt,
        "longest_strand_nt": longest,
        "enumerated_species": len(species) if modules is not None else None,
        "enumerated_reactions": len(reactions) if modules is not None else None,
        "max_products": system.max_products,
        "split_reactions": system.split_reactions,
        "modules": system.n_modules,
        "shapes": len(system.templates),
    }


def write_dsd_outputs(system: DSDSystem, out_dir: Path, *, domain_sequences: Mapping[str, str] | None = None,
                      unit_nM: float = 1.0, concentrations_nM: Mapping[str, float] | None = None) -> dict:
    """Write dsd.pil, strands.csv, complexes.csv and domains.csv into ``out_dir``; returns what was counted.

    With ``domain_sequences`` (domain → nucleotides) strands.csv gains a ``sequence`` column
    and dsd.pil declares ``sequence d = ...`` for every domain, which peppercorn reads back.
    ``concentrations_nM`` (complex → nM, the tube as planned, one unit being ``unit_nM``) sets
    every complex's ``@initial`` in dsd.pil and complexes.csv's ``concentration_nM``; its
    ``concentration`` column is then in units. Without it fuels sit at the system's relative
    fuel concentration and dsd.pil reads one unit as ``unit_nM``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {"strands": 0, "complexes": 0, "nucleotides": 0, "fuel_nucleotides": 0, "longest_strand_nt": 0}
    seqs = domain_sequences
    planned = concentrations_nM
    with open(out_dir / "dsd.pil", "w", encoding="utf-8") as pil, \
            open(out_dir / "strands.csv", "w", newline="", encoding="utf-8") as sfh, \
            open(out_dir / "complexes.csv", "w", newline="", encoding="utf-8") as cfh, \
            open(out_dir / "domains.csv", "w", newline="", encoding="utf-8") as dfh:
        pil.write(f"# {system.scheme}: {system.citation}\n")
        if planned is not None:
            pil.write(f"# concentrations of the tube as planned, in nM (one unit of network value = {unit_nM:g} nM); "
                      "inputs are set per sample (inputs.csv, dsdcompile mix)\n")
        else:
            pil.write(f"# concentrations relative to a unit signal ({unit_nM:g} nM); no tube was planned "
                      "(fuels at the default level)\n")
        w = CsvWriter(dfh)
        w.writerow(["domain", "length_nt", "kind"])
        for name, n, kind in domain_table(system):
            w.writerow([name, n, kind])
            pil.write(f"sequence {name} = {seqs[name]}\n" if seqs is not None else f"length {name} = {n}\n")
        sw, cw = CsvWriter(sfh), CsvWriter(cfh)
        sw.writerow(["strand", "domains", "length_nt", "role", "module", "reaction", "formal_reaction_index",
                     "reactant_order"] + (["sequence"] if seqs is not None else []))
        cw.writerow(["complex", "strands", "structure", "role", "concentration", "part", "module", "concentration_nM"])
        for row in iter_complexes(system):
            c = row.complex
            names = row.strand_names()
            for name, strand, role, n in zip(names, c.strands, row.strand_roles, row.strand_lengths):
                text = " ".join(strand)
                sw.writerow([name, text, n, role, row.module, row.reaction, row.formal, row.order]
                            + ([strand_nucleotides(strand, seqs)] if seqs is not None else []))
                counts["strands"] += 1
                counts["nucleotides"] += n
                counts["fuel_nucleotides"] += n if c.role == ComplexRole.FUEL else 0
                counts["longest_strand_nt"] = max(counts["longest_strand_nt"], n)
            if planned is not None:
                nm = float(planned.get(c.name, 0.0))
                conc = f"{nm / unit_nM:.6g}" if nm > 0 else ""
                cw.writerow([c.name, "+".join(names), c.structure, c.role, conc, c.part, row.module,
                             f"{nm:.6g}" if nm > 0 else ""])
                pil.write(f"{c.name} = {c.kernel()}" + (f" @initial {nm:.6g} nM\n" if nm > 0 else "\n"))
            else:
                conc = "" if c.role != ComplexRole.FUEL and c.concentration == 0 else f"{c.concentration:g}"
                cw.writerow([c.name, "+".join(names), c.structure, c.role, conc, c.part, row.module, ""])
                pil.write(f"{c.name} = {c.kernel()}" + (f" @initial {c.concentration:g} nM\n" if c.concentration
                                                         else "\n"))
            counts["complexes"] += 1
    return counts
