"""Classes of module pairs that share a formal species: one representative per isomorphism class, with its size.

Two module pairs (i, j) and (k, l) have joint enumerations that are the same up to renaming
domains when i and k use the same template, j and l use the same template, and the same
local species positions of i and j hold equal formal species as of k and l. That key is
computed for every pair that shares a species, without a Python loop over the pairs (an
MNIST-size design has 10^8 of them): pairs are generated per species in numpy chunks, each
pair's position-equality pattern is packed into bits, and a pair is counted only on the
smallest species it shares, so a pair sharing several species is counted once. Pairs are
not identified with their mirror image, which can only split a class in two (one more
check), never merge two.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dsdcompile.dsd.system import DSDSystem

PairKey = tuple[int, int, tuple[tuple[int, int], ...]]
"""(template of the first module, template of the second, positions (p, q) holding the same species)."""

_CHUNK = 2_000_000  # module pairs per numpy batch (about 100 MB of temporaries at 8 species per module)


@dataclass(frozen=True)
class PairClass:
    """Module pairs whose joint enumerations are the same up to renaming: one representative is checked."""

    key: PairKey
    representative: tuple[int, int]
    instances: int
    shared: tuple[str, ...]  # the formal species the representative's modules share


def _species_matrix(system: DSDSystem) -> np.ndarray:
    """Module × local position → species index, -1 past a module's last species."""
    offsets, flat = system.module_offsets, system.module_species
    widths = np.diff(offsets)
    out = np.full((system.n_modules, int(widths.max(initial=1))), -1, dtype=np.int64)
    rows = np.repeat(np.arange(system.n_modules), widths)
    cols = np.arange(len(flat)) - np.repeat(offsets[:-1], widths)
    out[rows, cols] = flat
    return out


def _pair_chunks(matrix: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(first modules, second modules, the species they were paired on) for every pair sharing a species."""
    rows, cols = np.nonzero(matrix >= 0)
    species = matrix[rows, cols]
    order = np.lexsort((rows, species))
    species, modules = species[order], rows[order]
    starts = np.flatnonzero(np.r_[True, species[1:] != species[:-1]])
    ends = np.r_[starts[1:], len(species)]
    buf_i, buf_j, buf_s, size = [], [], [], 0
    for a, b in zip(starts.tolist(), ends.tolist()):
        k = b - a
        if k < 2:
            continue
        mods = np.unique(modules[a:b])  # a module holding the species twice pairs with the others once
        if len(mods) < 2:
            continue
        x, y = np.triu_indices(len(mods), 1)
        buf_i.append(mods[x])
        buf_j.append(mods[y])
        buf_s.append(np.full(len(x), species[a], dtype=np.int64))
        size += len(x)
        if size >= _CHUNK:
            yield np.concatenate(buf_i), np.concatenate(buf_j), np.concatenate(buf_s)
            buf_i, buf_j, buf_s, size = [], [], [], 0
    if size:
        yield np.concatenate(buf_i), np.concatenate(buf_j), np.concatenate(buf_s)


def pair_classes(system: DSDSystem) -> list[PairClass]:
    """Every class of module pairs that share a formal species, with a representative and its size."""
    if system.n_modules < 2:
        return []
    matrix = _species_matrix(system)
    width = matrix.shape[1]
    templates = system.module_template.astype(np.int64)
    found: dict[bytes, list] = {}
    for first, second, on in _pair_chunks(matrix):
        a, b = matrix[first], matrix[second]
        equal = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)
        shared_min = np.where(equal.any(axis=2), a, np.iinfo(np.int64).max).min(axis=1)
        keep = shared_min == on  # count a pair once: on the smallest species it shares
        first, second, equal = first[keep], second[keep], equal[keep]
        bits = np.packbits(equal.reshape(len(first), width * width), axis=1)
        rows = np.concatenate([templates[first, None].view(np.uint8).reshape(len(first), 8),
                               templates[second, None].view(np.uint8).reshape(len(first), 8), bits], axis=1)
        keys, index, counts = np.unique(np.ascontiguousarray(rows).view(f"V{rows.shape[1]}").ravel(),
                                        return_index=True, return_counts=True)
        for key, ix, n in zip(keys.tolist(), index.tolist(), counts.tolist()):
            entry = found.setdefault(key, [(int(first[ix]), int(second[ix])), 0])
            entry[1] += n
    names = system.split_crn.species
    out = []
    for (i, j), count in found.values():
        si, sj = matrix[i][matrix[i] >= 0], matrix[j][matrix[j] >= 0]
        pattern = tuple((p, q) for p in range(len(si)) for q in range(len(sj)) if si[p] == sj[q])
        shared = tuple(sorted({names[int(s)].name for s in si} & {names[int(s)].name for s in sj}))
        out.append(PairClass((int(templates[i]), int(templates[j]), pattern), (i, j), count, shared))
    return sorted(out, key=lambda c: (c.key, c.representative))
