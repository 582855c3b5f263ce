"""The only module touching peppercorn/dsdobjects: our IR to PIL objects and back, global state cleared."""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
import warnings
from collections.abc import Iterable, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from dsdcompile.config import EnumerationConfig
from dsdcompile.dsd.implementation import ImplReaction
from dsdcompile.dsd.notation import complement
from dsdcompile.dsd.system import Complex, ComplexRole
from dsdcompile.errors import EnumerationLimit, InputError, InternalError

# Imported here, not inside the functions: enumeration runs in forked children (time limits),
# and a child that imported peppercorn itself would pay for it on every module and lose it.
# peppercorn raises the interpreter's recursion limit to 10^6 when imported; left so, any deep
# recursion elsewhere in the process (json.loads of deeply nested input) overflows the C stack
# instead of raising RecursionError. The limit is restored here and raised only around its calls.
_RECURSION_LIMIT = sys.getrecursionlimit()
from dsdobjects import clear_singletons  # noqa: E402
from peppercornenumerator.enumerator import Enumerator, PolymerizationError  # noqa: E402
from peppercornenumerator.input import read_pil as pep_read  # noqa: E402
from peppercornenumerator.objects import (  # noqa: E402
    PepperComplex,
    PepperDomain,
    PepperMacrostate,
    PepperReaction,
    PepperStrand,
)

_PEPPERCORN_RECURSION_LIMIT = sys.getrecursionlimit()
sys.setrecursionlimit(_RECURSION_LIMIT)


@contextmanager
def _peppercorn_recursion():
    """peppercorn's own recursion limit while it runs, the process's before and after."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, _PEPPERCORN_RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


# peppercorn logs an error before raising on polymerisation; we raise EnumerationLimit ourselves.
logging.getLogger("peppercornenumerator").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Enumerated:
    """Peppercorn's result in plain values: resting complexes and condensed reactions between them."""

    complexes: tuple[Complex, ...]  # every resting complex (given ones keep their names and roles)
    reactions: tuple[ImplReaction, ...]
    seconds: float


def parse_kernel(kernel: str) -> tuple[tuple[tuple[str, ...], ...], str]:
    """Kernel notation → (strands as domain tuples, dot-bracket with '+')."""
    strands: list[list[str]] = [[]]
    structure: list[str] = []
    stack: list[int] = []
    for tok in kernel.replace("(", "( ").replace(")", " ) ").split():
        if tok == "+":
            strands.append([])
            structure.append("+")
        elif tok == ")":
            if not stack:
                raise InternalError(f"unbalanced kernel string {kernel!r}")
            j = stack.pop()
            d = [x for s in strands for x in s][j]
            strands[-1].append(complement(d))
            structure.append(")")
        elif tok.endswith("("):
            stack.append(sum(len(s) for s in strands))
            strands[-1].append(tok[:-1])
            structure.append("(")
        else:
            strands[-1].append(tok)
            structure.append(".")
    return tuple(tuple(s) for s in strands), "".join(structure)


def _quiet() -> ExitStack:
    """Entered: peppercorn's recursion limit, and dsdobjects' pyparsing deprecation warnings (one per parse) off."""
    ctx = ExitStack()
    ctx.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore", DeprecationWarning)
    ctx.enter_context(_peppercorn_recursion())
    return ctx


def _clear() -> None:
    # peppercorn's clear_memory() runs gc.collect() first, which costs 0.1 s and more in a process
    # holding a large design; the registries can be emptied without it (we hold no references).
    for cls in (PepperDomain, PepperStrand, PepperComplex, PepperMacrostate, PepperReaction):
        clear_singletons(cls)


def read_pil(text: str) -> tuple[dict[str, int], list[Complex]]:
    """Read a PIL document with peppercorn's parser: (domain lengths, complexes)."""
    _clear()
    quiet = _quiet()
    try:
        complexes, _ = pep_read(text)
        lengths: dict[str, int] = {}
        out = []
        for cplx in complexes.values():
            for d in cplx.domains:
                lengths[d.name.rstrip("*")] = d.length
            strands, structure = parse_kernel(cplx.kernel_string)
            conc = cplx.concentration[1] if cplx.concentration else 0.0
            out.append(Complex(cplx.name, strands, structure, ComplexRole.UNSPECIFIED, float(conc)))
        return lengths, out
    except Exception as e:  # noqa: BLE001 - pyparsing and dsdobjects raise many kinds
        raise InputError(f"peppercorn could not read the PIL text: {type(e).__name__}: {e}") from None
    finally:
        complexes = None
        _clear()
        quiet.__exit__(None, None, None)


def _pepper_complexes(complexes: Iterable[Complex], lengths: Mapping[str, int]) -> list:
    """Peppercorn's objects for our complexes, built directly: its PIL reader costs two gc.collect() per call."""
    domains = {}
    for d, n in lengths.items():
        dom = PepperDomain(d, length=n)
        domains[d], domains[complement(d)] = dom, ~dom
    out = []
    for c in complexes:
        sequence: list = []
        for k, strand in enumerate(c.strands):
            if k:
                sequence.append("+")
            sequence += [domains[d] for d in strand]
        out.append(PepperComplex(sequence, list(c.structure), name=c.name))
    return out


def enumerate_complexes(complexes: Iterable[Complex], lengths: Mapping[str, int], config: EnumerationConfig,
                        *, label: str = "system") -> Enumerated:
    """Enumerate what the given (initially present) complexes do; condensed reactions with peppercorn's rates.

    Bimolecular rate constants are per molar per second, unimolecular ones per second.
    """
    given = {c.name: c for c in complexes}
    start = time.perf_counter()
    _clear()
    enum = None
    quiet = _quiet()
    try:
        initial = _pepper_complexes(given.values(), lengths)
        enum = Enumerator(initial, [], named_complexes=initial)
        # A join of n inputs is a gate of n + 1 strands: the limit guards against polymers, so it
        # counts from the largest given complex (plus an input bound to it and one transient partner).
        enum.max_complex_size = max(config.max_complex_size, max(len(c.strands) for c in given.values()) + 2)
        enum.max_complex_count = max(config.max_complex_count, len(initial))
        enum.max_reaction_count = config.max_reaction_count
        enum.release_cutoff = config.release_cutoff
        enum.k_slow = config.k_slow
        enum.k_fast = config.k_fast
        enum.reject_remote = config.reject_remote
        enum.max_helix = config.max_helix
        try:
            enum.enumerate()
            condensed = list(enum.condensed_reactions)
        except PolymerizationError as e:
            raise EnumerationLimit(f"{label}: peppercorn stopped: {e} (limits: max_complex_size="
                                   f"{enum.max_complex_size}, max_complex_count={config.max_complex_count}, "
                                   f"max_reaction_count={config.max_reaction_count})") from None
        resting: dict[str, Complex] = {}
        for cplx in enum.resting_complexes:
            if cplx.name in given:
                resting[cplx.name] = given[cplx.name]
            else:
                strands, structure = parse_kernel(cplx.kernel_string)
                resting[cplx.name] = Complex(cplx.name, strands, structure, ComplexRole.INTERMEDIATE).canonical()
        # Peppercorn's own names follow its exploration order, which depends on string hashing: name new
        # complexes by their canonical kernel instead, so that the same input gives the same output.
        order = sorted((n for n in resting if n not in given), key=lambda n: resting[n].kernel())
        names = {n: n for n in given} | {n: f"x{k}" for k, n in enumerate(order)}
        rep = {}
        for ms in enum.resting_macrostates:
            members = [c.name for c in ms.complexes]
            # Prefer a given complex as the representative: it keeps its meaning (signal, fuel).
            best = min(members, key=lambda n: (n not in given, resting[n].kernel() if n in resting else n))
            rep[ms.name] = names[best]
        reactions = tuple(sorted(
            ImplReaction(tuple(sorted(rep[m.name] for m in r.reactants)),
                         tuple(sorted(rep[m.name] for m in r.products)), float(r.rate_constant[0]))
            for r in condensed
        ))
        kept = {n for r in reactions for side in r[:2] for n in side} | set(given)
        out = [dataclasses.replace(c, name=names[n]) for n, c in resting.items()]
        out = [c for c in out if c.name in kept or c.name in rep.values()]
        return Enumerated(tuple(sorted(out, key=lambda c: (c.name not in given, c.kernel()))), reactions,
                          time.perf_counter() - start)
    finally:
        if enum is not None:
            enum.clear()
        enum = initial = condensed = None  # noqa: F841 - drop references before clearing
        _clear()
        quiet.__exit__(None, None, None)
