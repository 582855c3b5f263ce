"""The whole-system check: enumerate every fuel with one signal strand of every species, verify the result, on a budget.

Unlike the modular check it needs no composition argument, but it grows quickly with the
system, so it runs only when it fits ``VerificationConfig.whole_budget`` seconds in all. Every
complex meets every other in a whole-system enumeration, so its time grows faster than the
sum of the modules' own enumeration times: on the IRIS design (26 modules) it took 42 s
against 0.65 s for the modules one by one. The check is therefore skipped, with the reason
recorded, when that sum times the number of modules exceeds the budget; otherwise it runs
under the budget (enumeration first, then what is left for its checks). Its verdict joins the others in the one verdict:
not-equivalent proves the design wrong; equivalent settles a design the modular checks left
open; skipped or unfinished changes nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from dsdcompile.config import EnumerationConfig, ExecutionConfig, VerificationConfig
from dsdcompile.dsd.system import DSDSystem, EnumeratedTemplate
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.result import Verdict


def estimate_seconds(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate]) -> float:
    """Each module's own enumeration time, added up over every module (the shapes' times × their uses)."""
    import numpy as np

    uses = np.bincount(system.module_template, minlength=len(system.templates))
    return float(sum(enumerated[t].seconds * int(uses[t]) for t in enumerated))


def check_whole_system(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate], enumeration: EnumerationConfig,
                       config: VerificationConfig, execution: ExecutionConfig) -> dict:
    """The whole-system block of the report: its verdict, or why it was skipped or unfinished."""
    from dsdcompile.dsd.enumerate import enumerate_whole
    from dsdcompile.verify.modular import verify_whole

    budget = config.whole_budget
    seeded = [s.name for s in system.split_crn.species]
    base = {"method": "bisimulation", "budget_seconds": budget, "seeded_species": len(seeded),
            "formal_reactions": system.split_crn.n_reactions}
    alone = estimate_seconds(system, enumerated)
    estimate = alone * system.n_modules
    if estimate > budget:
        return base | {"verdict": Verdict.SKIPPED, "seconds": 0.0, "counterexample": None, "estimate_seconds": estimate,
                       "skipped": f"not run: enumerating the {system.n_modules} modules one by one would take "
                                  f"{alone:.1f} s, and enumerating them together grows faster (estimated "
                                  f"{estimate:.3g} s: that times the number of modules), more than the whole-system "
                                  f"budget of {budget:g} s (--whole-budget); the verdict rests on the modular, fuel "
                                  f"and interaction checks"}
    start = time.perf_counter()

    def cap(limit: float, left: float) -> float:
        return min(limit, left) if limit and limit > 0 else left

    try:
        whole = enumerate_whole(system, enumeration, execution=dataclasses.replace(
            execution, whole_enumeration_timeout=cap(execution.whole_enumeration_timeout, budget)),
            known_limit="a module shape of the system did" if any(e.note for e in enumerated.values()) else "")
    except EnumerationLimit as e:
        return base | {"verdict": Verdict.INCONCLUSIVE, "seconds": time.perf_counter() - start,
                       "counterexample": f"the whole system could not be enumerated within the budget: {e}"}
    left = budget - (time.perf_counter() - start)
    if left <= 0:
        return base | {"verdict": Verdict.INCONCLUSIVE, "seconds": time.perf_counter() - start,
                       "implementation_reactions": len(whole.reactions),
                       "counterexample": f"enumeration used the whole {budget:g} s budget; nothing was verified"}
    methods = 2 if config.second_method else 1
    checked = verify_whole(system.split_crn, whole.reactions, whole.signals, whole.fuels, config,
                           execution=dataclasses.replace(execution, whole_verification_timeout=cap(
                               execution.whole_verification_timeout, left / methods)))
    out = base | dict(checked.whole_system or {})
    out["seconds"] = round(time.perf_counter() - start, 6)
    out["enumeration_seconds"] = round(whole.seconds, 6)
    return out
