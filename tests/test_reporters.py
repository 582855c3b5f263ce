"""Readout reporters: built from every scheme's signal layout, enumerated and verified as Y -> ∅, only on terminal
outputs, and visible to sequence design with role "reporter"."""

from dataclasses import replace

import pytest

from dsdcompile.config import DSDConfig, EnumerationConfig
from dsdcompile.crn import parse_crn
from dsdcompile.dsd.enumerate import enumerate_modules
from dsdcompile.dsd.reporters import (
    ReporterSet,
    build_reporters,
    consumed_outputs,
    reporter_domains,
    reporter_template,
)
from dsdcompile.dsd.schemes import available_schemes, load_scheme
from dsdcompile.dsd.system import Complex
from dsdcompile.dsd.templates import _check_structure
from dsdcompile.dsd.translate import translate
from dsdcompile.errors import NotEquivalent
from dsdcompile.verify import verify_modules
from dsdcompile.verify.reporters import verify_reporters
from dsdcompile.verify.result import conclude

CRN = """@input a X0p X0m
@output y0 Y0p Y0m
X0p -> Y0p
X0m -> Y0m
"""


@pytest.fixture(scope="module")
def system():
    return translate(parse_crn(CRN), "soloveichik2010", DSDConfig())


@pytest.fixture(scope="module")
def reporters(system):
    return build_reporters(system)


@pytest.mark.parametrize("scheme", available_schemes())
def test_every_builtin_scheme_has_a_well_formed_reporter(scheme):
    s = load_scheme(scheme)
    assert reporter_domains(s.layout) is not None
    tpl = reporter_template(s.name, s.layout, s.toehold_nt, s.branch_nt)
    duplex = tpl.fuels[0]
    _check_structure("reporter", [list(x) for x in duplex.strands], duplex.structure, {d.name for d in tpl.domains})
    assert duplex.role == "reporter" and tpl.reactants == (0,) and tpl.products == ()


def test_one_reporter_per_rail_releasing_a_fluorophore_and_verified(system, reporters):
    assert reporters.skipped is None
    assert [r.species for r in reporters.reporters] == ["Y0p", "Y0m"]
    for r, m in zip(reporters.reporters, reporters.modules):
        assert m.fuels == (r.name,)
        assert any(r.species in a and r.fluorophore in p for a, p, _ in m.reactions)
    block = verify_reporters(reporters, system.split_crn)
    assert block["verdict"] == "equivalent" and block["terminal"] and block["reporters"] == 2


def test_a_reporter_on_a_consumed_output_is_refused(system, reporters):
    """Before: Y0p is terminal. After adding Y0p + Y0m -> ∅: a reporter would compete with that reaction."""
    consuming = parse_crn(CRN + "Y0p + Y0m ->\n")
    assert consumed_outputs(consuming, ["Y0p", "Y0m"])
    annihilating = translate(consuming, "soloveichik2010", DSDConfig())
    skipped = build_reporters(annihilating)
    assert not skipped.reporters and "consumed" in skipped.skipped
    # the terminal check itself fails when reporters meet a CRN that consumes what they read
    block = verify_reporters(reporters, consuming)
    assert block["verdict"] == "not-equivalent" and not block["terminal"]
    result = conclude(verify_modules([]), reporters=block)  # the one verdict: reporters are part of it
    assert result.verdict == "not-equivalent"
    with pytest.raises(NotEquivalent, match="reporter"):
        result.raise_if_not_equivalent()


def test_a_reporter_the_signal_cannot_open_is_not_equivalent(system, reporters):
    """A reporter whose bottom toehold is not the signal's: nothing happens, so Y -> ∅ is not implemented."""
    rsys = reporters.system
    tpl = rsys.templates[0]
    bad = Complex("f0", (("S0-b",), ("S0-b*", "p0*")), "(+).", "reporter", part="reporter")
    domains = tpl.domains + (replace(tpl.domains[1], name="p0"),)
    broken = replace(rsys, templates=(replace(tpl, fuels=(bad,), domains=domains),))
    modules = enumerate_modules(broken, EnumerationConfig())
    assert all(not m.reactions for m in modules)
    assert verify_modules(modules).verdict == "not-equivalent"


def test_reporters_are_strands_with_role_reporter_for_sequence_design(system, reporters):
    from dsdcompile.dsd.outputs import dsd_counts, iter_complexes
    from dsdcompile.sequences.problem import SequenceProblem

    with_reporters = replace(system, reporters=reporters.complexes)
    problem = SequenceProblem.from_system(with_reporters)
    roles = {s.name: s.role for s in problem.strands}
    assert {roles[f"{r.name}.{k}"] for r in reporters.reporters for k in (0, 1)} == {"reporter"}
    counted = dsd_counts(with_reporters, None)
    listed = list(iter_complexes(with_reporters))
    assert counted["complexes"] == len(listed) == dsd_counts(system, None)["complexes"] + 2
    assert counted["strands"] == sum(len(r.complex.strands) for r in listed)


def test_no_reporters_when_disabled_or_without_outputs():
    assert ReporterSet().reporters == ()
    plain = translate(parse_crn("@input a X0p X0m\nX0p -> X0m\n"), "soloveichik2010", DSDConfig())
    assert build_reporters(plain).skipped == "the CRN has no outputs"
