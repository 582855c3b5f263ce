"""The effective formal rate constant of one enumerated module, from its condensed reactions at quasi-steady state.

A module turns its formal reactants into products through intermediates (gate complexes
with a signal bound, released strands on their way to a fork). With every fuel held at a
given concentration (fuel in excess: consumption is sized separately) and every formal
species at a given concentration, the intermediates relax within seconds to a
quasi-steady state (QSS): dI/dt = 0. At the QSS the module converts reactants to products at
a steady flux J, and

    k_eff = J / Π_s [s]^a_s      (a_s: the formal reactant stoichiometry)

is the rate constant that the module gives its formal reaction. Nothing here knows the
scheme: the QSS is solved from the condensed reactions as peppercorn enumerated them,
spurious slow side reactions included. For Soloveichik's join (A + L <-> H + B with the
buffer strand B, H + B' -> O, O + T -> products) the result is the familiar

    k_eff = k_f·k_2·[L] / (k_r·[B] + k_2·[second reactant])  ≈  k_2·[L]/[B]   (k_f = k_r, [B] ≫ [B'])

and for a single gate G, k_eff = k_1·[G]; the QSS computes this, with the saturation term,
without the formula being written in. How k_eff depends on each fuel (d ln k_eff / d ln [f],
:func:`fuel_exponents`) tells a rate-setting fuel (+1: the gate), a rate-lowering one (−1:
the buffer) and fuels in excess (0: translators, forks).

The QSS also says how much of a formal species the module holds in its intermediates. For
species that are catalysts of every reaction they take part in (inputs, helper catalysts)
that amount is taken from a conserved total, so the free concentration the modules see is
lower than the total: :attr:`ModuleQSS.held` gives, per catalyst, the amount held per unit
of its free concentration (from the module's conservation law for that catalyst).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import DsdCompileError
from dsdcompile.kinetics.units import per_nM

_NEWTON_STEPS = 50


@dataclass(frozen=True)
class ModuleQSS:
    """A module at quasi-steady state: its flux (nM/s), effective rate constant (nM, s) and held catalysts."""

    flux_nM_s: float
    k_eff: float                      # /nM^(n-1)/s
    held: dict[str, float]            # catalyst -> held amount / free concentration
    intermediates_nM: float           # all intermediates together


@dataclass(frozen=True, eq=False)
class ModuleKinetics:
    """One module's condensed reactions (signal carriers merged) in local indices, ready for QSS solves.

    ``catalysts`` are the formal species that the whole CRN never changes (inputs, helper
    catalysts); their held amounts are reported by :meth:`qss`.
    """

    module: ModuleImplementation
    catalysts: frozenset[str] = frozenset()

    @cached_property
    def _layout(self) -> tuple:
        m = self.module
        fuels = list(dict.fromkeys(m.fuels))
        signals = list(dict.fromkeys(f for _, f in m.signals))
        known = set(fuels) | set(signals)
        consumed = {s for r in m.reactions for s in r[0]}
        inter = sorted({s for r in m.reactions for s in r[0] + r[1] if s not in known and s in consumed})
        c_idx = {s: i for i, s in enumerate(fuels + signals)}
        i_idx = {s: i for i, s in enumerate(inter)}
        n_r = len(m.reactions)
        rates = np.array([float(per_nM(k, len(r))) for r, _, k in m.reactions])
        # reactant columns padded with an index that points at an appended 1.0
        c_cols = np.full((n_r, 2), len(c_idx), dtype=np.int64)
        i_cols = np.full((n_r, 2), len(inter), dtype=np.int64)
        i_net = np.zeros((n_r, len(inter)))
        s_net = np.zeros((n_r, len(signals)))
        for r, (reactants, products, _) in enumerate(m.reactions):
            if len(reactants) > 2:
                raise DsdCompileError(f"module {m.index}: condensed reaction with {len(reactants)} reactants")
            cs = [c_idx[s] for s in reactants if s in c_idx]
            ii = [i_idx[s] for s in reactants if s in i_idx]
            c_cols[r, :len(cs)] = cs
            i_cols[r, :len(ii)] = ii
            for sign, side in ((-1.0, reactants), (1.0, products)):
                for s in side:
                    if s in i_idx:
                        i_net[r, i_idx[s]] += sign
                    elif s in c_idx and c_idx[s] >= len(fuels):
                        s_net[r, c_idx[s] - len(fuels)] += sign
        return fuels, signals, inter, rates, c_cols, i_cols, i_net, s_net

    @property
    def fuels(self) -> list[str]:
        return self._layout[0]

    @property
    def signals(self) -> list[str]:
        return self._layout[1]

    @cached_property
    def _formal_net(self) -> np.ndarray:
        """The formal reaction's net change per signal, and the reactant stoichiometry."""
        signals = self.signals
        net = np.zeros(len(signals))
        for name, c in self.module.formal.products:
            if name in signals:
                net[signals.index(name)] += c
        for name, c in self.module.formal.reactants:
            if name in signals:
                net[signals.index(name)] -= c
        return net

    @cached_property
    def _content(self) -> dict[str, np.ndarray]:
        """Per catalyst, how much of it each intermediate holds: the conservation law of the module's reactions."""
        fuels, signals, inter, *_, i_net, s_net = self._layout
        out = {}
        for name in self.catalysts:
            if name not in signals or not len(inter):
                continue
            col = s_net[:, signals.index(name)]
            y, *_ = np.linalg.lstsq(i_net, -col, rcond=None)
            if np.abs(i_net @ y + col).max(initial=0.0) > 1e-6:
                raise DsdCompileError(f"module {self.module.index}: no conservation law for catalyst {name!r}")
            out[name] = np.maximum(y, 0.0)
        return out

    def _velocities(self, clamped: np.ndarray, inter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reaction rates (nM/s) and their derivatives with respect to the intermediates (reactions × inter)."""
        _, _, names, rates, c_cols, i_cols, _, _ = self._layout
        base = rates * np.append(clamped, 1.0)[c_cols].prod(axis=1)
        x = np.append(inter, 1.0)[i_cols]
        v = base * x[:, 0] * x[:, 1]
        dv = np.zeros((len(rates), len(names) + 1))
        rows = np.arange(len(rates))
        np.add.at(dv, (rows, i_cols[:, 0]), base * x[:, 1])
        np.add.at(dv, (rows, i_cols[:, 1]), base * x[:, 0])
        return v, dv[:, :-1]

    def qss(self, fuel_nM: Mapping[str, float], signal_nM: Mapping[str, float]) -> ModuleQSS:
        """Solve dI/dt = 0 with fuels at ``fuel_nM`` and formal species at ``signal_nM`` (missing signals: 0)."""
        fuels, signals, inter, *_ = self._layout
        i_net = self._layout[6]
        s_net = self._layout[7]
        clamped = np.array([float(fuel_nM[f]) for f in fuels] + [float(signal_nM.get(s, 0.0)) for s in signals])
        x = np.zeros(len(inter))
        for _ in range(_NEWTON_STEPS):
            v, dv = self._velocities(clamped, x)
            f = i_net.T @ v
            # converged when no intermediate is off balance by more than 1e-9 of the largest
            # turnover; intermediates that only slow side reactions make sit near 0
            if np.abs(f).max(initial=0.0) <= 1e-9 * max((np.abs(i_net.T) @ v).max(initial=0.0), 1e-300):
                break
            step, *_ = np.linalg.lstsq(i_net.T @ dv, -f, rcond=None)
            x = np.maximum(x + step, 0.0)
        else:
            raise DsdCompileError(f"module {self.module.index}: no quasi-steady state found")
        v, _ = self._velocities(clamped, x)
        delta = s_net.T @ v  # net production of each signal, nM/s
        net = self._formal_net
        changing = np.array([s not in self.catalysts for s in signals]) & (net != 0)
        if not changing.any():
            raise DsdCompileError(f"module {self.module.index}: formal reaction '{self.module.formal}' changes nothing")
        flux = float(delta[changing] @ net[changing] / (net[changing] @ net[changing]))
        conc = 1.0
        for name, c in self.module.formal.reactants:
            conc *= float(signal_nM.get(name, 0.0)) ** c
        held = {name: float(y @ x) / max(float(signal_nM.get(name, 0.0)), 1e-300)
                for name, y in self._content.items()}
        return ModuleQSS(flux, flux / conc if conc > 0 else float("nan"), held, float(x.sum()))

    def fuel_exponents(self, fuel_nM: Mapping[str, float], signal_nM: Mapping[str, float],
                       step: float = 1.1) -> dict[str, float]:
        """d ln k_eff / d ln [fuel] for every fuel, by a finite step."""
        k0 = self.qss(fuel_nM, signal_nM).k_eff
        out = {}
        for f in self.fuels:
            moved = dict(fuel_nM)
            moved[f] = fuel_nM[f] * step
            out[f] = float(np.log(self.qss(moved, signal_nM).k_eff / k0) / np.log(step))
        return out


__all__ = ["ModuleKinetics", "ModuleQSS"]
