"""Soloveichik, Seelig and Winfree's scheme: a join gate L releases an output strand that unlocks a fork gate T."""

from __future__ import annotations

from translation_schemes import comp

NAME = "soloveichik2010"
CITATION = ("D. Soloveichik, G. Seelig, E. Winfree. DNA as a universal substrate for chemical kinetics. "
            "PNAS 107(12):5393-5398, 2010.")
TOEHOLD_NT = 5
BRANCH_NT = 15
MAX_REACTANTS = None  # the join generalises to any number of inputs on the DNA level
FUEL_ROLES = ("gate", "translator", "fork")


def signal_layout():
    # history, toehold a, branch b, toehold c (c opens the fork gate for the released strand)
    return (("h", "history"), ("a", "toehold"), ("b", "branch"), ("c", "toehold"))


def translate(reactants, products, new_domain):
    n = len(reactants)
    fuels = []
    # Output tail: per product a fresh history d_j followed by the product's toehold a.
    histories = [new_domain("branch") for _ in products]
    tail = [d for h, p in zip(histories, products) for d in (h, p["a"])]
    # Join gate L: the bottom strand holds every input's c* b* a*; input 1 binds at the 3' end.
    # Top strand i < n covers b_i c_i and the next input's toehold a_{i+1}; the last top strand
    # carries the output tail and is what L releases.
    tops = [[x["b"], x["c"], reactants[i + 1]["a"]] for i, x in enumerate(reactants[:-1])]
    last = reactants[-1]
    tops.append([last["b"], last["c"], *tail])
    bottom = [comp(d) for x in reversed(reactants) for d in (x["c"], x["b"], x["a"])]
    structure = "+".join(["(((" ] * (n - 1) + ["((" + "." * len(tail), "))" + ")))" * (n - 1) + "."])
    fuels.append(("gate", tops + [bottom], structure))
    # Translators in excess make every binding but the last reversible.
    for top in tops[:-1]:
        fuels.append(("translator", [list(top)], "..."))
    if products:
        # Fork gate T: product strands d_j a b c held by d_j a; the released L strand binds c* and
        # displaces them one after the other.
        strands = [[h, p["a"], p["b"], p["c"]] for h, p in zip(histories, products)]
        fork_bottom = [comp(d) for d in reversed(tail)] + [comp(last["c"])]
        structure = "+".join(["((.."] * len(products) + [")" * len(tail) + "."])
        fuels.append(("fork", strands + [fork_bottom], structure))
    return fuels
