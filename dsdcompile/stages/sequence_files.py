"""The sequence design's files: sequences.csv, the report and the order sheets; for existing folders, the rewrite.

Inside a design run the DSD and lab stages write their files with the sequences already in
them, and :func:`write_sequence_reports` adds sequences.csv, sequence_report.md/.json/.png and
the order sheets (order_plates.xlsx, order_plate_<k>.csv, order_tubes.csv).

For a design folder that already exists (``dsdcompile sequences DESIGN``), :func:`write_sequences`
also rewrites its files: strands.csv gains a ``sequence`` column, dsd.pil declares
``sequence d = ...`` instead of ``length d = n``, and the wet-lab tables (concentrations.csv/.md,
plate.xlsx) get nucleotide sequences in their ``sequence`` column, which held domain names;
summary.json gains a ``sequences`` block. Everything is staged in a hidden folder inside the
design folder and moved into place only when every file has been written.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import InputError
from dsdcompile.runtime.files import CsvWriter, csv_rows, md_escape
from dsdcompile.runtime.progress import Progress
from dsdcompile.runtime.resources import open_text, read_text, refuse_special_files
from dsdcompile.sequences import energy
from dsdcompile.sequences.api import check_feasibility, design_counts
from dsdcompile.sequences.checks import domain_level_to_nt
from dsdcompile.sequences.plots import plot_sequence_report
from dsdcompile.sequences.problem import SequenceProblem
from dsdcompile.sequences.run import SequenceDesign, design_sequences

REPORT_FILES = ("sequences.csv", "sequence_report.md", "sequence_report.json", "sequence_report.png")
LAB_CSVS = ("concentrations.csv",)


def _convert(text: str, seqs: Mapping[str, str]) -> str:
    """Domain-level text ('a b* + c') → nucleotides; anything else unchanged."""
    tokens = [t for t in text.replace("+", " ").split()]
    if not tokens or any(t.rstrip("*") not in seqs for t in tokens):
        return text
    return domain_level_to_nt(text, seqs)


def named_sequences(design: SequenceDesign) -> dict[str, str]:
    """Nucleotides by the names the lab tables use: every strand (``complex.k``) and every complex (its strands
    joined by ' + ')."""
    strands = design.strand_sequences()
    out = dict(strands)
    for cx in design.problem.complexes:
        out[cx.name] = " + ".join(strands[n] for n in cx.strands)
    return out


def _sequence_for(name: str, old: str, by_name: Mapping[str, str], seqs: Mapping[str, str]) -> str:
    """A row's new sequence: by its name where the design knows it (so a folder that already carries
    nucleotides from an earlier design is rewritten too), else its domain-level text converted."""
    return by_name.get(name) or _convert(old, seqs)


def _rewrite_csv(src: Path, dst: Path, seqs: Mapping[str, str], by_name: Mapping[str, str]) -> None:
    """Copy a CSV with its ``sequence`` column set from each row's name (strands.csv: from its domains)."""
    try:
        with open_text(src, "design table") as fh:
            rows = list(csv_rows(fh))
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read this CSV of the design ({type(e).__name__}: {e})", path=str(src)) from None
    if not rows:
        raise InputError("this CSV of the design is empty", path=str(src))
    header = rows[0]
    if "sequence" not in header:
        header.append("sequence")
        for r in rows[1:]:
            r.append("")
    col = header.index("sequence")
    key = header.index("name") if "name" in header else None
    domains = header.index("domains") if "domains" in header else None
    for r in rows[1:]:
        if domains is not None:  # strands.csv: its own domains are the truth
            r[col] = _convert(r[domains], seqs)
        elif key is not None:
            r[col] = _sequence_for(r[key], r[col], by_name, seqs)
    with open(dst, "w", newline="", encoding="utf-8") as fh:
        CsvWriter(fh).writerows(rows)


def _unescape_md(cell: str) -> str:
    """A Markdown cell as dsdcompile.runtime.files.md_escape wrote it, back to its text."""
    return re.sub(r"\\(.)", r"\1", cell)


def _rewrite_markdown(src: Path, dst: Path, seqs: Mapping[str, str], by_name: Mapping[str, str]) -> None:
    """Tables whose header has ``name`` and ``sequence``: each row's sequence set from its name."""
    out: list[str] = []
    columns: list[str] | None = None
    for line in read_text(src, "Markdown table").splitlines():
        if line.startswith("|") and line.endswith("|") and not set(line) <= set("|-"):
            cells = [c.strip() for c in line[1:-1].split(" | ")]
            if columns is None:
                columns = [_unescape_md(c) for c in cells]
            elif "name" in columns and "sequence" in columns and len(cells) == len(columns):
                i, j = columns.index("name"), columns.index("sequence")
                cells[j] = md_escape(_sequence_for(_unescape_md(cells[i]), _unescape_md(cells[j]), by_name, seqs))
                line = "| " + " | ".join(cells) + " |"
        elif not line.startswith("|"):
            columns = None
        out.append(line)
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


def _rewrite_xlsx(src: Path, dst: Path, seqs: Mapping[str, str], by_name: Mapping[str, str]) -> bool:
    """Sheets with ``name`` and ``sequence`` columns: each row's sequence set from its name."""
    try:
        import openpyxl
    except ImportError:
        return False
    from dsdcompile.runtime.files import FIXED_DATE, normalize_xlsx

    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        if "sequence" not in header or "name" not in header:
            continue
        col, key = header.index("sequence"), header.index("name")
        for row in ws.iter_rows(min_row=2):
            if isinstance(row[col].value, str):
                row[col].value = _sequence_for(str(row[key].value), row[col].value, by_name, seqs)
    wb.properties.created = wb.properties.modified = FIXED_DATE
    wb.save(dst)
    normalize_xlsx(dst)
    return True


def _rewrite_pil(src: Path, dst: Path, seqs: Mapping[str, str]) -> None:
    pattern = re.compile(r"^(?:length|sequence) (\S+) = (\S+)$")
    with open(src) as fi, open(dst, "w") as fo:
        for line in fi:
            m = pattern.match(line.rstrip("\n"))
            if m and m.group(1) in seqs:
                line = f"sequence {m.group(1)} = {seqs[m.group(1)]}\n"
            fo.write(line)


def sequences_table(design: SequenceDesign) -> list[list]:
    c = design.constraints
    rows = [["domain", "kind", "length_nt", "alphabet", "sequence", "complement", "gc", "toehold_dG"]]
    for d in design.problem.domains:
        s = design.domains[d.name]
        gc = (s.count("G") + s.count("C")) / len(s)
        tdg = "" if d.long else f"{energy.toehold_dG(s, c.temperature_C, c.salt_M):.2f}"
        rows.append([d.name, d.kind, d.length, d.alphabet, s, energy.revcomp(s), f"{gc:.3f}", tdg])
    return rows


def report_markdown(design: SequenceDesign, block: Mapping, feasibility_md: str | None = None) -> str:
    c = design.constraints
    f = block["failing"]
    g = block.get("gate_crosstalk") or {}
    j = block.get("junctions") or {}
    lines = ["# Sequence design report", "",
             f"Energy model: {block['energy_model']}. Seed {c.seed}.", "",
             f"**Verdict: {'all checks pass' if block['passed'] else 'some checks fail'}** — "
             f"{f['strands']} strands over {c.max_paired} paired bases, {f['complexes']} complexes whose intended "
             f"structure is neither the MFE nor ≥ {c.complex_probability:g} probable, {f['crosstalk_pairs']} "
             f"free-strand crosstalk pairs and {f.get('gate_crosstalk_pairs', 0)} (free strand, gate region) pairs "
             f"below {c.crosstalk_dG:g} kcal/mol.", ""]
    if not block["passed"]:
        lines += ["Failing items:", ""] + [f"- {x}" for x in design.failing_items()] + [""]
    lines += [
             "| quantity | value |", "|---|---|",
             f"| domains | {block['domains']} |",
             f"| distinct strands | {block['distinct_strands']} |",
             f"| fuel complexes whose intended structure is the MFE | {_pct(block['fuel_complexes_mfe_fraction'])} |",
             f"| largest normalised ensemble defect | {_num(block['max_ensemble_defect'])} |",
             f"| most paired bases in a single strand's MFE | {block['strands_max_paired']} |",
             f"| worst crosstalk ΔG (kcal/mol) | {_num(block['worst_crosstalk_dG'])} "
             f"({' / '.join(block['worst_crosstalk_pair'] or [])}) |",
             f"| crosstalk pairs (ViennaRNA / screened) | {block['crosstalk_pairs_vienna']} / "
             f"{block['crosstalk_pairs_total']} |",
             f"| worst gate-region crosstalk ΔG (kcal/mol) | {_num(g.get('worst_dG'))} "
             f"({' on '.join(g.get('worst_pair') or [])}) |",
             f"| (free strand, gate region) pairs (ViennaRNA / screened) | {g.get('pairs_vienna')} / "
             f"{g.get('pairs_total')} over {g.get('regions')} regions |",
             f"| helix-end junctions violated (of constrained) | {j.get('violated_final')} of "
             f"{j.get('constrained')} |",
             f"| GC range of long domains | {block['gc_range']} |",
             f"| toehold ΔG range (kcal/mol) | {block['toehold_dG_range']} |",
             f"| SSM score (k = {c.kmer}) initial → final | {block['ssm']['initial']} → {block['ssm']['final']} |",
             f"| toeholds reused | {block['toeholds_reused']} |", "",
             "![report](sequence_report.png)", "", "## Worst crosstalk pairs (free strands)", "",
             "| strand | strand | ViennaRNA ΔG | screen ΔG |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {dg:.2f} | {s:.2f} |" for a, b, dg, s in design.crosstalk.worst[:10]]
    if design.gate_crosstalk is not None:
        lines += ["", "## Worst crosstalk on single-stranded gate regions", "",
                  "Region = complex:strand[first:last nucleotide], with the paired nucleotide on either side.", "",
                  "| free strand | gate region | ViennaRNA ΔG | screen ΔG |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {dg:.2f} | {s:.2f} |" for a, b, dg, s in design.gate_crosstalk.worst[:10]]
    worst_cx = sorted(design.complexes, key=lambda r: -r.check.ensemble_defect)[:10]
    lines += ["", "## Complexes with the largest ensemble defect", "",
              "| complex | strands | intended is MFE | P(intended) | ensemble defect |", "|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.n_strands} | {'yes' if r.check.intended_is_mfe else 'no'} | "
              f"{r.check.probability:.3g} | {r.check.ensemble_defect:.3f} |" for r in worst_cx]
    worst_st = sorted(design.strands, key=lambda s: (-s.paired, s.mfe_dG))[:10]
    lines += ["", "## Single strands with the most structure", "",
              "| strand | length | paired | MFE ΔG |", "|---|---|---|---|"]
    lines += [f"| {s.names[0]} | {len(s.sequence)} | {s.paired} | {s.mfe_dG:.2f} |" for s in worst_st]
    if feasibility_md:
        lines += ["", feasibility_md.strip()]
    return "\n".join(lines) + "\n"


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def _num(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def write_sequence_reports(design: SequenceDesign, folder: Path, *, feasibility=None, order: bool = True,
                           annotations: Mapping[str, tuple[str, str, str]] | None = None) -> tuple[dict, list[str]]:
    """sequences.csv, sequence_report.md/.json/.png and the order sheets, written into ``folder``.

    ``annotations`` (strand → 5' and 3' modification, purification) label reporter strands in
    the order sheets. Returns summary.json's ``sequences`` block (without ``files``) and the names written.
    """
    block = design.summary()
    written: list[str] = []
    with open(folder / "sequences.csv", "w", newline="", encoding="utf-8") as fh:
        CsvWriter(fh).writerows(sequences_table(design))
    written.append("sequences.csv")
    if order:
        from dsdcompile.lab.order import OrderStrand, write_order_sheets

        unique: dict[str, str] = {}
        for name, s in design.strand_sequences().items():
            unique.setdefault(s, name)
        notes = annotations or {}
        result = write_order_sheets([OrderStrand(n, s, *notes.get(n, ("", "", None))) for s, n in unique.items()],
                                    folder, design.constraints)
        written += [Path(p).name for p in result.files]
        block["order"] = {"strands": len(unique), "plates": result.plates, "warnings": list(result.warnings),
                          "files": sorted(Path(p).name for p in result.files)}
    fmd = None
    if feasibility is not None:
        block["feasibility"] = feasibility.to_dict()
        fmd = feasibility.markdown()
    plot_sequence_report(design, folder / "sequence_report.png")
    (folder / "sequence_report.md").write_text(report_markdown(design, block, fmd), encoding="utf-8")
    (folder / "sequence_report.json").write_text(json.dumps(_report_json(design, block), indent=1) + "\n",
                                                 encoding="utf-8")
    written += ["sequence_report.png", "sequence_report.md", "sequence_report.json"]
    return block, written


def write_sequences(design: SequenceDesign, design_dir: str | Path, *, feasibility=None, order: bool = True,
                    extra_summary: Mapping | None = None) -> dict:
    """Put sequences into an existing design folder, all files or none; returns its ``sequences`` block.

    The folder is copied whole (a user's files included) into the locked staging folder that a
    compile run uses (:class:`dsdcompile.stages.folder.Destination`), the reports written and the
    files rewritten with nucleotide sequences there, and the copy renamed into place in one step:
    a run killed at any point leaves the folder as it was, and the next run removes its staging.
    """
    from dsdcompile.lab.protocol import annotations_from_folder
    from dsdcompile.runtime.files import Destination

    out = Path(design_dir)
    seqs = design.domains
    refuse_special_files(out)  # copied below: a FIFO would wait forever
    with Destination(out) as dest:  # any design folder (it has a summary.json) may be rewritten
        stage = dest.path
        shutil.copytree(out, stage, dirs_exist_ok=True, symlinks=True)
        summary_path = out / "summary.json"
        summary = json.loads(read_text(summary_path, "summary")) if summary_path.is_file() else None
        previous = ((summary or {}).get("sequences") or {}).get("files") or []
        for name in previous:  # a sequence design before this one: its files (order plates...) are all redone
            if isinstance(name, str) and Path(name).name == name and name not in ("summary.json", "README.md"):
                (stage / name).unlink(missing_ok=True)
        block, written = write_sequence_reports(design, stage, feasibility=feasibility, order=order,
                                                annotations=annotations_from_folder(out))
        if extra_summary:
            block.update(extra_summary)
        by_name = named_sequences(design)
        _rewrite_csv(out / "strands.csv", stage / "strands.csv", seqs, by_name)
        written.append("strands.csv")
        if (out / "dsd.pil").is_file():
            _rewrite_pil(out / "dsd.pil", stage / "dsd.pil", seqs)
            written.append("dsd.pil")
        for name in LAB_CSVS:
            if (out / name).is_file():
                _rewrite_csv(out / name, stage / name, seqs, by_name)
                written.append(name)
        if (out / "concentrations.md").is_file():
            _rewrite_markdown(out / "concentrations.md", stage / "concentrations.md", seqs, by_name)
            written.append("concentrations.md")
        if (out / "plate.xlsx").is_file() and _rewrite_xlsx(out / "plate.xlsx", stage / "plate.xlsx", seqs,
                                                            by_name):
            written.append("plate.xlsx")
        block["files"] = sorted(set(written))
        if summary is not None:
            summary["sequences"] = block
            if isinstance(summary.get("kinetics"), dict) and "sequences" in summary["kinetics"]:
                summary["kinetics"]["sequences"] = "nucleotide (sequences.csv)"
            if isinstance(summary.get("files"), list):  # what the folder now holds: no file of a former design
                summary["files"] = sorted(n for n in set(summary["files"]) | set(written)
                                          if (stage / n).exists() or n in written)
            from dsdcompile.runtime.files import write_json

            write_json(stage / "summary.json", summary)  # as the design run writes it
            written.append("summary.json")
            if (stage / "README.md").is_file():  # the front page and the report show the sequences too
                from dsdcompile.lab.frontpage import write_front_page

                write_front_page(stage, summary)
        if (stage / "index.html").is_file():
            from dsdcompile.report import write_index

            write_index(stage)
        dest.commit()
    return block


def sequence_design_folder(design_dir: str | Path, constraints: SequenceConstraints = SequenceConstraints(), *,
                           progress: Progress | None = None, order: bool = True) -> tuple[SequenceDesign, dict]:
    """Design sequences for the DSD design in ``design_dir`` and write them there (all files or none).

    Returns the design and summary.json's ``sequences`` block.
    """
    progress = progress or Progress(quiet=True)
    design_dir = Path(design_dir)
    if design_dir.is_dir():
        refuse_special_files(design_dir)  # before any work: the folder is copied when the sequences are written
    problem = SequenceProblem.from_design(design_dir, three_letter=constraints.three_letter)
    with progress.stage("sequences: feasibility"):
        feas = check_feasibility(problem, constraints, design_counts(design_dir))
    if feas is not None:
        progress.log(f"feasibility: {feas.to_dict().get('verdict')}")
    design = design_sequences(problem, constraints, progress)
    with progress.stage("sequences: write"):
        block = write_sequences(design, design_dir, feasibility=feas, order=order)
    return design, block


def _report_json(design: SequenceDesign, block: Mapping) -> dict:
    c = design.constraints
    return {
        "summary": dict(block),
        "strands": [{"strands": list(s.names), "sequence": s.sequence, "mfe": s.mfe_structure,
                     "mfe_dG": round(s.mfe_dG, 3), "paired": s.paired} for s in design.strands],
        "complexes": [{"complex": r.name, "intended": r.intended, "mfe": r.check.mfe_structure,
                       "intended_is_mfe": r.check.intended_is_mfe, "probability": r.check.probability,
                       "ensemble_defect": round(r.check.ensemble_defect, 5), "passed": r.passed(c)}
                      for r in design.complexes],
        "worst_crosstalk": [{"a": a, "b": b, "dG": g, "screen_dG": round(s, 3)}
                            for a, b, g, s in design.crosstalk.worst],
        "worst_gate_crosstalk": [{"strand": a, "region": b, "dG": g, "screen_dG": round(s, 3)}
                                 for a, b, g, s in (design.gate_crosstalk.worst if design.gate_crosstalk else ())],
        "failing_items": design.failing_items(limit=1000),
    }


__all__ = ["REPORT_FILES", "sequence_design_folder", "sequences_table", "write_sequences"]
