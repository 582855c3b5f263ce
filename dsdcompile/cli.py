"""The ``dsdcompile`` command line: parses options into configs and calls the library, nothing more."""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import click

from dsdcompile import __version__
from dsdcompile.config import (
    CONSTRUCTIONS,
    AgreementConfig,
    CompileConfig,
    DSDConfig,
    EnumerationConfig,
    KineticsConfig,
    RunConfig,
    SimulationConfig,
    VerificationConfig,
)
from dsdcompile.errors import EXIT_FAILURE, DsdCompileError, InputError

_COMPILE = CompileConfig()
_SIM = SimulationConfig()
_AGREE = AgreementConfig()
_RUN = RunConfig()
_DSD = DSDConfig()
_ENUM = EnumerationConfig()
_VER = VerificationConfig()
_KIN = KineticsConfig()


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


def _fail(err: DsdCompileError) -> None:
    click.echo(f"dsdcompile: error: {err}", err=True)
    sys.exit(err.exit_code)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dsdcompile")
def main() -> None:
    """Compile a trained binary/ternary-weight ReLU network into a CRN and a DNA strand-displacement design.

    \b
    dsdcompile MODEL [options]          same as: dsdcompile compile MODEL [options]
    dsdcompile train [options]          train a BinaryConnect network
    dsdcompile sequences DESIGN         nucleotide sequences and order sheets
    """


@main.command("compile")
@click.argument("model", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Design folder to write (default: <model stem>_design next to the current directory).")
@click.option("--inputs", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV of examples (raw features, optional header and label column) to check the CRN on.")
@click.option("--scheme", default=_RUN.scheme, show_default=True,
              help="Translation scheme for the DSD stage (soloveichik2010, qian2011_3D, srinivas2015, "
                   "cardelli2011_NM), a path to a scheme module (.py), or 'none' to stop after the CRN stages.")
@click.option("--dsd-crn", type=click.Choice(["formal", "reduced"]), default=_RUN.dsd_crn, show_default=True,
              help="Which CRN the DSD stage translates.")
@click.option("--max-products", type=int, default=_DSD.max_products,
              help="Split reactions with more products than this into helper trees (default: the largest K "
                   "whose strands stay within --max-strand-nt).")
@click.option("--max-strand-nt", type=int, default=_DSD.max_strand_nt, show_default=True,
              help="Longest strand the automatic --max-products may produce.")
@click.option("--executor", type=click.Choice(["process", "serial", "dask"]), default=_ENUM.executor,
              show_default=True, help="Where module enumeration and verification run.")
@click.option("--scheduler", default=_ENUM.scheduler, help="Address of an existing Dask scheduler (--executor dask).")
@click.option("--workers", type=int, default=_ENUM.workers, help="Process pool size (default: all cores).")
@click.option("--module-timeout", type=float, default=_ENUM.module_timeout, show_default=True,
              help="Seconds one module's enumeration or verification may take.")
@click.option("--verify-whole/--no-verify-whole", default=_RUN.verify_whole, show_default=True,
              help="Also enumerate and verify the whole system when it is small enough.")
@click.option("--binarize", type=click.Choice(["sign", "ternary"]), default=_COMPILE.binarize,
              help="Discretise real-valued weights instead of refusing them.")
@click.option("--construction", type=click.Choice(list(CONSTRUCTIONS)), default=_COMPILE.construction,
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
@click.option("--rate-unit-nM", "rate_unit_nm", type=float, default=_KIN.rate_unit_nM, show_default=True,
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
@click.option("--volume-uL", "volume_ul", type=float, default=_KIN.volume_uL, show_default=True,
              help="Final reaction volume (µL) of the wet-lab tables.")
@click.option("--json/--no-json", "crn_json", default=_RUN.crn_json, show_default=True,
              help="Also write the CRNs as formal.json / reduced.json (large for MNIST-size networks).")
@click.option("--sequences/--no-sequences", "design_seqs", default=False, show_default=True,
              help="After the DSD stage: design nucleotide sequences, check them and write order sheets "
                   "(as `dsdcompile sequences DESIGN` does, with its default constraints).")
@click.option("--seq-seed", type=int, default=0, show_default=True, help="Seed of the sequence design (--sequences).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or stage messages.")
def compile_command(model: Path, out_dir: Path | None, inputs: Path | None, scheme: str, dsd_crn: str,
                    max_products: int | None, max_strand_nt: int, executor: str, scheduler: str | None,
                    workers: int | None, module_timeout: float, verify_whole: bool, binarize: str | None,
                    construction: str | None, epsilon: float | None, annihilation: bool, rate: float,
                    t_max: float, ode_examples: int, ode_crn: str, plot_example: int, run_kinetics: bool,
                    kinetics_max_modules: int, kinetics_examples: int, unit_nm: float, rate_unit_nm: float,
                    rate_draws: int,
                    fuel_safety: float, leak: float, volume_ul: float, crn_json: bool, design_seqs: bool,
                    seq_seed: int, quiet: bool) -> None:
    """Compile MODEL (a state_dict .pt, .safetensors, or a .crn/.json CRN) and write a design folder."""
    from dsdcompile.design import build_design

    if rate <= 0 or t_max <= 0:
        raise click.BadParameter("must be positive", param_hint="--rate/--t-max")
    if executor == "dask" and not scheduler:
        raise click.BadParameter("--executor dask needs --scheduler ADDRESS", param_hint="--scheduler")
    if max_products is not None and max_products < 1:
        raise click.BadParameter("must be at least 1", param_hint="--max-products")
    if epsilon is not None and epsilon <= 0:
        raise click.BadParameter("must be positive", param_hint="--epsilon")
    for value, hint in ((unit_nm, "--unit-nM"), (rate_unit_nm, "--rate-unit-nM"), (fuel_safety, "--fuel-safety"),
                        (volume_ul, "--volume-uL")):
        if not value > 0:
            raise click.BadParameter("must be positive", param_hint=hint)
    if rate_draws < 1:
        raise click.BadParameter("must be at least 1", param_hint="--rate-draws")
    if not leak >= 0:
        raise click.BadParameter("must be non-negative", param_hint="--leak")
    config = RunConfig(
        compile=replace(_COMPILE, binarize=binarize, annihilation=annihilation, construction=construction,
                        epsilon=epsilon),
        simulation=replace(_SIM, rate=rate, t_max=t_max),
        agreement=replace(_AGREE, ode_examples=ode_examples, ode_crn=ode_crn),
        dsd=replace(_DSD, max_products=max_products, max_strand_nt=max_strand_nt),
        enumeration=replace(_ENUM, executor=executor, scheduler=scheduler, workers=workers,
                            module_timeout=module_timeout),
        verification=replace(_VER, executor=executor, scheduler=scheduler, workers=workers,
                             module_timeout=module_timeout),
        scheme=scheme,
        dsd_crn=dsd_crn,
        verify_whole=verify_whole,
        kinetics=replace(_KIN, max_modules=kinetics_max_modules, examples=kinetics_examples,
                         implementation_examples=kinetics_examples, unit_nM=unit_nm, rate_unit_nM=rate_unit_nm,
                         rate_draws=rate_draws,
                         fuel_safety=fuel_safety, leak=leak, volume_uL=volume_ul),
        run_kinetics=run_kinetics,
        plot_example=plot_example,
        crn_json=crn_json,
        quiet=quiet,
    )
    out_dir = out_dir or Path(f"{model.stem}_design")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            summary = build_design(model, out_dir, inputs=inputs, config=config)
    except DsdCompileError as e:
        _fail(e)
    except KeyboardInterrupt:
        click.echo("dsdcompile: interrupted; nothing was written", err=True)
        sys.exit(EXIT_FAILURE)
    if not quiet:
        _print_summary(summary, out_dir)
    if design_seqs:
        if "dsd" not in summary:
            _fail(InputError("--sequences needs the DSD stage: give --scheme NAME, not none"))
        from dsdcompile.cli_sequences import run_sequences
        from dsdcompile.sequences.constraints import SequenceConstraints

        try:
            run_sequences(out_dir, SequenceConstraints(seed=seq_seed), quiet=quiet)
        except DsdCompileError as e:
            _fail(e)


def _print_summary(summary: dict, out_dir: Path) -> None:
    crn = summary["crn"]
    a = summary["agreement"]
    if crn["reduced_reactions"] is None:
        lines = [f"network {summary['network']['layers']}: {crn['formal_reactions']} reactions "
                 f"({summary['network']['construction'] or 'CRN input'})"]
    else:
        lines = [f"network {summary['network']['layers']}: {crn['formal_reactions']} formal / "
                 f"{crn['reduced_reactions']} reduced reactions"]
    if a.get("examples"):
        if a.get("max_abs_error") is not None:
            lines.append(f"exact CRN = NN on {a['examples']} examples: label agreement "
                         f"{a.get('exact_label_agreement')}, max |error| {a['max_abs_error']:.3g}")
        if "ode_label_agreement" in a:
            lines.append(f"ODE on {a['ode_examples']} examples: label agreement {a['ode_label_agreement']}, "
                         f"max relative error {a['ode_max_rel_error']:.3g}")
        if "nn_accuracy" in a:
            lines.append(f"NN accuracy {a['nn_accuracy']:.4f}")
    if "dsd" in summary:
        d = summary["dsd"]
        lines.append(f"DSD ({d['scheme']}, {d['crn']} CRN): {d['strands']} strands, {d['nucleotides']} nt, "
                     f"longest strand {d['longest_strand_nt']} nt; {d['enumerated_reactions']} enumerated reactions")
    if "verification" in summary:
        v = summary["verification"]
        lines.append(f"verification ({v.get('method')}): {v.get('verdict')} in {v.get('seconds')} s")
    k = summary.get("kinetics")
    if k and k.get("rate_dependent") and "max_rel_error" in k:
        lines.append(f"kinetics (rate-dependent, {k['examples']} examples, {k['unit_nM']:g} nM per unit): readout "
                     f"{k['readout_h']:.3g} h, label agreement {k['label_agreement']:.4g}, max rel. error "
                     f"{k['max_rel_error']:.3g} (fuel in excess {k['fuel_excess_max_rel_error']:.3g}); fuel "
                     f"{k['fuel_total_uM']:.4g} µM, margin {k.get('fuel_margin')}")
    elif k and k.get("rate_dependent") and "implementation" in k.get("skipped", {}):
        lines.append(f"kinetics (rate-dependent): skipped: {k['skipped']['implementation']}")
    elif k and "formal_label_agreement" in k:
        impl = k.get("implementation_label_agreement")
        t90 = k.get("t90_hours_median")
        lines.append(f"kinetics ({k['rate_draws']} rate draws, {k['formal_examples']} examples): formal label "
                     f"agreement {k['formal_label_agreement']:.4g}, implementation "
                     f"{'skipped' if impl is None else f'{impl:.4g}'}; median t90 "
                     f"{'n/a' if t90 is None else f'{t90:.3g} h'}; fuel margin {k.get('fuel_margin')}")
    lines.append(f"design written to {out_dir}/")
    click.echo("\n".join(lines))


def _register_optional_commands() -> None:
    """Stage subcommands living in their own modules."""
    try:
        from dsdcompile.cli_train import train
    except ImportError:  # pragma: no cover - present in a full checkout
        return
    main.add_command(train, "train")
    from dsdcompile.cli_sequences import sequences

    main.add_command(sequences, "sequences")
    from dsdcompile.cli_report import report

    main.add_command(report, "report")


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
