"""Cardelli's n x m join-fork gate on two-domain signals (toehold + branch), as in nuskell's "NM" variant."""

from __future__ import annotations

from translation_schemes import comp

NAME = "cardelli2011_NM"
CITATION = ("L. Cardelli. Strand algebras for DNA computing. Natural Computing 10:407-428, 2011 (n x m gates, "
            "Figs. 9-10); two-domain strands as in L. Cardelli, Two-domain DNA strand displacement, MSCS 23, 2013.")
TOEHOLD_NT = 5
BRANCH_NT = 15
MAX_REACTANTS = None
FUEL_ROLES = ("gate", "backward", "trigger")


def signal_layout():
    return (("h", "history"), ("t", "toehold"), ("b", "branch"))


def translate(reactants, products, new_domain):
    n = len(reactants)
    g = new_domain("toehold")  # exposed when the join is complete; the trigger binds here
    outs = [(new_domain("branch"), p["t"], p["b"]) for p in products]
    if not outs:  # a private waste strand makes the trigger step irreversible
        outs = [(new_domain("branch"), new_domain("toehold"), new_domain("branch"))]
    m = len(outs)
    # Join: every top strand is two-domain, "b_i t_{i+1}", the last one "b_n g".
    tops = [[x["b"], reactants[i + 1]["t"]] for i, x in enumerate(reactants[:-1])]
    tops.append([reactants[-1]["b"], g])
    bottom = [comp(d) for h, t, _ in reversed(outs) for d in (t, h)] + [comp(g)]
    bottom += [comp(d) for x in reversed(reactants) for d in (x["b"], x["t"])]
    strands = tops + [list(o) for o in outs] + [bottom]
    structure = "+".join(["(("] * n + ["((."] * m + [")" * (2 * m + 2 * n) + "."])
    fuels = [("gate", strands, structure)]
    # Every join strand in excess (the last one too), so inputs bind reversibly until the trigger acts;
    # this replaces the paper's garbage-collection gates.
    fuels += [("backward", [list(t)], "..") for t in tops]
    trigger = [g] + [d for h, t, _ in outs for d in (h, t)]
    fuels.append(("trigger", [trigger], "." * len(trigger)))
    return fuels
