"""CRN bisimulation searches that do not break on deep systems: crnverifier's on a deep stack, and one of our own.

With the signals' interpretation fixed, crnverifier's search recurses once per species and
reaction it assigns, which on whole systems of a few dozen reactions goes past Python's
recursion limit (a ``RecursionError``; with the limit raised in the main thread, a silent
crash when the C stack runs out). Without forking the library, :func:`bisimulation_search`
runs the search in a thread of its own with a large stack and a recursion limit to match, so
the depth that whole-system decisions need is available; every interpretation it returns is
still checked against the definition by :func:`~dsdcompile.verify.certify.certify` by the
caller.

:func:`explicit_bisimulations` is a search of our own with an explicit stack and no recursion
in the search: it assigns the species without a fixed meaning one at a time (the one whose
reactions are closest to fully assigned first), each a multiset of formal species no larger
than the largest side of a formal reaction, prunes every assignment under which a fully
assigned reaction means neither a formal nor a trivial reaction (the delimiting condition),
and hands each complete interpretation to :func:`~dsdcompile.verify.certify.certify`, which
decides the atomic, delimiting and permissive conditions without recursion. It is complete
within that size bound and its node budget, so "none found" is reported as such, never as a
proof.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations_with_replacement

STACK_BYTES = 512 * 1024 * 1024  # the thread's C stack: ample for a recursion limit of 10^5 frames
RECURSION_LIMIT = 100_000
MAX_FOUND = 8  # interpretations collected before the search stops (certification needs only one)


@dataclass
class Searched:
    found: list[dict] = field(default_factory=list)
    exhaustive: bool = False
    engine: str = "crnverifier"
    error: str | None = None


def _search(fcrn, icrn, partial, formals, permissive, out: Searched, max_found: int = MAX_FOUND) -> None:
    from dsdcompile.verify.bisimulation import bisimulations

    try:
        for bisim in bisimulations(fcrn, [[list(r), list(p)] for r, p in icrn], dict(partial), set(formals),
                                   permissive):
            out.found.append(bisim)
            if len(out.found) >= max_found:
                return
        out.exhaustive = True
    except RecursionError as e:  # even 10^5 frames were not enough
        out.error = f"RecursionError: {e}"
    except Exception as e:  # noqa: BLE001 - crnverifier's own failures become "undecided", never a verdict
        out.error = f"{type(e).__name__}: {e}"


def bisimulation_search(fcrn: list, icrn: Iterable, partial: Mapping[str, list[str]], formals: set[str],
                        permissive: str = "default", max_found: int = MAX_FOUND) -> Searched:
    """crnverifier's bisimulations of ``icrn`` extending ``partial`` (at most ``max_found``), on a deep stack."""
    out = Searched()
    icrn = [tuple(x) for x in icrn]
    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    try:
        threading.stack_size(STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        worker = threading.Thread(target=_search, args=(fcrn, icrn, partial, formals, permissive, out, max_found),
                                  daemon=True)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if out.error is not None:
        out.engine = f"crnverifier (failed: {out.error[:120]})"
    return out


def _candidates(formals: list[str], size: int) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for k in range(1, size + 1):
        out.extend(combinations_with_replacement(sorted(formals), k))
    return out


def explicit_bisimulations(fcrn: list, icrn: Iterable, partial: Mapping[str, list[str]], formals: set[str], *,
                           max_nodes: int = 200_000, stats: dict | None = None) -> Iterator[dict[str, list[str]]]:
    """CRN bisimulations of ``icrn`` extending ``partial``, found by an explicit-stack search and certified.

    Every species without a fixed meaning gets a multiset of at most ``max(|side|)`` formal species.
    ``stats`` (if given) receives ``nodes`` and ``exhaustive`` (whether the search finished within
    ``max_nodes``).
    """
    from dsdcompile.verify.certify import certify

    icrn = [(tuple(r), tuple(p)) for r, p in icrn]
    fkeys = {(tuple(sorted(r)), tuple(sorted(p))) for r, p in fcrn}
    size = max((max(len(r), len(p)) for r, p in fcrn), default=1)
    species = sorted({x for r, p in icrn for x in r + p})
    fixed = {k: tuple(v) for k, v in partial.items()}
    free = [x for x in species if x not in fixed]
    cands = _candidates(sorted(formals), size)
    touching: dict[str, list[int]] = {x: [] for x in species}
    for k, (r, p) in enumerate(icrn):
        for x in set(r + p):
            touching[x].append(k)

    def consistent(inter: Mapping[str, tuple[str, ...]], x: str) -> bool:
        for k in touching[x]:
            r, p = icrn[k]
            if any(y not in inter for y in r + p):
                continue
            mr = Counter(f for y in r for f in inter[y])
            mp = Counter(f for y in p for f in inter[y])
            if mr != mp and (tuple(sorted(mr.elements())), tuple(sorted(mp.elements()))) not in fkeys:
                return False
        return True

    def next_species(inter: Mapping[str, tuple[str, ...]]) -> str:
        # the unassigned species with the fewest unassigned partners in some reaction: the most constrained
        best, score = None, None
        for x in free:
            if x in inter:
                continue
            s = min((sum(1 for y in set(icrn[k][0] + icrn[k][1]) if y not in inter) for k in touching[x]),
                    default=1)
            if score is None or s < score:
                best, score = x, s
        return best

    nodes = 0
    stack: list[dict[str, tuple[str, ...]]] = [dict(fixed)]
    exhaustive = True
    while stack:
        inter = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            exhaustive = False
            break
        if len(inter) == len(fixed) + len(free):
            full = {k: list(v) for k, v in inter.items()}
            if certify(fcrn, icrn, full, set(formals)) is None:
                yield full
            continue
        x = next_species(inter)
        for c in reversed(cands):
            child = dict(inter)
            child[x] = c
            if consistent(child, x):
                stack.append(child)
    if stats is not None:
        stats.update(nodes=nodes, exhaustive=exhaustive)


__all__ = ["Searched", "bisimulation_search", "explicit_bisimulations"]
