"""``python -m dsdcompile`` runs the command line."""

from dsdcompile.cli import main

main()
