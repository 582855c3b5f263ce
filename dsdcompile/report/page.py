"""Assembling index.html from the design folder: sections in order, navigation, inline CSS, script and data."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dsdcompile.report.complexes import Catalogue, page_json
from dsdcompile.report.dsd_section import build_catalogue, dsd_section, verification_section
from dsdcompile.report.folder import INDEX_NAME, Folder, dig
from dsdcompile.report.html_util import asset, e
from dsdcompile.report.sections import (
    crn_section,
    examples_section,
    figures_section,
    files_section,
    kinetics_section,
    lab_section,
    network_section,
    overview,
    sbml_section,
    sequences_section,
    summary_section,
)
from dsdcompile.runtime.files import DESIGN

TITLES = {"overview": "Overview", "network": "Network", "crn": "CRNs", "examples": "Examples", "dsd": "DNA design",
          "verification": "Verification", "kinetics": "Kinetics", "sequences": "Sequences", "lab": "Wet lab",
          "sbml": "SBML", "figures": "Figures", "files": "Files", "summary": "summary.json"}


def _folder_name(design_dir: Path) -> str:
    """The design folder's name; inside a run's staging folder (``.<out>.<random>.tmp/design``), ``<out>``."""
    resolved = design_dir.resolve()
    stage = resolved.parent.name
    if resolved.name == DESIGN and stage.startswith(".") and stage.endswith(".tmp") and "." in stage[1:-4]:
        return stage[1:-4].rsplit(".", 1)[0]
    return resolved.name


def render_index(design_dir: Path) -> str:
    """The text of index.html for the folder (nothing is written)."""
    folder = Folder.open(design_dir)
    summary = folder.json("summary.json")
    summary = summary if isinstance(summary, dict) else None
    verification = folder.json("verification.json")
    verification = verification if isinstance(verification, dict) else None
    def guarded(name: str, build, *args) -> str:
        # the report is written at the end of a long design run: a file it cannot make sense of costs one
        # section (named in the overview), never the run
        try:
            return build(*args)
        except Exception as err:  # noqa: BLE001
            folder.problems.append(f"section {name}: {type(err).__name__}: {err}")
            return ""

    try:
        cat, total, note, shapes = build_catalogue(folder, summary, verification)
    except Exception as err:  # noqa: BLE001 - see guarded()
        folder.problems.append(f"drawings: {type(err).__name__}: {err}")
        cat, total, note, shapes = Catalogue(), 0, "", {}
    shown: set[str] = set()
    dsd = guarded("dsd", dsd_section, folder, summary, verification, cat, total, note, shapes)
    body = {
        "network": guarded("network", network_section, folder, summary),
        "crn": guarded("crn", crn_section, folder, summary),
        "examples": guarded("examples", examples_section, folder, summary),
        "dsd": dsd,
        "verification": guarded("verification", verification_section, summary, verification, folder,
                                'id="shape-0"' in dsd),
        "kinetics": guarded("kinetics", kinetics_section, folder, summary, shown),
        "sequences": guarded("sequences", sequences_section, folder, summary, shown),
        "lab": guarded("lab", lab_section, folder, summary, shown),
        "sbml": guarded("sbml", sbml_section, folder),
    }
    shown.update(f for f in ("trajectory.png", "convergence.png") if body["examples"])
    body["figures"] = guarded("figures", figures_section, folder, shown)
    body["files"] = guarded("files", files_section, folder, _placed(folder, body))
    body["summary"] = guarded("summary", summary_section, summary)
    # the overview goes first but lists what the other sections could not read
    sections = {"overview": overview(folder, summary, verification), **body}
    present = [k for k, html in sections.items() if html]
    nav = "".join(f'<a href="#{k}">{e(TITLES[k])}</a>' for k in present)
    # named after the data set the model was trained on, else the design folder (the name --out gave it,
    # also while a run renders the page in its staging folder); the model file is in the subtitle
    model = dig(summary, "model.path")
    dataset = dig(summary, "model.dataset")
    name = dataset if isinstance(dataset, str) and dataset else _folder_name(Path(design_dir))
    scheme = dig(summary, "dsd.scheme")
    subtitle = " · ".join(str(x) for x in (model and f"model {Path(str(model)).name}",
                                           dig(summary, "network.construction"), scheme and f"scheme {scheme}",
                                           dig(summary, "versions.dsdcompile") and
                                           f"dsdcompile {dig(summary, 'versions.dsdcompile')}") if x)
    data = page_json(cat)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(name)} — dsdcompile design</title><style>{asset('report.css')}</style></head>"
        f'<body><header><h1>{e(name)}</h1><p>{e(subtitle)}</p></header><nav>{nav}</nav><main>'
        + "".join(sections[k] for k in present)
        + f'</main><script type="application/json" id="dsd-data">{data}</script>'
        f"<script>{asset('report.js')}</script></body></html>\n"
    )


def _placed(folder: Folder, body: dict[str, str]) -> dict[str, str]:
    """For each file, the section whose HTML links to it first."""
    out: dict[str, str] = {}
    for key, html in body.items():
        for target in re.findall(r'(?:href|src)="([^"#:]+)"', html):
            out.setdefault(target, key)
    return {f: out[f] for f in folder.files if f in out}


def write_index(design_dir: str | Path) -> list[str]:
    """Write ``index.html`` into the design folder (replacing it atomically); returns the file names written.

    Reads only the folder's files; every file is optional. Same folder, same bytes.
    """
    design_dir = Path(design_dir)
    text = render_index(design_dir)
    tmp = design_dir / f".{INDEX_NAME}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, design_dir / INDEX_NAME)
    return [INDEX_NAME]
