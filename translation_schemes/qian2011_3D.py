"""Qian, Soloveichik and Winfree's three-domain scheme: a gate joins the inputs, a trigger releases the outputs."""

from __future__ import annotations

from translation_schemes import comp

NAME = "qian2011_3D"
CITATION = ("L. Qian, D. Soloveichik, E. Winfree. Efficient Turing-universal computation with DNA polymers. "
            "DNA Computing and Molecular Programming (DNA 16), LNCS 6518:123-140, 2011.")
TOEHOLD_NT = 5
BRANCH_NT = 15
MAX_REACTANTS = None
FUEL_ROLES = ("gate", "backward", "trigger")


def signal_layout():
    # Three species-specific domains (no history wildcard): gates release exact signal strands.
    return (("h", "branch"), ("t", "toehold"), ("r", "branch"))


def translate(reactants, products, new_domain):
    n, m = len(reactants), len(products)
    e = new_domain("toehold")  # exposed once the last input has bound; the trigger's foothold
    f = new_domain("branch")  # clamp: displacing it makes the trigger step irreversible
    # Bottom strand, 5' to 3': f* | per product t* h* (last product first) | e* | per input r* then
    # the previous input's region; input 1 binds at the 3' end and migrates towards the 5' end.
    bottom = [comp(f)]
    for p in reversed(products):
        bottom += [comp(p["t"]), comp(p["h"])]
    bottom.append(comp(e))
    for i in range(n - 1, -1, -1):
        bottom += [comp(reactants[i]["r"]), comp(reactants[i]["t"])]
    # Covers: T_i = r_i followed by the next foothold (the next input's toehold, or e).
    covers = [[x["r"], reactants[i + 1]["t"]] for i, x in enumerate(reactants[:-1])]
    covers.append([reactants[-1]["r"], e])
    outs = [[p["h"], p["t"], p["r"]] for p in products]
    strands = [bottom] + covers + outs + [[f]]
    structure = "+".join(["(" + "((" * m + "(" + "(" + "((" * (n - 1) + "."]
                         + ["))"] * n + ["))."] * m + [")"])
    fuels = [("gate", strands, structure)]
    # Every cover strand in excess, the last one too: each binding stays reversible until the trigger acts.
    fuels += [("backward", [list(c)], "..") for c in covers]
    trigger = [e] + [d for p in products for d in (p["h"], p["t"])] + [f]
    fuels.append(("trigger", [trigger], "." * len(trigger)))
    return fuels
