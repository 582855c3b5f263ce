"""Writing a design folder atomically: CRN files, network description, per-example table, plot, summary."""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from dsdcompile.config import RunConfig
from dsdcompile.crn_io import write_crn, write_crn_json
from dsdcompile.errors import InputError
from dsdcompile.model_io import network_to_json
from dsdcompile.pipeline import Agreement, Compiled, check_agreement, compile_model, load_examples, require_inputs_match
from dsdcompile.plots import plot_convergence_times, plot_output_trajectories
from dsdcompile.progress import Progress

if TYPE_CHECKING:
    from dsdcompile.dsd_stage import DSDStage
    from dsdcompile.inputs import Examples

SUMMARY = "summary.json"
PACKAGES = ("dsdcompile", "numpy", "scipy", "torch", "networkx", "click", "matplotlib",
            "peppercornenumerator", "dsdobjects", "crnverifier", "viennarna")


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the outputs."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@contextmanager
def atomic_directory(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success it replaces ``out_dir`` whole.

    An existing ``out_dir`` is replaced only if it is empty or a previous design folder
    (it has a summary.json); anything else is refused, so a typo cannot delete user files.
    On any error the temporary folder is removed and ``out_dir`` is left as it was.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError("exists and is not a directory", path=str(out_dir))
        if any(out_dir.iterdir()) and not (out_dir / SUMMARY).exists():
            raise InputError("exists and is not a dsdcompile design folder (no summary.json); "
                             "refusing to overwrite it", path=str(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.parent / f"{tmp.name}.old"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    os.chmod(out_dir, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _finite(value):
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_examples_table(path: Path, agreement: Agreement) -> None:
    """One row per example: label, predicted classes and every output of NN, exact CRN and ODE."""
    names = list(agreement.class_names)
    n = next(iter(agreement.exact.values())).shape[0] if agreement.exact else 0
    ode_pos = {int(i): k for k, i in enumerate(agreement.ode_index)}
    header = ["example", "label"]
    if agreement.nn is not None:
        header += ["nn_class"] + [f"nn_{c}" for c in names]
    for crn_name in agreement.exact:
        header += [f"{crn_name}_class"] + [f"{crn_name}_{c}" for c in names]
    header += ["ode_class"] + [f"ode_{c}" for c in names] + ["ode_time_to_steady_state", "ode_converged"]

    def fmt(v: float) -> str:
        return f"{v:.10g}"

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(n):
            row: list[str] = [str(i), names[agreement.labels[i]] if agreement.labels is not None else ""]
            if agreement.nn is not None:
                row += [names[int(agreement.nn[i].argmax())]] + [fmt(v) for v in agreement.nn[i]]
            for out in agreement.exact.values():
                row += [names[int(out[i].argmax())]] + [fmt(v) for v in out[i]]
            k = ode_pos.get(i)
            if k is not None and agreement.ode is not None:
                row += [names[int(agreement.ode[k].argmax())]] + [fmt(v) for v in agreement.ode[k]]
                row += [fmt(agreement.ode_t[k]), str(bool(agreement.ode_converged[k]))]
            else:
                row += [""] * (len(names) + 3)
            w.writerow(row)


def build_summary(model: Path, compiled: Compiled, agreement: Agreement | None, config: RunConfig,
                  files: list[str]) -> dict:
    net = compiled.network
    summary: dict = {
        "format": "dsdcompile-summary",
        "version": 1,
        "model": {"path": str(model), "sha256": _sha256(model)},
        "network": {
            "layers": net.sizes if net is not None else None,
            "nonzero_weights": net.nonzero_weights() if net is not None else None,
            "input_names": list(net.meta.get("raw_input_names", net.input_names)) if net is not None else
            [s.name for s in compiled.formal.inputs],
            "class_names": list(net.class_names) if net is not None else [s.name for s in compiled.formal.outputs],
            "construction": (net.meta.get("construction", "vasic2020") if net is not None else None),
        },
        "crn": {
            "formal_reactions": compiled.formal.n_reactions,
            "formal_species": compiled.formal.n_species,
            "reduced_reactions": compiled.reduced.n_reactions if compiled.reduced is not None else None,
            "reduced_species": compiled.reduced.n_species if compiled.reduced is not None else None,
            "annihilation": config.compile.annihilation,
            "formal": compiled.formal.stats(),
            "reduced": compiled.reduced.stats() if compiled.reduced is not None else None,
        },
        "agreement": dict(agreement.summary) if agreement is not None else {"examples": 0},
        "config": config.to_dict(),
        "versions": versions(),
        "files": sorted(files),
    }
    return summary


def _run_kinetics(compiled: Compiled, stage: DSDStage, examples: Examples | None, agreement: Agreement | None,
                  config: RunConfig, out_dir: Path, progress: Progress) -> dict:
    """The kinetics stage after the DSD stage: summary.json's ``kinetics`` block (with ``files``)."""
    if examples is None or not len(examples) or agreement is None:
        progress.log("kinetics skipped: no --inputs examples")
        return {"skipped": {"kinetics": "no --inputs examples"}}
    reference = agreement.nn if agreement.nn is not None else agreement.exact.get("formal")
    if reference is None:
        progress.log("kinetics skipped: neither network outputs nor the exact CRN limit are known")
        return {"skipped": {"kinetics": "no reference outputs (no network and no exact CRN limit)"}}
    from dsdcompile.kinetics_stage import run_kinetics_stage
    from dsdcompile.pipeline import is_rate_dependent
    from dsdcompile.verify.executors import make_executor

    rate_dependent = is_rate_dependent(compiled)
    # rate-dependent kinetics integrate one example per task: the --executor pool runs them
    executor = (make_executor(config.enumeration.executor, config.enumeration.workers, config.enumeration.scheduler)
                if rate_dependent else None)
    try:
        with progress.stage("kinetics"):
            result = run_kinetics_stage(stage.system, stage.modules, examples.x, reference, config.kinetics, out_dir,
                                        progress, verdict=stage.verification.verdict, rate_dependent=rate_dependent,
                                        executor=executor)
    finally:
        if executor is not None:
            executor.close()
    return {**result.summary, "files": list(result.files)}


def build_design(model: str | Path, out_dir: str | Path, *, inputs: str | Path | None = None,
                 config: RunConfig = RunConfig(), progress: Progress | None = None) -> dict:
    """Run every stage for ``model`` and write the design folder ``out_dir``; returns summary.json's content.

    Nothing is written unless the whole run succeeds.
    """
    progress = progress or Progress(quiet=config.quiet)
    model = Path(model)
    started = _dt.datetime.now(_dt.timezone.utc)
    compiled = compile_model(model, config, progress)

    examples = None
    if inputs is not None:
        examples = load_examples(inputs, compiled)
        require_inputs_match(examples, compiled.formal, inputs)
    agreement = None
    if examples is not None and len(examples):
        agreement = check_agreement(compiled, examples.x, examples.labels, config, progress)

    dsd_summary = verification = None
    with atomic_directory(Path(out_dir)) as tmp:
        files = [SUMMARY]
        note = ["written by dsdcompile; see README for the format"]
        for name, crn in (("formal", compiled.formal), ("reduced", compiled.reduced)):
            if crn is None:
                continue
            write_crn(crn, tmp / f"{name}.crn", comments=note)
            files.append(f"{name}.crn")
            if config.crn_json:
                write_crn_json(crn, tmp / f"{name}.json")
                files.append(f"{name}.json")
        if compiled.network is not None:
            # compact: an MNIST network's weight matrices are 370k numbers
            (tmp / "network.json").write_text(
                json.dumps(_finite(network_to_json(compiled.network)), separators=(",", ":")) + "\n",
                encoding="utf-8")
            files.append("network.json")
        if agreement is not None:
            write_examples_table(tmp / "examples.csv", agreement)
            files.append("examples.csv")
            if agreement.trajectory is not None:
                times, outs = agreement.trajectory
                i = min(max(config.plot_example, 0), len(examples) - 1)
                expected = agreement.nn[i] if agreement.nn is not None else None
                label = f", label {agreement.class_names[examples.labels[i]]}" if examples.labels is not None else ""
                plot_output_trajectories(times, outs, agreement.class_names, tmp / "trajectory.png",
                                         expected=expected,
                                         title=f"Example {i}{label}: {config.agreement.ode_crn} CRN, mass action")
                files.append("trajectory.png")
            if agreement.convergence is not None:
                plot_convergence_times(agreement.convergence.times, tmp / "convergence.png",
                                       title=f"anderson2021: example {config.plot_example}, "
                                             f"{len(agreement.convergence.times)} random initial states")
                files.append("convergence.png")
        kinetics = None
        if config.scheme != "none":
            from dsdcompile.dsd_stage import run_dsd_stage

            stage = run_dsd_stage(compiled, config, tmp, progress)
            dsd_summary, verification = stage.sections, stage.verification
            files += dsd_summary.pop("files", [])
            if config.run_kinetics:
                kinetics = _run_kinetics(compiled, stage, examples, agreement, config, tmp, progress)
                files += kinetics.pop("files", [])
        summary = build_summary(model, compiled, agreement, config, files)
        if dsd_summary is not None:
            summary.update(dsd_summary)
        if kinetics is not None:
            summary["kinetics"] = kinetics
        summary["run"] = {
            "started": started.isoformat(timespec="seconds"),
            "seconds": dict(progress.timings),
        }
        _write_json(tmp / SUMMARY, summary)
    progress.log(f"wrote {out_dir}/ ({len(files)} files)")
    if verification is not None:
        # the folder, with the counterexample in its report, is written before this exit (code 3)
        verification.raise_if_not_equivalent()
    return summary


__all__ = ["build_design", "atomic_directory", "versions"]
