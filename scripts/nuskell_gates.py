"""Dump the complexes nuskell produces for .ts schemes and small CRNs, as JSON (run with nuskell's Python).

    /path/to/nuskell-venv/bin/python scripts/nuskell_gates.py OUT.json SCHEME.ts [SCHEME.ts ...]

nuskell is not a dependency of dsdcompile: install it into its own virtual environment and run this
script there; ``scripts/compare_ts_nuskell.py`` then compares the dump with dsdcompile's .ts reader.
"""

import json
import sys

CRNS = ["A -> B", "A -> B + C", "A -> B + C + D", "A + B -> C", "A + B -> C + D", "A + B + C -> D",
        "A + B -> A + C", "A + A -> B", "A -> ", "A -> A + B", " -> A"]


def dump(complex_):
    strands, cur = [], []
    for d in complex_.sequence:
        if d == "+":
            strands.append(cur)
            cur = []
        else:
            cur.append(str(d.name))
    strands.append(cur)
    return {"name": complex_.name, "strands": strands, "structure": "".join(complex_.structure)}


def main() -> None:
    from nuskell.dsdcompiler.compiler import translate
    from nuskell.dsdcompiler.objects import clear_memory

    out = {}
    for ts in sys.argv[2:]:
        for crn in CRNS:
            try:
                solution, _ = translate(crn, ts)
            except BaseException as e:  # noqa: BLE001 - abort() in a scheme is a SystemExit
                out[f"{ts}|{crn}"] = {"error": f"{type(e).__name__}: {e}"}
                clear_memory()
                continue
            species = {k: dump(c) for k, c in solution.items() if not k.startswith("f")}
            fuels = [dump(c) for k, c in sorted(solution.items()) if k.startswith("f")]
            out[f"{ts}|{crn}"] = {"species": species, "fuels": fuels}
            clear_memory()
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
