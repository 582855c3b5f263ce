"""Class margins of a network's outputs: how far each example's label is from flipping.

A DNA design's free strands add to every output rail an error proportional to the gates
present, and the gates are planned for the largest values the examples reach. The margin that
matters is therefore the class gap (top output minus the runner-up) relative to the largest
network value over the examples, not the gap in units.
"""

from __future__ import annotations

import numpy as np

MARGIN_MEASURE = ("smallest over the examples of (top output - runner-up) / largest |output| over the examples, "
                  "exported network")


def class_gaps(out: np.ndarray) -> np.ndarray:
    """(n,) top output minus the runner-up, per example (0 for a tie)."""
    out = np.asarray(out, dtype=float)
    if out.shape[1] < 2:
        return np.full(out.shape[0], np.inf)
    top = np.sort(out, axis=1)
    return top[:, -1] - top[:, -2]


def relative_gaps(out: np.ndarray, scale: float | None = None) -> np.ndarray:
    """(n,) class gap over ``scale`` (default: the largest |output| over the examples, at least 1)."""
    out = np.asarray(out, dtype=float)
    if scale is None:
        scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    return class_gaps(out) / scale


__all__ = ["MARGIN_MEASURE", "class_gaps", "relative_gaps"]
