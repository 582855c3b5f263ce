"""The DSD and verification sections: module shapes drawn, the complexes table with drawings on demand, verdicts."""

from __future__ import annotations

import json

from dsdcompile.report.complexes import Catalogue, add_scheme_drawings, catalogue_from_rows
from dsdcompile.report.folder import Folder, dig, read_complexes
from dsdcompile.report.html_util import badge, data_table, e, kv_table, link, section

COMPLEX_CAP = 3000  # complexes included in the page (table and drawings); shapes' fuels always are
MEMBERS_CHARS = 400


def build_catalogue(folder: Folder, summary: dict | None, verification: dict | None
                    ) -> tuple[Catalogue, int, str, dict[int, list[str]]]:
    """The drawable complexes, the rows of complexes.csv, a note on where drawings come from, and for each
    shape the complexes drawn for it (its representative's fuels, or the scheme's template)."""
    modules = [m for m in (verification or {}).get("modules", []) if isinstance(m, dict)]
    if folder.has("complexes.csv"):
        wanted = {str(f) for m in modules for f in m.get("fuels") or []}
        rows = read_complexes(folder, wanted, COMPLEX_CAP)
        if rows.missing_strands:
            folder.problems.append(f"strands.csv lacks {len(rows.missing_strands)} strands of complexes.csv, "
                                   f"e.g. {rows.missing_strands[0]}")
        shapes = {k: [str(f) for f in m.get("fuels") or []] for k, m in enumerate(modules)}
        return catalogue_from_rows(rows), rows.total, "", shapes
    cat = Catalogue()
    scheme = dig(summary, "dsd.scheme")
    if not modules or not scheme:
        return cat, 0, "", {}
    reasons, shapes = [], {}
    for k, m in enumerate(modules):
        try:
            shapes[k] = add_scheme_drawings(cat, str(scheme), m, k, dig(summary, "config.dsd.toehold_nt"),
                                            dig(summary, "config.dsd.branch_nt"))
        except Exception as err:  # noqa: BLE001 - any failure leaves that shape undrawn, with the reason shown
            reasons.append(f"{m.get('shape')}: {type(err).__name__}: {err}")
    note = ("This folder has no strand list (complexes.csv, strands.csv): each shape is drawn from the "
            f"{e(str(scheme))} scheme's template, with its placeholder names: <code>S0-a</code> is domain "
            "<code>a</code> of the shape's species S0, <code>p0</code> a domain of the module's own.")
    if reasons:
        note += " Not drawn: " + "; ".join(e(r) for r in reasons)
    return cat, 0, note, shapes


def _members(text: object) -> str:
    s = str(text or "")
    return e(s if len(s) <= MEMBERS_CHARS else s[:MEMBERS_CHARS] + f"… ({len(s):,} characters)")


def binding_order(module: dict, summary: dict | None, verification: dict | None) -> str:
    """How the shape's representative module binds its reactants (``--reactant-order``), and why when not as
    written: from verification.json's configuration and summary.json's ``dsd.reactant_order`` record."""
    policy = dig(verification, "config.reactant_order") or dig(summary, "config.dsd.reactant_order")
    reordered = dig(summary, "dsd.reactant_order.reordered")
    entry = reordered.get(str(module.get("representative"))) if isinstance(reordered, dict) else None
    if isinstance(entry, dict):
        return f"reactants bound as {entry.get('order')}, not as written ({entry.get('why')})"
    if policy == "sorted":
        return "reactants bound in shape order, not necessarily as written (--reactant-order sorted)"
    if policy in ("as-written", "search"):
        return "reactants bound in the order written"
    return ""


def dsd_section(folder: Folder, summary: dict | None, verification: dict | None, cat: Catalogue, total: int,
                note: str, shapes: dict[int, list[str]]) -> str:
    block = dig(summary, "dsd")
    if not isinstance(block, dict) and not cat.entries and not folder.has("complexes.csv"):
        return ""
    parts = []
    if isinstance(block, dict):
        parts.append(kv_table(summary, "dsd", block))
    parts.append('<p class="legend">Drawings: strands are arrows from 5′ to 3′ (arrowhead at the 3′ end), '
                 "domains coloured by name (a domain and its complement alike), toeholds thin and labelled in "
                 "italics, paired domains stacked with rungs (a paired top domain is named by its complement "
                 "below), strands numbered at their 5′ end; <span class=\"rel\">red numbers</span> mark strands "
                 "the fuel releases as a signal.</p>")
    if note:
        parts.append(f'<p class="note">{note}</p>')
    modules = [m for m in (verification or {}).get("modules", []) if isinstance(m, dict)]
    if modules:
        parts.append("<h3 id=\"shapes\">Module shapes</h3>")
        for k, m in enumerate(modules):
            figs = "".join(cat.figure(f) for f in shapes.get(k, [])) or '<p class="note">no fuels listed</p>'
            parts.append(
                f'<div class="shape" id="shape-{k}"><h4>{e(str(m.get("shape", f"shape {k}")))} '
                f'{badge(m.get("verdict"))}</h4><p>{int(m.get("instances") or 0):,} modules '
                f'(representative m{e(str(m.get("representative")))}: <code>{e(str(m.get("formal", "")))}</code>); '
                f'modules: <span class="members">{_members(m.get("members"))}</span></p>'
                + (f'<p class="order">{e(order)}</p>' if (order := binding_order(m, summary, verification)) else "")
                + f'{figs}</div>')
    signal = next((n for n, en in cat.entries.items() if en.role in ("signal", "helper")), None)
    if signal:
        parts.append(f'<h4>A signal strand (every formal species has one)</h4>{cat.figure(signal)}')
    if folder.has("complexes.csv"):
        parts.append(_complex_table(folder, cat, total))
    elif cat.entries:
        parts.append('<div id="picked" class="picked"></div>')
    return section("dsd", "DNA design", "".join(parts))


def _complex_table(folder: Folder, cat: Catalogue, total: int) -> str:
    rows = []
    names = list(cat.entries) + [n for n in cat.failed if n not in cat.entries]
    for name in names:
        entry = cat.entries.get(name)
        if entry is None:
            rows.append([e(name), "", "", "", "", "", f'<span class="warn">{e(cat.failed[name])}</span>'])
            continue
        button = f'<button type="button" data-draw="{e(name)}">draw</button>'
        rows.append([e(name), e(entry.role), e(entry.part), e(entry.module),
                     e(" + ".join(s.name for s in entry.spec.strands)), f"<code>{e(entry.spec.structure)}</code>",
                     button])
    table = data_table("complexes-table", ["complex", "role", "part", "module", "strands", "structure", ""], rows,
                       total=total, source="complexes.csv", raw=True)
    return ('<h3 id="complexes">Complexes</h3><p>Pick a complex to draw it (or type its name: '
            '<input type="text" id="draw-name" list="complex-names" aria-label="complex name" size="14"> '
            '<button type="button" id="draw-go">draw</button>).</p>'
            f'<div id="picked" class="picked"></div>{table}')


def verification_section(summary: dict | None, verification: dict | None, folder: Folder, drawn: bool) -> str:
    """Verdicts per shape (linked to the shape's drawings when ``drawn``), the whole system, any other block."""
    if verification is None and dig(summary, "verification") is None:
        return ""
    parts = []
    block = dig(summary, "verification")
    if isinstance(block, dict):
        parts.append(f"<p>Verdict {badge(block.get('verdict'))} by {e(str(block.get('method', '')))}.</p>")
        # its timing is left out: the page is identical between identical runs apart from per-check times
        parts.append(kv_table(summary, "verification", {k: v for k, v in block.items() if k != "seconds"}))
    v = verification or {}
    links = " · ".join(link(n) for n in ("verification.md", "verification.html", "verification.json")
                       if folder.has(n))
    if links:
        parts.append(f"<p>Reports: {links}</p>")
    if v.get("tools"):
        parts.append(f'<p class="muted">tools: {e(", ".join(f"{k} {t}" for k, t in v["tools"].items()))}</p>')
    modules = [m for m in v.get("modules", []) if isinstance(m, dict)]
    if modules:
        parts.append("<h3>Per shape</h3>" + _shape_table(modules, drawn))
    if v.get("whole_system"):
        parts.append("<h3>Whole system</h3>" + generic(_untimed(v["whole_system"])))
    known = {"summary", "method", "verdict", "seconds", "tools", "config", "whole_system", "modules"}
    for key, value in v.items():
        if key not in known:
            parts.append(f"<h3>{e(key.replace('_', ' '))}</h3>{generic(_untimed(value))}")
    return section("verification", "Verification", "".join(parts))


def _shape_table(modules: list[dict], drawn: bool) -> str:
    rows = []
    for k, m in enumerate(modules):
        checks = "<br>".join(f"{e(str(c.get('method')))}: {badge(c.get('verdict'))} "
                             f"({float(c.get('seconds') or 0):.3g} s)" + (f" {e(str(c['detail']))}" if c.get("detail")
                                                                          else "")
                             for c in m.get("checks") or [] if isinstance(c, dict))
        details = []
        if m.get("reactions"):
            details.append("<b>condensed reactions</b><pre>" + e("\n".join(map(str, m["reactions"]))) + "</pre>")
        if m.get("interpretation"):
            details.append("<b>interpretation</b>" + generic(m["interpretation"]))
        if m.get("counterexample") is not None:
            details.append('<b class="bad">counterexample</b><pre>'
                           + e(json.dumps(m["counterexample"], indent=1, ensure_ascii=False)) + "</pre>")
        if m.get("note"):
            details.append(f"<p>{e(str(m['note']))}</p>")
        extra = {k: v for k, v in m.items() if k not in {"shape", "representative", "instances", "verdict", "method",
                                                         "interpretation", "counterexample", "seconds", "formal",
                                                         "reactions", "fuels", "members", "checks", "note"}}
        if extra:
            details.append(generic(extra))
        cell = f"<details><summary>details</summary>{''.join(details)}</details>" if details else ""
        shape = e(str(m.get("shape", "")))
        rows.append([f'<a href="#shape-{k}">{shape}</a>' if drawn else shape, f"{int(m.get('instances') or 0):,}",
                     badge(m.get("verdict")),
                     checks, f"<code>{e(str(m.get('formal', '')))}</code>", cell])
    return data_table("verification-table", ["shape", "modules", "verdict", "checks", "representative", ""], rows,
                      raw=True)


def _untimed(value: object) -> object:
    """A verification block without its timings (``seconds``, ``*_seconds``, not budgets): same run, same page."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items()
                if not (k == "seconds" or (k.endswith("_seconds") and not k.startswith("budget")))}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def generic(value: object, depth: int = 0) -> str:
    """Any JSON value as HTML: tables for dicts and lists of dicts, JSON text for the rest."""
    if isinstance(value, dict) and depth < 3:
        rows = "".join(f"<tr><th>{e(str(k))}</th><td>{generic(v, depth + 1)}</td></tr>" for k, v in value.items())
        return f'<table class="kv">{rows}</table>'
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value) and depth < 2:
        keys = list(dict.fromkeys(k for x in value for k in x))
        body = [[generic(x.get(k), depth + 2) if isinstance(x.get(k), (dict, list)) else
                 (badge(x.get(k)) if k == "verdict" else e(str(x.get(k, "")))) for k in keys] for x in value[:500]]
        return data_table(None, keys, body, total=len(value), raw=True, search=False)
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    if len(text) > 2000:
        return f"<details><summary>{len(text):,} characters</summary><pre>{e(text)}</pre></details>"
    return f"<code>{e(text)}</code>" if not isinstance(value, str) else e(text)
