"""DSD output files, streamed: a PIL file peppercorn reads, strands.csv, complexes.csv and domains.csv."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.system import Complex, DSDSystem, ModuleTemplate
from dsdcompile.ir import Role


def domain_table(system: DSDSystem) -> Iterator[tuple[str, int, str]]:
    """(name, length, kind) of every domain: the signal domains of each species, then each module's own."""
    for s in system.split_crn.species:
        for (_, kind), name in zip(system.layout, system.signal_domains(s.name)):
            yield name, system.toehold_nt if kind == "toehold" else system.branch_nt, kind
    for i in range(system.n_modules):
        for d in system.template(i).domains:
            if not d.name.startswith("S"):
                yield f"m{i}-{d.name}", d.length, d.kind


def initial_signals(system: DSDSystem) -> list[Complex]:
    """Canonical signal complexes of the inputs (concentration 0: set per example) and of initially present species."""
    crn = system.split_crn
    init: dict[str, float] = {}
    for name, v in crn.initial:
        init[name] = init.get(name, 0.0) + v
    names = [s for sig in crn.inputs for s in sig.species] + [n for n in init]
    out = []
    for name in dict.fromkeys(names):
        role = "helper" if crn.by_name[name].role is Role.HELPER else "signal"
        doms = system.signal_domains(name)
        out.append(Complex(name, (doms,), "." * len(doms), role, init.get(name, 0.0), part=name))
    return out


def _strand_roles(tpl: ModuleTemplate, history: bool) -> list[list[int | None]]:
    """Per fuel, per strand: the local species whose signal the strand is (it will be released), or None."""
    keys = {}
    for k in range(tpl.n_species):
        doms = tuple(d.name for d in tpl.domains if d.name.startswith(f"S{k}-"))
        keys[doms[1:] if history else doms] = k
    return [[keys.get(s[1:] if history else s) for s in f.strands] for f in tpl.fuels]


def _length(strand: Sequence[str], lengths: dict[str, int]) -> int:
    return sum(lengths[d.rstrip("*")] for d in strand)


def write_dsd_outputs(system: DSDSystem, modules: Sequence[ModuleImplementation] | None, out_dir: Path) -> dict:
    """Write dsd.pil, strands.csv, complexes.csv and domains.csv into ``out_dir``; returns the summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    crn = system.split_crn
    helpers = {s.name for s in crn.species if s.role is Role.HELPER}
    n_strands = nt = fuel_nt = longest = n_complexes = 0
    pil = open(out_dir / "dsd.pil", "w")
    sfh = open(out_dir / "strands.csv", "w", newline="")
    cfh = open(out_dir / "complexes.csv", "w", newline="")
    try:
        pil.write(f"# {system.scheme}: {system.citation}\n# concentrations relative to a unit signal (1 nM)\n")
        with open(out_dir / "domains.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["domain", "length_nt", "kind"])
            for name, n, kind in domain_table(system):
                w.writerow([name, n, kind])
                pil.write(f"length {name} = {n}\n")
        sw, cw = csv.writer(sfh), csv.writer(cfh)
        sw.writerow(["strand", "domains", "length_nt", "role", "module", "reaction", "formal_reaction_index"])
        cw.writerow(["complex", "strands", "structure", "role", "concentration", "part", "module"])

        def emit(c: Complex, module: str, roles: list[str], sizes: list[int], rxn: str, formal: str) -> None:
            nonlocal n_strands, nt, fuel_nt, longest, n_complexes
            names = []
            for k, (strand, role, n) in enumerate(zip(c.strands, roles, sizes)):
                names.append(f"{c.name}.{k}")
                sw.writerow([names[-1], " ".join(strand), n, role, module, rxn, formal])
                n_strands += 1
                nt += n
                fuel_nt += n if c.role == "fuel" else 0
                longest = max(longest, n)
            conc = "" if c.role != "fuel" and c.concentration == 0 else f"{c.concentration:g}"
            cw.writerow([c.name, "+".join(names), c.structure, c.role, conc, c.part, module])
            n_complexes += 1
            pil.write(f"{c.name} = {c.kernel()}" + (f" @initial {c.concentration:g} nM\n" if c.concentration
                                                     else "\n"))

        signal_nt = sum(system.toehold_nt if k == "toehold" else system.branch_nt for _, k in system.layout)
        for c in initial_signals(system):
            emit(c, "", [c.role], [signal_nt], "", "")
        roles = {t: _strand_roles(tpl, system.history) for t, tpl in enumerate(system.templates)}
        sizes = {t: [[_length(s, {d.name: d.length for d in tpl.domains}) for s in f.strands] for f in tpl.fuels]
                 for t, tpl in enumerate(system.templates)}
        for i in range(system.n_modules):
            t = int(system.module_template[i])
            tpl = system.templates[t]
            species = system.species_of(i)
            rename = tpl.rename_map(species, i)
            rxn = str(crn.reactions[i])
            # The index, not the text: a reduced CRN's reactions can have 10^4 products.
            formal = "" if system.origin is None else str(int(system.origin[i]))
            for f, sroles, fsizes in zip(tpl.fuels, roles[t], sizes[t]):
                c = f.renamed(f"m{i}-{f.name}", rename, concentration=system.fuel_concentration)
                labels = ["fuel" if k is None else "helper" if species[k] in helpers else "signal" for k in sroles]
                emit(c, f"m{i}", labels, fsizes, rxn, formal)
    finally:
        pil.close()
        sfh.close()
        cfh.close()
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
