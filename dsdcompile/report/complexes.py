"""The complexes of a design as drawings: one SVG template per layout, static figures, and the page's JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dsdcompile.report.folder import ComplexRows
from dsdcompile.report.html_util import e
from dsdcompile.report.layout import ComplexSpec, LayoutError, StrandSpec, layout, layout_key, to_svg

RELEASED_ROLES = ("signal", "helper")  # strands.csv roles of strands a fuel releases as a formal species


@dataclass
class Entry:
    """One drawable complex: its spec, layout index and what the caption says."""

    spec: ComplexSpec
    layout: int
    role: str = ""
    part: str = ""
    module: str = ""
    concentration: str = ""
    strand_rows: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Catalogue:
    """Drawable complexes and their layouts; ``failed`` maps complexes that could not be drawn to the reason."""

    templates: list[str] = field(default_factory=list)
    drawings: list = field(default_factory=list)
    keys: dict[tuple, int] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def add(self, spec: ComplexSpec, **meta) -> None:
        """Lay out ``spec`` with the catalogue's domain lengths and kinds (one layout per shape of drawing)."""
        try:
            key = layout_key(spec, self.lengths, self.kinds)
            if key not in self.keys:
                drawing = layout(spec, self.lengths, self.kinds)
                self.keys[key] = len(self.templates)
                self.templates.append(to_svg(drawing))
                self.drawings.append(drawing)
        except LayoutError as err:
            self.failed[spec.name] = str(err)
            return
        self.entries[spec.name] = Entry(spec, self.keys[key], **meta)

    def figure(self, name: str) -> str:
        """The static figure of a complex: filled SVG and a caption naming its strands."""
        if name in self.failed:
            return f'<p class="warn">{e(name)}: cannot draw: {e(self.failed[name])}</p>'
        entry = self.entries.get(name)
        if entry is None:
            return f'<p class="note">{e(name)}: not in complexes.csv</p>'
        domains = [d for s in entry.spec.strands for d in s.domains]
        svg = to_svg(self.drawings[entry.layout], domains, title=name)
        return (f'<figure class="cxfig" data-complex="{e(name)}"><div class="svgwrap">{svg}</div>'
                f"{caption(entry)}</figure>")

    def page_data(self) -> dict:
        """The compact JSON the page's script draws from (only the complexes included here)."""
        strands: list[list] = []
        index: dict[str, int] = {}
        complexes = {}
        for name, entry in self.entries.items():
            ids = []
            for s, row in zip(entry.spec.strands, entry.strand_rows):
                if s.name not in index:
                    index[s.name] = len(strands)
                    strands.append([s.name, " ".join(s.domains), row.get("length_nt", ""), row.get("role", ""),
                                    row.get("sequence", "")])
                ids.append(index[s.name])
            complexes[name] = [entry.layout, ids, entry.role, entry.part, entry.module, entry.concentration,
                               [int(s.released) for s in entry.spec.strands]]
        return {"layouts": self.templates, "complexes": complexes, "strands": strands}


def caption(entry: Entry) -> str:
    """The caption under a drawing; the page's script builds the same one for drawings on demand."""
    bits = [b for b in (entry.part, entry.role, f"module {entry.module}" if entry.module else "",
                        f"{entry.concentration} (relative)" if entry.concentration else "") if b]
    items = []
    for k, (s, row) in enumerate(zip(entry.spec.strands, entry.strand_rows)):
        rel = " released" if s.released else ""
        seq = row.get("sequence") or ""
        items.append(f'<li class="{"rel" if s.released else ""}"><b>{k + 1}</b> {e(s.name)} · '
                     f'{e(row.get("length_nt", "?"))} nt · {e(row.get("role", ""))}{rel}: '
                     f'<span class="doms">{e(" ".join(s.domains))}</span>'
                     + (f'<br><code class="seq">{e(seq)}</code>' if seq else "") + "</li>")
    return (f'<figcaption><b>{e(entry.spec.name)}</b> <span class="muted">{e(" · ".join(bits))}</span>'
            f'<ol class="strands">{"".join(items)}</ol></figcaption>')


def catalogue_from_rows(rows: ComplexRows) -> Catalogue:
    """Every complex kept from complexes.csv, drawn from strands.csv and domains.csv."""
    cat = Catalogue(lengths=rows.lengths, kinds=rows.kinds)
    for name, row in rows.complexes.items():
        names = [s for s in (row.get("strands") or "").split("+") if s]
        missing = [s for s in names if s not in rows.strands]
        if not names or missing:
            cat.failed[name] = f"strand {missing[0] if missing else '?'} not in strands.csv"
            continue
        fuel = row.get("role") == "fuel"
        strands = tuple(StrandSpec(s, tuple((rows.strands[s].get("domains") or "").split()),
                                   fuel and rows.strands[s].get("role") in RELEASED_ROLES) for s in names)
        cat.add(ComplexSpec(name, strands, row.get("structure") or ""), role=row.get("role", ""),
                part=row.get("part", ""), module=row.get("module", ""), concentration=row.get("concentration", ""),
                strand_rows=[rows.strands[s] for s in names])
    return cat


# -- drawings from the scheme, for folders without a strand list ---------------------------------------
_TERM = re.compile(r"^\s*(?:(\d+)\s+)?S(\d+)\s*$")


def shape_key(label: str) -> tuple[tuple[int, int], ...]:
    """The shape key of a label like ``soloveichik2010: S0 + S1 -> 2 S2`` (the inverse of ``shape_label``)."""
    body = label.split(":", 1)[-1]
    if "->" not in body:
        raise ValueError(f"cannot read shape {label!r}")
    counts: dict[int, list[int]] = {}
    for pos, side in enumerate(body.split("->", 1)):
        for term in side.split(" + "):
            if not term.strip() or term.strip() == "0":
                continue
            m = _TERM.match(term)
            if m is None:
                raise ValueError(f"cannot read term {term!r} of shape {label!r}")
            counts.setdefault(int(m.group(2)), [0, 0])[pos] += int(m.group(1) or 1)
    if sorted(counts) != list(range(len(counts))):
        raise ValueError(f"shape {label!r} does not number its species S0, S1, ...")
    return tuple(tuple(counts[k]) for k in range(len(counts)))


def add_scheme_drawings(cat: Catalogue, scheme: str, module: dict, shape: int, toehold_nt: int | None = None,
                        branch_nt: int | None = None) -> list[str]:
    """Draw a shape's fuels from its scheme's template, with the template's placeholder names.

    Used when the folder has no complexes.csv (MNIST's committed folder keeps only the summary
    and the verification): domains are named as in the shape label (``S0-a`` is domain ``a`` of
    the shape's species S0, ``p0`` a module-private domain), complexes ``shape<k>-f<j>``. Only
    built-in schemes are used: loading a scheme file named in a summary would run code from it.
    Returns the complex names added; raises LookupError/ValueError when the shape cannot be rebuilt.
    """
    from translation_schemes import BUILTIN

    if scheme not in BUILTIN:
        raise LookupError(f"scheme {scheme!r} is not built in; its drawings need complexes.csv")
    from dsdcompile.dsd.outputs import _strand_roles
    from dsdcompile.dsd.schemes import load_scheme
    from dsdcompile.dsd.templates import build_template

    sch = load_scheme(scheme, toehold_nt=toehold_nt, branch_nt=branch_nt)
    tpl = build_template(sch, shape_key(str(module.get("shape") or "")))
    lengths = {d.name: d.length for d in tpl.domains}
    cat.lengths.update(lengths)
    cat.kinds.update({d.name: d.kind for d in tpl.domains})
    added = []
    for f, released in zip(tpl.fuels, _strand_roles(tpl, sch.has_history)):
        name = f"shape{shape + 1}-{f.name}"
        strands = tuple(StrandSpec(f"{name}.{k}", s, r is not None)
                        for k, (s, r) in enumerate(zip(f.strands, released)))
        rows = [{"length_nt": str(sum(lengths[d.rstrip("*")] for d in s.domains)),
                 "role": "signal" if s.released else "fuel"} for s in strands]
        cat.add(ComplexSpec(name, strands, f.structure), role="fuel", part=f.part, strand_rows=rows)
        added.append(name)
    return added


def page_json(cat: Catalogue) -> str:
    """The page data as JSON that is safe inside a <script> element."""
    text = json.dumps(cat.page_data(), ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")
