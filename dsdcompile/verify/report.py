"""Write a verification result as Markdown, a self-contained HTML page and JSON, from one document outline."""

from __future__ import annotations

import html
import json
from pathlib import Path

from dsdcompile.verify.reporters import outline_section as reporters_outline
from dsdcompile.verify.result import ModuleVerdict, Verdict, VerificationResult, compress_indices

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto}
.v{font-weight:600;padding:.1rem .45rem;border-radius:.3rem}
.equivalent{background:#d8f5d8;color:#135c13}.not-equivalent{background:#fadada;color:#8a1010}
.inconclusive{background:#fff1c7;color:#6b5200}.skipped{background:#eee;color:#444}
details{margin:.4rem 0 1rem}summary{cursor:pointer}
"""

GUARANTEED = (
    "The verdict is about the domain-level system as peppercorn enumerates it: condensed reactions between "
    "resting complexes, every fuel present in excess, each signal strand standing for its formal species. "
    "\"Equivalent\" means that this system behaves as the CRN in verified.crn (the split CRN; reaction k is "
    "module #k below): every sequence of implementation reactions corresponds to a sequence of formal "
    "reactions, and every formal reaction that can happen can be carried out (CRN bisimulation, Johnson, "
    "Dong & Winfree 2019). It holds for the whole design, not only module by module, because every module "
    "was verified with the modularity condition, no fuel is or releases a signal, and no complex reachable "
    "in one module reacts with a complex reachable in another (the interaction check, whose argument is in "
    "dsdcompile/verify/interaction.py). verified.crn has the limit state of the translated CRN (formal.crn, "
    "or reduced.crn with --dsd-crn reduced): the split pass only adds helper species in fan-out trees.")
NOT_GUARANTEED = (
    "It says nothing about rates or timing (bisimulation ignores rate constants, so a rate-dependent "
    "construction such as anderson2021 needs the kinetics stage), about leak (fuels reacting with each other "
    "without an input, which the domain-level model does not produce), about finite fuel (fuels are assumed in "
    "excess; the kinetics stage sizes them), or about sequence-level crosstalk (domains meant to be distinct "
    "pairing by accident; the sequence stage screens for it). It is also only as good as peppercorn's model "
    "(its release cutoff and separation of time scales, EnumerationConfig).")
MEANING = {
    Verdict.EQUIVALENT: "The DNA implementation implements the CRN (in the sense below).",
    Verdict.NOT_EQUIVALENT: "A check proved that the DNA implementation does not implement the CRN; the first failing "
                            "check is shown with its counterexample. The design should not be built as it is.",
    Verdict.INCONCLUSIVE: "No check proved the implementation wrong, but not every check needed for the verdict "
                          "finished; it is not shown to implement the CRN.",
}


def _fmt_s(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def _members(m: ModuleVerdict) -> str:
    text = compress_indices(m.members)
    return text if len(text) <= 200 else text[:200] + " …"


def _where(m: ModuleVerdict) -> str:
    return f"module #{m.representative}" + (f" (formal reaction {m.formal_index})" if m.formal_index is not None
                                            else "")


def _whole_rows(w: dict) -> list[list]:
    if w.get("verdict") == Verdict.SKIPPED:
        return [["whole system", Verdict.SKIPPED, w.get("skipped") or ""]]
    if w.get("verdict") not in (Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT):
        note = "no verdict within its budget; it does not change the verdict"
        return [["whole system", w.get("verdict"), f"{note}: {w.get('counterexample') or ''}"]]
    return [["whole system", w.get("verdict"), w.get("counterexample") or
             f"{w.get('implementation_reactions')} condensed reactions, every species seeded"]]


def outline(result: VerificationResult) -> list[tuple]:
    """The report as blocks: ("h1"|"h2"|"h3"|"p", text), ("list", items), ("table", head, rows), ("pre", lines)."""
    return (_head(result) + _checks(result) + _interactions(result.interaction) + _shapes(result)
            + _whole(result.whole_system) + reporters_outline(result.reporters))


def _head(result: VerificationResult) -> list[tuple]:
    """The verdict, what it means, what it guarantees and what it does not."""
    s = result.summary()
    doc: list[tuple] = [("h1", "Verification report"), ("list", [
        f"**Verdict:** {result.verdict}" + (f" — {result.basis}" if result.basis else ""),
        f"**Method:** {result.method} per module shape" + "".join(
            f", the {name} check" for name, block in (("fuel", result.fuels), ("module-interaction",
                                                      result.interaction), ("whole-system", result.whole_system))
            if block is not None),
        f"**Modules:** {s['modules']} in {s['shapes']} shape(s) — equivalent {s['equivalent']}, "
        f"not equivalent {s['not_equivalent']}, inconclusive {s['inconclusive']}",
        f"**Time:** {_fmt_s(result.seconds)}",
        "**Tools:** " + ", ".join(f"{k} {v}" for k, v in result.tools.items())])]
    doc += [("h2", "What the verdict means"), ("p", MEANING.get(result.verdict, ""))]
    if result.verdict == Verdict.NOT_EQUIVALENT:
        doc.append(("p", "First failing check: " + result.first_problem()))
    return doc + [("p", "What a verdict of equivalent guarantees. " + GUARANTEED),
                  ("p", "What it does not. " + NOT_GUARANTEED)]


def _checks(result: VerificationResult) -> list[tuple]:
    """One row per check that ran: its verdict and detail."""
    rows = [["modules", result.modular_verdict, f"{len(result.modules)} shape(s), one representative each"]]
    if result.fuels is not None:
        rows.append(["fuels", result.fuels["verdict"], result.fuels["detail"]])
    if result.interaction is not None:
        rows.append(["module interactions", result.interaction["verdict"], result.interaction["detail"]])
    if result.whole_system is not None:
        rows += _whole_rows(result.whole_system)
    return [("h2", "Checks"), ("table", ["check", "verdict", "detail"], rows)]


def _interactions(x: dict | None) -> list[tuple]:
    """The interaction check: how many pairs and classes, why pairs suffice, the interacting classes."""
    if x is None:
        return []
    if str(x.get("detail", "")).startswith("not checked"):
        return [("h2", "Module interactions"), ("p", str(x["detail"]) + ".")]
    doc: list[tuple] = [("h2", "Module interactions"), ("p",
                        f"{x['pairs']} module pair(s) share a formal species, in {x['classes']} class(es) of "
                        f"isomorphic pairs; one representative per class was checked "
                        f"({x['complex_pairs_enumerated']} complex pair(s) enumerated on their own). Interacting "
                        f"pairs: {x['interacting_pairs']} in {x['interacting_classes']} class(es)."),
                        ("p", "Why pairs suffice: peppercorn's reactions involve one complex or two resting complexes, "
                              "so a reaction between modules is a reaction between two of them, one reachable in "
                              "each; if no pair of modules has such a reaction, the whole system's complexes and "
                              "reactions are the union of the modules' and the per-module verdicts compose (the "
                              "argument in full, history domains included, is in dsdcompile/verify/interaction.py).")]
    if x["interacting"]:
        doc.append(("table", ["modules", "formal reactions", "shared", "instances", "verdict", "what they do"],
                    [[f"#{r['modules'][0]}, #{r['modules'][1]}", " ; ".join(r["reactions"]),
                      ", ".join(r["shared"]), str(r["instances"]), r["verdict"],
                      "; ".join(r["findings"][:3]) + (f" — {r['detail']}" if r.get("detail") else "")]
                     for r in x["interacting"]]))
    return doc


def _shapes(result: VerificationResult) -> list[tuple]:
    """The module shapes: a summary table, then each shape's interpretation, reactions and checks."""
    if not result.modules:
        return []
    doc: list[tuple] = [
        ("h2", "Shapes"), ("p", "Module #k implements reaction k of verified.crn; the formal reaction is the "
                                "reaction of formal.crn it comes from."),
        ("table", ["shape", "verdict", "representative", "instances", "method", "time", "other checks"],
         [[("code", m.shape), m.verdict, f"{_where(m)} " + f"`{m.formal}`", str(m.instances), m.method,
           _fmt_s(m.seconds), "; ".join(f"{c.method}: {c.verdict}" for c in m.checks[1:]) or "—"]
          for m in result.modules])]
    for m in result.modules:
        doc += [("h3", f"Shape `{m.shape}` — {m.verdict}"),
                ("p", f"Representative: {_where(m)}, `{m.formal}`; verdict reused for {m.instances} module(s): "
                      f"{_members(m)}.")]
        if m.note:
            doc.append(("p", f"Note: {m.note}"))
        if m.counterexample:
            doc.append(("p", f"**Counterexample:** {m.counterexample}"))
        doc.append(("table", ["implementation species", "interpretation"],
                    [[("code", k), v] for k, v in m.interpretation.items()]))
        doc.append(("p", "Condensed implementation reactions (fuels removed"
                         + (f": {', '.join(m.fuels)}" if m.fuels else "") + "):"))
        doc.append(("pre", list(m.reactions)))
        doc.append(("table", ["check", "verdict", "time", "detail"],
                    [[c.method, c.verdict, _fmt_s(c.seconds), c.detail or ""] for c in m.checks]))
    return doc


def _whole(w: dict | None) -> list[tuple]:
    """The whole-system check: what it does, its verdict, size and time, or why it was not run."""
    if not w:
        return []
    doc: list[tuple] = [("h2", "Whole system"), ("p",
                        "Every fuel and one signal strand of every species enumerated together, then plain CRN "
                        "bisimulation with the signals' meaning fixed (any other species may stand for formal "
                        "species, so it is weaker than the modular check but needs no composition argument), and "
                        "pathway decomposition.")]
    items = [f"**Verdict:** {w.get('verdict')}"]
    if w.get("skipped"):
        items.append(f"**Not run:** {w['skipped']}")
    else:
        items.append(f"**Size:** {w.get('formal_reactions')} formal, {w.get('implementation_reactions')} "
                     "condensed implementation reactions")
        items.append(f"**Time:** {_fmt_s(float(w.get('seconds', 0.0)))} of a {w.get('budget_seconds')} s budget")
    if w.get("counterexample"):
        items.append(f"**Detail:** {w['counterexample']}")
    for c in w.get("checks", []):
        items.append(f"**{c['method']}:** {c['verdict']} in {_fmt_s(c['seconds'])}"
                     + (f" — {c['detail']}" if c.get("detail") else ""))
    doc.append(("list", items))
    return doc


# ---------------------------------------------------------------- renderers
def _md_cell(x) -> str:
    if isinstance(x, tuple):
        return f"`{x[1]}`".replace("|", "\\|")
    return str(x).replace("|", "\\|")


def to_markdown(result: VerificationResult) -> str:
    lines: list[str] = []
    for block in outline(result):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "list":
            lines += [f"- {x}" for x in block[1]] + [""]
        elif kind == "table":
            lines += ["| " + " | ".join(block[1]) + " |", "|" + "---|" * len(block[1])]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block[2]] + [""]
        elif kind == "pre":
            lines += ["```", *block[1], "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _inline(text: str) -> str:
    """HTML for text with **bold** and `code` spans (everything else escaped)."""
    out, bold, code, buf = [], False, False, []
    k = 0
    while k < len(text):
        if text.startswith("**", k) and not code:
            out.append(html.escape("".join(buf)))
            buf = []
            out.append("</strong>" if bold else "<strong>")
            bold = not bold
            k += 2
            continue
        if text[k] == "`":
            out.append(html.escape("".join(buf)))
            buf = []
            out.append("</code>" if code else "<code>")
            code = not code
            k += 1
            continue
        buf.append(text[k])
        k += 1
    out.append(html.escape("".join(buf)))
    return "".join(out) + ("</code>" if code else "") + ("</strong>" if bold else "")


def _html_cell(x, verdict_column: bool) -> str:
    if isinstance(x, tuple):
        return f"<code>{html.escape(x[1])}</code>"
    if verdict_column and x in (Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT, Verdict.INCONCLUSIVE, Verdict.SKIPPED):
        return f'<span class="v {html.escape(x)}">{html.escape(x)}</span>'
    return _inline(str(x))


def to_html(result: VerificationResult) -> str:
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Verification report</title>",
             f"<style>{_CSS}</style></head><body>"]
    for block in outline(result):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{_inline(block[1])}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in block[1]) + "</ul>")
        elif kind == "table":
            cols = [h == "verdict" for h in block[1]]
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in block[1]) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{_html_cell(c, v)}</td>" for c, v in zip(row, cols))
                                   + "</tr>" for row in block[2]) + "</table>")
        elif kind == "pre":
            parts.append(f"<details><summary>{len(block[1])} reactions</summary><pre>"
                         f"{html.escape(chr(10).join(block[1]))}</pre></details>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_reports(result: VerificationResult, out_dir: Path | str) -> list[Path]:
    """Write verification.md, verification.html (self-contained) and verification.json into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "verification.md", out / "verification.html", out / "verification.json"]
    paths[0].write_text(to_markdown(result), encoding="utf-8")
    paths[1].write_text(to_html(result), encoding="utf-8")
    paths[2].write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False, default=str) + "\n",
                        encoding="utf-8")
    return paths
