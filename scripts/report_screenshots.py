"""Screenshots of a design report for the README, taken in headless Chromium the way the browser test opens it.

    python scripts/report_screenshots.py [--design designs/iris/dsd_soloveichik2010] [--out docs/report]

The design folder is copied to a temporary directory, its index.html written there, and
three pictures saved: the top of the page, the drawings of one module shape, and the
verification section.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsdcompile.report import write_index  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support: random networks, the browser
from support.browser import open_page  # noqa: E402

SHOTS = {"#overview": "overview.png", "#shape-3": "shape.png", "#verification": "verification.png"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--design", type=Path, default=root / "designs" / "iris" / "dsd_soloveichik2010")
    ap.add_argument("--out", type=Path, default=root / "docs" / "report")
    ap.add_argument("--prefix", default="iris_")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / args.design.name
        shutil.copytree(args.design, folder, ignore=shutil.ignore_patterns("index.html"))
        write_index(folder)
        res = open_page(folder / "index.html", width=1100, height=900, elements=tuple(SHOTS))
        if res.console_errors:
            raise SystemExit(f"console errors: {res.console_errors}")
        for selector, name in SHOTS.items():
            path = args.out / f"{args.prefix}{name}"
            path.write_bytes(res.element_shots[selector])
            print(f"{path} ({len(res.element_shots[selector]) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
