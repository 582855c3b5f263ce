"""Nucleotide sequence design for DSD designs (ViennaRNA), checks, order sheets and feasibility.

    from dsdcompile.sequences import SequenceConstraints, sequence_design_folder
    design, block = sequence_design_folder("iris_design", SequenceConstraints(seed=1))

or, from the command line, ``dsdcompile sequences iris_design``.
"""

from dsdcompile.sequences.api import read_sequences, sequence_design_folder
from dsdcompile.sequences.constraints import SequenceConstraints
from dsdcompile.sequences.problem import SequenceProblem
from dsdcompile.sequences.run import SequenceDesign, design_sequences

__all__ = ["SequenceConstraints", "SequenceDesign", "SequenceProblem", "design_sequences", "read_sequences",
           "sequence_design_folder"]
