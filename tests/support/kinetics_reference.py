"""Hand-written condensed Soloveichik et al. (2010) modules: a stand-in for enumeration in tests and benchmarks."""

from __future__ import annotations

from dsdcompile.dsd.implementation import ImplReaction, ModuleImplementation
from dsdcompile.errors import UnsupportedReaction
from dsdcompile.ir import CRN, Reaction


def _expand(side: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    return tuple(name for name, c in side for _ in range(c))


def soloveichik_module(index: int, formal: Reaction, *, q: float = 1.0e6, q_max: float = 1.0e6) -> ModuleImplementation:
    """The condensed reactions of one formal reaction (rates in /M/s, peppercorn's units).

    Signals keep their formal names; gates and intermediates are named ``r<index>_*``::

        X -> P:      X + G <-> O + B  (q, q_max);   O + T -> P + W  (q_max)
        A + B -> P:  A + L <-> H + Bf (q, q_max);   H + B -> O + W1 (q_max);   O + T -> P + W2 (q_max)

    Fuels: G, T (unimolecular) and L, Bf, T (bimolecular; Bf is the buffer strand that
    makes the first step reversible). A reaction without products stops at O (no T).
    """
    p = f"r{index}_"
    reactants = _expand(formal.reactants)
    products = _expand(formal.products)
    rx: list[ImplReaction] = []
    if len(reactants) == 1:
        x = reactants[0]
        g, o, b, t, w = p + "G", p + "O", p + "B", p + "T", p + "W"
        rx += [((x, g), (o, b), q), ((o, b), (x, g), q_max)]
        fuels, wastes = (g, t), (b, w)
    elif len(reactants) == 2:
        a, bsig = reactants
        lf, h, bf, o, t, w1, w = p + "L", p + "H", p + "Bf", p + "O", p + "T", p + "W1", p + "W"
        rx += [((a, lf), (h, bf), q), ((h, bf), (a, lf), q_max), ((h, bsig), (o, w1), q_max)]
        fuels, wastes = (lf, bf, t), (w1, w)
    else:
        raise UnsupportedReaction(f"reaction '{formal}' has {len(reactants)} reactants; "
                                  "the reference modules cover uni- and bimolecular reactions")
    if products:
        rx.append(((o, t), products + (w,), q_max))
    else:
        fuels = fuels[:-1]
        wastes = tuple(s for s in wastes if s != w) + (o,)
    signals = tuple((s, s) for s in dict.fromkeys(reactants + products))
    shape = f"soloveichik2010:{len(reactants)}->{len(products)}"
    return ModuleImplementation(index, formal, shape, tuple(rx), signals, fuels, wastes)


def soloveichik_modules(crn: CRN, *, q: float = 1.0e6, q_max: float = 1.0e6) -> list[ModuleImplementation]:
    """One reference module per reaction of ``crn``."""
    return [soloveichik_module(j, r, q=q, q_max=q_max) for j, r in enumerate(crn.reactions)]
