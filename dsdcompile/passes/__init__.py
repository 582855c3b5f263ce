"""CRN passes: each module holds one pass from one IR to the next."""

from dsdcompile.passes.annihilate import add_annihilation
from dsdcompile.passes.compile import compile_network
from dsdcompile.passes.reduce import reduce_crn

__all__ = ["add_annihilation", "compile_network", "reduce_crn"]
