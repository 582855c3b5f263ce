"""crnverifier's CRN bisimulation search, run where its recursion cannot break.

With the signals' interpretation fixed, crnverifier's search recurses once per species and
reaction it assigns, which on whole systems of a few dozen reactions goes past Python's
recursion limit (a ``RecursionError``; with the limit raised in the main thread, a silent
crash when the C stack runs out). Without forking the library, :func:`bisimulation_search`
runs the search in a thread of its own with a large stack and a recursion limit to match, so
the depth that whole-system decisions need is available; every interpretation it returns is
still checked against the definition by :func:`~dsdcompile.verify.certify.certify` by the
caller.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STACK_BYTES = 512 * 1024 * 1024  # the thread's C stack: ample for a recursion limit of 10^5 frames
RECURSION_LIMIT = 100_000
MAX_FOUND = 8  # interpretations collected before the search stops (certification needs only one)


@dataclass
class Searched:
    found: list[dict] = field(default_factory=list)
    exhaustive: bool = False
    engine: str = "crnverifier"
    error: str | None = None


def _search(fcrn, icrn, partial, formals, permissive, out: Searched) -> None:
    from dsdcompile.verify.bisimulation import bisimulations

    try:
        for bisim in bisimulations(fcrn, [[list(r), list(p)] for r, p in icrn], dict(partial), set(formals),
                                   permissive):
            out.found.append(bisim)
            if len(out.found) >= MAX_FOUND:
                return
        out.exhaustive = True
    except RecursionError as e:  # even 10^5 frames were not enough
        out.error = f"RecursionError: {e}"
    except Exception as e:  # noqa: BLE001 - crnverifier's own failures become "undecided", never a verdict
        out.error = f"{type(e).__name__}: {e}"


def bisimulation_search(fcrn: list, icrn: Iterable, partial: Mapping[str, list[str]], formals: set[str],
                        permissive: str = "default") -> Searched:
    """crnverifier's bisimulations of ``icrn`` extending ``partial`` (at most ``MAX_FOUND``), on a deep stack."""
    out = Searched()
    icrn = [tuple(x) for x in icrn]
    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    try:
        threading.stack_size(STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        worker = threading.Thread(target=_search, args=(fcrn, icrn, partial, formals, permissive, out), daemon=True)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if out.error is not None:
        out.engine = f"crnverifier (failed: {out.error[:120]})"
    return out


__all__ = ["Searched", "bisimulation_search"]
