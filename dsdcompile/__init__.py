"""dsdcompile: trained ReLU networks → chemical reaction networks → DNA strand-displacement designs."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("dsdcompile")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from dsdcompile.config import AgreementConfig, CompileConfig, RunConfig, SimulationConfig  # noqa: E402
from dsdcompile.crn_io import parse_crn, read_crn, read_crn_json, write_crn, write_crn_json  # noqa: E402
from dsdcompile.errors import DsdCompileError, InputError, NotEquivalent  # noqa: E402
from dsdcompile.evaluate import ExactEvaluator, exact_outputs  # noqa: E402
from dsdcompile.ir import CRN, Dense, Network, Reaction, Role, Signal, Species  # noqa: E402
from dsdcompile.model_io import load_network  # noqa: E402
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn  # noqa: E402

__all__ = [
    "CRN", "Dense", "Network", "Reaction", "Role", "Signal", "Species",
    "AgreementConfig", "CompileConfig", "RunConfig", "SimulationConfig",
    "DsdCompileError", "InputError", "NotEquivalent",
    "ExactEvaluator", "exact_outputs", "load_network",
    "add_annihilation", "compile_network", "reduce_crn",
    "parse_crn", "read_crn", "read_crn_json", "write_crn", "write_crn_json",
    "build_design",
]


def build_design(*args, **kwargs):
    """Run every stage and write a design folder (see :func:`dsdcompile.design.build_design`)."""
    from dsdcompile.design import build_design as _build

    return _build(*args, **kwargs)
