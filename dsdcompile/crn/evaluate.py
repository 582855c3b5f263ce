"""Exact, rate-independent evaluation of a feed-forward CRN by firing reactions to exhaustion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dsdcompile.crn.analysis import annihilation_mask, reaction_levels
from dsdcompile.ir import CRN


@dataclass(frozen=True, eq=False)
class _Level:
    rows: np.ndarray       # the reactions of this level
    reactants: np.ndarray  # (r, k) species columns, -1 padded
    coefs: np.ndarray      # (r, k) stoichiometric coefficients (1 where padded)
    products: sp.csr_matrix  # (r, species)


class ExactEvaluator:
    """Computes the limit state of a feed-forward CRN for batches of inputs.

    Reactions are grouped by level of the reaction graph; within a level no two reactions
    share a reactant and none feeds another, so a whole level fires at once: each reaction's
    extent is the smallest ``[reactant] / coefficient``. ``S+ + S- -> ∅`` annihilation
    reactions are applied last, pairwise; they change neither any difference nor any output.
    """

    def __init__(self, crn: CRN) -> None:
        self.crn = crn
        skip = annihilation_mask(crn)
        levels = reaction_levels(crn, skip=skip)
        reactant = crn.reactant_matrix.tocsr()
        product = crn.product_matrix.tocsr()
        self.levels: list[_Level] = []
        for d in range(int(levels.max(initial=-1)) + 1):
            rows = np.flatnonzero(levels == d)
            sub = reactant[rows]
            width = int(np.diff(sub.indptr).max(initial=1))
            cols = np.full((len(rows), width), -1, dtype=np.int64)
            coefs = np.ones((len(rows), width))
            for k in range(len(rows)):
                a, b = sub.indptr[k], sub.indptr[k + 1]
                cols[k, : b - a] = sub.indices[a:b]
                coefs[k, : b - a] = sub.data[a:b]
            self.levels.append(_Level(rows, cols, coefs, product[rows]))
        idx = crn.index
        annihilated = [crn.reactions[j].reactants for j in np.flatnonzero(skip)]
        self.annihilate = np.array([[idx[a[0][0]], idx[a[1][0]]] for a in annihilated], dtype=np.int64).reshape(-1, 2)

    def final_state(self, c0: np.ndarray, *, chunk: int = 512,
                    progress: Callable[[int], None] | None = None,
                    extents: np.ndarray | None = None) -> np.ndarray:
        """Limit concentrations (batch × species) from initial concentrations c0.

        If ``extents`` (batch × reactions) is given, it receives how far each reaction
        fired; annihilation reactions are left at zero.
        """
        c0 = np.atleast_2d(np.asarray(c0, dtype=np.float64))
        out = np.empty_like(c0)
        for start in range(0, c0.shape[0], chunk):
            c = c0[start : start + chunk].copy()
            for lv in self.levels:
                padded = lv.reactants < 0
                amounts = np.where(padded, np.inf, c[:, np.where(padded, 0, lv.reactants)] / lv.coefs)
                extent = amounts.min(axis=2)  # (batch, r)
                extent = np.maximum(extent, 0.0)
                if extents is not None:
                    extents[start : start + chunk, lv.rows] = extent
                for k in range(lv.reactants.shape[1]):
                    col = lv.reactants[:, k]
                    ok = col >= 0
                    c[:, col[ok]] -= extent[:, ok] * lv.coefs[ok, k]
                c += (lv.products.T @ extent.T).T
            if len(self.annihilate):
                a, b = self.annihilate[:, 0], self.annihilate[:, 1]
                m = np.minimum(c[:, a], c[:, b])
                c[:, a] -= m
                c[:, b] -= m
            out[start : start + chunk] = c
            if progress is not None:
                progress(c.shape[0])
        return out

    def outputs(self, x: np.ndarray, **kwargs) -> np.ndarray:
        """Limit output values for a batch of (preprocessed) network inputs."""
        return self.crn.output_values(self.final_state(self.crn.initial_state(x), **kwargs))


def exact_outputs(crn: CRN, x: np.ndarray) -> np.ndarray:
    """Convenience: limit output values of ``crn`` for inputs ``x`` (batch × inputs)."""
    return ExactEvaluator(crn).outputs(x)
