"""Bug: an extra fuel holds the first product's signal strand by its toehold only, so it falls off by itself."""

from translation_schemes import comp
from translation_schemes import soloveichik2010 as base
from translation_schemes.soloveichik2010 import BRANCH_NT, FUEL_ROLES, MAX_REACTANTS, TOEHOLD_NT, signal_layout  # noqa: F401

CITATION = "test fixture: soloveichik2010 with one deliberate bug"

NAME = "leaky_fuel"


def translate(reactants, products, new_domain):
    fuels = base.translate(reactants, products, new_domain)
    if products:
        p = products[0]
        fuels.append(("fork", [[new_domain("branch"), p["a"], p["b"], p["c"]], [comp(p["a"])]], ".(..+)"))
    return fuels
