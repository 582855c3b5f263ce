"""Verification reports: Markdown, self-contained HTML and JSON."""

from __future__ import annotations

import json
import re

from test_verify import _system, soloveichik

from dsdcompile.config import VerificationConfig
from dsdcompile.verify import verify_modules, verify_whole, write_reports
from dsdcompile.verify.modular import attach_whole


def _result():
    modules = [soloveichik(i, ["A", "B"], [f"C{i}"]) for i in range(3)]
    modules += [soloveichik(3, ["C0"], ["D", "E"], wrong_product="Z")]
    config = VerificationConfig()
    return attach_whole(verify_modules(modules, config), verify_whole(*_system(modules), config))


def test_reports_are_written_and_self_contained(tmp_path):
    result = _result()
    paths = write_reports(result, tmp_path / "reports")
    assert [p.name for p in paths] == ["verification.md", "verification.html", "verification.json"]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)

    page = paths[1].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"(src|href)\s*=", page), "no external assets: no src/href at all"
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "not-equivalent" in page and "Counterexample" in page
    assert "H_m0" in page  # the interpretation of the representative's intermediates
    assert "crnverifier" in page

    md = paths[0].read_text(encoding="utf-8")
    assert "# Verification report" in md and "**Verdict:** not-equivalent" in md
    assert "| `O_m0` | C0 |" in md and "Whole system" in md

    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert data["summary"] == result.summary()
    assert data["summary"]["modules"] == 4 and data["summary"]["shapes"] == 2
    assert data["modules"][0]["members"] == "0-2"
    assert data["modules"][1]["verdict"] == "not-equivalent" and data["modules"][1]["counterexample"]
    assert data["tools"]["crnverifier"] and data["whole_system"]["checks"]


def test_html_escapes_species_names(tmp_path):
    result = verify_modules([soloveichik(0, ["<A>", "B&"], ["C"])], VerificationConfig())
    page = write_reports(result, tmp_path)[1].read_text(encoding="utf-8")
    assert "<A>" not in page and "&lt;A&gt;" in page
