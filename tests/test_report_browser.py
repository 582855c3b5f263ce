"""The design report in a real browser (headless Chromium): no console error, links and images resolve, every
complex drawn by the page's script exactly as the static drawings, screenshots saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.browser import find_chromium, open_page
from test_report import DESIGNS, IRIS, Page, broken_links, copy_design

from dsdcompile.report import write_index
from dsdcompile.report.layout import domain_colour

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")

# In the page: every link and image target, every image's load state, and each complex drawn by the script,
# compared element by element with the static drawing of the same complex where there is one.
PROBE = """(() => {
  const links = [...document.querySelectorAll('[href],[src]')]
    .map(n => n.getAttribute('href') || n.getAttribute('src'));
  const images = [...document.images].map(i => [i.getAttribute('src').slice(0, 60), i.complete && i.naturalWidth > 0]);
  const data = window.dsdReport.data;
  const drawn = {}, mismatch = [];
  for (const name of Object.keys(data.complexes)) {
    const fig = window.dsdReport.draw(name);
    const polys = [...fig.querySelectorAll('polyline')];
    const texts = [...fig.querySelectorAll('text.dl')];
    drawn[name] = [polys.length, texts.filter(t => t.textContent === '').length,
                   polys.filter(p => !p.getAttribute('stroke').startsWith('hsl(')).length,
                   fig.querySelectorAll('ol.strands li').length];
    const stat = document.querySelector('figure.cxfig[data-complex="' + CSS.escape(name) + '"]');
    if (stat) {
      const a = [...stat.querySelectorAll('polyline,text')].map(n => [n.tagName, n.getAttribute('points'),
        n.getAttribute('stroke'), n.getAttribute('x'), n.textContent]);
      const b = [...fig.querySelectorAll('polyline,text')].map(n => [n.tagName, n.getAttribute('points'),
        n.getAttribute('stroke'), n.getAttribute('x'), n.textContent]);
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatch.push(name);
    }
  }
  return {links, images, drawn, mismatch, statics: document.querySelectorAll('figure.cxfig[data-complex]').length};
})()"""

COLOURS = ("X0p-a", "m9-p0*", "I1_0m-b", "Δ-µ", "hx1-c")
INTERACT = """(() => {
  const input = document.querySelector('input[data-filter="complexes-table"]');
  input.value = 'm9-'; input.dispatchEvent(new Event('input'));
  const rows = [...document.getElementById('complexes-table').tBodies[0].rows];
  const visible = rows.filter(r => !r.hidden).map(r => r.cells[0].textContent);
  document.querySelector('button[data-draw="m9-f0"]').click();
  const picked = document.querySelector('#picked figure');
  return {visible, picked: picked && picked.dataset.complex,
          colours: COLOURS.map(d => window.dsdReport.colour(d))};
})()""".replace("COLOURS", json.dumps(COLOURS))


def _strand_domains(folder: Path) -> dict[str, int]:
    import csv

    with open(folder / "strands.csv", newline="") as fh:
        strands = {r["strand"]: len(r["domains"].split()) for r in csv.DictReader(fh)}
    with open(folder / "complexes.csv", newline="") as fh:
        return {r["complex"]: sum(strands[s] for s in r["strands"].split("+")) for r in csv.DictReader(fh)}


def test_iris_report_in_chromium(tmp_path):
    folder = copy_design(IRIS, tmp_path)
    write_index(folder)
    res = open_page(folder / "index.html", evaluate=(PROBE, INTERACT), screenshot=True, full_page=True)
    (tmp_path / "iris_report.png").write_bytes(res.screenshot)
    assert res.screenshot.startswith(b"\x89PNG") and len(res.screenshot) > 50_000
    assert res.console_errors == []
    probe, interact = res.values
    page = Page("")
    page.links, page.ids = probe["links"], Page((folder / "index.html").read_text(encoding="utf-8")).ids
    assert broken_links(page, folder) == []
    assert probe["images"] and all(ok for _, ok in probe["images"]), probe["images"]
    expect = _strand_domains(folder)
    summary = json.loads((folder / "summary.json").read_text())
    assert set(probe["drawn"]) == set(expect) and len(expect) == summary["dsd"]["complexes"] > 0
    for name, (polylines, empty_labels, uncoloured, strands) in probe["drawn"].items():
        assert polylines == expect[name] and empty_labels == 0 and uncoloured == 0 and strands >= 1, name
    assert probe["statics"] >= 10 and probe["mismatch"] == []
    assert interact["visible"] and all(n.startswith("m9-") for n in interact["visible"])
    assert interact["picked"] == "m9-f0"
    assert interact["colours"] == [domain_colour(d) for d in COLOURS]


@pytest.mark.parametrize("design", ["virus/dsd_soloveichik2010", "mnist/dsd_soloveichik2010", "iris/crn"])
def test_other_reports_load_without_errors(design, tmp_path):
    folder = copy_design(DESIGNS / design, tmp_path)
    write_index(folder)
    size = (folder / "index.html").stat().st_size
    res = open_page(folder / "index.html", evaluate=(PROBE,))
    print(f"{design}: index.html {size / 2**20:.2f} MiB, load event {res.load_seconds:.2f} s, "
          f"script done {res.ready_seconds} s")
    assert res.console_errors == []
    probe = res.values[0]
    page = Page("")
    page.links, page.ids = probe["links"], Page((folder / "index.html").read_text(encoding="utf-8")).ids
    assert broken_links(page, folder) == [] and all(ok for _, ok in probe["images"])
    assert probe["mismatch"] == [] and size < 5 * 2**20
    if design.startswith("mnist"):
        assert probe["statics"] == len(probe["drawn"]) == 11  # 5 shapes, their fuels drawn from the scheme


def test_a_broken_page_is_noticed(tmp_path):
    """The browser check is not blind: a missing image and a script error are reported."""
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png"><script>nosuchfunction()</script>'
                    "<script>document.body.dataset.ready = 1</script></body></html>")
    res = open_page(page)
    assert any("nosuchfunction" in e for e in res.console_errors)
    assert any("missing.png" in e for e in res.console_errors)
