"""A safe renderer for the Markdown the design folder holds (reports, protocol): headings, tables, lists, code.

Everything is escaped first; links and images keep only targets that are files of the folder
(or http(s) links), so the page never points at something that is not there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def _inline(text: str, exists: Callable[[str], bool]) -> str:
    codes: list[str] = []

    def keep_code(m: re.Match) -> str:
        codes.append(f"<code>{html.escape(m.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep_code, text)

    def repl(m: re.Match) -> str:
        bang, label, target = m.groups()
        local = not re.match(r"^[a-z]+:", target)
        path = target.split("#")[0]
        if local and not exists(path):
            return html.escape(label or target)
        if not local and not target.startswith(("http://", "https://")):
            return html.escape(label)
        t = html.escape(target, quote=True)
        if bang:
            return f'<img src="{t}" alt="{html.escape(label, quote=True)}">'
        return f'<a href="{t}">{html.escape(label)}</a>'

    parts = []
    pos = 0
    for m in _LINK.finditer(text):
        parts.append(html.escape(text[pos:m.start()], quote=False))
        parts.append(repl(m))
        pos = m.end()
    parts.append(html.escape(text[pos:], quote=False))
    out = "".join(parts)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], out)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def render_markdown(text: str, exists: Callable[[str], bool], *, shift: int = 2, max_rows: int = 500) -> str:
    """HTML for ``text``; headings move down ``shift`` levels (# → h3); tables keep ``max_rows`` rows."""
    lines = text.splitlines()
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para), exists)}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            out.append(f"<pre>{html.escape(chr(10).join(lines[i + 1:j]))}</pre>")
            i = j + 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if m:
            flush()
            level = min(6, len(m.group(1)) + shift)
            out.append(f"<h{level}>{_inline(m.group(2), exists)}</h{level}>")
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-{2,}", lines[i + 1].strip()):
            flush()
            head = _cells(stripped)
            j = i + 2
            body = []
            while j < len(lines) and lines[j].strip().startswith("|"):
                body.append(_cells(lines[j]))
                j += 1
            rows = "".join("<tr>" + "".join(f"<td>{_inline(c, exists)}</td>" for c in r) + "</tr>"
                           for r in body[:max_rows])
            more = (f'<p class="note">first {max_rows:,} of {len(body):,} rows</p>' if len(body) > max_rows else "")
            out.append('<div class="scroll"><table class="data"><thead><tr>'
                       + "".join(f"<th>{_inline(c, exists)}</th>" for c in head)
                       + f"</tr></thead><tbody>{rows}</tbody></table></div>{more}")
            i = j
            continue
        if re.match(r"^([-*+]|\d+[.)])\s+", stripped):
            flush()
            ordered = bool(re.match(r"^\d", stripped))
            items = []
            while i < len(lines) and re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]):
                item = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", lines[i])
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() and \
                        not re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]):
                    item += " " + lines[i].strip()
                    i += 1
                items.append(f"<li>{_inline(item, exists)}</li>")
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>{''.join(items)}</{tag}>")
            continue
        if not stripped:
            flush()
        else:
            para.append(stripped)
        i += 1
    flush()
    return "\n".join(out)
