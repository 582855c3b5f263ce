"""The pipetting plan: every volume at or above a minimum, through stocks, dilutions, pooled anneals and mixes.

The chain, from strands to a reaction well of ``volume_uL``::

    strand stocks (max_stock_uM) ─► 1:10 dilutions where a transfer would be too small
        ├─► anneal pools (complexes that co-migrate and cannot mis-pair, :mod:`dsdcompile.lab.pools`)
        │     ─► native PAGE, quantify, adjust to the pool's working concentration
        │     ├─► fuel master mix (gates, translators, biases)     ─┐
        │     └─► reporter mix per well group                      ─┼─► reaction well
        └─► input dilutions ─► one premix per sample                ─┘

A well takes ``(1 - input - reporter fraction)`` of its volume of master mix, the reporter
fraction of reporter mix and the input fraction of the sample's premix, so every mix is made
at a fixed multiple of the final concentrations. A component's source is the most
concentrated level of its dilution ladder that needs at least ``pipette_target_uL`` (never
less than ``min_volume_uL``). A pool is annealed as concentrated as its strand stocks allow
(its strands filling at most :data:`FILL` of it, no complex above :data:`ANNEAL_MAX_NM`) and
in enough volume for the master mix after losing ``1 - recovery`` of it in purification.
Inputs below one minimum transfer of the most dilute ladder level (:data:`LADDER_DEPTH` steps)
are left out and listed. Anything that cannot fit raises
:class:`~dsdcompile.errors.DesignInfeasible` with the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dsdcompile.config import LabConfig
from dsdcompile.errors import DesignInfeasible

FILL = 0.9                 # strands and pools may fill at most this share of a vessel; buffer the rest
ANNEAL_MAX_NM = 20_000.0   # no complex is annealed above 20 µM
LADDER_DEPTH = 5           # 1:10 dilution steps below a strand's stock (100 µM → 1 nM)
MIN_VESSEL_UL = 20.0       # smallest dilution, anneal or mix volume planned


def ceil_volume(v: float, step: float = 5.0) -> float:
    """Round a vessel volume up to a multiple of ``step`` µL (at least MIN_VESSEL_UL)."""
    return max(MIN_VESSEL_UL, math.ceil(v / step - 1e-9) * step)


@dataclass(frozen=True)
class Component:
    """One transfer into a vessel: ``volume_uL`` of ``source`` (holding ``item`` at ``source_nM``) → ``target_nM``."""

    item: str
    source: str
    source_nM: float
    target_nM: float
    volume_uL: float


@dataclass(frozen=True)
class Vessel:
    """A tube, mix or well: its components, the buffer that fills it, and its total volume."""

    name: str
    kind: str  # dilution | anneal | master_mix | reporter_mix | premix | well | calibration
    volume_uL: float
    components: tuple[Component, ...]
    note: str = ""
    sample: int | None = None     # wells and premixes: the sample's index
    group: int | None = None      # wells, calibration wells, reporter mixes: the reporter group
    fraction: float | None = None  # calibration wells: the standard's fraction of the top level

    @property
    def buffer_uL(self) -> float:
        return self.volume_uL - sum(c.volume_uL for c in self.components)

    def volumes(self) -> list[float]:
        out = [c.volume_uL for c in self.components]
        if self.buffer_uL > 1e-9:
            out.append(self.buffer_uL)
        return out


class Ladders:
    """Each strand's stock and the 1:10 dilutions drawn from it, made on demand and sized at the end."""

    def __init__(self, stock_nM: float, target_uL: float, min_uL: float) -> None:
        self.stock_nM, self.target, self.min = stock_nM, target_uL, min_uL
        self.draws: dict[tuple[str, int], float] = {}

    def level_nM(self, level: int) -> float:
        return self.stock_nM / 10 ** level

    @staticmethod
    def source_name(strand: str, level: int) -> str:
        return f"{strand} stock" if level == 0 else f"{strand} dilution {level}"

    def pick(self, strand: str, target_nM: float, volume_uL: float) -> Component | None:
        """The component giving ``target_nM`` in ``volume_uL`` from the ladder; None if even the last level is too
        concentrated for one minimum transfer."""
        if target_nM <= 0:
            return None
        best = None
        for level in range(LADDER_DEPTH + 1):
            v = target_nM * volume_uL / self.level_nM(level)
            if v >= self.target:
                best = (level, v)
                break
            if v >= self.min and best is None:
                best = (level, v)
        if best is None:
            return None
        level, v = best
        self.draws[(strand, level)] = self.draws.get((strand, level), 0.0) + v
        return Component(strand, self.source_name(strand, level), self.level_nM(level), target_nM, v)

    def dilutions(self, dead: float) -> list[Vessel]:
        """Dilution tubes, deepest first sized by what is drawn from them, each drawing 1:10 from the level above."""
        out = []
        for strand in dict.fromkeys(s for s, _ in self.draws):
            deepest = max(level for s, level in self.draws if s == strand)
            for level in range(deepest, 0, -1):
                need = self.draws.get((strand, level), 0.0)
                if need <= 0 and level == deepest:
                    continue
                vol = ceil_volume(max(need * (1 + dead), 10 * self.target))
                src = vol / 10
                self.draws[(strand, level - 1)] = self.draws.get((strand, level - 1), 0.0) + src
                out.append(Vessel(self.source_name(strand, level), "dilution", vol,
                                  (Component(strand, self.source_name(strand, level - 1), self.level_nM(level - 1),
                                             self.level_nM(level), src),), note="1:10"))
        return out[::-1]


@dataclass(frozen=True)
class AnnealPool:
    """A pool annealed as one tube: its complexes, the anneal vessel, and the purified working concentration."""

    name: str
    complexes: tuple[str, ...]
    final_nM: dict[str, float]   # complex → concentration in the reaction well
    factor: float                # annealed complexes at factor × final
    working_factor: float        # after purification, adjusted to this × final
    vessel: Vessel
    reporter_group: int | None = None


@dataclass(frozen=True, eq=False)
class PipettingPlan:
    """Every vessel of the protocol in order of making, and the facts the protocol and summary report."""

    dilutions: tuple[Vessel, ...]
    pools: tuple[AnnealPool, ...]
    master_mix: Vessel
    reporter_mixes: tuple[Vessel, ...]
    premixes: tuple[Vessel, ...]
    wells: tuple[Vessel, ...]
    calibration: tuple[Vessel, ...]
    omitted_inputs: tuple[str, ...] = ()
    factors: dict[str, float] = field(default_factory=dict)  # master_mix / reporter_mix / premix: × final
    standards: tuple[Vessel, ...] = ()  # calibration standard mixes, one per reporter group

    def vessels(self) -> list[Vessel]:
        return (list(self.dilutions) + [p.vessel for p in self.pools] + [self.master_mix] + list(self.reporter_mixes)
                + list(self.standards) + list(self.premixes) + list(self.wells) + list(self.calibration))

    def min_volume(self) -> float:
        return min(v for vessel in self.vessels() for v in vessel.volumes())

    def check(self, config: LabConfig) -> None:
        """Every transfer ≥ the minimum and every vessel's contents within its volume (an internal invariant)."""
        from dsdcompile.errors import InternalError

        for vessel in self.vessels():
            if vessel.buffer_uL < -1e-6:
                raise InternalError(f"{vessel.name}: contents {vessel.volume_uL - vessel.buffer_uL:.4g} uL exceed "
                                    f"its {vessel.volume_uL:.4g} uL")
            small = [v for v in vessel.volumes() if v < config.min_volume_uL - 1e-9]
            if small:
                raise InternalError(f"{vessel.name}: a transfer of {min(small):.4g} uL is below the "
                                    f"{config.min_volume_uL} uL minimum")


def _pool_vessel(name: str, members: Sequence, ratios: Mapping[str, Mapping[str, float]], mix_volume_uL: float,
                 mix_factor: float, ladders: Ladders, config: LabConfig) -> tuple[Vessel, float]:
    """Anneal vessel and concentration factor of one pool that a mix of ``mix_volume_uL`` at ``mix_factor`` × final
    concentration draws from (see the module docstring).

    The pool starts as concentrated as the stocks allow; when its strands do not fit, a pool
    limited by its stocks is made less concentrated, one limited by the number of its strands
    (each at least a pipetting target) is made larger.
    """
    load = sum(m.concentration_nM * r for m in members for r in ratios[m.name].values())
    factor = min(FILL * ladders.stock_nM / load, ANNEAL_MAX_NM / max(m.concentration_nM for m in members))
    volume = ceil_volume(mix_volume_uL * mix_factor / (factor * config.recovery) * (1 + config.dead_volume_fraction))
    for _ in range(80):
        trial = Ladders(ladders.stock_nM, ladders.target, ladders.min)
        comps = []
        for m in members:
            for strand, r in ratios[m.name].items():
                c = trial.pick(strand, m.concentration_nM * r * factor, volume)
                if c is None:
                    raise DesignInfeasible(f"pool {name}: strand {strand} is too dilute to pipette")
                comps.append(c)
        used = sum(c.volume_uL for c in comps)
        if used <= FILL * volume:
            _commit(ladders, trial)
            return Vessel(name, "anneal", volume, tuple(comps), note=f"complexes at {factor:.4g}x final"), factor
        from_stock = sum(c.volume_uL for c in comps if c.source_nM >= ladders.stock_nM)
        if from_stock > FILL * volume / 2:
            factor /= 1.25
            volume = max(volume, ceil_volume(mix_volume_uL * mix_factor / (factor * config.recovery)
                                             * (1 + config.dead_volume_fraction)))
        else:
            volume = ceil_volume(volume * used / (FILL * volume) * 1.05)
    raise DesignInfeasible(f"pool {name}: its strands do not fit the anneal volume")


def _working(factor: float, mix_volume_uL: float, mix_factor: float, ladders: Ladders, config: LabConfig) -> float:
    """A purified pool's working concentration (× final): what purification leaves, diluted further if the mix
    would otherwise take less than the pipetting target of it."""
    return min(factor * config.recovery, mix_volume_uL * mix_factor / ladders.target)


def _commit(ladders: Ladders, trial: Ladders) -> None:
    for key, v in trial.draws.items():
        ladders.draws[key] = ladders.draws.get(key, 0.0) + v


def _master_mix(pool_members, ratios, singles: Mapping[str, float], volume: float, f_mm: float, ladders: Ladders,
                config: LabConfig, wells: int, pools: list) -> tuple[Vessel, Ladders]:
    """The fuel master mix (at least ``volume`` uL, grown until its pools and strands fit) and its pools' anneals,
    appended to ``pools``; returns the mix and the ladder draws to commit."""
    last = None
    for _ in range(20):
        trial = Ladders(ladders.stock_nM, ladders.target, ladders.min)
        made, comps = [], []
        for k, pool in enumerate(pool_members, start=1):
            vessel, factor = _pool_vessel(f"P{k}", pool, ratios, volume, f_mm, trial, config)
            working = _working(factor, volume, f_mm, trial, config)
            made.append(AnnealPool(f"P{k}", tuple(m.name for m in pool), {m.name: m.concentration_nM for m in pool},
                                   factor, working, vessel))
            comps.append(Component(f"P{k}", f"P{k} purified", working, f_mm, volume * f_mm / working))
        for strand, c in singles.items():
            comp = trial.pick(strand, c * f_mm, volume)
            if comp is None:
                raise DesignInfeasible(f"strand {strand} at {c:.3g} nM is too dilute to pipette into the master mix")
            comps.append(comp)
        total = sum(c.volume_uL for c in comps)
        if total <= volume:
            pools.extend(made)
            return Vessel("master mix", "master_mix", volume, tuple(comps)), trial
        if last is not None and total / volume >= last * 0.999:
            break  # growing no longer helps: the pools themselves are too dilute
        last = total / volume
        volume = ceil_volume(volume * 1.5)
    raise DesignInfeasible(
        f"the fuel master mix would need {total / volume:.3g} times its own volume of purified pools and stocks "
        f"({total:.4g} uL for {volume:.4g} uL, grown from what {wells} wells take): the DNA does not fit the tube; "
        "lower --unit-nM or raise the stock concentration")


def well_shares(config: LabConfig) -> tuple[float, float, float]:
    """(master mix, reporter mix, premix) µL in one reaction well."""
    v = config.volume_uL
    v_in, v_rep = v * config.input_volume_fraction, v * config.reporter_volume_fraction
    return v - v_in - v_rep, v_rep, v_in


def fit_mix(ladders: Ladders, wanted: Mapping[str, float], volume: float,
            missing: Callable[[str, float], str | None], fail: str) -> tuple[float, list[Component], list[str]]:
    """Grow a mix from ``volume`` until its strands (strand -> concentration in the mix, nM) fill at most
    :data:`FILL` of it, drawing on ``ladders`` (committed once it fits): (volume, components, notes).

    A strand no level can give is passed to ``missing``, which raises or returns a note (None: no note);
    a mix that does not fit after 20 growths raises DesignInfeasible(``fail``).
    """
    vol = volume
    for _ in range(20):
        trial = Ladders(ladders.stock_nM, ladders.target, ladders.min)
        comps, notes = [], []
        for strand, c in wanted.items():
            comp = trial.pick(strand, c, vol)
            if comp is None:
                note = missing(strand, c)
                if note is not None:
                    notes.append(note)
                continue
            comps.append(comp)
        if sum(c.volume_uL for c in comps) <= FILL * vol:
            _commit(ladders, trial)
            return vol, comps, notes
        vol = ceil_volume(vol * 1.5)
    raise DesignInfeasible(fail)


def plan_premixes(inputs: Sequence[Mapping[str, float]], n_groups: int, config: LabConfig, ladders: Ladders,
                  names: Sequence[str]) -> tuple[list[Vessel], list[str]]:
    """One input premix per sample (enough for its ``n_groups`` wells), drawing on ``ladders``; and what was left out.

    A premix holds the sample's input strands at (well volume / premix share) × their final
    concentration; it grows until its strands fill at most :data:`FILL` of it.
    """
    _, _, v_in = well_shares(config)
    f_in = config.volume_uL / v_in
    pre_volume = ceil_volume(n_groups * v_in * (1 + config.dead_volume_fraction))
    premixes, omitted = [], []
    for e, sample in enumerate(inputs):
        def left_out(strand: str, _conc: float, e=e, sample=sample) -> str | None:
            if sample[strand] > 0:
                return (f"{names[e]}: {strand} at {sample[strand]:.3g} nM (below one {config.min_volume_uL:g} uL "
                        "transfer of the most dilute level; left out)")
            return None

        vol, comps, skipped = fit_mix(ladders, {strand: c * f_in for strand, c in sample.items()}, pre_volume,
                                      left_out, f"{names[e]}: its inputs do not fit a premix")
        omitted += skipped
        premixes.append(Vessel(f"premix {names[e]}", "premix", vol, tuple(comps),
                               note=f"{f_in:.4g}x final, {v_in:g} uL per well", sample=e))
    return premixes, omitted


def sample_wells(names: Sequence[str], n_groups: int, config: LabConfig, *, first: int = 0,
                 reporters: bool = True) -> list[Vessel]:
    """Every sample's reaction wells: master mix, the group's reporter mix, the sample's premix (last: time zero).

    Without reporters the reporter mix's share is buffer.
    """
    v_mm, v_rep, v_in = well_shares(config)
    v = config.volume_uL
    wells = []
    for e, name in enumerate(names, start=first):
        for g in range(n_groups):
            comps = [Component("master mix", "master mix", v / v_mm, 1.0, v_mm)]
            if reporters:
                comps.append(Component(f"reporter mix {g + 1}", f"reporter mix {g + 1}", v / v_rep, 1.0, v_rep))
            comps.append(Component(f"premix {name}", f"premix {name}", v / v_in, 1.0, v_in))
            wells.append(Vessel(f"{name} / well {g + 1}", "well", v, tuple(comps), sample=e, group=g))
    return wells


def calibration_wells(calibration: Sequence[Mapping[str, float]], fractions: Sequence[float], config: LabConfig,
                      ladders: Ladders) -> tuple[list[Vessel], list[Vessel]]:
    """(standard mixes, calibration wells). Per reporter group one standard mix holds every fluorophore strand of
    the group at a multiple of its top standard; each calibration well takes reporter mix, the standard mix at one
    level (a fraction of the top) and buffer."""
    _, v_rep, _ = well_shares(config)
    v = config.volume_uL
    nonzero = [f for f in fractions if f > 0]
    standards, cal = [], []
    for g, tops in enumerate(calibration):
        if not tops:
            continue
        factor = max(1.0, min(10.0, v * min(nonzero, default=1.0) / ladders.target))
        need = sum(v * f / factor for f in nonzero)
        def too_dilute(strand: str, _conc: float) -> str | None:
            raise DesignInfeasible(f"calibration standard {strand} is too dilute to pipette")

        vol, comps, _ = fit_mix(ladders, {strand: top * factor for strand, top in tops.items()},
                                ceil_volume(need * (1 + config.dead_volume_fraction)), too_dilute,
                                f"the calibration standards of reporter group {g + 1} do not fit their mix")
        name = f"standard mix {g + 1}"
        standards.append(Vessel(name, "standard", vol, tuple(comps), note=f"fluorophore strands at {factor:.4g}x the "
                                "top standard", group=g))
        for frac in fractions:
            comps = [Component(f"reporter mix {g + 1}", f"reporter mix {g + 1}", v / v_rep, 1.0, v_rep)]
            if frac > 0:
                comps.append(Component(name, name, factor, frac, v * frac / factor))
            cal.append(Vessel(f"calibration {g + 1} / {frac:g}", "calibration", v, tuple(comps),
                              note=f"fluorophore strands at {frac:g} x the top standard", group=g, fraction=frac))
    return standards, cal


def plan_pipetting(members, ratios: Mapping[str, Mapping[str, float]], groups_of: Mapping[str, int | None],
                   singles: Mapping[str, float], inputs: Sequence[Mapping[str, float]], n_groups: int,
                   calibration: Sequence[Mapping[str, float]], long_domains: set[str],
                   config: LabConfig = LabConfig(), *, fractions: Sequence[float] = (0.0, 0.25, 0.5, 1.0),
                   sample_names: Sequence[str] | None = None) -> PipettingPlan:
    """Plan every transfer for ``len(inputs)`` samples, each run in ``n_groups`` wells.

    ``members`` are the complexes to anneal (:class:`~dsdcompile.lab.pools.PoolMember`, final
    nM), ``ratios[complex]`` each strand's anneal ratio; ``groups_of[complex]`` is the reporter
    well group of a reporter (None for fuels); ``singles`` strands added from stock (final nM);
    ``inputs[e]`` sample e's input strands (final nM); ``calibration[g]`` the top fluorophore
    standard per strand of group g, run at ``fractions`` of it.
    """
    from dsdcompile.lab.pools import plan_pools

    v = config.volume_uL
    v_mm, v_rep, v_in = well_shares(config)
    f_mm, f_rep, f_in = v / v_mm, v / v_rep, v / v_in
    dead = config.dead_volume_fraction
    n = len(inputs)
    ladders = Ladders(config.max_stock_uM * 1000.0, max(config.pipette_target_uL, config.min_volume_uL),
                      config.min_volume_uL)
    names = sample_names or [f"sample {e}" for e in range(n)]

    fuels = [m for m in members if groups_of.get(m.name) is None]
    reps = [m for m in members if groups_of.get(m.name) is not None]
    pool_members = plan_pools(fuels, long_domains)
    pools: list[AnnealPool] = []
    master, trial = _master_mix(pool_members, ratios, singles, ceil_volume(n * n_groups * v_mm * (1 + dead)), f_mm,
                                ladders, config, n * n_groups, pools)
    _commit(ladders, trial)
    master = replace(master, note=f"{f_mm:.4g}x final, {v_mm:g} uL per well")

    reporter_mixes = []
    per_group_cal = len(fractions)
    for g in range(n_groups if reps else 0):
        group = [m for m in reps if groups_of[m.name] == g]
        vol = ceil_volume((n + per_group_cal) * v_rep * (1 + dead))
        trial = Ladders(ladders.stock_nM, ladders.target, ladders.min)
        vessel, factor = _pool_vessel(f"R{g + 1}", group, ratios, vol, f_rep, trial, config)
        working = _working(factor, vol, f_rep, trial, config)
        comp = Component(f"R{g + 1}", f"R{g + 1} purified", working, f_rep, vol * f_rep / working)
        if comp.volume_uL > vol:  # the share is fixed: a larger mix needs proportionally more pool
            raise DesignInfeasible(f"reporter mix {g + 1}: the purified reporter pool ({working:.3g}x final) is "
                                   f"more dilute than the mix ({f_rep:.3g}x final); the reporters need more DNA than "
                                   "the stocks allow")
        _commit(ladders, trial)
        pools.append(AnnealPool(f"R{g + 1}", tuple(m.name for m in group), {m.name: m.concentration_nM for m in group},
                                factor, working, vessel, g))
        reporter_mixes.append(Vessel(f"reporter mix {g + 1}", "reporter_mix", vol, (comp,),
                                     note=f"{f_rep:.4g}x final, {v_rep:g} uL per well", group=g))

    premixes, omitted = plan_premixes(inputs, n_groups, config, ladders, names)

    wells = sample_wells(names, n_groups, config, reporters=bool(reps))
    standards, cal = calibration_wells(calibration, fractions, config, ladders)
    dilutions = ladders.dilutions(dead)
    plan = PipettingPlan(tuple(dilutions), tuple(pools), master, tuple(reporter_mixes), tuple(premixes), tuple(wells),
                         tuple(cal), tuple(omitted), {"master_mix": f_mm, "reporter_mix": f_rep, "premix": f_in},
                         tuple(standards))
    plan.check(config)
    return plan


__all__ = ["ANNEAL_MAX_NM", "FILL", "LADDER_DEPTH", "AnnealPool", "Component", "Ladders", "PipettingPlan", "Vessel",
           "calibration_wells", "ceil_volume", "plan_pipetting", "plan_premixes", "sample_wells", "well_shares"]
