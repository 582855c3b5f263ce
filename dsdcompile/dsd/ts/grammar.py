"""The grammar of nuskell's translation-scheme language, on pyparsing, producing a small tuple AST.

A scheme is a sequence of definitions separated by ``;``::

    global NAME = EXPR                       (also ``global [a, b] = EXPR``)
    class|function|module|macro NAME(ARG, ...) = EXPR

Expressions: ``if C then E (elseif C then E)* else E``; ``E where ASSIGNMENT`` or
``E where { A; A; ... }`` (assignments evaluated in order, each seeing the ones before; a pattern
``[a, [b, c]] = E`` unpacks lists); the operators ``or``/``and`` (one level, left to right), the
comparisons, ``+ -``, ``* /``, unary ``-``; calls ``f(x)``, indexing ``x[i]``, attributes ``x.a``;
lists ``[E, ...]``, integers, quoted text, and domain-level complexes ``"a b* + ? c" | "( . + . )"``
whose structure has one character per sequence token (``~`` splices a complex or a list of complexes).
``#`` starts a comment.

Nodes are tuples ``(kind, line, ...)``: num, str, id, list, dna, call, index, attr, neg, bin, if,
where; definitions are ``("def", line, declarator, name, params, body)`` and ``("global", line,
pattern, expr)``. A DNA sequence token is ``("dom", name, starred)``, ``("?",)`` or ``("+",)``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyparsing as pp

from dsdcompile.errors import InputError

MAX_BYTES = 256_000  # the largest nuskell scheme is about 6 kB
MAX_TOKENS = 20_000  # and about 1 100 tokens; parsing time grows with the tokens (about 0.6 ms each)
MAX_NESTING = 100  # brackets, parentheses and braces open at once
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\S")
KEYWORDS = ("if", "then", "elseif", "else", "where", "and", "or", "class", "function", "module", "macro",
            "global")
DECLARATORS = ("class", "function", "module", "macro")
_SEQ_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)(\*?)|(\?)|(\+))")
_STRUCT_CHARS = set("().~+")


def _node(kind: str):
    def action(s: str, loc: int, toks: pp.ParseResults):
        return [(kind, pp.lineno(loc, s), *toks)]
    return action


def _built_with_standard_whitespace() -> pp.ParserElement:
    """The grammar, built with pyparsing's standard whitespace (space, tab, newline, CR) whatever the process's
    default is: pyparsing's default is global, and dsdobjects' PIL parser, once imported (peppercorn reading
    a PIL file), sets it to exclude newlines, after which a grammar built here would stop at the first line."""
    default = pp.ParserElement.DEFAULT_WHITE_CHARS
    pp.ParserElement.set_default_whitespace_chars(" \n\t\r")
    try:
        return _build()
    finally:
        pp.ParserElement.set_default_whitespace_chars(default)


def _build() -> pp.ParserElement:
    S = pp.Suppress
    kw = {k: pp.Keyword(k) for k in KEYWORDS}
    ident = pp.Regex(r"(?!(?:" + "|".join(KEYWORDS) + r")\b)[A-Za-z_][A-Za-z0-9_]*")
    number = pp.Regex(r"[0-9]+")
    quoted = pp.QuotedString('"', multiline=True) | pp.QuotedString("'", multiline=True)

    expr = pp.Forward()
    dna = (quoted + S("|") + quoted).set_parse_action(
        lambda s, loc, t: [("dna", pp.lineno(loc, s), *_dna_parts(t[0], t[1], pp.lineno(loc, s)))])
    text = quoted.copy().set_parse_action(_node("str"))
    num = number.copy().set_parse_action(lambda s, loc, t: [("num", pp.lineno(loc, s), int(t[0]))])
    name = ident.copy().set_parse_action(_node("id"))
    items = pp.Group(pp.Optional(pp.DelimitedList(expr)))
    lst = (S("[") + items + S("]")).set_parse_action(lambda s, loc, t: [("list", pp.lineno(loc, s), list(t[0]))])
    paren = S("(") + expr + S(")")
    atom = paren | lst | dna | text | num | name

    call = (S("(") + items + S(")")).set_parse_action(lambda t: [("call", list(t[0]))])
    index = (S("[") + expr + S("]")).set_parse_action(lambda t: [("index", t[0])])
    attr = (S(".") + ident).set_parse_action(lambda t: [("attr", t[0])])

    def trailers(s: str, loc: int, t: pp.ParseResults):
        head, line = t[0], pp.lineno(loc, s)
        for tr in t[1:]:
            head = (tr[0], line, head, tr[1])
        return [head]

    primary = (atom + pp.ZeroOrMore(call | index | attr)).set_parse_action(trailers)
    factor = pp.Forward()
    factor <<= (S("-") + factor).set_parse_action(_node("neg")) | primary

    def level(operand: pp.ParserElement, ops: pp.ParserElement) -> pp.ParserElement:
        def fold(s: str, loc: int, t: pp.ParseResults):
            out, line = t[0], pp.lineno(loc, s)
            for k in range(1, len(t), 2):
                out = ("bin", line, t[k], out, t[k + 1])
            return [out]
        return (operand + pp.ZeroOrMore(ops + operand)).set_parse_action(fold)

    term = level(factor, pp.one_of("* /"))
    arith = level(term, pp.one_of("+ -"))
    comparison = level(arith, pp.one_of("== != >= <= > <"))
    logic = level(comparison, kw["and"] | kw["or"])

    pattern = pp.Forward()
    pattern <<= (S("[") + pp.Group(pp.DelimitedList(pattern)) + S("]")).set_parse_action(
        lambda t: [list(t[0])]) | ident.copy()
    assignment = (pattern + S("=") + expr).set_parse_action(
        lambda s, loc, t: [(t[0], t[1], pp.lineno(loc, s))])
    block = S("{") + pp.DelimitedList(assignment, ";") + pp.Optional(S(";")) + S("}")
    where = (logic + pp.Optional(S(kw["where"]) + pp.Group(block | assignment))).set_parse_action(
        lambda s, loc, t: [t[0] if len(t) == 1 else ("where", pp.lineno(loc, s), t[0], list(t[1]))])
    branches = (S(kw["if"]) + expr + S(kw["then"]) + expr
                + pp.ZeroOrMore(S(kw["elseif"]) + expr + S(kw["then"]) + expr) + S(kw["else"]) + expr)
    cond = branches.copy().set_parse_action(
        lambda s, loc, t: [("if", pp.lineno(loc, s), [(t[k], t[k + 1]) for k in range(0, len(t) - 1, 2)], t[-1])])
    expr <<= cond | where

    params = S("(") + pp.Group(pp.Optional(pp.DelimitedList(ident))) + S(")")
    definition = (pp.one_of(DECLARATORS, as_keyword=True) + ident + params + S("=") + expr).set_parse_action(
        lambda s, loc, t: [("def", pp.lineno(loc, s), t[0], t[1], list(t[2]), t[3])])
    glob = (S(kw["global"]) + pattern + S("=") + expr).set_parse_action(
        lambda s, loc, t: [("global", pp.lineno(loc, s), t[0], t[1])])
    stmt = definition | glob
    document = pp.StringStart() + stmt + pp.ZeroOrMore(S(";") + stmt) + pp.Optional(S(";")) + pp.StringEnd()
    document.ignore(pp.python_style_comment)
    return document


def _dna_parts(sequence: str, structure: str, line: int) -> tuple[list[tuple], list[str]]:
    tokens: list[tuple] = []
    pos = 0
    while pos < len(sequence.rstrip()):
        m = _SEQ_TOKEN.match(sequence, pos)
        if m is None or m.end() == pos:
            raise _DnaError(line, f"bad domain token in \"{sequence.strip()}\" at {sequence[pos:].strip()[:20]!r}")
        pos = m.end()
        tokens.append(("dom", m.group(1), bool(m.group(2))) if m.group(1) else ("?",) if m.group(3) else ("+",))
    chars = [c for c in structure if not c.isspace()]
    bad = sorted(set(chars) - _STRUCT_CHARS)
    if bad:
        raise _DnaError(line, f"bad structure character {bad[0]!r} in \"{structure.strip()}\"")
    if len(chars) != len(tokens):
        raise _DnaError(line, f"the structure \"{structure.strip()}\" has {len(chars)} characters for "
                              f"{len(tokens)} sequence tokens \"{sequence.strip()}\"")
    return tokens, chars


class _DnaError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


_GRAMMAR: pp.ParserElement | None = None


def _check_nesting(text: str, path: str) -> None:
    depth, line = 0, 1
    quote = None
    comment = False
    for ch in text:
        if ch == "\n":
            line += 1
            comment = False
            continue
        if comment:
            continue
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(f"brackets nested deeper than {MAX_NESTING} levels", path=path, line=line)
        elif ch in ")]}":
            depth -= 1


def parse_ts(text: str, path: str = "<scheme>") -> list[tuple]:
    """The definitions of a translation scheme; a syntax error raises InputError with the file and line."""
    global _GRAMMAR
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InputError(f"translation scheme larger than {MAX_BYTES} bytes", path=path)
    if "\x00" in text:
        raise InputError("translation scheme contains a NUL byte (not a text file)", path=path)
    _check_nesting(text, path)
    tokens = len(_TOKEN.findall(re.sub(r"#[^\n]*", "", text)))
    if tokens > MAX_TOKENS:
        raise InputError(f"translation scheme of {tokens} tokens, more than {MAX_TOKENS}", path=path)
    if _GRAMMAR is None:
        _GRAMMAR = _built_with_standard_whitespace()
    try:
        return list(_GRAMMAR.parse_string(text, parse_all=True))
    except _DnaError as e:
        raise InputError(str(e), path=path, line=e.line) from None
    except pp.ParseBaseException as e:
        near = e.line.strip()[:60]
        raise InputError(f"syntax error near {near!r} ({e.msg})", path=path, line=e.lineno, column=e.col) from None
    except RecursionError:
        raise InputError("expression nested too deeply", path=path) from None


def read_ts(path: str | Path) -> list[tuple]:
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise InputError(f"cannot read translation scheme: {e.strerror}", path=str(p)) from None
    if size > MAX_BYTES:
        raise InputError(f"translation scheme larger than {MAX_BYTES} bytes", path=str(p))
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"translation scheme is not UTF-8 text (byte {e.start})", path=str(p)) from None
    return parse_ts(text, str(p))
