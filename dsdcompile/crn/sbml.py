"""SBML Level 3 export of a CRN (formal, reduced or enumerated implementation) for COPASI, tellurium and the rest.

Every reaction becomes an irreversible mass-action reaction ``tube · k_j · Π [S]^n`` with a
global parameter ``k_j`` (dsdcompile's convention: no 1/n! for repeated reactants), every
species a concentration in one compartment ``tube`` of size 1, and every network output an
assignment rule ``out_<name>`` = [plus carriers] − [minus carriers] (an implementation CRN may
carry one formal species on several strands; the readout sums them, as dsdcompile does).

Units. ``units="nM"`` declares concentrations in nM (substance nmol, volume litre), time in
seconds and each rate constant in nM^(1−order)/s: the implementation CRN of
:func:`dsdcompile.kinetics.build_implementation_crn` is in these units. ``units="network"``
declares everything dimensionless: a formal or reduced CRN in network units, time in units of
1/k. Initial concentrations are the CRN's (biases; fuels of an implementation) plus, when
``x`` is given, one example's inputs placed as :meth:`CRN.initial_state` places them.

libsbml (``pip install 'dsdcompile[sbml]'``) is imported on first use only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from dsdcompile.errors import InputError
from dsdcompile.ir import CRN

UNITS = ("nM", "network")
LEVEL, VERSION = 3, 1
# A design run writes SBML for CRNs of at most SBML_MAX_TERMS reactant and product terms and runs
# libsbml's full consistency check up to CHECK_MAX_TERMS (measured on the MNIST formal CRN,
# ~600k terms: 14 s to build, 6 s to write 55 MB, 190 s to check; IRIS and virus are checked
# whole by the tests).
SBML_MAX_TERMS = 250_000
CHECK_MAX_TERMS = 20_000


def terms(crn: CRN) -> int:
    """Reactant and product terms of a CRN: what the size of its SBML grows with."""
    return sum(len(r.reactants) + len(r.products) for r in crn.reactions)


def _libsbml():
    try:
        import libsbml
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise InputError("SBML export needs python-libsbml: pip install 'dsdcompile[sbml]'") from e
    return libsbml


def sbml_ids(names: list[str], prefix: str = "s_") -> dict[str, str]:
    """SBML identifiers (letters, digits, underscore; not starting with a digit) for names, unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = prefix + base
        sid, n = base, 1
        while sid in used:
            n += 1
            sid = f"{base}_{n}"
        used.add(sid)
        out[name] = sid
    return out


def readout_matrix(crn: CRN, chunk: int = 512) -> np.ndarray:
    """(outputs × species) coefficients of the CRN's (linear) output readout."""
    n = crn.n_species
    rows = []
    for start in range(0, n, chunk):
        basis = np.zeros((min(chunk, n - start), n))
        basis[np.arange(basis.shape[0]), np.arange(start, start + basis.shape[0])] = 1.0
        rows.append(crn.output_values(basis))
    return np.concatenate(rows, axis=0).T if rows else np.zeros((len(crn.outputs), 0))


def _check(code: int, what: str) -> None:
    if code != 0:  # LIBSBML_OPERATION_SUCCESS
        raise RuntimeError(f"libsbml failed to {what} (code {code})")


def _unit(model, uid: str, parts: list[tuple[int, float, int]]) -> None:
    ud = model.createUnitDefinition()
    _check(ud.setId(uid), f"set unit id {uid}")
    for kind, exponent, scale in parts:
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exponent)
        u.setScale(scale)
        u.setMultiplier(1.0)


def sbml_document(crn: CRN, *, units: str = "nM", name: str = "dsdcompile_crn", x: np.ndarray | None = None,
                  default_rate: float = 1.0):
    """The libsbml SBMLDocument of ``crn`` (see the module docstring for the conventions)."""
    if units not in UNITS:
        raise InputError(f"SBML units must be one of {', '.join(UNITS)}, got {units!r}")
    libsbml = _libsbml()
    doc = libsbml.SBMLDocument(LEVEL, VERSION)
    model = doc.createModel()
    mid = sbml_ids([name], prefix="m_")[name]
    _check(model.setId(mid), "set the model id")
    model.setName(name)
    if units == "nM":
        _unit(model, "nmol", [(libsbml.UNIT_KIND_MOLE, 1, -9)])
        for order in range(0, 1 + max((r.order for r in crn.reactions), default=1)):
            # nM^(1-order)/s = nmol^(1-order) L^(order-1) s^-1
            parts = [(libsbml.UNIT_KIND_SECOND, -1, 0)]
            if order != 1:
                parts += [(libsbml.UNIT_KIND_MOLE, 1 - order, -9), (libsbml.UNIT_KIND_LITRE, order - 1, 0)]
            _unit(model, f"rate_order{order}", parts)
        _unit(model, "nM", [(libsbml.UNIT_KIND_MOLE, 1, -9), (libsbml.UNIT_KIND_LITRE, -1, 0)])
        model.setSubstanceUnits("nmol")
        model.setExtentUnits("nmol")
        model.setTimeUnits("second")
        model.setVolumeUnits("litre")
    else:
        for attr in ("setSubstanceUnits", "setExtentUnits", "setTimeUnits", "setVolumeUnits"):
            getattr(model, attr)("dimensionless")
    tube = model.createCompartment()
    tube.setId("tube")
    tube.setSpatialDimensions(3)
    tube.setSize(1.0)
    tube.setConstant(True)
    tube.setUnits("litre" if units == "nM" else "dimensionless")

    c0 = crn.initial_vector() if x is None else crn.initial_state(np.asarray(x, dtype=np.float64)[None])[0]
    ids = sbml_ids([s.name for s in crn.species])
    for k, s in enumerate(crn.species):
        sp = model.createSpecies()
        _check(sp.setId(ids[s.name]), f"set species id {ids[s.name]}")
        sp.setName(s.name)
        sp.setCompartment("tube")
        sp.setInitialConcentration(float(c0[k]))
        sp.setHasOnlySubstanceUnits(False)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setSubstanceUnits("nmol" if units == "nM" else "dimensionless")
    rates = crn.rate_constants(default_rate)
    for j, r in enumerate(crn.reactions):
        p = model.createParameter()
        p.setId(f"k{j}")
        p.setValue(float(rates[j]))
        p.setConstant(True)
        p.setUnits(f"rate_order{r.order}" if units == "nM" else "dimensionless")
        rx = model.createReaction()
        rx.setId(f"r{j}")
        rx.setReversible(False)
        rx.setFast(False)
        for side, add in ((r.reactants, rx.createReactant), (r.products, rx.createProduct)):
            for sname, count in side:
                ref = add()
                ref.setSpecies(ids[sname])
                ref.setStoichiometry(float(count))
                ref.setConstant(True)
        terms = ["tube", f"k{j}"] + [ids[sname] for sname, count in r.reactants for _ in range(count)]
        law = rx.createKineticLaw()
        _check(law.setMath(libsbml.parseL3Formula(" * ".join(terms))), f"set the rate law of reaction {j}")
    readout = readout_matrix(crn)
    out_ids = sbml_ids([f"out_{sig.name}" for sig in crn.outputs], prefix="out_")
    for o, sig in enumerate(crn.outputs):
        pid = out_ids[f"out_{sig.name}"]
        p = model.createParameter()
        p.setId(pid)
        p.setName(f"output {sig.name}: [{sig.plus}] - [{sig.minus}]" if sig.minus else f"output {sig.name}")
        p.setConstant(False)
        p.setUnits("nM" if units == "nM" else "dimensionless")
        formula = _linear(readout[o], [ids[s.name] for s in crn.species])
        rule = model.createAssignmentRule()
        rule.setVariable(pid)
        _check(rule.setMath(libsbml.parseL3Formula(formula)), f"set the readout of output {sig.name}")
    return doc


def _linear(coefs: np.ndarray, ids: list[str]) -> str:
    """``a - b + 2.5 * c``: positive terms first, so no unitless literal 0 is needed."""
    nz = sorted(np.flatnonzero(coefs), key=lambda k: coefs[k] < 0)
    out = ""
    for k in nz:
        c = float(coefs[k])
        term = ids[k] if abs(abs(c) - 1.0) < 1e-12 else f"{abs(c)!r} * {ids[k]}"
        out += (" - " if c < 0 else " + " if out else "") + term if out else ("-" if c < 0 else "") + term
    return out or "0"


def write_sbml(crn: CRN, path: str | Path, *, units: str = "nM", name: str = "dsdcompile_crn",
               x: np.ndarray | None = None, default_rate: float = 1.0, check: bool = True) -> Path:
    """Write ``crn`` as an SBML Level 3 file; with ``check``, raises if libsbml finds an error in the document."""
    libsbml = _libsbml()
    doc = sbml_document(crn, units=units, name=name, x=x, default_rate=default_rate)
    errors = consistency_errors(doc) if check else []
    if errors:
        raise RuntimeError(f"SBML of {name} fails libsbml's consistency check: {errors[0]}")
    path = Path(path)
    if not libsbml.writeSBMLToFile(doc, str(path)):
        raise OSError(f"{path}: libsbml could not write the file")
    return path


def consistency_errors(doc_or_path, *, warnings: bool = False) -> list[str]:
    """libsbml's consistency check (units included): messages of severity error or worse (or warning)."""
    libsbml = _libsbml()
    doc = libsbml.readSBMLFromFile(str(doc_or_path)) if isinstance(doc_or_path, (str, Path)) else doc_or_path
    doc.checkConsistency()
    worst = libsbml.LIBSBML_SEV_WARNING if warnings else libsbml.LIBSBML_SEV_ERROR
    log = doc.getErrorLog()
    return [f"{log.getError(i).getSeverityAsString()}: {log.getError(i).getMessage().strip()}"
            for i in range(log.getNumErrors()) if log.getError(i).getSeverity() >= worst]


def roadrunner_trajectories(path: str | Path, crn: CRN, c0: np.ndarray, times: list[np.ndarray], *,
                            rtol: float = 1e-10, atol: float = 1e-12) -> list[np.ndarray]:
    """Simulate the SBML file of ``crn`` in libroadrunner (an independent simulator: LLVM-compiled CVODE).

    ``c0`` holds one initial state per example (species in the CRN's order) and ``times[i]`` the
    times to report for example i; returns one (times × species) array per example, species in
    the CRN's order. Needs ``libroadrunner`` (``pip install 'dsdcompile[sbml]'``).
    """
    try:
        import roadrunner
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise InputError("simulating SBML needs libroadrunner: pip install 'dsdcompile[sbml]'") from e
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    ids = sbml_ids([s.name for s in crn.species])
    back = {sid: name for name, sid in ids.items()}
    order = np.array([crn.index[back[sid]] for sid in rr.model.getFloatingSpeciesIds()], dtype=np.int64)
    selections = ["time"] + [f"[{ids[s.name]}]" for s in crn.species]
    out = []
    c0 = np.atleast_2d(np.asarray(c0, dtype=np.float64))
    for row, t in zip(c0, times):
        rr.resetAll()
        # one call for every species: setting them one by one recompiles the model each time
        rr.model.setFloatingSpeciesInitConcentrations(np.ascontiguousarray(row[order]))
        rr.reset()
        result = np.asarray(rr.simulate(times=[float(v) for v in t], selections=selections))
        out.append(result[:, 1:])
    return out
