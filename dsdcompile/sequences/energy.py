"""ViennaRNA at the edge: the only module that imports ``RNA``.

ViennaRNA keeps its energy parameters in global state, so they are loaded here once (DNA
parameters of Mathews et al. 2004 through ``RNA.params_load_DNA_Mathews2004``) and every
call goes through a model-details object with the requested temperature and monovalent salt
(``md.salt``, ViennaRNA's salt correction of loops and stacks, Yao et al. 2023, relative
to the 1.021 M Na+ of the parameter set). ViennaRNA models no Mg2+: callers pass the
sodium-equivalent concentration (see :mod:`dsdcompile.config.sequences`). The rest of
the package sees plain strings and floats.

Also here: a nearest-neighbour *stack* model calibrated against ViennaRNA, used to screen
hundreds of thousands of strand pairs for crosstalk in vectorised numpy before ViennaRNA
looks at the worst ones (:func:`stack_model`).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from dsdcompile.errors import DsdCompileError

BASES = "ACGT"
_COMP = str.maketrans("ACGT", "TGCA")


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


def _rna():
    try:
        import RNA
    except ImportError as e:  # pragma: no cover - viennarna is a declared dependency
        raise DsdCompileError("sequence design needs ViennaRNA: pip install viennarna") from e
    return RNA


STANDARD_SALT_M = 1.021  # the salt the DNA parameters were measured at (ViennaRNA's default md.salt)


@functools.cache
def _model(temperature_C: float, salt_M: float = STANDARD_SALT_M):
    RNA = _rna()
    _load_dna()
    md = RNA.md()
    md.temperature = float(temperature_C)
    md.salt = float(salt_M)
    md.noGU = 1  # G·T is a mismatch in DNA, not a wobble pair
    return md


@functools.lru_cache(maxsize=1)
def _load_dna() -> None:
    _rna().params_load_DNA_Mathews2004()


def version() -> str:
    return str(getattr(_rna(), "__version__", "unknown"))


@functools.lru_cache(maxsize=200000)
def mfe(seq: str, temperature_C: float, salt_M: float = STANDARD_SALT_M) -> tuple[str, float]:
    """MFE structure and free energy (kcal/mol) of one strand, or of several joined with '&'."""
    fc = _rna().fold_compound(seq, _model(temperature_C, salt_M))
    structure, energy = fc.mfe()
    return structure, float(energy)


@functools.lru_cache(maxsize=500000)
def duplex_dG(a: str, b: str, temperature_C: float, salt_M: float = STANDARD_SALT_M) -> float:
    """Free energy of the best intermolecular duplex of ``a`` and ``b`` (intramolecular pairs ignored)."""
    RNA = _rna()
    _load_dna()
    RNA.cvar.temperature = float(temperature_C)  # duplexfold reads the global model
    RNA.cvar.salt = float(salt_M)
    RNA.cvar.noGU = 1
    return float(RNA.duplexfold(a, b).energy)


def toehold_dG(seq: str, temperature_C: float, salt_M: float = STANDARD_SALT_M) -> float:
    """Free energy of a toehold bound to its complement."""
    return duplex_dG(seq, revcomp(seq), temperature_C, salt_M)


@dataclass(frozen=True)
class ComplexCheck:
    """One multi-stranded complex folded with ViennaRNA against its intended structure."""

    mfe_structure: str
    mfe_dG: float
    intended_dG: float
    probability: float        # equilibrium probability of the intended structure (this strand order)
    ensemble_defect: float    # expected fraction of nucleotides paired differently than intended

    @property
    def intended_is_mfe(self) -> bool:
        return self.intended_dG <= self.mfe_dG + 1e-6


def check_complex(strands: list[str], structure: str, temperature_C: float,
                  salt_M: float = STANDARD_SALT_M) -> ComplexCheck:
    """Fold the strands (in the given order) and compare with ``structure`` (no '+' or '&' separators).

    Results are cached by sequence, so re-checking a design after a few mutations only folds
    the complexes that changed.
    """
    return _check_complex(tuple(strands), structure, float(temperature_C), float(salt_M))


@functools.lru_cache(maxsize=100000)
def _check_complex(strands: tuple[str, ...], structure: str, temperature_C: float, salt_M: float) -> ComplexCheck:
    RNA = _rna()
    fc = RNA.fold_compound("&".join(strands), _model(temperature_C, salt_M))
    mfe_s, mfe_e = fc.mfe()
    intended = float(fc.eval_structure(structure))
    fc.exp_params_rescale(mfe_e)
    fc.pf()
    prob = float(fc.pr_structure(structure))
    defect = float(fc.ensemble_defect(structure))
    return ComplexCheck(mfe_s, float(mfe_e), intended, prob, defect)


def complex_mfe(strands: list[str], structure: str, temperature_C: float,
                salt_M: float = STANDARD_SALT_M) -> tuple[str, float, float]:
    """MFE structure, MFE free energy and free energy of ``structure`` of the strands in this order
    (no partition function: the cheap half of :func:`check_complex`)."""
    return _complex_mfe(tuple(strands), structure, float(temperature_C), float(salt_M))


@functools.lru_cache(maxsize=100000)
def _complex_mfe(strands: tuple[str, ...], structure: str, temperature_C: float,
                 salt_M: float) -> tuple[str, float, float]:
    fc = _rna().fold_compound("&".join(strands), _model(temperature_C, salt_M))
    mfe_s, mfe_e = fc.mfe()
    return mfe_s, float(mfe_e), float(fc.eval_structure(structure))


# -- nearest-neighbour stack model for screening ------------------------------------------

@dataclass(frozen=True)
class StackModel:
    """ΔG(duplex of a perfectly complementary run s) ≈ init + Σ stack[s_t, s_t+1] + terminal AT penalties.

    Fitted by least squares to ViennaRNA's energies of random perfect duplexes at one
    temperature, so the screen and the check speak the same energy model. Loops, bulges
    and dangles are ignored: the screen ranks pairs, ViennaRNA decides.
    """

    stack: np.ndarray   # (4, 4) kcal/mol, indexed by base codes (A C G T)
    init: float
    terminal_at: float
    rmse: float


def encode(seq: str) -> np.ndarray:
    return np.frombuffer(seq.encode(), dtype=np.uint8).copy().view(np.uint8)


_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _i


def codes(seq: str) -> np.ndarray:
    """Base codes 0..3 of A, C, G, T."""
    return _CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]


@functools.lru_cache(maxsize=8)
def stack_model(temperature_C: float, salt_M: float = STANDARD_SALT_M, samples: int = 400,
                seed: int = 0) -> StackModel:
    """Fit the stack model to ViennaRNA duplex energies of random 4-14 bp duplexes."""
    rng = np.random.default_rng(seed)
    rows, energies = [], []
    for _ in range(samples):
        n = int(rng.integers(4, 15))
        s = "".join(BASES[i] for i in rng.integers(0, 4, n))
        x = np.zeros(18)
        c = codes(s)
        for a, b in zip(c[:-1], c[1:]):
            x[a * 4 + b] += 1
        x[16] = 1.0
        x[17] = (s[0] in "AT") + (s[-1] in "AT")
        rows.append(x)
        energies.append(duplex_dG(s, revcomp(s), temperature_C, salt_M))
    X, y = np.array(rows), np.array(energies)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    rmse = float(np.sqrt(np.mean((X @ coef - y) ** 2)))
    return StackModel(coef[:16].reshape(4, 4), float(coef[16]), float(coef[17]), rmse)


def screen_pairs(seqs: list[str], pairs: np.ndarray, model: StackModel, chunk: int = 4096) -> np.ndarray:
    """Estimated ΔG (kcal/mol) of the strongest perfectly complementary run of each pair (i, j).

    For every pair, strand i is aligned against the reverse complement of strand j: a
    common substring of the two is a run of base pairs. A diagonal dynamic programme sums
    the stack energies along each run; the most negative run (plus initiation) is the
    estimate. Vectorised over chunks of pairs.
    """
    if len(pairs) == 0:
        return np.zeros(0)
    enc = [codes(s).astype(np.int16) for s in seqs]
    rc = [codes(revcomp(s)).astype(np.int16) for s in seqs]
    L = max(len(s) for s in seqs)
    A = np.full((len(seqs), L), -1, dtype=np.int16)
    R = np.full((len(seqs), L), -2, dtype=np.int16)
    for k, (a, r) in enumerate(zip(enc, rc)):
        A[k, :len(a)] = a
        R[k, :len(r)] = r
    stack = model.stack
    out = np.zeros(len(pairs))
    for lo in range(0, len(pairs), chunk):
        p = pairs[lo:lo + chunk]
        a, r = A[p[:, 0]], R[p[:, 1]]                       # (P, L) each
        best = np.zeros(len(p))
        prev = np.zeros((len(p), L))                         # run energy ending at (i-1, j-1)
        prev_match = np.zeros((len(p), L), dtype=bool)
        for i in range(L):
            ai = a[:, i:i + 1]                               # (P, 1)
            match = (r == ai) & (ai >= 0)                    # (P, L): a[i] == rc(b)[j]
            shifted = np.zeros_like(prev)
            shifted[:, 1:] = prev[:, :-1]
            shifted_m = np.zeros_like(prev_match)
            shifted_m[:, 1:] = prev_match[:, :-1]
            if i > 0:
                a_prev = np.clip(a[:, i - 1], 0, 3)
                st = stack[a_prev, np.clip(a[:, i], 0, 3)][:, None]
                cur = np.where(match & shifted_m, shifted + st, 0.0)
            else:
                cur = np.zeros_like(prev)
            cur = np.where(match, cur, 0.0)
            best = np.minimum(best, cur.min(axis=1))
            prev, prev_match = cur, match
        out[lo:lo + chunk] = np.where(best < 0, best + model.init, 0.0)
    return out


def _kmer_codes(seqs: list[str], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sequence index, start position, base-4 code) of every k-mer of every sequence."""
    ids, pos, code = [], [], []
    for n, s in enumerate(seqs):
        c = codes(s).astype(np.int64)
        if len(c) < k:
            continue
        w = np.lib.stride_tricks.sliding_window_view(c, k)
        ids.append(np.full(len(w), n))
        pos.append(np.arange(len(w)))
        code.append(w @ (4 ** np.arange(k - 1, -1, -1)))
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ids), np.concatenate(pos), np.concatenate(code)


def screen_runs(a_seqs: list[str], b_seqs: list[str], pairs: np.ndarray, model: StackModel,
                k: int = 5) -> np.ndarray:
    """Like :func:`screen_pairs` for (a, b) pairs across two lists, counting only runs of ``k`` or more pairs.

    A run of at least ``k`` base pairs between ``a`` and ``b`` contains a k-mer of ``a`` that is also a
    k-mer of the reverse complement of ``b``; a sort-and-search join of all such k-mers finds every
    run as a chain of hits on one diagonal, and the stack energies of ``a`` summed along the chain give
    its energy. Pairs whose longest run is shorter than ``k`` get 0. The work grows with the number of
    shared k-mers, not with the product of the lengths, which makes screening hundreds of thousands of
    (strand, gate region) pairs with 100-nt regions a matter of seconds.
    """
    out = np.zeros(len(pairs))
    if len(pairs) == 0:
        return out
    pair_of = np.full((len(a_seqs), len(b_seqs)), -1, dtype=np.int64)
    pair_of[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
    a_id, a_pos, a_code = _kmer_codes(a_seqs, k)
    b_id, b_pos, b_code = _kmer_codes([revcomp(s) for s in b_seqs], k)
    order = np.argsort(b_code, kind="stable")
    b_id, b_pos, b_code = b_id[order], b_pos[order], b_code[order]
    lo = np.searchsorted(b_code, a_code, side="left")
    hi = np.searchsorted(b_code, a_code, side="right")
    counts = hi - lo
    rows = np.repeat(np.arange(len(a_code)), counts)
    if len(rows) == 0:
        return out
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(len(rows))
    pair = pair_of[a_id[rows], b_id[starts]]
    keep = pair >= 0
    rows, starts, pair = rows[keep], starts[keep], pair[keep]
    if len(pair) == 0:
        return out
    sa, diag = a_pos[rows], b_pos[starts] - a_pos[rows]
    order = np.lexsort((sa, diag, pair))
    pair, diag, sa, rows = pair[order], diag[order], sa[order], rows[order]
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (diag[1:] != diag[:-1]) | (sa[1:] != sa[:-1] + 1)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(pair)) - 1
    # cumulative stack energy along each a: cum[n, t] = sum of stacks between positions < t
    L = max(len(s) for s in a_seqs)
    cum = np.zeros((len(a_seqs), L + 1))
    for n, s in enumerate(a_seqs):
        c = codes(s)
        if len(c) > 1:
            cum[n, 2:len(c) + 1] = np.cumsum(model.stack[c[:-1], c[1:]])
    aid = a_id[rows[first]]
    start, stop = sa[first], sa[last] + k - 1
    energy_run = model.init + cum[aid, stop + 1] - cum[aid, start + 1]
    np.minimum.at(out, pair[first], energy_run)
    return out


def toehold_pool(length: int, temperature_C: float, alphabet: str = "ACGT",
                 salt_M: float = STANDARD_SALT_M) -> dict[str, float]:
    """Every toehold of ``length`` over ``alphabet`` with its duplex free energy (kcal/mol)."""
    if not 1 <= length <= 9:
        raise DsdCompileError(f"toehold pool is enumerated exhaustively; length {length} is outside 1..9")
    seqs = ("".join(t) for t in itertools.product(alphabet, repeat=length))
    return {s: toehold_dG(s, temperature_C, salt_M) for s in seqs}


__all__ = ["BASES", "STANDARD_SALT_M", "ComplexCheck", "StackModel", "check_complex", "codes", "complex_mfe",
           "duplex_dG", "mfe", "revcomp", "screen_pairs", "screen_runs", "stack_model", "toehold_dG",
           "toehold_pool", "version"]
