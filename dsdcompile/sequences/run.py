"""Sequence design of a whole DSD design: draw, minimise symmetry, repair with ViennaRNA, check.

:func:`design_sequences` is the library entry point; :func:`write_sequences` puts the result
into a design folder (see :mod:`dsdcompile.stages.sequence_files`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.runtime.progress import Progress
from dsdcompile.sequences import checks, energy
from dsdcompile.sequences.problem import SequenceProblem
from dsdcompile.sequences.repair import RoundReport, repair_round
from dsdcompile.sequences.search import Designer, SearchStats


@dataclass(frozen=True, eq=False)
class SequenceDesign:
    """Designed domain sequences with the final checks."""

    problem: SequenceProblem
    constraints: SequenceConstraints
    domains: dict[str, str]
    strands: list[checks.StrandResult]
    complexes: list[checks.ComplexResult]
    crosstalk: checks.CrosstalkResult
    stats: SearchStats
    seconds: dict[str, float]
    gate_crosstalk: checks.GateCrosstalkResult | None = None
    rounds: tuple[RoundReport, ...] = ()

    def strand_sequences(self) -> dict[str, str]:
        """Strand name → sequence, for every strand of the design."""
        return {s.name: checks.strand_sequence(s.domains, self.domains) for s in self.problem.strands}

    def failing(self) -> dict[str, int]:
        c = self.constraints
        return {"strands": sum(s.paired > c.max_paired for s in self.strands),
                "complexes": sum(not r.passed(c) for r in self.complexes),
                "crosstalk_pairs": len(self.crosstalk.failing),
                "gate_crosstalk_pairs": len(self.gate_crosstalk.failing) if self.gate_crosstalk else 0}

    @property
    def passed(self) -> bool:
        return not any(self.failing().values())

    def failing_counts(self) -> str:
        """What fails, as one phrase: "strands 0, complexes 2, crosstalk pairs 0, gate crosstalk pairs 1"."""
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.failing().items())

    def checks_failed(self, folder, rounds: int | None = None):
        """The SequenceChecksFailed (exit 5) to raise once ``folder`` is written: what fails and what to try."""
        from dsdcompile.config.sequences import advice
        from dsdcompile.errors import SequenceChecksFailed

        after = "the repair rounds" if rounds is None else f"{rounds} repair rounds"
        return SequenceChecksFailed(f"sequence checks fail after {after} ({self.failing_counts()}); the design and "
                                    f"{folder}/sequence_report.md are written",
                                    failing=tuple(self.failing_items()), advice=advice(self.constraints))

    def failing_items(self, limit: int = 10) -> list[str]:
        """One line per failing item (at most ``limit`` of each kind), for messages and the report."""
        c = self.constraints
        names = self.problem.distinct_strands()
        distinct, _ = checks.non_partner_pairs(self.problem)
        out = [f"strand {s.names[0]}: {s.paired} paired bases in its MFE (at most {c.max_paired})"
               for s in self.strands if s.paired > c.max_paired][:limit]
        out += [f"complex {r.name}: intended structure is not the MFE and only {r.check.probability:.2g} probable"
                for r in self.complexes if not r.passed(c)][:limit]
        out += [f"crosstalk {names[distinct[i]][0]} / {names[distinct[j]][0]}"
                for i, j in self.crosstalk.failing][:limit]
        if self.gate_crosstalk:
            out += [f"gate crosstalk {names[doms][0]} on {label}"
                    for doms, _, label in self.gate_crosstalk.failing][:limit]
        return out

    def summary(self) -> dict:
        """The ``sequences`` block of summary.json (no wall-clock times: those vary between runs)."""
        c = self.constraints
        long = [d for d in self.problem.domains if d.long]
        gc = [(self.domains[d.name].count("G") + self.domains[d.name].count("C")) / d.length for d in long]
        toe = [energy.toehold_dG(self.domains[d.name], c.temperature_C, c.salt_M)
               for d in self.problem.domains if not d.long]
        fuels = [r for r in self.complexes if r.role == "fuel"]
        x = self.crosstalk
        return {
            "domains": len(self.domains),
            "distinct_strands": len(self.strands),
            "complexes_checked": len(self.complexes),
            "fuel_complexes_mfe_fraction":
                (sum(r.check.intended_is_mfe for r in fuels) / len(fuels)) if fuels else None,
            "complexes_passed_fraction": (sum(r.passed(c) for r in self.complexes) / len(self.complexes))
            if self.complexes else None,
            "max_ensemble_defect": max((r.check.ensemble_defect for r in self.complexes), default=None),
            "strands_max_paired": max((s.paired for s in self.strands), default=0),
            "crosstalk_pairs_total": x.pairs_total,
            "crosstalk_pairs_vienna": x.pairs_vienna,
            "worst_crosstalk_dG": float(x.vienna_dG.min()) if len(x.vienna_dG) else None,
            "worst_crosstalk_pair": list(x.worst[0][:2]) if x.worst else None,
            "gc_range": [round(min(gc), 4), round(max(gc), 4)] if gc else None,
            "toehold_dG_range": [round(min(toe), 3), round(max(toe), 3)] if toe else None,
            "ssm": {"kmer": c.kmer, "initial": self.stats.ssm_initial, "final": self.stats.ssm_final,
                    "steps": self.stats.ssm_steps},
            "repair": {"steps": self.stats.repair_steps, "kept": self.stats.repairs_kept},
            "gate_crosstalk": _gate_block(self.gate_crosstalk),
            "junctions": {"constrained": self.stats.junctions, "violated_initial": self.stats.junctions_initial,
                          "violated_final": self.stats.junctions_final,
                          "unsatisfiable": self.stats.junctions_unsatisfiable},
            "repair_rounds": [[r.strands, r.complexes, r.crosstalk_pairs, r.gate_crosstalk_pairs] for r in self.rounds],
            "toehold_pool": self.stats.toehold_pool,
            "toehold_centre_dG": self.stats.toehold_centre,
            "toeholds_reused": self.stats.toeholds_reused,
            "failing": self.failing(),
            "passed": self.passed,
            "conditions": c.conditions(),
            "constraints": c.to_dict(),
            "energy_model": f"ViennaRNA {energy.version()}, DNA parameters (Mathews 2004), {c.temperature_C} °C, "
                            f"{c.sodium_M:g} M Na+ and {c.magnesium_M:g} M Mg2+ as {c.salt_M:.3f} M Na+ "
                            "(Peyret 2000), no G·T pairs",
        }


def _gate_block(g: checks.GateCrosstalkResult | None) -> dict | None:
    if g is None:
        return None
    return {"regions": g.regions, "pairs_total": g.pairs_total, "pairs_vienna": g.pairs_vienna,
            "worst_dG": float(g.vienna_dG.min()) if len(g.vienna_dG) else None,
            "worst_pair": list(g.worst[0][:2]) if g.worst else None}


def design_sequences(problem: SequenceProblem, constraints: SequenceConstraints = SequenceConstraints(),
                     progress: Progress | None = None) -> SequenceDesign:
    """Design and check sequences for every domain of ``problem``."""
    progress = progress or Progress(quiet=True)
    c = constraints
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with progress.stage("sequences: draw"):
        d = Designer(problem, c)
    with progress.stage("sequences: symmetry minimisation"):
        with progress.bar(c.max_iterations, f"SSM (k={c.kmer})", unit="step") as update:
            last = [0]

            def tick(_score: int) -> None:
                update(d.stats.ssm_steps - last[0])
                last[0] = d.stats.ssm_steps

            d.ssm(c.max_iterations, tick)
    progress.log(f"sequences: SSM score {d.stats.ssm_initial} -> {d.stats.ssm_final} in {d.stats.ssm_steps} steps "
                 f"(k = {c.kmer}); helix-end junctions violated {d.stats.junctions_initial} -> "
                 f"{d.stats.junctions_final} of {d.stats.junctions}")
    seconds["ssm"] = time.perf_counter() - t0
    rounds: list[RoundReport] = []
    for rnd in range(c.repair_rounds):
        t = time.perf_counter()
        with progress.stage(f"sequences: repair round {rnd + 1}"):
            report = repair_round(d, problem, c)
        rounds.append(report)
        seconds[f"repair_{rnd + 1}"] = time.perf_counter() - t
        progress.log(f"sequences: repair round {rnd + 1}: {report.strands} strands, {report.complexes} complexes, "
                     f"{report.crosstalk_pairs} crosstalk pairs, {report.gate_crosstalk_pairs} gate crosstalk pairs "
                     "failing before repair")
        if report.clean:
            break
    t = time.perf_counter()
    with progress.stage("sequences: final checks"):
        strands = checks.fold_strands(problem, d.seqs, c)
        n_cx = sum(len(x.strands) > 1 for x in problem.complexes)
        with progress.bar(n_cx, "fold complexes (ViennaRNA)", unit="complex") as update:
            complexes = checks.check_complexes(problem, d.seqs, c, tick=update)
        crosstalk = checks.check_crosstalk(problem, d.seqs, c)
        gate = checks.check_gate_crosstalk(problem, d.seqs, c)
    seconds["checks"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return SequenceDesign(problem, c, dict(d.seqs), strands, complexes, crosstalk, d.stats, seconds, gate,
                          tuple(rounds))


__all__ = ["SequenceDesign", "design_sequences"]
