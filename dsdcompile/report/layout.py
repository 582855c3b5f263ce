"""Domain-level drawings of DNA complexes: a layout from strands and dot-bracket structure, rendered as SVG.

A strand-displacement gate is mostly one long *bottom* strand with short *top* strands bound
along it. When a complex has that shape (one strand takes part in every base pair and the
others pair only with it) it is drawn as a duplex ladder: the bottom strand on the lower line,
3' end on the left, so that the top strands read 5'→3' left to right above the domains they
pair with; a top strand's unpaired ends rise diagonally as overhangs (raised further when two
would overlap), unpaired stretches inside it bulge upwards. Any other structure (hairpins,
strands bound to strands that are not the bottom one) is drawn as an arc diagram: every strand
5'→3' on one line, paired domains joined by arcs. Both are exact about what pairs with what;
lengths along the lines are proportional to nucleotides, diagonals are schematic.

The geometry depends only on the *layout key* (structure, domain lengths and kinds, which
strands are released), never on domain names, so the report renders one SVG template per key
and fills in names and colours per complex (here for static drawings, in the page's script for
drawings on demand). Domain colours come from a hash of the domain name that the script
reproduces (:func:`domain_colour`), so a domain and its complement get the same colour.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from dsdcompile.dsd.notation import pair_table as dot_bracket_pairs

NT_PX = 7.0          # pixels per nucleotide along a line
DUPLEX_GAP = 14.0    # distance between the top and bottom line of a duplex
LEVEL_PX = 26.0      # rise of one overhang level
LABEL_PX = 9.0       # font size of domain labels
MARGIN = 12.0
STRAND_GAP = 18.0    # between strands in an arc diagram
DEFAULT_LENGTH = 10  # a domain domains.csv does not list


@dataclass(frozen=True)
class StrandSpec:
    """One strand of a complex: its name, domains 5'→3' (``x*`` is the complement of ``x``), released flag."""

    name: str
    domains: tuple[str, ...]
    released: bool = False


@dataclass(frozen=True)
class ComplexSpec:
    """A complex as the design folder lists it: strands in order and the domain-level dot-bracket structure."""

    name: str
    strands: tuple[StrandSpec, ...]
    structure: str


@dataclass(frozen=True)
class Segment:
    """One domain drawn as a polyline; ``domain`` indexes the complex's domains in strand order."""

    points: tuple[tuple[float, float], ...]
    domain: int
    kind: str
    label: tuple[float, float] | None  # None: a paired top domain, named by its complement below


@dataclass(frozen=True)
class Drawing:
    """The geometry of a complex, independent of its domain names."""

    width: float
    height: float
    style: str                                   # "ladder", "arcs" or "single"
    segments: tuple[Segment, ...]
    rungs: tuple[tuple[float, float, float], ...]  # (x, y_top, y_bottom) base-pair ticks
    arcs: tuple[tuple[float, float, float, float], ...]  # (x1, x2, y, height) pair arcs (arc diagrams)
    arrows: tuple[tuple[float, float, float], ...]  # (x, y, direction ±1) 3' arrowheads along x
    arrow_tips: tuple[tuple[float, float, float, float], ...]  # (x, y, dx, dy) 3' arrowheads on diagonals
    strand_labels: tuple[tuple[float, float, int, str], ...]  # (x, y, strand, anchor)
    released: tuple[bool, ...]


class LayoutError(ValueError):
    """The structure does not fit the strands (wrong length, unbalanced brackets)."""


def layout_key(spec: ComplexSpec, lengths: dict[str, int], kinds: dict[str, str]) -> tuple:
    """Everything the geometry depends on: equal keys give identical drawings up to names."""
    return (spec.structure, tuple(tuple((_length(d, lengths), _kind(d, kinds)) for d in s.domains)
                                  for s in spec.strands), tuple(s.released for s in spec.strands))


def _length(d: str, lengths: dict[str, int]) -> int:
    return int(lengths.get(d.rstrip("*"), DEFAULT_LENGTH))


def _kind(d: str, kinds: dict[str, str]) -> str:
    return kinds.get(d.rstrip("*"), "branch")


def _staggers(domains: Sequence[str], kinds: dict[str, str]) -> list[float]:
    """Label offsets: a toehold's label sits one row further out (a 5-nt domain is narrower than its
    name), unless the domain before it was moved already."""
    out: list[float] = []
    for d in domains:
        moved = _kind(d, kinds) == "toehold" and not (out and out[-1])
        out.append(LABEL_PX + 1 if moved else 0.0)
    return out


def pair_table(spec: ComplexSpec) -> list[int | None]:
    """Partner of each domain (flat index, strands in order) from the dot-bracket structure."""
    parts = spec.structure.split("+")
    if len(parts) != len(spec.strands) or any(len(p) != len(s.domains) for p, s in zip(parts, spec.strands)):
        raise LayoutError(f"{spec.name}: structure {spec.structure!r} does not fit its "
                          f"{len(spec.strands)} strands of {[len(s.domains) for s in spec.strands]} domains")
    try:
        return dot_bracket_pairs(spec.structure)
    except ValueError as e:
        raise LayoutError(f"{spec.name}: {e}") from None


def layout(spec: ComplexSpec, lengths: dict[str, int], kinds: dict[str, str]) -> Drawing:
    """The drawing of a complex: a duplex ladder when it has that shape, an arc diagram otherwise."""
    pairs = pair_table(spec)
    owner = [i for i, s in enumerate(spec.strands) for _ in s.domains]
    if all(p is None for p in pairs) and len(spec.strands) == 1:
        return _single(spec, lengths, kinds)
    bottom = _bottom_strand(spec, pairs, owner)
    if bottom is None or _pinched_bulge(spec, pairs, owner, bottom):
        return _arcs(spec, pairs, lengths, kinds)
    return _ladder(spec, pairs, bottom, lengths, kinds)


def _pinched_bulge(spec: ComplexSpec, pairs: list[int | None], owner: list[int], bottom: int) -> bool:
    """A top strand loops out between partners that are neighbours on the bottom strand: no room on a ladder."""
    for k, p in enumerate(pairs):
        if p is None or owner[k] == bottom:
            continue
        nxt = next((j for j in range(k + 1, len(pairs)) if owner[j] == owner[k] and pairs[j] is not None), None)
        if nxt is not None and nxt - k > 1 and abs(pairs[nxt] - p) == 1:
            return True
    return False


def _bottom_strand(spec: ComplexSpec, pairs: list[int | None], owner: list[int]) -> int | None:
    """The strand in every base pair, if the others pair only with it (no hairpins, no top-top pairs)."""
    edges = {(owner[k], owner[p]) for k, p in enumerate(pairs) if p is not None}
    if not edges or any(a == b for a, b in edges):
        return None
    partners = [{b for a, b in edges if a == i} for i in range(len(spec.strands))]
    candidates = []
    for i, ps in enumerate(partners):
        others = set(range(len(spec.strands))) - {i}
        if ps == others and all(partners[j] == {i} for j in others):
            candidates.append(i)
    if not candidates:
        return None
    # two strands: both qualify; gates are written with the complements on the bottom (template) strand
    return max(candidates, key=lambda i: (sum(d.endswith("*") for d in spec.strands[i].domains), -i))


class _Builder:
    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.rungs: list[tuple[float, float, float]] = []
        self.arcs: list[tuple[float, float, float, float]] = []
        self.arrows: list[tuple[float, float, float]] = []
        self.tips: list[tuple[float, float, float, float]] = []
        self.labels: list[tuple[float, float, int, str]] = []

    def segment(self, points: Sequence[tuple[float, float]], domain: int, kind: str,
                label: tuple[float, float] | None) -> None:
        self.segments.append(Segment(tuple(points), domain, kind, label))

    def finish(self, style: str, released: tuple[bool, ...]) -> Drawing:
        xs = [x for s in self.segments for x, _ in s.points] + [x for x, *_ in self.labels]
        ys = [y for s in self.segments for _, y in s.points] + [s.label[1] for s in self.segments if s.label]
        ys += [y - h for *_, y, h in self.arcs]
        x0, y0 = min(xs) - MARGIN, min(ys) - MARGIN - LABEL_PX
        dx, dy = -x0, -y0

        def mv(p: tuple[float, float]) -> tuple[float, float]:
            return (round(p[0] + dx, 1), round(p[1] + dy, 1))

        segments = tuple(Segment(tuple(mv(p) for p in s.points), s.domain, s.kind, s.label and mv(s.label))
                         for s in self.segments)
        width = max(xs) + dx + MARGIN + 20
        height = max(ys) + dy + MARGIN + LABEL_PX
        return Drawing(round(width, 1), round(height, 1), style, segments,
                       tuple((round(x + dx, 1), round(a + dy, 1), round(b + dy, 1)) for x, a, b in self.rungs),
                       tuple((round(a + dx, 1), round(b + dx, 1), round(y + dy, 1), round(h, 1))
                             for a, b, y, h in self.arcs),
                       tuple((round(x + dx, 1), round(y + dy, 1), d) for x, y, d in self.arrows),
                       tuple((round(x + dx, 1), round(y + dy, 1), ddx, ddy) for x, y, ddx, ddy in self.tips),
                       tuple((round(x + dx, 1), round(y + dy, 1), s, a) for x, y, s, a in self.labels),
                       released)


def _single(spec: ComplexSpec, lengths: dict[str, int], kinds: dict[str, str]) -> Drawing:
    b = _Builder()
    x, y = 0.0, 0.0
    lift = _staggers(spec.strands[0].domains, kinds)
    for k, d in enumerate(spec.strands[0].domains):
        w = _length(d, lengths) * NT_PX
        b.segment([(x, y), (x + w, y)], k, _kind(d, kinds), (x + w / 2, y - 5 - lift[k]))
        x += w
    b.arrows.append((x, y, 1.0))
    b.labels.append((-5.0, y + 3, 0, "end"))
    return b.finish("single", tuple(s.released for s in spec.strands))


def _arcs(spec: ComplexSpec, pairs: list[int | None], lengths: dict[str, int], kinds: dict[str, str]) -> Drawing:
    b = _Builder()
    x, y, k = 0.0, 0.0, 0
    centre: list[float] = []
    for i, s in enumerate(spec.strands):
        b.labels.append((x, y + 3 * LABEL_PX + 8, i, "start"))
        for d, drop in zip(s.domains, _staggers(s.domains, kinds)):
            w = _length(d, lengths) * NT_PX
            b.segment([(x, y), (x + w, y)], k, _kind(d, kinds), (x + w / 2, y + LABEL_PX + 4 + drop))
            centre.append(x + w / 2)
            x += w
            k += 1
        b.arrows.append((x, y, 1.0))
        x += STRAND_GAP
    for k, p in enumerate(pairs):
        if p is not None and k < p:
            b.arcs.append((centre[k], centre[p], y - 4, min(0.45 * (centre[p] - centre[k]), 120.0) + 8))
    return b.finish("arcs", tuple(s.released for s in spec.strands))


def _ladder(spec: ComplexSpec, pairs: list[int | None], bottom: int, lengths: dict[str, int],
            kinds: dict[str, str]) -> Drawing:
    b = _Builder()
    starts = [0]
    for s in spec.strands:
        starts.append(starts[-1] + len(s.domains))
    y_top, y_bot = 0.0, DUPLEX_GAP
    # bottom strand right to left: 5' end on the right, its domain j spans [xl[j], xr[j]]
    bdoms = spec.strands[bottom].domains
    widths = [_length(d, lengths) * NT_PX for d in bdoms]
    total = sum(widths)
    xr, xl = [], []
    edge = total
    for w in widths:
        xr.append(edge)
        xl.append(edge - w)
        edge -= w
    drops = _staggers(bdoms[::-1], kinds)[::-1]  # alternate in drawing order, left to right
    for j, d in enumerate(bdoms):
        k = starts[bottom] + j
        below = y_bot + LABEL_PX + 4 + drops[j]
        b.segment([(xr[j], y_bot), (xl[j], y_bot)], k, _kind(d, kinds), ((xl[j] + xr[j]) / 2, below))
        if pairs[k] is not None:
            n = _length(d, lengths)
            for t in range(n):
                x = xl[j] + (t + 0.5) * widths[j] / n
                b.rungs.append((x, y_top + 2.5, y_bot - 2.5))
    b.arrows.append((0.0, y_bot, -1.0))
    b.labels.append((total + 5, y_bot + 3, bottom, "start"))

    occupied: dict[int, list[tuple[float, float]]] = {}

    def level_for(lo: float, hi: float) -> int:
        level = 1
        while any(lo < b2 and a2 < hi for a2, b2 in occupied.get(level, [])):
            level += 1
        occupied.setdefault(level, []).append((lo, hi))
        return level

    for i, s in enumerate(spec.strands):
        if i == bottom:
            continue
        base = starts[i]
        paired = [j for j in range(len(s.domains)) if pairs[base + j] is not None]
        pos = {j: pairs[base + j] - starts[bottom] for j in paired}  # bottom domain each top domain pairs with
        first, last = paired[0], paired[-1]
        for j in paired:
            m = pos[j]
            b.segment([(xl[m], y_top), (xr[m], y_top)], base + j, _kind(s.domains[j], kinds), None)
        # unpaired stretches between paired domains bulge upwards over their span
        for a, c in zip(paired, paired[1:]):
            if c - a > 1:
                lo, hi = xr[pos[a]], xl[pos[c]]
                inner = list(range(a + 1, c))
                ws = [_length(s.domains[j], lengths) for j in inner]
                lift = LEVEL_PX * level_for(lo, hi)
                xs = [lo + (hi - lo) * sum(ws[:n]) / sum(ws) for n in range(len(ws) + 1)]
                for n, j in enumerate(inner):
                    pts = [(xs[n], y_top - (lift if n else 0)), (xs[n + 1], y_top - (lift if n + 1 < len(ws) else 0))]
                    if len(inner) == 1:
                        pts = [(xs[0], y_top), ((xs[0] + xs[1]) / 2, y_top - lift), (xs[1], y_top)]
                    b.segment(pts, base + j, _kind(s.domains[j], kinds),
                              ((xs[n] + xs[n + 1]) / 2, y_top - lift - 5))
        # 5' overhang: rises to the left of the first paired domain
        x5 = xl[pos[first]]
        head = list(range(first))
        if head:
            x5 = _overhang(b, s.domains, head[::-1], base, x5, y_top, -1.0, lengths, kinds, level_for)
        if head:
            b.labels.append((x5 - 5, b.segments[-1].points[0][1] + 3, i, "end"))
        else:
            b.labels.append((x5 + 2, y_top - 5, i, "start"))
        # 3' overhang: rises to the right of the last paired domain, arrowhead at its end
        tail = list(range(last + 1, len(s.domains)))
        if tail:
            _overhang(b, s.domains, tail, base, xr[pos[last]], y_top, 1.0, lengths, kinds, level_for, arrow=True)
        else:
            b.arrows.append((xr[pos[last]], y_top, 1.0))
    return b.finish("ladder", tuple(s.released for s in spec.strands))


def _overhang(b: _Builder, domains: Sequence[str], order: list[int], base: int, x: float, y: float,
              direction: float, lengths: dict[str, int], kinds: dict[str, str], level_for, *,
              arrow: bool = False) -> float:
    """Draw unpaired end domains ``order`` (from the duplex outwards) rising diagonally then level.

    Returns the x of the far end. ``direction`` is +1 for a 3' end going right, -1 for a 5' end
    going left. Segment points always run 5'→3'.
    """
    ws = [_length(domains[j], lengths) * NT_PX for j in order]
    run = LEVEL_PX + sum(ws[1:])
    lo, hi = (x, x + direction * run) if direction > 0 else (x + direction * run, x)
    rise = LEVEL_PX * level_for(lo, hi)
    cx, cy = x, y
    lift = _staggers([domains[j] for j in order], kinds)
    for n, (j, w) in enumerate(zip(order, ws)):
        if n == 0:
            nx, ny = cx + direction * rise, cy - rise
        else:
            nx, ny = cx + direction * w, cy
        pts = [(cx, cy), (nx, ny)] if direction > 0 else [(nx, ny), (cx, cy)]
        label = ((cx + nx) / 2 + (-8 if n == 0 and direction > 0 else 8 if n == 0 else 0),
                 min(cy, ny) - 5 - (0 if n == 0 else lift[n]))
        b.segment(pts, base + j, _kind(domains[j], kinds), label)
        cx, cy = nx, ny
    if arrow:
        if len(order) == 1:
            b.tips.append((cx, cy, direction * 0.7071, -0.7071))
        else:
            b.arrows.append((cx, cy, direction))
    return cx


# -- colours and SVG -------------------------------------------------------------------------------
def domain_colour(domain: str) -> str:
    """A colour from the name (complements share it): FNV-1a over UTF-16 code units, as the page's script does."""
    h = 0x811C9DC5
    raw = domain.rstrip("*").encode("utf-16-le")
    for i in range(0, len(raw), 2):
        h ^= raw[i] | raw[i + 1] << 8
        h = (h * 0x01000193) & 0xFFFFFFFF
    return f"hsl({h % 360},{55 + (h >> 9) % 25}%,{38 + (h >> 17) % 14}%)"


STROKE = {"toehold": 2.2, "branch": 4.5, "history": 4.5}


def to_svg(drawing: Drawing, domains: Sequence[str] | None = None, *, title: str = "") -> str:
    """The SVG of a drawing; with ``domains`` the names and colours are filled in, else it is a template.

    Template elements carry ``data-d`` (domain index); the page's script fills their text and
    stroke colour exactly as this function does. Strands are numbered 1, 2, ... at their 5' end
    (released strands in class ``rel``); the caption beside the drawing names them.
    """
    e = html.escape
    out = [f'<svg class="cx" xmlns="http://www.w3.org/2000/svg" width="{drawing.width:g}" '
           f'height="{drawing.height:g}" viewBox="0 0 {drawing.width:g} {drawing.height:g}" '
           f'data-style="{drawing.style}" role="img"><title>{e(title)}</title>']
    if drawing.rungs:
        d = "".join(f"M{x:g} {a:g}V{c:g}" for x, a, c in drawing.rungs)
        out.append(f'<path class="rung" d="{d}"/>')
    for x1, x2, y, h in drawing.arcs:
        out.append(f'<path class="arc" d="M{x1:g} {y:g}C{x1:g} {y - h:g} {x2:g} {y - h:g} {x2:g} {y:g}"/>')
    for s in drawing.segments:
        name = domains[s.domain] if domains is not None else ""
        colour = domain_colour(name) if domains is not None else "#888"
        pts = " ".join(f"{x:g},{y:g}" for x, y in s.points)
        out.append(f'<polyline class="dom {s.kind[:1]}" data-d="{s.domain}" points="{pts}" '
                   f'stroke="{colour}" stroke-width="{STROKE.get(s.kind, 4.5)}"/>')
    for x, y, direction in drawing.arrows:
        out.append(f'<path class="tip" d="M{x:g} {y:g}l{-7 * direction:g} -5v10z"/>')
    for x, y, dx, dy in drawing.arrow_tips:
        # a triangle pointing along (dx, dy)
        bx, by = x - 8 * dx, y - 8 * dy
        px, py = -dy * 5, dx * 5
        out.append(f'<path class="tip" d="M{x:g} {y:g}L{bx + px:.1f} {by + py:.1f}L{bx - px:.1f} {by - py:.1f}z"/>')
    for s in drawing.segments:
        if s.label is None:
            continue
        name = domains[s.domain] if domains is not None else ""
        out.append(f'<text class="dl {s.kind[:1]}" data-d="{s.domain}" x="{s.label[0]:g}" '
                   f'y="{s.label[1]:g}">{e(name)}</text>')
    for x, y, k, anchor in drawing.strand_labels:
        cls = "sl rel" if drawing.released[k] else "sl"
        out.append(f'<text class="{cls}" data-s="{k}" x="{x:g}" y="{y:g}" text-anchor="{anchor}">{k + 1}</text>')
    out.append("</svg>")
    return "".join(out)
