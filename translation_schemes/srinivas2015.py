"""Srinivas et al.'s two-gate scheme: a reactant gate releases a flux strand that opens a product gate."""

from __future__ import annotations

from translation_schemes import comp

NAME = "srinivas2015"
CITATION = ("N. Srinivas, J. Parkin, G. Seelig, E. Winfree, D. Soloveichik. Enzyme-free nucleic acid dynamical "
            "systems. Science 358(6369):eaal2052, 2017 (scheme of N. Srinivas, PhD thesis, Caltech, 2015).")
TOEHOLD_NT = 5
BRANCH_NT = 15
MAX_REACTANTS = None
FUEL_ROLES = ("reactant-gate", "backward", "product-gate", "helper")


def signal_layout():
    return (("h", "history"), ("f", "toehold"), ("m", "branch"), ("s", "toehold"))


def translate(reactants, products, new_domain):
    n, k = len(reactants), len(products)
    last = reactants[-1]
    flux_history = new_domain("branch") if products else None
    # The flux strand's tail: its history, plus the first product's toehold when it must release
    # that product alone (one product); with more, a helper strand releases the rest.
    tail = [] if not products else [flux_history, products[0]["f"]] if k == 1 else [flux_history]
    tops = [[x["m"], x["s"], reactants[i + 1]["f"]] for i, x in enumerate(reactants[:-1])]
    tops.append([last["m"], last["s"], *tail])
    bottom = [comp(d) for x in reversed(reactants) for d in (x["s"], x["m"], x["f"])]
    structure = "+".join(["((("] * (n - 1) + ["((" + "." * len(tail), "))" + ")))" * (n - 1) + "."])
    fuels = [("reactant-gate", tops + [bottom], structure)]
    fuels += [("backward", [list(t)], "...") for t in tops[:-1]]
    if products:
        histories = [flux_history] + [new_domain("branch") for _ in products[1:]]
        outs = [[h, p["f"], p["m"], p["s"]] for h, p in zip(histories, products)]
        pbottom = [comp(d) for h, p in zip(reversed(histories), reversed(products)) for d in (p["f"], h)]
        pbottom.append(comp(last["s"]))
        fuels.append(("product-gate", outs + [pbottom], "+".join(["((.."] * k + [")" * (2 * k) + "."])))
        if k > 1:
            helper = [products[0]["f"]] + [d for h, p in zip(histories[1:], products[1:]) for d in (h, p["f"])]
            fuels.append(("helper", [helper], "." * len(helper)))
    return fuels
