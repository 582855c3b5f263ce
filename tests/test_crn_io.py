"""The .crn text and JSON formats: round trips and parse errors with line and column."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsdcompile.crn_io import (
    crn_from_json,
    crn_to_json,
    format_crn,
    parse_crn,
    read_crn,
    read_crn_json,
    write_crn,
    write_crn_json,
)
from dsdcompile.errors import InputError
from dsdcompile.passes import add_annihilation, compile_network, reduce_crn
from dsdcompile.random_nets import random_ternary_network


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 10_000))
def test_round_trip_text_and_json(sizes, seed):
    formal = compile_network(random_ternary_network(sizes, seed=seed, zero_fraction=0.3))
    for crn in (formal, reduce_crn(formal), add_annihilation(formal)):
        text = format_crn(crn)
        again = parse_crn(text)
        assert format_crn(again) == text
        assert format_crn(crn_from_json(crn_to_json(crn))) == text
        assert [(s.name, s.role, s.node, s.rail) for s in again.species] == \
            [(s.name, s.role, s.node, s.rail) for s in crn.species]


def test_files_round_trip(tmp_path):
    crn = reduce_crn(compile_network(random_ternary_network((3, 4, 2), seed=1)))
    write_crn(crn, tmp_path / "a.crn")
    write_crn_json(crn, tmp_path / "a.json")
    assert format_crn(read_crn(tmp_path / "a.crn")) == format_crn(crn)
    assert format_crn(read_crn_json(tmp_path / "a.json")) == format_crn(crn)


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
        ("-> B", "1:1", "at least one reactant"),
        ("just words", "1:1", "expected a reaction"),
        ("@species A fuelish\nA -> B", "1:1", "ROLE one of"),
    ],
)
def test_parse_errors_name_line_and_column(text, where, message):
    with pytest.raises(InputError) as info:
        parse_crn(text, path="bad.crn")
    assert str(info.value).startswith(f"bad.crn:{where}: ")
    assert message in str(info.value)


def test_json_must_say_what_it_is(tmp_path):
    (tmp_path / "x.json").write_text('{"species": []}')
    with pytest.raises(InputError, match="not a dsdcompile CRN JSON"):
        read_crn_json(tmp_path / "x.json")
