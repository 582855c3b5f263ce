"""The design folder's front page, README.md: what the design is, how to go from order to reading, every file.

Written last, from summary.json, so every figure on it is one the folder's files hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dsdcompile.runtime.files import md_escape
from dsdcompile.runtime.outputs import description

FIGURES = ("fluorescence.png", "kinetics_trajectories.png", "sequence_report.png")


def _fmt(v, spec: str = ".3g") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


REFERENCES = (
    "- M. Vasic, C. Chalk, S. Khurshid, D. Soloveichik. Deep Molecular Programming. ICML 2020.",
    "- D. Soloveichik, G. Seelig, E. Winfree. DNA as a universal substrate for chemical kinetics. "
    "PNAS 2010.",
    "- D. Y. Zhang, E. Winfree. Control of DNA strand displacement kinetics using toehold exchange. "
    "JACS 2009 (reporters; rate of strand displacement without a toehold, the planned leak).",
    "- L. Qian, E. Winfree. Scaling up digital circuit computation with DNA strand displacement cascades. "
    "Science 2011 (reporters, gate purification).",
    "- Y.-J. Chen et al. Programmable chemical controllers made from DNA. Nature Nanotechnology 2013 (leak).",
    "- C. Thachuk, E. Winfree, D. Soloveichik. Leakless DNA strand displacement systems. DNA 21, 2015 (leak "
    "pathways).",
)


def front_page(summary: Mapping) -> str:
    """README.md's text from a design's summary.json content."""
    files = list(summary.get("files", []))
    kin = summary.get("kinetics", {}) or {}
    lab = summary.get("lab", {}) or {}
    lines = _intro(summary, files, kin, lab)
    if "protocol.md" in files:
        lines += _basis(lab, kin) + _order_to_reading(files, lab)
    lines += ["## Figures", "", "| quantity | value |", "|---|---|"]
    lines += [f"| {a} | {md_escape(b)} |" for a, b, figures in _figure_rows(summary, kin, lab)
              if any(f is not None for f in figures)]
    lines += [""]
    for fig in FIGURES:
        if fig in files:
            lines += [f"![{fig}]({fig})", ""]
    lines += ["## Files", "", "| file | what it is |", "|---|---|"]
    for f in sorted(set(files) | {"README.md"}):
        lines.append(f"| [{md_escape(f)}]({f}) | {'this page' if f == 'README.md' else description(f)} |")
    lines += ["", "## References", ""] + list(REFERENCES)
    return "\n".join(lines) + "\n"


def _intro(summary: Mapping, files: list[str], kin: Mapping, lab: Mapping) -> list[str]:
    """The title, what the design is, and why there is no protocol when there is none."""
    net = summary.get("network", {})
    dsd = summary.get("dsd", {})
    ver = summary.get("verification", {})
    name = Path(str(summary.get("model", {}).get("path", "design"))).parent.name or "design"
    lines = [f"# DNA design: {md_escape(name)} ({md_escape(dsd.get('scheme', ''))})", ""]
    layers = net.get("layers")
    classes = net.get("class_names") or []
    lines += [f"A {'-'.join(map(str, layers)) if layers else ''} ReLU network compiled to a chemical reaction network "
              f"and a DNA strand-displacement design: {_fmt(dsd.get('strands'))} strands, "
              f"{_fmt(dsd.get('nucleotides'))} nt, verified **{ver.get('verdict', 'n/a')}** "
              f"({ver.get('method', '')}). Classes: {', '.join(md_escape(c) for c in classes)}.", ""]
    if lab.get("skipped"):
        lines += [f"**No wet-lab protocol:** {md_escape(lab['skipped'])}", ""]
    elif "protocol.md" not in files:
        why = (kin.get("skipped") or {}).get("kinetics") if isinstance(kin.get("skipped"), Mapping) else None
        lines += [f"**No wet-lab protocol:** {md_escape(why or 'the kinetics stage did not run')}"
                  + (" (compile again with `--inputs`, e.g. the model's test set: fuel is planned for the "
                     "examples the design must compute)" if why == "no --inputs examples" else ""), ""]
    return lines


def _basis(lab: Mapping, kin: Mapping) -> list[str]:
    """What the fuel covers: without --inputs every input of the model's input box, and what that costs against the
    test set (nothing for a design planned for --inputs examples)."""
    if lab.get("fuel_basis") != "input box":
        return []
    lines = ["## What the fuel covers", "",
             f"Compiled without `--inputs`: fuel and reporters are planned for **every input in the model's input "
             f"box** ({md_escape(str(lab.get('input_box_source')))}), from an upper bound of every reaction's firing "
             "over the box through the CRN (interval bounds, `dsdcompile.crn.bounds`). Kinetics and the tube were "
             f"simulated on {_fmt(lab.get('input_box_samples_simulated'))} inputs drawn from the box (its corners "
             "and random points); they are the plate's samples, as fuel-stress controls. Plan real samples with "
             "`dsdcompile mix THIS_FOLDER --inputs samples.csv`.", ""]
    if lab.get("bound_over_test_set") is None:
        lines += ["No test set was at hand to compare the bound with.", ""]
        return lines
    unit = lab.get("test_set_unit_nM")
    lines += [f"Against {md_escape(str(lab.get('test_set')))}: the bound asks for "
              f"**{_fmt(lab.get('bound_over_test_set'))}×** the fuel the test set needs in all (up to "
              f"{_fmt(lab.get('bound_over_test_set_max'))}× for one fuel). At {_fmt(kin.get('unit_nM'))} nM per "
              f"unit that is {_fmt(lab.get('extra_fuel_uM'))} µM more fuel and {_fmt(lab.get('extra_reporter_uM'))} "
              f"µM more reporter, {_fmt(lab.get('extra_dna_uM'))} µM more strands per well"
              + (f"; a plan for the test set alone could pipette {_fmt(unit)} nM per unit" if unit is not None
                 and unit != kin.get("unit_nM") else "")
              + " (compile with `--inputs` to plan for given examples only).", ""]
    return lines


def _order_to_reading(files: list[str], lab: Mapping) -> list[str]:
    """The protocol in six lines, pointing to protocol.md."""
    read = lab.get("read_time_h")
    order = [f"[{f}]({f})" for f in ("order_plates.xlsx", "order_tubes.csv") if f in files]
    first = ("1. Order the strands: " + " or ".join(order) if order else
             "1. Design sequences (`dsdcompile sequences THIS_FOLDER` writes the order sheets), then order")
    codes = " (reporter dye/quencher codes in [reporters.csv](reporters.csv))." if "reporters.csv" in files else "."
    return ["## From order to reading", "", first + codes,
            f"2. Make stocks and dilutions, anneal the {lab.get('anneals')} pools and purify them "
            f"({lab.get('purification')}).",
            "3. Make the fuel master mix, the reporter mixes and one input premix per sample "
            "(new samples: `dsdcompile mix THIS_FOLDER --inputs samples.csv --out DIR`).",
            f"4. Fill the plate ({lab.get('wells_per_sample')} well(s) per sample plus calibration wells; "
            "[wells.csv](wells.csv)).",
            f"5. Incubate at {_fmt(lab.get('reaction_temperature_C'))} C and read "
            f"{', '.join(lab.get('dyes', []))} until {_fmt(read)} h.",
            "6. Calibrate each dye, compute each class's value (plus rail − minus rail) and take the largest.",
            "",
            "Every step with its numbers: **[protocol.md](protocol.md)**. Checks: "
            "[verification.md](verification.md)" + (", [sequence_report.md](sequence_report.md)"
                                                    if "sequence_report.md" in files else "") + ".", ""]


def _figure_rows(summary: Mapping, kin: Mapping, lab: Mapping) -> list[tuple[str, str, tuple]]:
    """(quantity, value as shown, the figures it is made of): a row none of whose figures was computed (no kinetics,
    no lab plan) is left out rather than shown as n/a."""
    dsd = summary.get("dsd", {})
    ver = summary.get("verification", {})
    reporters, dyes = lab.get("reporters", kin.get("reporters")), lab.get("dyes") or []
    return [("one unit of network value", f"{_fmt(kin.get('unit_nM'))} nM", (kin.get("unit_nM"),)),
            ("strands / nucleotides", f"{_fmt(dsd.get('strands'))} / {_fmt(dsd.get('nucleotides'))}",
             (dsd.get("strands"), dsd.get("nucleotides"))),
            ("reporters (dyes)", f"{_fmt(reporters)} ({', '.join(dyes)})", (reporters, *dyes)),
            ("anneals (pools)", _fmt(lab.get("anneals")), (lab.get("anneals"),)),
            ("DNA per well (strands)", f"{_fmt(lab.get('total_dna_uM'))} uM", (lab.get("total_dna_uM"),)),
            ("smallest transfer", f"{_fmt(lab.get('min_volume_uL'))} uL "
                                  f"(minimum {_fmt(lab.get('min_volume_required_uL'))})",
             (lab.get("min_volume_uL"), lab.get("min_volume_required_uL"))),
            ("protocol steps", _fmt(lab.get("steps")), (lab.get("steps"),)),
            ("read time", f"{_fmt(kin.get('read_time_h'))} h", (kin.get("read_time_h"),)),
            ("labels from fluorescence = network (tube as planned)",
             _fmt(kin.get("reporter_label_agreement"), ".4g"), (kin.get("reporter_label_agreement"),)),
            ("worst relative error (tube as planned)", _fmt(kin.get("reporter_max_rel_error")),
             (kin.get("reporter_max_rel_error"),)),
            ("error from free strands / from leak", f"{_fmt(kin.get('impurity_max_rel_error'))} / "
                                                    f"{_fmt(kin.get('leak_max_rel_error'))}",
             (kin.get("impurity_max_rel_error"), kin.get("leak_max_rel_error"))),
            ("free strands the labels tolerate (planned)", f"{_fmt(kin.get('impurity_tolerance'))} "
                                                           f"({_fmt(kin.get('residual_free_fraction'))})",
             (kin.get("impurity_tolerance"), kin.get("residual_free_fraction"))),
            ("class margin: smallest gap / largest network value (trained for)",
             f"{_fmt(kin.get('class_margin'))} ({_trained(summary)})", (kin.get("class_margin"),)),
            ("free-strand error at one purification / largest network value",
             f"{_fmt(kin.get('impurity_error_at_assumed'))} (at {_fmt(kin.get('residual_free_fraction_assumed'))})",
             (kin.get("impurity_error_at_assumed"),)),
            ("verification", f"{ver.get('verdict', 'n/a')}; reporters {ver.get('reporter_verdict', 'n/a')}",
             (ver.get("verdict"), ver.get("reporter_verdict")))]


def _trained(summary: Mapping) -> str:
    """The margin the model was trained for (`dsdcompile train --margin`), as the figure table shows it."""
    m = (summary.get("model") or {}).get("class_margin_trained")
    return f"--margin {m:g}" if isinstance(m, (int, float)) and m else "no --margin"


def write_front_page(folder: Path, summary: Mapping) -> None:
    (Path(folder) / "README.md").write_text(front_page(summary), encoding="utf-8")


__all__ = ["FIGURES", "front_page", "write_front_page"]
