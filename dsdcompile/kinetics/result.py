"""What a kinetics run produced, the measures derived from it, and the summary.json block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dsdcompile.kinetics.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from dsdcompile.kinetics.fuel import FuelPlan


def relative_scale(nn: np.ndarray) -> np.ndarray:
    """Per-example error scale max(1, max_k |nn_k|), as dsdcompile's agreement checks use, shape (n, 1)."""
    return np.maximum(1.0, np.abs(nn).max(axis=-1, keepdims=True))


@dataclass(frozen=True, eq=False)
class KineticsResult:
    """Simulated outputs of a formal or implementation CRN at physical rates, in network units.

    ``outputs`` holds the final outputs of every rate draw (an implementation has one draw:
    its rates come from enumeration). ``grid``/``trajectories``/``t90`` describe draw 0
    only and are None when trajectories were not recorded.
    """

    kind: str                        # "formal" or "implementation"
    class_names: tuple[str, ...]
    nn: np.ndarray                   # (n, k) the network's outputs
    outputs: np.ndarray              # (draws, n, k) final outputs
    t_final: np.ndarray              # (draws, n) seconds
    converged: np.ndarray            # (draws, n) steady state reached before t_max
    grid: np.ndarray | None          # (G,) seconds
    trajectories: np.ndarray | None  # (G, n, k) outputs of draw 0 on the grid
    t90: np.ndarray | None           # (n,) seconds, draw 0
    wall_s: float
    unit_nM: float

    @property
    def n_examples(self) -> int:
        return int(self.nn.shape[0])

    @property
    def draws(self) -> int:
        return int(self.outputs.shape[0])

    @property
    def nn_labels(self) -> np.ndarray:
        return self.nn.argmax(axis=1)

    @property
    def labels(self) -> np.ndarray:
        """(draws, n) predicted class: argmax of [Y+] - [Y-]."""
        return self.outputs.argmax(axis=2)

    @property
    def label_agreement(self) -> np.ndarray:
        """(draws,) fraction of examples whose predicted class matches the network's."""
        return (self.labels == self.nn_labels[None]).mean(axis=1)

    @property
    def rel_errors(self) -> np.ndarray:
        """(draws, n) max_k |y_k - nn_k| / max(1, max_k |nn_k|)."""
        return (np.abs(self.outputs - self.nn[None]) / relative_scale(self.nn)[None]).max(axis=2)

    @property
    def draw_deviation(self) -> np.ndarray:
        """(n,) spread of each example's outputs over the rate draws, relative like rel_errors."""
        spread = self.outputs.max(axis=0) - self.outputs.min(axis=0)
        return (spread / relative_scale(self.nn)).max(axis=1)

    def t90_hours(self) -> np.ndarray | None:
        return None if self.t90 is None else self.t90 / SECONDS_PER_HOUR


def _stat(values: np.ndarray | None, fn) -> float | None:
    if values is None or values.size == 0 or not np.isfinite(values).any():
        return None
    return float(fn(values[np.isfinite(values)]))


def kinetics_summary(formal: KineticsResult, impl: KineticsResult | None = None,
                     fuel_plan: FuelPlan | None = None) -> dict:
    """The ``kinetics.*`` block of summary.json.

    ``formal_label_agreement`` is the worst rate draw's fraction of examples classified like
    the network (rate independence means every draw should give 1.0); the per-draw values
    follow. ``t90_hours_*`` describe the formal CRN's draw 0, ``implementation_t90_hours_*``
    the implementation. Values that were not computed are None.
    """
    f_t90 = formal.t90_hours()
    out: dict = {
        "formal_label_agreement": float(formal.label_agreement.min()),
        "implementation_label_agreement": None if impl is None else float(impl.label_agreement.min()),
        "rate_draws": formal.draws,
        "t90_hours_median": _stat(f_t90, np.median),
        "t90_hours_max": _stat(f_t90, np.max),
        "fuel_margin": None if fuel_plan is None or not np.isfinite(fuel_plan.margin) else float(fuel_plan.margin),
        "unit_nM": formal.unit_nM,
        "formal_examples": formal.n_examples,
        "formal_label_agreement_per_draw": [float(a) for a in formal.label_agreement],
        "formal_max_rel_error": float(formal.rel_errors.max(initial=0.0)),
        "rate_draw_max_rel_deviation": float(formal.draw_deviation.max(initial=0.0)),
        "formal_converged_fraction": float(formal.converged.mean()) if formal.converged.size else None,
        "formal_wall_s": round(formal.wall_s, 3),
    }
    if impl is not None:
        i_t90 = impl.t90_hours()
        out.update({
            "implementation_examples": impl.n_examples,
            "implementation_max_rel_error": float(impl.rel_errors.max(initial=0.0)),
            "implementation_t90_hours_median": _stat(i_t90, np.median),
            "implementation_t90_hours_max": _stat(i_t90, np.max),
            "implementation_converged_fraction": float(impl.converged.mean()) if impl.converged.size else None,
            "implementation_wall_s": round(impl.wall_s, 3),
        })
    if fuel_plan is not None:
        out["fuel_safety"] = fuel_plan.safety
        out["fuel_total_uM"] = float(sum(fuel_plan.fuel_nM.values()) / 1000.0)
    return out
