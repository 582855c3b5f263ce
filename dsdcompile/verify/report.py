"""Write a verification result as Markdown, a self-contained HTML page and JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path

from dsdcompile.verify.reporters import markdown_section as reporters_markdown
from dsdcompile.verify.result import ModuleVerdict, VerificationResult, compress_indices

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto}
.v{font-weight:600;padding:.1rem .45rem;border-radius:.3rem}
.equivalent{background:#d8f5d8;color:#135c13}.not-equivalent{background:#fadada;color:#8a1010}
.inconclusive{background:#fff1c7;color:#6b5200}
details{margin:.4rem 0 1rem}summary{cursor:pointer}
"""


_WHOLE_NOTE = ("Plain CRN bisimulation of the whole implementation with the signal species' interpretation fixed; "
               "unlike the modular check it lets any other species stand for formal species, so it is weaker.")


def _fmt_s(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def _members(m: ModuleVerdict) -> str:
    text = compress_indices(m.members)
    return text if len(text) <= 200 else text[:200] + " …"


# ---------------------------------------------------------------- Markdown
def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(result: VerificationResult) -> str:
    s = result.summary()
    lines = [
        "# Verification report", "",
        f"- **Verdict:** {result.verdict}",
        f"- **Method:** {result.method}",
        f"- **Modules:** {s['modules']} in {s['shapes']} shape(s) — equivalent {s['equivalent']}, "
        f"not equivalent {s['not_equivalent']}, inconclusive {s['inconclusive']}",
        f"- **Time:** {_fmt_s(result.seconds)}",
        "- **Tools:** " + ", ".join(f"{k} {v}" for k, v in result.tools.items()), "",
    ]
    if result.modules:
        lines += ["## Shapes", "", "| shape | verdict | representative | instances | method | time | other checks |",
                  "|---|---|---|---|---|---|---|"]
        for m in result.modules:
            others = "; ".join(f"{c.method}: {c.verdict}" for c in m.checks[1:]) or "—"
            lines.append(f"| `{_md_escape(m.shape)}` | {m.verdict} | #{m.representative} `{_md_escape(m.formal)}` | "
                         f"{m.instances} | {m.method} | {_fmt_s(m.seconds)} | {_md_escape(others)} |")
        for m in result.modules:
            lines += ["", f"### Shape `{m.shape}` — {m.verdict}", "",
                      f"Representative: formal reaction #{m.representative}, `{m.formal}`; verdict reused for "
                      f"{m.instances} module(s): {_members(m)}.", ""]
            if m.note:
                lines += [f"Note: {m.note}", ""]
            if m.counterexample:
                lines += [f"**Counterexample:** {m.counterexample}", ""]
            lines += ["| implementation species | interpretation |", "|---|---|"]
            lines += [f"| `{_md_escape(k)}` | {_md_escape(v)} |" for k, v in m.interpretation.items()]
            lines += ["", "Condensed implementation reactions (fuels removed"
                      + (f": {', '.join(m.fuels)}" if m.fuels else "") + "):", "", "```"]
            lines += list(m.reactions) + ["```", "", "| check | verdict | time | detail |", "|---|---|---|---|"]
            lines += [f"| {c.method} | {c.verdict} | {_fmt_s(c.seconds)} | {_md_escape(c.detail or '')} |"
                      for c in m.checks]
    if result.whole_system:
        w = result.whole_system
        lines += ["", "## Whole system", "", _WHOLE_NOTE, "", f"- **Verdict:** {w.get('verdict')} ({w.get('method')})",
                  f"- **Size:** {w.get('formal_reactions')} formal, {w.get('implementation_reactions')} "
                  "condensed implementation reactions", f"- **Time:** {_fmt_s(float(w.get('seconds', 0.0)))}"]
        if w.get("counterexample"):
            lines.append(f"- **Detail:** {w['counterexample']}")
        for c in w.get("checks", [])[1:]:
            lines.append(f"- **{c['method']}:** {c['verdict']} in {_fmt_s(c['seconds'])}"
                         + (f" — {c['detail']}" if c.get("detail") else ""))
    lines += reporters_markdown(result.reporters)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML
def _v(verdict: str) -> str:
    return f'<span class="v {html.escape(verdict)}">{html.escape(verdict)}</span>'


def _table(head: list[str], rows: list[list[str]]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    return "".join(out) + "</table>"


def to_html(result: VerificationResult) -> str:
    e = html.escape
    s = result.summary()
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Verification report</title>",
        f"<style>{_CSS}</style></head><body><h1>Verification report</h1>",
        _table(["verdict", "method", "modules", "shapes", "equivalent", "not equivalent", "inconclusive", "time"],
               [[_v(result.verdict), e(result.method), str(s["modules"]), str(s["shapes"]), str(s["equivalent"]),
                 str(s["not_equivalent"]), str(s["inconclusive"]), _fmt_s(result.seconds)]]),
        "<p>Tools: " + e(", ".join(f"{k} {v}" for k, v in result.tools.items())) + "</p>",
    ]
    if result.modules:
        parts.append("<h2>Shapes</h2>")
        parts.append(_table(
            ["shape", "verdict", "representative", "instances", "method", "time", "other checks"],
            [[f"<code>{e(m.shape)}</code>", _v(m.verdict), f"#{m.representative} <code>{e(m.formal)}</code>",
              str(m.instances), e(m.method), _fmt_s(m.seconds),
              "; ".join(f"{e(c.method)}: {_v(c.verdict)}" for c in m.checks[1:]) or "—"] for m in result.modules]))
        for m in result.modules:
            parts.append(f"<h3>Shape <code>{e(m.shape)}</code> {_v(m.verdict)}</h3>")
            parts.append(f"<p>Representative: formal reaction #{m.representative}, <code>{e(m.formal)}</code>; "
                         f"verdict reused for {m.instances} module(s): <code>{e(_members(m))}</code>.</p>")
            if m.note:
                parts.append(f"<p><em>Note:</em> {e(m.note)}</p>")
            if m.counterexample:
                parts.append(f"<p><strong>Counterexample:</strong> {e(m.counterexample)}</p>")
            parts.append(_table(["implementation species", "interpretation"],
                                [[f"<code>{e(k)}</code>", e(v)] for k, v in m.interpretation.items()]))
            fuels = f" (fuels removed: {e(', '.join(m.fuels))})" if m.fuels else ""
            parts.append(f"<details><summary>{len(m.reactions)} condensed implementation reactions{fuels}</summary>"
                         f"<pre>{e(chr(10).join(m.reactions))}</pre></details>")
            parts.append(_table(["check", "verdict", "time", "detail"],
                                [[e(c.method), _v(c.verdict), _fmt_s(c.seconds), e(c.detail or "")] for c in m.checks]))
    if result.whole_system:
        w = result.whole_system
        parts.append(f"<h2>Whole system</h2><p>{html.escape(_WHOLE_NOTE)}</p>")
        parts.append(_table(["method", "verdict", "formal reactions", "implementation reactions", "time", "detail"],
                            [[e(str(c["method"])), _v(str(c["verdict"])), str(w.get("formal_reactions")),
                              str(w.get("implementation_reactions")), _fmt_s(float(c["seconds"])),
                              e(c.get("detail") or "")] for c in w.get("checks", [])]))
    if result.reporters:
        parts.append("<h2>Readout reporters</h2><pre>" + e("\n".join(reporters_markdown(result.reporters)[3:]))
                     + "</pre>")
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
