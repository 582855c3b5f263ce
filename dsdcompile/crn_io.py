"""Reading and writing CRNs: the line-based ``.crn`` text format and JSON.

The ``.crn`` format, one statement per line, ``#`` starts a comment::

    # dsdcompile crn 1
    @input  sepal_length X0p X0m        # network input: name, + rail, - rail
    @output setosa Y0p Y0m              # network output: name, + rail, - rail
    @species M1_0 helper                # role of a species (default: intermediate)
    @species I1_0p hidden node=i1_0 rail=+
    @init I1_0p = 0.25                  # initial concentration (the biases)
    X0p -> I1_0p + I1_3m                # a reaction
    M1_0 + I1_0m -> H1_0m [k=2.5]       # with its own rate constant
    X3p -> 2 Y0p +  Y1m                 # stoichiometric coefficients precede the name
    H1_2p ->                            # no products
    0 -> Y1 [k=0.01]                    # a source reaction (no reactants)

Species names start with a letter or ``_`` and contain letters, digits and ``_``.
Species used in reactions need no declaration; ``@input``/``@output`` mark rails with
roles input/output and pair them into one dual-rail node (a single species: one rail).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species, as_stoich, format_side

FORMAT_HEADER = "# dsdcompile crn 1"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_TERM_RE = re.compile(rf"^(?:(\d+)\s*\*?\s*)?({_NAME})$")
_RATE_RE = re.compile(r"\[\s*k\s*=\s*([^\]]+)\]\s*$")
_ROLES = {r.value: r for r in Role}


def _fmt_float(v: float) -> str:
    return repr(float(v))


# ----------------------------------------------------------------------------- writing
def format_crn(crn: CRN, *, comments: Iterable[str] = ()) -> str:
    """The ``.crn`` text of a CRN (deterministic: same CRN, same bytes)."""
    lines = [FORMAT_HEADER]
    lines += [f"# {c}" for c in comments]
    for s in crn.species:
        extra = ""
        if s.node is not None:
            extra += f" node={s.node}"
        if s.rail:
            extra += f" rail={'+' if s.rail > 0 else '-'}"
        lines.append(f"@species {s.name} {s.role.value}{extra}")
    for kind, signals in (("@input", crn.inputs), ("@output", crn.outputs)):
        for sig in signals:
            lines.append(f"{kind} {_quote(sig.name)} {' '.join(sig.species)}")
    for name, v in crn.initial:
        lines.append(f"@init {name} = {_fmt_float(v)}")
    for r in crn.reactions:
        rate = "" if r.rate is None else f" [k={_fmt_float(r.rate)}]"
        lhs, rhs = format_side(r.reactants) or "0", format_side(r.products)
        lines.append(f"{lhs} -> {rhs}{rate}".rstrip() if rhs else f"{lhs} ->{rate}")
    return "\n".join(lines) + "\n"


def canonical_reactions(crn: CRN) -> list[str]:
    """The reactions as sorted text with each side in name order: equal for CRNs that differ only in order."""
    def side(stoich) -> str:
        return " + ".join(n if c == 1 else f"{c} {n}" for n, c in sorted(stoich))

    return sorted(f"{side(r.reactants) or '0'} -> {side(r.products)}".rstrip() for r in crn.reactions)


def _quote(name: str) -> str:
    return name if _NAME_RE.match(name) else json.dumps(name)


def write_crn(crn: CRN, path: str | Path, **kwargs) -> None:
    Path(path).write_text(format_crn(crn, **kwargs), encoding="utf-8")


# ----------------------------------------------------------------------------- reading
def parse_crn(text: str, *, path: str | None = None) -> CRN:
    """Parse ``.crn`` text; errors name the line and column."""
    species: dict[str, Species] = {}
    order: list[str] = []
    reactions: list[Reaction] = []
    initial: list[tuple[str, float]] = []
    inputs: list[Signal] = []
    outputs: list[Signal] = []

    def err(msg: str, lineno: int, col: int) -> InputError:
        return InputError(msg, path=path, line=lineno, column=col)

    def declare(name: str, lineno: int, col: int, **attrs) -> None:
        if not _NAME_RE.match(name):
            raise err(f"invalid species name {name!r}", lineno, col)
        if name not in species:
            order.append(name)
            species[name] = Species(name)
        if attrs:
            old = species[name]
            species[name] = Species(name, attrs.get("role", old.role), attrs.get("node", old.node),
                                    attrs.get("rail", old.rail))

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        col0 = len(line) - len(line.lstrip()) + 1
        stripped = line.strip()
        if stripped.startswith("@"):
            _parse_directive(stripped, lineno, col0, err, declare, species.get, initial, inputs, outputs)
            continue
        if "->" not in line:
            raise err("expected a reaction 'A + B -> C' or a directive (@input, @output, @species, @init)",
                      lineno, col0)
        rate = None
        m = _RATE_RE.search(line)
        if m:
            try:
                rate = float(m.group(1))
            except ValueError:
                raise err(f"rate constant {m.group(1).strip()!r} is not a number", lineno, m.start(1) + 1) from None
            if not rate > 0 or rate == float("inf"):
                raise err(f"rate constant must be positive and finite, got {m.group(1).strip()}", lineno,
                          m.start(1) + 1)
            line = line[: m.start()]
        arrow = line.index("->")
        if line.count("->") > 1:
            raise err("more than one '->' in a reaction", lineno, line.index("->", arrow + 1) + 1)
        sides = []
        for start, part in ((0, line[:arrow]), (arrow + 2, line[arrow + 2 :])):
            terms = {}
            if part.strip() and part.strip() not in ("0", "∅"):
                offset = start
                for term in part.split("+"):
                    col = offset + len(term) - len(term.lstrip()) + 1
                    tm = _TERM_RE.match(term.strip())
                    if not tm:
                        raise err(f"expected '[count] species', got {term.strip()!r}", lineno, col)
                    count = int(tm.group(1) or 1)
                    if count == 0:
                        raise err("stoichiometric coefficient 0", lineno, col)
                    declare(tm.group(2), lineno, col)
                    terms[tm.group(2)] = terms.get(tm.group(2), 0) + count
                    offset += len(term) + 1
            sides.append(terms)
        if not sides[0] and line[:arrow].strip() not in ("0", "∅"):
            raise err("a reaction needs at least one reactant (write '0 -> X' for a source reaction)",
                      lineno, col0)
        reactions.append(Reaction(as_stoich(sides[0]), as_stoich(sides[1]), rate))

    if not reactions:
        raise InputError("no reactions found", path=path)
    return CRN(tuple(species[n] for n in order), tuple(reactions), tuple(initial), tuple(inputs), tuple(outputs))


def _parse_directive(line, lineno, col0, err, declare, declared, initial, inputs, outputs) -> None:
    words = line.split()
    kind = words[0]
    if kind in ("@input", "@output"):
        rest = line[len(kind):].strip()
        if rest.startswith('"'):
            try:
                name, end = json.JSONDecoder().raw_decode(rest)
            except json.JSONDecodeError:
                raise err("unterminated quoted signal name", lineno, col0 + len(kind) + 1) from None
            tail = rest[end:].split()
        else:
            parts = rest.split()
            name, tail = (parts[0] if parts else ""), parts[1:]
        if not name or len(tail) not in (1, 2):
            raise err(f"expected '{kind} NAME PLUS [MINUS]'", lineno, col0)
        role = Role.INPUT if kind == "@input" else Role.OUTPUT
        node = ("x:" if kind == "@input" else "y:") + name
        for rail_name, rail in zip(tail, (1, -1) if len(tail) == 2 else (0,)):
            known = declared(rail_name)
            if rail == 0 or (known is not None and known.node is not None):
                declare(rail_name, lineno, col0, role=role)
            else:
                declare(rail_name, lineno, col0, role=role, node=node, rail=rail)
        (inputs if kind == "@input" else outputs).append(Signal(name, *tail))
    elif kind == "@species":
        if len(words) < 3 or words[2] not in _ROLES:
            raise err(f"expected '@species NAME ROLE [node=N] [rail=+|-]' with ROLE one of "
                      f"{', '.join(_ROLES)}", lineno, col0)
        attrs = {"role": _ROLES[words[2]]}
        for w in words[3:]:
            key, _, val = w.partition("=")
            if key == "node" and val:
                attrs["node"] = val
            elif key == "rail" and val in ("+", "-"):
                attrs["rail"] = 1 if val == "+" else -1
            else:
                raise err(f"unknown species attribute {w!r}", lineno, line.index(w) + col0)
        declare(words[1], lineno, col0, **attrs)
    elif kind == "@init":
        m = re.match(rf"^@init\s+({_NAME})\s*=\s*(\S+)$", line)
        if not m:
            raise err("expected '@init NAME = VALUE'", lineno, col0)
        try:
            value = float(m.group(2))
        except ValueError:
            raise err(f"initial concentration {m.group(2)!r} is not a number", lineno, m.start(2) + col0) from None
        if not (value >= 0 and value != float("inf")):
            raise err(f"initial concentration must be finite and >= 0, got {m.group(2)}", lineno, m.start(2) + col0)
        declare(m.group(1), lineno, col0)
        initial.append((m.group(1), value))
    else:
        raise err(f"unknown directive {kind!r}", lineno, col0)


def read_crn(path: str | Path) -> CRN:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except UnicodeDecodeError:
        raise InputError("not a text file", path=str(p)) from None
    return parse_crn(text, path=str(p))


# ----------------------------------------------------------------------------- JSON
def crn_to_json(crn: CRN) -> dict:
    return {
        "format": "dsdcompile-crn",
        "version": 1,
        "species": [
            {"name": s.name, "role": s.role.value, "node": s.node, "rail": s.rail} for s in crn.species
        ],
        "reactions": [
            {"reactants": [[n, c] for n, c in r.reactants], "products": [[n, c] for n, c in r.products],
             "rate": r.rate}
            for r in crn.reactions
        ],
        "initial": [[n, v] for n, v in crn.initial],
        "inputs": [[s.name, s.plus, s.minus] for s in crn.inputs],
        "outputs": [[s.name, s.plus, s.minus] for s in crn.outputs],
    }


def crn_from_json(data: dict, *, path: str | None = None) -> CRN:
    if not isinstance(data, dict) or data.get("format") != "dsdcompile-crn":
        raise InputError("not a dsdcompile CRN JSON file (missing \"format\": \"dsdcompile-crn\")", path=path)
    try:
        species = tuple(Species(s["name"], Role(s["role"]), s.get("node"), int(s.get("rail", 0)))
                        for s in data["species"])
        reactions = tuple(
            Reaction(tuple((n, int(c)) for n, c in r["reactants"]), tuple((n, int(c)) for n, c in r["products"]),
                     None if r.get("rate") is None else float(r["rate"]))
            for r in data["reactions"]
        )
        initial = tuple((n, float(v)) for n, v in data.get("initial", []))
        inputs = tuple(Signal(*s) for s in data.get("inputs", []))
        outputs = tuple(Signal(*s) for s in data.get("outputs", []))
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"malformed CRN JSON: {e}", path=path) from None
    return CRN(species, reactions, initial, inputs, outputs)


def write_crn_json(crn: CRN, path: str | Path) -> None:
    Path(path).write_text(json.dumps(crn_to_json(crn), indent=1) + "\n", encoding="utf-8")


def read_crn_json(path: str | Path) -> CRN:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"invalid JSON: {e}", path=str(p)) from None
    return crn_from_json(data, path=str(p))
