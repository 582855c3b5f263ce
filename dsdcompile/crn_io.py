"""Reading, checking and writing CRNs: the ``.crn`` text format (a superset of nuskell's) and JSON.

The ``.crn`` format: statements one per line or separated by ``;``, ``#`` starts a comment::

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
    0 -> Y1 [k=0.01]                    # a source reaction ('-> Y1' and '∅ -> Y1' too)

nuskell's CRN syntax is read as written: ``A + B <=> C`` is two reactions (``A + B -> C`` and
``C -> A + B``) whose rates are ``[kf = 1, kr = 2]`` (also ``fw``/``bw``/``rv`` or ``[1, 2]``);
``[k = 1.5]`` or ``[1.5]`` on ``->``; ``2A`` and ``2 A`` (and ``2*A``) are coefficients; an empty
side is ``∅`` (``-> A``, ``A ->``); several statements share a line with ``;``; ``A @initial 5``
(or ``@i``) sets an initial concentration like ``@init A = 5``, in the CRN's own units (nuskell
reads nM); ``@constant`` concentrations are refused.

Species names start with an ASCII letter or ``_`` and hold ASCII letters, digits and ``_``
(nuskell's names are the subset starting with a letter). Signal names and ``node=`` values that
are not plain words are written as JSON strings (``@input "sepal length" X0p X0m``,
``node="x:sepal length"``). Species need no declaration; ``@input``/``@output`` make their rails
input/output species and pair two rails into one dual-rail node, whatever ``@species`` says; a
species is a rail of at most one signal. Repeated ``@init`` lines for a species add up.

Both readers (text and JSON) apply one set of rules (:func:`validate_crn`): at least one reaction,
no reaction without reactants and products, coefficients whole numbers from 1 to
:data:`MAX_COEFFICIENT`, rate constants positive and finite, initial concentrations finite and
>= 0, valid names. Whatever they accept, :func:`format_crn` writes as text that parses back to the
same CRN. Files are read only if they are regular files of at most :data:`MAX_CRN_FILE_BYTES`
(FIFOs, devices and directories are refused before anything is read), and
:func:`read_crn_file` tells text from JSON by content, not by extension.
"""

from __future__ import annotations

import json
import math
import os
import re
import reprlib
import stat
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species, format_side

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


# ----------------------------------------------------------------------------- rules
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
    """Signal names and node labels: any non-empty text without control characters."""
    if not isinstance(label, str) or not label:
        return f"{what} must be a non-empty string, got {_short(label)}"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in label):
        return f"{what} {_short(label)} holds a control character"
    return None


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


# ----------------------------------------------------------------------------- writing
def format_crn(crn: CRN, *, comments: Iterable[str] = ()) -> str:
    """The ``.crn`` text of a CRN (deterministic: same CRN, same bytes)."""
    lines = [FORMAT_HEADER]
    lines += [f"# {line}" for c in comments for line in (str(c).splitlines() or [""])]
    for s in crn.species:
        extra = ""
        if s.node is not None:
            extra += f" node={s.node if _BARE_LABEL_RE.match(s.node) else json.dumps(s.node)}"
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


def _fmt_float(v: float) -> str:
    return repr(float(v))


def canonical_reactions(crn: CRN) -> list[str]:
    """The reactions as sorted text with each side in name order: equal for CRNs that differ only in order."""
    def side(stoich) -> str:
        return " + ".join(n if c == 1 else f"{c} {n}" for n, c in sorted(stoich))

    return sorted(f"{side(r.reactants) or '0'} -> {side(r.products)}".rstrip() for r in crn.reactions)


def _quote(name: str) -> str:
    return name if _NAME_RE.match(name) else json.dumps(name)


def write_crn(crn: CRN, path: str | Path, **kwargs) -> None:
    Path(path).write_text(format_crn(crn, **kwargs), encoding="utf-8")


# ----------------------------------------------------------------------------- reading text
def _statements(line: str) -> list[tuple[int, str]]:
    """The ``;``-separated statements of a line without its comment, each with its 0-based column.

    ``#`` and ``;`` inside a quoted (JSON) string belong to the string.
    """
    if '"' not in line:
        line = line.split("#", 1)[0]
        if ";" not in line:
            return [(0, line)]
        out, pos = [], 0
        for part in line.split(";"):
            out.append((pos, part))
            pos += len(part) + 1
        return out
    out, start, i, n, quoted = [], 0, 0, len(line), False
    while i < n:
        ch = line[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "#":
            break
        elif ch == ";":
            out.append((start, line[start:i]))
            start = i + 1
        i += 1
    out.append((start, line[start:min(i, n)]))
    return out


_DECODER = json.JSONDecoder()


def _words(stmt: str) -> list[tuple[str, int]]:
    """The whitespace-separated words of a directive with their 0-based columns; ``"..."`` parts are JSON strings.

    Raises ValueError with the column of a quoted string that does not decode.
    """
    out, i, n = [], 0, len(stmt)
    while i < n:
        if stmt[i].isspace():
            i += 1
            continue
        start, parts = i, []
        while i < n and not stmt[i].isspace():
            if stmt[i] == '"':
                try:
                    text, i = _DECODER.raw_decode(stmt, i)
                except json.JSONDecodeError:
                    raise ValueError(i) from None
                parts.append(text)
            else:
                j = i
                while j < n and not stmt[j].isspace() and stmt[j] != '"':
                    j += 1
                parts.append(stmt[i:j])
                i = j
        out.append(("".join(parts), start))
    return out


class _TextReader:
    """The state of one parse_crn call: species in order of appearance, reactions, initial values, signals."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.species: dict[str, Species] = {}
        self.reactions: list[Reaction] = []
        self.initial: list[tuple[str, float]] = []
        self.signals: dict[str, list[tuple[Signal, int, int]]] = {"@input": [], "@output": []}
        self.lineno = 0

    def err(self, msg: str, col: int, lineno: int | None = None) -> InputError:
        return InputError(msg, path=self.path, line=self.lineno if lineno is None else lineno, column=col)

    def declare(self, name: str, col: int) -> None:
        if name not in self.species:
            problem = _name_problem(name)
            if problem:
                raise self.err(problem, col)
            self.species[name] = Species(name)

    def number(self, text: str, what: str, col: int) -> float:
        if not _NUMBER_RE.match(text):
            raise self.err(f"{what} {_short(text)} is not a number", col)
        return float(text)

    # -- statements -----------------------------------------------------------------------
    def statement(self, stmt: str, col: int) -> None:
        """Parse one statement; ``col`` is the 1-based column of its first character."""
        if stmt.startswith("@"):
            self.directive(stmt, col)
        elif "@" in stmt:
            self.concentration(stmt, col)
        else:
            self.reaction(stmt, col)

    def reaction(self, stmt: str, col: int) -> None:
        arrows = list(_ARROW_RE.finditer(stmt))
        if not arrows:
            raise self.err("expected a reaction 'A + B -> C' (or 'A <=> B') or a directive "
                           "(@input, @output, @species, @init)", col)
        if len(arrows) > 1:
            raise self.err("more than one '->' or '<=>' in a reaction", col + arrows[1].start())
        arrow = arrows[0]
        reversible = arrow.group() == "<=>"
        lhs, rhs = stmt[:arrow.start()], stmt[arrow.end():]
        rates: tuple[float | None, float | None] = (None, None)
        bracket = rhs.find("[")
        if bracket >= 0:
            m = _RATE_BLOCK_RE.match(rhs, bracket)
            if not m:
                raise self.err("expected the rate constants '[k = VALUE]' at the end of the reaction",
                               col + arrow.end() + bracket)
            rates = self.rates(m.group(1), reversible, col + arrow.end() + m.start(1))
            rhs = rhs[:bracket]
        reactants = self.side(lhs, col)
        products = self.side(rhs, col + arrow.end())
        if not reactants and not products:
            raise self.err("a reaction needs reactants or products ('0 -> A', 'A ->')", col)
        self.reactions.append(Reaction(tuple(reactants.items()), tuple(products.items()), rates[0]))
        if reversible:
            self.reactions.append(Reaction(tuple(products.items()), tuple(reactants.items()), rates[1]))

    def side(self, text: str, col: int) -> dict[str, int]:
        terms: dict[str, int] = {}
        if text.strip() in _EMPTY_SIDES:
            return terms
        offset = 0
        for term in text.split("+"):
            tcol = col + offset + len(term) - len(term.lstrip())
            offset += len(term) + 1
            m = _TERM_RE.match(term.strip())
            if not m:
                raise self.err(f"expected '[count] species', got {_short(term.strip())}", tcol)
            count = 1
            if m.group(1) is not None:
                digits = m.group(1).lstrip("0")
                if not digits:
                    raise self.err("stoichiometric coefficient must be at least 1, got 0", tcol)
                if len(digits) > len(str(MAX_COEFFICIENT)) or int(digits) > MAX_COEFFICIENT:
                    raise self.err(f"stoichiometric coefficient {_cut(digits)} is above the limit of "
                                   f"{MAX_COEFFICIENT:,}", tcol)
                count = int(digits)
            name = m.group(2)
            self.declare(name, tcol)
            terms[name] = terms.get(name, 0) + count
            if terms[name] > MAX_COEFFICIENT:
                raise self.err(f"species {name!r} appears {terms[name]:,} times, above the limit of "
                               f"{MAX_COEFFICIENT:,}", tcol)
        return terms

    def rates(self, body: str, reversible: bool, col: int) -> tuple[float | None, float | None]:
        """The rate constants in ``[...]``: (forward, reverse); reverse is None for '->'."""
        usage = "[kf = VALUE, kr = VALUE]" if reversible else "[k = VALUE]"
        keyed: dict[int, float] = {}
        positional: list[float] = []
        offset = 0
        for item in body.split(","):
            icol = col + offset + len(item) - len(item.lstrip())
            vcol = col + offset
            offset += len(item) + 1
            key, eq, value = item.partition("=")
            if eq:
                vcol += len(key) + 1
            else:
                key, value = "", key
            vcol += len(value) - len(value.lstrip())
            key, value = key.strip(), value.strip()
            slot = None
            if eq:
                slot = (0 if key in _FORWARD_KEYS else 1 if key in _REVERSE_KEYS else None) if reversible \
                    else (0 if key == "k" else None)
                if slot is None:
                    raise self.err(f"unknown rate {_short(key)}: a '{'<=>' if reversible else '->'}' reaction "
                                   f"takes {usage}", icol)
                if slot in keyed:
                    raise self.err(f"rate {key!r} given twice", icol)
            number = self.number(value, "rate constant", vcol)
            if _rate_problem(number):
                raise self.err(f"rate constant must be positive and finite, got {_cut(value)}", vcol)
            if slot is None:
                positional.append(number)
                continue
            keyed[slot] = number
        if positional and keyed:
            raise self.err(f"expected {usage}", col)
        if positional:
            if len(positional) != (2 if reversible else 1):
                raise self.err(f"expected {usage} or {'[VALUE, VALUE]' if reversible else '[VALUE]'}", col)
            return (positional[0], positional[1] if reversible else None)
        return keyed.get(0), keyed.get(1)

    def concentration(self, stmt: str, col: int) -> None:
        """nuskell's ``A @initial 5`` (or ``@i``); ``@constant`` has no meaning here."""
        m = _CONC_RE.match(stmt)
        if not m:
            raise self.err("expected a reaction, a directive, or 'NAME @initial VALUE'", col)
        if m.group(2).startswith("c"):
            raise self.err("constant concentrations ('@constant') are not supported; give an initial "
                           "concentration with '@initial' or '@init NAME = VALUE'", col + m.start(2))
        self.init(m.group(1), m.group(3), col, col + m.start(3))

    def init(self, name: str, text: str, col: int, vcol: int) -> None:
        value = self.number(text, "initial concentration", vcol)
        if _concentration_problem(value):
            raise self.err(f"initial concentration must be finite and >= 0, got {_cut(text)}", vcol)
        self.declare(name, col)
        self.initial.append((name, value))

    def directive(self, stmt: str, col: int) -> None:
        try:
            words = _words(stmt)
        except ValueError as e:
            raise self.err("unterminated quoted name", col + e.args[0]) from None
        kind = words[0][0]
        if kind in ("@input", "@output"):
            if len(words) not in (3, 4):
                raise self.err(f"expected '{kind} NAME PLUS [MINUS]'", col)
            name = words[1][0]
            problem = _label_problem(name, "signal name")
            if problem:
                raise self.err(problem, col + words[1][1])
            for rail, rcol in words[2:]:
                self.declare(rail, col + rcol)
            sig = Signal(name, words[2][0], words[3][0] if len(words) == 4 else None)
            self.signals[kind].append((sig, self.lineno, col))
        elif kind == "@species":
            if len(words) < 3 or words[2][0] not in _ROLES:
                raise self.err(f"expected '@species NAME ROLE [node=N] [rail=+|-]' with ROLE one of "
                               f"{', '.join(_ROLES)}", col)
            name, role = words[1][0], _ROLES[words[2][0]]
            node, rail = None, 0
            for word, wcol in words[3:]:
                key, _, val = word.partition("=")
                if key == "node" and not _label_problem(val, "node"):
                    node = val
                elif key == "rail" and val in ("+", "-"):
                    rail = 1 if val == "+" else -1
                else:
                    raise self.err(f"unknown species attribute {_short(word)}", col + wcol)
            self.declare(name, col + words[1][1])
            self.species[name] = Species(name, role, node, rail)
        elif kind == "@init":
            m = _INIT_RE.match(stmt)
            if not m:
                raise self.err("expected '@init NAME = VALUE'", col)
            self.init(m.group(1), m.group(2), col, col + m.start(2))
        else:
            raise self.err(f"unknown directive {_short(kind)}", col)

    # -- the whole text -------------------------------------------------------------------
    def finish(self) -> CRN:
        if not self.reactions:
            raise InputError("no reactions found", path=self.path)

        def fail(msg: str, sig: Signal) -> InputError:
            where = next((lc for kind in self.signals for s, *lc in self.signals[kind] if s is sig), (None, None))
            return self.err(msg, where[1], where[0])

        _apply_signals(self.species, [s for s, *_ in self.signals["@input"]],
                       [s for s, *_ in self.signals["@output"]], fail)
        crn = CRN(tuple(self.species.values()), tuple(self.reactions), tuple(self.initial),
                  tuple(s for s, *_ in self.signals["@input"]), tuple(s for s, *_ in self.signals["@output"]))
        return validate_crn(crn, path=self.path)


def parse_crn(text: str, *, path: str | None = None) -> CRN:
    """Parse ``.crn`` text (dsdcompile's or nuskell's syntax); errors name the line and column."""
    reader = _TextReader(path)
    text = text.removeprefix("\ufeff")
    for lineno, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        reader.lineno = lineno
        if not line or line.isspace() or line.lstrip().startswith("#"):
            continue
        for start, stmt in _statements(line):
            lead = len(stmt) - len(stmt.lstrip())
            stmt = stmt.strip()
            if stmt:
                reader.statement(stmt, start + lead + 1)
    return reader.finish()


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


def crn_from_json(data: object, *, path: str | None = None) -> CRN:
    """A CRN from the data of a CRN JSON file, under the same rules as the text reader."""
    if not isinstance(data, dict) or data.get("format") != "dsdcompile-crn":
        raise InputError("not a dsdcompile CRN JSON file (missing \"format\": \"dsdcompile-crn\")", path=path)

    def fail(where: str, msg: str) -> InputError:
        return InputError(f"{where}: {msg}", path=path)

    def items(key: str, required: bool = False) -> list:
        value = data.get(key, None if required else [])
        if not isinstance(value, list):
            raise fail(key, f"expected a list, got {_short(value)}")
        return value

    def entry(value: object, where: str, sizes: tuple[int, ...]) -> list:
        if type(value) is not list or len(value) not in sizes:
            raise fail(where, f"expected a list of {' or '.join(map(str, sizes))} items, got {_short(value)}")
        return value

    def check(problem: str | None, where: str) -> None:
        if problem:
            raise fail(where, problem)

    if data.get("version", 1) != 1 or type(data.get("version", 1)) is not int:
        raise fail("version", f"unsupported CRN JSON version {_short(data.get('version'))} (this reads 1)")
    species: dict[str, Species] = {}
    listed = items("species", required=True)
    for i, s in enumerate(listed):
        where = f"species[{i}]"
        if not isinstance(s, dict):
            raise fail(where, f"expected an object, got {_short(s)}")
        name, role, node, rail = s.get("name"), s.get("role"), s.get("node"), s.get("rail", 0)
        check(_name_problem(name), where)
        if not isinstance(role, str) or role not in _ROLES:
            raise fail(where, f"role must be one of {', '.join(_ROLES)}, got {_short(role)}")
        check(None if node is None else _label_problem(node, "node"), where)
        if type(rail) is not int or rail not in (-1, 0, 1):
            raise fail(where, f"rail must be -1, 0 or 1, got {_short(rail)}")
        species[name] = Species(name, _ROLES[role], node, rail)
    if len(species) != len(listed):
        dup = sorted(n for n, c in Counter(s["name"] for s in listed).items() if c > 1)[:5]
        raise InputError(f"duplicate species names: {', '.join(dup)}", path=path)

    reactions = []
    for i, r in enumerate(items("reactions", required=True)):
        where = f"reactions[{i}]"
        if not isinstance(r, dict):
            raise fail(where, f"expected an object, got {_short(r)}")
        sides = []
        for key in ("reactants", "products"):
            terms: dict[str, int] = {}
            side = r.get(key)
            if not isinstance(side, list):
                raise fail(f"{where}.{key}", f"expected a list, got {_short(side)}")
            for j, term in enumerate(side):
                if type(term) is not list or len(term) != 2:
                    entry(term, f"{where}.{key}[{j}]", (2,))  # raises
                name, count = term
                if type(name) is not str or name not in species:  # declared names were checked above
                    raise fail(f"{where}.{key}[{j}]", _name_problem(name) or f"undeclared species {name!r}")
                if type(count) is not int or not 0 < count <= MAX_COEFFICIENT:  # _count_problem's test, inlined
                    raise fail(f"{where}.{key}[{j}]", _count_problem(count))
                if name in terms:
                    terms[name] += count
                    check(_count_problem(terms[name]), f"{where}.{key}[{j}]")
                else:
                    terms[name] = count
            sides.append(tuple(terms.items()))
        rate = r.get("rate")
        check(None if rate is None else _rate_problem(rate), f"{where}.rate")
        reactions.append(Reaction(sides[0], sides[1], None if rate is None else _as_float(rate)))

    initial = []
    for i, pair in enumerate(items("initial")):
        name, value = entry(pair, f"initial[{i}]", (2,))
        check(_name_problem(name) or _concentration_problem(value), f"initial[{i}]")
        if name not in species:
            raise fail(f"initial[{i}]", f"undeclared species {name!r}")
        initial.append((name, _as_float(value)))

    signals: dict[str, list[Signal]] = {}
    where_of: dict[int, str] = {}
    for key in ("inputs", "outputs"):
        signals[key] = []
        for i, triple in enumerate(items(key)):
            where = f"{key}[{i}]"
            name, plus, *minus = entry(triple, where, (2, 3))
            minus = minus[0] if minus else None
            check(_label_problem(name, "signal name"), where)
            for rail in (plus,) if minus is None else (plus, minus):
                check(_name_problem(rail), where)
            sig = Signal(name, plus, minus)
            where_of[id(sig)] = where
            signals[key].append(sig)
    _apply_signals(species, signals["inputs"], signals["outputs"], lambda msg, sig: fail(where_of[id(sig)], msg))
    try:
        crn = CRN(tuple(species.values()), tuple(reactions), tuple(initial), tuple(signals["inputs"]),
                  tuple(signals["outputs"]))
    except InputError as e:
        raise InputError(e.message, path=path) from None
    return validate_crn(crn, path=path)


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
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except _BadNumber as e:
        raise InputError(f"invalid JSON: {e}", path=path) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=path) from None
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", path=path, line=e.lineno, column=e.colno) from None


def write_crn_json(crn: CRN, path: str | Path) -> None:
    Path(path).write_text(json.dumps(crn_to_json(crn), indent=1) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- files
def _open_regular(path: Path) -> int:
    """An open descriptor on a regular file; anything else is refused before a byte is read."""
    def refuse(what: str) -> InputError:
        return InputError(f"not a regular file ({what}); a CRN must be a file", path=str(path))

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise InputError(f"cannot read: {getattr(e, 'strerror', None) or e}", path=str(path)) from None
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    for test, what in kinds:
        if test(st.st_mode):
            raise refuse(what)
    try:
        # O_NONBLOCK: should the path turn into a FIFO after the stat, opening it does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", path=str(path)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise refuse("not a plain file")
    return fd


def _read_bytes(path: str | Path, max_bytes: int) -> bytes:
    p = Path(path)
    fd = _open_regular(p)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise InputError(f"file is {size:,} bytes, above the limit of {max_bytes:,} bytes for a CRN file",
                             path=str(p))
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"file is above the limit of {max_bytes:,} bytes for a CRN file", path=str(p))
    return data


def _binary_kind(head: bytes) -> str | None:
    """What a file is when its first bytes say it is no text: a model file is never a CRN."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle (a torch model file?)"
    if len(head) >= 9 and head[8:9] == b"{" and b"\x00" in head[:8]:
        return "safetensors file"
    if b"\x00" in head:
        return "binary file"
    return None


def _decode(data: bytes, path: str) -> str:
    kind = _binary_kind(data[:SNIFF_BYTES])
    if kind:
        raise InputError(f"this is a {kind}, not a CRN (.crn text or dsdcompile CRN JSON)", path=path)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise InputError(f"not a UTF-8 text file (byte {e.start})", path=path) from None


def read_crn(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a ``.crn`` text file."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    if text.lstrip().startswith("{"):
        raise InputError("this file holds JSON, not .crn text (read_crn_file reads either)", path=str(path))
    return parse_crn(text, path=str(path))


def read_crn_json(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a CRN JSON file (``"format": "dsdcompile-crn"``)."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    return crn_from_json(_loads(text, str(path)), path=str(path))


def read_crn_file(path: str | Path, *, max_bytes: int = MAX_CRN_FILE_BYTES) -> CRN:
    """Read a CRN file, ``.crn`` text or JSON, told apart by content whatever the extension."""
    text = _decode(_read_bytes(path, max_bytes), str(path))
    if text.lstrip()[:1] in ("{", "["):  # no .crn text starts so
        return crn_from_json(_loads(text, str(path)), path=str(path))
    return parse_crn(text, path=str(path))


def crn_file_kind(path: str | Path) -> Literal["text", "json"] | None:
    """Whether a file is ``.crn`` text, CRN JSON, or neither (None: e.g. a model), from its first bytes.

    Reads at most :data:`SNIFF_BYTES`. A missing or non-regular file (FIFO, device, directory) raises
    InputError, so a caller never goes on to open it. Text counts as a CRN when its first statement
    is a reaction, a directive or a nuskell concentration; JSON when it names the dsdcompile format.
    """
    fd = _open_regular(Path(path))
    with os.fdopen(fd, "rb") as f:
        head = f.read(SNIFF_BYTES + 1)
    truncated = len(head) > SNIFF_BYTES
    head = head[:SNIFF_BYTES]
    if _binary_kind(head):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if not truncated or e.start < len(head) - 3:
            return None
        text = head[:e.start].decode("utf-8")  # a character cut at the end of the sniffed bytes
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        return "json" if re.search(r'"format"\s*:\s*"dsdcompile-crn"', text) else None
    lines = text.replace("\r", "\n").split("\n")
    for line in lines[:-1] if truncated else lines:
        for _, stmt in _statements(line):
            stmt = stmt.strip()
            if stmt:
                looks = bool(_DIRECTIVE_RE.match(stmt) or _ARROW_RE.search(stmt) or _CONC_RE.match(stmt))
                return "text" if looks else None
    return None


def looks_like_crn_text(path: str | Path) -> bool:
    """True when a file is ``.crn`` text by content (see :func:`crn_file_kind`); False for anything unreadable."""
    try:
        return crn_file_kind(path) == "text"
    except InputError:
        return False
