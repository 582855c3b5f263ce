"""Error hierarchy of dsdcompile and the process exit code each error maps to."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_INPUT = 2
EXIT_NOT_EQUIVALENT = 3
EXIT_INCONCLUSIVE = 4
EXIT_SEQUENCE_CHECKS = 5
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT), as shells report it: 128 + 2


class DsdCompileError(Exception):
    """Base class of every error dsdcompile raises on purpose."""

    exit_code = EXIT_FAILURE


class InputError(DsdCompileError, ValueError):
    """Bad user input: a file, an option or a value the tool cannot accept.

    ``path``, ``line`` and ``column`` locate the problem where that makes sense;
    ``str()`` renders them as ``path:line:column: message``.
    """

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [str(p) for p in (self.path, self.line, self.column) if p is not None]
        return f"{':'.join(where)}: {self.message}" if where else self.message


class UnsupportedReaction(InputError):
    """A reaction shape that a pass, evaluator or translation scheme cannot handle."""


class NotFeedForward(UnsupportedReaction):
    """The CRN is not feed-forward: a species is consumed twice or reactions form a cycle."""


class SchemeError(InputError):
    """An unknown, malformed or failing translation scheme."""


class DesignInfeasible(DsdCompileError):
    """What the design cannot do at these settings: no fuel plan sets the rates, the DNA does not fit the tube.

    A finding about the design, not a fault of the input or of the program: a design run
    records it (summary.json names the reason) and carries on where the rest still makes sense.
    """


class InternalError(DsdCompileError):
    """An invariant of dsdcompile itself was broken: a bug to report, never a fault of the input."""

    def __init__(self, message: str) -> None:
        super().__init__(f"internal error: {message} (please report this as a dsdcompile bug)")


class EnumerationLimit(DsdCompileError):
    """Reaction enumeration hit a configured limit (size, count or time)."""


class NotEquivalent(DsdCompileError):
    """Verification proved that the implementation does not implement the formal CRN."""

    exit_code = EXIT_NOT_EQUIVALENT


class SequenceChecksFailed(DsdCompileError):
    """Designed sequences still fail thermodynamic checks after every repair round.

    The design folder (report included) has been written; ``failing`` lists the items that
    fail and ``advice`` what to try next.
    """

    exit_code = EXIT_SEQUENCE_CHECKS

    def __init__(self, message: str, *, failing: tuple[str, ...] = (), advice: str = "") -> None:
        self.failing = failing
        self.advice = advice
        super().__init__(message)


class Inconclusive(DsdCompileError):
    """Verification could decide neither way (a check ran out of time or could not run); the folder is written."""

    exit_code = EXIT_INCONCLUSIVE


class SimulationError(DsdCompileError):
    """An ODE integration failed (the solver gave up, or the state left the finite numbers)."""


class EnumerationError(DsdCompileError):
    """Reaction enumeration failed: peppercorn (or its worker process) raised, not a configured limit.

    A limit that was hit is :class:`EnumerationLimit`; both exit with the base class's code.
    """
