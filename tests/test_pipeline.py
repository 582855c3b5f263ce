"""The pipeline as a whole: stages in memory, one folder written at the end, all or nothing."""

import json

import pytest
from click.testing import CliRunner

import dsdcompile as dc
from dsdcompile.cli import main
from dsdcompile.config import RunConfig
from dsdcompile.config.sequences import SequenceConstraints

CRN = "@input x X\n@output y Y\n@init B = 1\nX + B -> Y\n"


def _listing(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_sequences_failing_midway_leave_the_old_folder_and_no_temporary_one(tmp_path, monkeypatch):
    """Sequence design dies after drawing, minimising and folding: the folder from before is intact, nothing else."""
    (tmp_path / "a.crn").write_text(CRN)
    out = tmp_path / "design"
    first = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--out", str(out), "--scheme", "soloveichik2010", "-q"])
    assert first.exit_code == 0, first.output
    before = _listing(out)

    from dsdcompile.sequences import checks

    calls = []
    real = checks.check_complexes

    def dies_on_second_call(*args, **kwargs):
        calls.append(1)
        if len(calls) >= 2:
            raise RuntimeError("ViennaRNA crashed")
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_complexes", dies_on_second_call)
    res = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--out", str(out), "--scheme", "soloveichik2010",
                                    "--sequences", "-q"])
    assert res.exit_code == 1 and isinstance(res.exception, RuntimeError)
    assert len(calls) >= 2  # it did get past drawing, symmetry minimisation and a first round of checks
    assert _listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.crn", "design"]


def test_sequences_in_the_run_are_written_with_the_files_not_patched_in_later(tmp_path):
    """compile --sequences: strands.csv, dsd.pil and summary.json carry the sequences the stage designed."""
    (tmp_path / "a.crn").write_text(CRN)
    config = RunConfig(scheme="soloveichik2010", sequences=SequenceConstraints(seed=3, max_iterations=200), quiet=True)
    result = dc.build_design(tmp_path / "a.crn", tmp_path / "d", config=config)
    seqs = result.sequences.domain_sequences
    pil = (tmp_path / "d" / "dsd.pil").read_text()
    assert all(f"sequence {d} = {s}" in pil for d, s in seqs.items()) and "length " not in pil
    header, *rows = (tmp_path / "d" / "strands.csv").read_text().splitlines()
    assert header.endswith(",sequence") and all(set(r.rsplit(",", 1)[1]) <= set("ACGT") for r in rows)
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary == json.loads(json.dumps(dict(result)))  # the result indexes as summary.json reads (JSON types)
    assert summary["sequences"]["domains"] == len(seqs)
    assert {"sequences.csv", "strands.csv", "dsd.pil", "sequence_report.md"} <= set(summary["sequences"]["files"])
    assert set(summary["sequences"]["files"]) <= set(summary["files"])
    assert summary["config"]["sequences"]["seed"] == 3


def test_sequences_need_the_dsd_stage():
    with pytest.raises(dc.InputError, match="--scheme"):
        RunConfig(sequences=SequenceConstraints())


def test_failing_sequence_checks_exit_5_after_the_folder_is_written(tmp_path):
    """Constraints no sequence can meet (every pair of strands binds more strongly than +5 kcal/mol): exit 5."""
    (tmp_path / "a.crn").write_text(CRN)
    strict = SequenceConstraints(crosstalk_dG=5.0, repair_rounds=1, max_iterations=200)
    config = RunConfig(scheme="soloveichik2010", sequences=strict, quiet=True)
    with pytest.raises(dc.DsdCompileError) as info:
        dc.build_design(tmp_path / "a.crn", tmp_path / "d", config=config)
    assert info.value.exit_code == 5 and info.value.failing and "--seed" in info.value.advice
    assert (tmp_path / "d" / "sequence_report.md").exists() and (tmp_path / "d" / "summary.json").exists()
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["sequences"]["passed"] is False and summary["sequences"]["failing"]["crosstalk_pairs"] > 0
    allowed = RunConfig(scheme="soloveichik2010", sequences=strict, allow_sequence_failures=True, quiet=True)
    assert dc.build_design(tmp_path / "a.crn", tmp_path / "e", config=allowed)["sequences"]["passed"] is False


def _strand_sequences(folder):
    import csv

    with open(folder / "strands.csv", newline="") as fh:
        return {r["strand"]: r["sequence"] for r in csv.DictReader(fh)}


def _designed_with_sequences(tmp_path):
    """CRN plus inputs through compile --sequences (seed 0) into tmp_path/d; the folder."""
    (tmp_path / "a.crn").write_text(CRN)
    (tmp_path / "x.csv").write_text("1\n0.5\n")
    out = tmp_path / "d"
    first = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--inputs", str(tmp_path / "x.csv"), "--out", str(out),
                                      "--scheme", "soloveichik2010", "--sequences", "--allow-failures", "-q"])
    assert first.exit_code == 0, first.output
    return out


def test_a_second_sequence_design_rewrites_every_file_that_carries_sequences(tmp_path):
    """compile --sequences, then `dsdcompile sequences` with another seed (what the advice says to try):
    strands.csv, dsd.pil and the lab tables all carry the new sequences, none the old ones."""
    import csv

    out = _designed_with_sequences(tmp_path)
    old = _strand_sequences(out)
    again = CliRunner().invoke(main, ["sequences", str(out), "--seed", "4", "--allow-failures", "-q"])
    assert again.exit_code == 0, again.output
    new = _strand_sequences(out)
    assert set(new) == set(old) and new != old
    with open(out / "sequences.csv", newline="") as fh:
        domains = {r["domain"]: r["sequence"] for r in csv.DictReader(fh)}
    pil = (out / "dsd.pil").read_text()
    assert all(f"sequence {d} = {s}\n" in pil for d, s in domains.items()) and "length " not in pil
    with open(out / "concentrations.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] in new]
    assert rows and all(r["sequence"] == new[r["name"]] for r in rows)
    md = (out / "concentrations.md").read_text()
    assert not any(s in md for n, s in old.items() if s != new[n])


def test_designing_the_same_seed_again_on_the_folder_changes_no_byte(tmp_path):
    """compile --sequences, then `dsdcompile sequences` with the same seed on a copy: every file is byte-identical
    (plate.xlsx: an empty cell is written the same whether the workbook is new or read back; summary.json, README.md
    and index.html: written by the same writers from the same content)."""
    import shutil

    out = _designed_with_sequences(tmp_path)
    assert (out / "plate.xlsx").exists()
    copy = tmp_path / "again" / out.name  # the same name: a design's folder name titles its report
    shutil.copytree(out, copy)
    again = CliRunner().invoke(main, ["sequences", str(copy), "--allow-failures", "-q"])
    assert again.exit_code == 0, again.output
    before, after = _listing(out), _listing(copy)
    assert set(before) == set(after)
    assert sorted(n for n in before if before[n] != after[n]) == []


def test_sequences_on_a_folder_designed_without_them_update_the_report_and_front_page(tmp_path):
    """compile without --sequences, then `dsdcompile sequences`: index.html and README.md show the sequences and order
    sheets, a user's file in the folder survives, and no staging folder is left beside or inside it."""
    (tmp_path / "a.crn").write_text(CRN)
    (tmp_path / "x.csv").write_text("1\n0.5\n")
    out = tmp_path / "d"
    first = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--inputs", str(tmp_path / "x.csv"), "--out", str(out),
                                      "--scheme", "soloveichik2010", "-q"])
    assert first.exit_code == 0, first.output
    assert "sequence_report.md" not in (out / "index.html").read_text()
    (out / "my_notes.txt").write_text("bench notes")
    again = CliRunner().invoke(main, ["sequences", str(out), "--allow-failures", "-q"])
    assert again.exit_code == 0, again.output
    assert 'href="sequence_report.md"' in (out / "index.html").read_text()
    front = (out / "README.md").read_text()
    assert "[order_tubes.csv](order_tubes.csv)" in front and "Design sequences" not in front
    assert (out / "my_notes.txt").read_text() == "bench notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.crn", "d", "x.csv"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["sequences"]["files"]) <= set(summary["files"]) <= {p.name for p in out.iterdir()}


def test_the_pipeline_is_a_declared_list_whose_files_the_folder_check_plans(tmp_path):
    """build_design runs STAGES in order; a stage runs only where its config asks for it, and every file a run
    writes is one its stages name (what the folder check lets a later run replace)."""
    import fnmatch

    from dsdcompile.runtime.outputs import STAGES as TABLE_STAGES
    from dsdcompile.stages.folder import planned_files
    from dsdcompile.stages.pipeline import STAGES, Context, build_design

    names = [s.name for s in STAGES]
    assert names == ["crn", "agreement", "dsd", "box", "unit", "kinetics", "tube", "lab", "sequences"]
    assert set(TABLE_STAGES) <= set(names)
    crn = tmp_path / "c.crn"
    crn.write_text("A -> B\n")
    config = RunConfig(scheme="none", quiet=True)
    ctx = Context(crn, None, None, None)
    assert [s.name for s in STAGES if s.runs(config, ctx)] == ["crn"]  # no --inputs, no scheme: the CRN alone
    result = build_design(crn, tmp_path / "out", config=config)
    written = set(result["files"])
    planned = planned_files(config, inputs=False)
    assert written and all(any(fnmatch.fnmatchcase(f, p) for p in planned) for f in written)
    assert not any(fnmatch.fnmatchcase(f, p) for f in written for s in STAGES if s.name != "crn" for p in s.files)
