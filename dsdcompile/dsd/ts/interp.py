"""An interpreter for nuskell's translation-scheme language (the AST of ``grammar.py``).

Semantics, as nuskell defines them:

* Definitions (``class``, ``function``, ``module``, ``macro``) are functions; the declarator is not
  enforced. ``global`` definitions are evaluated once, in file order, when the scheme is loaded.
* Names are looked up dynamically: a call sees its arguments, then the caller's ``where`` bindings
  and arguments, and so on down to the globals and built-ins.
* ``short()``/``long()`` make a fresh toehold/branch domain at every evaluation; ``unique(n)`` one of
  ``n`` nucleotides. A complex literal binds each domain name it mentions as an attribute, so
  ``s.x`` is the domain called ``x`` in the literal that made ``s``; ``"?"`` is a history domain,
  fresh each time the complex is built; a ``~`` in the structure splices a complex, or a list of
  complexes, written in the sequence; redundant strand breaks at the ends or doubled are dropped.
* ``infty(c)`` makes a fuel of complex ``c`` and returns it in a one-element list (an empty complex
  gives an empty list), so ``sum(map(infty, cs))`` is a list of fuels.
* ``abort(message)`` refuses the reaction; ``print`` does nothing here.
* Built-ins: tail, flip, long, short, unique, infty, complement, rev_reactions, irrev_reactions,
  print, abort, empty, and nuskell's prelude (range, sum, len, reverse, map, map2, rxn_degree,
  unirxn, birxn) implemented natively with the prelude's meaning.

Evaluation is bounded (steps, call depth, list sizes), so a hostile scheme fails with an InputError.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from dsdcompile.errors import InputError, UnsupportedReaction

MAX_STEPS = 2_000_000
MAX_DEPTH = 150
MAX_LIST = 100_000
# nuskell writes these built-ins in its own language, and their bodies call one another by name under
# dynamic scoping: a scheme that rebinds one of them breaks them inside nuskell. Refusing such a binding
# keeps every scheme this reader accepts meaning the same in nuskell.
PRELUDE = frozenset({"tail", "len", "empty", "range", "reverse", "map", "map2", "sum", "rxn_degree", "unirxn",
                     "birxn"})
_ids = itertools.count()


class Dom:
    """A domain object (compared by identity). ``kind``: short, long, unique or history."""

    __slots__ = ("kind", "length", "uid", "external", "line")

    def __init__(self, kind: str, length: int | None = None, external: str | None = None, line: int = 0):
        self.kind, self.length, self.external, self.line = kind, length, external, line
        self.uid = next(_ids)

    def __repr__(self) -> str:
        return f"<{self.kind} domain {self.external or self.uid}>"


@dataclass(frozen=True)
class DomRef:
    dom: Dom
    star: bool = False


class Frag:
    """A (partial) complex: sequence items (DomRef, '?', '+', Frag or list) with one structure character each."""

    __slots__ = ("seq", "struct", "attrs", "origin", "line")

    def __init__(self, seq: list, struct: list[str], attrs: dict, origin: str, line: int):
        self.seq, self.struct, self.attrs, self.origin, self.line = seq, struct, attrs, origin, line

    def __repr__(self) -> str:
        return f"<complex from {self.origin}, line {self.line}>"


@dataclass
class Reaction:
    reactants: list
    products: list
    reversible: bool = False


@dataclass
class SpeciesName:
    name: str


@dataclass
class Fuel:
    """A flattened complex that ``infty`` made: sequence items (DomRef or '+') and structure characters."""

    seq: list
    struct: list[str]
    origin: str
    line: int


@dataclass
class Func:
    name: str
    params: list[str]
    body: tuple
    declarator: str
    line: int


@dataclass
class Builtin:
    name: str
    fn: Callable
    nargs: int | None  # None: any


class Void:
    def __repr__(self) -> str:
        return "void"


class Abort(Exception):
    """``abort(...)`` in a scheme: the reaction is refused."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@dataclass
class _State:
    steps: int = 0
    depth: int = 0
    origin: list[str] = field(default_factory=lambda: ["global"])


def _describe(v) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, Dom | DomRef):
        return "a domain"
    if isinstance(v, Frag):
        return "a complex"
    if isinstance(v, Reaction):
        return "a reaction"
    if isinstance(v, Func | Builtin):
        return f"the function {v.name}"
    return type(v).__name__


class Interpreter:
    """One loaded scheme: its definitions bound, its globals evaluated."""

    def __init__(self, program: list[tuple], path: str, short_nt: int = 5, long_nt: int = 15):
        self.path = path
        self.short_nt, self.long_nt = short_nt, long_nt
        self.state = _State()
        self.env: list[dict] = [self._builtins(), {}]
        self.defs: dict[str, Func] = {}
        for stmt in program:
            if stmt[0] == "def":
                _, line, decl, name, params, body = stmt
                for n in [name, *params]:
                    self._guard(n, line)
                self._guard_where(body)
                if len(set(params)) != len(params):
                    raise self.error(f"{decl} {name} names a parameter twice", line)
                f = Func(name, params, body, decl, line)
                self.env[1][name] = f
                self.defs[name] = f
            else:
                _, line, pattern, expr = stmt
                self._bind(pattern, self.eval(expr), self.env[1], line)

    # ----------------------------------------------------------------- errors
    def error(self, message: str, line: int | None) -> InputError:
        return InputError(message, path=self.path, line=line)

    # ----------------------------------------------------------------- public
    def call(self, name: str, args: list):
        f = self.defs.get(name)
        if f is None:
            raise self.error(f"the scheme defines no {name}()", None)
        self.state = _State()
        return self._apply(f, args, f.line)

    # ----------------------------------------------------------------- evaluation
    def lookup(self, name: str, line: int):
        for frame in reversed(self.env):
            if name in frame:
                return frame[name]
        raise self.error(f"unknown name {name!r}", line)

    def _guard_where(self, node) -> None:
        """Check every ``where`` pattern of a definition when the scheme is loaded, not when it runs."""
        stack = [node]
        while stack:
            n = stack.pop()
            if not isinstance(n, tuple) or not n or not isinstance(n[0], str):
                continue
            if n[0] == "where":
                for pattern, _, line in n[3]:
                    names, todo = [], [pattern]
                    while todo:
                        p = todo.pop()
                        names.extend([p] if isinstance(p, str) else [])
                        todo.extend(p if isinstance(p, list) else [])
                    for name in names:
                        self._guard(name, line)
            for child in n[2:]:
                if isinstance(child, tuple):
                    stack.append(child)
                elif isinstance(child, list):
                    for c in child:
                        stack.extend(c if isinstance(c, tuple) and c and not isinstance(c[0], str) else [c])

    def _guard(self, name: str, line: int) -> None:
        if name in PRELUDE:
            raise self.error(f"the name {name!r} rebinds a built-in that nuskell's other built-ins use (under "
                             f"nuskell's dynamic scoping they would break); choose another name", line)

    def _bind(self, pattern, value, frame: dict, line: int) -> None:
        if isinstance(pattern, str):
            self._guard(pattern, line)
            frame[pattern] = value
            return
        if not isinstance(value, list) or len(value) != len(pattern):
            got = f"a list of {len(value)}" if isinstance(value, list) else _describe(value)
            raise self.error(f"cannot unpack {got} into a pattern of {len(pattern)} names", line)
        for p, v in zip(pattern, value):
            self._bind(p, v, frame, line)

    def eval(self, node: tuple):
        st = self.state
        st.steps += 1
        if st.steps > MAX_STEPS:
            raise self.error(f"the scheme took more than {MAX_STEPS} evaluation steps", node[1])
        kind, line = node[0], node[1]
        if kind == "num":
            return node[2]
        if kind == "str":
            return node[2]
        if kind == "id":
            return self.lookup(node[2], line)
        if kind == "list":
            return [self.eval(x) for x in node[2]]
        if kind == "dna":
            return self._dna(node)
        if kind == "call":
            f = self.eval(node[2])
            args = [self.eval(a) for a in node[3]]
            return self._apply(f, args, line)
        if kind == "index":
            head, sub = self.eval(node[2]), self.eval(node[3])
            if not isinstance(head, list):
                raise self.error(f"only lists can be indexed, not {_describe(head)}", line)
            if not isinstance(sub, int) or isinstance(sub, bool):
                raise self.error(f"a list index must be an integer, not {_describe(sub)}", line)
            if not -len(head) <= sub < len(head):
                raise self.error(f"index {sub} out of range for a list of {len(head)}", line)
            return head[sub]
        if kind == "attr":
            return self._attribute(self.eval(node[2]), node[3], line)
        if kind == "neg":
            v = self.eval(node[2])
            if not isinstance(v, int) or isinstance(v, bool):
                raise self.error(f"unary minus needs an integer, not {_describe(v)}", line)
            return -v
        if kind == "bin":
            return self._binary(node)
        if kind == "if":
            for cond, value in node[2]:
                if self._truth(self.eval(cond)):
                    return self.eval(value)
            return self.eval(node[3])
        if kind == "where":
            frame: dict = {}
            self.env.append(frame)
            try:
                for pattern, expr, aline in node[3]:
                    self._bind(pattern, self.eval(expr), frame, aline)
                return self.eval(node[2])
            finally:
                self.env.pop()
        raise self.error(f"unsupported construct {kind!r}", line)

    @staticmethod
    def _truth(v) -> bool:
        return bool(v)

    def _binary(self, node: tuple):
        _, line, op, a_node, b_node = node
        a = self.eval(a_node)
        if op == "and":
            return a if not a else self.eval(b_node)
        if op == "or":
            return a if a else self.eval(b_node)
        b = self.eval(b_node)
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op in ("<", ">", "<=", ">="):
            if not all(isinstance(x, int) for x in (a, b)):
                raise self.error(f"{op} compares integers, not {_describe(a)} and {_describe(b)}", line)
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if op == "+":
            return self.add(a, b, line)
        ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b))
        if not ints:
            raise self.error(f"{op} needs integers, not {_describe(a)} and {_describe(b)}", line)
        if op == "-":
            return a - b
        if op == "*":
            if abs(a) > 10**9 or abs(b) > 10**9:
                raise self.error("integer too large", line)
            return a * b
        if b == 0:
            raise self.error("division by zero", line)
        return a // b if a % b == 0 else a / b

    def add(self, a, b, line: int):
        if isinstance(a, list) and isinstance(b, list):
            if len(a) + len(b) > MAX_LIST:
                raise self.error(f"a list longer than {MAX_LIST} elements", line)
            return a + b
        if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
            return a + b
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        raise self.error(f"+ adds integers or joins lists, not {_describe(a)} and {_describe(b)}", line)

    def _attribute(self, head, name: str, line: int):
        if isinstance(head, Frag):
            if name not in head.attrs:
                known = ", ".join(sorted(head.attrs)) or "none"
                raise self.error(f"the complex from {head.origin} (line {head.line}) has no domain {name!r} "
                                 f"(it has: {known})", line)
            return head.attrs[name]
        if isinstance(head, Reaction) and name in ("reactants", "products", "reversible"):
            return getattr(head, name)
        if isinstance(head, SpeciesName) and name == "name":
            return head.name
        raise self.error(f"{_describe(head)} has no attribute {name!r}", line)

    def _apply(self, f, args: list, line: int):
        if isinstance(f, Builtin):
            if f.nargs is not None and len(args) != f.nargs:
                raise self.error(f"{f.name}() takes {f.nargs} argument(s), got {len(args)}", line)
            return f.fn(args, line)
        if not isinstance(f, Func):
            raise self.error(f"{_describe(f)} cannot be called", line)
        if len(args) != len(f.params):
            raise self.error(f"{f.name}() takes {len(f.params)} argument(s), got {len(args)}", line)
        st = self.state
        st.depth += 1
        if st.depth > MAX_DEPTH:
            raise self.error(f"calls nested deeper than {MAX_DEPTH} (runaway recursion in {f.name}?)", line)
        self.env.append(dict(zip(f.params, args)))
        st.origin.append(f.name)
        try:
            return self.eval(f.body)
        finally:
            self.env.pop()
            st.origin.pop()
            st.depth -= 1

    def _dna(self, node: tuple) -> Frag:
        _, line, tokens, chars = node
        seq: list = []
        attrs: dict = {}
        for tok, ch in zip(tokens, chars):
            if tok[0] == "?":
                if ch not in "().":
                    raise self.error(f"'?' needs a structure character ( . ), not {ch!r}", line)
                seq.append("?")
            elif tok[0] == "+":
                if ch != "+":
                    raise self.error(f"a strand break '+' needs '+' in the structure, not {ch!r}", line)
                seq.append("+")
            else:
                _, name, star = tok
                value = self.lookup(name, line)
                if isinstance(value, Dom):
                    attrs[name] = value
                    if ch not in "().":
                        raise self.error(f"domain {name} needs a structure character ( . ), not {ch!r}", line)
                    seq.append(DomRef(value, star))
                elif isinstance(value, DomRef):
                    attrs[name] = value.dom
                    if ch not in "().":
                        raise self.error(f"domain {name} needs a structure character ( . ), not {ch!r}", line)
                    seq.append(DomRef(value.dom, value.star != star))
                elif isinstance(value, Frag | list):
                    if star:
                        raise self.error(f"{name} is a complex; only domains can be complemented with *", line)
                    if ch != "~":
                        raise self.error(f"{name} is {_describe(value)}: its structure character must be '~'", line)
                    attrs[name] = value
                    seq.append(value)
                else:
                    raise self.error(f"{name} is {_describe(value)}, not a domain or complex", line)
        return Frag(seq, list(chars), attrs, self.state.origin[-1], line)

    # ----------------------------------------------------------------- complexes
    def flatten(self, frag: Frag, line: int) -> tuple[list, list[str]]:
        seq: list = []
        struct: list[str] = []

        def walk(item, ch: str, where: int, depth: int = 0) -> None:
            if depth > MAX_DEPTH:
                raise self.error("complexes spliced into each other too deeply", where)
            if isinstance(item, Frag):
                if ch != "~":
                    raise self.error("a spliced complex needs '~' in the structure", where)
                for it, c in zip(item.seq, item.struct):
                    walk(it, c, item.line, depth + 1)
            elif isinstance(item, list):
                if ch != "~":
                    raise self.error("a spliced list needs '~' in the structure", where)
                for it in item:
                    if not isinstance(it, Frag | list):
                        raise self.error(f"a list spliced with '~' may hold complexes only, not {_describe(it)}",
                                         where)
                    walk(it, "~", where, depth + 1)
            elif item == "?":
                seq.append(DomRef(Dom("history", line=where)))
                struct.append(ch)
            else:
                seq.append(item)
                struct.append(ch)
            if len(seq) > MAX_LIST:
                raise self.error(f"a complex of more than {MAX_LIST} domains", where)

        for it, c in zip(frag.seq, frag.struct):
            walk(it, c, frag.line)
        # Drop strand breaks at either end and doubled ones.
        out_seq, out_struct = [], []
        for it, c in zip(seq, struct):
            if it == "+" and (not out_seq or out_seq[-1] == "+"):
                continue
            out_seq.append(it)
            out_struct.append(c)
        while out_seq and out_seq[-1] == "+":
            out_seq.pop()
            out_struct.pop()
        self._check_pairs(out_seq, out_struct, frag)
        return out_seq, out_struct

    def _check_pairs(self, seq: list, struct: list[str], frag: Frag) -> None:
        stack: list[int] = []
        for k, c in enumerate(struct):
            if c == "(":
                stack.append(k)
            elif c == ")":
                if not stack:
                    raise self.error(f"unbalanced structure in the complex from {frag.origin}: an unmatched ')'",
                                     frag.line)
                j = stack.pop()
                a, b = seq[j], seq[k]
                if a.dom is not b.dom or a.star == b.star:
                    raise self.error(f"in the complex from {frag.origin}, a domain pairs with one that is not "
                                     f"its complement", frag.line)
        if stack:
            raise self.error(f"unbalanced structure in the complex from {frag.origin}: an unmatched '('",
                             frag.line)

    # ----------------------------------------------------------------- built-ins
    def _builtins(self) -> dict:
        """nuskell's built-in functions, by what they work on (each group registers its own)."""
        table: dict = {"empty": []}

        def b(name: str, nargs: int | None):
            def deco(fn):
                table[name] = Builtin(name, fn, nargs)
                return fn
            return deco

        for group in (self._domain_builtins, self._list_builtins, self._degree_builtins, self._complex_builtins,
                      self._reversible_builtins):
            group(b)
        return table

    def _need_list(self, x, fname: str, line: int) -> list:
        if not isinstance(x, list):
            raise self.error(f"{fname}() needs a list, not {_describe(x)}", line)
        return x

    def _need_int(self, x, fname: str, line: int) -> int:
        if not isinstance(x, int) or isinstance(x, bool):
            raise self.error(f"{fname}() needs an integer, not {_describe(x)}", line)
        return x

    def _domain_builtins(self, b) -> None:
        """short(), long(), unique(n): new domains."""
        need_int = self._need_int

        @b("short", 0)
        def _short(args, line):
            return Dom("short", line=line)

        @b("long", 0)
        def _long(args, line):
            return Dom("long", line=line)

        @b("unique", 1)
        def _unique(args, line):
            n = need_int(args[0], "unique", line)
            if not 1 <= n <= 200:
                raise self.error(f"unique({n}): a domain length must be 1 to 200 nucleotides", line)
            return Dom("unique", n, line=line)

    def _list_builtins(self, b) -> None:
        """tail, len, reverse, range, sum, map, map2."""
        need_list, need_int = self._need_list, self._need_int

        @b("tail", 1)
        def _tail(args, line):
            return need_list(args[0], "tail", line)[1:]

        @b("len", 1)
        def _len(args, line):
            return len(need_list(args[0], "len", line))

        @b("reverse", 1)
        def _reverse(args, line):
            return need_list(args[0], "reverse", line)[::-1]

        @b("range", 1)
        def _range(args, line):
            n = need_int(args[0], "range", line)
            if n < 0 or n > MAX_LIST:
                raise self.error(f"range({n}) out of bounds", line)
            return list(range(n))

        @b("sum", 1)
        def _sum(args, line):
            xs = need_list(args[0], "sum", line)
            if not xs:
                return []
            out = xs[-1]
            for x in reversed(xs[:-1]):
                out = self.add(x, out, line)
            return out

        @b("map", 2)
        def _map(args, line):
            f, xs = args
            return [self._apply(f, [x], line) for x in need_list(xs, "map", line)]

        @b("map2", 3)
        def _map2(args, line):
            f, y, xs = args
            return [self._apply(f, [y, x], line) for x in need_list(xs, "map2", line)]

    def _degree_builtins(self, b) -> None:
        """rxn_degree, unirxn, birxn (reactions by their number of reactants) and flip."""
        need_list, need_int = self._need_list, self._need_int

        def by_degree(xs, r, line):
            out = []
            for x in need_list(xs, "rxn_degree", line):
                if not isinstance(x, Reaction):
                    raise self.error(f"rxn_degree() needs reactions, not {_describe(x)}", line)
                if len(x.reactants) == r:
                    out.append(x)
            return out

        @b("rxn_degree", 2)
        def _rxn_degree(args, line):
            return by_degree(args[0], need_int(args[1], "rxn_degree", line), line)

        @b("unirxn", 1)
        def _unirxn(args, line):
            return by_degree(args[0], 1, line)

        @b("birxn", 1)
        def _birxn(args, line):
            return by_degree(args[0], 2, line)

        @b("flip", 2)
        def _flip(args, line):
            rows = need_list(args[0], "flip", line)
            n = need_int(args[1], "flip", line)
            for r in rows:
                if not isinstance(r, list) or len(r) != n:
                    raise self.error(f"flip(x, {n}) needs a list of lists of {n} elements each", line)
            return [[r[j] for r in rows] for j in range(n)]

    def _complex_builtins(self, b) -> None:
        """infty (a fuel), complement, print, abort."""

        @b("infty", 1)
        def _infty(args, line):
            frag = args[0]
            if not isinstance(frag, Frag):
                raise self.error(f"infty() needs a complex, not {_describe(frag)}", line)
            seq, struct = self.flatten(frag, line)
            if not seq:
                return []
            return [Fuel(seq, struct, frag.origin, frag.line)]

        @b("complement", 1)
        def _complement(args, line):
            x = args[0]
            if isinstance(x, Dom):
                return DomRef(x, True)
            if isinstance(x, DomRef):
                return DomRef(x.dom, not x.star)
            raise self.error(f"complement() is supported for domains only, not {_describe(x)}", line)

        @b("print", None)
        def _print(args, line):
            return Void()

        @b("abort", None)
        def _abort(args, line):
            raise Abort(" ".join(str(a) for a in args) or "abort()", line)

    def _reversible_builtins(self, b) -> None:
        """rev_reactions and irrev_reactions."""
        need_list = self._need_list

        def same_multiset(a: list, b: list) -> bool:
            rest = list(b)
            for x in a:
                for k, y in enumerate(rest):
                    if x is y or x == y:
                        del rest[k]
                        break
                else:
                    return False
            return not rest

        @b("rev_reactions", 1)
        def _rev(args, line):
            crn = need_list(args[0], "rev_reactions", line)
            out, removed = [], []
            for r in crn:
                if any(r is x for x in removed):
                    continue
                rev = r.reversible
                for r2 in crn:
                    if same_multiset(r.reactants, r2.products) and same_multiset(r.products, r2.reactants):
                        rev = True
                        removed.append(r2)
                        break
                out.append(Reaction(r.reactants, r.products, rev))
            return out

        @b("irrev_reactions", 1)
        def _irrev(args, line):
            out = []
            for r in need_list(args[0], "irrev_reactions", line):
                if not isinstance(r, Reaction):
                    raise self.error(f"irrev_reactions() needs reactions, not {_describe(r)}", line)
                if r.reversible:
                    out += [Reaction(r.reactants, r.products), Reaction(r.products, r.reactants)]
                else:
                    out.append(r)
            return out


def refused(message: str, path: str, line: int) -> UnsupportedReaction:
    return UnsupportedReaction(message, path=path, line=line)
