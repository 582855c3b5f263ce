"""Regenerate the paper's three designs end to end and print the paper's table beside ours.

    python scripts/reproduce_paper.py                   # compile + check + DSD the committed models
    python scripts/reproduce_paper.py --train           # retrain them first (scripts/train_designs.py)
    python scripts/reproduce_paper.py --only iris,virus --schemes all

For each design in designs/<name>/ (model.pt, test.csv[.gz]) it writes:
  crn/                   `dsdcompile model.pt --inputs test.csv --scheme none` (exact check on every
                         test example, ODE check on all IRIS/virus examples and 100 MNIST ones)
  dsd_<scheme>/          the same with the DSD stage (IRIS, virus; --schemes all: every scheme)
MNIST's DSD files hold ~10^6 strands (hundreds of MB), so its DSD run goes to --scratch and only
its summary.json and verification reports are copied into designs/mnist/dsd_<scheme>/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.config import AgreementConfig, RunConfig  # noqa: E402
from dsdcompile.dsd.schemes import available_schemes  # noqa: E402
from dsdcompile.errors import NotEquivalent  # noqa: E402
from dsdcompile.stages.pipeline import build_design  # noqa: E402

PAPER = {  # Vasic et al. 2020: architecture, test accuracy, formal / reduced reactions as printed
    "iris": ("4-8-3", 0.94, 40, 16),
    "virus": ("10-32-4", 0.952, 148, 32),
    "mnist": ("196-512-512-10", 0.9776, 4488, 1024),
}
ODE_EXAMPLES = {"iris": -1, "virus": -1, "mnist": 100}


def test_csv(name: str) -> Path:
    d = ROOT / "designs" / name
    return d / "test.csv" if (d / "test.csv").exists() else d / "test.csv.gz"


def run_design(name: str, scheme: str, out: Path, quiet: bool, kinetics: bool = True) -> tuple[dict | None, str]:
    # MNIST: .crn files only (the JSON copies are 45 MB); its kinetics is a separate, long run
    config = RunConfig(scheme=scheme, agreement=AgreementConfig(ode_examples=ODE_EXAMPLES[name]), quiet=quiet,
                       crn_json=name != "mnist", run_kinetics=kinetics and name != "mnist")
    start = time.perf_counter()
    try:
        summary = build_design(ROOT / "designs" / name / "model.pt", out, inputs=test_csv(name), config=config)
        verdict = summary.get("verification", {}).get("verdict", "")
    except NotEquivalent:
        summary = json.loads((out / "summary.json").read_text())
        verdict = "not-equivalent"
    print(f"  {name} / {scheme}: {time.perf_counter() - start:.1f} s {verdict}", file=sys.stderr)
    return summary, verdict


CARD_HEADING = "## CRN agreement (dsdcompile)"


def update_card(name: str, summary: dict) -> None:
    """Write the compiled CRN's agreement figures into the design's model card (replacing an older section)."""
    card = ROOT / "designs" / name / "MODEL_CARD.md"
    a, c = summary["agreement"], summary["crn"]
    section = (f"{CARD_HEADING}\n\n"
               f"`python scripts/reproduce_paper.py --only {name}` compiles this model "
               f"(`dsdcompile model.pt --inputs {test_csv(name).name} --scheme none`, output in `crn/`):\n\n"
               f"- CRN: {c['formal_reactions']} formal reactions ({c['formal_species']} species), "
               f"{c['reduced_reactions']} reduced ({c['reduced_species']} species)\n"
               f"- exact CRN limit = network on {a['examples']} test examples: label agreement "
               f"{a['exact_label_agreement']:.0%}, max relative error {a['max_rel_error']:.1e}\n"
               f"- ODE simulation (rates 1) on {a['ode_examples']} examples: label agreement "
               f"{a['ode_label_agreement']:.0%}, max relative error {a['ode_max_rel_error']:.1e}\n")
    text = card.read_text(encoding="utf-8")
    if CARD_HEADING in text:
        text = text[: text.index(CARD_HEADING)].rstrip() + "\n"
    card.write_text(text.rstrip() + "\n\n" + section, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="retrain the models first")
    ap.add_argument("--only", default="iris,virus,mnist")
    ap.add_argument("--schemes", default="soloveichik2010", help="comma list, or 'all'")
    ap.add_argument("--mnist-dsd", action="store_true", help="also run MNIST's DSD stage (several minutes)")
    ap.add_argument("--scratch", type=Path, default=None, help="where MNIST's full DSD folder goes")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--cards-only", action="store_true",
                    help="only copy the figures of the existing crn/summary.json files into the model cards")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    schemes = available_schemes() if args.schemes == "all" else args.schemes.split(",")
    if args.train:
        for name in names:
            subprocess.run([sys.executable, str(ROOT / "scripts" / "train_designs.py"), "--only", name],
                           check=True, cwd=ROOT)
    if args.cards_only:
        for name in names:
            update_card(name, json.loads((ROOT / "designs" / name / "crn" / "summary.json").read_text()))
        return
    rows = []
    for name in names:
        d = ROOT / "designs" / name
        s, _ = run_design(name, "none", d / "crn", args.quiet)
        update_card(name, s)
        dsd = {}
        for scheme in schemes:
            if name == "mnist":
                if not args.mnist_dsd:
                    continue
                scratch = args.scratch or Path(tempfile.mkdtemp(prefix="dsdcompile-mnist-"))
                full = scratch / f"dsd_{scheme}"
                dsd[scheme], _ = run_design(name, scheme, full, args.quiet)
                keep = d / f"dsd_{scheme}"
                shutil.rmtree(keep, ignore_errors=True)
                keep.mkdir()
                for f in ("summary.json", "verification.md", "verification.html", "verification.json"):
                    shutil.copy(full / f, keep / f)
            else:
                dsd[scheme], _ = run_design(name, scheme, d / f"dsd_{scheme}", args.quiet)
        rows.append((name, s, dsd))

    print("\n| design | paper acc. | our test acc. | formal rxns paper / ours | reduced rxns paper / ours "
          "| exact CRN = NN (labels, max rel. err) | ODE = NN (labels, examples) "
          "| DSD (scheme: verdict, strands, nt) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s, dsd in rows:
        arch, p_acc, p_formal, p_reduced = PAPER[name]
        a, c = s["agreement"], s["crn"]
        dsd_text = "; ".join(
            f"{k}: {v['verification']['verdict']}, {v['dsd']['strands']:,}, {v['dsd']['nucleotides']:,}"
            for k, v in dsd.items()) or "—"
        print(f"| {name} {arch} | {p_acc:.2%} | {a.get('nn_accuracy', float('nan')):.2%} "
              f"(n = {a['examples']}) | {p_formal} / {c['formal_reactions']} | {p_reduced} / {c['reduced_reactions']} "
              f"| {a['exact_label_agreement']:.0%}, {a['max_rel_error']:.1e} "
              f"| {a.get('ode_label_agreement', float('nan')):.0%}, {a['ode_examples']} | {dsd_text} |")


if __name__ == "__main__":
    main()
