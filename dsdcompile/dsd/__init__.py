"""Domain-level DSD designs: translation schemes, domain-level systems, reaction enumeration and readout reporters.

The DSD *stage* (translate, enumerate, verify, write the files) is :mod:`dsdcompile.stages.dsd`.
"""
