"""Planning without --inputs: the model's input box, the bound of the CRN over it, and inputs drawn from it.

Without ``--inputs`` a design run plans the lab for *every* input the model can be given, not
for a sample of them: the box of network inputs the model records (:mod:`dsdcompile.nn.input_range`,
or recomputed from the data set its meta names when that is at hand) is pushed through the
split CRN the DSD modules implement (:func:`dsdcompile.crn.bounds.bound_crn`), and fuel and
reporters are planned from that bound (:func:`dsdcompile.kinetics.fuel.bound_fuel_plan`).

What needs example trajectories (formal and implementation kinetics at real rates, the tube's
purity sweep and read time, the expected readings of the plate) runs on a small seeded set of
inputs drawn from the box (:func:`dsdcompile.crn.bounds.box_samples`: its all-low and all-high
corners, random corners and random interior points), whose reference outputs are the
network's. They are the plate's samples in the lab tables: inputs at the box's corners are
the ones that push the fuel plan hardest, so they make fuel-stress controls; real samples are
planned by ``dsdcompile mix``. When a test set is at hand (the data set the meta names, or
``designs/<dataset>/test.csv`` of this repository) the summary says how much more fuel the
bound asks for than the test set needs, and what that costs in DNA (:func:`basis_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError

PROBE_CORNERS = 8
PROBE_INTERIOR = 8
PROBE_SEED = 0
PROBE_NOTE = ("No --inputs: fuel and reporters cover every input of the model's input box ({source}). The plate's "
              "{n} samples are inputs drawn from that box (its all-low and all-high corners, random corners, random "
              "points): fuel-stress controls, not data. Plan real samples with `dsdcompile mix`")


@dataclass(frozen=True, eq=False)
class BoxBasis:
    """The input box, the bound of the split CRN over it, the inputs drawn from it and a test set to compare with."""

    box: object  # dsdcompile.nn.input_range.InputBox
    x: np.ndarray
    nn: np.ndarray
    bounds: object  # dsdcompile.crn.bounds.CRNBounds of the split CRN
    test_x: np.ndarray | None = None
    test_source: str | None = None

    def describe(self) -> str:
        return (f"no --inputs: fuel and reporters planned for every input of the box ({self.box.source}); kinetics "
                f"and the tube simulated on {len(self.x)} inputs drawn from it (corners and random points, seed "
                f"{PROBE_SEED})")


def resolve_box_basis(crn, dsd, model: Path, progress) -> BoxBasis | None:
    """The box basis of a design run without --inputs; None for a CRN file (no meta to hold a range).

    A model with neither a recorded input range nor its data set at hand is refused (InputError,
    exit 2) with a line saying to pass --inputs."""
    from dsdcompile.crn.bounds import bound_crn, box_samples
    from dsdcompile.nn.input_range import resolve_range

    net = crn.network
    if net is None:
        return None
    box = resolve_range(net, model)
    if box is None:
        name = (net.meta or {}).get("dataset")
        why = (f"its data set {name!r} is not at hand (set DSDCOMPILE_DATA_DIR to the folder that holds it)"
               if name else "its meta names no data set")
        raise InputError(f"no input range to plan fuel for: the model's meta records no input_range and {why}; "
                         "pass --inputs (e.g. the model's test set) to plan fuel for those examples, or --no-kinetics "
                         "for the strands and verification alone", path=str(model))
    with progress.stage("input box bound"):
        bounds = bound_crn(dsd.system.split_crn, box.low, box.high)
    x = box_samples(bounds.low, bounds.high, corners=PROBE_CORNERS, interior=PROBE_INTERIOR, seed=PROBE_SEED)
    nn = crn.forward(x)
    test_x, source = _test_set(crn, model)
    basis = BoxBasis(box, x, nn, bounds, test_x, source)
    progress.log(basis.describe())
    return basis


def _test_set(crn, model: Path) -> tuple[np.ndarray | None, str | None]:
    """(network inputs, where from) of the model's test set when at hand, else (None, None)."""
    from dsdcompile.nn import preprocess
    from dsdcompile.nn.input_range import load_named_dataset

    net = crn.network
    meta = net.meta or {}
    try:
        data = load_named_dataset(meta, model)
    except (InputError, OSError, ValueError):
        data = None
    if data is not None and len(data.y_test):
        x = preprocess.apply(net.preprocessing, data.x_test)
        if x.shape[1] == net.n_inputs:
            return x, f"the {data.name} test split ({len(x)} examples)"
    name = meta.get("dataset")
    if name:
        path = Path(__file__).resolve().parents[2] / "designs" / str(name) / "test.csv"
        if path.is_file():
            from dsdcompile.stages.crn import load_examples

            try:
                ex = load_examples(path, crn)
            except InputError:
                return None, None
            if len(ex):
                return ex.x, f"designs/{name}/test.csv ({len(ex.x)} examples)"
    return None, None


def basis_summary(basis: BoxBasis | None, dsd, kinetics, lab) -> dict:
    """summary.json's ``lab`` keys on what fuel was planned for: ``fuel_basis`` ("examples" or "input box") and, for
    the box, where it came from, how many inputs were simulated, and against a test set at hand how much more fuel
    the bound asks for (``bound_over_test_set``: total need, ``bound_over_test_set_max``: the largest per fuel) and
    what that costs (``extra_fuel_uM``, ``extra_reporter_uM``, ``extra_dna_uM``: strands per well, at this design's
    unit; ``test_set_unit_nM``: the unit a plan for the test set alone could pipette, where the unit was fitted)."""
    if basis is None:
        return {"fuel_basis": "examples"}
    out: dict = {"fuel_basis": "input box", "input_box_source": basis.box.source,
                 "input_box_margin": basis.box.margin, "input_box_samples_simulated": int(len(basis.x)),
                 "test_set": basis.test_source}
    plan, kcfg = kinetics.plan, kinetics.config
    if basis.test_x is None or plan is None or kcfg is None or not lab.written:
        return out
    from dsdcompile.kinetics.fuel import fuel_plan
    from dsdcompile.lab.plan import planned_reporter_nM

    test = fuel_plan(dsd.system.split_crn, dsd.modules, basis.test_x, kcfg)
    need_box, need_test = sum(plan.needed_nM.values()), sum(test.needed_nM.values())
    ratios = [plan.needed_nM[f] / n for f, n in test.needed_nM.items() if n > 0]
    reps = dict(kinetics.tube.reporter_nM) if kinetics.tube is not None else {}
    test_reps = planned_reporter_nM(dsd.system, dsd.reporters, basis.test_x, kinetics.unit_nM, plan.safety,
                                    kcfg.fuel_min_units) if reps else {}
    strands = {sp.name: len(sp.strands) for sp in lab.species}
    extra_fuel = sum(plan.fuel_nM[f] - test.fuel_nM.get(f, 0.0) for f in plan.fuel_nM)
    extra_rep = sum(reps[r] - test_reps.get(r, 0.0) for r in reps)
    extra_dna = (sum(strands.get(f, 1) * (plan.fuel_nM[f] - test.fuel_nM.get(f, 0.0)) for f in plan.fuel_nM)
                 + sum(strands.get(r, 1) * (reps[r] - test_reps.get(r, 0.0)) for r in reps))
    out.update({
        "bound_over_test_set": need_box / need_test if need_test > 0 else None,
        "bound_over_test_set_max": max(ratios) if ratios else None,
        "test_set_fuel_uM": sum(test.fuel_nM.values()) / 1000.0,
        "extra_fuel_uM": extra_fuel / 1000.0,
        "extra_reporter_uM": extra_rep / 1000.0,
        "extra_dna_uM": extra_dna / 1000.0,
        "test_set_unit_nM": _test_unit(basis, dsd, kinetics, lab),
    })
    return out


def _test_unit(basis: BoxBasis, dsd, kinetics, lab) -> float | None:
    """The unit (nM) the unit fit would choose for the test set alone (None when this run did not fit the unit)."""
    from dataclasses import replace

    from dsdcompile.lab.plan import fit_unit
    from dsdcompile.runtime.progress import Progress

    if not lab.config.fit_unit or kinetics.config is None:
        return None
    requested = replace(kinetics.config, unit_nM=kinetics.unit_nM_requested or kinetics.config.unit_nM)
    return float(fit_unit(dsd, basis.test_x, requested, lab.config, Progress(quiet=True)).kinetics.unit_nM)


__all__ = ["BoxBasis", "basis_summary", "resolve_box_basis"]
