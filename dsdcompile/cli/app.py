"""The ``dsdcompile`` command line: parses options into configs and calls the library, nothing more."""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from dataclasses import replace
from pathlib import Path

import click

from dsdcompile import __version__
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
from dsdcompile.constructions import names as construction_names
from dsdcompile.errors import EXIT_FAILURE, EXIT_INTERRUPTED, DsdCompileError
from dsdcompile.runtime.resources import parse_size
from dsdcompile.sequences.constraints import SequenceConstraints

_COMPILE = CompileConfig()
_SIM = SimulationConfig()
_AGREE = AgreementConfig()
_RUN = RunConfig()
_DSD = DSDConfig()
_EXEC = ExecutionConfig()
_VER = VerificationConfig()
_KIN = KineticsConfig()
_RATE = RateFuelConfig()
_LAB = LabConfig()
_SEQ = SequenceConstraints()


class DefaultCommandGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, goes to the default ``compile`` command.

    This keeps ``dsdcompile virus_model.pt --scheme soloveichik2010`` working as written while
    stage subcommands (``train``, ...) live beside it.
    """

    default_command = "compile"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Click's main, with a usage error as one line (exit 2) and Ctrl-C as one line (exit 130)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        global _AS_PROGRAM
        # arguments from the process's own command line: this is the program, which owns SIGINT
        _AS_PROGRAM = args is None and threading.current_thread() is threading.main_thread()
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            message = " ".join(e.format_message().split())
            click.echo(f"dsdcompile: error: {message} (see dsdcompile --help)", err=True)
            sys.exit(e.exit_code)
        except click.Abort as e:
            if isinstance(e.__context__, EOFError):
                click.echo("dsdcompile: error: unexpected end of input", err=True)
                sys.exit(EXIT_FAILURE)
            _interrupted("")
        sys.exit(code if isinstance(code, int) else 0)


_AS_PROGRAM = False  # run as the process's program (console script, python -m), not called in-process


def _fail(err: DsdCompileError) -> None:
    """One line naming the problem (failing sequence checks add what fails and what to try), then its exit code."""
    click.echo(f"dsdcompile: error: {err}", err=True)
    for line in getattr(err, "failing", ()):
        click.echo(f"  {line}", err=True)
    if getattr(err, "advice", ""):
        click.echo(f"dsdcompile: {err.advice}", err=True)
    sys.exit(err.exit_code)


def _interrupted(what: str) -> None:
    """Ctrl-C: one line, exit 130, and no further interrupt can turn into a traceback on the way out."""
    if _AS_PROGRAM:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    click.echo(f"dsdcompile: interrupted{'; ' + what if what else ''}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _late_interrupt(signum, frame) -> None:
    """Ctrl-C after the design was written: nothing is left to stop, but the exit still says it (130)."""
    sys.stdout.flush()
    sys.stderr.write("dsdcompile: interrupted after the design was written\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dsdcompile")
def main() -> None:
    """Compile a trained binary/ternary-weight ReLU network into a CRN and a DNA strand-displacement design.

    \b
    dsdcompile MODEL [options]          same as: dsdcompile compile MODEL [options]
    dsdcompile train [options]          train a BinaryConnect network
    dsdcompile sequences DESIGN         nucleotide sequences and order sheets
    dsdcompile mix DESIGN --inputs CSV  input sheets for new samples (design untouched)

    \b
    Exit codes: 0 success; 1 failure; 2 bad usage or input (nothing written);
    3 the DNA implementation was proven not to implement the CRN (folder written);
    4 verification was inconclusive (folder written; --allow-inconclusive exits 0);
    5 sequence checks still fail (folder written; --allow-failures exits 0);
    130 interrupted (Ctrl-C; a run stopped before its folder was written leaves the old one).
    """


@main.command("compile")
@click.argument("model", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Design folder to write (default: <model stem>_design next to the current directory).")
@click.option("--force", is_flag=True,
              help="Replace --out even if it holds files this run would not write; the old folder is kept "
                   "as <out>.backup-<date>-<time>, never deleted.")
@click.option("--max-memory", default=None, metavar="SIZE",
              help="Refuse (exit 2) a model, CRN or inputs CSV estimated to need more memory than this, e.g. 8GB "
                   "or 512MiB (default: a quarter of this machine's memory).")
@click.option("--inputs", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV of examples (raw features, optional header and label column) to check the CRN on.")
@click.option("--scheme", default=_RUN.scheme, show_default=True,
              help="Translation scheme for the DSD stage (soloveichik2010, qian2011_3D, srinivas2015, "
                   "cardelli2011_NM), a path to a scheme module (.py: this RUNS that file's Python code, so give "
                   "only files you trust), or 'none' to stop after the CRN stages.")
@click.option("--dsd-crn", type=click.Choice(["formal", "reduced"]), default=_RUN.dsd_crn, show_default=True,
              help="Which CRN the DSD stage translates.")
@click.option("--max-products", type=int, default=_DSD.max_products,
              help="Split reactions with more products than this into helper trees (default: the largest K "
                   "whose strands stay within --max-strand-nt).")
@click.option("--max-strand-nt", type=int, default=_DSD.max_strand_nt, show_default=True,
              help="Longest strand the automatic --max-products may produce.")
@click.option("--reactant-order", type=click.Choice(["as-written", "sorted", "search"]),
              default=_DSD.reactant_order, show_default=True,
              help="Order in which each module's gate binds its reactants: as written (the schemes' papers, "
                   "nuskell), sorted by shape (fewer distinct gates), or search: as written, trying the other "
                   "orders of the reactions in a failing module or interacting pair until the design verifies.")
@click.option("--executor", type=click.Choice(["process", "serial", "dask"]), default=_EXEC.executor,
              show_default=True, help="Where module enumeration, verification and rate-dependent kinetics run.")
@click.option("--scheduler", default=_EXEC.scheduler, help="Address of an existing Dask scheduler (--executor dask).")
@click.option("--connect-timeout", type=float, default=_EXEC.connect_timeout, show_default=True,
              help="Seconds to wait for the Dask scheduler before giving up (exit 2).")
@click.option("--workers", type=int, default=_EXEC.workers, help="Process pool size (default: all cores).")
@click.option("--module-timeout", type=float, default=_EXEC.module_timeout, show_default=True,
              help="Seconds one module shape's enumeration, and its verification, may take.")
@click.option("--verify-whole/--no-verify-whole", default=_RUN.verify_whole, show_default=True,
              help="Also enumerate and verify the whole system when it fits its time budget (--whole-budget).")
@click.option("--whole-budget", type=float, default=_VER.whole_budget, show_default=True,
              help="Seconds the whole-system check may take in all; larger systems are skipped with the reason "
                   "in the report.")
@click.option("--interactions/--no-interactions", default=_VER.interactions, show_default=True,
              help="Check that no complex of one module reacts with a complex of another (needed for the "
                   "per-module verdicts to hold for the whole design).")
@click.option("--allow-inconclusive", is_flag=True, default=_RUN.allow_inconclusive,
              help="Exit 0 when verification is inconclusive (default: exit code 4, after writing the folder).")
@click.option("--binarize", type=click.Choice(["sign", "ternary"]), default=_COMPILE.binarize,
              help="Discretise real-valued weights instead of refusing them.")
@click.option("--construction", type=click.Choice(list(construction_names())), default=_COMPILE.construction,
              help="vasic2020: rate-independent, ternary weights (Vasic et al. 2020); anderson2021: rate-dependent "
                   "smoothed ReLU, real weights (Anderson et al. 2021). Default: the model's meta, else vasic2020.")
@click.option("--epsilon", type=float, default=_COMPILE.epsilon,
              help="anderson2021 smoothing parameter ε (default: the model's meta, else 0.01).")
@click.option("--annihilation/--no-annihilation", default=_COMPILE.annihilation, show_default=True,
              help="Add S+ + S- -> 0 for every dual-rail pair (Vasic et al. 2020, appendix).")
@click.option("--rate", type=float, default=_SIM.rate, show_default=True,
              help="Rate constant of every reaction without its own rate in the ODE check.")
@click.option("--t-max", type=float, default=_SIM.t_max, show_default=True, help="Longest simulated time.")
@click.option("--ode-examples", type=int, default=_AGREE.ode_examples, show_default=True,
              help="How many examples the ODE check simulates (-1: all).")
@click.option("--ode-crn", type=click.Choice(["formal", "reduced"]), default=_AGREE.ode_crn, show_default=True,
              help="Which CRN the ODE check simulates.")
@click.option("--plot-example", type=int, default=_RUN.plot_example, show_default=True,
              help="Index of the example whose trajectories are plotted.")
@click.option("--kinetics/--no-kinetics", "run_kinetics", default=_RUN.run_kinetics, show_default=True,
              help="After the DSD stage (needs --inputs): kinetics at realistic rates (formal CRN over random rate "
                   "draws, DNA implementation with planned finite fuel) and wet-lab concentration tables.")
@click.option("--kinetics-max-modules", type=int, default=_KIN.max_modules, show_default=True,
              help="Larger DSD systems get formal kinetics only (no fuel plan, implementation or lab tables).")
@click.option("--kinetics-examples", type=int, default=_KIN.examples, show_default=True,
              help="How many examples the kinetics simulate (-1: all; large systems then take "
                   f"{_KIN.large_system_examples}).")
@click.option("--unit-nM", "unit_nm", type=float, default=_KIN.unit_nM, show_default=True,
              help="Concentration (nM) of one unit of network value (rate-independent designs).")
@click.option("--rate-unit-nM", "rate_unit_nm", type=float, default=_RATE.unit_nM, show_default=True,
              help="Concentration (nM) of one unit of network value in rate-dependent (anderson2021) designs, "
                   "whose fuel sets the rate constants and is consumed continuously.")
@click.option("--rate-draws", type=int, default=_KIN.rate_draws, show_default=True,
              help="Random draws of the formal rate constants (log-uniform in "
                   f"[{_KIN.rate_min:g}, {_KIN.rate_max:g}] /M/s).")
@click.option("--fuel-safety", type=float, default=_KIN.fuel_safety, show_default=True,
              help="Fuel supplied per fuel: this factor times the worst example's consumption.")
@click.option("--leak", type=float, default=_KIN.leak, show_default=True,
              help="Leak rate constant (/M/s) of spurious fuel + fuel release in the implementation; above 0 also "
                   "sweeps leak rates (leak.csv, kinetics_leak.png).")
@click.option("--volume-uL", "volume_ul", type=float, default=_LAB.volume_uL, show_default=True,
              help="Final reaction volume (µL) of the wet-lab tables.")
@click.option("--min-volume-uL", "min_volume_ul", type=float, default=_LAB.min_volume_uL, show_default=True,
              help="Smallest volume the protocol pipettes (µL): dilutions, pooled anneals and mixes keep every "
                   "transfer at or above it.")
@click.option("--reporters/--no-reporters", default=_DSD.reporters, show_default=True,
              help="A fluorophore/quencher reporter for every output rail, enumerated and verified with the modules.")
@click.option("--dyes", "dyes_csv", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV of fluorescence channels (columns of dsdcompile.lab.dyes.DYE_COLUMNS; a design folder's "
                   "dyes.csv is one). Default: FAM, HEX, ROX, Cy5 with IDT codes.")
@click.option("--fit-unit/--fixed-unit", default=_LAB.fit_unit, show_default=True,
              help="Lower --unit-nM in 1-2-5 steps until the planned tube can be pipetted (--fixed-unit: never).")
@click.option("--json/--no-json", "crn_json", default=_RUN.crn_json, show_default=True,
              help="Also write the CRNs as formal.json / reduced.json (large for MNIST-size networks).")
@click.option("--sequences/--no-sequences", "design_seqs", default=False, show_default=True,
              help="After the DSD stage: design nucleotide sequences, check them and write order sheets "
                   "(as `dsdcompile sequences DESIGN` does, with its default constraints).")
@click.option("--seq-seed", type=int, default=_SEQ.seed, show_default=True,
              help="Seed of the sequence design (--sequences).")
@click.option("--allow-failures", "allow_sequence_failures", is_flag=True,
              help="With --sequences: exit 0 even when sequence checks still fail after the repair rounds "
                   "(default: exit 5, with the folder and sequence_report.md written).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or stage messages.")
def compile_command(model: Path, out_dir: Path | None, force: bool, max_memory: str | None, inputs: Path | None,
                    scheme: str, dsd_crn: str, max_products: int | None, max_strand_nt: int, reactant_order: str,
                    executor: str,
                    scheduler: str | None, connect_timeout: float,
                    workers: int | None, module_timeout: float, verify_whole: bool, whole_budget: float,
                    interactions: bool, allow_inconclusive: bool, binarize: str | None,
                    construction: str | None, epsilon: float | None, annihilation: bool, rate: float,
                    t_max: float, ode_examples: int, ode_crn: str, plot_example: int, run_kinetics: bool,
                    kinetics_max_modules: int, kinetics_examples: int, unit_nm: float, rate_unit_nm: float,
                    rate_draws: int,
                    fuel_safety: float, leak: float, volume_ul: float, min_volume_ul: float, reporters: bool,
                    dyes_csv: Path | None, fit_unit: bool, crn_json: bool, design_seqs: bool,
                    seq_seed: int, allow_sequence_failures: bool, quiet: bool) -> None:
    """Compile MODEL (a state_dict .pt, .safetensors, or a CRN file) and write a design folder.

    \b
    Exit codes: 0 success; 1 failure; 2 bad usage or input (nothing written); 3 the DNA
    implementation was proven not to implement the CRN; 4 verification was inconclusive
    (3 and 4 write the folder first; --allow-inconclusive turns 4 into 0); 5 sequence checks
    still fail after the repair rounds (folder written; --allow-failures turns 5 into 0).
    """
    if _AS_PROGRAM:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        config = run_config(binarize=binarize, annihilation=annihilation, construction=construction, epsilon=epsilon,
                            rate=rate, t_max=t_max, ode_examples=ode_examples, ode_crn=ode_crn,
                            max_products=max_products, max_strand_nt=max_strand_nt,
                            reactant_order=reactant_order, executor=executor,
                            scheduler=scheduler, workers=workers, module_timeout=module_timeout, scheme=scheme,
                            dsd_crn=dsd_crn, verify_whole=verify_whole, whole_budget=whole_budget,
                            interactions=interactions,
                            allow_inconclusive=allow_inconclusive, kinetics_max_modules=kinetics_max_modules,
                            kinetics_examples=kinetics_examples, unit_nm=unit_nm, rate_unit_nm=rate_unit_nm,
                            rate_draws=rate_draws, fuel_safety=fuel_safety, leak=leak, volume_ul=volume_ul,
                            min_volume_ul=min_volume_ul, reporters=reporters, dyes_csv=dyes_csv, fit_unit=fit_unit,
                            run_kinetics=run_kinetics, plot_example=plot_example, crn_json=crn_json,
                            design_seqs=design_seqs, seq_seed=seq_seed,
                            allow_sequence_failures=allow_sequence_failures, quiet=quiet,
                            max_memory=None if max_memory is None else parse_size(max_memory),
                            connect_timeout=connect_timeout)
        out_dir = out_dir or Path(f"{model.stem}_design")
        _refuse_early(model, inputs, out_dir, config, force)
        from dsdcompile.stages.pipeline import build_design

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = build_design(model, out_dir, inputs=inputs, config=config, force=force)
    except DsdCompileError as e:
        _fail(e)
    except KeyboardInterrupt:
        _interrupted("nothing was written")
    if _AS_PROGRAM:  # from here to the process's exit, Ctrl-C must still end in 130, never in a swallowed 0
        signal.signal(signal.SIGINT, _late_interrupt)
    if not quiet:
        _print_summary(result)


def run_config(*, binarize=_COMPILE.binarize, annihilation=_COMPILE.annihilation, construction=_COMPILE.construction,
               epsilon=_COMPILE.epsilon, rate=_SIM.rate, t_max=_SIM.t_max, ode_examples=_AGREE.ode_examples,
               ode_crn=_AGREE.ode_crn, max_products=_DSD.max_products, max_strand_nt=_DSD.max_strand_nt,
               reactant_order=_DSD.reactant_order,
               executor=_EXEC.executor, scheduler=_EXEC.scheduler, workers=_EXEC.workers,
               module_timeout=_EXEC.module_timeout, scheme=_RUN.scheme, dsd_crn=_RUN.dsd_crn,
               verify_whole=_RUN.verify_whole, whole_budget=_VER.whole_budget, interactions=_VER.interactions,
               allow_inconclusive=_RUN.allow_inconclusive, kinetics_max_modules=_KIN.max_modules,
               kinetics_examples=_KIN.examples, unit_nm=_KIN.unit_nM, rate_unit_nm=_RATE.unit_nM,
               rate_draws=_KIN.rate_draws, fuel_safety=_KIN.fuel_safety, leak=_KIN.leak, volume_ul=_LAB.volume_uL,
               min_volume_ul=_LAB.min_volume_uL, reporters=_DSD.reporters, dyes_csv=None, fit_unit=_LAB.fit_unit,
               run_kinetics=_RUN.run_kinetics, plot_example=_RUN.plot_example, crn_json=_RUN.crn_json,
               design_seqs=False, seq_seed=_SEQ.seed, allow_sequence_failures=_RUN.allow_sequence_failures,
               quiet=_RUN.quiet, max_memory=_RUN.max_memory, connect_timeout=_EXEC.connect_timeout) -> RunConfig:
    """The RunConfig the ``compile`` command's options describe (every value checked by the configs themselves)."""
    return RunConfig(
        compile=replace(_COMPILE, binarize=binarize, annihilation=annihilation, construction=construction,
                        epsilon=epsilon),
        simulation=replace(_SIM, rate=rate, t_max=t_max),
        agreement=replace(_AGREE, ode_examples=ode_examples, ode_crn=ode_crn),
        dsd=replace(_DSD, max_products=max_products, max_strand_nt=max_strand_nt, reporters=reporters,
                    reactant_order=reactant_order),
        execution=replace(_EXEC, executor=executor, scheduler=scheduler, workers=workers,
                          module_timeout=module_timeout, connect_timeout=connect_timeout),
        scheme=scheme,
        dsd_crn=dsd_crn,
        verify_whole=verify_whole,
        allow_inconclusive=allow_inconclusive,
        verification=replace(_VER, interactions=interactions, whole_budget=whole_budget),
        kinetics=replace(_KIN, max_modules=kinetics_max_modules, examples=kinetics_examples,
                         implementation_examples=kinetics_examples, unit_nM=unit_nm, rate_draws=rate_draws,
                         fuel_safety=fuel_safety, leak=leak),
        rate_fuel=replace(_RATE, unit_nM=rate_unit_nm),
        lab=replace(_LAB, volume_uL=volume_ul, min_volume_uL=min_volume_ul, fit_unit=fit_unit,
                    dyes=_read_dyes(dyes_csv)),
        sequences=replace(_SEQ, seed=seq_seed) if design_seqs else None,
        allow_sequence_failures=allow_sequence_failures,
        run_kinetics=run_kinetics,
        plot_example=plot_example,
        crn_json=crn_json,
        quiet=quiet,
        max_memory=max_memory,
    )


def _read_dyes(path: Path | None):
    """The dye table of --dyes (read before anything heavy runs), or the default."""
    if path is None:
        return _LAB.dyes
    from dsdcompile.lab.dyes import read_dye_table

    return read_dye_table(path)


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


def _register_optional_commands() -> None:
    """Stage subcommands living in their own modules."""
    try:
        from dsdcompile.cli.train import train
    except ImportError:  # pragma: no cover - present in a full checkout
        return
    main.add_command(train, "train")
    from dsdcompile.cli.sequences import sequences

    main.add_command(sequences, "sequences")
    from dsdcompile.cli.report import report

    main.add_command(report, "report")
    from dsdcompile.cli.mix import mix

    main.add_command(mix, "mix")


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
