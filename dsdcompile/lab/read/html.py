"""index.html of a reading folder: the calls, calibration and fit at a glance, with the plots (no scripts)."""

from __future__ import annotations

from html import escape


def _table(columns, rows) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def reading_html(summary: dict, columns, rows, images) -> str:
    """The page (``rows`` as reading.csv's, ``images`` the PNG names written beside it)."""
    n = summary["samples"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Plate reading</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "tr.miss td{background:#fde2e2}img{max-width:100%}</style></head><body>",
        "<h1>Plate reading</h1>",
        f"<p>{escape(str(summary['readings']))} ({escape(summary['reader_format'])}) against design "
        f"{escape(str(summary['design']))} (id {escape(summary['design_id'])}), read at "
        f"{summary['read_time_h']:.3g} h.</p>",
        f"<p><strong>{summary['expected_class_agreement']} of {n} samples read the class wells.csv expects</strong>; "
        f"{summary['network_class_agreement']} agree with the network.</p>",
        "<h2>Calibration</h2>",
        _table(["group", "dye", "intercept", "slope per nM", "saturation nM", "R²", "problems"],
               [[c["group"], c["dye"], c["intercept"], c["slope_per_nM"],
                 "none" if c["saturation_nM"] is None else c["saturation_nM"], c["r2"],
                 "; ".join(c["problems"]) or "ok"] for c in summary["calibrations"]]),
    ]
    if "calibration.png" in images:
        parts.append("<p><img src='calibration.png' alt='calibration curves'></p>")
    if "fit" in summary:
        f = summary["fit"]
        parts += ["<h2>The tube model fitted to the traces</h2>",
                  _table(["parameter", "fitted", "95 % low", "95 % high", "planned"],
                         [[k, v["value"], v["low"], v["high"], v["planned"]] for k, v in f["parameters"].items()]),
                  f"<p>RMS error {f['rmse_fit_nM']:.3g} nM on the {len(f['fit_samples'])} fitted samples, "
                  f"{f['rmse_held_out_nM']:.3g} nM on the {len(f['held_out'])} held-out samples (planned parameters: "
                  f"{f['rmse_held_out_planned_nM']:.3g} nM).</p>"]
        parts += [f"<p>Note: {escape(note)}</p>" for note in f["notes"]]
    parts.append("<h2>Samples</h2>")
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(f"<tr class='{'miss' if r['predicted_class'] != r['expected_class'] else ''}'>"
                   + "".join(f"<td>{escape(_cell(r[c]))}</td>" for c in columns) + "</tr>" for r in rows)
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    for img in images:
        if img.startswith("traces_"):
            parts.append(f"<h3>{escape(img)}</h3><p><img src='{escape(img)}' alt='measured and simulated traces'></p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


__all__ = ["reading_html"]
