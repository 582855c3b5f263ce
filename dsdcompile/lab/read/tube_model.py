"""The one place ``dsdcompile read`` reaches into the tube model (adapter; the lead may repoint these imports).

:func:`load_tube_model` rebuilds, from a design folder alone, the tube the protocol pipettes:
the split CRN of ``lab_plan.json`` translated again with the design's scheme and DSD settings
(``summary.json``), its modules and reporters enumerated with peppercorn, the free strands
that purification leaves enumerated per module shape, and every fuel and reporter at its
planned concentration. :class:`TubeModel` then simulates sample wells and calibration wells
for any (leak, free-strand fraction, rate scale): the three parameters ``read`` fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import DSDConfig, EnumerationConfig, KineticsConfig
from dsdcompile.errors import InputError

# --- the imports the lead may have to repoint when tube code moves between stages/ and kinetics/ ---
from dsdcompile.kinetics.tube import TubeCRN, build_tube_crn, calibration_crn  # noqa: E402


def _config(cls, block: dict | None):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (block or {}).items() if k in names})


@dataclass(eq=False)
class TubeModel:
    """The design's tube, ready to simulate: ``x`` per sample (network units), reporters in readout order."""

    split_crn: object
    modules: list
    reporters: object           # dsdcompile.dsd.reporters.ReporterSet
    impurities: object
    reporter_impurities: object
    fuel_nM: dict
    unit_nM: float
    kinetics: KineticsConfig
    rail_names: tuple[str, ...]  # reporter names (rep-Y0p ...), the order of every rails axis
    _tubes: dict = field(default_factory=dict)
    tolerances: tuple | None = None  # (rtol, atol nM) instead of the design's kinetics tolerances

    def _tube(self, residual: float, leak: float) -> tuple[TubeCRN, np.ndarray]:
        key = (round(float(residual), 12), float(leak) > 0)
        if key not in self._tubes:
            # leak at 1 /M/s: the leak reactions are the tail, and their rates scale linearly with the leak
            crn = build_tube_crn(self.split_crn, self.modules, self.reporters, self.fuel_nM, self.unit_nM,
                                 leak=1.0 if key[1] else 0.0, impurities=self.impurities,
                                 reporter_impurities=self.reporter_impurities, residual=max(float(residual), 0.0))
            n_leak = crn.n_reactions - self._n_plain(residual)
            mask = np.zeros(crn.n_reactions, dtype=bool)
            if n_leak > 0:
                mask[-n_leak:] = True
            if len(self._tubes) > 64:
                self._tubes.clear()
            self._tubes[key] = (crn, mask)
        return self._tubes[key]

    def _n_plain(self, residual: float) -> int:
        k = ("plain", round(float(residual), 12))
        if k not in self._tubes:
            self._tubes[k] = build_tube_crn(self.split_crn, self.modules, self.reporters, self.fuel_nM, self.unit_nM,
                                            leak=0.0, impurities=self.impurities,
                                            reporter_impurities=self.reporter_impurities,
                                            residual=max(float(residual), 0.0)).n_reactions
        return self._tubes[k]

    def _sim(self, times: np.ndarray):
        from dsdcompile.kinetics.units import simulation_config

        sim = replace(simulation_config(self.kinetics), t_max=max(float(np.max(times)), 1e-9), device="cpu")
        if self.tolerances is not None:
            sim = replace(sim, rtol=self.tolerances[0], atol=self.tolerances[1])
        return sim

    def simulate_samples(self, x: np.ndarray, times: np.ndarray, *, leak: float, residual: float,
                         rate_scale: float = 1.0) -> np.ndarray:
        """Free fluorophore (nM) of every rail, shape (T, samples, rails), at ``times`` (s, increasing)."""
        from dsdcompile.sim.engine import simulate

        crn, mask = self._tube(residual, leak)
        k = crn.rate_constants(1.0) * rate_scale
        k[mask] = k[mask] / rate_scale * leak  # leak has its own absolute rate (/M/s at 1)
        c0 = crn.initial_state(np.atleast_2d(x) * self.unit_nM)
        res = simulate(crn, c0, self._sim(times), rates=k, times=np.asarray(times, dtype=np.float64))
        return crn.rail_values(res.states)

    def simulate_calibration(self, levels_nM: np.ndarray, times: np.ndarray, *, residual: float,
                             rate_scale: float = 1.0) -> np.ndarray:
        """Free fluorophore (nM) of every rail in calibration wells holding ``levels_nM`` (L, rails) of each
        fluorophore strand with the reporter mix, shape (T, L, rails)."""
        from dsdcompile.sim.engine import simulate

        key = ("cal", round(float(residual), 12))
        if key not in self._tubes:
            self._tubes[key] = calibration_crn(self.reporters, self.fuel_nM, self.unit_nM,
                                               reporter_impurities=self.reporter_impurities,
                                               residual=max(float(residual), 0.0))
        crn = self._tubes[key]
        levels = np.atleast_2d(np.asarray(levels_nM, dtype=np.float64))
        c0 = np.tile(crn.initial_vector(), (levels.shape[0], 1))
        c0[:, crn.fluor_index] += levels
        res = simulate(crn, c0, self._sim(times), rates=crn.rate_constants(1.0) * rate_scale,
                       times=np.asarray(times, dtype=np.float64))
        return crn.rail_values(res.states)


def load_tube_model(design: Path, plan: dict, summary: dict) -> TubeModel:
    """Rebuild the tube of ``design`` (see module docstring); InputError when the design cannot be rebuilt."""
    from dsdcompile.crn import crn_from_json
    from dsdcompile.dsd.enumerate import enumerate_templates, instantiate
    from dsdcompile.dsd.impurities import impurity_modules
    from dsdcompile.dsd.reporters import build_reporters
    from dsdcompile.dsd.translate import translate

    config = summary.get("config") or {}
    scheme = config.get("scheme")
    if not scheme or scheme == "none":
        raise InputError("summary.json names no DSD scheme: not a design with a tube", path=str(design))
    from dsdcompile.dsd.schemes import available_schemes

    if scheme not in available_schemes():
        # a scheme given as a .py file would run that file's code: a design folder never makes read do that
        raise InputError(f"the design's scheme {scheme!r} is not an installed scheme; the tube model is not rebuilt "
                         "(a scheme file would run its code)", path=str(design))
    dsd_cfg = _config(DSDConfig, config.get("dsd"))
    enum_cfg = _config(EnumerationConfig, config.get("enumeration"))
    kin = _config(KineticsConfig, config.get("kinetics"))
    split = crn_from_json(plan["crn"])
    system = translate(split, scheme, dsd_cfg)
    if [str(r) for r in system.split_crn.reactions] != [str(r) for r in split.reactions]:
        raise InputError("the design's CRN does not translate back to the same modules (was it compiled with "
                         "another dsdcompile version?)", path=str(design))
    enumerated = enumerate_templates(system, enum_cfg)
    modules = [instantiate(system, i, enumerated[int(system.module_template[i])]) for i in range(system.n_modules)]
    reporters = build_reporters(system, enum_cfg)
    if not reporters.reporters:
        raise InputError(f"the design has no reporters ({reporters.skipped}): nothing a plate reader reads",
                         path=str(design))
    imp = impurity_modules(system, enum_cfg)
    rep_imp = impurity_modules(reporters.system, enum_cfg, fuel_names=reporters.fuel_names())
    fuel = {k: float(v) for k, v in plan["fuel_nM"].items()}
    return TubeModel(system.split_crn, modules, reporters, imp, rep_imp, fuel, float(plan["unit_nM"]), kin,
                     tuple(r.name for r in reporters.reporters))


__all__ = ["TubeModel", "load_tube_model"]
