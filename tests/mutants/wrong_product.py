"""Bug: the fork gate releases a strand whose branch domain belongs to no species."""

from translation_schemes import soloveichik2010 as base
from translation_schemes.soloveichik2010 import BRANCH_NT, FUEL_ROLES, MAX_REACTANTS, TOEHOLD_NT, signal_layout  # noqa: F401

CITATION = "test fixture: soloveichik2010 with one deliberate bug"

NAME = "wrong_product"


def translate(reactants, products, new_domain):
    if products:
        products = [dict(products[0], b=new_domain("branch"))] + list(products[1:])
    return base.translate(reactants, products, new_domain)
