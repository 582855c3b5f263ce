"""Weight matrices as heat maps: an SVG grid with values for small layers, an embedded PNG for large ones."""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Sequence

import numpy as np

SVG_CELLS = 1200  # layers with more weights become a PNG
NEG, ZERO, POS = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([178, 24, 43])


def colours(w: np.ndarray, scale: float) -> np.ndarray:
    """RGB (uint8) per weight: blue for negative, white for 0, red for positive, saturating at ±scale."""
    t = np.clip(w / (scale or 1.0), -1.0, 1.0)[..., None]
    rgb = np.where(t < 0, ZERO + (NEG - ZERO) * -t, ZERO + (POS - ZERO) * t)
    return np.round(rgb).astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    """A minimal PNG (8-bit RGB, no filter) of an (h, w, 3) uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def heatmap(weight: Sequence[Sequence[float]], bias: Sequence[float] | None, *, title: str,
            rows: Sequence[str] = (), cols: Sequence[str] = ()) -> str:
    """HTML for one dense layer: rows are the layer's units, columns its inputs, then the bias column."""
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 2 or w.size == 0:
        return f"<p>{html.escape(title)}: no weights</p>"
    b = np.asarray(bias if bias is not None else np.zeros(w.shape[0]), dtype=np.float64).reshape(-1)
    ternary = bool(np.isin(w, (-1.0, 0.0, 1.0)).all())
    scale = 1.0 if ternary else float(np.abs(w).max() or 1.0)
    bscale = float(np.abs(b).max() or 1.0)
    n_out, n_in = w.shape
    legend = ("blue −1, white 0, red +1" if ternary else f"blue −{scale:.3g} … red +{scale:.3g}")
    caption = (f"<figcaption>{html.escape(title)}: {n_out} × {n_in} weights ({legend}); "
               f"last column: bias (±{bscale:.3g})</figcaption>")
    if w.size <= SVG_CELLS:
        cell = max(8, min(22, 480 // max(n_in + 2, 1)))
        rgb, brgb = colours(w, scale), colours(b, bscale)
        parts = [f'<svg class="heat" width="{(n_in + 2) * cell}" height="{n_out * cell}" role="img">'
                 f"<title>{html.escape(title)}</title>"]
        for i in range(n_out):
            for j in range(n_in + 1):
                c = rgb[i, j] if j < n_in else brgb[i]
                v = w[i, j] if j < n_in else b[i]
                x = (j + (1 if j == n_in else 0)) * cell
                name = (f"{rows[i] if i < len(rows) else i} ← {cols[j] if j < len(cols) else j}" if j < n_in
                        else f"bias of {rows[i] if i < len(rows) else i}")
                parts.append(f'<rect x="{x}" y="{i * cell}" width="{cell - 1}" height="{cell - 1}" '
                             f'fill="rgb({c[0]},{c[1]},{c[2]})"><title>{html.escape(name)}: {v:.4g}</title></rect>')
        parts.append("</svg>")
        return f'<figure class="heat">{"".join(parts)}{caption}</figure>'
    rgb = np.concatenate([colours(w, scale), np.full((n_out, 1, 3), 255, np.uint8), colours(b, bscale)[:, None]],
                         axis=1)
    data = base64.b64encode(png(rgb)).decode()
    zoom = max(1, min(4, 720 // (n_in + 2)))
    return (f'<figure class="heat"><img class="pixel" width="{(n_in + 2) * zoom}" height="{n_out * zoom}" '
            f'alt="{html.escape(title)}" src="data:image/png;base64,{data}">{caption}</figure>')
