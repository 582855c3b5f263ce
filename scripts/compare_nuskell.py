"""Run dsdcompile on the (scheme, CRN) pairs of nuskell's published snapshot tables and compare the verdicts.

The ground truth is tests/data/nuskell_snapshots.json: nuskell's ``equivalent`` column for every scheme in
``SCHEMES`` (the built-in schemes whose gates are nuskell's), imported from a clone of nuskell's repository with
``--import-snapshots``. Every pair runs as ``dsdcompile FILE --scheme S --no-kinetics`` would, through the
Python API in worker processes (one compile per pair, serial executor inside), and the table goes to
docs/nuskell_verdicts.md. The default run takes nuskell's basic irreversible CRNs (tests/crns/basic/irr, the
tables every scheme has); ``--all`` takes every table (binary, reversible, counters, oscillators):

    python scripts/compare_nuskell.py [--jobs 2] [--reactant-order as-written] [--only soloveichik2010] [--all]
    python scripts/compare_nuskell.py --import-snapshots PATH/TO/nuskell.git   # rebuild the JSON, then stop
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "nuskell_snapshots.json"
NUSKELL = {"True": "equivalent", "False": "not-equivalent", "timeout": "timeout"}
DEFAULT_MATCH = "tests/crns/basic/irr/"  # the default run: nuskell's basic irreversible CRNs

# dsdcompile's scheme -> the nuskell .ts file (without .ts) whose snapshot rows are its ground truth. Only
# schemes whose gates are nuskell's belong here (docs/ts_reader.md compares the gates); to add one, add a
# line and run --import-snapshots. nuskell's cardelli2011_NM (with garbage-collection gates) is not built in:
# dsdcompile's cardelli2011_NM is nuskell's cardelli2011_NM_noGC. the built-in qian2011_3D is not here: it gives
# each species its own toehold where nuskell's file shares one (docs/nuskell_verdicts.md); nuskell's file is
# qian2011_3D_global.
SCHEMES = {
    "soloveichik2010": "soloveichik2010",
    "srinivas2015": "srinivas2015",
    "cardelli2011_FJ": "cardelli2011_FJ",
    "cardelli2011_FJ_noGC": "cardelli2011_FJ_noGC",
    "cardelli2011_NM_noGC": "cardelli2011_NM_noGC",
    "chen2013_2D_JF": "chen2013_2D_JF",
    "chen2013_2D_JF_var1": "chen2013_2D_JF_var1",
    "chen2013_2D_JF_var2": "chen2013_2D_JF_var2",
    # one toehold shared by every species (docs/ts_reader.md)
    "cardelli2013_2D": "cardelli2013_2D",
    "cardelli2013_2D_noGC": "cardelli2013_2D_noGC",
    "cardelli2013_2D_2TGC": "cardelli2013_2D_2TGC",
    "lakin2016_2D_3I": "lakin2016_2D_3I",
    "lakin2012_3D": "lakin2012_3D",
    "lakin2012_3D_var1": "lakin2012_3D_var1",
    "qian2011_3D_var1": "qian2011_3D_var1",
    "qian2011_3D_global": "qian2011_3D",  # nuskell's qian2011_3D; the built-in qian2011_3D differs (above)
}
METHODS = ("crn-bisimulation", "modular-crn-bisimulation", "pathway-decomposition", "compositional-hybrid",
           "integrated-hybrid")


def import_snapshots(git_dir: Path) -> dict:
    """The ground-truth JSON from nuskell's snapshot tables (data only: verdicts and the CRNs they are about)."""
    import csv
    import io
    import subprocess

    def show(path: str) -> str:
        return subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"], check=True,
                              capture_output=True, text=True).stdout

    commit = subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    names = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "HEAD", "--name-only"], check=True,
                           capture_output=True, text=True).stdout.split()
    ours = {f"{v}.ts": k for k, v in SCHEMES.items()}
    pairs, crns = [], {}
    # the *_lit / *_var tables; small_test.csv and bigger_test.csv repeat some of their rows
    for table in sorted(n for n in names if n.startswith("tests/snapshots/") and n.endswith(("_lit.csv", "_var.csv"))):
        for row in csv.DictReader(io.StringIO(show(table))):
            scheme = ours.get(row["scheme"])
            if scheme is None:
                continue
            crn = crns.setdefault(row["CRN"], show(row["CRN"]))
            pairs.append({"scheme": scheme, "crn_file": row["CRN"], "snapshot": Path(table).name,
                          "verdict": row["equivalent"], "enumeration": row["enumerated"],
                          "methods": {m: row[m] for m in METHODS if row[m]},
                          "nucleotides": int(float(row["# nuc"])) if row["# nuc"] else None,
                          "implementation_reactions": int(float(row["# rxns"])) if row["# rxns"] else None,
                          "crn": crn})
    return {"source": f"github.com/DNA-and-Natural-Algorithms-Group/nuskell tests/snapshots/*.csv and tests/crns/ "
                      f"at commit {commit}",
            "note": "nuskell's published whole-system verdicts ('equivalent' column: True/False/timeout) for the "
                    "schemes whose gates dsdcompile shares (scripts/compare_nuskell.py SCHEMES); the snapshot "
                    "tables record no times. enumeration: nuskell's semantics column (c: condensed; c:rr: condensed "
                    "with reject-remote, which nuskell falls back to when the full enumeration polymerises). Data "
                    "only (results), no nuskell code.",
            "pairs": pairs}
EXIT = {0: "equivalent", 3: "not-equivalent", 4: "inconclusive"}


def run_pair(args: tuple[dict, str | None, float | None, str]) -> dict:
    """Compile one pair; its verdict (by exit code), seconds, and what decided it."""
    pair, order, budget, semantics, module_timeout = args
    reject_remote = semantics == "nuskell" and "rr" in pair.get("enumeration", "")
    from dsdcompile.cli.compile import run_config
    from dsdcompile.errors import DsdCompileError
    from dsdcompile.stages.pipeline import build_design

    config = run_config(scheme=pair["scheme"], run_kinetics=False, quiet=True, executor="serial")
    if order is not None:
        config = replace(config, dsd=replace(config.dsd, reactant_order=order))
    if reject_remote:  # nuskell's own fallback when the full enumeration polymerises
        config = replace(config, enumeration=replace(config.enumeration, reject_remote=True))
    if budget is not None:
        config = replace(config, verification=replace(config.verification, whole_budget=budget))
    if module_timeout is not None:
        config = replace(config, execution=replace(config.execution, module_timeout=module_timeout))
    with tempfile.TemporaryDirectory() as tmp:
        crn = Path(tmp) / Path(pair["crn_file"]).name
        crn.write_text(pair["crn"])
        start = time.perf_counter()
        code, detail = 0, ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_design(crn, Path(tmp) / "out", config=config)
        except DsdCompileError as e:
            code, detail = e.exit_code, str(e)
        seconds = time.perf_counter() - start
        orders = ""
        summary = Path(tmp) / "out" / "summary.json"
        ver = Path(tmp) / "out" / "verification.json"
        if ver.exists():
            detail = detail or json.loads(ver.read_text()).get("basis", "")
        if summary.exists():
            record = json.loads(summary.read_text()).get("dsd", {}).get("reactant_order") or {}
            orders = "; ".join(f"{v['reaction']} bound as {v['order']}" for v in record.get("reordered", {}).values())
    return {"scheme": pair["scheme"], "crn_file": pair["crn_file"], "crn": pair["crn"],
            "nuskell": NUSKELL.get(pair["verdict"], pair["verdict"]), "methods": pair.get("methods", {}),
            "dsdcompile": EXIT.get(code, f"exit {code}"), "exit": code, "seconds": round(seconds, 2),
            "detail": detail, "orders": orders, "semantics": "reject-remote" if reject_remote else "full"}


def crn_cell(text: str) -> str:
    return "; ".join(" ".join(line.split()) for line in text.splitlines() if line.strip() and
                     not line.lstrip().startswith("#")).replace("|", "\\|")


def hybrid_only(row: dict) -> bool:
    """nuskell's "equivalent" rests on notions other than CRN bisimulation: its own CRN bisimulation column says
    False (its equivalent column is true when any of its methods is: pathway decomposition or a hybrid)."""
    methods = row.get("methods") or _methods_of(row)
    return row["nuskell"] == "equivalent" and methods.get("crn-bisimulation") == "False"


def _methods_of(row: dict) -> dict:
    for p in json.loads(DATA.read_text())["pairs"]:
        if p["scheme"] == row["scheme"] and p["crn_file"] == row["crn_file"]:
            return p["methods"]
    return {}


def agreement(row: dict) -> str:
    if row["nuskell"] not in ("equivalent", "not-equivalent"):
        return "undecided by nuskell"
    if row["nuskell"] == row["dsdcompile"]:
        return "yes"
    if row["dsdcompile"] == "not-equivalent" and hybrid_only(row):
        return "by notion: nuskell's own CRN bisimulation says False"
    return "NO"


def markdown(rows: list[dict], order: str | None, wall: float, jobs: int, budget: float | None,
             semantics: str, match: str | None = DEFAULT_MATCH, only: str | None = None, load: str = "") -> str:
    decided = [r for r in rows if r["nuskell"] in ("equivalent", "not-equivalent")]
    agree = sum(r["nuskell"] == r["dsdcompile"] for r in decided)
    notion = sum(agreement(r).startswith("by notion") for r in decided)
    lines = [
        "# dsdcompile's verdicts beside nuskell's published ones",
        "",
        "nuskell publishes, in its repository's `tests/snapshots/`, its whole-system verdict for every literature "
        "scheme on its test CRNs. For the built-in schemes whose gates are nuskell's (" + ", ".join(sorted(SCHEMES))
        + "; `SCHEMES` in the script) this table runs dsdcompile (`dsdcompile FILE --scheme S --no-kinetics`"
        + (f" --reactant-order {order}" if order else "") + ") on every pair and compares. The snapshot tables "
        "record no times, so nuskell's column has none. The data and its source commit are in "
        "`tests/data/nuskell_snapshots.json`; regenerate with `python scripts/compare_nuskell.py"
        + (f" --reactant-order {order}" if order else "") + f" --semantics {semantics}" + (f" --match {match}"
                                                                                            if match else " --all")
        + (f" --only {only}" if only else "") + "`.",
        "",
        "Built-in schemes that deliberately differ from nuskell's files, and so are not in this table: "
        "**qian2011_3D** gives each species its own toehold, where nuskell's `qian2011_3D.ts` shares one toehold "
        "between all species (dsdcompile's gates then cannot cross-talk through a common toehold; nuskell's "
        "global-toehold schemes are added beside it under their own names); **cardelli2011_NM** is nuskell's "
        "`cardelli2011_NM_noGC` (each top strand free in excess instead of the paper's garbage-collection gates), "
        "compared here under that name, while nuskell's `cardelli2011_NM.ts` (with the gates) is not built in; "
        "and every scheme translates `0 -> X` as `F -> X` with a fuel signal `F` (nuskell's srinivas2015 builds a "
        "special gate, chen2013_2D_JF_var1/var2 none), so pairs with a `0 ->` reaction compare different gates. "
        "chen2013_2D_JF_var1/var2 declare reject-remote enumeration for the shapes whose full enumeration stops "
        "at peppercorn's reaction limit (nuskell's own fallback, its `c:rr` pairs), and their verdicts say so.",
        "",
        "Enumeration semantics: nuskell enumerates with peppercorn's full semantics and, where that polymerises, "
        "falls back to *reject-remote* (its snapshot marks those pairs `c:rr`): its verdict there is about the "
        "reject-remote enumeration. "
        + ("This table enumerates those pairs with reject-remote as well (`EnumerationConfig.reject_remote`), so "
           "both tools judge the same reactions; dsdcompile's default (full semantics) is stricter."
           if semantics == "nuskell" else "This table uses dsdcompile's full semantics everywhere."),
        "",
        f"**{agree} of {len(decided)} decided pairs agree** ({len(rows) - len(decided)} pair(s) nuskell left "
        f"undecided; {notion} pair(s) differ by notion: nuskell's equivalent rests on pathway decomposition or a "
        f"hybrid notion while its own CRN bisimulation says False, and dsdcompile shows a whole-system "
        f"counterexample to CRN bisimulation that an independent replay confirmed); "
        f"{len(rows)} pairs in {wall:.0f} s wall time with {jobs} worker process(es)"
        + (f", whole-system budget {budget:g} s" if budget is not None else "")
        + (f"; load average {load} when it started" if load else "") + ".",
        "",
        "How dsdcompile decides (issue 23): every module is verified alone by modular CRN bisimulation and pathway "
        "decomposition, and pairs of modules are checked for interactions. Where a module fails alone or a pair "
        "interacts, the verdict is settled on the smallest connected part of the system (up to the whole) by CRN "
        "bisimulation with the signals' meaning fixed (the part as one module) and pathway decomposition; exit 3 "
        "(not equivalent) only with a whole-system counterexample that an independent replay confirms, exit 4 "
        "when the budget runs out first. `--reactant-order as-written` binds reactants in the order written, as "
        "nuskell and the schemes' papers do (dsdcompile's default, `search`, starts there and tries other orders "
        "where modules fail or interact).",
        "",
        "Two things differ by design and are worth knowing when reading the table: dsdcompile's DSD stage first "
        "substitutes a unimolecular reaction into its producers where that keeps the CRN's rate-independent "
        "behaviour (`DSDConfig.compact`), so `A <=>` is translated as the one module `0 -> 0` (verified); and "
        "dsdcompile requires the modularity condition of the part it decides for the species the part can share "
        "with the rest of the design (those no formal reaction consumes, which readout reporters read), so that "
        "its verdict composes; nuskell's single-CRN verdicts need none.",
        "",
        "| scheme | CRN | reactions | enumeration | nuskell | dsdcompile | dsdcompile s | agree |",
        "|---|---|---|---|---|---|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['scheme']} | {Path(r['crn_file']).stem} | `{crn_cell(r['crn'])}` | "
                     f"{'reject-remote' if r['semantics'] != 'full' else 'full'} | {r['nuskell']} | "
                     f"{r['dsdcompile']} | {r['seconds']:.1f} | {agreement(r)} |")
    notes = [r for r in rows if agreement(r) != "yes" and r["nuskell"] in ("equivalent", "not-equivalent")
             or r["orders"]]
    if notes:
        lines += ["", "## Disagreements and reordered gates", ""]
        for r in notes:
            lines.append(f"- **{r['scheme']} {Path(r['crn_file']).stem}** (`{crn_cell(r['crn'])}`): nuskell "
                         f"{r['nuskell']}, dsdcompile {r['dsdcompile']}."
                         + (f" Reactant orders: {r['orders']}." if r["orders"] else "")
                         + (f" {r['detail'][:600]}" if r["detail"] and agreement(r) != "yes" else ""))
    return "\n".join(lines) + "\n"


def default_order_section(rows: list[dict], wall: float) -> str:
    """What the default order (search) changes: pairs whose verdict or gates differ from the as-written table."""
    decided = [r for r in rows if r["nuskell"] in ("equivalent", "not-equivalent")]
    verified = sum(r["dsdcompile"] == "equivalent" for r in decided)
    changed = [r for r in rows if r["orders"] or (r["nuskell"] in ("equivalent", "not-equivalent")
                                                  and r["nuskell"] != r["dsdcompile"])]
    lines = ["", "## With the default `--reactant-order search`", "",
             f"The same {len(rows)} pairs with dsdcompile's default (`search`: as written, then the other orders of "
             f"the reactions in a failing module or interacting pair) took {wall:.0f} s wall time. "
             f"{verified} of {len(decided)} decided pairs get a verified design. Where the search bound a reaction "
             "in another order than written, the gates differ from nuskell's and so may the verdict:", ""]
    for r in changed:
        lines.append(f"- {r['scheme']} {Path(r['crn_file']).stem} (`{crn_cell(r['crn'])}`): nuskell {r['nuskell']} "
                     f"(written order), dsdcompile {r['dsdcompile']}" + (f"; {r['orders']}" if r["orders"] else "")
                     + ".")
    if not changed:
        lines.append("- none: every pair kept its written order.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reactant-order", choices=("as-written", "sorted", "search"), default=None,
                    help="pass --reactant-order (default: dsdcompile's default)")
    ap.add_argument("--whole-budget", type=float, default=None)
    ap.add_argument("--module-timeout", type=float, default=None,
                    help="seconds one module shape's enumeration and verification may take (default: dsdcompile's)")
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="write the table from the rows of an earlier --json run (same options), running nothing")
    ap.add_argument("--append-to", type=Path, default=None, metavar="PAGE",
                    help="append this run's table to PAGE as a section, instead of writing --out")
    ap.add_argument("--semantics", choices=("nuskell", "full"), default="nuskell",
                    help="nuskell: enumerate with reject-remote where nuskell's snapshot did (c:rr), as nuskell "
                         "falls back to it when the full enumeration polymerises; full: dsdcompile's own everywhere")
    ap.add_argument("--only", default=None, help="comma-separated schemes (default: every scheme of SCHEMES)")
    ap.add_argument("--match", default=None, help=f"only CRN files whose path contains this (default: "
                                                  f"{DEFAULT_MATCH}, or every file with --all)")
    ap.add_argument("--all", action="store_true", help="every snapshot table, not only the basic irreversible CRNs")
    ap.add_argument("--import-snapshots", type=Path, default=None, metavar="GIT_DIR",
                    help="rebuild tests/data/nuskell_snapshots.json from nuskell's repository (a git dir) and stop")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "nuskell_verdicts.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    ap.add_argument("--append-default", type=Path, default=None, metavar="JSON",
                    help="rows (--json) of a run with the default order: append what the search changed")
    a = ap.parse_args(argv)
    if a.render is not None:  # the page (or section) from the rows of an earlier --json, without running again
        saved = json.loads(a.render.read_text())
        rows, wall, load = saved["rows"], saved["wall"], saved.get("load", "")
        return _write(a, rows, wall, load, a.match if a.match is not None else (None if a.all else DEFAULT_MATCH))
    if a.import_snapshots is not None:
        data = import_snapshots(a.import_snapshots)
        DATA.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {DATA}: {len(data['pairs'])} pairs")
        return 0
    only = set(a.only.split(",")) if a.only else None
    match = a.match if a.match is not None else (None if a.all else DEFAULT_MATCH)
    pairs = json.loads(DATA.read_text())["pairs"]
    pairs = [p for p in pairs if (only is None or p["scheme"] in only) and (match is None or match in p["crn_file"])]
    import os

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    start = time.perf_counter()
    work = [(p, a.reactant_order, a.whole_budget, a.semantics, a.module_timeout) for p in pairs]
    rows: list[dict] = []
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(a.jobs, maxtasksperchild=8) as pool:
        for row in pool.imap(run_pair, work):
            rows.append(row)
            print(f"{row['scheme']:16} {Path(row['crn_file']).stem:14} nuskell {row['nuskell']:15} dsdcompile "
                  f"{row['dsdcompile']:15} {row['seconds']:6.1f} s {agreement(row)}", flush=True)
    wall = time.perf_counter() - start
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "wall": wall, "load": load}, indent=1))
    return _write(a, rows, wall, load, match)


def _write(a, rows: list[dict], wall: float, load: str, match: str | None) -> int:
    a.out.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(rows, a.reactant_order, wall, a.jobs, a.whole_budget, a.semantics, match, a.only, load)
    if a.module_timeout is not None:
        text = text.replace("\n\n", f"\n\nModule time limit: {a.module_timeout:g} s (`--module-timeout`).\n\n", 1)
    if a.append_to is not None:  # one more section: the page's title becomes a section heading
        title, _, body = text.partition("\n")
        heading = f"## {a.only or 'every scheme'}: {match or 'every table'}"
        text = a.append_to.read_text().rstrip("\n") + "\n\n" + heading + "\n" + body.replace("\n## ", "\n### ")
        a.out = a.append_to
    if a.append_default is not None:
        extra = json.loads(a.append_default.read_text())
        text += default_order_section(extra["rows"], extra["wall"])
    a.out.write_text(text)
    decided = [r for r in rows if r["nuskell"] in ("equivalent", "not-equivalent")]
    print(f"{sum(r['nuskell'] == r['dsdcompile'] for r in decided)}/{len(decided)} decided pairs agree; "
          f"{wall:.0f} s; wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
