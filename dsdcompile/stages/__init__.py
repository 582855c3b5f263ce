"""The pipeline's stages, in the order they run (:mod:`dsdcompile.stages.pipeline` runs them).

- :mod:`~dsdcompile.stages.crn`: load a model (or a CRN file), compile it with its construction, reduce it;
- :mod:`~dsdcompile.stages.agreement`: the network against the CRN's exact limit and simulated ODEs;
- :mod:`~dsdcompile.stages.dsd`: translate with a scheme, enumerate with peppercorn, verify;
- :mod:`~dsdcompile.stages.kinetics`: formal and DNA kinetics at realistic rates, fuel plan;
- :mod:`~dsdcompile.stages.sequences`: nucleotide sequences (optional);
- :mod:`~dsdcompile.stages.lab`: the wet-lab tables;
- :mod:`~dsdcompile.stages.summary` and :mod:`~dsdcompile.stages.folder`: summary.json and the atomic folder.

Each stage returns a frozen, typed result with ``to_summary()``; files are written from the
results after the last stage has run.
"""
