"""The ``dsdcompile`` command line, one module per command (as cooler's ``cli/``).

:mod:`~dsdcompile.cli.app` is the command group; ``compile``, ``train``, ``sequences``, ``mix`` and
``report`` each have their module. Each command parses its options into configs, calls one
library function and reports errors through :mod:`dsdcompile.cli.errors`; nothing here computes.
"""

from dsdcompile.cli.app import main

__all__ = ["main"]
