"""``dsdcompile compile MODEL`` (and ``dsdcompile MODEL``): options → :class:`~dsdcompile.config.RunConfig` →
:func:`dsdcompile.stages.pipeline.build_design`.

Every option is one row of :data:`OPTIONS`: its click declarations, the config field it sets
(``section.field`` of the RunConfig, a RunConfig field, or nothing for the command's own
``--out``, ``--force`` and ``--inputs``), its help and its click extras. The command's options,
their defaults (read from the configs, so there is no second set) and :func:`run_config`'s
keywords are all generated from that table.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from dsdcompile.cli import errors
from dsdcompile.config import (
    AgreementConfig,
    CompileConfig,
    DSDConfig,
    ExecutionConfig,
    KineticsConfig,
    LabConfig,
    RateFuelConfig,
    RunConfig,
    SimulationConfig,
    VerificationConfig,
)
from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.constructions import names as construction_names
from dsdcompile.runtime.resources import parse_size

_RUN = RunConfig()
_KIN = KineticsConfig()
# the RunConfig sections options set, in the order they are built (and so checked)
_SECTIONS: dict[str, Any] = {
    "compile": CompileConfig(), "simulation": SimulationConfig(), "agreement": AgreementConfig(),
    "dsd": DSDConfig(), "execution": ExecutionConfig(), "verification": VerificationConfig(), "kinetics": _KIN,
    "rate_fuel": RateFuelConfig(), "lab": LabConfig(), "sequences": SequenceConstraints(),
}
_OPTIONAL_SECTIONS = ("sequences",)  # None in the RunConfig unless an option enables them
_UNSET = object()


def _read_dyes(path: Path | None):
    """The dye table of --dyes (read before anything heavy runs), or the default."""
    if path is None:
        return _SECTIONS["lab"].dyes
    from dsdcompile.lab.dyes import read_dye_table

    return read_dye_table(path)


@dataclass(frozen=True)
class Option:
    """One option of ``compile``.

    ``to``: where the value goes: ``"section.field"``, a RunConfig ``"field"``, several of them, or
    None (the command's own option, not part of the RunConfig). ``default``: unset takes the
    config field's default (the first target's); the option text goes through ``parse`` before
    :func:`run_config` sees it, and :func:`run_config`'s value through ``convert`` before the
    config does. ``enables``: a flag that makes an optional section (``sequences``) present.
    """

    decls: tuple[str, ...]
    name: str  # the keyword click passes (and run_config takes)
    to: tuple[str, ...]
    help: str
    extras: Mapping[str, Any] = field(default_factory=dict)
    default: Any = _UNSET
    parse: Callable[[Any], Any] | None = None
    convert: Callable[[Any], Any] | None = None
    enables: str | None = None

    @property
    def in_config(self) -> bool:
        return bool(self.to) or self.enables is not None

    def config_default(self) -> Any:
        """The value that leaves the RunConfig as its defaults have it."""
        if self.default is not _UNSET or not self.to:
            return None if self.default is _UNSET else self.default
        section, _, name = self.to[0].rpartition(".")
        return getattr(_SECTIONS[section] if section else _RUN, name)

    def click_option(self) -> Callable:
        extras = dict(self.extras)
        if self.default is not _UNSET or self.to:
            extras["default"] = self.config_default()
        return click.option(*self.decls, help=self.help, **extras)


def _opt(*decls: str, to: str | tuple[str, ...] | None = None, help: str, **extras: Any) -> Option:
    special = {k: extras.pop(k) for k in ("default", "parse", "convert", "enables") if k in extras}
    targets = () if to is None else (to,) if isinstance(to, str) else tuple(to)
    name = click.Option(list(decls)).name  # click's own rule: the identifier given, else the first long flag
    return Option(tuple(decls), name, targets, help, extras, **special)


_PATH = click.Path(path_type=Path, dir_okay=False)
_CRN_FORMS = click.Choice(["formal", "reduced"])

OPTIONS: tuple[Option, ...] = (
    _opt("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
         help="Design folder to write (default: <model stem>_design next to the current directory)."),
    _opt("--force", is_flag=True,
         help="Replace --out even if it holds files this run would not write; the old folder is kept "
              "as <out>.backup-<date>-<time>, never deleted."),
    _opt("--max-memory", to="max_memory", default=None, parse=parse_size, metavar="SIZE",
         help="Refuse (exit 2) a model, CRN or inputs CSV estimated to need more memory than this, e.g. 8GB "
              "or 512MiB (default: a quarter of this machine's memory)."),
    _opt("--inputs", type=_PATH,
         help="CSV of examples (raw features, optional header and label column) to check the CRN on."),
    _opt("--scheme", to="scheme", show_default=True,
         help="Translation scheme for the DSD stage: a built-in name (`dsdcompile schemes` lists them with their "
              "citations), a scheme in nuskell's language (.ts: read, never run), a path to a scheme module (.py: "
              "this RUNS that file's Python code, so give only files you trust), or 'none' to stop after the CRN "
              "stages."),
    _opt("--dsd-crn", to="dsd_crn", type=_CRN_FORMS, show_default=True,
         help="Which CRN the DSD stage translates."),
    _opt("--max-products", to="dsd.max_products", type=int,
         help="Split reactions with more products than this into helper trees (default: the largest K "
              "whose strands stay within --max-strand-nt)."),
    _opt("--max-strand-nt", to="dsd.max_strand_nt", type=int, show_default=True,
         help="Longest strand the automatic --max-products may produce."),
    _opt("--reactant-order", to="dsd.reactant_order", type=click.Choice(["as-written", "sorted", "search"]),
         show_default=True,
         help="Order in which each module's gate binds its reactants: as written (the schemes' papers, nuskell), "
              "sorted by shape (fewer distinct gates), or search: as written, trying the other orders of the "
              "reactions in a failing module or interacting pair until the design verifies."),
    _opt("--executor", to="execution.executor", type=click.Choice(["process", "serial", "dask"]), show_default=True,
         help="Where module enumeration, verification and rate-dependent kinetics run."),
    _opt("--scheduler", to="execution.scheduler", help="Address of an existing Dask scheduler (--executor dask)."),
    _opt("--connect-timeout", to="execution.connect_timeout", type=float, show_default=True,
         help="Seconds to wait for the Dask scheduler before giving up (exit 2)."),
    _opt("--workers", to="execution.workers", type=int, help="Process pool size (default: all cores)."),
    _opt("--module-timeout", to="execution.module_timeout", type=float, show_default=True,
         help="Seconds one module shape's enumeration, and its verification, may take."),
    _opt("--verify-whole/--no-verify-whole", to="verify_whole", show_default=True,
         help="Also enumerate and verify the whole system when it fits its time budget (--whole-budget)."),
    _opt("--whole-budget", to="verification.whole_budget", type=float, show_default=True,
         help="Seconds the whole-system check may take in all; larger systems are skipped with the reason "
              "in the report."),
    _opt("--interactions/--no-interactions", to="verification.interactions", show_default=True,
         help="Check that no complex of one module reacts with a complex of another (needed for the "
              "per-module verdicts to hold for the whole design)."),
    _opt("--check-every-shape", to="verification.first_error", is_flag=True, default=False, convert=lambda v: not v,
         help="Enumerate and check every module shape even after one of the smallest is proven wrong (by default "
              "such a design stops there: the verdict needs one proof, and a large network's other shapes can "
              "take minutes)."),
    _opt("--allow-inconclusive", to="allow_inconclusive", is_flag=True,
         help="Exit 0 when verification is inconclusive (default: exit code 4, after writing the folder)."),
    _opt("--binarize", to="compile.binarize", type=click.Choice(["sign", "ternary"]),
         help="Discretise real-valued weights instead of refusing them."),
    _opt("--construction", to="compile.construction", type=click.Choice(list(construction_names())),
         help="vasic2020: rate-independent, ternary weights (Vasic et al. 2020); anderson2021: rate-dependent "
              "smoothed ReLU, real weights (Anderson et al. 2021). Default: the model's meta, else vasic2020."),
    _opt("--epsilon", to="compile.epsilon", type=float,
         help="anderson2021 smoothing parameter ε (default: the model's meta, else 0.01)."),
    _opt("--annihilation/--no-annihilation", to="compile.annihilation", show_default=True,
         help="Add S+ + S- -> 0 for every dual-rail pair (Vasic et al. 2020, appendix)."),
    _opt("--rate", to="simulation.rate", type=float, show_default=True,
         help="Rate constant of every reaction without its own rate in the ODE check."),
    _opt("--t-max", to="simulation.t_max", type=float, show_default=True, help="Longest simulated time."),
    _opt("--ode-examples", to="agreement.ode_examples", type=int, show_default=True,
         help="How many examples the ODE check simulates (-1: all)."),
    _opt("--ode-crn", to="agreement.ode_crn", type=_CRN_FORMS, show_default=True,
         help="Which CRN the ODE check simulates."),
    _opt("--plot-example", to="plot_example", type=int, show_default=True,
         help="Index of the example whose trajectories are plotted."),
    _opt("--kinetics/--no-kinetics", "run_kinetics", to="run_kinetics", show_default=True,
         help="After the DSD stage: kinetics at realistic rates (formal CRN over random rate draws, DNA "
              "implementation with planned finite fuel) and wet-lab concentration tables, with fuel planned for "
              "the --inputs examples or, without them, for every input of the model's input range."),
    _opt("--kinetics-max-modules", to="kinetics.max_modules", type=int, show_default=True,
         help="Larger DSD systems get formal kinetics only (no fuel plan, implementation or lab tables)."),
    _opt("--kinetics-examples", to=("kinetics.examples", "kinetics.implementation_examples"), type=int,
         show_default=True,
         help="How many examples the kinetics simulate (-1: all; large systems then take "
              f"{_KIN.large_system_examples})."),
    _opt("--unit-nM", "unit_nm", to="kinetics.unit_nM", type=float, show_default=True,
         help="Concentration (nM) of one unit of network value (rate-independent designs)."),
    _opt("--rate-unit-nM", "rate_unit_nm", to="rate_fuel.unit_nM", type=float, show_default=True,
         help="Concentration (nM) of one unit of network value in rate-dependent (anderson2021) designs, "
              "whose fuel sets the rate constants and is consumed continuously."),
    _opt("--rate-draws", to="kinetics.rate_draws", type=int, show_default=True,
         help="Random draws of the formal rate constants (log-uniform in "
              f"[{_KIN.rate_min:g}, {_KIN.rate_max:g}] /M/s)."),
    _opt("--fuel-safety", to="kinetics.fuel_safety", type=float, show_default=True,
         help="Fuel supplied per fuel: this factor times the worst example's consumption."),
    _opt("--leak", to="kinetics.leak", type=float, show_default=True,
         help="Leak rate constant (/M/s) of spurious fuel + fuel release in the implementation; above 0 also "
              "sweeps leak rates (leak.csv, kinetics_leak.png)."),
    _opt("--volume-uL", "volume_ul", to="lab.volume_uL", type=float, show_default=True,
         help="Final reaction volume (µL) of the wet-lab tables."),
    _opt("--min-volume-uL", "min_volume_ul", to="lab.min_volume_uL", type=float, show_default=True,
         help="Smallest volume the protocol pipettes (µL): dilutions, pooled anneals and mixes keep every "
              "transfer at or above it."),
    _opt("--reporters/--no-reporters", to="dsd.reporters", show_default=True,
         help="A fluorophore/quencher reporter for every output rail, enumerated and verified with the modules."),
    _opt("--dyes", "dyes_csv", to="lab.dyes", default=None, convert=_read_dyes, type=_PATH,
         help="CSV of fluorescence channels (columns of dsdcompile.lab.dyes.DYE_COLUMNS; a design folder's "
              "dyes.csv is one). Default: FAM, HEX, ROX, Cy5 with IDT codes."),
    _opt("--fit-unit/--fixed-unit", to="lab.fit_unit", show_default=True,
         help="Lower --unit-nM in 1-2-5 steps until the planned tube can be pipetted (--fixed-unit: never)."),
    _opt("--json/--no-json", "crn_json", to="crn_json", show_default=True,
         help="Also write the CRNs as formal.json / reduced.json (large for MNIST-size networks)."),
    _opt("--sequences/--no-sequences", "design_seqs", default=False, enables="sequences", show_default=True,
         help="After the DSD stage: design nucleotide sequences, check them and write order sheets "
              "(as `dsdcompile sequences DESIGN` does, with its default constraints)."),
    _opt("--seq-seed", to="sequences.seed", type=int, show_default=True,
         help="Seed of the sequence design (--sequences)."),
    _opt("--allow-failures", "allow_sequence_failures", to="allow_sequence_failures", is_flag=True,
         help="With --sequences: exit 0 even when sequence checks still fail after the repair rounds "
              "(default: exit 5, with the folder and sequence_report.md written)."),
    _opt("--quiet", "-q", to="quiet", is_flag=True, help="No progress bars or stage messages."),
)
CONFIG_OPTIONS = tuple(opt for opt in OPTIONS if opt.in_config)


def run_config(**values: Any) -> RunConfig:
    """The RunConfig the ``compile`` command's options describe (every value checked by the configs themselves).

    Takes the options' keywords (see the signature); an option not given keeps its config default.
    """
    by_name = {opt.name: opt for opt in CONFIG_OPTIONS}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise TypeError(f"run_config() got unexpected keyword arguments: {', '.join(unknown)}")
    fields: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    top: dict[str, Any] = {}
    enabled = {name: False for name in _OPTIONAL_SECTIONS}
    for name, value in values.items():
        opt = by_name[name]
        if opt.enables is not None:
            enabled[opt.enables] = bool(value)
        for target in opt.to:
            section, _, key = target.rpartition(".")
            (fields[section] if section else top)[key] = (opt, value)

    def built(entries: dict[str, Any]) -> dict[str, Any]:
        return {key: opt.convert(value) if opt.convert else value for key, (opt, value) in entries.items()}

    sections = {name: replace(default, **built(fields[name]))
                for name, default in _SECTIONS.items() if name not in _OPTIONAL_SECTIONS or enabled[name]}
    sections.update({name: None for name in _OPTIONAL_SECTIONS if not enabled[name]})
    return RunConfig(**sections, **built(top))


run_config.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter(opt.name, inspect.Parameter.KEYWORD_ONLY, default=opt.config_default())
     for opt in CONFIG_OPTIONS], return_annotation=RunConfig)


def compile_options(f: Callable) -> Callable:
    """Apply every option of :data:`OPTIONS` to ``f``, in the table's order."""
    for opt in reversed(OPTIONS):
        f = opt.click_option()(f)
    return f


@click.command("compile")
@click.argument("model", type=click.Path(path_type=Path, dir_okay=False))
@compile_options
def compile_command(model: Path, out_dir: Path | None, force: bool, inputs: Path | None, **options: Any) -> None:
    """Compile MODEL (a state_dict .pt, .safetensors, or a CRN file) and write a design folder.

    \b
    Exit codes: 0 success; 1 failure; 2 bad usage or input (nothing written); 3 the DNA
    implementation was proven not to implement the CRN; 4 verification was inconclusive
    (3 and 4 write the folder first; --allow-inconclusive turns 4 into 0); 5 sequence checks
    still fail after the repair rounds (folder written; --allow-failures turns 5 into 0).
    """
    errors.take_interrupts()
    with errors.reported(on_interrupt="nothing was written"):
        parsers = {opt.name: opt.parse for opt in CONFIG_OPTIONS if opt.parse is not None}
        config = run_config(**{name: value if value is None or name not in parsers else parsers[name](value)
                               for name, value in options.items()})
        out_dir = out_dir or Path(f"{model.stem}_design")
        _refuse_early(model, inputs, out_dir, config, force)
        from dsdcompile.stages.pipeline import build_design

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = build_design(model, out_dir, inputs=inputs, config=config, force=force)
    errors.interrupt_after_writing()
    if not config.quiet:
        _print_summary(result)


def _refuse_early(model: Path, inputs: Path | None, out_dir: Path, config: RunConfig, force: bool) -> None:
    """Cheap checks before any heavy library is imported: a missing or unreadable file or a bad --out, at once."""
    from dsdcompile.runtime.resources import regular_file
    from dsdcompile.stages.folder import check_destination, planned_files

    regular_file(model, "model file")
    if inputs is not None:
        regular_file(inputs, "inputs CSV")
    check_destination(out_dir, planned=planned_files(config, inputs=inputs is not None), force=force)


def _print_summary(result) -> None:
    lines = [result.crn.describe()]
    if result.agreement is not None:
        lines += result.agreement.describe()
    if result.dsd is not None:
        lines += result.dsd.describe()
    if result.kinetics is not None and result.kinetics.describe():
        lines.append(result.kinetics.describe())
    if result.lab is not None:
        lab = result.lab.to_summary()
        lines.append(f"lab: not planned: {lab['skipped']}" if "skipped" in lab else
                     f"lab: {lab['anneals']} anneals, {lab['steps']} steps, smallest transfer {lab['min_volume_uL']:g} "
                     f"uL, {lab['total_dna_uM']:.3g} uM DNA per well, read at {lab['read_time_h']} h (protocol.md)")
    if result.sequences is not None:
        f = result.sequences.design.failing()
        lines.append(f"sequences: {len(result.sequences.design.domains)} domains; failing: strands {f['strands']}, "
                     f"complexes {f['complexes']}, crosstalk pairs {f['crosstalk_pairs']} (sequence_report.md)")
    if result.backup is not None:
        lines.append(f"the folder it replaced was kept as {result.backup}/")
    lines.append(f"design written to {result.out_dir}/")
    click.echo("\n".join(lines))


__all__ = ["CONFIG_OPTIONS", "OPTIONS", "Option", "compile_command", "compile_options", "run_config"]
