"""Block-triangular structure of a CRN's Jacobian and the batched Ros3 integrator of dsdcompile.sim.engine.

See :mod:`dsdcompile.sim.engine` for the method. Everything here works on concentrations laid
out species-major, ``c[s, b]`` for species s of example b, so that gathering or scattering
species moves contiguous rows of the batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components

from dsdcompile.config import SimulationConfig
from dsdcompile.ir import CRN

MAX_BLOCK = 16        # larger strongly connected components go to the generic solver
_HEAVY_ROW = 16       # reactions with this many stoichiometry nonzeros may join a dense block
_DENSE_COL = 0.05     # a column joins the dense block if this fraction of the heavy rows touch it
_DENSE_MIN = 0.05     # and the dense block is used only at least this full
_PARALLEL_MIN = 1 << 17  # species × batch below which the integrator runs on one thread
_DT = torch.float64

# Ros3 (Sandu et al. 1997): 3 stages, order 3 (embedded 2), L-stable, 2 function evaluations.
_GAMMA = 0.43586652150845899941601945119356
_C21 = -1.0156171083877702091975600115545
_C31, _C32 = 4.0759956452537699824805835358067, 9.2076794298330791242156818474003
_M = (1.0, 6.1697947043828245592553615689730, -0.42772256543218573326238373806514)
_E = (0.5, -2.9079558716805469821718236208017, 0.22354069897811569627360909276199)


def reactant_table(crn: CRN) -> tuple[np.ndarray, np.ndarray]:
    """Reactant columns and coefficients padded to the widest reaction, (reactions × width).

    Padding points at column ``n_species``, where callers append a row of ones.
    """
    r = crn.reactant_matrix.tocsr()
    width = max(int(np.diff(r.indptr).max(initial=0)), 1)
    cols = np.full((crn.n_reactions, width), crn.n_species, dtype=np.int64)
    coefs = np.ones((crn.n_reactions, width))
    pos = np.arange(r.nnz) - np.repeat(r.indptr[:-1], np.diff(r.indptr))
    rows = np.repeat(np.arange(crn.n_reactions), np.diff(r.indptr))
    cols[rows, pos] = r.indices
    coefs[rows, pos] = r.data
    return cols, coefs


def species_levels(crn: CRN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SCC label, SCC size and topological level of every species' SCC.

    Species t depends on s when some reaction consumes s and changes t (J[t, s] may be
    nonzero); a species' level is one more than the highest level it depends on outside its SCC.
    """
    n = crn.n_species
    dep = (abs(crn.stoichiometry).T.tocsr() @ (crn.reactant_matrix > 0).astype(np.float64)).tocoo()
    n_comp, labels = connected_components(sp.csr_matrix((np.ones(dep.nnz), (dep.row, dep.col)), shape=(n, n)),
                                          directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=n_comp)
    src, dst = labels[dep.col], labels[dep.row]
    keep = src != dst
    graph = sp.csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n_comp, n_comp))
    graph.sum_duplicates()
    graph.data[:] = 1.0
    indeg = np.asarray(graph.sum(axis=0)).ravel().astype(np.int64)
    level = np.full(n_comp, -1, dtype=np.int64)
    frontier, depth = np.flatnonzero(indeg == 0), 0
    while frontier.size:  # Kahn's algorithm, one whole frontier per level
        level[frontier] = depth
        nxt = graph[frontier]
        hit = np.bincount(nxt.indices, minlength=n_comp)
        indeg -= hit
        frontier = np.flatnonzero((hit > 0) & (indeg == 0))
        depth += 1
    return labels, sizes, level


def _csr(m: sp.csr_matrix, dev: torch.device) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The nonzero rows of m and m restricted to them as a torch CSR tensor (None, None if empty)."""
    rows = np.flatnonzero(np.diff(m.indptr))
    if not rows.size:
        return None, None
    sub = m[rows]
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        t = torch.sparse_csr_tensor(torch.as_tensor(sub.indptr, dtype=torch.int64),
                                    torch.as_tensor(sub.indices, dtype=torch.int64),
                                    torch.as_tensor(sub.data), size=sub.shape, check_invariants=False)
    return torch.as_tensor(rows, device=dev), t.to(dev)


@dataclass
class _Product:
    """acc += Mᵀ u for the stoichiometry rows M of a set of reactions: a dense core plus sparse rests.

    ``own`` holds the columns of the level itself (and earlier), which dc/dt needs but the
    forward substitution must not touch once that level is solved.
    """

    heavy: int                      # rows [0, heavy) of u feed the dense core
    dense_cols: torch.Tensor | None
    dense: torch.Tensor | None      # (dense columns × heavy)
    later_cols: torch.Tensor | None
    later: torch.Tensor | None      # CSR (columns × rows)
    own_cols: torch.Tensor | None
    own: torch.Tensor | None

    @staticmethod
    def build(m: sp.csr_matrix, heavy: int, later: np.ndarray, dev: torch.device) -> _Product:
        dense_cols = dense = None
        rest = m
        if heavy >= 8:
            head = m[:heavy]
            counts = np.bincount(head.indices, minlength=m.shape[1])
            cols = np.flatnonzero((counts >= max(2.0, _DENSE_COL * heavy)) & later)
            block = head[:, cols]
            if cols.size and block.nnz >= _DENSE_MIN * heavy * cols.size:
                dense_cols = torch.as_tensor(cols, device=dev)
                dense = torch.as_tensor(block.toarray().T.copy(), device=dev)
                mask = np.ones(m.shape[1])
                mask[cols] = 0.0
                rest = sp.vstack([head @ sp.diags(mask), m[heavy:]]).tocsr()
                rest.eliminate_zeros()
        else:
            heavy = 0
        rest_t = rest.T.tocsr()
        later_cols, later_m = _csr(sp.diags(later.astype(np.float64)) @ rest_t, dev)
        own_cols, own_m = _csr(sp.diags((~later).astype(np.float64)) @ rest_t, dev)
        return _Product(heavy, dense_cols, dense, later_cols, later_m, own_cols, own_m)

    def add_to(self, acc: torch.Tensor, u: torch.Tensor, own: bool = True) -> None:
        if self.dense is not None:
            acc.index_add_(0, self.dense_cols, self.dense @ u[: self.heavy])
        if self.later is not None:
            acc.index_add_(0, self.later_cols, torch.sparse.mm(self.later, u))
        if own and self.own is not None:
            acc.index_add_(0, self.own_cols, torch.sparse.mm(self.own, u))


@dataclass
class _Group:
    """The SCCs of one size k at one level: their diagonal blocks of I - γhJ, solved together."""

    k: int
    species: torch.Tensor  # (k, blocks): species of each block
    pos: torch.Tensor      # flat position (i·k + j)·blocks + block of each Jacobian term
    entry: torch.Tensor    # the D entry (row of D flattened over reactant slots) of each term
    coef: torch.Tensor     # N[r, t] of each term: J[t, s] = Σ N[r, t] D[r, s]


@dataclass
class _Level:
    groups: list[_Group]
    rows: torch.Tensor           # reactions with a reactant at this level
    first: torch.Tensor | None   # 1 where this is the reaction's first level (f counts it once); None: all
    entry: torch.Tensor          # D entries whose species is at this level
    entry_species: torch.Tensor
    entry_slot: torch.Tensor     # their reaction's position in rows
    product: _Product


class Plan:
    """Everything about a CRN that the integrator precomputes once (rate constants excluded)."""

    def __init__(self, crn: CRN, device: torch.device) -> None:
        self.device = device
        self.n_species = crn.n_species
        labels, sizes, comp_level = species_levels(crn)
        self.max_block = int(sizes.max(initial=1))
        self.levels: list[_Level] = []
        self.source: _Product | None = None
        if self.max_block > MAX_BLOCK:
            return  # the generic solver takes over; nothing more to build
        dev = device
        cols, coefs = reactant_table(crn)
        self.width = cols.shape[1]
        self.cols = torch.as_tensor(cols, device=dev)
        self.coefs = torch.as_tensor(coefs, device=dev)
        self.unit = bool((coefs == 1.0).all())
        n_stoich = crn.stoichiometry.tocsr()
        row_nnz = np.diff(n_stoich.indptr)
        level = np.append(comp_level[labels], -1)  # padding column has no level
        entry_level = level[cols.ravel()]
        home = np.where(cols < crn.n_species, level[cols], np.iinfo(np.int64).max).min(axis=1)
        local = np.zeros(crn.n_species, dtype=np.int64)  # species' index inside its SCC
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], labels[order])
        local[order] = np.arange(crn.n_species) - starts

        for lv in range(int(comp_level.max(initial=-1)) + 1):
            ent = np.flatnonzero(entry_level == lv)
            ent_r, ent_s = ent // self.width, cols.ravel()[ent]
            rows = np.unique(ent_r)
            heavy_first = np.argsort(row_nnz[rows] < _HEAVY_ROW, kind="stable")
            rows = rows[heavy_first]
            heavy = int((row_nnz[rows] >= _HEAVY_ROW).sum())
            slot = np.empty(crn.n_reactions, dtype=np.int64)
            slot[rows] = np.arange(rows.size)
            first = home[rows] == lv
            groups = self._groups(lv, labels, sizes, comp_level, local, ent, ent_r, ent_s, n_stoich)
            self.levels.append(_Level(
                groups, torch.as_tensor(rows, device=dev),
                None if first.all() else torch.as_tensor(first[:, None].astype(np.float64), device=dev),
                torch.as_tensor(ent, device=dev), torch.as_tensor(ent_s, device=dev),
                torch.as_tensor(slot[ent_r], device=dev),
                _Product.build(n_stoich[rows], heavy, level[:-1] > lv, dev)))
        zero_order = np.flatnonzero(np.diff(crn.reactant_matrix.tocsr().indptr) == 0)
        if zero_order.size:
            self.source_rows = torch.as_tensor(zero_order, device=dev)
            self.source = _Product.build(n_stoich[zero_order], 0, np.ones(crn.n_species, dtype=bool), dev)

    def _groups(self, lv, labels, sizes, comp_level, local, ent, ent_r, ent_s, n_stoich) -> list[_Group]:
        # Jacobian terms inside the diagonal blocks: entry (r, s) and a species t of s's SCC changed by r
        counts = np.diff(n_stoich.indptr)[ent_r]
        term_e = np.repeat(np.arange(ent.size), counts)
        starts = np.repeat(n_stoich.indptr[ent_r], counts)
        k = np.arange(term_e.size) - np.repeat(np.cumsum(counts) - counts, counts)
        term_t = n_stoich.indices[starts + k]
        term_c = n_stoich.data[starts + k]
        same = labels[term_t] == labels[ent_s[term_e]]
        term_e, term_t, term_c = term_e[same], term_t[same], term_c[same]
        groups = []
        comps = np.flatnonzero(comp_level == lv)
        for size in np.unique(sizes[comps]):
            cs = comps[sizes[comps] == size]
            if size == 1:  # singletons without a diagonal term need no work at all
                cs = np.intersect1d(cs, labels[term_t])
                if not cs.size:
                    continue
            block = np.full(labels.max() + 1, -1, dtype=np.int64)
            block[cs] = np.arange(cs.size)
            members = np.flatnonzero(block[labels] >= 0)
            species = np.empty((size, cs.size), dtype=np.int64)
            species[local[members], block[labels[members]]] = members
            mine = block[labels[term_t]] >= 0
            e, t, c = term_e[mine], term_t[mine], term_c[mine]
            pos = (local[t] * size + local[ent_s[e]]) * cs.size + block[labels[t]]
            dev = self.device
            groups.append(_Group(int(size), torch.as_tensor(species, device=dev), torch.as_tensor(pos, device=dev),
                                 torch.as_tensor(ent[e], device=dev), torch.as_tensor(c, device=dev)))
        return groups

    # -- the right-hand side and its Jacobian ---------------------------------------------------
    def rates(self, c: torch.Tensor, k: torch.Tensor, jac: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Reaction rates v (reactions × batch) and, if ``jac``, D = ∂v/∂c over reactant slots."""
        ext = torch.empty(c.shape[0] + 1, c.shape[1], dtype=c.dtype, device=c.device)
        torch.clamp(c, min=0.0, out=ext[:-1])
        ext[-1] = 1.0
        g = ext[self.cols]  # (reactions, width, batch)
        p = g if self.unit else g ** self.coefs[:, :, None]
        v = p[:, 0] if self.width == 1 else p[:, 0] * p[:, 1] if self.width == 2 else p.prod(dim=1)
        v = v * k[:, None]
        if not jac:
            return v, None
        if self.width == 1:
            others = [torch.ones_like(v)]
        elif self.width == 2:
            others = [p[:, 1], p[:, 0]]
        else:
            others = [torch.cat([p[:, :j], p[:, j + 1:]], dim=1).prod(dim=1) for j in range(self.width)]
        d = torch.stack(others, dim=1) * k[:, None, None]
        if not self.unit:  # d/dc c^n = n c^(n-1)
            d = d * self.coefs[:, :, None] * g ** (self.coefs[:, :, None] - 1.0)
        return v, d.reshape(-1, c.shape[1])

    def rhs(self, v: torch.Tensor) -> torch.Tensor:
        """dc/dt = Nᵀ v, species × batch."""
        f = torch.zeros(self.n_species, v.shape[1], dtype=v.dtype, device=v.device)
        for lev in self.levels:
            u = v[lev.rows]
            if lev.first is not None:
                u = u * lev.first
            lev.product.add_to(f, u)
        if self.source is not None:
            self.source.add_to(f, v[self.source_rows])
        return f

    def factor(self, d: torch.Tensor, gh: torch.Tensor) -> list[list[torch.Tensor]]:
        """Inverses of the diagonal blocks of I - γhJ, per level and group, as (k, k, blocks, batch)."""
        out = []
        for lev in self.levels:
            invs = []
            for grp in lev.groups:
                nb, k = grp.species.shape[1], grp.k
                jb = torch.zeros(k * k * nb, d.shape[1], dtype=d.dtype, device=d.device)
                jb.index_add_(0, grp.pos, d[grp.entry] * grp.coef[:, None])
                a = torch.eye(k, dtype=d.dtype, device=d.device)[:, :, None, None] - gh * jb.view(k, k, nb, -1)
                invs.append(_inverse(a))
            out.append(invs)
        return out

    def solve(self, b: torch.Tensor, d: torch.Tensor, gh: torch.Tensor, invs: list[list[torch.Tensor]]) -> torch.Tensor:
        """Solve (I - γhJ) x = b level by level; b is overwritten and returned as x."""
        for lev, inv in zip(self.levels, invs):
            for grp, a in zip(lev.groups, inv):
                if grp.k == 1:
                    idx = grp.species[0]
                    b[idx] = b[idx] * a[0, 0]
                else:
                    b[grp.species] = (a * b[grp.species][None]).sum(dim=1)
            if lev.entry.numel():
                # push this level's x into later levels: b += γh Nᵀ (D x)
                u = torch.zeros(lev.rows.numel(), b.shape[1], dtype=b.dtype, device=b.device)
                u.index_add_(0, lev.entry_slot, d[lev.entry] * b[lev.entry_species])
                lev.product.add_to(b, u.mul_(gh), own=False)
        return b


def _sample(states: np.ndarray, grid: torch.Tensor, nxt: torch.Tensor, t: torch.Tensor, c: torch.Tensor,
            ids: torch.Tensor) -> None:
    """Store the state of every example that has reached its next sample time(s), and advance ``nxt``."""
    while True:
        due = _where(grid[nxt] <= t)
        if not due.numel():
            return
        states[nxt[due].cpu().numpy(), ids[due].cpu().numpy()] = c[:, due].T.cpu().numpy()
        nxt[due] += 1


def _where(mask: torch.Tensor) -> torch.Tensor:
    return mask.nonzero().flatten()


def _inverse(a: torch.Tensor) -> torch.Tensor:
    """Inverse of a stack of k×k matrices laid out (k, k, ...): closed forms for k ≤ 3."""
    k = a.shape[0]
    if k == 1:
        return 1.0 / a
    if k == 2:
        det = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
        return torch.stack([torch.stack([a[1, 1], -a[0, 1]]), torch.stack([-a[1, 0], a[0, 0]])]) / det
    if k == 3:
        cof = [[a[(i + 1) % 3, (j + 1) % 3] * a[(i + 2) % 3, (j + 2) % 3]
                - a[(i + 1) % 3, (j + 2) % 3] * a[(i + 2) % 3, (j + 1) % 3] for j in range(3)] for i in range(3)]
        det = a[0, 0] * cof[0][0] + a[0, 1] * cof[0][1] + a[0, 2] * cof[0][2]
        return torch.stack([torch.stack([cof[j][i] for j in range(3)]) for i in range(3)]) / det
    inv = torch.linalg.inv(a.permute(2, 3, 0, 1))  # batched LAPACK: fine for the rare larger blocks
    return inv.permute(2, 3, 0, 1)


@dataclass
class Outcome:
    final: np.ndarray
    t_final: np.ndarray
    converged: np.ndarray
    steps: np.ndarray
    times: np.ndarray | None
    trajectory: np.ndarray | None
    states: np.ndarray | None = None  # (T, batch, species) at the requested times


def integrate(plan: Plan, c0: np.ndarray, rates: np.ndarray, cfg: SimulationConfig, record: int | None,
              progress: Callable[[int], None] | None, times: np.ndarray | None = None) -> Outcome:
    """Run Ros3 on every row of c0 until steady state, keeping up to ``cfg.batch_size`` in flight.

    Each example has its own time and step size; finished examples leave the batch and
    waiting ones take their place, so the batch stays full until the queue runs dry. With
    ``times`` (sorted, in [0, t_max]) every example's steps are shortened to land on each
    of them, where its state is stored; the step size the controller proposed is kept for
    the step after, so a sample costs at most one extra step. An example that stops early
    (steady state, or max_steps) keeps its final state at the later times.
    """
    threads = torch.get_num_threads()
    if plan.device.type == "cpu" and plan.n_species * min(cfg.batch_size, len(c0)) < _PARALLEL_MIN:
        # small tensors gain nothing from intra-op threads, and on a busy machine every
        # parallel region can wait a whole scheduler slice for its second thread
        torch.set_num_threads(1)
    try:
        return _integrate(plan, c0, rates, cfg, record, progress, times)
    finally:
        torch.set_num_threads(threads)


@dataclass
class _Batch:
    """The examples in flight, one column each: state ``c[s, b]``, time, proposed step size (NaN before the
    first step), accepted steps, example index, whether the last step was rejected, next sample time's index."""

    c: torch.Tensor
    t: torch.Tensor
    h: torch.Tensor
    steps: torch.Tensor
    ids: torch.Tensor
    rejected: torch.Tensor
    nxt: torch.Tensor

    @classmethod
    def empty(cls, n_species: int, dev: torch.device) -> _Batch:
        def none(dtype: torch.dtype) -> torch.Tensor:
            return torch.empty(0, dtype=dtype, device=dev)

        return cls(torch.empty(n_species, 0, dtype=_DT, device=dev), none(_DT), none(_DT), none(torch.int64),
                   none(torch.int64), none(torch.bool), none(torch.int64))

    @property
    def size(self) -> int:
        return self.c.shape[1]

    def admit(self, c0: np.ndarray, first_id: int, first_sample: int) -> None:
        """Add the examples ``c0`` (rows), numbered from ``first_id``, at time 0."""
        room, dev = len(c0), self.c.device
        self.c = torch.cat([self.c, torch.as_tensor(c0.T, dtype=_DT, device=dev)], dim=1)
        self.t = torch.cat([self.t, torch.zeros(room, dtype=_DT, device=dev)])
        self.h = torch.cat([self.h, torch.full((room,), float("nan"), dtype=_DT, device=dev)])
        self.steps = torch.cat([self.steps, torch.zeros(room, dtype=torch.int64, device=dev)])
        self.ids = torch.cat([self.ids, torch.arange(first_id, first_id + room, device=dev)])
        self.rejected = torch.cat([self.rejected, torch.zeros(room, dtype=torch.bool, device=dev)])
        self.nxt = torch.cat([self.nxt, torch.full((room,), first_sample, dtype=torch.int64, device=dev)])

    def keep(self, idx: torch.Tensor) -> None:
        """Keep only the examples at positions ``idx``."""
        self.c, self.t, self.h = self.c[:, idx], self.t[idx], self.h[idx]
        self.steps, self.ids = self.steps[idx], self.ids[idx]
        self.rejected, self.nxt = self.rejected[idx], self.nxt[idx]


class _Samples:
    """The requested output times: steps are shortened to land on them, and the state there is stored."""

    def __init__(self, times: np.ndarray, c0: np.ndarray, out: Outcome, dev: torch.device) -> None:
        out.states = np.empty((times.size, *c0.shape))
        # times padded with +inf, so that an example past the last one is never shortened again
        self.grid = torch.as_tensor(np.append(times, np.inf), dtype=_DT, device=dev)
        self.at_start = int(np.searchsorted(times, 0.0, side="right"))  # times at 0 hold the initial state
        out.states[:self.at_start] = c0[None]
        self.states = out.states

    def shorten(self, b: _Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Cut each step at the example's next sample time; returns the proposed sizes and which steps land."""
        proposed, gap = b.h, self.grid[b.nxt] - b.t
        b.h = torch.minimum(b.h, gap)
        return proposed, gap <= proposed

    def store(self, b: _Batch, ok: torch.Tensor, proposed: torch.Tensor, landing: torch.Tensor) -> None:
        """After a step: store the states at the sample times reached."""
        landed = ok & landing
        # a step shortened to land on a sample time says nothing against the proposed size
        b.h = torch.where(landed, torch.maximum(b.h, proposed), b.h)
        b.t = torch.where(landed, self.grid[b.nxt], b.t)  # exactly, so that the time is not sampled twice
        _sample(self.states, self.grid, b.nxt, b.t, b.c, b.ids)

    def finish(self, rows: np.ndarray, first: np.ndarray, final: np.ndarray) -> None:
        """Examples that stopped keep their final state at every later time."""
        for j, f in zip(rows, first):
            self.states[f:, j] = final[j]


class _Trace:
    """The accepted states of one example (``record``), for plotting."""

    def __init__(self, record: int | None, c0: np.ndarray) -> None:
        self.record, self.c0 = record, c0
        self.t: list[float] = []
        self.c: list[np.ndarray] = []

    def admitted(self, first: int, room: int) -> None:
        if self.record is not None and first <= self.record < first + room:
            self.t.append(0.0)
            self.c.append(self.c0[self.record].copy())

    def stepped(self, b: _Batch, ok: torch.Tensor) -> None:
        if self.record is not None:
            j = _where((b.ids == self.record) & ok)
            if j.numel():
                self.t.append(float(b.t[j[0]]))
                self.c.append(b.c[:, j[0]].cpu().numpy())

    def store(self, out: Outcome) -> None:
        if self.record is not None:
            out.times, out.trajectory = np.asarray(self.t), np.stack(self.c)


def _first_steps(b: _Batch, f0: torch.Tensor, cfg: SimulationConfig) -> None:
    """Initial step of new examples: 1% of the time the first derivative takes to change c by its own size."""
    fresh = torch.isnan(b.h)
    if fresh.any():
        weight = cfg.atol + cfg.rtol * b.c.abs()
        d0 = (b.c / weight).pow(2).mean(0).sqrt()
        d1 = (f0 / weight).pow(2).mean(0).sqrt()
        h0 = torch.where((d0 > 1e-5) & (d1 > 1e-5), 0.01 * d0 / d1.clamp(min=1e-300), torch.full_like(d0, 1e-6))
        b.h = torch.where(fresh, h0.clamp(max=cfg.t_max), b.h)


def _retire(b: _Batch, done: torch.Tensor, steady: torch.Tensor, out: Outcome, samples: _Samples | None) -> int:
    """Write the outcome of the examples that are ``done`` and take them out of the batch; returns how many."""
    fin = _where(done)
    i = b.ids[fin].cpu().numpy()
    out.final[i] = b.c[:, fin].T.cpu().numpy()
    out.t_final[i] = b.t[fin].cpu().numpy()
    out.converged[i] = steady[fin].cpu().numpy()
    out.steps[i] = b.steps[fin].cpu().numpy()
    if samples is not None:
        samples.finish(i, b.nxt[fin].cpu().numpy(), out.final)
    b.keep(_where(~done))
    return int(fin.numel())


def _ros3(plan: Plan, c: torch.Tensor, k: torch.Tensor, f0: torch.Tensor, d: torch.Tensor,
          h: torch.Tensor, cfg: SimulationConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """One Ros3 step of size ``h`` from ``c`` (``f0``, ``d``: its right-hand side and rate derivatives, ``f0``
    overwritten): the new state and the weighted RMS error estimate of each example."""
    gh = _GAMMA * h
    invs = plan.factor(d, gh)
    k1 = plan.solve(f0.mul_(gh), d, gh, invs)
    f2 = plan.rhs(plan.rates(c + k1, k)[0])
    inv_h = 1.0 / h
    k2 = plan.solve(torch.addcmul(f2, k1, _C21 * inv_h).mul_(gh), d, gh, invs)
    k3 = plan.solve(f2.addcmul_(k1, _C31 * inv_h).addcmul_(k2, _C32 * inv_h).mul_(gh), d, gh, invs)
    new = torch.add(c, k1, alpha=_M[0]).add_(k2, alpha=_M[1]).add_(k3, alpha=_M[2])
    err = k1.mul_(_E[0]).add_(k2, alpha=_E[1]).add_(k3, alpha=_E[2])
    err = err.div_(torch.maximum(c, new.abs()).mul_(cfg.rtol).add_(cfg.atol)).square_().mean(0).sqrt_()
    return new, err


def _accept(b: _Batch, new: torch.Tensor, err: torch.Tensor) -> torch.Tensor:
    """Take the steps whose error is within tolerance, and size every example's next step; returns which."""
    ok = torch.isfinite(err) & (err <= 1.0)
    # the usual controller for an order-3 estimate; after a rejection never grow at once
    fac = (0.9 * err.clamp(min=1e-10) ** (-1.0 / 3.0)).clamp(0.2, 6.0)
    fac = torch.where(b.rejected, fac.clamp(max=1.0), fac)
    fac = torch.where(torch.isfinite(err), fac, torch.full_like(fac, 0.1))
    b.c = torch.where(ok, new.clamp(min=0.0), b.c)  # clip the tiny negatives the step may leave
    b.t = torch.where(ok, b.t + b.h, b.t)
    b.steps = b.steps + ok
    b.rejected = ~ok
    b.h = b.h * fac
    return ok


def _integrate(plan: Plan, c0: np.ndarray, rates: np.ndarray, cfg: SimulationConfig, record: int | None,
               progress: Callable[[int], None] | None, times: np.ndarray | None) -> Outcome:
    n, n_s = c0.shape
    k = torch.as_tensor(rates, dtype=_DT, device=plan.device)
    out = Outcome(np.empty_like(c0), np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), None, None)
    samples = None if times is None or not times.size else _Samples(times, c0, out, plan.device)
    if times is not None and samples is None:
        out.states = np.empty((0, n, n_s))
    trace = _Trace(record, c0)
    b = _Batch.empty(n_s, plan.device)
    queued = 0
    while True:
        room = min(cfg.batch_size - b.size, n - queued)
        if room > 0:  # finished examples leave the batch, waiting ones take their place
            b.admit(c0[queued:queued + room], queued, 0 if samples is None else samples.at_start)
            trace.admitted(queued, room)
            queued += room
        if b.size == 0:
            break
        v, d = plan.rates(b.c, k, jac=True)
        f0 = plan.rhs(v)
        steady = (f0.abs() / b.c.abs().clamp(min=cfg.atol)).amax(dim=0) < cfg.steady_rtol
        _first_steps(b, f0, cfg)
        done = (steady | (b.t >= cfg.t_max * (1 - 1e-12)) | (b.steps >= cfg.max_steps)
                | (b.h <= 1e-14 * b.t.clamp(min=1.0)))  # steady, at t_max, out of steps, or stuck
        if done.any():
            keep = _where(~done)
            finished = _retire(b, done, steady, out, samples)
            f0, d = f0[:, keep], d[:, keep]
            if progress is not None:
                progress(finished)
            if b.size == 0:
                continue
        b.h = torch.minimum(b.h, cfg.t_max - b.t)
        if samples is not None:
            proposed, landing = samples.shorten(b)
        ok = _accept(b, *_ros3(plan, b.c, k, f0, d, b.h, cfg))
        if samples is not None:
            samples.store(b, ok, proposed, landing)
        trace.stepped(b, ok)
    trace.store(out)
    return out
