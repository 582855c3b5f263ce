"""The design report (index.html): figures equal summary.json, every complex drawn, links resolve, any folder works."""

from __future__ import annotations

import csv
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.report import write_index
from dsdcompile.report.complexes import Catalogue, add_scheme_drawings
from dsdcompile.report.folder import dig
from dsdcompile.report.layout import ComplexSpec, LayoutError, StrandSpec, layout, to_svg

DESIGNS = Path(__file__).resolve().parents[1] / "designs"
IRIS = DESIGNS / "iris" / "dsd_soloveichik2010"
OVERVIEW_KEYS = ("network.layers", "crn.formal_reactions", "crn.reduced_reactions", "agreement.nn_accuracy",
                 "dsd.strands", "dsd.nucleotides", "dsd.modules", "verification.verdict", "kinetics.fuel_margin",
                 "sequences.distinct_strands")


class Page(HTMLParser):
    """What the tests read off index.html: figures, links, ids, drawings and the page's JSON."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[dict] = []  # {key, format, value, text}
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.drawn: dict[str, int] = {}  # static figure → number of domain polylines
        self.data: dict | None = None
        self._fig: dict | None = None
        self._fig_depth = 0
        self._complex: str | None = None
        self._script: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for attr in ("href", "src"):
            if a.get(attr):
                self.links.append(a[attr])
        if self._fig is not None:
            self._fig_depth += 1
        if "data-key" in a and self._fig is None:
            self._fig = {"key": a["data-key"], "format": a["data-format"], "value": json.loads(a["data-value"]),
                         "text": ""}
            self._fig_depth = 0
        if tag == "figure" and "data-complex" in a:
            self._complex = a["data-complex"]
            self.drawn[self._complex] = 0
        if tag == "polyline" and self._complex is not None:
            self.drawn[self._complex] += 1
        if tag == "script" and a.get("id") == "dsd-data":
            self._script = []

    def handle_endtag(self, tag):
        if self._fig is not None:
            if self._fig_depth == 0:
                self.figures.append(self._fig)
                self._fig = None
            else:
                self._fig_depth -= 1
        if tag == "figure":
            self._complex = None
        if tag == "script" and self._script is not None:
            self.data = json.loads("".join(self._script))
            self._script = None

    def handle_data(self, data):
        if self._fig is not None:
            self._fig["text"] += data
        if self._script is not None:
            self._script.append(data)


def shown_matches(fig: dict) -> bool:
    """Does the text the page shows say the same as the value in summary.json (to the shown precision)?"""
    value, text, kind = fig["value"], fig["text"].strip(), fig["format"]
    if kind == "json" or isinstance(value, (list, dict)):
        return json.loads(text) == value
    if value is None:
        return text == "—"
    if isinstance(value, bool):
        return text == ("yes" if value else "no")
    if isinstance(value, str):
        return text == value
    if kind == "pct":
        return text.endswith(" %") and abs(float(text[:-2]) / 100 - value) <= 5e-5 + 1e-12
    number = float(text.replace(",", ""))
    if isinstance(value, int) or kind == "int":
        return number == value
    return abs(number - value) <= 5e-4 * abs(value) + 1e-300


def check_figures(page: Page, summary: dict) -> list[str]:
    """Every figure the page marks: its data-value is summary.json's value and its text shows that value."""
    bad = []
    for fig in page.figures:
        if fig["value"] != dig(summary, fig["key"]):
            bad.append(f"{fig['key']}: data-value {fig['value']!r} but summary.json has {dig(summary, fig['key'])!r}")
        elif not shown_matches(fig):
            bad.append(f"{fig['key']}: shows {fig['text']!r} for {fig['value']!r}")
    return bad


def broken_links(page: Page, folder: Path) -> list[str]:
    bad = []
    for target in page.links:
        if target.startswith(("http://", "https://", "data:")):
            continue
        if target.startswith("#"):
            if target[1:] not in page.ids:
                bad.append(target)
        elif not (folder / target.split("#")[0]).is_file():
            bad.append(target)
    return bad


def copy_design(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.parent.name / src.name
    shutil.copytree(src, dst)
    return dst


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def iris(tmp_path_factory) -> tuple[Path, Page]:
    folder = copy_design(IRIS, tmp_path_factory.mktemp("report"))
    assert write_index(folder) == ["index.html"]
    return folder, Page((folder / "index.html").read_text(encoding="utf-8"))


# -- figures ------------------------------------------------------------------------------------
def test_figures_shown_equal_summary_json(iris):
    folder, page = iris
    summary = json.loads((folder / "summary.json").read_text())
    assert check_figures(page, summary) == []
    assert 'class="problems"' not in (folder / "index.html").read_text(encoding="utf-8")
    keys = {f["key"] for f in page.figures}
    assert set(OVERVIEW_KEYS) <= keys
    # every scalar of summary.json's blocks is shown somewhere (the summary.json section at least)
    assert {f"dsd.{k}" for k in summary["dsd"]} <= keys and {f"kinetics.{k}" for k in summary["kinetics"]} <= keys


def test_the_figure_check_catches_a_wrong_number(iris):
    """The checker is not vacuous: a page showing 41 formal reactions where summary.json says 40 fails it."""
    folder, _ = iris
    summary = json.loads((folder / "summary.json").read_text())
    text = (folder / "index.html").read_text(encoding="utf-8")
    marker = 'data-key="crn.formal_reactions" data-format="int" data-value="40">40<'
    assert marker in text
    bad = check_figures(Page(text.replace(marker, marker.replace(">40<", ">41<"), 1)), summary)
    assert bad == ["crn.formal_reactions: shows '41' for 40"]
    bad = check_figures(Page(text.replace(marker, marker.replace('data-value="40"', 'data-value="41"'), 1)), summary)
    assert len(bad) == 1 and "data-value 41" in bad[0]


# -- drawings -------------------------------------------------------------------------------------
def test_every_complex_has_a_drawing(iris):
    folder, page = iris
    data = page.data
    strands = {r["strand"]: r for r in _rows(folder / "strands.csv")}
    complexes = _rows(folder / "complexes.csv")
    summary = json.loads((folder / "summary.json").read_text())
    assert len(complexes) == summary["dsd"]["complexes"] > 0
    assert set(data["complexes"]) == {r["complex"] for r in complexes}
    by_name = {s[0]: s for s in data["strands"]}
    for row in complexes:
        layout_index, ids, role, *_ , released = data["complexes"][row["complex"]]
        names = row["strands"].split("+")
        assert [data["strands"][i][0] for i in ids] == names
        domains = sum(len(strands[n]["domains"].split()) for n in names)
        template = data["layouts"][layout_index]
        assert template.count("<polyline") == domains, row["complex"]  # one coloured segment per domain
        assert len(re.findall(r'class="sl[ "]', template)) == len(names)  # every strand numbered
        expect = [int(row["role"] == "fuel" and strands[n]["role"] in ("signal", "helper")) for n in names]
        assert released == expect
        for n in names:
            assert by_name[n][1] == strands[n]["domains"] and by_name[n][4] == strands[n]["sequence"]
    # one static drawing per fuel of every shape's representative, with its domains
    verification = json.loads((folder / "verification.json").read_text())
    for module in verification["modules"]:
        for fuel in module["fuels"]:
            row = next(r for r in complexes if r["complex"] == fuel)
            assert page.drawn[fuel] == sum(len(strands[n]["domains"].split()) for n in row["strands"].split("+"))


def test_drawings_from_the_scheme_match_the_strand_list():
    """Without a strand list (MNIST's folder) shapes are rebuilt from the scheme: the complexes the design run
    wrote, up to a consistent renaming of domains (placeholders S0-a, p0 for the module's own names)."""
    verification = json.loads((IRIS / "verification.json").read_text())
    complexes = {r["complex"]: r for r in _rows(IRIS / "complexes.csv")}
    strands = {r["strand"]: r for r in _rows(IRIS / "strands.csv")}
    lengths = {r["domain"]: int(r["length_nt"]) for r in _rows(IRIS / "domains.csv")}
    kinds = {r["domain"]: r["kind"] for r in _rows(IRIS / "domains.csv")}
    cat = Catalogue()
    for k, module in enumerate(verification["modules"]):
        added = add_scheme_drawings(cat, "soloveichik2010", module, k)
        assert len(added) == len(module["fuels"])
        rename: dict[str, str] = {}
        for name, fuel in zip(added, module["fuels"]):
            entry, row = cat.entries[name], complexes[fuel]
            assert entry.spec.structure == row["structure"]
            real = row["strands"].split("+")
            assert len(entry.spec.strands) == len(real)
            for s, r in zip(entry.spec.strands, real):
                theirs = strands[r]["domains"].split()
                assert len(s.domains) == len(theirs)
                assert s.released == (strands[r]["role"] in ("signal", "helper"))
                for mine, other in zip(s.domains, theirs):
                    assert mine.endswith("*") == other.endswith("*")
                    base, obase = mine.rstrip("*"), other.rstrip("*")
                    assert rename.setdefault(base, obase) == obase  # one name for one name, everywhere
                    assert cat.lengths[base] == lengths[obase] and cat.kinds[base] == kinds[obase]
        assert len(set(rename.values())) == len(rename)  # and never two for one


def test_scheme_files_are_never_loaded_from_a_summary():
    with pytest.raises(LookupError, match="not built in"):
        add_scheme_drawings(Catalogue(), "/tmp/evil_scheme.py", {"shape": "x: S0 -> S1"}, 0)


def _gate() -> ComplexSpec:
    # a soloveichik2010 gate: top strand (b c + overhang) on bottom strand c* b* a* with open toehold a*
    return ComplexSpec("g", (StrandSpec("top", ("b", "c", "p", "q")), StrandSpec("bot", ("c*", "b*", "a*"))),
                       "((..+)).")


LENGTHS = {"a": 5, "b": 15, "c": 5, "p": 15, "q": 5}
KINDS = {"a": "toehold", "b": "branch", "c": "toehold", "p": "branch", "q": "toehold"}


def test_ladder_pairs_domains_over_their_complements():
    d = layout(_gate(), LENGTHS, KINDS)
    assert d.style == "ladder"
    seg = {s.domain: s for s in d.segments}
    # flat indices: top b=0 c=1 p=2 q=3, bottom c*=4 b*=5 a*=6; paired domains span the same x
    for top, bottom in ((0, 5), (1, 4)):
        xs_top = sorted(x for x, _ in seg[top].points)
        xs_bot = sorted(x for x, _ in seg[bottom].points)
        assert xs_top == xs_bot
        assert seg[top].points[0][1] < seg[bottom].points[0][1]  # top above bottom
    # the bottom strand runs right to left (3' end, its last domain a*, leftmost); the top left to right
    assert max(x for x, _ in seg[6].points) <= min(x for x, _ in seg[4].points)
    assert seg[0].points[0][0] < seg[1].points[0][0]
    # the unpaired 3' tail rises above the duplex
    assert min(y for _, y in seg[2].points + seg[3].points) < seg[0].points[0][1]
    assert len(d.arrows) + len(d.arrow_tips) == 2 and len(d.rungs) == 20  # one rung per paired nucleotide
    assert seg[0].label is None and seg[5].label is not None  # a paired top domain is named by its complement


def test_non_ladder_structures_are_drawn_as_arcs_and_bad_ones_refused():
    hairpin = ComplexSpec("h", (StrandSpec("s", ("a", "l", "a*")),), "(.)")
    d = layout(hairpin, {"a": 6, "l": 4}, {})
    assert d.style == "arcs" and len(d.arcs) == 1 and len(d.segments) == 3
    bulge = ComplexSpec("b", (StrandSpec("t", ("a", "l", "b")), StrandSpec("s", ("b*", "a*"))), "(.(+))")
    assert layout(bulge, {}, {}).style == "arcs"  # the loop would have no room between neighbouring partners
    wide = ComplexSpec("w", (StrandSpec("t", ("a", "l", "b")), StrandSpec("s", ("b*", "x", "a*"))), "(.(+).)")
    d = layout(wide, {}, {})
    top = {s.domain: s for s in d.segments}
    assert d.style == "ladder" and min(y for _, y in top[1].points) < top[0].points[0][1]  # the loop rises
    three_way = ComplexSpec("t", (StrandSpec("1", ("a", "b")), StrandSpec("2", ("b*", "c")),
                                  StrandSpec("3", ("c*", "a*"))), "((+)(+))")
    assert layout(three_way, {}, {}).style == "arcs"
    for bad in ("((+).", "(.+).", "((+)x"):
        with pytest.raises(LayoutError):
            layout(ComplexSpec("x", _gate().strands, bad), LENGTHS, KINDS)


def test_svg_escapes_names():
    d = layout(ComplexSpec("c", (StrandSpec("s", ("<a>", "b&")),), ".."), {}, {})
    svg = to_svg(d, ["<a>", "b&"], title="<c>")
    assert "&lt;a&gt;" in svg and "&lt;c&gt;" in svg and "b&amp;" in svg and "<a>" not in svg


# -- links, reproducibility, any folder -------------------------------------------------------------
def test_internal_links_resolve_and_output_is_reproducible(iris):
    folder, page = iris
    assert broken_links(page, folder) == []
    linked = {t for t in page.links if not t.startswith(("#", "data:"))}
    files = {p.name for p in folder.iterdir() if p.name != "index.html"}
    assert files <= linked  # every file of the folder is linked
    first = (folder / "index.html").read_bytes()
    write_index(folder)
    assert (folder / "index.html").read_bytes() == first
    assert b"http://" not in first.replace(b"http://www.w3.org/2000/svg", b"")
    assert b"https://" not in first


def test_the_link_check_catches_a_missing_file(iris):
    folder, page = iris
    page.links.append("no_such_file.csv")
    page.links.append("#no-such-anchor")
    assert broken_links(page, folder) == ["no_such_file.csv", "#no-such-anchor"]


@pytest.mark.parametrize("design", ["iris/crn", "mnist/crn", "mnist/dsd_soloveichik2010",
                                    "iris_anderson2021/dsd_soloveichik2010", "iris/dsd_qian2011_3D"])
def test_every_committed_kind_of_folder(design, tmp_path):
    folder = copy_design(DESIGNS / design, tmp_path)
    write_index(folder)
    text = (folder / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    summary = json.loads((folder / "summary.json").read_text())
    assert check_figures(page, summary) == [] and broken_links(page, folder) == []
    assert len(text.encode()) < 5 * 2**20 and 'class="problems"' not in text
    if design == "mnist/dsd_soloveichik2010":
        # no strand list: every shape is still drawn, from the scheme, one figure per fuel
        verification = json.loads((folder / "verification.json").read_text())
        expect = {f"shape{k + 1}-f{j}" for k, m in enumerate(verification["modules"]) for j in range(len(m["fuels"]))}
        assert len(verification["modules"]) == 5 and set(page.drawn) == expect
        assert all(page.drawn[f] > 0 for f in expect) and "no strand list" in text


def test_folders_with_missing_or_unknown_files(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    write_index(empty)
    assert "No summary.json" in (empty / "index.html").read_text()

    odd = tmp_path / "odd"
    shutil.copytree(IRIS, odd, ignore=shutil.ignore_patterns("strands.csv", "network.json", "*.png"))
    summary = json.loads((odd / "summary.json").read_text())
    summary["lab"] = {"reporters": 3, "note": "new block"}
    (odd / "summary.json").write_text(json.dumps(summary))
    verification = json.loads((odd / "verification.json").read_text())
    verification["pairs"] = [{"pair": "m0 | m9", "verdict": "not-equivalent", "counterexample": {"state": "X0p"}}]
    (odd / "verification.json").write_text(json.dumps(verification))
    (odd / "extra_table.csv").write_text("a,b\n1,2\n")
    (odd / "notes.md").write_text("# Notes\n<script>alert(1)</script> see [missing](nope.csv) and "
                                  "[t](extra_table.csv)\n")
    (odd / "complexes.csv").write_text((IRIS / "complexes.csv").read_text().replace(
        "m0-f0,m0-f0.0+m0-f0.1,((......+)).", "m0-f0,m0-f0.0+m0-f0.1,((......+))", 1))
    write_index(odd)
    text = (odd / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    assert check_figures(page, summary) == [] and broken_links(page, odd) == []
    assert {"lab.reporters", "lab.note"} <= {f["key"] for f in page.figures}
    assert "m0 | m9" in text and "not-equivalent" in text and "X0p" in text  # the pairs, shown generically
    assert 'href="extra_table.csv"' in text and "notes.md" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="nope.csv"' not in text
    assert "strands.csv lacks" in text  # complexes cannot be drawn without strands: said, not hidden
    assert page.data["complexes"] == {}

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json")
    write_index(bad)
    assert "summary.json: not readable as JSON" in (bad / "index.html").read_text()


def test_a_structure_that_does_not_fit_is_reported_not_fatal(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(IRIS, folder)
    (folder / "complexes.csv").write_text((IRIS / "complexes.csv").read_text().replace(
        "m0-f0,m0-f0.0+m0-f0.1,((......+)).", "m0-f0,m0-f0.0+m0-f0.1,((......+))", 1))
    write_index(folder)
    page = Page((folder / "index.html").read_text(encoding="utf-8"))
    assert "m0-f0" not in page.data["complexes"] and "m0-f1" in page.data["complexes"]
    assert "cannot draw" in (folder / "index.html").read_text()


def test_a_failing_section_costs_only_that_section(tmp_path, monkeypatch):
    """Fault injection: a section that raises is named in the overview; the rest of the page is written."""
    from dsdcompile.report import page as page_module

    def boom(*args):
        raise RuntimeError("injected")

    monkeypatch.setattr(page_module, "kinetics_section", boom)
    folder = copy_design(IRIS, tmp_path)
    write_index(folder)
    text = (folder / "index.html").read_text(encoding="utf-8")
    assert "section kinetics: RuntimeError: injected" in text
    assert 'id="kinetics"' not in text and 'id="verification"' in text and 'id="shape-0"' in text


def test_cli_report(tmp_path):
    folder = copy_design(DESIGNS / "iris" / "crn", tmp_path)
    res = CliRunner().invoke(main, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    assert (folder / "index.html").is_file() and "report written" in res.output
    res = CliRunner().invoke(main, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such design folder" in res.output


def test_index_html_is_the_same_whatever_the_digits_of_the_timings(tmp_path):
    """Two identical runs differ only in summary.json's ``run`` timings (and the verification reports' seconds):
    the page must not show a size that depends on how many digits those timings have."""
    folders = []
    for k, seconds in enumerate((1.5, 1.234567890123)):
        folder = tmp_path / f"run{k}" / "iris"  # one name: it titles a page without a data set
        shutil.copytree(IRIS, folder)
        summary = json.loads((folder / "summary.json").read_text())
        summary["run"] = {"started": "2026-01-01T00:00:00+00:00",
                          "seconds": {stage: seconds * (i + 1) for i, stage in enumerate(("load", "verify"))}}
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        write_index(folder)
        folders.append(folder)
    assert (folders[0] / "summary.json").stat().st_size != (folders[1] / "summary.json").stat().st_size
    assert (folders[0] / "index.html").read_bytes() == (folders[1] / "index.html").read_bytes()


def test_one_table_describes_every_file_for_the_folder_check_the_front_page_and_the_report():
    from dsdcompile.runtime.outputs import OUTPUTS, description, plain
    from dsdcompile.stages.folder import STAGE_FILES

    assert all(f.description for f in OUTPUTS)
    assert {f.name for f in OUTPUTS} == {name for names in STAGE_FILES.values() for name in names}
    for name in sorted(p.name for p in IRIS.iterdir()):
        assert description(name), name  # verified.crn, dyes.csv, wells.csv ... were undescribed in one table or both
    # the committed folder's pages as the current writers write them
    from dsdcompile.lab.frontpage import front_page

    summary = json.loads((IRIS / "summary.json").read_text())
    assert f"| [verified.crn](verified.crn) | {description('verified.crn')} |" in front_page(summary)
    assert f"<td>{plain(description('verified.crn'))}</td>" in _fresh_index(IRIS)


def _fresh_index(folder: Path) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "design"
        shutil.copytree(folder, copy)
        write_index(copy)
        return (copy / "index.html").read_text()


def test_index_states_how_each_shape_binds_its_reactants(tmp_path):
    """Issue 23: index.html says, per module shape, the order its gate binds the reactants in, and why when it
    is not the order written (from verification.json's policy and summary.json's reorder record)."""
    from dsdcompile.report import write_index

    folder = tmp_path / "iris"
    shutil.copytree(IRIS, folder)
    write_index(folder)
    assert "reactants bound in the order written" in (folder / "index.html").read_text()

    summary = json.loads((folder / "summary.json").read_text())
    verification = json.loads((folder / "verification.json").read_text())
    rep = str(verification["modules"][0]["representative"])
    summary["dsd"]["reactant_order"] = {"policy": "search", "reordered": {
        rep: {"reaction": "A + B -> C", "order": "B + A", "why": "as written, modules 0 and 1 interact"}}}
    (folder / "summary.json").write_text(json.dumps(summary))
    write_index(folder)
    page = (folder / "index.html").read_text()
    assert "reactants bound as B + A, not as written (as written, modules 0 and 1 interact)" in page
