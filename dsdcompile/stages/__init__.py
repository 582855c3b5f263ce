"""The pipeline's stages, in the order they run (:mod:`dsdcompile.stages.pipeline` runs them).

- :mod:`~dsdcompile.stages.crn`: load a model (or a CRN file), compile it with its construction, reduce it;
- :mod:`~dsdcompile.stages.agreement`: the network against the CRN's exact limit and simulated ODEs;
- :mod:`~dsdcompile.stages.dsd`: translate with a scheme, enumerate with peppercorn, verify;
- the unit fit (:func:`dsdcompile.lab.plan.fit_unit`): the unit concentration whose tube can be pipetted;
- :mod:`~dsdcompile.stages.kinetics`: formal and DNA kinetics at realistic rates, fuel plan;
- :mod:`~dsdcompile.stages.tube`: the tube as planned (reporters, free strands, leak, read time);
- :mod:`~dsdcompile.stages.lab`: the wet-lab tables;
- :mod:`~dsdcompile.stages.sequences`: nucleotide sequences (optional);
- :mod:`~dsdcompile.stages.summary` and :mod:`~dsdcompile.stages.folder`: summary.json and the files a run may
  write (the folder itself: :class:`dsdcompile.runtime.files.Destination`).

Stage modules are wiring: the domain logic lives in its package (``lab/``, ``kinetics/``,
``dsd/``, ``verify/``). Each stage returns a frozen, typed result with ``to_summary()``; files
are written from the results after the last stage has run. The order is declared in
:data:`dsdcompile.stages.pipeline.STAGES`.
"""
