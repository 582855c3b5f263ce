"""Small HTML helpers shared by the report's sections: escaping, figures tied to summary.json, tables, links."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from importlib import resources

from dsdcompile.report.folder import Folder, dig

e = html.escape
BIG_TABLE = 100  # rows above which a table is laid out lazily (see report.css)


def asset(name: str) -> str:
    """A file of dsdcompile/report/assets (the report's stylesheet and script), as text."""
    return resources.files("dsdcompile.report").joinpath("assets", name).read_text(encoding="utf-8")


def fmt(value: object, kind: str = "auto") -> str:
    """A number as the page shows it. ``kind``: int (thousands separators), pct (× 100, 2 decimals),
    sig (4 significant digits), json (exact JSON), auto (by type)."""
    if kind == "json" or isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{100 * value:.2f} %"
    if isinstance(value, int) or (kind == "int" and isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def figure(summary: dict | None, key: str, kind: str = "auto") -> str:
    """A value of summary.json, marked ``data-key``/``data-value`` so tests can check what the page shows."""
    value = dig(summary, key)
    return (f'<span class="fig" data-key="{e(key)}" data-format="{kind}" '
            f'data-value="{e(json.dumps(value, ensure_ascii=False))}">{e(fmt(value, kind))}</span>')


def label(key: str) -> str:
    """A readable label from a summary key: ``t90_hours_median`` → ``t90 hours median``."""
    return key.replace("_", " ")


def kv_table(summary: dict | None, prefix: str, block: dict, *, skip: Iterable[str] = (),
             formats: dict[str, str] | None = None) -> str:
    """Every key of a summary block as a two-column table (nested blocks as exact JSON)."""
    formats = formats or {}
    rows = []
    for k, v in block.items():
        if k in skip:
            continue
        kind = formats.get(k, "json" if isinstance(v, (list, dict)) else "auto")
        cell = figure(summary, f"{prefix}.{k}", kind)
        if kind == "json" and len(cell) > 600:
            cell = f'<details><summary>{len(json.dumps(v)):,} characters</summary>{cell}</details>'
        rows.append(f"<tr><th>{e(label(k))}</th><td>{cell}</td></tr>")
    return f'<table class="kv">{"".join(rows)}</table>' if rows else ""


def data_table(table_id: str | None, header: Sequence[str], rows: Iterable[Sequence[str]], *, total: int | None = None,
               source: str | None = None, row_class=None, search: bool = True, raw: bool = False) -> str:
    """A searchable table; ``total`` > shown rows adds a note naming the file with all of them.

    Cells are escaped unless ``raw``; ``row_class(row)`` may return a CSS class per row.
    """
    body = []
    shown = 0
    for row in rows:
        shown += 1
        cls = row_class(row) if row_class else ""
        cells = "".join(f"<td>{c if raw else e(str(c))}</td>" for c in row)
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    note = ""
    if total is not None and total > shown:
        where = f" (all in {link(source)})" if source else ""
        note = f'<p class="note">first {shown:,} of {total:,} rows shown{where}</p>'
    tools = (f'<input type="search" class="filter" data-filter="{e(table_id)}" placeholder="search {shown:,} rows" '
             f'aria-label="search table">') if search and table_id and shown > 5 else ""
    tid = f' id="{e(table_id)}"' if table_id else ""
    big = " big" if shown > BIG_TABLE else ""
    return (f'{tools}<div class="scroll{big}"><table class="data"{tid}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{note}')


def link(name: str | None, text: str | None = None) -> str:
    if not name:
        return ""
    return f'<a href="{e(_href(name))}">{e(text or name)}</a>'


def _href(name: str) -> str:
    # relative to index.html; percent-encode what a URL cannot hold literally
    return re.sub(r"[^A-Za-z0-9._~/-]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), name)


def image(folder: Folder, name: str, alt: str) -> str:
    if not folder.has(name):
        return ""
    return (f'<figure class="img"><a href="{e(_href(name))}"><img src="{e(_href(name))}" alt="{e(alt)}">'
            f'</a><figcaption>{e(name)}</figcaption></figure>')


def badge(verdict: object) -> str:
    v = str(verdict)
    cls = {"equivalent": "ok", "not-equivalent": "bad", "inconclusive": "warn", "True": "ok",
           "False": "bad"}.get(v, "")
    return f'<span class="badge {cls}">{e(v)}</span>'



def section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{e(section_id)}"><h2>{e(title)}</h2>{body}</section>'
