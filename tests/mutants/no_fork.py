"""Bug: the fork gate is missing, so the join gate's output never becomes the products."""

from translation_schemes import soloveichik2010 as base
from translation_schemes.soloveichik2010 import BRANCH_NT, FUEL_ROLES, MAX_REACTANTS, TOEHOLD_NT, signal_layout  # noqa: F401

CITATION = "test fixture: soloveichik2010 with one deliberate bug"

NAME = "no_fork"


def translate(reactants, products, new_domain):
    return [f for f in base.translate(reactants, products, new_domain) if f[0] != "fork"]
