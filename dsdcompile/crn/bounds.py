"""Upper bounds on every species and every reaction's extent of a feed-forward CRN, for any input in a box.

:func:`bound_crn` takes a CRN whose reactions are feed-forward (every species consumed by at
most one reaction other than ``S+ + S- -> ∅`` annihilations, no cycle: what
:func:`~dsdcompile.crn.analysis.reaction_levels` accepts) and a box ``low ≤ x ≤ high`` of
network inputs, and returns, per species, an upper bound on the *total amount of it that ever
exists* (initial amount plus everything produced), and per reaction an upper bound on its
*extent* (how far it fires), both valid for every input in the box. They bound what the fuel
and the reporters must cover: a module's fuel is used up once per firing of its formal
reaction, and a reporter takes up its output rail.

Two bounds are propagated level by level (the reaction levels of the feed-forward order) and
the smaller is kept; both are sound, so their minimum is:

* the *scalar* bound (interval propagation): ``U[s]`` for the inputs' rails is ``max(high, 0)``
  on the plus rail and ``max(-low, 0)`` on the minus rail, plus the constant initial amount;
  a reaction fires at most ``ub[j] = min over its reactants s of U[s] / coefficient``, and each
  product ``p`` gets ``U[p] += coefficient × ub[j]``;
* the *affine* bound (the network's own interval arithmetic): ``T[s](x) ≤ c[s] + a[s]·r(x)``
  with ``r(x)`` the 2·n input rails (``max(x, 0)``, ``max(-x, 0)``) and ``a ≥ 0``; a reaction
  takes the form of its reactant whose form is smallest over the box (divided by the
  coefficient) and hands it, times the product coefficient, to its products. Its maximum over
  the box is ``c + Σ_i max(a[i+]·max(high_i, 0), a[i-]·max(-low_i, 0))``: the two rails of one
  input are never both non-zero, so this is tighter than the scalar bound by up to a factor
  of two per layer.

Proof of soundness. Fix any input ``x`` in the box and any history of the CRN from its initial
state (any rates, any order of firing, the exact limit included). Let ``E_j`` be how far
reaction j has fired and ``T_s = init_s + Σ_j P[j, s]·E_j`` the total amount of s that has
existed; the amount present at any time is ``T_s − Σ_j R[j, s]·E_j ≤ T_s``. A reaction cannot
consume more of a reactant than has existed: ``R[j, s]·E_j ≤ T_s`` for every reactant s of j
(amounts stay non-negative). Induction on the level order (every producer of a reactant of
a reaction at level d has level < d, and annihilations produce nothing, so they feed no one):
the inputs' rails and constant species have ``T_s ≤ U[s]`` and ``T_s ≤ c[s] + a[s]·r(x)`` by
construction (``r(x)`` is exactly the amount placed on the rails, and ``max(x_i, 0) ≤
max(high_i, 0)``, ``max(-x_i, 0) ≤ max(-low_i, 0)``); if every reactant of j satisfies both,
``E_j ≤ T_s / R[j, s] ≤ min(U[s] / R[j, s], (c[s] + a[s]·r(x)) / R[j, s])`` for each reactant,
in particular for the one whose form was chosen, and both its bounds hold; a product p's
total is its initial amount plus the sum over its producers of ``P[j, p]·E_j``, each term
bounded by the same sum over the bounds. Every bound holds at ``x`` and so at every point of
the box; the maximum of an affine form with non-negative coefficients over the rails of the
box is the expression above, because each input contributes through one rail at a time and
``max(x, 0)`` and ``max(-x, 0)`` are largest at the ends of ``[low, high]``.

The bounds hold for every history, not only the exact limit: they also cover a simulation at
real rates (where annihilation may race downstream reactions) and a tube with leaks removed.
They are not tight: cancellation between the two rails of a node is ignored (the bound of
``I+`` counts every positive contribution), and a bimolecular reaction takes the smaller of
its reactants' bounds, not the bound of their minimum over inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsdcompile.crn.analysis import annihilation_mask, reaction_levels
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN


@dataclass(frozen=True, eq=False)
class CRNBounds:
    """Upper bounds of a CRN over an input box (network units: one unit of network value = 1).

    ``species[s]``: the total amount of species s that can ever exist; ``extents[j]``: how far
    reaction j can fire. ``extent_forms`` (reactions × 2·inputs) and ``extent_consts`` hold the
    affine bounds of the extents in the input rails, for :meth:`sum_bound`.
    """

    crn: CRN
    low: np.ndarray
    high: np.ndarray
    species: np.ndarray
    extents: np.ndarray
    extent_forms: np.ndarray
    extent_consts: np.ndarray

    def of(self, name: str) -> float:
        """The bound of one species, by name."""
        return float(self.species[self.crn.index[name]])

    def sum_bound(self, weights: np.ndarray) -> float:
        """An upper bound over the box of ``Σ_j weights[j]·E_j`` (weights ≥ 0), e.g. a fuel shared by modules."""
        w = np.asarray(weights, dtype=np.float64)
        if (w < 0).any():
            raise InputError("sum_bound needs non-negative weights")
        scalar = float(w @ self.extents)
        affine = _box_max(float(w @ self.extent_consts), w @ self.extent_forms, self.low, self.high)
        return min(scalar, affine)


def _rail_caps(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(2·n,) the largest amount on each input rail: max(high, 0) on plus, max(-low, 0) on minus."""
    caps = np.empty(2 * len(low))
    caps[0::2] = np.maximum(high, 0.0)
    caps[1::2] = np.maximum(-low, 0.0)
    return caps


def _box_max(const, forms: np.ndarray, low: np.ndarray, high: np.ndarray):
    """Max over the box of ``const + forms·r(x)`` (forms ≥ 0, last axis the 2·n rails): per input the larger rail."""
    caps = _rail_caps(low, high)
    per = forms * caps
    return const + np.maximum(per[..., 0::2], per[..., 1::2]).sum(axis=-1)


def check_box(crn: CRN, low, high) -> tuple[np.ndarray, np.ndarray]:
    """``low`` and ``high`` as float arrays of the CRN's input width, finite and ordered (InputError otherwise)."""
    lo = np.asarray(low, dtype=np.float64).reshape(-1)
    hi = np.asarray(high, dtype=np.float64).reshape(-1)
    n = len(crn.inputs)
    if lo.shape != (n,) or hi.shape != (n,):
        raise InputError(f"the input box has {lo.size} low and {hi.size} high values but the CRN has {n} inputs")
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise InputError("the input box must be finite")
    if (lo > hi).any():
        k = int(np.flatnonzero(lo > hi)[0])
        raise InputError(f"the input box has low > high for input {crn.inputs[k].name!r}")
    for k, sig in enumerate(crn.inputs):
        if sig.minus is None and lo[k] < 0:
            lo = lo.copy()
            lo[k] = 0.0  # a single-rail input cannot take negative values (initial_state refuses them)
    return lo, hi


def bound_crn(crn: CRN, low, high) -> CRNBounds:
    """Bounds of every species' total and every reaction's extent for inputs in ``[low, high]`` (see the module)."""
    lo, hi = check_box(crn, low, high)
    n_in = len(crn.inputs)
    idx = crn.index
    consts = crn.initial_vector()
    if (consts < 0).any():
        raise InputError("the CRN has a negative initial concentration; its bounds are undefined")
    forms = np.zeros((crn.n_species, 2 * n_in))
    for i, sig in enumerate(crn.inputs):
        forms[idx[sig.plus], 2 * i] += 1.0
        if sig.minus is not None:
            forms[idx[sig.minus], 2 * i + 1] += 1.0
    scalar = consts + forms @ _rail_caps(lo, hi)  # the scalar bound, grown as producers are processed

    skip = annihilation_mask(crn)
    levels = reaction_levels(crn, skip=skip)
    order = np.argsort(np.where(skip, levels.max(initial=0) + 1, levels), kind="stable")  # annihilations last
    reactants = crn.reactant_matrix.tocsr()
    products = crn.product_matrix.tocsr()
    ext = np.zeros(crn.n_reactions)
    ext_forms = np.zeros((crn.n_reactions, 2 * n_in))
    ext_consts = np.zeros(crn.n_reactions)
    for j in order:
        a, b = reactants.indptr[j], reactants.indptr[j + 1]
        cols, coefs = reactants.indices[a:b], reactants.data[a:b]
        if not len(cols):  # ∅ -> ...: nothing bounds it
            raise InputError(f"reaction '{crn.reactions[j]}' has no reactants; its extent has no bound")
        affine = _box_max(consts[cols], forms[cols], lo, hi)
        s_bound = np.minimum(scalar[cols], affine) / coefs
        k = int(np.argmin(affine / coefs))
        ext[j] = float(s_bound.min())
        ext_forms[j] = forms[cols[k]] / coefs[k]
        ext_consts[j] = consts[cols[k]] / coefs[k]
        pa, pb = products.indptr[j], products.indptr[j + 1]
        for p, q in zip(products.indices[pa:pb], products.data[pa:pb]):
            scalar[p] += q * ext[j]
            forms[p] += q * ext_forms[j]
            consts[p] += q * ext_consts[j]
    species = np.minimum(scalar, _box_max(consts, forms, lo, hi))
    return CRNBounds(crn, lo, hi, species, ext, ext_forms, ext_consts)


def box_samples(low, high, *, corners: int = 8, interior: int = 8, seed: int = 0) -> np.ndarray:
    """A small seeded set of inputs drawn from the box: the all-low and all-high corners, further distinct random
    corners (``corners`` in all, or every corner when there are fewer) and ``interior`` uniform points."""
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    n = len(lo)
    rng = np.random.default_rng(seed)
    if n <= 20 and 2 ** n <= corners:
        bits = (np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1
    else:
        rows = {tuple([0] * n), tuple([1] * n)}
        chosen = [tuple([0] * n), tuple([1] * n)][: max(corners, 0)]
        tries = 0
        while len(chosen) < corners and tries < 100 * corners:
            row = tuple(int(v) for v in rng.integers(0, 2, n))
            tries += 1
            if row not in rows:
                rows.add(row)
                chosen.append(row)
        bits = np.array(chosen, dtype=np.int64).reshape(-1, n)
    pts = np.where(bits == 1, hi, lo)
    inner = lo + rng.random((interior, n)) * (hi - lo)
    return np.vstack([pts, inner])


__all__ = ["CRNBounds", "bound_crn", "box_samples", "check_box"]
