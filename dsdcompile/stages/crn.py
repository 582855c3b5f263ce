"""The CRN stages: load a model (or a CRN file), compile it with its construction, reduce it, read examples."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsdcompile import constructions
from dsdcompile.config import RunConfig
from dsdcompile.constructions import Construction
from dsdcompile.crn import crn_file_kind, read_crn_file, write_crn, write_crn_json
from dsdcompile.errors import InputError, NotFeedForward
from dsdcompile.ir import CRN, Network
from dsdcompile.nn.inputs import Examples, read_examples
from dsdcompile.runtime.files import write_json
from dsdcompile.runtime.progress import Progress

CRN_SUFFIXES = (".crn", ".json")
CRN_NOTE = ["written by dsdcompile; see README for the format"]


@dataclass(frozen=True, eq=False)
class CRNResult:
    """What the CRN stages produced for one model: the network, its construction, the formal and reduced CRNs.

    ``network`` and ``construction`` are None when a CRN file was the input; ``settings``
    holds the construction's parameters (anderson2021's ε). ``reduced`` is None where the
    reduce pass does not apply (rate-dependent constructions, CRN files that are not
    feed-forward).
    """

    source: Path
    sha256: str
    network: Network | None
    construction: Construction | None
    formal: CRN
    reduced: CRN | None
    annihilation: bool = False
    settings: Mapping[str, float] = field(default_factory=dict)

    @property
    def rate_dependent(self) -> bool:
        return self.construction is not None and self.construction.rate_dependent

    @property
    def class_names(self) -> tuple[str, ...]:
        if self.network is not None:
            return self.network.class_names
        return tuple(s.name for s in self.formal.outputs)

    def forward(self, x: np.ndarray) -> np.ndarray | None:
        """What the CRN must compute for network inputs ``x`` (None for a CRN file: no network to ask)."""
        if self.network is None:
            return None
        return self.construction.forward(self.network, x, self.settings)

    def crns(self) -> dict[str, CRN]:
        """The CRNs by name: "formal" and, where there is one, "reduced"."""
        return {"formal": self.formal, **({"reduced": self.reduced} if self.reduced is not None else {})}

    def describe(self) -> str:
        """One line for the command line."""
        layers = self.network.sizes if self.network is not None else None
        if self.reduced is None:
            kind = self.construction.name if self.construction is not None else "CRN input"
            return f"network {layers}: {self.formal.n_reactions} reactions ({kind})"
        return f"network {layers}: {self.formal.n_reactions} formal / {self.reduced.n_reactions} reduced reactions"

    def to_summary(self) -> dict:
        """summary.json's ``model``, ``network`` and ``crn`` blocks."""
        net = self.network
        return {
            "model": {"path": str(self.source), "sha256": self.sha256, "dataset": _dataset(net),
                      "class_margin_trained": _margin_trained(net)},
            "network": {
                "layers": net.sizes if net is not None else None,
                "nonzero_weights": net.nonzero_weights() if net is not None else None,
                "input_names": list(net.meta.get("raw_input_names", net.input_names)) if net is not None else
                [s.name for s in self.formal.inputs],
                "class_names": list(self.class_names),
                "construction": self.construction.name if self.construction is not None else None,
            },
            "crn": {
                "formal_reactions": self.formal.n_reactions,
                "formal_species": self.formal.n_species,
                "reduced_reactions": self.reduced.n_reactions if self.reduced is not None else None,
                "reduced_species": self.reduced.n_species if self.reduced is not None else None,
                "annihilation": self.annihilation,
                "formal": self.formal.stats(),
                "reduced": self.reduced.stats() if self.reduced is not None else None,
            },
        }


def _dataset(net) -> str | None:
    """The data set a model was trained on (its meta's ``dataset``, as `dsdcompile train` writes it), if it is a
    short line of printable text; the report's title."""
    name = net.meta.get("dataset") if net is not None else None
    if isinstance(name, str) and 0 < len(name.strip()) <= 80 and name.isprintable():
        return name.strip()
    return None


def _margin_trained(net) -> float | None:
    """The class margin the model was trained for (`dsdcompile train --margin`, meta ``class_margin.target``) when
    the meta records one as a finite number; None otherwise (older models, other sources)."""
    import math

    m = net.meta.get("class_margin") if net is not None else None
    target = m.get("target") if isinstance(m, dict) else None
    if isinstance(target, (int, float)) and not isinstance(target, bool) and math.isfinite(target):
        return float(target)
    return None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_crn_file(path: Path) -> bool:
    """A CRN (text in dsdcompile's or nuskell's syntax, or CRN JSON) by its content, or by a .crn/.json name.

    Raises InputError for a missing or non-regular file (FIFO, device, directory) before
    anything reads it.
    """
    return crn_file_kind(path) is not None or path.suffix in CRN_SUFFIXES


def compile_model(source: str | Path, config: RunConfig = RunConfig(), progress: Progress | None = None) -> CRNResult:
    """Load a model (or a CRN file, told apart by content) and run its construction's compile and reduce passes."""
    from dsdcompile.passes import add_annihilation, reduce_crn

    progress = progress or Progress(quiet=True)
    path = Path(source)
    annihilation = config.compile.annihilation
    if is_crn_file(path):
        with progress.stage("load"):
            formal = read_crn_file(path)
        network = construction = None
        settings: dict[str, float] = {}
    else:
        from dsdcompile.nn.load import load_network

        with progress.stage("load"):
            network = load_network(path, construction=config.compile.construction, binarize=config.compile.binarize,
                                   ternary_threshold=config.compile.ternary_threshold, max_memory=config.max_memory)
        construction = constructions.of_network(network)
        settings = construction.settings(network.meta, config.compile)
        with progress.stage("compile"):
            formal = construction.compile(network, settings)
        if construction.rate_dependent:
            progress.log(f"compiled ({construction.name}, rate-dependent): {formal.n_reactions} reactions / "
                         f"{formal.n_species} species")
            return CRNResult(path, sha256(path), network, construction, formal, None, False, settings)
    with progress.stage("reduce"):
        try:
            reduced = reduce_crn(formal)
        except NotFeedForward as e:
            if network is not None:
                raise
            progress.log(f"reduce: skipped, the CRN is not feed-forward ({e})")
            reduced = None
    if annihilation:
        formal = add_annihilation(formal)
        reduced = add_annihilation(reduced) if reduced is not None else None
    progress.log(f"compiled: {formal.n_reactions} formal reactions / {formal.n_species} species"
                 + (f", {reduced.n_reactions} reduced / {reduced.n_species} species" if reduced else ""))
    return CRNResult(path, sha256(path), network, construction, formal, reduced, annihilation, settings)


def load_examples(path: str | Path, crn: CRNResult, *, max_memory: int | None = None) -> Examples:
    """Read an inputs CSV for a compiled model (raw features, preprocessing applied) and check its width."""
    if crn.network is not None:
        examples = read_examples(path, crn.network, max_memory=max_memory)
    else:  # a CRN file: its inputs are the network inputs, no preprocessing
        formal = crn.formal
        stub = Network((), tuple(s.name for s in formal.inputs), tuple(s.name for s in formal.outputs))
        examples = read_examples(path, stub, raw_names=[s.name for s in formal.inputs], max_memory=max_memory)
    if examples.x.shape[1] != len(crn.formal.inputs):
        raise InputError(f"examples have {examples.x.shape[1]} features after preprocessing but the CRN has "
                         f"{len(crn.formal.inputs)} inputs", path=str(path))
    return examples




def write_sbml_if_small(crn: CRN, path: Path, *, units: str, name: str) -> bool:
    """SBML of ``crn`` unless it is too large to be useful (see dsdcompile.crn.sbml.SBML_MAX_TERMS)."""
    from dsdcompile.crn import sbml

    n = sbml.terms(crn)
    if n > sbml.SBML_MAX_TERMS:
        return False
    sbml.write_sbml(crn, path, units=units, name=name, check=n <= sbml.CHECK_MAX_TERMS)
    return True


def write_crn_files(crn: CRNResult, folder: Path, *, crn_json: bool = True) -> list[str]:
    """formal.crn and reduced.crn (with their JSON and SBML forms) and network.json."""
    from dsdcompile.nn.load import network_to_json

    files = []
    for name, c in crn.crns().items():
        write_crn(c, folder / f"{name}.crn", comments=CRN_NOTE)
        files.append(f"{name}.crn")
        if crn_json:
            write_crn_json(c, folder / f"{name}.json")
            files.append(f"{name}.json")
        # in network units: time in units of 1/k, every rate its own (1 when the CRN gives none)
        if write_sbml_if_small(c, folder / f"{name}.sbml", units="network", name=f"dsdcompile_{name}"):
            files.append(f"{name}.sbml")
    if crn.network is not None:
        write_json(folder / "network.json", network_to_json(crn.network), compact=True)
        files.append("network.json")
    return files


__all__ = ["CRNResult", "compile_model", "load_examples", "sha256", "write_crn_files", "write_json"]
