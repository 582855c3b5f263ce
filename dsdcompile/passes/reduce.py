"""The reduce pass (Vasic et al. 2020, Algorithm 2): substitute unimolecular reactions away, cancel ± pairs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dsdcompile.crn.analysis import require_feed_forward, substitution_generations
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction


def _pair_scatter(crn: CRN) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    idx = crn.index
    plus = np.array([idx[p] for p, _ in crn.pairs], dtype=np.int64)
    minus = np.array([idx[m] for _, m in crn.pairs], dtype=np.int64)
    k = np.arange(len(plus))
    scatter = sp.csr_matrix(
        (np.ones(2 * len(plus)), (np.concatenate([plus, minus]), np.concatenate([k, k]))),
        shape=(crn.n_species, len(plus)),
    )
    return plus, minus, scatter


def cancel_pairs(columns: sp.csr_matrix, plus: np.ndarray, minus: np.ndarray, scatter: sp.csr_matrix) -> sp.csr_matrix:
    """Remove min(S+, S-) of every dual-rail pair from each column (species × columns)."""
    if len(plus) == 0:
        return columns
    both = columns[plus].minimum(columns[minus])
    if both.nnz == 0:
        return columns
    out = (columns - scatter @ both).tocsr()
    out.eliminate_zeros()
    return out


def reduce_crn(crn: CRN) -> CRN:
    """Reduce a feed-forward CRN without changing its limit outputs.

    1. Every species consumed by exactly one unimolecular reaction (and that is neither an
       input nor an output) is replaced, wherever it is produced or initially present, by
       that reaction's products; the reaction goes. Substitution follows the species' order
       in the reaction graph, so each product list is expanded once.
    2. After each round, S+ and S- of every dual-rail pair are cancelled in every product
       list and in the initial concentrations (only their difference matters downstream).
    3. Species with no path to an output, and the non-input reactions that only make them,
       are removed. Input fan-out reactions always stay, so a ternary ReLU network reduces
       to two unimolecular reactions per input plus one bimolecular reaction per live ReLU unit.
    """
    require_feed_forward(crn)
    input_species = {s for sig in crn.inputs for s in sig.species}
    output_species = {s for sig in crn.outputs for s in sig.species}
    kept, prod_cols, init_col = _substitute(crn, protected=input_species | output_species)
    relevant, live_rxn = _reaching_outputs(crn, kept, prod_cols, output_species)
    is_input_rxn = np.array(
        [any(name in input_species for name, _ in crn.reactions[j].reactants) for j in kept], dtype=bool
    )
    prod_cols = (sp.diags(relevant.astype(np.float64)) @ prod_cols).tocsc()
    prod_cols.eliminate_zeros()
    reactions = _reactions(crn, kept, prod_cols, live_rxn | is_input_rxn)
    names = [s.name for s in crn.species]
    init_col = np.where(relevant, init_col, 0.0)
    initial = tuple((names[i], float(init_col[i])) for i in np.flatnonzero(init_col > 0))

    used = set(input_species) | output_species | {name for name, _ in initial}
    for r in reactions:
        used.update(name for name, _ in r.reactants + r.products)
    species = tuple(s for s in crn.species if s.name in used)
    return CRN(species, tuple(reactions), initial, crn.inputs, crn.outputs)


def _substitute(crn: CRN, protected: set[str]) -> tuple[list[int], sp.csc_matrix, np.ndarray]:
    """Steps 1 and 2: (the reactions kept, their product columns, the initial column) after substitution and
    cancelling ± pairs, as species × column matrices."""
    idx = crn.index
    n = crn.n_species
    generations, substitution = substitution_generations(crn, protected=protected)
    substituted = set(substitution.values())
    kept = [j for j in range(crn.n_reactions) if j not in substituted]
    # columns: the kept reactions' products, then the initial concentrations
    prod = crn.product_matrix[kept].T.tocsc()
    init = sp.csr_matrix(crn.initial_vector().reshape(-1, 1))
    cols = sp.hstack([prod, init]).tocsr()

    plus, minus, scatter = _pair_scatter(crn)
    cols = cancel_pairs(cols, plus, minus, scatter)
    product_matrix = crn.product_matrix
    for gen in generations:
        rows = np.array([idx[s] for s in gen], dtype=np.int64)
        select = sp.csr_matrix((np.ones(len(rows)), (rows, rows)), shape=(n, n))
        # U[p, s]: molecules of p that one s turns into
        expand = product_matrix[[substitution[s] for s in gen]].T.tocsr()
        expand = sp.csr_matrix((expand.data, expand.indices, expand.indptr), shape=(n, len(rows)))
        taken = (select @ cols).tocsr()
        cols = (cols - taken + expand @ taken[rows]).tocsr()
        cols.eliminate_zeros()
        cols = cancel_pairs(cols, plus, minus, scatter)
    return kept, cols[:, : len(kept)].tocsc(), cols[:, len(kept)].toarray().ravel()


def _reaching_outputs(crn: CRN, kept: list[int], prod_cols: sp.csc_matrix, outputs: set[str]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Step 3: (the species with a path to an output, the kept reactions that make one of them)."""
    reactant = crn.reactant_matrix[kept].tocsr()
    relevant = np.zeros(crn.n_species, dtype=bool)
    relevant[[crn.index[s] for s in outputs]] = True
    while True:
        live_rxn = np.asarray((prod_cols.T @ relevant.astype(np.float64)) > 0).ravel()
        now = relevant | np.asarray(reactant[live_rxn].sum(axis=0) > 0).ravel()
        if (now == relevant).all():
            return relevant, live_rxn
        relevant = now


def _reactions(crn: CRN, kept: list[int], prod_cols: sp.csc_matrix, keep_rxn: np.ndarray) -> list[Reaction]:
    """The kept reactions that stay, with their substituted products (integer stoichiometry, or InputError)."""
    names = [s.name for s in crn.species]
    reactions = []
    for col, j in enumerate(kept):
        if not keep_rxn[col]:
            continue
        start, end = prod_cols.indptr[col], prod_cols.indptr[col + 1]
        rows, vals = prod_cols.indices[start:end], prod_cols.data[start:end]
        order = np.argsort(rows)
        counts = np.rint(vals[order]).astype(np.int64)
        if not np.allclose(counts, vals[order]):
            raise InputError("reduce produced a non-integer stoichiometry; is the CRN ternary?")
        products = tuple((names[r], int(c)) for r, c in zip(rows[order], counts) if c > 0)
        old = crn.reactions[j]
        reactions.append(Reaction(old.reactants, products, old.rate))
    return reactions
