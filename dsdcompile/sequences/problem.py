"""What sequence design works on: domains, strands and complexes of a DSD design, in memory or from its files.

Inside a design run the problem comes from the DSD system itself (:meth:`SequenceProblem.from_system`);
for an existing design folder, its domains.csv, strands.csv and complexes.csv (written by the DSD
stage) are the contract, so sequences can be designed for any design folder, old or new. Strands are
deduplicated by their domain list (a signal strand appears both free and inside the gate that
releases it); every strand name keeps pointing at its sequence.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from dsdcompile.errors import InputError
from dsdcompile.runtime.files import csv_dicts
from dsdcompile.runtime.resources import open_text

DNA4, ACT, AGT = "ACGT", "ACT", "AGT"
SIGNAL_ROLES = ("signal", "helper")


@dataclass(frozen=True)
class DomainSpec:
    name: str
    length: int
    kind: str          # toehold | branch | history | ...
    alphabet: str      # ACT, AGT (its complement is then A/C/T) or ACGT

    @property
    def long(self) -> bool:
        return self.kind != "toehold"


@dataclass(frozen=True)
class StrandSpec:
    name: str
    domains: tuple[str, ...]   # "x" or "x*"
    role: str


@dataclass(frozen=True)
class ComplexSpec:
    name: str
    strands: tuple[str, ...]   # strand names
    structure: str             # domain-level dot-bracket, '+' between strands
    role: str


@dataclass(frozen=True)
class SequenceProblem:
    domains: tuple[DomainSpec, ...]
    strands: tuple[StrandSpec, ...]
    complexes: tuple[ComplexSpec, ...]

    @property
    def by_name(self) -> dict[str, DomainSpec]:
        return {d.name: d for d in self.domains}

    def distinct_strands(self) -> dict[tuple[str, ...], list[str]]:
        """Domain list → names of the strands that have it (first seen first)."""
        out: dict[tuple[str, ...], list[str]] = {}
        for s in self.strands:
            out.setdefault(s.domains, []).append(s.name)
        return out

    @classmethod
    def from_design(cls, design_dir: str | Path, *, three_letter: bool = True) -> SequenceProblem:
        """Read domains.csv, strands.csv and complexes.csv of a design folder."""
        d = Path(design_dir)
        missing = [n for n in ("domains.csv", "strands.csv", "complexes.csv") if not (d / n).is_file()]
        if missing:
            raise InputError(f"{d}: not a DSD design folder (missing {', '.join(missing)}); run the DSD stage "
                             "first, e.g. dsdcompile MODEL --scheme soloveichik2010")
        rows = _read(d / "domains.csv", ("domain", "length_nt", "kind"))
        srows = _read(d / "strands.csv", ("strand", "domains", "role"))
        crows = _read(d / "complexes.csv", ("complex", "strands", "structure", "role"))
        return cls.build([(r["domain"], int(r["length_nt"]), r["kind"]) for r in rows],
                         [(r["strand"], tuple(r["domains"].split()), r["role"]) for r in srows],
                         [(r["complex"], tuple(r["strands"].split("+")), r["structure"], r["role"]) for r in crows],
                         three_letter=three_letter)

    @classmethod
    def from_system(cls, system, *, three_letter: bool = True) -> SequenceProblem:
        """The problem of an in-memory DSD system: the same domains, strands and complexes its CSVs would list."""
        from dsdcompile.dsd.outputs import domain_table, iter_complexes

        strands, complexes = [], []
        for row in iter_complexes(system):
            names = row.strand_names()
            strands += [(n, tuple(s), r) for n, s, r in zip(names, row.complex.strands, row.strand_roles)]
            complexes.append((row.complex.name, names, row.complex.structure, row.complex.role))
        return cls.build(list(domain_table(system)), strands, complexes, three_letter=three_letter)

    @classmethod
    def build(cls, domains, strands, complexes=(), *, three_letter: bool = True) -> SequenceProblem:
        """Check the references and give each domain its alphabet.

        With ``three_letter`` a domain that appears uncomplemented on a signal (or helper)
        strand is drawn from A/C/T, one that appears complemented there from A/G/T, so signal
        strands carry no G; a domain needed both ways, and every other domain, uses all four.
        """
        lengths = {}
        for name, n, kind in domains:
            if name in lengths:
                raise InputError(f"domain {name} is listed twice")
            if n < 1:
                raise InputError(f"domain {name} has length {n}")
            lengths[name] = (n, kind)
        top, comp = set(), set()
        names = set()
        for name, doms, role in strands:
            if name in names:
                raise InputError(f"strand {name} is listed twice")
            names.add(name)
            if not doms:
                raise InputError(f"strand {name} has no domains")
            for x in doms:
                if x.rstrip("*") not in lengths:
                    raise InputError(f"strand {name} uses domain {x}, which domains.csv does not list")
                if role in SIGNAL_ROLES:
                    (comp if x.endswith("*") else top).add(x.rstrip("*"))
        specs = []
        for name, (n, kind) in lengths.items():
            alphabet = DNA4
            if three_letter and (name in top) != (name in comp):
                alphabet = ACT if name in top else AGT
            specs.append(DomainSpec(name, n, kind, alphabet))
        sl = {n: doms for n, doms, _ in strands}
        cx = []
        for name, snames, structure, role in complexes:
            for s in snames:
                if s not in sl:
                    raise InputError(f"complex {name} uses strand {s}, which strands.csv does not list")
            parts = structure.split("+")
            if len(parts) != len(snames) or any(len(p) != len(sl[s]) for p, s in zip(parts, snames)):
                raise InputError(f"complex {name}: structure {structure!r} does not match its strands' domains")
            cx.append(ComplexSpec(name, tuple(snames), structure, role))
        return cls(tuple(specs), tuple(StrandSpec(n, tuple(d), r) for n, d, r in strands), tuple(cx))


def _read(path: Path, columns: tuple[str, ...]) -> list[dict]:
    try:
        with open_text(path, "design table", max_bytes=None) as fh:
            reader = csv_dicts(fh)
            absent = [c for c in columns if c not in (reader.fieldnames or ())]
            if absent:
                raise InputError(f"missing column(s) {', '.join(absent)}", path=str(path))
            return list(reader)
    except UnicodeDecodeError as e:
        raise InputError(f"not a UTF-8 CSV (byte {e.start} of a block)", path=str(path)) from None
    except csv.Error as e:
        raise InputError(f"cannot read CSV ({e})", path=str(path)) from None


def nucleotide_structure(domain_structure: str, strands: list[tuple[str, ...]], lengths: dict[str, int]) -> str:
    """Expand a domain-level dot-bracket (with '+') to nucleotides (without separators)."""
    out = []
    for part, doms in zip(domain_structure.split("+"), strands):
        for ch, d in zip(part, doms):
            out.append(ch * lengths[d.rstrip("*")])
    return "".join(out)


__all__ = ["ACT", "AGT", "DNA4", "ComplexSpec", "DomainSpec", "SequenceProblem", "StrandSpec",
           "nucleotide_structure"]
