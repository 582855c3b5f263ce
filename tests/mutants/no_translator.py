"""Bug: no translator strands, so a join gate keeps its first input even if the second never comes."""

from translation_schemes import soloveichik2010 as base
from translation_schemes.soloveichik2010 import BRANCH_NT, FUEL_ROLES, MAX_REACTANTS, TOEHOLD_NT, signal_layout  # noqa: F401

CITATION = "test fixture: soloveichik2010 with one deliberate bug"

NAME = "no_translator"


def translate(reactants, products, new_domain):
    return [f for f in base.translate(reactants, products, new_domain) if f[0] != "translator"]
