"""How every command ends when something goes wrong: one line on stderr and the documented exit code.

The one place the command line prints errors: a :class:`~dsdcompile.errors.DsdCompileError`
(:func:`fail`), a usage error or end of input (:func:`usage_error`, :func:`end_of_input`), Ctrl-C
before anything was written (:func:`interrupted`, exit 130) and Ctrl-C after the design was
written (:func:`interrupt_after_writing`: still 130, never a traceback or a swallowed 0).
Commands wrap their work in :func:`reported`.

Signal handlers are only installed when the command line runs as the process's own program
(console script, ``python -m dsdcompile``): called in-process (tests, notebooks) it leaves the
caller's SIGINT handling alone. :func:`run_as_program` records which.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from dsdcompile.errors import EXIT_FAILURE, EXIT_INTERRUPTED, DsdCompileError

_as_program = False  # run as the process's program (console script, python -m), not called in-process


def run_as_program(args: list[str] | None) -> None:
    """Record whether this invocation is the program: arguments from the process's own command line, main thread."""
    global _as_program
    _as_program = args is None and threading.current_thread() is threading.main_thread()


def fail(err: DsdCompileError) -> None:
    """One line naming the problem (failing sequence checks add what fails and what to try), then its exit code."""
    click.echo(f"dsdcompile: error: {err}", err=True)
    for line in getattr(err, "failing", ()):
        click.echo(f"  {line}", err=True)
    if getattr(err, "advice", ""):
        click.echo(f"dsdcompile: {err.advice}", err=True)
    sys.exit(err.exit_code)


def usage_error(err: click.ClickException) -> None:
    """A bad option or argument: one line pointing at ``--help``, click's exit code (2)."""
    message = " ".join(err.format_message().split())
    click.echo(f"dsdcompile: error: {message} (see dsdcompile --help)", err=True)
    sys.exit(err.exit_code)


def end_of_input() -> None:
    """A prompt or stdin ran dry: one line, exit 1."""
    click.echo("dsdcompile: error: unexpected end of input", err=True)
    sys.exit(EXIT_FAILURE)


def interrupted(what: str = "") -> None:
    """Ctrl-C: one line, exit 130, and no further interrupt can turn into a traceback on the way out."""
    if _as_program:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    click.echo(f"dsdcompile: interrupted{'; ' + what if what else ''}", err=True)
    sys.exit(EXIT_INTERRUPTED)


@contextmanager
def reported(on_interrupt: str | None = None) -> Iterator[None]:
    """Run a command's work: a DsdCompileError ends in :func:`fail`; Ctrl-C, when ``on_interrupt`` says what
    it leaves behind, in :func:`interrupted` (otherwise the group reports it)."""
    try:
        yield
    except DsdCompileError as e:
        fail(e)
    except KeyboardInterrupt:
        if on_interrupt is None:
            raise
        interrupted(on_interrupt)


def take_interrupts() -> None:
    """As the program, let Ctrl-C raise KeyboardInterrupt in the work that follows (stopping it cleanly)."""
    if _as_program:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupt_after_writing() -> None:
    """As the program, from here to the process's exit Ctrl-C still ends in 130, never in a swallowed 0."""
    if _as_program:
        signal.signal(signal.SIGINT, _late_interrupt)


def _late_interrupt(signum, frame) -> None:
    """Ctrl-C after the design was written: nothing is left to stop, but the exit still says it (130)."""
    sys.stdout.flush()
    sys.stderr.write("dsdcompile: interrupted after the design was written\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


__all__ = ["end_of_input", "fail", "interrupt_after_writing", "interrupted", "reported", "run_as_program",
           "take_interrupts", "usage_error"]
