"""Bug: the fork gate also gives back the first reactant, as if it were a catalyst."""

from translation_schemes import soloveichik2010 as base
from translation_schemes.soloveichik2010 import BRANCH_NT, FUEL_ROLES, MAX_REACTANTS, TOEHOLD_NT, signal_layout  # noqa: F401

CITATION = "test fixture: soloveichik2010 with one deliberate bug"

NAME = "returns_reactant"


def translate(reactants, products, new_domain):
    return base.translate(reactants, list(products) + list(reactants[:1]), new_domain)
