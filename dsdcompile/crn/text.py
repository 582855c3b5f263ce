"""The ``.crn`` text format (dsdcompile's own and nuskell's syntax): writing and parsing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from dsdcompile.crn.rules import (
    _ARROW_RE,
    _BARE_LABEL_RE,
    _CONC_RE,
    _EMPTY_SIDES,
    _FORWARD_KEYS,
    _INIT_RE,
    _NAME_RE,
    _NUMBER_RE,
    _RATE_BLOCK_RE,
    _REVERSE_KEYS,
    _ROLES,
    _TERM_RE,
    FORMAT_HEADER,
    MAX_COEFFICIENT,
    _apply_signals,
    _concentration_problem,
    _cut,
    _label_problem,
    _name_problem,
    _rate_problem,
    _short,
    validate_crn,
)
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Signal, Species, format_side


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
