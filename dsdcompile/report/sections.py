"""The report's sections other than DNA and verification: overview, network, CRNs, examples, kinetics, lab, files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from dsdcompile.report.folder import Folder, dig
from dsdcompile.report.heatmap import heatmap
from dsdcompile.report.html_util import (
    data_table,
    e,
    figure,
    image,
    kv_table,
    label,
    link,
    section,
)
from dsdcompile.report.markdown import render_markdown
from dsdcompile.runtime.outputs import description, holds_timings, plain
from dsdcompile.runtime.resources import format_size, open_text

CRN_ROWS = 1000        # reactions listed per CRN
REACTION_CHARS = 400   # longer reactions (reduced CRNs' fan-outs) are cut
TABLE_CELLS = 20000    # rows × columns of a CSV preview

# the overview's figures: (label, summary key, format)
OVERVIEW = (
    ("layers", "network.layers", "json"), ("non-zero weights", "network.nonzero_weights", "int"),
    ("construction", "network.construction", "auto"),
    ("formal reactions", "crn.formal_reactions", "int"), ("formal species", "crn.formal_species", "int"),
    ("reduced reactions", "crn.reduced_reactions", "int"), ("reduced species", "crn.reduced_species", "int"),
    ("examples", "agreement.examples", "int"), ("network accuracy", "agreement.nn_accuracy", "pct"),
    ("exact CRN = network (labels)", "agreement.exact_label_agreement", "pct"),
    ("exact max abs error", "agreement.max_abs_error", "sig"),
    ("ODE examples", "agreement.ode_examples", "int"),
    ("ODE = network (labels)", "agreement.ode_label_agreement", "pct"),
    ("scheme", "dsd.scheme", "auto"), ("modules", "dsd.modules", "int"), ("shapes", "dsd.shapes", "int"),
    ("strands", "dsd.strands", "int"), ("complexes", "dsd.complexes", "int"), ("nucleotides", "dsd.nucleotides", "int"),
    ("longest strand (nt)", "dsd.longest_strand_nt", "int"),
    ("enumerated reactions", "dsd.enumerated_reactions", "int"),
    ("verification", "verification.verdict", "auto"), ("modules equivalent", "verification.equivalent", "int"),
    ("inconclusive", "verification.inconclusive", "int"), ("not equivalent", "verification.not_equivalent", "int"),
    ("formal kinetics labels", "kinetics.formal_label_agreement", "pct"),
    ("implementation labels", "kinetics.implementation_label_agreement", "pct"),
    ("implementation max rel. error", "kinetics.implementation_max_rel_error", "sig"),
    ("fuel margin", "kinetics.fuel_margin", "sig"), ("fuels", "kinetics.fuels", "int"),
    ("domains", "sequences.domains", "int"), ("distinct strands", "sequences.distinct_strands", "int"),
    ("fuel complexes with intended MFE", "sequences.fuel_complexes_mfe_fraction", "pct"),
    ("worst crosstalk ΔG (kcal/mol)", "sequences.worst_crosstalk_dG", "sig"),
    ("order plates", "sequences.order.plates", "int"),
)

def overview(folder: Folder, summary: dict | None, verification: dict | None) -> str:
    cells = []
    for text, key, kind in OVERVIEW:
        if dig(summary, key) is not None:
            value = figure(summary, key, kind)
            cells.append(f"<div class=\"tile\"><div class=\"t\">{e(text)}</div><div class=\"v\">{value}</div></div>")
    model = dig(summary, "model.path")
    head = f"<p>Model <code>{e(str(model))}</code></p>" if model else ""
    problems = "".join(f"<li>{e(p)}</li>" for p in folder.problems)
    warn = f'<div class="problems"><b>Could not read everything:</b><ul>{problems}</ul></div>' if problems else ""
    if summary is None:
        warn += '<p class="note">No summary.json in this folder: figures come from the other files only.</p>'
    return section("overview", "Overview", f'{head}<div class="tiles">{"".join(cells)}</div>{warn}')


def network_section(folder: Folder, summary: dict | None) -> str:
    net = folder.json("network.json")
    layers = dig(summary, "network.layers") or (net or {}).get("layers")
    if not layers and not net:
        return ""
    parts = []
    if layers:
        boxes = "<span class=\"arrow\">→</span>".join(f'<span class="layer">{int(n):,}</span>' for n in layers)
        parts.append(f'<p class="layers">{boxes}</p>')
    if isinstance(summary, dict) and isinstance(summary.get("network"), dict):
        parts.append(kv_table(summary, "network", summary["network"], skip=("input_names",)))
    if isinstance(net, dict):
        pre = net.get("preprocessing")
        if pre:
            parts.append("<p>Preprocessing: " + e(", ".join(str(p.get("op")) for p in pre if isinstance(p, dict)))
                         + "</p>")
        names = [net.get("input_names") or []]
        sizes = net.get("layers") or []
        for k, layer in enumerate(net.get("dense") or []):
            rows = (net.get("class_names") or []) if k == len(net["dense"]) - 1 else []
            cols = names[0] if k == 0 else []
            title = f"layer {k + 1}" + (f" ({sizes[k]} → {sizes[k + 1]})" if len(sizes) > k + 1 else "")
            parts.append(heatmap(layer.get("weight") or [], layer.get("bias"), title=title, rows=rows, cols=cols))
    parts.append(f"<p>Files: {link('network.json') if folder.has('network.json') else 'no network.json'}</p>")
    return section("network", "Network", "".join(parts))


def _crn_rows(folder: Folder, name: str) -> tuple[list[list[str]], int, dict[str, int]]:
    """Reactions (index, reaction, rate) of a .crn file, the first CRN_ROWS, their count, and statement counts."""
    rows: list[list[str]] = []
    total = 0
    counts = {"@species": 0, "@input": 0, "@output": 0, "@init": 0}
    with open_text(folder.path / name, max_bytes=None, errors="replace", newline=None) as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            word = line.split(None, 1)[0]
            if word.startswith("@"):
                counts[word] = counts.get(word, 0) + 1
                continue
            total += 1
            if len(rows) < CRN_ROWS:
                m = re.search(r"\[\s*k\s*=\s*([^\]]+)\]\s*$", line)
                rate = m.group(1).strip() if m else ""
                text = line[:m.start()].strip() if m else line
                if len(text) > REACTION_CHARS:
                    text = text[:REACTION_CHARS] + f" … ({text.count(' + ') + 1} terms)"
                rows.append([str(total - 1), text, rate])
    return rows, total, counts


def _json_crn_rows(data: dict) -> tuple[list[list[str]], int, dict[str, int]]:
    def side(terms: Iterable) -> str:
        return " + ".join(n if c == 1 else f"{c} {n}" for n, c in terms)

    rxns = data.get("reactions") or []
    rows = []
    for j, r in enumerate(rxns[:CRN_ROWS]):
        text = f"{side(r.get('reactants') or []) or '0'} -> {side(r.get('products') or [])}".strip()
        if len(text) > REACTION_CHARS:
            text = text[:REACTION_CHARS] + " …"
        rows.append([str(j), text, "" if r.get("rate") is None else f"{r['rate']:g}"])
    counts = {"@species": len(data.get("species") or []), "@init": len(data.get("initial") or [])}
    return rows, len(rxns), counts


def crn_section(folder: Folder, summary: dict | None) -> str:
    parts = []
    for form in ("formal", "reduced"):
        text, js = f"{form}.crn", f"{form}.json"
        if folder.has(text):
            rows, total, counts = _crn_rows(folder, text)
        elif folder.has(js) and isinstance(data := folder.json(js), dict):
            rows, total, counts = _json_crn_rows(data)
        else:
            continue
        files = " · ".join(link(n) for n in (text, js) if folder.has(n))
        key = f"crn.{form}_reactions"
        shown = figure(summary, key, "int") if dig(summary, key) is not None else f"{total:,}"
        stats = dig(summary, f"crn.{form}")
        extra = kv_table(summary, f"crn.{form}", stats) if isinstance(stats, dict) else ""
        parts.append(f'<h3 id="crn-{form}">{form.capitalize()} CRN</h3><p>{shown} reactions, '
                     f'{counts.get("@species", 0):,} declared species, {counts.get("@init", 0):,} initial '
                     f"concentrations ({files})</p>{extra}")
        has_rate = any(r[2] for r in rows)
        header = ["#", "reaction"] + (["rate"] if has_rate else [])
        parts.append(data_table(f"crn-{form}-table", header, [r if has_rate else r[:2] for r in rows], total=total,
                                source=text if folder.has(text) else js))
    if not parts:
        return ""
    return section("crn", "Chemical reaction networks", "".join(parts))


def examples_section(folder: Folder, summary: dict | None) -> str:
    block = dig(summary, "agreement")
    if block is None and not folder.has("examples.csv"):
        return ""
    parts = []
    if isinstance(block, dict):
        pct = {k: "pct" for k in block if k.endswith(("agreement", "accuracy"))}
        parts.append(kv_table(summary, "agreement", block, formats=pct))
    for name in ("trajectory.png", "convergence.png"):
        parts.append(image(folder, name, name))
    if folder.has("examples.csv"):
        header, rows, total = folder.table("examples.csv", 1000)  # one read; the rows shown depend on its width
        rows = rows[:max(20, min(1000, TABLE_CELLS // max(len(header), 1)))]
        classes = [i for i, h in enumerate(header) if h.endswith("_class") and h != "nn_class"]
        ref = header.index("nn_class") if "nn_class" in header else None

        truth = header.index("label") if "label" in header else None

        def mismatch(row: list[str]) -> str:
            if ref is None:
                return ""
            if any(i < len(row) and row[i] and row[i] != row[ref] for i in classes):
                return "mismatch"
            return "wrong" if truth is not None and row[truth] and row[truth] != row[ref] else ""

        parts.append("<h3>Examples</h3><p class=\"muted\"><span class=\"mismatch\">red</span>: a CRN's class "
                     "differs from the network's; <span class=\"wrong\">yellow</span>: the network's class differs "
                     "from the label</p>")
        parts.append(data_table("examples-table", header, rows, total=total, source="examples.csv",
                                row_class=mismatch))
    return section("examples", "Agreement on the examples", "".join(parts))


def kinetics_section(folder: Folder, summary: dict | None, shown: set[str]) -> str:
    block = dig(summary, "kinetics")
    pngs = [f for f in folder.files if f.endswith(".png") and re.match(r"(kinetics|reporter|fluorescence|leak)", f)]
    csvs = [f for f in ("kinetics.csv", "fuel.csv", "leak.csv", "kinetics_draws.csv") if folder.has(f)]
    if block is None and not pngs and not csvs:
        return ""
    parts = []
    if isinstance(block, dict):
        if block.get("skipped"):
            parts.append("<p class=\"warn\">Skipped: " + e("; ".join(f"{k}: {v}" for k, v in
                                                                    block["skipped"].items())) + "</p>")
        pct = {k: "pct" for k in block if "agreement" in k and not isinstance(block[k], list)}
        parts.append(kv_table(summary, "kinetics", block, formats=pct))
    for f in pngs:
        parts.append(image(folder, f, f))
        shown.add(f)
    for f in csvs:
        header, rows, total = folder.table(f, 200)
        parts.append(f"<details><summary>{e(f)} ({total:,} rows)</summary>"
                     f"{data_table(f'table-{f[:-4]}', header, rows, total=total, source=f)}</details>")
    return section("kinetics", "Kinetics", "".join(parts))


def sequences_section(folder: Folder, summary: dict | None, shown: set[str]) -> str:
    block = dig(summary, "sequences")
    if block is None and not folder.has("sequence_report.md"):
        return ""
    parts = []
    if isinstance(block, dict):
        parts.append(kv_table(summary, "sequences", block, skip=("constraints", "files"),
                              formats={"fuel_complexes_mfe_fraction": "pct", "complexes_passed_fraction": "pct"}))
    md = folder.text("sequence_report.md")
    if md:
        parts.append(f'<div class="md">{render_markdown(md, folder.has)}</div>')
        shown.update(re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", md))
    elif folder.has("sequence_report.png"):
        parts.append(image(folder, "sequence_report.png", "sequence report"))
    shown.add("sequence_report.png")
    if folder.has("sequences.csv"):
        header, rows, total = folder.table("sequences.csv", 3000)
        parts.append(f"<details><summary>sequences.csv ({total:,} domains)</summary>"
                     f"{data_table('sequences-table', header, rows, total=total, source='sequences.csv')}</details>")
    return section("sequences", "Sequences", "".join(parts))


def lab_section(folder: Folder, summary: dict | None, shown: set[str]) -> str:
    orders = [f for f in folder.files if f.startswith("order_")]
    tables = [f for f in ("concentrations.md", "concentrations.csv", "plate.xlsx", "annealing.csv", "inputs.csv",
                          "readout.csv") if folder.has(f)]
    docs = [f for f in folder.files if f.endswith(".md") and f not in ("verification.md", "sequence_report.md",
                                                                       "concentrations.md")]
    if not orders and not tables and not docs:
        return ""
    parts = []
    for f in sorted(docs, key=lambda f: (f != "protocol.md", f)):
        md = folder.text(f) or ""
        body = render_markdown(md, folder.has)
        shown.update(re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", md))
        parts.append(f'<div class="md"><p class="muted">{link(f)}</p>{body}</div>' if f == "protocol.md" else
                     f'<details><summary>{e(f)}</summary><div class="md">{body}</div></details>')
    if orders:
        items = []
        for f in orders:
            count = ""
            if f.endswith(".csv"):
                count = f" — {folder.table(f, 0)[2]:,} strands"
            items.append(f"<li>{link(f)}{count}</li>")
        plates = dig(summary, "sequences.order")
        warn = ""
        if isinstance(plates, dict) and plates.get("warnings"):
            warn = "<p class=\"warn\">" + e("; ".join(map(str, plates["warnings"]))) + "</p>"
        parts.append(f"<h3>Order sheets</h3><ul>{''.join(items)}</ul>{warn}")
    if tables:
        parts.append("<h3>Wet-lab tables</h3><ul>" + "".join(
            f"<li>{link(f)} — {e(_what(f))}</li>" for f in tables) + "</ul>")
    if folder.has("readout.csv"):
        header, rows, total = folder.table("readout.csv", 100)
        parts.append(data_table("readout-table", header, rows, total=total, source="readout.csv", search=False))
    return section("lab", "Wet lab", "".join(parts))


def sbml_section(folder: Folder) -> str:
    files = [f for f in folder.files if f.endswith((".sbml", ".sbml.xml")) or
             (f.endswith(".xml") and "sbml" in (folder.text(f, 400) or "").lower())]
    if not files:
        return ""
    items = "".join(f"<li>{link(f)} ({format_size(folder.size(f))})</li>" for f in files)
    return section("sbml", "SBML", "<p>SBML Level 3 models of the CRNs (concentrations and rate constants in the "
                   f"units the file declares); COPASI, tellurium or any SBML tool simulates them.</p><ul>{items}</ul>")


def figures_section(folder: Folder, shown: set[str]) -> str:
    rest = [f for f in folder.files if f.endswith((".png", ".svg", ".jpg", ".jpeg")) and f not in shown]
    if not rest:
        return ""
    return section("figures", "Other figures", "".join(image(folder, f, f) for f in rest))


def _what(name: str) -> str:
    return plain(description(name))


def _size(folder: Folder, name: str) -> str:
    """The file's size, except for a file holding timings (summary.json, the verification reports): its size
    changes with the digits of the timings, and the page must be the same for two identical runs."""
    return "" if holds_timings(name) else format_size(folder.size(name))


def files_section(folder: Folder, placed: dict[str, str]) -> str:
    rows = []
    for f in folder.files:
        where = placed.get(f)
        rows.append([link(f), e(_size(folder, f)), e(_what(f)),
                     f'<a href="#{where}">{e(where)}</a>' if where else ""])
    return section("files", "Files", data_table("files-table", ["file", "size", "what", "shown in"], rows, raw=True))


# what changes between identical runs (start time, stage timings) stays out of the page, so a
# design's index.html is byte-identical whenever the rest of its folder is
VOLATILE = ("run", "verification.seconds")


def summary_section(summary: dict | None) -> str:
    if not isinstance(summary, dict):
        return ""
    blocks = []
    for key, value in summary.items():
        if key in VOLATILE:
            continue
        if isinstance(value, dict):
            body = _tree(summary, key, value)
            blocks.append(f"<details><summary>{e(key)}</summary>{body}</details>")
        else:
            kind = "json" if isinstance(value, list) else "auto"
            blocks.append(f"<p><b>{e(label(key))}</b>: {figure(summary, key, kind)}</p>")
    return section("summary", "summary.json", "".join(blocks))


def _tree(summary: dict, prefix: str, block: dict) -> str:
    rows = []
    for k, v in block.items():
        key = f"{prefix}.{k}"
        if key in VOLATILE:
            continue
        if isinstance(v, dict) and v and "." not in k:
            rows.append(f"<tr><th>{e(k)}</th><td>{_tree(summary, key, v)}</td></tr>")
        elif "." in k:
            rows.append(f"<tr><th>{e(k)}</th><td><code>{e(json.dumps(v, ensure_ascii=False))}</code></td></tr>")
        else:
            kind = "json" if isinstance(v, (list, dict)) else "auto"
            rows.append(f"<tr><th>{e(k)}</th><td>{figure(summary, key, kind)}</td></tr>")
    return f'<table class="kv">{"".join(rows)}</table>'
