"""Nucleotide sequence design for DSD designs (ViennaRNA), its checks and feasibility.

A design folder gets its sequences (and order sheets) through the sequences stage::

    from dsdcompile import SequenceConstraints, sequence_design_folder
    design, block = sequence_design_folder("iris_design", SequenceConstraints(seed=1))

or, from the command line, ``dsdcompile sequences iris_design``. Names are imported on first
use: the constraints are light, the designer loads ViennaRNA.
"""

from dsdcompile._lazy import lazy_exports as _lazy_exports

_EXPORTS = {
    "SequenceConstraints": "dsdcompile.config.sequences",
    "SequenceDesign": "dsdcompile.sequences.run",
    "SequenceProblem": "dsdcompile.sequences.problem",
    "design_sequences": "dsdcompile.sequences.run",
    "read_sequences": "dsdcompile.sequences.api",
}

__all__ = sorted(_EXPORTS)


__getattr__ = _lazy_exports(__name__, globals(), _EXPORTS)
