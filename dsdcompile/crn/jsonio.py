"""CRN JSON (``"format": "dsdcompile-crn"``): writing and reading, numbers and nesting guarded."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

from dsdcompile.crn.rules import (
    _ROLES,
    MAX_COEFFICIENT,
    _apply_signals,
    _as_float,
    _concentration_problem,
    _count_problem,
    _cut,
    _label_problem,
    _name_problem,
    _rate_problem,
    _short,
    validate_crn,
)
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Signal, Species
from dsdcompile.runtime.resources import loads_untrusted_json


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


def crn_from_json(data: object, *, path: str | None = None) -> CRN:
    """A CRN from the data of a CRN JSON file, under the same rules as the text reader."""
    if not isinstance(data, dict) or data.get("format") != "dsdcompile-crn":
        raise InputError("not a dsdcompile CRN JSON file (missing \"format\": \"dsdcompile-crn\")", path=path)
    read = _Reader(data, path)
    if data.get("version", 1) != 1 or type(data.get("version", 1)) is not int:
        raise read.fail("version", f"unsupported CRN JSON version {_short(data.get('version'))} (this reads 1)")
    species = read.species()
    reactions = read.reactions(species)
    initial = read.initial(species)
    signals, where_of = read.signals()
    _apply_signals(species, signals["inputs"], signals["outputs"],
                   lambda msg, sig: read.fail(where_of[id(sig)], msg))
    try:
        crn = CRN(tuple(species.values()), tuple(reactions), tuple(initial), tuple(signals["inputs"]),
                  tuple(signals["outputs"]))
    except InputError as e:
        raise InputError(e.message, path=path) from None
    return validate_crn(crn, path=path)


class _Reader:
    """The sections of one CRN JSON document, each checked as it is read; errors name the entry and the file."""

    def __init__(self, data: dict, path: str | None) -> None:
        self.data = data
        self.path = path

    def fail(self, where: str, msg: str) -> InputError:
        return InputError(f"{where}: {msg}", path=self.path)

    def items(self, key: str, required: bool = False) -> list:
        value = self.data.get(key, None if required else [])
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_short(value)}")
        return value

    def entry(self, value: object, where: str, sizes: tuple[int, ...]) -> list:
        if type(value) is not list or len(value) not in sizes:
            raise self.fail(where, f"expected a list of {' or '.join(map(str, sizes))} items, got {_short(value)}")
        return value

    def check(self, problem: str | None, where: str) -> None:
        if problem:
            raise self.fail(where, problem)

    def species(self) -> dict[str, Species]:
        species: dict[str, Species] = {}
        listed = self.items("species", required=True)
        for i, s in enumerate(listed):
            where = f"species[{i}]"
            if not isinstance(s, dict):
                raise self.fail(where, f"expected an object, got {_short(s)}")
            name, role, node, rail = s.get("name"), s.get("role"), s.get("node"), s.get("rail", 0)
            self.check(_name_problem(name), where)
            if not isinstance(role, str) or role not in _ROLES:
                raise self.fail(where, f"role must be one of {', '.join(_ROLES)}, got {_short(role)}")
            self.check(None if node is None else _label_problem(node, "node"), where)
            if type(rail) is not int or rail not in (-1, 0, 1):
                raise self.fail(where, f"rail must be -1, 0 or 1, got {_short(rail)}")
            species[name] = Species(name, _ROLES[role], node, rail)
        if len(species) != len(listed):
            dup = sorted(n for n, c in Counter(s["name"] for s in listed).items() if c > 1)[:5]
            raise InputError(f"duplicate species names: {', '.join(dup)}", path=self.path)
        return species

    def reactions(self, species: dict[str, Species]) -> list[Reaction]:
        reactions = []
        for i, r in enumerate(self.items("reactions", required=True)):
            where = f"reactions[{i}]"
            if not isinstance(r, dict):
                raise self.fail(where, f"expected an object, got {_short(r)}")
            sides = [self._side(r.get(key), f"{where}.{key}", species) for key in ("reactants", "products")]
            rate = r.get("rate")
            self.check(None if rate is None else _rate_problem(rate), f"{where}.rate")
            reactions.append(Reaction(sides[0], sides[1], None if rate is None else _as_float(rate)))
        return reactions

    def _side(self, side: object, where: str, species: dict[str, Species]) -> tuple[tuple[str, int], ...]:
        terms: dict[str, int] = {}
        if not isinstance(side, list):
            raise self.fail(where, f"expected a list, got {_short(side)}")
        for j, term in enumerate(side):
            if type(term) is not list or len(term) != 2:
                self.entry(term, f"{where}[{j}]", (2,))  # raises
            name, count = term
            if type(name) is not str or name not in species:  # declared names were checked above
                raise self.fail(f"{where}[{j}]", _name_problem(name) or f"undeclared species {name!r}")
            if type(count) is not int or not 0 < count <= MAX_COEFFICIENT:  # _count_problem's test, inlined
                raise self.fail(f"{where}[{j}]", _count_problem(count))
            if name in terms:
                terms[name] += count
                self.check(_count_problem(terms[name]), f"{where}[{j}]")
            else:
                terms[name] = count
        return tuple(terms.items())

    def initial(self, species: dict[str, Species]) -> list[tuple[str, float]]:
        initial = []
        for i, pair in enumerate(self.items("initial")):
            name, value = self.entry(pair, f"initial[{i}]", (2,))
            self.check(_name_problem(name) or _concentration_problem(value), f"initial[{i}]")
            if name not in species:
                raise self.fail(f"initial[{i}]", f"undeclared species {name!r}")
            initial.append((name, _as_float(value)))
        return initial

    def signals(self) -> tuple[dict[str, list[Signal]], dict[int, str]]:
        """(inputs and outputs, where each signal was listed: by its id)."""
        signals: dict[str, list[Signal]] = {}
        where_of: dict[int, str] = {}
        for key in ("inputs", "outputs"):
            signals[key] = []
            for i, triple in enumerate(self.items(key)):
                where = f"{key}[{i}]"
                name, plus, *minus = self.entry(triple, where, (2, 3))
                minus = minus[0] if minus else None
                self.check(_label_problem(name, "signal name"), where)
                for rail in (plus,) if minus is None else (plus, minus):
                    self.check(_name_problem(rail), where)
                sig = Signal(name, plus, minus)
                where_of[id(sig)] = where
                signals[key].append(sig)
        return signals, where_of


class _BadNumber(Exception):
    """A JSON number this reader will not turn into a Python number."""


def _json_int(text: str) -> int:
    if len(text) > 300:  # larger than any float: nothing in a CRN file can need it
        raise _BadNumber(f"integer with {len(text)} digits")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"number {_cut(text)} is out of range")
    return value


def _json_constant(text: str) -> float:
    raise _BadNumber(f"{text} is not a number")


def _loads(text: str, path: str | None) -> object:
    try:
        return loads_untrusted_json(text, parse_int=_json_int, parse_float=_json_float,
                                    parse_constant=_json_constant)
    except _BadNumber as e:
        raise InputError(f"invalid JSON: {e}", path=path) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=path) from None
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", path=path, line=e.lineno, column=e.colno) from None


def write_crn_json(crn: CRN, path: str | Path) -> None:
    Path(path).write_text(json.dumps(crn_to_json(crn), indent=1) + "\n", encoding="utf-8")
