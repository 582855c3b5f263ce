"""Simulation of mass-action CRNs: the :func:`simulate` entry point (:mod:`~dsdcompile.sim.engine`),
its Rosenbrock (:mod:`~dsdcompile.sim.rosenbrock`) and BDF back ends, and convergence checks."""

from dsdcompile._lazy import lazy_exports as _lazy_exports

_EXPORTS = {
    "SimulationResult": "dsdcompile.sim.engine",
    "mass_action": "dsdcompile.sim.engine",
    "simulate": "dsdcompile.sim.engine",
    "simulate_outputs": "dsdcompile.sim.engine",
}

__all__ = sorted(_EXPORTS)

__getattr__ = _lazy_exports(__name__, globals(), _EXPORTS)
