"""Are two sets of domain-level complexes the same up to a renaming of domains?

Used to check a ``.ts`` scheme against its built-in twin and against nuskell's own output. A
complex is ``(strands, structure)`` with strands as domain-name tuples (``x*`` the complement of
``x``); strand order counts up to rotation. Names of the form ``S{k}-...`` (a template's species
domains) may only map to ``S{k}-...`` names of the same species ``k``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

Cplx = tuple[tuple[tuple[str, ...], ...], str]
_SPECIES = re.compile(r"^S(\d+)-")


def _rotations(c: Cplx) -> list[Cplx]:
    strands, structure = c
    flat = structure.replace("+", "")
    partner: dict[int, int] = {}
    stack: list[int] = []
    for k, ch in enumerate(flat):
        if ch == "(":
            stack.append(k)
        elif ch == ")":
            j = stack.pop()
            partner[j], partner[k] = k, j
    sizes = [len(s) for s in strands]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    out = []
    for r in range(len(strands)):
        order = list(range(r, len(strands))) + list(range(r))
        old = [starts[i] + k for i in order for k in range(sizes[i])]
        new = {o: n for n, o in enumerate(old)}
        chars = ["."] * len(flat)
        for o, n in new.items():
            if o in partner:
                chars[n] = "(" if new[partner[o]] > n else ")"
        parts, pos = [], 0
        for i in order:
            parts.append("".join(chars[pos:pos + sizes[i]]))
            pos += sizes[i]
        out.append((tuple(strands[i] for i in order), "+".join(parts)))
    return out


def _shape(c: Cplx) -> tuple:
    return tuple(sorted(len(s) for s in c[0])), len(c[0]), c[1].count("(")


def _species(name: str) -> str | None:
    m = _SPECIES.match(name)
    return m.group(1) if m else None


def _extend(a: Cplx, b: Cplx, fwd: dict, back: dict, kind: Callable[[str, int], str]) -> tuple[dict, dict] | None:
    if a[1] != b[1] or [len(s) for s in a[0]] != [len(s) for s in b[0]]:
        return None
    fwd, back = dict(fwd), dict(back)
    for da, db in zip((d for s in a[0] for d in s), (d for s in b[0] for d in s)):
        if da.endswith("*") != db.endswith("*"):
            return None
        na, nb = da.rstrip("*"), db.rstrip("*")
        if fwd.get(na, nb) != nb or back.get(nb, na) != na:
            return None
        if na not in fwd:
            if kind(na, 0) != kind(nb, 1) or _species(na) != _species(nb):
                return None
            fwd[na], back[nb] = nb, na
    return fwd, back


def same_up_to_names(a: Sequence[Cplx], b: Sequence[Cplx], kind: Callable[[str, int], str] = lambda n, side: "",
                     limit: int = 200_000) -> bool:
    """True when a bijection of domain names maps the complexes ``a`` onto ``b`` (as multisets).

    ``kind(name, side)`` (side 0 for ``a``, 1 for ``b``) must agree for mapped names (toehold/branch).
    """
    if len(a) != len(b):
        return False
    a = sorted(a, key=lambda c: (-len(c[0]), -sum(map(len, c[0]))))
    rots = [_rotations(c) for c in b]
    budget = [limit]

    def search(i: int, used: frozenset, fwd: dict, back: dict) -> bool:
        if i == len(a):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        for j in range(len(b)):
            if j in used or _shape(b[j]) != _shape(a[i]):
                continue
            for rb in rots[j]:
                ext = _extend(a[i], rb, fwd, back, kind)
                if ext is not None and search(i + 1, used | {j}, *ext):
                    return True
        return False

    return search(0, frozenset(), {}, {})
