"""The ``dsdcompile`` command group: the default command, the exit-code contract and the subcommands.

Each command lives in its own module (:mod:`~dsdcompile.cli.compile`, :mod:`~dsdcompile.cli.train`,
:mod:`~dsdcompile.cli.sequences`, :mod:`~dsdcompile.cli.mix`, :mod:`~dsdcompile.cli.report`);
:mod:`dsdcompile.cli.errors` prints every error. (The group is not in ``cli/main.py``: a submodule
named ``main`` would shadow the ``main`` the package exports.)
"""

from __future__ import annotations

import sys

import click

from dsdcompile import __version__
from dsdcompile.cli import errors
from dsdcompile.cli.compile import compile_command
from dsdcompile.cli.mix import mix
from dsdcompile.cli.read import read
from dsdcompile.cli.report import report
from dsdcompile.cli.schemes import schemes
from dsdcompile.cli.sequences import sequences
from dsdcompile.cli.train import train


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
        errors.run_as_program(args)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            errors.usage_error(e)
        except click.Abort as e:
            if isinstance(e.__context__, EOFError):
                errors.end_of_input()
            errors.interrupted()
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dsdcompile")
def main() -> None:
    """Compile a trained binary/ternary-weight ReLU network into a CRN and a DNA strand-displacement design.

    \b
    dsdcompile MODEL [options]          same as: dsdcompile compile MODEL [options]
    dsdcompile train [options]          train a BinaryConnect network
    dsdcompile sequences DESIGN         nucleotide sequences and order sheets
    dsdcompile mix DESIGN --inputs CSV  input sheets for new samples (design untouched)
    dsdcompile read DESIGN READINGS     a plate reader's export turned into classes
    dsdcompile schemes [MODEL]          the translation schemes, or all of them compared on MODEL

    \b
    Exit codes: 0 success; 1 failure; 2 bad usage or input (nothing written);
    3 the DNA implementation was proven not to implement the CRN (folder written);
    4 verification was inconclusive (folder written; --allow-inconclusive exits 0);
    5 sequence checks still fail (folder written; --allow-failures exits 0);
    130 interrupted (Ctrl-C; a run stopped before its folder was written leaves the old one).
    """


for _command in (compile_command, train, sequences, report, mix, read, schemes):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
