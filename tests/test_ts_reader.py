"""The reader of nuskell's translation-scheme language: grammar, interpreter, scheme adapter, real enumeration.

tests/data/ts holds dsdcompile's own built-in schemes written again in the language; each must give the
same complexes and structures (up to domain names) as its Python twin. nuskell's own scheme files are read
where DSDCOMPILE_NUSKELL_SCHEMES names a directory holding them (nuskell is not a dependency).
"""

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsdcompile.cli import main
from dsdcompile.config import DSDConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.schemes import load_scheme
from dsdcompile.dsd.templates import build_template
from dsdcompile.dsd.translate import translate
from dsdcompile.dsd.ts import parse_ts
from dsdcompile.dsd.ts.compare import same_up_to_names
from dsdcompile.dsd.ts.grammar import MAX_BYTES
from dsdcompile.dsd.ts.interp import Interpreter
from dsdcompile.errors import InputError, UnsupportedReaction

DATA = Path(__file__).parent / "data" / "ts"
TWINS = ["soloveichik2010", "qian2011_3D", "cardelli2011_NM"]
# (reactant count, product count) per local species: A->B, A+B->C, A->B+C, 2A->B, A->0, A->A+B, A+B+C->D,
# A+B->C+D, A->2B, A+B->A+C
SHAPES = [((1, 0), (0, 1)), ((1, 0), (1, 0), (0, 1)), ((1, 0), (0, 1), (0, 1)), ((2, 0), (0, 1)), ((1, 0),),
          ((1, 1), (0, 1)), ((1, 0), (1, 0), (1, 0), (0, 1)), ((1, 0), (1, 0), (0, 1), (0, 1)), ((1, 0), (0, 2)),
          ((1, 1), (1, 0), (0, 1))]


def _same(ta, tb) -> bool:
    ka, kb = ({d.name: d.kind for d in t.domains} for t in (ta, tb))
    return same_up_to_names([(c.strands, c.structure) for c in ta.fuels + ta.inputs],
                            [(c.strands, c.structure) for c in tb.fuels + tb.inputs],
                            lambda n, side: (ka if side == 0 else kb)[n])


@pytest.mark.parametrize("name", TWINS)
def test_ts_twin_gives_the_built_in_system(name):
    ts, py = load_scheme(str(DATA / f"{name}.ts")), load_scheme(name)
    assert ts.layout == py.layout
    for key in SHAPES:
        ta, tb = build_template(ts, key), build_template(py, key)
        assert _same(ta, tb), (name, key, [f.kernel() for f in ta.fuels], [f.kernel() for f in tb.fuels])
        assert sorted(f.part for f in ta.fuels) == sorted(f.part for f in tb.fuels)


def test_comparison_tells_different_systems_apart(tmp_path):
    ts = load_scheme(str(DATA / "soloveichik2010.ts"))
    py = load_scheme("soloveichik2010")
    key = ((1, 0), (1, 0), (0, 1))
    # Two structure characters changed: the fork leaves the history domain of its product strand unpaired.
    text = (DATA / "soloveichik2010.ts").read_text().replace('"( ( . . +", "a* d*" | ") )"',
                                                             '". ( . . +", "a* d*" | ") ."')
    broken = tmp_path / "broken.ts"
    broken.write_text(text)
    assert text != (DATA / "soloveichik2010.ts").read_text()
    assert not _same(build_template(load_scheme(str(broken)), key), build_template(py, key))
    assert not _same(build_template(ts, key), build_template(py, ((1, 0), (1, 0), (0, 2))))
    assert not _same(build_template(load_scheme(str(DATA / "cardelli2011_NM.ts")), ((1, 0), (0, 1))),
                     build_template(load_scheme("cardelli2011_NM"), ((1, 0), (0, 1), (0, 1))))


def test_ts_scheme_is_enumerated_and_verified_through_the_cli(tmp_path):
    crn = tmp_path / "cat.crn"
    crn.write_text("A + B -> A + C\nC -> D\n")
    out = tmp_path / "design"
    res = CliRunner().invoke(main, [str(crn), "--scheme", str(DATA / "soloveichik2010.ts"), "--no-kinetics",
                                    "--out", str(out), "--executor", "serial", "-q"])
    assert res.exit_code == 0, res.output
    import json

    s = json.loads((out / "summary.json").read_text())
    assert s["dsd"]["scheme"] == "soloveichik2010"
    assert s["verification"]["verdict"] == "equivalent"


def _interp(src: str) -> Interpreter:
    return Interpreter(parse_ts(textwrap.dedent(src)), "t.ts")


def test_language_semantics():
    it = _interp("""
        global g = short();
        function twice(x) = x + x;
        function pair(a, b) = [a, b];
        function pick(c) = if c == 0 then 10 elseif c == 1 then 11 else if c == 2 then 12 else 13;
        function scoped(x) = y + 1;                 # y comes from the caller: dynamic scoping
        function caller(y) = scoped(0);
        function seq(x) = c where { a = x; b = a + 1; c = [a, b, twice(b)] };
        function unpack(x) = b where [a, [b, c]] = x;
        function lists(x) = [len(x), reverse(x), tail(x), x[-1], sum([]), sum([[1], [2, 3]]), range(3),
                             flip([[1, 2], [3, 4], [5, 6]], 2), map2(pair, 0, [5])]
    """)
    assert [it.call("pick", [c]) for c in range(4)] == [10, 11, 12, 13]
    assert it.call("caller", [41]) == 42
    assert it.call("seq", [1]) == [1, 2, 4]
    assert it.call("unpack", [[1, [2, 3]]]) == 2
    assert it.call("lists", [[1, 2, 3]]) == [3, [3, 2, 1], [2, 3], 3, [], [1, 2, 3], [0, 1, 2],
                                              [[1, 3, 5], [2, 4, 6]], [[0, 5]]]
    with pytest.raises(InputError, match="needs a list"):
        it.call("lists", [5])


def test_complex_splicing_and_strand_breaks():
    it = _interp("""
        macro part(s) = ["x +" | "( +", "x*" | ")"] where x = long();
        class cplx(n) = "? a ps + + qs a*" | ". ( ~ + + ~ )"
          where { a = short(); [ps, rqs] = flip(map(part, range(n)), 2); qs = reverse(rqs) };
        module main(n) = infty(cplx(n))
    """)
    for n in (0, 1, 3):
        [fuel] = it.call("main", [n])
        strands = "".join(fuel.struct).split("+")
        # the doubled break, and the break each part ends with, become single breaks
        assert strands == ([".((" if n else ".("] + ["("] * (n - 1) + [")" * (n + 1)]), strands
        assert "+" not in (fuel.seq[0], fuel.seq[-1])
    a, b = it.call("main", [0])[0].seq[0], it.call("main", [0])[0].seq[0]
    assert a.dom is not b.dom  # '?' is a fresh history domain each time


@pytest.mark.parametrize("src, message", [
    ('class formal(s) = "a b" | ". .', "syntax error"),
    ('class formal(s) = ["a" | "."', "syntax error"),
    ('class formal(s) = "a b" | ". . ."', "2 sequence tokens"),
    ('class formal(s) = "a b" | ". x"', "bad structure character"),
    ("module main(crn) = " + "[" * 5000 + "]" * 5000, "nested deeper"),
    ("module main(crn) = 1 +", "syntax error"),
    ("module main(crn) = " + " + ".join(["1"] * 20_000), "more than 20000"),
    ("module main(crn) = " + "- " * 5000 + "1", "nested too deeply"),
    ("class formal(s) = x where tail = 1", "rebinds a built-in"),
])
def test_hostile_or_broken_text_is_refused_with_a_line(src, message):
    with pytest.raises(InputError, match=message) as e:
        Interpreter(parse_ts(src, "bad.ts"), "bad.ts")
    assert str(e.value).startswith("bad.ts:")


def test_huge_and_binary_files_are_refused(tmp_path):
    big = tmp_path / "big.ts"
    big.write_text("# x\n" * (MAX_BYTES // 4 + 10))
    nul = tmp_path / "nul.ts"
    nul.write_bytes(b"class formal(s) = \x00")
    latin = tmp_path / "latin.ts"
    latin.write_bytes(b"# \xff\n")
    for path, message in ((big, "larger than"), (nul, "NUL"), (latin, "UTF-8")):
        with pytest.raises(InputError, match=message):
            load_scheme(str(path))


def _scheme(tmp_path, body: str):
    path = tmp_path / "s.ts"
    path.write_text('class formal(s) = "? t b" | ". . ." where { t = short(); b = long() };\n'
                    + textwrap.dedent(body))
    return str(path)


def test_runaway_evaluation_is_refused(tmp_path):
    loop = _scheme(tmp_path, "function f(x) = f(x);\nmodule main(crn) = f(crn)")
    with pytest.raises(InputError, match="nested deeper"):
        translate(parse_crn("A -> B\n"), loop, DSDConfig())
    grow = _scheme(tmp_path, "function f(x) = f(x + x);\nmodule main(crn) = f([1])")
    with pytest.raises(InputError, match="list longer|nested deeper"):
        translate(parse_crn("A -> B\n"), grow, DSDConfig())


def test_abort_refuses_the_reaction_with_the_schemes_message(tmp_path):
    path = _scheme(tmp_path, """
        module rxn(r) = if len(r.reactants) > 1 then abort('only unimolecular reactions') else
            infty("x b* t*" | ". . .") where { x = long(); b = r.reactants[0].b; t = r.reactants[0].t };
        module main(crn) = sum(map(rxn, crn))
    """)
    assert translate(parse_crn("A -> B\n"), path, DSDConfig()).templates
    with pytest.raises(UnsupportedReaction, match="only unimolecular reactions") as e:
        translate(parse_crn("A + B -> C\n"), path, DSDConfig())
    assert ":3:" in str(e.value)


def test_cli_refuses_a_broken_scheme_in_one_line(tmp_path):
    crn = tmp_path / "a.crn"
    crn.write_text("A -> B\n")
    bad = tmp_path / "bad.ts"
    bad.write_text('class formal(s) = "a b" | ". .\nmodule main(crn) = 1')
    res = CliRunner().invoke(main, [str(crn), "--scheme", str(bad), "--no-kinetics", "--out",
                                    str(tmp_path / "o"), "-q"])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "bad.ts:" in lines[0], res.output
    assert not (tmp_path / "o").exists()


def test_unsupported_signal_layouts_are_refused(tmp_path):
    late = tmp_path / "late.ts"
    late.write_text('class formal(s) = "x ?" | ". ." where x = long();\nmodule main(crn) = []')
    with pytest.raises(InputError, match="only as the first domain"):
        load_scheme(str(late))
    nomain = tmp_path / "nomain.ts"
    nomain.write_text('class formal(s) = "x" | "." where x = long()')
    with pytest.raises(InputError, match="must define main"):
        load_scheme(str(nomain))


NUSKELL = os.environ.get("DSDCOMPILE_NUSKELL_SCHEMES")


@pytest.mark.skipif(not NUSKELL, reason="set DSDCOMPILE_NUSKELL_SCHEMES to a folder of nuskell's .ts files")
def test_nuskells_own_schemes_read():
    files = sorted(Path(NUSKELL).rglob("*.ts"))
    assert files
    for f in files:
        program = parse_ts(f.read_text(), str(f))
        Interpreter(program, str(f))
        try:
            scheme = load_scheme(str(f))
        except InputError as e:  # documented limit: a late or repeated '?'
            assert "only as the first domain" in str(e), str(e)
            continue
        for key in SHAPES:
            try:
                assert build_template(scheme, key).fuels
            except UnsupportedReaction as e:  # the scheme's own abort: it names the scheme
                assert scheme.name in str(e), str(e)


TS_BUILTINS = [n for n, target in __import__("translation_schemes").BUILTIN.items() if target.endswith(".ts")]
TS_FILES = sorted((Path(__file__).parents[1] / "translation_schemes" / "ts").glob("*.ts"))


def test_registered_ts_schemes_are_the_packaged_files():
    assert TS_BUILTINS and set(TS_BUILTINS) <= {f.stem for f in TS_FILES}


@pytest.mark.parametrize("path", TS_FILES, ids=lambda p: p.stem)
def test_packaged_ts_schemes_load_with_citation_and_translate(path):
    scheme = load_scheme(str(path))
    assert scheme.name == path.stem and "20" in scheme.citation and "." in scheme.citation
    for key in SHAPES:
        tpl = build_template(scheme, key)
        assert tpl.fuels and all(f.part in scheme.fuel_roles for f in tpl.fuels)


GATES = os.environ.get("DSDCOMPILE_NUSKELL_GATES")


@pytest.mark.skipif(not GATES, reason="set DSDCOMPILE_NUSKELL_GATES to a dump of scripts/nuskell_gates.py")
def test_built_in_ts_schemes_give_nuskells_gates():
    import importlib.util
    import json

    script = Path(__file__).parents[1] / "scripts" / "compare_ts_nuskell.py"
    spec = importlib.util.spec_from_file_location("cmp", script)
    cmp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cmp)
    dump = json.loads(Path(GATES).read_text())
    checked = 0
    for key, entry in dump.items():
        ts, crn = key.split("|")
        files = {f.stem: f for f in TS_FILES}
        name = Path(ts).stem
        if name in files and "/tests/" not in ts and not crn.strip().startswith("->"):
            assert cmp.compare(entry, load_scheme(str(files[name])), crn) == "same", (name, crn)
            checked += 1
    assert checked


def test_mutated_schemes_fail_only_with_input_errors(tmp_path):
    """Seeded random edits of real schemes: each either works or is refused with an InputError."""
    import random

    sources = [p.read_text() for p in TS_FILES + sorted(DATA.glob("*.ts"))]
    tokens = list("()[]{}\"'|+*~?.;=,#abxt0 \n") + ["where", "if", "then", "else", "and", "class", "global",
                                                    "infty", "short()", "tail", "flip"]
    rng = random.Random(24)
    path = tmp_path / "m.ts"
    refused = 0
    for _ in range(120):
        text = list(rng.choice(sources))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(text))
            if rng.random() < 0.5:
                del text[pos:pos + rng.randint(1, 5)]
            else:
                text.insert(pos, rng.choice(tokens))
        path.write_text("".join(text))
        try:
            scheme = load_scheme(str(path))
            for key in SHAPES[:3]:
                build_template(scheme, key)
        except InputError as e:
            assert str(e).startswith(str(path)) or "fuel" in str(e) or "scheme" in str(e), str(e)
            refused += 1
    assert refused > 60


def test_a_scheme_refusing_some_shapes_still_gets_its_product_limit(tmp_path):
    path = _scheme(tmp_path, """
        class gate(r, p) = "a b c d x*" | ". . . . ." where { a = r[0].b; b = r[1].b; c = p[0].b; d = p[1].b;
                                                              x = short() };
        module rxn(r) = if len(r.reactants) != 2 or len(r.products) != 2 then abort('only 2 -> 2 reactions')
                        else infty(gate(r.reactants, r.products));
        module main(crn) = sum(map(rxn, crn))
    """)
    system = translate(parse_crn("A + B -> C + D\n"), path, DSDConfig())
    assert system.max_products == 2 and len(system.templates) == 1
    with pytest.raises(UnsupportedReaction, match="only 2 -> 2 reactions"):
        translate(parse_crn("A -> B\n"), path, DSDConfig())


def test_the_grammar_keeps_its_whitespace_after_dsdobjects_changed_pyparsings_default():
    """dsdobjects' PIL parser sets pyparsing's (global) default whitespace to exclude newlines when it builds
    its grammar (peppercorn reading a PIL file); a scheme read after that, in the same process, must still
    parse across lines."""
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "from dsdobjects import parse_pil_string\n"
            "parse_pil_string('length a = 5\\n')  # builds dsdobjects' grammar, changing pyparsing's default\n"
            "import pyparsing as pp\n"
            "assert '\\n' not in pp.ParserElement.DEFAULT_WHITE_CHARS, 'dsdobjects no longer changes it'\n"
            "from dsdcompile.dsd.ts.grammar import parse_ts\n"
            "defs = parse_ts('function f(x) =\\n  x;\\n\\nfunction g(y) = y;\\n')\n"
            "print(len(defs))\n")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "2"
