"""Regenerate the committed design folders from their own summary.json and compare the content.

Every ``designs/<model>/<folder>/summary.json`` records the configuration that produced it.
This script rebuilds each folder with that configuration into a temporary place (a folder with
sequences gets its recorded seed and today's defaults for every other sequence constraint: the
committed designs were designed with the defaults, and a default that changed, such as
``repair_ssm_slack`` 4 → no bound in issue 17, is the reason to regenerate; ``--keep-sequence-
constraints`` reuses every recorded constraint instead), compares the new summary.json with
the committed one, and prints every difference, apart from the fields that change between
identical runs (``run``, timings, package versions) and the model path (it is the path as
given). With ``--write`` the committed folders are replaced by the regenerated ones (for
MNIST's DSD folder only summary.json, the verification reports and the formal kinetics are
kept: its strand list is ~400 MB).

    python scripts/regenerate_designs.py                       # all, compare only
    python scripts/regenerate_designs.py --only iris --write   # designs/iris/* regenerated in place

Summaries written before the configuration was split (issue 13) are read too: their
``enumeration``/``verification`` executor and time-limit keys map to ``execution``, the
``kinetics.rate_*`` keys to ``rate_fuel`` and the lab keys to ``lab``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile import config as C  # noqa: E402
from dsdcompile.config.sequences import SequenceConstraints  # noqa: E402
from dsdcompile.errors import Inconclusive, NotEquivalent, SequenceChecksFailed  # noqa: E402
from dsdcompile.stages.pipeline import build_design  # noqa: E402

VOLATILE = {("run",), ("versions",), ("verification", "seconds"), ("model", "path"), ("config",)}
MNIST_DSD_KEEP = ("summary.json", "verification.md", "verification.html", "verification.json", "kinetics.csv",
                  "kinetics_draws.csv", "kinetics_rate_draws.png", "kinetics_t90.png", "kinetics_trajectories.png")


def _pick(cls, *sources: dict, prefix: str = ""):
    """An instance of config class ``cls`` from the first source holding each field (``prefix``-ed names too)."""
    values = {}
    for f in dataclasses.fields(cls):
        for src in sources:
            if prefix + f.name in src:
                values[f.name] = src[prefix + f.name]
                break
            if f.name in src and not prefix:
                values[f.name] = src[f.name]
                break
    return cls(**values)


def _lab(section: dict) -> C.LabConfig:
    """LabConfig from its JSON form: the dye table comes back as Dye records."""
    from dsdcompile.lab.dyes import Dye

    lab = _pick(C.LabConfig, {k: v for k, v in section.items() if k != "dyes"})
    if "dyes" in section:
        lab = dataclasses.replace(lab, dyes=tuple(Dye(**d) if isinstance(d, dict) else Dye(*d)
                                                  for d in section["dyes"]))
    return lab


def run_config(summary: dict, keep_sequence_constraints: bool = False) -> C.RunConfig:
    """The C.RunConfig a committed summary.json records (old and new layouts)."""
    c = summary["config"]
    kin, enum = c.get("kinetics", {}), c.get("enumeration", {})
    execution = _pick(C.ExecutionConfig, c["execution"]) if "execution" in c else C.ExecutionConfig(
        executor=enum.get("executor", "process"), workers=enum.get("workers"), scheduler=enum.get("scheduler"),
        module_timeout=enum.get("module_timeout", C.ExecutionConfig.module_timeout),
        whole_enumeration_timeout=enum.get("whole_timeout", C.ExecutionConfig.whole_enumeration_timeout),
        whole_verification_timeout=c.get("verification", {}).get("whole_timeout",
                                                                C.ExecutionConfig.whole_verification_timeout))
    rate_fuel = _pick(C.RateFuelConfig, c["rate_fuel"]) if "rate_fuel" in c else _pick(C.RateFuelConfig, kin,
                                                                                      prefix="rate_")
    sequences = None
    recorded = summary["sequences"]["constraints"] if "sequences" in summary else c.get("sequences")
    if recorded:
        sequences = (SequenceConstraints(**recorded) if keep_sequence_constraints
                     else SequenceConstraints(seed=recorded.get("seed", SequenceConstraints.seed)))
    return C.RunConfig(
        compile=_pick(C.CompileConfig, c["compile"]), simulation=_pick(C.SimulationConfig, c["simulation"]),
        agreement=_pick(C.AgreementConfig, c["agreement"]), dsd=_pick(C.DSDConfig, c["dsd"]),
        enumeration=_pick(C.EnumerationConfig, enum), verification=_pick(C.VerificationConfig, c["verification"]),
        execution=execution, kinetics=_pick(C.KineticsConfig, kin), rate_fuel=rate_fuel,
        lab=_lab(c["lab"]) if "lab" in c else _lab({k: v for k, v in kin.items() if k != "dyes"}), sequences=sequences,
        scheme=c["scheme"], dsd_crn=c["dsd_crn"], verify_whole=c["verify_whole"], crn_json=c["crn_json"],
        run_kinetics=c["run_kinetics"], plot_example=c["plot_example"], quiet=True)


def differences(old, new, path=()) -> list[str]:
    """Every path where two JSON values differ, skipping the volatile fields."""
    if path in VOLATILE:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            if k not in new:
                out.append(f"{'.'.join(path + (k,))}: removed")
            elif k not in old:
                out.append(f"{'.'.join(path + (k,))}: added")
            else:
                out += differences(old[k], new[k], path + (k,))
        return out
    if old != new:
        return [f"{'.'.join(path)}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}"]
    return []


def regenerate(folder: Path, write: bool, keep_sequence_constraints: bool = False) -> list[str]:
    committed = json.loads((folder / "summary.json").read_text())
    model_dir = folder.parent
    inputs = next((p for p in (model_dir / "test.csv", model_dir / "test.csv.gz") if p.exists()), None)
    config = run_config(committed, keep_sequence_constraints)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / folder.name
        try:
            build_design(model_dir.relative_to(ROOT) / "model.pt", out, inputs=inputs and inputs.relative_to(ROOT),
                         config=config)
        except (NotEquivalent, Inconclusive, SequenceChecksFailed) as e:
            print(f"    {folder.name}: exit {e.exit_code} ({type(e).__name__}); the folder is written", flush=True)
        new = json.loads((out / "summary.json").read_text())
        diffs = differences(committed, new)
        if write:
            if folder.parent.name == "mnist" and folder.name.startswith("dsd_"):
                for p in out.iterdir():
                    if p.name not in MNIST_DSD_KEEP:
                        p.unlink()
            shutil.rmtree(folder)
            shutil.copytree(out, folder)
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated model names (iris, virus, mnist, ...)")
    ap.add_argument("--folders", default="", help="comma-separated folder names (crn, dsd_soloveichik2010, ...)")
    ap.add_argument("--write", action="store_true", help="replace the committed folders")
    ap.add_argument("--keep-sequence-constraints", action="store_true",
                    help="reuse every recorded sequence constraint (default: the recorded seed, today's defaults)")
    args = ap.parse_args()
    import os

    os.chdir(ROOT)
    only = {s for s in args.only.split(",") if s}
    folders = {s for s in args.folders.split(",") if s}
    total = 0
    for summary in sorted(ROOT.glob("designs/*/*/summary.json")):
        folder = summary.parent
        if (only and folder.parent.name not in only) or (folders and folder.name not in folders):
            continue
        start = time.perf_counter()
        diffs = regenerate(folder, args.write, args.keep_sequence_constraints)
        total += len(diffs)
        print(f"{folder.relative_to(ROOT)}: {len(diffs)} difference(s) in {time.perf_counter() - start:.0f} s",
              flush=True)
        for d in diffs:
            print(f"    {d}", flush=True)
    print(f"total: {total} difference(s)")


if __name__ == "__main__":
    main()
