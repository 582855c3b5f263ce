"""Every registered translation scheme on the IRIS and virus networks: verdict, time, strands, reactions.

Each (scheme, network) pair is built as ``dsdcompile MODEL --scheme S --no-kinetics`` would, through the Python
API (``build_design``), in a process of its own (its own session, so that a pair past its time limit is stopped
with every process it started); pairs run one after another. A pair that runs out of time, or that the scheme
refuses, gets a row with its reason. The table goes to docs/scheme_verdicts.md, with the command and the
machine's load:

    python scripts/scheme_table.py [--timeout 300] [--only soloveichik2010,cardelli2011_FJ] [--models iris]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"iris": ROOT / "designs" / "iris" / "model.pt", "virus": ROOT / "designs" / "virus" / "model.pt"}
EXIT = {0: "equivalent", 3: "not-equivalent", 4: "inconclusive"}


def run_one(scheme: str, model: Path, out: Path) -> dict:
    """Build one design (in this process) and describe its outcome."""
    import warnings

    from dsdcompile.cli.compile import run_config
    from dsdcompile.errors import DsdCompileError
    from dsdcompile.stages.pipeline import build_design

    config = run_config(scheme=scheme, run_kinetics=False, quiet=True)
    start = time.perf_counter()
    code, detail = 0, ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_design(model, out, config=config, force=True)
    except DsdCompileError as e:
        code, detail = e.exit_code, str(e)
    row = {"seconds": round(time.perf_counter() - start, 1), "exit": code,
           "verdict": EXIT.get(code, "refused" if code == 2 else f"failed (exit {code})"), "detail": detail}
    summary = out / "summary.json"
    if summary.is_file():
        s = json.loads(summary.read_text())
        dsd, ver = s.get("dsd") or {}, s.get("verification") or {}
        row.update(strands=dsd.get("strands"), complexes=dsd.get("complexes"),
                   reactions=dsd.get("enumerated_reactions"), nucleotides=dsd.get("nucleotides"))
        row["verdict"] = ver.get("verdict") or row["verdict"]
    verification = out / "verification.json"
    if verification.is_file():
        v = json.loads(verification.read_text())
        whole = v.get("whole_system") or {}
        row["basis"] = v.get("basis", "")
        row["proof"] = whole.get("proof") or whole.get("decided_by") or ""
        row["counterexample"] = whole.get("counterexample") or ""
    return row


def run_pair(scheme: str, name: str, model: Path, timeout: float) -> dict:
    """One pair in a child process of its own session, stopped (with everything it started) after ``timeout``."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "row.json"
        cmd = [sys.executable, __file__, "--one", scheme, str(model), tmp, str(result)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"scheme": scheme, "model": name, "verdict": "no verdict",
                    "seconds": round(time.perf_counter() - start, 1),
                    "detail": f"stopped after the {timeout:g} s limit of this table"}
        if result.is_file():
            return {"scheme": scheme, "model": name, **json.loads(result.read_text())}
        last = [x for x in (output or "").splitlines() if x.strip()][-1:] or [f"exit {proc.returncode}"]
        return {"scheme": scheme, "model": name, "verdict": "failed", "seconds": round(time.perf_counter() - start, 1),
                "detail": last[0]}


def _cell(x) -> str:
    return "—" if x in (None, "") else str(x)


def _reason(row: dict) -> str:
    """What decided the verdict: the kind of proof and its counterexample, or the basis, or why there is none."""
    text = row.get("basis") or row.get("detail") or ""
    if row.get("proof"):
        text = f"{row['proof']}" + (f": {row['counterexample']}" if row.get("counterexample") else "")
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= 300 else text[:297] + "..."


def markdown(rows: list[dict], command: str, load: str, wall: float) -> str:
    lines = [
        "# Every built-in scheme on IRIS and on the virus network",
        "",
        "Each row is `dsdcompile MODEL --scheme S --no-kinetics` (default reactant order `search`, two worker "
        "processes), built through the Python API by `scripts/scheme_table.py`, one pair at a time. *not-equivalent* "
        "comes with a whole-system counterexample that an independent replay confirmed (see the design folder's "
        "verification.md); a pair stopped at the table's time limit or refused by the scheme says why. Times are "
        "wall-clock seconds on a shared machine: read them with the load below.",
        "",
        f"Command: `{command}`",
        "",
        f"Load average when it started: {load}; {len(rows)} pairs in {wall:.0f} s.",
        "",
        "| scheme | network | verdict | seconds | strands | complexes | enumerated reactions | what decided it |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['scheme']} | {r['model']} | {r['verdict']} | {r['seconds']:.1f} | "
                     f"{_cell(r.get('strands'))} | {_cell(r.get('complexes'))} | {_cell(r.get('reactions'))} | "
                     f"{_reason(r)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one (scheme, network) pair may take")
    ap.add_argument("--only", default=None, help="comma-separated scheme names (default: every registered one)")
    ap.add_argument("--models", default="iris,virus", help="comma-separated: iris, virus")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "scheme_verdicts.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    ap.add_argument("--from-json", type=Path, default=None, help="write the page from the rows of an earlier --json")
    ap.add_argument("--one", nargs=4, metavar=("SCHEME", "MODEL", "DIR", "JSON"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        scheme, model, folder, dest = a.one
        Path(dest).write_text(json.dumps(run_one(scheme, Path(model), Path(folder) / "design")))
        return 0
    if a.from_json is not None:
        saved = json.loads(a.from_json.read_text())
        a.out.write_text(markdown(saved["rows"], saved["command"], saved["load"], saved["wall"]))
        return 0
    from dsdcompile.dsd.schemes import available_schemes

    schemes = a.only.split(",") if a.only else available_schemes()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    command = "python scripts/scheme_table.py" + "".join(f" {x}" for x in (argv if argv is not None else sys.argv[1:]))
    start = time.perf_counter()
    rows = []
    for scheme in schemes:
        for name in a.models.split(","):
            row = run_pair(scheme, name, MODELS[name], a.timeout)
            rows.append(row)
            print(f"{scheme:22} {name:6} {row['verdict']:15} {row['seconds']:7.1f} s", flush=True)
    wall = time.perf_counter() - start
    a.out.write_text(markdown(rows, command, load, wall))
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "command": command, "load": load, "wall": wall}, indent=1))
    print(f"wrote {a.out} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
