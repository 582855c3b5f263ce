"""The .crn text and JSON formats: round trips, nuskell's syntax, one set of rules, errors with line and column."""

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.random_nets import random_ternary_network

from dsdcompile.crn import (
    MAX_COEFFICIENT,
    crn_from_json,
    crn_to_json,
    format_crn,
    parse_crn,
    read_crn,
    read_crn_file,
    read_crn_json,
    validate_crn,
    write_crn,
    write_crn_json,
)
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Dense, Network, Reaction, Role, Signal, Species
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn
from dsdcompile.passes.anderson import compile_anderson


def key(crn: CRN) -> tuple:
    """Everything a CRN holds, in order: two CRNs are the same CRN when their keys are equal."""
    return ([(s.name, s.role, s.node, s.rail) for s in crn.species],
            [(r.reactants, r.products, r.rate) for r in crn.reactions],
            list(crn.initial), list(crn.inputs), list(crn.outputs))


def assert_round_trips(crn: CRN) -> None:
    """What a reader accepted writes as text and as JSON that read back as the same CRN."""
    text = format_crn(crn)
    again = parse_crn(text)
    assert key(again) == key(crn)
    assert format_crn(again) == text
    assert key(crn_from_json(json.loads(json.dumps(crn_to_json(crn))))) == key(crn)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 10_000))
def test_round_trip_text_and_json(sizes, seed):
    formal = compile_network(random_ternary_network(sizes, seed=seed, zero_fraction=0.3))
    for crn in (formal, reduce_crn(formal), add_annihilation(formal)):
        validate_crn(crn)
        text = format_crn(crn)
        again = parse_crn(text)
        assert format_crn(again) == text
        assert format_crn(crn_from_json(crn_to_json(crn))) == text
        assert [(s.name, s.role, s.node, s.rail) for s in again.species] == \
            [(s.name, s.role, s.node, s.rail) for s in crn.species]


def test_the_rules_accept_what_the_constructions_make():
    """The validator refuses nothing the compile passes produce (rates, helpers, dual rails included)."""
    rng = np.random.default_rng(0)
    net = Network((Dense(rng.normal(size=(3, 2)), rng.normal(size=3), True),
                   Dense(rng.normal(size=(2, 3)), rng.normal(size=2), False)), ("a", "b"), ("y", "z"))
    assert_round_trips(validate_crn(compile_anderson(net, 0.01)))


def test_files_round_trip(tmp_path):
    crn = reduce_crn(compile_network(random_ternary_network((3, 4, 2), seed=1)))
    write_crn(crn, tmp_path / "a.crn")
    write_crn_json(crn, tmp_path / "a.json")
    assert format_crn(read_crn(tmp_path / "a.crn")) == format_crn(crn)
    assert format_crn(read_crn_json(tmp_path / "a.json")) == format_crn(crn)
    # read_crn_file tells the two apart by content, not by the name
    (tmp_path / "a.json").rename(tmp_path / "json.txt")
    (tmp_path / "a.crn").rename(tmp_path / "text.json")
    assert format_crn(read_crn_file(tmp_path / "json.txt")) == format_crn(crn)
    assert format_crn(read_crn_file(tmp_path / "text.json")) == format_crn(crn)


def test_rates_coefficients_and_empty_products():
    crn = parse_crn("""
        # a comment line
        A + B -> 2 C [k=2.5]   # trailing comment
        C ->
        @init A = 1e-3
    """)
    r0, r1 = crn.reactions
    assert r0.rate == 2.5 and r0.products == (("C", 2),)
    assert r1.products == ()
    assert dict(crn.initial) == {"A": 1e-3}


# ----------------------------------------------------------------------------- nuskell's syntax
def reactions_of(text: str) -> list[tuple[str, float | None]]:
    return [(str(r), r.rate) for r in parse_crn(text).reactions]


@pytest.mark.parametrize(
    "text, expected",
    [
        # <=> is two reactions, forward first; rates kf/fw forward, kr/bw/rv reverse, or two numbers
        ("A + B <=> C", [("A + B -> C", None), ("C -> A + B", None)]),
        ("A + B <=> C [kf = 1, kr = 2]", [("A + B -> C", 1.0), ("C -> A + B", 2.0)]),
        ("A <=> B [fw=3, bw=4]", [("A -> B", 3.0), ("B -> A", 4.0)]),
        ("A <=> B [rv = 4, kf = 3]", [("A -> B", 3.0), ("B -> A", 4.0)]),
        ("A <=> B [3, 4.5e-2]", [("A -> B", 3.0), ("B -> A", 0.045)]),
        ("A <=> B [kr = 7]", [("A -> B", None), ("B -> A", 7.0)]),
        ("<=> A  [kf = 15, kr = 6]", [("0 -> A", 15.0), ("A ->", 6.0)]),
        ("A <=>", [("A ->", None), ("0 -> A", None)]),
        # empty sides: nothing, 0 or ∅
        ("-> A", [("0 -> A", None)]),
        ("->X", [("0 -> X", None)]),
        ("A ->", [("A ->", None)]),
        ("B->", [("B ->", None)]),
        ("0 -> A", [("0 -> A", None)]),
        ("∅ -> A", [("0 -> A", None)]),
        ("A -> ∅", [("A ->", None)]),
        ("A -> 0 [k=2]", [("A ->", 2.0)]),
        # several reactions on a line, with or without spaces; comments end the line
        ("A+C->X+Y; Y<=>L; L -> C+A",
         [("A + C -> X + Y", None), ("Y -> L", None), ("L -> Y", None), ("L -> C + A", None)]),
        ("A -> B;B -> C ;", [("A -> B", None), ("B -> C", None)]),
        ("A -> B # C -> D; D -> E", [("A -> B", None)]),
        # rate constants with spaces, without a key, in any float notation
        ("A -> B [k = 1.5]", [("A -> B", 1.5)]),
        ("A -> B [ k=2e-3 ]", [("A -> B", 0.002)]),
        ("A -> B [13.78]", [("A -> B", 13.78)]),
        ("A -> B [k = .5]", [("A -> B", 0.5)]),
        # coefficients: 2A, 2 A, 2*A, repeats
        ("A + 2C -> E [k = 13.78]; E + F <=> 2A  [kf = 13, kr = 14]",
         [("A + 2 C -> E", 13.78), ("E + F -> 2 A", 13.0), ("2 A -> E + F", 14.0)]),
        ("2*A -> 3 * B", [("2 A -> 3 B", None)]),
        ("A + A -> A + B + A", [("2 A -> 2 A + B", None)]),
        ("e106 + A <=> e100", [("e106 + A -> e100", None), ("e100 -> e106 + A", None)]),
        (f"A -> {MAX_COEFFICIENT} B", [(f"A -> {MAX_COEFFICIENT} B", None)]),
        ("A -> 007 B", [("A -> 7 B", None)]),
    ],
)
def test_nuskell_forms(text, expected):
    assert reactions_of(text) == expected
    assert_round_trips(parse_crn(text))


def test_nuskell_concentrations():
    """``X @initial 5`` (or ``@i``) is ``@init X = 5``; ``@constant`` is refused, not ignored."""
    crn = parse_crn("A + B -> C + D; A + A <=> C + A; C @i 5\nD @ initial 0.5")
    assert crn.initial == (("C", 5.0), ("D", 0.5))
    assert [s.name for s in crn.species] == ["A", "B", "C", "D"]
    with pytest.raises(InputError, match="1:12: constant concentrations"):
        parse_crn("A -> B; C @constant 100", path="x")
    with pytest.raises(InputError, match="@c"):
        parse_crn("A -> B\nC @c 100")


# CRN files as nuskell ships them (github.com/DNA-and-Natural-Algorithms-Group/nuskell, tests/crns/
# and the docstrings and tests of nuskell/dsdcompiler/crn_parser.py), copied as data. Each: the
# text, the number of reactions it means (<=> counts two) and its species.
NUSKELL_CRNS = {
    "basic/irr/irr_open_01.crn": ("A -> \n", 1, "A"),
    "basic/irr/irr_open_02.crn": ("-> A\n", 1, "A"),
    "basic/irr/irr_open_06.crn": ("-> A + B\n", 1, "A B"),
    "basic/rev/rev_open_02.crn": ("<=> A\n", 2, "A"),
    "basic/rev/rev_open_03.crn": ("A + A <=> \n", 2, "A"),
    "basic/rev/rev_basic_06.crn": ("A + B <=> C\n", 2, "A B C"),
    "basic/rev/rev_basic_07.crn": ("A <=> A + A\n", 2, "A"),
    "binary/rev/rev_bin_14.crn": ("A + B <=> C + D\n", 2, "A B C D"),
    "bin_counter_01.crn": ("        A <=>         X\n    B + X <=>     Y + A\nC + Y + X <=> Z + B + A\n",
                           6, "A X B Y C Z"),
    "oscillator_01.crn": ("A + B -> 2B\nB + C -> 2C \nC + A -> 2A\n", 3, "A B C"),
    "roessler_01.crn": ("A <=> 2A\nA + B -> 2B\nB ->\nA + C ->\nC <=> 2C\n", 7, "A B C"),
    "roessler_formal.crn": ("A <=> A+A\nA+B -> B+B \nB ->\nA + C -> \nC <=> C + C\n", 7, "A B C"),
    "crn6.crn": ("A + B -> A + C\nB + A -> X + B + A\nX -> X + Y + X\nY + B -> Y + X + A\nX ->\nX + A -> C\n",
                 6, "A B C X Y"),
    "icrns/roessler_qian2011_module2.crn": (
        "A <=> e107\ne112 + B <=> e111\ne113 -> e114 + e110\ne108 <=> e107 + B\n"
        "e108 -> e109 + e110 + e111\ne113 + B <=> e112\n\n", 10,
        "A e107 e112 B e111 e113 e114 e110 e108 e109"),
    "icrns/crn6_qingdong_thesis.crn (first lines)": (
        "i119 -> i194 + A + B + X\ni2232 -> A\ni2232 + B -> i2300 + i2340\ni394 -> i1457 + X + X + Y\n\n",
        4, "i119 i194 A B X i2232 i2300 i2340 i394 i1457 Y"),
    "crn_parser.py docstring": (
        "# <- this is a comment!\nB + B -> C    # [k = 1]\nC + A <=> D   # [kf = 1, kr = 1]\n"
        "<=> A  [kf = 15, kr = 6]\n\nA + 2C -> E [k = 13.78]; E + F <=> 2A  [kf = 13, kr = 14]\n",
        8, "B C A D E F"),
    "test_crn_parser.py": ("A+C->X+Y; Y<=>L; L -> C+A", 4, "A C X Y L"),
    "README.md": ("A + B <=> X + Y; X -> A", 3, "A B X Y"),
    "test_compiler.py": ("A + B -> C + D; A + A <=> C + A; C @i 5", 3, "A B C D"),
}


@pytest.mark.parametrize("name", sorted(NUSKELL_CRNS))
def test_nuskell_test_crns_parse(name):
    text, n_reactions, species = NUSKELL_CRNS[name]
    crn = parse_crn(text, path=name)
    assert crn.n_reactions == n_reactions
    assert [s.name for s in crn.species] == species.split()
    assert_round_trips(crn)


def test_nuskell_reversible_pairs_exactly():
    """bin_counter_01.crn: ``C + Y + X <=> Z + B + A`` is a trimolecular reaction and its reverse."""
    crn = parse_crn(NUSKELL_CRNS["bin_counter_01.crn"][0])
    assert [str(r) for r in crn.reactions[4:]] == ["C + Y + X -> Z + B + A", "Z + B + A -> C + Y + X"]


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "text, where, message",
    [
        ("A -> B\nA + -> B", "2:5", "expected '[count] species'"),
        ("A -> B [k=-1]", "1:11", "rate constant must be positive"),
        ("A -> 2.5 B", "1:6", "expected '[count] species'"),
        ("@init A = x\nA -> B", "1:11", "is not a number"),
        ("@frobnicate A", "1:1", "unknown directive"),
        ("A B -> C", "1:1", "expected '[count] species'"),
        ("A -> B -> C", "1:8", "more than one '->'"),
        ("A -> B <=> C", "1:8", "more than one '->' or '<=>'"),
        ("just words", "1:1", "expected a reaction"),
        ("@species A fuelish\nA -> B", "1:1", "ROLE one of"),
        ("A -> B\n  ->", "2:3", "needs reactants or products"),
        ("A -> B; 0 <=> ∅", "1:9", "needs reactants or products"),
        ("A -> 0 B", "1:6", "at least 1"),
        ("A -> 1000001 B", "1:6", "above the limit of 1,000,000"),
        ("A -> " + "9" * 5000 + " B", "1:6", "above the limit of 1,000,000"),
        ("A + " * 3 + f"{MAX_COEFFICIENT} A -> B", "1:13", "above the limit of 1,000,000"),
        ("A -> B [k=1e400]", "1:11", "positive and finite, got 1e400"),
        ("A -> B [k=0]", "1:11", "positive and finite"),
        ("A -> B [k=nan]", "1:11", "is not a number"),
        ("A -> B [k=1_000]", "1:11", "is not a number"),
        ("A -> B [k=1] C", "1:8", "at the end of the reaction"),
        ("A -> B [k=1", "1:8", "at the end of the reaction"),
        ("A <=> B [k = 1]", "1:10", "unknown rate 'k'"),
        ("A -> B [kf = 1, kr = 2]", "1:9", "unknown rate 'kf'"),
        ("A <=> B [kf = 1, fw = 2]", "1:18", "given twice"),
        ("A <=> B [1]", "1:10", "[kf = VALUE, kr = VALUE]"),
        ("A -> B [1, 2]", "1:9", "[k = VALUE]"),
        ("@init A = -1\nA -> B", "1:11", "finite and >= 0"),
        ("@init A = inf\nA -> B", "1:11", "is not a number"),
        ("A -> B\nX @ initial -2", "2:13", "finite and >= 0"),
        ("A -> B; X @ final 2", "1:9", "NAME @initial VALUE"),
        ("Ä -> B", "1:1", "expected '[count] species'"),
        ("A -> B\n@input a X\n@output b X", "3:1", "rail of two signals"),
        ("A -> B\n@input a X X", "2:1", "same species"),
        ('A -> B\n@input "a X', "2:8", "unterminated quoted name"),
        ('A -> B\n@input "a\\u0007" X', "2:8", "control character"),
        ("A -> B\n@species A hidden node=", "2:19", "unknown species attribute"),
        ("@species 1A hidden\nA -> B", "1:10", "invalid species name"),
    ],
)
def test_parse_errors_name_line_and_column(text, where, message):
    with pytest.raises(InputError) as info:
        parse_crn(text, path="bad.crn")
    assert str(info.value).startswith(f"bad.crn:{where}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "@init A = 1", "@input x X\n"])
def test_a_crn_needs_a_reaction(text):
    with pytest.raises(InputError, match="bad.crn: no reactions found"):
        parse_crn(text, path="bad.crn")


def test_signals_override_species_roles_whatever_the_order():
    """``@input``/``@output`` decide their rails' roles, before or after ``@species``; nodes pair dual rails."""
    crn = parse_crn('@input "sepal length" Xp Xm\n@species Xp hidden\n@species Y fuel node=n rail=+\n'
                    '@output y Y\nXp -> Y; Xm ->')
    assert [(s.name, s.role, s.node, s.rail) for s in crn.species] == [
        ("Xp", Role.INPUT, "x:sepal length", 1), ("Xm", Role.INPUT, "x:sepal length", -1),
        ("Y", Role.OUTPUT, "n", 1)]
    assert_round_trips(crn)
    assert 'node="x:sepal length"' in format_crn(crn)


def test_quoted_names_keep_comment_and_separator_characters():
    crn = parse_crn('@input "a;b # c" X; @output "\\"q\\"" Y  # a comment\nX -> Y')
    assert [s.name for s in crn.inputs + crn.outputs] == ["a;b # c", '"q"']
    assert_round_trips(crn)


# ----------------------------------------------------------------------------- JSON
def valid_json() -> dict:
    return crn_to_json(parse_crn('@input "in put" X1 X2\n@output out Y\n@init X1 = 0.5\nX1 + X2 -> 2 Y [k=2]\n'
                                 'Y ->\n0 -> X1'))


def _set(data: dict, where: str, value) -> dict:
    """data with the item at a dotted path (``reactions.0.products.0.1``) replaced by value."""
    *parents, last = where.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return data


@pytest.mark.parametrize(
    "where, value, message",
    [
        ("reactions.0.products.0.1", -2, "at least 1"),
        ("reactions.0.products.0.1", 0, "at least 1"),
        ("reactions.0.products.0.1", 2.0, "whole number, got 2.0"),
        ("reactions.0.products.0.1", True, "whole number, got True"),
        ("reactions.0.products.0.1", "2", "whole number, got '2'"),
        ("reactions.0.products.0.1", MAX_COEFFICIENT + 1, "above the limit of 1,000,000"),
        ("reactions.0.products.0.0", "Y ", "invalid species name 'Y '"),
        ("reactions.0.products.0.0", ["Y"], "species name must be a string"),
        ("reactions.0.products.0.0", "Z", "undeclared species 'Z'"),
        ("reactions.0.products.0", ["Y", 1, 1], "a list of 2 items"),
        ("reactions.0.rate", 0, "positive and finite"),
        ("reactions.0.rate", -1.5, "positive and finite"),
        ("reactions.0.rate", False, "rate constant must be a number"),
        ("reactions.0.rate", "2", "rate constant must be a number"),
        ("reactions.1.reactants", [], "needs reactants or products"),
        ("reactions", [], "no reactions found"),
        ("reactions", {}, "expected a list"),
        ("species.0.name", "X 1", "invalid species name 'X 1'"),
        ("species.0.role", "fuelish", "role must be one of"),
        ("species.0.rail", 2, "rail must be -1, 0 or 1"),
        ("species.0.rail", True, "rail must be -1, 0 or 1"),
        ("species.0.node", "", "node must be a non-empty string"),
        ("species.1", {"name": "X1", "role": "input"}, "duplicate species names: X1"),
        ("initial.0.1", -1, "finite and >= 0"),
        ("initial.0.1", None, "must be a number"),
        ("initial.0", ["X1"], "a list of 2 items"),
        ("inputs.0.0", "", "signal name must be a non-empty string"),
        ("inputs.0.0", "a\nb", "control character"),
        ("inputs.0.2", "X1", "same species"),
        ("inputs.0.2", "Q", "undeclared species 'Q'"),
        ("outputs.0.1", "X2", "rail of two signals"),
        ("version", 2, "unsupported CRN JSON version"),
        ("format", "dsdcompile-crm", "not a dsdcompile CRN JSON file"),
    ],
)
def test_json_follows_the_text_rules(where, value, message):
    data = _set(valid_json(), where, value)
    with pytest.raises(InputError) as info:
        crn_from_json(data, path="bad.json")
    assert str(info.value).startswith("bad.json: ")
    assert message in str(info.value)


def test_the_json_fixture_is_valid():
    assert_round_trips(crn_from_json(valid_json()))


def test_json_signals_decide_rail_roles_like_text():
    """A rail listed with another role or without a node reads as the text reader would read it."""
    data = _set(_set(valid_json(), "species.0.role", "hidden"), "species.0.node", None)
    crn = crn_from_json(data)
    assert crn.species[0] == Species("X1", Role.INPUT, "x:in put", 1)
    assert_round_trips(crn)


def test_json_repeats_merge_like_text():
    data = _set(valid_json(), "reactions.0.products", [["Y", 1], ["Y", 2]])
    assert str(crn_from_json(data).reactions[0]) == "X1 + X2 -> 3 Y"


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "dsdcompile-crn", "species": [], "reactions": [], "x": 1e400}', "1e400 is out of range"),
        ('{"format": "dsdcompile-crn", "species": [], "reactions": [], "x": -1e400}', "out of range"),
        ('{"format": "dsdcompile-crn", "species": [], "reactions": [], "x": NaN}', "NaN is not a number"),
        ('{"format": "dsdcompile-crn", "species": [], "reactions": [], "x": Infinity}', "Infinity is not"),
        ('{"format": "dsdcompile-crn", "x": ' + "9" * 5000 + "}", "integer with 5000 digits"),
        ('{"format": "dsdcompile-crn", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"format": "dsdcompile-crn", ', "invalid JSON"),
        ("[1, 2]", "not a dsdcompile CRN JSON file"),
    ],
)
def test_json_numbers_and_nesting(tmp_path, text, message):
    (tmp_path / "x.json").write_text(text)
    for reader in (read_crn_json, read_crn_file):
        with pytest.raises(InputError) as info:
            reader(tmp_path / "x.json")
        assert message in str(info.value)
        assert str(info.value).startswith(str(tmp_path / "x.json") + ":")


def test_json_coefficient_1e400_in_place(tmp_path):
    text = json.dumps(valid_json()).replace('"products": [["Y", 2]]', '"products": [["Y", 1e400]]')
    assert "1e400" in text
    (tmp_path / "x.json").write_text(text)
    with pytest.raises(InputError, match="out of range"):
        read_crn_file(tmp_path / "x.json")


def test_json_must_say_what_it_is(tmp_path):
    (tmp_path / "x.json").write_text('{"species": []}')
    with pytest.raises(InputError, match="not a dsdcompile CRN JSON"):
        read_crn_json(tmp_path / "x.json")


# ----------------------------------------------------------------------------- validate_crn on built CRNs
@pytest.mark.parametrize(
    "crn, message",
    [
        (CRN((Species("A"),), ()), "no reactions found"),
        (CRN((Species("A"),), (Reaction((("A", 1),), (("A", 0),)),)), "at least 1"),
        (CRN((Species("A"),), (Reaction((("A", 1),), (("A", True),)),)), "whole number"),
        (CRN((Species("A"),), (Reaction((("A", 1),), (), math.inf),)), "positive and finite"),
        (CRN((Species("A"),), (Reaction((), ()),)), "needs reactants or products"),
        (CRN((Species("A b"),), (Reaction((("A b", 1),), ()),)), "invalid species name"),
        (CRN((Species("A"),), (Reaction((("A", 1),), ()),), (("A", math.nan),)), "finite and >= 0"),
        (CRN((Species("A"), Species("B")), (Reaction((("A", 1),), ()),), (), (Signal("a", "A", "B"),)),
         "needs role input (it has intermediate) and a node"),
    ],
)
def test_validate_crn_refuses(crn, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_crn(crn)


def test_many_species_construct_and_duplicates_are_named():
    """60,000 species parse (the duplicate check was quadratic: 30 s); a duplicate is named."""
    names = [f"S{i}" for i in range(60_000)]
    crn = parse_crn("".join(f"@species {n} intermediate\n" for n in names) + "S0 -> S1\n")
    assert crn.n_species == 60_000
    species = crn.species + (Species("S5"), Species("S7"))
    with pytest.raises(InputError, match="^duplicate species names: S5, S7$"):
        CRN(species, crn.reactions)


def test_python_values_beyond_json():
    """crn_from_json and validate_crn take Python data too: huge ints and deep nesting are InputErrors."""
    deep: list = []
    for _ in range(200_000):
        deep = [deep]
    cases = [("species.0", deep, "expected an object, got [[[[...]]]]"),
             ("reactions.0.rate", 10**400, "positive and finite, got an integer of"),
             ("reactions.0.products.0.1", 10**5000, "an integer of about 5,000 digits"),
             ("initial.0.1", 10**400, "finite and >= 0")]
    for where, value, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            crn_from_json(_set(valid_json(), where, value))
    big = CRN((Species("A"),), (Reaction((("A", 10**5000),), ()),))
    with pytest.raises(InputError, match="reaction 1 \\(with a huge coefficient\\): stoichiometric coefficient an"):
        validate_crn(big)
    assert validate_crn(CRN((Species("A"),), (Reaction((("A", 1),), (), np.float64(2.0)),))).reactions[0].rate == 2
