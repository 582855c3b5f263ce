"""Dump the complexes nuskell produces for .ts schemes and small CRNs, as JSON (run with nuskell's Python).

    /path/to/nuskell-venv/bin/python scripts/nuskell_gates.py OUT.json SCHEME.ts [SCHEME.ts ...]

nuskell is not a dependency of dsdcompile: install it into its own virtual environment and run this
script there; ``scripts/compare_ts_nuskell.py`` then compares the dump with dsdcompile's .ts reader.
"""

import json
import signal
import sys
import time

LIMIT_S = 20  # nuskell may run for a very long time on some scheme and CRN pairs

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


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"more than {LIMIT_S} s")


def main() -> None:
    import copy

    from nuskell.dsdcompiler import compiler
    from nuskell.dsdcompiler.crn_parser import parse_crn_string
    from nuskell.dsdcompiler.objects import clear_memory

    parsed = {}

    def parse_once(text):  # nuskell parses its prelude at every translation; once is enough here
        if text not in parsed:
            parsed[text] = compiler_parse(text)
        return copy.deepcopy(parsed[text])

    compiler_parse = compiler.parse_ts_string
    compiler.parse_ts_string = parse_once

    def translate(crn, ts):
        crn_parsed, formals = parse_crn_string(crn)
        return compiler.interpret(parse_once(open(ts).read()), crn_parsed, formals)

    out = {}
    for ts in sys.argv[2:]:
        for crn in CRNS:
            signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(LIMIT_S)
            start = time.time()
            try:
                solution, _ = translate(crn, ts)
                signal.alarm(0)
            except BaseException as e:  # noqa: BLE001 - abort() in a scheme is a SystemExit
                signal.alarm(0)
                out[f"{ts}|{crn}"] = {"error": f"{type(e).__name__}: {e}"}
                clear_memory()
                continue
            species = {k: dump(c) for k, c in solution.items() if not k.startswith("f")}
            fuels = [dump(c) for k, c in sorted(solution.items()) if k.startswith("f")]
            out[f"{ts}|{crn}"] = {"species": species, "fuels": fuels, "seconds": round(time.time() - start, 3)}
            clear_memory()
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
