"""CRN files as a careless or hostile user makes them: random and mutated CRNs, odd files, content sniffing.

Every reader answer is either a CRN that writes and reads back the same, or one InputError line.
"""

import json
import os
import pickle
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.random_nets import random_ternary_network
from test_crn_io import NUSKELL_CRNS, assert_round_trips, key

from dsdcompile.crn import (
    MAX_COEFFICIENT,
    MAX_CRN_FILE_BYTES,
    SNIFF_BYTES,
    crn_file_kind,
    crn_to_json,
    format_crn,
    looks_like_crn_text,
    parse_crn,
    read_crn,
    read_crn_file,
    read_crn_json,
    validate_crn,
    write_crn,
    write_crn_json,
)
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species
from dsdcompile.passes import compile_network, reduce_crn

MUTATION = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# ----------------------------------------------------------------------------- random valid CRNs
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)
LABELS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=10)
RATES = st.floats(min_value=0, exclude_min=True, allow_infinity=False)


@st.composite
def crns(draw) -> CRN:
    """Any CRN the rules accept: odd labels, every role, big coefficients, tiny and huge floats."""
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    order = draw(st.permutations(names))
    signals: dict[Role, list[Signal]] = {Role.INPUT: [], Role.OUTPUT: []}
    role_of, node_of = {}, {}
    used = 0
    for _ in range(draw(st.integers(0, 3))):
        width = draw(st.integers(1, 2))
        if used + width > len(order):
            break
        rails, used = order[used:used + width], used + width
        role = draw(st.sampled_from([Role.INPUT, Role.OUTPUT]))
        signals[role].append(Signal(draw(LABELS), *rails))
        for r in rails:
            role_of[r] = role
            if width == 2:
                node_of[r] = draw(LABELS)  # a dual rail without a node would get one on reading
    species = tuple(Species(n, role_of.get(n) or draw(st.sampled_from(list(Role))),
                            node_of[n] if n in node_of else draw(st.none() | LABELS),
                            draw(st.sampled_from([-1, 0, 1]))) for n in names)
    side = st.dictionaries(st.sampled_from(names), st.integers(1, MAX_COEFFICIENT), max_size=3)
    reactions = draw(st.lists(
        st.builds(lambda r, p, k: Reaction(tuple(r.items()), tuple(p.items()), k), side, side, st.none() | RATES)
        .filter(lambda r: r.reactants or r.products), min_size=1, max_size=6))
    initial = draw(st.lists(st.tuples(st.sampled_from(names), st.floats(min_value=0, allow_infinity=False)),
                            max_size=3))
    return CRN(species, tuple(reactions), tuple(initial), tuple(signals[Role.INPUT]), tuple(signals[Role.OUTPUT]))


@settings(max_examples=100, deadline=None)
@given(crn=crns())
def test_random_crns_round_trip(crn):
    validate_crn(crn)
    assert_round_trips(crn)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crn=crns())
def test_random_crns_round_trip_through_files(tmp_path, crn):
    write_crn(crn, tmp_path / "a.crn")
    write_crn_json(crn, tmp_path / "a.json")
    for name in ("a.crn", "a.json"):
        assert key(read_crn_file(tmp_path / name)) == key(crn)


# ----------------------------------------------------------------------------- nuskell's syntax, differentially
@st.composite
def nuskell_texts(draw) -> tuple[str, list]:
    """A CRN written in nuskell's syntax, rendered at random, with the reactions it means."""
    names = draw(st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,4}", fullmatch=True), min_size=1, max_size=5,
                          unique=True))
    number = st.floats(1e-6, 1e6).map(repr)
    statements, expected = [], []

    def render(side: list[str]) -> str:
        if not side:
            return draw(st.sampled_from(["", "0", "∅"]))
        counts = {n: side.count(n) for n in dict.fromkeys(side)}
        terms = []
        for n, c in counts.items():
            style = draw(st.sampled_from(["repeat", "2A", "2 A", "2*A"])) if c > 1 else "repeat"
            terms += [n] * c if style == "repeat" else [style.replace("2", str(c)).replace("A", n)]
        return draw(st.sampled_from([" + ", "+"])).join(terms)

    for _ in range(draw(st.integers(1, 6))):
        lhs = draw(st.lists(st.sampled_from(names), max_size=3))
        rhs = draw(st.lists(st.sampled_from(names), min_size=0 if lhs else 1, max_size=3))
        counts = ({n: lhs.count(n) for n in lhs}, {n: rhs.count(n) for n in rhs})
        if draw(st.booleans()):
            kf, kr = draw(st.none() | number), draw(st.none() | number)
            rate = "" if kf is None or kr is None else draw(st.sampled_from(
                [f" [kf = {kf}, kr = {kr}]", f" [{kf}, {kr}]", f"[fw={kf},bw={kr}]", f" [ rv = {kr} , kf = {kf} ]"]))
            if not rate:
                kf = kr = None
            statements.append(f"{render(lhs)} <=> {render(rhs)}{rate}")
            expected += [(*counts, kf and float(kf)), (*counts[::-1], kr and float(kr))]
        else:
            k = draw(st.none() | number)
            rate = "" if k is None else draw(st.sampled_from([f" [k = {k}]", f" [{k}]", f"[k={k}]"]))
            statements.append(f"{render(lhs)} -> {render(rhs)}{rate}")
            expected.append((*counts, k and float(k)))
    text = ""
    for s in statements:
        indent = draw(st.sampled_from(["", "  ", "\t"]))
        text += indent + s + draw(st.sampled_from(["\n", ";", "; ", " ;\n", " # c;x\n"]))
    return text, expected


@settings(max_examples=200, deadline=None)
@given(case=nuskell_texts())
def test_nuskell_syntax_means_what_nuskell_means(case):
    text, expected = case
    crn = parse_crn(text)
    assert [(dict(r.reactants), dict(r.products), r.rate) for r in crn.reactions] == expected
    assert_round_trips(crn)


# ----------------------------------------------------------------------------- mutated text
SEEDS = [
    format_crn(reduce_crn(compile_network(random_ternary_network((2, 3, 2), seed=4)))),
    '@input "sepal length" Xp Xm\n@output y Y\n@init Xp = 0.25\nXp -> 2 Y [k=2.5]; Xm ->\n0 -> Y\n',
    *(text for text, _, _ in NUSKELL_CRNS.values()),
]
PIECES = ["->", "<=>", "+", "[", "]", "[k=", "[kf=1,kr=2]", "=", "@", "#", ";", '"', "\\", "0", "∅", "2", "*", " ",
          "\t", "\n", "\r", ",", ".", "e", "-", "9" * 5000, str(MAX_COEFFICIENT + 1), "1e400", "nan", "\x00", "\ufeff",
          "\u2028", "\x85", "\ud800", "Ä", "𝔸", "@init ", "@input ", "@output ", "@species ", " node=", " rail=+"]
LINES = ["@frob x", "@init A = 1e400", "@init A = -1", "A -> -3 B", f"A -> {'9' * 5000} B", "X @constant 3",
         "X @i 2", "∅ -> ∅", "A <=> B [k=1]", '@input "unterminated X', "@input a A\n@output b A", "->", "A ->",
         "@species A input node=\"x y\" rail=-", "{", "[]"]


@st.composite
def mutated_texts(draw) -> str:
    lines = draw(st.sampled_from(SEEDS)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "insert", "line", "coefficient"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("flip", "insert"):
            at = draw(st.integers(0, len(lines[i])))
            piece = draw(st.sampled_from(PIECES) | st.text(max_size=3))
            lines[i] = lines[i][:at] + piece + lines[i][at + (op == "flip"):]
        elif op == "line":
            lines.insert(i, draw(st.sampled_from(LINES) | st.text(max_size=20)))
        else:
            count = draw(st.sampled_from(["0 ", "-3 ", f"{MAX_COEFFICIENT} ", f"{MAX_COEFFICIENT + 1} ", "9" * 5000,
                                          "2.5 ", "1e3 "]))
            lines[i] = lines[i].replace("-> ", "-> " + count, 1)
    return "\n".join(lines)


def read_or_refuse(read, path) -> CRN | None:
    """The reader's answer: a CRN, or None after checking the refusal is one line naming the file."""
    try:
        return read(path)
    except InputError as e:
        assert "\n" not in str(e) and "\r" not in str(e)
        assert str(e).startswith(f"{path}:")
        return None


@MUTATION
@given(text=mutated_texts())
def test_mutated_text_is_read_back_equal_or_refused(tmp_path, text):
    path = tmp_path / "m.crn"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for crn in (read_or_refuse(read_crn_file, path), read_or_refuse(lambda p: parse_crn(text, path=str(p)), path)):
        if crn is not None:
            assert_round_trips(crn)


def test_the_seeds_are_valid():
    """The mutation tests start from valid files, so what they refuse was made invalid by the mutation."""
    for text in SEEDS:
        assert_round_trips(parse_crn(text))


# ----------------------------------------------------------------------------- mutated JSON
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**7, 10**7) | st.floats()
    | st.sampled_from([0, -1, 1, 2, MAX_COEFFICIENT, MAX_COEFFICIENT + 1, 10**30, 2**63, 1.5, 2.0, 1e-320])
    | st.text(max_size=6) | st.sampled_from(["X1", "Y", "X1 ", "in put", "", "hidden", "input", "\ud800", "a\nb"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    children = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else ()
    for k, child in children:
        yield from _paths(child, prefix + (k,))


@st.composite
def mutated_json(draw) -> str:
    data = crn_to_json(parse_crn(draw(st.sampled_from(SEEDS[:2] + [NUSKELL_CRNS["bin_counter_01.crn"][0]]))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "nudge", "nudge"]))
        value = parent[path[-1]]
        if op == "nudge" and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            # a value of the same kind: near the limits, or another name
            parent[path[-1]] = draw(st.integers(-1, MAX_COEFFICIENT + 1) if isinstance(value, int)
                                    else st.floats() if isinstance(value, float)
                                    else st.sampled_from(["A", "B", "X1", "Y", "_z9", "input", "output", "waste"]))
        elif op == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.insert(path[-1], parent[path[-1]])
    text = json.dumps(data)  # NaN and Infinity are written as such
    tweak = draw(st.sampled_from(["none"] * 6 + ["1e400", "truncate", "deep", "flip"]))
    if tweak == "1e400":
        text = text.replace(" 1]", " 1e400]", 1).replace(" 2]", " -1e400]", 1)
    elif tweak == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    elif tweak == "deep":
        text = text.replace('"reactions": [', '"reactions": [' + "[" * 50_000 + "]" * 50_000 + ", ", 1)
    elif tweak == "flip":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[at + 1:]
    return text


@MUTATION
@given(text=mutated_json())
def test_mutated_json_is_read_back_equal_or_refused(tmp_path, text):
    path = tmp_path / "m.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for read in (read_crn_file, read_crn_json):
        crn = read_or_refuse(read, path)
        if crn is not None:
            assert_round_trips(crn)


# ----------------------------------------------------------------------------- files that are not files
ALL_READERS = (read_crn, read_crn_json, read_crn_file, crn_file_kind)


def finishes(fn, timeout: float = 20.0, unblock=None):
    """fn's result or exception; fails (after unblocking it) if fn is still running after timeout seconds."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if unblock:
            unblock()
        pytest.fail(f"{fn} was still running after {timeout} s")
    return box


@pytest.mark.parametrize("reader", ALL_READERS, ids=lambda f: f.__name__)
def test_a_fifo_is_refused_without_blocking(tmp_path, reader):
    fifo = tmp_path / "pipe.crn"
    os.mkfifo(fifo)

    def unblock():  # a blocked reader waits for a writer: be one, then leave
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    box = finishes(lambda: reader(fifo), unblock=unblock)
    assert isinstance(box.get("error"), InputError), box
    assert "is a named pipe (FIFO), not a regular CRN file" in str(box["error"])
    assert finishes(lambda: looks_like_crn_text(fifo), unblock=unblock) == {"value": False}


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
@pytest.mark.parametrize("reader", ALL_READERS, ids=lambda f: f.__name__)
def test_dev_zero_is_refused_before_reading(tmp_path, reader):
    (tmp_path / "zero.crn").symlink_to("/dev/zero")
    for path in ("/dev/zero", tmp_path / "zero.crn"):
        box = finishes(lambda path=path: reader(path))
        assert isinstance(box.get("error"), InputError), box
        assert "is a device, not a regular CRN file" in str(box["error"])


@pytest.mark.parametrize("reader", ALL_READERS, ids=lambda f: f.__name__)
def test_directories_and_missing_files(tmp_path, reader):
    with pytest.raises(InputError, match="is a directory, expected a CRN file"):
        reader(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        reader(tmp_path / "absent.crn")
    assert not looks_like_crn_text(tmp_path) and not looks_like_crn_text(tmp_path / "absent.crn")


def test_oversized_files_are_refused_before_reading(tmp_path):
    big = tmp_path / "big.crn"
    with open(big, "wb") as f:
        f.write(b"A -> B\n")
        f.truncate(MAX_CRN_FILE_BYTES + 1)  # sparse: nothing is written, nothing may be read
    for reader in (read_crn, read_crn_json, read_crn_file):
        with pytest.raises(InputError, match=f"above the limit of {MAX_CRN_FILE_BYTES:,} bytes"):
            reader(big)
    small = tmp_path / "small.crn"
    small.write_text("A -> B\nB -> C\n")
    with pytest.raises(InputError, match="14 bytes, above the limit of 10 bytes"):
        read_crn_file(small, max_bytes=10)
    assert read_crn_file(small, max_bytes=14).n_reactions == 2


def test_binary_and_undecodable_files_are_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "model.crn", "w") as z:
        z.writestr("archive/data.pkl", b"x")
    (tmp_path / "pickle.crn").write_bytes(pickle.dumps({"w": [1, 2]}, protocol=4))
    (tmp_path / "latin1.crn").write_bytes("A -> B # é\n".encode("latin-1"))
    (tmp_path / "nul.crn").write_bytes(b"A -> B\x00\n")
    for name, message in (("model.crn", "a zip archive"), ("pickle.crn", "a pickle"),
                          ("latin1.crn", "not a UTF-8 text file (byte 9)"), ("nul.crn", "a binary file")):
        for reader in (read_crn, read_crn_json, read_crn_file):
            with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
                reader(tmp_path / name)
        assert crn_file_kind(tmp_path / name) is None


def test_a_byte_order_mark_and_crlf_are_text(tmp_path):
    (tmp_path / "bom.crn").write_bytes("\ufeffA -> B\r\nB -> C [k = 2]\r\n".encode())
    assert [str(r) for r in read_crn_file(tmp_path / "bom.crn").reactions] == ["A -> B", "B -> C"]
    assert crn_file_kind(tmp_path / "bom.crn") == "text"


# ----------------------------------------------------------------------------- telling a CRN from a model
def test_crn_file_kind_reads_content_not_names(tmp_path):
    crn = parse_crn(NUSKELL_CRNS["README.md"][0])
    files = {
        "nuskell.txt": NUSKELL_CRNS["bin_counter_01.crn"][0],
        "dsdcompile.pt": format_crn(crn),
        "conc.model": "# concentrations first\nX @i 5; X -> Y\n",
        "directive.dat": "\n\n@input x X  # first a directive\nX -> Y\n",
        "crn.txt": json.dumps(crn_to_json(crn)),
        "other.json": '{"format": "something else", "a": "->"}',
        "table.crn": "a,b,c\n1,2,3\n",
        "empty.crn": "",
        "comments.crn": "# A -> B\n   # only comments\n",
        "words.crn": "hello world -> not really\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    kinds = {name: crn_file_kind(tmp_path / name) for name in files}
    assert kinds == {"nuskell.txt": "text", "dsdcompile.pt": "text", "conc.model": "text", "directive.dat": "text",
                     "crn.txt": "json", "other.json": None, "table.crn": None, "empty.crn": None,
                     "comments.crn": None, "words.crn": "text"}
    assert [n for n in files if looks_like_crn_text(tmp_path / n)] == [n for n, k in kinds.items() if k == "text"]
    # the sniff is only a first look: the reader still judges the whole file
    with pytest.raises(InputError, match="words.crn:1:1: expected"):
        read_crn_file(tmp_path / "words.crn")


def test_crn_file_kind_on_model_files(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    torch.save({"0.weight": torch.ones(2, 3)}, tmp_path / "model.txt")
    torch.save({"0.weight": torch.ones(2, 3)}, tmp_path / "legacy.crn", _use_new_zipfile_serialization=False)
    safetensors_numpy.save_file({"0.weight": np.ones((2, 3), dtype=np.float32)}, str(tmp_path / "model.crn"),
                                metadata={"dsdcompile_meta": "{}"})
    for name in ("model.txt", "legacy.crn", "model.crn"):
        assert crn_file_kind(tmp_path / name) is None, name
        assert not looks_like_crn_text(tmp_path / name)
        with pytest.raises(InputError, match="not a CRN"):
            read_crn_file(tmp_path / name)


def test_sniffing_reads_only_the_head(tmp_path):
    """A long CRN is judged from its first SNIFF_BYTES, even when they end inside a character."""
    head = "# " + "é" * ((SNIFF_BYTES - 3) // 2) + "\n"  # puts a 2-byte character across the sniff boundary
    assert len(head.encode()) > SNIFF_BYTES - 4
    (tmp_path / "long.crn").write_text(head + "A -> B\n" * 10_000, encoding="utf-8")
    (tmp_path / "cut.crn").write_text("#" * (SNIFF_BYTES - 1) + "é\nA -> B\n", encoding="utf-8")
    assert crn_file_kind(tmp_path / "long.crn") is None  # no statement within the head
    assert crn_file_kind(tmp_path / "cut.crn") is None
    (tmp_path / "ok.crn").write_text("A -> B\n" + "# " + "é" * SNIFF_BYTES, encoding="utf-8")
    assert crn_file_kind(tmp_path / "ok.crn") == "text"
    assert read_crn_file(tmp_path / "long.crn").n_reactions == 10_000


def test_paths_are_reported_as_given(tmp_path):
    path = Path(tmp_path / "x.crn")
    path.write_text("A -> B [k=0]\n")
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}:1:11: rate constant must be positive"):
        read_crn(str(path))


def test_deeply_nested_json_is_refused_even_under_peppercorns_recursion_limit(tmp_path):
    """peppercornenumerator raises the recursion limit to 10**6 when imported; at that limit an unbounded
    json.loads of 200,000 nested brackets overflows the C stack and kills the process. The CRN JSON reader bounds
    the depth as every other reader of untrusted JSON does: one InputError. In a subprocess, so a crash is seen."""
    import subprocess
    import sys

    (tmp_path / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    code = ("import sys\nfrom dsdcompile.crn import read_crn_json\nfrom dsdcompile.errors import InputError\n"
            "sys.setrecursionlimit(10**6)\n"
            "try:\n    read_crn_json(sys.argv[1])\nexcept InputError as e:\n    print(e)\n")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "deep.json")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, (res.returncode, res.stderr[-500:])
    assert "invalid JSON: nested too deeply" in res.stdout


# ----------------------------------------------------------------------------- one rule for user-given names
REFUSED_IN_NAMES = {"line separator": "\u2028", "next line": "\x85", "NUL": "\x00", "right-to-left override": "\u202e",
                    "left-to-right isolate": "\u2066", "escape": "\x1b"}


def _read_each_way(tmp_path, name: str) -> dict[str, object]:
    """``name`` as a signal name in .crn text, in CRN JSON, and as a class name in a model's meta: what each
    reader returns (the name it read) or the InputError it raises."""
    import torch

    from dsdcompile.nn.load import load_network

    escaped = json.dumps(name)  # the text format's quoted names take JSON's escapes
    (tmp_path / "n.crn").write_text(f"@input x X\n@output {escaped} Y\nX -> Y\n", encoding="utf-8")
    data = json.loads(json.dumps(crn_to_json(parse_crn("@input x X\n@output y Y\nX -> Y\n"))))
    data["outputs"][0][0] = name
    (tmp_path / "n.json").write_text(json.dumps(data), encoding="utf-8")
    sd = {"0.weight": torch.ones(2, 1), "0.bias": torch.zeros(2)}
    torch.save({"state_dict": sd, "meta": {"class_names": ["other", name]}}, tmp_path / "n.pt")
    readers = {"crn text": lambda: read_crn(tmp_path / "n.crn").outputs[0].name,
               "crn json": lambda: read_crn_json(tmp_path / "n.json").outputs[0].name,
               "model meta": lambda: load_network(tmp_path / "n.pt").class_names[1]}
    answers: dict[str, object] = {}
    for reader, read in readers.items():
        try:
            answers[reader] = read()
        except InputError as e:
            answers[reader] = e
    return answers


@pytest.mark.parametrize("what", sorted(REFUSED_IN_NAMES))
def test_every_reader_refuses_the_same_characters_in_names(tmp_path, what):
    answers = _read_each_way(tmp_path, f"bad{REFUSED_IN_NAMES[what]}name")
    for reader, answer in answers.items():
        assert isinstance(answer, InputError), (reader, answer)
        assert f"(U+{ord(REFUSED_IN_NAMES[what]):04X})" in str(answer), (reader, str(answer))
        assert "\n" not in str(answer) and "\x85" not in str(answer) and "\u2028" not in str(answer)


@pytest.mark.parametrize("name", ["sepal length", "Ä 𝔸 名前", "=cmd|' /C calc'!A0", "<b>`x`</b> $y$", "עברית"])
def test_every_reader_accepts_the_same_names(tmp_path, name):
    assert _read_each_way(tmp_path, name) == {"crn text": name, "crn json": name, "model meta": name}
