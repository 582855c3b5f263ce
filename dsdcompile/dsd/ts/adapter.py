"""A ``.ts`` translation scheme as a dsdcompile scheme module (the interface of ``translation_schemes``).

How nuskell's model maps onto dsdcompile's:

* ``formal(s)`` is called for two probe species; its complex must be one unpaired strand. Its
  domains give the signal layout: ``?`` (allowed only as the first domain) is the history domain,
  ``short()`` domains are toeholds, ``long()`` ones branch domains, each suffix named after the name
  the domain has in the ``formal`` literal. A domain that is the same object for both probes (a
  ``global`` domain, two-domain schemes' one toehold) is one domain shared by every species: the
  scheme lists its suffix in ``SHARED_DOMAINS`` and every species' signal, every module and every
  reporter name it ``global-{suffix}`` (:func:`dsdcompile.dsd.system.shared_domain`).
* ``main(crn)`` is run once per reaction shape, on a one-reaction CRN whose species are complexes
  with the template's domain names (dsdcompile translates each shape once and renames it, as its
  built-in schemes do). Whole-CRN optimisations of a scheme therefore act within one reaction only.
* Reactions without reactants reach the scheme as ``F -> products`` with a fuel signal ``F``
  (dsdcompile's convention); ``abort(...)`` refuses the reaction with the scheme's message.
* Every fuel domain that is not a species' domain is private to its module, except a domain bound by
  ``global NAME = short()`` (or ``long()``) that no signal carries, in a scheme whose signals share a domain:
  that is one domain in the whole design, ``global-{NAME}`` (the scheme's ``GLOBAL_DOMAINS``), as in nuskell
  (cardelli2013_2D_2TGC's second toehold). Domains inside a ``global`` complex (lakin's helper signal) stay
  private to each module (docs/ts_reader.md says why).
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from dsdcompile.dsd.system import shared_domain
from dsdcompile.dsd.ts.grammar import read_ts
from dsdcompile.dsd.ts.interp import Abort, Dom, DomRef, Frag, Fuel, Interpreter, Reaction, SpeciesName
from dsdcompile.errors import InputError, UnsupportedReaction

TOEHOLD_NT = 5  # nuskell's short and long domains
BRANCH_NT = 15
_KIND = {"short": "toehold", "long": "branch"}


def _citation(text: str, stem: str) -> str:
    """The first paragraph of the file's leading comment, or a plain pointer to the file."""
    lines = []
    for raw in text.splitlines():
        s = raw.strip()
        if not s.startswith("#"):
            if lines or s:
                break
            continue
        body = s.lstrip("#").strip()
        if not body:
            if lines:
                break
            continue
        if body.lower().startswith(("note", "coded by")):
            break
        lines.append(body)
    return " ".join(lines) or f"translation scheme {stem} (nuskell language)"


class TsScheme:
    """The loaded scheme: interpreter, signal layout and the translate() of dsdcompile's interface."""

    def __init__(self, path: Path, name: str | None = None):
        self.path = str(path)
        self.text = path.read_text(encoding="utf-8", errors="replace")
        program = read_ts(path)
        self.interp = Interpreter(program, self.path)
        for required in ("formal", "main"):
            if required not in self.interp.defs:
                raise InputError(f"a translation scheme must define {required}(...)", path=self.path)
        if len(self.interp.defs["formal"].params) != 1 or len(self.interp.defs["main"].params) != 1:
            raise InputError("formal(s) and main(crn) take one argument each", path=self.path,
                             line=self.interp.defs["formal"].line)
        self.name = name or path.stem
        self.citation = _citation(self.text, path.stem)
        self.roles = tuple(sorted(self.interp.defs))
        self._probe()

    # ------------------------------------------------------------------ layout
    def _formal(self, species: str) -> tuple[Frag, list]:
        frag = self.interp.call("formal", [SpeciesName(species)])
        line = self.interp.defs["formal"].line
        if not isinstance(frag, Frag):
            raise InputError(f"formal(s) must give a complex, not {type(frag).__name__}", path=self.path, line=line)
        seq, struct = self.interp.flatten(frag, line)
        if not seq or "+" in seq or set(struct) != {"."}:
            raise InputError("formal(s) must give one unpaired strand (dsdcompile's signals are single strands)",
                             path=self.path, line=line)
        if any(d.star for d in seq):
            raise InputError("formal(s): a signal strand with a complemented domain is not supported",
                             path=self.path, line=line)
        return frag, seq

    def _probe(self) -> None:
        line = self.interp.defs["formal"].line
        fa, sa = self._formal("A")
        fb, sb = self._formal("B")
        if len(sa) != len(sb):
            raise InputError("formal(s) gives signal strands of different lengths for different species",
                             path=self.path, line=line)
        layout: list[tuple[str, str]] = []
        self.attr_of: list[str | None] = []  # per layout entry: the attribute name in formal's literal
        self.shared: dict[int, Dom] = {}
        used: set[str] = set()
        for j, (da, db) in enumerate(zip(sa, sb)):
            if da.dom.kind == "history":
                if j != 0:
                    raise InputError("formal(s): the history wildcard '?' is supported only as the first domain",
                                     path=self.path, line=line)
                layout.append(("h", "history"))
                self.attr_of.append(None)
                continue
            if da.dom.kind not in _KIND:
                raise InputError(f"formal(s): {da.dom.kind} domains (unique(n)) are not supported in signals; "
                                 f"use short() or long()", path=self.path, line=line)
            names = [k for k, v in fa.attrs.items() if v is da.dom]
            if not names or fb.attrs.get(names[0]) is not db.dom:
                raise InputError("formal(s): every signal domain must be named in the formal complex",
                                 path=self.path, line=line)
            kind = _KIND[da.dom.kind]
            if da.dom is db.dom:
                self.shared[j] = da.dom
            if any(x.dom is da.dom for x in sa[:j]):
                raise InputError(f"formal(s): domain {names[0]} occurs twice in the signal strand",
                                 path=self.path, line=line)
            suffix = re.sub(r"[^A-Za-z]", "", names[0]) or "d"
            while suffix in used or (suffix == "h" and sa[0].dom.kind == "history"):
                suffix += "x"
            used.add(suffix)
            layout.append((suffix, kind))
            self.attr_of.append(names[0])
        self.layout = tuple(layout)
        self.history = bool(layout) and layout[0][1] == "history"
        self.shared_suffixes = tuple(layout[j][0] for j in sorted(self.shared))
        self.globals: dict[int, tuple[str, str]] = {}  # id(Dom) -> (name, kind): global domains no signal carries
        if self.shared:  # the verification pairs every two modules only when signals share a domain
            taken = set(used) | {"h"}
            signal_doms = {id(d.dom) for d in sa + sb}
            for gname, value in self.interp.env[1].items():
                if isinstance(value, Dom) and value.kind in _KIND and id(value) not in signal_doms \
                        and id(value) not in self.globals:
                    base = re.sub(r"[^A-Za-z]", "", gname) or "g"
                    while base in taken:
                        base += "x"
                    taken.add(base)
                    self.globals[id(value)] = (base, _KIND[value.kind])

    # ------------------------------------------------------------------ translate
    def translate(self, reactants: list[dict], products: list[dict], new_domain) -> list:
        doms: dict[str, Dom] = {}
        species: dict[tuple, Frag] = {}

        def signal(m: dict) -> Frag:
            key = tuple(sorted(m.items()))
            if key not in species:
                seq, attrs = [], {}
                for j, (suffix, kind) in enumerate(self.layout):
                    if kind == "history":
                        seq.append(DomRef(Dom("species-history")))
                        continue
                    name = m[suffix]
                    if j in self.shared:  # the scheme's own global domain object: its fuels name it directly
                        d = self.shared[j]
                        doms.setdefault(name, d)
                    else:
                        d = doms.setdefault(name, Dom(next(k for k, v in _KIND.items() if v == kind), external=name))
                    seq.append(DomRef(d))
                    attrs[self.attr_of[j]] = d
                species[key] = Frag(seq, ["."] * len(seq), attrs, "formal", self.interp.defs["formal"].line)
            return species[key]

        rxn = Reaction([signal(m) for m in reactants], [signal(m) for m in products], False)
        try:
            out = self.interp.call("main", [[rxn]])
        except Abort as e:
            raise UnsupportedReaction(f"scheme {self.name} refuses {len(reactants)}->{len(products)} reactions: "
                                      f"{e}", path=self.path, line=e.line) from None
        except RecursionError:
            raise InputError("the scheme recursed too deeply", path=self.path) from None
        if not isinstance(out, list) or not all(isinstance(f, Fuel) for f in out):
            raise InputError("main(crn) must give a list of fuels (made with infty)", path=self.path,
                             line=self.interp.defs["main"].line)
        names: dict[int, str] = {id(self.shared[j]): shared_domain(self.layout[j][0]) for j in self.shared}
        names.update((k, shared_domain(n)) for k, (n, _) in self.globals.items())

        def name_of(ref: DomRef, fuel: Fuel) -> str:
            d = ref.dom
            if id(d) in names:
                base = names[id(d)]
            elif d.external is not None:
                base = d.external
            elif d.kind == "species-history":
                raise InputError(f"the complex from {fuel.origin} contains a formal species' history domain; "
                                 f"dsdcompile keeps histories private to the gate that releases a signal",
                                 path=self.path, line=fuel.line)
            elif d.kind == "unique":
                raise InputError(f"the complex from {fuel.origin} uses a unique({d.length}) domain; only short() "
                                 f"and long() domains are supported", path=self.path, line=d.line or fuel.line)
            else:  # a '?' of a fuel signal (lakin's helper) is a wildcard history: any history is that fuel
                kind = "toehold" if d.kind == "short" else "history" if d.kind == "history" else "branch"
                names[id(d)] = base = new_domain(kind)
            return base + "*" if ref.star else base

        fuels, seen = [], set()
        for f in out:
            strands, cur = [], []
            for it in f.seq:
                if it == "+":
                    strands.append(cur)
                    cur = []
                else:
                    cur.append(name_of(it, f))
            strands.append(cur)
            structure = "+".join("".join(s) for s in "".join(f.struct).split("+"))
            key = (tuple(map(tuple, strands)), structure)
            if key in seen:
                continue
            seen.add(key)
            fuels.append((f.origin, strands, structure))
        return fuels



def load_ts_scheme(path: str | Path, name: str | None = None) -> types.ModuleType:
    """A module object with dsdcompile's scheme attributes, made from a ``.ts`` file."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such translation scheme file", path=str(p))
    ts = TsScheme(p, name)
    mod_name = f"dsdcompile_ts_scheme_{re.sub(r'[^A-Za-z0-9_]', '_', p.stem)}"
    module = types.ModuleType(mod_name)
    module.__file__ = str(p)
    module.NAME = ts.name
    module.CITATION = ts.citation
    module.TOEHOLD_NT = TOEHOLD_NT
    module.BRANCH_NT = BRANCH_NT
    module.MAX_REACTANTS = None
    module.FUEL_ROLES = ts.roles
    module.TS = ts
    module.SHARED_DOMAINS = ts.shared_suffixes
    module.GLOBAL_DOMAINS = tuple(ts.globals.values())
    module.signal_layout = lambda: ts.layout
    module.translate = ts.translate
    sys.modules[mod_name] = module
    return module
