"""The rules every CRN file meets, text and JSON alike (:func:`validate_crn`), and the limits they use."""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Callable, Iterable

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species
from dsdcompile.names import MAX_NAME_CHARS, name_problem

FORMAT_HEADER = "# dsdcompile crn 1"
MAX_COEFFICIENT = 10**6
"""The largest stoichiometric coefficient a CRN file may hold (text and JSON alike)."""
MAX_CRN_FILE_BYTES = 512 * 2**20
"""The largest CRN file read (512 MiB, about 80 times the MNIST design's formal.crn)."""
SNIFF_BYTES = 64 * 2**10
"""How much of a file :func:`crn_file_kind` reads to tell a CRN from a model file."""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME_RE = re.compile(rf"{_NAME}\Z")
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(rf"{_NUMBER}\Z")
_TERM_RE = re.compile(rf"(?:([0-9]+)\s*\*?\s*)?({_NAME})\Z")
_ARROW_RE = re.compile(r"<=>|->")
_RATE_BLOCK_RE = re.compile(r"\[([^\[\]]*)\]\s*\Z")
_INIT_RE = re.compile(rf"@init\s+({_NAME})\s*=\s*(\S+)\s*\Z")
_CONC_RE = re.compile(rf"({_NAME})\s*@\s*(initial|i|constant|c)\s*(\S+)\s*\Z")
_DIRECTIVE_RE = re.compile(r"@(?:input|output|species|init)(?![A-Za-z0-9_])")
_BARE_LABEL_RE = re.compile(r"[!$-:<-~]+\Z")  # printable ASCII except space " # ;
_ROLES = {r.value: r for r in Role}
_EMPTY_SIDES = ("", "0", "∅")
_FORWARD_KEYS, _REVERSE_KEYS = ("kf", "fw"), ("kr", "bw", "rv")
_MAGIC = ((b"PK\x03\x04", "zip archive (a torch model file?)"), (b"PK\x05\x06", "zip archive"),
          (b"\x1f\x8b", "gzip file"), (b"\x93NUMPY", "numpy file"), (b"\x89HDF", "HDF5 file"))


def _cut(text: str, n: int = 40) -> str:
    """Text from a file for an error message, cut to about n characters."""
    return text if len(text) <= n else f"{text[:n]}… ({len(text)} characters)"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40
_REPR.maxlevel = 3


def _short(value: object) -> str:
    """A value for an error message: its repr (one line), cut in length and depth, whatever the value."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"an integer of about {int(abs(value).bit_length() * math.log10(2)):,} digits"  # str() would refuse
    try:
        return _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real problem
        return f"a {type(value).__name__}"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond any float
        return math.inf


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"species name must be a string, got {_short(name)}"
    if not _NAME_RE.match(name):
        return (f"invalid species name {_short(name)} (names start with a letter or '_' and hold "
                f"letters, digits and '_')")
    return None


def _count_problem(count: object) -> str | None:
    if type(count) is not int:  # not bool, and the same test as the fast paths in the readers
        return f"stoichiometric coefficient must be a whole number, got {_short(count)}"
    if count < 1:
        return f"stoichiometric coefficient must be at least 1, got {_short(count)}"
    if count > MAX_COEFFICIENT:
        return f"stoichiometric coefficient {_short(count)} is above the limit of {MAX_COEFFICIENT:,}"
    return None


def _rate_problem(rate: object) -> str | None:
    if not _is_number(rate):
        return f"rate constant must be a number, got {_short(rate)}"
    if not (_as_float(rate) > 0 and math.isfinite(_as_float(rate))):
        return f"rate constant must be positive and finite, got {_short(rate)}"
    return None


def _concentration_problem(value: object) -> str | None:
    if not _is_number(value):
        return f"initial concentration must be a number, got {_short(value)}"
    if not (_as_float(value) >= 0 and math.isfinite(_as_float(value))):
        return f"initial concentration must be finite and >= 0, got {_short(value)}"
    return None


def _label_problem(label: object, what: str) -> str | None:
    """Signal names and node labels: text that meets the rule of every user-given name (:mod:`dsdcompile.names`)."""
    if not isinstance(label, str) or not label:
        return f"{what} must be a non-empty string, got {_short(label)}"
    # a dual-rail signal's node is "x:NAME" or "y:NAME", two characters longer than the name
    problem = name_problem(label, max_chars=MAX_NAME_CHARS + (2 if what == "node" else 0))
    return None if problem is None else f"{what} {problem}"


def _apply_signals(species: dict[str, Species], inputs: Iterable[Signal], outputs: Iterable[Signal],
                   fail: Callable[[str, Signal], InputError]) -> None:
    """Give every signal's rails their role (and a dual-rail node where they have none), in place.

    Both readers end with this, so a CRN read from text and from JSON mean the same, and the
    text :func:`format_crn` writes (``@species`` lines, then signals) reads back unchanged.
    """
    owner: dict[str, Signal] = {}
    for role, prefix, signals in ((Role.INPUT, "x:", inputs), (Role.OUTPUT, "y:", outputs)):
        for sig in signals:
            if sig.minus is not None and sig.minus == sig.plus:
                raise fail(f"signal {_short(sig.name)} has the same species {sig.plus!r} on both rails", sig)
            for name, rail in zip(sig.species, (1, -1) if sig.minus is not None else (0,)):
                if name in owner:
                    raise fail(f"species {name!r} is a rail of two signals, {_short(owner[name].name)} and "
                               f"{_short(sig.name)}", sig)
                owner[name] = sig
                old = species.get(name)
                if old is None:
                    raise fail(f"signal {_short(sig.name)} names undeclared species {name!r}", sig)
                if rail and old.node is None:
                    species[name] = Species(name, role, prefix + sig.name, rail)
                elif old.role is not role:
                    species[name] = Species(name, role, old.node, old.rail)


def _reaction_text(r: Reaction) -> str:
    try:
        return _cut(str(r), 60)
    except ValueError:  # a coefficient too long to print
        return "with a huge coefficient"


def validate_crn(crn: CRN, *, path: str | None = None) -> CRN:
    """Check a CRN against the rules every CRN file must meet; return it, or raise InputError.

    The text and JSON readers call this last; call it on any CRN built from user data.
    """
    def fail(msg: str) -> InputError:
        return InputError(msg, path=path)

    if not crn.reactions:
        raise fail("no reactions found")
    for s in crn.species:
        problem = _name_problem(s.name) or (None if s.node is None else _label_problem(s.node, "node"))
        if problem is None and not isinstance(s.role, Role):
            problem = f"role must be one of {', '.join(_ROLES)}, got {_short(s.role)}"
        if problem is None and (type(s.rail) is not int or s.rail not in (-1, 0, 1)):
            problem = f"rail must be -1, 0 or 1, got {_short(s.rail)}"
        if problem:
            raise fail(f"species {_short(s.name)}: {problem}")
    for k, r in enumerate(crn.reactions, start=1):
        problem = None if r.rate is None else _rate_problem(r.rate)
        for side in (r.reactants, r.products):
            for _, count in side:
                if type(count) is not int or not 0 < count <= MAX_COEFFICIENT:  # _count_problem's test, inlined
                    problem = problem or _count_problem(count)
            if len({name for name, _ in side}) != len(side):
                problem = problem or "a species appears twice on one side"
        if not r.reactants and not r.products:
            problem = problem or "a reaction needs reactants or products"
        if problem:
            raise fail(f"reaction {k} ({_reaction_text(r)}): {problem}")
    for name, value in crn.initial:
        problem = _concentration_problem(value)
        if problem:
            raise fail(f"species {name!r}: {problem}")
    for sig in crn.inputs + crn.outputs:
        problem = _label_problem(sig.name, "signal name")
        if problem:
            raise fail(problem)
    # the readers' _apply_signals leaves nothing to change on a valid CRN: run it on a copy and compare
    species = {s.name: s for s in crn.species}

    def fail_signal(msg: str, sig: Signal) -> InputError:
        return fail(msg)

    _apply_signals(species, crn.inputs, crn.outputs, fail_signal)
    for s in crn.species:
        want = species[s.name]
        if want != s:
            needs = [f"role {want.role.value} (it has {s.role.value})"] if want.role is not s.role else []
            needs += ["a node (it is a rail of a dual-rail signal)"] if want.node != s.node else []
            raise fail(f"species {s.name!r} is a signal rail and needs {' and '.join(needs)}")
    return crn
