"""Enumeration (modular and whole), shape caching, limits, executors and the DSD output files."""

from __future__ import annotations

import csv

import pytest

from dsdcompile.config import DSDConfig, EnumerationConfig, ExecutionConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd import enumerate as enum_mod
from dsdcompile.dsd import peppercorn_adapter as adapter
from dsdcompile.dsd.enumerate import enumerate_modules, enumerate_whole
from dsdcompile.dsd.outputs import dsd_counts, initial_signals, write_dsd_outputs
from dsdcompile.dsd.system import ComplexRole
from dsdcompile.dsd.translate import translate
from dsdcompile.errors import EXIT_FAILURE, EnumerationError, EnumerationLimit
from dsdcompile.runtime.executors import SerialExecutor, TaskOutcome

SERIAL = EnumerationConfig()
NO_LIMIT = ExecutionConfig(module_timeout=0)
CRN_TEXT = "@input x X\n@output y Y Z\n@init B = 0.5\nX -> A + Z\nA + B -> Y\n"


def test_same_shape_modules_are_enumerated_once(monkeypatch):
    calls = []
    real = adapter.enumerate_complexes

    def counting(*args, **kwargs):
        calls.append(kwargs.get("label"))
        return real(*args, **kwargs)

    monkeypatch.setattr(enum_mod.adapter, "enumerate_complexes", counting)
    system = translate(parse_crn("A -> B + C\nD -> E + F\nA + D -> G\n"), "soloveichik2010", DSDConfig())
    modules = enumerate_modules(system, SERIAL, execution=NO_LIMIT)  # no time limit: no forked child to hide calls
    assert len(calls) == 2  # two shapes, three modules
    a, d = modules[0], modules[1]
    assert a.shape == d.shape and len(a.reactions) == len(d.reactions)
    assert dict(a.signals)["A"] == "A" and dict(d.signals)["D"] == "D"
    assert not set(a.fuels) & set(d.fuels)  # renamed: each module has its own fuels


def test_custom_executor_is_used():
    seen = []

    class Recording(SerialExecutor):
        def map(self, fn, tasks, **kwargs):
            tasks = list(tasks)
            seen.append(len(tasks))
            return super().map(fn, tasks, **kwargs)

    system = translate(parse_crn(CRN_TEXT), "soloveichik2010", DSDConfig())
    enumerate_modules(system, SERIAL, executor=Recording())
    assert seen == [2]


def test_enumeration_limit_names_the_module():
    system = translate(parse_crn("A + B -> C + D\n"), "soloveichik2010", DSDConfig())
    with pytest.raises(EnumerationLimit, match=r"module 0 \(A \+ B -> C \+ D"):
        enumerate_modules(system, EnumerationConfig(max_reaction_count=2), execution=NO_LIMIT)


def test_module_timeout_raises_enumeration_limit():
    system = translate(parse_crn("A + B -> C + D\n"), "soloveichik2010", DSDConfig())
    with pytest.raises(EnumerationLimit, match="module 0"):
        enumerate_modules(system, EnumerationConfig(), execution=ExecutionConfig(module_timeout=1e-4))


def test_a_failed_enumeration_is_an_enumeration_error_not_a_limit():
    failed = TaskOutcome(error="Traceback (most recent call last):\n  ...\nKeyError: 'x-a*'")
    with pytest.raises(EnumerationError, match=r"module 3: enumeration failed: KeyError: 'x-a\*'") as info:
        enum_mod._value_or_raise(failed, "module 3", "module_timeout", 10.0)
    assert not isinstance(info.value, EnumerationLimit) and info.value.exit_code == EXIT_FAILURE
    with pytest.raises(EnumerationLimit, match="longer than module_timeout=10 s"):
        enum_mod._value_or_raise(TaskOutcome(timed_out=True), "module 3", "module_timeout", 10.0)
    assert enum_mod._value_or_raise(TaskOutcome(value=7), "module 3", "module_timeout", 10.0) == 7


def test_whole_system_enumeration_finds_signals():
    system = translate(parse_crn(CRN_TEXT), "soloveichik2010", DSDConfig())
    whole = enumerate_whole(system, EnumerationConfig(), execution=ExecutionConfig(whole_enumeration_timeout=120))
    formal = set(dict(whole.signals).values())
    assert {"X", "A", "B", "Y", "Z"} <= formal
    assert whole.reactions and whole.fuels
    assert whole.to_crn().n_reactions == len(whole.reactions)


def test_pil_round_trip_and_output_files(tmp_path):
    system = translate(parse_crn(CRN_TEXT), "soloveichik2010", DSDConfig())
    modules = enumerate_modules(system, SERIAL)
    written = write_dsd_outputs(system, tmp_path)
    summary = dsd_counts(system, modules)
    for key in ("scheme", "strands", "complexes", "nucleotides", "longest_strand_nt", "enumerated_species",
                "enumerated_reactions", "max_products", "split_reactions"):
        assert key in summary
    assert written == {k: summary[k] for k in written}  # counted without the files, the same as written
    lengths, complexes = adapter.read_pil((tmp_path / "dsd.pil").read_text())
    with open(tmp_path / "complexes.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {c.name for c in complexes} == {r["complex"] for r in rows}
    by_name = {r["complex"]: r for r in rows}
    for c in complexes:
        assert c.structure == by_name[c.name]["structure"]
    assert float(by_name["B"]["concentration"]) == 0.5
    with open(tmp_path / "strands.csv") as fh:
        strands = list(csv.DictReader(fh))
    assert len(strands) == summary["strands"]
    assert sum(int(s["length_nt"]) for s in strands) == summary["nucleotides"]
    assert {s["role"] for s in strands} <= {"signal", "helper", "fuel", "waste"}
    assert {r["role"] for r in rows} == {ComplexRole.SIGNAL, ComplexRole.FUEL}  # as written, read back equal
    with open(tmp_path / "domains.csv") as fh:
        domains = {r["domain"]: int(r["length_nt"]) for r in csv.DictReader(fh)}
    assert all(domains[d] == n for d, n in lengths.items())  # unused history domains are listed too
    # peppercorn can enumerate what it read back
    back = adapter.enumerate_complexes(complexes, lengths, EnumerationConfig())
    assert back.reactions


def test_every_species_gets_a_signal_strand_inputs_and_biases_first():
    system = translate(parse_crn(CRN_TEXT), "soloveichik2010", DSDConfig())
    signals = initial_signals(system)
    assert [c.name for c in signals[:2]] == ["X", "B"]
    assert {c.name: c.concentration for c in signals} == {"X": 0.0, "B": 0.5, "A": 0.0, "Y": 0.0, "Z": 0.0}
    assert {c.role for c in signals} == {"signal"}
